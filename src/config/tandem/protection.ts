/**
 * Reads the split-brain protection sections — `quorum:`, `arbitrator:`, `ping:`, `fencing:`, `watchdog:` — and
 * checks them against the nodes and groups: votes and fence devices name declared nodes, the arbitrator holds no
 * group and is not fenced, every other node can be fenced when fencing is configured, and a cluster that can end up
 * with two owners of a group is warned about.
 *
 * Invariants:
 *   1. Pure, like the rest of the front-end: fence agents are neither looked up nor run here (`config/agent-check.ts`
 *      does that, for `tandem config check` and the daemon).
 *   2. Every section is optional; absent keys take the defaults of `model.ts`, never a bad value's place. An empty
 *      `quorum:` is the defaults; an empty `ping:`, `fencing:` or `watchdog:` is an error, since it most likely
 *      meant "turn it on" and silently leaving the protection off would be the worst reading.
 *   3. Node names are compared as written, like a group's nodes (a near miss gets a suggestion).
 *   4. The warnings about the cluster as a whole (no tie-breaker, ping as the only one) are given only when the
 *      config has no error: with an error, a misspelt `fencnig:` would otherwise be told it has no tie-breaker.
 *   5. What is built is complete: votes for every node, fencing levels for every node but the arbitrator, each
 *      device's nodes spelt out, `wait_for_all` resolved.
 */
import { isAbsolute } from 'node:path';
import { isMap, isScalar, type Node } from 'yaml';
import { assert } from '../../lib/assert.js';
import { formatDuration } from '../../lib/duration.js';
import { nodeName, type NodeName } from '../../core/types.js';
import { addressFamily, canonicalAddress, isMulticastAddress, isUnspecifiedAddress } from '../address.js';
import {
  DEFAULT_FENCING,
  DEFAULT_PING,
  DEFAULT_WATCHDOG,
  type FenceDeviceConfig,
  type FencingConfig,
  type NoQuorumPolicy,
  type PingConfig,
  type QuorumConfig,
  type WatchdogConfig,
} from '../model.js';
import { suggest } from '../suggest.js';
import type { GroupDraft } from './groups.js';
import { describeNode, type Entry, type IssueSink, type Located, type Reader, type Site } from './reader.js';

/** The root keys this module reads. */
export const PROTECTION_KEYS = ['quorum', 'arbitrator', 'ping', 'fencing', 'watchdog'] as const;

const QUORUM_KEYS = ['no_quorum', 'wait_for_all', 'votes'] as const;
const PING_KEYS = ['targets', 'groups', 'interval', 'dead'] as const;
const FENCING_KEYS = ['action', 'timeout', 'retries', 'delay', 'retry_interval', 'devices', 'levels'] as const;
const DEVICE_KEYS = ['name', 'agent', 'params', 'host_map', 'nodes'] as const;
const WATCHDOG_KEYS = ['device', 'timeout'] as const;
const NO_QUORUM_POLICIES: readonly NoQuorumPolicy[] = ['stop', 'freeze', 'ignore'];
const FENCE_ACTIONS: readonly FencingConfig['action'][] = ['off', 'reboot'];

const VOTES_MAX = 255;
const FENCE_RETRIES_MAX = 10;
/** The Linux watchdog API (WDIOC_SETTIMEOUT) takes whole seconds; most drivers accept up to 255. */
const WATCHDOG_TIMEOUT_MS_MIN = 1000;
const WATCHDOG_TIMEOUT_MS_MAX = 255_000;
const NAME = /^[A-Za-z0-9._-]{1,64}$/;
/** What fence-agents' `fencing.py` accepts as an option name on stdin. */
const FENCE_PARAM_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]*$/;
const BARE_FENCE_AGENT = /^fence_[A-Za-z0-9_.+-]+$/;
/** Written by tandem on every run (see src/fencing/fence-agent.ts): a device parameter may not contradict them. */
const RESERVED_FENCE_PARAMS: Readonly<Record<string, string>> = {
  action: "the action to run: fencing.action's off or reboot, or status",
  nodename: 'the name of the node being fenced',
  plug: "the target's plug: its host_map entry, else the node's name",
  port: "the target's plug (the older name of 'plug'): its host_map entry, else the node's name",
};

interface QuorumDraft {
  readonly noQuorum?: Located<NoQuorumPolicy>;
  readonly waitForAll?: boolean;
  /** Each `votes:` entry that was read, keyed by node name as written. */
  readonly votes: readonly { readonly node: Located<string>; readonly votes: number }[];
}

interface PingGroupDraft {
  readonly name: Located<string>;
  readonly addresses: readonly Located<string>[];
  /** A `targets:` entry: a group of its own, named after the address. */
  readonly single: boolean;
}

interface PingDraft {
  readonly at: Site;
  readonly groups: readonly PingGroupDraft[];
  readonly interval?: Located<number>;
  readonly dead?: Located<number>;
}

interface DeviceDraft {
  readonly path: string;
  readonly at: Site;
  readonly name?: Located<string>;
  readonly agent?: string;
  /** Where the agent and each parameter's key were written, for the checks that run the agent (agent-check.ts). */
  readonly agentAt?: Site;
  readonly paramKeys?: Readonly<Record<string, Site>>;
  readonly params?: Readonly<Record<string, string>>;
  readonly hostMap?: readonly { readonly node: Located<string>; readonly plug: string }[];
  /** Undefined when absent (every node but the arbitrator) or unreadable (reported). */
  readonly nodes?: readonly Located<string>[];
}

