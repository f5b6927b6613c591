/**
 * The `exec` agent: manages a plain long-running command with no script of its own (`exec:<resource id>`).
 *
 * Files, in `stateDir` (created 0700 on first start):
 *   - `<id>.pid`: line 1 the pid, line 2 the process start time in clock ticks (/proc/PID/stat field 22). It survives
 *     a daemon restart, and the start time tells the program apart from a later process that reused the pid.
 *   - `<id>.log`: the program's stdout and stderr, appended.
 *
 * Invariants:
 *   1. The program is spawned `detached`: it leads its own session and process group (pgid = pid), so stop can signal
 *      every process it forked, and it outlives a daemon restart.
 *   2. "Running" means: the pid file names a live, non-zombie process with the recorded start time (or, for a pid
 *      file without one, the recorded command line). A stale pid file is removed by stop and ignored by monitor.
 *   3. `stop` on a stopped resource succeeds. Otherwise it sends `stopSignal` (default SIGTERM) to the group, waits,
 *      then SIGKILLs the group so that the whole stop fits in the operation timeout: the SIGKILL comes at
 *      `timeoutMs - min(AGENT_KILL_GRACE_MS, timeoutMs / 2)`.
 *   4. `start` on a running resource succeeds without starting a second copy.
 *   5. Never throws for operating errors; results are `AgentResult`s.
 *   6. When the program this agent started is gone but processes it forked live on in its process group (nginx
 *      workers after their master was SIGKILLed keep the port, so a new master cannot bind it), `stop` ends them
 *      too, as in invariant 3. Only for a program started by this agent in this process: Linux does not reuse a
 *      pid while a process group of that id has members, so those members can only be the program's.
 */
