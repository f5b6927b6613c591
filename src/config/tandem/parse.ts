/**
 * The tandem YAML front-end: config text → `ClusterConfig`, or every issue found in it.
 *
 * Must not touch the file system or any clock: it is a pure function of (text, file name), so `tandem config check`,
 * the daemon and the tests all get the same answer. Groups and their resources are read by groups.ts and
 * resources.ts, the split-brain protection sections (quorum, arbitrator, ping, fencing, watchdog) by protection.ts;
 * the checks that need the agents themselves are in ../agent-check.ts, fed by `resources` (the sites).
 *
 * Invariants:
 *   1. `config` is returned only when there is no error-severity issue; warnings never block.
 *   2. Every issue is collected in one pass (unknown keys, types, ranges, cross-references) except after a YAML
 *      syntax error: then only the syntax errors are reported, since the recovered tree would give misleading
 *      follow-on errors.
 *   3. Units are converted here and nowhere later: every duration in the model is in milliseconds.
 *   4. Defaults come from `model.ts` and are applied only to absent keys, never in place of a bad value.
 *   5. A relative `key_file` is resolved against the directory of `fileName` (by path arithmetic only).
 */
import { dirname, isAbsolute, join } from 'node:path';
import { isAlias, isScalar, LineCounter, parseDocument, type Node } from 'yaml';
import { assert } from '../../lib/assert.js';
import { formatDuration } from '../../lib/duration.js';
import { linkName, nodeName } from '../../core/types.js';
import { addressFamily, canonicalAddress, isMulticastAddress, isUnspecifiedAddress, type AddressFamily } from '../address.js';
import {
  DEFAULT_BAUD,
  DEFAULT_LOGGING,
  DEFAULT_PORT,
  DEFAULT_RECONCILE,
  DEFAULT_RUNTIME_DIR,
  DEFAULT_STATE_DIR,
  DEFAULT_TIMINGS,
  SERIAL_BAUD_RATES,
  type ClusterConfig,
  type ConfigIssue,
  type LinkConfig,
  type LoggingConfig,
  type NodeConfig,
  type NodeLinkEndpoint,
  type ReconcileConfig,
  type StrayAddressPolicy,
  type TimingsConfig,
  type TransportKind,
} from '../model.js';
import { serialLoadProblem } from '../serial-load.js';
import { suggest } from '../suggest.js';
import { buildGroup, checkGroups, readGroups, resourceSites } from './groups.js';
import { buildProtection, checkProtection, fenceDeviceSites, PROTECTION_KEYS, readProtection, type FenceDeviceSites } from './protection.js';
import { describeNode, IssueSink, Reader, type Entry, type Located, type Site } from './reader.js';
import type { ResourceSites } from './resources.js';

export type { ResourceSites } from './resources.js';

const ROOT_KEYS = ['cluster', 'key_file', 'timings', 'links', 'nodes', 'groups', 'reconcile', ...PROTECTION_KEYS, 'logging', 'state_dir', 'runtime_dir'] as const;
const TIMING_KEYS = ['keepalive', 'warntime', 'deadtime', 'initdead'] as const;
const LINK_KEYS = ['name', 'transport', 'port', 'group', 'ttl', 'broadcast', 'baud'] as const;
const NODE_KEYS = ['name', 'links'] as const;
const NODE_LINK_KEYS = ['address', 'interface', 'device'] as const;
const LOGGING_KEYS = ['format', 'level'] as const;
const RECONCILE_KEYS = ['interval', 'stray_addresses'] as const;
const STRAY_POLICIES: readonly StrayAddressPolicy[] = ['remove', 'report'];
const TRANSPORTS: readonly TransportKind[] = ['udp-unicast', 'udp-broadcast', 'udp-multicast', 'serial'];
/** A serial line joins two nodes; heartbeat's rings of more, which forwarded messages, are not supported. */
const SERIAL_NODES = 2;
const LOG_FORMATS: readonly LoggingConfig['format'][] = ['text', 'json'];
const LOG_LEVELS: readonly LoggingConfig['level'][] = ['debug', 'info', 'warn', 'error'];
const DEFAULT_TTL = 1;

const CLUSTER_NAME = /^[A-Za-z0-9._-]{1,64}$/;
const LINK_NAME = /^[a-z0-9_-]{1,64}$/;
const HOST_LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;
/** Linux's rule for interface names (`dev_valid_name`): at most 15 bytes, no '/', ':' or white space. */
const INTERFACE_NAME = /^[^\s/:]{1,15}$/;

/** The result of reading a config, with the key file's location even when there are errors (for `loadConfig`). */
export interface TandemConfigRead {
  readonly config?: ClusterConfig;
  /** `key_file` resolved against the config's directory, and where it was written; absent if unreadable. */
  readonly keyFile?: Located<string>;
  /** With `config`: where each resource (by id) and its fields were written, for the checks `loadConfig` runs later. */
  readonly resources?: ReadonlyMap<string, ResourceSites>;
  /** With `config`: where each fence device (by name) was written, likewise. */
  readonly fenceDevices?: ReadonlyMap<string, FenceDeviceSites>;
  readonly issues: ConfigIssue[];
}

/**
 * Parses a tandem YAML config. Pure: `fileName` is used for issue locations and to resolve a relative `key_file`.
 *
 * @example
 * const { config, issues } = parseTandemConfig(text, '/etc/tandem/tandem.yaml');
 * for (const issue of issues) console.error(formatIssue(issue));
 */
