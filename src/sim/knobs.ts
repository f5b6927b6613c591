/**
 * Everything a simulator run varies, drawn from the seed alone (TigerBeetle's PacketSimulatorOptions): the cluster
 * shape, the failure-detector timings, the network, the fault mix, the attack rate, the resource groups, the
 * simulated agents, the operator and the split-brain protection (its mode, fence devices, watchdog, ping targets).
 * Printed first, so a failing seed explains itself before it replays. The protection and the newer fault kinds come
 * from a stream of their own, so that the rest of a seed's knobs are what they were before protection was simulated
 * (two-node modes and the arbitrator redraw the groups, which depend on the node count).
 */
import type { GroupSpec, ResourceSpec } from '../core/group-types.js';
import type { NoQuorumPolicy } from '../core/quorum.js';
import { nodeName, type MembershipTimings } from '../core/types.js';
import { SeededRandom, type Random } from '../lib/random.js';

export type FaultKind =
  | 'partition'
  | 'partition-asymmetric'
  | 'isolate'
  | 'link-down'
  | 'crash'
  | 'pause'
  | 'leave'
  | 'congestion'
  | 'loss-burst'
  /** Several islands: every node on one of 2..n sides. */
  | 'partition-islands'
  /** One side cannot reach the other, the other way works. */
  | 'partition-oneway'
  /** Heavy loss one way only, between two nodes or two sides. */
  | 'asymmetric-loss'
  /** A partition that comes and goes several times, each time around deadtime. */
  | 'flapping'
  /** A pause longer than deadtime (and sometimes than the watchdog timeout). */
  | 'long-pause'
  /** A node's uplink to (some of) the ping targets is cut (ping modes only). */
  | 'uplink';

export const FAULT_KINDS: readonly FaultKind[] = [
  'partition',
  'partition-asymmetric',
  'isolate',
  'link-down',
  'crash',
  'pause',
  'leave',
  'congestion',
  'loss-burst',
  'partition-islands',
  'partition-oneway',
  'asymmetric-loss',
  'flapping',
  'long-pause',
  'uplink',
];

/** The fault kinds of the first simulator, whose weights come from the seed's main stream (kept as they were). */
const CLASSIC_FAULT_KINDS = FAULT_KINDS.slice(0, 9);

/**
 * How a seed protects against split brain (the cluster's `quorum`, `arbitrator`, `ping`, `fencing` and `watchdog`):
 *   - heartbeat: two nodes without a tie-breaker (each side takes over, as heartbeat does), or no-quorum ignore;
 *   - quorum: three or more nodes, majority only;
 *   - watchdog: quorum plus a watchdog on every node;
 *   - fencing: a fence device for every node (two nodes or more);
 *   - arbitrator: one extra node that holds no group and backs one side, 2–4 other nodes;
 *   - ping: ping targets break ties (the world simulates the targets and cuts uplinks);
 *   - and the combinations ping+fencing, arbitrator+fencing, watchdog+fencing.
 */
export type ProtectionMode = 'heartbeat' | 'quorum' | 'watchdog' | 'fencing' | 'arbitrator' | 'ping' | 'ping+fencing' | 'arbitrator+fencing' | 'watchdog+fencing';

export const PROTECTION_MODES: readonly ProtectionMode[] = ['heartbeat', 'quorum', 'watchdog', 'fencing', 'arbitrator', 'ping', 'ping+fencing', 'arbitrator+fencing', 'watchdog+fencing'];
const MODE_WEIGHTS: Readonly<Record<ProtectionMode, number>> = {
  heartbeat: 14,
  quorum: 14,
  watchdog: 12,
  fencing: 14,
  arbitrator: 10,
  ping: 10,
  'ping+fencing': 9,
  'arbitrator+fencing': 8,
  'watchdog+fencing': 9,
};

export interface FenceKnobs {
  /** Head start of the preferred node in a fencing race. */
  readonly delayMs: number;
  /** A failed fencing is tried again after this long. */
  readonly retryMs: number;
  /** A fence operation takes uniformly durationMsMin..durationMsMax. */
  readonly durationMsMin: number;
  readonly durationMsMax: number;
  /** Chance that a fence operation fails (fault phase only: fence failures are faults). */
  readonly failChance: number;
  /** Fencing slower than deadtime. */
  readonly slow: boolean;
}

