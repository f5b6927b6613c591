/**
 * Reads `groups:` and checks what spans resources and groups: group names and resource ids unique, group nodes
 * declared and listed once, a VIP or a mount point owned by one resource only.
 *
 * Invariants:
 *   1. Pure, like the rest of the front-end.
 *   2. Order is kept: a group's nodes are its order of preference, its resources its start order.
 *   3. Defaults come from `model.ts` and fill absent keys only.
 *   4. A duplicate is reported at its second occurrence, and the message names the line of the first.
 */
import type { Node } from 'yaml';
import { assert } from '../../lib/assert.js';
import { nodeName } from '../../core/types.js';
import { canonicalAddress } from '../address.js';
import { DEFAULT_GROUP_POLICY, type Failback, type GroupConfig, type ResourceConfig } from '../model.js';
import { suggest } from '../suggest.js';
import type { Entry, IssueSink, Located, Reader, Site } from './reader.js';
import { readResource, type ResourceDraft, type ResourceSites } from './resources.js';
import { REPORT_BYTES_BUDGET } from '../../wire/codec.js';
import { ATTRIBUTE_GOSSIP_BYTES_MIN, groupsReportBytesMax } from '../../wire/report-codec.js';

const GROUP_KEYS = ['name', 'nodes', 'failback', 'migration_threshold', 'failure_timeout', 'resources'] as const;
const GROUP_NAME = /^[A-Za-z0-9._-]{1,64}$/;
const FAILBACKS: readonly Failback[] = ['auto', 'manual'];
const MIGRATION_THRESHOLD_MAX = 1_000_000;

export interface GroupDraft {
  readonly path: string;
  readonly at: Site;
  readonly name?: Located<string>;
  /** Undefined when `nodes` is missing or unreadable (already reported). */
  readonly nodes?: readonly Located<string>[];
  readonly nodesAt: Site;
  /** Undefined when absent (the default applies) or invalid (already reported, so nothing is built). */
  readonly failback?: Failback;
  readonly migrationThreshold?: number;
  readonly failureTimeoutMs?: number;
  readonly resources?: readonly ResourceDraft[];
  readonly resourcesAt: Site;
}

/** `groups:` absent or empty is no group at all; undefined when it is not a list (reported). */
export function readGroups(reader: Reader, entry: Entry | undefined): GroupDraft[] | undefined {
  if (entry === undefined) return [];
  const items = reader.list(entry, "'groups'");
  return items?.map(({ node, at, path }) => readGroup(reader, node, at, path));
}

function readGroup(reader: Reader, node: Node | undefined, at: Site, path: string): GroupDraft {
  const { sink } = reader;
  const empty: GroupDraft = { path, at, nodesAt: at, resourcesAt: at };
  if (node === undefined) {
    reader.missing(at, path, "a group is empty: give its name, nodes and resources");
    return empty;
  }
  const map = reader.mapping(node, path, GROUP_KEYS, 'a group');
  if (map === undefined) return empty;

  const nameEntry = map.get('name');
  if (nameEntry === undefined) reader.missing(at, `${path}.name`, "a group needs a 'name', unique in the cluster");
  const name = nameEntry && reader.text(nameEntry, "a group's 'name'", { numbersAsText: true });
  if (name !== undefined && !GROUP_NAME.test(name.value)) {
    sink.error('TND_E_CONFIG_NAME', name.at, name.path, `a group's name must be 1 to 64 characters among A-Z a-z 0-9 . _ -: current value is ${JSON.stringify(name.value)}`);
  }
  const label = name !== undefined ? `group '${name.value}'` : 'a group';

  const nodesEntry = map.get('nodes');
  if (nodesEntry === undefined) reader.missing(at, `${path}.nodes`, `${label} needs 'nodes': the nodes that may run it, most preferred first`);
  const nodes = nodesEntry && reader.words(nodesEntry, `the nodes of ${label}`, '[n1, n2]');

  const failbackEntry = map.get('failback');
  const failback = failbackEntry && reader.oneOf(failbackEntry, `the failback of ${label}`, FAILBACKS);
  const thresholdEntry = map.get('migration_threshold');
  const threshold = thresholdEntry && reader.integer(thresholdEntry, `the migration_threshold of ${label}`, 1, MIGRATION_THRESHOLD_MAX);
  const forgetEntry = map.get('failure_timeout');
  const forget = forgetEntry && reader.duration(forgetEntry, 'failure_timeout', { allowZero: true });

  const resourcesEntry = map.get('resources');
  if (resourcesEntry === undefined) reader.missing(at, `${path}.resources`, `${label} needs 'resources': what it runs, started in the order given`);
  const items = resourcesEntry && reader.list(resourcesEntry, `the resources of ${label}`);
  const resources = items?.map((item) => readResource(reader, item.node, item.at, item.path));

  return {
    path,
    at,
    nodesAt: nodesEntry?.keyAt ?? at,
    resourcesAt: resourcesEntry?.keyAt ?? at,
    ...(name !== undefined ? { name } : {}),
    ...(nodes !== undefined ? { nodes: nodes.value } : {}),
    ...(failback !== undefined ? { failback: failback.value } : {}),
    ...(threshold !== undefined ? { migrationThreshold: threshold.value } : {}),
    ...(forget !== undefined ? { failureTimeoutMs: forget.value } : {}),
    ...(resources !== undefined ? { resources } : {}),
  };
}

