/**
 * Runs one fence (STONITH) agent the way Debian's fence-agents and Pacemaker's fencer do, reads its meta-data, and
 * checks a device's parameters against it.
 *
 * The protocol (fence-agents' `fencing.py`, stdin mode; the one Pacemaker uses): the program is started with no
 * arguments and reads `key=value` lines on stdin: `action=<off|on|reboot|status|monitor|list|metadata>`; for a
 * target node `nodename=<node>`, `plug=<plug>` and the older name of the same option `port=<plug>`; then every
 * device parameter. Exit 0 is success; for `status`, 0 means on, 2 means off and anything else is an error.
 *
 * Invariants:
 *   1. Never throws for an operating error: a missing, hung, crashing or failing agent, or a device whose
 *      parameters cannot be written as lines, is a result with `ok: false` and a one-line `detail`. Only programmer
 *      errors (a timeout that is not a positive number) throw.
 *   2. Every run goes through a `ProcessRunner` (by default `runProcess`): the agent leads its own process group,
 *      which is killed at `timeoutMs` (SIGTERM, then SIGKILL), and its output is kept as a bounded tail.
 *   3. The runner gives programs no stdin, so the lines reach the agent through a here-document of `/bin/sh`, which
 *      then `exec`s the agent: the agent is still the group leader, its exit code or signal is its own, and its
 *      stdin is exactly the lines. The lines travel to the shell in an environment variable (readable only by the
 *      same user, unlike argv, which every user can read) that the shell unsets before the exec, so parameter
 *      values such as passwords never appear in any argv, in the agent's environment or in a `detail`.
 *   4. Pure except for the run itself and `findFenceAgent`'s look at the file system; no clock but the runner's.
 */
import { accessSync, constants as fsConstants, statSync } from 'node:fs';
import { join } from 'node:path';
import { suggest } from '../config/suggest.js';
import { parseOcfMetadataWithAttributes, type OcfMetadata } from '../agents/ocf-metadata.js';
import { agentEnv, runProcess, type ProcessRunner, type RunOutcome } from '../agents/process-runner.js';
import { errnoCode } from '../agents/proc.js';

export type FenceAction = 'off' | 'on' | 'reboot' | 'status' | 'monitor' | 'list' | 'metadata';

/** Where bare `fence_*` names are looked up, in order (Debian installs fence-agents in /usr/sbin). */
export const FENCE_AGENT_DIRS: readonly string[] = ['/usr/sbin', '/sbin', '/usr/local/sbin', '/usr/bin'];
/** Timeout of a `metadata` run when the caller gives none. */
export const FENCE_METADATA_TIMEOUT_MS = 5000;
/** The most meta-data XML read from an agent's stdout (fence-agents print up to a few tens of KiB). */
export const FENCE_METADATA_BYTES_MAX = 256 * 1024;
/** fence-agents' exit code of `status` for "the plug is off" (EC_STATUS in fencing.py). */
export const FENCE_STATUS_OFF_EXIT = 2;
/** The longest piece of agent output quoted in a `detail` line. */
const DETAIL_OUTPUT_CHARS_MAX = 200;

/** Keys tandem writes itself; a device parameter with one of these names would contradict them. */
const ALWAYS_RESERVED = ['action', 'nodename'] as const;
/** The target's plug, under its current and its older name (fencing.py reads both into one option). */
const PLUG_KEYS = ['plug', 'port'] as const;
/** What fencing.py accepts as an option name on stdin (it also maps `-` to `_`). */
const KEY_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]*$/;
const BARE_AGENT_NAME = /^fence_[A-Za-z0-9_.+-]+$/;

/**
 * Hands the lines to the agent on stdin (see invariant 3). `$0` is the agent's path. The expansion of `$input` in
 * the here-document is not expanded again, so `$`, backquotes and backslashes in values reach the agent as they
 * are; the delimiter cannot end the document early because every line holds `=` and the delimiter does not.
 */
