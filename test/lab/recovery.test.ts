/**
 * Recovery as a client sees it, with real nginx behind VIPs run as tandem groups: a crashed nginx restarted in
 * place and moved after the migration threshold, failback (auto and manual) with re-announcement of the VIP, and
 * mutual takeover of two groups. Every test asserts who answers the client and that no two reachable nodes ever
 * held a VIP at once. Measured figures are printed, never asserted against a time.
 */
import assert from 'node:assert/strict';
import { Lab, labTest } from './lab.js';
import { assertNoSplitBrain, report } from './web-checks.js';
import {
  DEFAULT_VIP,
  Prober,
  analyzeProbes,
  crashNode,
  describeSegments,
  groupStatus,
  groupsYaml,
  killNginx,
  processesIn,
  requireNginx,
  rebootNode,
  runsOn,
  startWebCluster,
  tandemCli,
  webGroup,
  writeNginxConfig,
} from './web.js';

const NODES = ['n1', 'n2', 'n3'];
const VIP2 = '192.0.2.101';

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The MAC address the client's neighbour table has for an address, or undefined. */
async function clientNeighbour(lab: Lab, address: string): Promise<string | undefined> {
  const shown = await lab.exec('client', ['ip', 'neigh', 'show', address]);
  return /lladdr ([0-9a-f:]{17})/.exec(shown.stdout)?.[1];
}

labTest('nginx killed (master alone, then all): restarted in place (fail count 1), moved after migration_threshold kills, `tandem cleanup` clears the count', async (t) => {
  requireNginx();
  const lab = await Lab.create({ nodes: NODES, links: 2, clients: ['client'] });
  const nginx = writeNginxConfig(lab);
  const { cluster, watcher } = await startWebCluster(lab, { nodes: NODES, groups: groupsYaml(webGroup(lab, { nodes: NODES, nginx, migrationThreshold: 2, monitorInterval: '1s' })) });
  await cluster.waitFor('web runs on n1, as everyone agrees', () => runsOn(cluster, 'n1', ['n2', 'n3']));
  const prober = Prober.start(lab, 'client');
  const origin = Date.now();
  await prober.waitForAnswerFrom('n1', origin);

  // 1. The master alone is killed; its worker lives on and keeps the port. The monitor notices, and the group
  //    restarts in place on n1: the stop ends the orphaned worker, so the new master can bind the port.
  const before = processesIn(cluster.process('n1'), 'nginx');
  assert.ok(before.length >= 2, `nginx master and worker found on n1 (${before.join(', ')})`);
  const kill1 = Date.now();
  const killed1 = killNginx(cluster, 'n1', { masterOnly: true });
  assert.equal(killed1.length, 1, 'the master alone');
  const down = await prober.waitFor('a failed probe while nginx is dead', (record) => !record.ok, { sinceWallMs: kill1 });
  await cluster.waitFor('n1 runs web again with fail count 1', async () => {
    const own = await groupStatus(cluster, 'n1');
    return own?.phase === 'running' && own.failCounts.n1 === 1;
  });
  const back = await prober.waitForAnswerFrom('n1', down.sentAtWallMs);
  assert.deepEqual(processesIn(cluster.process('n1'), 'nginx').filter((pid) => before.includes(pid)), [], 'the orphaned worker was ended by the restart');
  await cluster.waitFor('n2 sees the fail count of n1', async () => (await groupStatus(cluster, 'n2'))?.failCounts.n1 === 1);
  assert.ok((await cluster.status('n1')).events.some((event) => event.kind === 'group-recovering' && event.group === 'web'), 'a group-recovering event on n1');
  assert.ok(await runsOn(cluster, 'n1', ['n2', 'n3']), 'the group stayed on n1');

  // 2. Second kill, every nginx process this time, reaches migration_threshold (2): the group moves to n2.
  const kill2 = Date.now();
  assert.ok(killNginx(cluster, 'n1').length >= 2);
  await cluster.waitFor('web runs on n2, as n1 and n3 agree', () => runsOn(cluster, 'n2', ['n1', 'n3']));
  const moved = await prober.waitForAnswerFrom('n2', kill2);
  const n1 = await groupStatus(cluster, 'n1');
  assert.equal(n1?.phase, 'failed', 'web is failed on n1: it may not run there');
  assert.equal(n1?.failCounts.n1, 2);

  // 3. cleanup forgets the failures everywhere; failback manual keeps web on n2.
  const cleaned = await tandemCli(cluster, 'n1', ['cleanup', 'web']);
  assert.equal(cleaned.code, 0, `tandem cleanup: ${cleaned.stdout}${cleaned.stderr}`);
  await cluster.waitFor('every node reports no failure', async () => {
    for (const node of NODES) {
      const seen = await groupStatus(cluster, node);
      if (seen === undefined || Object.values(seen.failCounts).some((count) => count !== 0)) return false;
    }
    return true;
  });
  assert.equal((await groupStatus(cluster, 'n1'))?.phase, 'stopped', 'n1 is eligible again (stopped, not failed)');
  await sleep(300);
  assert.ok(await runsOn(cluster, 'n2', ['n1', 'n3']), 'web stays on n2 (failback manual)');
  const probes = await prober.stop();

  const restart = analyzeProbes(probes, { fromMs: kill1, toMs: kill2 });
  const move = analyzeProbes(probes, { fromMs: kill2, faultWallMs: kill2, faultedNode: 'n1' });
  report(t, `restart in place: n1 answers again ${Math.round(back.sentAtWallMs + back.latencyMs - kill1)} ms after the kill, failed probes ${restart.failed} ${JSON.stringify(restart.errors)}`);
  report(t, describeSegments(restart, kill1));
  report(t, `move after the 2nd kill: n2 answers ${move.outageMs} ms after the kill (first ${moved.node}), failed probes ${move.failed} ${JSON.stringify(move.errors)}`);
  report(t, describeSegments(move, kill2));
  assert.deepEqual(Object.keys(restart.byNode), ['n1'], 'only n1 answers around a restart in place');
  assert.deepEqual(Object.keys(analyzeProbes(probes, { fromMs: moved.sentAtWallMs }).byNode), ['n2'], 'after the move only n2 answers');
  await assertNoSplitBrain(t, watcher, kill1, cluster);
  await lab.teardown();
}, { timeout: 90_000 });