import { spawn } from 'node:child_process';
import { closeSync, constants as fsConstants, openSync, readFileSync } from 'node:fs';
import { mkdir, open, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { constants as osConstants } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { AgentIssue, Built } from './codes.js';
import { errnoCode, isLive, liveGroupMembers, readProcStat, signalGroup } from './proc.js';
import { AGENT_KILL_GRACE_MS, AGENT_OUTPUT_BYTES_MAX, agentEnv, runProcess, toAgentResult, type ProcessRunner } from './process-runner.js';
import { checkAbsolutePath, checkPathComponent } from './spec-checks.js';
import { OCF_RC, type AgentAction, type AgentResult, type OperationOptions, type ResourceAgent } from './types.js';

/** How long start watches a freshly spawned program for an immediate exit (a typo in argv, a missing file). */
export const EXEC_START_SETTLE_MS = 100;
/** How often stop checks whether the process group is gone. */
export const EXEC_STOP_POLL_MS = 25;
/** After SIGKILL, how long stop waits for the group to disappear before reporting failure. */
export const EXEC_KILL_WAIT_MS = 1000;

export interface ExecAgentOptions {
  /** The resource id: names the pid and log files. */
  readonly resourceId: string;
  /** argv of the program; `command[0]` is a path or a name looked up in PATH. */
  readonly command: readonly string[];
  /** argv of a health check run by monitor once the process is known to be alive; exit 0 = healthy. */
  readonly health?: readonly string[];
  /** Defaults to SIGTERM. */
  readonly stopSignal?: NodeJS.Signals;
  /** Absolute directory for the pid and log files. */
  readonly stateDir: string;
  /** Working directory of the program and the health check; defaults to `/`. */
  readonly cwd?: string;
  readonly env?: Readonly<Record<string, string>>;
  /** Runs the health check. */
  readonly runner?: ProcessRunner;
}

export function buildExecAgent(options: ExecAgentOptions): Built<ExecAgent> {
  const issues: AgentIssue[] = [];
  const push = (issue: AgentIssue | undefined): void => {
    if (issue !== undefined) issues.push(issue);
  };
  push(checkPathComponent(options.resourceId, 'id', 'a resource id'));
  push(checkAbsolutePath(options.stateDir, 'stateDir', 'the state directory'));
  if (options.cwd !== undefined) push(checkAbsolutePath(options.cwd, 'cwd', 'the working directory'));
  push(checkArgv(options.command, 'command'));
  if (options.health !== undefined) push(checkArgv(options.health, 'health'));
  if (options.stopSignal !== undefined && !isSignalName(options.stopSignal)) {
    push({ code: 'TND_E_AGENT_SPEC', path: 'stopSignal', message: `Cannot use ${JSON.stringify(options.stopSignal)} as stop signal as it is not a signal name such as SIGTERM` });
  }
  return issues.length === 0 ? { ok: true, value: new ExecAgent(options) } : { ok: false, issues };
}

export function isSignalName(name: string): name is NodeJS.Signals {
  return Object.prototype.hasOwnProperty.call(osConstants.signals, name);
}

function checkArgv(argv: readonly string[], path: string): AgentIssue | undefined {
  if (argv.length === 0 || argv[0] === '') return { code: 'TND_E_AGENT_SPEC', path, message: `Cannot run an empty ${path}` };
  if (argv.some((word) => word.includes('\0'))) return { code: 'TND_E_AGENT_SPEC', path, message: `Cannot run ${path} as a word contains a NUL byte` };
  return undefined;
}

/** What the pid file says, and whether that process is still ours. */
type Tracked =
  | { readonly state: 'none'; readonly why: string }
  | { readonly state: 'stale'; readonly pid: number; readonly why: string }
  | { readonly state: 'alive'; readonly pid: number; readonly startTicks: string };

export class ExecAgent implements ResourceAgent {
  readonly describe: string;
  readonly pidFile: string;
  readonly logFile: string;
  private readonly runner: ProcessRunner;
  /** The program this agent started (invariant 6), until a stop has ended it and its group. */
  private spawned: { readonly pid: number; readonly startTicks: string } | undefined;

  /** Prefer `buildExecAgent`, which checks the options first. */
  constructor(private readonly options: ExecAgentOptions) {
    this.describe = `exec:${options.resourceId}`;
    this.pidFile = join(options.stateDir, `${options.resourceId}.pid`);
    this.logFile = join(options.stateDir, `${options.resourceId}.log`);
    this.runner = options.runner ?? runProcess;
  }

  async run(action: AgentAction, operation: OperationOptions): Promise<AgentResult> {
    const startedMs = performance.now();
    try {
      const partial = action === 'start' ? await this.start(operation) : action === 'stop' ? await this.stop(operation) : await this.monitor(operation);
      return { ...partial, durationMs: performance.now() - startedMs };
    } catch (error) {
      // File-system failures (state dir not writable, /proc unreadable) are operating errors: a result, not a crash.
      return { exec: 'error', outputTail: '', durationMs: performance.now() - startedMs, detail: `${this.describe} ${action}: ${String(error)}` };
    }
  }

  /** The pid file's verdict (exported for explanations and tests). */
  async tracked(): Promise<Tracked> {
    let text: string;
    try {
      text = await readFile(this.pidFile, 'utf8');
    } catch (error) {
      if (errnoCode(error) === 'ENOENT') return { state: 'none', why: 'no pid file' };
      throw error;
    }
    const [pidLine = '', ticksLine = ''] = text.split('\n');
    const pid = Number(pidLine.trim());
    if (!Number.isInteger(pid) || pid <= 1) return { state: 'none', why: `pid file ${this.pidFile} does not hold a pid` };
    const stat = readProcStat(pid);
    if (!isLive(stat)) return { state: 'stale', pid, why: `pid ${pid} is gone` };
    const ticks = ticksLine.trim();
    const same = ticks !== '' ? stat.startTicks === ticks : this.commandLineMatches(pid);
    return same ? { state: 'alive', pid, startTicks: stat.startTicks } : { state: 'stale', pid, why: `pid ${pid} now belongs to another program` };
  }

  private async start(operation: OperationOptions): Promise<Omit<AgentResult, 'durationMs'>> {
    const before = await this.tracked();
    if (before.state === 'alive') return { exec: 'done', rc: OCF_RC.SUCCESS, outputTail: '', detail: `already running as pid ${before.pid}` };
    await mkdir(this.options.stateDir, { recursive: true, mode: 0o700 });
    const spawned = await this.spawnProgram();
    if (!spawned.ok) return spawned.result;
    const { pid, exited } = spawned;
    const stat = readProcStat(pid);
    this.spawned = { pid, startTicks: stat?.startTicks ?? '' };
    await this.writePidFile(pid, stat?.startTicks ?? '');
    const settleMs = Math.min(EXEC_START_SETTLE_MS, operation.timeoutMs / 2);
    const early = await Promise.race([exited, delay(settleMs).then(() => undefined)]);
    if (early === undefined) return { exec: 'done', rc: OCF_RC.SUCCESS, outputTail: '', detail: `started as pid ${pid}` };
    await rm(this.pidFile, { force: true });
    const how = early.signal !== null ? `died of ${early.signal}` : `exited ${early.code ?? '?'}`;
    return { exec: 'done', rc: OCF_RC.ERR_GENERIC, outputTail: await readFileTail(this.logFile), detail: `${this.options.command[0]} ${how} right after start (see ${this.logFile})` };
  }

  /** Spawns the program with its output appended to the log file; resolves once it runs or could not be started. */
  private async spawnProgram(): Promise<
    | { ok: true; pid: number; exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }> }
    | { ok: false; result: Omit<AgentResult, 'durationMs'> }
  > {
    const logFd = openSync(this.logFile, fsConstants.O_WRONLY | fsConstants.O_APPEND | fsConstants.O_CREAT, 0o640);
    try {
      const [file = '', ...args] = this.options.command;
      const child = spawn(file, args, { cwd: this.options.cwd ?? '/', env: agentEnv(this.options.env), detached: true, stdio: ['ignore', logFd, logFd], shell: false });
      const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
      const started = await new Promise<{ ok: true } | { ok: false; error: unknown }>((resolve) => {
        child.once('spawn', () => resolve({ ok: true }));
        child.once('error', (error) => resolve({ ok: false, error }));
      });
      child.unref();
      if (!started.ok || child.pid === undefined) {
        const code = started.ok ? undefined : errnoCode(started.error);
        const exec = code === 'ENOENT' || code === 'EACCES' || code === 'ENOEXEC' ? 'not-installed' : 'error';
        return { ok: false, result: { exec, outputTail: '', detail: `Cannot start ${file} as ${started.ok ? 'it has no pid' : String(started.error)}` } };
      }
      return { ok: true, pid: child.pid, exited };
    } finally {
      closeSync(logFd);
    }
  }

  private async monitor(operation: OperationOptions): Promise<Omit<AgentResult, 'durationMs'>> {
    const tracked = await this.tracked();
    if (tracked.state !== 'alive') return { exec: 'done', rc: OCF_RC.NOT_RUNNING, outputTail: '', detail: tracked.why };
    if (this.options.health === undefined) return { exec: 'done', rc: OCF_RC.SUCCESS, outputTail: '', detail: `pid ${tracked.pid} is alive` };
    const [file = '', ...args] = this.options.health;
    const outcome = await this.runner({ file, args, env: agentEnv(this.options.env), cwd: this.options.cwd ?? '/', timeoutMs: operation.timeoutMs });
    return toAgentResult(outcome, (exitCode) =>
      exitCode === 0 ? { rc: OCF_RC.SUCCESS } : { rc: OCF_RC.ERR_GENERIC, detail: `pid ${tracked.pid} is alive but the health check exited ${exitCode}` },
    );
  }

  private async stop(operation: OperationOptions): Promise<Omit<AgentResult, 'durationMs'>> {
    const startedMs = performance.now();
    const tracked = await this.tracked();
    if (tracked.state !== 'alive') {
      const orphans = this.orphanGroup();
      if (orphans !== undefined) return this.endGroup(orphans.pid, orphans.startTicks, operation, startedMs, `program ${orphans.pid} was gone (${tracked.why}) but its process group still had ${orphans.members} process(es)`);
      this.spawned = undefined;
      await rm(this.pidFile, { force: true });
      return { exec: 'done', rc: OCF_RC.SUCCESS, outputTail: '', detail: `already stopped (${tracked.why})` };
    }
    return this.endGroup(tracked.pid, tracked.startTicks, operation, startedMs, undefined);
  }

  /** The program this agent started is gone, but its process group still has live members (invariant 6). */
  private orphanGroup(): { pid: number; startTicks: string; members: number } | undefined {
    const spawned = this.spawned;
    if (spawned === undefined || isLive(readProcStat(spawned.pid))) return undefined;
    const members = liveGroupMembers(spawned.pid).length;
    return members > 0 ? { ...spawned, members } : undefined;
  }

  /** Sends the stop signal to the program's group, then SIGKILL in time (invariant 3); `why` notes an orphaned group. */
  private async endGroup(pid: number, startTicks: string, operation: OperationOptions, startedMs: number, why: string | undefined): Promise<Omit<AgentResult, 'durationMs'>> {
    const signal = this.options.stopSignal ?? 'SIGTERM';
    const prefix = why === undefined ? '' : `${why}: `;
    if (signalProgram(pid, signal) === 'denied') {
      return { exec: 'done', rc: OCF_RC.ERR_PERM, outputTail: '', detail: `${prefix}not allowed to signal pid ${pid}` };
    }
    const done = async (detail: string): Promise<Omit<AgentResult, 'durationMs'>> => {
      this.spawned = undefined;
      await rm(this.pidFile, { force: true });
      return { exec: 'done', rc: OCF_RC.SUCCESS, outputTail: '', detail: `${prefix}${detail}` };
    };
    const killAtMs = operation.timeoutMs - Math.min(AGENT_KILL_GRACE_MS, operation.timeoutMs / 2);
    if (await waitProgramGone(pid, startTicks, startedMs + killAtMs)) return done(`process group ${pid} ended after ${signal}`);
    signalProgram(pid, 'SIGKILL');
    if (await waitProgramGone(pid, startTicks, performance.now() + EXEC_KILL_WAIT_MS)) return done(`process group ${pid} ignored ${signal}; ended by SIGKILL`);
    return { exec: 'done', rc: OCF_RC.ERR_GENERIC, outputTail: '', detail: `${prefix}process group ${pid} is still alive after SIGKILL` };
  }

  private async writePidFile(pid: number, startTicks: string): Promise<void> {
    const temporary = `${this.pidFile}.${process.pid}.tmp`;
    await writeFile(temporary, `${pid}\n${startTicks}\n`, { mode: 0o644 });
    await rename(temporary, this.pidFile);
  }

  private commandLineMatches(pid: number): boolean {
    try {
      const words = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').slice(0, -1);
      return words.length === this.options.command.length && words.every((word, index) => word === this.options.command[index]);
    } catch (error) {
      if (errnoCode(error) === 'ENOENT' || errnoCode(error) === 'ESRCH') return false;
      throw error;
    }
  }
}

