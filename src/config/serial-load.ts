/**
 * How much of a serial link's line the periodic heartbeats take, for the config check's warning
 * (TND_W_CONFIG_SERIAL_BANDWIDTH): a serial line slower than the heartbeats queues them, and a queued heartbeat
 * arrives late, so a saturated line turns into false deaths instead of an error anyone sees.
 *
 * The size is measured, not guessed: a representative heartbeat is encoded with the real wire codec — this cluster's
 * name, the link's name, its longest node name as the sender, a config digest, and a report holding every group
 * (running, claimed, granted to the longest node name) and the quorum section naming the other nodes — then SLIP's
 * two END bytes and its expected escapes are added. Gossiped attributes (standby flags, placements) are left out:
 * they are occasional, and the threshold leaves room for them.
 *
 * A byte costs 10 bits on an 8N1 line (start and stop bits), so a line carries baud / 10 bytes a second.
 */
import { linkName, nodeName, type Message } from '../core/types.js';
import { encodePacket } from '../wire/codec.js';
import { DEFAULT_BAUD, type ClusterConfig } from './model.js';

/**
 * Warn past this share of the line. The rest is for what is sent on top of the periodic heartbeats: a changed report
 * goes out at once (a failover sends several in a row), and a leave.
 */
export const SERIAL_LOAD_WARN_FRACTION = 0.5;
const BITS_PER_BYTE = 10;
/** configDigest's length on the wire (digest.ts: 16 hex characters). */
const DIGEST_EXAMPLE = '0123456789abcdef';

export interface SerialLoad {
  /** One heartbeat as encoded by the wire codec. */
  readonly heartbeatBytes: number;
  /** The same on the line: SLIP framing and expected escapes. */
  readonly frameBytes: number;
  readonly heartbeatsPerSecond: number;
  readonly bytesPerSecond: number;
  /** baud / 10. */
  readonly lineBytesPerSecond: number;
  /** bytesPerSecond / lineBytesPerSecond. */
  readonly fraction: number;
}

/** The load of the periodic heartbeats on serial link `link` of `config` (whose nodes and names are valid). */
export function serialLinkLoad(config: ClusterConfig, link: string): SerialLoad {
  const linkConfig = config.links.find((candidate) => candidate.name === link);
  const baud = linkConfig?.baud ?? DEFAULT_BAUD;
  const onLink = config.nodes.filter((node) => node.links[link] !== undefined).map((node) => node.name);
  const longest = [...onLink].sort((a, b) => Buffer.byteLength(b) - Buffer.byteLength(a))[0] ?? 'n';
  const message: Message = {
    type: 'heartbeat',
    configDigest: DIGEST_EXAMPLE,
    uptimeMs: 86_400_000,
    report: {
      rev: 1000,
      leaving: false,
      groups: config.groups.map((group) => ({ name: group.name, phase: 'running', claim: true, claimEpoch: 7, grant: longest, grantEpoch: 7, failCount: 0 })),
      attributes: [],
      quorum: {
        alive: config.nodes.filter((node) => node.name !== longest).map((node) => node.name),
        quorate: true,
        pingScore: config.ping === undefined ? undefined : config.ping.groups.length,
        vote: '',
      },
    },
  };
  const packet = encodePacket(
    { cluster: config.cluster, sender: nodeName(longest), link: linkName(link), generation: 12, seq: 123_456, sentAtWallMs: 1_760_000_000_000 },
    message,
    { keys: [{ id: 1, secret: Buffer.from('serial-load-estimate') }], sendKeyId: 1 },
  );
  // Two of the 256 byte values are escaped (END and ESC), each into two bytes: the MAC and counters are random-looking.
  const frameBytes = packet.length + 2 + Math.ceil((packet.length * 2) / 256);
  const heartbeatsPerSecond = 1000 / config.timings.keepaliveMs;
  const bytesPerSecond = frameBytes * heartbeatsPerSecond;
  const lineBytesPerSecond = baud / BITS_PER_BYTE;
  return { heartbeatBytes: packet.length, frameBytes, heartbeatsPerSecond, bytesPerSecond, lineBytesPerSecond, fraction: bytesPerSecond / lineBytesPerSecond };
}

/** The warning's text, or undefined when the heartbeats fit. */
export function serialLoadProblem(config: ClusterConfig, link: string): string | undefined {
  const load = serialLinkLoad(config, link);
  if (load.fraction <= SERIAL_LOAD_WARN_FRACTION) return undefined;
  const baud = Math.round(load.lineBytesPerSecond * BITS_PER_BYTE);
  const fitting = Math.ceil((load.frameBytes * 1000) / (load.lineBytesPerSecond * SERIAL_LOAD_WARN_FRACTION));
  return (
    `heartbeats of about ${load.frameBytes} bytes every ${config.timings.keepaliveMs} ms take ${Math.round(load.fraction * 100)}% of serial link '${link}' at ${baud} baud ` +
    `(${Math.round(load.bytesPerSecond)} of ${Math.round(load.lineBytesPerSecond)} bytes/s), and changed reports are sent at once on top: ` +
    `a saturated line delays heartbeats into false deaths; use a higher baud or a keepalive of at least ${fitting} ms`
  );
}
