/**
 * The watchdog edge: this node's handle on a Linux watchdog device (Documentation/watchdog/watchdog-api.rst),
 * the last line of self-fencing. Once the device is open, the kernel (or the hardware) resets the machine
 * unless it is fed within its timeout; a node that stops being healthy stops feeding it, and is reset.
 *
 * Semantics (the caller decides when; this class only does what it is told):
 *   - `open` arms it: the real device starts counting at open. It then asks for the timeout with
 *     WDIOC_SETTIMEOUT and keeps what the driver actually set (`effectiveTimeoutMs`): drivers round or clamp.
 *   - `feed` is called only while the node is healthy; not feeding is how an unhealthy node gets reset.
 *   - `close(true)`, the magic close (write 'V', then close), only on a clean stop: the device is disarmed and
 *     the machine is not reset. `close(false)` closes without 'V': the kernel keeps counting and resets the
 *     machine, which is the point when the daemon gives up unhealthy. A process that dies closes the fd
 *     without 'V', the same. (With CONFIG_WATCHDOG_NOWAYOUT or nowayout=1 even the magic close does not
 *     disarm; nothing here can tell.)
 *
 * The same code path drives the real device and the tests' stand-in (a FIFO, test/lab/watchdog-standin.ts):
 *   - A character device is opened O_WRONLY (blocking; the watchdog driver's open never waits). Only one
 *     process may hold it open (EBUSY otherwise).
 *   - A FIFO is opened O_WRONLY|O_NONBLOCK, because a blocking open would wait forever for a reader; with
 *     O_NONBLOCK the open fails at once with ENXIO when nobody reads (`TND_E_WATCHDOG_NO_READER`). The fd
 *     stays non-blocking, so a feed never blocks the event loop either: a full pipe (the reader stopped
 *     reading) is a failed feed (EAGAIN), not a stall. The kind is taken from stat(2) before the open; the
 *     window between the two is not guarded (whoever can swap the path can also swap the device).
 *   - Anything else (a regular file, a directory) is refused: writing keep-alives into a file enforces
 *     nothing, and a fencing mechanism that silently enforces nothing is worse than none.
 *   - WDIOC_SETTIMEOUT answered ENOTTY (not a watchdog: the FIFO stand-in) or EOPNOTSUPP (a watchdog with a
 *     fixed timeout), or no native addon to issue it with: the timeout was not set by the device
 *     (`timeoutSetByDevice` false, `timeoutNote` says why), `effectiveTimeoutMs` is the requested value (a
 *     stand-in enforces its own), and every feed is a one-byte write, which every watchdog driver takes as a
 *     keep-alive. Otherwise feeds are WDIOC_KEEPALIVE.
 *
 * Invariants:
 *   1. Every failure is a `WatchdogError` (`code` says which step, `errno` the system's answer when there is
 *      one); nothing is swallowed, and a failed step never leaves an fd open.
 *   2. An `open` that fails after the device was opened disarms it (magic close) before throwing: the daemon
 *      never chose to be guarded by it, so it must not reset the machine.
 *   3. The fd is close-on-exec (Node.js opens every file with O_CLOEXEC): an agent or script the daemon starts
 *      never inherits it, so the daemon's exit really closes the device.
 *   4. After `close` (whatever its outcome) the instance is spent: `feed` and `close` throw
 *      `TND_E_WATCHDOG_CLOSED`.
 */
import { closeSync, constants as fsConstants, openSync, statSync, writeSync } from 'node:fs';
import { loadNetraw } from '../platform/netraw.js';

export interface WatchdogOptions {
  /** The device, e.g. /dev/watchdog0, or a FIFO stand-in whose reader is already open. */
  readonly path: string;
  /**
   * How long the node may go without a feed before it is reset. A real device takes whole seconds: it is
   * asked for max(1, floor(timeoutMs / 1000)) s, rounded down so that the device never fires later than
   * asked; the driver may still change it, see `Watchdog.effectiveTimeoutMs`.
   */
  readonly timeoutMs: number;
}

