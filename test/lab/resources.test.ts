/**
 * Groups of real resources on real nodes: a VIP, an ext4 file system on a shared (loop) disk and nginx serving
 * from it, moving as one and in order; real agents from resource-agents (OCF Dummy and IPaddr2), a real LSB init
 * script, and a hung agent killed at its timeout while tandemd keeps answering. Every test checks what the client
 * or the kernel sees, and that no two reachable nodes held a VIP at once.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Lab, labTest } from './lab.js';
import { assertNoSplitBrain, report } from './web-checks.js';
import {
  Prober,
  analyzeProbes,
  crashNode,
  createSharedDisk,
  describeSegments,
  groupStatus,
  groupsYaml,
  groupYaml,
  requireNginx,
  operations,
  processesIn,
  runsOn,
  sharedDiskAvailable,
  startWebCluster,
  tandemCli,
  webGroup,
  why,
  writeNginxConfig,
  type SharedDisk,
} from './web.js';

const NODES = ['n1', 'n2', 'n3'];
const OCF_ROOT = '/usr/lib/ocf/resource.d/heartbeat';
const INIT_DIR = '/etc/init.d';

labTest('VIP + ext4 on a shared disk + nginx serving from it: moves as one, in order; after a crash the client gets the file from the node that takes over', async (t) => {
  requireNginx();
  if (!sharedDiskAvailable()) throw new Error('the shared-disk test needs mkfs.ext4, losetup and /dev/loop-control (e2fsprogs, util-linux; .ci/run installs them)');
  const lab = await Lab.create({ nodes: NODES, links: 2, clients: ['client'] });
  let disk: SharedDisk | undefined;
  try {
    const content = `shared disk of lab ${lab.prefix}\n`;
    disk = createSharedDisk(lab, { 'index.html': content });
    const mountPoint = join(lab.dir, 'srv-web');
    const nginx = writeNginxConfig(lab, { root: mountPoint });
    const group = webGroup(lab, {
      nodes: NODES,
      nginx,
      before: [{ id: 'web-fs', agent: 'filesystem', params: { device: disk.device, directory: mountPoint, fstype: 'ext4', options: 'noatime' }, monitor: { interval: '1s', timeout: '5s' } }],
    });
    assert.deepEqual(group.resources.map((resource) => resource.id), ['web-fs', 'web-nginx', 'web-ip']);
    const { cluster, watcher } = await startWebCluster(lab, { nodes: NODES, groups: groupsYaml(group) });
    await cluster.waitFor('web runs on n1', () => runsOn(cluster, 'n1', ['n2', 'n3']));
    const prober = Prober.start(lab, 'client', { path: '/index.html' });
    const origin = Date.now();
    const first = await prober.waitForAnswerFrom('n1', origin);
    assert.equal(first.body, content.trim(), 'n1 serves the file from the shared disk');
    assert.equal(existsSync(join(mountPoint, 'index.html')), false, 'the disk is mounted in the node namespace only, not in the root namespace');

    // A planned move: stop right to left on n1, start left to right on n2.
    const moveAt = Date.now();
    const moved = await tandemCli(cluster, 'n1', ['move', 'web', 'n2']);
    assert.equal(moved.code, 0, moved.stdout + moved.stderr);
    await cluster.waitFor('web runs on n2', () => runsOn(cluster, 'n2', ['n1', 'n3']));
    const onN2 = await prober.waitForAnswerFrom('n2', moveAt);
    assert.equal(onN2.body, content.trim(), 'n2 serves the same file');
    const stopsOnN1 = operations(await why(cluster, 'n1')).filter((op) => op.startsWith('stop '));
    const startsOnN2 = operations(await why(cluster, 'n2')).filter((op) => op.startsWith('start '));
    report(t, `n1: ${stopsOnN1.join(', ')}; n2: ${startsOnN2.join(', ')}`);
    assert.deepEqual(stopsOnN1.slice(-3), ['stop web-ip', 'stop web-nginx', 'stop web-fs'], 'n1 stops right to left');
    assert.deepEqual(startsOnN2, ['start web-fs', 'start web-nginx', 'start web-ip'], 'n2 starts left to right');

    // A crash of n2: its mount dies with it. The operator's placement on n2 no longer applies (n2 is dead), so web
    // goes to its most preferred node, n1, which mounts the disk again and serves the file.
    const crash = await crashNode(cluster, watcher, 'n2');
    await cluster.waitFor('web runs on n1 again', () => runsOn(cluster, 'n1', ['n3']));
    const back = await prober.waitForAnswerFrom('n1', crash);
    assert.equal(back.body, content.trim(), 'n1 serves the same file after the crash');
    assert.deepEqual(operations(await why(cluster, 'n1')).filter((op) => op.startsWith('start ')).slice(-3), ['start web-fs', 'start web-nginx', 'start web-ip']);
    const nginxPid = processesIn(cluster.process('n1'), 'nginx')[0];
    assert.ok(nginxPid !== undefined, 'nginx runs on n1');
    const mountinfo = readFileSync(`/proc/${nginxPid}/mountinfo`, 'utf8');
    assert.ok(mountinfo.split('\n').some((line) => line.includes(` ${mountPoint} `)), 'the disk is mounted where n1 runs nginx');
    await new Promise((resolve) => setTimeout(resolve, 300));
    const probes = await prober.stop();

    const move = analyzeProbes(probes, { fromMs: moveAt, toMs: crash, faultWallMs: moveAt, faultedNode: 'n1' });
    const failover = analyzeProbes(probes, { fromMs: crash, faultWallMs: crash, faultedNode: 'n2' });
    report(t, `move n1 → n2 with the disk: ${move.outageMs} ms, failed probes ${move.failed} ${JSON.stringify(move.errors)}`);
    report(t, describeSegments(move, moveAt));
    report(t, `crash n2 → n1 with the disk: ${failover.outageMs} ms, failed probes ${failover.failed} ${JSON.stringify(failover.errors)}`);
    const answered = probes.filter((record) => record.ok);
    assert.ok(answered.every((record) => record.body === content.trim()), 'every answer is the file from the shared disk');
    await assertNoSplitBrain(t, watcher, moveAt, cluster);
  } finally {
    await lab.teardown();
    disk?.detach();
  }
}, { timeout: 90_000 });

/** An LSB init script; its state lives in the node's private /run. */
function lsbScript(name: string, hangOn?: string): string {
  return `#!/bin/sh
### BEGIN INIT INFO
# Provides:          ${name}
# Short-Description: tandem lab test service (removed after the test)
### END INIT INFO
STATE=/run/${name}.state
case "$1" in
  start)
${hangOn !== undefined ? `    if [ "$(hostname)" = "${hangOn}" ]; then trap '' TERM; echo "hanging on $(hostname)"; sleep 100000; fi\n` : ''}    touch "$STATE"; exit 0 ;;
  stop) rm -f "$STATE"; exit 0 ;;
  status) [ -e "$STATE" ] && exit 0; exit 3 ;;
  restart|force-reload) "$0" stop && "$0" start ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
`;
}

