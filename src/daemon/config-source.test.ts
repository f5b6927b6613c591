import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_CONFIG_FILE, DEFAULT_HA_DIR, chooseConfigSource, describeSource } from './config-source.js';

test('the flags choose the source; without them tandem.yaml wins, else an /etc/ha.d with an ha.cf', () => {
  const none = (): boolean => false;
  assert.deepEqual(chooseConfigSource({ config: '/x.yaml' }, none), { kind: 'yaml', file: '/x.yaml' });
  assert.deepEqual(chooseConfigSource({ haDir: '/srv/ha.d' }, none), { kind: 'ha.d', dir: '/srv/ha.d' });
  assert.match((chooseConfigSource({ config: '/x.yaml', haDir: '/srv/ha.d' }, none) as { error: string }).error, /exclude each other/);
  assert.deepEqual(chooseConfigSource({}, none), { kind: 'yaml', file: DEFAULT_CONFIG_FILE }, 'nothing there: the YAML, whose absence is the error shown');
  assert.deepEqual(chooseConfigSource({}, (path) => path === `${DEFAULT_HA_DIR}/ha.cf`), { kind: 'ha.d', dir: DEFAULT_HA_DIR });
  assert.deepEqual(chooseConfigSource({}, () => true), { kind: 'yaml', file: DEFAULT_CONFIG_FILE }, 'both there: tandem.yaml wins');
  assert.equal(describeSource({ kind: 'ha.d', dir: '/etc/ha.d' }), '/etc/ha.d');
});