const STDIN_SHIM = ['input=$TANDEM_FENCE_INPUT', 'unset TANDEM_FENCE_INPUT', 'exec "$0" <<TANDEM_FENCE_EOF', '$input', 'TANDEM_FENCE_EOF', ''].join('\n');
const SHELL = '/bin/sh';

export interface FenceDevice {
  /** The device's name in the configuration, used in every detail line. */
  readonly name: string;
  /** A bare `fence_*` name looked up in FENCE_AGENT_DIRS, or an absolute path. */
  readonly agent: string;
  readonly params: Readonly<Record<string, string>>;
  /** node name -> plug value; a node absent here uses its own name as plug */
  readonly hostMap?: Readonly<Record<string, string>>;
  /**
   * How the target is named to the agent (Pacemaker's `pcmk_host_argument`): `plug` (default) sends `plug=` and
   * `port=`; `none` sends neither, for devices that fence exactly one node (fence_ipmilan, with its own address),
   * whose agents refuse a plug they do not know, and whose params may then set a static `plug`/`port`.
   */
  readonly hostArgument?: 'plug' | 'none';
  /**
   * Whether the agent implements `status` (see `fenceAgentSupports`); when it does, the fencer confirms an `off`
   * with a `status` that must answer "off". Absent means true: a device that can confirm is asked to.
   */
  readonly supportsStatus?: boolean;
}

export interface FenceAgentResult {
  /** The action achieved what it asked for; for `status`, the agent answered on or off (see `power`). */
  readonly ok: boolean;
  /** The agent's exit code; null when it did not exit by itself (timeout, signal, never started). */
  readonly exitCode: number | null;
  readonly timedOut: boolean;
  /** The last bytes of the agent's stdout and stderr, interleaved (bounded by the runner). */
  readonly output: string;
  /** The last bytes of stdout alone (what `list` and `metadata` print). */
  readonly stdout: string;
  /** For `status` runs that answered: the power state of the target's plug. */
  readonly power?: 'on' | 'off';
  /** one human line */
  readonly detail: string;
  readonly durationMs: number;
}

export const FENCE_ISSUE_CODES = {
  TND_E_FENCE_METADATA: "The agent's `metadata` action failed, or printed XML that is not a <resource-agent> description tandem can read.",
  TND_E_FENCE_PARAM_MISSING: "A parameter that the agent's meta-data marks required=\"1\" is given under none of its names.",
  TND_E_FENCE_PARAM_RESERVED: 'A device parameter named action or nodename (or plug/port while tandem sends the target\'s plug): tandem writes these itself.',
  TND_E_FENCE_PARAM_LINE: 'A device parameter that cannot be written as one key=value line: a bad name, or a value holding a newline or NUL.',
  TND_W_FENCE_PARAM_UNKNOWN: "A parameter that the agent's meta-data does not declare (fence-agents ignore it with a warning).",
  TND_W_FENCE_PARAM_DEPRECATED: "A parameter that the agent's meta-data marks deprecated=\"1\", with the name that replaces it.",
} as const;
export type FenceIssueCode = keyof typeof FENCE_ISSUE_CODES;

export interface FenceIssue {
  readonly code: FenceIssueCode;
  /** `TND_E_*` codes are errors, `TND_W_*` warnings. */
  readonly severity: 'error' | 'warning';
  /** Dotted path of the offending field, e.g. `params.ip`, `metadata`. */
  readonly path: string;
  readonly message: string;
  readonly suggestion?: string;
}

export type FenceMetadataResult =
  | { readonly ok: true; readonly metadata: FenceMetadata; readonly result: FenceAgentResult }
  | { readonly ok: false; readonly issue: FenceIssue; readonly result: FenceAgentResult };

