/**
 * `npm run bench -- splitbrain`: split-brain protection as a client and the kernels see it, per protection set-up,
 * on the split-brain lab (test/lab/split-setup.ts): real tandemd on every node, a web group (nginx behind the VIP)
 * on n1, a client probing the VIP every 20 ms (new TCP connection, 200 ms budget), `ip monitor` on every node
 * (the VIP watcher), optional fencing through the lab's power switch, watchdog stand-ins, arbitrator, ping target.
 *
 * Per run (a fresh lab each time):
 *   (a) owner serves: fault → the end of the first OK answer (sent at or after the fault) from the node that ends up
 *       as the single VIP holder. When that is n1, which kept serving, it is one probe interval or less.
 *   (b) split-brain ms: total time two reachable nodes held the VIP at once (the watcher's overlaps); a node powered
 *       off by the fence device or its watchdog counts as unreachable from its power-off on, as the tests record it.
 *   (c) for scenarios that heal: failed probes, and answers by node, in the 2 s after the heal; the heal comes 3 s
 *       after the single owner serves (pair-none-split: after 10 s of partition). A fenced node stays off (action
 *       `off`): the heal lifts the partition, it does not boot anything.
 * A run's end state is reached when exactly one node holds the VIP (kernel view), its daemon runs the group, every
 * other live daemon on its side names it the only holder and runs nothing, every live daemon across the partition
 * has declared it dead and runs nothing, and the client was answered by it. A run that does not get there (bounded)
 * is reported as failed with its reason, never as a figure.
 *
 * Network safety: everything runs in the lab's namespaces on the lab's documentation addresses.
 */
import { copyFileSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { cpuSnapshot, foreignCpuPercent, reapLeftovers, waitForQuiet } from './failover-bench.js';
import type { ProbeRecord } from '../test/lab/web.js';
import { analyzeProbes } from '../test/lab/web.js';
import { recordFencing, setUp, sleep, tearDownPartial, type Setup, type SetupOptions, type SetupProgress } from '../test/lab/split-setup.js';
import { alignColumns } from './table.js';

export type ScenarioId =
  | '2of3-quorum'
  | '2of3-watchdog'
  | '2of3-fencing'
  | 'pair-fencing-split'
  | 'pair-fencing-crash'
  | 'pair-arbitrator-split'
  | 'pair-ping-asym'
  | 'pair-none-split'
  | 'hang-fencing'
  | 'hang-nofencing';

type Fault = { readonly kind: 'partition'; readonly groups: readonly (readonly string[])[] } | { readonly kind: 'crash' } | { readonly kind: 'hang' };

interface Scenario {
  readonly id: ScenarioId;
  readonly describe: string;
  readonly setup: Omit<SetupOptions, 'progress'>;
  readonly fault: Fault;
  /** The node that must end up as the single owner; undefined: whichever does (reported). */
  readonly owner?: string;
  readonly heals: boolean;
  /** A fixed partition length before the heal (otherwise: heal 3 s after the single owner serves). */
  readonly partitionMs?: number;
  /** Wait for both nodes to reach the ping target before the fault. */
  readonly pingReady?: boolean;
  readonly target: string;
}

const PAIR = ['n1', 'n2'];
const TRIO = ['n1', 'n2', 'n3'];
const HEAL_AFTER_MS = 3000;
const AFTER_HEAL_MS = 2000;
const FREEZE_MS = 3000;
const NONE_PARTITION_MS = 10_000;
/** Stale-ARP / late-failure window after the end state for the scenarios that do not heal. */
const TAIL_MS = 2000;
const SETTLE_TIMEOUT_MS = 30_000;
const RUN_TIMEOUT_MS = 120_000;
/** keepalive of the lab cluster (LabCluster's default timings: 100ms / 300ms / 500ms / 2s). */
const KEEPALIVE_MS = 100;

const ZERO = 'target 0 ms two holders, 0 failed after the heal';
export const SCENARIOS: readonly Scenario[] = [
  { id: '2of3-quorum', describe: '3 nodes, quorum only; n1 | n2 n3', setup: { nodes: TRIO, protection: () => '' }, fault: { kind: 'partition', groups: [['n1'], ['n2', 'n3']] }, owner: 'n2', heals: true, target: ZERO },
  {
    id: '2of3-watchdog',
    describe: '3 nodes, quorum + 1 s watchdog stand-in per node; n1 | n2 n3',
    setup: { nodes: TRIO, watchdogMs: 1000, protection: () => '' },
    fault: { kind: 'partition', groups: [['n1'], ['n2', 'n3']] },
    owner: 'n2',
    heals: true,
    target: ZERO,
  },
  { id: '2of3-fencing', describe: '3 nodes, quorum + lab fence agent; n1 | n2 n3', setup: { nodes: TRIO, fencing: true, protection: () => '' }, fault: { kind: 'partition', groups: [['n1'], ['n2', 'n3']] }, owner: 'n2', heals: true, target: ZERO },
  { id: 'pair-fencing-split', describe: '2 nodes + fencing; n1 | n2 (holder n1 should win)', setup: { nodes: PAIR, fencing: true, protection: () => '' }, fault: { kind: 'partition', groups: [['n1'], ['n2']] }, owner: 'n1', heals: true, target: ZERO },
  { id: 'pair-fencing-crash', describe: "2 nodes + fencing; SIGKILL n1's tandemd+nginx, links up", setup: { nodes: PAIR, fencing: true, protection: () => '' }, fault: { kind: 'crash' }, owner: 'n2', heals: false, target: 'target 0 ms two holders (n2 fences n1, then takes over)' },
  { id: 'pair-arbitrator-split', describe: '2 nodes + arbitrator; n1 | n2', setup: { nodes: PAIR, arbitrator: 'arb', protection: () => '' }, fault: { kind: 'partition', groups: [['n1'], ['n2']] }, owner: 'n1', heals: true, target: ZERO },
  {
    id: 'pair-ping-asym',
    describe: '2 nodes + ping target gw + fencing; [n1] | [n2, gw]',
    setup: { nodes: PAIR, clients: ['gw'], fencing: true, protection: (lab) => `ping: { targets: ["${lab.address('gw', 0)}"], interval: 500ms, dead: 1500ms }\n` },
    fault: { kind: 'partition', groups: [['n1'], ['n2', 'gw']] },
    owner: 'n2',
    heals: true,
    pingReady: true,
    target: ZERO,
  },
  {
    id: 'pair-none-split',
    describe: '2 nodes, no tie-breaker (heartbeat behaviour); n1 | n2 for 10 s',
    setup: { nodes: PAIR, protection: () => '' },
    fault: { kind: 'partition', groups: [['n1'], ['n2']] },
    heals: true,
    partitionMs: NONE_PARTITION_MS,
    target: 'baseline: two holders for the whole partition (heartbeat/keepalived/ucarp: 6-10 s of a 10 s split)',
  },
  { id: 'hang-fencing', describe: '2 nodes + fencing; SIGSTOP n1 (tandemd+nginx) 3 s, SIGCONT', setup: { nodes: PAIR, fencing: true, protection: () => '' }, fault: { kind: 'hang' }, owner: 'n2', heals: false, target: 'target 0 ms two holders, n1 serves nothing after the takeover' },
  {
    id: 'hang-nofencing',
    describe: '2 nodes, no fencing; SIGSTOP n1 (tandemd+nginx) 3 s, SIGCONT',
    setup: { nodes: PAIR, protection: () => '' },
    fault: { kind: 'hang' },
    heals: false,
    target: `two holders while frozen; after SIGCONT < 1 keepalive (${KEEPALIVE_MS} ms) (keepalived ~30 ms, ucarp ~0.8 s, heartbeat ~2.2 s + 15-45 s stale ARP)`,
  },
];
export const SCENARIO_IDS: readonly ScenarioId[] = SCENARIOS.map((scenario) => scenario.id);

export interface SplitRunFigures {
  readonly scenario: ScenarioId;
  readonly run: number;
  readonly owner: string;
  /** (a) fault → end of the first OK answer from the final owner sent at or after the fault. */
  readonly ownerServesMs: number;
  /** (b) total time two reachable nodes held the VIP. */
  readonly splitBrainMs: number;
  /** Failed probes sent from the fault up to the heal (no heal: up to the end of the run). */
  readonly failedDuringFault: number;
  readonly errorsDuringFault: Readonly<Record<string, number>>;
  /** The failed probes' send times, ms after the fault: first and last. */
  readonly failedSpanMs?: readonly [number, number];
  /** (c) failed probes sent in the AFTER_HEAL_MS after the heal, and OK answers by node there. */
  readonly failedAfterHeal?: number;
  readonly answersAfterHeal?: Readonly<Record<string, number>>;
  /** pair-none-split: two holders during the partition itself; heal → single holder agreed on. */
  readonly splitBrainDuringPartitionMs?: number;
  readonly healToSingleOwnerMs?: number;
  readonly answersDuringPartition?: Readonly<Record<string, number>>;
  /** hang: two holders after the SIGCONT; OK answers from n1 to probes sent after the takeover (n2's first answer). */
  readonly splitBrainAfterResumeMs?: number;
  readonly answersFromFrozenAfterTakeover?: number;
  readonly fenced: readonly string[];
  readonly watchdogResets: readonly string[];
  readonly foreignCpuPercent: number;
}

interface NodeView {
  readonly phase: string | undefined;
  readonly holders: readonly string[];
  readonly peers: ReadonlyMap<string, string>;
}

async function view(setup: Setup, node: string): Promise<NodeView | undefined> {
  try {
    const status = await setup.cluster.status(node);
    const web = status.groups.find((group) => group.name === 'web');
    return { phase: web?.phase, holders: web?.holders ?? [], peers: new Map(status.nodes.map((peer) => [peer.name, peer.state])) };
  } catch {
    return undefined;
  }
}

function sideOf(groups: readonly (readonly string[])[] | undefined, node: string): number {
  if (groups === undefined) return 0;
  const index = groups.findIndex((group) => group.includes(node));
  return index < 0 ? -1 : index;
}

/**
 * Waits (bounded) for the end state described in the header; returns the owner and when it was reached. `groups` is
 * the partition in force (undefined: none).
 */
async function settle(
  setup: Setup,
  scenario: Scenario,
  groups: readonly (readonly string[])[] | undefined,
  answeredSinceMs: number,
  expected: string | undefined,
  aborted: () => boolean,
): Promise<{ owner: string; atMs: number }> {
  const deadline = Date.now() + SETTLE_TIMEOUT_MS;
  let why = '';
  const nodes = scenario.setup.nodes;
  for (;;) {
    if (aborted()) throw new Error('aborted');
    recordFencing(setup);
    // A powered-off node's monitor died with it: whatever its kernel kept, nobody can reach it.
    const holders = setup.watcher.holders().filter((node) => !setup.lab.isPoweredOff(node));
    const owner = holders.length === 1 ? holders[0] : undefined;
    if (owner === undefined) why = `VIP held by [${holders.join(', ')}] (kernel view)`;
    else if (expected !== undefined && owner !== expected) why = `VIP held by ${owner}, expected ${expected}`;
    else {
      why = '';
      const own = await view(setup, owner);
      if (own?.phase !== 'running') why = `${owner}'s daemon reports web ${own?.phase ?? 'unreachable'}`;
      for (const node of nodes) {
        if (why !== '' || node === owner || setup.lab.isPoweredOff(node)) continue;
        const seen = await view(setup, node);
        if (seen === undefined) continue; // a dead daemon: its kernel's VIP is in `holders`
        if (seen.phase === 'running') why = `${node} still runs web`;
        else if (sideOf(groups, node) === sideOf(groups, owner)) {
          if (seen.holders.length !== 1 || seen.holders[0] !== owner) why = `${node} sees web on [${seen.holders.join(', ')}]`;
        } else if (seen.peers.get(owner) !== 'dead' && seen.peers.get(owner) !== 'left') why = `${node} sees ${owner} ${seen.peers.get(owner) ?? '?'}`;
      }
      if (why === '' && !setup.prober.results().some((record) => record.ok && record.node === owner && record.sentAtWallMs >= answeredSinceMs)) why = `no answer from ${owner} yet`;
      if (why === '') return { owner, atMs: Date.now() };
    }
    if (Date.now() > deadline) throw new Error(`no single owner within ${SETTLE_TIMEOUT_MS} ms: ${why}`);
    await sleep(25);
  }
}

function overlapWithin(setup: Setup, fromMs: number, toMs: number): number {
  let total = 0;
  for (const interval of setup.watcher.overlaps().intervals) total += Math.max(0, Math.min(interval.toMs, toMs) - Math.max(interval.fromMs, fromMs));
  return Math.round(total);
}

async function waitUntil(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await check()) return;
    } catch {
      // a daemon not answering yet is "not yet"
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(50);
  }
}

