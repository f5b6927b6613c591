/**
 * Shapes of the resource-group half of the core: what it is told about the groups, what it reports to peers,
 * what it asks the driver to run, and what it shows to operators.
 *
 * A node's report travels inside its heartbeats, so state converges even when single datagrams are lost.
 */
import type { Instant, NodeName } from './types.js';
import type { PeerQuorumReport } from './quorum.js';

export type AgentOperation = 'start' | 'stop' | 'monitor';

export interface ResourceSpec {
  readonly id: string;
  readonly startTimeoutMs: number;
  readonly stopTimeoutMs: number;
  /** 0 = no recurring monitor. */
  readonly monitorIntervalMs: number;
  readonly monitorTimeoutMs: number;
  /** The resource holds a virtual IP: announce it again after any doubt (failback, resume, a peer back). */
  readonly announces: boolean;
}

export interface GroupSpec {
  readonly name: string;
  /** Most preferred first. */
  readonly nodes: readonly NodeName[];
  readonly failback: 'auto' | 'manual';
  readonly migrationThreshold: number;
  /** 0 = failures never expire. */
  readonly failureTimeoutMs: number;
  readonly resources: readonly ResourceSpec[];
  /** What to do with a resource of this group found active while the node does not hold the group. */
  readonly strayPolicy: 'remove' | 'report';
}

/**
 * A group's phase on one node, as the node reports it.
 *  - `probing`: the node has not yet found out whether it runs any of the group (after its start).
 *  - `stopped`, `failed` (stopped, and this node may not run it now: too many failures).
 *  - `starting`, `running`, `recovering` (restarting a failed resource in place), `stopping`: the node holds
 *    (part of) the group.
 *  - `unclean`: a stop failed; the node may still hold part of the group and nobody may start it elsewhere.
 */
export type GroupPhase = 'probing' | 'stopped' | 'failed' | 'starting' | 'running' | 'recovering' | 'stopping' | 'unclean';

/** Phases in which the node may hold some of the group's resources. */
export const HOLDING_PHASES: ReadonlySet<GroupPhase> = new Set(['probing', 'starting', 'running', 'recovering', 'stopping', 'unclean']);

export interface GroupReport {
  readonly name: string;
  readonly phase: GroupPhase;
  /** The node wants to start the group and asks every peer for its grant. */
  readonly claim: boolean;
  /** Increases with each new claim of this node (and after its pause); grants name the epoch they answer. */
  readonly claimEpoch: number;
  /** The node that this node lets start the group ('' = nobody). A node grants only while it holds none of it. */
  readonly grant: string;
  /** The claim epoch of `grant`'s claim: a grant to an earlier claim (before a pause, say) does not count. */
  readonly grantEpoch: number;
  /** Unexpired failures of the group on this node (start failures count as the migration threshold). */
  readonly failCount: number;
}

/** A cluster-wide setting anyone may change; the highest (version, origin) wins everywhere. */
export interface AttributeEntry {
  readonly key: string;
  /** '' = cleared. */
  readonly value: string;
  readonly version: number;
  readonly origin: string;
}

export interface NodeReport {
  /** Increases with every change within one generation: a reordered older report never replaces a newer one. */
  readonly rev: number;
  /** The node is stopping its groups to leave the cluster: nobody should place groups on it. */
  readonly leaving: boolean;
  readonly groups: readonly GroupReport[];
  readonly attributes: readonly AttributeEntry[];
  /** Membership and quorum as the sender sees them (absent from nodes of protocol version 2). */
  readonly quorum?: PeerQuorumReport;
}

export type OperationOutcome = 'success' | 'not-running' | 'failed';

export type GroupAdminRequest =
  | { readonly kind: 'standby'; readonly node: NodeName; readonly on: boolean }
  /** node undefined = clear the operator's placement and return to the configured preference. */
  /** `untilFailover`: the placement lasts until a node of the group dies or leaves (heartbeat's hb_standby). */
  | { readonly kind: 'move'; readonly group: string; readonly node: NodeName | undefined; readonly untilFailover?: boolean }
  | { readonly kind: 'cleanup'; readonly group: string }
  /** heartbeat's hb_takeover: pin every group this node may run to this node. */
  | { readonly kind: 'takeover' }
  /** Stop every group here and keep them stopped (graceful shutdown). */
  | { readonly kind: 'stop-all'; readonly reason: string }
  /** The operator's `tandem fence NODE`: power the node off through its fence devices. */
  | { readonly kind: 'fence'; readonly node: NodeName };

export type GroupInput =
  | { readonly kind: 'agent-finished'; readonly now: Instant; readonly opId: number; readonly outcome: OperationOutcome; readonly detail: string }
  /** The kernel lost something a running resource holds (reconciliation): handled as a failed monitor. */
  | { readonly kind: 'resource-lost'; readonly now: Instant; readonly group: string; readonly resource: string; readonly detail: string }
  /** The kernel has something of a resource this node does not hold (a stray VIP). */
  | { readonly kind: 'stray-found'; readonly now: Instant; readonly group: string; readonly resource: string; readonly detail: string };

export interface RunOperation {
  readonly kind: 'run-agent';
  readonly opId: number;
  readonly group: string;
  readonly resource: string;
  readonly operation: AgentOperation;
  readonly timeoutMs: number;
  /** Recurring monitor interval (OCF_RESKEY_CRM_meta_interval); 0 for probes, start and stop. */
  readonly intervalMs: number;
  readonly reason: string;
}

export interface Reannounce {
  readonly kind: 'reannounce';
  readonly group: string;
  readonly resource: string;
  readonly reason: string;
}

/** One step of a group's story, for `tandem why`. */
export interface Explanation {
  readonly at: Instant;
  readonly what: string;
  readonly why: string;
}

export interface ResourceView {
  readonly id: string;
  readonly state: 'stopped' | 'running' | 'starting' | 'stopping' | 'monitoring' | 'failed' | 'unknown';
  readonly lastResult?: string;
}

export interface GroupView {
  readonly name: string;
  readonly phase: GroupPhase;
  /** Where this node thinks the group should run; undefined = nowhere can run it. */
  readonly target: NodeName | undefined;
  /** Nodes that report holding the group (more than one = a split brain the status must show). */
  readonly holders: readonly NodeName[];
  readonly failCount: number;
  readonly failCounts: Readonly<Record<string, number>>;
  readonly pinnedTo: NodeName | undefined;
  /** Why this node does not start the group although it is the target (waiting for a grant, unclean peer…). */
  readonly blockedBy: string | undefined;
  readonly resources: readonly ResourceView[];
  readonly story: readonly Explanation[];
}

export interface GroupsView {
  readonly standby: readonly NodeName[];
  readonly leaving: boolean;
  readonly groups: readonly GroupView[];
}
