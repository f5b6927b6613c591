/**
 * `tandem config import DIR`: heartbeat's /etc/ha.d → the tandem YAML for the same cluster (config/hadir/export-yaml.ts),
 * on standard output or in `--out FILE`, and with `--write-keys` the key file derived from authkeys.
 *
 * Invariants:
 *   1. The key file's secret never goes to standard output or standard error (authkeys' messages are printed with
 *      what they quote left out): it is written only with
 *      `--write-keys`, to the path `key_file` names (resolved as tandem resolves it: against the YAML's directory),
 *      mode 0600, and never over a key file that holds something else.
 *   2. Nothing is written when the ha.d has an error; every issue goes to standard error as `config check` prints it.
 *   3. The YAML is read back before anything is written: it must give the imported config's digest, or the command
 *      fails (a bug in the exporter, never a cluster that silently differs).
 */
import { readFileSync, writeFileSync, chmodSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { configDigest } from '../config/digest.js';
import { hadirKeyFileText, hadirToYaml } from '../config/hadir/export-yaml.js';
import type { HostInterfaceAddress } from '../config/hadir/import.js';
import { redactAuthkeysMessage } from '../config/hadir/authkeys.js';
import { loadHadir } from '../config/hadir/load.js';
import { formatIssue } from '../config/model.js';
import { parseTandemConfig } from '../config/tandem/parse.js';

export const IMPORT_USAGE =
  'config import DIR [--out FILE] [--key-file PATH] [--write-keys] [--node NAME] [--address NODE:IFACE=ADDRESS]… [--broadcast IFACE=ADDRESS]…';

/** Where the YAML's key_file points when --key-file is not given: tandem's usual place. */
const DEFAULT_KEY_FILE = '/etc/tandem/keys';

export interface ConfigImportRequest {
  readonly dir: string;
  readonly out?: string;
  /** As the YAML should name it; relative = next to the YAML. */
  readonly keyFile?: string;
  readonly writeKeys: boolean;
  /** The node to import as (default: this host's name); this host's interfaces are used only when it is this host. */
  readonly node?: string;
  /** `NODE:IFACE=ADDRESS`: addresses ha.cf cannot tell. */
  readonly addresses: readonly string[];
  /** `IFACE=ADDRESS`: broadcast addresses when this host's netmask on IFACE is not known. */
  readonly broadcasts: readonly string[];
  readonly json: boolean;
}

export interface ImportHost {
  readonly hostName: string;
  readonly interfaces: Readonly<Record<string, readonly HostInterfaceAddress[] | undefined>>;
  /** Resolves a relative --out / key file path (the working directory). */
  readonly cwd: string;
}

export interface ImportIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
}

/** A problem the command reports and exits 1 for (a file it may not write), as opposed to a usage error. */
export class ImportWriteError extends Error {
  override readonly name = 'ImportWriteError';
}

/** The YAML read back is not the imported cluster: a bug in the exporter (invariant 3). */
export class ImportRoundTripError extends Error {
  override readonly name = 'ImportRoundTripError';
}

