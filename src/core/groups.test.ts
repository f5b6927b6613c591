import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MiniCluster, groupSpec } from './testing/mini-cluster.js';
import { nodeName } from './types.js';

const WEB = groupSpec('web', ['n1', 'n2', 'n3'], ['web-ip', 'web-fs', 'web-srv']);

function started(groups = [WEB]): MiniCluster {
  const cluster = new MiniCluster(['n1', 'n2', 'n3'], groups);
  cluster.startAll();
  cluster.advance(2000);
  return cluster;
}

function phaseOn(cluster: MiniCluster, node: string, group = 'web'): string | undefined {
  return cluster.node(node).core.groupsView().groups.find((entry) => entry.name === group)?.phase;
}

test('the group starts on its preferred node only, resources in order', () => {
  const cluster = started();
  assert.deepEqual(cluster.holders('web'), ['n1']);
  assert.deepEqual(
    cluster.node('n1').ops.filter((op) => op.operation === 'start').map((op) => op.resource),
    ['web-ip', 'web-fs', 'web-srv'],
  );
  assert.equal(phaseOn(cluster, 'n1'), 'running');
  assert.equal(phaseOn(cluster, 'n2'), 'stopped');
  assert.deepEqual(cluster.violations, []);
});

test('crash of the holder: the next preferred node takes over after deadtime, never while the holder is alive', () => {
  const cluster = started();
  cluster.crash('n1');
  cluster.advance(300);
  assert.deepEqual(cluster.holders('web').filter((node) => node !== 'n1'), [], 'nobody starts before deadtime');
  cluster.advance(500);
  assert.deepEqual(cluster.holders('web').filter((node) => node !== 'n1'), ['n2']);
  const why = cluster.node('n2').core.groupsView().groups[0]?.story.map((entry) => entry.why).join('\n') ?? '';
  assert.match(why, /n1 is dead/);
  assert.deepEqual(cluster.violations, []);
});

test('failback manual keeps the group where it is; auto returns it, stop before start', () => {
  for (const failback of ['manual', 'auto'] as const) {
    const cluster = started([{ ...WEB, failback }]);
    cluster.crash('n1');
    cluster.advance(1000);
    cluster.restart('n1');
    cluster.advance(3000);
    assert.deepEqual(cluster.holders('web').filter((node) => cluster.node(node).alive), failback === 'manual' ? ['n2'] : ['n1'], failback);
    assert.deepEqual(cluster.violations, [], failback);
  }
});

test('move and standby are orchestrated: stop on the old node, then start on the new, zero overlap', () => {
  const cluster = started();
  cluster.admin('n3', { kind: 'move', group: 'web', node: nodeName('n3') });
  cluster.advance(500);
  assert.deepEqual(cluster.holders('web'), ['n3']);
  cluster.admin('n1', { kind: 'standby', node: nodeName('n3'), on: true });
  cluster.advance(500);
  assert.deepEqual(cluster.holders('web'), ['n1'], 'the operator placement yields to standby; n1 is the most preferred');
  cluster.admin('n2', { kind: 'move', group: 'web', node: undefined });
  cluster.admin('n2', { kind: 'standby', node: nodeName('n3'), on: false });
  cluster.advance(500);
  assert.deepEqual(cluster.holders('web'), ['n1']);
  assert.deepEqual(cluster.violations, []);
});

test("a placement until the next failover (heartbeat's hb_standby) holds until a node of the group dies, then auto failback decides again", () => {
  const cluster = started([{ ...WEB, failback: 'auto' }]);
  cluster.admin('n1', { kind: 'move', group: 'web', node: nodeName('n2'), untilFailover: true });
  cluster.advance(500);
  assert.deepEqual(cluster.holders('web'), ['n2'], 'moved at once');
  cluster.advance(3000);
  assert.deepEqual(cluster.holders('web'), ['n2'], 'and stays while nobody fails');
  cluster.crash('n3');
  cluster.advance(1000);
  assert.deepEqual(cluster.holders('web').filter((node) => cluster.node(node).alive), ['n1'], 'n3 died: the placement is gone and web goes home to n1');
  assert.equal(cluster.node('n2').core.groupsView().groups[0]?.pinnedTo, undefined);
  assert.deepEqual(cluster.violations, []);
});

test('a failed monitor restarts in place until the threshold, then the group moves', () => {
  const cluster = started([{ ...WEB, migrationThreshold: 2 }]);
  cluster.node('n1').running.set('web-srv', false);
  cluster.advance(700);
  assert.deepEqual(cluster.holders('web'), ['n1'], 'restarted in place');
  const restartedOps = cluster.node('n1').ops.filter((op) => op.resource === 'web-srv' && op.operation === 'start').length;
  assert.equal(restartedOps, 2);
  cluster.node('n1').running.set('web-srv', false);
  cluster.advance(1000);
  assert.deepEqual(cluster.holders('web'), ['n2'], 'moved after the second failure');
  assert.equal(cluster.node('n2').core.groupsView().groups[0]?.failCounts.n1, 2);
  cluster.admin('n2', { kind: 'cleanup', group: 'web' });
  cluster.advance(500);
  assert.equal(cluster.node('n1').core.groupsView().groups[0]?.failCount, 0);
  assert.deepEqual(cluster.violations, []);
});

