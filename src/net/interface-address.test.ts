import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { NetworkInterfaceInfo } from 'node:os';
import { interfaceAddress, isAnyAddress } from './interface-address.js';

const info = (address: string, family: 'IPv4' | 'IPv6'): NetworkInterfaceInfo =>
  ({ address, family, netmask: family === 'IPv4' ? '255.255.255.0' : 'ffff:ffff:ffff:ffff::', mac: '00:00:00:00:00:00', internal: false, cidr: null, ...(family === 'IPv6' ? { scopeid: 0 } : {}) }) as NetworkInterfaceInfo;

test("a bcast/mcast link from ha.cf binds to the interface's address: IPv4, a global IPv6 before a link-local one, or why not", () => {
  const interfaces = { eth0: [info('fe80::1', 'IPv6'), info('192.0.2.10', 'IPv4'), info('2001:db8::10', 'IPv6')], eth1: [info('fe80::2', 'IPv6')] };
  assert.deepEqual(interfaceAddress('eth0', 4, interfaces), { address: '192.0.2.10' });
  assert.deepEqual(interfaceAddress('eth0', 6, interfaces), { address: '2001:db8::10' });
  assert.deepEqual(interfaceAddress('eth1', 6, interfaces), { address: 'fe80::2' });
  assert.deepEqual(interfaceAddress('eth1', 4, interfaces), { problem: 'interface eth1 has no IPv4 address' });
  assert.deepEqual(interfaceAddress('eth9', 4, interfaces), { problem: 'interface eth9 does not exist on this node' });
  assert.ok(isAnyAddress('0.0.0.0') && isAnyAddress('::') && !isAnyAddress('192.0.2.10') && !isAnyAddress('2001:db8::1'));
});
