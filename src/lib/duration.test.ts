import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatDuration, parseDuration } from './duration.js';

test('durations need a unit and convert to milliseconds', () => {
  assert.deepEqual(parseDuration('200ms'), { ok: true, ms: 200 });
  assert.deepEqual(parseDuration('2s'), { ok: true, ms: 2000 });
  assert.deepEqual(parseDuration('1.5s'), { ok: true, ms: 1500 });
  assert.deepEqual(parseDuration(' 1m '), { ok: true, ms: 60_000 });
  for (const bad of ['10', 'ten', '-1s', '1 sec', '', 's']) assert.equal(parseDuration(bad).ok, false, bad);
});

test('formatted durations read naturally', () => {
  assert.equal(formatDuration(150), '150ms');
  assert.equal(formatDuration(2000), '2s');
  assert.equal(formatDuration(1500), '1.5s');
  assert.equal(formatDuration(125_000), '2m5s');
  assert.equal(formatDuration(3_720_000), '1h2m');
});