export interface PingKnobs {
  /** Ping targets (each a group of one address). */
  readonly targets: number;
  readonly intervalMs: number;
  /** A target unanswered this long is unreachable; the core's pingDeadMs. */
  readonly deadMs: number;
  readonly rttMsMax: number;
  /** Chance that a partition also cuts the uplink of one of its sides (symmetric or not to the split). */
  readonly partitionUplink: number;
}

export interface ProtectionKnobs {
  readonly mode: ProtectionMode;
  readonly noQuorum: NoQuorumPolicy;
  readonly waitForAll: boolean;
  /** Index of the arbitrator (always the last node), or -1. */
  readonly arbitrator: number;
  readonly watchdogTimeoutMs: number | undefined;
  readonly fencing: FenceKnobs | undefined;
  readonly ping: PingKnobs | undefined;
}

export interface LinkKnobs {
  /** Steady loss probability per packet during the fault phase (0 in the liveness phase). */
  readonly loss: number;
  readonly delayMsMin: number;
  /** Delay is uniform in [delayMsMin, delayMsMax]; the spread reorders packets. */
  readonly delayMsMax: number;
  readonly duplicate: number;
}

/** How the simulated agents behave: op durations and the faults they inject (fault phase only). */
export interface AgentKnobs {
  /** A successful op of each kind takes uniformly 1..max ms (always below its timeout). */
  readonly startMsMax: number;
  readonly stopMsMax: number;
  readonly monitorMsMax: number;
  /** Chance that a start fails (what it started may or may not be left running). */
  readonly startFail: number;
  /** Chance that a stop fails: the resource stays as it was and the group becomes unclean. */
  readonly stopFail: number;
  /** Chance that any op hangs: the runner kills it at its timeout and reports it failed. */
  readonly hang: number;
  /** Mean time between service crashes (a running resource found dead by its next monitor); 0 = none. */
  readonly serviceCrashMeanIntervalMs: number;
  /** Kernel reconciliation of VIPs (resource-lost / stray-found) every this many ms; 0 = off. */
  readonly reconcileIntervalMs: number;
  /** Chance that a crash is tandemd's alone: the kernel keeps what ran and the restarted daemon finds leftovers. */
  readonly daemonCrash: number;
}

export interface OperatorKnobs {
  /** Mean time between operator commands (move, standby, online, cleanup, takeover) in the fault phase; 0 = none. */
  readonly meanIntervalMs: number;
  /** Chance, per group left unclean when faults stop, that the operator cleans it up once membership agrees. */
  readonly cleanupAtQuiet: number;
}

export interface SimKnobs {
  readonly seed: number;
  readonly nodes: number;
  readonly links: number;
  readonly simulatedMs: number;
  readonly timings: MembershipTimings;
  readonly linkKnobs: readonly LinkKnobs[];
  /** Index of a node absent from the last link (when there are several links), or -1. */
  readonly nodeMissingLastLink: number;
  /** Index of a node that runs a different config digest (config-mismatch events), or -1. */
  readonly digestMismatchNode: number;
  /** Two keys in the ring, nodes send with either (a key rotation in progress). */
  readonly keyRotation: boolean;
  /** Extra delay a congestion fault adds at most. */
  readonly congestionMsMax: number;
  readonly faultMeanIntervalMs: number;
  readonly faultWeights: Readonly<Record<FaultKind, number>>;
  readonly attackMeanIntervalMs: number;
  /** Chance that a node that is down when faults stop stays down (at least one node always runs). */
  readonly keepDownChance: number;
  /** 0–4 resource groups over the simulated nodes. */
  readonly groups: readonly GroupSpec[];
  readonly agents: AgentKnobs;
  readonly operator: OperatorKnobs;
  readonly protection: ProtectionKnobs;
}

export interface KnobOverrides {
  readonly nodes?: number;
  readonly links?: number;
  readonly simulatedMs?: number;
  /** Forces the protection mode instead of drawing it (the other protection knobs are still drawn). */
  readonly mode?: ProtectionMode;
  /** Forces the no-quorum policy (a broken variant needs `stop`). */
  readonly noQuorum?: NoQuorumPolicy;
}

export const SIMULATED_MS_DEFAULT = 60_000;

