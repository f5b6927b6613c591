/**
 * Serial transport: tandem's datagrams over a tty (a null-modem cable between two nodes, heartbeat's `serial`
 * medium), SLIP-framed (slip.ts) so that the receiver finds frame boundaries again after noise or a cut-off frame.
 * Authentication is not done here: every frame is a whole HMAC'd tandem message, and the receive path drops and
 * counts whatever does not authenticate (line noise that happens to sit between two END bytes included).
 *
 * The device is opened twice, because of how libuv drives ttys:
 *   - for reading, O_RDONLY, through `tty.ReadStream` (libuv polls it; a plain fs read would block a thread-pool
 *     thread forever). Opened read-only on purpose: libuv makes writes to a read-write tty that is not a pty slave
 *     blocking, and a blocking write at 19200 baud would stall the whole daemon's event loop;
 *   - for writing, O_WRONLY|O_NONBLOCK, one `fs.write` at a time in the thread pool. A full output buffer (the line
 *     is slower than our heartbeats, or a pty's other end stopped reading) gives EAGAIN: the frame is dropped and
 *     reported, and at most SEND_QUEUE_FRAMES_MAX frames wait behind the one being written. Heartbeats are
 *     datagrams: a queue of stale ones would only delay the fresh one behind it, which is how a saturated serial
 *     line turns into false deaths.
 *
 * Line settings come from `stty` (run after opening): Node has no termios API, and libuv's raw mode keeps output
 * post-processing (ONLCR turns every 0x0A into 0x0D 0x0A) and cannot set a speed. `raw -echo … cs8 -parenb
 * -cstopb` gives an 8-bit clean 8N1 line, `-ixon -ixoff -crtscts` no flow control (XON/XOFF are data bytes here;
 * a null-modem cable usually wires no RTS/CTS), `clocal` ignores modem control lines (no carrier on a null-modem
 * cable). `stty` accepts all of these, and a speed, on a pseudo-terminal too, which the tests use.
 *
 * The device may go away (the other end of a pty closed: EIO or end of file; a USB adapter unplugged): that is
 * reported through `onError` and the device is opened again every `reopenIntervalMs`, forever, until `close`.
 * An open that fails is reported when its error differs from the previous attempt's, not at every retry.
 *
 * Invariants:
 *   1. Never throws after `openSerialTransport` returns, and never lets an 'error' event go unhandled.
 *   2. A write fd is closed only once no write is in flight on it (a closed fd number may be reused at once).
 *   3. After `close()` resolves, no fd is open, no timer is armed and no handler is called.
 */
import { execFile } from 'node:child_process';
import { close as closeFd, constants, open as openFd, write as writeFd } from 'node:fs';
import { ReadStream } from 'node:tty';
import type { LinkName } from '../core/types.js';
import { SlipDecoder, slipEncode } from './slip.js';
import type { Transport, TransportHandlers } from './transport.js';

export const SERIAL_REOPEN_INTERVAL_MS_DEFAULT = 1000;
/** Frames that may wait behind the one being written; beyond that the line is not keeping up. */
export const SEND_QUEUE_FRAMES_MAX = 2;
const STTY_TIMEOUT_MS = 5000;

export type ConfigureLine = (device: string, baud: number) => Promise<void>;

export interface SerialTransportOptions {
  readonly link: LinkName;
  /** This node's tty, e.g. /dev/ttyS0. */
  readonly device: string;
  readonly baud: number;
  readonly handlers: TransportHandlers;
  /** Longest datagram sent or accepted (before SLIP escaping); longer received frames are dropped and reported. */
  readonly maxFrameBytes: number;
  readonly reopenIntervalMs?: number;
  /** Puts the line in raw mode at `baud`; `stty` by default. */
  readonly configureLine?: ConfigureLine;
}

export interface SerialCounters {
  framesSent: number;
  framesReceived: number;
  /** Received frames dropped by the SLIP decoder (over-long, bad escape). */
  framingErrors: number;
  /** Frames not sent: the line was busy (queue full, EAGAIN) or the device was not open. */
  sendDrops: number;
  /** Successful opens (the first one and every reopen). */
  opens: number;
}

export interface SerialTransport extends Transport {
  readonly counters: Readonly<SerialCounters>;
  /** Whether the device is open now. */
  readonly isOpen: boolean;
}

