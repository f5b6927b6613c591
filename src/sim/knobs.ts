/**
 * Everything a simulator run varies, drawn from the seed alone (TigerBeetle's PacketSimulatorOptions): the cluster
 * shape, the failure-detector timings, the network, the fault mix, the attack rate, the resource groups, the
 * simulated agents and the operator. Printed first, so a failing seed explains itself before it replays.
 */
import type { GroupSpec, ResourceSpec } from '../core/group-types.js';
import { nodeName, type MembershipTimings } from '../core/types.js';
import type { Random } from '../lib/random.js';

export type FaultKind =
  | 'partition'
  | 'partition-asymmetric'
  | 'isolate'
  | 'link-down'
  | 'crash'
  | 'pause'
  | 'leave'
  | 'congestion'
  | 'loss-burst';

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
];

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
}

export interface KnobOverrides {
  readonly nodes?: number;
  readonly links?: number;
  readonly simulatedMs?: number;
}

export const SIMULATED_MS_DEFAULT = 60_000;

export function drawKnobs(seed: number, random: Random, overrides: KnobOverrides): SimKnobs {
  const between = (min: number, max: number): number => min + random.int(max - min + 1);
  const nodes = overrides.nodes ?? between(3, 5);
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
  for (const kind of FAULT_KINDS) weights[kind] = random.float() < 0.2 ? 0 : between(1, 5);
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
    ...drawGroupKnobs(nodes, random),
  };
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
  const settle = knobs.groups.length === 0 ? 0 : maxOpTimeoutMs(knobs) + groups + 3000;
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