export function drawKnobs(seed: number, random: Random, overrides: KnobOverrides): SimKnobs {
  const between = (min: number, max: number): number => min + random.int(max - min + 1);
  // Protection and the newer fault kinds come from a stream of their own, so that the main stream (and with it the
  // membership, network and classic fault knobs of every seed) stays as it was before protection was simulated.
  const extra = new SeededRandom((seed ^ 0x7a0d1c3b) >>> 0);
  const drawnNodes = overrides.nodes ?? between(3, 5);
  const mode = overrides.mode ?? drawMode(extra, overrides.nodes);
  const nodes = nodeCount(mode, drawnNodes, overrides.nodes !== undefined, extra);
  const links = overrides.links ?? between(1, 3);
  // Realistic keepalives (100–500 ms); warntime past two keepalives plus the delay spread, so a clean network never
  // makes a peer late; deadtime 4–7 keepalives; initdead 2–3 deadtimes (heartbeat's advice: at least twice).
  const keepaliveMs = 50 * between(2, 10);
  const deadtimeMs = keepaliveMs * between(4, 7);
  const warntimeMs = Math.min(deadtimeMs - keepaliveMs, Math.round(keepaliveMs * (2.5 + random.float())));
  const initdeadMs = deadtimeMs * between(2, 3);
  const linkKnobs: LinkKnobs[] = [];
  for (let i = 0; i < links; i++) {
    const delayMsMin = between(0, Math.floor(keepaliveMs / 10));
    // The spread stays under half a keepalive, so that in the liveness phase two heartbeats arrive at most
    // 1.5 keepalives apart, below warntime.
    const delayMsMax = delayMsMin + between(0, Math.floor(keepaliveMs / 2) - delayMsMin);
    linkKnobs.push({
      loss: random.float() < 0.3 ? 0 : random.float() * 0.3,
      delayMsMin,
      delayMsMax,
      duplicate: random.float() < 0.5 ? 0 : random.float() * 0.1,
    });
  }
  const weights = {} as Record<FaultKind, number>;
  for (const kind of CLASSIC_FAULT_KINDS) weights[kind] = random.float() < 0.2 ? 0 : between(1, 5);
  for (const kind of FAULT_KINDS.slice(CLASSIC_FAULT_KINDS.length)) weights[kind] = extra.float() < 0.4 ? 0 : 1 + extra.int(3);
  const drawn = drawProtection(mode, nodes, { keepaliveMs, deadtimeMs }, extra);
  const protection = overrides.noQuorum === undefined ? drawn : { ...drawn, noQuorum: overrides.noQuorum };
  if (protection.ping === undefined) weights.uplink = 0;
  const arbitrated = protection.arbitrator >= 0 ? 1 : 0;
  return {
    seed,
    nodes,
    links,
    simulatedMs: overrides.simulatedMs ?? SIMULATED_MS_DEFAULT,
    timings: { keepaliveMs, warntimeMs, deadtimeMs, initdeadMs },
    linkKnobs,
    nodeMissingLastLink: links > 1 && random.float() < 0.2 ? random.int(nodes) : -1,
    digestMismatchNode: random.float() < 0.2 ? random.int(nodes) : -1,
    keyRotation: random.float() < 0.3,
    congestionMsMax: Math.round(deadtimeMs * (0.5 + 1.5 * random.float())),
    faultMeanIntervalMs: between(300, 3000),
    faultWeights: weights,
    attackMeanIntervalMs: between(200, 2000),
    keepDownChance: random.float() * 0.5,
    ...drawGroupKnobs(nodes - arbitrated, random),
    protection,
  };
}

function drawMode(extra: SeededRandom, forcedNodes: number | undefined): ProtectionMode {
  const allowed = PROTECTION_MODES.filter((mode) => forcedNodes !== 2 || ['heartbeat', 'fencing', 'ping', 'ping+fencing'].includes(mode));
  const total = allowed.reduce((sum, mode) => sum + MODE_WEIGHTS[mode], 0);
  let draw = extra.float() * total;
  for (const mode of allowed) {
    draw -= MODE_WEIGHTS[mode];
    if (draw < 0) return mode;
  }
  return allowed[allowed.length - 1] as ProtectionMode;
}