labTest('failback: auto returns its group to the rebooted preferred node (VIP re-announced), manual leaves its group where it is', async (t) => {
  requireNginx();
  const lab = await Lab.create({ nodes: NODES, links: 2, clients: ['client'] });
  // Two nginx on one node: each listens on its own VIP (so each VIP starts before its nginx).
  const auto = webGroup(lab, { name: 'auto', nodes: NODES, vip: DEFAULT_VIP, failback: 'auto', nginx: writeNginxConfig(lab, { name: 'auto', listen: DEFAULT_VIP }) });
  const manual = webGroup(lab, { name: 'manual', nodes: NODES, vip: VIP2, failback: 'manual', nginx: writeNginxConfig(lab, { name: 'manual', listen: VIP2 }) });
  const { cluster, watcher } = await startWebCluster(lab, { nodes: NODES, groups: groupsYaml(auto, manual), addresses: [DEFAULT_VIP, VIP2] });
  await cluster.waitFor('both groups run on n1', async () => (await runsOn(cluster, 'n1', ['n2', 'n3'], 'auto')) && runsOn(cluster, 'n1', ['n2', 'n3'], 'manual'));
  const autoProber = Prober.start(lab, 'client', { target: DEFAULT_VIP });
  const manualProber = Prober.start(lab, 'client', { target: VIP2 });
  const origin = Date.now();
  await autoProber.waitForAnswerFrom('n1', origin);
  await manualProber.waitForAnswerFrom('n1', origin);

  const crash = await crashNode(cluster, watcher, 'n1');
  await cluster.waitFor('both groups run on n2', async () => (await runsOn(cluster, 'n2', ['n3'], 'auto')) && runsOn(cluster, 'n2', ['n3'], 'manual'));
  await autoProber.waitForAnswerFrom('n2', crash);
  await manualProber.waitForAnswerFrom('n2', crash);
  assert.equal(await clientNeighbour(lab, DEFAULT_VIP), lab.mac('n2', 0), 'the client reaches the VIP at n2');

  const reboot = Date.now();
  await rebootNode(cluster, watcher, 'n1');
  await cluster.waitFor('n1 is back up everywhere', () => cluster.allUp(), 20_000);
  await cluster.waitFor('auto runs on n1 again, as n2 and n3 agree', () => runsOn(cluster, 'n1', ['n2', 'n3'], 'auto'), 20_000);
  const home = await autoProber.waitForAnswerFrom('n1', reboot);
  await sleep(500);
  assert.ok(await runsOn(cluster, 'n2', ['n1', 'n3'], 'manual'), 'manual stays on n2 (failback: manual)');
  assert.match((await groupStatus(cluster, 'n1', 'manual'))?.phase ?? '', /^stopped$/, 'n1 does not run manual');
  // Re-announcement: the client's neighbour entry for the VIP moved to n1 without waiting for it to go stale.
  assert.equal(await clientNeighbour(lab, DEFAULT_VIP), lab.mac('n1', 0), 'the client reaches the failed-back VIP at n1 (announced)');
  const autoProbes = await autoProber.stop();
  const manualProbes = await manualProber.stop();

  const failback = analyzeProbes(autoProbes, { fromMs: reboot });
  const lastFromN2 = autoProbes.filter((record) => record.ok && record.node === 'n2').pop();
  report(t, `crash → auto on n2: ${analyzeProbes(autoProbes, { faultWallMs: crash, faultedNode: 'n1' }).outageMs} ms; manual on n2: ${analyzeProbes(manualProbes, { faultWallMs: crash, faultedNode: 'n1' }).outageMs} ms`);
  report(t, `failback of auto: n1 answers ${home.sentAtWallMs - reboot} ms after the reboot began; switch gap ${lastFromN2 ? home.sentAtWallMs - lastFromN2.sentAtWallMs : '?'} ms; failed probes ${failback.failed} ${JSON.stringify(failback.errors)}`);
  report(t, describeSegments(failback, reboot));
  assert.deepEqual(Object.keys(analyzeProbes(autoProbes, { fromMs: home.sentAtWallMs }).byNode), ['n1'], 'after failback only n1 answers for auto');
  assert.equal(analyzeProbes(autoProbes, { fromMs: home.sentAtWallMs }).failed, 0, 'no probe fails after failback: no stale neighbour entry');
  assert.deepEqual(Object.keys(analyzeProbes(manualProbes, { fromMs: reboot }).byNode), ['n2'], 'manual: only n2 answers after the reboot');
  await assertNoSplitBrain(t, watcher, crash, cluster);
  await lab.teardown();
}, { timeout: 90_000 });

