/**
 * Placement: from what one node knows (membership, the peers' reports, cluster attributes), where a group should
 * run, and why. A pure function; every node computes it for itself.
 *
 * Nodes may briefly disagree (one has heard of a standby, another not yet): placement alone never makes anything
 * start. Starting also needs every live peer's grant (see groups.ts), which is what keeps a group on one node.
 *
 * Rules, in order:
 *   1. A node is eligible when it is listed by the group, alive (itself, or a peer `up`/`late` that has reported),
 *      not in standby, not leaving, not unclean for the group, below the group's migration threshold there, and
 *      reaching as many ping targets as the best live node listed by the group (heartbeat's ipfail: a node that
 *      lost its uplink hands its groups to one that has it).
 *   2. An operator's placement (`tandem move`, `tandem takeover`) wins when its node is eligible.
 *   3. With `failback: manual`, a group stays on the eligible node that holds it (heartbeat's auto_failback off).
 *   4. Otherwise the most preferred eligible node.
 */
import type { GroupReport, GroupSpec } from './group-types.js';
import type { NodeName, PeerState } from './types.js';

export interface PlacementFacts {
  readonly self: NodeName;
  readonly group: GroupSpec;
  /** This node's own report of the group. */
  readonly own: GroupReport;
  /** Membership state of a peer (never asked for self). */
  readonly peerState: (node: NodeName) => PeerState | undefined;
  /** The peer's latest report of the group; undefined when it has not reported one. */
  readonly peerGroup: (node: NodeName) => GroupReport | undefined;
  readonly standby: (node: NodeName) => boolean;
  readonly leaving: (node: NodeName) => boolean;
  /** The operator's placement, if any. */
  readonly pin: NodeName | undefined;
  /** Reachable ping targets of a node; undefined = not measured (no ping targets, or an older node). */
  readonly pingScore: (node: NodeName) => number | undefined;
}

export interface Placement {
  readonly target: NodeName | undefined;
  /** Live nodes that report holding the group (starting, running or recovering), most preferred first. */
  readonly holders: readonly NodeName[];
  readonly reason: string;
}

const ACTIVE = new Set(['starting', 'running', 'recovering']);

export function place(facts: PlacementFacts): Placement {
  const { group, self } = facts;
  const reportOf = (node: NodeName): GroupReport | undefined => (node === self ? facts.own : facts.peerGroup(node));
  const alive = (node: NodeName): boolean => node === self || isAlive(facts.peerState(node));
  const scores = group.nodes.filter(alive).map((node) => facts.pingScore(node)).filter((score): score is number => score !== undefined);
  const bestScore = scores.length === 0 ? undefined : Math.max(...scores);
  const ineligibility = (node: NodeName): string | undefined => {
    if (!group.nodes.includes(node)) return 'not listed by the group';
    if (node !== self) {
      const state = facts.peerState(node);
      if (state !== 'up' && state !== 'late') return state ?? 'unknown';
    }
    const report = reportOf(node);
    if (report === undefined) return 'not reported yet';
    if (facts.standby(node)) return 'standby';
    if (facts.leaving(node)) return 'leaving';
    if (report.phase === 'unclean') return 'unclean';
    if (report.failCount >= group.migrationThreshold) return `${report.failCount} failures (threshold ${group.migrationThreshold})`;
    const score = facts.pingScore(node);
    if (bestScore !== undefined && score !== undefined && score < bestScore) return `reaches ${score} ping target(s), another node reaches ${bestScore}`;
    return undefined;
  };
  const holders = group.nodes.filter((node) => {
    if (node !== self && !isAlive(facts.peerState(node))) return false;
    const report = reportOf(node);
    return report !== undefined && ACTIVE.has(report.phase);
  });
  if (facts.pin !== undefined) {
    const why = ineligibility(facts.pin);
    if (why === undefined) return { target: facts.pin, holders, reason: `moved to ${facts.pin} by the operator` };
  }
  if (group.failback === 'manual') {
    const holder = holders.find((node) => ineligibility(node) === undefined);
    if (holder !== undefined) return { target: holder, holders, reason: `stays on ${holder}, which holds it (failback: manual)` };
  }
  const skipped: string[] = [];
  if (facts.pin !== undefined) skipped.push(`operator placement on ${facts.pin} ignored: ${ineligibility(facts.pin)}`);
  for (const node of group.nodes) {
    const why = ineligibility(node);
    if (why === undefined) {
      const preference = skipped.length === 0 ? `${node} is its most preferred node` : `${node} is the most preferred eligible node (${skipped.join('; ')})`;
      const failback = group.failback === 'auto' && holders.length > 0 && !holders.includes(node) ? ` (failback: auto, from ${holders.join(', ')})` : '';
      return { target: node, holders, reason: `${preference}${failback}` };
    }
    skipped.push(`${node}: ${why}`);
  }
  return { target: undefined, holders, reason: `no node can run it (${skipped.join('; ')})` };
}

export function isAlive(state: PeerState | undefined): boolean {
  return state === 'up' || state === 'late';
}
