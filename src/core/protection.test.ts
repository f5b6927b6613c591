import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MiniCluster, MINI_TIMINGS, groupSpec } from './testing/mini-cluster.js';
import { defaultProtection, type ProtectionSpec } from './quorum.js';
import { instant, nodeName } from './types.js';

const WEB = groupSpec('web', ['n1', 'n2', 'n3'], ['web-ip', 'web-srv']);
const PAIR = groupSpec('web', ['n1', 'n2'], ['web-ip', 'web-srv']);

function spec(nodes: readonly string[], overrides: Partial<ProtectionSpec> = {}): ProtectionSpec {
  return { ...defaultProtection(nodes.map(nodeName)), ...overrides };
}

function fencing(nodes: readonly string[], delayMs = 1000): ProtectionSpec['fencing'] {
  return { nodes: new Set(nodes.map(nodeName)), delayMs, retryMs: 500 };
}

function started(names: readonly string[], group = WEB, protection?: ProtectionSpec): MiniCluster {
  const cluster = new MiniCluster(names, [group], protection);
  cluster.startAll();
  cluster.advance(2000);
  return cluster;
}

/** Cuts every pair across the two sides, both ways. */
function split(cluster: MiniCluster, a: readonly string[], b: readonly string[]): void {
  for (const x of a) for (const y of b) cluster.cut.add(`${x}>${y}`).add(`${y}>${x}`);
}

function quorum(cluster: MiniCluster, node: string): string {
  return cluster.node(node).core.protectionView(instant(cluster.now)).quorum.status;
}

function blocked(cluster: MiniCluster, node: string): string {
  return cluster.node(node).core.groupsView().groups[0]?.blockedBy ?? '';
}

test('3 nodes split 2|1: the single node loses quorum and stops its group; the pair takes it over', () => {
  const cluster = started(['n1', 'n2', 'n3']);
  assert.deepEqual(cluster.holders('web'), ['n1']);
  split(cluster, ['n1'], ['n2', 'n3']);
  cluster.advance(1500);
  assert.equal(quorum(cluster, 'n1'), 'lost');
  assert.equal(quorum(cluster, 'n2'), 'quorate');
  assert.deepEqual(cluster.holders('web'), ['n2']);
  assert.match(cluster.node('n1').core.groupsView().groups[0]?.story.map((entry) => entry.why).join('\n') ?? '', /no quorum/);
  // Quorum alone does not make the pair wait for the single node's stop: the overlap is the stop's duration.
  cluster.cut.clear();
  cluster.advance(1500);
  assert.deepEqual(cluster.holders('web'), ['n2'], 'no flapping after the heal');
  assert.equal(quorum(cluster, 'n1'), 'quorate');
});

test('a one-way cut: the node that still hears the others but is no longer heard drops their votes', () => {
  const cluster = started(['n1', 'n2', 'n3']);
  cluster.cut.add('n1>n2').add('n1>n3'); // n1's heartbeats are lost; it still hears n2 and n3
  cluster.advance(1500);
  assert.equal(quorum(cluster, 'n2'), 'quorate');
  assert.equal(quorum(cluster, 'n1'), 'lost', 'n2 and n3 report n1 dead: their votes are not n1s');
  assert.deepEqual(cluster.holders('web'), ['n2']);
});

test('no-quorum freeze keeps what runs and starts nothing new', () => {
  const cluster = started(['n1', 'n2', 'n3'], WEB, spec(['n1', 'n2', 'n3'], { noQuorum: 'freeze' }));
  split(cluster, ['n1'], ['n2', 'n3']);
  cluster.advance(1500);
  assert.equal(quorum(cluster, 'n1'), 'lost');
  assert.ok(cluster.holders('web').includes('n1'), 'n1 keeps its group under freeze');
  // A group that n1 does not run is not started there.
  split(cluster, ['n2'], ['n3']);
  cluster.advance(1500);
  assert.deepEqual(cluster.holders('web').sort(), ['n1', 'n2'], 'n2 (isolated, frozen) keeps what it took; n3 starts nothing');
  assert.match(blocked(cluster, 'n3'), /^$|no quorum/);
});

test('two nodes without a tie-breaker: each side takes the group (heartbeat), and the status says so', () => {
  const cluster = started(['n1', 'n2'], PAIR);
  const view = cluster.node('n1').core.protectionView(instant(cluster.now));
  assert.equal(view.guarantee, 'none');
  assert.match(view.warnings.join('\n'), /two nodes without a tie-breaker/);
  split(cluster, ['n1'], ['n2']);
  cluster.advance(1500);
  assert.deepEqual(cluster.holders('web').sort(), ['n1', 'n2'], 'split brain, as heartbeat');
  assert.match(cluster.node('n2').core.protectionView(instant(cluster.now)).quorum.reason, /SPLIT BRAIN IS POSSIBLE/);
});