/** Two-node clusters where the mode is about them (heartbeat, fencing, ping); quorum and arbitrator need three. */
function nodeCount(mode: ProtectionMode, drawn: number, forced: boolean, extra: SeededRandom): number {
  const twoNodeChance = mode === 'heartbeat' ? 0.75 : mode === 'fencing' || mode === 'ping' || mode === 'ping+fencing' ? 0.4 : 0;
  const two = extra.float() < twoNodeChance;
  if (forced) return mode === 'arbitrator' || mode === 'arbitrator+fencing' ? Math.max(3, drawn) : drawn;
  return two ? 2 : drawn;
}

function drawProtection(mode: ProtectionMode, nodes: number, t: { keepaliveMs: number; deadtimeMs: number }, extra: SeededRandom): ProtectionKnobs {
  const between = (min: number, max: number): number => min + extra.int(max - min + 1);
  const fenced = mode === 'fencing' || mode.endsWith('+fencing');
  const quorumModes = mode !== 'heartbeat';
  // Every draw is made whatever the mode, so that the mode alone decides what is used.
  const freezeDraw = extra.float();
  const waitDraw = extra.float();
  const ignoreDraw = extra.float();
  const watchdogMs = between(1000, 5000);
  const slow = extra.float() < 0.25;
  const durationMsMin = slow ? Math.round(t.deadtimeMs * (1 + 0.3 * extra.float())) : between(5, 200);
  const durationMsMax = slow ? Math.round(durationMsMin + t.deadtimeMs * extra.float()) : between(durationMsMin, 3000);
  const failChance = extra.float() < 0.3 ? 0 : 0.3 * extra.float();
  // Half the seeds give the preferred node a head start longer than any fencing (a race has one survivor); the
  // others a random one, so that both sides of a race may be powered off.
  const delayMs = extra.float() < 0.5 ? durationMsMax + between(50, 1000) : between(0, 2 * t.deadtimeMs);
  const retryMs = between(300, 3000);
  const pingTargets = between(1, 3);
  const pingDeadMs = between(1000, 4000);
  const pingIntervalMs = Math.max(100, Math.floor(pingDeadMs / between(3, 5)));
  const pingRttMs = between(1, 50);
  const partitionUplink = extra.float();
  let noQuorum: NoQuorumPolicy = quorumModes && freezeDraw < 0.2 ? 'freeze' : 'stop';
  if (mode === 'heartbeat' && (nodes > 2 || ignoreDraw < 0.25)) noQuorum = 'ignore';
  return {
    mode,
    noQuorum,
    waitForAll: quorumModes && waitDraw < 0.2,
    arbitrator: mode === 'arbitrator' || mode === 'arbitrator+fencing' ? nodes - 1 : -1,
    watchdogTimeoutMs: mode === 'watchdog' || mode === 'watchdog+fencing' ? watchdogMs : undefined,
    fencing: fenced ? { delayMs, retryMs, durationMsMin, durationMsMax, failChance, slow } : undefined,
    ping: mode === 'ping' || mode === 'ping+fencing' ? { targets: pingTargets, intervalMs: pingIntervalMs, deadMs: pingDeadMs, rttMsMax: pingRttMs, partitionUplink } : undefined,
  };
}

/** Fencing or a watchdog: a start beside a live holder is a violation even when the starter holds it dead or left. */
export function strictSafety(knobs: SimKnobs): boolean {
  const p = knobs.protection;
  return p.fencing !== undefined || (p.watchdogTimeoutMs !== undefined && p.noQuorum !== 'ignore');
}

/**
 * The extra time the protection may take before a group runs once membership agrees: the arbitrator's switch delay,
 * the ping wait of a tie, then either fencing (the race delay and one fencing, or a fencing begun before the faults
 * stopped that failed, its retry and a second one) or, without fencing, the watchdog wait for a dead peer.
 */
export function protectionSettleMs(knobs: SimKnobs): number {
  const p = knobs.protection;
  const t = knobs.timings;
  let ms = 0;
  if (p.arbitrator >= 0) ms += t.deadtimeMs + t.keepaliveMs;
  if (p.ping !== undefined) ms += p.ping.deadMs + p.ping.intervalMs + p.ping.rttMsMax;
  // Every node has a fence device: a dead peer is fenced, never waited out by its watchdog.
  const f = p.fencing;
  if (f !== undefined) ms += Math.max(f.delayMs + f.durationMsMax, 2 * f.durationMsMax + f.retryMs);
  else if (p.watchdogTimeoutMs !== undefined) ms += t.deadtimeMs + (p.ping === undefined ? 0 : p.ping.deadMs + p.ping.intervalMs) + p.watchdogTimeoutMs + t.keepaliveMs;
  return ms;
}

