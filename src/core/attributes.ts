/**
 * Cluster attributes: standby flags, operator placements and cleanup requests that any node may set and every node
 * must come to agree on, without a leader and without acknowledgements.
 *
 * Each entry is a last-writer-wins register ordered by (version, origin): a node writing takes a version above every
 * version it has seen (a Lamport clock), so a later command beats an earlier one, and two concurrent writes are
 * decided the same way on every node. Entries are gossiped in every heartbeat, so one lost datagram costs nothing.
 *
 * Invariants:
 *   1. merge is commutative, associative and idempotent: any order of receipt gives the same table.
 *   2. A cleared value is kept as an entry with value '' (a tombstone), so an older write cannot resurrect it.
 */
import type { AttributeEntry } from './group-types.js';

export const ATTRIBUTE_ENTRIES_MAX = 4096;

export function standbyKey(node: string): string {
  return `standby/${node}`;
}
export function pinKey(group: string): string {
  return `pin/${group}`;
}

/**
 * A pin value that lasts until the next failover (heartbeat's hb_standby / hb_takeover): `NODE~`. Once a node of
 * the group is declared dead or leaves, whoever sees it drops the pin, so auto failback applies again as in heartbeat.
 */
export const UNTIL_FAILOVER_MARK = '~';

/** The node a pin value names, and whether it lasts only until the next failover. */
export function readPin(value: string): { node: string; untilFailover: boolean } | undefined {
  if (value === '') return undefined;
  const untilFailover = value.endsWith(UNTIL_FAILOVER_MARK);
  return { node: untilFailover ? value.slice(0, -UNTIL_FAILOVER_MARK.length) : value, untilFailover };
}
export function cleanupKey(group: string): string {
  return `cleanup/${group}`;
}
/** `<generation>|<summary>`: that generation of the node was fenced (the origin fenced it). */
export function fencedKey(node: string): string {
  return `fenced/${node}`;
}

function newer(a: AttributeEntry, b: AttributeEntry): boolean {
  return a.version !== b.version ? a.version > b.version : a.origin > b.origin;
}

export class Attributes {
  private readonly entries = new Map<string, AttributeEntry>();
  private highestVersion = 0;

  constructor(initial: readonly AttributeEntry[] = []) {
    for (const entry of initial) this.merge(entry);
  }

  get(key: string): string {
    return this.entries.get(key)?.value ?? '';
  }

  entry(key: string): AttributeEntry | undefined {
    return this.entries.get(key);
  }

  /** Writes a value as `origin`; returns the new entry. */
  set(key: string, value: string, origin: string): AttributeEntry {
    const entry: AttributeEntry = { key, value, version: this.highestVersion + 1, origin };
    this.merge(entry);
    return entry;
  }

  /** Takes `entry` when it is newer than what we have; true when the table changed. */
  merge(entry: AttributeEntry): boolean {
    this.highestVersion = Math.max(this.highestVersion, entry.version);
    const current = this.entries.get(entry.key);
    if (current !== undefined && !newer(entry, current)) return false;
    if (current === undefined && this.entries.size >= ATTRIBUTE_ENTRIES_MAX) return false;
    this.entries.set(entry.key, entry);
    return true;
  }

  all(): AttributeEntry[] {
    return [...this.entries.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }
}
