/**
 * Split-brain protection on real machines: real tandemd, nginx behind a VIP, a client polling it every 20 ms, and
 * partitions made with nftables (the client, and a `gw` namespace standing in for the ping target, stay reachable
 * unless a test cuts them). Fencing goes through `fence_tandemlab` and the lab's power switch; the watchdog is a
 * FIFO stand-in per node that resets (powers off) its node when it is no longer fed. The set-up is split-setup.ts.
 *
 * Each test asserts who answers the client, who holds the VIP, and, where the configuration guarantees it, that no
 * two reachable nodes ever held the VIP at once. Figures are printed, never asserted against a time.
 */
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { labTest } from './lab.js';
import { assertNoSplitBrain, report } from './web-checks.js';
import { analyzeProbes, describeSegments, runsOn, tandemCli } from './web.js';
import { bootFenced, events, fencedSince, quorumOf, recordFencing, reportOverlap, setUp, sleep, tearDown } from './split-setup.js';

labTest('3 nodes split 2|1: the single node stops its group (no-quorum stop), the pair takes it; after the heal nothing moves, no request fails, and the keeper re-announces the VIP', async (t) => {
  const setup = await setUp({ nodes: ['n1', 'n2', 'n3'], protection: () => '' });
  const { lab, cluster, prober } = setup;
  try {
    const fault = Date.now();
    await lab.partition([['n1'], ['n2', 'n3']]);
    await cluster.waitFor('web runs on n2, as n3 agrees', () => runsOn(cluster, 'n2', ['n3']));
    await cluster.waitFor('n1 has no quorum and has stopped web', async () => {
      const status = await cluster.status('n1');
      return status.quorum.status === 'lost' && status.groups[0]?.phase === 'stopped';
    });
    const first = await prober.waitFor('an answer from n2', (record) => record.ok && record.node === 'n2', { sinceWallMs: fault });
    const n1 = await cluster.status('n1');
    assert.match(n1.warnings.join('\n'), /NO QUORUM \(policy stop\): only 1 of 3 votes/);
    assert.equal(await quorumOf(cluster, 'n2'), 'quorate');
    await sleep(500);

    const healAt = Date.now();
    await lab.heal();
    await cluster.waitFor('every node sees every other up again', () => cluster.allUp(), 15_000);
    await sleep(1500);
    const probes = await prober.stop();
    const split = analyzeProbes(probes, { toMs: healAt, faultWallMs: fault, faultedNode: 'n1' });
    const after = analyzeProbes(probes, { fromMs: healAt });
    report(t, `2|1 split: outage ${split.outageMs} ms (partition → first answer from ${first.node}), failed probes ${split.failed}`);
    report(t, describeSegments(split, fault));
    reportOverlap(t, setup, fault);
    report(t, `after the heal: ${after.failed} failed probes, answers ${JSON.stringify(after.byNode)}`);
    assert.equal(after.failed, 0, 'no request fails after the heal');
    assert.deepEqual(Object.keys(after.byNode), ['n2'], 'no flapping: n2 keeps web');
    assert.ok(await runsOn(cluster, 'n2', ['n1', 'n3']), 'every node agrees web runs on n2');
    assert.ok((await events(cluster, 'n2', 'address-reannounced', healAt)).length > 0, 'n2 re-announced the VIP when n1 came back');
    assert.equal(await quorumOf(cluster, 'n1'), 'quorate');
  } finally {
    await tearDown(setup);
  }
}, { timeout: 120_000 });