/** One run in a fresh lab; everything it starts is in `progress` (the caller tears it down). */
async function oneRun(scenario: Scenario, run: number, progress: SetupProgress, aborted: () => boolean): Promise<SplitRunFigures> {
  const load = cpuSnapshot();
  const setup = await setUp({ ...scenario.setup, progress });
  const { lab, cluster, prober, watcher, power, standins } = setup;
  if (scenario.pingReady) {
    await waitUntil('both nodes reach the ping target', async () => (await cluster.status('n1')).quorum.pingScore === 1 && (await cluster.status('n2')).quorum.pingScore === 1, 15_000);
  }
  await watcher.waitForHolders(['n1'], undefined, 5000);
  const groups = scenario.fault.kind === 'partition' ? scenario.fault.groups : undefined;

  const fault = Date.now();
  let resumeAt: number | undefined;
  if (scenario.fault.kind === 'partition') await lab.partition(scenario.fault.groups.map((group) => [...group]));
  else if (scenario.fault.kind === 'crash') cluster.process('n1').kill('SIGKILL');
  else cluster.process('n1').kill('SIGSTOP');

  let owner: string;
  let healAt: number | undefined;
  let healToSingleOwnerMs: number | undefined;
  if (scenario.fault.kind === 'hang') {
    await sleep(Math.max(0, fault + FREEZE_MS - Date.now()));
    resumeAt = Date.now();
    cluster.process('n1').kill('SIGCONT'); // a no-op once fenced (powered off)
    owner = (await settle(setup, scenario, undefined, fault, scenario.owner, aborted)).owner;
    await sleep(TAIL_MS);
  } else if (scenario.fault.kind === 'crash') {
    owner = (await settle(setup, scenario, undefined, fault, scenario.owner, aborted)).owner;
    await sleep(TAIL_MS);
  } else if (scenario.partitionMs !== undefined) {
    await sleep(Math.max(0, fault + scenario.partitionMs - Date.now()));
    healAt = Date.now();
    await lab.heal();
    await sleep(AFTER_HEAL_MS);
    const settled = await settle(setup, scenario, undefined, fault, scenario.owner, aborted).catch((error: unknown) => {
      throw new Error(`after the heal: ${(error as Error).message}`);
    });
    owner = settled.owner;
    healToSingleOwnerMs = lastOverlapEnd(setup, healAt) ?? 0;
  } else {
    const settled = await settle(setup, scenario, groups, fault, scenario.owner, aborted);
    owner = settled.owner;
    await sleep(HEAL_AFTER_MS);
    healAt = Date.now();
    await lab.heal();
    await sleep(AFTER_HEAL_MS);
    // Nothing may move after the heal: the same owner, every live daemon agreeing.
    await settle(setup, scenario, undefined, fault, owner, aborted).catch((error: unknown) => {
      throw new Error(`after the heal: ${(error as Error).message}`);
    });
  }

  const probes: ProbeRecord[] = await prober.stop();
  recordFencing(setup);
  watcher.stop();
  const overlaps = watcher.overlaps();
  const first = probes.find((record) => record.ok && record.node === owner && record.sentAtWallMs >= fault);
  if (first === undefined) throw new Error(`no OK answer from the owner ${owner} after the fault`);
  const during = analyzeProbes(probes, { fromMs: fault, ...(healAt !== undefined ? { toMs: healAt - 0.001 } : {}) });
  const afterHeal = healAt !== undefined ? analyzeProbes(probes, { fromMs: healAt, toMs: healAt + AFTER_HEAL_MS }) : undefined;
  const takeover = probes.find((record) => record.ok && record.node !== 'n1' && record.sentAtWallMs >= fault);
  const fenced = [...new Set((power?.requests ?? []).filter((request) => request.action === 'off' && request.reply === 'ok' && request.node !== undefined).map((request) => request.node as string))];
  const watchdogResets = [...standins].filter(([, standin]) => standin.expiredAt !== undefined).map(([node]) => node);
  return {
    scenario: scenario.id,
    run,
    owner,
    ownerServesMs: Math.round(first.sentAtWallMs + first.latencyMs - fault),
    splitBrainMs: Math.round(overlaps.totalMs),
    failedDuringFault: during.failed,
    errorsDuringFault: during.errors,
    ...failedSpan(probes, fault, healAt),
    ...(afterHeal !== undefined ? { failedAfterHeal: afterHeal.failed, answersAfterHeal: afterHeal.byNode } : {}),
    ...(scenario.partitionMs !== undefined && healAt !== undefined
      ? {
          splitBrainDuringPartitionMs: overlapWithin(setup, fault, healAt),
          answersDuringPartition: during.byNode,
          ...(healToSingleOwnerMs !== undefined ? { healToSingleOwnerMs } : {}),
        }
      : {}),
    ...(resumeAt !== undefined
      ? {
          splitBrainAfterResumeMs: overlapWithin(setup, resumeAt, Infinity),
          answersFromFrozenAfterTakeover: takeover === undefined ? 0 : probes.filter((record) => record.ok && record.node === 'n1' && record.sentAtWallMs > takeover.sentAtWallMs).length,
        }
      : {}),
    fenced,
    watchdogResets,
    foreignCpuPercent: foreignCpuPercent(load, cpuSnapshot()),
  };
}

