/**
 * Codec tests: round trips by property, the documented byte layout, one crafted packet per drop reason, key rotation,
 * forward compatibility and the encoder's assertions. Packets are crafted by an independent builder (`frame`) that
 * follows the layout in the module comment, so the comment and the code are checked against each other.
 */
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { AssertionError } from '../lib/assert.js';
import { linkName, nodeName, type Message } from '../core/types.js';
import {
  CONFIG_DIGEST_BYTES_MAX,
  DROP_REASONS,
  LEAVE_REASON_BYTES_MAX,
  NAME_BYTES_MAX,
  PACKET_BYTES_MAX,
  PROTOCOL_VERSION,
  decodePacket,
  encodePacket,
  linkMismatch,
  wireText,
  type DecodeResult,
  type DropReason,
  type EncodeInput,
} from './codec.js';
import { CLUSTER, HEARTBEAT, LEAVE, RING, context, input, ring } from './wire-fixtures.js';

interface FrameFields {
  magic?: readonly [number, number];
  version?: number;
  messageType?: number;
  cluster?: string;
  sender?: string;
  link?: string;
  generation?: number;
  seq?: number;
  sentAtWallMs?: number;
  keyId?: number;
  payload?: Buffer;
  secret?: Buffer;
}

const SECRET_1 = Buffer.from('secret-1', 'utf8');

/** A heartbeat payload as this version writes it (report flag 0 = no report); `version1` leaves the flag out. */
function heartbeatPayload(configDigest: string, uptimeMs: number, version1 = false): Buffer {
  const digest = Buffer.from(configDigest, 'utf8');
  const uptime = Buffer.alloc(8);
  uptime.writeDoubleBE(uptimeMs);
  return Buffer.concat([Buffer.from([digest.length]), digest, uptime, Buffer.from(version1 ? [] : [0])]);
}

/** Builds a packet byte by byte from the documented layout, with a valid MAC unless told otherwise. */
function frame(fields: FrameFields = {}): Buffer {
  const name = (text: string): Buffer => {
    const bytes = Buffer.from(text, 'utf8');
    return Buffer.concat([Buffer.from([bytes.length]), bytes]);
  };
  const numbers = Buffer.alloc(4 + 4 + 8 + 1);
  numbers.writeUInt32BE(fields.generation ?? 7, 0);
  numbers.writeUInt32BE(fields.seq ?? 42, 4);
  numbers.writeDoubleBE(fields.sentAtWallMs ?? 1_760_000_000_123, 8);
  numbers.writeUInt8(fields.keyId ?? 1, 16);
  const payload = fields.payload ?? heartbeatPayload('c0ffee12', 93_000);
  const payloadLength = Buffer.alloc(2);
  payloadLength.writeUInt16BE(payload.length);
  const covered = Buffer.concat([
    Buffer.from(fields.magic ?? [0x54, 0x44]),
    Buffer.from([fields.version ?? PROTOCOL_VERSION, fields.messageType ?? 1]),
    name(fields.cluster ?? CLUSTER),
    name(fields.sender ?? 'alpha'),
    name(fields.link ?? 'lan'),
    numbers,
    payloadLength,
    payload,
  ]);
  const mac = createHmac('sha256', fields.secret ?? SECRET_1).update(covered).digest();
  return Buffer.concat([covered, mac]);
}

function expectDrop(result: DecodeResult, reason: DropReason, detailPattern?: RegExp): void {
  assert.equal(result.ok, false, `expected a '${reason}' drop, got ${JSON.stringify(result)}`);
  if (result.ok) return;
  assert.equal(result.reason, reason, `detail: ${result.detail}`);
  assert.ok(result.detail.length > 0);
  if (detailPattern) assert.match(result.detail, detailPattern);
}

function expectOk(result: DecodeResult): Extract<DecodeResult, { ok: true }> {
  assert.equal(result.ok, true, `expected acceptance, got ${JSON.stringify(result)}`);
  if (!result.ok) throw new Error('unreachable');
  return result;
}

// --- round trips -----------------------------------------------------------------------------------------------

