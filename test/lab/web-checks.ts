/**
 * Assertions and reporting shared by the web acceptance tests (failover, recovery, resources).
 */
import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import type { LabCluster } from './cluster.js';
import { MONITOR_TOLERANCE_MS, type Overlap, type VipWatcher } from './web.js';

/** Prints measured figures with the test (one diagnostic per line): figures are shown, never asserted on. */
export function report(t: TestContext, lines: string): void {
  for (const line of lines.split('\n')) t.diagnostic(line);
}

/** Events that explain a split brain, from every daemon that still answers, relative to `originMs`. */
async function explainingEvents(cluster: LabCluster, originMs: number): Promise<string> {
  const kinds = new Set(['pause-detected', 'peer-dead', 'peer-up', 'group-yielded', 'group-granted', 'group-started', 'group-stopping', 'group-stopped', 'stray-found', 'stray-removed']);
  const lines: { at: number; text: string }[] = [];
  for (const node of cluster.options.nodes) {
    try {
      for (const event of (await cluster.status(node)).events) {
        if (kinds.has(event.kind)) lines.push({ at: Date.parse(event.wallTime), text: `${node}: ${event.kind}${event.group ? ` ${event.group}` : ''}: ${event.reason}` });
      }
    } catch {
      lines.push({ at: Infinity, text: `${node}: not answering` });
    }
  }
  return lines.sort((a, b) => a.at - b.at).map((line) => `${Number.isFinite(line.at) ? `+${line.at - originMs} ms ` : ''}${line.text}`).join('\n');
}

/**
 * Stops the watcher's count, prints the overlap measured between reachable nodes holding one VIP, and fails if
 * any overlap is longer than the timestamps' precision (a split brain), with every address and link event and,
 * given the cluster, the daemons' events that explain it. A daemon starved of CPU past deadtime is the usual
 * cause on an overloaded machine: its peers take its groups over while its kernel keeps the VIP until the daemon
 * runs again and yields (`pause-detected`, `group-yielded`); without fencing, tandem cannot prevent that.
 */
export async function assertNoSplitBrain(t: TestContext, watcher: VipWatcher, originMs: number, cluster?: LabCluster): Promise<void> {
  watcher.stop();
  const { intervals, totalMs, splitBrain } = watcher.overlaps();
  const list = (overlaps: readonly Overlap[]): string => overlaps.map((i) => `${i.address} +${(i.fromMs - originMs).toFixed(3)}..+${(i.toMs - originMs).toFixed(3)} ms: ${i.nodes.join(' + ')}`).join('\n');
  const precision = intervals.length > 0 && splitBrain.length === 0 ? ` (within the ${MONITOR_TOLERANCE_MS} ms precision of the timestamps: ${list(intervals).replace(/\n/g, '; ')})` : '';
  report(t, `VIP overlap between reachable nodes: ${totalMs} ms${precision}`);
  if (splitBrain.length === 0) return;
  const events = cluster === undefined ? '' : `\ndaemon events (relative to the fault):\n${await explainingEvents(cluster, originMs)}`;
  assert.fail(`two reachable nodes held a VIP at once:\n${list(splitBrain)}\naddress and link events (relative to the fault):\n${watcher.describe(originMs)}${events}`);
}
