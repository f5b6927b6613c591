/**
 * Measures which ping targets this node can reach: heartbeat's `ping` and `ping_group` nodes, which ipfail used
 * so that in a split the side reaching fewer targets (routers, a switch) gives up its resources. This is the I/O
 * edge; the core only ever receives a `PingScore`.
 *
 * A target group is reachable while ANY of its addresses answers (heartbeat's ping_group); a plain `ping` target
 * is a group of one.
 *
 * Invariants:
 *   1. A group is reachable exactly while one of its addresses answered less than `deadMs` ago (`scorePing`, which
 *      is pure). Nothing has answered at start, so every group counts as unreachable until its first reply: a node
 *      that boots without its uplink does not claim a score it lacks.
 *   2. At most one probe per address is in flight. A tick that finds the previous probe of an address still
 *      running skips that address, so a slow or dead target never piles up ping processes.
 *   3. `onChange` fires exactly once per change of which groups are reachable: after a probe settles, and at the
 *      moment a group's newest reply grows `deadMs` old (its own timer, not the next tick, so the drop is not
 *      reported up to `intervalMs` late). It does not fire for the initial all-unreachable score, nor after
 *      `stop()` was called.
 *   4. `stop()` settles once every probe in flight has settled; `systemPinger` bounds each probe to its timeout
 *      plus PING_KILL_GRACE_MS.
 *   5. Never throws for an operating condition: a failed ping is a value (`ok: false`). A pinger that throws or
 *      rejects breaks its contract; that is recorded as a failed probe with the error as `lastError`, so it shows
 *      in the score instead of killing the daemon over a measurement. Bad options are programmer errors
 *      (AssertionError).
 *   6. Times (`lastReplyAt`) are in the units of `now`, by default `performance.now()` (monotonic ms): a wall
 *      clock step must not make every target look dead or alive.
 */
import { isIP } from 'node:net';
import { performance } from 'node:perf_hooks';
import { assert } from '../lib/assert.js';
import { type CommandOutcome, type CommandRunner, runCommand } from '../platform/command.js';

/** heartbeat's ping_group: reachable when ANY address answers. A plain `ping` target is a group of one. */
export interface PingTargetGroup {
  readonly name: string;
  readonly addresses: readonly string[];
}

export interface PingScore {
  readonly reachable: number;
  readonly total: number;
  readonly groups: readonly PingGroupScore[];
}

export interface PingGroupScore {
  name: string;
  reachable: boolean;
  /** The newest reply from any address of the group, in `now` units; undefined before the first one. */
  lastReplyAt: number | undefined;
  /** `address: detail` for each member whose latest probe failed (the group may still be reachable via another). */
  lastError?: string;
}

export interface PingOptions {
  /** Source address of the echo requests (`ping -I <address>`). */
  sourceAddress?: string;
  /** Interface to send on (`ping -I <iface>`, SO_BINDTODEVICE). */
  iface?: string;
}

/** Sends one echo request and waits for its reply for about `timeoutMs`. Must not reject: failures are `ok: false`. */
export type Pinger = (address: string, timeoutMs: number, options: PingOptions) => Promise<{ ok: boolean; rttMs?: number; detail: string }>;

export interface PingProberOptions {
  readonly groups: readonly PingTargetGroup[];
  /** Every address is probed this often (a probe still running at the next tick is not doubled). */
  readonly intervalMs: number;
  /** A target unanswered for this long is unreachable (heartbeat's deadping). */
  readonly deadMs: number;
  /** How long one probe waits for its reply. Default: intervalMs, at least 1000 ms (ping waits whole seconds), at most deadMs. */
  readonly probeTimeoutMs?: number;
  readonly sourceAddress?: string;
  readonly iface?: string;
  /** A monotonic clock in ms. Default: `performance.now`. */
  readonly now?: () => number;
  /** Default: `systemPinger`. */
  readonly pinger?: Pinger;
  /** Called with the new score each time the set of reachable groups changes (invariant 3). */
  readonly onChange?: (score: PingScore) => void;
  /** Called after each answer, before its score is evaluated: a fresh answer matters during a quorum tie. */
  readonly onReply?: () => void;
}

