/**
 * Loads the native raw-packet addon (`native/netraw.c`, built by node-gyp into `build/Release/netraw.node`)
 * and gives it a type.
 *
 * Invariants:
 *   1. Loading never throws: a missing or broken addon is a value (`{ ok: false, reason }`), so the caller
 *      can fall back (to `arping`) and say why.
 *   2. The addon is loaded at most once per process; the outcome is cached.
 *   3. Calls into the addon may throw `NetrawError`-shaped errors (`code` = errno name); wrappers above turn
 *      them into typed results.
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

/** What the addon exports. Every function works in the calling process's network namespace. */
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
}

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

function isNetraw(value: unknown): value is Netraw {
  if (typeof value !== 'object' || value === null) return false;
  const record = value as Record<string, unknown>;
  return ['interfaceInfo', 'openSender', 'sendFrames', 'captureOpen', 'captureNext', 'close'].every((name) => typeof record[name] === 'function');
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
    if (!isNetraw(loaded)) return { ok: false, reason: `${path} does not export the netraw functions` };
    return { ok: true, netraw: loaded, path };
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
