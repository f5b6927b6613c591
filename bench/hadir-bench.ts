/**
 * `npm run bench -- hadir`: the seeds' heartbeat configurations run unchanged under `tandemd --ha-d` (only names,
 * addresses, interfaces and devices rewritten for the lab, as in test/lab/hadir-seeds.test.ts), and the outage a
 * client sees when the home node crashes (kill -9 of tandemd and everything on the node, its link down): first with
 * the seeds' own timings, then with the same files plus only `keepalive 200ms` / `deadtime 1`. One cluster per seed
 * and timing; each run crashes the home node, waits for the other node to answer, then reboots the home node and
 * waits for the failback (auto_failback), whose failed probes and longest gap are measured too.
 */
import { setUpSeed, type SeedName } from '../test/lab/hadir-lab.js';
import { Prober, VipWatcher, analyzeProbes, crashNode, rebootNode, runsOn } from '../test/lab/web.js';
import { stat, type Stat } from './failover-bench.js';

export interface HadirBenchRow {
  readonly seed: SeedName;
  readonly timings: string;
  readonly runs: number;
  readonly outageMs: Stat | undefined;
  readonly failbackFailedProbes: Stat | undefined;
  readonly failbackLongestGapMs: Stat | undefined;
  readonly vipOverlapMs: number;
}

export const FAST_OVERRIDE: Readonly<Record<string, string>> = { keepalive: '200ms', deadtime: '1' };

export async function hadirBench(options: { seeds: readonly SeedName[]; runs: number; progress: (line: string) => void }): Promise<HadirBenchRow[]> {
  const rows: HadirBenchRow[] = [];
  for (const seed of options.seeds) {
    for (const [label, override] of [['as written', undefined], ['keepalive 200ms, deadtime 1', FAST_OVERRIDE]] as const) {
      rows.push(await benchOne(seed, label, override, options));
    }
  }
  return rows;
}

async function benchOne(
  seed: SeedName,
  label: string,
  override: Readonly<Record<string, string>> | undefined,
  options: { runs: number; progress: (line: string) => void },
): Promise<HadirBenchRow> {
  const setup = await setUpSeed(seed, override === undefined ? {} : { timingOverride: override });
  const { lab, plan, cluster } = setup;
  const outages: number[] = [];
  const failedProbes: number[] = [];
  const gaps: number[] = [];
  try {
    const watcher = await VipWatcher.start(lab, ['n1', 'n2'], [plan.vip]);
    cluster.startAll();
    await cluster.waitFor('both nodes up', () => cluster.allUp(), 60_000);
    const group = (await cluster.status('n1')).groups[0]?.name ?? '';
    await cluster.waitFor(`${group} on ${plan.home}`, () => runsOn(cluster, plan.home, [plan.other], group), 120_000);
    // Bounded: at most 30 minutes of probes every 20 ms.
    const prober = Prober.start(lab, 'client', { target: plan.vip, port: plan.port, timeoutMs: 500, maxMs: 1_800_000 });
    await prober.waitForAnswerFrom(plan.home, Date.now(), 30_000);
    for (let run = 1; run <= options.runs; run++) {
      const fault = await crashNode(cluster, watcher, plan.home);
      await prober.waitFor(`an answer from ${plan.other}`, (record) => record.ok && record.node === plan.other, { sinceWallMs: fault, timeoutMs: setup.deadtimeMs + setup.extraWaitMs + 60_000 });
      const outage = analyzeProbes(prober.results(), { faultWallMs: fault, faultedNode: plan.home }).outageMs;
      if (outage !== undefined) outages.push(outage);
      const back = Date.now();
      if (lab.isPoweredOff(plan.home)) {
        await watcher.rewatch(plan.home);
        await lab.powerOn(plan.home);
      }
      await rebootNode(cluster, watcher, plan.home);
      await prober.waitForAnswerFrom(plan.home, back, 120_000);
      await cluster.waitFor(`${group} back on ${plan.home}`, () => runsOn(cluster, plan.home, [plan.other], group), 60_000);
      await new Promise((resolve) => setTimeout(resolve, 1000));
      const failback = analyzeProbes(prober.results(), { fromMs: back });
      failedProbes.push(failback.failed);
      gaps.push(failback.longestGapMs);
      options.progress(`hadir ${seed} (${label}) run ${run}/${options.runs}: outage ${outage} ms, failback failed probes ${failback.failed}, longest gap ${failback.longestGapMs} ms`);
    }
    await prober.stop();
    watcher.stop();
    return { seed, timings: label, runs: outages.length, outageMs: stat(outages), failbackFailedProbes: stat(failedProbes), failbackLongestGapMs: stat(gaps), vipOverlapMs: watcher.overlaps().totalMs };
  } finally {
    await setup.teardown();
  }
}

export function formatHadirTable(rows: readonly HadirBenchRow[]): string {
  const show = (value: Stat | undefined, unit = ''): string => (value === undefined ? '-' : `${value.min}/${value.median}/${value.max}${unit}`);
  return rows
    .map((row) => `${row.seed.padEnd(9)} ${row.timings.padEnd(28)} runs ${String(row.runs).padStart(2)}  outage ${show(row.outageMs, ' ms').padEnd(26)} failback failed probes ${show(row.failbackFailedProbes).padEnd(10)} longest gap ${show(row.failbackLongestGapMs, ' ms').padEnd(16)} VIP overlap ${row.vipOverlapMs} ms`)
    .join('\n');
}
