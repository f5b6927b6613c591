/**
 * Builds the transport of one link from the config: this node's address on it and its peers' addresses.
 */
import type { ClusterConfig } from '../config/model.js';
import type { LinkName, NodeName } from '../core/types.js';
import { assert } from '../lib/assert.js';
import type { Transport, TransportHandlers } from '../net/transport.js';
import { openUdpTransport } from '../net/udp.js';

export async function openConfiguredTransport(
  config: ClusterConfig,
  self: NodeName,
  link: LinkName,
  handlers: TransportHandlers,
): Promise<Transport> {
  const linkConfig = config.links.find((candidate) => candidate.name === link);
  const local = config.nodes.find((node) => node.name === self)?.links[link];
  assert(linkConfig !== undefined && local !== undefined, `link ${link} is not configured for ${self}`);
  const peers = config.nodes
    .filter((node) => node.name !== self)
    .flatMap((node) => (node.links[link] ? [node.links[link].address] : []));
  return openUdpTransport({ link: linkConfig, local, peers, handlers });
}