/**
 * Signals the program's process group (pgid = its pid, invariant 1). A program that moved itself into another group
 * (setsid/setpgid) leaves no group with that id; then the program itself is signalled.
 */
function signalProgram(pid: number, signal: NodeJS.Signals): 'sent' | 'gone' | 'denied' {
  const sent = signalGroup(pid, signal);
  if (sent !== 'gone') return sent;
  try {
    process.kill(pid, signal);
    return 'sent';
  } catch (error) {
    if (errnoCode(error) === 'ESRCH') return 'gone';
    if (errnoCode(error) === 'EPERM') return 'denied';
    throw error;
  }
}

/**
 * Polls until the program (pid with this start time) is gone and its process group has no live member, or until
 * `deadlineMs` (a `performance.now()` instant) passes.
 */
async function waitProgramGone(pid: number, startTicks: string, deadlineMs: number): Promise<boolean> {
  for (;;) {
    const stat = readProcStat(pid);
    const programAlive = isLive(stat) && stat.startTicks === startTicks;
    if (!programAlive && liveGroupMembers(pid).length === 0) return true;
    const leftMs = deadlineMs - performance.now();
    if (leftMs <= 0) return false;
    await delay(Math.min(EXEC_STOP_POLL_MS, leftMs));
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}

/** The last AGENT_OUTPUT_BYTES_MAX bytes of a file, for a failed start's explanation. */
async function readFileTail(path: string): Promise<string> {
  const handle = await open(path, 'r');
  try {
    const { size } = await handle.stat();
    const length = Math.min(size, AGENT_OUTPUT_BYTES_MAX);
    const buffer = Buffer.alloc(length);
    await handle.read(buffer, 0, length, size - length);
    return buffer.toString('utf8');
  } finally {
    await handle.close();
  }
}
