/**
 * The simulator's invariants as plain functions of what the world can see: core views, the heartbeats actually
 * handed to each core, and the last membership each node persisted. Each returns a sentence when broken.
 *
 *   (a) no early death: a node never holds a peer `dead` while, within the last deadtime of its own processing,
 *       a heartbeat from that peer was handed to its core;
 *   (b) bad packets change nothing: checked in the world, where the packets are made (forged, replayed, mutated);
 *   (c) agreement: once faults stop, within the convergence bound, every live node sees every other live node `up`
 *       and every stopped node `dead` or `left`;
 *   (p) the driver's stored membership is never stale: after every step it equals the core's view.
 */
import type { MembershipView, NodeName, PeerState } from '../core/types.js';

export type CheckerId = 'a' | 'b' | 'c' | 'persist' | 'wire';

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