/**
 * Checks across groups and resources. `declaredNodes` are the node names under `nodes:`; undefined when they could
 * not be read, and then group nodes are not checked against them (that error is already reported).
 */
export function checkGroups(sink: IssueSink, groups: readonly GroupDraft[], declaredNodes: readonly string[] | undefined): void {
  const groupByName = new Map<string, Located<string>>();
  const resourceById = new Map<string, Located<string>>();
  const vips = new Map<string, { id: string; at: Site }>();
  const mounts = new Map<string, { id: string; at: Site }>();
  for (const group of groups) {
    const label = group.name !== undefined ? `group '${group.name.value}'` : 'a group';
    if (group.name !== undefined) {
      const first = groupByName.get(group.name.value);
      if (first !== undefined) sink.error('TND_E_CONFIG_DUPLICATE_GROUP', group.name.at, group.name.path, `group '${group.name.value}' is declared twice: first at line ${first.at.line}`);
      else groupByName.set(group.name.value, group.name);
    }
    if (group.nodes !== undefined) checkGroupNodes(sink, group, group.nodes, label, declaredNodes);
    if (group.resources !== undefined && group.resources.length === 0) {
      sink.error('TND_E_CONFIG_GROUP_NO_RESOURCES', group.resourcesAt, `${group.path}.resources`, `${label} has no resource: give at least one`);
    }
    for (const resource of group.resources ?? []) {
      const id = resource.id;
      if (id !== undefined) {
        const first = resourceById.get(id.value);
        if (first !== undefined) sink.error('TND_E_CONFIG_DUPLICATE_RESOURCE', id.at, id.path, `resource id '${id.value}' is used twice: first at line ${first.at.line} (ids are unique across all groups)`);
        else resourceById.set(id.value, id);
      }
      const owner = id?.value ?? resource.path;
      if (resource.vip !== undefined) claimOnce(sink, vips, canonicalAddress(resource.vip.value), resource.vip, owner, 'TND_E_CONFIG_DUPLICATE_VIP', (first) => `address ${resource.vip?.value ?? ''} is already the VIP of resource '${first.id}' (line ${first.at.line}): a VIP may belong to one resource only`);
      if (resource.mountPoint !== undefined) claimOnce(sink, mounts, resource.mountPoint.value, resource.mountPoint, owner, 'TND_E_CONFIG_DUPLICATE_MOUNT', (first) => `directory ${resource.mountPoint?.value ?? ''} is already the mount point of resource '${first.id}' (line ${first.at.line})`);
    }
  }
  checkReportSize(sink, groups, declaredNodes ?? []);
}

/**
 * Every heartbeat carries the state of every group (so state converges whatever datagram is lost), and a heartbeat
 * is one datagram: the groups must fit, with room left for the gossiped attributes.
 */