export function parseTandemConfig(text: string, fileName: string): { config?: ClusterConfig; issues: ConfigIssue[] } {
  const read = readTandemConfig(text, fileName);
  return read.config !== undefined ? { config: read.config, issues: read.issues } : { issues: read.issues };
}

interface TimingDrafts {
  /** A parsed value, `'invalid'` when written but wrong (already reported), undefined when absent. */
  readonly values: Readonly<Record<(typeof TIMING_KEYS)[number], Located<number> | 'invalid' | undefined>>;
  /** Where to report relation problems between values that were all defaults. */
  readonly at: Site;
  readonly path: string;
}

interface LinkDraft {
  readonly path: string;
  readonly at: Site;
  readonly name?: Located<string>;
  readonly transport?: Located<TransportKind>;
  readonly port?: number;
  readonly group?: Located<string>;
  readonly ttl?: number;
  readonly broadcast?: Located<string>;
  readonly baud?: Located<number>;
}

interface NodeLinkDraft {
  readonly link: string;
  readonly linkAt: Site;
  readonly address?: Located<string>;
  readonly iface?: string;
  /** On a serial link, instead of address and interface. */
  readonly device?: Located<string>;
}

interface NodeDraft {
  readonly path: string;
  readonly at: Site;
  readonly name?: Located<string>;
  /** Undefined when `links` is missing or unreadable (already reported). */
  readonly links?: readonly NodeLinkDraft[];
  readonly linksAt: Site;
}

/** Like `parseTandemConfig`, but also says where the key file is, so a loader can check it despite other errors. */
export function readTandemConfig(text: string, fileName: string): TandemConfigRead {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: false, prettyErrors: false });
  const sink = new IssueSink(fileName, lineCounter);
  for (const error of doc.errors) {
    sink.error('TND_E_CONFIG_SYNTAX', sink.siteOfOffset(error.pos[0]), '', `invalid YAML: ${firstLine(error.message)}`);
  }
  for (const warning of doc.warnings) {
    sink.warning('TND_W_CONFIG_YAML', sink.siteOfOffset(warning.pos[0]), '', firstLine(warning.message));
  }
  if (doc.errors.length > 0) return { issues: sink.issues };

  const reader = new Reader(sink, (node: Node) => (isAlias(node) ? node.resolve(doc) : node));
  const rootNode = reader.deref(doc.contents);
  const top: Site = sink.siteOf(rootNode);
  const root = rootNode === undefined ? new Map<string, Entry>() : reader.mapping(rootNode, '', ROOT_KEYS, 'the config');
  if (root === undefined) return { issues: sink.issues };

  const required = (key: (typeof ROOT_KEYS)[number], message: string): Entry | undefined => {
    const entry = root.get(key);
    if (entry === undefined) reader.missing(top, key, message);
    return entry;
  };

  const clusterEntry = required('cluster', "'cluster' is required: the cluster's name, carried in every message");
  const cluster = clusterEntry && reader.text(clusterEntry, "'cluster'", { numbersAsText: true });
  if (cluster !== undefined && !CLUSTER_NAME.test(cluster.value)) {
    sink.error('TND_E_CONFIG_NAME', cluster.at, cluster.path, `'cluster' must be 1 to 64 characters among A-Z a-z 0-9 . _ -: current value is ${JSON.stringify(cluster.value)}`);
  }

  const keyFileEntry = required('key_file', "'key_file' is required: the path of the key file (mode 0600) holding the cluster's secrets");
  const keyFile = keyFileEntry && readPath(reader, keyFileEntry, "'key_file'", false);
  const resolvedKeyFile = keyFile && { ...keyFile, value: isAbsolute(keyFile.value) ? keyFile.value : join(dirname(fileName), keyFile.value) };

  const timings = readTimings(reader, root.get('timings'), top);

  const linksEntry = required('links', "'links' is required: a list of at least one link (name, transport)");
  const links = linksEntry && readLinks(reader, linksEntry);

  const nodesEntry = required('nodes', "'nodes' is required: a list of at least two nodes (name, links)");
  const transports = new Map(links?.flatMap((link) => (link.name !== undefined && link.transport !== undefined ? [[link.name.value, link.transport.value] as const] : [])));
  const nodes = nodesEntry && readNodes(reader, nodesEntry, (link) => transports.get(link));

  const groups = readGroups(reader, root.get('groups'));
  const reconcile = readReconcile(reader, root.get('reconcile'));
  const protection = readProtection(reader, root);

  const logging = readLogging(reader, root.get('logging'));
  const stateDirEntry = root.get('state_dir');
  const stateDir = stateDirEntry && readPath(reader, stateDirEntry, "'state_dir'", true);
  const runtimeDirEntry = root.get('runtime_dir');
  const runtimeDir = runtimeDirEntry && readPath(reader, runtimeDirEntry, "'runtime_dir'", true);

  const timingValues = checkTimings(sink, timings);
  if (links !== undefined && linksEntry !== undefined && nodes !== undefined && nodesEntry !== undefined) {
    checkTopology(sink, { links, linksAt: linksEntry.keyAt, nodes, nodesAt: nodesEntry.keyAt });
  } else if (nodes !== undefined && nodesEntry !== undefined && nodes.length < 2) {
    sink.error('TND_E_CONFIG_TOO_FEW_NODES', nodesEntry.keyAt, 'nodes', `a cluster needs at least two nodes: ${nodes.length} declared`);
  }
  if (groups !== undefined) {
    const declared = nodes?.flatMap((node) => (node.name !== undefined ? [node.name.value] : []));
    checkGroups(sink, groups, declared);
  }
  // Last: its cluster-wide warnings are given only when nothing else is wrong.
  checkProtection(sink, protection, { nodes: nodes?.flatMap((node) => (node.name !== undefined ? [node.name] : [])), nodesAt: nodesEntry?.keyAt ?? top, groups });

  sortIssues(sink.issues);
  const base: TandemConfigRead = resolvedKeyFile !== undefined ? { keyFile: resolvedKeyFile, issues: sink.issues } : { issues: sink.issues };
  if (sink.hasErrors || cluster === undefined || resolvedKeyFile === undefined || links === undefined || nodes === undefined || timingValues === undefined || groups === undefined || reconcile === undefined) {
    return base;
  }
  const builtNodes = nodes.map(buildNode);
  const config: ClusterConfig = {
    cluster: cluster.value,
    keyFile: resolvedKeyFile.value,
    timings: timingValues,
    links: links.map(buildLink),
    nodes: builtNodes,
    logging,
    stateDir: stateDir?.value ?? DEFAULT_STATE_DIR,
    runtimeDir: runtimeDir?.value ?? DEFAULT_RUNTIME_DIR,
    groups: groups.map(buildGroup),
    reconcile,
    ...buildProtection(protection, builtNodes.map((node) => node.name)),
  };
  checkSerialLoad(sink, config, links);
  return { ...base, config, resources: resourceSites(groups), fenceDevices: fenceDeviceSites(protection) };
}