interface FencingDraft {
  readonly at: Site;
  readonly devicesAt: Site;
  readonly devices: readonly DeviceDraft[];
  readonly levels: readonly { readonly node: Located<string>; readonly levels: readonly (readonly Located<string>[])[] }[];
  readonly action?: FencingConfig['action'];
  readonly timeoutMs?: number;
  readonly retries?: number;
  readonly delayMs?: number;
  readonly retryIntervalMs?: number;
}

interface WatchdogDraft {
  readonly at: Site;
  readonly device?: string;
  readonly timeout?: Located<number>;
}

/** What the protection sections said; a section is absent when not written (or not readable: reported). */
export interface ProtectionDraft {
  readonly quorum: QuorumDraft;
  readonly quorumAt?: Site;
  readonly arbitrator?: Located<string>;
  readonly ping?: PingDraft;
  readonly fencing?: FencingDraft;
  readonly watchdog?: WatchdogDraft;
}

/** Reads every protection section of the root mapping. */
export function readProtection(reader: Reader, root: ReadonlyMap<string, Entry>): ProtectionDraft {
  const quorumEntry = root.get('quorum');
  const arbitratorEntry = root.get('arbitrator');
  const arbitrator = arbitratorEntry && reader.text(arbitratorEntry, "'arbitrator'", { numbersAsText: true });
  const ping = readPing(reader, root.get('ping'));
  const fencing = readFencing(reader, root.get('fencing'));
  const watchdog = readWatchdog(reader, root.get('watchdog'));
  return {
    quorum: readQuorum(reader, quorumEntry),
    ...(quorumEntry !== undefined ? { quorumAt: quorumEntry.keyAt } : {}),
    ...(arbitrator !== undefined ? { arbitrator } : {}),
    ...(ping !== undefined ? { ping } : {}),
    ...(fencing !== undefined ? { fencing } : {}),
    ...(watchdog !== undefined ? { watchdog } : {}),
  };
}

function readQuorum(reader: Reader, entry: Entry | undefined): QuorumDraft {
  if (entry?.value === undefined) return { votes: [] };
  const map = reader.mapping(entry.value, 'quorum', QUORUM_KEYS, "'quorum'");
  if (map === undefined) return { votes: [] };
  const policyEntry = map.get('no_quorum');
  const noQuorum = policyEntry && reader.oneOf(policyEntry, "'quorum.no_quorum'", NO_QUORUM_POLICIES);
  if (noQuorum?.value === 'ignore') {
    reader.sink.warning('TND_W_CONFIG_NO_QUORUM_IGNORE', noQuorum.at, noQuorum.path, "no_quorum is 'ignore': every partition runs its groups whatever the votes, so a split runs a group on two nodes at once (split brain), as heartbeat does");
  }
  const waitEntry = map.get('wait_for_all');
  const waitForAll = waitEntry && readBoolean(reader, waitEntry, "'quorum.wait_for_all'");
  const votesEntry = map.get('votes');
  const votes: { node: Located<string>; votes: number }[] = [];
  if (votesEntry?.value !== undefined) {
    const votesMap = reader.mapping(votesEntry.value, votesEntry.path, 'any', "'quorum.votes' (node: votes)");
    for (const field of votesMap?.values() ?? []) {
      const count = reader.integer(field, `the votes of node '${field.key}'`, 0, VOTES_MAX);
      if (count !== undefined) votes.push({ node: { value: field.key, at: field.keyAt, path: field.path }, votes: count.value });
    }
  }
  return { votes, ...(noQuorum !== undefined ? { noQuorum } : {}), ...(waitForAll !== undefined ? { waitForAll: waitForAll.value } : {}) };
}

