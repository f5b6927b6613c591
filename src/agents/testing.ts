/**
 * Test support for the agent tests (imported by `*.test.ts` only): finds the repository and its fixtures without
 * relying on the working directory, makes temp dirs, and checks processes.
 *
 * Invariants:
 *   1. `repoRoot` walks up from this compiled file to the first directory holding a package.json. When the build
 *      lives outside the repository (`tsc --outDir /tmp/…`), it follows this file's source map back to the .ts
 *      source and walks up from there instead.
 *   2. Nothing here is used by the daemon.
 */
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isLive, readProcStat } from './proc.js';

/** How long `waitUntil` polls by default. */
export const TEST_WAIT_MS_MAX = 3000;

let cachedRoot: string | undefined;
const tempDirs = new Set<string>();
const trackedPids = new Set<number>();

/** The repository root: the nearest ancestor with a package.json (see invariant 1). */
export function repoRoot(): string {
  if (cachedRoot !== undefined) return cachedRoot;
  const here = fileURLToPath(import.meta.url);
  const found = packageDirAbove(dirname(here)) ?? packageDirAbove(dirname(sourceOf(here)));
  if (found === undefined) throw new Error(`Cannot find the repository root as no package.json is above ${here} or its source`);
  cachedRoot = found;
  return found;
}

/** A path under `test/agents/`. */
export function fixturePath(...parts: string[]): string {
  return join(repoRoot(), 'test', 'agents', ...parts);
}

/** A fresh directory under the system temp dir, removed by `cleanUp`. */
export async function makeTempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `tandem-agents-test-${prefix}-`));
  tempDirs.add(dir);
  return dir;
}

/** Remembers a pid that `cleanUp` must SIGKILL if it is still alive (a test that failed half-way). */
export function trackPid(pid: number): number {
  trackedPids.add(pid);
  return pid;
}

/** Kills the tracked processes that are left and removes the temp dirs; for `after(cleanUp)` in each test file. */
export async function cleanUp(): Promise<void> {
  for (const pid of trackedPids) killIfAlive(pid);
  trackedPids.clear();
  for (const dir of tempDirs) await rm(dir, { recursive: true, force: true });
  tempDirs.clear();
}

/** True while `pid` names a live (non-zombie) process. */
export function isProcessAlive(pid: number): boolean {
  return isLive(readProcStat(pid));
}

/** Polls `condition` every 10 ms until it holds or `timeoutMs` passes; returns its last value. */
export async function waitUntil(condition: () => boolean, timeoutMs: number = TEST_WAIT_MS_MAX): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) return false;
    await new Promise((done) => setTimeout(done, 10));
  }
  return true;
}

/** Sends SIGKILL to `pid` if it still exists (cleanup after a test). */
export function killIfAlive(pid: number): void {
  if (!isProcessAlive(pid)) return;
  try {
    process.kill(pid, 'SIGKILL');
  } catch (error) {
    // It may have exited between the check and the kill; anything else is a real problem.
    if ((error as { code?: unknown }).code !== 'ESRCH') throw error;
  }
}

function packageDirAbove(start: string): string | undefined {
  for (let dir = start; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) return undefined;
  }
}

function sourceOf(compiledFile: string): string {
  const mapFile = `${compiledFile}.map`;
  if (!existsSync(mapFile)) return compiledFile;
  const map = JSON.parse(readFileSync(mapFile, 'utf8')) as { sourceRoot?: string; sources?: string[] };
  const source = map.sources?.[0];
  return source === undefined ? compiledFile : resolve(dirname(mapFile), map.sourceRoot ?? '', source);
}
