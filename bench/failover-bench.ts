/**
 * `npm run bench -- failover`: failover as a client sees it, measured the way DESIGN §9 measures it for tandem and
 * for the tools it replaces, so the figures compare with the anchors printed beside them.
 *
 *   - Three node namespaces (n1 preferred, n2, n3) and a client namespace on one bridge (the lab, two links).
 *   - nginx runs on EVERY node outside the cluster manager and answers with its node name; the group is the VIP
 *     alone (as keepalived and heartbeat anchors are set up), so the figures are the cluster manager's own.
 *   - The client opens a new TCP connection to the VIP and sends `GET /` every 20 ms, 200 ms budget per probe,
 *     probes overlapping. The fault is injected on the primary (n1) after 1.5 s of clean answers from it.
 *   - Outage = fault → the end of the first OK answer from another node. Failed probes are counted from the fault
 *     on; overlap is the time two nodes with their VIP link up held the VIP (the lab's VipWatcher).
 *
 * Faults:
 *   crash     every link of n1 down + SIGKILL of its tandemd and its nginx (a dead machine);
 *   stop      SIGTERM of n1's tandemd (a service manager's graceful stop); nginx keeps running;
 *   hang      SIGSTOP of n1's tandemd and nginx, SIGCONT 3 s later; also how long the frozen kernel held the VIP
 *             beside the new owner and how long after SIGCONT that lasted, and answers from the frozen node after
 *             the takeover (stale neighbour entries);
 *   move      `tandem move web n2` through n1's API socket (a planned switchover);
 *   failback  failback auto: crash n1, wait until n2 serves, then reboot n1 (flush its kernel's VIP and neighbour
 *             table as a reboot would, links up, nginx, then tandemd): failed probes, the longest gap and the
 *             overlap while the group returns; `outage` is the switch gap (last answer from n2 → first from n1).
 *
 * Every run is a fresh lab (setup costs a few seconds, far less than the care a reused lab would need to be sure
 * nothing of the previous run is left: neighbour entries, VIPs, daemon state). A false failover is a `peer-dead`
 * event for a node that was not faulted, or any `peer-dead` before the fault; a run with one before the fault is
 * void (counted, not measured).
 *
 * The figures are meant for a machine that runs nothing else heavy: before each run the bench waits (bounded) until
 * other processes use less than a quarter of a CPU, measures what they used during the run, and counts the runs
 * where that was more ("busy"). Starved daemons fail over falsely at fast timings and, without fencing, a starved
 * holder keeps its VIP beside the new owner: such runs measure the machine, not the fault.
 *
 * Network safety: everything runs in the lab's namespaces on the lab's documentation addresses; the bench talks to
 * the daemons only through their Unix sockets in the lab dir; it signals only processes the lab started.
 */
import { copyFileSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { callApi } from '../src/cli/client.js';
import type { CommandResult } from '../src/daemon/commands.js';
import type { LoggedEvent } from '../src/obs/event-log.js';
import type { LabCluster } from '../test/lab/cluster.js';
import { Lab, type LabProcess } from '../test/lab/lab.js';
import {
  DEFAULT_VIP,
  Prober,
  analyzeProbes,
  crashNode,
  groupsYaml,
  nginxAvailable,
  rebootNode,
  runsOn,
  startNodeNginx,
  startWebCluster,
  vipGroup,
  waitForNodeNginx,
  writeNginxConfig,
  type NginxConfig,
  type ProbeRecord,
  type VipWatcher,
} from '../test/lab/web.js';
import type { Timings } from './lab-bench.js';
import { alignColumns } from './table.js';

export type FaultKind = 'crash' | 'stop' | 'hang' | 'move' | 'failback';
export const FAULT_KINDS: readonly FaultKind[] = ['crash', 'stop', 'hang', 'move', 'failback'];

export interface TimingSet {
  readonly name: string;
  readonly timings: Timings;
}

const NODES = ['n1', 'n2', 'n3'] as const;
const PRIMARY = 'n1';
const SUCCESSOR = 'n2';
const CLEAN_BEFORE_FAULT_MS = 1500;
const FREEZE_MS = 3000;
/** Probes watched after the new node first answers, to catch stale answers and late failures. */
const TAIL_MS = 500;
const RUN_TIMEOUT_MS = 90_000;
/** Other processes' CPU (in % of one CPU) below which the machine counts as quiet. */
const QUIET_PERCENT = 25;

/** The figures of one run; times in ms. */
export interface RunFigures {
  readonly fault: FaultKind;
  readonly timing: string;
  readonly run: number;
  readonly ok: boolean;
  /** crash/stop/hang/move: fault → end of the first OK answer from another node. failback: the switch gap. */
  readonly outageMs?: number;
  /** Failed probes sent from the fault on (failback: from the reboot on). */
  readonly failed: number;
  readonly errors: Readonly<Record<string, number>>;
  /** Longest time between two OK probes (by send time), from 0.5 s before the fault (failback: the reboot) on. */
  readonly longestGapMs: number;
  /** Total time two nodes with their VIP link up held the VIP. */
  readonly overlapMs: number;
  /** peer-dead for a node that was not faulted, or before the fault. */
  readonly falseFailovers: number;
  /** pause-detected on a node that was not faulted (a daemon starved of CPU). */
  readonly pausesElsewhere: number;
  /** CPU used during the run by processes that are not the bench's, in % of one CPU. */
  readonly foreignCpuPercent: number;
  /** hang: SIGCONT → the end of the last overlap (the frozen node dropped the VIP). */
  readonly resumeToOverlapEndMs?: number;
  /** hang: the group went back to the frozen node after it resumed (an extra handover; failback is manual). */
  readonly returnedToFrozen?: boolean;
  /** hang, when it went back: n2's VIP delete → n1's VIP add (kernel stamps), the extra handover's gap. */
  readonly extraHandoverGapMs?: number;
  /** hang/failback: OK answers from the faulted (hang) or outgoing (failback) node after the new node first answered. */
  readonly staleAnswers?: number;
  /** failback: crash → first answer from n2 (the crash part of the run). */
  readonly crashOutageMs?: number;
  /** failback: reboot began → first answer from n1. */
  readonly returnMs?: number;
  /** Failed probes sent after the new node's first answer (stale neighbour entries, flapping). */
  readonly failedAfterTakeover: number;
  /** stop/move/failback: where the time goes (ms after the fault; failback: after the reboot began). */
  readonly phases?: Readonly<Record<string, number>>;
  /** stop/move/failback: old node's VIP delete → new node's VIP add, from the kernels' own address events. */
  readonly vipAbsentMs?: number;
}

export interface FailoverBenchOptions {
  readonly runs: number;
  readonly timingSets: readonly TimingSet[];
  readonly faults: readonly FaultKind[];
  /** Progress and per-run lines (stderr). */
  readonly progress?: (line: string) => void;
  /** Copy every run's logs (tandemd, nginx, ip monitor, prober) here before teardown. */
  readonly keepLogsDir?: string;
  /** Before each run, wait until other processes use less than this % of one CPU (default 25)… */
  readonly quietPercent?: number;
  /** …but at most this long (default 120 s); a run with more other load than that is marked busy. */
  readonly quietWaitMs?: number;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

// ---- other load on the machine ------------------------------------------------------------------------------

/** CPU ticks (utime + stime, 1/100 s) of every process, keyed by pid + start time (a reused pid is another process). */
export interface CpuSnapshot {
  readonly atMs: number;
  readonly ticks: ReadonlyMap<string, number>;
  /** Keys of the processes that are this bench or descend from it (the labs, their daemons, nginx, the prober). */
  readonly own: ReadonlySet<string>;
}

const TICKS_PER_SECOND = 100;

export function cpuSnapshot(): CpuSnapshot {
  const parent = new Map<number, number>();
  const keyOf = new Map<number, string>();
  const ticks = new Map<string, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const key = `${entry}:${fields[19]}`;
      parent.set(Number(entry), Number(fields[1]));
      keyOf.set(Number(entry), key);
      ticks.set(key, Number(fields[11]) + Number(fields[12]));
    } catch {
      // ended meanwhile
    }
  }
  const own = new Set<string>();
  for (const pid of parent.keys()) {
    for (let at: number | undefined = pid, hops = 0; at !== undefined && at > 1 && hops < 64; at = parent.get(at), hops++) {
      if (at === process.pid) {
        own.add(keyOf.get(pid) as string);
        break;
      }
    }
  }
  return { atMs: Date.now(), ticks, own };
}

/** CPU used between two snapshots by processes that are not ours, in % of one CPU. */
export function foreignCpuPercent(before: CpuSnapshot, after: CpuSnapshot): number {
  let used = 0;
  for (const [key, ticks] of after.ticks) {
    if (after.own.has(key) || before.own.has(key)) continue;
    used += ticks - (before.ticks.get(key) ?? 0);
  }
  const seconds = Math.max(0.001, (after.atMs - before.atMs) / 1000);
  return Math.round((100 * used) / TICKS_PER_SECOND / seconds);
}

/**
 * Waits (at most `maxWaitMs`) until other processes use less than `percent` % of one CPU over a second: the
 * figures are meant for a machine that runs the lab and nothing else heavy. Returns the load last seen.
 */
export async function waitForQuiet(percent: number, maxWaitMs: number, progress: (line: string) => void): Promise<number> {
  const deadline = Date.now() + maxWaitMs;
  let said = false;
  for (;;) {
    const before = cpuSnapshot();
    await sleep(1000);
    const load = foreignCpuPercent(before, cpuSnapshot());
    if (load < percent || Date.now() >= deadline) {
      if (said) progress(load < percent ? `failover: quiet again (other processes ${load}% of a CPU)` : `failover: still busy after ${Math.round(maxWaitMs / 1000)} s (other processes ${load}% of a CPU); running anyway, the run is marked busy`);
      return load;
    }
    if (!said) progress(`failover: other processes use ${load}% of a CPU; waiting up to ${Math.round(maxWaitMs / 1000)} s for them to finish`);
    said = true;
  }
}

/** A run whose cluster failed over before the fault (a false failover): its figures would not measure the fault. */
class DisturbedRun extends Error {
  constructor(
    message: string,
    readonly falseFailovers: number,
  ) {
    super(message);
  }
}

interface Setup {
  readonly lab: Lab;
  readonly cluster: LabCluster;
  readonly watcher: VipWatcher;
  readonly nginxConfig: NginxConfig;
  readonly nginx: Map<string, LabProcess>;
  readonly prober: Prober;
}

