/**
 * Config digest: a short fingerprint of the part of the config every node must agree on.
 *
 * Heartbeats carry it so that a node whose config differs from its peers' is shown as such.
 *
 * Invariants:
 *   1. Covers cluster, timings, links, nodes, groups (with their resources), reconcile and the split-brain protection
 *      (quorum, arbitrator, ping, fencing, the watchdog timeout), with every default filled in; not logging, state_dir,
 *      runtime_dir, the key file path, the watchdog device or a node's serial device (each node names its own tty: one
 *      node's /dev/ttyS0 and the other's /dev/ttyS1 may be the two ends of one cable), which may legitimately differ
 *      between nodes.
 *      Secrets are never digested here: nor the key file, nor the value of a fence device parameter whose name says
 *      it is one (password, passwd, secret, token, key…); only that parameter's name is, since the digest travels in
 *      every heartbeat and a short hash of a password invites guessing it offline.
 *   2. Independent of how the file was written: key order, list order of links, nodes, groups, fence devices and ping
 *      targets, a device's node list, comments, quoting, units (`2s` = `2000ms`), IPv6 spelling, ping group names and
 *      defaults written out (`votes: { n1: 1 }`, a device's `nodes` or a node's `levels` spelt as the default) do not
 *      change it.
 *   3. Any change to a value that must agree (an address, a port, a timing, a node added, a resource parameter)
 *      changes it — including the order of a group's nodes (its preference) and of its resources (start order), and
 *      the order of a node's fencing levels.
 */
import { createHash } from 'node:crypto';
import { canonicalAddress } from './address.js';
import { DEFAULT_BAUD, type ClusterConfig, type FencingConfig, type GroupConfig, type PingConfig, type ResourceAgentConfig, type ResourceConfig } from './model.js';

/** Version tag of the canonical form; bump it if the form changes, so old and new digests never collide. */
const CANONICAL_FORM = 'tandem-config-digest-v3';
/** Fence device parameters whose value is a secret (fence-agents' password, passwd, snmp_priv_passwd, …). */
const SECRET_PARAM = /pass|secret|token|key|kg$/i;

/** 16 hex characters (64 bits) of SHA-256 over the canonical form of `config`. */
export function configDigest(config: ClusterConfig): string {
  return createHash('sha256').update(canonicalConfig(config)).digest('hex').slice(0, 16);
}

/** The canonical text that `configDigest` hashes: JSON with sorted keys and sorted lists. Exported for debugging. */
export function canonicalConfig(config: ClusterConfig): string {
  const byName = <T extends { readonly name: string }>(items: readonly T[]): T[] => [...items].sort((a, b) => compare(a.name, b.name));
  const form = {
    form: CANONICAL_FORM,
    cluster: config.cluster,
    timings: {
      keepaliveMs: config.timings.keepaliveMs,
      warntimeMs: config.timings.warntimeMs,
      deadtimeMs: config.timings.deadtimeMs,
      initdeadMs: config.timings.initdeadMs,
    },
    links: byName(config.links).map((link): Json => ({
      name: link.name,
      transport: link.transport,
      // A serial link has no port; its speed must agree. `baud` appears only on serial links, so the digest of a
      // config without one is what it was before serial links existed.
      port: link.transport === 'serial' ? null : link.port,
      group: link.group === undefined ? null : canonicalAddress(link.group),
      ttl: link.ttl ?? null,
      broadcast: link.broadcast ?? null,
      ...(link.transport === 'serial' ? { baud: link.baud ?? DEFAULT_BAUD } : {}),
    })),
    nodes: byName(config.nodes).map((node) => ({
      name: node.name,
      links: Object.keys(node.links)
        .sort(compare)
        .map((link): Json => {
          const entry = node.links[link];
          // A serial device is node-local (invariant 1): only that the node is on the link counts.
          if (entry?.device !== undefined) return { link, serial: true };
          return { link, address: entry ? canonicalAddress(entry.address) : null, interface: entry?.interface ?? null };
        }),
    })),
    groups: byName(config.groups).map(canonicalGroup),
    reconcile: { intervalMs: config.reconcile.intervalMs, strayAddresses: config.reconcile.strayAddresses },
    quorum: {
      votes: Object.fromEntries(config.nodes.map((node) => [node.name, config.quorum.votes[node.name] ?? 1])),
      noQuorum: config.quorum.noQuorum,
      waitForAll: config.quorum.waitForAll,
    },
    arbitrator: config.arbitrator ?? null,
    ping: config.ping === undefined ? null : canonicalPing(config.ping),
    fencing: config.fencing === undefined ? null : canonicalFencing(config.fencing),
    watchdog: config.watchdog === undefined ? null : { timeoutMs: config.watchdog.timeoutMs },
  };
  return stableJson(form);
}

