#!/usr/bin/env node
// Builds the netraw addon (native/netraw.c → build/Release/netraw.node) with node-gyp, offline.
//
// node-gyp is taken from the project's node_modules if present, else from the copy bundled with npm; the
// Node headers come from the running node's own prefix (--nodedir, e.g. /usr → /usr/include/node), so
// node-gyp never tries to download them. With --optional, a failed build prints a warning and exits 0:
// tandem then announces VIPs with `arping` (IPv4 only, one frame per second).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const optional = process.argv.includes('--optional');
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const nodedir = dirname(dirname(process.execPath));

function fail(message) {
  console.error(`native/build.mjs: ${message}`);
  if (optional) {
    console.error('native/build.mjs: continuing without the netraw addon; VIPs will be announced with arping (IPv4 only, 1 frame/s)');
    process.exit(0);
  }
  process.exit(1);
}

function findNodeGyp() {
  const candidates = [];
  try {
    candidates.push(createRequire(join(root, 'package.json')).resolve('node-gyp/bin/node-gyp.js'));
  } catch {
    // not a dependency of the project: try npm's own copy below
  }
  if (process.env.npm_execpath) candidates.push(join(dirname(process.env.npm_execpath), '..', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  candidates.push(join(nodedir, 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  return candidates.find((path) => existsSync(path));
}

if (!existsSync(join(nodedir, 'include', 'node', 'node_api.h'))) {
  fail(`no Node headers under ${nodedir}/include/node (Debian's nodejs: apt-get install libnode-dev; NodeSource's nodejs ships them)`);
}
const gyp = findNodeGyp();
if (!gyp) fail('node-gyp not found (neither in node_modules nor bundled with npm)');
const result = spawnSync(process.execPath, [gyp, 'rebuild', `--nodedir=${nodedir}`], { cwd: root, stdio: 'inherit' });
if (result.status !== 0) fail(`node-gyp rebuild failed (exit ${result.status ?? result.signal}); it needs python3, make and g++`);
if (!existsSync(join(root, 'build', 'Release', 'netraw.node'))) fail('node-gyp succeeded but build/Release/netraw.node is missing');
console.log('native/build.mjs: built build/Release/netraw.node');
