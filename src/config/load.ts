/**
 * Loads a config from disk: the config file, then its key file, with the key file's permissions checked, and on
 * request the resources' agents (see agent-check.ts).
 *
 * With agent-check.ts, the only module in `config/` that touches the file system. Parsing itself is delegated to the
 * pure front-ends.
 *
 * Invariants:
 *   1. Never throws for an operating condition: an unreadable file, a bad mode or bad contents are issues.
 *   2. `config` and `ring` are returned only when there is no error-severity issue in either file.
 *   3. The key file is checked even when the config has other errors (as long as `key_file` itself was readable),
 *      so one run reports everything.
 *   4. A key file that group or others may access in any way (mode & 0o077 ≠ 0) is refused, as heartbeat refuses an
 *      authkeys file that is not mode 600; its contents are then not parsed.
 */
import { readFile, stat } from 'node:fs/promises';
import { checkAgents, checkFenceAgents, type AgentCheckOptions } from './agent-check.js';
import { readTandemConfig } from './tandem/parse.js';
import { parseKeyFile } from './keys.js';
import type { ClusterConfig, ConfigIssue, KeyRing } from './model.js';

export interface LoadConfigOptions {
  /**
   * Also check every resource's agent: installed, and an OCF resource's parameters against its meta-data. This runs
   * each OCF agent's `meta-data`; `tandem config check` and the daemon ask for it. Only done once the config parses.
   */
  readonly checkAgents?: boolean;
  /** Where agents are looked up (defaults: where the agents look); for tests and unusual installs. */
  readonly agents?: AgentCheckOptions;
}

/**
 * Reads, parses and validates the config at `path` and the key file it names.
 *
 * @example
 * const { config, ring, issues } = await loadConfig('/etc/tandem/tandem.yaml', { checkAgents: true });
 * if (!config || !ring) { for (const i of issues) console.error(formatIssue(i)); process.exit(1); }
 */
export async function loadConfig(path: string, options: LoadConfigOptions = {}): Promise<{ config?: ClusterConfig; ring?: KeyRing; issues: ConfigIssue[] }> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    return { issues: [wholeFileIssue('TND_E_CONFIG_READ', path, `cannot read the config file: ${describeFsError(error)}`)] };
  }
  const read = readTandemConfig(text, path);
  const issues: ConfigIssue[] = [...read.issues];
  if (options.checkAgents === true && read.config !== undefined) {
    issues.push(...(await checkAgents(read.config, path, read.resources, options.agents)));
    issues.push(...(await checkFenceAgents(read.config, path, read.fenceDevices, options.agents)));
    issues.sort((a, b) => a.line - b.line || a.column - b.column);
  }
  let ring: KeyRing | undefined;
  if (read.keyFile !== undefined) {
    const keyFile = read.keyFile;
    const keys = await loadKeyFile(keyFile.value);
    if (keys.unreadable !== undefined) {
      issues.push({
        severity: 'error',
        code: 'TND_E_KEYS_READ',
        file: path,
        line: keyFile.at.line,
        column: keyFile.at.column,
        path: keyFile.path,
        message: `cannot read the key file ${keyFile.value}: ${keys.unreadable}`,
      });
    }
    issues.push(...keys.issues);
    ring = keys.ring;
  }
  const failed = issues.some((issue) => issue.severity === 'error');
  if (failed || read.config === undefined || ring === undefined) return { issues };
  return { config: read.config, ring, issues };
}

/**
 * Reads a key file, refuses it unless only its owner may access it, and parses it.
 * `unreadable` says why the file could not be read at all (the caller reports it where the path was written).
 */
export async function loadKeyFile(path: string): Promise<{ ring?: KeyRing; issues: ConfigIssue[]; unreadable?: string }> {
  let mode: number;
  let text: string;
  try {
    const info = await stat(path);
    if (!info.isFile()) return { issues: [], unreadable: 'it is not a regular file' };
    mode = info.mode & 0o7777;
    text = await readFile(path, 'utf8');
  } catch (error) {
    return { issues: [], unreadable: describeFsError(error) };
  }
  const modeIssue = checkKeyFileMode(path, mode);
  if (modeIssue !== undefined) return { issues: [modeIssue] };
  return parseKeyFile(text, path);
}

/** The refusal for a key file that group or others may access, or undefined when the mode is safe. Pure. */
export function checkKeyFileMode(path: string, mode: number): ConfigIssue | undefined {
  if ((mode & 0o077) === 0) return undefined;
  const octal = (mode & 0o7777).toString(8).padStart(4, '0');
  return wholeFileIssue(
    'TND_E_KEYS_MODE',
    path,
    `the key file ${path} has mode ${octal}, so group or others may access its secrets; refusing it (fix: chmod 600 ${path})`,
  );
}

function wholeFileIssue(code: 'TND_E_CONFIG_READ' | 'TND_E_KEYS_MODE', file: string, message: string): ConfigIssue {
  return { severity: 'error', code, file, line: 0, column: 0, path: '', message };
}

function describeFsError(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return 'no such file';
    if (code === 'EACCES') return 'permission denied';
    if (code === 'EISDIR') return 'it is a directory';
    return code !== undefined ? `${code}: ${error.message}` : error.message;
  }
  return String(error);
}
