/**
 * Runs the heartbeat-compatibility scenarios (heartbeat-real.ts: runScenarios) against the real heartbeat 3.0.6
 * from Debian's `heartbeat` package in a lab, and writes what its commands printed and returned to
 * test/lab/heartbeat-captures/ (one `<id>.txt` per command, `index.txt` in scenario order), so unit tests can
 * compare tandem's cl_status, hb_standby and hb_takeover with heartbeat's without running heartbeat.
 *
 *   cd /work/main && npx tsc -p tsconfig.json --outDir .build-hbreal && sudo node .build-hbreal/test/lab/capture-heartbeat.js [DIR]
 *
 * Needs root (network namespaces) and the heartbeat package. The outputs are heartbeat's own, verbatim (the date in
 * hb_standby's log line and the build hash in `hbstatus -v` included).
 */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Lab, isRoot } from './lab.js';
import { type Capture, CAPTURE_DIR, HaLabCluster, HeartbeatSide, SCENARIO_CLUSTER, SCENARIO_LAB, formatCapture, haCfText, haresourcesText, heartbeatMissing, runScenarios } from './heartbeat-real.js';

async function main(): Promise<number> {
  const dir = process.argv[2] ?? CAPTURE_DIR;
  if (!isRoot()) {
    process.stderr.write('capture-heartbeat: needs root (network namespaces)\n');
    return 2;
  }
  const missing = heartbeatMissing();
  if (missing) {
    process.stderr.write(`capture-heartbeat: ${missing}\n`);
    return 2;
  }
  const lab = await Lab.create(SCENARIO_LAB);
  let captures: Capture[];
  const started = Date.now();
  try {
    const cluster = await HaLabCluster.create(lab, SCENARIO_CLUSTER);
    captures = await runScenarios(new HeartbeatSide(cluster), { log: (line) => process.stderr.write(line + '\n') });
    mkdirSync(dir, { recursive: true });
    for (const name of readdirSync(dir)) if (name.endsWith('.txt')) rmSync(join(dir, name));
    for (const capture of captures) writeFileSync(join(dir, `${capture.id}.txt`), formatCapture(capture));
    writeFileSync(join(dir, 'index.txt'), captures.map((c) => c.id).join('\n') + '\n');
    // The configuration the captures were made with (paths inside the lab's temp dir replaced by <node-dir>).
    const n1 = cluster.node('n1');
    writeFileSync(join(dir, 'config.ha.cf.n1'), haCfText(lab, SCENARIO_CLUSTER, n1).split(n1.base).join('<node-dir>'));
    writeFileSync(join(dir, 'config.haresources'), haresourcesText(SCENARIO_CLUSTER));
  } finally {
    await lab.teardown();
  }
  // The summary only after the teardown: a closed stdout (| head) must not end the process in the middle of it.
  process.stdout.on('error', () => undefined);
  process.stderr.write(`capture-heartbeat: ${captures.length} captures in ${dir} (${Math.round((Date.now() - started) / 1000)} s)\n`);
  const short = (text: string): string => JSON.stringify(text.length > 70 ? text.slice(0, 70) + '…' : text);
  for (const c of captures) process.stdout.write(`${c.id}  exit ${c.code}${c.hangs ? ' HANGS' : ''}  ${short(c.stdout)}${c.stderr ? ` stderr ${short(c.stderr)}` : ''}\n`);
  return 0;
}

process.exitCode = await main();
