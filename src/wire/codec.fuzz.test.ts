/**
 * Codec fuzz: feeds the decoder well over 100,000 hostile inputs from a seeded PRNG, so every failure reproduces.
 *
 * Method: (1) random bytes, half of them behind a valid magic and version so they reach the deeper checks;
 * (2) mutations of valid packets: bit flips, truncations, extensions, byte substitutions, insertions and deletions;
 * (3) the same mutations re-signed with the real key, as an insider could, to drive the payload parser after the MAC.
 * For every input, decode must return a well-typed result without throwing. For (2), an accepted packet must decode
 * to exactly the original header and message: no mutation may slip a changed field past the MAC.
 */
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { createHmac } from 'node:crypto';
import { linkName, nodeName, type Message } from '../core/types.js';
import type { KeyRing } from '../config/model.js';
import { SeededRandom } from '../lib/random.js';
import {
  CONFIG_DIGEST_BYTES_MAX,
  DROP_REASONS,
  LEAVE_REASON_BYTES_MAX,
  MAC_BYTES,
  NAME_BYTES_MAX,
  PACKET_BYTES_MAX,
  PROTOCOL_VERSION,
  decodePacket,
  encodePacket,
  type DecodeContext,
  type DecodeResult,
  type DropReason,
} from './codec.js';
import { CLUSTER, NODES } from './wire-fixtures.js';

const SEED = 0x7a2d_e301;
const RANDOM_INPUTS = 100_000;
const MUTATED_INPUTS = 200_000;
const RESIGNED_INPUTS = 100_000;

const FUZZ_RING: KeyRing = {
  keys: [1, 2, 3].map((id) => ({ id, secret: Buffer.from(`fuzz-secret-${id}`) })),
  sendKeyId: 1,
};
const CTX: DecodeContext = {
  cluster: CLUSTER,
  isKnownNode: (name) => (NODES as readonly string[]).includes(name),
  ring: FUZZ_RING,
};

const utf8Bytes = (text: string): number => Buffer.byteLength(text, 'utf8');
const isU32 = (n: number): boolean => Number.isInteger(n) && n >= 0 && n <= 0xffff_ffff;
const isNonNegativeFinite = (n: number): boolean => Number.isFinite(n) && n >= 0;

/** Checks the result is one of the two documented shapes with in-range fields; returns the reason or 'ok'. */
function assertTyped(result: DecodeResult): DropReason | 'ok' {
  if (!result.ok) {
    assert.deepEqual(Object.keys(result).sort(), ['detail', 'ok', 'reason']);
    assert.ok(DROP_REASONS.includes(result.reason), `unknown reason ${String(result.reason)}`);
    assert.ok(typeof result.detail === 'string' && result.detail.length > 0);
    return result.reason;
  }
  const { header, message } = result;
  assert.ok(Number.isInteger(header.version) && header.version >= 1 && header.version <= 255);
  for (const name of [header.cluster, header.sender, header.link]) {
    assert.ok(typeof name === 'string' && utf8Bytes(name) >= 1 && utf8Bytes(name) <= NAME_BYTES_MAX);
  }
  assert.ok(isU32(header.generation) && isU32(header.seq));
  assert.ok(isNonNegativeFinite(header.sentAtWallMs));
  assert.ok(Number.isInteger(header.keyId) && header.keyId >= 1 && header.keyId <= 255);
  switch (message.type) {
    case 'heartbeat':
      assert.deepEqual(Object.keys(message).sort(), ['configDigest', 'type', 'uptimeMs']);
      assert.ok(typeof message.configDigest === 'string' && utf8Bytes(message.configDigest) <= CONFIG_DIGEST_BYTES_MAX);
      assert.ok(isNonNegativeFinite(message.uptimeMs));
      break;
    case 'leave':
      assert.deepEqual(Object.keys(message).sort(), ['reason', 'type']);
      assert.ok(typeof message.reason === 'string' && utf8Bytes(message.reason) <= LEAVE_REASON_BYTES_MAX);
      break;
    default:
      assert.fail(`unexpected message ${JSON.stringify(message)}`);
  }
  return 'ok';
}

