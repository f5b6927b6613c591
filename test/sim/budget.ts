/**
 * Shared body of the budget-N.test.ts files: one subtest per block of seeds, failures reported with replay. Seeds in
 * KNOWN_CORE_FAILURES (core bugs found by the simulator, reported for a fix in src/core) must still fail the way the
 * list says; any other failure fails the budget.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { runSeed } from '../../src/sim/run.js';
import { SIMULATED_MS_DEFAULT } from '../../src/sim/knobs.js';
import { KNOWN_CORE_FAILURES } from './known-failures.js';

const SEEDS_PER_SUBTEST = 25;

export function runBudget(from: number, to: number): void {
  for (let start = from; start <= to; start += SEEDS_PER_SUBTEST) {
    const end = Math.min(to, start + SEEDS_PER_SUBTEST - 1);
    test(`seeds ${start}..${end}: no checker fails in ${SIMULATED_MS_DEFAULT / 1000} simulated seconds each`, () => {
      for (let seed = start; seed <= end; seed++) {
        const result = runSeed(seed);
        const known = KNOWN_CORE_FAILURES.get(seed);
        if (known !== undefined) {
          if (result.ok) assert.fail(`seed ${seed} passes now, though KNOWN_CORE_FAILURES says a core bug makes it fail (${known}): regenerate the list in test/sim/known-failures.ts`);
          if (result.checker !== known) assert.fail(`seed ${seed} was known to fail by checker (${known}), now by (${result.checker}): regenerate the list in test/sim/known-failures.ts if that is expected\n${result.failure}`);
          continue;
        }
        if (!result.ok) assert.fail(result.failure);
        assert.equal(result.stats.simulatedMs, SIMULATED_MS_DEFAULT);
        assert.ok(result.stats.nodes >= 2 && result.stats.nodes <= 5 && result.stats.links >= 1 && result.stats.links <= 3);
      }
    });
  }
}
