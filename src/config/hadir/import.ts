/**
 * heartbeat's /etc/ha.d (ha.cf, haresources, authkeys) → tandem's ClusterConfig and KeyRing.
 *
 * What is mapped (research notes §§3, 5, 6, 7, 8 say what heartbeat did with each):
 *   - `node` → nodes (lower-cased, as heartbeat compares them).
 *   - keepalive / warntime / deadtime / initdead → timings, with heartbeat's defaults for what is not written
 *     (1 s, deadtime/2, 30 s, and initdead = deadtime above 10 s, 12 s below 6 s, else 2×deadtime).
 *   - bcast / mcast / mcast6 → one link per interface line; ucast / ucast6 → one udp-unicast link per interface.
 *     Node addresses: heartbeat needs none for bcast/mcast (it binds INADDR_ANY), so neither does tandem: every
 *     node's address on such a link is the unspecified one with the interface ("whatever this node has on eth1
 *     when the link opens", resolved by the transport), which reads the same on every node, so the digests agree;
 *     this host must have such an address now. For ucast heartbeat knows only the PEER, but peers send to each
 *     node's address, so they are derived: explicit `addresses` first;
 *     then this host's own address from `interfaces` (the node named `hostName`); for ucast, a line whose peer is
 *     one of this host's addresses is this host's own (heartbeat ignores that line — it is how one ha.cf serves
 *     both nodes), and in a two-node cluster the one remaining peer is the other node's. What cannot be derived
 *     is an error naming the node and interface. A bcast link's broadcast address comes from `broadcasts`, or
 *     from this host's address and netmask on that interface.
 *   - haresources lines → groups: the first word is the home node, then the other nodes in ha.cf order (in a
 *     two-node cluster the other node is the standby). failback: `auto_failback on` → auto, `off` → manual,
 *     `legacy` (heartbeat's default) → auto, since legacy mode always hands a group back to its home node when
 *     that node starts (research notes §7.3) — with a warning.
 *   - Resources: IP addresses (bare, `IPaddr::…`, `IPaddr2::…`) → tandem's built-in `ipaddr` when the interface
 *     and prefix are known (written, or found among this host's interfaces: the one whose network holds the
 *     address — what IPaddr's findif did at run time) and any broadcast written is the default one. Why that is
 *     safe: IPaddr (an ifconfig alias) and IPaddr2 (`ip addr add`) both add the address to the interface and send
 *     gratuitous ARPs, which is what `ipaddr` does; only the alias label differs, which nothing keys on. Otherwise
 *     the address stays a `{kind: 'heartbeat', script: 'IPaddr', …}` resource (warned), which runs heartbeat's own
 *     script. Every other word → `{kind: 'heartbeat', script, args}`, looked up through `resolveScript`
 *     (/etc/ha.d/resource.d, then /etc/init.d, /etc/rc.d/init.d in the loader). heartbeat never monitored
 *     resources, and such scripts' `status` output is often unreliable, so they get no recurring monitor
 *     (monitorIntervalMs 0: probed once at start, as heartbeat's takeover did); `ipaddr` keeps tandem's monitor.
 *   - ping / ping6 / ping_group + `respawn … ipfail` → the ping section (interval = keepalive, dead = deadping,
 *     default deadtime). Without ipfail heartbeat only reported ping nodes, so they are not imported (warned).
 *   - serial DEV… (+ baud, default 19200) → one `serial` link per device (serial0, serial1, … in ha.cf order), for
 *     two-node clusters only (heartbeat's rings of more nodes forwarded messages; tandem's serial links do not:
 *     more nodes is an error at the serial line). Each host's ha.cf names its own device, and a host's import writes
 *     that device for itself and assumes the same path on the peer — which is how one ha.cf serves both nodes. The
 *     assumption is harmless: a node opens only its own device, and device paths are not in the config digest, so
 *     a peer whose ha.cf names /dev/ttyS1 imports its own device and still agrees with this host.
 *   - watchdog → watchdog, with heartbeat's timeout: ceil((deadtime + 10 ms) / 1 s) seconds.
 *   - stonith_host → fence devices (hacf.ts maps the plugins), action reboot (heartbeat reset nodes); a device
 *     named on a host's line fences the other nodes, unless its plugin parameters name the node(s) it resets.
 *   - authkeys → key ring (authkeys.ts). `cluster NAME` → the cluster name (else `clusterName`, else linux-ha).
 *
 * Checks beyond each file's own: the host name matches a `node`; every haresources node is a `node`; keepalive <
 * deadtime, deadtime > 2×keepalive (heartbeat refuses less), and ≥ 3×keepalive (warned); keepalive < warntime <
 * deadtime (warned and replaced by deadtime/2: heartbeat accepted any warntime); initdead ≥ deadtime, and ≥ 2×deadtime (warned, as heartbeat's sample ha.cf advises); deadping >
 * 2×keepalive; one resource in two groups.
 *
 * Invariants:
 *   1. Pure: texts and facts about the host (interfaces, script lookup, authkeys' mode) in, result out.
 *   2. `config` and `keyRing` are returned only when no file has an error.
 *   3. Issues are ordered by file (ha.cf, haresources, authkeys), then line and column.
 */