function readPing(reader: Reader, entry: Entry | undefined): PingDraft | undefined {
  if (entry === undefined) return undefined;
  const at = entry.keyAt;
  if (entry.value === undefined) {
    reader.missing(at, 'ping', "'ping' is empty: give its 'targets' (addresses) or 'groups', or remove the key");
    return undefined;
  }
  const map = reader.mapping(entry.value, 'ping', PING_KEYS, "'ping'");
  if (map === undefined) return undefined;
  const groups: PingGroupDraft[] = [];
  const targetsEntry = map.get('targets');
  const targets = targetsEntry && reader.words(targetsEntry, "'ping.targets'", '[198.51.100.1, 2001:db8::1]');
  for (const target of targets?.value ?? []) {
    const address = pingAddress(reader.sink, target, 'a ping target');
    if (address !== undefined) groups.push({ name: address, addresses: [address], single: true });
  }
  const groupsEntry = map.get('groups');
  if (groupsEntry?.value !== undefined) {
    const groupsMap = reader.mapping(groupsEntry.value, groupsEntry.path, 'any', "'ping.groups' (name: [addresses])");
    for (const field of groupsMap?.values() ?? []) {
      const name: Located<string> = { value: field.key, at: field.keyAt, path: field.path };
      if (!NAME.test(field.key)) {
        reader.sink.error('TND_E_CONFIG_NAME', field.keyAt, field.path, `a ping group's name must be 1 to 64 characters among A-Z a-z 0-9 . _ -: current value is ${JSON.stringify(field.key)}`);
      }
      const words = reader.words(field, `the addresses of ping group '${field.key}'`, '[198.51.100.1, 198.51.100.2]');
      if (words === undefined) continue;
      if (words.value.length === 0) {
        reader.missing(words.at, field.path, `ping group '${field.key}' lists no address: it is reachable while any of its addresses answers`);
        continue;
      }
      // Kept even when an address is refused (nothing is built then), so that duplicates are still reported.
      const addresses = words.value.flatMap((word) => pingAddress(reader.sink, word, `an address of ping group '${field.key}'`) ?? []);
      groups.push({ name, addresses, single: false });
    }
  }
  if ((targetsEntry?.value === undefined || targets?.value.length === 0) && groupsEntry?.value === undefined) {
    reader.missing(at, 'ping.targets', "'ping' needs 'targets' (addresses, each reachable on its own) or 'groups' (named lists of addresses, reachable while any answers)");
  }
  const intervalEntry = map.get('interval');
  const interval = intervalEntry && reader.duration(intervalEntry, 'ping.interval');
  const deadEntry = map.get('dead');
  const dead = deadEntry && reader.duration(deadEntry, 'ping.dead');
  return { at, groups, ...(interval !== undefined ? { interval } : {}), ...(dead !== undefined ? { dead } : {}) };
}

function pingAddress(sink: IssueSink, word: Located<string>, what: string): Located<string> | undefined {
  const problem =
    addressFamily(word.value) === undefined
      ? 'must be an IPv4 or IPv6 address'
      : isMulticastAddress(word.value)
        ? 'must be a unicast address, not a multicast one'
        : isUnspecifiedAddress(word.value)
          ? 'must be a specific address, not the unspecified one'
          : undefined;
  if (problem === undefined) return word;
  sink.error('TND_E_CONFIG_ADDRESS', word.at, word.path, `${what} ${problem}: current value is ${JSON.stringify(word.value)}`);
  return undefined;
}

function readFencing(reader: Reader, entry: Entry | undefined): FencingDraft | undefined {
  if (entry === undefined) return undefined;
  const at = entry.keyAt;
  if (entry.value === undefined) {
    reader.sink.error('TND_E_CONFIG_NO_FENCE_DEVICES', at, 'fencing', "'fencing' is empty: give its 'devices' (at least one), or remove the key");
    return undefined;
  }
  const map = reader.mapping(entry.value, 'fencing', FENCING_KEYS, "'fencing'");
  if (map === undefined) return undefined;

  const actionEntry = map.get('action');
  const action = actionEntry && reader.oneOf(actionEntry, "'fencing.action'", FENCE_ACTIONS);
  const timeoutEntry = map.get('timeout');
  const timeout = timeoutEntry && reader.duration(timeoutEntry, 'fencing.timeout');
  const retriesEntry = map.get('retries');
  const retries = retriesEntry && reader.integer(retriesEntry, "'fencing.retries'", 0, FENCE_RETRIES_MAX);
  const delayEntry = map.get('delay');
  const delay = delayEntry && reader.duration(delayEntry, 'fencing.delay', { allowZero: true });
  const retryEntry = map.get('retry_interval');
  const retryInterval = retryEntry && reader.duration(retryEntry, 'fencing.retry_interval');

  const devicesEntry = map.get('devices');
  if (devicesEntry === undefined) reader.missing(at, 'fencing.devices', "'fencing' needs 'devices': the fence devices (name, agent, params) that can power nodes off");
  const items = devicesEntry && reader.list(devicesEntry, "'fencing.devices'");
  const devices = items?.map((item) => readDevice(reader, item.node, item.at, item.path)) ?? [];
  if (devicesEntry !== undefined && items !== undefined && items.length === 0) {
    reader.sink.error('TND_E_CONFIG_NO_FENCE_DEVICES', devicesEntry.keyAt, devicesEntry.path, "'fencing.devices' is empty: give at least one device, or remove 'fencing'");
  }

  const levels: { node: Located<string>; levels: Located<string>[][] }[] = [];
  const levelsEntry = map.get('levels');
  if (levelsEntry?.value !== undefined) {
    const levelsMap = reader.mapping(levelsEntry.value, levelsEntry.path, 'any', "'fencing.levels' (node: [[device, …], …])");
    for (const field of levelsMap?.values() ?? []) {
      const node: Located<string> = { value: field.key, at: field.keyAt, path: field.path };
      const list = reader.list(field, `the fencing levels of node '${field.key}'`);
      if (list === undefined) continue;
      if (list.length === 0) {
        reader.sink.error('TND_E_CONFIG_FENCE_LEVEL', reader.valueAt(field), field.path, `node '${field.key}' has no fencing level: give at least one, such as [[${devices[0]?.name?.value ?? 'device'}]], or remove it for the default (each device that covers it, in order)`);
        continue;
      }
      const read: Located<string>[][] = [];
      list.forEach((item, index) => {
        const levelEntry: Entry = { key: `${field.key}[${index}]`, keyAt: item.at, value: item.node, path: item.path };
        if (item.node === undefined) {
          reader.sink.error('TND_E_CONFIG_FENCE_LEVEL', item.at, item.path, `level ${index + 1} of node '${field.key}' is empty: give the devices that must all succeed`);
          return;
        }
        const words = reader.words(levelEntry, `level ${index + 1} of node '${field.key}' (the devices that must all succeed)`, '[ipmi-a, ipmi-b]');
        if (words === undefined) return;
        if (words.value.length === 0) {
          reader.sink.error('TND_E_CONFIG_FENCE_LEVEL', item.at, item.path, `level ${index + 1} of node '${field.key}' names no device: give the devices that must all succeed`);
          return;
        }
        read.push(words.value);
      });
      levels.push({ node, levels: read });
    }
  }

  return {
    at,
    devicesAt: devicesEntry?.keyAt ?? at,
    devices,
    levels,
    ...(action !== undefined ? { action: action.value } : {}),
    ...(timeout !== undefined ? { timeoutMs: timeout.value } : {}),
    ...(retries !== undefined ? { retries: retries.value } : {}),
    ...(delay !== undefined ? { delayMs: delay.value } : {}),
    ...(retryInterval !== undefined ? { retryIntervalMs: retryInterval.value } : {}),
  };
}

