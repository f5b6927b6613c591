/**
 * LSB init scripts (`lsb:<name>`): runs `<initDir>/<name> start|stop|status` and maps the answers to OCF codes.
 *
 * Invariants:
 *   1. `monitor` runs `status` and maps LSB's status codes (LSB Core, "Init Script Actions"): 0 running → SUCCESS,
 *      3 not running → NOT_RUNNING, 1 and 2 (dead but pid/lock file exists) → ERR_GENERIC, 4 (unknown) and
 *      anything else → ERR_GENERIC. The raw code is always kept in `rawExitCode`.
 *   2. `start` and `stop` succeed on exit 0 only; any other code is ERR_GENERIC. LSB requires `start` on a running
 *      service and `stop` on a stopped one to exit 0, so tandem calls them as they are, without a status check
 *      first, and relies on that rule.
 *   3. Never throws for operating errors (see process-runner).
 */
import { join } from 'node:path';
import type { AgentIssue, Built } from './codes.js';
import { agentEnv, runProcess, toAgentResult, type ProcessRunner } from './process-runner.js';
import { checkAbsolutePath, checkPathComponent } from './spec-checks.js';
import { OCF_RC, type AgentAction, type AgentResult, type OcfRc, type OperationOptions, type ResourceAgent } from './types.js';

export const LSB_INIT_DIR_DEFAULT = '/etc/init.d';

/** LSB `status` exit codes. */
export const LSB_STATUS = {
  RUNNING: 0,
  DEAD_PID_FILE_EXISTS: 1,
  DEAD_LOCK_FILE_EXISTS: 2,
  NOT_RUNNING: 3,
  UNKNOWN: 4,
} as const;

export interface LsbAgentOptions {
  readonly name: string;
  /** Defaults to LSB_INIT_DIR_DEFAULT; tests point it at a fixture directory. */
  readonly initDir?: string;
  readonly env?: Readonly<Record<string, string>>;
  readonly runner?: ProcessRunner;
}

export function buildLsbAgent(options: LsbAgentOptions): Built<LsbAgent> {
  const issues = [
    checkPathComponent(options.name, 'name', 'an init script name'),
    options.initDir === undefined ? undefined : checkAbsolutePath(options.initDir, 'initDir', 'the init script directory'),
  ].filter((issue): issue is AgentIssue => issue !== undefined);
  return issues.length === 0 ? { ok: true, value: new LsbAgent(options) } : { ok: false, issues };
}

/** Maps an LSB `status` exit code to the OCF monitor result (invariant 1). */
export function mapLsbStatus(exitCode: number): { rc: OcfRc; detail?: string } {
  switch (exitCode) {
    case LSB_STATUS.RUNNING:
      return { rc: OCF_RC.SUCCESS };
    case LSB_STATUS.NOT_RUNNING:
      return { rc: OCF_RC.NOT_RUNNING };
    case LSB_STATUS.DEAD_PID_FILE_EXISTS:
      return { rc: OCF_RC.ERR_GENERIC, detail: 'status 1: program is dead and /var/run pid file exists' };
    case LSB_STATUS.DEAD_LOCK_FILE_EXISTS:
      return { rc: OCF_RC.ERR_GENERIC, detail: 'status 2: program is dead and /var/lock lock file exists' };
    case LSB_STATUS.UNKNOWN:
      return { rc: OCF_RC.ERR_GENERIC, detail: 'status 4: program or service status is unknown' };
    default:
      return { rc: OCF_RC.ERR_GENERIC, detail: `status ${exitCode}: not an LSB status code` };
  }
}

/** Maps an LSB `start`/`stop` exit code (invariant 2). */
export function mapLsbStartStop(exitCode: number): { rc: OcfRc; detail?: string } {
  return exitCode === 0 ? { rc: OCF_RC.SUCCESS } : { rc: OCF_RC.ERR_GENERIC, detail: `exited ${exitCode}` };
}

/** The init script word for each agent action. */
export function lsbVerb(action: AgentAction): 'start' | 'stop' | 'status' {
  return action === 'monitor' ? 'status' : action;
}

export class LsbAgent implements ResourceAgent {
  readonly describe: string;
  readonly path: string;
  private readonly runner: ProcessRunner;

  /** Prefer `buildLsbAgent`, which checks the options first. */
  constructor(private readonly options: LsbAgentOptions) {
    this.describe = `lsb:${options.name}`;
    this.path = join(options.initDir ?? LSB_INIT_DIR_DEFAULT, options.name);
    this.runner = options.runner ?? runProcess;
  }

  async run(action: AgentAction, operation: OperationOptions): Promise<AgentResult> {
    const outcome = await this.runner({
      file: this.path,
      args: [lsbVerb(action)],
      env: agentEnv(this.options.env),
      cwd: '/',
      timeoutMs: operation.timeoutMs,
    });
    return toAgentResult(outcome, action === 'monitor' ? mapLsbStatus : mapLsbStartStop);
  }
}
