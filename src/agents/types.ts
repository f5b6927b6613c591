/**
 * The one interface every resource agent implements, and the shape of an operation's outcome.
 *
 * Outcomes keep two axes apart (Pacemaker's lesson): how the execution went (`exec`) and what the agent
 * answered (`rc`, always expressed as an OCF return code, whatever the agent's own convention). A crashing or
 * hung agent is an outcome, never an exception: the daemon stays up and the operation is a failure.
 */

export type AgentAction = 'start' | 'stop' | 'monitor';

/** OCF return codes (OCF resource agent API 1.1, section "Return codes"). Append-only. */
export const OCF_RC = {
  SUCCESS: 0,
  ERR_GENERIC: 1,
  ERR_ARGS: 2,
  ERR_UNIMPLEMENTED: 3,
  ERR_PERM: 4,
  ERR_INSTALLED: 5,
  ERR_CONFIGURED: 6,
  NOT_RUNNING: 7,
  RUNNING_PROMOTED: 8,
  FAILED_PROMOTED: 9,
} as const;
export type OcfRc = number;

/**
 * How the execution went:
 *  - `done`: the agent ran to completion; read `rc`.
 *  - `timeout`: it exceeded its timeout and its whole process group was killed.
 *  - `not-installed`: the program does not exist or is not executable.
 *  - `killed`: it died of a signal it did not ask for (a crash).
 *  - `error`: it could not be started for another reason (see `detail`).
 */
export type ExecStatus = 'done' | 'timeout' | 'not-installed' | 'killed' | 'error';

export interface AgentResult {
  readonly exec: ExecStatus;
  /** OCF return code; present when exec is 'done' (mapped from LSB/heartbeat conventions where needed). */
  readonly rc?: OcfRc;
  /** The agent's own exit code before mapping, for explanations. */
  readonly rawExitCode?: number;
  readonly signal?: string;
  readonly durationMs: number;
  /** The last bytes of the agent's combined stdout+stderr (bounded by AGENT_OUTPUT_BYTES_MAX). */
  readonly outputTail: string;
  readonly detail?: string;
}

/** True when the operation achieved what it asked for (monitor: running). */
export function succeeded(result: AgentResult): boolean {
  return result.exec === 'done' && result.rc === OCF_RC.SUCCESS;
}

export interface OperationOptions {
  readonly timeoutMs: number;
  /**
   * For `monitor`: the interval of the recurring monitor this run belongs to. Absent or 0 means a one-off probe
   * (OCF agents see it as `OCF_RESKEY_CRM_meta_interval`, which `ocf_is_probe` reads).
   */
  readonly intervalMs?: number;
}

export interface ResourceAgent {
  /** e.g. `ocf:heartbeat:IPaddr2`, `lsb:nginx`, `heartbeat:IPaddr::192.0.2.100/24`, `exec:web`, `ipaddr`. */
  readonly describe: string;
  run(action: AgentAction, options: OperationOptions): Promise<AgentResult>;
}
