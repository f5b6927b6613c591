/**
 * Keeps the README's first command working: the demo builds a three-node cluster, shows every node up,
 * and removes all it created when it stops.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { labTest } from './lab.js';
import { REPO_ROOT } from './cluster.js';

labTest('npm run demo brings up three nodes and removes everything afterwards', async () => {
  const result = spawnSync(process.execPath, [join(REPO_ROOT, 'dist/test/lab/demo.js'), '--seconds', '6'], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(result.status, 0, result.stdout + result.stderr);
  assert.match(result.stdout, /all three nodes see each other up/);
  const prefix = /lab (\S+):/.exec(result.stdout)?.[1];
  assert.ok(prefix, 'the demo names its lab');
  const namespaces = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout;
  assert.ok(!namespaces.includes(prefix ?? ''), `namespaces of ${prefix} were removed`);
}, { timeout: 90_000 });
