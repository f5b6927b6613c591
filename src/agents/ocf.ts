/**
 * OCF resource agents (`ocf:<provider>:<type>`): runs `$OCF_ROOT/resource.d/<provider>/<type> <action>` with the
 * environment the OCF resource agent API 1.1 and Debian's `ocf-shellfuncs` expect, and reads its meta-data.
 *
 * Invariants:
 *   1. The agent gets a complete, explicit environment (nothing inherited from the daemon): PATH, OCF_ROOT,
 *      OCF_RA_VERSION_MAJOR/MINOR, OCF_RESOURCE_INSTANCE/TYPE/PROVIDER, HA_RSCTMP, one OCF_RESKEY_<name> per
 *      parameter and the Pacemaker-style OCF_RESKEY_CRM_meta_timeout / _interval in milliseconds.
 *   2. Exit codes 0–9 are OCF codes and pass through; anything else becomes ERR_GENERIC with the raw code kept.
 *      One mapping on top: a stop answering NOT_RUNNING (7) is a success, the resource being stopped.
 *   3. Never throws for operating errors: a missing, hung or crashing agent is an `AgentResult`, a bad meta-data
 *      answer is a TND_E_AGENT_METADATA issue.
 *   4. Parameter names are checked when the agent is built, so every one becomes a valid environment variable.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { AgentIssue, Built } from './codes.js';
import { parseOcfMetadata, type OcfMetadata } from './ocf-metadata.js';
import { agentEnv, runProcess, toAgentResult, type ProcessRunner } from './process-runner.js';
import { checkAbsolutePath, checkPathComponent } from './spec-checks.js';
import { OCF_RC, type AgentAction, type AgentResult, type OcfRc, type OperationOptions, type ResourceAgent } from './types.js';

export const OCF_ROOT_DEFAULT = '/usr/lib/ocf';
/** Where Debian's resource-agents keep per-resource state (`ocf-directories`: `HA_RSCTMP`). */
export const HA_RSCTMP_DEFAULT = '/run/resource-agents';
/** The OCF resource agent API version announced to agents. */
export const OCF_RA_VERSION_MAJOR = 1;
export const OCF_RA_VERSION_MINOR = 1;
/** Timeout of a `meta-data` run when the caller gives none (agents suggest 5s for it). */
export const OCF_METADATA_TIMEOUT_MS = 5000;
/** The most meta-data XML read from an agent's stdout (the largest Debian agents print about 13 KiB). */
export const OCF_METADATA_BYTES_MAX = 256 * 1024;

const PARAMETER_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export interface OcfAgentOptions {
  /** The resource's id, passed as OCF_RESOURCE_INSTANCE (Dummy names its state file after it). */
  readonly resourceId: string;
  readonly provider: string;
  readonly type: string;
  readonly params: Readonly<Record<string, string>>;
  /** Defaults to OCF_ROOT_DEFAULT. */
  readonly ocfRoot?: string;
  /** HA_RSCTMP; defaults to HA_RSCTMP_DEFAULT. */
  readonly rscTmpDir?: string;
  /** This node's name, passed as OCF_RESKEY_CRM_meta_on_node when given. */
  readonly nodeName?: string;
  /** Extra environment variables; they win over the computed ones. */
  readonly env?: Readonly<Record<string, string>>;
  readonly runner?: ProcessRunner;
}

export type OcfMetadataResult =
  | { readonly ok: true; readonly metadata: OcfMetadata; readonly result: AgentResult }
  | { readonly ok: false; readonly issue: AgentIssue; readonly result: AgentResult };

/** Checks the options and builds the agent, or returns every issue found. */
export function buildOcfAgent(options: OcfAgentOptions): Built<OcfAgent> {
  const issues = checkOcfOptions(options);
  return issues.length === 0 ? { ok: true, value: new OcfAgent(options) } : { ok: false, issues };
}

export function checkOcfOptions(options: OcfAgentOptions): AgentIssue[] {
  const issues = [
    checkPathComponent(options.resourceId, 'id', 'a resource id'),
    checkPathComponent(options.provider, 'provider', 'an OCF provider'),
    checkPathComponent(options.type, 'type', 'an OCF agent type'),
    options.ocfRoot === undefined ? undefined : checkAbsolutePath(options.ocfRoot, 'ocfRoot', 'OCF_ROOT'),
    options.rscTmpDir === undefined ? undefined : checkAbsolutePath(options.rscTmpDir, 'rscTmpDir', 'HA_RSCTMP'),
  ].filter((issue): issue is AgentIssue => issue !== undefined);
  for (const [name, value] of Object.entries(options.params)) {
    if (!PARAMETER_NAME.test(name)) {
      issues.push({ code: 'TND_E_AGENT_PARAM_NAME', path: `params.${name}`, message: `Cannot pass parameter ${JSON.stringify(name)} as OCF_RESKEY_${name} is not a valid environment variable name` });
    } else if (value.includes('\0')) {
      issues.push({ code: 'TND_E_AGENT_PARAM_NAME', path: `params.${name}`, message: `Cannot pass parameter '${name}' as its value contains a NUL byte` });
    }
  }
  return issues;
}

