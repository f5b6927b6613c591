/**
 * Drop counter tests: every reason present from the start, counts per reason, and snapshots that are copies.
 */
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { DROP_REASONS } from './codec.js';
import { DropCounters } from './drop-counters.js';

test('a fresh counter has every reason at 0', () => {
  const counters = new DropCounters();
  const snapshot = counters.snapshot();
  assert.deepEqual(Object.keys(snapshot).sort(), [...DROP_REASONS].sort());
  assert.ok(Object.values(snapshot).every((count) => count === 0));
  assert.equal(counters.total(), 0);
});

test('records count by reason and add up in total()', () => {
  const counters = new DropCounters();
  counters.record('bad-mac');
  counters.record('bad-mac');
  counters.record('replay');
  const snapshot = counters.snapshot();
  assert.equal(snapshot['bad-mac'], 2);
  assert.equal(snapshot.replay, 1);
  assert.equal(snapshot.oversized, 0);
  assert.equal(counters.total(), 3);
});

test('a snapshot is a copy', () => {
  const counters = new DropCounters();
  const before = counters.snapshot();
  counters.record('malformed');
  assert.equal(before.malformed, 0);
  before.malformed = 99;
  assert.equal(counters.snapshot().malformed, 1);
});
