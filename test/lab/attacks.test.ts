/**
 * Hostile input end to end: a host on the bridge captures a real heartbeat and throws forged, replayed,
 * truncated, oversized and random datagrams at a running tandemd. Every one must be dropped and counted
 * by reason in `tandem status --json`, and the daemon must keep running and keep its peers up.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { Lab, labTest } from './lab.js';
import { BUILD_ROOT, LAB_SECRET, LabCluster, TANDEM_CLI } from './cluster.js';

const NODES = ['n1', 'n2', 'n3'];

labTest('forged, replayed, truncated, oversized and random packets are dropped and counted; the daemon runs on', async () => {
  const lab = await Lab.create({ nodes: NODES, links: 2, clients: ['mallory'] });
  try {
    const cluster = new LabCluster(lab, { nodes: NODES });
    cluster.startAll();
    await cluster.waitFor('cluster up', () => cluster.allUp());
    const result = await lab.exec('mallory', [
      process.execPath, join(BUILD_ROOT, 'test/lab/attacker.js'),
      '--capture', '198.51.100.255', '--port', '694',
      '--target-lan', lab.address('n1', 0), '--target-backup', lab.address('n1', 1),
      '--cluster', 'lab', '--victim', 'n2', '--secret', LAB_SECRET,
    ], { timeoutMs: 20_000 });
    assert.equal(result.code, 0, `attacker failed: ${result.stderr}`);
    const report = JSON.parse(result.stdout) as { sent: Record<string, number>; random: number };

    await cluster.waitFor('n1 counted every datagram', async () => {
      const dropped = (await cluster.status('n1')).counters.dropped;
      const total = Object.values(dropped).reduce((a, b) => a + b, 0);
      const expected = Object.values(report.sent).reduce((a, b) => a + b, 0) + report.random;
      return total >= expected;
    }, 5000);

    // The CLI's JSON is what scripts read: check the counters through it, not only through the API.
    const cli = spawnSync(process.execPath, [TANDEM_CLI, '--socket', cluster.socket('n1'), 'status', '--json'], { encoding: 'utf8' });
    assert.equal(cli.status, 0, cli.stderr);
    const status = JSON.parse(cli.stdout) as { counters: { dropped: Record<string, number> }; nodes: { name: string; state: string }[] };
    const dropped = status.counters.dropped;
    for (const [reason, count] of Object.entries(report.sent)) {
      if (reason === 'malformed') continue; // random datagrams add to malformed too; checked below
      assert.equal(dropped[reason], count, `dropped.${reason}`);
    }
    assert.ok((dropped['malformed'] ?? 0) >= (report.sent['malformed'] ?? 0), 'truncated packets are malformed');
    const total = Object.values(dropped).reduce((a, b) => a + b, 0);
    assert.equal(total, Object.values(report.sent).reduce((a, b) => a + b, 0) + report.random, 'every hostile datagram was counted once');

    // Nothing the attacker sent changed membership, and the daemon is alive.
    assert.ok(status.nodes.every((node) => node.state === 'up'));
    await cluster.waitFor('still up after the attack', () => cluster.allUp(), 3000);
  } finally {
    await lab.teardown();
  }
}, { timeout: 90_000 });
