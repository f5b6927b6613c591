/**
 * heartbeat v1 resource scripts (`haresources` entries such as `IPaddr::192.0.2.100/24/eth0` or `httpd`): parses an
 * entry, finds the script in an ordered list of directories, and calls it the way heartbeat's ResourceManager does.
 *
 * Compatibility (heartbeat 3.0.6 ResourceManager, research notes §6.1–6.2):
 *   - An entry `NAME::a::b` calls `NAME a b start|stop|status`: arguments first, the action last.
 *   - A bare token matching the shell glob `[0-9]*.[0-9]*.[0-9]*.[0-9]*` is shorthand for `IPaddr::TOKEN`, where
 *     TOKEN is `IP[/prefix[/iface[/broadcast]]]`.
 *   - The first executable file named NAME in the search path wins (default: /etc/ha.d/resource.d, /etc/init.d,
 *     /etc/rc.d/init.d — heartbeat searched the first two; the third covers Red Hat-style systems).
 *   - `status` is judged by its stdout, never by its exit code (ResourceManager's `we_own_resource`): output
 *     matching `*[Nn][Oo][Tt]\ *[Rr]unning*` means stopped; otherwise output matching `*[Rr]unning*` or `*OK*`
 *     means running; anything else means stopped.
 *   - `start` runs `status` first and starts only if that says stopped (heartbeat's `we_own_resource || start`);
 *     `stop` runs without a status check. start/stop exit 0 = success, anything else = ERR_GENERIC.
 *
 * Invariants:
 *   1. Parsing is pure and returns issues; running never throws for operating errors.
 *   2. A start's status check and the start itself share the one operation timeout.
 */
import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { AgentIssue, Built } from './codes.js';
import { errnoCode } from './proc.js';
import { agentEnv, runProcess, toAgentResult, type ProcessRunner, type RunOutcome } from './process-runner.js';
import { checkAbsolutePath, checkPathComponent } from './spec-checks.js';
import { OCF_RC, type AgentAction, type AgentResult, type OperationOptions, type ResourceAgent } from './types.js';

/** heartbeat's HA_RESOURCEDIR, then the init script directories. */
export const HEARTBEAT_SCRIPT_DIRS_DEFAULT: readonly string[] = ['/etc/ha.d/resource.d', '/etc/init.d', '/etc/rc.d/init.d'];
/** The script a bare IP token stands for. */
export const HEARTBEAT_IP_SCRIPT = 'IPaddr';

export interface HeartbeatResource {
  readonly script: string;
  readonly args: readonly string[];
}

export interface IpShorthand {
  readonly ip: string;
  readonly prefixLength?: number;
  readonly iface?: string;
  readonly broadcast?: string;
}

/** The glob heartbeat's ResourceManager uses to spot an IP (`[0-9]*.[0-9]*.[0-9]*.[0-9]*`), as a regular expression. */
const IP_GLOB = /^[0-9].*\.[0-9].*\.[0-9].*\.[0-9].*$/s;
const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const IFACE = /^[A-Za-z][A-Za-z0-9_.:@-]{0,14}$/;

/** True when heartbeat would read `token` as an IP shorthand. */
export function isIpShorthand(token: string): boolean {
  return IP_GLOB.test(token);
}

/**
 * Parses one haresources resource token: `NAME`, `NAME::arg1::arg2`, or an IP shorthand (→ `IPaddr` with the token
 * as its one argument). Arguments cannot be empty: heartbeat would silently drop them, which shifts the others.
 */
export function parseHaresource(token: string): Built<HeartbeatResource> {
  const issue = (message: string): Built<HeartbeatResource> => ({ ok: false, issues: [{ code: 'TND_E_AGENT_HARESOURCE', path: 'resource', message }] });
  if (token.trim() === '' || /\s/.test(token)) return issue(`Cannot read ${JSON.stringify(token)} as a haresources resource as it is empty or contains white space`);
  if (isIpShorthand(token)) {
    const ip = parseIpShorthand(token);
    return ip.ok ? { ok: true, value: { script: HEARTBEAT_IP_SCRIPT, args: [token] } } : ip;
  }
  const [script = '', ...args] = token.split('::');
  const nameIssue = checkPathComponent(script, 'resource', 'a heartbeat resource script name');
  if (nameIssue !== undefined) return { ok: false, issues: [nameIssue] };
  if (args.some((arg) => arg === '')) return issue(`Cannot read ${JSON.stringify(token)} as a haresources resource as it has an empty '::' argument`);
  return { ok: true, value: { script, args } };
}

