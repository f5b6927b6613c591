/**
 * Runs one agent program to completion under a timeout and reports how it went; the I/O edge of every agent.
 *
 * Invariants:
 *   1. Never throws and never rejects for operating errors (missing program, bad cwd, crash, hang): every outcome is
 *      a value with an `exec` status. Only programmer errors (an assertion) throw.
 *   2. The program runs `detached`, so it leads its own process group (and session); on timeout the whole group gets
 *      SIGTERM, then SIGKILL after `killGraceMs` (default AGENT_KILL_GRACE_MS) if any member is still alive.
 *   3. The runner settles at most `timeoutMs + killGraceMs + AGENT_REAP_WAIT_MS` after the start, even when a
 *      grandchild keeps the output pipe open: after the program exits, the pipes are drained for at most
 *      AGENT_OUTPUT_DRAIN_MS and then closed on our side.
 *   4. At most AGENT_OUTPUT_BYTES_MAX bytes of output are kept (the tail), for combined stdout+stderr and for stdout
 *      alone; memory use does not grow with the program's output.
 *   5. This module reads the clock (`performance.now()`) and timers only to measure and bound the run.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { stat } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { errnoCode, groupHasLiveMembers, signalGroup } from './proc.js';
import type { AgentResult, ExecStatus, OcfRc } from './types.js';

/** The most output bytes kept per run (the last ones: errors are usually printed last). */
export const AGENT_OUTPUT_BYTES_MAX = 8192;
/** Between SIGTERM and SIGKILL to the process group of a program that timed out. */
export const AGENT_KILL_GRACE_MS = 2000;
/** How long to wait for the output pipes to close once the program has exited (a daemonized child may hold them). */
export const AGENT_OUTPUT_DRAIN_MS = 200;
/** After SIGKILL, how long to wait for the program's exit to be reported before giving up on it. */
export const AGENT_REAP_WAIT_MS = 1000;
/** How often the group is checked for live members while it is being terminated. */
export const AGENT_GROUP_POLL_MS = 20;
/** The PATH agents get unless the caller passes another: agents must not depend on the daemon's own environment. */
export const AGENT_PATH_DEFAULT = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** Exit codes that shells and `env` use for "found but cannot execute" (126) and "command not found" (127). */
const EXIT_CANNOT_EXECUTE = 126;
const EXIT_NOT_FOUND = 127;
/** spawn() errors that mean the program is not (usably) installed, rather than a failure of the system. */
const NOT_INSTALLED_ERRNOS = new Set(['ENOENT', 'EACCES', 'ENOEXEC', 'ENOTDIR', 'ELOOP', 'EISDIR']);

export interface RunRequest {
  /** The program: an absolute path, or a bare name looked up in `env.PATH`. */
  readonly file: string;
  readonly args: readonly string[];
  /** The complete environment of the program (nothing is inherited from the daemon). */
  readonly env: Readonly<Record<string, string>>;
  readonly cwd?: string;
  readonly timeoutMs: number;
  /** Overrides AGENT_KILL_GRACE_MS. */
  readonly killGraceMs?: number;
  /** Overrides AGENT_OUTPUT_BYTES_MAX for `stdoutTail` only (meta-data XML is read from stdout and can be larger). */
  readonly stdoutBytesMax?: number;
}

export interface RunOutcome {
  readonly exec: ExecStatus;
  /** Present when the program exited by itself with a code. */
  readonly exitCode?: number;
  /** Present when the program died of a signal (ours after a timeout, or a crash). */
  readonly signal?: string;
  readonly durationMs: number;
  /** The last AGENT_OUTPUT_BYTES_MAX bytes of stdout and stderr, interleaved in arrival order. */
  readonly outputTail: string;
  /** The last AGENT_OUTPUT_BYTES_MAX bytes of stdout alone (heartbeat judges `status` by stdout). */
  readonly stdoutTail: string;
  /** True when stdout was longer than the tail kept of it. */
  readonly stdoutTruncated: boolean;
  readonly detail?: string;
}

/** The runner as a value, so agents can be tested with a fake one. */
export type ProcessRunner = (request: RunRequest) => Promise<RunOutcome>;

/** The environment agents run with: a fixed PATH and the C locale, plus the caller's variables (which win). */
export function agentEnv(extra: Readonly<Record<string, string>> = {}): Record<string, string> {
  return { PATH: AGENT_PATH_DEFAULT, LANG: 'C', ...extra };
}

/**
 * Turns a run outcome into an agent result. `mapExit` translates the program's own exit code into an OCF code
 * (identity for OCF agents, the LSB table for init scripts, …); it is only called when `exec` is `done`.
 */