/** The two ioctls of the watchdog API (the native addon's, or a fake). */
export interface WatchdogIoctls {
  watchdogSetTimeout(fd: number, seconds: number): number;
  watchdogKeepalive(fd: number): void;
}

export type WatchdogIoctlsLoad = { readonly ok: true; readonly ioctls: WatchdogIoctls } | { readonly ok: false; readonly reason: string };

/** The file calls `Watchdog` makes, with node:fs's signatures (for unit tests). */
export interface WatchdogFs {
  statSync(path: string): { isCharacterDevice(): boolean; isFIFO(): boolean };
  openSync(path: string, flags: number): number;
  writeSync(fd: number, data: string): number;
  closeSync(fd: number): void;
}

export interface WatchdogDeps {
  readonly fs?: WatchdogFs;
  /** Default: the native addon's ioctls, or why they are not available. */
  readonly ioctls?: WatchdogIoctlsLoad;
}

export type WatchdogErrorCode =
  /** stat or open failed: missing path, no permission, EBUSY (another process holds the device). */
  | 'TND_E_WATCHDOG_OPEN'
  /** The path is a FIFO nobody reads (ENXIO): the stand-in is not there. */
  | 'TND_E_WATCHDOG_NO_READER'
  /** Neither a character device nor a FIFO. */
  | 'TND_E_WATCHDOG_NOT_A_DEVICE'
  /** The driver refused the timeout (e.g. EINVAL: out of its range). */
  | 'TND_E_WATCHDOG_TIMEOUT'
  /** A keep-alive failed: the device may fire. */
  | 'TND_E_WATCHDOG_FEED'
  /** Closing failed; for a failed magic close, the machine will be reset. */
  | 'TND_E_WATCHDOG_CLOSE'
  /** `feed` or `close` after `close`. */
  | 'TND_E_WATCHDOG_CLOSED';

export class WatchdogError extends Error {
  override readonly name = 'WatchdogError';
  /** The errno name (ENOENT, ENXIO, EPIPE, ...) of the failed system call, if one failed. */
  readonly errno: string | undefined;
  constructor(
    readonly code: WatchdogErrorCode,
    readonly path: string,
    message: string,
    cause?: unknown,
  ) {
    super(message, cause === undefined ? undefined : { cause });
    this.errno = errnoOf(cause);
  }
}

/** The errno name on a Node.js fs error or a netraw error, if any. */
function errnoOf(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && code !== '' ? code : undefined;
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const errno = errnoOf(error);
    return errno !== undefined && !error.message.startsWith(errno) ? `${errno}: ${error.message}` : error.message;
  }
  return String(error);
}

/** ENOTTY: not a watchdog (a FIFO, /dev/null); EOPNOTSUPP: a watchdog without that ioctl. Linux's ENOTSUP is EOPNOTSUPP. */
function notSupported(error: unknown): boolean {
  const errno = errnoOf(error);
  return errno === 'ENOTTY' || errno === 'EOPNOTSUPP' || errno === 'ENOTSUP';
}

const NODE_FS: WatchdogFs = { statSync, openSync, writeSync, closeSync };

function defaultIoctls(): WatchdogIoctlsLoad {
  const load = loadNetraw();
  if (!load.ok) return { ok: false, reason: load.reason };
  const { watchdogSetTimeout, watchdogKeepalive } = load.netraw;
  if (watchdogSetTimeout === undefined || watchdogKeepalive === undefined) {
    return { ok: false, reason: `${load.path} lacks the watchdog ioctls (run \`npm run build:native\`)` };
  }
  return { ok: true, ioctls: { watchdogSetTimeout, watchdogKeepalive } };
}

type Kind = 'device' | 'fifo';

export class Watchdog {
  /** True when WDIOC_SETTIMEOUT succeeded: `effectiveTimeoutMs` is what the device enforces. */
  readonly timeoutSetByDevice: boolean;
  /** The timeout the device reported setting; the requested one when `timeoutSetByDevice` is false. */
  readonly effectiveTimeoutMs: number;
  /** Why the device did not set the timeout (undefined when it did). */
  readonly timeoutNote: string | undefined;
  private keepaliveMode: 'ioctl' | 'write';
  private closed = false;