import { dirname } from 'node:path';
import { nodeName, linkName, type NodeName } from '../../core/types.js';
import { formatDuration } from '../../lib/duration.js';
import { IPADDR_DEFAULTS } from '../../agents/ipaddr.js';
import { HEARTBEAT_SCRIPT_DIRS_DEFAULT } from '../../agents/heartbeat-script.js';
import { addressFamily, canonicalAddress } from '../address.js';
import type { ConfigIssueCode } from '../codes.js';
import {
  DEFAULT_BAUD,
  DEFAULT_FENCING,
  DEFAULT_GROUP_POLICY,
  DEFAULT_LOGGING,
  DEFAULT_PORT,
  DEFAULT_RECONCILE,
  DEFAULT_RESOURCE_TIMINGS,
  DEFAULT_RUNTIME_DIR,
  DEFAULT_STATE_DIR,
  type ClusterConfig,
  type ConfigIssue,
  type FenceDeviceConfig,
  type FencingConfig,
  type GroupConfig,
  type KeyRing,
  type LinkConfig,
  type NodeLinkEndpoint,
  type PingConfig,
  type ResourceAgentConfig,
  type ResourceConfig,
  type TimingsConfig,
  type WatchdogConfig,
} from '../model.js';
import { serialLoadProblem } from '../serial-load.js';
import { suggest } from '../suggest.js';
import { parseAuthkeys } from './authkeys.js';
import { parseHaCf, type HaCf, type HaCfMedium, type HaCfTime, type Site, type Word } from './hacf.js';
import { parseHaresources, type HaresourcesGroup, type HaresourcesResource } from './haresources.js';

/** Each directive's value as written, the last line winning, as heartbeat recorded it for `cl_status hbparameter`. */
function writtenParameters(hacf: HaCf): Record<string, string> {
  const out: Record<string, string> = {};
  for (const d of hacf.directives) out[d.name] = d.args.map((word) => word.text).join(' ');
  return out;
}

export interface HadirFiles {
  readonly haCf: string;
  readonly haresources: string;
  readonly authkeys: string;
}

/** One address of a host interface, as `os.networkInterfaces()` gives it. */
export interface HostInterfaceAddress {
  readonly address: string;
  readonly netmask?: string;
}

export interface HadirImportOptions {
  /** The host the files come from, as `uname -n` prints it (or /etc/ha.d/nodeinfo's first line). */
  readonly hostName?: string;
  /** That host's interfaces: name → addresses (`os.networkInterfaces()` fits). */
  readonly interfaces?: Readonly<Record<string, readonly HostInterfaceAddress[] | undefined>>;
  /** Addresses the files cannot tell: node → interface → address. They win over derived ones. */
  readonly addresses?: Readonly<Record<string, Readonly<Record<string, string>>>>;
  /** Broadcast address per bcast interface, when this host's netmask is not known. */
  readonly broadcasts?: Readonly<Record<string, string>>;
  /** Where a haresources script is (a path), or undefined when it is not installed; not given = not checked. */
  readonly resolveScript?: (script: string) => string | undefined;
  /** The directories `resolveScript` searches, for messages. */
  readonly scriptDirs?: readonly string[];
  /** authkeys' st_mode, when known: checked as heartbeat does. */
  readonly authkeysMode?: number;
  /** File names for issues; default /etc/ha.d/{ha.cf,haresources,authkeys}. */
  readonly paths?: Partial<Readonly<Record<keyof HadirFiles, string>>>;
  /** Used when ha.cf has no `cluster` line; default linux-ha (heartbeat's own default). */
  readonly clusterName?: string;
  /** The key file path the config names; default /etc/tandem/keys. */
  readonly keyFile?: string;
}

export interface HadirImport {
  readonly config?: ClusterConfig;
  readonly keyRing?: KeyRing;
  readonly issues: ConfigIssue[];
  /** The parsed files, for tools that want to show what was read. */
  readonly hacf: HaCf;
  readonly haresources: readonly HaresourcesGroup[];
}

const DEFAULT_KEY_FILE = '/etc/tandem/keys';
const WATCHDOG_MAX_MS = 255_000;

/**
 * Imports a heartbeat configuration.
 *
 * @example
 * const { config, keyRing, issues } = hadirToClusterConfig({ haCf, haresources, authkeys }, { hostName: 'ha1', interfaces: os.networkInterfaces() });
 */
