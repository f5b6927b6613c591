/**
 * The built-in `filesystem` agent: a mount (block device, tmpfs, bind, NFS, ...) at a directory.
 *
 *   start    `mkdir -p DIR`, then `mount -t TYPE [-o OPTS] DEVICE DIR` (bind: `mount --bind [-o OPTS] SRC DIR`);
 *            already mounted there from that device → success; something else on top there → error.
 *   stop     `umount DIR`; while it fails, the processes holding the mount get SIGTERM, later SIGKILL
 *            (found by walking /proc, see platform/mounts.ts for why not `fuser -km`), and it is retried;
 *            not mounted → success.
 *   monitor  mounted there from that device (per /proc/self/mountinfo) → 0, else 7.
 *
 * Invariants:
 *   1. Idempotent start and stop; "mounted" is always judged from mountinfo, never from a command's text.
 *   2. Mounts live in a mount namespace: this agent reads the mountinfo of the process it runs in (the one
 *      whose `mount` children did the mounting), unless told otherwise.
 *   3. Never signals the calling process, and never unmounts a mount that is not this resource's.
 */
import { constants as fsConstants } from 'node:fs';
import { access, mkdir, readFile, readlink, realpath, stat } from 'node:fs/promises';
import { isAbsolute, normalize } from 'node:path';
import { type CommandOutcome, type CommandRunner, describeOutcome, outcomeOutput, runCommand } from '../platform/command.js';
import { findMountHolders, type MountEntry, type MountHolder, parseMountinfo, signalHolders, topMountAt } from '../platform/mounts.js';
import { type AgentAction, type AgentResult, OCF_RC, type OperationOptions, type ResourceAgent } from './types.js';
import { builtinResult, commandFailedParts, type ResultParts } from './builtin-result.js';

export interface FilesystemParams {
  /** `/dev/sdb1`, `UUID=…`, `LABEL=…`, `server:/export`, `tmpfs`, or the source directory of a bind mount. */
  readonly device: string;
  /** Absolute mount point; created if missing. */
  readonly directory: string;
  /** `ext4`, `xfs`, `tmpfs`, `nfs`, …, or `bind`. */
  readonly fstype: string;
  /** Passed to `mount -o` as is (`size=64m,mode=0755`, `ro`, …). */
  readonly options?: string;
}

export type ValidatedFilesystemParams = Required<FilesystemParams>;

/** Pause after each failed umount before the next try; holders are signalled before each pause. */
const UMOUNT_RETRY_DELAYS_MS = [100, 200, 300, 500, 800];
/** Attempts (counted from 0) from which holders get SIGKILL instead of SIGTERM. */
const UMOUNT_KILL_FROM_ATTEMPT = 2;

export function validateFilesystemParams(raw: Readonly<Record<string, unknown>>): { ok: true; params: ValidatedFilesystemParams } | { ok: false; message: string } {
  const { device, directory, fstype } = raw;
  const options = raw.options ?? '';
  if (typeof device !== 'string' || device.trim() === '' || /\s/.test(device)) {
    return { ok: false, message: `filesystem: 'device' must be a device, source or name without spaces: current value is ${JSON.stringify(device)}` };
  }
  if (typeof directory !== 'string' || !isAbsolute(directory) || normalize(directory) === '/' || directory.includes('\0')) {
    return { ok: false, message: `filesystem: 'directory' must be an absolute path other than /: current value is ${JSON.stringify(directory)}` };
  }
  if (typeof fstype !== 'string' || !/^[a-z0-9_.]+$/.test(fstype)) {
    return { ok: false, message: `filesystem: 'fstype' must be a filesystem type (ext4, tmpfs, nfs, bind, …): current value is ${JSON.stringify(fstype)}` };
  }
  if (typeof options !== 'string' || /\s/.test(options)) {
    return { ok: false, message: `filesystem: 'options' must be a comma-separated option list without spaces: current value is ${JSON.stringify(options)}` };
  }
  const trimmed = normalize(directory).replace(/\/+$/, '');
  return { ok: true, params: { device, directory: trimmed, fstype, options } };
}

export interface FilesystemDeps {
  /** Runs `mount` and `umount`. Default: `runCommand`. */
  readonly runner?: CommandRunner;
  /** Reads the mountinfo of the mount namespace the mounts live in. Default: /proc/self/mountinfo. */
  readonly readMountinfo?: () => Promise<string>;
  /** Finds the processes holding a mount. Default: `findMountHolders` over /proc. */
  readonly findHolders?: (mount: MountEntry) => Promise<MountHolder[]>;
  /** Signals holders. Default: `signalHolders`. */
  readonly signal?: (holders: readonly MountHolder[], signal: NodeJS.Signals) => number[];
  readonly sleep?: (ms: number) => Promise<void>;
  readonly now?: () => number;
}

