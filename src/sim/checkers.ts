/**
 * The simulator's invariants as plain functions of what the world can see: core views, the heartbeats actually
 * handed to each core, the last membership each node persisted, and each node's "kernel" (which resources really
 * run there). Each returns a sentence when broken.
 *
 *   (a) no early death: a node never holds a peer `dead` while, within the last deadtime of its own processing,
 *       a heartbeat from that peer was handed to its core;
 *   (b) bad packets change nothing: checked in the world, where the packets are made (forged, replayed, mutated);
 *   (c) agreement: once faults stop, within the convergence bound, every live node sees every other live node `up`
 *       and every stopped node `dead` or `left`;
 *   (p) the driver's stored membership is never stale: after every step it equals the core's view;
 *   (safety) DESIGN invariant 1: when a node begins to start a resource of a group, no other live node that it
 *       does not hold dead or left runs any resource of that group (in the kernel). Live holders it holds dead or
 *       left are allowed (a partition or a pause) and counted, unless the configuration guarantees more (strict:
 *       fencing, or a watchdog): then no other powered machine may run any of it, whatever the starter thinks of it
 *       — it has announced it stopped, or been fenced, or certainly reset itself;
 *   (quorum) DESIGN invariant 2: a node whose own core says its partition lost quorum (no-quorum policy stop) holds
 *       nothing once it had time to stop everything (`quorumStopBoundMs`), unless a stop failed there (unclean);
 *   (overlap) two live nodes that hear each other and hold each other `up` never both run something of a group,
 *       unclean on neither, for longer than `overlapBoundMs` (the loser of a healed split brain stops in time);
 *   (liveness) DESIGN invariant 4: once faults stop, a group that is unclean nowhere and has an eligible live node
 *       runs, whole, on exactly one eligible live node within `groupLivenessBoundMs`, and stays there; every live
 *       node's attribute table is the same.
 */
import type { MembershipView, NodeName, PeerState } from '../core/types.js';

export type CheckerId = 'a' | 'b' | 'c' | 'persist' | 'wire' | 'safety' | 'quorum' | 'overlap' | 'liveness';

export class SimFailure extends Error {
  override readonly name = 'SimFailure';
  constructor(
    readonly checker: CheckerId,
    readonly atMs: number,
    message: string,
  ) {
    super(`checker (${checker}) failed at ${atMs} ms: ${message}`);
  }
}

export function checkNoEarlyDeath(input: {
  readonly view: MembershipView;
  readonly nowMs: number;
  readonly deadtimeMs: number;
  readonly lastHeartbeatHandedAtMs: ReadonlyMap<NodeName, number>;
}): string | undefined {
  for (const peer of input.view.peers) {
    if (peer.state !== 'dead') continue;
    const heardAt = input.lastHeartbeatHandedAtMs.get(peer.name);
    if (heardAt !== undefined && input.nowMs - heardAt < input.deadtimeMs) {
      return `${input.view.self} holds ${peer.name} dead (since ${peer.since} ms: ${peer.reason}), but a heartbeat from ${peer.name} was handed to its core at ${heardAt} ms, ${input.nowMs - heardAt} ms ago (deadtime ${input.deadtimeMs} ms)`;
    }
  }
  return undefined;
}

export function checkPersisted(view: MembershipView, persisted: Readonly<Record<string, PeerState>> | undefined): string | undefined {
  for (const peer of view.peers) {
    const stored = persisted?.[peer.name];
    if (stored !== peer.state) {
      return `${view.self} holds ${peer.name} ${peer.state} but its stored membership says ${stored ?? 'nothing'}: a state change without a persist action`;
    }
  }
  return undefined;
}

/** Undefined when every live node's view agrees with who is really running. */
export function checkAgreement(views: readonly MembershipView[], live: ReadonlySet<NodeName>): string | undefined {
  for (const view of views) {
    for (const peer of view.peers) {
      const expected: readonly PeerState[] = live.has(peer.name) ? ['up'] : ['dead', 'left'];
      if (!expected.includes(peer.state)) {
        const what = live.has(peer.name) ? 'running' : 'stopped';
        return `${view.self} sees ${peer.name} ${peer.state} (since ${peer.since} ms: ${peer.reason}), but ${peer.name} is ${what}: expected ${expected.join(' or ')}`;
      }
    }
  }
  return undefined;
}

/** What the world knows of one node for the group checkers: is its daemon running, and what its kernel runs. */
export interface KernelNode {
  readonly name: NodeName;
  /** tandemd is running (a paused process counts; a crashed or exited one does not). */
  readonly alive: boolean;
  readonly running: (resource: string) => boolean;
}

export interface StartCheck {
  /** A sentence when a live holder the starter does not hold dead or left runs part of the group. */
  readonly violation: string | undefined;
  /** Live holders the starter holds dead or left: allowed without fencing, but worth counting. */
  readonly excused: readonly NodeName[];
}

