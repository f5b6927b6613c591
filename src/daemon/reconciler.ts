/**
 * Kernel-state reconciliation: compares the virtual IPs this node should hold with what the kernel has.
 *
 *   - a VIP of a group running here that vanished (a person ran `ip addr del`, a network script flushed the
 *     interface) → `resource-lost`: the core restarts it in place, which adds it back and announces it;
 *   - a VIP of a group stopped here that is configured anyway (left by a crash, a reload or a person)
 *     → `stray-found`: the core removes it or reports it, as `reconcile.stray_addresses` says.
 *
 * It only observes and reports: every change goes through the core, so it is ordered with the group's own
 * operations and can never remove an address a start is adding.
 *
 * Invariants:
 *   1. One `ip -j addr show` per interface per round, whatever the number of VIPs.
 *   2. An interface that cannot be listed produces no input (and the reason is returned for the log):
 *      not knowing is never taken for "absent".
 */
import type { AddressListing } from '../agents/ipaddr.js';
import { sameAddress } from '../platform/announce-frames.js';
import type { ClusterConfig } from '../config/model.js';
import type { GroupInput, GroupsView } from '../core/group-types.js';
import { instant } from '../core/types.js';

export type ListAddresses = (iface: string) => Promise<AddressListing>;

type Finding = Extract<GroupInput, { kind: 'resource-lost' | 'stray-found' }>;

export interface ReconcileRound {
  readonly findings: readonly Omit<Finding, 'now'>[];
  readonly problems: readonly string[];
}

export async function reconcileAddresses(config: ClusterConfig, view: GroupsView, list: ListAddresses): Promise<ReconcileRound> {
  const vips = config.groups.flatMap((group) =>
    group.resources.flatMap((resource) => (resource.agent.kind === 'ipaddr' ? [{ group: group.name, resource: resource.id, agent: resource.agent }] : [])),
  );
  const interfaces = [...new Set(vips.map((vip) => vip.agent.interface))];
  const listings = new Map(await Promise.all(interfaces.map(async (iface) => [iface, await list(iface)] as const)));
  const findings: Omit<Finding, 'now'>[] = [];
  const problems: string[] = [];
  for (const vip of vips) {
    const listing = listings.get(vip.agent.interface);
    if (listing === undefined || !listing.ok) {
      if (listing !== undefined && !listing.ok && listing.reason !== 'no-such-interface') problems.push(listing.detail);
      // A missing interface holds no address: a stray is impossible, a lost VIP is the monitor's to notice.
      continue;
    }
    const present = listing.addresses.some((entry) => sameAddress(entry.address, vip.agent.address));
    const group = view.groups.find((candidate) => candidate.name === vip.group);
    const resource = group?.resources.find((candidate) => candidate.id === vip.resource);
    if (group === undefined || resource === undefined) continue;
    const where = `${vip.agent.address}/${vip.agent.prefix} on ${vip.agent.interface}`;
    if (group.phase === 'running' && resource.state === 'running' && !present) {
      findings.push({ kind: 'resource-lost', group: vip.group, resource: vip.resource, detail: `${where} is gone from the kernel` });
    } else if ((group.phase === 'stopped' || group.phase === 'failed') && present) {
      findings.push({ kind: 'stray-found', group: vip.group, resource: vip.resource, detail: `${where} is configured in the kernel` });
    }
  }
  return { findings, problems };
}

/** Stamps a round's findings with the instant they are fed to the core. */
export function findingInputs(round: ReconcileRound, now: number): GroupInput[] {
  return round.findings.map((finding) => ({ ...finding, now: instant(now) }) as GroupInput);
}