function failedSpan(probes: readonly ProbeRecord[], fault: number, until: number | undefined): { failedSpanMs?: readonly [number, number] } {
  const failed = probes.filter((record) => !record.ok && record.sentAtWallMs >= fault && (until === undefined || record.sentAtWallMs < until));
  if (failed.length === 0) return {};
  return { failedSpanMs: [Math.round(failed[0]!.sentAtWallMs - fault), Math.round(failed[failed.length - 1]!.sentAtWallMs - fault)] };
}

/** ms from `originMs` to the end of the last two-holder interval after it (undefined: none). */
function lastOverlapEnd(setup: Setup, originMs: number): number | undefined {
  const ends = setup.watcher.overlaps().intervals.map((interval) => interval.toMs).filter((end) => end > originMs);
  return ends.length === 0 ? undefined : Math.round(Math.max(...ends) - originMs);
}

/** Copies the lab's logs (tandemd, nginx, ip monitor, prober) and configs to `dir`/`label`. */
function keepLogs(labDir: string, dir: string, label: string): void {
  const target = join(dir, label);
  mkdirSync(target, { recursive: true });
  for (const entry of readdirSync(labDir, { recursive: true, encoding: 'utf8' })) {
    if (entry.endsWith('.log') || entry.endsWith('.conf') || entry.endsWith('.yaml')) copyFileSync(join(labDir, entry), join(target, entry.replaceAll('/', '_')));
  }
}