/** An agent's meta-data, with the fence-agents renames: `aliases` maps each parameter name to its other names. */
export interface FenceMetadata extends OcfMetadata {
  /** `deprecated="1"` parameters and, when the meta-data says, the name that replaces each. */
  readonly deprecated: ReadonlyMap<string, string | undefined>;
  /** For each parameter linked by `obsoletes=`, every other name of the same option. */
  readonly aliases: ReadonlyMap<string, readonly string[]>;
}

/**
 * The program for a device's `agent`: an absolute path that is an executable file, or a bare `fence_*` name found
 * as an executable file in `dirs`; undefined otherwise (a relative path is never resolved against the cwd).
 * Throws only when the file system answers something other than "not there / not executable".
 */
export function findFenceAgent(name: string, dirs: readonly string[] = FENCE_AGENT_DIRS): string | undefined {
  if (name.startsWith('/')) return isExecutableFile(name) ? name : undefined;
  if (!BARE_AGENT_NAME.test(name)) return undefined;
  for (const dir of dirs) {
    const path = join(dir, name);
    if (isExecutableFile(path)) return path;
  }
  return undefined;
}

/** Whether the meta-data lists the action in `<actions>` (fence_kdump, for one, has no `status`). */
export function fenceAgentSupports(metadata: OcfMetadata, action: FenceAction): boolean {
  return metadata.actions.some((spec) => spec.name === action);
}

/**
 * Runs one action of the device's agent against `target` (a node name; the plug comes from `hostMap`), or against
 * no node (`list`, `monitor`, `metadata`). See the module invariants.
 */
export async function runFenceAgent(
  device: FenceDevice,
  action: FenceAction,
  target: string | undefined,
  timeoutMs: number,
  runner: ProcessRunner = runProcess,
): Promise<FenceAgentResult> {
  return (await runAgent(device, action, target, timeoutMs, runner, undefined)).result;
}

/**
 * Runs `action=metadata` (no device parameters are sent, as Pacemaker does) and parses the `<resource-agent>` XML
 * printed on stdout; stderr may carry log lines and is not parsed.
 */
export async function readFenceMetadata(
  agent: FenceDevice | string,
  timeoutMs: number = FENCE_METADATA_TIMEOUT_MS,
  runner: ProcessRunner = runProcess,
): Promise<FenceMetadataResult> {
  const device: FenceDevice = typeof agent === 'string' ? { name: agent, agent, params: {} } : { name: agent.name, agent: agent.agent, params: {} };
  const { result, stdoutTruncated } = await runAgent(device, 'metadata', undefined, timeoutMs, runner, FENCE_METADATA_BYTES_MAX);
  const fail = (problem: string): FenceMetadataResult => ({
    ok: false,
    result,
    issue: { code: 'TND_E_FENCE_METADATA', severity: 'error', path: 'metadata', message: `Cannot read the meta-data of fence agent ${device.agent} as ${problem}` },
  });
  if (!result.ok) return fail(result.detail);
  if (stdoutTruncated) return fail(`its output exceeds ${FENCE_METADATA_BYTES_MAX} bytes`);
  const parsed = parseOcfMetadataWithAttributes(result.stdout);
  if (!parsed.ok) return fail(parsed.issue.message);
  return { ok: true, metadata: describeRenames(parsed.metadata, parsed.parameterAttributes), result };
}

/**
 * Checks a device's parameters against its agent's meta-data: a required parameter must be given under one of its
 * names (fence-agents mark both the new and the deprecated name required) unless tandem writes it (`action`, and
 * `plug`/`port` while `hostArgument` is `plug`); a name the meta-data does not declare is a warning (fencing.py
 * ignores it), as is a deprecated name; a name tandem writes itself is an error.
 */
