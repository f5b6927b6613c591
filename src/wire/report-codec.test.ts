import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import type { NodeReport } from '../core/group-types.js';
import { Reader } from './byte-reader.js';
import { PHASES, VERSION_WITH_QUORUM, encodeReport, readReport } from './report-codec.js';
import { PROTOCOL_VERSION } from './codec.js';
import { nodeName } from '../core/types.js';

const name = fc.string({ minLength: 1, maxLength: 20 });
const report: fc.Arbitrary<NodeReport> = fc.record({
  rev: fc.nat({ max: 0xffffffff }),
  leaving: fc.boolean(),
  groups: fc.uniqueArray(
    fc.record({ name, phase: fc.constantFrom(...PHASES), claim: fc.boolean(), claimEpoch: fc.nat({ max: 1000 }), grant: fc.string({ maxLength: 20 }), grantEpoch: fc.nat({ max: 1000 }), failCount: fc.nat({ max: 1000 }) }),
    { selector: (group) => group.name, maxLength: 8 },
  ),
  attributes: fc.array(fc.record({ key: name, value: fc.string({ maxLength: 30 }), version: fc.integer({ min: 1, max: 2 ** 40 }), origin: name }), { maxLength: 8 }),
  quorum: fc.record({
    alive: fc.uniqueArray(name, { maxLength: 6 }).map((names) => names.map(nodeName)),
    quorate: fc.boolean(),
    pingScore: fc.option(fc.nat({ max: 0xffff }), { nil: undefined }),
    vote: fc.string({ maxLength: 10 }),
  }),
});
const json = (value: unknown): unknown => JSON.parse(JSON.stringify(value));

test('a report survives encoding unchanged', () => {
  fc.assert(
    fc.property(report, (original) => {
      const reader = new Reader(encodeReport(original));
      assert.deepEqual(json(readReport(reader, PROTOCOL_VERSION)), json(original));
      assert.equal(reader.remaining, 0);
    }),
  );
});

test('a version 2 reader takes everything but the quorum section, which it leaves as trailing bytes', () => {
  fc.assert(
    fc.property(report, (original) => {
      const reader = new Reader(encodeReport(original));
      const { quorum: _quorum, ...older } = original;
      assert.deepEqual(json(readReport(reader, VERSION_WITH_QUORUM - 1)), json(older));
      assert.ok(reader.remaining > 0);
    }),
  );
});

test('truncated or corrupted reports are refused with a sentence, never a throw', () => {
  fc.assert(
    fc.property(report, fc.nat(), fc.integer({ min: 0, max: 255 }), (original, cut, byte) => {
      const bytes = encodeReport(original);
      const truncated = bytes.subarray(0, cut % bytes.length);
      assert.equal(typeof readReport(new Reader(Buffer.from(truncated)), PROTOCOL_VERSION), 'string');
      const mutated = Buffer.from(bytes);
      mutated[cut % mutated.length] = byte;
      const result = readReport(new Reader(mutated), PROTOCOL_VERSION);
      assert.ok(typeof result === 'string' || typeof result === 'object');
    }),
  );
});

test('a group reported twice and an unknown phase are refused', () => {
  const twice = encodeReport({ rev: 1, leaving: false, groups: [0, 1].map(() => ({ name: 'web', phase: 'running' as const, claim: false, claimEpoch: 0, grant: '', grantEpoch: 0, failCount: 0 })), attributes: [] });
  assert.match(String(readReport(new Reader(twice), PROTOCOL_VERSION)), /reported twice/);
  const bytes = encodeReport({ rev: 1, leaving: false, groups: [{ name: 'w', phase: 'running', claim: false, claimEpoch: 0, grant: '', grantEpoch: 0, failCount: 0 }], attributes: [] });
  bytes[7 + 2] = 99; // the phase byte after the 1-byte name length and 'w'
  assert.match(String(readReport(new Reader(bytes), PROTOCOL_VERSION)), /phase 99 unknown/);
});
