/**
 * Builds the AgentResult of a built-in agent that drives commands (ip, mount): one shape for every outcome,
 * so a command that was missing or timed out reads the same whichever agent ran it.
 */
import { type CommandOutcome, describeOutcome, outcomeOutput } from '../platform/command.js';
import { type AgentResult, type ExecStatus, OCF_RC } from './types.js';

/** Output kept in a built-in agent's result. */
export const BUILTIN_OUTPUT_BYTES_MAX = 4096;

export interface ResultParts {
  readonly exec?: ExecStatus;
  readonly rc?: number;
  readonly detail: string;
  readonly output?: string;
}

export function builtinResult(durationMs: number, parts: ResultParts): AgentResult {
  const exec = parts.exec ?? 'done';
  return {
    exec,
    ...(exec === 'done' ? { rc: parts.rc ?? OCF_RC.ERR_GENERIC } : {}),
    durationMs,
    outputTail: (parts.output ?? '').slice(-BUILTIN_OUTPUT_BYTES_MAX),
    detail: parts.detail,
  };
}

/** A command that could not run to completion (missing, or killed at its timeout). */
export function commandFailedParts(argv: readonly string[], outcome: CommandOutcome & { kind: 'not-installed' | 'timeout' }): ResultParts {
  return { exec: outcome.kind, detail: describeOutcome(argv, outcome), output: outcomeOutput(outcome) };
}
