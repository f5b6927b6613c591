/**
 * Receive guard tests: replay, reordering within the window, too-old packets, generation bumps and stale generations,
 * plus a property check against a brute-force model that remembers every admitted packet.
 */
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { linkName, nodeName } from '../core/types.js';
import { AssertionError } from '../lib/assert.js';
import { ReceiveGuard } from './receive-guard.js';

const ALPHA = nodeName('alpha');
const BETA = nodeName('beta');
const LAN = linkName('lan');
const WAN = linkName('wan');

test('a packet seen before is a replay', () => {
  const guard = new ReceiveGuard();
  assert.equal(guard.admit(ALPHA, LAN, 1, 0), 'ok');
  assert.equal(guard.admit(ALPHA, LAN, 1, 1), 'ok');
  assert.equal(guard.admit(ALPHA, LAN, 1, 1), 'replay');
  assert.equal(guard.admit(ALPHA, LAN, 1, 0), 'replay');
});

test('reordering within the window is accepted exactly once', () => {
  const guard = new ReceiveGuard({ windowSize: 8 });
  assert.equal(guard.admit(ALPHA, LAN, 1, 10), 'ok');
  assert.equal(guard.admit(ALPHA, LAN, 1, 7), 'ok');
  assert.equal(guard.admit(ALPHA, LAN, 1, 3), 'ok'); // 10 - 3 = 7 < 8: the oldest slot still in the window
  assert.equal(guard.admit(ALPHA, LAN, 1, 7), 'replay');
  assert.equal(guard.admit(ALPHA, LAN, 1, 3), 'replay');
  assert.equal(guard.admit(ALPHA, LAN, 1, 9), 'ok');
});

test('a seq older than the window is a replay even if never seen', () => {
  const guard = new ReceiveGuard({ windowSize: 8 });
  assert.equal(guard.admit(ALPHA, LAN, 1, 100), 'ok');
  assert.equal(guard.admit(ALPHA, LAN, 1, 92), 'replay'); // 100 - 92 = 8: just outside
  assert.equal(guard.admit(ALPHA, LAN, 1, 93), 'ok');
  // A jump larger than the window forgets everything behind it.
  assert.equal(guard.admit(ALPHA, LAN, 1, 1000), 'ok');
  assert.equal(guard.admit(ALPHA, LAN, 1, 993), 'ok');
  assert.equal(guard.admit(ALPHA, LAN, 1, 100), 'replay');
});

test('the default window is 64 sequence numbers', () => {
  const guard = new ReceiveGuard();
  assert.equal(guard.admit(ALPHA, LAN, 1, 200), 'ok');
  assert.equal(guard.admit(ALPHA, LAN, 1, 137), 'ok');
  assert.equal(guard.admit(ALPHA, LAN, 1, 136), 'replay');
});

test('links and senders have independent windows', () => {
  const guard = new ReceiveGuard();
  assert.equal(guard.admit(ALPHA, LAN, 1, 5), 'ok');
  assert.equal(guard.admit(ALPHA, WAN, 1, 5), 'ok');
  assert.equal(guard.admit(BETA, LAN, 1, 5), 'ok');
  assert.equal(guard.admit(ALPHA, WAN, 1, 5), 'replay');
});

test('a generation bump resets the windows of that sender on every link', () => {
  const guard = new ReceiveGuard();
  assert.equal(guard.admit(ALPHA, LAN, 1, 500), 'ok');
  assert.equal(guard.admit(ALPHA, WAN, 1, 500), 'ok');
  assert.equal(guard.admit(ALPHA, LAN, 2, 0), 'ok'); // restarted: seq begins at 0 again
  assert.equal(guard.admit(ALPHA, WAN, 2, 0), 'ok');
  assert.equal(guard.admit(ALPHA, WAN, 2, 0), 'replay');
  assert.deepEqual([...guard.generations()], [[ALPHA, 2]]);
});

