/**
 * Issue 6 acceptance: tandem's cl_status, hb_standby and hb_takeover print and return what heartbeat 3.0.6's do in
 * the same situations. The same scenarios (heartbeat-real.ts: runScenarios — both up and stable, every cl_status
 * sub-command, hb_standby, hb_takeover, the peer killed with -9, the local daemon stopped) run against
 *   (a) the real heartbeat 3.0.6 from Debian's package, in its own lab, and
 *   (b) tandemd started with `--ha-d /etc/ha.d` from the very same ha.cf, haresources and authkeys, in another lab,
 * at the same time; then every command's stdout, stderr and exit code are compared, after the explicit list of
 * allowed differences below. Without the heartbeat package the committed captures (heartbeat-captures/, written by
 * capture-heartbeat.ts) are the reference instead. Root only: skipped when not root, as every lab test.
 *
 * Every difference found is printed (t.diagnostic) and written to <build>/heartbeat-compat-report.txt.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Lab, labTest } from './lab.js';
import {
  type Capture,
  type HaSide,
  HaLabCluster,
  HeartbeatSide,
  SCENARIO_CLUSTER,
  SCENARIO_LAB,
  TandemSide,
  heartbeatMissing,
  readCaptures,
  runScenarios,
} from './heartbeat-real.js';

const REPORT = join(fileURLToPath(new URL('../../', import.meta.url)), 'heartbeat-compat-report.txt');

/**
 * The allowed differences, each applied to both sides before comparing. Nothing else may differ.
 */