export class SerialLinkError extends Error {
  override readonly name = 'SerialLinkError';
  readonly code = 'TND_E_SERIAL';
  constructor(
    readonly link: LinkName,
    readonly device: string,
    message: string,
    cause?: Error,
  ) {
    super(`serial ${device}: ${message}${cause ? `: ${cause.message}` : ''}`, cause ? { cause } : undefined);
  }
}

/** `stty -F DEVICE raw … BAUD`; see the module comment for each setting. */
export const configureLineWithStty: ConfigureLine = (device, baud) =>
  new Promise((resolve, reject) => {
    const args = ['-F', device, 'raw', '-echo', '-echoe', '-echok', '-ixon', '-ixoff', '-crtscts', 'clocal', 'cread', 'cs8', '-parenb', '-cstopb', String(baud)];
    execFile('stty', args, { timeout: STTY_TIMEOUT_MS }, (error, _stdout, stderr) => {
      if (error) reject(new Error(`stty ${args.join(' ')} failed: ${stderr.trim() || error.message}`));
      else resolve();
    });
  });

/**
 * Opens the link; resolves once the first attempt to open the device has finished, successful or not (a failure is
 * reported through `onError` and retried: the node still comes up on its other links).
 */
export async function openSerialTransport(options: SerialTransportOptions): Promise<SerialTransport> {
  const transport = new SerialLink(options);
  await transport.start();
  return transport;
}

/** One open of the device: its reader, its write fd and the frames waiting to be written. */
interface Session {
  readonly reader: ReadStream;
  readonly writeFd: number;
  readonly queue: Buffer[];
  writing: boolean;
  /** Resolves when the write in flight (if any) has finished. */
  idle: Promise<void>;
}

class SerialLink implements SerialTransport {
  readonly link: LinkName;
  readonly description: string;
  readonly counters: SerialCounters = { framesSent: 0, framesReceived: 0, framingErrors: 0, sendDrops: 0, opens: 0 };
  private session: Session | undefined;
  private opening: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private lastOpenError = '';
  private readonly reopenIntervalMs: number;
  private readonly configureLine: ConfigureLine;

  constructor(private readonly options: SerialTransportOptions) {
    this.link = options.link;
    this.description = `serial ${options.device} ${options.baud} baud`;
    this.reopenIntervalMs = options.reopenIntervalMs ?? SERIAL_REOPEN_INTERVAL_MS_DEFAULT;
    this.configureLine = options.configureLine ?? configureLineWithStty;
  }

  get isOpen(): boolean {
    return this.session !== undefined;
  }

  start(): Promise<void> {
    this.opening = this.tryOpen().finally(() => {
      this.opening = undefined;
    });
    return this.opening;
  }