export function toAgentResult(
  outcome: RunOutcome,
  mapExit: (exitCode: number) => { rc: OcfRc; detail?: string },
): AgentResult {
  const base = {
    exec: outcome.exec,
    durationMs: outcome.durationMs,
    outputTail: outcome.outputTail,
    ...(outcome.exitCode === undefined ? {} : { rawExitCode: outcome.exitCode }),
    ...(outcome.signal === undefined ? {} : { signal: outcome.signal }),
  };
  if (outcome.exec !== 'done' || outcome.exitCode === undefined) {
    return { ...base, ...(outcome.detail === undefined ? {} : { detail: outcome.detail }) };
  }
  const mapped = mapExit(outcome.exitCode);
  const detail = mapped.detail ?? outcome.detail;
  return { ...base, rc: mapped.rc, ...(detail === undefined ? {} : { detail }) };
}

/** The default runner: spawns the program for real. See the module invariants. */
export const runProcess: ProcessRunner = async (request) => {
  const startedMs = performance.now();
  if (request.cwd !== undefined) {
    const problem = await directoryProblem(request.cwd);
    if (problem !== undefined) return failedBeforeStart('error', startedMs, problem);
  }
  return new Promise<RunOutcome>((resolve) => {
    let child: ChildProcess;
    try {
      child = spawn(request.file, [...request.args], {
        cwd: request.cwd,
        env: { ...request.env },
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
        shell: false,
        windowsHide: true,
      });
    } catch (error) {
      // spawn() throws synchronously for invalid arguments (e.g. a NUL byte in argv or env).
      resolve(failedBeforeStart('error', startedMs, `Cannot start ${request.file} as spawn refused it: ${String(error)}`));
      return;
    }
    new Supervision(child, request, startedMs, resolve).begin();
  });
};

/** One run's timers and state; settles its promise exactly once. */
class Supervision {
  private readonly combined = new ByteTail(AGENT_OUTPUT_BYTES_MAX);
  private readonly stdout: ByteTail;
  private readonly timers = new Set<NodeJS.Timeout>();
  private exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  private closed = false;
  private timedOut = false;
  private killSent = false;
  private settled = false;
  private spawnError: unknown;
  private lateError: unknown;

  constructor(
    private readonly child: ChildProcess,
    private readonly request: RunRequest,
    private readonly startedMs: number,
    private readonly resolve: (outcome: RunOutcome) => void,
  ) {
    this.stdout = new ByteTail(request.stdoutBytesMax ?? AGENT_OUTPUT_BYTES_MAX);
  }

  begin(): void {
    this.child.stdout?.on('data', (chunk: Buffer) => {
      this.combined.push(chunk);
      this.stdout.push(chunk);
    });
    this.child.stderr?.on('data', (chunk: Buffer) => this.combined.push(chunk));
    this.child.on('error', (error) => this.onError(error));
    this.child.on('exit', (code, signal) => this.onExit(code, signal));
    this.child.on('close', () => this.onClose());
    this.after(this.request.timeoutMs, () => this.onTimeout());
  }

  private onError(error: unknown): void {
    // 'error' without a pid means the program never started; with a pid it can only come from ChildProcess#kill
    // or IPC, which this runner does not use — kept for the outcome's detail rather than dropped.
    if (this.child.pid !== undefined) {
      this.lateError = error;
      return;
    }
    this.spawnError = error;
    this.finish();
  }

  private onExit(code: number | null, signal: NodeJS.Signals | null): void {
    this.exit = { code, signal };
    if (this.timedOut) {
      this.finishIfGroupGone();
      return;
    }
    if (this.closed) this.finish();
    else this.after(AGENT_OUTPUT_DRAIN_MS, () => this.finish());
  }

  private onClose(): void {
    this.closed = true;
    if (this.exit !== undefined && !this.timedOut) this.finish();
  }

  private onTimeout(): void {
    const pid = this.child.pid;
    if (pid === undefined || this.settled) return;
    this.timedOut = true;
    signalGroup(pid, 'SIGTERM');
    const graceMs = this.request.killGraceMs ?? AGENT_KILL_GRACE_MS;
    this.every(AGENT_GROUP_POLL_MS, () => this.finishIfGroupGone());
    this.after(graceMs, () => {
      this.killSent = signalGroup(pid, 'SIGKILL') === 'sent';
      // Once SIGKILLed, only the leader's exit is awaited (and not forever: a process stuck in D state cannot die).
      this.after(AGENT_REAP_WAIT_MS, () => this.finish());
      if (this.exit !== undefined) this.finish();
    });
  }

  private finishIfGroupGone(): void {
    const pid = this.child.pid;
    if (pid === undefined || this.exit === undefined) return;
    if (this.killSent || !groupHasLiveMembers(pid)) this.finish();
  }