function decodeChecked(bytes: Uint8Array): { result: DecodeResult; verdict: DropReason | 'ok' } {
  let result: DecodeResult;
  try {
    result = decodePacket(bytes, CTX);
  } catch (error) {
    assert.fail(`decode threw on ${Buffer.from(bytes).toString('hex')}: ${String(error)}`);
  }
  return { result, verdict: assertTyped(result) };
}

function randomBytes(random: SeededRandom, length: number): Buffer {
  const bytes = Buffer.allocUnsafe(length);
  for (let i = 0; i < length; i++) bytes[i] = random.int(256);
  return bytes;
}

const TEXT_POOL = ['', 'a', 'é', 'ü-ß', '日本', '😀', 'x'.repeat(40), 'reason: kernel upgrade', '\u0000', '"\\'];
function randomText(random: SeededRandom, bytesMax: number): string {
  let text = '';
  for (let parts = random.int(4); parts > 0; parts--) {
    const next = text + TEXT_POOL[random.int(TEXT_POOL.length)]!;
    if (utf8Bytes(next) > bytesMax) break;
    text = next;
  }
  return text;
}

interface Original {
  readonly bytes: Buffer;
  readonly decoded: Extract<DecodeResult, { ok: true }>;
}

function validPackets(random: SeededRandom, count: number): Original[] {
  const originals: Original[] = [];
  for (let i = 0; i < count; i++) {
    const message: Message =
      random.int(2) === 0
        ? { type: 'heartbeat', configDigest: randomText(random, CONFIG_DIGEST_BYTES_MAX), uptimeMs: random.int(1e9) }
        : { type: 'leave', reason: randomText(random, LEAVE_REASON_BYTES_MAX) };
    const ring = { ...FUZZ_RING, sendKeyId: 1 + random.int(3) };
    const bytes = encodePacket(
      {
        cluster: CLUSTER,
        sender: nodeName(NODES[random.int(NODES.length)]!),
        link: linkName(['lan', 'wan', 'ring0', 'крос'][random.int(4)]!),
        generation: random.int(2 ** 32),
        seq: random.int(2 ** 32),
        sentAtWallMs: 1_700_000_000_000 + random.int(1e11),
      },
      message,
      ring,
    );
    const decoded = decodePacket(bytes, CTX);
    assert.ok(decoded.ok, 'a freshly encoded packet decodes');
    originals.push({ bytes, decoded });
  }
  return originals;
}

function mutate(random: SeededRandom, original: Buffer): Buffer {
  let bytes = Buffer.from(original);
  for (let steps = 1 + random.int(3); steps > 0; steps--) {
    const at = random.int(bytes.length + 1);
    switch (random.int(6)) {
      case 0: // bit flips
        for (let flips = 1 + random.int(4); flips > 0 && bytes.length > 0; flips--) {
          const bit = random.int(bytes.length * 8);
          bytes[bit >> 3]! ^= 1 << (bit & 7);
        }
        break;
      case 1: // truncation
        bytes = bytes.subarray(0, random.int(bytes.length + 1));
        break;
      case 2: // extension, sometimes past the size limit
        bytes = Buffer.concat([bytes, randomBytes(random, 1 + random.int(random.int(2) === 0 ? 8 : 1200))]);
        break;
      case 3: // byte substitution, biased towards boundary values
        if (bytes.length > 0) bytes[Math.min(at, bytes.length - 1)] = [0, 1, 0x7f, 0x80, 0xff][random.int(5)] ?? 0;
        break;
      case 4: // insertion
        bytes = Buffer.concat([bytes.subarray(0, at), randomBytes(random, 1 + random.int(4)), bytes.subarray(at)]);
        break;
      default: // deletion
        bytes = Buffer.concat([bytes.subarray(0, at), bytes.subarray(at + 1 + random.int(4))]);
        break;
    }
  }
  return bytes;
}

