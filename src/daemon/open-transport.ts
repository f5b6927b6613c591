/**
 * Builds the transport of one link from the config: this node's address on it and its peers' addresses (UDP),
 * or this node's tty device (serial).
 */
import { DEFAULT_BAUD, type ClusterConfig } from '../config/model.js';
import type { LinkName, NodeName } from '../core/types.js';
import { assert } from '../lib/assert.js';
import { openSerialTransport } from '../net/serial.js';
import type { Transport, TransportHandlers } from '../net/transport.js';
import { openUdpTransport } from '../net/udp.js';
import { PACKET_BYTES_MAX } from '../wire/codec.js';

export async function openConfiguredTransport(
  config: ClusterConfig,
  self: NodeName,
  link: LinkName,
  handlers: TransportHandlers,
): Promise<Transport> {
  const linkConfig = config.links.find((candidate) => candidate.name === link);
  const local = config.nodes.find((node) => node.name === self)?.links[link];
  assert(linkConfig !== undefined && local !== undefined, `link ${link} is not configured for ${self}`);
  if (linkConfig.transport === 'serial') {
    assert(local.device !== undefined, `serial link ${link} without a device for ${self}`);
    return openSerialTransport({ link, device: local.device, baud: linkConfig.baud ?? DEFAULT_BAUD, handlers, maxFrameBytes: PACKET_BYTES_MAX });
  }
  assert(local.device === undefined, `UDP link ${link} with a device for ${self}`);
  const peers = config.nodes
    .filter((node) => node.name !== self)
    .flatMap((node) => {
      const address = node.links[link]?.address;
      return address !== undefined ? [address] : [];
    });
  return openUdpTransport({ link: linkConfig, local, peers, handlers });
}
