/**
 * Everything a simulator run varies, drawn from the seed alone (TigerBeetle's PacketSimulatorOptions): the cluster
 * shape, the failure-detector timings, the network, the fault mix and the attack rate. Printed first, so a failing
 * seed explains itself before it replays.
 */
import type { MembershipTimings } from '../core/types.js';
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
  };
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

/** The liveness phase: the convergence bound, then a stretch in which agreement must hold steadily. */
export function livenessPhaseMs(knobs: SimKnobs): number {
  return convergenceBoundMs(knobs) + Math.max(5000, 3 * knobs.timings.deadtimeMs);
}

export function describeKnobs(knobs: SimKnobs): string {
  const t = knobs.timings;
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
  ].join('\n');
}

function pct(fraction: number): string {
  return `${(fraction * 100).toFixed(1)}%`;
}

/** Faults (and the steady loss) run from 0 until this instant; then the liveness phase. */
export function faultPhaseMs(knobs: SimKnobs): number {
  return Math.max(0, knobs.simulatedMs - livenessPhaseMs(knobs));
}