function checkReportSize(sink: IssueSink, groups: readonly GroupDraft[], declaredNodes: readonly string[]): void {
  const names: string[] = [];
  for (const group of groups) {
    if (group.name === undefined) continue;
    names.push(group.name.value);
    const bytes = groupsReportBytesMax(names, declaredNodes);
    if (bytes + ATTRIBUTE_GOSSIP_BYTES_MIN > REPORT_BYTES_BUDGET) {
      sink.error('TND_E_CONFIG_TOO_MANY_GROUPS', group.name.at, group.name.path, `group '${group.name.value}' is one group too many: the state of ${names.length} groups takes up to ${bytes} bytes, and with room for the cluster attributes it no longer fits in one heartbeat (${REPORT_BYTES_BUDGET} bytes); use fewer groups or shorter group and node names`);
      return;
    }
  }
}

function checkGroupNodes(sink: IssueSink, group: GroupDraft, nodes: readonly Located<string>[], label: string, declaredNodes: readonly string[] | undefined): void {
  if (nodes.length === 0) {
    sink.error('TND_E_CONFIG_GROUP_NO_NODES', group.nodesAt, `${group.path}.nodes`, `${label} lists no node: give the nodes that may run it, most preferred first`);
    return;
  }
  const seen = new Map<string, Located<string>>();
  for (const node of nodes) {
    if (declaredNodes !== undefined && !declaredNodes.includes(node.value)) {
      const hint = suggest(node.value, declaredNodes);
      const known = declaredNodes.length > 0 ? `declared nodes are ${declaredNodes.map((n) => `'${n}'`).join(', ')}` : 'no node is declared';
      sink.error('TND_E_CONFIG_GROUP_UNKNOWN_NODE', node.at, node.path, `${label} lists '${node.value}', which is not a node${hint !== undefined ? `: did you mean '${hint}'?` : `: ${known}`}`);
      continue; // one issue per entry: `N1` for `n1` is a misspelling, not also a duplicate
    }
    // Host names ignore case, so `n1` and `N1` are one node listed twice.
    const key = node.value.toLowerCase();
    const first = seen.get(key);
    if (first !== undefined) sink.error('TND_E_CONFIG_GROUP_DUPLICATE_NODE', node.at, node.path, `${label} lists node '${node.value}' twice: first at line ${first.at.line}, column ${first.at.column}`);
    else seen.set(key, node);
  }
  if (nodes.length === 1 && nodes[0] !== undefined) {
    sink.warning('TND_W_CONFIG_GROUP_ONE_NODE', group.nodesAt, `${group.path}.nodes`, `${label} may run on node '${nodes[0].value}' only, so it cannot fail over`);
  }
}

function claimOnce(
  sink: IssueSink,
  owners: Map<string, { id: string; at: Site }>,
  key: string,
  claim: Located<string>,
  owner: string,
  code: 'TND_E_CONFIG_DUPLICATE_VIP' | 'TND_E_CONFIG_DUPLICATE_MOUNT',
  message: (first: { id: string; at: Site }) => string,
): void {
  const first = owners.get(key);
  if (first !== undefined) sink.error(code, claim.at, claim.path, message(first));
  else owners.set(key, { id: owner, at: claim.at });
}

export function buildGroup(draft: GroupDraft): GroupConfig {
  assert(draft.name !== undefined && draft.nodes !== undefined && draft.resources !== undefined, `group ${draft.path} incomplete but no error`);
  return {
    name: draft.name.value,
    nodes: draft.nodes.map((node) => nodeName(node.value)),
    failback: draft.failback ?? DEFAULT_GROUP_POLICY.failback,
    migrationThreshold: draft.migrationThreshold ?? DEFAULT_GROUP_POLICY.migrationThreshold,
    failureTimeoutMs: draft.failureTimeoutMs ?? DEFAULT_GROUP_POLICY.failureTimeoutMs,
    resources: draft.resources.map(buildResource),
  };
}

function buildResource(draft: ResourceDraft): ResourceConfig {
  assert(draft.id !== undefined && draft.agent !== undefined && draft.timings !== undefined, `resource ${draft.path} incomplete but no error`);
  return { id: draft.id.value, agent: draft.agent, ...draft.timings };
}

/** Resource id → where it was written; ids are unique once the config has no error. */
export function resourceSites(groups: readonly GroupDraft[]): Map<string, ResourceSites> {
  const sites = new Map<string, ResourceSites>();
  for (const resource of groups.flatMap((group) => group.resources ?? [])) {
    if (resource.id !== undefined && !sites.has(resource.id.value)) sites.set(resource.id.value, resource.sites);
  }
  return sites;
}
