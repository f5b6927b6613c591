/**
 * tandem's status report seen the way heartbeat's API showed a cluster to `cl_status` (research notes §4.1, §7.2, §9):
 * a node table of normal and ping nodes with heartbeat's statuses, each node's links under heartbeat's medium names,
 * the resources this node holds (`rscstatus`), and the recorded ha.cf parameters (`hbparameter`).
 *
 * Pure: a status report in, values out. The mapping, and why:
 *   - Node status. heartbeat shows `active` for a node whose heartbeat layer is up and `init` for one never heard
 *     since it started; `dead` once its dead interval passed. tandem's `up` and `late` peers (late still counts as
 *     alive: heartbeat's warntime only logs) and this node itself are `active`; `unknown` (never heard since this
 *     node started, turns `dead` after initdead, exactly heartbeat's `init`) is `init`; `dead` and `left` are `dead`.
 *     heartbeat's transient `up` (a peer between its start and its comm-up) has no tandem counterpart.
 *   - Link status is `up` or `dead`: tandem's `up` and `late` links are `up` (a heartbeat link stays up until its
 *     dead interval), `dead` and `unknown` ones `dead` (heartbeat starts every link `dead`).
 *   - Ping nodes: every ping target (group) of the config is a node of type `ping`, status `ping` while it answers
 *     and `dead` otherwise, with one link named after it.
 *   - Order: heartbeat's API hands lists out newest first, so `listnodes` prints the reverse of ha.cf order (normal
 *     nodes, then ping nodes, as ha.cf usually declares them) and `listhblinks` the reverse of the media order.
 */
import type { GroupStatus, StatusReport } from '../../api/status-report.js';

export type HbNodeStatus = 'active' | 'init' | 'dead' | 'ping';
export type HbNodeType = 'normal' | 'ping';
export type HbLinkStatus = 'up' | 'dead';

export interface HbLink {
  readonly name: string;
  readonly status: HbLinkStatus;
}

export interface HbNode {
  readonly name: string;
  readonly type: HbNodeType;
  readonly status: HbNodeStatus;
  /** In heartbeat's listing order. */
  readonly links: readonly HbLink[];
}

/** heartbeat's default node weight (`node NAME` without one); tandem has no weights, so every node has it. */
export const DEFAULT_WEIGHT = 100;

function nodeStatus(self: boolean, state: string): HbNodeStatus {
  if (self || state === 'up' || state === 'late') return 'active';
  if (state === 'unknown') return 'init';
  return 'dead';
}

function linkStatus(state: string): HbLinkStatus {
  return state === 'up' || state === 'late' ? 'up' : 'dead';
}

/** Every node heartbeat would list, in the order its API lists them. */
export function heartbeatNodes(report: StatusReport): HbNode[] {
  const definitions = report.links ?? [];
  const hbName = (link: string): string => definitions.find((definition) => definition.name === link)?.heartbeatName ?? link;
  const linkRank = (link: string): number => {
    const index = definitions.findIndex((definition) => definition.name === link);
    return index < 0 ? definitions.length : index;
  };
  const order = report.nodeOrder ?? report.nodes.map((node) => node.name);
  const nodeRank = (name: string): number => {
    const index = order.indexOf(name);
    return index < 0 ? order.length : index;
  };
  const normal: HbNode[] = [...report.nodes]
    .sort((a, b) => nodeRank(a.name) - nodeRank(b.name))
    .map((node) => ({
      name: node.name,
      type: 'normal',
      status: nodeStatus(node.self, node.state),
      links: [...node.links]
        .sort((a, b) => linkRank(a.name) - linkRank(b.name))
        .map((link) => ({ name: hbName(link.name), status: linkStatus(link.state) }))
        .reverse(),
    }));
  const ping: HbNode[] = (report.ping?.targets ?? []).map((target) => ({
    name: target.name,
    type: 'ping',
    status: target.reachable ? 'ping' : 'dead',
    links: [{ name: target.name, status: target.reachable ? 'up' : 'dead' }],
  }));
  return [...normal, ...ping].reverse();
}

export function findNode(report: StatusReport, name: string): HbNode | undefined {
  return heartbeatNodes(report).find((node) => node.name === name);
}

/** The group's home: the first node of its preference, as the first word of a haresources line. */
export function homeOf(group: GroupStatus): string | undefined {
  return group.nodes?.[0];
}

/** heartbeat's `rsc_hold` as `cl_status rscstatus` prints it (§7.2, §7.3). */
export type ResourceHold = 'none' | 'local' | 'foreign' | 'all' | 'transition';

/** Phases in which this node is changing a group: heartbeat would not call itself stable. */
const TRANSITIONAL_PHASES: ReadonlySet<string> = new Set(['probing', 'starting', 'recovering', 'stopping']);
/** Phases in which this node holds a group and is not changing it (unclean: it may still hold part of it). */
const HELD_PHASES: ReadonlySet<string> = new Set(['running', 'unclean']);

/**
 * What this node holds: `local` = groups whose home is this node, `foreign` = groups whose home is another node,
 * `all` = some of both. A bit is set when this node holds any group of the set (heartbeat held whole sets; tandem
 * moves groups one by one). `transition` while any group is starting, stopping, being probed or recovered here, or
 * is moving anywhere (its target is not its one holder): heartbeat said `transition` while either side was not
 * stable. In legacy auto_failback mode heartbeat never maintained the value and always said `none` (§7.3); a
 * config read from such an ha.cf does the same.
 */
export function resourceStatus(report: StatusReport): ResourceHold {
  if (report.origin?.autoFailback === 'legacy') return 'none';
  let local = false;
  let foreign = false;
  for (const group of report.groups) {
    if (TRANSITIONAL_PHASES.has(group.phase)) return 'transition';
    if (group.target !== null && !(group.holders.length === 1 && group.holders[0] === group.target)) return 'transition';
    if (!HELD_PHASES.has(group.phase)) continue;
    if (homeOf(group) === report.node) local = true;
    else foreign = true;
  }
  return local && foreign ? 'all' : local ? 'local' : foreign ? 'foreign' : 'none';
}
