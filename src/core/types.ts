/**
 * Shapes shared by the pure core, the wire codec, the simulator and the daemon.
 *
 * The core is a synchronous state machine: `step(input) → { actions, wakeAt }`.
 * Inputs are facts in the past tense and always carry `now`; actions are imperatives
 * carrying a human reason. Nothing here reads a clock, draws randomness or does I/O.
 */

import type { NodeReport } from './group-types.js';

/** Monotonic milliseconds. Never wall time. */
export type Instant = number & { readonly unit: 'monotonic-ms' };
export type NodeName = string & { readonly brand: 'NodeName' };
export type LinkName = string & { readonly brand: 'LinkName' };

export const instant = (ms: number): Instant => ms as Instant;
export const nodeName = (name: string): NodeName => name as NodeName;
export const linkName = (name: string): LinkName => name as LinkName;

/** Body of an authenticated tandem message; the envelope (cluster, sender, generation, seq, time, key) is the codec's. */
export type Message =
  | {
      readonly type: 'heartbeat';
      /** Short digest of the sender's cluster config: nodes whose digests differ are shown as such. */
      readonly configDigest: string;
      /** Milliseconds the sender's daemon has been running, for status. */
      readonly uptimeMs: number;
      /** The sender's groups and the attributes it gossips; absent from senders that run no groups core. */
      readonly report?: NodeReport;
    }
  | {
      /** Graceful stop: the receivers mark the sender `left` at once instead of waiting for deadtime. */
      readonly type: 'leave';
      readonly reason: string;
      /** The leaving node's last report: every group stopped, unless one is unclean. */
      readonly report?: NodeReport;
    };

/** What the receive path knows about an accepted message (after MAC, replay and generation checks). */
export interface Envelope {
  readonly from: NodeName;
  readonly link: LinkName;
  readonly generation: number;
  readonly seq: number;
  /** Sender's wall clock in ms, for display and skew estimation only. */
  readonly sentAtWallMs: number;
}

/**
 * `unknown`: not heard since this node started watching it (start-up, or the peer was added by a config change);
 * it becomes `dead` only after `initdeadMs` (heartbeat's initdead), never `late`.
 */
export type PeerState = 'unknown' | 'up' | 'late' | 'dead' | 'left';
export type LinkState = 'unknown' | 'up' | 'late' | 'dead';

/** Timing of the failure detector, in milliseconds, converted once at the config edge. */
export interface MembershipTimings {
  readonly keepaliveMs: number;
  readonly warntimeMs: number;
  readonly deadtimeMs: number;
  readonly initdeadMs: number;
}

/** What the membership machine needs to know about the cluster; built from the loaded config. */
export interface MembershipConfig {
  readonly self: NodeName;
  readonly nodes: readonly {
    readonly name: NodeName;
    /** Links on which this node has an address; a peer is judged only on links both sides have. */
    readonly links: readonly LinkName[];
  }[];
  readonly timings: MembershipTimings;
  readonly configDigest: string;
}

export type AdminRequest = { readonly kind: 'leave'; readonly reason: string };

export type CoreInput =
  | { readonly kind: 'started'; readonly now: Instant; readonly generation: number }
  | { readonly kind: 'timer-due'; readonly now: Instant }
  | { readonly kind: 'message-received'; readonly now: Instant; readonly envelope: Envelope; readonly message: Message }
  | { readonly kind: 'admin-requested'; readonly now: Instant; readonly request: AdminRequest }
  | { readonly kind: 'config-changed'; readonly now: Instant; readonly config: MembershipConfig };

export type ClusterEventKind =
  | 'node-started'
  | 'peer-up'
  | 'peer-late'
  | 'peer-dead'
  | 'peer-left'
  | 'peer-restarted'
  | 'link-up'
  | 'link-late'
  | 'link-dead'
  | 'link-jitter-high'
  | 'link-jitter-ok'
  | 'config-mismatch'
  | 'config-match'
  | 'pause-detected'
  | 'config-applied'
  | 'leaving'
  | 'group-probing'
  | 'group-target'
  | 'group-granted'
  | 'group-blocked'
  | 'group-starting'
  | 'group-started'
  | 'group-stopping'
  | 'group-stopped'
  | 'group-failed'
  | 'group-recovering'
  | 'group-unclean'
  | 'group-yielded'
  | 'group-cleanup'
  | 'resource-failed'
  | 'stray-found'
  | 'stray-removed'
  | 'address-reannounced'
  | 'operator-request'
  | 'quorum-gained'
  | 'quorum-lost'
  | 'quorum-pending'
  | 'arbitrator-vote'
  | 'ping-changed'
  | 'fence-scheduled'
  | 'fence-requested'
  | 'fence-succeeded'
  | 'fence-failed'
  | 'fence-cancelled';

/** Every state change is an event with a reason a person can read. */
export interface ClusterEvent {
  readonly kind: ClusterEventKind;
  readonly at: Instant;
  readonly node?: NodeName;
  readonly link?: LinkName;
  readonly group?: string;
  readonly reason: string;
  readonly data?: Readonly<Record<string, number | string | boolean>>;
}

export type CoreAction =
  /** Send `message` to every peer on `link` ('all' = every link this node has). The driver stamps the envelope. */
  | { readonly kind: 'send'; readonly link: LinkName | 'all'; readonly message: Message; readonly reason: string }
  | { readonly kind: 'emit'; readonly event: ClusterEvent }
  /** Durable facts the driver writes (and fsyncs) before it performs the actions that follow. */
  | { readonly kind: 'persist'; readonly record: { readonly members: Readonly<Record<string, PeerState>> } };

export interface StepOutput {
  readonly actions: readonly CoreAction[];
  /** The driver arms one timer for this instant; undefined = nothing scheduled. */
  readonly wakeAt: Instant | undefined;
}

export interface LinkView {
  readonly name: LinkName;
  readonly state: LinkState;
  /** Monotonic instant of the last accepted message on this link, undefined if never heard. */
  readonly lastHeardAt: Instant | undefined;
  /** Fraction of expected heartbeats lost over the recent window (from sequence gaps), 0..1. */
  readonly loss: number;
  /** Recent inter-arrival gaps in ms: mean and max; jitter = max - keepalive. */
  readonly gapMeanMs: number;
  readonly gapMaxMs: number;
  /** True while observed gaps come close to deadtime (a false failover is near). */
  readonly jitterWarning: boolean;
}

export interface PeerView {
  readonly name: NodeName;
  readonly state: PeerState;
  readonly since: Instant;
  readonly reason: string;
  readonly generation: number | undefined;
  readonly uptimeMs: number | undefined;
  readonly configMatches: boolean | undefined;
  readonly links: readonly LinkView[];
}

export interface MembershipView {
  readonly self: NodeName;
  readonly generation: number;
  readonly startedAt: Instant;
  readonly peers: readonly PeerView[];
}