async function setUp(lab: Lab, timings: Timings, failback: 'auto' | 'manual', started: { cluster?: LabCluster }): Promise<Setup> {
  const nginxConfig = writeNginxConfig(lab);
  const nginx = new Map<string, LabProcess>(NODES.map((node) => [node, startNodeNginx(lab, node, nginxConfig)]));
  await Promise.all(NODES.map((node) => waitForNodeNginx(lab, node, nginxConfig)));
  const groups = groupsYaml(vipGroup(lab, { nodes: NODES, failback }));
  const { cluster, watcher } = await startWebCluster(lab, { nodes: NODES, groups, timings });
  started.cluster = cluster;
  await cluster.waitFor('web runs on n1, as n2 and n3 agree', () => runsOn(cluster, PRIMARY, ['n2', 'n3']), 20_000);
  const prober = Prober.start(lab, 'client');
  await waitForCleanAnswers(prober, PRIMARY, CLEAN_BEFORE_FAULT_MS);
  return { lab, cluster, watcher, nginxConfig, nginx, prober };
}

/** Waits until exactly one node holds the VIP (per its kernel) and runs the group as every daemon agrees; returns it. */
async function settleOnOneHolder(cluster: LabCluster, watcher: VipWatcher, timeoutMs: number): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const holders = watcher.holders(DEFAULT_VIP);
    const [holder] = holders;
    if (holders.length === 1 && holder !== undefined && (await runsOn(cluster, holder, NODES.filter((node) => node !== holder)))) return holder;
    if (Date.now() > deadline) throw new Error(`after the freeze: VIP held by [${holders.join(', ')}], no single holder every daemon agrees on after ${timeoutMs} ms`);
    await sleep(25);
  }
}

/** Waits until `node` has answered every probe for `ms` in a row. */
async function waitForCleanAnswers(prober: Prober, node: string, ms: number, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const results = prober.results().sort((a, b) => a.sentAtWallMs - b.sentAtWallMs);
    let firstClean: ProbeRecord | undefined;
    for (const record of results) {
      if (record.ok && record.node === node) firstClean ??= record;
      else firstClean = undefined;
    }
    if (firstClean !== undefined && results[results.length - 1]!.sentAtWallMs - firstClean.sentAtWallMs >= ms) return;
    if (Date.now() > deadline) throw new Error(`no ${ms} ms of clean answers from ${node} within ${timeoutMs} ms`);
    await sleep(50);
  }
}

async function events(cluster: LabCluster, node: string): Promise<readonly LoggedEvent[]> {
  try {
    return (await callApi<LoggedEvent[]>(cluster.socket(node), 'GET', '/v1/events?count=1000', 2000)).body;
  } catch {
    return [];
  }
}

/** Every peer-dead event the daemons have logged so far. */
async function peerDeadEvents(cluster: LabCluster): Promise<number> {
  let count = 0;
  for (const node of NODES) for (const event of await events(cluster, node)) if (event.kind === 'peer-dead') count += 1;
  return count;
}

/** False failovers and CPU starvation seen by the daemons still answering. */
async function anomalies(cluster: LabCluster, faultAt: number, faulted: string): Promise<{ falseFailovers: number; pausesElsewhere: number }> {
  let falseFailovers = 0;
  let pausesElsewhere = 0;
  for (const node of NODES) {
    for (const event of await events(cluster, node)) {
      const at = Date.parse(event.wallTime);
      if (event.kind === 'peer-dead' && (at < faultAt || (event.node !== faulted && node !== faulted))) falseFailovers += 1;
      if (event.kind === 'pause-detected' && node !== faulted) pausesElsewhere += 1;
    }
  }
  return { falseFailovers, pausesElsewhere };
}

interface LogLine {
  readonly node: string;
  readonly atMs: number;
  readonly msg: string;
  readonly event?: string;
}

/** tandemd's JSON log lines of `nodes`, from every process started on them, by time. */
function daemonLog(cluster: LabCluster, nodes: readonly string[]): LogLine[] {
  const out: LogLine[] = [];
  for (const node of nodes) {
    let text = '';
    try {
      text = cluster.process(node).output();
    } catch {
      continue;
    }
    for (const line of text.split('\n')) {
      if (!line.startsWith('{')) continue;
      try {
        const record = JSON.parse(line) as { time?: string; msg?: string; event?: string };
        if (record.time === undefined || record.msg === undefined) continue;
        out.push({ node, atMs: Date.parse(record.time), msg: record.msg, ...(record.event !== undefined ? { event: record.event } : {}) });
      } catch {
        // a line being written
      }
    }
  }
  return out.sort((a, b) => a.atMs - b.atMs);
}

/**
 * Where a handover's time goes, in ms after `originMs`: the daemons' log lines (millisecond stamps) for the decision
 * and the agent operations, the kernel's own address events (`ip monitor`, µs stamps) for the VIP leaving the old
 * node and arriving on the new one, the first gratuitous ARP (the start's report says how long after the start it
 * left), and the client's first answer from the new node.
 */