labTest('watchdog: a node that loses quorum with a hung stop is reset by its watchdog; the others take over only after that (0 ms of two holders)', async (t) => {
  const hang = { id: 'slow-stop', agent: 'exec', command: ['sleep', '100000'], stop_signal: 'SIGCONT', stop: { timeout: '20s' } };
  const setup = await setUp({
    nodes: ['n1', 'n2', 'n3'],
    watchdogMs: 1000,
    protection: () => '',
    // The VIP stays up while the hung stop of the last resource runs: only the watchdog can end it.
    group: (_lab, group) => ({ ...group, resources: [...group.resources, hang] }),
  });
  const { lab, cluster, prober, standins } = setup;
  try {
    const fault = Date.now();
    await lab.partition([['n1'], ['n2', 'n3']]);
    await cluster.waitFor('web runs on n2, as n3 agrees', () => runsOn(cluster, 'n2', ['n3']), 30_000);
    const first = await prober.waitFor('an answer from n2', (record) => record.ok && record.node === 'n2', { sinceWallMs: fault });
    await sleep(300);
    const probes = await prober.stop();
    const n1 = standins.get('n1');
    assert.ok(n1?.expiredAt !== undefined, 'the watchdog of n1 (no quorum, stop hung) expired and reset it');
    for (const node of ['n2', 'n3']) assert.equal(standins.get(node)?.expiredAt, undefined, `${node}'s watchdog was fed throughout`);
    assert.ok(lab.isPoweredOff('n1'));
    const analysis = analyzeProbes(probes, { faultWallMs: fault, faultedNode: 'n1' });
    report(t, `watchdog: n1 reset ${Math.round((n1?.expiredAt ?? 0) - fault)} ms after the partition (deadtime 500 ms + watchdog 1000 ms); n2 answers ${first.sentAtWallMs - fault} ms after it; failed probes ${analysis.failed}`);
    report(t, describeSegments(analysis, fault));
    await assertNoSplitBrain(t, setup.watcher, fault, cluster);
  } finally {
    await tearDown(setup);
  }
}, { timeout: 120_000 });

