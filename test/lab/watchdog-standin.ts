/**
 * A stand-in for one node's watchdog device, for the lab: a FIFO at a given path that the node's daemon opens
 * with the real `Watchdog` class (src/fencing/watchdog.ts), through the same code path as /dev/watchdog.
 * When the writer goes `timeoutMs` without a keep-alive while armed, the stand-in calls `onExpire()` (the lab
 * "resets" the node: kills its processes, downs its links), as the real device would reset the machine.
 *
 * Behaviour, modelled on the kernel's watchdog_dev.c:
 *   - Armed from the moment a writer is seen (the real device starts counting at open, not at the first
 *     feed): the writer is seen when a read answers EAGAIN (a writer is connected, nothing written yet) or
 *     returns bytes. Every byte is a keep-alive (any write pings the real device), 'V' included.
 *   - The writer closing right after a 'V' (the last byte read) is the magic close: disarmed, no expiry. The
 *     writer closing otherwise (the daemon closed without 'V', or died) leaves it armed: it expires
 *     `timeoutMs` after the last keep-alive.
 *   - On expiry `onExpire()` is called once and the stand-in stops counting. Bytes still arriving from the
 *     same writer are counted in `feedsAfterExpiry` (a reset node must not be feeding: a lab can assert it). A
 *     new writer after the old one is gone (a restarted daemon) arms it again, as a rebooted machine would.
 *
 * Why it reads the way it does: the reader is opened O_RDONLY|O_NONBLOCK before any writer, so the writer's
 * O_WRONLY|O_NONBLOCK open always finds a reader (the daemon's open never fails nor blocks), and it is polled
 * every `pollMs` (20 ms) on a timer, the same tick that checks expiry. A read then tells three states apart:
 * bytes; EAGAIN (a writer is connected); 0 (no writer, the pipe drained). Opening O_RDWR instead would also
 * never see EOF across writer reopenings, but for that very reason it could not see the writer close, which
 * the magic close needs. After an EOF the same reader keeps reading from the next writer (Linux), so one
 * reader serves every daemon restart. The price of polling: times are up to one tick late, so tests should
 * use timeouts of a few hundred ms or more.
 *
 * Invariants:
 *   1. `onExpire` is called at most once per arming, from the timer; if it throws or rejects, that is not
 *      caught here: it surfaces as an uncaught exception or unhandled rejection, loudly, as a lab bug should.
 *   2. Any read error other than EAGAIN stops the stand-in and is rethrown from the timer the same way.
 *   3. `close()` stops the timer, closes the reader and removes the FIFO it created; nothing fires after it.
 *      Until then the timer keeps the process alive: an armed watchdog must not be forgotten.
 */