export function hadirToClusterConfig(files: HadirFiles, options: HadirImportOptions = {}): HadirImport {
  const paths = { haCf: options.paths?.haCf ?? '/etc/ha.d/ha.cf', haresources: options.paths?.haresources ?? '/etc/ha.d/haresources', authkeys: options.paths?.authkeys ?? '/etc/ha.d/authkeys' };
  const { hacf, issues: hacfIssues } = parseHaCf(files.haCf, paths.haCf);
  const { groups: hrGroups, issues: hrIssues } = parseHaresources(files.haresources, paths.haresources);
  const auth = parseAuthkeys(files.authkeys, paths.authkeys, options.authkeysMode);
  const issues: ConfigIssue[] = [...hacfIssues, ...hrIssues, ...auth.issues];
  const report = (severity: 'error' | 'warning', code: ConfigIssueCode, file: keyof HadirFiles, at: Site | undefined, path: string, message: string): void => {
    issues.push({ severity, code, file: paths[file], line: at?.line ?? 0, column: at?.column ?? 0, path, message });
  };
  const error = (code: ConfigIssueCode, file: keyof HadirFiles, at: Site | undefined, path: string, message: string): void => report('error', code, file, at, path, message);
  const warn = (code: ConfigIssueCode, file: keyof HadirFiles, at: Site | undefined, path: string, message: string): void => report('warning', code, file, at, path, message);

  // ---- nodes ----
  const names = hacf.nodes.map((node) => node.text);
  const firstNode = hacf.nodes[0];
  if (names.length < 2) error('TND_E_CONFIG_TOO_FEW_NODES', 'haCf', firstNode, 'node', `a cluster needs at least two nodes: ha.cf declares ${names.length === 0 ? 'none' : `only '${names[0] ?? ''}'`} (one 'node NAME' line per host, as \`uname -n\` prints it)`);
  let local: string | undefined;
  if (options.hostName !== undefined) {
    const host = options.hostName.toLowerCase();
    if (names.includes(host)) {
      local = host;
    } else if (names.length > 0) {
      const hint = suggest(host, names);
      error(
        'TND_E_CONFIG_HADIR_HOST_NOT_A_NODE',
        'haCf',
        firstNode,
        'node',
        `this host is '${host}', which no 'node' line names (${names.map((n) => `'${n}'`).join(', ')})${hint !== undefined ? `: did you mean '${hint}'?` : ''}; heartbeat would refuse to start here ("Current node [${host}] not in configuration!"): the names must match \`uname -n\``,
      );
    }
  }

  // ---- timings ----
  const timings = checkTimings(hacf, (severity, code, at, path, message) => report(severity, code, 'haCf', at, path, message));

  // ---- links ----
  const nodeLinks = new Map<string, Record<string, NodeLinkEndpoint>>(names.map((name) => [name, {}]));
  const links = buildLinks(hacf, names, local, options, nodeLinks, (severity, code, at, path, message) => report(severity, code, 'haCf', at, path, message));
  // A serial line refused (more than two nodes) already has its error; "no link" would only repeat it.
  if (links.length === 0 && names.length >= 2 && !hacf.media.some((m) => m.kind === 'serial')) {
    error('TND_E_CONFIG_NO_LINKS', 'haCf', undefined, '', `no heartbeat link to import: ha.cf has no bcast, mcast, ucast or serial line (heartbeat: "No heartbeat media defined")`);
  }

  // ---- groups ----
  const failbackSetting = hacf.autoFailback?.value ?? 'legacy';
  if (hrGroups.length > 0 && failbackSetting === 'legacy') {
    warn(
      'TND_W_CONFIG_HACF_OBSOLETE',
      'haCf',
      hacf.autoFailback?.at,
      'auto_failback',
      `auto_failback is ${hacf.autoFailback === undefined ? "not set, so heartbeat's default 'legacy' applies" : 'legacy'}: legacy mode hands each group back to its home node when that node starts, so the groups get failback auto (write 'auto_failback on' to say so, or 'off' for manual)`,
    );
  }
  if (hrGroups.length > 0 && names.length > 2) {
    warn('TND_W_CONFIG_HADIR_MORE_NODES', 'haresources', hrGroups[0]?.at, '', `ha.cf declares ${names.length} nodes, but heartbeat's haresources mode is two-node only: each group lists its home node first, then the others in ha.cf order`);
  }
  const groups = buildGroups(hrGroups, names, failbackSetting === 'off' ? 'manual' : 'auto', options, (severity, code, at, path, message) => report(severity, code, 'haresources', at, path, message));

  // ---- ping (ipfail), watchdog, fencing ----
  const ping = buildPing(hacf, timings, failbackSetting, (severity, code, at, path, message) => report(severity, code, 'haCf', at, path, message));
  let watchdog: WatchdogConfig | undefined;
  if (hacf.watchdog !== undefined && timings !== undefined) {
    const timeoutMs = Math.ceil((timings.deadtimeMs + 10) / 1000) * 1000;
    if (timeoutMs > WATCHDOG_MAX_MS) {
      error('TND_E_CONFIG_RANGE', 'haCf', hacf.watchdog, 'watchdog', `heartbeat sets the watchdog's timeout to deadtime + 10 ms rounded up to seconds, ${timeoutMs / 1000}s here, but a watchdog takes at most ${WATCHDOG_MAX_MS / 1000}s: shorten deadtime, or configure watchdog.timeout in tandem.yaml`);
    } else {
      watchdog = { device: hacf.watchdog.text, timeoutMs };
    }
  }
  const fencing = buildFencing(hacf, names, (code, at, path, message) => error(code, 'haCf', at, path, message));

  // ---- result ----
  const order = [paths.haCf, paths.haresources, paths.authkeys];
  issues.sort((a, b) => order.indexOf(a.file) - order.indexOf(b.file) || a.line - b.line || a.column - b.column);
  const base = { issues, hacf, haresources: hrGroups };
  if (issues.some((issue) => issue.severity === 'error') || timings === undefined || groups === undefined || auth.keyRing === undefined) return base;

  const declared: NodeName[] = names.map(nodeName);
  const cluster = hacf.cluster?.text ?? options.clusterName ?? 'linux-ha';
  const config: ClusterConfig = {
    cluster,
    keyFile: options.keyFile ?? DEFAULT_KEY_FILE,
    timings,
    links,
    nodes: names.map((name) => ({ name: nodeName(name), links: nodeLinks.get(name) ?? {} })),
    logging: DEFAULT_LOGGING,
    stateDir: DEFAULT_STATE_DIR,
    runtimeDir: DEFAULT_RUNTIME_DIR,
    groups,
    reconcile: DEFAULT_RECONCILE,
    quorum: { votes: Object.fromEntries(names.map((name) => [name, 1])), noQuorum: 'stop', waitForAll: declared.length === 2 && fencing !== undefined },
    ...(ping !== undefined ? { ping } : {}),
    ...(fencing !== undefined ? { fencing } : {}),
    ...(watchdog !== undefined ? { watchdog } : {}),
    origin: { kind: 'ha.d', dir: dirname(paths.haCf), parameters: writtenParameters(hacf), autoFailback: hacf.autoFailback?.value ?? 'legacy', ...pingNodesOf(hacf, timings) },
  };
  // Needs the whole config (groups and names size the heartbeat). Serial links were made in ha.cf's serial order.
  const serialDevices = hacf.media.filter((m) => m.kind === 'serial');
  links.filter((link) => link.transport === 'serial').forEach((link, i) => {
    const problem = serialLoadProblem(config, link.name);
    if (problem !== undefined) warn('TND_W_CONFIG_SERIAL_BANDWIDTH', 'haCf', hacf.baud?.word ?? serialDevices[i]?.device, hacf.baud !== undefined ? 'baud' : 'serial', problem);
  });
  issues.sort((a, b) => order.indexOf(a.file) - order.indexOf(b.file) || a.line - b.line || a.column - b.column);
  return { ...base, config, keyRing: auth.keyRing };
}