  private constructor(
    readonly path: string,
    readonly kind: Kind,
    private readonly fd: number,
    private readonly fs: WatchdogFs,
    private readonly ioctls: WatchdogIoctls | undefined,
    timeout: { readonly setByDevice: boolean; readonly effectiveMs: number; readonly note: string | undefined },
  ) {
    this.timeoutSetByDevice = timeout.setByDevice;
    this.effectiveTimeoutMs = timeout.effectiveMs;
    this.timeoutNote = timeout.note;
    this.keepaliveMode = timeout.setByDevice ? 'ioctl' : 'write';
  }

  /** Opens (and so arms) the device and sets its timeout; see the module header. Throws `WatchdogError`. */
  static open(options: WatchdogOptions, deps: WatchdogDeps = {}): Watchdog {
    const { path, timeoutMs } = options;
    if (!Number.isInteger(timeoutMs) || timeoutMs < 1) throw new RangeError(`watchdog timeoutMs must be a positive integer, got ${timeoutMs}`);
    const fs = deps.fs ?? NODE_FS;

    let kind: Kind;
    try {
      const stat = fs.statSync(path);
      if (stat.isCharacterDevice()) kind = 'device';
      else if (stat.isFIFO()) kind = 'fifo';
      else throw new WatchdogError('TND_E_WATCHDOG_NOT_A_DEVICE', path, `Cannot use ${path} as a watchdog as it is neither a character device nor a FIFO stand-in`);
    } catch (error) {
      if (error instanceof WatchdogError) throw error;
      throw new WatchdogError('TND_E_WATCHDOG_OPEN', path, `Cannot open the watchdog ${path} as stat failed: ${describe(error)}`, error);
    }

    let fd: number;
    try {
      fd = fs.openSync(path, fsConstants.O_WRONLY | (kind === 'fifo' ? fsConstants.O_NONBLOCK : 0));
    } catch (error) {
      const errno = errnoOf(error);
      if (kind === 'fifo' && errno === 'ENXIO') {
        throw new WatchdogError('TND_E_WATCHDOG_NO_READER', path, `Cannot open the watchdog stand-in ${path} as nothing reads the FIFO (its reader must be open first)`, error);
      }
      const why = errno === 'EBUSY' ? ' (only one process may hold a watchdog open: is another daemon or watchdog service running?)' : '';
      throw new WatchdogError('TND_E_WATCHDOG_OPEN', path, `Cannot open the watchdog ${path} as open failed: ${describe(error)}${why}`, error);
    }

    // From here on the device is armed: any failure must disarm it again (invariant 2).
    const load = deps.ioctls ?? defaultIoctls();
    const requestedSeconds = Math.max(1, Math.floor(timeoutMs / 1000));
    let timeout: { setByDevice: boolean; effectiveMs: number; note: string | undefined };
    if (!load.ok) {
      timeout = { setByDevice: false, effectiveMs: timeoutMs, note: `the timeout was not set as the watchdog ioctls are not available: ${load.reason}; a real device keeps its own default timeout` };
    } else {
      try {
        const seconds = load.ioctls.watchdogSetTimeout(fd, requestedSeconds);
        timeout = { setByDevice: true, effectiveMs: seconds * 1000, note: undefined };
      } catch (error) {
        if (!notSupported(error)) {
          disarmAfterFailedOpen(fs, fd, path, error);
          throw new WatchdogError('TND_E_WATCHDOG_TIMEOUT', path, `Cannot set the timeout of the watchdog ${path} to ${requestedSeconds} s as the driver refused: ${describe(error)}`, error);
        }
        const what = kind === 'fifo' ? 'a FIFO stand-in, which enforces its own timeout' : 'a device that does not take a timeout (not a watchdog, or one with a fixed timeout)';
        timeout = { setByDevice: false, effectiveMs: timeoutMs, note: `${path} is ${what}: WDIOC_SETTIMEOUT answered ${describe(error)}` };
      }
    }
    return new Watchdog(path, kind, fd, fs, load.ok ? load.ioctls : undefined, timeout);
  }