/** TND_W_CONFIG_SERIAL_BANDWIDTH on each serial link, at its baud (or transport) value; needs the whole config. */
function checkSerialLoad(sink: IssueSink, config: ClusterConfig, links: readonly LinkDraft[]): void {
  for (const link of links) {
    if (link.transport?.value !== 'serial' || link.name === undefined) continue;
    const problem = serialLoadProblem(config, link.name.value);
    const where = link.baud ?? link.transport;
    if (problem !== undefined) sink.warning('TND_W_CONFIG_SERIAL_BANDWIDTH', where.at, where.path, problem);
  }
  sortIssues(sink.issues);
}

/** In reading order: by line, then column (a stable sort keeps the order of issues found at one place). */
function sortIssues(issues: ConfigIssue[]): void {
  issues.sort((a, b) => a.line - b.line || a.column - b.column);
}

function firstLine(message: string): string {
  return message.split('\n')[0]?.trim() ?? message;
}

function readPath(reader: Reader, entry: Entry, what: string, mustBeAbsolute: boolean): Located<string> | undefined {
  const path = reader.text(entry, what, { numbersAsText: true });
  if (path === undefined) return undefined;
  if (path.value.trim() === '') {
    reader.sink.error('TND_E_CONFIG_PATH', path.at, path.path, `${what} must be a path: current value is empty`);
    return undefined;
  }
  if (mustBeAbsolute && !isAbsolute(path.value)) {
    reader.sink.error('TND_E_CONFIG_PATH', path.at, path.path, `${what} must be an absolute path: current value is ${JSON.stringify(path.value)}`);
    return undefined;
  }
  return path;
}

function readTimings(reader: Reader, entry: Entry | undefined, top: Site): TimingDrafts {
  const values: Record<(typeof TIMING_KEYS)[number], Located<number> | 'invalid' | undefined> = {
    keepalive: undefined,
    warntime: undefined,
    deadtime: undefined,
    initdead: undefined,
  };
  const at = entry?.keyAt ?? top;
  if (entry?.value === undefined) return { values, at, path: 'timings' };
  const map = reader.mapping(entry.value, 'timings', TIMING_KEYS, "'timings'");
  if (map === undefined) {
    for (const key of TIMING_KEYS) values[key] = 'invalid';
    return { values, at, path: 'timings' };
  }
  for (const key of TIMING_KEYS) {
    const field = map.get(key);
    if (field !== undefined) values[key] = reader.duration(field, key) ?? 'invalid';
  }
  return { values, at, path: 'timings' };
}

/**
 * Relations between the four timings, checked on the values in effect (written or default).
 * Returns the timings in milliseconds, or undefined when a value is invalid.
 */
