/**
 * The one part of the ha.d import that touches the file system: reads ha.cf, haresources and authkeys from a
 * directory, stats authkeys for its mode, and looks the haresources scripts up; everything else is import.ts.
 *
 * Invariants:
 *   1. Never throws for an operating condition: an unreadable file is an issue (TND_E_CONFIG_READ, or
 *      TND_E_KEYS_READ for authkeys), and nothing is imported then.
 *   2. Scripts are looked up as heartbeat's ResourceManager did: `DIR/resource.d`, then /etc/init.d (and
 *      /etc/rc.d/init.d); the first executable regular file wins. For a DIR other than /etc/ha.d, the installed
 *      /etc/ha.d/resource.d comes right after DIR/resource.d, so a copy of a cluster's files elsewhere still finds
 *      Debian's IPaddr, Filesystem… (heartbeat itself knew only /etc/ha.d).
 */
import { accessSync, constants, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { ConfigIssue } from '../model.js';
import { hadirToClusterConfig, type HadirFiles, type HadirImport, type HadirImportOptions } from './import.js';

export interface LoadHadirOptions extends Omit<HadirImportOptions, 'resolveScript' | 'authkeysMode' | 'paths' | 'scriptDirs'> {
  /** Script search path; default DIR/resource.d, /etc/init.d, /etc/rc.d/init.d. */
  readonly scriptDirs?: readonly string[];
}

/** Where the haresources scripts of an ha.d directory are looked up, in order (invariant 2). */
export function hadirScriptDirs(dir: string): string[] {
  const own = join(dir, 'resource.d');
  const installed = '/etc/ha.d/resource.d';
  return [own, ...(own === installed ? [] : [installed]), '/etc/init.d', '/etc/rc.d/init.d'];
}

/** The import, with the files' texts (when all three were read) and paths, for tools that show or convert them. */
export type LoadedHadir = Omit<HadirImport, 'hacf' | 'haresources'> &
  Partial<Pick<HadirImport, 'hacf' | 'haresources'>> & { readonly files?: HadirFiles; readonly paths: Readonly<Record<keyof HadirFiles, string>> };

/**
 * @example
 * const { config, keyRing, issues } = loadHadir('/etc/ha.d', { hostName: os.hostname(), interfaces: os.networkInterfaces() });
 */
export function loadHadir(dir: string, options: LoadHadirOptions = {}): LoadedHadir {
  const paths: Record<keyof HadirFiles, string> = { haCf: join(dir, 'ha.cf'), haresources: join(dir, 'haresources'), authkeys: join(dir, 'authkeys') };
  const issues: ConfigIssue[] = [];
  const texts: Partial<Record<keyof HadirFiles, string>> = {};
  let authkeysMode: number | undefined;
  for (const key of ['haCf', 'haresources', 'authkeys'] as const) {
    try {
      const info = statSync(paths[key]);
      if (!info.isFile()) throw Object.assign(new Error('not a regular file'), { code: 'EISDIR' });
      if (key === 'authkeys') authkeysMode = info.mode & 0o7777;
      texts[key] = readFileSync(paths[key], 'utf8');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'it is not a regular file' : String((error as Error).message);
      issues.push({ severity: 'error', code: key === 'authkeys' ? 'TND_E_KEYS_READ' : 'TND_E_CONFIG_READ', file: paths[key], line: 0, column: 0, path: '', message: `cannot read ${paths[key]}: ${why}` });
    }
  }
  if (texts.haCf === undefined || texts.haresources === undefined || texts.authkeys === undefined) return { issues, paths };
  const scriptDirs = options.scriptDirs ?? hadirScriptDirs(dir);
  const resolveScript = (script: string): string | undefined => {
    for (const scriptDir of scriptDirs) {
      const path = join(scriptDir, script);
      try {
        if (!statSync(path).isFile()) continue;
        accessSync(path, constants.X_OK);
        return path;
      } catch {
        // Absent or not executable here: ResourceManager moves on to the next directory.
      }
    }
    return undefined;
  };
  const files: HadirFiles = { haCf: texts.haCf, haresources: texts.haresources, authkeys: texts.authkeys };
  return { ...hadirToClusterConfig(files, { ...options, paths, scriptDirs, resolveScript, ...(authkeysMode !== undefined ? { authkeysMode } : {}) }), files, paths };
}
