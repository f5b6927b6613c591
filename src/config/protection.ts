/**
 * The core's view of a cluster's split-brain protection, from the loaded config: votes, the no-quorum policy,
 * which tie-breakers exist, which nodes a fence device covers, the watchdog timeout.
 */
import type { ProtectionSpec } from '../core/quorum.js';
import { nodeName, type NodeName } from '../core/types.js';
import type { ClusterConfig } from './model.js';

export function protectionSpec(config: ClusterConfig): ProtectionSpec {
  const order = config.nodes.map((node) => node.name);
  const fencing = config.fencing;
  const fenceable = new Set<NodeName>();
  if (fencing !== undefined) {
    for (const device of fencing.devices) for (const node of device.nodes) fenceable.add(node);
    for (const node of Object.keys(fencing.levels)) fenceable.add(nodeName(node));
  }
  return {
    votes: new Map(order.map((node) => [node, config.quorum.votes[node] ?? 1])),
    order,
    arbitrator: config.arbitrator,
    noQuorum: config.quorum.noQuorum,
    waitForAll: config.quorum.waitForAll,
    // A change of reach is certain once the prober has had `dead` without an answer plus one more round of probes.
    pingDeadMs: config.ping === undefined ? undefined : config.ping.deadMs + config.ping.intervalMs,
    fencing: fencing === undefined ? undefined : { nodes: fenceable, delayMs: fencing.delayMs, retryMs: fencing.retryIntervalMs },
    watchdogTimeoutMs: config.watchdog?.timeoutMs,
  };
}
