/**
 * The inverse of the YAML front-end: a `ClusterConfig` → a tandem YAML document that `readTandemConfig` reads back
 * into a config with the same digest (for `tandem config import`, which then adds comments to the document).
 *
 * The document's shape, which callers address nodes by (`doc.getIn(path, true)`):
 *   cluster, key_file, timings.{keepalive,warntime,deadtime,initdead}, links[i] (config order), nodes[i],
 *   groups[g].resources[r], ping.{targets[k],groups.NAME,interval,dead}, watchdog, fencing.devices[d], quorum,
 *   reconcile, logging, state_dir, runtime_dir — in that order.
 *
 * Invariants:
 *   1. Pure: config in, document out.
 *   2. Every value is written whenever the front-end's default for it differs, or could: timings, link ports, ping
 *      and watchdog are always written; a key is left out only when its value is exactly the front-end's default
 *      (group policy but failback, resource timeouts, ipaddr announcements, quorum, reconcile, logging, directories).
 *   3. Durations are written in whole seconds when they are, else in milliseconds: never a unit that rounds.
 */
import { Document, type Node } from 'yaml';
import { IPADDR_DEFAULTS } from '../../agents/ipaddr.js';
import {
  DEFAULT_FENCING,
  DEFAULT_GROUP_POLICY,
  DEFAULT_LOGGING,
  DEFAULT_RECONCILE,
  DEFAULT_RESOURCE_TIMINGS,
  DEFAULT_RUNTIME_DIR,
  DEFAULT_STATE_DIR,
  type ClusterConfig,
  type FencingConfig,
  type GroupConfig,
  type PingConfig,
  type ResourceAgentConfig,
  type ResourceConfig,
} from '../model.js';

/** Sections that are written even when they hold only defaults, so that comments can be attached to them. */
export type OptionalSection = 'quorum' | 'reconcile' | 'logging' | 'state_dir' | 'runtime_dir';

export interface WriteConfigOptions {
  /** `key_file` as the document should say it (tandem resolves a relative path against the file's directory). */
  readonly keyFile: string;
  readonly always?: readonly OptionalSection[];
}

