/**
 * A serial heartbeat link end to end: two real tandemd with one UDP link and one serial link, whose two ends are a
 * pseudo-terminal pair made by socat (a virtual null-modem cable). With the UDP link cut, the serial link alone
 * keeps both nodes up and the group where it is; with the cable stalled too (socat stopped), the peer is declared
 * dead; once both are back, so is the peer.
 */
import assert from 'node:assert/strict';
import { spawnSync, type ChildProcess } from 'node:child_process';
import type { StatusReport } from '../../src/api/status-report.js';
import { Lab, labTest } from './lab.js';
import { LabCluster } from './cluster.js';
import { startCable, stopCable } from './serial-cable.js';

const NODES = ['n1', 'n2'];
const GROUP = 'svc';
/** 5 × deadtime (500 ms): long enough that a false death on the serial link alone would have shown. */
const SERIAL_ONLY_WINDOW_MS = 2500;

const GROUPS_YAML = `groups:
  - name: ${GROUP}
    nodes: [n1, n2]
    resources:
      - id: sleeper
        agent: exec
        command: [sleep, "1000000"]`;

function peerOf(status: StatusReport, peer: string): StatusReport['nodes'][number] | undefined {
  return status.nodes.find((node) => node.name === peer);
}

function linkState(status: StatusReport, peer: string, link: string): string | undefined {
  return peerOf(status, peer)?.links.find((entry) => entry.name === link)?.state;
}

function holders(status: StatusReport): readonly string[] | undefined {
  return status.groups.find((group) => group.name === GROUP)?.holders;
}

labTest('serial link: carries membership alone when UDP is cut; with both cut the peer dies; restored, it is back', async () => {
  if (spawnSync('socat', ['-V'], { stdio: 'ignore' }).status !== 0) throw new Error('socat is not installed (apt-get install socat)');
  const lab = await Lab.create({ nodes: NODES, links: 1 });
  let cable: ChildProcess | undefined;
  try {
    const made = await startCable(lab.dir);
    cable = made.child;
    const socat = made.child;
    // tandemd runs in each node's own mount namespace: the pty (in the host's /dev/pts) must be reachable there.
    for (const node of ['n1', 'n2'] as const) {
      const opened = await lab.exec(node, ['stty', '-F', made.ends[node], 'speed']);
      assert.equal(opened.code, 0, `${node} cannot open its end of the cable: ${opened.stderr}`);
    }
    const cluster = new LabCluster(lab, {
      nodes: NODES,
      links: [
        { name: 'lan', transport: 'udp-unicast', labLink: 0 },
        { name: 'cable', transport: 'serial', labLink: 0, baud: 115200, devices: made.ends },
      ],
      extraYaml: GROUPS_YAML,
    });
    cluster.startAll();
    await cluster.waitFor('both nodes up on both links', () => cluster.allUp(NODES));
    const n1 = await cluster.status('n1');
    assert.match(n1.nodes.find((node) => node.self)?.links.find((link) => link.name === 'cable')?.endpoint ?? '', /^serial .*n1-tty 115200 baud$/);
    await cluster.waitFor(`${GROUP} runs on n1, as both agree`, async () => {
      const [a, b] = await Promise.all([cluster.status('n1'), cluster.status('n2')]);
      return holders(a)?.join() === 'n1' && holders(b)?.join() === 'n1';
    });

    // 1. Cut the UDP link: the serial link alone keeps both nodes up, and the group stays on n1.
    await lab.partition([['n1'], ['n2']]);
    await cluster.waitFor('the lan link is dead both ways, the cable up', async () => {
      const [a, b] = await Promise.all([cluster.status('n1'), cluster.status('n2')]);
      return linkState(a, 'n2', 'lan') === 'dead' && linkState(b, 'n1', 'lan') === 'dead' && linkState(a, 'n2', 'cable') === 'up' && linkState(b, 'n1', 'cable') === 'up';
    });
    const until = Date.now() + SERIAL_ONLY_WINDOW_MS;
    let samples = 0;
    while (Date.now() < until) {
      const [a, b] = await Promise.all([cluster.status('n1'), cluster.status('n2')]);
      assert.equal(peerOf(a, 'n2')?.state, 'up', 'n1 keeps n2 up over the serial link alone');
      assert.equal(peerOf(b, 'n1')?.state, 'up', 'n2 keeps n1 up over the serial link alone');
      assert.deepEqual([holders(a), holders(b)], [['n1'], ['n1']], 'no group moves');
      samples++;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.ok(samples >= 10);

    // 2. Stall the cable too (socat stopped: nothing crosses, nothing errors): the peer is declared dead.
    assert.ok(socat.pid !== undefined);
    process.kill(socat.pid, 'SIGSTOP');
    await cluster.waitFor('each node declares the other dead', async () => {
      const [a, b] = await Promise.all([cluster.status('n1'), cluster.status('n2')]);
      return peerOf(a, 'n2')?.state === 'dead' && peerOf(b, 'n1')?.state === 'dead';
    }, 10_000);

    // 3. Restore both: the peer is back on both links, and the group runs on one node only.
    process.kill(socat.pid, 'SIGCONT');
    await lab.heal();
    await cluster.waitFor('both nodes up on both links again', () => cluster.allUp(NODES), 20_000);
    await cluster.waitFor(`${GROUP} runs on exactly one node, as both agree`, async () => {
      const [a, b] = await Promise.all([cluster.status('n1'), cluster.status('n2')]);
      return holders(a)?.length === 1 && holders(a)?.join() === holders(b)?.join();
    }, 20_000);
  } finally {
    if (cable !== undefined) await stopCable(cable);
    await lab.teardown();
  }
}, { timeout: 90_000 });
