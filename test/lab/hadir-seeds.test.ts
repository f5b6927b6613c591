/**
 * Issue 6 acceptance: the seeds' heartbeat configurations (ha.cf, haresources, authkeys from test/hadir-corpus),
 * with only node names, addresses, interface names and devices rewritten for the lab (hadir-lab.ts), run a
 * two-node cluster under `tandemd --ha-d`. A client namespace polls the service; the home node crashes; the
 * client is answered by the other node; the home node comes back and, with auto_failback on, gets its group back.
 * The seeds' own timings are kept (keepalive 2 s, deadtime 10/30/60 s), so detection takes that long.
 */
import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import { HadirLabCluster, seedPlan, type SeedPlan } from './hadir-lab.js';
import { Lab, labTest } from './lab.js';
import { assertNoSplitBrain, report } from './web-checks.js';
import { Prober, VipWatcher, analyzeProbes, crashNode, rebootNode, requireNginx, runsOn } from './web.js';

/** The one group a seed's haresources defines, as tandem named it. */
async function onlyGroup(cluster: HadirLabCluster): Promise<string> {
  const groups = (await cluster.status('n1')).groups;
  assert.equal(groups.length, 1, `one haresources line, one group: ${groups.map((group) => group.name).join(', ')}`);
  return groups[0]?.name ?? '';
}

/**
 * Starts the cluster, checks both nodes run the same config (digest), waits until the group runs on its home and
 * the client is answered from there; then crash → failover → reboot → failback, with the figures reported.
 */
async function failoverAndBack(t: TestContext, lab: Lab, plan: SeedPlan, cluster: HadirLabCluster, deadtimeMs: number): Promise<void> {
  const watcher = await VipWatcher.start(lab, ['n1', 'n2'], [plan.vip]);
  cluster.startAll();
  await cluster.waitFor('n1 and n2 see each other up', () => cluster.allUp(), 30_000);
  const [n1, n2] = [await cluster.status('n1'), await cluster.status('n2')];
  assert.equal(n1.configDigest, n2.configDigest, 'both nodes read the same cluster from their ha.d');
  const group = await onlyGroup(cluster);
  await cluster.waitFor(`${group} runs on ${plan.home}, as ${plan.other} agrees`, () => runsOn(cluster, plan.home, [plan.other], group), 60_000);

  const prober = Prober.start(lab, 'client', { target: plan.vip, port: plan.port, timeoutMs: 500, maxMs: 600_000 });
  const origin = Date.now();
  await prober.waitForAnswerFrom(plan.home, origin, 30_000);

  const fault = await crashNode(cluster, watcher, plan.home);
  const first = await prober.waitFor(`an answer from ${plan.other}`, (record) => record.ok && record.node === plan.other, { sinceWallMs: fault, timeoutMs: deadtimeMs + 60_000 });
  const failover = analyzeProbes(prober.results(), { faultWallMs: fault, faultedNode: plan.home });
  report(t, `${plan.seed} crash of ${plan.home}: outage ${failover.outageMs} ms (deadtime ${deadtimeMs} ms), first answer from ${first.node}`);

  const back = Date.now();
  await rebootNode(cluster, watcher, plan.home);
  await prober.waitForAnswerFrom(plan.home, back, 90_000);
  await cluster.waitFor(`${group} back on ${plan.home}`, () => runsOn(cluster, plan.home, [plan.other], group), 30_000);
  await new Promise((resolve) => setTimeout(resolve, 500));
  const probes = await prober.stop();
  const failback = analyzeProbes(probes, { fromMs: back });
  report(t, `${plan.seed} failback to ${plan.home}: failed probes ${failback.failed}, longest gap ${failback.longestGapMs} ms`);
  assert.ok((analyzeProbes(probes, { toMs: fault }).byNode[plan.home] ?? 0) > 0, `${plan.home} answered before the crash`);
  await assertNoSplitBrain(t, watcher, origin, cluster);
}

labTest('seed 004 (bcast, IPaddr + ipvsadm + httpd, ping + ipfail, auto_failback on, deadtime 30): failover and failback', async (t) => {
  requireNginx();
  const lab = await Lab.create({ nodes: ['n1', 'n2'], links: 1, clients: ['gw', 'client'] });
  const plan = seedPlan('seed-004', lab, { gateway: lab.address('gw', 0) });
  const cluster = new HadirLabCluster(lab, plan);
  await failoverAndBack(t, lab, plan, cluster, 30_000);
  await lab.teardown();
}, { timeout: 240_000 });
