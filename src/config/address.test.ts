/** Address helpers: families, multicast ranges and canonical IPv6 spelling. */
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { addressFamily, canonicalAddress, isMulticastAddress, isUnspecifiedAddress } from './address.js';

test('family', () => {
  assert.equal(addressFamily('192.0.2.1'), 4);
  assert.equal(addressFamily('2001:db8::1'), 6);
  assert.equal(addressFamily('fe80::1%eth0'), 6);
  assert.equal(addressFamily('192.0.2.256'), undefined);
  assert.equal(addressFamily('host.example'), undefined);
});

test('multicast', () => {
  assert.ok(isMulticastAddress('224.0.0.1'));
  assert.ok(isMulticastAddress('239.255.255.255'));
  assert.ok(!isMulticastAddress('240.0.0.1'));
  assert.ok(!isMulticastAddress('223.255.255.255'));
  assert.ok(isMulticastAddress('ff02::1'));
  assert.ok(isMulticastAddress('FF15::694'));
  assert.ok(!isMulticastAddress('fe80::1'));
});

test('unspecified', () => {
  assert.ok(isUnspecifiedAddress('0.0.0.0'));
  assert.ok(isUnspecifiedAddress('::'));
  assert.ok(isUnspecifiedAddress('0:0::0'));
  assert.ok(!isUnspecifiedAddress('::1'));
});

test('canonical IPv6', () => {
  assert.equal(canonicalAddress('2001:DB8::1'), canonicalAddress('2001:db8:0:0:0:0:0:1'));
  assert.equal(canonicalAddress('::ffff:192.0.2.1'), canonicalAddress('::ffff:c000:201'));
  assert.equal(canonicalAddress('fe80::1%eth0'), 'fe80:0:0:0:0:0:0:1%eth0');
  assert.equal(canonicalAddress('192.0.2.1'), '192.0.2.1');
});
