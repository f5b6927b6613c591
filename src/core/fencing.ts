/**
 * Fencing decisions: which peers this node powers off, when, and whether a lost peer is known to hold nothing.
 * Pure: the driver runs the fence devices (src/fencing/) and reports back with `finished`.
 *
 * Who is fenced. While this node's partition is quorate, a peer outside it is fenced when it may still run
 * something: it is dead (not gracefully left) and its last report held a group or was unclean, or it never
 * reported; or it is alive but reports a group unclean (a failed stop). In a tie broken by fencing (two nodes)
 * every peer outside the partition is fenced — both sides race, and the side that is not preferred waits
 * `delayMs` first, so the preferred one (holding more groups, then earlier in the config) survives.
 *
 * Who fences. The first node of the partition in config order (the arbitrator never fences); the others wait
 * for its result, which travels as the cluster attribute `fenced/<node>` = the generation that was fenced.
 *
 * Invariants:
 *   1. At most one fencing per target is in flight from this node; a target that comes back before its delay
 *      ran out is not fenced (the event says so).
 *   2. A fencing that failed is tried again after `retryMs`, loudly, for as long as it is needed.
 *   3. A peer counts as fenced only for the generation that was fenced: once it restarts it is a new machine.
 */
import type { FencingSpec } from './quorum.js';
import type { ClusterEvent, ClusterEventKind, Instant, NodeName } from './types.js';

export const FENCE_HISTORY_MAX = 32;

export interface FenceRequest {
  readonly kind: 'fence';
  readonly requestId: number;
  readonly node: NodeName;
  readonly reason: string;
}

export interface FenceRecord {
  readonly node: NodeName;
  readonly at: Instant;
  readonly ok: boolean;
  readonly by: NodeName;
  readonly summary: string;
}

/** What the fencing half needs to know about one peer. */
export interface FenceTargetFacts {
  readonly node: NodeName;
  readonly alive: boolean;
  /** Declared dead (not merely unheard since start-up: that becomes dead after initdead). */
  readonly dead: boolean;
  readonly left: boolean;
  readonly generation: number;
  /** The peer's last report (fresh or not) holds a group, is unclean, or it never reported. */
  readonly mayHold: boolean;
  /** Its latest fresh report says a group is unclean there. */
  readonly unclean: boolean;
  /** Groups its last report held: the preferred side of a race is the one holding more. */
  readonly held: number;
}

export interface FencingFacts {
  readonly self: NodeName;
  readonly spec: FencingSpec;
  readonly order: readonly NodeName[];
  readonly arbitrator: NodeName | undefined;
  readonly now: Instant;
  readonly quorate: boolean;
  /** The tie is broken by fencing: a race between the two sides. */
  readonly race: boolean;
  readonly partition: readonly NodeName[];
  readonly peers: readonly FenceTargetFacts[];
  readonly ownHeld: number;
  /** The generation of `node` that the cluster knows fenced (attribute `fenced/<node>`), undefined = none. */
  readonly fencedGeneration: (node: NodeName) => number | undefined;
}

export interface FencingOutput {
  readonly requests: FenceRequest[];
  readonly events: ClusterEvent[];
  readonly wakeAt: Instant | undefined;
}

interface Scheduled {
  readonly dueAt: Instant;
  readonly reason: string;
  readonly operator: boolean;
}

export class Fencing {
  private readonly scheduled = new Map<NodeName, Scheduled>();
  private readonly inFlight = new Map<NodeName, { readonly requestId: number; readonly generation: number; readonly since: Instant }>();
  private readonly lastFailure = new Map<NodeName, { readonly at: Instant; readonly summary: string }>();
  private readonly history: FenceRecord[] = [];
  private nextRequestId = 1;

  constructor(private readonly self: NodeName) {}

  /** The operator's `tandem fence NODE`: at once, whatever the node's state. */
  requestByOperator(now: Instant, node: NodeName, reason: string): void {
    this.scheduled.set(node, { dueAt: now, reason, operator: true });
  }

