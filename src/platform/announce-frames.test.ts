/**
 * The announcement frames byte for byte, against expectations written out by hand from RFC 5227 and
 * RFC 4861 (the NA checksum worked out below, independently of `internetChecksum`).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  announcementFrame,
  FrameInputError,
  gratuitousArp,
  internetChecksum,
  ipv6Bytes,
  macText,
  sameAddress,
  unsolicitedNeighbourAdvertisement,
} from './announce-frames.js';

const MAC = '02:74:6e:64:00:01';

function hex(...parts: string[]): string {
  return parts.join('').replace(/\s+/g, '');
}

test('gratuitous ARP for 192.0.2.100 is an RFC 5227 announcement, padded to 60 bytes', () => {
  const expected = hex(
    'ffffffffffff', // Ethernet destination: broadcast
    '02746e640001', // Ethernet source
    '0806', // ARP
    '0001 0800 06 04', // hardware Ethernet, protocol IPv4, lengths 6 and 4
    '0001', // request
    '02746e640001 c0000264', // sender MAC, sender IP 192.0.2.100
    '000000000000 c0000264', // target MAC zero, target IP = sender IP
    '00'.repeat(18), // padding 42 → 60
  );
  const frame = gratuitousArp({ address: '192.0.2.100', mac: MAC });
  assert.equal(frame.length, 60);
  assert.equal(frame.toString('hex'), expected);
  assert.deepEqual(announcementFrame({ address: '192.0.2.100', mac: MAC }), frame);
});

test('unsolicited NA for 2001:db8::100: all-nodes, hop limit 255, override, target link-layer option, checksum 0x8854', () => {
  // Checksum by hand, 16-bit words:
  //   source 2001:0db8:0000:...:0100           = 0x2001+0x0db8+0x0100          = 0x2eb9
  //   destination ff02::1                      = 0xff02+0x0001                 = 0xff03
  //   upper-layer length 32 + next header 58   = 0x0020+0x003a                 = 0x005a
  //   type/code 0x8800 + flags word 0x2000                                     = 0xa800
  //   target (= source)                                                        = 0x2eb9
  //   option 0x0201 + MAC 0x0274+0x6e64+0x0001                                 = 0x72da
  //   sum = 0x277a9 → fold 0x77a9 + 0x2 = 0x77ab → complement = 0x8854
  const expected = hex(
    '333300000001', // Ethernet destination: 33:33 + low 32 bits of ff02::1
    '02746e640001',
    '86dd',
    '60000000', // version 6, traffic class 0, flow label 0
    '0020 3a ff', // payload 32 bytes, next header ICMPv6, hop limit 255
    '20010db8000000000000000000000100', // source = the announced address
    'ff020000000000000000000000000001', // destination ff02::1
    '88 00 8854', // type 136, code 0, checksum
    '20000000', // R=0 S=0 O=1, reserved
    '20010db8000000000000000000000100', // target
    '02 01 02746e640001', // target link-layer address option, 1 × 8 bytes
  );
  const frame = unsolicitedNeighbourAdvertisement({ address: '2001:db8::100', mac: MAC });
  assert.equal(frame.length, 86);
  assert.equal(frame.toString('hex'), expected);
  // Re-summing the ICMPv6 message with its pseudo-header gives zero, as a receiver checks it.
  const pseudo = Buffer.concat([ipv6Bytes('2001:db8::100'), ipv6Bytes('ff02::1'), Buffer.from('000000200000003a', 'hex')]);
  assert.equal(internetChecksum(pseudo, frame.subarray(54)), 0);
  assert.deepEqual(announcementFrame({ address: '2001:DB8:0::100', mac: MAC }), frame);
});

test('the router flag sets R and changes the checksum accordingly', () => {
  const frame = unsolicitedNeighbourAdvertisement({ address: '2001:db8::100', mac: MAC, router: true });
  assert.equal(frame[58], 0xa0);
  assert.equal(frame.readUInt16BE(56), 0x8854 - 0x8000);
});

test('address helpers: IPv6 spellings, embedded IPv4, MAC text', () => {
  assert.equal(ipv6Bytes('::').toString('hex'), '0'.repeat(32));
  assert.equal(ipv6Bytes('::ffff:192.0.2.1').toString('hex'), '00000000000000000000ffffc0000201');
  assert.equal(ipv6Bytes('2001:db8:0:0:0:0:0:100').toString('hex'), ipv6Bytes('2001:db8::100').toString('hex'));
  assert.ok(sameAddress('2001:db8::100', '2001:0DB8::0100'));
  assert.ok(sameAddress('192.0.2.100', '192.0.2.100'));
  assert.ok(!sameAddress('192.0.2.100', '::ffff:192.0.2.100'));
  assert.equal(macText(Buffer.from('02746e640001', 'hex')), MAC);
});

test('bad inputs throw FrameInputError and build nothing', () => {
  assert.throws(() => gratuitousArp({ address: '192.0.2.300', mac: MAC }), FrameInputError);
  assert.throws(() => gratuitousArp({ address: '192.0.2.1', mac: '02:74:6e:64:00' }), FrameInputError);
  assert.throws(() => unsolicitedNeighbourAdvertisement({ address: 'fe80::1%eth0', mac: MAC }), FrameInputError);
  assert.throws(() => announcementFrame({ address: 'vip', mac: MAC }), FrameInputError);
});
