/**
 * The two frames that tell a link "this address now lives at this MAC": a gratuitous ARP for IPv4 and an
 * unsolicited neighbour advertisement for IPv6, as complete Ethernet frames ready for an AF_PACKET socket.
 *
 * Invariants:
 *   1. Pure: no sockets, no clock, no interface lookups; the caller passes the MAC.
 *   2. Frames are never shorter than the 60-byte Ethernet minimum (padded with zeros, as a NIC would).
 *   3. Inputs are validated here (a bad address or MAC throws a `FrameInputError`): a frame is either right
 *      or not built.
 */
import { isIPv4, isIPv6 } from 'node:net';
import { expandIpv6 } from '../config/address.js';

/** Ethernet minimum frame length without the FCS (IEEE 802.3 `ETH_ZLEN`). */
export const ETHERNET_FRAME_BYTES_MIN = 60;
export const ETHERTYPE_ARP = 0x0806;
export const ETHERTYPE_IPV6 = 0x86dd;
const ETHERTYPE_IPV4 = 0x0800;
const ARP_OPERATION_REQUEST = 1;
const ARP_HARDWARE_ETHERNET = 1;
const IPV6_NEXT_HEADER_ICMPV6 = 58;
const ICMPV6_NEIGHBOUR_ADVERTISEMENT = 136;
const NDP_OPTION_TARGET_LINK_LAYER_ADDRESS = 2;
const BROADCAST_MAC = Buffer.from('ffffffffffff', 'hex');
/** ff02::1, the link-local all-nodes group, and its Ethernet mapping 33:33:00:00:00:01 (RFC 2464 §7). */
const ALL_NODES = ipv6Bytes('ff02::1');
const ALL_NODES_MAC = Buffer.from('333300000001', 'hex');

export class FrameInputError extends TypeError {
  override readonly name = 'FrameInputError';
}

/** `02:74:6e:64:00:01` (or with `-`) → 6 bytes. */
export function macBytes(mac: string): Buffer {
  if (!/^[0-9a-f]{2}([:-][0-9a-f]{2}){5}$/i.test(mac)) throw new FrameInputError(`Cannot parse ${JSON.stringify(mac)} as a MAC address`);
  return Buffer.from(mac.replace(/[:-]/g, ''), 'hex');
}

/** 6 bytes → `02:74:6e:64:00:01`. */
export function macText(mac: Uint8Array): string {
  return [...mac].map((byte) => byte.toString(16).padStart(2, '0')).join(':');
}

/** Dotted quad → 4 bytes. */
export function ipv4Bytes(address: string): Buffer {
  if (!isIPv4(address)) throw new FrameInputError(`Cannot parse ${JSON.stringify(address)} as an IPv4 address`);
  return Buffer.from(address.split('.').map(Number));
}

/** Any spelling of an IPv6 address (`::`, embedded IPv4; no zone) → 16 bytes. */
export function ipv6Bytes(address: string): Buffer {
  if (!isIPv6(address) || address.includes('%')) throw new FrameInputError(`Cannot parse ${JSON.stringify(address)} as an IPv6 address`);
  const all = expandIpv6(address);
  const out = Buffer.alloc(16);
  all.forEach((group, i) => out.writeUInt16BE(group, i * 2));
  return out;
}

/** Whether two spellings name the same address (`2001:db8::100` = `2001:DB8:0::100`); false across families. */
export function sameAddress(a: string, b: string): boolean {
  if (isIPv4(a) && isIPv4(b)) return ipv4Bytes(a).equals(ipv4Bytes(b));
  if (isIPv6(a) && isIPv6(b)) return ipv6Bytes(a.split('%')[0] ?? a).equals(ipv6Bytes(b.split('%')[0] ?? b));
  return false;
}

function padded(frame: Buffer): Buffer {
  return frame.length >= ETHERNET_FRAME_BYTES_MIN ? frame : Buffer.concat([frame, Buffer.alloc(ETHERNET_FRAME_BYTES_MIN - frame.length)]);
}

function ethernetHeader(target: Buffer, source: Buffer, ethertype: number): Buffer {
  const header = Buffer.alloc(14);
  target.copy(header, 0);
  source.copy(header, 6);
  header.writeUInt16BE(ethertype, 12);
  return header;
}