function readDevice(reader: Reader, node: Node | undefined, at: Site, path: string): DeviceDraft {
  const { sink } = reader;
  if (node === undefined) {
    reader.missing(at, path, 'a fence device is empty: give its name, agent and params');
    return { path, at };
  }
  const map = reader.mapping(node, path, DEVICE_KEYS, 'a fence device');
  if (map === undefined) return { path, at };

  const nameEntry = map.get('name');
  if (nameEntry === undefined) reader.missing(at, `${path}.name`, "a fence device needs a 'name', unique among the devices");
  const name = nameEntry && reader.text(nameEntry, "a fence device's 'name'", { numbersAsText: true });
  if (name !== undefined && !NAME.test(name.value)) {
    sink.error('TND_E_CONFIG_NAME', name.at, name.path, `a fence device's name must be 1 to 64 characters among A-Z a-z 0-9 . _ -: current value is ${JSON.stringify(name.value)}`);
  }
  const label = name !== undefined ? `fence device '${name.value}'` : 'a fence device';

  const agentEntry = map.get('agent');
  if (agentEntry === undefined) reader.missing(at, `${path}.agent`, `${label} needs an 'agent': a fence agent such as fence_ipmilan, or an absolute path`);
  const agentText = agentEntry && reader.text(agentEntry, `the agent of ${label}`);
  let agent: string | undefined;
  if (agentText !== undefined) {
    if (BARE_FENCE_AGENT.test(agentText.value) || (isAbsolute(agentText.value) && !agentText.value.endsWith('/'))) {
      agent = agentText.value;
    } else {
      const prefixed = `fence_${agentText.value}`;
      const hint = BARE_FENCE_AGENT.test(prefixed) && !agentText.value.includes('/') ? ` (did you mean '${prefixed}'?)` : '';
      sink.error('TND_E_CONFIG_FENCE_AGENT', agentText.at, agentText.path, `the agent of ${label} must be a fence agent's name (fence_*, looked up in /usr/sbin, /sbin, /usr/local/sbin, /usr/bin) or an absolute path: current value is ${JSON.stringify(agentText.value)}${hint}`);
    }
  }

  const paramsEntry = map.get('params');
  const params = paramsEntry === undefined ? {} : readFenceParams(reader, paramsEntry, label);
  const paramKeys: Record<string, Site> = {};
  if (paramsEntry?.value !== undefined && isMap(paramsEntry.value)) {
    for (const pair of paramsEntry.value.items) if (isScalar(pair.key)) paramKeys[String(pair.key.value)] = reader.sink.siteOf(pair.key);
  }

  const hostMapEntry = map.get('host_map');
  let hostMap: { node: Located<string>; plug: string }[] | undefined = [];
  if (hostMapEntry?.value !== undefined) {
    const hostMapMap = reader.mapping(hostMapEntry.value, hostMapEntry.path, 'any', `the host_map of ${label} (node: plug)`);
    if (hostMapMap === undefined) hostMap = undefined;
    for (const field of hostMapMap?.values() ?? []) {
      const plug = reader.text(field, `the plug of node '${field.key}' on ${label}`, { numbersAsText: true });
      if (plug === undefined) {
        hostMap = undefined;
      } else if (!isLineValue(plug.value) || plug.value === '') {
        sink.error('TND_E_CONFIG_FENCE_PARAM', plug.at, plug.path, `the plug of node '${field.key}' on ${label} must be one line of text, not empty and without a NUL byte: current value is ${JSON.stringify(plug.value)}`);
        hostMap = undefined;
      } else {
        hostMap?.push({ node: { value: field.key, at: field.keyAt, path: field.path }, plug: plug.value });
      }
    }
  }

  const nodesEntry = map.get('nodes');
  const nodesWords = nodesEntry && reader.words(nodesEntry, `the nodes of ${label}`, '[n1, n2]');
  if (nodesWords !== undefined && nodesWords.value.length === 0) {
    reader.missing(nodesWords.at, nodesWords.path, `${label} lists no node: give the nodes it can fence, or remove 'nodes' for every node but the arbitrator`);
  }

  return {
    path,
    at,
    ...(name !== undefined ? { name } : {}),
    ...(agent !== undefined ? { agent } : {}),
    ...(agentText !== undefined ? { agentAt: agentText.at } : {}),
    ...(params !== undefined ? { params, paramKeys } : {}),
    ...(hostMap !== undefined ? { hostMap } : {}),
    ...(nodesWords !== undefined && nodesWords.value.length > 0 ? { nodes: nodesWords.value } : {}),
  };
}