/** Recomputes the MAC over everything before the last MAC_BYTES with the key the packet names, as an insider could. */
function resign(bytes: Buffer, keyId: number): Buffer {
  if (bytes.length < MAC_BYTES) return bytes;
  const key = FUZZ_RING.keys.find((k) => k.id === keyId) ?? FUZZ_RING.keys[0]!;
  const macOffset = bytes.length - MAC_BYTES;
  const signed = Buffer.from(bytes);
  createHmac('sha256', key.secret).update(bytes.subarray(0, macOffset)).digest().copy(signed, macOffset);
  return signed;
}

function tally(counts: Map<string, number>, verdict: string): void {
  counts.set(verdict, (counts.get(verdict) ?? 0) + 1);
}

test(`random bytes (${RANDOM_INPUTS} inputs): decode never throws and always returns a typed drop`, () => {
  const random = new SeededRandom(SEED).fork(1);
  const verdicts = new Map<string, number>();
  for (let i = 0; i < RANDOM_INPUTS; i++) {
    // Mostly short inputs, where the header checks live, and some around and past the size limit.
    const length = random.int(4) === 0 ? random.int(PACKET_BYTES_MAX + 200) : random.int(300);
    const bytes = randomBytes(random, length);
    if (i % 2 === 0 && length >= 3) {
      bytes[0] = 0x54;
      bytes[1] = 0x44;
      bytes[2] = random.int(3); // versions 0, 1 and 2
    }
    const { verdict } = decodeChecked(bytes);
    assert.notEqual(verdict, 'ok', `random bytes were accepted: ${bytes.toString('hex')}`);
    tally(verdicts, verdict);
  }
  assert.ok((verdicts.get('malformed') ?? 0) > 0 && (verdicts.get('oversized') ?? 0) > 0, JSON.stringify([...verdicts]));
});

test(`mutated valid packets (${MUTATED_INPUTS} inputs): any accepted mutation decodes to exactly the original`, () => {
  const random = new SeededRandom(SEED).fork(2);
  const originals = validPackets(random, 200);
  const verdicts = new Map<string, number>();
  for (let i = 0; i < MUTATED_INPUTS; i++) {
    const original = originals[random.int(originals.length)]!;
    const mutated = mutate(random, original.bytes);
    const { result, verdict } = decodeChecked(mutated);
    tally(verdicts, verdict);
    if (result.ok) {
      assert.deepEqual(result.header, original.decoded.header, `mutant ${mutated.toString('hex')}`);
      assert.deepEqual(result.message, original.decoded.message);
    }
  }
  // The mutations reach every check before and at the MAC, so the fuzz is not stuck at the first gate.
  for (const reason of ['oversized', 'malformed', 'bad-version', 'wrong-cluster', 'unknown-node', 'unknown-key', 'bad-mac']) {
    assert.ok((verdicts.get(reason) ?? 0) > 0, `no mutant was dropped as ${reason}: ${JSON.stringify([...verdicts])}`);
  }
});

test(`re-signed mutations (${RESIGNED_INPUTS} inputs): the payload parser is strict and never throws`, () => {
  const random = new SeededRandom(SEED).fork(3);
  const originals = validPackets(random, 100);
  const verdicts = new Map<string, number>();
  for (let i = 0; i < RESIGNED_INPUTS; i++) {
    const original = originals[random.int(originals.length)]!;
    const signed = resign(mutate(random, original.bytes), original.decoded.header.keyId);
    const { result, verdict } = decodeChecked(signed);
    tally(verdicts, verdict);
    // An accepted insider packet at our own version is canonical: encoding what was decoded gives the same bytes.
    if (result.ok && result.header.version === PROTOCOL_VERSION) {
      const { header, message } = result;
      const again = encodePacket(header, message, { ...FUZZ_RING, sendKeyId: header.keyId });
      assert.deepEqual(again, signed);
    }
  }
  assert.ok((verdicts.get('ok') ?? 0) > 0 && (verdicts.get('malformed') ?? 0) > 0, JSON.stringify([...verdicts]));
});
