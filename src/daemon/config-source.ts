/**
 * Where tandemd reads its cluster from: tandem's own YAML, or heartbeat's /etc/ha.d (ha.cf, haresources,
 * authkeys) read with heartbeat's semantics, so a heartbeat cluster can be switched over on its own files.
 *
 * Invariants:
 *   1. The choice is made once at start-up and kept for every reload: a SIGHUP re-reads the same source.
 *   2. Without --config or --ha-d, tandem's YAML is used when it exists, else /etc/ha.d when it has an ha.cf,
 *      else the YAML (whose absence is then the error the admin sees).
 *   3. Directory overrides (--state-dir, --runtime-dir) apply to every load, so a reload never moves them.
 */
import { existsSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { loadHadir } from '../config/hadir/load.js';
import { loadConfig } from '../config/load.js';
import type { ClusterConfig, ConfigIssue, KeyRing } from '../config/model.js';

export const DEFAULT_CONFIG_FILE = '/etc/tandem/tandem.yaml';
export const DEFAULT_HA_DIR = '/etc/ha.d';

export type ConfigSource =
  | { readonly kind: 'yaml'; readonly file: string }
  | { readonly kind: 'ha.d'; readonly dir: string };

export interface LoadedConfig {
  readonly config?: ClusterConfig;
  readonly ring?: KeyRing;
  readonly issues: readonly ConfigIssue[];
}

export interface SourceOverrides {
  /** This node's name: for an ha.d it is also the host whose addresses are derived (heartbeat's uname -n). */
  readonly hostName: string;
  readonly stateDir?: string;
  readonly runtimeDir?: string;
}

/** The source the flags name, or the default of invariant 2. `exists` is injected for tests. */
export function chooseConfigSource(
  flags: { readonly config?: string; readonly haDir?: string },
  exists: (path: string) => boolean = existsSync,
): ConfigSource | { readonly error: string } {
  if (flags.config !== undefined && flags.haDir !== undefined) return { error: '--config and --ha-d exclude each other: pass one' };
  if (flags.config !== undefined) return { kind: 'yaml', file: flags.config };
  if (flags.haDir !== undefined) return { kind: 'ha.d', dir: flags.haDir };
  if (!exists(DEFAULT_CONFIG_FILE) && exists(join(DEFAULT_HA_DIR, 'ha.cf'))) return { kind: 'ha.d', dir: DEFAULT_HA_DIR };
  return { kind: 'yaml', file: DEFAULT_CONFIG_FILE };
}

/** For messages: the file or directory read. */
export function describeSource(source: ConfigSource): string {
  return source.kind === 'yaml' ? source.file : source.dir;
}

export async function loadConfigSource(source: ConfigSource, overrides: SourceOverrides): Promise<LoadedConfig> {
  let loaded: LoadedConfig;
  if (source.kind === 'yaml') {
    loaded = await loadConfig(source.file, { checkAgents: true });
  } else {
    const { config, keyRing, issues } = loadHadir(source.dir, { hostName: overrides.hostName, interfaces: networkInterfaces() });
    loaded = { issues, ...(config !== undefined ? { config } : {}), ...(keyRing !== undefined ? { ring: keyRing } : {}) };
  }
  if (loaded.config === undefined) return loaded;
  const config: ClusterConfig = {
    ...loaded.config,
    stateDir: overrides.stateDir ?? loaded.config.stateDir,
    runtimeDir: overrides.runtimeDir ?? loaded.config.runtimeDir,
  };
  return { ...loaded, config };
}