function checkTimings(sink: IssueSink, drafts: TimingDrafts): TimingsConfig | undefined {
  const { values } = drafts;
  const defaults: Record<(typeof TIMING_KEYS)[number], number> = {
    keepalive: DEFAULT_TIMINGS.keepaliveMs,
    warntime: DEFAULT_TIMINGS.warntimeMs,
    deadtime: DEFAULT_TIMINGS.deadtimeMs,
    initdead: DEFAULT_TIMINGS.initdeadMs,
  };
  const ms = (key: (typeof TIMING_KEYS)[number]): number | undefined => {
    const value = values[key];
    if (value === 'invalid') return undefined;
    return value?.value ?? defaults[key];
  };
  const show = (key: (typeof TIMING_KEYS)[number]): string => {
    const value = values[key];
    const written = value !== undefined && value !== 'invalid';
    return `'${key}' (${formatDuration(ms(key) ?? 0)}${written ? '' : ', the default'})`;
  };
  /** Reports at the value of `prefer` if it was written, else at `other`'s, else at `timings`. */
  const report = (severity: 'error' | 'warning', code: Parameters<IssueSink['error']>[0], prefer: (typeof TIMING_KEYS)[number], other: (typeof TIMING_KEYS)[number], message: string): void => {
    const chosen = [values[prefer], values[other]].find((v): v is Located<number> => v !== undefined && v !== 'invalid');
    const at = chosen?.at ?? drafts.at;
    const path = chosen?.path ?? drafts.path;
    if (severity === 'error') sink.error(code, at, path, message);
    else sink.warning(code, at, path, message);
  };

  const keepalive = ms('keepalive');
  const warntime = ms('warntime');
  const deadtime = ms('deadtime');
  const initdead = ms('initdead');
  let ordered = true;
  if (keepalive !== undefined && warntime !== undefined && keepalive >= warntime) {
    ordered = false;
    report('error', 'TND_E_CONFIG_TIMING_ORDER', 'warntime', 'keepalive', `${show('warntime')} must be longer than ${show('keepalive')}: keepalive < warntime < deadtime`);
  }
  if (warntime !== undefined && deadtime !== undefined && warntime >= deadtime) {
    ordered = false;
    report('error', 'TND_E_CONFIG_TIMING_ORDER', 'deadtime', 'warntime', `${show('deadtime')} must be longer than ${show('warntime')}: keepalive < warntime < deadtime`);
  }
  if (ordered && keepalive !== undefined && deadtime !== undefined) {
    if (deadtime < 2 * keepalive) {
      report('error', 'TND_E_CONFIG_DEADTIME_TOO_SHORT', 'deadtime', 'keepalive', `${show('deadtime')} must be at least twice ${show('keepalive')}, or one lost heartbeat declares a node dead`);
    } else if (deadtime < 3 * keepalive) {
      report('warning', 'TND_W_CONFIG_DEADTIME_TIGHT', 'deadtime', 'keepalive', `${show('deadtime')} is less than three times ${show('keepalive')}: two lost heartbeats in a row declare a node dead`);
    }
  }
  if (deadtime !== undefined && initdead !== undefined) {
    if (initdead < deadtime) {
      report('error', 'TND_E_CONFIG_INITDEAD_TOO_SHORT', 'initdead', 'deadtime', `${show('initdead')} must be at least ${show('deadtime')}`);
    } else if (initdead < 2 * deadtime) {
      report('warning', 'TND_W_CONFIG_INITDEAD_SHORT', 'initdead', 'deadtime', `${show('initdead')} is less than twice ${show('deadtime')}: a node whose network comes up slowly at boot may be declared dead (heartbeat gives the same warning)`);
    }
  }
  if (keepalive === undefined || warntime === undefined || deadtime === undefined || initdead === undefined) return undefined;
  return { keepaliveMs: keepalive, warntimeMs: warntime, deadtimeMs: deadtime, initdeadMs: initdead };
}

function readLinks(reader: Reader, entry: Entry): LinkDraft[] | undefined {
  const items = reader.list(entry, "'links'");
  if (items === undefined) return undefined;
  return items.map(({ node, at, path }) => readLink(reader, node, at, path));
}

