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
import { HadirLabCluster, seedPlan, type SeedPlan } from './hadir-lab.js';
import { TANDEM_CLI } from './cluster.js';
import { Lab, labTest } from './lab.js';
import { startCable, stopCable } from './serial-cable.js';
import { createWatchdogStandin, type WatchdogStandin } from './watchdog-standin.js';
import { assertNoSplitBrain, report } from './web-checks.js';
import { Prober, VipWatcher, analyzeProbes, createSharedDisk, crashNode, rebootNode, requireNginx, runsOn, sharedDiskAvailable, why } from './web.js';

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
async function failoverAndBack(
  t: TestContext,
  lab: Lab,
  plan: SeedPlan,
  cluster: HadirLabCluster,
  deadtimeMs: number,
  options: { afterFailover?: () => Promise<void>; waitMs?: number } = {},
): Promise<void> {
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
  const first = await prober.waitFor(`an answer from ${plan.other}`, (record) => record.ok && record.node === plan.other, { sinceWallMs: fault, timeoutMs: deadtimeMs + (options.waitMs ?? 0) + 60_000 });
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
  const lab = await Lab.create({ nodes: ['n1', 'n2'], links: 1, clients: ['gw', 'client'] });
  const plan = seedPlan('seed-004', lab, { gateway: lab.address('gw', 0) });
  const cluster = new HadirLabCluster(lab, plan);
  await failoverAndBack(t, lab, plan, cluster, 30_000);
  await lab.teardown();
}, { timeout: 240_000 });

labTest('seed 002 (serial + bcast + mcast on one interface, watchdog, legacy failback, deadtime 10): failover and failback', async (t) => {
  requireNginx();
  const lab = await Lab.create({ nodes: ['n1', 'n2'], links: 1, clients: ['client'] });
  const cable = await startCable(lab.dir);
  const standins: WatchdogStandin[] = [];
  try {
    // heartbeat sets the watchdog to deadtime + 10 ms, rounded up to seconds: 11 s here.
    for (const node of ['n1', 'n2']) {
      standins.push(await createWatchdogStandin({ path: join(lab.dir, `watchdog-${node}`), timeoutMs: 11_000, onExpire: () => lab.powerOff(node) }));
    }
    const plan = seedPlan('seed-002', lab, { watchdog: join(lab.dir, 'watchdog-n1') });
    const cluster = new HadirLabCluster(lab, plan, {
      n2: [['/dev/ttyS0', cable.ends.n2], ['/dev/watchdog', join(lab.dir, 'watchdog-n2')]],
      n1: [['/dev/ttyS0', cable.ends.n1]],
    });
    // Without fencing, the survivor waits until the crashed node's watchdog has certainly reset it.
    await failoverAndBack(t, lab, plan, cluster, 10_000, { waitMs: 30_000 });
    const links = (await cluster.status('n2')).nodes.find((node) => node.name === 'n1')?.links.map((link) => `${link.name}:${link.state}`);
    report(t, `seed-002 links of n1 seen from n2 after failback: ${links?.join(' ')}`);
    assert.deepEqual(links?.map((link) => link.split(':')[1]), ['up', 'up', 'up'], 'the serial, bcast and mcast links are all up again');
  } finally {
    for (const standin of standins) standin.close();
    await lab.teardown();
    await stopCable(cable.child);
  }
}, { timeout: 300_000 });

labTest('seed 003 (serial only, ping + ipfail, Filesystem on a shared disk, auto_failback on, deadtime 60): failover and failback', async (t) => {
  requireNginx();
  if (!sharedDiskAvailable()) throw new Error('mkfs.ext4, losetup or /dev/loop-control missing: a shared disk cannot be made');
  const lab = await Lab.create({ nodes: ['n1', 'n2'], links: 1, clients: ['gw', 'client'] });
  const cable = await startCable(lab.dir);
  // NFS cannot run here: this kernel has no nfs filesystem type (/proc/filesystems) and no loadable modules, so
  // no namespace can mount one. The seed's Filesystem resource runs through the same Debian resource.d script
  // with an ext4 disk every node namespace can mount, as a shared disk would be.
  const disk = createSharedDisk(lab, { 'shared.txt': 'served from the shared disk\n' });
  const mountPoint = join(lab.dir, 'ha');
  try {
    const plan = seedPlan('seed-003', lab, { gateway: lab.address('gw', 0), ttys: { n1: cable.ends.n1 }, disk: disk.device, mountPoint });
    const cluster = new HadirLabCluster(lab, plan, { n2: [['/dev/ttyS0', cable.ends.n2]] }, undefined, mountPoint);
    const fetchShared = async (): Promise<string> =>
      (await lab.exec('client', [process.execPath, '-e', `fetch('http://${plan.vip}/shared.txt', { signal: AbortSignal.timeout(2000) }).then((r) => r.text()).then((t) => process.stdout.write(t))`])).stdout;
    await failoverAndBack(t, lab, plan, cluster, 60_000, {
      afterFailover: async () => assert.equal(await fetchShared(), 'served from the shared disk\n', 'n2 serves the file from the disk it mounted'),
    });
    assert.equal(await fetchShared(), 'served from the shared disk\n', 'n1 serves it again after the failback');
  } finally {
    await lab.teardown();
    await stopCable(cable.child);
    disk.detach();
  }
}, { timeout: 300_000 });

/** What a node's daemon runs, in a form two runs can be compared by: digest, groups with their nodes and holders. */
async function runningShape(cluster: HadirLabCluster): Promise<{ digest: string; groups: string[] }> {
  const status = await cluster.status('n2');
  return { digest: status.configDigest, groups: status.groups.map((group) => `${group.name} nodes=${group.nodes?.join(',')} held by ${group.holders.join(',')}`) };
}

labTest('seed 004 as heartbeat left it in /etc/ha.d, then through `tandem config import`: the same cluster, the same groups on the same nodes', async (t) => {
  requireNginx();
  const lab = await Lab.create({ nodes: ['n1', 'n2'], links: 1, clients: ['gw', 'client'] });
  const plan = seedPlan('seed-004', lab, { gateway: lab.address('gw', 0) });
  const cluster = new HadirLabCluster(lab, plan);
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
  await lab.teardown();
}, { timeout: 240_000 });