async function realpathOr(path: string): Promise<string> {
  try {
    return await realpath(path);
  } catch {
    return path; // does not exist (yet): compare as written
  }
}

/** `UUID=x` → /dev/disk/by-uuid/x (and LABEL, PARTUUID, PARTLABEL), then symlinks resolved. */
async function canonicalDevice(device: string): Promise<string> {
  const tagged = /^(UUID|LABEL|PARTUUID|PARTLABEL)=(.+)$/.exec(device);
  const path = tagged ? `/dev/disk/by-${tagged[1]?.toLowerCase()}/${tagged[2]}` : device;
  if (!path.startsWith('/')) return path.replace(/\/+$/, '');
  return realpathOr(path);
}

type MountState = { readonly kind: 'mounted'; readonly entry: MountEntry } | { readonly kind: 'absent' } | { readonly kind: 'other'; readonly entry: MountEntry };

export class FilesystemAgent implements ResourceAgent {
  readonly describe: string;
  private readonly runner: CommandRunner;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(
    private readonly raw: Readonly<Record<string, unknown>>,
    private readonly deps: FilesystemDeps = {},
  ) {
    this.runner = deps.runner ?? runCommand;
    this.now = deps.now ?? (() => performance.now());
    this.sleep = deps.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    const text = (value: unknown): string => (typeof value === 'string' ? value : '?');
    this.describe = `filesystem:${text(raw.device)}@${text(raw.directory)}`;
  }

  async run(action: AgentAction, options: OperationOptions): Promise<AgentResult> {
    const started = this.now();
    const validated = validateFilesystemParams(this.raw);
    if (!validated.ok) return this.result(started, { rc: OCF_RC.ERR_CONFIGURED, detail: validated.message });
    const remaining = (): number => Math.max(1, Math.floor(started + options.timeoutMs - this.now()));
    const params = validated.params;
    try {
      switch (action) {
        case 'start':
          return await this.start(params, started, remaining);
        case 'stop':
          return await this.stop(params, started, remaining);
        case 'monitor':
          return await this.monitor(params, started);
      }
    } catch (error) {
      // Reading mountinfo or creating the directory failed: an operating error, reported as a result.
      return this.result(started, { rc: OCF_RC.ERR_GENERIC, detail: `filesystem ${action} ${params.directory}: ${error instanceof Error ? error.message : String(error)}` });
    }
  }

  /** Where this resource stands in the mount table. */
  async state(params: ValidatedFilesystemParams): Promise<MountState> {
    const text = await (this.deps.readMountinfo ?? (() => readFile('/proc/self/mountinfo', 'utf8')))();
    const directory = await realpathOr(params.directory);
    const entry = topMountAt(parseMountinfo(text), directory);
    if (entry === undefined) return { kind: 'absent' };
    if (params.fstype === 'bind') {
      // A bind mount shows the source's filesystem, not its path: compare what the directory now shows with the source.
      const [source, target] = await Promise.all([stat(params.device).catch(() => undefined), stat(directory).catch(() => undefined)]);
      const same = source !== undefined && target !== undefined && source.dev === target.dev && source.ino === target.ino;
      return same ? { kind: 'mounted', entry } : { kind: 'other', entry };
    }
    const [wanted, actual] = await Promise.all([canonicalDevice(params.device), canonicalDevice(entry.source)]);
    return wanted === actual ? { kind: 'mounted', entry } : { kind: 'other', entry };
  }