test('a lower generation than any seen from the sender, on any link, is stale', () => {
  const guard = new ReceiveGuard();
  assert.equal(guard.admit(ALPHA, LAN, 5, 0), 'ok');
  assert.equal(guard.admit(ALPHA, WAN, 4, 99), 'stale-generation');
  assert.equal(guard.admit(ALPHA, LAN, 4, 99), 'stale-generation');
  assert.equal(guard.admit(BETA, LAN, 4, 0), 'ok'); // another sender's generations are its own
  assert.deepEqual(Object.fromEntries(guard.generations()), { alpha: 5, beta: 4 });
});

test('seedGeneration refuses older boots after a restart and never lowers the remembered generation', () => {
  const guard = new ReceiveGuard();
  guard.seedGeneration(ALPHA, 9);
  assert.equal(guard.admit(ALPHA, LAN, 8, 1), 'stale-generation');
  assert.equal(guard.admit(ALPHA, LAN, 9, 1), 'ok');
  guard.seedGeneration(ALPHA, 3);
  assert.equal(guard.generations().get(ALPHA), 9);
  assert.equal(guard.admit(ALPHA, LAN, 9, 1), 'replay'); // seeding lower kept the window
  guard.seedGeneration(ALPHA, 10);
  assert.equal(guard.admit(ALPHA, LAN, 9, 2), 'stale-generation');
});

test('generations() is a copy the caller cannot use to change the guard', () => {
  const guard = new ReceiveGuard();
  guard.admit(ALPHA, LAN, 3, 0);
  const view = guard.generations() as Map<typeof ALPHA, number>;
  view.set(ALPHA, 0);
  assert.equal(guard.generations().get(ALPHA), 3);
});

test('bad options and out-of-range numbers are programmer errors', () => {
  assert.throws(() => new ReceiveGuard({ windowSize: 0 }), AssertionError);
  assert.throws(() => new ReceiveGuard({ windowSize: 1.5 }), AssertionError);
  assert.throws(() => new ReceiveGuard().admit(ALPHA, LAN, -1, 0), AssertionError);
  assert.throws(() => new ReceiveGuard().admit(ALPHA, LAN, 0, 2 ** 32), AssertionError);
});

test('agrees with a brute-force model on random traffic', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 16 }),
      fc.array(
        fc.record({
          sender: fc.constantFrom(ALPHA, BETA),
          link: fc.constantFrom(LAN, WAN),
          generation: fc.integer({ min: 0, max: 3 }),
          seq: fc.integer({ min: 0, max: 60 }),
        }),
        { maxLength: 200 },
      ),
      (windowSize, packets) => {
        const guard = new ReceiveGuard({ windowSize });
        const generation = new Map<string, number>();
        const admitted = new Map<string, Set<number>>(); // `${sender}/${link}` → seqs of the current generation
        const highest = new Map<string, number>();
        for (const p of packets) {
          const known = generation.get(p.sender);
          let expected: 'ok' | 'replay' | 'stale-generation';
          if (known !== undefined && p.generation < known) {
            expected = 'stale-generation';
          } else {
            if (known === undefined || p.generation > known) {
              generation.set(p.sender, p.generation);
              for (const key of [...admitted.keys()]) {
                if (key.startsWith(`${p.sender}/`)) {
                  admitted.delete(key);
                  highest.delete(key);
                }
              }
            }
            const key = `${p.sender}/${p.link}`;
            const seen = admitted.get(key) ?? new Set<number>();
            const top = highest.get(key) ?? -1;
            if (seen.has(p.seq) || (top >= 0 && top - p.seq >= windowSize)) {
              expected = 'replay';
            } else {
              expected = 'ok';
              seen.add(p.seq);
              admitted.set(key, seen);
              highest.set(key, Math.max(top, p.seq));
            }
          }
          assert.equal(guard.admit(p.sender, p.link, p.generation, p.seq), expected, JSON.stringify(p));
        }
      },
    ),
    { numRuns: 500, seed: 0x6a7d },
  );
});