/**
 * oneRun, bounded in time; the lab (and the power switch, the watchdog stand-ins) is always torn down. With
 * `keepLogsDir`, a failed run's logs are copied there first.
 */
async function boundedRun(scenario: Scenario, run: number, keepLogsDir: string | undefined): Promise<SplitRunFigures> {
  const progress: SetupProgress = {};
  let stop = false;
  let failed = true;
  let timer: NodeJS.Timeout | undefined;
  const work = oneRun(scenario, run, progress, () => stop);
  try {
    const figures = await Promise.race([
      work,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no end state within the run bound of ${RUN_TIMEOUT_MS / 1000} s`)), RUN_TIMEOUT_MS);
      }),
    ]);
    failed = false;
    return figures;
  } finally {
    clearTimeout(timer);
    stop = true;
    if (failed && keepLogsDir !== undefined && progress.lab !== undefined) {
      try {
        keepLogs(progress.lab.dir, keepLogsDir, `${scenario.id}-${run}-failed`);
      } catch {
        // logs are a diagnosis aid; the run's failure is what counts
      }
    }
    await tearDownPartial(progress);
    // An abandoned run's waits end quickly once its lab is gone (bounded anyway).
    await Promise.race([work.catch(() => undefined), sleep(30_000)]);
    if (progress.lab !== undefined) reapLeftovers(progress.lab);
  }
}

// ---- summary -----------------------------------------------------------------------------------------------

interface Stat {
  readonly min: number;
  readonly median: number;
  readonly max: number;
}

function stat(values: readonly (number | undefined)[]): Stat | undefined {
  const sorted = values.filter((value): value is number => value !== undefined && Number.isFinite(value)).sort((a, b) => a - b);
  if (sorted.length === 0) return undefined;
  // The lower median for an even count, as the failover section does.
  return { min: sorted[0]!, median: sorted[Math.floor((sorted.length - 1) / 2)]!, max: sorted[sorted.length - 1]! };
}

function show(value: Stat | undefined, unit = ''): string {
  return value === undefined ? '-' : `${value.min}/${value.median}/${value.max}${unit}`;
}

function counts(values: readonly string[]): string {
  const map = new Map<string, number>();
  for (const value of values) map.set(value, (map.get(value) ?? 0) + 1);
  return [...map].map(([value, count]) => `${value}×${count}`).join(' ') || '-';
}

function sumByNode(records: readonly (Readonly<Record<string, number>> | undefined)[]): string {
  const total: Record<string, number> = {};
  for (const record of records) for (const [node, count] of Object.entries(record ?? {})) total[node] = (total[node] ?? 0) + count;
  return JSON.stringify(total);
}

export interface ScenarioSummary {
  readonly scenario: ScenarioId;
  readonly describe: string;
  readonly runs: number;
  readonly results: readonly SplitRunFigures[];
  readonly errors: readonly string[];
  readonly target: string;
}

export function formatSplitBrainTable(summaries: readonly ScenarioSummary[], quietPercent: number): string {
  const header = ['scenario', 'runs', 'owner', '(a) owner serves ms', '(b) split-brain ms', 'failed fault..heal', '(c) failed after heal', 'busy', 'target / anchor'];
  const rows = summaries.map((summary) => {
    const ok = summary.results;
    return [
      summary.scenario,
      `${ok.length}/${summary.runs}`,
      counts(ok.map((result) => result.owner)),
      show(stat(ok.map((result) => result.ownerServesMs))),
      show(stat(ok.map((result) => result.splitBrainMs))),
      show(stat(ok.map((result) => result.failedDuringFault))),
      show(stat(ok.map((result) => result.failedAfterHeal))),
      String(ok.filter((result) => result.foreignCpuPercent >= quietPercent).length),
      summary.target,
    ];
  });
  const lines = alignColumns(header, rows);
  const notes: string[] = [];
  for (const summary of summaries) {
    const ok = summary.results;
    const label = summary.scenario;
    if (ok.length > 0) {
      const fenced = counts(ok.flatMap((result) => result.fenced));
      const resets = counts(ok.flatMap((result) => result.watchdogResets));
      if (fenced !== '-' || resets !== '-') notes.push(`${label}: powered off over the runs: ${fenced !== '-' ? `fenced ${fenced}` : ''}${fenced !== '-' && resets !== '-' ? ', ' : ''}${resets !== '-' ? `watchdog reset ${resets}` : ''}`);
      if (ok.some((result) => result.answersAfterHeal !== undefined)) notes.push(`${label}: answers by node in the ${AFTER_HEAL_MS / 1000} s after the heal (all runs): ${sumByNode(ok.map((result) => result.answersAfterHeal))}`);
      if (ok.some((result) => result.splitBrainDuringPartitionMs !== undefined)) {
        notes.push(
          `${label}: (a) is the first answer from the node left holding the VIP after the heal; ` +
            `two holders during the ${NONE_PARTITION_MS / 1000} s partition ${show(stat(ok.map((result) => result.splitBrainDuringPartitionMs)), ' ms')}; ` +
            `heal → last two-holder instant ${show(stat(ok.map((result) => result.healToSingleOwnerMs)), ' ms')}; answers during the partition (all runs) ${sumByNode(ok.map((result) => result.answersDuringPartition))}`,
        );
      }
      if (ok.some((result) => result.splitBrainAfterResumeMs !== undefined)) {
        const stale = ok.filter((result) => (result.answersFromFrozenAfterTakeover ?? 0) > 0).length;
        notes.push(
          `${label}: outage = (a); split-brain after the SIGCONT ${show(stat(ok.map((result) => result.splitBrainAfterResumeMs)), ' ms')} (one keepalive = ${KEEPALIVE_MS} ms); ` +
            `runs with an answer from n1 after the takeover (stale ARP): ${stale}/${ok.length} (answers per run ${show(stat(ok.map((result) => result.answersFromFrozenAfterTakeover)))})`,
        );
      }
    }
    for (const error of summary.errors) notes.push(`${label}: run FAILED: ${error.split('\n')[0]}`);
  }
  return [...lines, '', ...notes].join('\n');
}

export interface SplitBrainBenchOptions {
  readonly runs: number;
  readonly scenarios: readonly ScenarioId[];
  /** Runs per scenario overriding `runs`. */
  readonly runsFor?: Readonly<Partial<Record<ScenarioId, number>>>;
  readonly progress?: (line: string) => void;
  readonly quietPercent: number;
  readonly quietWaitMs: number;
  /** Copy the logs of every failed run here (a directory per run) before teardown. */
  readonly keepLogsDir?: string;
}

export async function splitBrainBench(options: SplitBrainBenchOptions): Promise<ScenarioSummary[]> {
  const progress = options.progress ?? ((): void => undefined);
  const summaries: ScenarioSummary[] = [];
  for (const id of options.scenarios) {
    const scenario = SCENARIOS.find((entry) => entry.id === id);
    if (scenario === undefined) throw new Error(`splitbrain: unknown scenario ${id}`);
    const runs = options.runsFor?.[id] ?? options.runs;
    const results: SplitRunFigures[] = [];
    const errors: string[] = [];
    for (let run = 1; run <= runs; run++) {
      await waitForQuiet(options.quietPercent, options.quietWaitMs, progress);
      const started = Date.now();
      try {
        const figures = await boundedRun(scenario, run, options.keepLogsDir);
        results.push(figures);
        const extra = [
          figures.failedAfterHeal !== undefined ? `after heal failed ${figures.failedAfterHeal} ${JSON.stringify(figures.answersAfterHeal)}` : '',
          figures.splitBrainDuringPartitionMs !== undefined ? `during partition ${figures.splitBrainDuringPartitionMs} ms two holders, heal→one ${figures.healToSingleOwnerMs} ms` : '',
          figures.splitBrainAfterResumeMs !== undefined ? `after SIGCONT ${figures.splitBrainAfterResumeMs} ms two holders, answers from n1 after takeover ${figures.answersFromFrozenAfterTakeover}` : '',
          figures.fenced.length > 0 ? `fenced ${figures.fenced.join(',')}` : '',
          figures.watchdogResets.length > 0 ? `watchdog reset ${figures.watchdogResets.join(',')}` : '',
          `other load ${figures.foreignCpuPercent}%`,
        ].filter((text) => text !== '');
        progress(
          `splitbrain ${id} ${run}/${runs}: owner ${figures.owner} serves ${figures.ownerServesMs} ms, split-brain ${figures.splitBrainMs} ms, failed fault..heal ${figures.failedDuringFault} ${JSON.stringify(figures.errorsDuringFault)}${figures.failedSpanMs ? ` at +${figures.failedSpanMs[0]}..+${figures.failedSpanMs[1]} ms` : ''}, ${extra.join(', ')} (${((Date.now() - started) / 1000).toFixed(1)} s)`,
        );
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        errors.push(message);
        progress(`splitbrain ${id} ${run}/${runs}: FAILED: ${message} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
      }
    }
    summaries.push({ scenario: id, describe: scenario.describe, runs, results, errors, target: scenario.target });
  }
  return summaries;
}

export const SPLIT_BRAIN_ANCHORS = [
  'reference anchors (issue):',
  '  10 s symmetric partition, no tie-breaker: heartbeat / keepalived / ucarp keep two holders for 6-10 s of it.',
  '  frozen primary: the frozen kernel holds the VIP beside the new owner for the whole freeze; after resume keepalived clears it ~30 ms,',
  '    ucarp ~0.8 s, heartbeat ~2.2 s, then 15-45 s of stale ARP.',
  "  tandem's target with any tie-breaker: 0 ms two holders, 0 failed requests after the heal.",
].join('\n');
