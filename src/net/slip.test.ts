/** SLIP framing: examples, then properties fuzzed with fast-check (split chunks, garbage, partial and over-long frames). */
import { strict as assert } from 'node:assert';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { SLIP_END, SLIP_ESC, SLIP_ESC_END, SLIP_ESC_ESC, SlipDecoder, slipEncode, type SlipEvent } from './slip.js';

const MAX = 64;

function framesOf(events: readonly SlipEvent[]): Buffer[] {
  return events.flatMap((event) => (event.kind === 'frame' ? [event.bytes] : []));
}

/** Feeds `bytes` to a fresh decoder in chunks cut at `cuts` (positions, any order, out-of-range ones ignored). */
function decode(bytes: Buffer, cuts: readonly number[] = [], max = MAX): SlipEvent[] {
  const decoder = new SlipDecoder(max);
  const points = [...new Set(cuts.filter((cut) => cut > 0 && cut < bytes.length))].sort((a, b) => a - b);
  const events: SlipEvent[] = [];
  let from = 0;
  for (const point of [...points, bytes.length]) {
    events.push(...decoder.push(bytes.subarray(from, point)));
    from = point;
  }
  return events;
}

/** Whether `wanted` appears in `got` in order (other frames may come between). */
function inOrder(got: readonly Buffer[], wanted: readonly Buffer[]): boolean {
  let at = 0;
  for (const frame of got) if (at < wanted.length && frame.equals(wanted[at] as Buffer)) at++;
  return at === wanted.length;
}

const frame = fc.uint8Array({ minLength: 1, maxLength: MAX }).map((bytes) => Buffer.from(bytes));
/** Bytes rich in the special values, so escapes and boundaries are exercised, not just random noise. */
const noisyByte = fc.oneof(fc.constantFrom(SLIP_END, SLIP_ESC, SLIP_ESC_END, SLIP_ESC_ESC), fc.integer({ min: 0, max: 255 }));
const garbage = fc.array(noisyByte, { maxLength: 3 * MAX, size: 'max' }).map((bytes) => Buffer.from(bytes));
const cuts = fc.array(fc.nat({ max: 4000 }), { maxLength: 20 });

describe('slip', () => {
  test('escapes END and ESC and frames with END on both sides', () => {
    assert.deepEqual([...slipEncode(Buffer.from([1, SLIP_END, 2, SLIP_ESC, 3]))], [SLIP_END, 1, SLIP_ESC, SLIP_ESC_END, 2, SLIP_ESC, SLIP_ESC_ESC, 3, SLIP_END]);
  });

  test('a frame split byte by byte comes out whole, once', () => {
    const data = Buffer.from([SLIP_END, SLIP_ESC, 0x41, SLIP_ESC_END]);
    const encoded = slipEncode(data);
    const decoder = new SlipDecoder(MAX);
    const events = [...encoded].flatMap((byte) => decoder.push(Buffer.from([byte])));
    assert.deepEqual(events, [{ kind: 'frame', bytes: data }]);
  });

  test('an over-long frame is dropped and reported; the next one is read', () => {
    const events = decode(Buffer.concat([slipEncode(Buffer.alloc(MAX + 1, 7)), slipEncode(Buffer.from('ok'))]));
    assert.deepEqual(events.map((e) => (e.kind === 'frame' ? e.bytes.toString() : e.problem)), ['oversized', 'ok']);
  });

  test('a bad escape drops the frame up to the next END', () => {
    const events = decode(Buffer.from([SLIP_END, 0x41, SLIP_ESC, 0x42, 0x43, SLIP_END, 0x44, SLIP_END]));
    assert.deepEqual(events.map((e) => (e.kind === 'frame' ? e.bytes.toString() : e.problem)), ['bad-escape', 'D']);
  });

  test('a frame of exactly the limit passes', () => {
    const data = Buffer.alloc(MAX, SLIP_ESC);
    assert.deepEqual(framesOf(decode(slipEncode(data))), [data]);
  });

  test('property: frames survive any split into chunks', () => {
    fc.assert(
      fc.property(fc.array(frame, { maxLength: 12 }), cuts, (frames, at) => {
        const got = framesOf(decode(Buffer.concat(frames.map(slipEncode)), at));
        assert.deepEqual(got, frames);
      }),
      { numRuns: 500 },
    );
  });

  test('property: garbage, partial frames and over-long frames between good frames never lose a good frame', () => {
    const debris = fc.oneof(
      garbage,
      // A frame cut off before its closing END (the peer was reset mid-frame, or we opened the line mid-frame).
      frame.chain((f) => fc.nat({ max: f.length + 1 }).map((n) => slipEncode(f).subarray(0, n))),
      // A frame over the limit.
      fc.uint8Array({ minLength: MAX + 1, maxLength: 3 * MAX }).map((bytes) => slipEncode(bytes)),
    );
    fc.assert(
      fc.property(fc.array(fc.tuple(debris, frame), { maxLength: 8 }), debris, cuts, (pairs, tail, at) => {
        const bytes = Buffer.concat([...pairs.flatMap(([junk, good]) => [junk, slipEncode(good)]), tail]);
        const events = decode(bytes, at);
        const got = framesOf(events);
        assert.ok(inOrder(got, pairs.map(([, good]) => good)), 'every good frame comes out, in order');
        // Debris yields only short-enough frames or reported errors, never a frame past the limit or an empty one.
        assert.ok(got.every((f) => f.length >= 1 && f.length <= MAX));
      }),
      { numRuns: 500 },
    );
  });

  test('property: an over-long frame is reported once and the frame after it comes out', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: MAX + 1, maxLength: 4 * MAX }), frame, cuts, (long, good, at) => {
        const events = decode(Buffer.concat([slipEncode(long), slipEncode(good)]), at);
        assert.deepEqual(events.map((e) => (e.kind === 'frame' ? 'frame' : e.problem)), ['oversized', 'frame']);
        assert.deepEqual(framesOf(events), [good]);
      }),
      { numRuns: 300 },
    );
  });

  test('property: random bytes never throw, never yield an empty or over-long frame', () => {
    fc.assert(
      fc.property(fc.array(noisyByte, { maxLength: 2000, size: 'max' }), cuts, (bytes, at) => {
        const events = decode(Buffer.from(bytes), at);
        for (const event of events) {
          if (event.kind === 'frame') assert.ok(event.bytes.length >= 1 && event.bytes.length <= MAX);
          else assert.ok(event.problem === 'oversized' || event.problem === 'bad-escape');
        }
        const ends = bytes.filter((byte) => byte === SLIP_END).length;
        assert.ok(events.length <= ends + 1, 'at most one event per END (an over-long frame reports once, before its END)');
      }),
      { numRuns: 300 },
    );
  });

  test('the decoder refuses a nonsensical limit', () => {
    assert.throws(() => new SlipDecoder(0), RangeError);
  });
});
