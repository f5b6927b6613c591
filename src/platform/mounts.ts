/**
 * Mount state, read from the kernel: `/proc/<pid>/mountinfo` parsing, and which processes hold a mount.
 *
 * Holders are found by walking /proc ourselves rather than with `fuser -km`: `fuser -m` matches by device
 * number, so on a bind mount (same device as its source filesystem, often `/`) it would kill every process
 * with any file open on the root filesystem, the daemon included. Here a process holds the mount when
 *   - one of its open files was opened through it (`mnt_id:` in /proc/PID/fdinfo/N equals the mount's id:
 *     exact, bind mounts included, whatever the path), or
 *   - its cwd or root is inside it, or a file mapped into its memory is (paths compared in the mount
 *     namespace the caller names; processes of other mount namespaces are skipped for these path checks, as
 *     their paths mean something else).
 *
 * Invariants:
 *   1. `parseMountinfo` is pure and total: a malformed line is skipped, never thrown on.
 *   2. The walk reads only /proc; it never signals anything. `signalHolders` never signals the calling
 *      process itself.
 *   3. Processes that vanish during the walk are skipped.
 */
import { readdir, readFile, readlink } from 'node:fs/promises';

export interface MountEntry {
  readonly mountId: number;
  readonly parentId: number;
  /** `major:minor` of the filesystem. */
  readonly device: string;
  /** The path inside the filesystem that is mounted (not `/` for bind mounts of a subdirectory). */
  readonly root: string;
  readonly mountPoint: string;
  readonly options: string;
  readonly fstype: string;
  /** The mount source: a device path, `server:/export`, or any name (`tmpfs`). */
  readonly source: string;
  readonly superOptions: string;
}

/** Undoes the kernel's octal escapes for space, tab, newline and backslash (`\040` etc.). */
export function unescapeMountField(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
}

/** Parses /proc/PID/mountinfo (proc(5)); order is kept, so the last entry for a mount point is the one on top. */
export function parseMountinfo(text: string): MountEntry[] {
  const out: MountEntry[] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const fields = line.split(' ');
    const separator = fields.indexOf('-', 6);
    if (separator < 0 || fields.length < separator + 4) continue;
    const [mountId, parentId, device, root, mountPoint, options] = fields as [string, string, string, string, string, string];
    if (!/^\d+$/.test(mountId) || !/^\d+$/.test(parentId)) continue;
    out.push({
      mountId: Number(mountId),
      parentId: Number(parentId),
      device,
      root: unescapeMountField(root),
      mountPoint: unescapeMountField(mountPoint),
      options,
      fstype: fields[separator + 1] ?? '',
      source: unescapeMountField(fields[separator + 2] ?? ''),
      superOptions: fields[separator + 3] ?? '',
    });
  }
  return out;
}

/** The mount on top at that mount point (the last one listed), if any. */
export function topMountAt(entries: readonly MountEntry[], mountPoint: string): MountEntry | undefined {
  for (let i = entries.length - 1; i >= 0; i--) {
    const entry = entries[i];
    if (entry !== undefined && entry.mountPoint === mountPoint) return entry;
  }
  return undefined;
}

/** Whether `path` is `directory` or below it (path-component boundary: /mnt/a is not under /mnt/ab). */
export function isUnder(path: string, directory: string): boolean {
  if (directory === '/') return path.startsWith('/');
  return path === directory || path.startsWith(directory + '/');
}

export interface MountHolder {
  readonly pid: number;
  readonly command: string;
  /** What holds it: `fd 3`, `cwd`, `root`, `map /mnt/x/lib.so`. */
  readonly via: string;
}

async function optional<T>(work: Promise<T>): Promise<T | undefined> {
  try {
    return await work;
  } catch {
    return undefined; // the process exited or the entry vanished: not a holder
  }
}

/**
 * Processes holding the mount: open files by mount id, cwd/root/mapped files by path under mountPoint (for
 * processes in the mount namespace `mountNamespace`, e.g. `readlink /proc/self/ns/mnt`). Excludes `exclude`.
 */
export async function findMountHolders(target: { mountId: number; mountPoint: string; mountNamespace: string; exclude?: readonly number[] }, procRoot = '/proc'): Promise<MountHolder[]> {
  const holders: MountHolder[] = [];
  const entries = await readdir(procRoot);
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (target.exclude?.includes(pid)) continue;
    const base = `${procRoot}/${pid}`;
    const via = await holdingVia(base, target);
    if (via === undefined) continue;
    const command = ((await optional(readFile(`${base}/comm`, 'utf8'))) ?? '?').trim();
    holders.push({ pid, command, via });
  }
  return holders;
}

async function holdingVia(base: string, target: { mountId: number; mountPoint: string; mountNamespace: string }): Promise<string | undefined> {
  const fds = (await optional(readdir(`${base}/fdinfo`))) ?? [];
  for (const fd of fds) {
    const info = await optional(readFile(`${base}/fdinfo/${fd}`, 'utf8'));
    const match = info === undefined ? null : /^mnt_id:\s*(\d+)$/m.exec(info);
    if (match && Number(match[1]) === target.mountId) return `fd ${fd}`;
  }
  const namespace = await optional(readlink(`${base}/ns/mnt`));
  if (namespace !== target.mountNamespace) return undefined;
  for (const link of ['cwd', 'root'] as const) {
    const path = await optional(readlink(`${base}/${link}`));
    if (path !== undefined && isUnder(path, target.mountPoint)) return link;
  }
  const maps = (await optional(readFile(`${base}/maps`, 'utf8'))) ?? '';
  for (const line of maps.split('\n')) {
    const at = line.indexOf('/');
    if (at < 0) continue;
    const path = line.slice(at).replace(/ \(deleted\)$/, '');
    if (isUnder(path, target.mountPoint)) return `map ${path}`;
  }
  return undefined;
}

/** Sends the signal to each holder except the calling process; returns the pids signalled. */
export function signalHolders(holders: readonly MountHolder[], signal: NodeJS.Signals): number[] {
  const signalled: number[] = [];
  for (const holder of holders) {
    if (holder.pid === process.pid) continue;
    try {
      process.kill(holder.pid, signal);
      signalled.push(holder.pid);
    } catch {
      // ESRCH: it exited meanwhile, which is what we wanted
    }
  }
  return signalled;
}