labTest('real agents: OCF IPaddr2 and Dummy with an LSB script move on a crash; a hung LSB start is killed at its timeout and the group moves on', async (t) => {
  if (!existsSync(join(OCF_ROOT, 'Dummy')) || !existsSync(join(OCF_ROOT, 'IPaddr2'))) throw new Error('resource-agents is not installed (ocf:heartbeat:Dummy, IPaddr2; .ci/run installs it)');
  const lab = await Lab.create({ nodes: NODES, links: 2, clients: ['client'] });
  // The LSB agent looks in /etc/init.d only: the scripts carry this lab's unique prefix and are removed in finally.
  const tag = lab.prefix.slice(4, -1);
  const svcName = `tandem-lab-${tag}-svc`;
  const hungName = `tandem-lab-${tag}-hung`;
  const scripts = [join(INIT_DIR, svcName), join(INIT_DIR, hungName)];
  try {
    writeFileSync(scripts[0] as string, lsbScript(svcName), { mode: 0o755 });
    writeFileSync(scripts[1] as string, lsbScript(hungName, 'n1'), { mode: 0o755 });
    const vip = '192.0.2.102';
    const monitor = { interval: '1s', timeout: '10s' };
    const svc = groupYaml({
      name: 'svc',
      nodes: NODES,
      resources: [
        { id: 'svc-ip', agent: 'ocf:heartbeat:IPaddr2', params: { ip: vip, cidr_netmask: 24, nic: lab.ifname('n1', 0) }, monitor },
        { id: 'svc-dummy', agent: 'ocf:heartbeat:Dummy', monitor },
        { id: 'svc-lsb', agent: `lsb:${svcName}`, monitor },
      ],
    });
    const hung = groupYaml({
      name: 'hung',
      nodes: ['n1', 'n2'],
      resources: [{ id: 'hung-lsb', agent: `lsb:${hungName}`, start: { timeout: '1s' }, monitor }],
    });
    const { cluster, watcher } = await startWebCluster(lab, { nodes: NODES, groups: groupsYaml(svc, hung), addresses: [vip] });
    const origin = Date.now();

    // The hung start on n1: killed at its timeout (SIGTERM ignored, so SIGKILL after the grace), the group moves to n2.
    await cluster.waitFor('hung runs on n2', () => runsOn(cluster, 'n2', ['n1', 'n3'], 'hung'), 30_000);
    const hungSettled = Date.now();
    const onN1 = await groupStatus(cluster, 'n1', 'hung');
    assert.equal(onN1?.phase, 'failed', 'hung may not run on n1 after its start failed');
    const startResult = (await why(cluster, 'n1', 'hung')).story.find((entry) => entry.what === 'resource-failed');
    report(t, `hung start on n1: ${startResult?.why ?? '(no resource-failed entry)'}`);
    assert.match(startResult?.why ?? '', /timeout/, 'the start failed by its timeout');
    assert.equal(processesIn(cluster.process('n1'), 'sleep').length, 0, 'nothing of the hung script is left on n1');
    const status = await cluster.status('n1');
    assert.equal(status.node, 'n1', 'tandemd on n1 still answers');
    assert.equal(existsSync(join(lab.nodeDir('n2'), 'sysrun', `${hungName}.state`)), true, 'the LSB script started on n2');

    // svc runs on n1 with the real agents.
    await cluster.waitFor('svc runs on n1', () => runsOn(cluster, 'n1', ['n2', 'n3'], 'svc'));
    await watcher.waitForHolders(['n1'], vip);
    assert.equal(existsSync(join(lab.nodeDir('n1'), 'sysrun', `${svcName}.state`)), true, 'the LSB script started on n1');
    const ping = await lab.exec('client', ['ping', '-c', '1', '-W', '2', vip]);
    assert.equal(ping.code, 0, `the client reaches the IPaddr2 address: ${ping.stdout}${ping.stderr}`);

    const crash = await crashNode(cluster, watcher, 'n1');
    await cluster.waitFor('svc runs on n2', () => runsOn(cluster, 'n2', ['n3'], 'svc'));
    const svcMoved = Date.now();
    await watcher.waitForHolders(['n1', 'n2'], vip); // n1's namespace keeps its address, but n1 is cut off
    const starts = operations(await why(cluster, 'n2', 'svc')).filter((op) => op.startsWith('start '));
    assert.deepEqual(starts, ['start svc-ip', 'start svc-dummy', 'start svc-lsb']);
    const pingAfter = await lab.exec('client', ['ping', '-c', '1', '-W', '2', vip]);
    assert.equal(pingAfter.code, 0, 'the client reaches the IPaddr2 address at n2');
    const neighbour = await lab.exec('client', ['ip', 'neigh', 'show', vip]);
    assert.match(neighbour.stdout, new RegExp(`lladdr ${lab.mac('n2', 0)}`), 'IPaddr2 announced the move (send_arp)');
    report(t, `hung: running on n2 ${hungSettled - origin} ms after the cluster was up (start on n1 killed at 1 s + 2 s grace); svc: on n2 ${svcMoved - crash} ms after the crash of n1 (both observed by polling)`);
    await assertNoSplitBrain(t, watcher, origin, cluster);
  } finally {
    await lab.teardown();
    for (const script of scripts) rmSync(script, { force: true });
  }
}, { timeout: 90_000 });
