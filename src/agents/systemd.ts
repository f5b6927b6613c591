/**
 * systemd units (`systemd:<unit>`): `systemctl start|stop UNIT` and `systemctl is-active UNIT` for monitor.
 *
 * Invariants:
 *   1. monitor maps `is-active`'s exit code: 0 → SUCCESS (active), 3 → NOT_RUNNING (inactive, failed, or unknown
 *      unit, all "not active" to systemd), anything else → ERR_GENERIC with the raw code kept.
 *   2. start/stop succeed on exit 0 only (systemctl waits for the job to finish); anything else → ERR_GENERIC.
 *   3. The unit name is checked before it reaches argv (no leading `-`, no `/`), and systemctl is told never to ask
 *      for a password, so it cannot block on a prompt.
 *   4. Never throws for operating errors; the runner is injectable so the mapping is tested without systemd.
 */
import type { Built } from './codes.js';
import { agentEnv, runProcess, toAgentResult, type ProcessRunner } from './process-runner.js';
import { OCF_RC, type AgentAction, type AgentResult, type OcfRc, type OperationOptions, type ResourceAgent } from './types.js';

export const SYSTEMCTL_DEFAULT = 'systemctl';
/** `systemctl is-active` exit code for "not active". */
export const SYSTEMCTL_IS_ACTIVE_INACTIVE = 3;

/** Unit names: systemd's allowed characters (letters, digits, `:-_.\@`), with an optional type suffix. */
const UNIT_NAME = /^[A-Za-z0-9:_.\\@][A-Za-z0-9:_.\\@-]{0,255}$/;

export interface SystemdAgentOptions {
  readonly unit: string;
  /** Path or name of systemctl; defaults to SYSTEMCTL_DEFAULT (looked up in PATH). */
  readonly systemctl?: string;
  readonly runner?: ProcessRunner;
}

export function buildSystemdAgent(options: SystemdAgentOptions): Built<SystemdAgent> {
  if (UNIT_NAME.test(options.unit)) return { ok: true, value: new SystemdAgent(options) };
  return {
    ok: false,
    issues: [{ code: 'TND_E_AGENT_SPEC', path: 'unit', message: `Cannot use ${JSON.stringify(options.unit)} as a systemd unit name: letters, digits and : _ . \\ @ -, not starting with -` }],
  };
}

/** The systemctl arguments for an action. */
export function systemctlArgs(action: AgentAction, unit: string): string[] {
  switch (action) {
    case 'start':
      return ['--no-ask-password', 'start', unit];
    case 'stop':
      return ['--no-ask-password', 'stop', unit];
    case 'monitor':
      return ['is-active', unit];
  }
}

export function mapSystemdIsActive(exitCode: number): { rc: OcfRc; detail?: string } {
  if (exitCode === 0) return { rc: OCF_RC.SUCCESS };
  if (exitCode === SYSTEMCTL_IS_ACTIVE_INACTIVE) return { rc: OCF_RC.NOT_RUNNING };
  return { rc: OCF_RC.ERR_GENERIC, detail: `systemctl is-active exited ${exitCode}` };
}

export function mapSystemctlStartStop(exitCode: number): { rc: OcfRc; detail?: string } {
  return exitCode === 0 ? { rc: OCF_RC.SUCCESS } : { rc: OCF_RC.ERR_GENERIC, detail: `systemctl exited ${exitCode}` };
}

export class SystemdAgent implements ResourceAgent {
  readonly describe: string;
  private readonly runner: ProcessRunner;

  /** Prefer `buildSystemdAgent`, which checks the unit name first. */
  constructor(private readonly options: SystemdAgentOptions) {
    this.describe = `systemd:${options.unit}`;
    this.runner = options.runner ?? runProcess;
  }

  async run(action: AgentAction, operation: OperationOptions): Promise<AgentResult> {
    const outcome = await this.runner({
      file: this.options.systemctl ?? SYSTEMCTL_DEFAULT,
      args: systemctlArgs(action, this.options.unit),
      env: agentEnv(),
      cwd: '/',
      timeoutMs: operation.timeoutMs,
    });
    return toAgentResult(outcome, action === 'monitor' ? mapSystemdIsActive : mapSystemctlStartStop);
  }
}
