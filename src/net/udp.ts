/**
 * UDP transports: unicast (one datagram per peer), broadcast and multicast (one datagram for all), IPv4 and IPv6.
 *
 * Each socket is bound to this node's address on the link, because the lab's namespaces (and many real
 * heartbeat networks) have no default route: the source address must be the link's. Broadcast and multicast
 * need a second socket bound to the group/broadcast address to receive, since Linux does not deliver those
 * to a socket bound to a unicast address.
 */
import { createSocket, type Socket, type SocketType } from 'node:dgram';
import { isIPv6 } from 'node:net';
import type { LinkName } from '../core/types.js';
import { AssertionError } from '../lib/assert.js';
import type { LinkConfig, NodeLinkAddress } from '../config/model.js';
import type { Transport, TransportHandlers } from './transport.js';
import { interfaceAddress, isAnyAddress } from './interface-address.js';

export interface UdpTransportOptions {
  readonly link: LinkConfig;
  readonly local: NodeLinkAddress;
  /** Peers' addresses on this link (unicast targets). */
  readonly peers: readonly string[];
  readonly handlers: TransportHandlers;
}

export async function openUdpTransport(options: UdpTransportOptions): Promise<Transport> {
  switch (options.link.transport) {
    case 'udp-unicast':
      return openUnicast(options);
    case 'udp-broadcast':
      return openGroup(options, options.link.broadcast ?? '');
    case 'udp-multicast':
      return openGroup(options, options.link.group ?? '');
    case 'serial':
      // open-transport.ts sends serial links to serial.ts; reaching here is a programmer error.
      throw new AssertionError(`link ${options.link.name} is serial, not UDP`);
  }
}

function socketType(address: string): SocketType {
  return isIPv6(address) ? 'udp6' : 'udp4';
}

/** IPv6 link-local and multicast need the interface as a scope. */
function scoped(address: string, iface: string | undefined): string {
  return isIPv6(address) && iface && !address.includes('%') ? `${address}%${iface}` : address;
}

/**
 * `shared` is for the broadcast/multicast sockets only; a node's own unicast address is bound exclusively,
 * so a second tandemd started by mistake on the same node fails at once instead of stealing heartbeats.
 */
function bindSocket(options: UdpTransportOptions, address: string, port: number, shared: boolean): Promise<Socket> {
  const { link, handlers } = options;
  const socket = createSocket({ type: socketType(address), reuseAddr: shared });
  return new Promise((resolve, reject) => {
    const onBindError = (error: Error): void => reject(new TransportError(link.name, `cannot bind ${address}:${port}`, error));
    socket.once('error', onBindError);
    socket.bind({ address, port, exclusive: false }, () => {
      socket.off('error', onBindError);
      socket.on('error', (error) => handlers.onError(link.name, error));
      socket.on('message', (bytes, remote) => handlers.onDatagram(link.name, { bytes, source: `${remote.address}:${remote.port}` }));
      resolve(socket);
    });
  });
}

async function openUnicast(options: UdpTransportOptions): Promise<Transport> {
  const { link, local, peers, handlers } = options;
  const socket = await bindSocket(options, scoped(local.address, local.interface), link.port, false);
  return {
    link: link.name,
    description: `udp-unicast ${local.address}:${link.port}`,
    send(bytes) {
      for (const peer of peers) {
        socket.send(bytes, link.port, scoped(peer, local.interface), (error) => {
          if (error) handlers.onError(link.name, error);
        });
      }
    },
    close: () => closeSockets([socket]),
  };
}

async function openGroup(given: UdpTransportOptions, target: string): Promise<Transport> {
  const options = withInterfaceAddress(given, target);
  const { link, local, handlers } = options;
  // Shared, unlike a unicast link's socket: heartbeat's ha.cf may put bcast and mcast on one interface and one
  // port (seed 002), and both links' senders then bind the same address and port. Peers never send unicast to it.
  const sender = await bindSocket(options, scoped(local.address, local.interface), link.port, true);
  let receiver: Socket;
  try {
    // Link-local IPv6 groups (ff02::) exist only with an interface scope.
    receiver = await bindSocket(options, scoped(target, local.interface), link.port, true);
  } catch (error) {
    await closeSockets([sender]);
    throw error;
  }
  if (link.transport === 'udp-broadcast') {
    sender.setBroadcast(true);
  } else {
    const iface = scoped(isIPv6(target) ? '::' : local.address, local.interface);
    receiver.addMembership(target, iface);
    sender.setMulticastInterface(iface);
    sender.setMulticastTTL(link.ttl ?? 1);
    sender.setMulticastLoopback(false);
  }
  return {
    link: link.name,
    description: `${link.transport} ${target}:${link.port} via ${local.address}`,
    send(bytes) {
      sender.send(bytes, link.port, scoped(target, local.interface), (error) => {
        if (error) handlers.onError(link.name, error);
      });
    },
    close: () => closeSockets([sender, receiver]),
  };
}

/** An unspecified local address (from heartbeat's bcast/mcast) becomes the interface's address now. */
function withInterfaceAddress(options: UdpTransportOptions, target: string): UdpTransportOptions {
  const { link, local } = options;
  if (!isAnyAddress(local.address) || local.interface === undefined) return options;
  const found = interfaceAddress(local.interface, isIPv6(target) ? 6 : 4);
  if ('problem' in found) throw new TransportError(link.name, `cannot bind to this node's address on ${local.interface}`, new Error(found.problem));
  return { ...options, local: { ...local, address: found.address } };
}

function closeSockets(sockets: readonly Socket[]): Promise<void> {
  return Promise.all(sockets.map((socket) => new Promise<void>((resolve) => socket.close(() => resolve())))).then(() => undefined);
}

export class TransportError extends Error {
  override readonly name = 'TransportError';
  readonly code = 'TND_E_TRANSPORT';
  constructor(
    readonly link: LinkName,
    message: string,
    cause: Error,
  ) {
    super(`link ${link}: ${message}: ${cause.message}`, { cause });
  }
}