type Report = (severity: 'error' | 'warning', code: ConfigIssueCode, at: Site | undefined, path: string, message: string) => void;

/** heartbeat's ping nodes as it probed them (for `cl_status`), whether or not they became a tie-breaker (buildPing). */
function pingNodesOf(hacf: HaCf, timings: TimingsConfig): { pingNodes?: PingConfig } {
  const groups = [...hacf.pings.map((word) => ({ name: word.text, addresses: [word.text] })), ...hacf.pingGroups.map((group) => ({ name: group.name.text, addresses: group.addresses.map((a) => a.text) }))];
  return groups.length === 0 ? {} : { pingNodes: { groups, intervalMs: timings.keepaliveMs, deadMs: hacf.deadping?.ms ?? timings.deadtimeMs } };
}

/** heartbeat's defaults and rules for the four timings (plus deadping, checked in buildPing). */
function checkTimings(hacf: HaCf, report: Report): TimingsConfig | undefined {
  const keepalive = hacf.keepalive?.ms ?? 1000;
  const deadtime = hacf.deadtime?.ms ?? 30_000;
  let warntime = hacf.warntime?.ms ?? Math.floor(deadtime / 2);
  const initdead = hacf.initdead?.ms ?? (deadtime > 10_000 ? deadtime : deadtime < 6000 ? 12_000 : 2 * deadtime);
  const show = (name: string, t: HaCfTime | undefined, ms: number): string => `${name} (${formatDuration(ms)}${t === undefined ? ", heartbeat's default" : ''})`;
  const at = (...candidates: (HaCfTime | undefined)[]): { at: Site | undefined; path: string } => {
    const found = candidates.find((c) => c !== undefined);
    return { at: found?.word, path: found === hacf.keepalive ? 'keepalive' : found === hacf.deadtime ? 'deadtime' : found === hacf.warntime ? 'warntime' : found === hacf.initdead ? 'initdead' : '' };
  };
  let ok = true;
  const k = show('keepalive', hacf.keepalive, keepalive);
  const d = show('deadtime', hacf.deadtime, deadtime);
  if (keepalive >= deadtime) {
    const where = at(hacf.deadtime, hacf.keepalive);
    report('error', 'TND_E_CONFIG_TIMING_ORDER', where.at, where.path, `${d} must be longer than ${k}: a node is declared dead after deadtime without a heartbeat`);
    ok = false;
  } else if (deadtime <= 2 * keepalive) {
    const where = at(hacf.deadtime, hacf.keepalive);
    report('error', 'TND_E_CONFIG_DEADTIME_TOO_SHORT', where.at, where.path, `${d} must be more than twice ${k}, or one lost heartbeat declares a node dead (heartbeat refuses it too: "Dead time is too small compared to keepalive")`);
    ok = false;
  } else if (deadtime < 3 * keepalive) {
    const where = at(hacf.deadtime, hacf.keepalive);
    report('warning', 'TND_W_CONFIG_DEADTIME_TIGHT', where.at, where.path, `${d} is less than three times ${k}: two lost heartbeats in a row declare a node dead`);
  }
  if (ok && !(keepalive < warntime && warntime < deadtime)) {
    // heartbeat accepted any warntime (it only decides when "Late heartbeat" is logged), so a working ha.cf may
    // have one past deadtime; tandem's `late` state needs one between keepalive and deadtime: heartbeat's default.
    const where = at(hacf.warntime, hacf.deadtime, hacf.keepalive);
    const used = Math.floor(deadtime / 2);
    report('warning', 'TND_W_CONFIG_HADIR_WARNTIME', where.at, where.path, `${show('warntime', hacf.warntime, warntime)} is not between ${k} and ${d}, so a peer would never show as late; tandem uses ${formatDuration(used)} (deadtime/2, heartbeat's default)`);
    warntime = used;
  }
  if (initdead < deadtime) {
    const where = at(hacf.initdead, hacf.deadtime);
    report('error', 'TND_E_CONFIG_INITDEAD_TOO_SHORT', where.at, where.path, `${show('initdead', hacf.initdead, initdead)} must be at least ${d} (heartbeat refuses it too)`);
    ok = false;
  } else if (initdead < 2 * deadtime) {
    const where = at(hacf.initdead, hacf.deadtime);
    report('warning', 'TND_W_CONFIG_INITDEAD_SHORT', where.at, where.path, `${show('initdead', hacf.initdead, initdead)} is less than twice ${d}: a node whose network comes up slowly at boot may be declared dead (heartbeat's sample ha.cf gives the same advice)`);
  }
  return ok ? { keepaliveMs: keepalive, warntimeMs: warntime, deadtimeMs: deadtime, initdeadMs: initdead } : undefined;
}