/**
 * Parses `IP[/prefix[/iface[/broadcast]]]` as heartbeat's IPaddr reads it: the 4th piece is the broadcast address
 * and must start with a digit (IPaddr's own rule); the prefix is 0–32.
 */
export function parseIpShorthand(text: string): Built<IpShorthand> {
  const issue = (problem: string): Built<IpShorthand> => ({
    ok: false,
    issues: [{ code: 'TND_E_AGENT_HARESOURCE', path: 'resource', message: `Cannot read ${JSON.stringify(text)} as IP[/prefix[/iface[/broadcast]]] as ${problem}` }],
  });
  const pieces = text.split('/');
  if (pieces.length > 4) return issue('it has more than four /-separated pieces');
  const [ip = '', prefix, iface, broadcast] = pieces;
  if (!IPV4.test(ip)) return issue(`${JSON.stringify(ip)} is not an IPv4 address`);
  if (prefix !== undefined && !(/^\d{1,2}$/.test(prefix) && Number(prefix) <= 32)) return issue(`${JSON.stringify(prefix)} is not a prefix length 0-32`);
  if (iface !== undefined && !IFACE.test(iface)) return issue(`${JSON.stringify(iface)} is not an interface name`);
  if (broadcast !== undefined && !(/^[0-9]/.test(broadcast) && IPV4.test(broadcast))) return issue(`${JSON.stringify(broadcast)} is not a broadcast address`);
  return {
    ok: true,
    value: {
      ip,
      ...(prefix === undefined ? {} : { prefixLength: Number(prefix) }),
      ...(iface === undefined ? {} : { iface }),
      ...(broadcast === undefined ? {} : { broadcast }),
    },
  };
}

/** ResourceManager's `we_own_resource` rule applied to the stdout of `SCRIPT args status` (see the module comment). */
export function judgeHeartbeatStatus(stdout: string): 'running' | 'stopped' {
  if (/[Nn][Oo][Tt] .*[Rr]unning/s.test(stdout)) return 'stopped';
  if (/[Rr]unning|OK/.test(stdout)) return 'running';
  return 'stopped';
}

/** The first executable regular file named `script` in `dirs`, or undefined. */
export async function findHeartbeatScript(script: string, dirs: readonly string[]): Promise<string | undefined> {
  for (const dir of dirs) {
    const path = join(dir, script);
    try {
      const info = await stat(path);
      if (!info.isFile()) continue;
      await access(path, constants.X_OK);
      return path;
    } catch (error) {
      // Absent or not executable here: heartbeat moves on to the next directory, and so do we.
      const code = errnoCode(error);
      if (code === 'ENOENT' || code === 'EACCES' || code === 'ENOTDIR' || code === 'ELOOP') continue;
      throw error;
    }
  }
  return undefined;
}

export interface HeartbeatScriptAgentOptions {
  readonly script: string;
  readonly args: readonly string[];
  /** Search path; defaults to HEARTBEAT_SCRIPT_DIRS_DEFAULT. */
  readonly dirs?: readonly string[];
  /** HA_CURHOST for the script, when given. */
  readonly nodeName?: string;
  readonly env?: Readonly<Record<string, string>>;
  readonly runner?: ProcessRunner;
}

