/**
 * `npm run bench [-- SECTION ...]`: prints every figure the issues ask for, as min / median / max where
 * repeated. Sections: codec, detection, idle, loss (the 10-minute false-failover run), failover (client-perceived
 * outage per fault, DESIGN §9), splitbrain (two VIP holders, takeover and heal per split-brain protection), hadir (the
 * seeds' heartbeat configs under tandemd --ha-d: outage as written and with keepalive 200ms / deadtime 1). Default: all. Lab sections need root (network namespaces). Figures are reports,
 * never pass/fail thresholds.
 *
 * Environment: BENCH_RUNS (repetitions; detection default 20, failover default 10), BENCH_LOSS_MINUTES (default 10),
 * BENCH_FAILOVER_FAULTS (comma list of crash,stop,hang,move,failback; default all), BENCH_FAILOVER_TIMINGS
 * (comma list of default,fastest; default both), BENCH_FAILOVER_LOGS (a directory: keep every failover run's logs),
 * BENCH_FAILOVER_QUIET_PERCENT / BENCH_FAILOVER_QUIET_WAIT (before each failover run, wait up to WAIT seconds, default
 * 120, until other processes use less than PERCENT % of one CPU, default 25; runs that start busy are marked; the
 * splitbrain section waits the same way). BENCH_SPLITBRAIN_SCENARIOS (comma list of 2of3-quorum, 2of3-watchdog,
 * 2of3-fencing, pair-fencing-split, pair-fencing-crash, pair-arbitrator-split, pair-ping-asym, pair-none-split,
 * hang-fencing, hang-nofencing; default all), BENCH_RUNS (splitbrain default 10), BENCH_SPLITBRAIN_RUNS_FOR
 * (per-scenario runs, e.g. pair-none-split=5,2of3-watchdog=5), BENCH_SPLITBRAIN_LOGS (a directory: keep the logs of
 * every failed splitbrain run), BENCH_HADIR_SEEDS (comma list of seed-002, seed-003, seed-004; default all; hadir
 * runs default 5).
 */
import { runCodecBench } from './codec-bench.js';
import { detectionTime, falseFailovers, idleCost, type Timings } from './lab-bench.js';
import { FAULT_KINDS, failoverBench, formatTable, leftoverReports, type FaultKind, type TimingSet } from './failover-bench.js';
import { SCENARIO_IDS, SPLIT_BRAIN_ANCHORS, formatSplitBrainTable, splitBrainBench, type ScenarioId } from './split-brain-bench.js';
import { formatHadirTable, hadirBench } from './hadir-bench.js';
import type { SeedName } from '../test/lab/hadir-lab.js';
import { DEFAULT_TIMINGS } from '../src/config/model.js';
import { formatDuration } from '../src/lib/duration.js';

const FAST: Timings = { keepalive: '100ms', warntime: '300ms', deadtime: '500ms', initdead: '2s' };
const DEFAULTS: Timings = {
  keepalive: formatDuration(DEFAULT_TIMINGS.keepaliveMs),
  warntime: formatDuration(DEFAULT_TIMINGS.warntimeMs),
  deadtime: formatDuration(DEFAULT_TIMINGS.deadtimeMs),
  initdead: formatDuration(DEFAULT_TIMINGS.initdeadMs),
};

/**
 * The fastest timings the failover section measures; its false-failover count says whether they are safe here.
 * BENCH_FAILOVER_FASTEST=keepalive,warntime,deadtime,initdead (e.g. 50ms,200ms,300ms,1s) measures others.
 */
const FASTEST_SAFE: Timings = timingsFromEnv('BENCH_FAILOVER_FASTEST') ?? { keepalive: '50ms', warntime: '150ms', deadtime: '200ms', initdead: '1s' };

function timingsFromEnv(name: string): Timings | undefined {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return undefined;
  const [keepalive, warntime, deadtime, initdead, ...rest] = raw.split(',').map((item) => item.trim());
  if (keepalive === undefined || warntime === undefined || deadtime === undefined || initdead === undefined || rest.length > 0) {
    throw new Error(`${name} must be keepalive,warntime,deadtime,initdead (e.g. 50ms,150ms,200ms,1s), not ${JSON.stringify(raw)}`);
  }
  return { keepalive, warntime, deadtime, initdead };
}