/** How long a node that lost quorum (policy stop) may still hold something: an op in flight, a probe and a stop of each resource. */
export function quorumStopBoundMs(knobs: SimKnobs): number {
  const perGroup = Math.max(0, ...knobs.groups.map((group) => group.resources.reduce((sum, r) => sum + r.monitorTimeoutMs + r.stopTimeoutMs, 0)));
  return maxOpTimeoutMs(knobs) + perGroup + 2 * knobs.timings.keepaliveMs + 100;
}

export function describeProtection(knobs: SimKnobs): string {
  const p = knobs.protection;
  const parts = [`protection ${p.mode}: no-quorum ${p.noQuorum}${p.waitForAll ? ', wait-for-all' : ''}`];
  if (p.arbitrator >= 0) parts.push(`arbitrator node${p.arbitrator + 1}`);
  if (p.watchdogTimeoutMs !== undefined) parts.push(`watchdog ${p.watchdogTimeoutMs} ms`);
  const f = p.fencing;
  if (f !== undefined) parts.push(`fencing ${f.durationMsMin}-${f.durationMsMax} ms${f.slow ? ' (slow)' : ''}, fails ${pct(f.failChance)}, race delay ${f.delayMs} ms, retry ${f.retryMs} ms`);
  const g = p.ping;
  if (g !== undefined) parts.push(`ping ${g.targets} target(s) every ${g.intervalMs} ms, dead after ${g.deadMs} ms, rtt ≤${g.rttMsMax} ms, partitions cut an uplink ${pct(g.partitionUplink)}`);
  parts.push(`strict safety ${strictSafety(knobs)}; protection settle ${protectionSettleMs(knobs)} ms`);
  return parts.join('; ');
}

/** Groups, agents and operator, drawn after everything else so that the membership knobs of a seed stay put. */
function drawGroupKnobs(nodes: number, random: Random): Pick<SimKnobs, 'groups' | 'agents' | 'operator'> {
  const between = (min: number, max: number): number => min + random.int(max - min + 1);
  const chance = (p: number, max: number): number => (random.float() < p ? 0 : random.float() * max);
  const names = Array.from({ length: nodes }, (_, i) => nodeName(`node${i + 1}`));
  // Op durations well below the timeouts; timeouts short enough that a hung op fits the liveness phase.
  const agents: AgentKnobs = {
    startMsMax: between(5, 400),
    stopMsMax: between(5, 400),
    monitorMsMax: between(2, 150),
    startFail: chance(0.3, 0.15),
    stopFail: chance(0.5, 0.04),
    hang: chance(0.5, 0.03),
    serviceCrashMeanIntervalMs: random.float() < 0.3 ? 0 : between(1000, 15_000),
    reconcileIntervalMs: random.float() < 0.5 ? 0 : between(500, 3000),
    daemonCrash: chance(0.5, 0.5),
  };
  const groupCount = random.int(5);
  const groups: GroupSpec[] = [];
  for (let g = 1; g <= groupCount; g++) {
    const shuffled = [...names];
    for (let i = shuffled.length - 1; i > 0; i--) {
      const j = random.int(i + 1);
      [shuffled[i], shuffled[j]] = [shuffled[j] as (typeof names)[number], shuffled[i] as (typeof names)[number]];
    }
    const resources: ResourceSpec[] = [];
    const resourceCount = between(1, 3);
    for (let r = 1; r <= resourceCount; r++) {
      resources.push({
        id: `g${g}-r${r}`,
        startTimeoutMs: agents.startMsMax + between(100, 1500),
        stopTimeoutMs: agents.stopMsMax + between(100, 1500),
        monitorIntervalMs: random.float() < 0.2 ? 0 : between(300, 3000),
        monitorTimeoutMs: agents.monitorMsMax + between(100, 1000),
        announces: random.float() < 0.5,
      });
    }
    groups.push({
      name: `g${g}`,
      nodes: shuffled.slice(0, between(1, nodes)),
      failback: random.float() < 0.5 ? 'auto' : 'manual',
      migrationThreshold: between(1, 3),
      failureTimeoutMs: random.float() < 0.5 ? 0 : between(2000, 20_000),
      resources,
      strayPolicy: 'remove',
    });
  }
  const operator: OperatorKnobs = {
    meanIntervalMs: random.float() < 0.2 ? 0 : between(1000, 8000),
    cleanupAtQuiet: random.float() < 0.2 ? 0 : 0.5 + 0.5 * random.float(),
  };
  return { groups, agents, operator };
}

