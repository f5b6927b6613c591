/** `suggest` proposes the intended key or value for plausible typos, and nothing for unrelated words. */
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { editDistance, suggest } from './suggest.js';

const TIMINGS = ['keepalive', 'warntime', 'deadtime', 'initdead'];
const ROOT = ['cluster', 'key_file', 'timings', 'links', 'nodes', 'logging', 'state_dir', 'runtime_dir'];

test('typos suggest the nearest key', () => {
  assert.equal(suggest('deadtme', TIMINGS), 'deadtime');
  assert.equal(suggest('keepalvie', TIMINGS), 'keepalive'); // a swap of neighbours is one edit
  assert.equal(suggest('initdaed', TIMINGS), 'initdead');
  assert.equal(suggest('nodse', ROOT), 'nodes');
  assert.equal(suggest('prot', ['name', 'transport', 'port', 'group', 'ttl', 'broadcast']), 'port');
});

test('case, dashes and underscores are ignored', () => {
  assert.equal(suggest('keyFile', ROOT), 'key_file');
  assert.equal(suggest('state-dir', ROOT), 'state_dir');
  assert.equal(suggest('RUNTIMEDIR', ROOT), 'runtime_dir');
});

test('a candidate containing the word is suggested when no edit is close', () => {
  assert.equal(suggest('multicast', ['udp-unicast', 'udp-broadcast', 'udp-multicast']), 'udp-multicast');
  assert.equal(suggest('deadtime_ms', TIMINGS), 'deadtime');
});

test('unrelated words get no suggestion', () => {
  assert.equal(suggest('colour', ['name', 'links']), undefined);
  assert.equal(suggest('tcp', ['udp-unicast', 'udp-broadcast', 'udp-multicast']), undefined);
  assert.equal(suggest('', ROOT), undefined);
  assert.equal(suggest('x', ['y']), 'y'); // one edit on a one-letter word is still one edit
  assert.equal(suggest('deadtime', ['deadtime']), undefined);
});

test('edit distance', () => {
  assert.equal(editDistance('', 'abc'), 3);
  assert.equal(editDistance('kitten', 'sitting'), 3);
  assert.equal(editDistance('ab', 'ba'), 1);
  assert.equal(editDistance('same', 'same'), 0);
});