function handoverPhases(
  cluster: LabCluster,
  watcher: VipWatcher,
  originMs: number,
  from: string,
  to: string,
  answeredAt: number | undefined,
): { phases: Record<string, number>; vipAbsentMs: number | undefined } {
  const log = daemonLog(cluster, [from, to]).filter((line) => line.atMs >= originMs - 1);
  const phases: Record<string, number> = {};
  const at = (name: string, wallMs: number | undefined): void => {
    if (wallMs !== undefined && phases[name] === undefined) phases[name] = Math.round((wallMs - originMs) * 10) / 10;
  };
  const find = (node: string, pattern: RegExp): LogLine | undefined => log.find((line) => line.node === node && pattern.test(line.msg));
  if (to === PRIMARY) at(`${to} tandemd started`, find(to, /^tandemd .* started$/)?.atMs);
  at(`${from} decides: stop issued`, find(from, /^stop web-ip \(/)?.atMs);
  const deleted = watcher.events().find((event) => event.node === from && event.kind === 'delete' && event.wallMs >= originMs);
  at(`${from} VIP deleted (kernel)`, deleted?.wallMs);
  at(`${from} stop reported`, find(from, /^group-stopped web/)?.atMs);
  if (from === PRIMARY) at(`${from} leave sent`, find(from, /^leaving .*heartbeats stop/)?.atMs);
  const startIssued = find(to, /^start web-ip \(/);
  at(`${to} granted: start issued`, startIssued?.atMs);
  const added = watcher.events().find((event) => event.node === to && event.kind === 'add' && event.wallMs >= (deleted?.wallMs ?? originMs));
  at(`${to} VIP added (kernel)`, added?.wallMs);
  const started = find(to, /^start web-ip: success/);
  const garp = started === undefined ? undefined : /first gratuitous ARP ([\d.]+) ms after start/.exec(started.msg);
  if (startIssued !== undefined && garp?.[1] !== undefined) at(`${to} 1st GARP (≈, from the start's report)`, startIssued.atMs + Number(garp[1]));
  at(`client answered by ${to}`, answeredAt);
  return { phases, vipAbsentMs: deleted !== undefined && added !== undefined ? Math.round((added.wallMs - deleted.wallMs) * 10) / 10 : undefined };
}

function keepLogs(lab: Lab, dir: string, label: string): void {
  const target = join(dir, label);
  mkdirSync(target, { recursive: true });
  for (const entry of readdirSync(lab.dir)) {
    if (entry.endsWith('.log') || entry.endsWith('.conf')) copyFileSync(join(lab.dir, entry), join(target, entry));
  }
}

function fail(message: string): never {
  throw new Error(message);
}

/** One run of one fault in a fresh lab. */
async function oneRun(fault: FaultKind, set: TimingSet, run: number, keepLogsDir: string | undefined): Promise<RunFigures> {
  const load = cpuSnapshot();
  const lab = await Lab.create({ nodes: [...NODES], links: 2, clients: ['client'] });
  const started: { cluster?: LabCluster } = {};
  try {
    const setup = await setUp(lab, set.timings, fault === 'failback' ? 'auto' : 'manual', started).catch(async (error: unknown) => {
      // A set-up that timed out because a peer was declared dead meanwhile is a false failover, not a broken lab.
      const early = started.cluster === undefined ? 0 : await peerDeadEvents(started.cluster);
      throw early > 0 ? new DisturbedRun(`disturbed during set-up: ${early} peer-dead event(s) (${(error as Error).message.split('\n')[0]})`, early) : error;
    });
    const { cluster, watcher, prober, nginx } = setup;
    const primaryNginx = nginx.get(PRIMARY) ?? fail('no nginx on n1');
    // Nothing may have failed over yet: a false failover during set-up or the clean period voids the run.
    const early = await peerDeadEvents(cluster);
    if (early > 0 || !(await runsOn(cluster, PRIMARY, ['n2', 'n3']))) {
      throw new DisturbedRun(`disturbed before the fault: ${early} peer-dead event(s), web ${early > 0 ? 'may have moved' : 'not on n1 alone'}`, Math.max(1, early));
    }
    let faultAt = 0;
    let figures: Partial<RunFigures> = {};
    let windowFrom = 0;
    let staleUntil = Infinity;
    const faulted = PRIMARY;

    if (fault === 'crash') {
      faultAt = Date.now();
      await Promise.all([crashNode(cluster, watcher, PRIMARY), Promise.resolve().then(() => primaryNginx.kill('SIGKILL'))]);
      await prober.waitForAnswerFrom(SUCCESSOR, faultAt, 15_000);
      await cluster.waitFor('web runs on n2, as n3 agrees', () => runsOn(cluster, SUCCESSOR, ['n3']), 15_000);
    } else if (fault === 'stop') {
      const daemon = cluster.process(PRIMARY);
      faultAt = Date.now();
      daemon.kill('SIGTERM');
      const exited = await daemon.exited;
      if (exited.code !== 0) fail(`n1's tandemd exited ${JSON.stringify(exited)} after SIGTERM, not 0`);
      await prober.waitForAnswerFrom(SUCCESSOR, faultAt, 15_000);
      await cluster.waitFor('web runs on n2, as n3 agrees', () => runsOn(cluster, SUCCESSOR, ['n3']), 15_000);
    } else if (fault === 'move') {
      faultAt = Date.now();
      const answer = await callApi<CommandResult>(cluster.socket(PRIMARY), 'POST', '/v1/commands', 5000, { kind: 'move', group: 'web', node: SUCCESSOR });
      if (!answer.body.ok) fail(`tandem move web n2 refused: ${answer.body.message}`);
      await prober.waitForAnswerFrom(SUCCESSOR, faultAt, 15_000);
      await cluster.waitFor('web runs on n2, as n1 and n3 agree', () => runsOn(cluster, SUCCESSOR, ['n1', 'n3']), 15_000);
    } else if (fault === 'hang') {
      const daemon = cluster.process(PRIMARY);
      faultAt = Date.now();
      daemon.kill('SIGSTOP');
      primaryNginx.kill('SIGSTOP');
      await sleep(Math.max(0, faultAt + FREEZE_MS - Date.now()));
      const resumeAt = Date.now();
      daemon.kill('SIGCONT');
      primaryNginx.kill('SIGCONT');
      await prober.waitForAnswerFrom(SUCCESSOR, faultAt, 15_000);
      // The frozen node yields when it runs again; with failback manual the group should stay on n2. Wait until one
      // node holds the VIP and every daemon agrees, whichever it is: a return to n1 is a finding, not a broken run.
      const holder = await settleOnOneHolder(cluster, watcher, 15_000);
      await sleep(1000); // stale neighbour entries would show as answers from n1 or failures here
      const overlaps = watcher.overlaps().intervals;
      const lastEnd = overlaps.reduce((end, interval) => Math.max(end, interval.toMs), -Infinity);
      const readdedByN1 = watcher.events().find((event) => event.node === PRIMARY && event.kind === 'add' && event.wallMs > resumeAt);
      const deletedByN2 = watcher.events().find((event) => event.node === SUCCESSOR && event.kind === 'delete' && event.wallMs > resumeAt);
      figures = {
        resumeToOverlapEndMs: Number.isFinite(lastEnd) ? Math.round(lastEnd - resumeAt) : 0,
        returnedToFrozen: holder === PRIMARY,
        ...(holder === PRIMARY && readdedByN1 !== undefined && deletedByN2 !== undefined ? { extraHandoverGapMs: Math.round((readdedByN1.wallMs - deletedByN2.wallMs) * 10) / 10 } : {}),
      };
      staleUntil = readdedByN1?.wallMs ?? Infinity;
    } else {
      // failback: crash n1, n2 serves, n1 reboots and takes its group back.
      faultAt = Date.now();
      await Promise.all([crashNode(cluster, watcher, PRIMARY), Promise.resolve().then(() => primaryNginx.kill('SIGKILL'))]);
      await prober.waitForAnswerFrom(SUCCESSOR, faultAt, 15_000);
      await cluster.waitFor('web runs on n2, as n3 agrees', () => runsOn(cluster, SUCCESSOR, ['n3']), 15_000);
      await sleep(1000);
      const rebootAt = Date.now();
      // The machine boots: its kernel forgot the VIP and its neighbours; nginx starts at boot, then tandemd.
      nginx.set(PRIMARY, startNodeNginx(lab, PRIMARY, setup.nginxConfig));
      await rebootNode(cluster, watcher, PRIMARY);
      await cluster.waitFor('web back on n1, as n2 and n3 agree', () => runsOn(cluster, PRIMARY, ['n2', 'n3']), 30_000);
      const home = await prober.waitForAnswerFrom(PRIMARY, rebootAt, 15_000);
      await sleep(TAIL_MS);
      const probes = prober.results();
      const crashPart = analyzeProbes(probes, { fromMs: faultAt, toMs: rebootAt, faultWallMs: faultAt, faultedNode: PRIMARY });
      const lastFromN2 = probes.filter((record) => record.ok && record.node === SUCCESSOR && record.sentAtWallMs < home.sentAtWallMs).sort((a, b) => a.sentAtWallMs - b.sentAtWallMs).pop();
      figures = {
        ...(crashPart.outageMs !== undefined ? { crashOutageMs: crashPart.outageMs } : {}),
        returnMs: Math.round(home.sentAtWallMs + home.latencyMs - rebootAt),
        ...(lastFromN2 !== undefined ? { outageMs: Math.round(home.sentAtWallMs - lastFromN2.sentAtWallMs) } : {}),
        staleAnswers: probes.filter((record) => record.ok && record.node === SUCCESSOR && record.sentAtWallMs > home.sentAtWallMs).length,
      };
      windowFrom = rebootAt;
    }

    if (fault !== 'hang' && fault !== 'failback') await sleep(TAIL_MS);
    const probes = await prober.stop();
    watcher.stop();
    // Failed probes and outage from the fault (failback: from the reboot) on; the longest gap also sees the
    // last answers before it, or a gap that begins at the fault would not count.
    const analysisFrom = fault === 'failback' ? windowFrom : faultAt;
    const analysis = analyzeProbes(probes, { fromMs: analysisFrom, faultWallMs: faultAt, faultedNode: faulted });
    const gaps = analyzeProbes(probes, { fromMs: analysisFrom - 500 });
    const overlap = watcher.overlaps();
    const firstFromNew = fault === 'failback' ? probes.find((record) => record.ok && record.node === PRIMARY && record.sentAtWallMs >= windowFrom) : analysis.firstAnswerAfterFault;
    const answeredAt = firstFromNew === undefined ? undefined : firstFromNew.sentAtWallMs + firstFromNew.latencyMs;
    const handover =
      fault === 'stop' || fault === 'move' ? handoverPhases(cluster, watcher, faultAt, PRIMARY, SUCCESSOR, answeredAt)
      : fault === 'failback' ? handoverPhases(cluster, watcher, windowFrom, SUCCESSOR, PRIMARY, answeredAt)
      : undefined;
    const result: RunFigures = {
      fault,
      timing: set.name,
      run,
      ok: true,
      ...(fault !== 'failback' && analysis.outageMs !== undefined ? { outageMs: analysis.outageMs } : {}),
      failed: analysis.failed,
      errors: analysis.errors,
      longestGapMs: gaps.longestGapMs,
      overlapMs: Math.round(overlap.totalMs),
      failedAfterTakeover: firstFromNew === undefined ? 0 : probes.filter((record) => !record.ok && record.sentAtWallMs > firstFromNew.sentAtWallMs).length,
      ...(await anomalies(cluster, faultAt, faulted)),
      foreignCpuPercent: foreignCpuPercent(load, cpuSnapshot()),
      ...figures,
      ...(fault === 'hang' && firstFromNew !== undefined
        ? { staleAnswers: probes.filter((record) => record.ok && record.node === PRIMARY && record.sentAtWallMs > firstFromNew.sentAtWallMs && record.sentAtWallMs < staleUntil).length }
        : {}),
      ...(handover !== undefined ? { phases: handover.phases, ...(handover.vipAbsentMs !== undefined ? { vipAbsentMs: handover.vipAbsentMs } : {}) } : {}),
    };
    if (keepLogsDir !== undefined) keepLogs(lab, keepLogsDir, `${fault}-${set.name}-${run}`);
    return result;
  } catch (error) {
    if (keepLogsDir !== undefined) keepLogs(lab, keepLogsDir, `${fault}-${set.name}-${run}-error`);
    throw error;
  } finally {
    await lab.teardown();
    reapLeftovers(lab);
  }
}

/** Processes of a torn-down lab still alive: a harness leak (they would keep this process from exiting). */
export const leftoverReports: string[] = [];

/**
 * After a lab's teardown nothing it started may live on. Finds this process's descendants whose command line names
 * the lab's directory, reports them and SIGKILLs them (they are ours: started by the lab for this run).
 */
export function reapLeftovers(lab: Lab): void {
  const snapshot = cpuSnapshot();
  const found: string[] = [];
  for (const key of snapshot.own) {
    const pid = Number(key.split(':')[0]);
    if (pid === process.pid) continue;
    let cmdline = '';
    try {
      cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
    } catch {
      continue;
    }
    if (!cmdline.includes(lab.dir)) continue;
    found.push(`${pid} ${cmdline.slice(0, 160)}`);
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone meanwhile
    }
  }
  if (found.length === 0) return;
  // What the lab knew of them (a private field, read for this diagnosis only).
  const tracked = [...((lab as unknown as { processes?: Set<LabProcess & { running?: boolean }> }).processes ?? [])].map(
    (proc) => `${proc.node} ${proc.logFile.split('/').pop() ?? ''} pid ${proc.pid} init ${proc.initPid() ?? '?'} program ${proc.programPid() ?? '?'} running ${String(proc.running)}`,
  );
  leftoverReports.push(`${lab.prefix}: ${found.length} process(es) alive after teardown, killed: ${found.join(' | ')}; still tracked by the lab: ${tracked.join('; ') || 'none'}`);
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: no result after ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

// ---- summary -----------------------------------------------------------------------------------------------

export interface Stat {
  readonly min: number;
  readonly median: number;
  readonly max: number;
}

export function stat(values: readonly (number | undefined)[], decimals = 0): Stat | undefined {
  const sorted = values.filter((value): value is number => value !== undefined && Number.isFinite(value)).sort((a, b) => a - b);
  if (sorted.length === 0) return undefined;
  const round = (value: number): number => Math.round(value * 10 ** decimals) / 10 ** decimals;
  // The lower median for an even count.
  return { min: round(sorted[0]!), median: round(sorted[Math.floor((sorted.length - 1) / 2)]!), max: round(sorted[sorted.length - 1]!) };
}

export interface FaultSummary {
  readonly fault: FaultKind;
  readonly timing: string;
  readonly timings: Timings;
  readonly runs: number;
  readonly okRuns: number;
  readonly errors: readonly string[];
  readonly outageMs?: Stat;
  readonly failedProbes?: Stat;
  readonly longestGapMs?: Stat;
  readonly overlapMs?: Stat;
  /** peer-dead for a node that was not faulted, in the runs and before the fault of disturbed runs. */
  readonly falseFailovers: number;
  /** Runs voided by a false failover before the fault (counted in falseFailovers, not in the figures). */
  readonly disturbedRuns: number;
  /** Runs during which other processes used more than the quiet threshold of CPU (their figures are included). */
  readonly busyRuns: number;
  readonly foreignCpuPercent?: Stat;
  readonly pausesElsewhere: number;
  readonly resumeToOverlapEndMs?: Stat;
  readonly staleAnswers?: Stat;
  readonly crashOutageMs?: Stat;
  readonly returnMs?: Stat;
  readonly failedAfterTakeover?: Stat;
  readonly vipAbsentMs?: Stat;
  /** hang: runs where the group went back to the frozen node after it resumed. */
  readonly returnedToFrozen?: number;
  readonly extraHandoverGapMs?: Stat;
  /** stop/move/failback: the timeline of the run with the median outage, ms after the fault (failback: the reboot). */
  readonly medianRunPhases?: Readonly<Record<string, number>>;
  readonly target: string;
}

/** The DESIGN §9 target and anchors of each fault at each timing set. */
export function targetOf(fault: FaultKind, timing: string): string {
  const fastest = timing !== 'default';
  switch (fault) {
    case 'crash':
      return fastest ? 'target < 250 ms median (keepalived fast 360 ms, heartbeat fast 960 ms)' : 'target < 1 s median (keepalived 2.71 s, heartbeat 29.6 s)';
    case 'stop':
    case 'move':
      return 'target < 50 ms + resources\' stop/start (keepalived 91 ms, heartbeat 420 ms, ucarp 3.06 s)';
    case 'hang':
      return `target outage = crash figure; overlap: no fencing yet (keepalived: whole freeze + 30 ms after resume)`;
    case 'failback':
      return 'target 0 failed probes, 0 overlap (keepalived 0 failed; heartbeat 0.2-0.7 s gap; ucarp 0.6-0.9 s overlap)';
  }
}

function summarize(
  fault: FaultKind,
  set: TimingSet,
  results: readonly RunFigures[],
  errors: readonly string[],
  extra: { disturbed: number; falseBeforeFault: number; quietPercent: number },
): FaultSummary {
  const ok = results.filter((result) => result.ok);
  const optional = <K extends string>(key: K, value: Stat | undefined): Partial<Record<K, Stat>> => (value === undefined ? {} : ({ [key]: value } as Record<K, Stat>));
  // One coherent timeline: the run with the median outage (per-step medians from different runs need not be in order).
  let medianRunPhases: Readonly<Record<string, number>> | undefined;
  const withPhases = ok.filter((result) => result.phases !== undefined && result.outageMs !== undefined).sort((x, y) => (x.outageMs ?? 0) - (y.outageMs ?? 0));
  if (withPhases.length > 0) medianRunPhases = withPhases[Math.floor((withPhases.length - 1) / 2)]?.phases;
  return {
    fault,
    timing: set.name,
    timings: set.timings,
    runs: results.length + errors.length,
    okRuns: ok.length,
    errors,
    ...optional('outageMs', stat(ok.map((result) => result.outageMs))),
    ...optional('failedProbes', stat(ok.map((result) => result.failed))),
    ...optional('longestGapMs', stat(ok.map((result) => result.longestGapMs))),
    ...optional('overlapMs', stat(ok.map((result) => result.overlapMs))),
    falseFailovers: ok.reduce((sum, result) => sum + result.falseFailovers, 0) + extra.falseBeforeFault,
    disturbedRuns: extra.disturbed,
    busyRuns: ok.filter((result) => result.foreignCpuPercent >= extra.quietPercent).length,
    ...optional('foreignCpuPercent', stat(ok.map((result) => result.foreignCpuPercent))),
    pausesElsewhere: ok.reduce((sum, result) => sum + result.pausesElsewhere, 0),
    ...optional('resumeToOverlapEndMs', stat(ok.map((result) => result.resumeToOverlapEndMs))),
    ...optional('staleAnswers', stat(ok.map((result) => result.staleAnswers))),
    ...optional('crashOutageMs', stat(ok.map((result) => result.crashOutageMs))),
    ...optional('returnMs', stat(ok.map((result) => result.returnMs))),
    ...optional('failedAfterTakeover', stat(ok.map((result) => result.failedAfterTakeover))),
    ...optional('vipAbsentMs', stat(ok.map((result) => result.vipAbsentMs), 1)),
    ...(fault === 'hang' ? { returnedToFrozen: ok.filter((result) => result.returnedToFrozen === true).length } : {}),
    ...optional('extraHandoverGapMs', stat(ok.map((result) => result.extraHandoverGapMs), 1)),
    ...(medianRunPhases !== undefined ? { medianRunPhases } : {}),
    target: targetOf(fault, set.name),
  };
}

function show(value: Stat | undefined, unit = ''): string {
  return value === undefined ? '-' : `${value.min}/${value.median}/${value.max}${unit}`;
}

/** The table: one row per fault and timing set, figures as min/median/max. */
export function formatTable(summaries: readonly FaultSummary[]): string {
  const header = ['timings', 'fault', 'runs', 'outage ms', 'failed probes', 'longest gap ms', 'overlap ms', 'false f/o', 'busy', 'target / anchors (DESIGN §9)'];
  const rows = summaries.map((summary) => [
    summary.timing,
    summary.fault,
    `${summary.okRuns}/${summary.runs}`,
    show(summary.outageMs),
    show(summary.failedProbes),
    show(summary.longestGapMs),
    show(summary.overlapMs),
    String(summary.falseFailovers),
    String(summary.busyRuns),
    summary.target,
  ]);
  const lines = alignColumns(header, rows);
  const notes: string[] = [];
  for (const summary of summaries) {
    const label = `${summary.timing} ${summary.fault}`;
    if (summary.fault === 'hang') {
      notes.push(`${label}: SIGCONT → overlap ended ${show(summary.resumeToOverlapEndMs, ' ms')}; answers from the frozen node after the takeover ${show(summary.staleAnswers)}`);
      if ((summary.returnedToFrozen ?? 0) > 0) {
        notes.push(`${label}: in ${summary.returnedToFrozen} run(s) the group went back to the frozen node after SIGCONT (n2 stopped it too; failback is manual), VIP on no node ${show(summary.extraHandoverGapMs, ' ms')} during that extra handover`);
      }
    }
    if (summary.fault === 'failback') {
      notes.push(`${label}: outage column = switch gap (last answer from n2 → first from n1); crash → n2 ${show(summary.crashOutageMs, ' ms')}; reboot → n1 answers ${show(summary.returnMs, ' ms')}; answers from n2 after n1's first ${show(summary.staleAnswers)}`);
    }
    if (summary.vipAbsentMs !== undefined) notes.push(`${label}: VIP on no node (old node's delete → new node's add, kernel stamps) ${show(summary.vipAbsentMs, ' ms')}`);
    if (summary.medianRunPhases !== undefined && Object.keys(summary.medianRunPhases).length > 0) {
      const origin = summary.fault === 'failback' ? 'the reboot began' : 'the fault';
      notes.push(`${label}: where the time goes (median run, ms after ${origin}): ${Object.entries(summary.medianRunPhases).sort((x, y) => x[1] - y[1]).map(([name, ms]) => `${name} +${ms}`).join(', ')}`);
    }
    if (summary.failedAfterTakeover !== undefined && summary.failedAfterTakeover.max > 0) notes.push(`${label}: failed probes after the new node's first answer ${show(summary.failedAfterTakeover)}`);
    if (summary.pausesElsewhere > 0) notes.push(`${label}: ${summary.pausesElsewhere} pause-detected event(s) on nodes that were not faulted (CPU starvation)`);
    if (summary.busyRuns > 0) notes.push(`${label}: ${summary.busyRuns} run(s) with other processes busy (their CPU during the runs, % of one CPU: ${show(summary.foreignCpuPercent)})`);
    for (const error of summary.errors) notes.push(`${label}: run failed: ${error.split('\n')[0]}`);
  }
  return [...lines, '', ...notes].join('\n');
}

/** Runs every fault at every timing set, `runs` times each; returns the summaries (and prints progress). */
export async function failoverBench(options: FailoverBenchOptions): Promise<{ summaries: FaultSummary[]; runs: RunFigures[] }> {
  if (!nginxAvailable()) throw new Error('failover bench: nginx is not installed (apt-get install nginx-light)');
  const progress = options.progress ?? ((): void => undefined);
  const summaries: FaultSummary[] = [];
  const all: RunFigures[] = [];
  for (const set of options.timingSets) {
    for (const fault of options.faults) {
      const results: RunFigures[] = [];
      const errors: string[] = [];
      let disturbed = 0;
      let falseBeforeFault = 0;
      for (let run = 1; run <= options.runs; run++) {
        const leftoversBefore = leftoverReports.length;
        await waitForQuiet(options.quietPercent ?? QUIET_PERCENT, options.quietWaitMs ?? 120_000, progress);
        const started = Date.now();
        try {
          const figures = await withTimeout(oneRun(fault, set, run, options.keepLogsDir), RUN_TIMEOUT_MS, `${fault} ${set.name} run ${run}`);
          results.push(figures);
          all.push(figures);
          const extra = [
            figures.resumeToOverlapEndMs !== undefined ? `resume→overlap end ${figures.resumeToOverlapEndMs} ms` : '',
            figures.returnedToFrozen === true ? `WENT BACK TO n1 after SIGCONT (VIP on no node ${figures.extraHandoverGapMs ?? '?'} ms)` : '',
            figures.returnMs !== undefined ? `return ${figures.returnMs} ms, crash→n2 ${figures.crashOutageMs} ms` : '',
            figures.staleAnswers !== undefined ? `stale answers ${figures.staleAnswers}` : '',
            figures.failedAfterTakeover > 0 ? `failed after takeover ${figures.failedAfterTakeover}` : '',
            figures.pausesElsewhere > 0 ? `pauses elsewhere ${figures.pausesElsewhere}` : '',
            figures.vipAbsentMs !== undefined ? `VIP on no node ${figures.vipAbsentMs} ms` : '',
            figures.phases !== undefined ? `phases ${JSON.stringify(figures.phases)}` : '',
            `other load ${figures.foreignCpuPercent}% of a CPU`,
          ].filter((text) => text !== '');
          progress(
            `failover ${set.name} ${fault} ${run}/${options.runs}: outage ${figures.outageMs ?? '-'} ms, failed ${figures.failed} ${JSON.stringify(figures.errors)}, gap ${figures.longestGapMs} ms, ` +
              `overlap ${figures.overlapMs} ms, false ${figures.falseFailovers}${extra.length > 0 ? `, ${extra.join(', ')}` : ''} (${((Date.now() - started) / 1000).toFixed(1)} s)`,
          );
        } catch (error) {
          const message = error instanceof Error ? error.message : String(error);
          if (error instanceof DisturbedRun) {
            disturbed += 1;
            falseBeforeFault += error.falseFailovers;
          }
          errors.push(message);
          progress(`failover ${set.name} ${fault} ${run}/${options.runs}: FAILED: ${message}`);
        }
        for (const report of leftoverReports.slice(leftoversBefore)) progress(`failover: HARNESS LEAK: ${report}`);
      }
      summaries.push(summarize(fault, set, results, errors, { disturbed, falseBeforeFault, quietPercent: options.quietPercent ?? QUIET_PERCENT }));
    }
  }
  return { summaries, runs: all };
}
