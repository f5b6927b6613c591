/**
 * Issue 6 acceptance: the seeds' heartbeat configurations (ha.cf, haresources, authkeys from test/hadir-corpus),
 * with only node names, addresses, interface names and devices rewritten for the lab (hadir-lab.ts), run a
 * two-node cluster under `tandemd --ha-d`. A client namespace polls the service; the home node crashes; the
 * client is answered by the other node; the home node comes back and, with auto_failback on, gets its group back.
 * The seeds' own timings are kept (keepalive 2 s, deadtime 10/30/60 s), so detection takes that long.
 */
import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import { join } from 'node:path';
import { setUpSeed, type HadirLabCluster, type SeedLab } from './hadir-lab.js';
import { TANDEM_CLI } from './cluster.js';
import { labTest } from './lab.js';
import { assertNoSplitBrain, report } from './web-checks.js';
import { Prober, VipWatcher, analyzeProbes, crashNode, rebootNode, requireNginx, runsOn, why } from './web.js';

/** The one group a seed's haresources defines, as tandem named it. */
async function onlyGroup(cluster: HadirLabCluster): Promise<string> {
  const groups = (await cluster.status('n1')).groups;
  assert.equal(groups.length, 1, `one haresources line, one group: ${groups.map((group) => group.name).join(', ')}`);
  return groups[0]?.name ?? '';
}

/** `waiting`, or its failure with `tandem why GROUP` from each node that answers: what the group did and why. */
async function explained<T>(cluster: HadirLabCluster, group: string, waiting: Promise<T>): Promise<T> {
  try {
    return await waiting;
  } catch (error) {
    const stories: string[] = [];
    for (const node of cluster.options.nodes) {
      try {
        const report = await why(cluster, node, group);
        stories.push(`tandem why ${group} on ${node}: ${JSON.stringify({ blockedBy: report.blockedBy, resources: report.resources, story: report.story.slice(-10) }, null, 1)}`);
      } catch (whyError) {
        stories.push(`${node}: no answer (${(whyError as Error).message})`);
      }
    }
    throw new Error(`${(error as Error).message}\n${stories.join('\n')}`);
  }
}

/**
 * Starts the cluster, checks both nodes run the same config (digest), waits until the group runs on its home and
 * the client is answered from there; then crash → failover → reboot → failback, with the figures reported.
 */
async function failoverAndBack(t: TestContext, seed: SeedLab, options: { afterFailover?: () => Promise<void> } = {}): Promise<void> {
  const { lab, plan, cluster, deadtimeMs } = seed;
  const watcher = await VipWatcher.start(lab, ['n1', 'n2'], [plan.vip]);
  cluster.startAll();
  await cluster.waitFor('n1 and n2 see each other up', () => cluster.allUp(), 30_000);
  const [n1, n2] = [await cluster.status('n1'), await cluster.status('n2')];
  assert.equal(n1.configDigest, n2.configDigest, 'both nodes read the same cluster from their ha.d');
  const group = await onlyGroup(cluster);
  await explained(cluster, group, cluster.waitFor(`${group} runs on ${plan.home}, as ${plan.other} agrees`, () => runsOn(cluster, plan.home, [plan.other], group), 60_000));

  const prober = Prober.start(lab, 'client', { target: plan.vip, port: plan.port, timeoutMs: 500, maxMs: 600_000 });
  const origin = Date.now();
  await prober.waitForAnswerFrom(plan.home, origin, 30_000);

  const fault = await crashNode(cluster, watcher, plan.home);
  const first = await prober.waitFor(`an answer from ${plan.other}`, (record) => record.ok && record.node === plan.other, { sinceWallMs: fault, timeoutMs: deadtimeMs + seed.extraWaitMs + 60_000 });
  const failover = analyzeProbes(prober.results(), { faultWallMs: fault, faultedNode: plan.home });
  report(t, `${plan.seed} crash of ${plan.home}: outage ${failover.outageMs} ms (deadtime ${deadtimeMs} ms), first answer from ${first.node}`);
  await options.afterFailover?.();

  const back = Date.now();
  if (lab.isPoweredOff(plan.home)) {
    // Its watchdog reset it while it was down (its processes, the VIP monitor too, are gone): power it on.
    await watcher.rewatch(plan.home);
    await lab.powerOn(plan.home);
  }
  await rebootNode(cluster, watcher, plan.home);
  await explained(cluster, group, prober.waitForAnswerFrom(plan.home, back, 90_000));
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
  const seed = await setUpSeed('seed-004');
  try {
    await failoverAndBack(t, seed);
  } finally {
    await seed.teardown();
  }
}, { timeout: 240_000 });