labTest('2 nodes + lab fence agent: a split is won by the holder, which fences the other; the survivor of a crash fences, then takes over; a failing fence device blocks the takeover and says why', async (t) => {
  const setup = await setUp({ nodes: ['n1', 'n2'], fencing: true, protection: () => '' });
  const { lab, cluster, prober, power, failFile } = setup;
  assert.ok(power !== undefined);
  try {
    // 1. A symmetric split: both race to fence; n2 (not preferred: it holds nothing) waits 2 s, n1 fences it first.
    const split = Date.now();
    await lab.partition([['n1'], ['n2']]);
    await fencedSince(setup, 'n2', split);
    await sleep(2500);
    assert.deepEqual(power.requests.filter((request) => request.action === 'off').map((request) => request.node), ['n2'], 'only n2 was fenced');
    // n1 keeps web; on a starved machine a pause past deadtime makes it yield and take web back (n2 is fenced).
    await cluster.waitFor('n1 runs web', () => runsOn(cluster, 'n1', []));
    const n1 = await cluster.status('n1');
    assert.equal(n1.quorum.fencing.history.at(-1)?.node, 'n2');
    assert.equal(n1.quorum.fencing.history.at(-1)?.ok, true);
    recordFencing(setup);
    await lab.heal();
    await bootFenced(setup, 'n2');

    // 2. n1's daemon and nginx die, its links stay up: its kernel still answers for the VIP until it is fenced.
    const crash = Date.now();
    cluster.process('n1').kill('SIGKILL');
    await cluster.waitFor('web runs on n2', () => runsOn(cluster, 'n2', []), 20_000);
    const first = await prober.waitFor('an answer from n2', (record) => record.ok && record.node === 'n2', { sinceWallMs: crash });
    assert.ok(power.requests.some((request) => request.node === 'n1' && request.action === 'off' && request.atMs >= crash), 'n1 was fenced');
    const why = await tandemCli(cluster, 'n2', ['why', 'web']);
    assert.match(why.stdout, /fenced|fence/i, why.stdout);
    report(t, `crash with fencing: n2 answers ${first.sentAtWallMs - crash} ms after the crash (deadtime 500 ms + fencing delay 2 s for the preferred node + fencing)`);
    recordFencing(setup);
    await bootFenced(setup, 'n1');

    // 3. The fence device fails: n2 crashes, n1 must not take over; the status says why; it retries until it works.
    writeFileSync(failFile, 'broken\n');
    const crash2 = Date.now();
    cluster.process('n2').kill('SIGKILL');
    await cluster.waitFor('n1 reports its fencing of n2 failing', async () => (await cluster.status('n1')).quorum.fencing.failing.some((failing) => failing.node === 'n2'), 20_000);
    await sleep(1500);
    const blocked = await cluster.status('n1');
    assert.notEqual(blocked.groups[0]?.phase, 'running', 'no takeover while fencing fails');
    assert.deepEqual(setup.watcher.holders(), ['n2'], 'only n2 (unfenced) holds the VIP');
    assert.match(blocked.warnings.join('\n'), /FENCING OF n2 FAILS/);
    assert.match(blocked.groups[0]?.blockedBy ?? '', /fenced first \(the last fencing of n2 failed/);
    rmSync(failFile);
    await cluster.waitFor('web runs on n1 once n2 is fenced', () => runsOn(cluster, 'n1', []), 20_000);
    report(t, `failing fence device: ${power.requests.filter((request) => request.node === 'n2' && request.atMs >= crash2).length} fencing attempts reached the switch; takeover once it worked`);
    await prober.stop();
    recordFencing(setup);
    await assertNoSplitBrain(t, setup.watcher, split, cluster);
  } finally {
    await tearDown(setup);
  }
}, { timeout: 180_000 });

labTest('SIGSTOP of the primary beyond deadtime, with fencing: it is fenced before anyone takes over, and serves nothing after SIGCONT', async (t) => {
  const setup = await setUp({ nodes: ['n1', 'n2'], fencing: true, protection: () => '' });
  const { cluster, prober, power } = setup;
  assert.ok(power !== undefined);
  try {
    const freeze = Date.now();
    cluster.process('n1').kill('SIGSTOP');
    const fencedAt = await fencedSince(setup, 'n1', freeze);
    await cluster.waitFor('web runs on n2', () => runsOn(cluster, 'n2', []), 20_000);
    const first = await prober.waitFor('an answer from n2', (record) => record.ok && record.node === 'n2', { sinceWallMs: freeze });
    cluster.process('n1').kill('SIGCONT');
    await sleep(1000);
    const probes = await prober.stop();
    const after = analyzeProbes(probes, { fromMs: fencedAt });
    assert.equal(after.byNode.n1 ?? 0, 0, 'n1 answers nothing once fenced');
    const analysis = analyzeProbes(probes, { faultWallMs: freeze, faultedNode: 'n1' });
    report(t, `frozen primary with fencing: fenced ${fencedAt - freeze} ms after the freeze, n2 answers ${first.sentAtWallMs - freeze} ms after it; failed probes ${analysis.failed}`);
    recordFencing(setup);
    await assertNoSplitBrain(t, setup.watcher, freeze, cluster);
  } finally {
    await tearDown(setup);
  }
}, { timeout: 120_000 });

labTest('2 nodes + arbitrator: in a split the arbitrator backs the holder and the other side stops nothing and starts nothing; arbitrator down with the cluster healthy: nothing moves', async (t) => {
  const setup = await setUp({ nodes: ['n1', 'n2'], arbitrator: 'arb', protection: () => '' });
  const { lab, cluster, prober } = setup;
  try {
    const split = Date.now();
    await lab.partition([['n1'], ['n2']]);
    await cluster.waitFor('n2 has no quorum, n1 keeps it', async () => (await quorumOf(cluster, 'n2')) === 'lost' && (await quorumOf(cluster, 'n1')) === 'quorate');
    await sleep(1500);
    assert.deepEqual(setup.watcher.holders(), ['n1']);
    assert.ok(await runsOn(cluster, 'n1', []));
    const arb = await cluster.status('arb');
    assert.equal(arb.quorum.arbitratorVote, 'n1');
    await lab.heal();
    await cluster.waitFor('healed', () => cluster.allUp(), 15_000);

    const down = Date.now();
    cluster.process('arb').kill('SIGKILL');
    await cluster.waitFor('n1 and n2 see the arbitrator dead', async () => (await cluster.peerState('n1', 'arb')) === 'dead' && (await cluster.peerState('n2', 'arb')) === 'dead');
    await sleep(1500);
    const probes = await prober.stop();
    const since = analyzeProbes(probes, { fromMs: down });
    assert.deepEqual(Object.keys(since.byNode), ['n1'], 'nothing moved');
    assert.equal(since.failed, 0, 'no request failed');
    assert.equal(await quorumOf(cluster, 'n1'), 'quorate');
    assert.equal(await quorumOf(cluster, 'n2'), 'quorate');
    report(t, `arbitrator: split kept web on n1 (n2 without quorum); arbitrator down: ${since.failed} failed probes`);
    await assertNoSplitBrain(t, setup.watcher, split, cluster);
  } finally {
    await tearDown(setup);
  }
}, { timeout: 120_000 });

labTest('2 nodes + ping target + fencing: the node that loses the target hands over (ipfail); in an asymmetric split the side without it gives up; in a symmetric split fencing decides', async (t) => {
  const setup = await setUp({
    nodes: ['n1', 'n2'],
    clients: ['gw'],
    fencing: true,
    protection: (lab) => `ping: { targets: ["${lab.address('gw', 0)}"], interval: 500ms, dead: 1500ms }\n`,
  });
  const { lab, cluster, power } = setup;
  assert.ok(power !== undefined);
  try {
    await cluster.waitFor('both nodes reach the target', async () => (await cluster.status('n1')).quorum.pingScore === 1 && (await cluster.status('n2')).quorum.pingScore === 1, 15_000);
    // 1. ipfail: n1 loses the target, nothing else: web moves to n2 in an orderly way.
    const lost = Date.now();
    await lab.partition([['n1'], ['gw']]);
    await cluster.waitFor('web runs on n2, as n1 agrees', () => runsOn(cluster, 'n2', ['n1']), 20_000);
    const handover = Date.now();
    assert.equal(power.requests.length, 0, 'a handover needs no fencing');
    const why = await tandemCli(cluster, 'n1', ['why', 'web']);
    assert.match(why.stdout, /ping target/, why.stdout);
    await lab.heal();
    await cluster.waitFor('n1 reaches the target again', async () => (await cluster.status('n1')).quorum.pingScore === 1, 15_000);

    // 2. Asymmetric split: n2 (holding web) loses both the target and n1; it gives up, n1 fences it and takes over.
    const asym = Date.now();
    await lab.partition([['n2'], ['n1', 'gw']]);
    await cluster.waitFor('web runs on n1', () => runsOn(cluster, 'n1', []), 30_000);
    await fencedSince(setup, 'n2', asym);
    report(t, `asymmetric split: n1 runs web ${Date.now() - asym} ms after the split (ping wait 1.5 s, fencing delay 2 s)`);
    recordFencing(setup);
    await lab.heal();
    await bootFenced(setup, 'n2');
    await cluster.waitFor('n2 reaches the target again', async () => (await cluster.status('n2')).quorum.pingScore === 1, 15_000);

    // 3. Symmetric split, both still reach the target: the ping scores tie, fencing decides; the holder wins.
    const sym = Date.now();
    await lab.partition([['n1'], ['n2']]);
    await fencedSince(setup, 'n2', sym);
    await sleep(2500);
    assert.deepEqual(power.requests.filter((request) => request.action === 'off' && request.atMs >= sym).map((request) => request.node), ['n2']);
    assert.deepEqual(setup.watcher.holders(), ['n1'], 'exactly one side holds web');
    await setup.prober.stop();
    recordFencing(setup);
    report(t, `ping: ipfail handover ${handover - lost} ms after n1 lost the target (ping dead 1.5 s + a round)`);
    await assertNoSplitBrain(t, setup.watcher, lost, cluster);
  } finally {
    await tearDown(setup);
  }
}, { timeout: 180_000 });
