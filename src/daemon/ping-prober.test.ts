/**
 * The ping prober with a fake pinger and node:test's mock timers (setTimeout, setInterval and Date, which is the
 * injected clock): scoring, expiry after deadMs, ping_group semantics, no stacked probes, one onChange per change,
 * and stop() waiting for probes in flight. Also systemPinger's argv and result mapping over a fake command runner.
 * Nothing here sends a packet; the real ping runs in test/lab/ping-prober.test.ts.
 */
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { AssertionError } from '../lib/assert.js';
import type { CommandOutcome, CommandRunner } from '../platform/command.js';
import {
  type AddressState,
  commandPinger,
  nextPingExpiry,
  PING_KILL_GRACE_MS,
  pingArgv,
  type Pinger,
  PingProber,
  type PingScore,
  scorePing,
} from './ping-prober.js';

const A = '192.0.2.1';
const B = '192.0.2.2';
const C = '192.0.2.3';

/** Mock timers and Date (Date.now() starts at 0); `advance` moves 1 ms at a time and lets promises settle in between. */
function fakeTime(t: TestContext): { now: () => number; advance: (ms: number) => Promise<void>; stop: (prober: PingProber) => Promise<void> } {
  t.mock.timers.enable({ apis: ['setTimeout', 'setInterval', 'Date'], now: 0 });
  const advance = async (ms: number): Promise<void> => {
    for (let i = 0; i < ms; i++) {
      t.mock.timers.tick(1);
      await flush();
    }
  };
  return {
    now: () => Date.now(),
    advance,
    // The fake probes in flight end on mock timers: stop() settles only once time moves on.
    stop: async (prober) => {
      const stopping = prober.stop();
      await advance(5000);
      await stopping;
    },
  };
}