  private finish(): void {
    if (this.settled) return;
    this.settled = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    // A grandchild may still hold the write ends; closing our read ends stops us from waiting on it.
    this.child.stdout?.destroy();
    this.child.stderr?.destroy();
    this.child.unref();
    this.resolve(this.outcome());
  }

  private outcome(): RunOutcome {
    const base = {
      durationMs: performance.now() - this.startedMs,
      outputTail: this.combined.text(),
      stdoutTail: this.stdout.text(),
      stdoutTruncated: this.stdout.isTruncated,
      ...(this.exit?.code == null ? {} : { exitCode: this.exit.code }),
      ...(this.exit?.signal == null ? {} : { signal: this.exit.signal }),
    };
    const file = this.request.file;
    if (this.spawnError !== undefined) {
      const code = errnoCode(this.spawnError);
      const exec: ExecStatus = code !== undefined && NOT_INSTALLED_ERRNOS.has(code) ? 'not-installed' : 'error';
      return { ...base, exec, detail: `Cannot run ${file} as it could not be started: ${code ?? String(this.spawnError)}` };
    }
    if (this.timedOut) {
      const killed = this.killSent ? ', then SIGKILL' : '';
      return { ...base, exec: 'timeout', detail: `${file} exceeded its ${this.request.timeoutMs} ms timeout: process group sent SIGTERM${killed}` };
    }
    if (this.exit === undefined) {
      return { ...base, exec: 'error', detail: `${file}: no exit status was reported within the wait` };
    }
    if (this.exit.signal !== null) {
      return { ...base, exec: 'killed', detail: `${file} died of signal ${this.exit.signal}` };
    }
    if (this.exit.code === EXIT_NOT_FOUND || this.exit.code === EXIT_CANNOT_EXECUTE) {
      const meaning = this.exit.code === EXIT_NOT_FOUND ? 'command not found' : 'found but cannot execute';
      return { ...base, exec: 'not-installed', detail: `${file} exited ${this.exit.code} (${meaning})` };
    }
    if (this.lateError !== undefined) return { ...base, exec: 'done', detail: `${file}: ${String(this.lateError)}` };
    return { ...base, exec: 'done' };
  }

  private after(delayMs: number, action: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      action();
    }, Math.max(0, delayMs));
    this.timers.add(timer);
  }

  private every(periodMs: number, action: () => void): void {
    const timer = setInterval(action, periodMs);
    this.timers.add(timer);
  }
}

function failedBeforeStart(exec: ExecStatus, startedMs: number, detail: string): RunOutcome {
  return { exec, durationMs: performance.now() - startedMs, outputTail: '', stdoutTail: '', stdoutTruncated: false, detail };
}

async function directoryProblem(path: string): Promise<string | undefined> {
  try {
    const info = await stat(path);
    return info.isDirectory() ? undefined : `Cannot use ${path} as working directory as it is not a directory`;
  } catch (error) {
    return `Cannot use ${path} as working directory as it cannot be read: ${errnoCode(error) ?? String(error)}`;
  }
}

/**
 * The last `bytesMax` bytes of a stream. Text is decoded once, at the end; a multi-byte character cut at the start
 * of the tail is dropped rather than shown as a replacement character.
 */
export class ByteTail {
  private chunks: Buffer[] = [];
  private size = 0;
  private truncated = false;

  constructor(private readonly bytesMax: number) {}

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    if (chunk.length >= this.bytesMax) {
      this.truncated = this.truncated || chunk.length > this.bytesMax || this.size > 0;
      this.chunks = [chunk.subarray(chunk.length - this.bytesMax)];
      this.size = this.bytesMax;
      return;
    }
    this.chunks.push(chunk);
    this.size += chunk.length;
    while (this.size > this.bytesMax) {
      const first = this.chunks[0] as Buffer;
      const excess = this.size - this.bytesMax;
      this.truncated = true;
      if (first.length <= excess) {
        this.chunks.shift();
        this.size -= first.length;
      } else {
        this.chunks[0] = first.subarray(excess);
        this.size -= excess;
      }
    }
  }

  get byteLength(): number {
    return this.size;
  }

  get isTruncated(): boolean {
    return this.truncated;
  }

  text(): string {
    let bytes = Buffer.concat(this.chunks, this.size);
    if (this.truncated) {
      let start = 0;
      // UTF-8 continuation bytes are 10xxxxxx; skip at most three of them.
      while (start < 3 && start < bytes.length && ((bytes[start] as number) & 0xc0) === 0x80) start++;
      bytes = bytes.subarray(start);
    }
    return bytes.toString('utf8');
  }
}