/** A device's `params:`: scalars taken as written, one `key=value` line each; undefined when one is refused. */
function readFenceParams(reader: Reader, entry: Entry, label: string): Record<string, string> | undefined {
  if (entry.value === undefined) return {};
  const map = reader.mapping(entry.value, entry.path, 'any', `the params of ${label}`);
  if (map === undefined) return undefined;
  const values: Record<string, string> = {};
  let ok = true;
  for (const field of map.values()) {
    const reserved = RESERVED_FENCE_PARAMS[field.key];
    if (reserved !== undefined) {
      reader.sink.error('TND_E_CONFIG_FENCE_PARAM', field.keyAt, field.path, `parameter '${field.key}' of ${label} is written by tandem itself (${reserved}): remove it`);
      ok = false;
      continue;
    }
    if (!FENCE_PARAM_NAME.test(field.key)) {
      reader.sink.error('TND_E_CONFIG_FENCE_PARAM', field.keyAt, field.path, `parameter '${field.key}' of ${label} is not a name a fence agent reads (letters, digits, '_' and '-', not starting with '_' or '-')`);
      ok = false;
      continue;
    }
    const node = field.value;
    if (node === undefined) {
      reader.missing(field.keyAt, field.path, `parameter '${field.key}' of ${label} is empty: write a value or remove the key`);
      ok = false;
    } else if (isScalar(node) && (typeof node.value === 'string' || typeof node.value === 'number' || typeof node.value === 'boolean')) {
      const value = typeof node.value === 'string' ? node.value : (node.source ?? String(node.value));
      if (isLineValue(value)) {
        values[field.key] = value;
      } else {
        reader.sink.error('TND_E_CONFIG_FENCE_PARAM', reader.sink.siteOf(node), field.path, `parameter '${field.key}' of ${label} must fit on one line (it is sent as '${field.key}=value'): its value holds a line break or a NUL byte`);
        ok = false;
      }
    } else {
      reader.sink.error('TND_E_CONFIG_TYPE', reader.sink.siteOf(node), field.path, `parameter '${field.key}' of ${label} must be text, a number or a boolean: current value is ${describeNode(node)}`);
      ok = false;
    }
  }
  return ok ? values : undefined;
}

function isLineValue(value: string): boolean {
  return !/[\n\r\0]/.test(value);
}

function readWatchdog(reader: Reader, entry: Entry | undefined): WatchdogDraft | undefined {
  if (entry === undefined) return undefined;
  const at = entry.keyAt;
  if (entry.value === undefined) {
    reader.missing(at, 'watchdog', `'watchdog' is empty: write 'watchdog: {}' for the defaults (${DEFAULT_WATCHDOG.device}, ${formatDuration(DEFAULT_WATCHDOG.timeoutMs)}), or remove the key`);
    return undefined;
  }
  const map = reader.mapping(entry.value, 'watchdog', WATCHDOG_KEYS, "'watchdog'");
  if (map === undefined) return undefined;
  const deviceEntry = map.get('device');
  let device: string | undefined;
  const deviceText = deviceEntry && reader.text(deviceEntry, "'watchdog.device'");
  if (deviceText !== undefined) {
    if (!isAbsolute(deviceText.value)) reader.sink.error('TND_E_CONFIG_PATH', deviceText.at, deviceText.path, `'watchdog.device' must be an absolute path such as ${DEFAULT_WATCHDOG.device}: current value is ${JSON.stringify(deviceText.value)}`);
    else device = deviceText.value;
  }
  const timeoutEntry = map.get('timeout');
  let timeout = timeoutEntry && reader.duration(timeoutEntry, 'watchdog.timeout');
  if (timeout !== undefined && (timeout.value % 1000 !== 0 || timeout.value < WATCHDOG_TIMEOUT_MS_MIN || timeout.value > WATCHDOG_TIMEOUT_MS_MAX)) {
    const written = timeoutEntry?.value !== undefined && isScalar(timeoutEntry.value) ? String(timeoutEntry.value.value) : formatDuration(timeout.value);
    reader.sink.error('TND_E_CONFIG_RANGE', timeout.at, timeout.path, `'watchdog.timeout' must be whole seconds from 1s to 255s (the kernel's watchdog counts in seconds): current value is ${written}`);
    timeout = undefined;
  }
  return { at, ...(device !== undefined ? { device } : {}), ...(timeout !== undefined ? { timeout } : {}) };
}