const sections = process.argv.slice(2).filter((arg) => !arg.startsWith('-'));
const wanted = (name: string): boolean => sections.length === 0 || sections.includes(name);
const runs = Number(process.env.BENCH_RUNS ?? 20);
const failoverRuns = Number(process.env.BENCH_RUNS ?? 10);
const lossMinutes = Number(process.env.BENCH_LOSS_MINUTES ?? 10);

function line(label: string, value: unknown): void {
  process.stdout.write(`${label.padEnd(58)} ${typeof value === 'string' ? value : JSON.stringify(value)}\n`);
}

async function main(): Promise<void> {
  if (wanted('codec')) {
    const codec = runCodecBench({ durationMs: 2000 });
    line('codec: heartbeat encode + HMAC-SHA256 (msg/s)', Math.round(codec.encodePerSec));
    line('codec: full decode + verify (msg/s)', Math.round(codec.decodePerSec));
  }
  if (wanted('detection')) {
    line(`detection, keepalive 100ms / deadtime 500ms (${runs} kills)`, await detectionTime(FAST, runs));
    line(`detection, defaults ${DEFAULTS.keepalive} / ${DEFAULTS.deadtime} (${runs} kills)`, await detectionTime(DEFAULTS, runs));
  }
  if (wanted('idle')) {
    const idle = await idleCost(60);
    line('idle tandemd, 3 peers, keepalive 200ms, 60 s: CPU % of one core', idle.cpuPercent.toFixed(3));
    line('idle tandemd: RSS (MB)', idle.rssMb.toFixed(1));
  }
  if (wanted('loss')) {
    const seconds = Math.round(lossMinutes * 60);
    line(`defaults, 2% loss on lan, both CPUs busy, ${seconds} s`, await falseFailovers(DEFAULTS, { lossPercent: 2, lossyLinks: [0], seconds }));
    line(`defaults, 2% loss on both links, both CPUs busy, ${seconds} s`, await falseFailovers(DEFAULTS, { lossPercent: 2, lossyLinks: [0, 1], seconds }));
  }
  if (wanted('failover')) await failoverSection();
  if (wanted('splitbrain')) await splitBrainSection();
  if (wanted('hadir')) await hadirSection();
}

async function hadirSection(): Promise<void> {
  const seeds = listFromEnv<SeedName>('BENCH_HADIR_SEEDS', ['seed-002', 'seed-003', 'seed-004']);
  const hadirRuns = Number(process.env.BENCH_RUNS ?? 5);
  const started = Date.now();
  const rows = await hadirBench({ seeds, runs: hadirRuns, progress: (text) => process.stderr.write(text + '\n') });
  process.stdout.write(
    `\nheartbeat seed configs under tandemd --ha-d (two nodes + client; crash = kill -9 of everything on the home node and its link down; ` +
      `a new connection to the service every 20 ms, 500 ms budget; ${hadirRuns} crash/failback cycles per row; min/median/max):\n` +
      formatHadirTable(rows) + '\n',
  );
  line('hadir: section time (s)', String(Math.round((Date.now() - started) / 1000)));
  process.stdout.write(`hadir summary JSON: ${JSON.stringify(rows)}\n`);
}

function listFromEnv<T extends string>(name: string, allowed: readonly T[]): T[] {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return [...allowed];
  const picked = raw.split(',').map((item) => item.trim()).filter((item) => item !== '');
  const unknown = picked.filter((item) => !allowed.includes(item as T));
  if (unknown.length > 0) throw new Error(`${name}: unknown ${unknown.join(', ')} (one of ${allowed.join(', ')})`);
  return picked as T[];
}

