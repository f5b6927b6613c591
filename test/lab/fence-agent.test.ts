/**
 * The lab fence agent for real (root only): fence_tandemlab, run from inside n2's namespaces with key=value lines
 * on stdin, powers n1 off through the lab's power switch (a Unix socket served in the root namespace): a process
 * spawned in n1 dies, n1's links go down (n2 can no longer ping it), status answers off (exit 2), fail_file makes
 * it fail on demand, and on brings the links back. Then tandem's own fencer drives it through two levels.
 */
import assert from 'node:assert/strict';
import { rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fenceAgentSupports, readFenceMetadata, validateFenceParameters } from '../../src/fencing/fence-agent.js';
import { fenceNode, type FencePlan } from '../../src/fencing/fencer.js';
import { Lab, labTest } from './lab.js';
import { installLabFenceAgent, startPowerSwitch } from './power-switch.js';
import { alive, reaches, waitUntil, pings } from './probes.js';

labTest('fence_tandemlab from inside n2: metadata, list, off kills n1 and cuts its links, status, fail_file, on', async () => {
  const lab = await Lab.create({ nodes: ['n1', 'n2'], links: 2 });
  const power = await startPowerSwitch(lab);
  try {
    const agent = installLabFenceAgent(lab);
    assert.equal(statSync(power.socketPath).mode & 0o777, 0o600, 'only root may switch power');
    assert.equal(statSync(agent).mode & 0o777, 0o755);
    const socket = `socket=${power.socketPath}`;
    const fence = (lines: string[]): ReturnType<Lab['exec']> => lab.exec('n2', [agent], { input: `${lines.join('\n')}\n`, timeoutMs: 15_000 });

    // Meta-data, read the way tandem reads any fence agent's.
    const metadata = await readFenceMetadata(agent, 10_000);
    assert.ok(metadata.ok, metadata.ok ? '' : metadata.issue.message);
    assert.equal(metadata.metadata.name, 'fence_tandemlab');
    const parameters = new Map(metadata.metadata.parameters.map((p) => [p.name, p]));
    assert.equal(parameters.get('socket')?.required, true);
    assert.equal(parameters.get('plug')?.required, true);
    assert.ok(parameters.has('fail_file') && parameters.has('delay'));
    assert.ok(fenceAgentSupports(metadata.metadata, 'status') && fenceAgentSupports(metadata.metadata, 'off'));
    assert.deepEqual(validateFenceParameters(metadata.metadata, { socket: power.socketPath }), []);
    assert.deepEqual(validateFenceParameters(metadata.metadata, {}).map((issue) => issue.path), ['params.socket']);
    const inside = await fence(['action=metadata']);
    assert.equal(inside.code, 0, inside.stderr);
    assert.match(inside.stdout, /^<\?xml version="1\.0" \?>\n<resource-agent name="fence_tandemlab"/);

    const list = await fence(['action=list', socket]);
    assert.equal(list.code, 0, list.stderr);
    assert.equal(list.stdout, 'n1,\nn2,\n');
    assert.equal((await fence(['action=monitor', socket])).code, 0);

    // n1 is up: a process runs there and n2 reaches it on both links.
    const sleeper = lab.spawn('n1', ['sleep', '600']);
    await waitUntil('the sleep in n1', () => sleeper.programPid() !== undefined);
    const sleepPid = sleeper.programPid();
    const initPid = sleeper.initPid();
    assert.ok(await reaches(lab, 'n2', lab.address('n1', 0)), 'n2 reaches n1 on link 0 before the fence');
    assert.ok(await reaches(lab, 'n2', lab.address('n1', 1)), 'n2 reaches n1 on link 1 before the fence');
    assert.equal((await fence(['action=status', 'plug=n1', socket])).code, 0, 'status on is exit 0');

    // Off, from inside n2, as Pacemaker would send it (nodename, port and a comment are accepted).
    const off = await fence(['# fence n1', 'action=off', 'nodename=n1', 'port=n1', socket]);
    assert.equal(off.code, 0, off.stderr);
    assert.match(off.stdout, /Success: Powered OFF/);
    assert.deepEqual(await sleeper.exited, { code: null, signal: 'SIGKILL' });
    assert.ok(!alive(sleepPid) && !alive(initPid), 'the sleep and its PID namespace init are gone');
    assert.equal(await pings(lab, 'n2', lab.address('n1', 0)), false, 'n1 is unreachable on link 0');
    assert.equal(await pings(lab, 'n2', lab.address('n1', 1)), false, 'n1 is unreachable on link 1');
    assert.ok(lab.isPoweredOff('n1'));
    const request = await power.waitFor('n1', 'off', 0);
    assert.equal(request.reply, 'ok');
    assert.ok(request.doneMonoMs >= request.receivedMonoMs);

    const status = await fence(['action=status', 'plug=n1', socket]);
    assert.equal(status.code, 2, `status off is exit 2: ${status.stderr}`);
    assert.match(status.stdout, /Status: OFF/);

    // fail_file: every action fails with exit 1 and a message, and the switch is not asked.
    const failFile = join(lab.dir, 'fence-fail');
    writeFileSync(failFile, '');
    const asked = power.requests.length;
    for (const action of ['status', 'on', 'off', 'list']) {
      const failed = await fence([`action=${action}`, 'plug=n1', socket, `fail_file=${failFile}`]);
      assert.equal(failed.code, 1, action);
      assert.match(failed.stderr, /^Failed: fail_file .*fence-fail exists, so every action fails$/m);
    }
    assert.equal((await fence(['action=metadata', `fail_file=${failFile}`])).code, 0, 'metadata is not affected');
    assert.equal(power.requests.length, asked);
    rmSync(failFile);

    // delay: the agent waits before acting.
    const slowStart = Date.now();
    assert.equal((await fence(['action=status', 'plug=n1', socket, 'delay=0.4'])).code, 2);
    assert.ok(Date.now() - slowStart >= 400, 'the delay was honoured');

    // Unknown nodes and a missing plug fail with exit 1.
    assert.equal((await fence(['action=off', 'plug=n9', socket])).code, 1);
    assert.equal((await fence(['action=off', socket])).code, 1);

    // On: the links come back (the sleep is not restarted).
    const on = await fence(['action=on', 'plug=n1', socket]);
    assert.equal(on.code, 0, on.stderr);
    assert.equal((await fence(['action=status', 'plug=n1', socket])).code, 0);
    assert.ok(!lab.isPoweredOff('n1'));
    assert.ok(await reaches(lab, 'n2', lab.address('n1', 0)), 'n2 reaches n1 on link 0 again');
    assert.ok(await reaches(lab, 'n2', lab.address('n1', 1)), 'n2 reaches n1 on link 1 again');
    assert.ok(!alive(sleepPid));
    assert.deepEqual(
      power.requests.filter((r) => r.action === 'off' || r.action === 'on').map((r) => `${r.action} ${r.node ?? ''} ${r.reply.split(' ')[0] ?? ''}`),
      ['off n1 ok', 'off n9 error', 'on n1 ok'],
    );
  } finally {
    await power.close();
    await lab.teardown();
  }
});