function readBoolean(reader: Reader, entry: Entry, what: string): Located<boolean> | undefined {
  const node = entry.value;
  if (node === undefined) {
    reader.missing(entry.keyAt, entry.path, `${what} is empty: write true or false, or remove the key for the default`);
    return undefined;
  }
  const at = reader.sink.siteOf(node);
  if (isScalar(node) && typeof node.value === 'boolean') return { value: node.value, at, path: entry.path };
  reader.sink.error('TND_E_CONFIG_TYPE', at, entry.path, `${what} must be true or false: current value is ${describeNode(node)}`);
  return undefined;
}

/** What the checks need to know about the rest of the config. */
export interface ProtectionContext {
  /** The declared node names, in order; undefined when `nodes` could not be read (already reported). */
  readonly nodes: readonly Located<string>[] | undefined;
  /** The `nodes:` key, where cluster-wide warnings are placed. */
  readonly nodesAt: Site;
  readonly groups: readonly GroupDraft[] | undefined;
}

/**
 * Cross-checks of the protection sections with the nodes, the groups and each other. Call it last: the cluster-wide
 * warnings are given only when nothing else is wrong (invariant 4).
 */
export function checkProtection(sink: IssueSink, draft: ProtectionDraft, context: ProtectionContext): void {
  const declared = context.nodes?.map((node) => node.value);
  const known = (node: Located<string>, what: string): boolean => {
    if (declared === undefined || declared.includes(node.value)) return true;
    const hint = suggest(node.value, declared);
    const list = declared.length > 0 ? `declared nodes are ${declared.map((n) => `'${n}'`).join(', ')}` : 'no node is declared';
    sink.error('TND_E_CONFIG_UNKNOWN_NODE', node.at, node.path, `${what} '${node.value}', which is not a node${hint !== undefined ? `: did you mean '${hint}'?` : `: ${list}`}`);
    return false;
  };

  for (const { node } of draft.quorum.votes) known(node, "'quorum.votes' names");
  const arbitrator = draft.arbitrator !== undefined && known(draft.arbitrator, "'arbitrator' is") ? draft.arbitrator : undefined;
  if (arbitrator !== undefined) checkArbitrator(sink, arbitrator, context);

  if (declared !== undefined && draft.quorum.votes.every(({ node }) => declared.includes(node.value))) {
    const votes = effectiveVotes(draft, declared);
    if (declared.length > 0 && [...votes.values()].every((count) => count === 0)) {
      const first = draft.quorum.votes[0]?.node;
      sink.error('TND_E_CONFIG_NO_VOTES', first?.at ?? draft.quorumAt ?? context.nodesAt, first !== undefined ? 'quorum.votes' : 'quorum', 'every node has 0 votes: no partition could ever have a majority; give at least one node a vote');
    }
  }

  if (draft.ping !== undefined) checkPing(sink, draft.ping);
  if (draft.fencing !== undefined) checkFencing(sink, draft.fencing, declared, arbitrator?.value, known);

  if (!sink.hasErrors && declared !== undefined) warnTieBreaker(sink, draft, declared, context.nodesAt);
}

function checkArbitrator(sink: IssueSink, arbitrator: Located<string>, context: ProtectionContext): void {
  const others = (context.nodes ?? []).filter((node) => node.value !== arbitrator.value);
  if (context.nodes !== undefined && others.length < 2) {
    sink.error('TND_E_CONFIG_ARBITRATOR_TOO_FEW_NODES', arbitrator.at, arbitrator.path, `a cluster with an arbitrator needs at least two other nodes for it to choose between: ${others.length === 0 ? 'there is none' : `there is only '${others[0]?.value ?? ''}'`}`);
  }
  for (const group of context.groups ?? []) {
    for (const node of group.nodes ?? []) {
      if (node.value !== arbitrator.value) continue;
      const label = group.name !== undefined ? `group '${group.name.value}'` : 'a group';
      sink.error('TND_E_CONFIG_ARBITRATOR_IN_GROUP', node.at, node.path, `${label} lists '${node.value}', the arbitrator (line ${arbitrator.at.line}): an arbitrator only backs one side of a split and runs no group`);
    }
  }
}

function checkPing(sink: IssueSink, ping: PingDraft): void {
  const names = new Map<string, Located<string>>();
  for (const group of ping.groups) {
    const key = group.single ? canonicalAddress(group.name.value) : group.name.value;
    const first = names.get(key);
    if (first !== undefined) {
      const what = group.single ? `ping target ${group.name.value} is listed twice` : `ping group '${group.name.value}' is named like the ping target ${first.value}`;
      sink.error('TND_E_CONFIG_DUPLICATE_PING', group.name.at, group.name.path, `${what}: first at line ${first.at.line}, column ${first.at.column}`);
    } else {
      names.set(key, group.name);
    }
    if (group.single) continue;
    const seen = new Map<string, Located<string>>();
    for (const address of group.addresses) {
      const firstAddress = seen.get(canonicalAddress(address.value));
      if (firstAddress !== undefined) sink.error('TND_E_CONFIG_DUPLICATE_PING', address.at, address.path, `address ${address.value} is listed twice in ping group '${group.name.value}': first at line ${firstAddress.at.line}, column ${firstAddress.at.column}`);
      else seen.set(canonicalAddress(address.value), address);
    }
  }
  const interval = ping.interval?.value ?? DEFAULT_PING.intervalMs;
  const dead = ping.dead?.value ?? DEFAULT_PING.deadMs;
  if (dead <= interval) {
    const show = (key: string, value: Located<number> | undefined, ms: number): string => `'ping.${key}' (${formatDuration(ms)}${value === undefined ? ', the default' : ''})`;
    const where = ping.dead ?? ping.interval;
    sink.error('TND_E_CONFIG_TIMING_ORDER', where?.at ?? ping.at, where?.path ?? 'ping', `${show('dead', ping.dead, dead)} must be longer than ${show('interval', ping.interval, interval)}: a target is unreachable only once it has missed an answer`);
  }
}