async function failoverSection(): Promise<void> {
  const sets: Record<string, TimingSet> = { default: { name: 'default', timings: DEFAULTS }, fastest: { name: 'fastest', timings: FASTEST_SAFE } };
  const timingSets = listFromEnv('BENCH_FAILOVER_TIMINGS', Object.keys(sets)).map((name) => sets[name] as TimingSet);
  const faults = listFromEnv<FaultKind>('BENCH_FAILOVER_FAULTS', FAULT_KINDS);
  const started = Date.now();
  const { summaries } = await failoverBench({
    runs: failoverRuns,
    timingSets,
    faults,
    progress: (text) => process.stderr.write(text + '\n'),
    ...(process.env.BENCH_FAILOVER_LOGS ? { keepLogsDir: process.env.BENCH_FAILOVER_LOGS } : {}),
    quietPercent: Number(process.env.BENCH_FAILOVER_QUIET_PERCENT ?? 25),
    quietWaitMs: Number(process.env.BENCH_FAILOVER_QUIET_WAIT ?? 120) * 1000,
  });
  const describe = (set: TimingSet): string => `${set.name}: keepalive ${set.timings.keepalive}, warntime ${set.timings.warntime}, deadtime ${set.timings.deadtime}, initdead ${set.timings.initdead}`;
  process.stdout.write(
    `\nfailover (DESIGN §9): 3 nodes + client on one bridge, nginx on every node, group = the VIP; a new connection to the VIP every 20 ms, ` +
      `200 ms budget; fault on n1 after 1.5 s of clean answers; ${failoverRuns} runs each, fresh lab per run; figures min/median/max; ` +
      `runs: measured/attempted; false f/o: peer-dead of a node not faulted; busy: runs while other processes used >= ${process.env.BENCH_FAILOVER_QUIET_PERCENT ?? 25}% of a CPU\n` +
      timingSets.map((set) => `  ${describe(set)}`).join('\n') + '\n\n',
  );
  process.stdout.write(formatTable(summaries) + '\n');
  line(`failover: section time (s)`, String(Math.round((Date.now() - started) / 1000)));
  if (leftoverReports.length > 0) {
    line('failover: labs that left processes after teardown (killed)', String(leftoverReports.length));
    for (const report of leftoverReports) process.stdout.write(`  ${report}\n`);
  }
  process.stdout.write(`failover summary JSON: ${JSON.stringify(summaries)}\n`);
}

function runsForFromEnv(name: string): Partial<Record<ScenarioId, number>> {
  const raw = process.env[name];
  const out: Partial<Record<ScenarioId, number>> = {};
  if (raw === undefined || raw.trim() === '') return out;
  for (const item of raw.split(',').map((entry) => entry.trim()).filter((entry) => entry !== '')) {
    const [id, count] = item.split('=');
    if (id === undefined || !SCENARIO_IDS.includes(id as ScenarioId) || !(Number(count) >= 1)) throw new Error(`${name}: expected scenario=runs items (scenarios: ${SCENARIO_IDS.join(', ')}), not ${JSON.stringify(item)}`);
    out[id as ScenarioId] = Math.floor(Number(count));
  }
  return out;
}

async function splitBrainSection(): Promise<void> {
  const scenarios = listFromEnv<ScenarioId>('BENCH_SPLITBRAIN_SCENARIOS', SCENARIO_IDS);
  const runsFor = runsForFromEnv('BENCH_SPLITBRAIN_RUNS_FOR');
  const quietPercent = Number(process.env.BENCH_FAILOVER_QUIET_PERCENT ?? 25);
  const started = Date.now();
  const summaries = await splitBrainBench({
    runs: failoverRuns,
    scenarios,
    runsFor,
    progress: (text) => process.stderr.write(text + '\n'),
    quietPercent,
    quietWaitMs: Number(process.env.BENCH_FAILOVER_QUIET_WAIT ?? 120) * 1000,
    ...(process.env.BENCH_SPLITBRAIN_LOGS ? { keepLogsDir: process.env.BENCH_SPLITBRAIN_LOGS } : {}),
  });
  process.stdout.write(
    `\nsplit brain: the split-brain lab (tandemd on every node, web = nginx + VIP on n1, keepalive 100ms / deadtime 500ms; fencing delay 2 s; ` +
      `a new connection to the VIP every 20 ms, 200 ms budget); fresh lab per run; figures min/median/max over the runs that reached their end state; ` +
      `(a) fault → first OK answer from the final single owner; (b) time two reachable nodes held the VIP (a powered-off node is unreachable from its power-off); ` +
      `(c) failed probes in the 2 s after the heal (heal 3 s after the owner serves; pair-none-split after 10 s); busy: runs while other processes used >= ${quietPercent}% of a CPU\n` +
      scenarios.map((id) => `  ${id}: ${summaries.find((summary) => summary.scenario === id)?.describe ?? ''}`).join('\n') + '\n\n',
  );
  process.stdout.write(formatSplitBrainTable(summaries, quietPercent) + '\n\n' + SPLIT_BRAIN_ANCHORS + '\n');
  line('splitbrain: section time (s)', String(Math.round((Date.now() - started) / 1000)));
  if (leftoverReports.length > 0) {
    line('splitbrain: labs that left processes after teardown (killed)', String(leftoverReports.length));
    for (const report of leftoverReports) process.stdout.write(`  ${report}\n`);
  }
  process.stdout.write(`splitbrain summary JSON: ${JSON.stringify(summaries)}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