export function buildHeartbeatScriptAgent(options: HeartbeatScriptAgentOptions): Built<HeartbeatScriptAgent> {
  const issues: AgentIssue[] = [];
  const nameIssue = checkPathComponent(options.script, 'script', 'a heartbeat resource script name');
  if (nameIssue !== undefined) issues.push(nameIssue);
  options.args.forEach((arg, index) => {
    if (arg === '' || /[\s\0]/.test(arg)) issues.push({ code: 'TND_E_AGENT_SPEC', path: `args[${index}]`, message: `Cannot pass ${JSON.stringify(arg)} to a heartbeat script as arguments must be non-empty words without white space` });
  });
  (options.dirs ?? []).forEach((dir, index) => {
    const dirIssue = checkAbsolutePath(dir, `dirs[${index}]`, 'a script directory');
    if (dirIssue !== undefined) issues.push(dirIssue);
  });
  return issues.length === 0 ? { ok: true, value: new HeartbeatScriptAgent(options) } : { ok: false, issues };
}

export class HeartbeatScriptAgent implements ResourceAgent {
  readonly describe: string;
  private readonly dirs: readonly string[];
  private readonly runner: ProcessRunner;

  /** Prefer `buildHeartbeatScriptAgent`, which checks the options first. */
  constructor(private readonly options: HeartbeatScriptAgentOptions) {
    this.describe = `heartbeat:${[options.script, ...options.args].join('::')}`;
    this.dirs = options.dirs ?? HEARTBEAT_SCRIPT_DIRS_DEFAULT;
    this.runner = options.runner ?? runProcess;
  }

  async run(action: AgentAction, operation: OperationOptions): Promise<AgentResult> {
    const startedMs = performance.now();
    const path = await this.find();
    if (typeof path !== 'string') return { ...path, durationMs: performance.now() - startedMs };
    if (action === 'stop') return toAgentResult(await this.call(path, 'stop', operation.timeoutMs), exitZeroSucceeds);
    const status = await this.call(path, 'status', operation.timeoutMs);
    const verdict = judgeStatusOutcome(status);
    if (action === 'monitor' || status.exec === 'timeout' || verdict.rc === OCF_RC.SUCCESS) {
      const result = toAgentResult(status, () => verdict);
      return action === 'start' && verdict.rc === OCF_RC.SUCCESS ? { ...result, detail: 'already running (status said so); start not run' } : result;
    }
    const remainingMs = operation.timeoutMs - (performance.now() - startedMs);
    const start = await this.call(path, 'start', Math.max(1, remainingMs));
    const result = toAgentResult(start, exitZeroSucceeds);
    return { ...result, durationMs: performance.now() - startedMs };
  }

  private async find(): Promise<string | Omit<AgentResult, 'durationMs'>> {
    try {
      const path = await findHeartbeatScript(this.options.script, this.dirs);
      if (path !== undefined) return path;
      return { exec: 'not-installed', outputTail: '', detail: `No executable ${this.options.script} in ${this.dirs.join(', ')}` };
    } catch (error) {
      return { exec: 'error', outputTail: '', detail: `Cannot look up ${this.options.script} as ${String(error)}` };
    }
  }

  private call(path: string, verb: 'start' | 'stop' | 'status', timeoutMs: number): Promise<RunOutcome> {
    const env: Record<string, string> = { HA_DIR: '/etc/ha.d', HA_FUNCS: '/etc/ha.d/shellfuncs', HA_RESOURCEDIR: '/etc/ha.d/resource.d', OCF_ROOT: '/usr/lib/ocf' };
    if (this.options.nodeName !== undefined) env['HA_CURHOST'] = this.options.nodeName;
    return this.runner({ file: path, args: [...this.options.args, verb], env: agentEnv({ ...env, ...(this.options.env ?? {}) }), cwd: '/', timeoutMs });
  }
}

function exitZeroSucceeds(exitCode: number): { rc: number; detail?: string } {
  return exitCode === 0 ? { rc: OCF_RC.SUCCESS } : { rc: OCF_RC.ERR_GENERIC, detail: `Return code ${exitCode}` };
}

/** The status verdict; the exit code is ignored on purpose (heartbeat compatibility). */
function judgeStatusOutcome(outcome: RunOutcome): { rc: number; detail: string } {
  const verdict = judgeHeartbeatStatus(outcome.stdoutTail);
  return verdict === 'running'
    ? { rc: OCF_RC.SUCCESS, detail: 'status output says running' }
    : { rc: OCF_RC.NOT_RUNNING, detail: 'status output does not say running' };
}