function linkBase(kind: string, iface: string): string {
  return `${kind}-${iface.toLowerCase().replace(/[^a-z0-9_-]/g, '-')}`.slice(0, 64);
}

function unique(base: string, taken: Set<string>, max = 64): string {
  let name = base;
  for (let n = 2; taken.has(name); n++) name = `${base.slice(0, max - String(n).length - 1)}-${n}`;
  taken.add(name);
  return name;
}

/** A dotted IPv4 netmask → prefix length, or undefined when it is not contiguous. */
function maskBits(netmask: string): number | undefined {
  if (addressFamily(netmask) !== 4) return undefined;
  const value = ipv4ToNumber(netmask);
  const bits = value.toString(2).padStart(32, '0');
  return /^1*0*$/.test(bits) ? bits.indexOf('0') === -1 ? 32 : bits.indexOf('0') : undefined;
}

function ipv4ToNumber(address: string): number {
  return address.split('.').reduce((acc, part) => acc * 256 + Number(part), 0);
}

function numberToIpv4(value: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join('.');
}

function broadcastOf(address: string, prefix: number): string {
  const host = 2 ** (32 - prefix);
  return numberToIpv4(Math.floor(ipv4ToNumber(address) / host) * host + host - 1);
}

function hostAddresses(options: HadirImportOptions, iface: string, family: 4 | 6): HostInterfaceAddress[] {
  const device = iface.split(':')[0] ?? iface;
  return (options.interfaces?.[iface] ?? options.interfaces?.[device] ?? []).filter((a) => addressFamily(a.address) === family);
}

