/**
 * Facts about live processes read from Linux's /proc, and process-group signalling, for the agent runners.
 *
 * Invariants:
 *   1. A zombie (state Z) or dead (X) process counts as gone: it can do no work and holds no resource.
 *   2. Only "no such process" answers become `undefined` / `false`; any other failure is rethrown with its cause,
 *      so a caller never mistakes "could not look" for "not there".
 *   3. Signals go to a process group only by its id (`-pgid`), never to a name.
 */
import { readdirSync, readFileSync } from 'node:fs';

/** The fields of /proc/PID/stat that the runners use. */
export interface ProcStat {
  readonly pid: number;
  /** One letter: R, S, D, Z, T, t, X, I, … */
  readonly state: string;
  readonly pgrp: number;
  /** Start time since boot in clock ticks (field 22), kept as text: it is an identity, not arithmetic. */
  readonly startTicks: string;
}

/** Thrown when /proc answers something other than "no such process". */
export class ProcReadError extends Error {
  override readonly name = 'ProcReadError';
  readonly code = 'TND_E_AGENT_PROC_READ';
}

/** `/proc/PID/stat` parsed, or undefined when there is no such process. */
export function readProcStat(pid: number): ProcStat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'latin1');
  } catch (error) {
    if (isNoSuchProcess(error)) return undefined;
    throw new ProcReadError(`Cannot read /proc/${pid}/stat as it failed: ${String(error)}`, { cause: error });
  }
  return parseProcStat(text);
}

/**
 * Parses one /proc/PID/stat line. The command name (field 2) may itself contain spaces and parentheses, so the
 * fields are counted from the last `)`.
 */
export function parseProcStat(text: string): ProcStat | undefined {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) return undefined;
  const pid = Number(text.slice(0, open).trim());
  // After ")": field 3 (state) is at index 0, field 5 (pgrp) at 2, field 22 (starttime) at 19.
  const rest = text.slice(close + 1).trim().split(' ');
  const state = rest[0];
  const pgrp = Number(rest[2]);
  const startTicks = rest[19];
  if (!Number.isInteger(pid) || state === undefined || !Number.isInteger(pgrp) || startTicks === undefined) return undefined;
  return { pid, state, pgrp, startTicks };
}

/** A process that exists and is not a zombie. */
export function isLive(stat: ProcStat | undefined): stat is ProcStat {
  return stat !== undefined && stat.state !== 'Z' && stat.state !== 'X' && stat.state !== 'x';
}

/**
 * The live (non-zombie) members of process group `pgid`, found by scanning /proc. Processes that vanish during
 * the scan are skipped.
 */
export function liveGroupMembers(pgid: number): number[] {
  const members: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readProcStat(Number(entry));
    if (isLive(stat) && stat.pgrp === pgid) members.push(stat.pid);
  }
  return members;
}

/**
 * Whether process group `pgid` still has a live member. Uses the /proc scan, which ignores zombies waiting to be
 * reaped; if /proc cannot be scanned, falls back to `kill(-pgid, 0)`, which counts zombies as members (slower to
 * report an empty group, never wrong the other way).
 */
export function groupHasLiveMembers(pgid: number): boolean {
  try {
    return liveGroupMembers(pgid).length > 0;
  } catch (error) {
    if (!(error instanceof ProcReadError) && !isErrno(error)) throw error;
    return signalGroup(pgid, 0) === 'sent';
  }
}

/**
 * Sends `signal` to every process in group `pgid`. `gone` when the group no longer exists; `denied` when it
 * exists but belongs to someone we may not signal. Other failures are programmer errors and are rethrown.
 */
export function signalGroup(pgid: number, signal: NodeJS.Signals | 0): 'sent' | 'gone' | 'denied' {
  if (!Number.isInteger(pgid) || pgid <= 1) throw new RangeError(`Cannot signal process group ${pgid} as it is not a group id above 1`);
  try {
    process.kill(-pgid, signal);
    return 'sent';
  } catch (error) {
    if (errnoCode(error) === 'ESRCH') return 'gone';
    if (errnoCode(error) === 'EPERM') return 'denied';
    throw error;
  }
}

/** The `code` of a Node.js system error (`ENOENT`, `ESRCH`, …), or undefined for anything else. */
export function errnoCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null || !('code' in error)) return undefined;
  const code = (error as { code: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}

function isErrno(error: unknown): boolean {
  return errnoCode(error) !== undefined;
}

function isNoSuchProcess(error: unknown): boolean {
  const code = errnoCode(error);
  return code === 'ENOENT' || code === 'ESRCH';
}