  /** How keep-alives are sent: WDIOC_KEEPALIVE, or a one-byte write. */
  get keepaliveBy(): 'ioctl' | 'write' {
    return this.keepaliveMode;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** One keep-alive. Call it only while the node is healthy. Throws `WatchdogError` (the device may then fire). */
  feed(): void {
    if (this.closed) throw new WatchdogError('TND_E_WATCHDOG_CLOSED', this.path, `Cannot feed the watchdog ${this.path} as it is closed`);
    if (this.keepaliveMode === 'ioctl' && this.ioctls !== undefined) {
      try {
        this.ioctls.watchdogKeepalive(this.fd);
        return;
      } catch (error) {
        if (!notSupported(error)) throw new WatchdogError('TND_E_WATCHDOG_FEED', this.path, `Cannot feed the watchdog ${this.path} as WDIOC_KEEPALIVE failed: ${describe(error)}`, error);
        // A driver may set timeouts yet take keep-alives only as writes (no WDIOF_KEEPALIVEPING): from now
        // on, write, starting with this feed.
        this.keepaliveMode = 'write';
      }
    }
    this.writeByte('\n', 'TND_E_WATCHDOG_FEED', 'feed');
  }

  /**
   * `disarm` true: the magic close ('V', then close), only on a clean stop; the machine is not reset.
   * `disarm` false: close without 'V'; the device keeps counting and resets the machine.
   * The fd is closed whatever happens; a failure throws `WatchdogError` afterwards.
   */
  close(disarm: boolean): void {
    if (this.closed) throw new WatchdogError('TND_E_WATCHDOG_CLOSED', this.path, `Cannot close the watchdog ${this.path} as it is already closed`);
    this.closed = true;
    let failure: WatchdogError | undefined;
    if (disarm) {
      try {
        this.writeByte('V', 'TND_E_WATCHDOG_CLOSE', 'disarm (magic close)');
      } catch (error) {
        failure = error as WatchdogError;
      }
    }
    try {
      this.fs.closeSync(this.fd);
    } catch (error) {
      failure ??= new WatchdogError('TND_E_WATCHDOG_CLOSE', this.path, `Cannot close the watchdog ${this.path}: ${describe(error)}`, error);
    }
    if (failure !== undefined) throw failure;
  }

  private writeByte(byte: string, code: WatchdogErrorCode, what: string): void {
    let written: number;
    try {
      written = this.fs.writeSync(this.fd, byte);
    } catch (error) {
      const errno = errnoOf(error);
      const why =
        errno === 'EAGAIN' ? ' (the stand-in stopped reading: its pipe is full)' : errno === 'EPIPE' ? ' (nothing reads the stand-in any more)' : '';
      const consequence = code === 'TND_E_WATCHDOG_CLOSE' ? '; the machine will be reset' : '';
      throw new WatchdogError(code, this.path, `Cannot ${what} the watchdog ${this.path} as the write failed: ${describe(error)}${why}${consequence}`, error);
    }
    if (written !== 1) throw new WatchdogError(code, this.path, `Cannot ${what} the watchdog ${this.path} as the write took ${written} bytes instead of 1`);
  }
}

/**
 * The magic close after an `open` that fails past the open (invariant 2). If that fails too, the machine will
 * be reset: the error thrown says so and carries both causes.
 */
function disarmAfterFailedOpen(fs: WatchdogFs, fd: number, path: string, original: unknown): void {
  let failure: unknown;
  try {
    if (fs.writeSync(fd, 'V') !== 1) failure = new Error('the write of V took no byte');
  } catch (error) {
    failure = error;
  }
  try {
    fs.closeSync(fd);
  } catch (error) {
    failure ??= error;
  }
  if (failure !== undefined) {
    throw new WatchdogError(
      'TND_E_WATCHDOG_CLOSE',
      path,
      `Cannot disarm the watchdog ${path} after a failed open (${describe(original)}) as ${describe(failure)}; the machine will be reset`,
      new AggregateError([original, failure]),
    );
  }
}