function buildLinks(hacf: HaCf, names: readonly string[], local: string | undefined, options: HadirImportOptions, nodeLinks: Map<string, Record<string, NodeLinkEndpoint>>, report: Report): LinkConfig[] {
  const links: LinkConfig[] = [];
  const taken = new Set<string>();
  const explicit = (node: string, iface: string): string | undefined => options.addresses?.[node]?.[iface];
  const allLocal = new Set(Object.values(options.interfaces ?? {}).flatMap((list) => (list ?? []).map((a) => canonicalAddress(a.address))));
  const localHint = (iface: string, family: 4 | 6): string =>
    local === undefined
      ? options.hostName === undefined
        ? 'the host name was not given, so no node is known to be this host'
        : `this host (${options.hostName}) is none of the nodes, so no node's netmask is known here`
      : options.interfaces === undefined
        ? "this host's interfaces were not given"
        : `this host (${local}) has no IPv${family} address on ${iface}`;
  const place = (node: string, link: string, address: string, iface: string): void => {
    const entry = nodeLinks.get(node);
    if (entry !== undefined) entry[link] = { address, interface: iface.split(':')[0] ?? iface };
  };
  const missing = (medium: HaCfMedium & { iface: Word }, nodes: readonly string[], why: string): void => {
    if (nodes.length === 0) return;
    const list = nodes.map((n) => `'${n}'`).join(' and ');
    report(
      'error',
      'TND_E_CONFIG_HADIR_NO_ADDRESS',
      medium.iface,
      medium.kind,
      `the address of node ${list} on ${medium.iface.text} cannot be derived: ${why}; tandem binds each node's socket to its address, so give it to the import (node → interface → address)`,
    );
  };

  const ucastDone = new Set<string>();
  for (const medium of hacf.media) {
    if (medium.kind === 'serial') {
      const link = serialLink(medium, names, hacf.baud?.value ?? DEFAULT_BAUD, taken, nodeLinks, report);
      if (link !== undefined) links.push(link);
      continue;
    }
    const family: 4 | 6 = medium.kind === 'mcast6' || medium.kind === 'ucast6' ? 6 : 4;
    const iface = medium.iface.text;
    if (medium.kind === 'bcast' || medium.kind === 'mcast' || medium.kind === 'mcast6') {
      const name = unique(linkBase(medium.kind === 'bcast' ? 'bcast' : 'mcast', iface), taken);
      // heartbeat's bcast/mcast names only the interface and binds to any address; so does the link: every node
      // is "the address it has on IFACE when the link opens" (the unspecified address with the interface), which
      // reads the same on every node, so both nodes' digests agree. This host must have such an address now.
      for (const node of names) place(node, name, explicit(node, iface) ?? (family === 4 ? '0.0.0.0' : '::'), iface);
      if (local !== undefined && options.interfaces !== undefined && explicit(local, iface) === undefined && hostAddresses(options, iface, family).length === 0) {
        missing(medium, [local], localHint(iface, family));
      }
      if (medium.kind === 'bcast') {
        const own = local !== undefined ? hostAddresses(options, iface, 4).find((a) => a.netmask !== undefined && maskBits(a.netmask) !== undefined) : undefined;
        const broadcast = options.broadcasts?.[iface] ?? (own !== undefined ? broadcastOf(own.address, maskBits(own.netmask ?? '') ?? 32) : undefined);
        if (broadcast === undefined) {
          report('error', 'TND_E_CONFIG_HADIR_NO_ADDRESS', medium.iface, 'bcast', `the broadcast address of ${iface} cannot be derived: heartbeat asks the kernel for it, and ${localHint(iface, 4)} with its netmask; give it to the import (interface → broadcast address)`);
        }
        links.push({ name: linkName(name), transport: 'udp-broadcast', port: medium.port, broadcast: broadcast ?? '' });
      } else {
        let ttl = medium.ttl;
        if (ttl === 0) {
          report('warning', 'TND_W_CONFIG_HACF_IGNORED', medium.at, medium.kind, `a multicast TTL of 0 keeps heartbeat's packets on this host; tandem needs at least 1, which is what the link gets`);
          ttl = 1;
        }
        links.push({ name: linkName(name), transport: 'udp-multicast', port: medium.port, group: medium.group.text, ttl });
      }
      continue;
    }

    // ucast / ucast6: every line on one interface is one link.
    const key = `${medium.kind}:${iface}`;
    if (ucastDone.has(key)) continue;
    ucastDone.add(key);
    const lines = hacf.media.filter((m): m is Extract<HaCfMedium, { kind: 'ucast' | 'ucast6' }> => m.kind === medium.kind && m.iface.text === iface);
    const name = unique(linkBase(medium.kind, iface), taken);
    const ports = new Set(lines.map((l) => l.port));
    if (ports.size > 1) report('warning', 'TND_W_CONFIG_HACF_ORDER', medium.at, medium.kind, `the ${medium.kind} lines on ${iface} were read with different udpport values (${[...ports].join(', ')}); the link uses ${medium.port}, the first`);
    const assigned = new Map<string, string>();
    for (const node of names) {
      const address = explicit(node, iface);
      if (address !== undefined) assigned.set(node, address);
    }
    const owner = (address: string): string | undefined => [...assigned].find(([, a]) => canonicalAddress(a) === canonicalAddress(address))?.[0];
    const unknown: Word[] = [];
    for (const line of lines) {
      const peer = line.peer.text;
      if (owner(peer) !== undefined || unknown.some((w) => canonicalAddress(w.text) === canonicalAddress(peer))) continue;
      if (local !== undefined && allLocal.has(canonicalAddress(peer))) {
        // heartbeat ignores a ucast line naming one of its own addresses: in a shared ha.cf it is this host's own.
        if (!assigned.has(local)) assigned.set(local, peer);
        continue;
      }
      unknown.push(line.peer);
    }
    if (local !== undefined && !assigned.has(local)) {
      const own = hostAddresses(options, iface, family)[0];
      if (own !== undefined) assigned.set(local, own.address);
    }
    const candidates = names.filter((n) => !assigned.has(n));
    if (unknown.length === 1 && candidates.length === 1) {
      assigned.set(candidates[0] as string, (unknown[0] as Word).text);
    } else {
      for (const peer of unknown) {
        report(
          'error',
          'TND_E_CONFIG_HADIR_NO_ADDRESS',
          peer,
          medium.kind,
          `cannot tell which node has ${peer.text} (${candidates.length > 0 ? `nodes without an address on ${iface}: ${candidates.map((n) => `'${n}'`).join(', ')}` : 'every node already has an address'}): ${local === undefined ? 'give the host name and its interfaces, so the line naming this host is recognised, or' : ''} give the addresses to the import (node → interface → address)`,
        );
      }
    }
    const absent = names.filter((n) => !assigned.has(n));
    if (unknown.length <= 1 || candidates.length === 1) {
      missing(medium, absent, absent.includes(local ?? '') ? localHint(iface, family) : `heartbeat's ucast lines name only the peers each host sends to, and none is left for ${absent.length === 1 ? 'it' : 'them'}`);
    }
    for (const [node, address] of assigned) place(node, name, address, iface);
    links.push({ name: linkName(name), transport: 'udp-unicast', port: medium.port });
  }
  return links;
}

/** One `serial` device → a two-node serial link; every node gets this host's device path (see the module comment). */
function serialLink(medium: Extract<HaCfMedium, { kind: 'serial' }>, names: readonly string[], baud: number, taken: Set<string>, nodeLinks: Map<string, Record<string, NodeLinkEndpoint>>, report: Report): LinkConfig | undefined {
  if (names.length > 2) {
    report(
      'error',
      'TND_E_CONFIG_SERIAL_NODES',
      medium.device,
      'serial',
      `ha.cf declares ${names.length} nodes, and a tandem serial link joins exactly two: heartbeat's serial rings, which forwarded messages from node to node (hopfudge), are not supported; use bcast, mcast or ucast for this cluster`,
    );
    return undefined;
  }
  let index = 0;
  while (taken.has(`serial${index}`)) index++;
  const name = `serial${index}`;
  taken.add(name);
  for (const node of names) {
    const entry = nodeLinks.get(node);
    if (entry !== undefined) entry[name] = { device: medium.device.text };
  }
  // The model's port is for UDP links; a serial link carries the default, unused (as tandem.yaml's do).
  return { name: linkName(name), transport: 'serial', port: DEFAULT_PORT, baud };
}

function sanitizeName(text: string): string {
  return text.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 64) || 'group';
}