/** setImmediate is not mocked: waiting for it runs every pending promise callback. */
function flush(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** A network of fake targets: an address in `up` replies after `latencyMs[address] ?? 5` ms, others time out. */
class FakeNet {
  readonly up = new Set<string>();
  readonly latencyMs = new Map<string, number>();
  readonly calls: { address: string; at: number; timeoutMs: number }[] = [];
  readonly running = new Map<string, number>();
  readonly maxRunning = new Map<string, number>();

  readonly pinger: Pinger = (address, timeoutMs) => {
    this.calls.push({ address, at: Date.now(), timeoutMs });
    const count = (this.running.get(address) ?? 0) + 1;
    this.running.set(address, count);
    this.maxRunning.set(address, Math.max(count, this.maxRunning.get(address) ?? 0));
    const answers = this.up.has(address);
    return new Promise((resolve) => {
      setTimeout(
        () => {
          this.running.set(address, (this.running.get(address) ?? 1) - 1);
          resolve(answers ? { ok: true, rttMs: 1, detail: `reply from ${address}` } : { ok: false, detail: 'no reply' });
        },
        answers ? (this.latencyMs.get(address) ?? 5) : timeoutMs,
      );
    });
  };

  callsTo(address: string): number[] {
    return this.calls.filter((call) => call.address === address).map((call) => call.at);
  }
}

function reachableNames(score: PingScore): string[] {
  return score.groups.filter((group) => group.reachable).map((group) => group.name);
}

// ---- the pure scoring ----

test('scorePing: never answered is unreachable; an answer counts for less than deadMs', () => {
  const groups = [{ name: 'gw', addresses: [A] }];
  assert.deepEqual(scorePing(groups, new Map(), 0, 1000), { reachable: 0, total: 1, groups: [{ name: 'gw', reachable: false, lastReplyAt: undefined }] });
  const states = new Map<string, AddressState>([[A, { lastReplyAt: 500 }]]);
  assert.equal(scorePing(groups, states, 500, 1000).reachable, 1);
  assert.equal(scorePing(groups, states, 1499, 1000).reachable, 1);
  assert.equal(scorePing(groups, states, 1500, 1000).reachable, 0, 'an answer exactly deadMs old no longer counts');
  assert.equal(scorePing(groups, states, 1500, 1000).groups[0]?.lastReplyAt, 500);
});

test('scorePing: a ping_group is reachable when any member answered, and reports failing members', () => {
  const groups = [
    { name: 'routers', addresses: [A, B] },
    { name: 'switch', addresses: [C] },
  ];
  const states = new Map<string, AddressState>([
    [A, { lastError: 'no reply' }],
    [B, { lastReplyAt: 900 }],
    [C, { lastReplyAt: 100, lastError: 'no reply' }],
  ]);
  const score = scorePing(groups, states, 1000, 500);
  assert.deepEqual(score, {
    reachable: 1,
    total: 2,
    groups: [
      { name: 'routers', reachable: true, lastReplyAt: 900, lastError: `${A}: no reply` },
      { name: 'switch', reachable: false, lastReplyAt: 100, lastError: `${C}: no reply` },
    ],
  });
});

test('nextPingExpiry: when the first reachable group would drop, from its newest reply', () => {
  const groups = [
    { name: 'routers', addresses: [A, B] },
    { name: 'switch', addresses: [C] },
  ];
  const states = new Map<string, AddressState>([
    [A, { lastReplyAt: 100 }],
    [B, { lastReplyAt: 300 }],
    [C, { lastReplyAt: 200 }],
  ]);
  assert.equal(nextPingExpiry(groups, states, 400, 1000), 1200);
  assert.equal(nextPingExpiry(groups, states, 1200, 1000), 1300, 'the switch expired; the routers last heard at 300');
  assert.equal(nextPingExpiry(groups, states, 1300, 1000), undefined);
  assert.equal(nextPingExpiry(groups, new Map(), 0, 1000), undefined);
});

// ---- the prober ----

test('a group counts as unreachable until its first reply, then the score rises with one onChange', async (t) => {
  const time = fakeTime(t);
  const net = new FakeNet();
  net.up.add(A);
  const changes: PingScore[] = [];
  const prober = new PingProber({
    groups: [
      { name: 'gw', addresses: [A] },
      { name: 'switch', addresses: [B] },
    ],
    intervalMs: 1000,
    deadMs: 3000,
    now: time.now,
    pinger: net.pinger,
    onChange: (score) => changes.push(score),
  });
  assert.equal(prober.score().reachable, 0);
  assert.equal(prober.score().total, 2);
  prober.start();
  await flush();
  assert.equal(changes.length, 0, 'no onChange for the initial all-unreachable score');
  await time.advance(5);
  assert.equal(changes.length, 1);
  assert.deepEqual(reachableNames(changes[0]!), ['gw']);
  assert.equal(changes[0]!.groups[0]!.lastReplyAt, 5);
  net.up.add(B);
  // B's first probe times out at 1000, in the same instant as the tick of 1000, which still finds it in flight;
  // its next probe goes out at 2000.
  await time.advance(2000);
  assert.equal(changes.length, 2);
  assert.equal(changes[1]!.reachable, 2);
  assert.equal(prober.score().reachable, 2);
  await time.advance(5000);
  assert.equal(changes.length, 2, 'steady replies are no change');
  await time.stop(prober);
});

test('the score drops exactly deadMs after the last reply, by its own timer rather than the next tick', async (t) => {
  const time = fakeTime(t);
  const net = new FakeNet();
  net.up.add(A);
  const changes: { at: number; score: PingScore }[] = [];
  const prober = new PingProber({
    groups: [{ name: 'gw', addresses: [A] }],
    intervalMs: 1000,
    deadMs: 2500,
    probeTimeoutMs: 1000,
    now: time.now,
    pinger: net.pinger,
    onChange: (score) => changes.push({ at: Date.now(), score }),
  });
  prober.start();
  await time.advance(2100); // replies at 5, 1005, 2005
  assert.equal(changes.length, 1);
  net.up.delete(A);
  await time.advance(4500);
  assert.equal(changes.length, 2);
  assert.equal(changes[1]!.at, 2005 + 2500);
  assert.equal(changes[1]!.score.reachable, 0);
  assert.equal(changes[1]!.score.groups[0]!.lastReplyAt, 2005);
  assert.equal(changes[1]!.score.groups[0]!.lastError, `${A}: no reply`);
  net.up.add(A);
  await time.advance(1000);
  assert.equal(changes.length, 3, 'and rises again with the next reply');
  assert.equal(changes[2]!.score.reachable, 1);
  assert.equal(changes[2]!.score.groups[0]!.lastError, undefined, 'a reply clears the error');
  await time.stop(prober);
});

test('ping_group: reachable while any member answers, unreachable when none does', async (t) => {
  const time = fakeTime(t);
  const net = new FakeNet();
  net.up.add(B);
  const changes: PingScore[] = [];
  const prober = new PingProber({
    groups: [{ name: 'routers', addresses: [A, B] }],
    intervalMs: 1000,
    deadMs: 3000,
    now: time.now,
    pinger: net.pinger,
    onChange: (score) => changes.push(score),
  });
  prober.start();
  await time.advance(1500);
  assert.equal(prober.score().reachable, 1);
  assert.equal(prober.score().groups[0]!.lastError, `${A}: no reply`);
  net.up.delete(B);
  net.up.add(A);
  await time.advance(5000);
  assert.equal(changes.length, 1, 'one member taking over from the other is no change');
  net.up.delete(A);
  await time.advance(5000);
  assert.equal(changes.length, 2);
  assert.equal(changes[1]!.reachable, 0);
  await time.stop(prober);
});

test('a slow probe is not stacked: at most one in flight per address, others keep their pace', async (t) => {
  const time = fakeTime(t);
  const net = new FakeNet();
  net.up.add(A);
  net.up.add(B);
  net.latencyMs.set(A, 2500);
  const prober = new PingProber({
    groups: [{ name: 'slow', addresses: [A] }, { name: 'fast', addresses: [B] }],
    intervalMs: 1000,
    deadMs: 10_000,
    now: time.now,
    pinger: net.pinger,
  });
  prober.start();
  await time.advance(6500);
  assert.equal(net.maxRunning.get(A), 1);
  assert.deepEqual(net.callsTo(A), [0, 3000, 6000], 'the ticks at 1000, 2000, 4000 and 5000 found the probe still running');
  assert.deepEqual(net.callsTo(B), [0, 1000, 2000, 3000, 4000, 5000, 6000]);
  assert.equal(prober.score().reachable, 2);
  await time.stop(prober);
});

test('an address shared by two groups is probed once per tick and counts for both', async (t) => {
  const time = fakeTime(t);
  const net = new FakeNet();
  net.up.add(A);
  const prober = new PingProber({
    groups: [{ name: 'one', addresses: [A] }, { name: 'two', addresses: [B, A] }],
    intervalMs: 1000,
    deadMs: 3000,
    now: time.now,
    pinger: net.pinger,
  });
  prober.start();
  await time.advance(1500);
  assert.deepEqual(net.callsTo(A), [0, 1000]);
  assert.equal(prober.score().reachable, 2);
  await time.stop(prober);
});

test('onChange fires once per change of which groups are reachable, with the new score', async (t) => {
  const time = fakeTime(t);
  const net = new FakeNet();
  const changes: string[][] = [];
  const prober = new PingProber({
    groups: [{ name: 'a', addresses: [A] }, { name: 'b', addresses: [B] }],
    intervalMs: 1000,
    deadMs: 1500,
    probeTimeoutMs: 800,
    now: time.now,
    pinger: net.pinger,
    onChange: (score) => changes.push(reachableNames(score)),
  });
  prober.start();
  // Each advance ends right after a tick has sent its probes, so a change of `up` shows from the next tick on.
  await time.advance(2000);
  net.up.add(A); // A answers the probe of 3000: ['a'] at 3005
  await time.advance(2000);
  net.up.add(B); // B answers the probe of 5000: ['a', 'b'] at 5005
  await time.advance(2000);
  net.up.delete(A); // both answered the probes of 6000 (at 6005) for the last time,
  net.up.delete(B); // so both expire at 7505, together: one change
  await time.advance(4000);
  assert.deepEqual(changes, [['a'], ['a', 'b'], []]);
  net.up.add(B);
  await time.advance(2000);
  assert.deepEqual(changes, [['a'], ['a', 'b'], [], ['b']]);
  await time.stop(prober);
});

test('stop() waits for probes in flight, and nothing is reported or probed after it', async (t) => {
  const time = fakeTime(t);
  let release: (() => void) | undefined;
  let calls = 0;
  const changes: PingScore[] = [];
  const prober = new PingProber({
    groups: [{ name: 'gw', addresses: [A] }],
    intervalMs: 1000,
    deadMs: 3000,
    now: time.now,
    pinger: () => {
      calls++;
      return new Promise((resolve) => {
        release = () => resolve({ ok: true, detail: 'reply' });
      });
    },
    onChange: (score) => changes.push(score),
  });
  prober.start();
  await flush();
  assert.equal(calls, 1);
  let stopped = false;
  const stopping = prober.stop().then(() => (stopped = true));
  await time.advance(5000);
  assert.equal(stopped, false, 'the probe is still in flight');
  assert.equal(calls, 1, 'no tick after stop()');
  release?.();
  await stopping;
  assert.equal(stopped, true);
  assert.equal(changes.length, 0, 'a reply that lands after stop() is not reported');
  assert.equal(prober.score().reachable, 0);
});

test('a pinger that breaks its contract (throws or rejects) is a failed probe, and probing goes on', async (t) => {
  const time = fakeTime(t);
  let calls = 0;
  const prober = new PingProber({
    groups: [{ name: 'gw', addresses: [A] }],
    intervalMs: 1000,
    deadMs: 3000,
    now: time.now,
    pinger: (address) => {
      calls++;
      if (calls === 1) throw new Error('synchronous bug');
      if (calls === 2) return Promise.reject(new Error('asynchronous bug'));
      return Promise.resolve({ ok: true, detail: `reply from ${address}` });
    },
  });
  prober.start();
  await flush();
  assert.equal(prober.score().groups[0]!.lastError, `${A}: pinger failed: synchronous bug`);
  await time.advance(1000);
  assert.equal(prober.score().groups[0]!.lastError, `${A}: pinger failed: asynchronous bug`);
  await time.advance(1000);
  assert.equal(calls, 3);
  assert.equal(prober.score().reachable, 1);
  await time.stop(prober);
});

test('bad options and a second start() are programmer errors', async () => {
  const base = { groups: [{ name: 'gw', addresses: [A] }], intervalMs: 1000, deadMs: 3000, pinger: new FakeNet().pinger };
  assert.throws(() => new PingProber({ ...base, groups: [] }), AssertionError);
  assert.throws(() => new PingProber({ ...base, groups: [{ name: 'gw', addresses: [] }] }), AssertionError);
  assert.throws(() => new PingProber({ ...base, groups: [{ name: 'gw', addresses: [A] }, { name: 'gw', addresses: [B] }] }), AssertionError);
  assert.throws(() => new PingProber({ ...base, intervalMs: 0 }), AssertionError);
  assert.throws(() => new PingProber({ ...base, deadMs: Number.NaN }), AssertionError);
  const prober = new PingProber(base);
  prober.start();
  assert.throws(() => prober.start(), AssertionError);
  await prober.stop();
});

// ---- systemPinger's parts ----

test('pingArgv: numeric, quiet, one probe, -W in whole seconds rounded up, -6 for IPv6, both -I when given', () => {
  assert.deepEqual(pingArgv(A, 1000), ['ping', '-n', '-q', '-c', '1', '-W', '1', A]);
  assert.deepEqual(pingArgv(A, 200), ['ping', '-n', '-q', '-c', '1', '-W', '1', A]);
  assert.deepEqual(pingArgv(A, 2001, { iface: 'eth0' }), ['ping', '-n', '-q', '-c', '1', '-W', '3', '-I', 'eth0', A]);
  assert.deepEqual(pingArgv('2001:db8::1', 1000, { sourceAddress: '2001:db8::2', iface: 'eth1' }), [
    'ping', '-n', '-q', '-c', '1', '-W', '1', '-6', '-I', '2001:db8::2', '-I', 'eth1', '2001:db8::1',
  ]);
  assert.deepEqual(pingArgv('fe80::1%eth0', 1000), ['ping', '-n', '-q', '-c', '1', '-W', '1', '-6', 'fe80::1%eth0']);
});

function runnerReturning(outcome: CommandOutcome | Error): { runner: CommandRunner; calls: { argv: readonly string[]; timeoutMs: number | undefined }[] } {
  const calls: { argv: readonly string[]; timeoutMs: number | undefined }[] = [];
  const runner: CommandRunner = (argv, options) => {
    calls.push({ argv, timeoutMs: options?.timeoutMs });
    return outcome instanceof Error ? Promise.reject(outcome) : Promise.resolve(outcome);
  };
  return { runner, calls };
}

const REPLY_STDOUT = [
  `PING ${A} (${A}) 56(84) bytes of data.`,
  '',
  `--- ${A} ping statistics ---`,
  '1 packets transmitted, 1 received, 0% packet loss, time 0ms',
  'rtt min/avg/max/mdev = 0.045/0.045/0.045/0.000 ms',
  '',
].join('\n');

test('commandPinger: a reply is ok with its round-trip time; the kill deadline is timeoutMs plus the grace', async () => {
  const { runner, calls } = runnerReturning({ kind: 'exited', code: 0, stdout: REPLY_STDOUT, stderr: '', durationMs: 3 });
  assert.deepEqual(await commandPinger(runner)(A, 1000, { iface: 'eth0' }), { ok: true, rttMs: 0.045, detail: `reply from ${A} in 0.045 ms` });
  assert.deepEqual(calls, [{ argv: pingArgv(A, 1000, { iface: 'eth0' }), timeoutMs: 1000 + PING_KILL_GRACE_MS }]);
});

test('commandPinger: every failure is ok:false with a detail, never a rejection', async () => {
  const cases: [CommandOutcome | Error, string][] = [
    [{ kind: 'exited', code: 1, stdout: 'PING …\n1 packets transmitted, 0 received, 100% packet loss', stderr: '', durationMs: 1000 }, `no reply from ${A} within 1000 ms`],
    [{ kind: 'exited', code: 2, stdout: '', stderr: 'ping: connect: Network is unreachable\n', durationMs: 1 }, `ping ${A} exited with 2: ping: connect: Network is unreachable`],
    [{ kind: 'exited', code: 1, stdout: '', stderr: `From ${B} icmp_seq=1 Destination Host Unreachable\n`, durationMs: 1 }, `ping ${A} exited with 1: From ${B} icmp_seq=1 Destination Host Unreachable`],
    [{ kind: 'timeout', stdout: '', stderr: '', durationMs: 1250 }, `no reply from ${A} within 1000 ms (ping killed)`],
    [{ kind: 'not-installed', detail: 'ping: spawn ping ENOENT', durationMs: 0 }, 'cannot run ping (iputils): ping: spawn ping ENOENT'],
    [{ kind: 'failed', detail: 'ping died of SIGSEGV', stdout: '', stderr: '', durationMs: 1 }, `ping ${A} failed: ping died of SIGSEGV`],
    [new TypeError('argument contains null bytes'), `cannot run ${pingArgv(A, 1000).join(' ')}: argument contains null bytes`],
  ];
  for (const [outcome, detail] of cases) {
    assert.deepEqual(await commandPinger(runnerReturning(outcome).runner)(A, 1000, {}), { ok: false, detail });
  }
});

test('commandPinger: a host name is not resolved and not pinged', async () => {
  const { runner, calls } = runnerReturning({ kind: 'exited', code: 0, stdout: REPLY_STDOUT, stderr: '', durationMs: 1 });
  const result = await commandPinger(runner)('router.example', 1000, {});
  assert.equal(result.ok, false);
  assert.match(result.detail, /not an IP address/);
  assert.deepEqual(calls, []);
});
