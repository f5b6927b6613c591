/**
 * The I/O of heartbeat's commands: asks tandemd (one status request, then one `move` per group for hb_standby /
 * hb_takeover) and prints what the pure modules decided. Shared by `tandem cl_status|hb_standby|hb_takeover` and
 * the compatibility entry points `cl_status`, `hb_standby`, `hb_takeover`.
 */
import type { StatusReport } from '../../api/status-report.js';
import type { CommandResult } from '../../daemon/commands.js';
import { DaemonTimeoutError, DaemonUnreachableError, callApi } from '../client.js';
import { answerClStatus, answerWithoutDaemon, parseClStatus, type LogContext, type Signon } from './cl-status.js';
import { logStamp } from './stamp.js';
import { describePlan, headline, parseHbArgs, planStandby, planTakeover, type HbCommand } from './standby.js';

export interface HbIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
}

/** Exit code of hb_standby / hb_takeover when tandemd cannot be reached (tandem's; heartbeat's scripts hung). */
export const HB_UNREACHABLE_EXIT = 3;
/** Exit code of hb_standby / hb_takeover when a group could not be moved as asked. */
export const HB_PROBLEM_EXIT = 1;

/** Why the daemon is not there, in words that fit both heartbeat's `REASON:` line and a plain message. */
function describeUnreachable(socket: string, error: DaemonUnreachableError): string {
  if (error instanceof DaemonTimeoutError) return `tandemd at ${socket} accepted the connection but did not answer in time`;
  const code = (error.cause as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT' || code === 'ECONNREFUSED') return `tandemd is not running: nothing listens on ${socket} (${code})`;
  return `cannot connect to tandemd at ${socket}: ${code ?? error.message}`;
}

/** heartbeat's "signon": one status request, or the reason it failed. */
export async function signon(socket: string): Promise<Signon> {
  try {
    return { kind: 'ok', report: (await callApi<StatusReport>(socket, 'GET', '/v1/status')).body };
  } catch (error) {
    if (!(error instanceof DaemonUnreachableError)) throw error;
    const reason = describeUnreachable(socket, error);
    if (error instanceof DaemonTimeoutError) return { kind: 'timeout', reason };
    const code = (error.cause as NodeJS.ErrnoException | undefined)?.code;
    // A socket that exists but may not be opened (a non-root user, mode 0600) is a daemon that refuses us.
    return { kind: code === 'EACCES' || code === 'EPERM' ? 'refused' : 'stopped', reason };
  }
}

export async function runClStatus(argv: readonly string[], socket: string, io: HbIo, log: () => LogContext): Promise<number> {
  const request = parseClStatus(argv);
  const outcome = answerWithoutDaemon(request, log()) ?? (request.kind === 'command' ? answerClStatus(request.name, request.args, await signon(socket), log()) : undefined);
  if (outcome === undefined) throw new Error(`cl_status: no answer for ${JSON.stringify(argv)}`);
  if (outcome.stdout) io.out(outcome.stdout);
  if (outcome.stderr) io.err(outcome.stderr);
  return outcome.exitCode;
}

/** `prog`: the command as invoked, which the scripts' messages start with. */
export async function runHbScript(command: HbCommand, prog: string, argv: readonly string[], socket: string, io: HbIo, now: () => Date = () => new Date()): Promise<number> {
  const parsed = parseHbArgs(command, prog, argv);
  if (!parsed.ok) {
    if (parsed.stdout) io.out(parsed.stdout);
    if (parsed.stderr) io.err(parsed.stderr);
    return parsed.exitCode;
  }
  // heartbeat's scripts print nothing on stdout, and a script may rely on that: everything tandem adds (the intent,
  // what moved where) goes to stderr. hb_standby logged its intent there with a time stamp (ha_log).
  io.err(command === 'hb_standby' ? `${logStamp(now())} ${headline(command, parsed)}\n` : `${headline(command, parsed)}\n`);
  const answer = await signon(socket);
  if (answer.kind !== 'ok') {
    io.err(`${prog}: ${answer.reason}; nothing was moved\n`);
    return HB_UNREACHABLE_EXIT;
  }
  const report = answer.report;
  const plan = command === 'hb_standby' ? planStandby(report, parsed.set) : planTakeover(report, parsed.set);
  const refused: { group: string; why: string }[] = [];
  for (const move of plan.moves) {
    try {
      const result = (await callApi<CommandResult>(socket, 'POST', '/v1/commands', 5000, { kind: 'move', group: move.group, node: move.to, untilFailover: true })).body;
      if (!result.ok) refused.push({ group: move.group, why: result.message });
    } catch (error) {
      if (!(error instanceof DaemonUnreachableError)) throw error;
      refused.push({ group: move.group, why: describeUnreachable(socket, error) });
    }
  }
  // A move tandemd refused is reported with the groups that could not move, not as done.
  const done = plan.moves.filter((move) => !refused.some((entry) => entry.group === move.group));
  const text = describePlan({ ...plan, moves: done, stuck: [...plan.stuck, ...refused] }, report.node);
  io.err(text.stdout + text.stderr);
  const problem = plan.stuck.length > 0 || refused.length > 0;
  return problem ? HB_PROBLEM_EXIT : 0;
}
