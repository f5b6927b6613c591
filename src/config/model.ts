/**
 * The one cluster model every config front-end produces (tandem YAML today, ha.cf and keepalived.conf later).
 * Units are converted at the parse edge: every duration here is in milliseconds.
 */
import type { LinkName, NodeName } from '../core/types.js';

export type TransportKind = 'udp-unicast' | 'udp-broadcast' | 'udp-multicast';

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
}

export interface NodeLinkAddress {
  /** This node's address on the link (IPv4 or IPv6); the socket binds to it. */
  readonly address: string;
  /** Interface to bind to (SO_BINDTODEVICE is not available to Node; used for multicast membership and IPv6 scope). */
  readonly interface?: string;
}

export interface NodeConfig {
  readonly name: NodeName;
  /** Link name → this node's address on that link. A node may be absent from some links. */
  readonly links: Readonly<Record<string, NodeLinkAddress>>;
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
export const DEFAULT_STATE_DIR = '/var/lib/tandem';
export const DEFAULT_RUNTIME_DIR = '/run/tandem';
/** The API socket's file name inside runtime_dir. */
export const SOCKET_NAME = 'tandemd.sock';
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