labTest('seed 002 (serial + bcast + mcast on one interface, watchdog, legacy failback, deadtime 10): failover and failback', async (t) => {
  requireNginx();
  const seed = await setUpSeed('seed-002');
  try {
    await failoverAndBack(t, seed);
    const links = (await seed.cluster.status('n2')).nodes.find((node) => node.name === 'n1')?.links.map((link) => `${link.name}:${link.state}`);
    report(t, `seed-002 links of n1 seen from n2 after failback: ${links?.join(' ')}`);
    assert.deepEqual(links?.map((link) => link.split(':')[1]), ['up', 'up', 'up'], 'the serial, bcast and mcast links are all up again');
  } finally {
    await seed.teardown();
  }
}, { timeout: 300_000 });

labTest('seed 003 (serial only, ping + ipfail, Filesystem on a shared disk, auto_failback on, deadtime 60): failover and failback', async (t) => {
  requireNginx();
  const seed = await setUpSeed('seed-003');
  try {
    const fetchShared = async (): Promise<string> =>
      (await seed.lab.exec('client', [process.execPath, '-e', `fetch('http://${seed.plan.vip}/shared.txt', { signal: AbortSignal.timeout(2000) }).then((r) => r.text()).then((t) => process.stdout.write(t))`])).stdout;
    await failoverAndBack(t, seed, {
      afterFailover: async () => assert.equal(await fetchShared(), 'served from the shared disk\n', 'n2 serves the file from the disk it mounted'),
    });
    assert.equal(await fetchShared(), 'served from the shared disk\n', 'n1 serves it again after the failback');
  } finally {
    await seed.teardown();
  }
}, { timeout: 300_000 });

/** What a node's daemon runs, in a form two runs can be compared by: digest, groups with their nodes and holders. */
async function runningShape(cluster: HadirLabCluster): Promise<{ digest: string; groups: string[] }> {
  const status = await cluster.status('n2');
  return { digest: status.configDigest, groups: status.groups.map((group) => `${group.name} nodes=${group.nodes?.join(',')} held by ${group.holders.join(',')}`) };
}

labTest('seed 004 as heartbeat left it in /etc/ha.d, then through `tandem config import`: the same cluster, the same groups on the same nodes', async (t) => {
  requireNginx();
  const { lab, cluster, teardown } = await setUpSeed('seed-004');
  t.after(teardown);
  // Each node sees its own files at /etc/ha.d (its own mount namespace), where scripts are looked up too.
  cluster.source = { kind: 'etc' };
  cluster.startAll();
  await cluster.waitFor('n1 and n2 see each other up (from /etc/ha.d)', () => cluster.allUp(), 30_000);
  const group = await onlyGroup(cluster);
  await cluster.waitFor(`${group} runs on n1`, () => runsOn(cluster, 'n1', ['n2'], group), 60_000);
  const fromHaD = await runningShape(cluster);
  for (const node of cluster.options.nodes) {
    const proc = cluster.process(node);
    proc.kill('SIGTERM');
    await proc.exited;
  }

  const yaml = (node: string): string => join(cluster.nodeDir(node), 'imported.yaml');
  for (const node of cluster.options.nodes) {
    const imported = await lab.exec(node, cluster.withEtcHaD(node, [process.execPath, TANDEM_CLI, 'config', 'import', '/etc/ha.d', '--node', node, '--out', yaml(node), '--key-file', join(cluster.nodeDir(node), 'imported.keys'), '--write-keys']));
    assert.equal(imported.code, 0, `tandem config import on ${node}: ${imported.stderr}`);
    report(t, `${node}: ${imported.stderr.split('\n').filter((line) => line !== '').length} line(s) of notes from the import`);
  }
  cluster.source = { kind: 'yaml', file: yaml };
  cluster.startAll();
  await cluster.waitFor('n1 and n2 see each other up (from the imported YAML)', () => cluster.allUp(), 30_000);
  await cluster.waitFor(`${group} runs on n1 again`, () => runsOn(cluster, 'n1', ['n2'], group), 60_000);
  const fromYaml = await runningShape(cluster);
  report(t, `from /etc/ha.d: ${JSON.stringify(fromHaD)}\nfrom the YAML: ${JSON.stringify(fromYaml)}`);
  assert.deepEqual(fromYaml, fromHaD, 'same digest, same groups, same nodes, same holder');
}, { timeout: 240_000 });
