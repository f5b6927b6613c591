/**
 * Loads the native addon (`native/netraw.c`, built by node-gyp into `build/Release/netraw.node`) and gives it
 * a type. It does three things Node.js cannot: send raw link-layer frames (AF_PACKET: announcements), add
 * or remove an interface address over rtnetlink (what `ip addr add|del` does, without spawning `ip`), and
 * the two ioctls of the Linux watchdog API (set the timeout, keep alive; src/fencing/watchdog.ts).
 *
 * Invariants:
 *   1. Loading never throws: a missing or broken addon is a value (`{ ok: false, reason }`), so the caller
 *      can fall back (to `arping` for announcements, to `ip` for address changes) and say why.
 *   2. The addon is loaded at most once per process; the outcome is cached.
 *   3. Calls into the addon may throw `NetrawError`-shaped errors (`code` = errno name); wrappers above turn
 *      them into typed results.
 *   4. Only `captureNext`, `addressAdd` and `addressDelete` block: the first and the ack wait of the others at
 *      most `timeoutMs`; see `addressAdd` for the RTNL lock.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface InterfaceInfo {
  readonly index: number;
  /** 6 bytes. */
  readonly mac: Buffer;
}

export interface CapturedFrame {
  readonly frame: Buffer;
  /** A frame this host sent (PACKET_OUTGOING), not one it received. */
  readonly outgoing: boolean;
  /** CLOCK_MONOTONIC when recvfrom returned; comparable with `process.hrtime.bigint()` on the same host. */
  readonly monotonicNs: bigint;
}

/**
 * What the addon exports. Every function works in the calling process's network namespace, and every failing
 * system call throws an Error whose `code` is the errno name (EPERM, ENODEV, ...) and whose message is
 * `<syscall>: <strerror>`; see `netrawErrorText`.
 */
export interface Netraw {
  interfaceInfo(name: string): InterfaceInfo;
  /**
   * Opens the process-wide send socket now rather than at the first frame (it is never closed: closing an
   * AF_PACKET socket blocks 10-20 ms on an RCU grace period). It belongs to the current network namespace.
   */
  openSender(): void;
  /** Sends each frame as is (a complete Ethernet frame) on the interface; returns how many were sent. */
  sendFrames(ifindex: number, frames: readonly Buffer[]): number;
  /** A receive socket for one ethertype on one interface (tests and diagnostics). */
  captureOpen(ifindex: number, ethertype: number): number;
  /** Blocks up to timeoutMs (poll) for the next frame; null on timeout. Never call it from the daemon. */
  captureNext(fd: number, timeoutMs: number): CapturedFrame | null;
  close(fd: number): void;
  /**
   * `ip addr add ADDRESS/PREFIX dev IFNAME` over rtnetlink (RTM_NEWADDR, NLM_F_CREATE|NLM_F_EXCL|NLM_F_ACK),
   * waiting for the kernel's ack: IPv4 with `brd +` (the broadcast address with every host bit set, none for
   * /31 and /32), IPv6 with `nodad` (usable at once, never tentative); scope global. `'exists'` when the kernel
   * answers EEXIST: for IPv4 that address with that prefix, for IPv6 that address with any prefix.
   * Synchronous: it blocks for the round trip (tens of µs). The kernel handles the request inside the send,
   * under the RTNL lock (so a lock held elsewhere delays the send, unbounded, as it would delay `ip`), then the
   * wait for the ack is at most `timeoutMs` (1..60 000; then throws ETIMEDOUT). Throws ENODEV (syscall `if_nametoindex`) for an unknown interface, and any other
   * refusal as `code` = errno name, message `netlink RTM_NEWADDR: <strerror> (<the kernel's reason>)`.
   */
  addressAdd(ifname: string, address: string, prefix: number, timeoutMs: number): 'added' | 'exists';
  /**
   * `ip addr del ADDRESS/PREFIX dev IFNAME` over rtnetlink (RTM_DELADDR), waiting for the ack like
   * `addressAdd`. `'absent'` when the kernel answers EADDRNOTAVAIL (no such address with that prefix on the
   * interface). Throws like `addressAdd` (ENODEV for an unknown interface).
   */
  addressDelete(ifname: string, address: string, prefix: number, timeoutMs: number): 'deleted' | 'absent';
  /*
   * The two watchdog ioctls are always present on a loaded addon (`loadNetraw` checks NETRAW_FUNCTIONS); they
   * are optional in the type only so that a hand-written fake of the network calls need not stub them. Their
   * one user, src/fencing/watchdog.ts, checks for them.
   */
  /**
   * ioctl(WDIOC_SETTIMEOUT) on an open watchdog device: asks for `seconds` (>= 1) and returns the timeout the
   * driver actually set, which may differ (drivers round or clamp to what the hardware can do). Throws ENOTTY
   * on a file that is not a watchdog (a FIFO stand-in, /dev/null), EOPNOTSUPP on a watchdog whose timeout is
   * fixed, EINVAL on a value the driver refuses.
   */
  watchdogSetTimeout?(fd: number, seconds: number): number;
  /**
   * ioctl(WDIOC_KEEPALIVE) on an open watchdog device; throws ENOTTY on a file that is not a watchdog,
   * EOPNOTSUPP on a watchdog that is only kept alive by writes.
   */
  watchdogKeepalive?(fd: number): void;
}

