/**
 * Announces that an address now lives on this node: gratuitous ARP (IPv4) or unsolicited neighbour
 * advertisement (IPv6), a burst of `count` frames, the first at once and the rest every `intervalMs` in the
 * background.
 *
 * Two ways to put a frame on the wire, chosen per announcement:
 *   - `packet`: the netraw addon's AF_PACKET socket; the first frame leaves synchronously, inside
 *     `startAnnouncement`, microseconds after the call.
 *   - `arping`: `arping -U -c COUNT -I IF ADDR` (iputils) when the addon cannot be loaded or may not open a
 *     raw socket (EPERM: arping has the cap_net_raw file capability). IPv4 only, one frame per second
 *     whatever `intervalMs` says, and only once the address is configured (research/vrrp.md §B.4).
 *   - `none`: IPv6 without the addon; nothing is sent and the outcome says so.
 *
 * Invariants:
 *   1. Never throws for an operating condition; failures and fallbacks are in the outcome's `warnings` and `error`.
 *   2. After `cancel()` no further frame is sent (a stopped address must not be announced: that would pull
 *      its traffic to a node that no longer answers for it) and a running arping is killed.
 *   3. The first frame is attempted before `startAnnouncement` returns; nothing here awaits before it.
 */
import { isIPv4 } from 'node:net';
import { announcementFrame, macText } from './announce-frames.js';
import { type CommandRunner, describeOutcome, runCommand } from './command.js';
import { loadNetraw, type NetrawLoad, netrawErrorText } from './netraw.js';

export type AnnounceMethod = 'packet' | 'arping' | 'none';

export interface AnnounceRequest {
  readonly address: string;
  readonly iface: string;
  /** Frames to send, ≥ 0 (0 sends nothing). */
  readonly count: number;
  /** Between frames (packet method only). */
  readonly intervalMs: number;
}

export interface AnnouncerDeps {
  /** Default: `loadNetraw()`. */
  readonly netraw?: NetrawLoad;
  /** Runs the arping fallback. Default: `runCommand`. */
  readonly runner?: CommandRunner;
  /** A monotonic clock in ms. Default: `performance.now`. */
  readonly now?: () => number;
}

export interface AnnouncementOutcome {
  readonly method: AnnounceMethod;
  /** Frames handed to the kernel (packet), or requested from arping (arping, counted when it exits 0). */
  readonly framesSent: number;
  /**
   * `now()` when the first frame was handed to the kernel (packet), or when arping was started (arping: a
   * lower bound; the frame leaves once arping has set itself up). Undefined if nothing was sent.
   */
  readonly firstFrameAt?: number;
  readonly warnings: readonly string[];
  readonly error?: string;
  readonly cancelled: boolean;
}

export interface Announcement {
  /** The state right after the first frame (known synchronously). */
  readonly first: AnnouncementOutcome;
  /** Settles when the whole burst is sent, failed or was cancelled. */
  readonly done: Promise<AnnouncementOutcome>;
  cancel(): void;
}

function settled(outcome: AnnouncementOutcome): Announcement {
  return { first: outcome, done: Promise.resolve(outcome), cancel: () => undefined };
}

/**
 * Loads the addon and opens its send socket ahead of time, so the first announcement pays neither the
 * dlopen nor the socket() (measured: ~10 ms cold). Failures are left for `startAnnouncement` to report.
 */
export function prepareAnnouncer(deps: AnnouncerDeps = {}): void {
  const load = deps.netraw ?? loadNetraw();
  if (!load.ok) return;
  try {
    load.netraw.openSender();
  } catch {
    return; // EPERM and the like: startAnnouncement meets it again, falls back and says why
  }
}