test('a failed start stops what started and the group goes to the next node', () => {
  const cluster = new MiniCluster(['n1', 'n2', 'n3'], [WEB]);
  cluster.behaviour.set('n1/web-fs/start', 'failed');
  cluster.startAll();
  cluster.advance(2500);
  assert.deepEqual(cluster.holders('web'), ['n2']);
  assert.equal(cluster.node('n1').running.get('web-ip'), false, 'the VIP that had started on n1 was stopped');
  assert.equal(phaseOn(cluster, 'n1'), 'failed');
  assert.deepEqual(cluster.violations, []);
});

test('a failed stop makes the group unclean: nobody starts it, even after the node dies, until cleanup', () => {
  const cluster = started();
  cluster.behaviour.set('n1/web-fs/stop', 'failed');
  cluster.admin('n1', { kind: 'move', group: 'web', node: nodeName('n2') });
  cluster.advance(500);
  assert.equal(phaseOn(cluster, 'n1'), 'unclean');
  assert.deepEqual(cluster.holders('web'), ['n1']);
  assert.match(cluster.node('n2').core.groupsView().groups[0]?.blockedBy ?? '', /n1 reports it unclean/);
  cluster.crash('n1');
  cluster.advance(1000);
  assert.deepEqual(cluster.holders('web').filter((node) => node !== 'n1'), [], 'a dead unclean node still blocks');
  assert.match(cluster.node('n2').core.groupsView().groups[0]?.blockedBy ?? '', /tandem cleanup web/);
  cluster.admin('n3', { kind: 'cleanup', group: 'web' });
  cluster.advance(500);
  assert.deepEqual(cluster.holders('web').filter((node) => node !== 'n1'), ['n2']);
});

test('a hung start is failed at its timeout and the group moves on', () => {
  const cluster = new MiniCluster(['n1', 'n2', 'n3'], [WEB]);
  cluster.behaviour.set('n1/web-srv/start', 'hang');
  cluster.startAll();
  cluster.advance(4000);
  assert.deepEqual(cluster.holders('web'), ['n2']);
  assert.deepEqual(cluster.violations, []);
});

test('graceful leave: groups stop first, peers start them as soon as the leaving node reports them stopped', () => {
  const cluster = started();
  cluster.leave('n1');
  cluster.advance(200);
  assert.deepEqual(cluster.holders('web'), ['n2']);
  assert.deepEqual(cluster.violations, []);
});

test('mutual takeover: each node runs its own group; the survivor runs both; back home with failback auto', () => {
  const a = groupSpec('a', ['n1', 'n2'], ['a-ip'], { failback: 'auto' });
  const b = groupSpec('b', ['n2', 'n1'], ['b-ip'], { failback: 'auto' });
  const cluster = new MiniCluster(['n1', 'n2'], [a, b]);
  cluster.startAll();
  cluster.advance(2000);
  assert.deepEqual([cluster.holders('a'), cluster.holders('b')], [['n1'], ['n2']]);
  cluster.crash('n2');
  cluster.advance(1000);
  assert.deepEqual([cluster.holders('a'), cluster.holders('b').filter((node) => node !== 'n2')], [['n1'], ['n1']]);
  cluster.restart('n2');
  cluster.advance(3000);
  assert.deepEqual([cluster.holders('a'), cluster.holders('b')], [['n1'], ['n2']]);
  assert.deepEqual(cluster.violations, []);
});

test('a restarted node that finds leftovers stops them when another node holds the group', () => {
  const cluster = started();
  cluster.crash('n1');
  cluster.advance(1000);
  // n1 comes back with the VIP still configured (a crash that left the kernel state, as a quick restart of tandemd does).
  const leftovers = new Map(cluster.node('n1').running);
  cluster.restart('n1');
  for (const [resource, running] of leftovers) cluster.node('n1').running.set(resource, running);
  cluster.advance(3000);
  assert.deepEqual(cluster.holders('web'), ['n2']);
});

test('a holder frozen past deadtime drops the group as soon as it resumes; the new holder keeps it', () => {
  const cluster = started();
  cluster.freeze('n1', 1500);
  cluster.advance(1000);
  assert.deepEqual(cluster.holders('web').sort(), ['n1', 'n2'], 'during the freeze the frozen kernel still holds it (only fencing can prevent that)');
  cluster.advance(600);
  assert.deepEqual(cluster.holders('web'), ['n2'], 'within 100 ms of resuming, n1 has stopped it');
  assert.ok(cluster.node('n1').events.some((event) => event.kind === 'group-yielded'));
  cluster.advance(2000);
  assert.deepEqual(cluster.holders('web'), ['n2'], 'and it stays on n2 (failback manual)');
});