const utf8Bytes = (text: string): number => Buffer.byteLength(text, 'utf8');
const nameArb = fc
  .string({ unit: 'binary', minLength: 1, maxLength: NAME_BYTES_MAX })
  .filter((s) => utf8Bytes(s) >= 1 && utf8Bytes(s) <= NAME_BYTES_MAX);
const u32Arb = fc.integer({ min: 0, max: 0xffff_ffff });
const nonNegativeDoubleArb = fc.double({ min: 0, noNaN: true, noDefaultInfinity: true });
const messageArb: fc.Arbitrary<Message> = fc.oneof(
  fc.record({
    type: fc.constant('heartbeat' as const),
    configDigest: fc
      .string({ unit: 'binary', maxLength: CONFIG_DIGEST_BYTES_MAX })
      .filter((s) => utf8Bytes(s) <= CONFIG_DIGEST_BYTES_MAX),
    uptimeMs: nonNegativeDoubleArb,
  }),
  fc.record({
    type: fc.constant('leave' as const),
    reason: fc
      .string({ unit: 'binary', maxLength: LEAVE_REASON_BYTES_MAX })
      .filter((s) => utf8Bytes(s) <= LEAVE_REASON_BYTES_MAX),
  }),
);

test('decode(encode(x)) deep-equals x, for every header field and both message types', () => {
  fc.assert(
    fc.property(
      fc.record({
        cluster: nameArb,
        sender: nameArb,
        link: nameArb,
        generation: u32Arb,
        seq: u32Arb,
        sentAtWallMs: nonNegativeDoubleArb,
      }),
      fc.integer({ min: 1, max: 255 }),
      messageArb,
      (fields, keyId, message) => {
        const sendRing = { keys: [{ id: keyId, secret: Buffer.from(`k${keyId}`) }], sendKeyId: keyId };
        const encodeInput: EncodeInput = { ...fields, sender: nodeName(fields.sender), link: linkName(fields.link) };
        const packet = encodePacket(encodeInput, message, sendRing);
        assert.ok(packet.length <= PACKET_BYTES_MAX);
        const result = expectOk(
          decodePacket(packet, { cluster: fields.cluster, isKnownNode: (n) => n === fields.sender, ring: sendRing }),
        );
        assert.deepEqual(result.header, { version: PROTOCOL_VERSION, keyId, ...fields });
        // fast-check builds records without a prototype; compare as plain objects.
        assert.deepEqual(result.message, { ...message });
      },
    ),
    { numRuns: 2000, seed: 0x7a4d },
  );
});

test('the encoder writes exactly the layout documented in the module comment', () => {
  assert.deepEqual(encodePacket(input(), HEARTBEAT, RING), frame());
  const leavePayload = Buffer.concat([Buffer.from([0, 4]), Buffer.from('bye!'), Buffer.from([0])]);
  assert.deepEqual(
    encodePacket(input(), { type: 'leave', reason: 'bye!' }, RING),
    frame({ messageType: 2, payload: leavePayload }),
  );
});

test('a packet that is a view into a larger buffer decodes (byteOffset is honoured)', () => {
  const packet = encodePacket(input(), LEAVE, RING);
  const big = new Uint8Array(packet.length + 20);
  big.set(packet, 10);
  const result = expectOk(decodePacket(big.subarray(10, 10 + packet.length), context()));
  assert.deepEqual(result.message, LEAVE);
});

// --- drop reasons ------------------------------------------------------------------------------------------------

test('oversized: more than PACKET_BYTES_MAX bytes, checked before anything else', () => {
  expectDrop(decodePacket(new Uint8Array(PACKET_BYTES_MAX + 1), context()), 'oversized', /1401 bytes/);
  // Exactly the maximum is not oversized (it is garbage, so malformed).
  expectDrop(decodePacket(new Uint8Array(PACKET_BYTES_MAX), context()), 'malformed');
});