function readLink(reader: Reader, node: Node | undefined, at: Site, path: string): LinkDraft {
  const { sink } = reader;
  if (node === undefined) {
    reader.missing(at, path, 'a link is empty: give at least its name and transport');
    return { path, at };
  }
  const map = reader.mapping(node, path, LINK_KEYS, 'a link');
  if (map === undefined) return { path, at };

  const nameEntry = map.get('name');
  if (nameEntry === undefined) reader.missing(at, `${path}.name`, "a link needs a 'name'");
  const name = nameEntry && reader.text(nameEntry, "a link's 'name'", { numbersAsText: true });
  if (name !== undefined && !LINK_NAME.test(name.value)) {
    sink.error('TND_E_CONFIG_NAME', name.at, name.path, `a link's name must be 1 to 64 characters among a-z 0-9 _ -: current value is ${JSON.stringify(name.value)}`);
  }
  const label = name !== undefined ? `link '${name.value}'` : 'a link';

  const transportEntry = map.get('transport');
  if (transportEntry === undefined) reader.missing(at, `${path}.transport`, `${label} needs a 'transport': ${TRANSPORTS.join(', ')}`);
  const transport = transportEntry && reader.oneOf(transportEntry, `the transport of ${label}`, TRANSPORTS);

  const portEntry = map.get('port');
  let port: Located<number> | undefined;
  if (portEntry !== undefined && transport?.value === 'serial') {
    sink.error('TND_E_CONFIG_FORBIDDEN_KEY', portEntry.keyAt, portEntry.path, `'port' is only allowed on UDP links, and ${label} is serial (its speed is 'baud')`);
  } else {
    port = portEntry && reader.integer(portEntry, `the port of ${label}`, 1, 65535);
  }

  const forbidden = (key: 'group' | 'ttl' | 'broadcast' | 'baud', allowedWith: TransportKind): boolean => {
    const field = map.get(key);
    if (field === undefined || transport === undefined || transport.value === allowedWith) return false;
    sink.error('TND_E_CONFIG_FORBIDDEN_KEY', field.keyAt, field.path, `'${key}' is only allowed on ${allowedWith} links, and ${label} is ${transport.value}`);
    return true;
  };

  let group: Located<string> | undefined;
  const groupEntry = map.get('group');
  if (!forbidden('group', 'udp-multicast')) {
    if (groupEntry === undefined && transport?.value === 'udp-multicast') {
      reader.missing(at, `${path}.group`, `${label} is udp-multicast and needs a 'group' (a multicast address such as 239.1.2.3 or ff15::694)`);
    }
    group = groupEntry && reader.text(groupEntry, `the multicast group of ${label}`);
    if (group !== undefined) {
      if (addressFamily(group.value) === undefined) {
        sink.error('TND_E_CONFIG_ADDRESS', group.at, group.path, `the multicast group of ${label} must be an IPv4 or IPv6 address: current value is ${JSON.stringify(group.value)}`);
        group = undefined;
      } else if (!isMulticastAddress(group.value)) {
        sink.error('TND_E_CONFIG_MULTICAST_GROUP', group.at, group.path, `the group of ${label} must be a multicast address (224.0.0.0/4 or ff00::/8): current value is ${group.value}`);
        group = undefined;
      }
    }
  }

  let ttl: number | undefined;
  const ttlEntry = map.get('ttl');
  if (!forbidden('ttl', 'udp-multicast')) ttl = ttlEntry && reader.integer(ttlEntry, `the ttl of ${label}`, 1, 255)?.value;

  let broadcast: Located<string> | undefined;
  const broadcastEntry = map.get('broadcast');
  if (!forbidden('broadcast', 'udp-broadcast')) {
    if (broadcastEntry === undefined && transport?.value === 'udp-broadcast') {
      reader.missing(at, `${path}.broadcast`, `${label} is udp-broadcast and needs a 'broadcast' address such as 192.0.2.255`);
    }
    broadcast = broadcastEntry && reader.text(broadcastEntry, `the broadcast address of ${label}`);
    if (broadcast !== undefined) {
      const family = addressFamily(broadcast.value);
      const problem =
        family === undefined ? 'must be an IPv4 address' : family === 6 ? 'must be an IPv4 address (IPv6 has no broadcast; use udp-multicast)' : isMulticastAddress(broadcast.value) ? 'must not be a multicast address' : undefined;
      if (problem !== undefined) {
        sink.error('TND_E_CONFIG_ADDRESS', broadcast.at, broadcast.path, `the broadcast address of ${label} ${problem}: current value is ${JSON.stringify(broadcast.value)}`);
        broadcast = undefined;
      }
    }
  }

  let baud: Located<number> | undefined;
  const baudEntry = map.get('baud');
  if (!forbidden('baud', 'serial') && baudEntry !== undefined) baud = readBaud(reader, baudEntry, label);

  return {
    path,
    at,
    ...(name !== undefined ? { name } : {}),
    ...(transport !== undefined ? { transport } : {}),
    ...(port !== undefined ? { port: port.value } : {}),
    ...(group !== undefined ? { group } : {}),
    ...(ttl !== undefined ? { ttl } : {}),
    ...(broadcast !== undefined ? { broadcast } : {}),
    ...(baud !== undefined ? { baud } : {}),
  };
}

/** A serial link's `baud`: one of heartbeat's rates, with the nearest one suggested. */
function readBaud(reader: Reader, entry: Entry, label: string): Located<number> | undefined {
  const what = `the baud of ${label}`;
  const rates = SERIAL_BAUD_RATES.join(', ');
  const node = entry.value;
  if (node === undefined) {
    reader.missing(entry.keyAt, entry.path, `${what} is empty: write one of ${rates}, or remove the key for ${DEFAULT_BAUD}`);
    return undefined;
  }
  const at = reader.sink.siteOf(node);
  if (!isScalar(node) || typeof node.value !== 'number') {
    reader.sink.error('TND_E_CONFIG_TYPE', at, entry.path, `${what} must be a number, one of ${rates}: current value is ${describeNode(node)}`);
    return undefined;
  }
  const value = node.value;
  if (!SERIAL_BAUD_RATES.includes(value)) {
    const nearest = [...SERIAL_BAUD_RATES].sort((a, b) => Math.abs(Math.log(a / value)) - Math.abs(Math.log(b / value)))[0];
    const hint = value > 0 && nearest !== undefined ? ` (did you mean ${nearest}?)` : '';
    reader.sink.error('TND_E_CONFIG_ENUM', at, entry.path, `${what} must be one of ${rates}: current value is ${node.source ?? String(value)}${hint}`);
    return undefined;
  }
  return { value, at, path: entry.path };
}

type TransportOf = (link: string) => TransportKind | undefined;

function readNodes(reader: Reader, entry: Entry, transportOf: TransportOf): NodeDraft[] | undefined {
  const items = reader.list(entry, "'nodes'");
  if (items === undefined) return undefined;
  return items.map(({ node, at, path }) => readNode(reader, node, at, path, transportOf));
}

function isHostName(name: string): boolean {
  return name.length <= 253 && name.split('.').every((label) => HOST_LABEL.test(label));
}

