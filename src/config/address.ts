/**
 * IP address helpers for config validation: family, multicast test and a canonical form for comparison.
 *
 * Invariants:
 *   1. Pure: no DNS, no interfaces looked up; an address is judged by its text alone.
 *   2. `canonicalAddress` maps every spelling of one IPv6 address (`2001:DB8::1`, `2001:db8:0:0::1`) to one string.
 */
import { isIP } from 'node:net';

export type AddressFamily = 4 | 6;

/** 4 or 6 for a valid address (IPv6 may carry a `%zone`), undefined otherwise. */
export function addressFamily(address: string): AddressFamily | undefined {
  const family = isIP(address);
  return family === 4 || family === 6 ? family : undefined;
}

/** True for 224.0.0.0/4 and ff00::/8. */
export function isMulticastAddress(address: string): boolean {
  const family = addressFamily(address);
  if (family === 4) {
    const first = Number(address.split('.')[0]);
    return first >= 224 && first <= 239;
  }
  if (family === 6) return (expandIpv6(address)[0] ?? 0) >= 0xff00;
  return false;
}

/** True for 0.0.0.0 and `::`, which name no host and cannot be a node's address. */
export function isUnspecifiedAddress(address: string): boolean {
  const family = addressFamily(address);
  if (family === 4) return address.split('.').every((part) => Number(part) === 0);
  if (family === 6) return expandIpv6(address).every((group) => group === 0);
  return false;
}

/** One spelling per address: IPv4 as written, IPv6 as eight lower-case hex groups (zone kept). */
export function canonicalAddress(address: string): string {
  if (addressFamily(address) !== 6) return address;
  const zoneAt = address.indexOf('%');
  const zone = zoneAt >= 0 ? address.slice(zoneAt) : '';
  return expandIpv6(address).map((group) => group.toString(16)).join(':') + zone;
}

/** The eight 16-bit groups of a valid IPv6 address (embedded IPv4 and `::` expanded). */
export function expandIpv6(address: string): number[] {
  let text = address.toLowerCase();
  const zoneAt = text.indexOf('%');
  if (zoneAt >= 0) text = text.slice(0, zoneAt);
  const lastColon = text.lastIndexOf(':');
  const tail = text.slice(lastColon + 1);
  if (tail.includes('.')) {
    const [a, b, c, d] = tail.split('.').map(Number) as [number, number, number, number];
    text = `${text.slice(0, lastColon + 1)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, rest] = text.split('::') as [string, string | undefined];
  const parse = (part: string): number[] => (part === '' ? [] : part.split(':').map((g) => parseInt(g, 16)));
  const left = parse(head);
  if (rest === undefined) return left;
  const right = parse(rest);
  return [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
}