/** Exit code: 0 written, 1 problem (errors in the ha.d, a file that cannot be written), 2 usage. */
export function runConfigImport(request: ConfigImportRequest, io: ImportIo, host: ImportHost): number {
  const addresses = parseAddresses(request.addresses);
  const broadcasts = parseBroadcasts(request.broadcasts);
  if (typeof addresses === 'string' || typeof broadcasts === 'string') {
    io.err(`tandem: ${typeof addresses === 'string' ? addresses : broadcasts}\ntandem: usage: tandem ${IMPORT_USAGE}\n`);
    return 2;
  }
  const keyFile = request.keyFile ?? DEFAULT_KEY_FILE;
  const hostName = request.node ?? host.hostName;
  const loaded = loadHadir(request.dir, {
    hostName,
    // Another host's interfaces would only mislead: its addresses come from --address then.
    ...(hostName === host.hostName ? { interfaces: host.interfaces } : {}),
    addresses,
    broadcasts,
    keyFile,
  });
  const errors = loaded.issues.filter((issue) => issue.severity === 'error');
  // authkeys' messages may quote a key: left out here as in the YAML (invariant 1).
  const issues = loaded.issues.map((issue) => (issue.file === loaded.paths.authkeys ? { ...issue, message: redactAuthkeysMessage(issue.message) } : issue));
  if (!request.json) for (const issue of issues) io.err(`${formatIssue(issue)}\n`);
  const { config, keyRing, hacf, haresources, files } = loaded;
  if (errors.length > 0 || config === undefined || keyRing === undefined || hacf === undefined || haresources === undefined || files === undefined) {
    if (request.json) io.out(`${JSON.stringify({ dir: request.dir, ok: false, issues }, null, 2)}\n`);
    else io.err(`${request.dir}: ${errors.length} error(s), ${issues.length - errors.length} warning(s); nothing written\n`);
    return 1;
  }

  const yaml = hadirToYaml({ files, paths: loaded.paths, hacf, haresources, config, issues: loaded.issues, keyFile });
  const outPath = request.out !== undefined ? resolve(host.cwd, request.out) : undefined;
  checkRoundTrip(yaml, configDigest(config), outPath ?? join(host.cwd, 'tandem.yaml'));
  // tandem resolves a relative key_file against the YAML's directory (the working directory for standard output).
  const keyPath = isAbsolute(keyFile) ? keyFile : join(outPath !== undefined ? dirname(outPath) : host.cwd, keyFile);

  let keys: 'written' | 'unchanged' | 'not written' = 'not written';
  try {
    if (request.writeKeys) keys = writeKeyFile(keyPath, hadirKeyFileText({ files, paths: loaded.paths, keyRing }));
    // The device passwords of fencing are in the YAML, as they were in ha.cf: then only root may read it.
    if (outPath !== undefined) writeFile(outPath, yaml, config.fencing !== undefined ? 0o600 : 0o644);
  } catch (error) {
    if (!(error instanceof ImportWriteError)) throw error;
    io.err(`tandem: ${error.message}\n`);
    return 1;
  }

  if (request.json) {
    io.out(`${JSON.stringify({ dir: request.dir, ok: true, issues, ...(outPath !== undefined ? { out: outPath } : { yaml }), keyFile: keyPath, keys }, null, 2)}\n`);
  } else {
    if (outPath === undefined) io.out(yaml);
    else io.err(`tandem: wrote ${outPath} (config digest ${configDigest(config)})\n`);
    if (keys === 'written') io.err(`tandem: wrote the key file ${keyPath} (mode 0600)\n`);
    else if (keys === 'unchanged') io.err(`tandem: the key file ${keyPath} already holds these keys\n`);
    else io.err(`tandem: the key file ${keyPath} was not written (it holds the cluster's secret): run again with --write-keys to write it, mode 0600; every node that imports this authkeys derives the same key\n`);
  }
  return 0;
}

/** `NODE:IFACE=ADDRESS`… → node → interface → address, or what is wrong. */
function parseAddresses(specs: readonly string[]): Record<string, Record<string, string>> | string {
  const out: Record<string, Record<string, string>> = {};
  for (const spec of specs) {
    const match = /^([^:=\s]+):([^=\s]+)=(\S+)$/.exec(spec);
    if (match === null) return `--address takes NODE:IFACE=ADDRESS (such as ha2:eth1=10.0.0.2): current value is ${JSON.stringify(spec)}`;
    const [, node = '', iface = '', address = ''] = match;
    (out[node.toLowerCase()] ??= {})[iface] = address;
  }
  return out;
}

/** `IFACE=ADDRESS`… → interface → broadcast address, or what is wrong. */
function parseBroadcasts(specs: readonly string[]): Record<string, string> | string {
  const out: Record<string, string> = {};
  for (const spec of specs) {
    const match = /^([^=\s]+)=(\S+)$/.exec(spec);
    if (match === null) return `--broadcast takes IFACE=ADDRESS (such as eth1=10.0.0.255): current value is ${JSON.stringify(spec)}`;
    out[match[1] ?? ''] = match[2] ?? '';
  }
  return out;
}

/** Invariant 3. */
function checkRoundTrip(yaml: string, digest: string, fileName: string): void {
  const read = parseTandemConfig(yaml, fileName);
  const errors = read.issues.filter((issue) => issue.severity === 'error');
  if (read.config === undefined || errors.length > 0) {
    throw new ImportRoundTripError(`the YAML written for this ha.d does not load: ${errors.map(formatIssue).join('; ')}`);
  }
  if (configDigest(read.config) !== digest) throw new ImportRoundTripError(`the YAML written for this ha.d has config digest ${configDigest(read.config)}, not the import's ${digest}`);
}

/** Writes the key file, mode 0600 from its creation; an existing one is left alone unless it already holds `text`. */
function writeKeyFile(path: string, text: string): 'written' | 'unchanged' {
  try {
    writeFileSync(path, text, { mode: 0o600, flag: 'wx' });
    return 'written';
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EEXIST') throw new ImportWriteError(`cannot write the key file ${path}: ${describe(error)}`);
  }
  let existing: string;
  try {
    existing = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ImportWriteError(`the key file ${path} exists and cannot be read: ${describe(error)}`);
  }
  if (existing !== text) throw new ImportWriteError(`the key file ${path} exists and holds other keys: it is left as it is (remove it, or name another with --key-file)`);
  return 'unchanged';
}

function writeFile(path: string, text: string, mode: number): void {
  try {
    writeFileSync(path, text, { mode });
    chmodSync(path, mode); // an existing file keeps its mode through writeFileSync
  } catch (error) {
    throw new ImportWriteError(`cannot write ${path}: ${describe(error)}`);
  }
}

function describe(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'no such directory';
  if (code === 'EACCES') return 'permission denied';
  return error instanceof Error ? error.message : String(error);
}