export function validateFenceParameters(
  metadata: FenceMetadata | OcfMetadata,
  params: Readonly<Record<string, string>>,
  hostArgument: 'plug' | 'none' = 'plug',
): FenceIssue[] {
  const issues: FenceIssue[] = [...lineIssues(params, hostArgument)];
  const aliases = 'aliases' in metadata ? metadata.aliases : new Map<string, readonly string[]>();
  const deprecated = 'deprecated' in metadata ? metadata.deprecated : new Map<string, string | undefined>();
  const written = new Set<string>(hostArgument === 'plug' ? ['action', ...PLUG_KEYS] : ['action']);
  const given = (name: string): boolean => {
    const value = params[name];
    return value !== undefined && value !== '';
  };
  const reported = new Set<string>();
  for (const parameter of metadata.parameters) {
    const names = [parameter.name, ...(aliases.get(parameter.name) ?? [])];
    if (!parameter.required || names.some((name) => written.has(name)) || names.some(given)) continue;
    // One issue per option, not one per name: `ip` and its deprecated `ipaddr` are both marked required.
    const preferred = names.find((name) => !deprecated.has(name)) ?? parameter.name;
    if (reported.has(preferred)) continue;
    reported.add(preferred);
    const others = names.filter((name) => name !== preferred);
    issues.push({
      code: 'TND_E_FENCE_PARAM_MISSING',
      severity: 'error',
      path: `params.${preferred}`,
      message: `Cannot use fence agent ${metadata.name} as its required parameter '${preferred}'${others.length > 0 ? ` (or ${others.map((name) => `'${name}'`).join(', ')})` : ''} is not given`,
    });
  }
  const declared = metadata.parameters.map((parameter) => parameter.name);
  for (const name of Object.keys(params)) {
    if (isReserved(name, hostArgument)) continue;
    // fencing.py reads `-` and `_` alike in option names.
    const canonical = declared.find((candidate) => candidate === name || candidate === name.replaceAll('-', '_'));
    if (canonical === undefined) {
      const suggestion = suggest(name, declared.filter((candidate) => !deprecated.has(candidate)));
      const hint = suggestion === undefined ? '' : `; did you mean '${suggestion}'?`;
      issues.push({
        code: 'TND_W_FENCE_PARAM_UNKNOWN',
        severity: 'warning',
        path: `params.${name}`,
        message: `Parameter '${name}' is not declared by fence agent ${metadata.name}, which will ignore it${hint}`,
        ...(suggestion === undefined ? {} : { suggestion }),
      });
    } else if (deprecated.has(canonical)) {
      const replacement = deprecated.get(canonical);
      issues.push({
        code: 'TND_W_FENCE_PARAM_DEPRECATED',
        severity: 'warning',
        path: `params.${name}`,
        message: `Parameter '${name}' of fence agent ${metadata.name} is deprecated${replacement === undefined ? '' : `; use '${replacement}'`}`,
        ...(replacement === undefined ? {} : { suggestion: replacement }),
      });
    }
  }
  return issues;
}

/** The stdin lines of one run, without the trailing newline; exported for explanations and tests. */
export function fenceAgentInput(device: FenceDevice, action: FenceAction, target: string | undefined): string {
  const lines = [`action=${action}`];
  if (target !== undefined) {
    lines.push(`nodename=${target}`);
    if ((device.hostArgument ?? 'plug') === 'plug') {
      const plug = plugFor(device, target);
      lines.push(`plug=${plug}`, `port=${plug}`);
    }
  }
  if (action !== 'metadata') for (const [key, value] of Object.entries(device.params)) lines.push(`${key}=${value}`);
  return lines.join('\n');
}

/** The plug of `target` on the device: its `hostMap` entry, else the node's own name. */
export function plugFor(device: FenceDevice, target: string): string {
  return device.hostMap?.[target] ?? target;
}

// ---- Running -----------------------------------------------------------------------------------------------------