/**
 * A gratuitous ARP as an ARP Announcement (RFC 5227 §2.3): an ARP request, broadcast, whose sender and target
 * protocol addresses are both the announced address. The target hardware address is zero ("ignored and
 * SHOULD be set to all zeroes", §2.1.1); keepalived and `arping -U` put ff:ff:ff:ff:ff:ff there, and Linux
 * treats both alike (`arp_is_garp` looks only at sender = target for requests).
 */
export function gratuitousArp(options: { address: string; mac: string }): Buffer {
  const mac = macBytes(options.mac);
  const address = ipv4Bytes(options.address);
  const arp = Buffer.alloc(28);
  arp.writeUInt16BE(ARP_HARDWARE_ETHERNET, 0);
  arp.writeUInt16BE(ETHERTYPE_IPV4, 2);
  arp.writeUInt8(6, 4); // hardware address length
  arp.writeUInt8(4, 5); // protocol address length
  arp.writeUInt16BE(ARP_OPERATION_REQUEST, 6);
  mac.copy(arp, 8); // sender hardware address
  address.copy(arp, 14); // sender protocol address
  // target hardware address (18..23) stays zero
  address.copy(arp, 24); // target protocol address
  return padded(Buffer.concat([ethernetHeader(BROADCAST_MAC, mac, ETHERTYPE_ARP), arp]));
}

/** The Internet checksum (RFC 1071): one's complement of the one's-complement sum of 16-bit words. */
export function internetChecksum(...parts: Buffer[]): number {
  let sum = 0;
  for (const part of parts) {
    for (let i = 0; i < part.length; i += 2) sum += (part[i] ?? 0) * 256 + (part[i + 1] ?? 0);
  }
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  return ~sum & 0xffff;
}

/**
 * An unsolicited neighbour advertisement (RFC 4861 §7.2.6): to ff02::1 (Ethernet 33:33:00:00:00:01), hop
 * limit 255 (receivers drop NDP with any other, §7.1.2), Solicited clear, Override set (so receivers replace
 * a cached link-layer address, §7.2.5), Router set only when asked, and a target link-layer address option.
 * The source is the announced address itself, as Linux does for its own unsolicited NAs.
 */
export function unsolicitedNeighbourAdvertisement(options: { address: string; mac: string; router?: boolean }): Buffer {
  const mac = macBytes(options.mac);
  const target = ipv6Bytes(options.address);
  const icmp = Buffer.alloc(32);
  icmp.writeUInt8(ICMPV6_NEIGHBOUR_ADVERTISEMENT, 0);
  icmp.writeUInt8(0, 1); // code
  // checksum (2..3) computed below
  icmp.writeUInt8((options.router ? 0x80 : 0) | 0x20, 4); // R, S=0, O=1; the rest of the 32-bit word is reserved
  target.copy(icmp, 8);
  icmp.writeUInt8(NDP_OPTION_TARGET_LINK_LAYER_ADDRESS, 24);
  icmp.writeUInt8(1, 25); // option length in units of 8 bytes
  mac.copy(icmp, 26);

  // Pseudo-header (RFC 8200 §8.1): source, destination, upper-layer length (32 bits), 3 zero bytes, next header.
  const pseudo = Buffer.alloc(40);
  target.copy(pseudo, 0);
  ALL_NODES.copy(pseudo, 16);
  pseudo.writeUInt32BE(icmp.length, 32);
  pseudo.writeUInt8(IPV6_NEXT_HEADER_ICMPV6, 39);
  icmp.writeUInt16BE(internetChecksum(pseudo, icmp), 2);

  const ip = Buffer.alloc(40);
  ip.writeUInt32BE(0x60000000, 0); // version 6, traffic class 0, flow label 0
  ip.writeUInt16BE(icmp.length, 4);
  ip.writeUInt8(IPV6_NEXT_HEADER_ICMPV6, 6);
  ip.writeUInt8(255, 7); // hop limit
  target.copy(ip, 8);
  ALL_NODES.copy(ip, 24);
  return padded(Buffer.concat([ethernetHeader(ALL_NODES_MAC, mac, ETHERTYPE_IPV6), ip, icmp]));
}

/** The announcement frame for either family. */
export function announcementFrame(options: { address: string; mac: string }): Buffer {
  return isIPv4(options.address) ? gratuitousArp(options) : unsolicitedNeighbourAdvertisement(options);
}