test('malformed: truncation at every length, bad magic, trailing bytes, bad names, bad numbers', () => {
  const packet = encodePacket(input(), HEARTBEAT, RING);
  for (let length = 0; length < packet.length; length++) {
    expectDrop(decodePacket(packet.subarray(0, length), context()), 'malformed');
  }
  expectDrop(decodePacket(Buffer.concat([packet, Buffer.from([0])]), context()), 'malformed', /after the MAC/);
  expectDrop(decodePacket(frame({ magic: [0x3e, 0x3e] }), context()), 'malformed', /magic 0x3e3e/);
  expectDrop(decodePacket(frame({ cluster: '' }), context()), 'malformed', /cluster name is 0 bytes/);
  expectDrop(decodePacket(frame({ sender: 'x'.repeat(65) }), context()), 'malformed', /sender name is 65 bytes/);
  expectDrop(decodePacket(frame({ keyId: 0 }), context()), 'malformed', /key id 0/);
  expectDrop(decodePacket(frame({ sentAtWallMs: Number.NaN }), context()), 'malformed', /sentAtWallMs/);
  expectDrop(decodePacket(frame({ sentAtWallMs: -1 }), context()), 'malformed', /sentAtWallMs/);
  const badUtf8 = frame({ link: 'lan' });
  badUtf8[2 + 2 + 1 + CLUSTER.length + 1 + 'alpha'.length + 1] = 0xff; // first byte of the link name
  expectDrop(decodePacket(badUtf8, context()), 'malformed', /link name is not valid UTF-8/);
});

test('bad-version: older than PROTOCOL_VERSION_MIN', () => {
  expectDrop(decodePacket(frame({ version: 0 }), context()), 'bad-version', /version 0/);
});

test('wrong-cluster, unknown-node, unknown-key, bad-mac', () => {
  const packet = encodePacket(input(), HEARTBEAT, RING);
  expectDrop(decodePacket(packet, context({ cluster: 'other' })), 'wrong-cluster', /"prod-db"/);
  expectDrop(decodePacket(encodePacket(input({ sender: nodeName('mallory') }), HEARTBEAT, RING), context()), 'unknown-node');
  expectDrop(decodePacket(packet, context({ ring: ring([2], 2) })), 'unknown-key', /key id 1/);
  const wrongSecret = { keys: [{ id: 1, secret: Buffer.from('not the secret') }], sendKeyId: 1 };
  expectDrop(decodePacket(encodePacket(input(), HEARTBEAT, wrongSecret), context()), 'bad-mac');
});

test('the MAC covers every byte before it: flipping any one bit of a valid packet is refused', () => {
  const packet = encodePacket(input(), LEAVE, RING);
  for (let i = 0; i < packet.length * 8; i++) {
    const mutated = Buffer.from(packet);
    mutated[i >> 3]! ^= 1 << (i & 7);
    const result = decodePacket(mutated, context());
    assert.equal(result.ok, false, `bit ${i} flipped was accepted`);
  }
});

test('malformed payload after the MAC: garbage bodies, out-of-range numbers, trailing bytes', () => {
  const cases: [Buffer, RegExp][] = [
    [Buffer.from([0x05, 0x61]), /truncated inside heartbeat configDigest/],
    [Buffer.from([0x01, 0x61, 0, 0]), /heartbeat truncated before uptimeMs/],
    [Buffer.alloc(0), /truncated before the length of heartbeat configDigest/],
    [heartbeatPayload('x', Number.POSITIVE_INFINITY), /uptimeMs is Infinity/],
    [heartbeatPayload('x', -5), /uptimeMs is -5/],
    [Buffer.concat([Buffer.from([CONFIG_DIGEST_BYTES_MAX + 1]), Buffer.alloc(CONFIG_DIGEST_BYTES_MAX + 9)]), /allowed 0\.\.128/],
    [Buffer.concat([heartbeatPayload('x', 1), Buffer.from([0])]), /1 bytes after the heartbeat payload/],
    [heartbeatPayload('x', 1, true), /heartbeat truncated before its report flag/],
    [Buffer.concat([heartbeatPayload('x', 1, true), Buffer.from([2])]), /heartbeat report flag is 2/],
    [Buffer.concat([heartbeatPayload('x', 1, true), Buffer.from([1, 0, 0])]), /report truncated in its header/],
    [Buffer.concat([Buffer.from([1, 0xc3]), Buffer.alloc(8)]), /not valid UTF-8/],
  ];
  for (const [payload, detail] of cases) {
    expectDrop(decodePacket(frame({ payload }), context()), 'malformed', detail);
  }
  expectDrop(decodePacket(frame({ messageType: 2, payload: Buffer.from([0, 9, 0x61]) }), context()), 'malformed', /leave reason/);
  expectDrop(decodePacket(frame({ messageType: 0 }), context()), 'malformed', /message type 0 is unknown/);
});