test('two nodes with fencing, symmetric split: the holder fences first (the other waits its delay), the group never runs twice', () => {
  const protection = spec(['n1', 'n2'], { fencing: fencing(['n1', 'n2']) });
  const cluster = started(['n1', 'n2'], PAIR, protection);
  split(cluster, ['n1'], ['n2']);
  cluster.advance(3000);
  assert.deepEqual(cluster.fenced, [`n1>n2@${cluster.fenced[0]?.split('@')[1]}`], 'only n1 fenced, and it fenced n2');
  assert.equal(cluster.node('n2').alive, false);
  assert.deepEqual(cluster.holders('web'), ['n1']);
  assert.deepEqual(cluster.violations, []);
  const view = cluster.node('n1').core.protectionView(instant(cluster.now));
  assert.equal(view.fencing.history[0]?.ok, true);
  assert.equal(view.fencing.fenced[0]?.node, 'n2');
});

test('two nodes with fencing, the holder crashes: the survivor fences it, then takes over', () => {
  const protection = spec(['n1', 'n2'], { fencing: fencing(['n1', 'n2'], 300) });
  const cluster = started(['n1', 'n2'], PAIR, protection);
  cluster.crash('n1');
  cluster.advance(MINI_TIMINGS.deadtimeMs + 200);
  assert.deepEqual(cluster.holders('web'), ['n1'], 'n1 (crashed, kernel still holding) is not yet fenced: n2 waits');
  assert.match(blocked(cluster, 'n2'), /fenced first/);
  cluster.advance(1000);
  assert.ok(cluster.fenced.some((entry) => entry.startsWith('n2>n1')));
  assert.deepEqual(cluster.holders('web'), ['n2']);
  assert.deepEqual(cluster.violations, []);
});

test('a failing fence device blocks the takeover, loudly, and is retried until it works', () => {
  const protection = spec(['n1', 'n2'], { fencing: fencing(['n1', 'n2'], 0) });
  const cluster = started(['n1', 'n2'], PAIR, protection);
  cluster.fenceBehaviour = { ms: 20, ok: false };
  cluster.crash('n1');
  cluster.advance(2000);
  assert.deepEqual(cluster.holders('web'), ['n1']);
  assert.ok(cluster.fenced.filter((entry) => entry.endsWith('!')).length >= 2, 'retried');
  assert.match(blocked(cluster, 'n2'), /last fencing of n1 failed: device unreachable/);
  assert.ok(cluster.node('n2').events.some((event) => event.kind === 'fence-failed' && /FAILED/.test(event.reason)));
  cluster.fenceBehaviour = { ms: 20, ok: true };
  cluster.advance(1000);
  assert.deepEqual(cluster.holders('web'), ['n2']);
});

test('an arbitrator backs one side: in a split it keeps backing the holder; down while healthy, nothing moves', () => {
  const names = ['n1', 'n2', 'arb'];
  const protection = spec(names, { arbitrator: nodeName('arb') });
  const cluster = started(names, PAIR, protection);
  assert.deepEqual(cluster.holders('web'), ['n1']);
  cluster.crash('arb');
  cluster.advance(1500);
  assert.equal(quorum(cluster, 'n1'), 'quorate', '2 of 3 votes without the arbitrator');
  assert.deepEqual(cluster.holders('web'), ['n1']);
  cluster.restart('arb');
  cluster.advance(1500);
  split(cluster, ['n1'], ['n2']);
  cluster.advance(1500);
  assert.equal(quorum(cluster, 'n1'), 'quorate');
  assert.equal(quorum(cluster, 'n2'), 'lost');
  assert.deepEqual(cluster.holders('web'), ['n1']);
  assert.deepEqual(cluster.violations, []);
});

test('an arbitrator hands its vote over only deadtime after the backed side is gone', () => {
  const names = ['n1', 'n2', 'arb'];
  const cluster = started(names, PAIR, spec(names, { arbitrator: nodeName('arb') }));
  cluster.crash('n1');
  cluster.advance(MINI_TIMINGS.deadtimeMs + 100);
  assert.equal(quorum(cluster, 'n2'), 'lost', 'n2 has 1 of 3 votes until the arbitrator may back it');
  assert.deepEqual(cluster.holders('web'), ['n1']);
  cluster.advance(2000);
  assert.equal(quorum(cluster, 'n2'), 'quorate');
  assert.deepEqual(cluster.holders('web').filter((node) => cluster.node(node).alive), ['n2']);
});