labTest('mutual takeover: two groups, each node primary for one; the survivor runs both, then each goes home', async (t) => {
  requireNginx();
  const nodes = ['n1', 'n2'];
  const lab = await Lab.create({ nodes, links: 2, clients: ['client'] });
  const a = webGroup(lab, { name: 'a', nodes: ['n1', 'n2'], vip: DEFAULT_VIP, failback: 'auto', nginx: writeNginxConfig(lab, { name: 'a', listen: DEFAULT_VIP }) });
  const b = webGroup(lab, { name: 'b', nodes: ['n2', 'n1'], vip: VIP2, failback: 'auto', nginx: writeNginxConfig(lab, { name: 'b', listen: VIP2 }) });
  const { cluster, watcher } = await startWebCluster(lab, { nodes, groups: groupsYaml(a, b), addresses: [DEFAULT_VIP, VIP2] });
  await cluster.waitFor('a on n1, b on n2', async () => (await runsOn(cluster, 'n1', ['n2'], 'a')) && runsOn(cluster, 'n2', ['n1'], 'b'));
  const proberA = Prober.start(lab, 'client', { target: DEFAULT_VIP });
  const proberB = Prober.start(lab, 'client', { target: VIP2 });
  const origin = Date.now();
  await proberA.waitForAnswerFrom('n1', origin);
  await proberB.waitForAnswerFrom('n2', origin);

  const crash = await crashNode(cluster, watcher, 'n1');
  await cluster.waitFor('n2 runs a and b', async () => (await runsOn(cluster, 'n2', [], 'a')) && runsOn(cluster, 'n2', [], 'b'));
  await proberA.waitForAnswerFrom('n2', crash);
  const reboot = Date.now();
  await rebootNode(cluster, watcher, 'n1');
  await cluster.waitFor('a back on n1, b still on n2', async () => (await runsOn(cluster, 'n1', ['n2'], 'a')) && runsOn(cluster, 'n2', ['n1'], 'b'), 20_000);
  const home = await proberA.waitForAnswerFrom('n1', reboot);
  await sleep(300);
  const probesA = await proberA.stop();
  const probesB = await proberB.stop();

  const takeover = analyzeProbes(probesA, { faultWallMs: crash, faultedNode: 'n1' });
  const b_ = analyzeProbes(probesB);
  report(t, `crash of n1: a answered by n2 after ${takeover.outageMs} ms; a home on n1 ${home.sentAtWallMs - reboot} ms after the reboot began`);
  report(t, `a:\n${describeSegments(analyzeProbes(probesA), crash)}`);
  report(t, `b: ${JSON.stringify(b_.byNode)}, failed ${b_.failed} ${JSON.stringify(b_.errors)}`);
  assert.deepEqual(analyzeProbes(probesA).segments.filter((segment) => segment.node !== 'error').map((segment) => segment.node), ['n1', 'n2', 'n1'], 'a: n1, then n2 during the outage, then n1 again');
  assert.deepEqual(Object.keys(b_.byNode), ['n2'], 'b never leaves n2');
  assert.equal(b_.failed, 0, 'b never fails: the crash and return of n1 do not touch it');
  await assertNoSplitBrain(t, watcher, crash, cluster);
  await lab.teardown();
}, { timeout: 90_000 });