test('link mismatch: the header names its link and the MAC binds it, so another link cannot pass it off', () => {
  const packet = encodePacket(input({ link: linkName('lan') }), HEARTBEAT, RING);
  const result = expectOk(decodePacket(packet, context()));
  assert.equal(linkMismatch(result.header, linkName('lan')), false);
  assert.equal(linkMismatch(result.header, linkName('wan')), true);
  // Rewriting the link name inside the packet (same length) breaks the MAC.
  const rewritten = Buffer.from(packet.toString('latin1').replace('\x03lan', '\x03wan'), 'latin1');
  assert.notDeepEqual(rewritten, packet);
  expectDrop(decodePacket(rewritten, context()), 'bad-mac');
});

test("DROP_REASONS lists every reason once, in check order (the codec's, then the guard's)", () => {
  assert.deepEqual([...DROP_REASONS], [
    'oversized',
    'malformed',
    'bad-version',
    'wrong-cluster',
    'unknown-node',
    'unknown-key',
    'bad-mac',
    'stale-generation',
    'replay',
  ]);
});

test('checks run in order: a packet wrong in several ways gets the earliest reason', () => {
  const strangerCtx = context({ cluster: 'other', isKnownNode: () => false, ring: ring([9], 9) });
  expectDrop(decodePacket(frame({ version: 0, secret: Buffer.from('x') }), strangerCtx), 'bad-version');
  expectDrop(decodePacket(frame({ secret: Buffer.from('x') }), strangerCtx), 'wrong-cluster');
  expectDrop(decodePacket(frame({ secret: Buffer.from('x') }), context({ isKnownNode: () => false })), 'unknown-node');
  expectDrop(decodePacket(frame({ keyId: 9, secret: Buffer.from('x') }), context()), 'unknown-key');
  // A garbage payload under a bad MAC is a MAC failure: nothing in the payload is read before authentication.
  expectDrop(decodePacket(frame({ payload: Buffer.from([1]), secret: Buffer.from('x') }), context()), 'bad-mac');
});

// --- key rotation --------------------------------------------------------------------------------------------------

test('key rotation: sent with key 2 of {1,2}; accepted by {1,2} sending with 1 and by {2}; refused by {1}', () => {
  const packet = encodePacket(input(), HEARTBEAT, ring([1, 2], 2));
  const viaBoth = expectOk(decodePacket(packet, context({ ring: ring([1, 2], 1) })));
  assert.equal(viaBoth.header.keyId, 2);
  assert.deepEqual(viaBoth.message, HEARTBEAT);
  assert.equal(expectOk(decodePacket(packet, context({ ring: ring([2], 2) }))).header.keyId, 2);
  expectDrop(decodePacket(packet, context({ ring: ring([1], 1) })), 'unknown-key', /key id 2/);
});

// --- forward compatibility -----------------------------------------------------------------------------------------

test('a newer version is accepted; its appended payload fields are ignored, its unknown types are malformed', () => {
  const extended = Buffer.concat([heartbeatPayload('d1', 5), Buffer.from('new field')]);
  const result = expectOk(decodePacket(frame({ version: PROTOCOL_VERSION + 1, payload: extended }), context()));
  assert.equal(result.header.version, PROTOCOL_VERSION + 1);
  assert.deepEqual(result.message, { type: 'heartbeat', configDigest: 'd1', uptimeMs: 5 });
  expectDrop(
    decodePacket(frame({ version: PROTOCOL_VERSION + 1, messageType: 9 }), context()),
    'malformed',
    new RegExp(`message type 9 is unknown: sender speaks protocol version ${PROTOCOL_VERSION + 1}, this node ${PROTOCOL_VERSION}`),
  );
});