/** A ping group is reachable while any of its addresses answers, so only the sets of addresses matter, not names. */
function canonicalPing(ping: PingConfig): Json {
  const groups = ping.groups.map((group) => [...new Set(group.addresses.map(canonicalAddress))].sort(compare));
  return { groups: groups.sort((a, b) => compare(a.join(','), b.join(','))), intervalMs: ping.intervalMs, deadMs: ping.deadMs };
}

/** Levels keep their order (tried in turn); a device's nodes are a set; secret parameter values are left out. */
function canonicalFencing(fencing: FencingConfig): Json {
  return {
    devices: [...fencing.devices]
      .sort((a, b) => compare(a.name, b.name))
      .map((device) => ({
        name: device.name,
        agent: device.agent,
        params: Object.fromEntries(Object.entries(device.params).map(([name, value]) => [name, SECRET_PARAM.test(name) ? '(secret)' : value])),
        hostMap: { ...device.hostMap },
        nodes: [...device.nodes].sort(compare),
      })),
    levels: Object.fromEntries(Object.entries(fencing.levels).map(([node, levels]) => [node, levels.map((level) => [...level])])),
    action: fencing.action,
    timeoutMs: fencing.timeoutMs,
    retries: fencing.retries,
    delayMs: fencing.delayMs,
    retryIntervalMs: fencing.retryIntervalMs,
  };
}

/** Lists inside a group keep their order (invariant 3): nodes are a preference, resources a start order. */
function canonicalGroup(group: GroupConfig): Json {
  return {
    name: group.name,
    nodes: [...group.nodes],
    failback: group.failback,
    migrationThreshold: group.migrationThreshold,
    failureTimeoutMs: group.failureTimeoutMs,
    resources: group.resources.map(canonicalResource),
  };
}

function canonicalResource(resource: ResourceConfig): Json {
  return {
    id: resource.id,
    agent: canonicalAgent(resource.agent),
    startTimeoutMs: resource.startTimeoutMs,
    stopTimeoutMs: resource.stopTimeoutMs,
    monitorIntervalMs: resource.monitorIntervalMs,
    monitorTimeoutMs: resource.monitorTimeoutMs,
  };
}

/** Every field of every kind, spelt out; the switch must cover every kind, so a new kind cannot be left out unnoticed. */
function canonicalAgent(agent: ResourceAgentConfig): Json {
  switch (agent.kind) {
    case 'ipaddr':
      return { kind: agent.kind, address: canonicalAddress(agent.address), prefix: agent.prefix, interface: agent.interface, announceCount: agent.announceCount, announceIntervalMs: agent.announceIntervalMs };
    case 'filesystem':
      return { kind: agent.kind, device: agent.device, directory: agent.directory, fstype: agent.fstype, options: agent.options };
    case 'ocf':
      return { kind: agent.kind, provider: agent.provider, type: agent.type, params: { ...agent.params } };
    case 'lsb':
      return { kind: agent.kind, name: agent.name };
    case 'systemd':
      return { kind: agent.kind, unit: agent.unit };
    case 'heartbeat':
      return { kind: agent.kind, script: agent.script, args: [...agent.args] };
    case 'exec':
      return { kind: agent.kind, command: [...agent.command], health: agent.health === undefined ? null : [...agent.health], stopSignal: agent.stopSignal };
  }
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

type Json = string | number | boolean | null | readonly Json[] | { readonly [key: string]: Json };

function stableJson(value: Json): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const record = value as { readonly [key: string]: Json };
    return `{${Object.keys(record)
      .sort(compare)
      .map((key) => `${JSON.stringify(key)}:${stableJson(record[key] ?? null)}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}
