/**
 * Config digest: a short fingerprint of the part of the config every node must agree on.
 *
 * Heartbeats carry it so that a node whose config differs from its peers' is shown as such.
 *
 * Invariants:
 *   1. Covers cluster, timings, links, nodes, groups (with their resources) and reconcile, with every default filled
 *      in; not logging, state_dir, runtime_dir or the key file path, which may legitimately differ between nodes.
 *      Secrets are never digested here.
 *   2. Independent of how the file was written: key order, list order of links, nodes and groups, comments, quoting,
 *      units (`2s` = `2000ms`) and IPv6 spelling do not change it.
 *   3. Any change to a value that must agree (an address, a port, a timing, a node added, a resource parameter)
 *      changes it — including the order of a group's nodes (its preference) and of its resources (start order).
 */
import { createHash } from 'node:crypto';
import { canonicalAddress } from './address.js';
import type { ClusterConfig, GroupConfig, ResourceAgentConfig, ResourceConfig } from './model.js';

/** Version tag of the canonical form; bump it if the form changes, so old and new digests never collide. */
const CANONICAL_FORM = 'tandem-config-digest-v2';

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
    links: byName(config.links).map((link) => ({
      name: link.name,
      transport: link.transport,
      port: link.port,
      group: link.group === undefined ? null : canonicalAddress(link.group),
      ttl: link.ttl ?? null,
      broadcast: link.broadcast ?? null,
    })),
    nodes: byName(config.nodes).map((node) => ({
      name: node.name,
      links: Object.keys(node.links)
        .sort(compare)
        .map((link) => {
          const entry = node.links[link];
          return { link, address: entry ? canonicalAddress(entry.address) : null, interface: entry?.interface ?? null };
        }),
    })),
    groups: byName(config.groups).map(canonicalGroup),
    reconcile: { intervalMs: config.reconcile.intervalMs, strayAddresses: config.reconcile.strayAddresses },
  };
  return stableJson(form);
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