function buildGroups(hrGroups: readonly HaresourcesGroup[], names: readonly string[], failback: 'auto' | 'manual', options: HadirImportOptions, report: Report): GroupConfig[] | undefined {
  let ok = true;
  const groupNames = new Set<string>();
  const resourceIds = new Set<string>();
  const seen = new Map<string, { word: Word; group: string }>();
  const groups: GroupConfig[] = [];
  const dirs = (options.scriptDirs ?? HEARTBEAT_SCRIPT_DIRS_DEFAULT).join(', ');
  for (const hr of hrGroups) {
    if (!names.includes(hr.node.text)) {
      const hint = suggest(hr.node.text, names);
      report(
        'error',
        'TND_E_CONFIG_GROUP_UNKNOWN_NODE',
        hr.node,
        hr.node.text,
        `'${hr.node.text}' is not a node of ha.cf (${names.map((n) => `'${n}'`).join(', ') || 'none declared'})${hint !== undefined ? `: did you mean '${hint}'?` : ''}; a haresources line starts with the name of the group's home node, and heartbeat refuses this one ("Bad nodename in haresources")`,
      );
      ok = false;
      continue;
    }
    const groupName = unique(sanitizeName(hr.key), groupNames);
    const resources: ResourceConfig[] = [];
    for (const resource of hr.resources) {
      const identity = resource.ip !== undefined ? `ip:${resource.ip.ip}` : `${resource.script}::${resource.args.join('::')}`;
      const first = seen.get(identity);
      if (first !== undefined) {
        report(
          'error',
          'TND_E_CONFIG_HADIR_DUPLICATE_RESOURCE',
          resource.word,
          hr.node.text,
          `${resource.ip !== undefined ? `address ${resource.ip.ip}` : `'${resource.word.text}'`} is already a resource of group '${first.group}' (line ${first.word.line}): two groups on two nodes could run it at once`,
        );
        ok = false;
        continue;
      }
      seen.set(identity, { word: resource.word, group: groupName });
      const agent = resourceAgent(resource, options, report, hr.node.text);
      if (agent.kind === 'heartbeat' && options.resolveScript !== undefined && options.resolveScript(agent.script) === undefined) {
        report('error', 'TND_E_CONFIG_AGENT_MISSING', resource.word, hr.node.text, `heartbeat script '${agent.script}' is not installed: no executable file of that name in ${dirs}`);
        ok = false;
      }
      const id = unique(agent.kind === 'ipaddr' ? `ip-${agent.address.replace(/:/g, '.')}` : sanitizeName(agent.kind === 'heartbeat' ? agent.script : 'resource'), resourceIds);
      resources.push({
        id,
        agent,
        startTimeoutMs: DEFAULT_RESOURCE_TIMINGS.startTimeoutMs,
        stopTimeoutMs: DEFAULT_RESOURCE_TIMINGS.stopTimeoutMs,
        // heartbeat never monitored resources; its scripts' status output is often unreliable (see the module comment).
        monitorIntervalMs: agent.kind === 'ipaddr' ? DEFAULT_RESOURCE_TIMINGS.monitorIntervalMs : 0,
        monitorTimeoutMs: DEFAULT_RESOURCE_TIMINGS.monitorTimeoutMs,
      });
    }
    groups.push({
      name: groupName,
      nodes: [hr.node.text, ...names.filter((n) => n !== hr.node.text)].map(nodeName),
      failback,
      migrationThreshold: DEFAULT_GROUP_POLICY.migrationThreshold,
      failureTimeoutMs: DEFAULT_GROUP_POLICY.failureTimeoutMs,
      resources,
    });
  }
  return ok ? groups : undefined;
}

/** An haresources resource → tandem agent (see the module comment for when an IP becomes `ipaddr`). */
function resourceAgent(resource: HaresourcesResource, options: HadirImportOptions, report: Report, path: string): ResourceAgentConfig {
  const script: ResourceAgentConfig = { kind: 'heartbeat', script: resource.script, args: resource.args };
  const ip = resource.ip;
  if (ip === undefined) return script;
  let iface = ip.iface;
  let prefix = ip.prefixLength;
  if (iface === undefined || prefix === undefined) {
    // IPaddr's findif: the interface whose network holds the address.
    for (const [name, list] of Object.entries(options.interfaces ?? {})) {
      if (iface !== undefined && name !== iface && name !== iface.split(':')[0]) continue;
      for (const own of list ?? []) {
        const bits = own.netmask !== undefined ? maskBits(own.netmask) : undefined;
        if (addressFamily(own.address) !== 4 || bits === undefined) continue;
        const usePrefix = prefix ?? bits;
        if (broadcastOf(own.address, usePrefix) !== broadcastOf(ip.ip, usePrefix)) continue;
        iface ??= name;
        prefix ??= bits;
      }
    }
  }
  const reasons: string[] = [];
  if (iface === undefined) reasons.push('its interface is not written and no interface of this host holds its network');
  if (prefix === undefined) reasons.push('its prefix is not written and no interface of this host holds its network');
  if (ip.broadcast !== undefined && prefix !== undefined && ip.broadcast !== broadcastOf(ip.ip, prefix)) reasons.push(`it sets the broadcast address ${ip.broadcast}, not the default one, and ipaddr has no broadcast parameter`);
  if (reasons.length > 0 || iface === undefined || prefix === undefined) {
    report('warning', 'TND_W_CONFIG_HADIR_IP_SCRIPT', resource.word, path, `${ip.ip} stays heartbeat's ${resource.script} script instead of tandem's ipaddr agent: ${[...new Set(reasons)].join('; ')}`);
    return script;
  }
  return { kind: 'ipaddr', address: ip.ip, prefix, interface: iface, announceCount: IPADDR_DEFAULTS.announceCount, announceIntervalMs: IPADDR_DEFAULTS.announceIntervalMs };
}