/** Starts an announcement; the first frame is sent before this returns. */
export function startAnnouncement(request: AnnounceRequest, deps: AnnouncerDeps = {}): Announcement {
  const now = deps.now ?? (() => performance.now());
  const count = Math.max(0, Math.floor(request.count));
  if (count === 0) return settled({ method: 'none', framesSent: 0, warnings: [], cancelled: false });
  const load = deps.netraw ?? loadNetraw();
  const ipv4 = isIPv4(request.address);
  if (!load.ok) {
    const warning = `raw-packet sender unavailable (${load.reason})`;
    if (!ipv4) return settled({ method: 'none', framesSent: 0, warnings: [`${warning}: no unsolicited NA sent; neighbours keep the old MAC until their entry goes stale`], error: 'no IPv6 announcement without the netraw addon', cancelled: false });
    return startArping(request, count, [`${warning}: falling back to arping, one frame per second`], deps, now);
  }
  const netraw = load.netraw;
  let frame: Buffer;
  let ifindex: number;
  try {
    const info = netraw.interfaceInfo(request.iface);
    ifindex = info.index;
    frame = announcementFrame({ address: request.address, mac: macText(info.mac) });
  } catch (error) {
    return settled({ method: 'packet', framesSent: 0, warnings: [], error: `Cannot announce ${request.address} on ${request.iface}: ${netrawErrorText(error)}`, cancelled: false });
  }
  try {
    netraw.sendFrames(ifindex, [frame]);
  } catch (error) {
    const text = `Cannot send on ${request.iface}: ${netrawErrorText(error)}`;
    if (ipv4 && (error as { code?: unknown }).code === 'EPERM') return startArping(request, count, [`${text}: falling back to arping, one frame per second`], deps, now);
    return settled({ method: 'packet', framesSent: 0, warnings: [], error: text, cancelled: false });
  }
  const firstFrameAt = now();
  const first: AnnouncementOutcome = { method: 'packet', framesSent: 1, firstFrameAt, warnings: [], cancelled: false };
  if (count === 1) return settled(first);

  let framesSent = 1;
  let cancelled = false;
  let timer: NodeJS.Timeout | undefined;
  let finish: (outcome: AnnouncementOutcome) => void = () => undefined;
  const done = new Promise<AnnouncementOutcome>((resolvePromise) => (finish = resolvePromise));
  const tick = (): void => {
    timer = undefined;
    if (cancelled) return;
    try {
      netraw.sendFrames(ifindex, [frame]);
      framesSent++;
    } catch (error) {
      finish({ ...first, framesSent, error: `Cannot send on ${request.iface}: ${netrawErrorText(error)}` });
      return;
    }
    if (framesSent >= count) finish({ ...first, framesSent });
    else timer = setTimeout(tick, request.intervalMs);
  };
  timer = setTimeout(tick, request.intervalMs);
  return {
    first,
    done,
    cancel: () => {
      if (cancelled) return;
      cancelled = true;
      if (timer !== undefined) clearTimeout(timer);
      finish({ ...first, framesSent, cancelled: true });
    },
  };
}

function startArping(request: AnnounceRequest, count: number, warnings: string[], deps: AnnouncerDeps, now: () => number): Announcement {
  const runner = deps.runner ?? runCommand;
  const abort = new AbortController();
  const argv = ['arping', '-U', '-c', String(count), '-I', request.iface, request.address];
  const startedAt = now();
  const first: AnnouncementOutcome = { method: 'arping', framesSent: 0, firstFrameAt: startedAt, warnings, cancelled: false };
  // arping sleeps one second after each frame, including the last: allow count + 2 s.
  const done = runner(argv, { timeoutMs: (count + 2) * 1000, signal: abort.signal }).then((outcome): AnnouncementOutcome => {
    if (abort.signal.aborted) return { ...first, cancelled: true };
    if (outcome.kind === 'exited' && outcome.code === 0) return { ...first, framesSent: count };
    return { ...first, firstFrameAt: undefined, error: describeOutcome(argv, outcome) };
  });
  return { first, done, cancel: () => abort.abort() };
}