/** What the prober remembers about one address. */
export interface AddressState {
  /** `now()` when the latest successful reply was observed. */
  readonly lastReplyAt?: number;
  /** Detail of the latest probe, when it failed (cleared by the next reply). */
  readonly lastError?: string;
}

/**
 * The score at `now`: a group is reachable while one of its addresses answered less than `deadMs` ago
 * (an answer exactly `deadMs` old no longer counts). Addresses missing from `states` have never answered.
 */
export function scorePing(groups: readonly PingTargetGroup[], states: ReadonlyMap<string, AddressState>, now: number, deadMs: number): PingScore {
  const scored = groups.map((group): PingGroupScore => {
    const lastReplyAt = newestReply(group, states);
    const errors = group.addresses.flatMap((address) => {
      const error = states.get(address)?.lastError;
      return error === undefined ? [] : [`${address}: ${error}`];
    });
    return {
      name: group.name,
      reachable: lastReplyAt !== undefined && now - lastReplyAt < deadMs,
      lastReplyAt,
      ...(errors.length === 0 ? {} : { lastError: errors.join('; ') }),
    };
  });
  return { reachable: scored.filter((group) => group.reachable).length, total: groups.length, groups: scored };
}

/**
 * The earliest time after `now` at which a group reachable at `now` becomes unreachable if no further reply
 * comes, or undefined when no group is reachable (nothing can expire).
 */
export function nextPingExpiry(groups: readonly PingTargetGroup[], states: ReadonlyMap<string, AddressState>, now: number, deadMs: number): number | undefined {
  let earliest: number | undefined;
  for (const group of groups) {
    const lastReplyAt = newestReply(group, states);
    if (lastReplyAt === undefined) continue;
    const expiresAt = lastReplyAt + deadMs;
    if (expiresAt > now && (earliest === undefined || expiresAt < earliest)) earliest = expiresAt;
  }
  return earliest;
}

function newestReply(group: PingTargetGroup, states: ReadonlyMap<string, AddressState>): number | undefined {
  let newest: number | undefined;
  for (const address of group.addresses) {
    const at = states.get(address)?.lastReplyAt;
    if (at !== undefined && (newest === undefined || at > newest)) newest = at;
  }
  return newest;
}

