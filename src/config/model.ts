/**
 * The one cluster model every config front-end produces (tandem YAML today, ha.cf and keepalived.conf later).
 * Units are converted at the parse edge: every duration here is in milliseconds.
 */
import type { LinkName, NodeName } from '../core/types.js';

export type TransportKind = 'udp-unicast' | 'udp-broadcast' | 'udp-multicast' | 'serial';

export interface LinkConfig {
  readonly name: LinkName;
  readonly transport: TransportKind;
  /** UDP port; heartbeat's well-known 694 by default. */
  readonly port: number;
  /** Multicast group (udp-multicast only), IPv4 or IPv6. */
  readonly group?: string;
  /** Multicast TTL / hop limit (udp-multicast only). */
  readonly ttl?: number;
  /** Broadcast address (udp-broadcast only), e.g. 192.0.2.255. */
  readonly broadcast?: string;
  /** Line speed in baud (serial only), one of SERIAL_BAUD_RATES. A serial link joins exactly two nodes. */
  readonly baud?: number;
}

/** A node on a UDP link. */
export interface NodeLinkAddress {
  /** This node's address on the link (IPv4 or IPv6); the socket binds to it. */
  readonly address: string;
  /** Interface to bind to (SO_BINDTODEVICE is not available to Node; used for multicast membership and IPv6 scope). */
  readonly interface?: string;
  readonly device?: undefined;
}

/**
 * A node on a serial link: the tty device it opens. Each node names its own (node A's /dev/ttyS0 and node B's
 * /dev/ttyS1 may be the two ends of one null-modem cable), so the path is node-local and not in the config digest.
 */
export interface NodeLinkDevice {
  readonly device: string;
  readonly address?: undefined;
  readonly interface?: undefined;
}

/** How a node is on one link: an address for UDP links, a device for serial ones (narrow on `device !== undefined`). */
export type NodeLinkEndpoint = NodeLinkAddress | NodeLinkDevice;

export interface NodeConfig {
  readonly name: NodeName;
  /** Link name → this node's endpoint on that link. A node may be absent from some links. */
  readonly links: Readonly<Record<string, NodeLinkEndpoint>>;
}

export interface TimingsConfig {
  readonly keepaliveMs: number;
  readonly warntimeMs: number;
  readonly deadtimeMs: number;
  readonly initdeadMs: number;
}

export interface LoggingConfig {
  readonly format: 'json' | 'text';
  readonly level: 'debug' | 'info' | 'warn' | 'error';
}

/**
 * How a resource is run. Built-in kinds (`ipaddr`, `filesystem`) carry their parameters; the others name an
 * external agent. Parameter checks that need the agent itself (OCF meta-data) happen at `config check` time.
 */
export type ResourceAgentConfig =
  | { readonly kind: 'ipaddr'; readonly address: string; readonly prefix: number; readonly interface: string; readonly announceCount: number; readonly announceIntervalMs: number }
  | { readonly kind: 'filesystem'; readonly device: string; readonly directory: string; readonly fstype: string; readonly options: string }
  | { readonly kind: 'ocf'; readonly provider: string; readonly type: string; readonly params: Readonly<Record<string, string>> }
  | { readonly kind: 'lsb'; readonly name: string }
  | { readonly kind: 'systemd'; readonly unit: string }
  /** heartbeat `resource.d` style: `Name::arg1::arg2` → `Name arg1 arg2 start|stop|status`. */
  | { readonly kind: 'heartbeat'; readonly script: string; readonly args: readonly string[] }
  | { readonly kind: 'exec'; readonly command: readonly string[]; readonly health?: readonly string[]; readonly stopSignal: string };

export interface ResourceConfig {
  /** Unique in the cluster: OCF_RESOURCE_INSTANCE, and the name in status, events and `tandem why`. */
  readonly id: string;
  readonly agent: ResourceAgentConfig;
  readonly startTimeoutMs: number;
  readonly stopTimeoutMs: number;
  /** 0 = no recurring monitor (the resource is still probed once when tandem starts). */
  readonly monitorIntervalMs: number;
  readonly monitorTimeoutMs: number;
}

/** heartbeat's auto_failback: `auto` returns a group to its most preferred node when that node is back. */
export type Failback = 'auto' | 'manual';

export interface GroupConfig {
  /** Unique in the cluster. */
  readonly name: string;
  /** Nodes that may run the group, most preferred first; a node not listed never runs it. */
  readonly nodes: readonly NodeName[];
  readonly failback: Failback;
  /** Failures of this group on one node (counted within failureTimeoutMs) before it moves away; until then it restarts in place. */
  readonly migrationThreshold: number;
  /** A failure older than this is forgotten; 0 = failures are kept until `tandem cleanup`. */
  readonly failureTimeoutMs: number;
  /** Started in this order, stopped in the reverse order. */
  readonly resources: readonly ResourceConfig[];
}