function checkFencing(
  sink: IssueSink,
  fencing: FencingDraft,
  declared: readonly string[] | undefined,
  arbitrator: string | undefined,
  known: (node: Located<string>, what: string) => boolean,
): void {
  const devices = new Map<string, DeviceDraft>();
  for (const device of fencing.devices) {
    const label = device.name !== undefined ? `fence device '${device.name.value}'` : 'a fence device';
    if (device.name !== undefined) {
      const first = devices.get(device.name.value);
      if (first?.name !== undefined) sink.error('TND_E_CONFIG_DUPLICATE_FENCE_DEVICE', device.name.at, device.name.path, `fence device '${device.name.value}' is declared twice: first at line ${first.name.at.line}`);
      else devices.set(device.name.value, device);
    }
    for (const { node } of device.hostMap ?? []) known(node, `the host_map of ${label} names`);
    for (const node of device.nodes ?? []) {
      if (!known(node, `${label} lists`)) continue;
      if (node.value === arbitrator) sink.error('TND_E_CONFIG_ARBITRATOR_FENCED', node.at, node.path, `${label} lists '${node.value}', the arbitrator: an arbitrator runs no group, so it is never fenced`);
    }
  }
  const covers = (device: DeviceDraft, node: string): boolean => (device.nodes === undefined ? node !== arbitrator : device.nodes.some((n) => n.value === node));

  const explicit = new Set<string>();
  for (const { node, levels } of fencing.levels) {
    if (!known(node, "'fencing.levels' names")) continue;
    if (node.value === arbitrator) {
      sink.error('TND_E_CONFIG_ARBITRATOR_FENCED', node.at, node.path, `'fencing.levels' gives levels for '${node.value}', the arbitrator: an arbitrator runs no group, so it is never fenced`);
      continue;
    }
    explicit.add(node.value);
    for (const level of levels) {
      for (const name of level) {
        const device = devices.get(name.value);
        if (device === undefined) {
          const names = [...devices.keys()];
          const hint = suggest(name.value, names);
          sink.error('TND_E_CONFIG_UNKNOWN_FENCE_DEVICE', name.at, name.path, `no fence device is named '${name.value}'${hint !== undefined ? `: did you mean '${hint}'?` : names.length > 0 ? `: devices are ${names.map((n) => `'${n}'`).join(', ')}` : ''}`);
        } else if (!covers(device, node.value)) {
          const list = device.nodes?.map((n) => `'${n.value}'`).join(', ') ?? '';
          sink.error('TND_E_CONFIG_FENCE_LEVEL', name.at, name.path, `fence device '${name.value}' cannot fence node '${node.value}': its nodes are ${list}`);
        }
      }
    }
  }

  if (declared === undefined) return;
  for (const node of declared) {
    if (node === arbitrator || explicit.has(node)) continue;
    if (fencing.devices.some((device) => covers(device, node))) continue;
    if (fencing.devices.length === 0) continue; // no device at all: reported already
    sink.error('TND_E_CONFIG_NODE_NOT_FENCED', fencing.devicesAt, 'fencing.devices', `node '${node}' can be fenced by no device: add it to the 'nodes' of a device (a device without 'nodes' covers every node but the arbitrator), or nothing could ever make sure it is down`);
  }
}

/** Votes per declared node, the default 1 where none is given. */
function effectiveVotes(draft: ProtectionDraft, declared: readonly string[]): Map<string, number> {
  const votes = new Map(declared.map((node) => [node, 1]));
  for (const { node, votes: count } of draft.quorum.votes) if (votes.has(node.value)) votes.set(node.value, count);
  return votes;
}

function votingNodes(draft: ProtectionDraft, declared: readonly string[]): string[] {
  return [...effectiveVotes(draft, declared)].filter(([, count]) => count > 0).map(([node]) => node);
}

/**
 * Two voting nodes with equal votes can tie: with nothing to break it, each side of a split either takes the groups
 * over (two nodes in all: heartbeat's behaviour) or stops them (others without a vote), said once here.
 */