function sameReachability(a: PingScore, b: PingScore): boolean {
  return a.groups.length === b.groups.length && a.groups.every((group, i) => group.reachable === b.groups[i]?.reachable);
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export class PingProber {
  private readonly groups: readonly PingTargetGroup[];
  private readonly addresses: readonly string[];
  private readonly states = new Map<string, AddressState>();
  private readonly inFlight = new Map<string, Promise<void>>();
  private readonly intervalMs: number;
  private readonly deadMs: number;
  private readonly probeTimeoutMs: number;
  private readonly pingOptions: PingOptions;
  private readonly now: () => number;
  private readonly pinger: Pinger;
  private readonly onChange: ((score: PingScore) => void) | undefined;
  private readonly onReply: (() => void) | undefined;
  /** The score last reported (or the initial one), to fire `onChange` only on a change. */
  private reported: PingScore;
  private interval: NodeJS.Timeout | undefined;
  private expiryTimer: NodeJS.Timeout | undefined;
  private started = false;
  private stopped = false;

  constructor(options: PingProberOptions) {
    assert(options.groups.length > 0, 'ping prober: at least one target group');
    const names = new Set<string>();
    for (const group of options.groups) {
      assert(group.name !== '' && !names.has(group.name), `ping prober: group names must be unique and non-empty (${JSON.stringify(group.name)})`);
      names.add(group.name);
      assert(group.addresses.length > 0, `ping prober: group ${group.name} has no address`);
    }
    assert(Number.isFinite(options.intervalMs) && options.intervalMs > 0, `ping prober: intervalMs must be > 0, not ${options.intervalMs}`);
    assert(Number.isFinite(options.deadMs) && options.deadMs > 0, `ping prober: deadMs must be > 0, not ${options.deadMs}`);
    const probeTimeoutMs = options.probeTimeoutMs ?? Math.min(options.deadMs, Math.max(options.intervalMs, 1000));
    assert(Number.isFinite(probeTimeoutMs) && probeTimeoutMs > 0, `ping prober: probeTimeoutMs must be > 0, not ${probeTimeoutMs}`);
    this.groups = options.groups.map((group) => ({ name: group.name, addresses: [...group.addresses] }));
    // Groups may share an address: it is probed once and its replies count for each of them.
    this.addresses = [...new Set(this.groups.flatMap((group) => group.addresses))];
    this.intervalMs = options.intervalMs;
    this.deadMs = options.deadMs;
    this.probeTimeoutMs = probeTimeoutMs;
    this.pingOptions = {
      ...(options.sourceAddress === undefined ? {} : { sourceAddress: options.sourceAddress }),
      ...(options.iface === undefined ? {} : { iface: options.iface }),
    };
    this.now = options.now ?? (() => performance.now());
    this.pinger = options.pinger ?? systemPinger;
    this.onChange = options.onChange;
    this.onReply = options.onReply;
    this.reported = this.score();
  }

  /** Probes every address now and then every `intervalMs`. Once only. */
  start(): void {
    assert(!this.started, 'ping prober: start() called twice (a stopped prober cannot be restarted)');
    this.started = true;
    this.tick();
    this.interval = setInterval(() => this.tick(), this.intervalMs);
  }

  /** Stops probing and settles when every probe in flight has settled; no `onChange` after this is called. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.interval);
    clearTimeout(this.expiryTimer);
    this.interval = undefined;
    this.expiryTimer = undefined;
    await Promise.all([...this.inFlight.values()]);
  }

  /** The score now (also after `stop()`, from the replies seen until then). */
  score(): PingScore {
    return scorePing(this.groups, this.states, this.now(), this.deadMs);
  }

  private tick(): void {
    for (const address of this.addresses) {
      if (this.inFlight.has(address)) continue;
      // Removed in a `finally` (always a later microtask), never inside probe(): a pinger that throws
      // synchronously would otherwise be removed before it is added, and its address never probed again.
      this.inFlight.set(address, this.probe(address).finally(() => this.inFlight.delete(address)));
    }
  }

  private async probe(address: string): Promise<void> {
    let result: { ok: boolean; detail: string };
    try {
      result = await this.pinger(address, this.probeTimeoutMs, this.pingOptions);
    } catch (error) {
      result = { ok: false, detail: `pinger failed: ${errorText(error)}` };
    }
    if (this.stopped) return;
    this.states.set(address, result.ok ? { lastReplyAt: this.now() } : { ...this.states.get(address), lastError: result.detail });
    try {
      if (result.ok) this.onReply?.();
      this.evaluate();
    } catch (error) {
      // Only onChange (the daemon's own code) can throw here: that is a bug and must surface as an uncaught
      // exception, as it does when the expiry timer calls it, not reject the promise stop() awaits.
      process.nextTick(() => {
        throw error;
      });
    }
  }

  /** Re-scores, re-arms the expiry timer and reports a change of reachability. */
  private evaluate(): void {
    const now = this.now();
    const score = scorePing(this.groups, this.states, now, this.deadMs);
    clearTimeout(this.expiryTimer);
    this.expiryTimer = undefined;
    const expiresAt = nextPingExpiry(this.groups, this.states, now, this.deadMs);
    if (expiresAt !== undefined) {
      // At least 1 ms: a timer that fires a little early just re-arms for the remainder.
      this.expiryTimer = setTimeout(() => this.evaluate(), Math.max(1, Math.ceil(expiresAt - now)));
    }
    if (sameReachability(score, this.reported)) return;
    this.reported = score;
    this.onChange?.(score);
  }
}

/** After the probe's timeout, how long ping may still take to exit by itself before it is killed. */
export const PING_KILL_GRACE_MS = 250;

/**
 * The argv of one probe: `ping -n -q -c 1 -W <s> [-6] [-I source] [-I iface] address`. `-W` takes whole
 * seconds in older iputils, so it is rounded up; the kill at timeoutMs + PING_KILL_GRACE_MS is the real bound.
 * Both `-I` may be given: iputils takes an address as the source and anything else as the device.
 */
export function pingArgv(address: string, timeoutMs: number, options: PingOptions = {}): string[] {
  const argv = ['ping', '-n', '-q', '-c', '1', '-W', String(Math.max(1, Math.ceil(timeoutMs / 1000)))];
  if (isIP(address) === 6) argv.push('-6');
  if (options.sourceAddress !== undefined) argv.push('-I', options.sourceAddress);
  if (options.iface !== undefined) argv.push('-I', options.iface);
  argv.push(address);
  return argv;
}

/** `rtt min/avg/max/mdev = 0.045/0.045/0.045/0.000 ms` → 0.045 (the average, which for one reply is the reply). */
function parseRtt(stdout: string): number | undefined {
  const match = /= *([0-9.]+)\/([0-9.]+)\//.exec(stdout);
  const rtt = match?.[2] === undefined ? Number.NaN : Number(match[2]);
  return Number.isFinite(rtt) ? rtt : undefined;
}

/** The last non-empty line of ping's stderr (its error), or of its stdout. */
function lastLine(text: string): string | undefined {
  return text.split('\n').map((line) => line.trim()).filter(Boolean).at(-1);
}

function describePing(address: string, timeoutMs: number, outcome: CommandOutcome): { ok: boolean; rttMs?: number; detail: string } {
  switch (outcome.kind) {
    case 'exited': {
      if (outcome.code === 0) {
        const rttMs = parseRtt(outcome.stdout);
        return rttMs === undefined ? { ok: true, detail: `reply from ${address}` } : { ok: true, rttMs, detail: `reply from ${address} in ${rttMs} ms` };
      }
      // iputils: 1 = sent but no reply, 2 = an error (bad address, no route, cannot bind, …) on stderr.
      const error = lastLine(outcome.stderr);
      if (outcome.code === 1 && error === undefined) return { ok: false, detail: `no reply from ${address} within ${timeoutMs} ms` };
      return { ok: false, detail: `ping ${address} exited with ${outcome.code}${error === undefined ? '' : `: ${error}`}` };
    }
    case 'timeout':
      return { ok: false, detail: `no reply from ${address} within ${timeoutMs} ms (ping killed)` };
    case 'not-installed':
      return { ok: false, detail: `cannot run ping (iputils): ${outcome.detail}` };
    case 'failed':
      return { ok: false, detail: `ping ${address} failed: ${outcome.detail}` };
  }
}

/**
 * A `Pinger` over the given command runner; `systemPinger` uses `runCommand`. Only IP literals are pinged: a name
 * would need DNS, which may be exactly what the split took away, and its lookup time would eat the probe's timeout.
 */
export function commandPinger(runner: CommandRunner): Pinger {
  return async (address, timeoutMs, options) => {
    if (isIP(address) === 0) return { ok: false, detail: `${JSON.stringify(address)} is not an IP address (ping targets are not resolved)` };
    const argv = pingArgv(address, timeoutMs, options);
    let outcome: CommandOutcome;
    try {
      outcome = await runner(argv, { timeoutMs: timeoutMs + PING_KILL_GRACE_MS });
    } catch (error) {
      // spawn() throws for arguments execve cannot take (a NUL byte in an interface name): a failed probe.
      return { ok: false, detail: `cannot run ${argv.join(' ')}: ${errorText(error)}` };
    }
    return describePing(address, timeoutMs, outcome);
  };
}

/** Runs iputils `ping` once per probe; never rejects, kills a ping that overruns timeoutMs + PING_KILL_GRACE_MS. */
export const systemPinger: Pinger = commandPinger(runCommand);