/** The largest delay any packet can have in this run: link delay plus the worst congestion. */
export function maxDelayEverMs(knobs: SimKnobs): number {
  return Math.max(...knobs.linkKnobs.map((link) => link.delayMsMax)) + knobs.congestionMsMax;
}

/**
 * How long after the faults stop every live node must agree on membership. Each term is a path to agreement:
 *   - a node never heard by an observer (the observer restarted when faults stopped) is dead after initdead;
 *   - a stopped node's last packets may still be in flight for the largest delay, then it is dead after deadtime
 *     (also the grace a node resumed from a pause gives everyone);
 *   - a live node, whatever an observer thought of it, is `up` again at its next heartbeat: one keepalive plus the
 *     largest delay.
 * Agreement is reached by the slowest of these; one more keepalive covers a timer landing on the same instant as
 * the deadline it races with. Anything later is a liveness bug.
 */
export function convergenceBoundMs(knobs: SimKnobs): number {
  const t = knobs.timings;
  const delayMs = maxDelayEverMs(knobs);
  return Math.max(t.initdeadMs, t.deadtimeMs + delayMs, t.keepaliveMs + delayMs) + t.keepaliveMs;
}

/** The largest delay of a packet sent in the liveness phase (no congestion any more). */
export function quietDelayMs(knobs: SimKnobs): number {
  return Math.max(...knobs.linkKnobs.map((link) => link.delayMsMax));
}

/** The longest any single agent op can take: a hung op is killed at its timeout. */
export function maxOpTimeoutMs(knobs: SimKnobs): number {
  let longest = 0;
  for (const group of knobs.groups) {
    for (const resource of group.resources) longest = Math.max(longest, resource.startTimeoutMs, resource.stopTimeoutMs, resource.monitorTimeoutMs);
  }
  return longest;
}

/** One full cycle of a group without faults: probe every resource, stop every resource, start every resource. */
export function groupCycleMs(knobs: SimKnobs, group: GroupSpec): number {
  const a = knobs.agents;
  return group.resources.length * (a.monitorMsMax + a.stopMsMax + a.startMsMax);
}

/**
 * How long two live nodes that hear each other and hold each other `up` may both hold (in the kernel) something of
 * one group that is unclean on neither. This happens legitimately after a partition heals (both sides started it),
 * after a pause longer than deadtime (the paused node stops it when it resumes) or when a restarted tandemd finds
 * leftovers. The terms:
 *   - deadtime + the largest delay: a peer held `up` that long after the overlap began has delivered a heartbeat
 *     sent after it began, so each knows the other's current report (otherwise one would hold the other dead and
 *     the overlap would not count);
 *   - deadtime + 4 keepalives: attributes (standby, pins) that one side missed arrive in the rotating gossip
 *     window and the two agree on the target; one more report round carries the decision;
 *   - the longest op timeout: an op in flight (a hung start or monitor) ends first;
 *   - per resource, a probe (restarted daemon) and a stop: the loser stops right to left.
 */
export function overlapBoundMs(knobs: SimKnobs, group: GroupSpec): number {
  const t = knobs.timings;
  const a = knobs.agents;
  return 2 * t.deadtimeMs + maxDelayEverMs(knobs) + 4 * t.keepaliveMs + maxOpTimeoutMs(knobs) + group.resources.length * (a.monitorMsMax + a.stopMsMax);
}

/**
 * Liveness of a group (DESIGN invariant 4): once faults have stopped, membership has converged (the convergence
 * bound), any op begun before the quiet period has ended (the longest op timeout) and the group's preconditions
 * hold (no unclean, at least one eligible live node, the eligible set unchanged since `since`), the group runs on
 * exactly one eligible live node within this many ms:
 *   - two full cycles (probe, stop, start of every resource): the cycle that puts the group on its target, and one
 *     more for a target decided just before the last report changed it (a failback once a probe ends);
 *   - six message times (keepalive + the largest quiet delay): the report that shows the old holder stopped, the
 *     claim, the grants and the attribute (cleanup) that made the group eligible, each once per cycle.
 */