test('ping targets: a node that loses its targets hands its group over without any partition (ipfail)', () => {
  const protection = spec(['n1', 'n2'], { pingDeadMs: 300 });
  const cluster = new MiniCluster(['n1', 'n2'], [PAIR], protection);
  cluster.startAll();
  for (const node of ['n1', 'n2']) cluster.input(node, { kind: 'ping-score', now: instant(cluster.now), score: 1 });
  cluster.advance(2000);
  assert.deepEqual(cluster.holders('web'), ['n1']);
  cluster.input('n1', { kind: 'ping-score', now: instant(cluster.now), score: 0 });
  cluster.advance(1000);
  assert.deepEqual(cluster.holders('web'), ['n2']);
  assert.deepEqual(cluster.violations, []);
});

test('ping targets in a split: the side that lost them gives up, after the ping wait', () => {
  const protection = spec(['n1', 'n2'], { pingDeadMs: 300 });
  const cluster = new MiniCluster(['n1', 'n2'], [PAIR], protection);
  cluster.startAll();
  for (const node of ['n1', 'n2']) cluster.input(node, { kind: 'ping-score', now: instant(cluster.now), score: 2 });
  cluster.advance(2000);
  split(cluster, ['n1'], ['n2']);
  cluster.input('n1', { kind: 'ping-score', now: instant(cluster.now), score: 0 });
  cluster.advance(MINI_TIMINGS.deadtimeMs + 100);
  assert.equal(quorum(cluster, 'n1'), 'pending');
  cluster.advance(1000);
  assert.equal(quorum(cluster, 'n1'), 'lost');
  assert.deepEqual(cluster.holders('web'), ['n2']);
});

test('watchdog: a minority node with a hung stop stops feeding it; the others wait until it has certainly reset', () => {
  const protection = spec(['n1', 'n2', 'n3'], { watchdogTimeoutMs: 1000 });
  const cluster = started(['n1', 'n2', 'n3'], WEB, protection);
  cluster.behaviour.set('n1/web-srv/stop', 'hang');
  assert.equal(cluster.node('n1').core.watchdogVerdict(instant(cluster.now)).feed, true);
  split(cluster, ['n1'], ['n2', 'n3']);
  cluster.advance(MINI_TIMINGS.deadtimeMs + 150);
  const verdict = cluster.node('n1').core.watchdogVerdict(instant(cluster.now));
  assert.equal(verdict.feed, false, verdict.reason);
  assert.deepEqual(cluster.holders('web'), ['n1'], 'n2 waits for the watchdog deadline');
  assert.match(blocked(cluster, 'n2'), /watchdog has certainly reset it/);
  // The watchdog fires 1000 ms after the last feed: the world resets n1.
  cluster.powerOff('n1');
  cluster.advance(2000);
  assert.deepEqual(cluster.holders('web'), ['n2']);
});

test('wait-for-all: a node started alone does not become quorate until it has seen every node once', () => {
  const protection = spec(['n1', 'n2', 'n3'], { waitForAll: true });
  const cluster = new MiniCluster(['n1', 'n2', 'n3'], [WEB], protection);
  cluster.crash('n3');
  cluster.startAll();
  cluster.advance(3000);
  assert.equal(quorum(cluster, 'n1'), 'lost');
  assert.deepEqual(cluster.holders('web'), []);
  assert.match(cluster.node('n1').core.protectionView(instant(cluster.now)).quorum.reason, /wait-for-all/);
});

test('the arbitrator backs the node that holds the groups, whichever it heard first', () => {
  const names = ['n1', 'n2', 'arb'];
  const group = groupSpec('web', ['n2', 'n1'], ['web-ip', 'web-srv']);
  const cluster = started(names, group, spec(names, { arbitrator: nodeName('arb') }));
  assert.deepEqual(cluster.holders('web'), ['n2']);
  assert.equal(cluster.node('arb').core.protectionView(instant(cluster.now)).arbitratorVote, 'n2');
  split(cluster, ['n1'], ['n2']);
  cluster.advance(1500);
  assert.equal(quorum(cluster, 'n2'), 'quorate');
  assert.equal(quorum(cluster, 'n1'), 'lost');
  assert.deepEqual(cluster.holders('web'), ['n2']);
});
