/**
 * Config digest: a short fingerprint of the part of the config every node must agree on.
 *
 * Heartbeats carry it so that a node whose config differs from its peers' is shown as such.
 *
 * Invariants:
 *   1. Covers cluster, timings, links and nodes (with every default filled in); not logging, state_dir, runtime_dir
 *      or the key file path, which may legitimately differ between nodes. Secrets are never digested here.
 *   2. Independent of how the file was written: key order, list order of links and nodes, comments, quoting, units
 *      (`2s` = `2000ms`) and IPv6 spelling do not change it.
 *   3. Any change to a value that must agree (an address, a port, a timing, a node added) changes it.
 */
import { createHash } from 'node:crypto';
import { canonicalAddress } from './address.js';
import type { ClusterConfig } from './model.js';

/** Version tag of the canonical form; bump it if the form changes, so old and new digests never collide. */
const CANONICAL_FORM = 'tandem-config-digest-v1';

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
  };
  return stableJson(form);
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
