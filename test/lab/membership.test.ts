/**
 * Membership end to end: three real tandemd processes, each in its own network, mount, UTS and PID namespace,
 * joined by two links (lan: UDP unicast, backup: UDP broadcast). Faults are real: kill -9, SIGTERM, SIGSTOP,
 * an interface taken down. Assertions read the daemons' own status through their API sockets.
 */
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Lab, labTest } from './lab.js';
import { LabCluster } from './cluster.js';

const NODES = ['n1', 'n2', 'n3'];
const DEADTIME_MS = 500;

async function withCluster(fn: (cluster: LabCluster, lab: Lab) => Promise<void>): Promise<void> {
  const lab = await Lab.create({ nodes: NODES, links: 2 });
  try {
    const cluster = new LabCluster(lab, { nodes: NODES });
    cluster.startAll();
    await cluster.waitFor('every node sees every other up', () => cluster.allUp());
    await fn(cluster, lab);
  } finally {
    await lab.teardown();
  }
}

labTest('three nodes on two links come up without ever declaring a peer dead', async () => {
  await withCluster(async (cluster) => {
    for (const node of NODES) {
      const status = await cluster.status(node);
      assert.equal(status.node, node, 'the node name comes from the UTS namespace host name');
      assert.equal(statSync(cluster.socket(node)).mode & 0o777, 0o600, 'the API socket is owner-only');
      assert.equal(readFileSync(join(cluster.nodeDir(node), 'state', 'generation'), 'utf8'), '1\n', 'the generation is persisted');
      assert.equal(status.nodes.length, 3);
      for (const peer of status.nodes.filter((entry) => !entry.self)) {
        assert.equal(peer.state, 'up');
        assert.deepEqual(peer.links.map((link) => [link.name, link.state]), [['lan', 'up'], ['backup', 'up']]);
        assert.equal(peer.configMatches, true);
        assert.equal(peer.generation, 1);
      }
      // A peer not heard within initdead would have been declared dead: none was.
      assert.equal(status.events.filter((event) => event.kind === 'peer-dead').length, 0);
      assert.equal(Object.values(status.counters.dropped).reduce((a, b) => a + b, 0), 0, 'a clean lab drops nothing');
    }
  });
}, { timeout: 60_000 });

labTest('kill -9: the others declare the node dead after deadtime, never earlier; a restart bumps the generation', async () => {
  await withCluster(async (cluster) => {
    cluster.process('n3').kill('SIGKILL');
    let sawLate = false;
    await cluster.waitFor('n1 and n2 declare n3 dead', async () => {
      for (const observer of ['n1', 'n2']) {
        const status = await cluster.status(observer);
        const n3 = status.nodes.find((node) => node.name === 'n3');
        assert.ok(n3);
        if (n3.state === 'late') sawLate = true;
        if (n3.state === 'dead') {
          // Never earlier than deadtime: at the moment it is dead, every link has been silent for at least deadtime.
          for (const link of n3.links) assert.ok((link.lastHeardMsAgo ?? Infinity) >= DEADTIME_MS, `${observer} declared n3 dead with ${link.name} heard ${link.lastHeardMsAgo} ms ago`);
        } else return false;
      }
      return true;
    });
    assert.ok(sawLate, 'the peer passes through late (warntime) before dead');
    const dead = (await cluster.status('n1')).events.find((event) => event.kind === 'peer-dead' && event.node === 'n3');
    assert.ok(dead, 'a peer-dead event with a reason');
    assert.match(dead.reason, /deadtime/);

    await cluster.process('n3').exited;
    cluster.start('n3');
    await cluster.waitFor('n3 is back up everywhere', () => cluster.allUp());
    const n3 = (await cluster.status('n1')).nodes.find((node) => node.name === 'n3');
    assert.equal(n3?.generation, 2, 'the restarted daemon announces generation 2');
    assert.ok((await cluster.status('n1')).events.some((event) => event.kind === 'peer-restarted' && event.node === 'n3'));
  });
}, { timeout: 90_000 });

labTest('SIGTERM: the others show the node left at once, not dead', async () => {
  await withCluster(async (cluster) => {
    const n2 = cluster.process('n2');
    n2.kill('SIGTERM');
    const exit = await n2.exited;
    assert.equal(exit.code, 0, 'a graceful leave exits 0');
    for (const observer of ['n1', 'n3']) {
      const status = await cluster.status(observer);
      const entry = status.nodes.find((node) => node.name === 'n2');
      assert.equal(entry?.state, 'left', `${observer} sees n2 left right after it exited`);
      // The leave arrived before any deadtime could have passed.
      for (const link of entry?.links ?? []) assert.ok((link.lastHeardMsAgo ?? 0) < DEADTIME_MS);
    }
  });
}, { timeout: 60_000 });

labTest('one link down: the node stays up, that link is dead, and it recovers', async () => {
  await withCluster(async (cluster, lab) => {
    await lab.linkDown('n1', 0);
    await cluster.waitFor('n2 and n3 see lan to n1 dead', async () => {
      for (const observer of ['n2', 'n3']) {
        const n1 = (await cluster.status(observer)).nodes.find((node) => node.name === 'n1');
        if (n1?.links.find((link) => link.name === 'lan')?.state !== 'dead') return false;
      }
      return true;
    });
    for (const observer of ['n2', 'n3']) {
      const n1 = (await cluster.status(observer)).nodes.find((node) => node.name === 'n1');
      assert.equal(n1?.state, 'up', 'backup still carries heartbeats');
      assert.equal(n1?.links.find((link) => link.name === 'backup')?.state, 'up');
    }
    const n1View = await cluster.status('n1');
    assert.ok(n1View.nodes.filter((node) => !node.self).every((node) => node.state === 'up'));
    await lab.linkUp('n1', 0);
    await cluster.waitFor('lan to n1 comes back', async () => {
      const n1 = (await cluster.status('n2')).nodes.find((node) => node.name === 'n1');
      return n1?.links.find((link) => link.name === 'lan')?.state === 'up';
    });
    assert.ok((await cluster.status('n2')).events.some((event) => event.kind === 'link-dead' && event.node === 'n1' && event.link === 'lan'));
  });
}, { timeout: 60_000 });

labTest('a frozen node (SIGSTOP beyond deadtime) is declared dead; after SIGCONT it notices its pause and declares nobody dead', async () => {
  await withCluster(async (cluster) => {
    const n1 = cluster.process('n1');
    n1.kill('SIGSTOP');
    await cluster.waitFor('n2 declares the frozen n1 dead', async () => (await cluster.peerState('n2', 'n1')) === 'dead');
    await new Promise((resolve) => setTimeout(resolve, 500));
    n1.kill('SIGCONT');
    await cluster.waitFor('all up again after the freeze', () => cluster.allUp());
    const events = (await cluster.status('n1')).events;
    assert.ok(events.some((event) => event.kind === 'pause-detected'), 'the resumed node reports its own pause');
    assert.equal(events.filter((event) => event.kind === 'peer-dead').length, 0, 'the resumed node blamed nobody for its own freeze');
  });
}, { timeout: 60_000 });