  send(bytes: Buffer): void {
    const session = this.session;
    if (session === undefined || this.closed) {
      // The outage itself was reported when the device was lost or failed to open.
      this.counters.sendDrops++;
      return;
    }
    if (bytes.length > this.options.maxFrameBytes) {
      this.counters.sendDrops++;
      this.report(new SerialLinkError(this.link, this.options.device, `a ${bytes.length}-byte datagram is longer than ${this.options.maxFrameBytes} bytes: not sent`));
      return;
    }
    if (session.queue.length >= SEND_QUEUE_FRAMES_MAX) {
      this.counters.sendDrops++;
      this.report(new SerialLinkError(this.link, this.options.device, `line busy (${session.queue.length} frames waiting): frame dropped; the heartbeats may not fit ${this.options.baud} baud`));
      return;
    }
    session.queue.push(slipEncode(bytes));
    this.pump(session);
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.opening) await this.opening;
    const session = this.session;
    this.session = undefined;
    if (session) await closeSession(session);
  }

  private report(error: Error): void {
    if (!this.closed) this.options.handlers.onError(this.link, error);
  }

  /** Closes an fd of a failed open; a failure to close is reported, not thrown (the open is retried). */
  private async release(fd: number | undefined): Promise<void> {
    if (fd === undefined) return;
    try {
      await closeAsync(fd);
    } catch (error) {
      this.report(new SerialLinkError(this.link, this.options.device, `closing fd ${fd} failed`, asError(error)));
    }
  }

  private async tryOpen(): Promise<void> {
    const { device } = this.options;
    let readFd: number | undefined;
    let writeFdNumber: number | undefined;
    try {
      // O_NOCTTY: a daemon must not acquire the line as its controlling terminal. O_NONBLOCK: do not wait for a
      // carrier on open (clocal is only set afterwards), and never block on write.
      readFd = await openAsync(device, constants.O_RDONLY | constants.O_NOCTTY | constants.O_NONBLOCK);
      writeFdNumber = await openAsync(device, constants.O_WRONLY | constants.O_NOCTTY | constants.O_NONBLOCK);
      await this.configureLine(device, this.options.baud);
    } catch (error) {
      await this.release(readFd);
      await this.release(writeFdNumber);
      const cause = asError(error);
      if (cause.message !== this.lastOpenError) {
        this.lastOpenError = cause.message;
        this.report(new SerialLinkError(this.link, device, `cannot open (trying again every ${this.reopenIntervalMs} ms)`, cause));
      }
      this.scheduleReopen();
      return;
    }
    if (this.closed) {
      await this.release(readFd);
      await this.release(writeFdNumber);
      return;
    }
    this.lastOpenError = '';
    let reader: ReadStream;
    try {
      reader = new ReadStream(readFd);
    } catch (error) {
      await this.release(readFd);
      await this.release(writeFdNumber);
      this.report(new SerialLinkError(this.link, device, 'not a terminal device', asError(error)));
      this.scheduleReopen();
      return;
    }
    const session: Session = { reader, writeFd: writeFdNumber, queue: [], writing: false, idle: Promise.resolve() };
    const decoder = new SlipDecoder(this.options.maxFrameBytes);
    reader.on('data', (chunk: Buffer) => {
      if (this.session !== session) return;
      for (const event of decoder.push(chunk)) {
        if (event.kind === 'frame') {
          this.counters.framesReceived++;
          this.options.handlers.onDatagram(this.link, { bytes: event.bytes, source: device });
        } else {
          this.counters.framingErrors++;
          this.report(new SerialLinkError(this.link, device, `framing error (${event.problem}): ${event.detail}; frame dropped`));
        }
      }
    });
    reader.on('error', (error: Error) => this.lost(session, error));
    reader.on('end', () => this.lost(session, new Error('end of file (the other end closed)')));
    reader.on('close', () => this.lost(session, new Error('device closed')));
    this.session = session;
    this.counters.opens++;
  }

  /** Writes the queued frames one at a time (invariant 2: the session knows when none is in flight). */
  private pump(session: Session): void {
    if (session.writing) return;
    const frame = session.queue.shift();
    if (frame === undefined) return;
    session.writing = true;
    let done = (): void => undefined;
    session.idle = new Promise<void>((resolve) => {
      done = resolve;
    });
    writeFd(session.writeFd, frame, 0, frame.length, null, (error, written) => {
      session.writing = false;
      done();
      if (this.session !== session) return;
      if (error) {
        if (error.code === 'EAGAIN') {
          // The rest of the frame is dropped; the next frame's leading END closes what got out, and the peer's
          // authentication drops that piece.
          this.counters.sendDrops++;
          this.report(new SerialLinkError(this.link, this.options.device, `line busy (output buffer full): frame dropped; the heartbeats may not fit ${this.options.baud} baud, or the other end is not reading`));
        } else {
          this.lost(session, error);
          return;
        }
      } else if (written < frame.length) {
        session.queue.unshift(frame.subarray(written));
      } else {
        this.counters.framesSent++;
      }
      this.pump(session);
    });
  }

  private lost(session: Session, error: Error): void {
    if (this.closed || this.session !== session) return;
    this.session = undefined;
    this.report(new SerialLinkError(this.link, this.options.device, `device lost (opening it again every ${this.reopenIntervalMs} ms)`, error));
    void closeSession(session).catch((closeError: unknown) => this.report(new SerialLinkError(this.link, this.options.device, 'closing the lost device failed', asError(closeError))));
    this.scheduleReopen();
  }

  private scheduleReopen(): void {
    if (this.closed || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.closed) return;
      void this.start();
    }, this.reopenIntervalMs);
  }
}

async function closeSession(session: Session): Promise<void> {
  session.queue.length = 0;
  const { reader } = session;
  if (!reader.closed) {
    // Destroying the stream closes its fd (libuv closes a tty handle's fd on close).
    await new Promise<void>((resolve) => {
      reader.once('close', () => resolve());
      reader.destroy();
    });
  }
  await session.idle;
  await closeAsync(session.writeFd);
}

function openAsync(path: string, flags: number): Promise<number> {
  return new Promise((resolve, reject) => openFd(path, flags, (error, fd) => (error ? reject(error) : resolve(fd))));
}

function closeAsync(fd: number): Promise<void> {
  return new Promise((resolve, reject) => closeFd(fd, (error) => (error ? reject(error) : resolve())));
}

function asError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}