labTest("tandem's fencer drives fence_tandemlab: a failing level 1 falls through to level 2, a hung agent is killed", async () => {
  const lab = await Lab.create({ nodes: ['n1', 'n2'], links: 1 });
  const power = await startPowerSwitch(lab);
  try {
    const agent = installLabFenceAgent(lab);
    const failFile = join(lab.dir, 'fence-fail');
    writeFileSync(failFile, '');
    const daemon = lab.spawn('n1', ['sleep', '600']);
    const plan: FencePlan = {
      levels: [
        [{ name: 'broken', agent, params: { socket: power.socketPath, fail_file: failFile } }],
        [{ name: 'lab', agent, params: { socket: power.socketPath } }],
      ],
      action: 'off',
      timeoutMs: 10_000,
      retries: 0,
    };
    const outcome = await fenceNode('n1', plan);
    assert.ok(outcome.ok, outcome.summary);
    assert.match(outcome.summary, /^n1 fenced by lab \(level 2, off\) in \d+ ms$/);
    assert.deepEqual(outcome.attempts.map((a) => [a.level, a.device, a.action, a.ok]), [
      [1, 'broken', 'off', false],
      [2, 'lab', 'off', true],
      [2, 'lab', 'status', true],
    ]);
    assert.match(outcome.attempts[0]?.detail ?? '', /failed with exit 1 .*Failed: fail_file/);
    assert.deepEqual(await daemon.exited, { code: null, signal: 'SIGKILL' });
    assert.ok(lab.isPoweredOff('n1'));
    assert.deepEqual(power.requests.map((r) => `${r.action} ${r.node ?? ''} ${r.reply}`), ['off n1 ok', 'status n1 off']);

    // An agent slower than the timeout is killed before it reaches the switch: n2 stays on.
    const slow: FencePlan = { levels: [[{ name: 'slow', agent, params: { socket: power.socketPath, delay: '5' } }]], action: 'off', timeoutMs: 500, retries: 1 };
    const hung = await fenceNode('n2', slow);
    assert.equal(hung.ok, false);
    assert.deepEqual(hung.attempts.map((a) => [a.attempt, a.ok]), [
      [1, false],
      [2, false],
    ]);
    assert.match(hung.attempts[0]?.detail ?? '', /timed out after \d+ ms; its process group was killed/);
    assert.match(hung.summary, /^n2 NOT fenced: its only level failed 2 times/);
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(power.requests.some((r) => r.node === 'n2'), false, 'the killed agent never asked the switch');
    assert.ok(!lab.isPoweredOff('n2'));
  } finally {
    await power.close();
    await lab.teardown();
  }
});