function readNode(reader: Reader, node: Node | undefined, at: Site, path: string, transportOf: TransportOf): NodeDraft {
  const { sink } = reader;
  if (node === undefined) {
    reader.missing(at, path, 'a node is empty: give its name and links');
    return { path, at, linksAt: at };
  }
  const map = reader.mapping(node, path, NODE_KEYS, 'a node');
  if (map === undefined) return { path, at, linksAt: at };

  const nameEntry = map.get('name');
  if (nameEntry === undefined) reader.missing(at, `${path}.name`, "a node needs a 'name' (its host name, as `uname -n` prints it)");
  const name = nameEntry && reader.text(nameEntry, "a node's 'name'", { numbersAsText: true });
  if (name !== undefined && !isHostName(name.value)) {
    sink.error('TND_E_CONFIG_NAME', name.at, name.path, `a node's name must be a host name as \`uname -n\` prints it (letters, digits and '-', not starting or ending with '-', labels of 1 to 63 characters separated by '.'): current value is ${JSON.stringify(name.value)}`);
  }
  const label = name !== undefined ? `node '${name.value}'` : 'a node';

  const linksEntry = map.get('links');
  if (linksEntry === undefined) {
    reader.missing(at, `${path}.links`, `${label} needs 'links': its address on each link, such as 'lan: 192.0.2.11'`);
    return { path, at, linksAt: at, ...(name !== undefined ? { name } : {}) };
  }
  const linksAt = linksEntry.keyAt;
  const linksMap = linksEntry.value === undefined ? new Map<string, Entry>() : reader.mapping(linksEntry.value, linksEntry.path, 'any', `the links of ${label}`);
  if (linksMap === undefined) return { path, at, linksAt, ...(name !== undefined ? { name } : {}) };

  const links: NodeLinkDraft[] = [];
  for (const field of linksMap.values()) links.push(transportOf(field.key) === 'serial' ? readNodeSerial(reader, field, label) : readNodeLink(reader, field, label));
  return { path, at, linksAt, links, ...(name !== undefined ? { name } : {}) };
}

function readNodeLink(reader: Reader, field: Entry, label: string): NodeLinkDraft {
  const { sink } = reader;
  const what = `the address of ${label} on link '${field.key}'`;
  let addressEntry: Entry | undefined;
  let iface: string | undefined;
  if (field.value !== undefined && !isScalarLike(field.value)) {
    const map = reader.mapping(field.value, field.path, NODE_LINK_KEYS, `the entry of ${label} for link '${field.key}' (an address, or { address, interface })`);
    if (map === undefined) return { link: field.key, linkAt: field.keyAt };
    const deviceEntry = map.get('device');
    if (deviceEntry !== undefined) sink.error('TND_E_CONFIG_FORBIDDEN_KEY', deviceEntry.keyAt, deviceEntry.path, `'device' is only allowed on serial links, and link '${field.key}' is not one`);
    addressEntry = map.get('address');
    if (addressEntry === undefined) reader.missing(sink.siteOf(field.value), `${field.path}.address`, `${what} is missing: write 'address: 192.0.2.11'`);
    const ifaceEntry = map.get('interface');
    const ifaceText = ifaceEntry && reader.text(ifaceEntry, `the interface of ${label} on link '${field.key}'`, { numbersAsText: true });
    if (ifaceText !== undefined) {
      if (!INTERFACE_NAME.test(ifaceText.value) || ifaceText.value === '.' || ifaceText.value === '..') {
        sink.error('TND_E_CONFIG_NAME', ifaceText.at, ifaceText.path, `an interface name must be 1 to 15 characters without '/', ':' or spaces: current value is ${JSON.stringify(ifaceText.value)}`);
      } else {
        iface = ifaceText.value;
      }
    }
  } else {
    addressEntry = field;
  }
  const address = addressEntry && reader.text(addressEntry, what);
  let valid: Located<string> | undefined;
  if (address !== undefined) {
    const problem =
      addressFamily(address.value) === undefined
        ? 'must be an IPv4 or IPv6 address'
        : isMulticastAddress(address.value)
          ? 'must be a unicast address, not a multicast one (the multicast group belongs under links)'
          : undefined;
    // The unspecified address is checked with the link's transport, in checkLinkAddresses.
    if (problem !== undefined) sink.error('TND_E_CONFIG_ADDRESS', address.at, address.path, `${what} ${problem}: current value is ${JSON.stringify(address.value)}`);
    else valid = address;
  }
  return { link: field.key, linkAt: field.keyAt, ...(valid !== undefined ? { address: valid } : {}), ...(iface !== undefined ? { iface } : {}) };
}

/** A node's entry on a serial link: its own tty, written `/dev/ttyS0` or `{ device: /dev/ttyS0 }`. */
function readNodeSerial(reader: Reader, field: Entry, label: string): NodeLinkDraft {
  const { sink } = reader;
  const what = `the device of ${label} on serial link '${field.key}'`;
  let deviceEntry: Entry | undefined = field;
  if (field.value !== undefined && !isScalarLike(field.value)) {
    const map = reader.mapping(field.value, field.path, NODE_LINK_KEYS, `the entry of ${label} for serial link '${field.key}' (a device path, or { device })`);
    if (map === undefined) return { link: field.key, linkAt: field.keyAt };
    for (const key of ['address', 'interface'] as const) {
      const entry = map.get(key);
      if (entry !== undefined) sink.error('TND_E_CONFIG_FORBIDDEN_KEY', entry.keyAt, entry.path, `'${key}' is only allowed on UDP links, and link '${field.key}' is serial: give the node's tty as 'device: /dev/ttyS0'`);
    }
    deviceEntry = map.get('device');
    if (deviceEntry === undefined) reader.missing(sink.siteOf(field.value), `${field.path}.device`, `${what} is missing: write 'device: /dev/ttyS0'`);
  }
  const device = deviceEntry && reader.text(deviceEntry, what, { numbersAsText: true });
  if (device === undefined) return { link: field.key, linkAt: field.keyAt };
  if (!isAbsolute(device.value) || device.value.endsWith('/')) {
    sink.error('TND_E_CONFIG_PATH', device.at, device.path, `${what} must be the absolute path of a tty, such as /dev/ttyS0: current value is ${JSON.stringify(device.value)}`);
    return { link: field.key, linkAt: field.keyAt };
  }
  return { link: field.key, linkAt: field.keyAt, device };
}