async function runAgent(
  device: FenceDevice,
  action: FenceAction,
  target: string | undefined,
  timeoutMs: number,
  runner: ProcessRunner,
  stdoutBytesMax: number | undefined,
): Promise<{ result: FenceAgentResult; stdoutTruncated: boolean }> {
  if (!(Number.isFinite(timeoutMs) && timeoutMs > 0)) throw new RangeError(`runFenceAgent: timeoutMs must be a positive number, not ${timeoutMs}`);
  const what = describeRun(device, action, target);
  const refused = (problem: string): { result: FenceAgentResult; stdoutTruncated: boolean } => ({
    result: { ok: false, exitCode: null, timedOut: false, output: '', stdout: '', detail: `${what}: ${problem}`, durationMs: 0 },
    stdoutTruncated: false,
  });

  const problems = action === 'metadata' ? [] : lineIssues(device.params, device.hostArgument ?? 'plug');
  if (target !== undefined) {
    const plug = plugFor(device, target);
    if (/[\n\r\0]/.test(target) || /[\n\r\0]/.test(plug)) return refused('not run as the target or its plug holds a newline or NUL');
  }
  if (problems.length > 0) return refused(`not run as ${problems.map((issue) => issue.message).join('; ')}`);

  let path: string | undefined;
  try {
    path = findFenceAgent(device.agent);
  } catch (error) {
    return refused(`not run as looking for the agent failed: ${errnoCode(error) ?? String(error)}`);
  }
  if (path === undefined) {
    const where = device.agent.startsWith('/') ? 'is not an executable file' : BARE_AGENT_NAME.test(device.agent) ? `is not installed in ${FENCE_AGENT_DIRS.join(', ')}` : 'is neither an absolute path nor a fence_* name';
    return refused(`not run as the agent ${where}`);
  }

  const outcome = await runner({
    file: SHELL,
    args: ['-c', STDIN_SHIM, path],
    env: agentEnv({ TANDEM_FENCE_INPUT: fenceAgentInput(device, action, target) }),
    cwd: '/',
    timeoutMs,
    ...(stdoutBytesMax === undefined ? {} : { stdoutBytesMax }),
  });
  return { result: judge(what, action, outcome), stdoutTruncated: outcome.stdoutTruncated };
}

/** Turns the runner's outcome into the fence verdict for the action (exit codes per the module header). */
function judge(what: string, action: FenceAction, outcome: RunOutcome): FenceAgentResult {
  const base = {
    exitCode: outcome.exec === 'done' && outcome.exitCode !== undefined ? outcome.exitCode : null,
    timedOut: outcome.exec === 'timeout',
    output: outcome.outputTail,
    stdout: outcome.stdoutTail,
    durationMs: outcome.durationMs,
  };
  const took = `in ${Math.round(outcome.durationMs)} ms`;
  const said = lastLine(outcome.outputTail);
  const quote = said === undefined ? '' : `: ${said}`;
  switch (outcome.exec) {
    case 'timeout':
      return { ...base, ok: false, detail: `${what} timed out after ${Math.round(outcome.durationMs)} ms; its process group was killed${quote}` };
    case 'killed':
      return { ...base, ok: false, detail: `${what} died of signal ${outcome.signal ?? '?'} ${took}${quote}` };
    case 'not-installed':
      // The shell exits 127/126 when it cannot exec the agent (removed or made non-executable since the lookup).
      return { ...base, ok: false, detail: `${what} could not be executed (exit ${outcome.exitCode ?? '?'})${quote}` };
    case 'error':
      return { ...base, ok: false, detail: `${what} could not be run: ${outcome.detail ?? 'unknown error'}` };
    case 'done':
      break;
  }
  const code = outcome.exitCode;
  if (code === undefined) return { ...base, ok: false, detail: `${what} reported no exit code` };
  if (action === 'status') {
    if (code === 0) return { ...base, ok: true, power: 'on', detail: `${what}: on (exit 0) ${took}` };
    if (code === FENCE_STATUS_OFF_EXIT) return { ...base, ok: true, power: 'off', detail: `${what}: off (exit 2) ${took}` };
    return { ...base, ok: false, detail: `${what} failed with exit ${code} ${took}${quote}` };
  }
  if (code === 0) return { ...base, ok: true, detail: `${what} succeeded ${took}` };
  return { ...base, ok: false, detail: `${what} failed with exit ${code} ${took}${quote}` };
}