function normalize(capture: Capture): { code: number; hangs: boolean; stdout: string; stderr: string } {
  let { stdout, stderr } = capture;
  const fix = (text: string): string =>
    text
      // 1. Where the program is installed: heartbeat's scripts print their $0 (/usr/share/heartbeat/hb_standby),
      //    tandem's commands live elsewhere (a bin link, or …/cli/heartbeat/hb-standby-main.js). The command's
      //    name must match; its directory is an installation detail, so only the base name is compared.
      .replace(/(?:[^\s:'"]*\/)?(cl[_-]status|hb[_-]standby|hb[_-]takeover)(?:-main)?(?:\.js)?(?![\w.-])/g, (_match, name: string) => name.replace('-', '_'))
      // 2. Timing and process words: heartbeat's log-style lines start with the time ("Nov 24 02:26:10 ") and carry
      //    the process id ("cl_status: [541]: "); neither can be the same in two runs.
      .replace(/^[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d /gm, '<date> ')
      .replace(/^\d{4}\/\d\d\/\d\d_\d\d:\d\d:\d\d /gm, '<date> ')
      .replace(/: \[\d+\]: /g, ': [<pid>]: ');
  stdout = fix(stdout);
  stderr = fix(stderr);
  // 6. The REASON line of an error: heartbeat's says little ("EINVAL", nothing, or "hb_api_signon: Can't initiate
  //    connection to heartbeat"), tandem's names the cause. Scripts key on the first line and the exit code, which
  //    must match; that a REASON line follows must match too, not its words.
  stderr = stderr.replace(/(ERROR: REASON: ).*$/gm, '$1<reason>');
  //    The same reason, in parentheses, after "Heartbeat is stopped on this machine." (hbstatus -v).
  if (stdout.startsWith('Heartbeat is stopped on this machine.\n')) stdout = stdout.replace(/^\(.*\)$/m, '(<reason>)');
  // 7. hb_standby / hb_takeover write nothing on stdout (both must match); on stderr heartbeat logged only
  //    "Going standby [X]." while tandem adds which group moved where. Of a run that worked, only heartbeat's line
  //    is compared.
  if ((capture.argv[0] === 'hb_standby' || capture.argv[0] === 'hb_takeover') && capture.code === 0) {
    stderr = stderr.split('\n').filter((line) => / Going standby \[/.test(line)).map((line) => `${line}\n`).join('');
  }
  const args = capture.argv.slice(1);
  if (capture.argv[0] === 'cl_status') {
    // 3. The version string: heartbeat reports "3.0.6 (node: <build hash>)", tandem its own version. The format
    //    (the "version:\t" line, what follows it) must match.
    stdout = stdout.replace(/^version:\t.*$/m, 'version:\t<version>');
    // 4. Node order: heartbeat lists nodes in the order of its internal node table (here: the ping node, then n2,
    //    then n1 — neither ha.cf order nor sorted), which nobody can rely on. The set of nodes, and for -v each
    //    node's block (status, type, links), must match; their order may differ.
    if (args[0] === 'listnodes' && !args.includes('-v')) stdout = sortLines(stdout);
    if ((args[0] === 'listnodes' && args.includes('-v')) || (args[0] === 'hbstatus' && args.includes('-v'))) stdout = sortNodeBlocks(stdout);
    // 5. The usage text (no sub-command, or -h): heartbeat's help prose may not be copied into tandem (project rule);
    //    only where it goes (stdout or stderr) and the exit code must match.
    if (args.length === 0 || (args.length === 1 && args[0] === '-h')) {
      stdout = stdout.trim() ? '<usage text>\n' : '';
      stderr = stderr.trim() ? '<usage text>\n' : '';
    }
  }
  return { code: capture.code, hangs: capture.hangs, stdout, stderr };
}

function sortLines(text: string): string {
  const lines = text.split('\n');
  const last = lines.pop();
  return [...lines.sort(), last].join('\n');
}

/**
 * `listnodes -v`: one block per node, each after an empty line; `hbstatus -v`: a header block (version, managed
 * by), then the same node blocks. Sorts the node blocks, keeps the header first.
 */
function sortNodeBlocks(text: string): string {
  const lead = text.startsWith('\n') ? '\n' : '';
  const trail = text.endsWith('\n') ? '\n' : '';
  const parts = text.slice(lead.length, text.length - trail.length).split('\n\n');
  const head = lead ? [] : parts.splice(0, 1);
  return lead + [...head, ...parts.sort()].join('\n\n') + trail;
}

interface Difference {
  id: string;
  argv: readonly string[];
  what: string;
}

function compare(reference: readonly Capture[], tested: readonly Capture[], testedName: string): { differences: Difference[]; same: string[] } {
  const differences: Difference[] = [];
  const same: string[] = [];
  const byId = new Map(tested.map((c) => [c.id, c]));
  for (const ref of reference) {
    const got = byId.get(ref.id);
    if (!got) {
      differences.push({ id: ref.id, argv: ref.argv, what: `not run on ${testedName}` });
      continue;
    }
    const a = normalize(ref);
    const b = normalize(got);
    // 8. Without a daemon heartbeat's hb_standby / hb_takeover hang forever; tandem's answer at once, exit 3, saying
    //    the daemon is not running (the issue asks for exactly that improvement).
    if (a.hangs && !b.hangs && b.code === 3 && /not running/.test(got.stderr)) {
      same.push(`${ref.id} (heartbeat hangs; ${testedName} answers at once, exit 3)`);
      continue;
    }
    const parts: string[] = [];
    if (a.hangs !== b.hangs) parts.push(a.hangs ? `heartbeat hangs (bounded), ${testedName} returns` : `${testedName} hangs, heartbeat returns`);
    if (a.code !== b.code) parts.push(`exit ${a.code} → ${b.code}`);
    if (a.stdout !== b.stdout) parts.push(`stdout ${JSON.stringify(a.stdout)} → ${JSON.stringify(b.stdout)}`);
    if (a.stderr !== b.stderr) parts.push(`stderr ${JSON.stringify(a.stderr)} → ${JSON.stringify(b.stderr)}`);
    if (got.note?.includes('NOT')) parts.push(`(${testedName}: ${got.note})`);
    if (parts.length > 0) differences.push({ id: ref.id, argv: ref.argv, what: parts.join('; ') });
    else same.push(ref.id);
  }
  for (const got of tested) if (!reference.some((ref) => ref.id === got.id)) differences.push({ id: got.id, argv: got.argv, what: 'no reference capture' });
  return { differences, same };
}

async function runSide(kind: 'heartbeat' | 'tandem', log: (line: string) => void): Promise<Capture[]> {
  const lab = await Lab.create(SCENARIO_LAB);
  try {
    const cluster = await HaLabCluster.create(lab, SCENARIO_CLUSTER);
    const side: HaSide = kind === 'heartbeat' ? new HeartbeatSide(cluster) : new TandemSide(cluster);
    return await runScenarios(side, { log });
  } finally {
    await lab.teardown();
  }
}

function formatReport(title: string, result: { differences: Difference[]; same: string[] }): string {
  return [
    `${title}: ${result.same.length} same, ${result.differences.length} different`,
    ...result.differences.map((d) => `DIFFERS ${d.id} [${d.argv.join(' ')}]: ${d.what}`),
    ...result.same.map((id) => `same    ${id}`),
  ].join('\n');
}

labTest(
  'heartbeat compatibility: cl_status, hb_standby and hb_takeover answer as heartbeat 3.0.6 does, from the same /etc/ha.d',
  async (t) => {
    // Without the heartbeat package the committed captures are the reference: tandem's side always runs.
    const noHeartbeat = heartbeatMissing();
    const log = (line: string): void => t.diagnostic(line);
    const [live, tandem] = await Promise.all([noHeartbeat ? undefined : runSide('heartbeat', log), runSide('tandem', log)]);
    const committed = readCaptures();
    const reports: string[] = [];
    let failures = 0;

    if (live) {
      // The reference itself: the real heartbeat, run now, answers as the committed captures say (else they are stale,
      // or the harness changed: regenerate them with capture-heartbeat.js).
      const check = compare(committed, live, 'heartbeat now');
      reports.push(formatReport('real heartbeat now vs committed captures', check));
      for (const d of check.differences) t.diagnostic(`heartbeat vs captures: ${d.id}: ${d.what}`);
      failures += check.differences.length;
    } else {
      t.diagnostic(`real heartbeat not run (${noHeartbeat}): comparing with the committed captures`);
    }

    const result = compare(live ?? committed, tandem, 'tandem');
    reports.push(formatReport(`tandem vs ${live ? 'real heartbeat (run now)' : 'committed heartbeat captures'}`, result));
    for (const d of result.differences) t.diagnostic(`DIFFERS ${d.id} [${d.argv.join(' ')}]: ${d.what}`);
    t.diagnostic(`tandem: ${result.same.length} same, ${result.differences.length} different`);
    failures += result.differences.length;
    writeFileSync(REPORT, reports.join('\n\n') + '\n');
    t.diagnostic(`report: ${REPORT}`);
    assert.equal(failures, 0, `${failures} difference(s); see ${REPORT}`);
  },
  { timeout: 170_000 },
);