function isScalarLike(node: Node): boolean {
  return isScalar(node);
}

/** Cross-references between links and nodes: names, membership, address families and duplicates. */
function checkTopology(sink: IssueSink, input: { links: readonly LinkDraft[]; linksAt: Site; nodes: readonly NodeDraft[]; nodesAt: Site }): void {
  const { links, nodes } = input;
  if (links.length === 0) sink.error('TND_E_CONFIG_NO_LINKS', input.linksAt, 'links', 'at least one link is needed: the list is empty');
  if (nodes.length < 2) sink.error('TND_E_CONFIG_TOO_FEW_NODES', input.nodesAt, 'nodes', `a cluster needs at least two nodes: ${nodes.length} declared`);

  const linkByName = new Map<string, LinkDraft>();
  for (const link of links) {
    if (link.name === undefined) continue;
    const first = linkByName.get(link.name.value);
    if (first?.name !== undefined) {
      sink.error('TND_E_CONFIG_DUPLICATE_LINK', link.name.at, link.name.path, `link '${link.name.value}' is declared twice: first at line ${first.name.at.line}`);
    } else {
      linkByName.set(link.name.value, link);
    }
  }

  const nodeByName = new Map<string, NodeDraft>();
  for (const node of nodes) {
    if (node.name === undefined) continue;
    const key = node.name.value.toLowerCase();
    const first = nodeByName.get(key);
    if (first?.name !== undefined) {
      sink.error('TND_E_CONFIG_DUPLICATE_NODE', node.name.at, node.name.path, `node '${node.name.value}' is declared twice: first at line ${first.name.at.line}${first.name.value !== node.name.value ? ` as '${first.name.value}' (host names ignore case)` : ''}`);
    } else {
      nodeByName.set(key, node);
    }
  }

  const declared = [...linkByName.keys()];
  const members = new Map<string, { node: NodeDraft; entry: NodeLinkDraft }[]>(declared.map((name) => [name, []]));
  for (const node of nodes) {
    if (node.links === undefined) continue;
    if (node.links.length === 0) {
      sink.error('TND_E_CONFIG_NODE_NO_LINK', node.linksAt, `${node.path}.links`, `${node.name ? `node '${node.name.value}'` : 'a node'} is on no link: give its address on at least one of ${declared.map((n) => `'${n}'`).join(', ') || 'the links'}`);
    }
    for (const entry of node.links) {
      const onLink = members.get(entry.link);
      if (onLink === undefined) {
        // With no link declared at all, TND_E_CONFIG_NO_LINKS says it once; one issue per node entry adds nothing.
        if (links.length === 0) continue;
        const hint = suggest(entry.link, declared);
        const known = declared.length > 0 ? `declared links are ${declared.map((n) => `'${n}'`).join(', ')}` : 'no link is declared';
        sink.error('TND_E_CONFIG_UNKNOWN_LINK', entry.linkAt, `${node.path}.links.${entry.link}`, `no link is named '${entry.link}'${hint !== undefined ? `: did you mean '${hint}'?` : `: ${known}`}`);
        continue;
      }
      onLink.push({ node, entry });
    }
  }

  for (const [name, link] of linkByName) {
    const onLink = members.get(name) ?? [];
    if (nodes.length >= 2 && onLink.length < 2 && link.name !== undefined) {
      const who = onLink.length === 0 ? 'no node' : `only node '${onLink[0]?.node.name?.value ?? '?'}'`;
      sink.error('TND_E_CONFIG_LINK_TOO_FEW_NODES', link.name.at, link.name.path, `link '${name}' has ${who} on it: a link needs at least two nodes`);
    }
    if (link.transport?.value === 'serial' && onLink.length > SERIAL_NODES && link.name !== undefined) {
      const who = onLink.map(({ node }) => `'${node.name?.value ?? '?'}'`).join(', ');
      sink.error('TND_E_CONFIG_SERIAL_NODES', link.name.at, link.name.path, `serial link '${name}' has ${onLink.length} nodes on it (${who}): a serial line joins exactly two; heartbeat's serial rings, which forwarded messages around more nodes, are not supported (give each pair its own serial link, or use a UDP link)`);
    }
    checkLinkAddresses(sink, name, link, onLink);
  }
}

function familyName(family: AddressFamily): string {
  return family === 4 ? 'IPv4' : 'IPv6';
}

