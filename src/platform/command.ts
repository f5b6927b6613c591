/**
 * Runs a system command (`ip`, `mount`, `umount`, `arping`) and collects its outcome, with a deadline.
 *
 * Agents take a `CommandRunner` so unit tests can check the exact argv without running anything, and the
 * daemon passes `runCommand`.
 *
 * Invariants:
 *   1. Never throws for an operating condition: not installed, timed out, killed, or failed are values.
 *   2. No shell: argv goes to execve as is.
 *   3. On timeout the child gets SIGKILL; output is bounded.
 */
import { spawn } from 'node:child_process';

export interface CommandOptions {
  /** Kill the command after this long; default 10 000 ms. */
  readonly timeoutMs?: number;
  /** Aborting kills the command (SIGKILL); it then ends as `failed` with detail 'aborted'. */
  readonly signal?: AbortSignal;
}

export type CommandOutcome =
  /** Ran and exited with `code` (0 = success). */
  | { readonly kind: 'exited'; readonly code: number; readonly stdout: string; readonly stderr: string; readonly durationMs: number }
  /** Not found or not executable. */
  | { readonly kind: 'not-installed'; readonly detail: string; readonly durationMs: number }
  /** Killed by us at the deadline. */
  | { readonly kind: 'timeout'; readonly stdout: string; readonly stderr: string; readonly durationMs: number }
  /** Died of a signal we did not send, or could not be started for another reason. */
  | { readonly kind: 'failed'; readonly detail: string; readonly stdout: string; readonly stderr: string; readonly durationMs: number };

export type CommandRunner = (argv: readonly string[], options?: CommandOptions) => Promise<CommandOutcome>;

const OUTPUT_BYTES_MAX = 64 * 1024;
const DEFAULT_TIMEOUT_MS = 10_000;

/** The real runner: spawn without a shell, collect bounded output, SIGKILL at the deadline. */
export const runCommand: CommandRunner = (argv, options = {}) =>
  new Promise((resolvePromise) => {
    const started = performance.now();
    const elapsed = (): number => performance.now() - started;
    const [program, ...args] = argv;
    if (program === undefined) {
      resolvePromise({ kind: 'failed', detail: 'empty argv', stdout: '', stderr: '', durationMs: 0 });
      return;
    }
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    let settled = false;
    const child = spawn(program, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const append = (current: string, chunk: string): string => (current.length >= OUTPUT_BYTES_MAX ? current : current + chunk).slice(0, OUTPUT_BYTES_MAX);
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout = append(stdout, chunk)));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr = append(stderr, chunk)));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    let aborted = false;
    const onAbort = (): void => {
      aborted = true;
      child.kill('SIGKILL');
    };
    if (options.signal?.aborted) onAbort();
    else options.signal?.addEventListener('abort', onAbort, { once: true });
    const finish = (outcome: CommandOutcome): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      resolvePromise(outcome);
    };
    child.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT' || error.code === 'EACCES') finish({ kind: 'not-installed', detail: `${program}: ${error.message}`, durationMs: elapsed() });
      else finish({ kind: 'failed', detail: `${program}: ${error.message}`, stdout, stderr, durationMs: elapsed() });
    });
    child.on('close', (code, signal) => {
      if (timedOut) finish({ kind: 'timeout', stdout, stderr, durationMs: elapsed() });
      else if (aborted) finish({ kind: 'failed', detail: 'aborted', stdout, stderr, durationMs: elapsed() });
      else if (code !== null) finish({ kind: 'exited', code, stdout, stderr, durationMs: elapsed() });
      else finish({ kind: 'failed', detail: `${program} died of ${signal ?? 'a signal'}`, stdout, stderr, durationMs: elapsed() });
    });
  });

/** `ip addr add …` → a short description of how a command ended, for result details. */
export function describeOutcome(argv: readonly string[], outcome: CommandOutcome): string {
  const command = argv.join(' ');
  switch (outcome.kind) {
    case 'exited':
      return `\`${command}\` exited with ${outcome.code}${outcome.stderr.trim() ? `: ${outcome.stderr.trim()}` : ''}`;
    case 'not-installed':
      return `\`${command}\`: not installed (${outcome.detail})`;
    case 'timeout':
      return `\`${command}\` timed out after ${Math.round(outcome.durationMs)} ms`;
    case 'failed':
      return `\`${command}\` failed: ${outcome.detail}`;
  }
}

/** Combined output of a command, for `outputTail`. */
export function outcomeOutput(outcome: CommandOutcome): string {
  return outcome.kind === 'not-installed' ? outcome.detail : `${outcome.stdout}${outcome.stderr}`;
}