/** What to do with a VIP of a configured group found on this node while this node does not hold the group. */
export type StrayAddressPolicy = 'remove' | 'report';

export interface ReconcileConfig {
  /** How often the kernel's addresses are compared with what this node should hold; 0 disables it. */
  readonly intervalMs: number;
  readonly strayAddresses: StrayAddressPolicy;
}

/** What a partition without a majority of the votes does with its groups (see src/core/quorum.ts). */
export type NoQuorumPolicy = 'stop' | 'freeze' | 'ignore';

export interface QuorumConfig {
  /** Votes per node (every node listed, the arbitrator included); 1 unless configured. */
  readonly votes: Readonly<Record<string, number>>;
  readonly noQuorum: NoQuorumPolicy;
  /** The cluster becomes quorate for the first time only once every node has been seen at once. */
  readonly waitForAll: boolean;
}

/** heartbeat's `ping` / `ping_group`: a group of addresses is reachable while any of them answers. */
export interface PingTargetGroupConfig {
  readonly name: string;
  readonly addresses: readonly string[];
}

export interface PingConfig {
  readonly groups: readonly PingTargetGroupConfig[];
  readonly intervalMs: number;
  /** A target unanswered this long is unreachable (heartbeat's deadping). */
  readonly deadMs: number;
}

export interface FenceDeviceConfig {
  readonly name: string;
  /** A fence agent (`fence_*`, searched in the sbin directories) or an absolute path. */
  readonly agent: string;
  /** `key=value` lines for the agent (not `action`, `plug` or `port`: tandem writes those). */
  readonly params: Readonly<Record<string, string>>;
  /** Node name → plug (port) on this device; a node not listed uses its own name. */
  readonly hostMap: Readonly<Record<string, string>>;
  /** Nodes this device can fence. */
  readonly nodes: readonly NodeName[];
}

export interface FencingConfig {
  readonly devices: readonly FenceDeviceConfig[];
  /** Node → levels, tried in order; each level is device names that must all succeed. */
  readonly levels: Readonly<Record<string, readonly (readonly string[])[]>>;
  readonly action: 'off' | 'reboot';
  /** Per agent run. */
  readonly timeoutMs: number;
  /** Extra rounds through every level before a fencing counts as failed. */
  readonly retries: number;
  /** Head start of the preferred node in a fencing race (two nodes). */
  readonly delayMs: number;
  /** A failed fencing is tried again after this long, for as long as it is needed. */
  readonly retryIntervalMs: number;
}

export interface WatchdogConfig {
  /** `/dev/watchdog`, or a stand-in (a FIFO) in tests. */
  readonly device: string;
  readonly timeoutMs: number;
}

export interface ClusterConfig {
  /** Cluster name; carried in every message, so two clusters on one segment ignore each other. */
  readonly cluster: string;
  /** Path of the key file (mode 0600): `send ID` plus `ID SECRET` lines. */
  readonly keyFile: string;
  readonly timings: TimingsConfig;
  readonly links: readonly LinkConfig[];
  readonly nodes: readonly NodeConfig[];
  readonly logging: LoggingConfig;
  /** Where the generation and the last known membership are kept. */
  readonly stateDir: string;
  /** Where the API socket lives. */
  readonly runtimeDir: string;
  readonly groups: readonly GroupConfig[];
  readonly reconcile: ReconcileConfig;
  readonly quorum: QuorumConfig;
  /** A node of `nodes` that holds no groups and only backs one side of a split (`tandemd --arbitrator`). */
  readonly arbitrator?: NodeName;
  readonly ping?: PingConfig;
  readonly fencing?: FencingConfig;
  readonly watchdog?: WatchdogConfig;
  /** Set when the config was read from heartbeat's /etc/ha.d rather than tandem's YAML. */
  readonly origin?: HadirOrigin;
}

/** What heartbeat's commands (cl_status, hb_standby) need to know about an /etc/ha.d the config came from. */
export interface HadirOrigin {
  readonly kind: 'ha.d';
  /** The directory read (ha.cf, haresources, authkeys). */
  readonly dir: string;
  /** ha.cf directive → its value as written (the last line wins, words joined by one space), for `cl_status hbparameter`. */
  readonly parameters: Readonly<Record<string, string>>;
  /** heartbeat's auto_failback as written (default legacy): `cl_status rscstatus` says `none` in legacy mode. */
  readonly autoFailback: 'on' | 'off' | 'legacy';
  /**
   * ha.cf's ping and ping_group nodes, probed as heartbeat probed them (every keepalive, dead after deadping), even
   * when no `ping` section was imported (without ipfail they only show in `cl_status`, never move a group).
   */
  readonly pingNodes?: PingConfig;
}