function checkLinkAddresses(sink: IssueSink, name: string, link: LinkDraft, onLink: readonly { node: NodeDraft; entry: NodeLinkDraft }[]): void {
  let family: AddressFamily | undefined;
  let familySource = '';
  if (link.group !== undefined) {
    family = addressFamily(link.group.value);
    familySource = `its multicast group ${link.group.value} (line ${link.group.at.line})`;
  } else if (link.broadcast !== undefined) {
    family = 4;
    familySource = `its broadcast address (line ${link.broadcast.at.line})`;
  }
  const seen = new Map<string, Located<string>>();
  for (const { entry } of onLink) {
    const address = entry.address;
    if (address === undefined) continue;
    const own = addressFamily(address.value);
    if (own === undefined) continue;
    if (isUnspecifiedAddress(address.value)) {
      // heartbeat's bcast/mcast: "whatever address this node has on the interface when the link opens". Peers
      // never send to a node's address on such a link, so only the interface must be known.
      const grouped = link.transport?.value === 'udp-broadcast' || link.transport?.value === 'udp-multicast';
      if (!grouped || entry.iface === undefined) {
        sink.error(
          'TND_E_CONFIG_ADDRESS',
          address.at,
          address.path,
          grouped
            ? `${address.value} means "this node's address on its interface", so give the interface too`
            : `must be a specific address, not the unspecified one: peers send to it on a ${link.transport?.value ?? 'unicast'} link (the unspecified address, with an interface, is only for broadcast and multicast links)`,
        );
        continue;
      }
    }
    if (family === undefined) {
      family = own;
      familySource = `the first address on it, ${address.value} (line ${address.at.line})`;
    } else if (own !== family) {
      sink.error('TND_E_CONFIG_ADDRESS_FAMILY', address.at, address.path, `${address.value} is ${familyName(own)}, but link '${name}' is ${familyName(family)} by ${familySource}`);
      continue;
    }
    const canonical = canonicalAddress(address.value);
    if (isUnspecifiedAddress(address.value)) continue;
    const first = seen.get(canonical);
    if (first !== undefined) {
      sink.error('TND_E_CONFIG_DUPLICATE_ADDRESS', address.at, address.path, `address ${address.value} is used twice on link '${name}': first at line ${first.at.line}`);
    } else {
      seen.set(canonical, address);
    }
  }
}

function buildLink(draft: LinkDraft): LinkConfig {
  assert(draft.name !== undefined && draft.transport !== undefined, `link ${draft.path} without name or transport but no error`);
  const transport = draft.transport.value;
  if (transport === 'udp-multicast') assert(draft.group !== undefined, `multicast link ${draft.path} without group but no error`);
  if (transport === 'udp-broadcast') assert(draft.broadcast !== undefined, `broadcast link ${draft.path} without address but no error`);
  return {
    name: linkName(draft.name.value),
    transport,
    port: draft.port ?? DEFAULT_PORT,
    ...(draft.group !== undefined ? { group: draft.group.value, ttl: draft.ttl ?? DEFAULT_TTL } : {}),
    ...(draft.broadcast !== undefined ? { broadcast: draft.broadcast.value } : {}),
    ...(transport === 'serial' ? { baud: draft.baud?.value ?? DEFAULT_BAUD } : {}),
  };
}

function buildNode(draft: NodeDraft): NodeConfig {
  assert(draft.name !== undefined && draft.links !== undefined, `node ${draft.path} without name or links but no error`);
  const links: Record<string, NodeLinkEndpoint> = {};
  for (const entry of draft.links) {
    if (entry.device !== undefined) {
      links[entry.link] = { device: entry.device.value };
      continue;
    }
    assert(entry.address !== undefined, `node ${draft.path} without address on ${entry.link} but no error`);
    links[entry.link] = { address: entry.address.value, ...(entry.iface !== undefined ? { interface: entry.iface } : {}) };
  }
  return { name: nodeName(draft.name.value), links };
}

function readLogging(reader: Reader, entry: Entry | undefined): LoggingConfig {
  if (entry?.value === undefined) return DEFAULT_LOGGING;
  const map = reader.mapping(entry.value, 'logging', LOGGING_KEYS, "'logging'");
  if (map === undefined) return DEFAULT_LOGGING;
  const formatEntry = map.get('format');
  const levelEntry = map.get('level');
  const format = formatEntry && reader.oneOf(formatEntry, "'logging.format'", LOG_FORMATS);
  const level = levelEntry && reader.oneOf(levelEntry, "'logging.level'", LOG_LEVELS);
  return { format: format?.value ?? DEFAULT_LOGGING.format, level: level?.value ?? DEFAULT_LOGGING.level };
}

/** `reconcile:`; undefined when a value is invalid (reported). */
function readReconcile(reader: Reader, entry: Entry | undefined): ReconcileConfig | undefined {
  if (entry?.value === undefined) return DEFAULT_RECONCILE;
  const map = reader.mapping(entry.value, 'reconcile', RECONCILE_KEYS, "'reconcile'");
  if (map === undefined) return undefined;
  const intervalEntry = map.get('interval');
  const interval = intervalEntry && reader.duration(intervalEntry, 'reconcile.interval', { allowZero: true });
  const strayEntry = map.get('stray_addresses');
  const stray = strayEntry && reader.oneOf(strayEntry, "'reconcile.stray_addresses'", STRAY_POLICIES);
  if ((intervalEntry !== undefined && interval === undefined) || (strayEntry !== undefined && stray === undefined)) return undefined;
  return { intervalMs: interval?.value ?? DEFAULT_RECONCILE.intervalMs, strayAddresses: stray?.value ?? DEFAULT_RECONCILE.strayAddresses };
}
