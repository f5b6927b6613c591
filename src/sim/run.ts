/**
 * One simulator run per seed: draw the knobs, build the world, run it, and turn a broken invariant into a report
 * that carries the seed and the one command that replays it.
 */
import { SeededRandom } from '../lib/random.js';
import { SimFailure } from './checkers.js';
import { describeKnobs, drawKnobs, type KnobOverrides, type SimKnobs } from './knobs.js';
import { World, type BrokenVariant, type SimStats } from './world.js';

export interface RunOptions extends KnobOverrides {
  /** Run a deliberately broken variant (to prove the checkers bite). */
  readonly broken?: BrokenVariant;
  /** Receives one line per event, fault and decision when set. */
  readonly trace?: (line: string) => void;
}

export type RunResult =
  | { readonly ok: true; readonly stats: SimStats }
  | { readonly ok: false; readonly failure: string; readonly replayCommand: string; readonly checker: string };

export function knobsFor(seed: number, options: KnobOverrides): SimKnobs {
  return drawKnobs(seed, new SeededRandom(seed), options);
}

export function replayCommand(seed: number, options: RunOptions): string {
  const parts = ['npm run sim --', '--seed', String(seed)];
  if (options.nodes !== undefined) parts.push('--nodes', String(options.nodes));
  if (options.links !== undefined) parts.push('--links', String(options.links));
  if (options.simulatedMs !== undefined) parts.push('--ms', String(options.simulatedMs));
  if (options.broken !== undefined) parts.push('--broken', options.broken);
  return parts.join(' ');
}

export function runSeed(seed: number, options: RunOptions = {}): RunResult {
  const knobs = knobsFor(seed, options);
  try {
    const stats = new World(knobs, { ...(options.broken ? { broken: options.broken } : {}), ...(options.trace ? { trace: options.trace } : {}) }).run();
    return { ok: true, stats };
  } catch (error) {
    // Only the checkers' verdicts are results; an assertion inside the core or codec is a failure of the run too,
    // reported the same way so that the seed replays it.
    const command = replayCommand(seed, options);
    const checker = error instanceof SimFailure ? error.checker : 'crash';
    const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    const failure = `seed ${seed} failed: ${message}\n${describeKnobs(knobs)}\nreplay: ${command}`;
    return { ok: false, failure, replayCommand: command, checker };
  }
}