/** A duration the front-end reads back to the same milliseconds (invariant 3). */
export function durationText(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

/**
 * @example
 * const doc = configDocument(config, { keyFile: 'keys' });
 * writeFileSync('tandem.yaml', doc.toString());
 */
export function configDocument(config: ClusterConfig, options: WriteConfigOptions): Document {
  const doc = new Document();
  const flow = (value: unknown): Node => doc.createNode(value, { flow: true });
  const always = new Set(options.always ?? []);
  const root: Record<string, unknown> = {
    cluster: config.cluster,
    key_file: options.keyFile,
    timings: {
      keepalive: durationText(config.timings.keepaliveMs),
      warntime: durationText(config.timings.warntimeMs),
      deadtime: durationText(config.timings.deadtimeMs),
      initdead: durationText(config.timings.initdeadMs),
    },
    links: config.links.map((link) => ({
      name: link.name,
      transport: link.transport,
      ...(link.transport !== 'serial' ? { port: link.port } : {}),
      ...(link.group !== undefined ? { group: link.group } : {}),
      ...(link.ttl !== undefined ? { ttl: link.ttl } : {}),
      ...(link.broadcast !== undefined ? { broadcast: link.broadcast } : {}),
      ...(link.baud !== undefined ? { baud: link.baud } : {}),
    })),
    nodes: config.nodes.map((node) => ({
      name: node.name,
      links: Object.fromEntries(
        Object.entries(node.links).map(([link, endpoint]) => [
          link,
          endpoint.device !== undefined ? flow({ device: endpoint.device }) : endpoint.interface !== undefined ? flow({ address: endpoint.address, interface: endpoint.interface }) : endpoint.address,
        ]),
      ),
    })),
  };
  if (config.groups.length > 0) root.groups = config.groups.map((group) => groupValue(group, flow));
  if (config.arbitrator !== undefined) root.arbitrator = config.arbitrator;
  if (config.ping !== undefined) root.ping = pingValue(config.ping, flow);
  if (config.watchdog !== undefined) root.watchdog = { device: config.watchdog.device, timeout: durationText(config.watchdog.timeoutMs) };
  if (config.fencing !== undefined) root.fencing = fencingValue(config, config.fencing, flow);
  const quorum = quorumValue(config);
  if (quorum !== undefined || always.has('quorum')) root.quorum = quorum ?? { no_quorum: config.quorum.noQuorum };
  const reconcileDefault = config.reconcile.intervalMs === DEFAULT_RECONCILE.intervalMs && config.reconcile.strayAddresses === DEFAULT_RECONCILE.strayAddresses;
  if (!reconcileDefault || always.has('reconcile')) root.reconcile = { interval: durationText(config.reconcile.intervalMs), stray_addresses: config.reconcile.strayAddresses };
  const loggingDefault = config.logging.format === DEFAULT_LOGGING.format && config.logging.level === DEFAULT_LOGGING.level;
  if (!loggingDefault || always.has('logging')) root.logging = { format: config.logging.format, level: config.logging.level };
  if (config.stateDir !== DEFAULT_STATE_DIR || always.has('state_dir')) root.state_dir = config.stateDir;
  if (config.runtimeDir !== DEFAULT_RUNTIME_DIR || always.has('runtime_dir')) root.runtime_dir = config.runtimeDir;
  doc.contents = doc.createNode(root);
  return doc;
}

type Flow = (value: unknown) => Node;

function groupValue(group: GroupConfig, flow: Flow): Record<string, unknown> {
  return {
    name: group.name,
    nodes: flow([...group.nodes]),
    // Written even as the default: the one group setting every heartbeat cluster made (auto_failback).
    failback: group.failback,
    ...(group.migrationThreshold !== DEFAULT_GROUP_POLICY.migrationThreshold ? { migration_threshold: group.migrationThreshold } : {}),
    ...(group.failureTimeoutMs !== DEFAULT_GROUP_POLICY.failureTimeoutMs ? { failure_timeout: durationText(group.failureTimeoutMs) } : {}),
    resources: group.resources.map((resource) => resourceValue(resource, flow)),
  };
}

function resourceValue(resource: ResourceConfig, flow: Flow): Record<string, unknown> {
  const monitor: Record<string, string> = {};
  if (resource.monitorIntervalMs !== DEFAULT_RESOURCE_TIMINGS.monitorIntervalMs) monitor.interval = durationText(resource.monitorIntervalMs);
  if (resource.monitorTimeoutMs !== DEFAULT_RESOURCE_TIMINGS.monitorTimeoutMs) monitor.timeout = durationText(resource.monitorTimeoutMs);
  return {
    id: resource.id,
    ...agentValue(resource.agent, flow),
    ...(resource.startTimeoutMs !== DEFAULT_RESOURCE_TIMINGS.startTimeoutMs ? { start: flow({ timeout: durationText(resource.startTimeoutMs) }) } : {}),
    ...(resource.stopTimeoutMs !== DEFAULT_RESOURCE_TIMINGS.stopTimeoutMs ? { stop: flow({ timeout: durationText(resource.stopTimeoutMs) }) } : {}),
    ...(Object.keys(monitor).length > 0 ? { monitor: flow(monitor) } : {}),
  };
}

function agentValue(agent: ResourceAgentConfig, flow: Flow): Record<string, unknown> {
  switch (agent.kind) {
    case 'ipaddr':
      return {
        agent: 'ipaddr',
        params: flow({
          address: agent.address,
          prefix: agent.prefix,
          interface: agent.interface,
          ...(agent.announceCount !== IPADDR_DEFAULTS.announceCount ? { announce_count: agent.announceCount } : {}),
          ...(agent.announceIntervalMs !== IPADDR_DEFAULTS.announceIntervalMs ? { announce_interval: durationText(agent.announceIntervalMs) } : {}),
        }),
      };
    case 'filesystem':
      return { agent: 'filesystem', params: flow({ device: agent.device, directory: agent.directory, fstype: agent.fstype, ...(agent.options !== '' ? { options: agent.options } : {}) }) };
    case 'ocf':
      return { agent: `ocf:${agent.provider}:${agent.type}`, ...(Object.keys(agent.params).length > 0 ? { params: flow({ ...agent.params }) } : {}) };
    case 'lsb':
      return { agent: `lsb:${agent.name}` };
    case 'systemd':
      return { agent: `systemd:${agent.unit}` };
    case 'heartbeat':
      return { agent: `heartbeat:${agent.script}`, ...(agent.args.length > 0 ? { args: flow([...agent.args]) } : {}) };
    case 'exec':
      return {
        agent: 'exec',
        command: flow([...agent.command]),
        ...(agent.health !== undefined ? { health: flow([...agent.health]) } : {}),
        ...(agent.stopSignal !== 'SIGTERM' ? { stop_signal: agent.stopSignal } : {}),
      };
  }
}

/** A ping group of one address named after it is a `targets:` entry; any other is a named group. */
function pingValue(ping: PingConfig, flow: Flow): Record<string, unknown> {
  const single = (group: PingConfig['groups'][number]): boolean => group.addresses.length === 1 && group.addresses[0] === group.name;
  const targets = ping.groups.filter(single).map((group) => group.name);
  const named = ping.groups.filter((group) => !single(group));
  return {
    ...(targets.length > 0 ? { targets } : {}),
    ...(named.length > 0 ? { groups: Object.fromEntries(named.map((group) => [group.name, flow([...group.addresses])])) } : {}),
    interval: durationText(ping.intervalMs),
    dead: durationText(ping.deadMs),
  };
}

function fencingValue(config: ClusterConfig, fencing: FencingConfig, flow: Flow): Record<string, unknown> {
  // The front-end's default levels: each device that covers the node, one level each, in device order.
  const defaultLevels = Object.fromEntries(
    config.nodes.filter((node) => node.name !== config.arbitrator).map((node) => [node.name, fencing.devices.filter((device) => device.nodes.includes(node.name)).map((device) => [device.name])]),
  );
  const levelsDefault = JSON.stringify(sortedKeys(defaultLevels)) === JSON.stringify(sortedKeys(fencing.levels));
  return {
    action: fencing.action,
    ...(fencing.timeoutMs !== DEFAULT_FENCING.timeoutMs ? { timeout: durationText(fencing.timeoutMs) } : {}),
    ...(fencing.retries !== DEFAULT_FENCING.retries ? { retries: fencing.retries } : {}),
    ...(fencing.delayMs !== DEFAULT_FENCING.delayMs ? { delay: durationText(fencing.delayMs) } : {}),
    ...(fencing.retryIntervalMs !== DEFAULT_FENCING.retryIntervalMs ? { retry_interval: durationText(fencing.retryIntervalMs) } : {}),
    devices: fencing.devices.map((device) => ({
      name: device.name,
      agent: device.agent,
      ...(Object.keys(device.params).length > 0 ? { params: { ...device.params } } : {}),
      ...(Object.keys(device.hostMap).length > 0 ? { host_map: flow({ ...device.hostMap }) } : {}),
      nodes: flow([...device.nodes]),
    })),
    ...(levelsDefault ? {} : { levels: Object.fromEntries(Object.entries(fencing.levels).map(([node, levels]) => [node, flow(levels.map((level) => [...level]))])) }),
  };
}

/** The quorum section, or undefined when the front-end would derive exactly this one from an absent section. */
function quorumValue(config: ClusterConfig): Record<string, unknown> | undefined {
  const votes = Object.fromEntries(config.nodes.map((node) => [node.name, config.quorum.votes[node.name] ?? 1]));
  const unusual = Object.entries(votes).filter(([, count]) => count !== 1);
  const voting = Object.values(votes).filter((count) => count > 0).length;
  const derivedWait = voting === 2 && config.fencing !== undefined;
  if (config.quorum.noQuorum === 'stop' && config.quorum.waitForAll === derivedWait && unusual.length === 0) return undefined;
  return {
    no_quorum: config.quorum.noQuorum,
    ...(config.quorum.waitForAll !== derivedWait ? { wait_for_all: config.quorum.waitForAll } : {}),
    ...(unusual.length > 0 ? { votes: Object.fromEntries(unusual) } : {}),
  };
}

function sortedKeys(record: Readonly<Record<string, unknown>>): [string, unknown][] {
  return Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}
