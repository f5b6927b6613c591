/**
 * `npm run sim -- --seed N [--trace]`: replay one seed (the knobs are printed first).
 * `npm run sim -- --seeds A..B [--keep-going]`: run a range (with --keep-going, every failing seed is listed, one
 * line each, instead of stopping at the first). `npm run soak` (`--soak`): random seeds until Ctrl-C.
 * Options `--nodes`, `--links`, `--ms`, `--mode` fix what the seed would otherwise draw; `--broken KIND` runs a
 * deliberately broken variant. Exits non-zero on the first failure. A range and the soak print, per protection mode,
 * the seeds run, the simulated hours, the failures and what the protection did (fencings, watchdog resets, quorum
 * losses, split-brain time).
 */
import { randomInt } from 'node:crypto';
import { describeKnobs, PROTECTION_MODES, type ProtectionMode } from './knobs.js';
import { knobsFor, ModeTallies, runSeed, type RunOptions } from './run.js';
import { BROKEN_VARIANTS, type BrokenVariant } from './world.js';

function main(argv: readonly string[]): number {
  const args = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (!arg.startsWith('--')) return usage(`unexpected argument ${arg}`);
    const next = argv[i + 1];
    if (arg === '--trace' || arg === '--soak' || arg === '--keep-going') args.set(arg, 'true');
    else if (next === undefined) return usage(`${arg} needs a value`);
    else args.set(arg, next), i++;
  }
  const options: { -readonly [K in keyof RunOptions]: RunOptions[K] } = {};
  for (const [flag, key] of [['--nodes', 'nodes'], ['--links', 'links'], ['--ms', 'simulatedMs']] as const) {
    const value = args.get(flag);
    if (value === undefined) continue;
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1) return usage(`${flag} must be a positive integer: ${value}`);
    options[key] = n;
  }
  const mode = args.get('--mode');
  if (mode !== undefined) {
    if (!(PROTECTION_MODES as readonly string[]).includes(mode)) return usage(`--mode must be one of ${PROTECTION_MODES.join(', ')}`);
    options.mode = mode as ProtectionMode;
  }
  const broken = args.get('--broken');
  if (broken !== undefined) {
    if (!(BROKEN_VARIANTS as readonly string[]).includes(broken)) return usage(`--broken must be one of ${BROKEN_VARIANTS.join(', ')}`);
    options.broken = broken as BrokenVariant;
  }
  const seed = args.get('--seed');
  if (seed !== undefined) {
    const n = Number(seed);
    if (!Number.isInteger(n) || n < 0) return usage(`--seed must be a non-negative integer: ${seed}`);
    console.log(describeKnobs(knobsFor(n, options)));
    if (args.has('--trace')) options.trace = (line) => console.log(line);
    return report(n, options, true);
  }
  const range = args.get('--seeds');
  if (range !== undefined) {
    const match = /^(\d+)\.\.(\d+)$/.exec(range);
    if (!match) return usage(`--seeds must be A..B: ${range}`);
    const [from, to] = [Number(match[1]), Number(match[2])];
    const started = performance.now();
    const elapsed = (): string => `${((performance.now() - started) / 1000).toFixed(1)} s`;
    const tallies = new ModeTallies();
    if (args.has('--keep-going')) {
      const failed: string[] = [];
      for (let s = from; s <= to; s++) {
        const result = runSeed(s, options);
        tallies.add(s, result);
        if (result.ok) continue;
        failed.push(`${s}:${result.checker}`);
        console.log(`${result.failure.split('\n')[0]} [${result.mode}]\n  replay: ${result.replayCommand}`);
      }
      console.log(`${to - from + 1 - failed.length} of ${to - from + 1} seeds passed in ${elapsed()}, ${(tallies.simulatedMs / 3_600_000).toFixed(2)} simulated hours${failed.length > 0 ? `; failed (seed:checker): ${failed.join(' ')}` : ''}`);
      console.log(tallies.lines().join('\n'));
      return failed.length > 0 ? 1 : 0;
    }
    for (let s = from; s <= to; s++) {
      const result = runSeed(s, options);
      tallies.add(s, result);
      if (!result.ok) {
        console.error(result.failure);
        return 1;
      }
    }
    console.log(`${to - from + 1} seeds passed in ${elapsed()}, ${(tallies.simulatedMs / 3_600_000).toFixed(2)} simulated hours`);
    console.log(tallies.lines().join('\n'));
    return 0;
  }
  if (args.has('--soak')) {
    soak(options);
    return -1;
  }
  return usage('give --seed N, --seeds A..B or --soak');
}

function report(seed: number, options: RunOptions, verbose: boolean): number {
  const result = runSeed(seed, options);
  if (!result.ok) {
    console.error(result.failure);
    return 1;
  }
  if (verbose) console.log(`seed ${seed} passed: ${JSON.stringify(result.stats)}`);
  return 0;
}

/**
 * Random seeds in batches, yielding between batches so Ctrl-C is heard; a status line every few seconds. A failing
 * seed is printed with its replay command and the soak goes on (it runs until Ctrl-C, then exits non-zero if any
 * seed failed).
 */
function soak(options: RunOptions): void {
  const started = performance.now();
  let seeds = 0;
  const tallies = new ModeTallies();
  const failed: string[] = [];
  let lastReport = started;
  let lastModes = started;
  const status = (modes: boolean): string => {
    const seconds = (performance.now() - started) / 1000;
    const failures = failed.length === 0 ? 'none failed' : `${failed.length} failed (seed:checker): ${failed.slice(-20).join(' ')}`;
    const line = `${seeds} seeds in ${seconds.toFixed(0)} s: ${(seeds / seconds).toFixed(1)} seeds/s, ${(tallies.simulatedMs / 3_600_000).toFixed(2)} simulated hours; ${failures}`;
    return modes ? [line, ...tallies.lines()].join('\n') : line;
  };
  process.on('SIGINT', () => {
    console.log(`\nstopped: ${status(true)}`);
    process.exit(failed.length > 0 ? 1 : 0);
  });
  const batch = (): void => {
    for (let i = 0; i < 5; i++) {
      const seed = randomInt(0, 2 ** 31);
      const result = runSeed(seed, options);
      seeds += 1;
      tallies.add(seed, result);
      if (!result.ok) {
        console.error(result.failure);
        failed.push(`${seed}:${result.checker}`);
      }
    }
    if (performance.now() - lastReport > 5000) {
      lastReport = performance.now();
      // Every minute, the per-mode counts too.
      const modes = performance.now() - lastModes > 60_000;
      if (modes) lastModes = performance.now();
      console.log(status(modes));
    }
    setImmediate(batch);
  };
  console.log('soak: random seeds until Ctrl-C');
  batch();
}

function usage(problem: string): number {
  console.error(`${problem}\nusage: sim --seed N [--trace] | --seeds A..B [--keep-going] | --soak  [--nodes N] [--links N] [--ms N] [--mode ${PROTECTION_MODES.join('|')}] [--broken ${BROKEN_VARIANTS.join('|')}]`);
  return 2;
}

const code = main(process.argv.slice(2));
if (code >= 0) process.exitCode = code;