function buildPing(hacf: HaCf, timings: TimingsConfig | undefined, failback: 'on' | 'off' | 'legacy', report: Report): PingConfig | undefined {
  const ipfail = hacf.respawn.find((r) => r.command.text.slice(r.command.text.lastIndexOf('/') + 1) === 'ipfail');
  const hasTargets = hacf.pings.length > 0 || hacf.pingGroups.length > 0;
  const firstTarget = hacf.pings[0] ?? hacf.pingGroups[0]?.name;
  const unused = (): void => {
    if (hacf.deadping !== undefined) report('warning', 'TND_W_CONFIG_HACF_IGNORED', hacf.deadping.word, 'deadping', "'deadping' has no effect: no ping section is imported");
  };
  if (hasTargets && ipfail === undefined) {
    report('warning', 'TND_W_CONFIG_HADIR_PING', firstTarget, 'ping', "heartbeat only reports the status of ping nodes: without 'respawn … ipfail' they never move resources, so no ping section is imported (add ipfail to ha.cf, or a ping: section to tandem.yaml, to make them a tie-breaker)");
    unused();
    return undefined;
  }
  if (ipfail !== undefined && !hasTargets) {
    report('warning', 'TND_W_CONFIG_HADIR_PING', ipfail.command, 'respawn', 'ipfail compares how many ping nodes each side reaches, and ha.cf declares none: it has nothing to do, and no ping section is imported');
    unused();
    return undefined;
  }
  if (ipfail === undefined) {
    unused();
    return undefined;
  }
  if (failback === 'legacy') {
    report('warning', 'TND_W_CONFIG_HADIR_PING', ipfail.command, 'respawn', "ipfail refuses to run with auto_failback legacy (it exits at once), so the ping nodes never moved resources and no ping section is imported; set 'auto_failback on' or 'off' to use them");
    unused();
    return undefined;
  }
  const groups = [...hacf.pings.map((word) => ({ name: word.text, addresses: [word.text] })), ...hacf.pingGroups.map((group) => ({ name: group.name.text, addresses: group.addresses.map((a) => a.text) }))];
  let ok = true;
  for (const group of hacf.pingGroups) {
    if (hacf.pings.some((p) => p.text === group.name.text)) {
      report('error', 'TND_E_CONFIG_DUPLICATE_PING', group.name, 'ping_group', `ping group '${group.name.text}' has the name of a ping target`);
      ok = false;
    }
  }
  if (timings === undefined) return undefined;
  const deadMs = hacf.deadping?.ms ?? timings.deadtimeMs;
  if (deadMs <= 2 * timings.keepaliveMs) {
    report('error', 'TND_E_CONFIG_TIMING_ORDER', hacf.deadping?.word, 'deadping', `deadping (${formatDuration(deadMs)}) must be more than twice keepalive (${formatDuration(timings.keepaliveMs)}); heartbeat refuses it too ("Ping dead time is too small")`);
    ok = false;
  }
  return ok ? { groups, intervalMs: timings.keepaliveMs, deadMs } : undefined;
}

function buildFencing(hacf: HaCf, names: readonly string[], error: (code: ConfigIssueCode, at: Site | undefined, path: string, message: string) => void): FencingConfig | undefined {
  if (hacf.fenceDevices.length === 0) return undefined;
  let ok = true;
  const taken = new Set<string>();
  const devices: FenceDeviceConfig[] = [];
  const known = (word: Word, what: string): boolean => {
    if (names.includes(word.text)) return true;
    const hint = suggest(word.text, names);
    error('TND_E_CONFIG_UNKNOWN_NODE', word, 'stonith_host', `${what} '${word.text}', which is not a node of ha.cf${hint !== undefined ? `: did you mean '${hint}'?` : ''}`);
    ok = false;
    return false;
  };
  for (const device of hacf.fenceDevices) {
    let nodes: string[];
    const hostMap: Record<string, string> = {};
    if (device.targets !== undefined) {
      nodes = [];
      for (const target of device.targets) {
        if (!known(target.node, `the ${device.type.text} device resets`)) continue;
        nodes.push(target.node.text);
        if (target.plug !== undefined) hostMap[target.node.text] = target.plug;
      }
    } else if (device.from.text === '*') {
      nodes = [...names];
    } else {
      if (!known(device.from, 'stonith_host names the host')) continue;
      nodes = names.filter((n) => n !== device.from.text);
    }
    const name = unique(sanitizeName(`${device.type.text.replace(/^external\//, '')}-${device.from.text === '*' ? 'all' : device.from.text}`), taken);
    devices.push({ name, agent: device.agent, params: device.params, hostMap, nodes: nodes.map(nodeName) });
  }
  const levels: Record<string, string[][]> = {};
  for (const node of names) {
    const covering = devices.filter((d) => d.nodes.includes(nodeName(node))).map((d) => [d.name]);
    if (covering.length === 0 && ok) {
      error('TND_E_CONFIG_NODE_NOT_FENCED', hacf.fenceDevices[0]?.at, 'stonith_host', `node '${node}' can be reset by no STONITH device: add a stonith_host line that covers it, or nothing could ever make sure it is down`);
      ok = false;
    }
    levels[node] = covering;
  }
  if (!ok) return undefined;
  return { devices, levels, action: 'reboot', timeoutMs: DEFAULT_FENCING.timeoutMs, retries: DEFAULT_FENCING.retries, delayMs: DEFAULT_FENCING.delayMs, retryIntervalMs: DEFAULT_FENCING.retryIntervalMs };
}
