#!/usr/bin/env node
// Runs the compiled test files with node's own test runner, in three groups:
// unit (beside the source), sim (the simulator budget) and lab (root-only network-namespace tests).
// Prints one closing line "tests: N passed, N failed, N skipped" and, when TANDEM_REQUIRE_LAB=1
// (set by .ci/run), fails if any test was skipped: in CI every root-only test must really run.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';

const groups = process.argv.slice(2);
const wanted = groups.length > 0 ? groups : ['unit', 'sim', 'lab'];
const roots = { unit: ['dist/src'], sim: ['dist/test/sim'], lab: ['dist/test/lab', 'dist/test/platform'] };
const concurrency = { unit: 2, sim: 2, lab: 1 };

function findTests(dir) {
  let out = [];
  let entries;
  try { entries = readdirSync(dir); } catch { return out; }
  for (const entry of entries) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) out = out.concat(findTests(path));
    else if (entry.endsWith('.test.js')) out.push(path);
  }
  return out.sort();
}

const totals = { pass: 0, fail: 0, skipped: 0, todo: 0 };
let failedRun = false;
for (const group of wanted) {
  const files = (roots[group] ?? []).flatMap(findTests);
  if (files.length === 0) { console.log(`[${group}] no test files`); continue; }
  const tapFile = join(tmpdir(), `tandem-tests-${process.pid}-${group}.tap`);
  console.log(`\n=== ${group}: ${files.length} file(s) ===`);
  const result = spawnSync(process.execPath, [
    '--enable-source-maps', '--test', `--test-concurrency=${concurrency[group]}`,
    '--test-reporter=spec', '--test-reporter-destination=stdout',
    '--test-reporter=tap', `--test-reporter-destination=${tapFile}`,
    ...files,
  ], { stdio: 'inherit' });
  const tap = readFileSync(tapFile, 'utf8');
  rmSync(tapFile, { force: true });
  for (const key of Object.keys(totals)) {
    const m = new RegExp(`^# ${key} (\\d+)$`, 'm').exec(tap);
    if (m) totals[key] += Number(m[1]);
  }
  if (result.status !== 0) failedRun = true;
}

console.log(`\ntests: ${totals.pass} passed, ${totals.fail} failed, ${totals.skipped} skipped`);
if (process.env.TANDEM_REQUIRE_LAB === '1' && totals.skipped > 0) {
  console.error(`${totals.skipped} test(s) were skipped, but TANDEM_REQUIRE_LAB=1 requires every root-only test to run`);
  process.exit(1);
}
process.exit(failedRun || totals.fail > 0 ? 1 : 0);