/** Maps an OCF agent's exit code to the OCF result for `action` (see invariant 2). */
export function mapOcfExit(action: AgentAction | 'meta-data', exitCode: number): { rc: OcfRc; detail?: string } {
  if (action === 'stop' && exitCode === OCF_RC.NOT_RUNNING) {
    return { rc: OCF_RC.SUCCESS, detail: 'stop answered 7 (not running): the resource is stopped' };
  }
  if (Number.isInteger(exitCode) && exitCode >= OCF_RC.SUCCESS && exitCode <= OCF_RC.FAILED_PROMOTED) return { rc: exitCode };
  return { rc: OCF_RC.ERR_GENERIC, detail: `exit code ${exitCode} is outside the OCF range 0-9` };
}

export class OcfAgent implements ResourceAgent {
  readonly describe: string;
  /** The agent's executable. */
  readonly path: string;
  private readonly runner: ProcessRunner;

  /** Prefer `buildOcfAgent`, which checks the options first. */
  constructor(private readonly options: OcfAgentOptions) {
    this.describe = `ocf:${options.provider}:${options.type}`;
    this.path = join(options.ocfRoot ?? OCF_ROOT_DEFAULT, 'resource.d', options.provider, options.type);
    this.runner = options.runner ?? runProcess;
  }

  async run(action: AgentAction, operation: OperationOptions): Promise<AgentResult> {
    // Pacemaker creates HA_RSCTMP before running agents, and agents such as Dummy keep their state file there;
    // on a fresh /run (tmpfs after a boot) it is missing.
    const rscTmpDir = this.options.rscTmpDir ?? HA_RSCTMP_DEFAULT;
    try {
      await mkdir(rscTmpDir, { recursive: true, mode: 0o755 });
    } catch (error) {
      return { exec: 'error', durationMs: 0, outputTail: '', detail: `cannot create HA_RSCTMP ${rscTmpDir}: ${(error as Error).message}` };
    }
    const outcome = await this.runner({
      file: this.path,
      args: [action],
      env: this.environment(action, operation),
      cwd: '/',
      timeoutMs: operation.timeoutMs,
    });
    return toAgentResult(outcome, (exitCode) => mapOcfExit(action, exitCode));
  }

  /** Runs `meta-data` and parses what it prints on stdout (stderr may carry log lines and is not parsed). */
  async metaData(timeoutMs: number = OCF_METADATA_TIMEOUT_MS): Promise<OcfMetadataResult> {
    const outcome = await this.runner({
      file: this.path,
      args: ['meta-data'],
      env: this.environment('meta-data', { timeoutMs }),
      cwd: '/',
      timeoutMs,
      stdoutBytesMax: OCF_METADATA_BYTES_MAX,
    });
    const result = toAgentResult(outcome, (exitCode) => mapOcfExit('meta-data', exitCode));
    const failure = metadataRunFailure(this.describe, result, outcome.stdoutTruncated);
    if (failure !== undefined) return { ok: false, issue: failure, result };
    const parsed = parseOcfMetadata(outcome.stdoutTail);
    if (!parsed.ok) return { ok: false, issue: { ...parsed.issue, message: `${this.describe}: ${parsed.issue.message}` }, result };
    return { ok: true, metadata: parsed.metadata, result };
  }

  /** The complete environment of one run (exported for tests and for `tandem agent env`-style explanations). */
  environment(action: AgentAction | 'meta-data', operation: OperationOptions): Record<string, string> {
    const { options } = this;
    const env: Record<string, string> = {
      OCF_ROOT: options.ocfRoot ?? OCF_ROOT_DEFAULT,
      OCF_RA_VERSION_MAJOR: String(OCF_RA_VERSION_MAJOR),
      OCF_RA_VERSION_MINOR: String(OCF_RA_VERSION_MINOR),
      OCF_RESOURCE_INSTANCE: options.resourceId,
      OCF_RESOURCE_TYPE: options.type,
      OCF_RESOURCE_PROVIDER: options.provider,
      HA_RSCTMP: options.rscTmpDir ?? HA_RSCTMP_DEFAULT,
      OCF_RESKEY_CRM_meta_timeout: String(Math.round(operation.timeoutMs)),
      // interval 0 makes `ocf_is_probe` true for a monitor: a one-off check that may find the resource stopped.
      OCF_RESKEY_CRM_meta_interval: String(action === 'monitor' ? Math.round(operation.intervalMs ?? 0) : 0),
      OCF_RESKEY_CRM_meta_name: action,
    };
    if (options.nodeName !== undefined) env['OCF_RESKEY_CRM_meta_on_node'] = options.nodeName;
    for (const [name, value] of Object.entries(options.params)) env[`OCF_RESKEY_${name}`] = value;
    return agentEnv({ ...env, ...(options.env ?? {}) });
  }
}

function metadataRunFailure(describe: string, result: AgentResult, truncated: boolean): AgentIssue | undefined {
  let problem: string | undefined;
  if (result.exec !== 'done') problem = `${result.exec}${result.detail === undefined ? '' : ` (${result.detail})`}`;
  else if (result.rc !== OCF_RC.SUCCESS) problem = `it exited ${result.rawExitCode ?? '?'}`;
  else if (truncated) problem = `its output exceeds ${OCF_METADATA_BYTES_MAX} bytes`;
  if (problem === undefined) return undefined;
  return { code: 'TND_E_AGENT_METADATA', path: 'meta-data', message: `Cannot read the meta-data of ${describe} as ${problem}` };
}