/** What the addon must export; an older build missing any of these is not loaded (rebuild it). */
const NETRAW_FUNCTIONS = [
  'interfaceInfo',
  'openSender',
  'sendFrames',
  'captureOpen',
  'captureNext',
  'close',
  'addressAdd',
  'addressDelete',
  'watchdogSetTimeout',
  'watchdogKeepalive',
] as const;

export type NetrawLoad = { readonly ok: true; readonly netraw: Netraw; readonly path: string } | { readonly ok: false; readonly reason: string };

/** Set to a `.node` path to load the addon from somewhere else (tests, packaging). */
export const NETRAW_PATH_ENV = 'TANDEM_NETRAW_PATH';
const ADDON_RELATIVE_PATH = join('build', 'Release', 'netraw.node');

let cached: NetrawLoad | undefined;

/** Where the addon may be: the env override, then `build/Release/netraw.node` in this file's directory or any parent. */
export function netrawCandidates(env: NodeJS.ProcessEnv = process.env, from: string = dirname(fileURLToPath(import.meta.url))): string[] {
  const out: string[] = [];
  const override = env[NETRAW_PATH_ENV];
  if (override) out.push(resolve(override));
  for (let dir = from; ; dir = dirname(dir)) {
    out.push(join(dir, ADDON_RELATIVE_PATH));
    if (dirname(dir) === dir) break;
  }
  return out;
}

/** The functions the loaded module lacks (all of them if it is not an object). */
function missingFunctions(value: unknown): string[] {
  if (typeof value !== 'object' || value === null) return [...NETRAW_FUNCTIONS];
  const record = value as Record<string, unknown>;
  return NETRAW_FUNCTIONS.filter((name) => typeof record[name] !== 'function');
}

/** The addon, or why it is not available. Cached after the first call. */
export function loadNetraw(): NetrawLoad {
  cached ??= loadUncached();
  return cached;
}

function loadUncached(): NetrawLoad {
  const candidates = netrawCandidates();
  const path = candidates.find((candidate) => existsSync(candidate));
  if (path === undefined) {
    return { ok: false, reason: `the native addon netraw.node is not built (looked for ${candidates[0] ?? ADDON_RELATIVE_PATH} and parents; run \`npm run build:native\`)` };
  }
  try {
    const loaded: unknown = createRequire(import.meta.url)(path);
    const missing = missingFunctions(loaded);
    if (missing.length > 0) return { ok: false, reason: `${path} does not export ${missing.join(', ')} (an older build? run \`npm run build:native\`)` };
    return { ok: true, netraw: loaded as Netraw, path };
  } catch (error) {
    return { ok: false, reason: `Cannot load ${path}: ${error instanceof Error ? error.message : String(error)}` };
  }
}

/** `EPERM: socket(AF_PACKET): Operation not permitted` from an addon exception, whatever was thrown. */
export function netrawErrorText(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as Error & { code?: unknown }).code;
    return typeof code === 'string' && code !== '' ? `${code}: ${error.message}` : error.message;
  }
  return String(error);
}
