/**
 * Failover as a client sees it: three real tandemd, a real nginx behind a VIP run as a tandem group, and a client
 * namespace that opens a new connection to the VIP every 20 ms. Each test asserts who answers the client and that
 * no two reachable nodes ever held the VIP at once (from `ip monitor` in every node namespace). Measured figures
 * (outage, gaps) are printed, never asserted against a time.
 */
import assert from 'node:assert/strict';
import { Lab, labTest } from './lab.js';
import type { LabCluster } from './cluster.js';
import { assertNoSplitBrain, report } from './web-checks.js';
import {
  Prober,
  type VipWatcher,
  analyzeProbes,
  crashNode,
  describeSegments,
  groupStatus,
  groupsYaml,
  requireNginx,
  runsOn,
  startWebCluster,
  tandemCli,
  webGroup,
  writeNginxConfig,
} from './web.js';

const NODES = ['n1', 'n2', 'n3'];
/** Failed probes (20 ms apart) allowed around a planned handover: well under a crash's deadtime (500 ms = 25 probes). */
const MAX_FAILED_HANDOVER = 20;

/** Three nodes and a client; web runs on n1 and the client has had answers from it for a little while. */
async function webServedByN1(): Promise<{ lab: Lab; cluster: LabCluster; watcher: VipWatcher; prober: Prober; origin: number }> {
  requireNginx();
  const lab = await Lab.create({ nodes: NODES, links: 2, clients: ['client'] });
  const nginx = writeNginxConfig(lab);
  const { cluster, watcher } = await startWebCluster(lab, { nodes: NODES, groups: groupsYaml(webGroup(lab, { nodes: NODES, nginx })) });
  await cluster.waitFor('web runs on n1, as everyone agrees', () => runsOn(cluster, 'n1', ['n2', 'n3']));
  const prober = Prober.start(lab, 'client');
  const origin = Date.now();
  await prober.waitForAnswerFrom('n1', origin);
  await new Promise((resolve) => setTimeout(resolve, 300));
  return { lab, cluster, watcher, prober, origin };
}

labTest('crash of the primary (kill -9 of tandemd and nginx, both links down): the client is answered by another node, no split brain', async (t) => {
  const { lab, cluster, watcher, prober } = await webServedByN1();

  const fault = await crashNode(cluster, watcher, 'n1');
  await cluster.waitFor('web runs on n2, as n3 agrees', () => runsOn(cluster, 'n2', ['n3']), 15_000);
  const first = await prober.waitFor('an answer from a node other than n1', (record) => record.ok && record.node !== 'n1', { sinceWallMs: fault });
  await new Promise((resolve) => setTimeout(resolve, 500));
  const probes = await prober.stop();

  const analysis = analyzeProbes(probes, { faultWallMs: fault, faultedNode: 'n1' });
  report(t, `crash: outage ${analysis.outageMs} ms (fault → first answer from ${first.node}), failed probes ${analysis.failed} ${JSON.stringify(analysis.errors)}, longest gap ${analysis.longestGapMs} ms`);
  report(t, describeSegments(analysis, fault));
  assert.equal(first.node, 'n2', 'the next preferred node answers');
  const after = analyzeProbes(probes, { fromMs: first.sentAtWallMs });
  assert.deepEqual(Object.keys(after.byNode), ['n2'], 'once n2 answers, only n2 answers');
  assert.equal(after.failed, 0, 'no probe fails once n2 answers');
  assert.ok((analyzeProbes(probes, { toMs: fault }).byNode.n1 ?? 0) > 0, 'n1 answered before the crash');
  const n2 = await groupStatus(cluster, 'n2');
  assert.deepEqual(n2?.holders, ['n2']);
  await assertNoSplitBrain(t, watcher, fault, cluster);
  await lab.teardown();
}, { timeout: 90_000 });

labTest('graceful stop of the primary, then `tandem move web n3`: short gaps, no split brain', async (t) => {
  const { lab, cluster, watcher, prober, origin } = await webServedByN1();

  // 1. SIGTERM: n1 stops nginx and the VIP, then leaves; n2 starts them.
  const stopAt = Date.now();
  const n1 = cluster.process('n1');
  n1.kill('SIGTERM');
  assert.equal((await n1.exited).code, 0, 'a graceful leave exits 0');
  await cluster.waitFor('web runs on n2, as n3 agrees', () => runsOn(cluster, 'n2', ['n3']));
  await prober.waitForAnswerFrom('n2', stopAt);
  await new Promise((resolve) => setTimeout(resolve, 300));

  // 2. Planned switchover, asked on n2 with the CLI inside its namespace.
  const moveAt = Date.now();
  const moved = await tandemCli(cluster, 'n2', ['move', 'web', 'n3']);
  assert.equal(moved.code, 0, `tandem move: ${moved.stdout}${moved.stderr}`);
  await cluster.waitFor('web runs on n3, as n2 agrees', () => runsOn(cluster, 'n3', ['n2']));
  await prober.waitForAnswerFrom('n3', moveAt);
  await new Promise((resolve) => setTimeout(resolve, 300));
  const probes = await prober.stop();

  const stop = analyzeProbes(probes, { fromMs: origin, toMs: moveAt, faultWallMs: stopAt, faultedNode: 'n1' });
  const move = analyzeProbes(probes, { fromMs: moveAt, faultWallMs: moveAt, faultedNode: 'n2' });
  report(t, `graceful stop: n1 → n2 in ${stop.outageMs} ms, longest gap ${stop.longestGapMs} ms, failed probes ${stop.failed} ${JSON.stringify(stop.errors)}`);
  report(t, describeSegments(stop, stopAt));
  report(t, `move: n2 → n3 in ${move.outageMs} ms, longest gap ${move.longestGapMs} ms, failed probes ${move.failed} ${JSON.stringify(move.errors)}`);
  report(t, describeSegments(move, moveAt));
  assert.deepEqual(stop.segments.filter((segment) => segment.node !== 'error').map((segment) => segment.node), ['n1', 'n2'], 'n1 answers, then n2, nobody else');
  assert.deepEqual(move.segments.filter((segment) => segment.node !== 'error').map((segment) => segment.node), ['n2', 'n3'], 'n2 answers, then n3, nobody else');
  // A generous bound: a crash costs at least deadtime (500 ms, 25 probes); a handover must not wait for it.
  assert.ok(stop.failed <= MAX_FAILED_HANDOVER, `at most ${MAX_FAILED_HANDOVER} failed probes around the graceful stop, not ${stop.failed}`);
  assert.ok(move.failed <= MAX_FAILED_HANDOVER, `at most ${MAX_FAILED_HANDOVER} failed probes around the move, not ${move.failed}`);
  const n3 = await groupStatus(cluster, 'n3');
  assert.equal(n3?.pinnedTo, 'n3', 'the operator placement is shown');
  await assertNoSplitBrain(t, watcher, stopAt, cluster);
  await lab.teardown();
}, { timeout: 90_000 });