export function groupLivenessBoundMs(knobs: SimKnobs, group: GroupSpec): number {
  return 2 * groupCycleMs(knobs, group) + 6 * (knobs.timings.keepaliveMs + quietDelayMs(knobs));
}

/** The liveness phase: the convergence bound, then a stretch in which agreement must hold steadily. */
export function livenessPhaseMs(knobs: SimKnobs): number {
  const groups = Math.max(0, ...knobs.groups.map((group) => groupLivenessBoundMs(knobs, group)));
  const settle = knobs.groups.length === 0 ? 0 : maxOpTimeoutMs(knobs) + groups + protectionSettleMs(knobs) + 3000;
  return convergenceBoundMs(knobs) + Math.max(5000, 3 * knobs.timings.deadtimeMs, settle);
}

export function describeKnobs(knobs: SimKnobs): string {
  const t = knobs.timings;
  const a = knobs.agents;
  const links = knobs.linkKnobs
    .map((l, i) => `link${i}: loss ${pct(l.loss)} delay ${l.delayMsMin}-${l.delayMsMax} ms dup ${pct(l.duplicate)}`)
    .join('; ');
  const weights = Object.entries(knobs.faultWeights).filter(([, w]) => w > 0).map(([k, w]) => `${k}×${w}`).join(' ');
  return [
    `seed ${knobs.seed}: ${knobs.nodes} nodes, ${knobs.links} links, ${knobs.simulatedMs} ms simulated`,
    describeProtection(knobs),
    `timings: keepalive ${t.keepaliveMs} ms, warntime ${t.warntimeMs} ms, deadtime ${t.deadtimeMs} ms, initdead ${t.initdeadMs} ms`,
    links,
    `faults every ~${knobs.faultMeanIntervalMs} ms: ${weights || 'none'}; congestion up to ${knobs.congestionMsMax} ms`,
    `attacks every ~${knobs.attackMeanIntervalMs} ms; key rotation ${knobs.keyRotation}; node missing last link ${knobs.nodeMissingLastLink}; digest mismatch node ${knobs.digestMismatchNode}; keep-down chance ${pct(knobs.keepDownChance)}`,
    `convergence bound ${convergenceBoundMs(knobs)} ms after faults stop at ${faultPhaseMs(knobs)} ms`,
    ...knobs.groups.map((g) => {
      const resources = g.resources
        .map((r) => `${r.id} (start/stop/monitor timeout ${r.startTimeoutMs}/${r.stopTimeoutMs}/${r.monitorTimeoutMs} ms, monitor ${r.monitorIntervalMs ? `every ${r.monitorIntervalMs} ms` : 'off'}${r.announces ? ', VIP' : ''})`)
        .join(', ');
      return `group ${g.name} on ${g.nodes.join(' > ')}, failback ${g.failback}, threshold ${g.migrationThreshold}, failure timeout ${g.failureTimeoutMs} ms: ${resources}; overlap bound ${overlapBoundMs(knobs, g)} ms, liveness bound ${groupLivenessBoundMs(knobs, g)} ms`;
    }),
    `agents: start ≤${a.startMsMax} ms, stop ≤${a.stopMsMax} ms, monitor ≤${a.monitorMsMax} ms; start fails ${pct(a.startFail)}, stop fails ${pct(a.stopFail)}, hangs ${pct(a.hang)}; service crash every ~${a.serviceCrashMeanIntervalMs || '∞'} ms; reconcile every ${a.reconcileIntervalMs || '∞'} ms; daemon-only crashes ${pct(a.daemonCrash)}`,
    `operator: a command every ~${knobs.operator.meanIntervalMs || '∞'} ms; cleans up an unclean group when faults stop ${pct(knobs.operator.cleanupAtQuiet)}`,
  ].join('\n');
}

function pct(fraction: number): string {
  return `${(fraction * 100).toFixed(1)}%`;
}

/** Faults (and the steady loss) run from 0 until this instant; then the liveness phase. */
export function faultPhaseMs(knobs: SimKnobs): number {
  return Math.max(0, knobs.simulatedMs - livenessPhaseMs(knobs));
}