test('version 1 (before reports) is still heard: its heartbeat has no report section', () => {
  const result = expectOk(decodePacket(frame({ version: 1, payload: heartbeatPayload('d1', 5, true) }), context()));
  assert.deepEqual(result.message, { type: 'heartbeat', configDigest: 'd1', uptimeMs: 5 });
});

test('a heartbeat carries the sender report, and it survives the round trip', () => {
  const report = {
    rev: 7,
    leaving: false,
    groups: [{ name: 'web', phase: 'running' as const, claim: false, claimEpoch: 0, grant: '', grantEpoch: 0, failCount: 1 }],
    attributes: [{ key: 'standby/beta', value: '1', version: 3, origin: 'alpha' }],
    quorum: { alive: [nodeName('beta')], quorate: true, pingScore: 2, vote: '' },
  };
  const message = { ...HEARTBEAT, report };
  assert.deepEqual(expectOk(decodePacket(encodePacket(input(), message, RING), context())).message, message);
});

// --- encoder assertions --------------------------------------------------------------------------------------------

test('encodePacket asserts on programmer errors and fits the largest valid message in one packet', () => {
  const throwsAssertion = (fn: () => unknown, pattern: RegExp): void => {
    assert.throws(fn, (error: unknown) => error instanceof AssertionError && pattern.test(error.message));
  };
  throwsAssertion(() => encodePacket(input({ cluster: 'c'.repeat(65) }), HEARTBEAT, RING), /cluster is 65 UTF-8 bytes/);
  throwsAssertion(() => encodePacket(input({ sender: nodeName('') }), HEARTBEAT, RING), /sender name must not be empty/);
  throwsAssertion(() => encodePacket(input({ link: linkName('l\uD800') }), HEARTBEAT, RING), /lone surrogate/);
  throwsAssertion(() => encodePacket(input({ seq: 2 ** 32 }), HEARTBEAT, RING), /seq must be a u32/);
  throwsAssertion(() => encodePacket(input({ generation: -1 }), HEARTBEAT, RING), /generation must be a u32/);
  throwsAssertion(() => encodePacket(input({ sentAtWallMs: Number.NaN }), HEARTBEAT, RING), /sentAtWallMs/);
  throwsAssertion(() => encodePacket(input(), HEARTBEAT, ring([1], 3)), /send key id 3 is not in the key ring/);
  throwsAssertion(() => encodePacket(input(), HEARTBEAT, ring([0], 0)), /send key id out of range/);
  throwsAssertion(
    () => encodePacket(input(), { type: 'leave', reason: 'r'.repeat(LEAVE_REASON_BYTES_MAX + 1) }, RING),
    /leave reason is 513 UTF-8 bytes/,
  );
  throwsAssertion(
    () => encodePacket(input(), { type: 'heartbeat', configDigest: 'x', uptimeMs: Number.POSITIVE_INFINITY }, RING),
    /uptimeMs/,
  );
  const longest = encodePacket(
    input({ cluster: 'c'.repeat(64), sender: nodeName('s'.repeat(64)), link: linkName('l'.repeat(64)) }),
    { type: 'leave', reason: 'r'.repeat(LEAVE_REASON_BYTES_MAX) },
    RING,
  );
  assert.ok(longest.length <= PACKET_BYTES_MAX, `${longest.length} bytes`);
});

test('wireText fits free text: lone surrogates replaced, cut at a code point within the byte budget', () => {
  assert.equal(wireText('plain', 100), 'plain');
  assert.equal(wireText('a\uD800b', 100), 'a\uFFFDb');
  assert.equal(wireText('ééé', 5), 'éé'); // é is 2 bytes; the third does not fit
  assert.equal(wireText('a😀', 4), 'a'); // the emoji is 4 bytes and is not split
  const fitted = wireText('x'.repeat(10_000), LEAVE_REASON_BYTES_MAX);
  assert.equal(Buffer.byteLength(fitted), LEAVE_REASON_BYTES_MAX);
  const packet = encodePacket(input(), { type: 'leave', reason: fitted }, RING);
  assert.equal(expectOk(decodePacket(packet, context())).message.type, 'leave');
});
