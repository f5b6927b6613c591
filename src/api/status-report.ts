/**
 * The status report: one plain JSON document that `tandem status` prints, as text or with --json.
 * Built from the driver's views; it owns no state.
 */
import type { LinkState, PeerState } from '../core/types.js';
import type { DropReason } from '../wire/codec.js';

export interface LinkStatus {
  readonly name: string;
  readonly state: LinkState;
  /** Milliseconds since the last accepted message on this link; null when never heard (or for this node). */
  readonly lastHeardMsAgo: number | null;
  readonly loss: number;
  readonly gapMeanMs: number;
  readonly gapMaxMs: number;
  readonly jitterWarning: boolean;
  /** Local endpoint (this node only). */
  readonly endpoint?: string;
}

export interface NodeStatus {
  readonly name: string;
  readonly self: boolean;
  readonly state: PeerState;
  readonly since: string | null;
  readonly reason: string;
  readonly generation: number | null;
  readonly uptimeMs: number | null;
  readonly configMatches: boolean | null;
  readonly links: readonly LinkStatus[];
}

export interface GroupStatus {
  readonly name: string;
  /** The group's phase on the node that answers. */
  readonly phase: string;
  /** Where the answering node thinks it should run (null: nowhere can). */
  readonly target: string | null;
  /** Live nodes that report running it; more than one is a split brain. */
  readonly holders: readonly string[];
  readonly pinnedTo: string | null;
  readonly blockedBy: string | null;
  readonly failCounts: Readonly<Record<string, number>>;
  readonly resources: readonly { readonly id: string; readonly agent: string; readonly state: string; readonly lastResult?: string }[];
  /** The nodes that may run it, most preferred first: the first is its home (heartbeat's haresources node). */
  readonly nodes?: readonly string[];
  readonly failback?: 'auto' | 'manual';
  readonly migrationThreshold?: number;
}

/** A configured link, as heartbeat's commands (`cl_status listhblinks`) name it. */
export interface LinkDefinition {
  readonly name: string;
  readonly transport: string;
  /** UDP port (absent for links without one). */
  readonly port?: number;
  /** heartbeat's medium name: the interface (eth1) or serial device when the config came from an /etc/ha.d, else `name`. */
  readonly heartbeatName: string;
}

/** heartbeat's ping nodes: each ping target (group) and whether it answers, as this node's prober last measured. */
export interface PingStatusReport {
  readonly intervalMs: number;
  readonly deadMs: number;
  /** The targets decide splits and placement (ipfail); false: heartbeat ping nodes that are only reported. */
  readonly tieBreaker?: boolean;
  readonly targets: readonly { readonly name: string; readonly addresses: readonly string[]; readonly reachable: boolean }[];
}

/** Where the config came from when it was read from heartbeat's /etc/ha.d (see HadirOrigin in config/model.ts). */
export interface OriginReport {
  readonly kind: 'ha.d';
  readonly dir: string;
  /** ha.cf directive → its value as written. */
  readonly parameters: Readonly<Record<string, string>>;
  readonly autoFailback: 'on' | 'off' | 'legacy';
}

/** Split-brain protection as the answering node sees it. */
export interface QuorumStatusReport {
  readonly status: 'quorate' | 'pending' | 'lost';
  readonly votes: number;
  readonly expected: number;
  readonly needed: number;
  readonly partition: readonly string[];
  readonly reason: string;
  readonly policy: 'stop' | 'freeze' | 'ignore';
  /** The strongest guarantee the config gives that a lost node runs nothing. */
  readonly guarantee: 'fencing' | 'watchdog' | 'quorum' | 'none';
  readonly arbitrator: string | null;
  /** The arbitrator's current vote (on the arbitrator itself). */
  readonly arbitratorVote: string | null;
  readonly pingScore: number | null;
  readonly pingTargets: number | null;
  readonly watchdog: { readonly configured: boolean; readonly fed: boolean; readonly detail: string };
  readonly fencing: {
    readonly configured: boolean;
    readonly inFlight: readonly string[];
    readonly failing: readonly { readonly node: string; readonly summary: string }[];
    /** Fencings this node ran, oldest first. */
    readonly history: readonly { readonly node: string; readonly wallTime: string; readonly ok: boolean; readonly by: string; readonly summary: string }[];
    /** What the cluster knows fenced, whoever fenced it (until the node restarts). */
    readonly fenced: readonly { readonly node: string; readonly generation: number; readonly by: string; readonly summary: string }[];
  };
}

export interface StatusReport {
  readonly version: string;
  readonly cluster: string;
  readonly node: string;
  readonly generation: number;
  readonly uptimeMs: number;
  readonly configDigest: string;
  readonly configFile: string;
  readonly timings: { readonly keepaliveMs: number; readonly warntimeMs: number; readonly deadtimeMs: number; readonly initdeadMs: number };
  readonly nodes: readonly NodeStatus[];
  readonly counters: {
    readonly dropped: Readonly<Record<DropReason, number>>;
    readonly links: Readonly<Record<string, { sent: number; received: number; sendErrors: number; lastError?: string }>>;
  };
  readonly groups: readonly GroupStatus[];
  readonly quorum: QuorumStatusReport;
  /** Nodes in standby (they run no group). */
  readonly standby: readonly string[];
  readonly warnings: readonly string[];
  readonly events: readonly { readonly wallTime: string; readonly kind: string; readonly node?: string; readonly link?: string; readonly group?: string; readonly reason: string }[];
  /** The declared nodes in config order (heartbeat lists nodes in reverse ha.cf order). */
  readonly nodeOrder?: readonly string[];
  /** The configured links (heartbeat's commands name them; optional: daemons before these fields lack them). */
  readonly links?: readonly LinkDefinition[];
  /** The ping section and each target's reachability; null without one. */
  readonly ping?: PingStatusReport | null;
  /** Set when the config was read from an /etc/ha.d; null for tandem's YAML. */
  readonly origin?: OriginReport | null;
}
