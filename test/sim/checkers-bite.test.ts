/**
 * The checkers are only worth their silence if they fail on a broken system. Each deliberately broken variant
 * (a core that declares death at half deadtime, a receive path without the replay guard, a core that stops sending
 * after a pause) must be caught, by the checker meant for it, on most seeds, with a replay command.
 * Also: a run depends on the seed alone.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { replayCommand, runSeed } from '../../src/sim/run.js';
import type { BrokenVariant } from '../../src/sim/world.js';

const SEEDS = Array.from({ length: 10 }, (_, i) => i + 1);

function caught(broken: BrokenVariant, checker: string): void {
  let failures = 0;
  for (const seed of SEEDS) {
    const result = runSeed(seed, { broken });
    if (result.ok) continue;
    failures += 1;
    assert.equal(result.checker, checker, result.failure);
    assert.equal(result.replayCommand, `npm run sim -- --seed ${seed} --broken ${broken}`);
    assert.ok(result.failure.startsWith(`seed ${seed} failed: SimFailure: checker (${checker})`), result.failure);
    assert.ok(result.failure.endsWith(`replay: ${result.replayCommand}`), result.failure);
  }
  assert.ok(failures >= SEEDS.length / 2, `${broken}: only ${failures} of ${SEEDS.length} seeds caught`);
}

test('checker (a) catches a core that declares peers dead at half deadtime', () => caught('dead-too-early', 'a'));
test('checker (b) catches a receive path without the replay guard', () => caught('no-replay-guard', 'b'));
test('checker (c) catches a node that goes silent after a pause', () => caught('silent-after-pause', 'c'));

test('a run depends only on its seed: same seed, same trace and stats; the plain replay command is --seed N', () => {
  const traces: string[][] = [[], []];
  const results = traces.map((lines) => runSeed(7, { trace: (line) => lines.push(line) }));
  assert.deepEqual(results[0], results[1]);
  assert.deepEqual(traces[0], traces[1]);
  assert.ok((traces[0]?.length ?? 0) > 100);
});

test('the replay command names only what the seed did not draw', () => {
  assert.equal(replayCommand(42, {}), 'npm run sim -- --seed 42');
  assert.equal(replayCommand(42, { nodes: 4, links: 2, simulatedMs: 90_000 }), 'npm run sim -- --seed 42 --nodes 4 --links 2 --ms 90000');
});