  private async start(params: ValidatedFilesystemParams, started: number, remaining: () => number): Promise<AgentResult> {
    const before = await this.state(params);
    if (before.kind === 'mounted') return this.result(started, { rc: OCF_RC.SUCCESS, detail: `${params.device} was already mounted on ${params.directory}` });
    if (before.kind === 'other') {
      return this.result(started, { rc: OCF_RC.ERR_GENERIC, detail: `${params.directory} already has ${before.entry.source} (${before.entry.fstype}) mounted on it, not ${params.device}` });
    }
    if (params.device.startsWith('/') && !(await access(params.device, fsConstants.F_OK).then(() => true, () => false))) {
      return this.result(started, { rc: OCF_RC.ERR_INSTALLED, detail: `${params.device} does not exist on this node` });
    }
    await mkdir(params.directory, { recursive: true });
    const options = params.options === '' ? [] : ['-o', params.options];
    const argv = params.fstype === 'bind' ? ['mount', '--bind', ...options, params.device, params.directory] : ['mount', '-t', params.fstype, ...options, params.device, params.directory];
    const outcome = await this.runner(argv, { timeoutMs: remaining() });
    if (outcome.kind === 'not-installed' || outcome.kind === 'timeout') return this.fromCommand(started, argv, outcome);
    const after = await this.state(params);
    if (after.kind === 'mounted') return this.result(started, { rc: OCF_RC.SUCCESS, detail: `${params.device} mounted on ${params.directory}`, output: outcomeOutput(outcome) });
    return this.result(started, { rc: OCF_RC.ERR_GENERIC, detail: describeOutcome(argv, outcome), output: outcomeOutput(outcome) });
  }

  private async stop(params: ValidatedFilesystemParams, started: number, remaining: () => number): Promise<AgentResult> {
    const argv = ['umount', params.directory];
    const killed: string[] = [];
    let last: CommandOutcome | undefined;
    let holders: MountHolder[] = [];
    for (let attempt = 0; ; attempt++) {
      const state = await this.state(params);
      if (state.kind !== 'mounted') {
        const what = attempt === 0 ? `${params.device} was not mounted on ${params.directory}` : `${params.device} unmounted from ${params.directory}`;
        const extra = killed.length > 0 ? ` after signalling ${killed.join(', ')}` : '';
        return this.result(started, { rc: OCF_RC.SUCCESS, detail: what + extra, output: last ? outcomeOutput(last) : '' });
      }
      const delay = UMOUNT_RETRY_DELAYS_MS[attempt - 1];
      if (attempt > 0 && delay === undefined) break;
      if (attempt > 0) {
        holders = await (this.deps.findHolders ?? ((mount) => defaultFindHolders(mount)))(state.entry);
        const signal: NodeJS.Signals = attempt - 1 >= UMOUNT_KILL_FROM_ATTEMPT ? 'SIGKILL' : 'SIGTERM';
        const signalled = (this.deps.signal ?? signalHolders)(holders, signal);
        for (const pid of signalled) killed.push(`${pid} (${holders.find((h) => h.pid === pid)?.command ?? '?'}, ${signal})`);
        await this.sleep(Math.min(delay ?? 0, remaining()));
      }
      last = await this.runner(argv, { timeoutMs: remaining() });
      if (last.kind === 'not-installed' || last.kind === 'timeout') return this.fromCommand(started, argv, last);
    }
    const holding = holders.map((h) => `${h.pid} ${h.command} (${h.via})`).join(', ');
    const detail = `${last ? describeOutcome(argv, last) : 'umount not tried'}; still mounted after ${UMOUNT_RETRY_DELAYS_MS.length + 1} attempts${holding ? `; held by ${holding}` : ''}`;
    return this.result(started, { rc: OCF_RC.ERR_GENERIC, detail, output: last ? outcomeOutput(last) : '' });
  }

  private async monitor(params: ValidatedFilesystemParams, started: number): Promise<AgentResult> {
    const state = await this.state(params);
    if (state.kind === 'mounted') return this.result(started, { rc: OCF_RC.SUCCESS, detail: `${params.device} is mounted on ${params.directory}` });
    const why = state.kind === 'other' ? ` (${state.entry.source} is)` : '';
    return this.result(started, { rc: OCF_RC.NOT_RUNNING, detail: `${params.device} is not mounted on ${params.directory}${why}` });
  }

  private fromCommand(started: number, argv: readonly string[], outcome: CommandOutcome & { kind: 'not-installed' | 'timeout' }): AgentResult {
    return this.result(started, commandFailedParts(argv, outcome));
  }

  private result(started: number, parts: ResultParts): AgentResult {
    return builtinResult(this.now() - started, parts);
  }

}

async function defaultFindHolders(mount: MountEntry): Promise<MountHolder[]> {
  const mountNamespace = await readlink('/proc/self/ns/mnt');
  return findMountHolders({ mountId: mount.mountId, mountPoint: mount.mountPoint, mountNamespace, exclude: [process.pid] });
}

/** A `filesystem` agent for these parameters; they are validated on every run (a bad one gives rc 6). */
export function filesystemAgent(params: FilesystemParams | Readonly<Record<string, unknown>>, deps: FilesystemDeps = {}): FilesystemAgent {
  return new FilesystemAgent(params as Readonly<Record<string, unknown>>, deps);
}
