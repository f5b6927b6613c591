/**
 * The other media and live reconfiguration, end to end: IPv4 multicast, IPv6 unicast and IPv6 multicast
 * links carry membership; SIGHUP and `tandem reload` apply a changed config without a restart, and reject
 * a broken one with its errors while the old config keeps running.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { Lab, labTest } from './lab.js';
import { LabCluster, TANDEM_CLI } from './cluster.js';

const NODES = ['n1', 'n2'];

labTest('IPv4 multicast, IPv6 unicast and IPv6 multicast links each carry heartbeats', async () => {
  const lab = await Lab.create({ nodes: NODES, links: 3, ipv6: true });
  try {
    const cluster = new LabCluster(lab, {
      nodes: NODES,
      links: [
        { name: 'mcast4', transport: 'udp-multicast', labLink: 0, group: '239.255.69.4' },
        { name: 'ucast6', transport: 'udp-unicast', labLink: 2, port: 695 },
        { name: 'mcast6', transport: 'udp-multicast', labLink: 2, group: 'ff02::694', port: 696 },
      ],
    });
    cluster.startAll();
    await cluster.waitFor('both nodes up on every link', async () => {
      for (const [observer, peer] of [['n1', 'n2'], ['n2', 'n1']] as const) {
        const entry = (await cluster.status(observer)).nodes.find((node) => node.name === peer);
        if (entry?.state !== 'up' || !entry.links.every((link) => link.state === 'up')) return false;
      }
      return true;
    });
    const status = await cluster.status('n1');
    assert.deepEqual(status.nodes.find((node) => node.name === 'n2')?.links.map((link) => link.name), ['mcast4', 'ucast6', 'mcast6']);
    assert.equal(Object.values(status.counters.dropped).reduce((a, b) => a + b, 0), 0);
  } finally {
    await lab.teardown();
  }
}, { timeout: 60_000 });

labTest('reload: a broken config is rejected with file:line and the cluster runs on; a good one applies without restart', async () => {
  const lab = await Lab.create({ nodes: NODES, links: 2 });
  try {
    const cluster = new LabCluster(lab, { nodes: NODES });
    cluster.startAll();
    await cluster.waitFor('cluster up', () => cluster.allUp(NODES));
    const pidBefore = cluster.process('n1').pid;

    // Broken: a misspelt key. `tandem reload` reports the error and exits 1; the daemon keeps running.
    const good = cluster.configText('n1');
    cluster.writeConfig('n1', good.replace('deadtime:', 'deadtiem:'));
    const rejected = spawnSync(process.execPath, [TANDEM_CLI, '--socket', cluster.socket('n1'), 'reload'], { encoding: 'utf8' });
    assert.equal(rejected.status, 1, rejected.stdout + rejected.stderr);
    assert.match(rejected.stderr, /tandem\.yaml:\d+:\d+/);
    assert.match(rejected.stderr, /deadtime/, 'suggests the intended key');
    assert.equal((await cluster.status('n1')).timings.deadtimeMs, 500, 'old config still in force');

    // SIGHUP with a broken file: same, and the node stays up for its peer.
    cluster.process('n1').kill('SIGHUP');
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(await cluster.peerState('n2', 'n1'), 'up');

    // Good change: longer deadtime on both nodes, applied live, same process, same generation.
    for (const node of NODES) {
      cluster.writeConfig(node, cluster.configText(node, { timings: { keepalive: '100ms', warntime: '400ms', deadtime: '800ms', initdead: '2s' } }));
    }
    const applied = spawnSync(process.execPath, [TANDEM_CLI, '--socket', cluster.socket('n1'), 'reload', '--json'], { encoding: 'utf8' });
    assert.equal(applied.status, 0, applied.stderr);
    assert.equal((JSON.parse(applied.stdout) as { ok: boolean }).ok, true);
    cluster.process('n2').kill('SIGHUP');
    await cluster.waitFor('both nodes run the new timings', async () => (await cluster.status('n2')).timings.deadtimeMs === 800);
    const after = await cluster.status('n1');
    assert.equal(after.timings.deadtimeMs, 800);
    assert.equal(after.generation, 1, 'no restart');
    assert.equal(cluster.process('n1').pid, pidBefore);
    await cluster.waitFor('configs match again', async () => (await cluster.status('n1')).nodes.every((node) => node.configMatches !== false));
    assert.ok(after.events.some((event) => event.kind === 'config-applied'));
  } finally {
    await lab.teardown();
  }
}, { timeout: 60_000 });