/** Safety (DESIGN invariant 1), at the instant `starter` begins to start `resource` of a group. */
export function checkStart(input: {
  readonly starter: NodeName;
  readonly group: string;
  readonly resource: string;
  readonly resources: readonly string[];
  /** The starter's membership view of a peer at this instant. */
  readonly peerState: (node: NodeName) => PeerState | undefined;
  readonly nodes: readonly KernelNode[];
  /**
   * True when the starter and `holder` are in a split brain of this group that began with a start beside a holder
   * held dead (a partition, allowed without quorum or fencing): until one of them has stopped, either side's
   * further starts (a restart in place, the rest of a start) belong to that same split brain.
   */
  readonly inSplitBrain?: (holder: NodeName) => boolean;
  /**
   * Set (to why) when the configuration guarantees that nothing starts beside a holder (fencing or a watchdog): no
   * holder is excused, and `nodes` counts every powered machine as alive, its daemon running or not.
   */
  readonly strict?: string;
}): StartCheck {
  const excused: NodeName[] = [];
  for (const node of input.nodes) {
    if (node.name === input.starter || !node.alive) continue;
    const held = input.resources.filter((resource) => node.running(resource));
    if (held.length === 0) continue;
    const state = input.peerState(node.name);
    if (input.strict === undefined && (state === 'dead' || state === 'left' || input.inSplitBrain?.(node.name) === true)) {
      excused.push(node.name);
      continue;
    }
    const strict = input.strict === undefined || state === 'up' || state === 'late' ? '' : ` (${input.strict})`;
    return {
      violation: `${input.starter} begins to start ${input.resource} of ${input.group} while ${node.name}, alive and ${state ?? 'not known'} in ${input.starter}'s view, runs ${held.join(', ')}${strict}`,
      excused,
    };
  }
  return { violation: undefined, excused };
}

/** One pair of live nodes that both run something of a group, as the overlap checker sees it. */
export interface HolderPair {
  readonly group: string;
  readonly a: NodeName;
  readonly b: NodeName;
  /** Some link both have is up at both ends, uncut both ways, and neither daemon is paused. */
  readonly connected: boolean;
  readonly aSeesB: PeerState | undefined;
  readonly bSeesA: PeerState | undefined;
  /** Either node's own report says the group is unclean there. */
  readonly unclean: boolean;
}

/** Tracks how long each pair of holders has overlapped while they hear each other; see `overlapBoundMs`. */
export class OverlapTracker {
  private readonly since = new Map<string, number>();
  /** The longest overlap seen so far (for the stats: how close runs come to the bound). */
  longestMs = 0;

  /** Every pair that currently both hold; pairs not given are over. A sentence when one lasted beyond its bound. */
  observe(nowMs: number, pairs: readonly HolderPair[], boundMs: (group: string) => number): string | undefined {
    const seen = new Set<string>();
    for (const pair of pairs) {
      if (!pair.connected || pair.unclean || pair.aSeesB !== 'up' || pair.bSeesA !== 'up') continue;
      const key = `${pair.group}|${pair.a}|${pair.b}`;
      seen.add(key);
      const since = this.since.get(key) ?? nowMs;
      this.since.set(key, since);
      const bound = boundMs(pair.group);
      this.longestMs = Math.max(this.longestMs, nowMs - since);
      if (nowMs - since > bound) {
        return `${pair.a} and ${pair.b} both run part of ${pair.group} since ${since} ms (${nowMs - since} ms, bound ${bound} ms), hear each other and hold each other up, and neither is unclean for it`;
      }
    }
    for (const key of [...this.since.keys()]) if (!seen.has(key)) this.since.delete(key);
    return undefined;
  }

  clear(): void {
    this.since.clear();
  }
}

/** Liveness (DESIGN invariant 4): undefined when the group runs whole on exactly one eligible live node and nowhere else. */
export function checkPlacement(input: {
  readonly group: string;
  readonly resources: readonly string[];
  readonly nodes: readonly KernelNode[];
  readonly eligible: ReadonlySet<NodeName>;
}): string | undefined {
  const holders = input.nodes.filter((node) => node.alive && input.resources.some((resource) => node.running(resource)));
  const describe = (node: KernelNode): string => `${node.name} (${input.resources.filter((resource) => node.running(resource)).join(', ')})`;
  const eligible = [...input.eligible].join(', ');
  if (holders.length === 0) return `${input.group} runs nowhere, though ${eligible} could run it`;
  if (holders.length > 1) return `${input.group} runs on ${holders.map(describe).join(' and ')}`;
  const holder = holders[0] as KernelNode;
  const missing = input.resources.filter((resource) => !holder.running(resource));
  if (missing.length > 0) return `${input.group} runs only partly on ${holder.name}: ${missing.join(', ')} not running`;
  if (!input.eligible.has(holder.name)) return `${input.group} runs on ${holder.name}, which may not run it (eligible: ${eligible})`;
  return undefined;
}
