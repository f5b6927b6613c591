/**
 * A broadcast or multicast link read from heartbeat's ha.cf names only an interface: the node's address on it is
 * whatever the interface has when the link opens (heartbeat bound to any address). This finds that address.
 */
import { networkInterfaces, type NetworkInterfaceInfo } from 'node:os';
import { isIPv6 } from 'node:net';

/** The first address of the family on `iface`, preferring a global one to a link-local one; or why there is none. */
export function interfaceAddress(iface: string, family: 4 | 6, interfaces: NodeJS.Dict<NetworkInterfaceInfo[]> = networkInterfaces()): { address: string } | { problem: string } {
  const list = interfaces[iface];
  if (list === undefined) return { problem: `interface ${iface} does not exist on this node` };
  const candidates = list.filter((info) => (family === 6 ? info.family === 'IPv6' : info.family === 'IPv4'));
  const chosen = candidates.find((info) => !(family === 6 && info.address.toLowerCase().startsWith('fe80:'))) ?? candidates[0];
  return chosen === undefined ? { problem: `interface ${iface} has no IPv${family} address` } : { address: chosen.address };
}

/** Whether `address` is the unspecified address standing for "this node's address on the interface". */
export function isAnyAddress(address: string): boolean {
  return address === '0.0.0.0' || (isIPv6(address) && /^[0:]+$/.test(address));
}