import { spawn } from 'node:child_process';
import { closeSync, constants as fsConstants, openSync, readSync, rmSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

export interface WatchdogStandinOptions {
  /** Where to create the FIFO; must not exist. */
  readonly path: string;
  readonly timeoutMs: number;
  /** Called once when an armed stand-in goes `timeoutMs` without a keep-alive. */
  readonly onExpire: () => void | Promise<void>;
  /** How often the FIFO is read and expiry checked; default 20 ms. */
  readonly pollMs?: number;
}

export interface WatchdogStandin {
  readonly path: string;
  readonly timeoutMs: number;
  /** A writer has been seen and neither the magic close nor expiry has happened since. */
  readonly armed: boolean;
  /** `Date.now()` of the last keep-alive (or of arming), undefined before the first writer. */
  readonly lastFeedAt: number | undefined;
  /** Keep-alive bytes received while armed ('V' included), over the stand-in's life. */
  readonly feeds: number;
  /** `Date.now()` of the last expiry, undefined if it never expired. */
  readonly expiredAt: number | undefined;
  /** How many times it expired (once per arming at most). */
  readonly expiries: number;
  /** Bytes received after an expiry from the writer that let it expire. */
  readonly feedsAfterExpiry: number;
  /** The last writer left with the magic close (a new writer clears it). */
  readonly disarmed: boolean;
  /** Stops watching, closes the reader and removes the FIFO. Idempotent. */
  close(): void;
}

type State = 'idle' | 'armed' | 'expired';

/** Creates the FIFO, opens its reader and starts watching; resolves once a writer can open it. */
export async function createWatchdogStandin(options: WatchdogStandinOptions): Promise<WatchdogStandin> {
  const { path, timeoutMs, onExpire } = options;
  const pollMs = options.pollMs ?? 20;
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1) throw new RangeError(`watchdog stand-in timeoutMs must be a positive integer, got ${timeoutMs}`);
  if (!Number.isInteger(pollMs) || pollMs < 1) throw new RangeError(`watchdog stand-in pollMs must be a positive integer, got ${pollMs}`);
  await mkfifo(path);
  let reader: number;
  try {
    reader = openSync(path, fsConstants.O_RDONLY | fsConstants.O_NONBLOCK);
  } catch (error) {
    rmSync(path, { force: true });
    throw error;
  }

  let state: State = 'idle';
  /** A writer is connected (as of the last read); an expired stand-in re-arms only for a new one. */
  let writerPresent = false;
  let lastByte: number | undefined;
  let lastFeedMono = 0;
  let closed = false;
  const buffer = Buffer.alloc(4096);
  const standin = {
    path,
    timeoutMs,
    lastFeedAt: undefined as number | undefined,
    feeds: 0,
    expiredAt: undefined as number | undefined,
    expiries: 0,
    feedsAfterExpiry: 0,
    disarmed: false,
    get armed(): boolean {
      return state === 'armed';
    },
    close(): void {
      if (closed) return;
      closed = true;
      clearInterval(timer);
      try {
        closeSync(reader);
      } finally {
        rmSync(path, { force: true });
      }
    },
  };

  const arm = (): void => {
    state = 'armed';
    standin.disarmed = false;
    lastFeedMono = performance.now();
    standin.lastFeedAt = Date.now();
  };

  /** Drains the FIFO; returns whether a writer is connected. */
  const drain = (): boolean => {
    for (;;) {
      let count: number;
      try {
        count = readSync(reader, buffer, 0, buffer.length, null);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'EAGAIN') return true;
        throw error;
      }
      if (count === 0) return false;
      // Bytes prove a writer, even one that wrote and closed between two ticks (its 'V' must still count).
      writerPresent = true;
      if (state === 'idle') arm();
      if (state === 'armed') {
        standin.feeds += count;
        lastFeedMono = performance.now();
        standin.lastFeedAt = Date.now();
      } else {
        standin.feedsAfterExpiry += count;
      }
      lastByte = buffer[count - 1];
    }
  };

  const tick = (): void => {
    if (closed) return;
    let connected: boolean;
    try {
      connected = drain();
    } catch (error) {
      standin.close();
      throw error;
    }
    if (connected) {
      if (state === 'idle' && !writerPresent) arm();
      writerPresent = true;
    } else if (writerPresent) {
      // The writer is gone; everything it wrote has been read.
      writerPresent = false;
      if (state === 'armed' && lastByte === 'V'.charCodeAt(0)) {
        state = 'idle';
        standin.disarmed = true;
      } else if (state === 'expired') {
        state = 'idle';
      }
      lastByte = undefined;
    }
    if (state === 'armed' && performance.now() - lastFeedMono >= timeoutMs) {
      state = 'expired';
      standin.expiredAt = Date.now();
      standin.expiries += 1;
      const outcome = onExpire();
      if (outcome instanceof Promise) void outcome; // a rejection stays unhandled on purpose (invariant 1)
    }
  };
  const timer = setInterval(tick, pollMs);
  return standin;
}

/** `mkfifo -m 0600 PATH` (Node.js has no mkfifo); rejects with mkfifo's own message on failure. */
function mkfifo(path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('mkfifo', ['-m', '0600', '--', path], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => (stderr += chunk));
    child.on('error', (error) => reject(new Error(`Cannot create the watchdog stand-in FIFO ${path} as mkfifo could not run: ${error.message}`, { cause: error })));
    child.on('close', (code, signal) => {
      if (code === 0) resolve();
      else reject(new Error(`Cannot create the watchdog stand-in FIFO ${path} as mkfifo failed (${code ?? signal}): ${stderr.trim()}`));
    });
  });
}
