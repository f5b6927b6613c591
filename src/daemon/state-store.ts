/**
 * Small durable state in the state directory: the boot generation and the last known membership.
 * Every write goes to a temporary file, is fsynced, and renamed over the old one, so a crash
 * leaves either the old or the new content, never half of it.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';

export const GENERATION_FILE = 'generation';
export const MEMBERSHIP_FILE = 'membership.json';
export const PEER_GENERATIONS_FILE = 'peer-generations.json';
/** Cluster attributes (standby flags, operator placements, cleanups), so a restart keeps them. */
export const ATTRIBUTES_FILE = 'attributes.json';

export class StateStoreError extends Error {
  override readonly name = 'StateStoreError';
  readonly code = 'TND_E_STATE';
}

export class StateStore {
  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  }

  /** Reads the last generation, stores it plus one, and returns the new one. */
  nextGeneration(): number {
    const text = this.read(GENERATION_FILE);
    const previous = text === undefined ? 0 : Number(text.trim());
    if (!Number.isInteger(previous) || previous < 0 || previous >= 0xffff_ffff) {
      throw new StateStoreError(`Cannot read ${join(this.dir, GENERATION_FILE)} as a generation number: current value is ${JSON.stringify(text)}`);
    }
    const next = previous + 1;
    this.write(GENERATION_FILE, `${next}\n`);
    return next;
  }

  readJson<T>(name: string): T | undefined {
    const text = this.read(name);
    if (text === undefined) return undefined;
    try {
      return JSON.parse(text) as T;
    } catch (error) {
      throw new StateStoreError(`Cannot parse ${join(this.dir, name)} as JSON: ${(error as Error).message}`, { cause: error });
    }
  }

  writeJson(name: string, value: unknown): void {
    this.write(name, JSON.stringify(value) + '\n');
  }

  private read(name: string): string | undefined {
    try {
      return readFileSync(join(this.dir, name), 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new StateStoreError(`Cannot read ${join(this.dir, name)}: ${(error as Error).message}`, { cause: error });
    }
  }

  private write(name: string, content: string): void {
    const path = join(this.dir, name);
    const temporary = `${path}.tmp`;
    const fd = openSync(temporary, 'w', 0o600);
    try {
      writeSync(fd, content);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temporary, path);
  }
}