/**
 * Defaults, each with its reason.
 * keepalive 150ms / deadtime 700ms: a crash is detected in 550–700 ms (well under 1 s), while a false `dead`
 * needs four consecutive heartbeats lost on every link at once, which 2 % loss makes vanishingly rare.
 * warntime sits a little past two missed heartbeats, so `late` means something. initdead follows heartbeat's
 * advice (at least twice deadtime) so a node booting its network is not declared dead at once.
 */
export const DEFAULT_TIMINGS: TimingsConfig = {
  keepaliveMs: 150,
  warntimeMs: 400,
  deadtimeMs: 700,
  initdeadMs: 3000,
};

export const DEFAULT_PORT = 694;
/** heartbeat's serial speeds (its `baud` directive accepts these); 19200 is its default and ours. */
export const SERIAL_BAUD_RATES: readonly number[] = [9600, 19200, 38400, 57600, 115200, 230400, 460800];
export const DEFAULT_BAUD = 19200;
export const DEFAULT_STATE_DIR = '/var/lib/tandem';
export const DEFAULT_RUNTIME_DIR = '/run/tandem';
/** The API socket's file name inside runtime_dir. */
export const SOCKET_NAME = 'tandemd.sock';
/**
 * Resource defaults. Timeouts follow Pacemaker's 20 s default op timeout: long enough for a real service to
 * start, short enough that a hung agent does not hold a group for minutes. A monitor every 10 s notices a dead
 * service well before a user files a ticket, at a cost of one short agent run. Three failures in place before a
 * move (a single crash restarts where the data is warm); failures forgotten after 10 minutes.
 */
export const DEFAULT_RESOURCE_TIMINGS = { startTimeoutMs: 20_000, stopTimeoutMs: 20_000, monitorIntervalMs: 10_000, monitorTimeoutMs: 20_000 } as const;
export const DEFAULT_GROUP_POLICY = { failback: 'manual' as Failback, migrationThreshold: 3, failureTimeoutMs: 600_000 } as const;
/** Stray VIPs are removed (they would otherwise split the traffic); every removal is an event. */
export const DEFAULT_RECONCILE: ReconcileConfig = { intervalMs: 5_000, strayAddresses: 'remove' };
/**
 * Split-brain protection defaults. no-quorum `stop` (a minority partition stops its groups; in a two-node cluster
 * without a tie-breaker a tie falls back to heartbeat's behaviour, warned about). Ping: heartbeat's usual 1 s
 * interval, unreachable after 3 missed answers (tandem's deadping). Fencing: `off` (a fenced node stays down until a
 * person looks), Pacemaker's 20 s agent timeout, one retry round, a 5 s head start for the preferred node (longer
 * than a fence agent's usual power-off, shorter than an outage anyone accepts), retried every 10 s while needed.
 * Watchdog: 5 s (SBD's default), on /dev/watchdog.
 */
export const DEFAULT_PING = { intervalMs: 1000, deadMs: 3000 } as const;
export const DEFAULT_FENCING = { action: 'off' as const, timeoutMs: 20_000, retries: 1, delayMs: 5000, retryIntervalMs: 10_000 } as const;
export const DEFAULT_WATCHDOG = { device: '/dev/watchdog', timeoutMs: 5000 } as const;
export const DEFAULT_LOGGING: LoggingConfig = { format: 'text', level: 'info' };

/** A key used to authenticate messages; `id` travels in every message so receivers pick the right secret. */
export interface AuthKey {
  readonly id: number;
  readonly secret: Buffer;
}

export interface KeyRing {
  /** Every key accepted on receive (rotation: old and new at once). */
  readonly keys: readonly AuthKey[];
  /** The key used to send. */
  readonly sendKeyId: number;
}

/** A config problem: data, not an exception. All are collected and reported together. */
export interface ConfigIssue {
  readonly severity: 'error' | 'warning';
  readonly code: string;
  readonly file: string;
  /** 1-based line; 0 when the issue is about the whole file (unreadable, wrong mode, a line that is missing). */
  readonly line: number;
  /** 1-based column; 0 together with line 0. */
  readonly column: number;
  /** Dotted path of the field, e.g. `nodes[1].links.lan.address`. */
  readonly path: string;
  readonly message: string;
}

/** `file:line:column: severity: path: message [code]`, in the style of compilers; `file:` alone for whole-file issues. */
export function formatIssue(issue: ConfigIssue): string {
  const where = issue.line > 0 ? `${issue.file}:${issue.line}:${issue.column}` : issue.file;
  return `${where}: ${issue.severity}: ${issue.path ? `${issue.path}: ` : ''}${issue.message} [${issue.code}]`;
}