function warnTieBreaker(sink: IssueSink, draft: ProtectionDraft, declared: readonly string[], nodesAt: Site): void {
  if ((draft.quorum.noQuorum?.value ?? 'stop') === 'ignore' || draft.fencing !== undefined || draft.arbitrator !== undefined) return;
  const votes = effectiveVotes(draft, declared);
  const voting = votingNodes(draft, declared);
  if (voting.length !== 2 || votes.get(voting[0] ?? '') !== votes.get(voting[1] ?? '')) return;
  if (draft.ping === undefined) {
    const message =
      declared.length === 2
        ? 'two nodes without a tie-breaker: on a partition each side takes the groups over (split brain), as heartbeat does; configure fencing, an arbitrator or ping targets'
        : `two voting nodes ('${voting.join("' and '")}') without a tie-breaker: when they lose each other neither side has a majority and both stop their groups; configure fencing, an arbitrator or ping targets`;
    sink.warning('TND_W_CONFIG_NO_TIEBREAKER', nodesAt, 'nodes', message);
  } else if (declared.length === 2) {
    sink.warning('TND_W_CONFIG_PING_ONLY_TIEBREAKER', draft.ping.at, 'ping', `ping targets are the only tie-breaker of two nodes: the side that loses its targets gives up, but a split that leaves both sides reaching the same targets (only the links between the nodes lost) still gives each side the groups (split brain); add fencing or an arbitrator`);
  }
}

/** The protection part of the cluster config; call only when there is no error (every draft value is then valid). */
/** Where each fence device (by name) was written: its entry, its `agent:` value and each parameter's key. */
export interface FenceDeviceSites {
  readonly path: string;
  readonly at: Site;
  readonly agent?: Site;
  readonly paramKeys: Readonly<Record<string, Site>>;
}

export function fenceDeviceSites(draft: ProtectionDraft): Map<string, FenceDeviceSites> {
  const sites = new Map<string, FenceDeviceSites>();
  for (const device of draft.fencing?.devices ?? []) {
    if (device.name === undefined) continue;
    sites.set(device.name.value, { path: device.path, at: device.at, ...(device.agentAt !== undefined ? { agent: device.agentAt } : {}), paramKeys: device.paramKeys ?? {} });
  }
  return sites;
}

export function buildProtection(draft: ProtectionDraft, declared: readonly NodeName[]): { quorum: QuorumConfig; arbitrator?: NodeName; ping?: PingConfig; fencing?: FencingConfig; watchdog?: WatchdogConfig } {
  const votes = effectiveVotes(draft, declared);
  const arbitrator = draft.arbitrator !== undefined ? nodeName(draft.arbitrator.value) : undefined;
  const fencing = draft.fencing !== undefined ? buildFencing(draft.fencing, declared, arbitrator) : undefined;
  const waitForAll = draft.quorum.waitForAll ?? (votingNodes(draft, declared).length === 2 && fencing !== undefined);
  const quorum: QuorumConfig = { votes: Object.fromEntries(votes), noQuorum: draft.quorum.noQuorum?.value ?? 'stop', waitForAll };
  const ping: PingConfig | undefined =
    draft.ping === undefined
      ? undefined
      : {
          groups: draft.ping.groups.map((group) => ({ name: group.name.value, addresses: group.addresses.map((address) => address.value) })),
          intervalMs: draft.ping.interval?.value ?? DEFAULT_PING.intervalMs,
          deadMs: draft.ping.dead?.value ?? DEFAULT_PING.deadMs,
        };
  const watchdog: WatchdogConfig | undefined =
    draft.watchdog === undefined ? undefined : { device: draft.watchdog.device ?? DEFAULT_WATCHDOG.device, timeoutMs: draft.watchdog.timeout?.value ?? DEFAULT_WATCHDOG.timeoutMs };
  return {
    quorum,
    ...(arbitrator !== undefined ? { arbitrator } : {}),
    ...(ping !== undefined ? { ping } : {}),
    ...(fencing !== undefined ? { fencing } : {}),
    ...(watchdog !== undefined ? { watchdog } : {}),
  };
}

function buildFencing(draft: FencingDraft, declared: readonly NodeName[], arbitrator: NodeName | undefined): FencingConfig {
  const devices: FenceDeviceConfig[] = draft.devices.map((device) => {
    assert(device.name !== undefined && device.agent !== undefined && device.params !== undefined && device.hostMap !== undefined, `fence device ${device.path} incomplete but no error`);
    const nodes = device.nodes === undefined ? declared.filter((node) => node !== arbitrator) : [...new Set(device.nodes.map((node) => nodeName(node.value)))];
    return {
      name: device.name.value,
      agent: device.agent,
      params: device.params,
      hostMap: Object.fromEntries(device.hostMap.map(({ node, plug }) => [node.value, plug])),
      nodes,
    };
  });
  const levels: Record<string, string[][]> = {};
  for (const node of declared) {
    if (node === arbitrator) continue;
    const explicit = draft.levels.find((entry) => entry.node.value === node);
    levels[node] = explicit !== undefined ? explicit.levels.map((level) => level.map((name) => name.value)) : devices.filter((device) => device.nodes.includes(node)).map((device) => [device.name]);
    assert((levels[node]?.length ?? 0) > 0, `node ${node} has no fencing level but no error`);
  }
  return {
    devices,
    levels,
    action: draft.action ?? DEFAULT_FENCING.action,
    timeoutMs: draft.timeoutMs ?? DEFAULT_FENCING.timeoutMs,
    retries: draft.retries ?? DEFAULT_FENCING.retries,
    delayMs: draft.delayMs ?? DEFAULT_FENCING.delayMs,
    retryIntervalMs: draft.retryIntervalMs ?? DEFAULT_FENCING.retryIntervalMs,
  };
}
