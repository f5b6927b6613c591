/**
 * One simulator run per seed: draw the knobs, build the world, run it, and turn a broken invariant into a report
 * that carries the seed and the one command that replays it.
 */
import { SeededRandom } from '../lib/random.js';
import { SimFailure } from './checkers.js';
import { describeKnobs, drawKnobs, PROTECTION_MODES, type KnobOverrides, type ProtectionMode, type SimKnobs } from './knobs.js';
import { World, type BrokenVariant, type SimStats } from './world.js';

export interface RunOptions extends KnobOverrides {
  /** Run a deliberately broken variant (to prove the checkers bite). */
  readonly broken?: BrokenVariant;
  /** Receives one line per event, fault and decision when set. */
  readonly trace?: (line: string) => void;
}

export type RunResult =
  | { readonly ok: true; readonly stats: SimStats; readonly mode: ProtectionMode }
  | { readonly ok: false; readonly failure: string; readonly replayCommand: string; readonly checker: string; readonly mode: ProtectionMode; readonly simulatedMs: number };

/**
 * Some broken variants need a protection to break: no-fence-wait runs in mode `fencing` (fence devices in the world)
 * and no-quorum-stop in mode `quorum` with policy stop, unless told otherwise; never-yield runs in mode `heartbeat`
 * (a split brain, which only a protection without fencing or watchdog allows, is what it needs to be caught).
 */
export function knobsFor(seed: number, options: KnobOverrides & { readonly broken?: BrokenVariant }): SimKnobs {
  const forced: Partial<Record<BrokenVariant, ProtectionMode>> = { 'no-fence-wait': 'fencing', 'no-quorum-stop': 'quorum', 'never-yield': 'heartbeat' };
  const mode = options.mode ?? (options.broken === undefined ? undefined : forced[options.broken]);
  const noQuorum = options.broken === 'no-quorum-stop' ? 'stop' : undefined;
  return drawKnobs(seed, new SeededRandom(seed), { ...options, ...(mode === undefined ? {} : { mode }), ...(noQuorum === undefined ? {} : { noQuorum }) });
}

export function replayCommand(seed: number, options: RunOptions): string {
  const parts = ['npm run sim --', '--seed', String(seed)];
  if (options.nodes !== undefined) parts.push('--nodes', String(options.nodes));
  if (options.links !== undefined) parts.push('--links', String(options.links));
  if (options.simulatedMs !== undefined) parts.push('--ms', String(options.simulatedMs));
  if (options.mode !== undefined) parts.push('--mode', options.mode);
  if (options.broken !== undefined) parts.push('--broken', options.broken);
  return parts.join(' ');
}

export function runSeed(seed: number, options: RunOptions = {}): RunResult {
  const knobs = knobsFor(seed, options);
  try {
    const stats = new World(knobs, { ...(options.broken ? { broken: options.broken } : {}), ...(options.trace ? { trace: options.trace } : {}) }).run();
    return { ok: true, stats, mode: knobs.protection.mode };
  } catch (error) {
    // Only the checkers' verdicts are results; an assertion inside the core or codec is a failure of the run too,
    // reported the same way so that the seed replays it.
    const command = replayCommand(seed, options);
    const checker = error instanceof SimFailure ? error.checker : 'crash';
    const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    const failure = `seed ${seed} failed: ${message}\n${describeKnobs(knobs)}\nreplay: ${command}`;
    return { ok: false, failure, replayCommand: command, checker, mode: knobs.protection.mode, simulatedMs: error instanceof SimFailure ? error.atMs : 0 };
  }
}

interface ModeTally {
  seeds: number;
  simulatedMs: number;
  failed: string[];
  fencingsRequested: number;
  fencingsSucceeded: number;
  fencingsFailed: number;
  watchdogResets: number;
  quorumLosses: number;
  powerLosses: number;
  splitBrainMs: number;
}

/** Per protection mode: seeds run, simulated time, failures (seed:checker) and what the protection did. */
export class ModeTallies {
  private readonly modes = new Map<ProtectionMode, ModeTally>();

  add(seed: number, result: RunResult): void {
    let tally = this.modes.get(result.mode);
    if (tally === undefined) {
      tally = { seeds: 0, simulatedMs: 0, failed: [], fencingsRequested: 0, fencingsSucceeded: 0, fencingsFailed: 0, watchdogResets: 0, quorumLosses: 0, powerLosses: 0, splitBrainMs: 0 };
      this.modes.set(result.mode, tally);
    }
    tally.seeds += 1;
    if (!result.ok) {
      tally.simulatedMs += result.simulatedMs;
      tally.failed.push(`${seed}:${result.checker}`);
      return;
    }
    const stats = result.stats;
    tally.simulatedMs += stats.simulatedMs;
    tally.fencingsRequested += stats.fencingsRequested;
    tally.fencingsSucceeded += stats.fencingsSucceeded;
    tally.fencingsFailed += stats.fencingsFailed;
    tally.watchdogResets += stats.watchdogResets;
    tally.quorumLosses += stats.quorumLosses;
    tally.powerLosses += stats.powerLosses;
    tally.splitBrainMs += stats.splitBrainMs;
  }

  get simulatedMs(): number {
    return [...this.modes.values()].reduce((sum, tally) => sum + tally.simulatedMs, 0);
  }

  lines(): string[] {
    return PROTECTION_MODES.flatMap((mode) => {
      const t = this.modes.get(mode);
      if (t === undefined) return [];
      const failed = t.failed.length === 0 ? 'none failed' : `${t.failed.length} failed (${t.failed.slice(-10).join(' ')})`;
      return [
        `  ${mode.padEnd(18)} ${String(t.seeds).padStart(5)} seeds, ${(t.simulatedMs / 3_600_000).toFixed(2)} h simulated, ${failed}; fencings ${t.fencingsRequested} (${t.fencingsSucceeded} ok, ${t.fencingsFailed} failed), watchdog resets ${t.watchdogResets}, power losses ${t.powerLosses}, quorum losses ${t.quorumLosses}, split brain ${(t.splitBrainMs / 1000).toFixed(1)} s`,
      ];
    });
  }
}