  decide(facts: FencingFacts): FencingOutput {
    const out: FencingOutput = { requests: [], events: [], wakeAt: undefined };
    const emit = (kind: ClusterEventKind, node: NodeName, reason: string): void => {
      out.events.push({ kind, at: facts.now, node, reason });
    };
    const fencer = facts.partition.find((node) => node !== facts.arbitrator) ?? facts.self;
    let wakeAt: number | undefined;
    const wake = (at: number): void => {
      if (wakeAt === undefined || at < wakeAt) wakeAt = at;
    };
    for (const peer of facts.peers) {
      const scheduled = this.scheduled.get(peer.node);
      const need = scheduled?.operator === true ? scheduled.reason : this.needs(facts, peer, fencer);
      if (need === undefined) {
        if (scheduled !== undefined) {
          this.scheduled.delete(peer.node);
          emit('fence-cancelled', peer.node, `${peer.node} is no longer fenced from ${this.self}: ${peer.alive ? 'it is back' : 'it is no longer needed'}`);
        }
        continue;
      }
      if (this.inFlight.has(peer.node)) continue;
      let entry = scheduled;
      if (entry === undefined) {
        const failure = this.lastFailure.get(peer.node);
        const delay = facts.race && this.preferred(facts, peer) ? facts.spec.delayMs : 0;
        const retryAt = failure === undefined ? facts.now : failure.at + facts.spec.retryMs;
        entry = { dueAt: Math.max(facts.now + delay, retryAt) as Instant, reason: need, operator: false };
        this.scheduled.set(peer.node, entry);
        if (entry.dueAt > facts.now) {
          const why = delay > 0 && failure === undefined ? `${peer.node} is the preferred side of a fencing race, so ${this.self} waits ${delay} ms first` : `retry after a failed fencing`;
          emit('fence-scheduled', peer.node, `${this.self} will fence ${peer.node} in ${Math.round(entry.dueAt - facts.now)} ms (${why}): ${need}`);
        }
      }
      if (entry.dueAt > facts.now) {
        wake(entry.dueAt);
        continue;
      }
      this.scheduled.delete(peer.node);
      const requestId = this.nextRequestId++;
      this.inFlight.set(peer.node, { requestId, generation: peer.generation, since: facts.now });
      out.requests.push({ kind: 'fence', requestId, node: peer.node, reason: entry.reason });
      emit('fence-requested', peer.node, `${this.self} fences ${peer.node}: ${entry.reason}`);
    }
    return { ...out, wakeAt: wakeAt as Instant | undefined };
  }

  /**
   * A fencing finished. Returns the generation to record as fenced (attribute `fenced/<node>`) on success.
   */
  finished(now: Instant, requestId: number, ok: boolean, summary: string): { node: NodeName; generation: number | undefined; event: ClusterEvent } | undefined {
    const entry = [...this.inFlight].find(([, flight]) => flight.requestId === requestId);
    if (entry === undefined) return undefined;
    const [node, flight] = entry;
    this.inFlight.delete(node);
    this.record({ node, at: now, ok, by: this.self, summary });
    if (ok) {
      this.lastFailure.delete(node);
      return { node, generation: flight.generation, event: { kind: 'fence-succeeded', at: now, node, reason: `${node} fenced by ${this.self}: ${summary}` } };
    }
    this.lastFailure.set(node, { at: now, summary });
    return { node, generation: undefined, event: { kind: 'fence-failed', at: now, node, reason: `FENCING OF ${node} FAILED (${summary}): nothing it may hold starts elsewhere until it is fenced; retrying` } };
  }

  /** Why a fencing of `node` has not succeeded yet (for `tandem why`), or undefined. */
  failureOf(node: NodeName): string | undefined {
    // The failure first, and the same sentence while its retry runs: the reason a takeover waits stays put.
    const failure = this.lastFailure.get(node);
    if (failure !== undefined) return `the last fencing of ${node} failed: ${failure.summary}; retrying`;
    if (this.inFlight.has(node)) return `fencing of ${node} is in progress`;
    const scheduled = this.scheduled.get(node);
    if (scheduled !== undefined) return `fencing of ${node} is scheduled`;
    return undefined;
  }

  view(): { history: readonly FenceRecord[]; inFlight: readonly NodeName[]; failing: readonly { node: NodeName; summary: string }[] } {
    return {
      history: [...this.history],
      inFlight: [...this.inFlight.keys()],
      failing: [...this.lastFailure].map(([node, failure]) => ({ node, summary: failure.summary })),
    };
  }

  private needs(facts: FencingFacts, peer: FenceTargetFacts, fencer: NodeName): string | undefined {
    if (!facts.quorate || fencer !== this.self || !facts.spec.nodes.has(peer.node)) return undefined;
    const fenced = facts.fencedGeneration(peer.node);
    if (fenced !== undefined && fenced >= peer.generation && !peer.alive) return undefined;
    if (peer.unclean) return `${peer.node} ${peer.left ? 'left with' : 'reports'} a group unclean (a stop failed there)`;
    if (!peer.dead) return undefined;
    if (facts.race) return `${peer.node} is outside this node's half of a split (a tie broken by fencing)`;
    if (peer.mayHold) return `${peer.node} is lost and may still hold resources`;
    return undefined;
  }

  /** The target is the preferred side of a race: holds more groups, or as many and comes first in the config. */
  private preferred(facts: FencingFacts, peer: FenceTargetFacts): boolean {
    if (peer.held !== facts.ownHeld) return peer.held > facts.ownHeld;
    return facts.order.indexOf(peer.node) < facts.order.indexOf(this.self);
  }

  private record(record: FenceRecord): void {
    this.history.push(record);
    if (this.history.length > FENCE_HISTORY_MAX) this.history.splice(0, this.history.length - FENCE_HISTORY_MAX);
  }
}