function describeRun(device: FenceDevice, action: FenceAction, target: string | undefined): string {
  if (target === undefined) return `device ${device.name}: ${device.agent} ${action}`;
  const plug = (device.hostArgument ?? 'plug') === 'plug' ? plugFor(device, target) : undefined;
  return `device ${device.name}: ${device.agent} ${action} of ${target}${plug !== undefined && plug !== target ? ` (plug ${plug})` : ''}`;
}

/** The last non-empty line of the output, made printable and short, for a detail line. */
function lastLine(output: string): string | undefined {
  const lines = output.split('\n').map((line) => line.replace(/[^\x20-\x7e\u00a0-\uffff]+/g, ' ').trim()).filter((line) => line !== '');
  const last = lines.at(-1);
  if (last === undefined) return undefined;
  return last.length > DETAIL_OUTPUT_CHARS_MAX ? `${last.slice(0, DETAIL_OUTPUT_CHARS_MAX)}…` : last;
}

function isReserved(name: string, hostArgument: 'plug' | 'none'): boolean {
  return (ALWAYS_RESERVED as readonly string[]).includes(name) || (hostArgument === 'plug' && (PLUG_KEYS as readonly string[]).includes(name));
}

/** Names tandem writes itself, and parameters that cannot be one `key=value` line. Values are never quoted. */
function lineIssues(params: Readonly<Record<string, string>>, hostArgument: 'plug' | 'none'): FenceIssue[] {
  const issues: FenceIssue[] = [];
  for (const [name, value] of Object.entries(params)) {
    if (isReserved(name, hostArgument)) {
      issues.push({
        code: 'TND_E_FENCE_PARAM_RESERVED',
        severity: 'error',
        path: `params.${name}`,
        message: `parameter '${name}' is reserved: tandem writes it for each run${PLUG_KEYS.includes(name as 'plug') ? ' (map nodes to plugs with the host map, or set hostArgument none)' : ''}`,
      });
    } else if (!KEY_PATTERN.test(name)) {
      issues.push({ code: 'TND_E_FENCE_PARAM_LINE', severity: 'error', path: `params.${name}`, message: `parameter name ${JSON.stringify(name)} is not letters, digits, '_' and '-'` });
    } else if (/[\n\r\0]/.test(value)) {
      issues.push({ code: 'TND_E_FENCE_PARAM_LINE', severity: 'error', path: `params.${name}`, message: `the value of parameter '${name}' holds a newline or NUL, which one key=value line cannot carry` });
    }
  }
  return issues;
}

function describeRenames(metadata: OcfMetadata, attributes: ReadonlyMap<string, ReadonlyMap<string, string>>): FenceMetadata {
  const deprecated = new Map<string, string | undefined>();
  const aliases = new Map<string, string[]>();
  const link = (a: string, b: string): void => {
    aliases.set(a, [...new Set([...(aliases.get(a) ?? []), b])]);
    aliases.set(b, [...new Set([...(aliases.get(b) ?? []), a])]);
  };
  for (const [name, attrs] of attributes) {
    if (attrs.get('deprecated') === '1' || attrs.get('deprecated') === 'true') deprecated.set(name, undefined);
  }
  for (const [name, attrs] of attributes) {
    const old = attrs.get('obsoletes');
    if (old === undefined || old === '') continue;
    link(name, old);
    if (deprecated.has(old) || attributes.has(old)) deprecated.set(old, name);
  }
  return { ...metadata, deprecated, aliases };
}

function isExecutableFile(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false;
    accessSync(path, fsConstants.X_OK);
    return true;
  } catch (error) {
    const code = errnoCode(error);
    if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EACCES' || code === 'ELOOP' || code === 'ENAMETOOLONG') return false;
    throw error;
  }
}
