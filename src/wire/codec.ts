/**
 * Wire codec: turns a `Message` plus its envelope into one authenticated UDP datagram, and back.
 *
 * It does no I/O, reads no clock and keeps no state: replay and generation checks belong to `ReceiveGuard`,
 * which runs after a packet has authenticated here.
 *
 * Layout (all integers big-endian; offsets after the names depend on their lengths):
 *
 *   magic            2 bytes   0x54 0x44 ("TD")
 *   version          u8        PROTOCOL_VERSION of the sender
 *   messageType      u8        1 = heartbeat, 2 = leave (0 reserved)
 *   clusterLength    u8        1..NAME_BYTES_MAX, then that many bytes of UTF-8
 *   senderLength     u8        1..NAME_BYTES_MAX, then that many bytes of UTF-8
 *   linkLength       u8        1..NAME_BYTES_MAX, then that many bytes of UTF-8
 *   generation       u32       boot generation of the sender
 *   seq              u32       per (sender, link), starts at 0 each generation
 *   sentAtWallMs     f64       sender wall clock, finite and >= 0
 *   keyId            u8        1..255, names the secret in the key ring
 *   payloadLength    u16       then that many payload bytes
 *   mac              32 bytes  HMAC-SHA256(secret[keyId], every byte before the mac)
 *
 * Payloads (binary, strings are UTF-8 with a length prefix):
 *   heartbeat        configDigest (u8 length, <= CONFIG_DIGEST_BYTES_MAX), uptimeMs (f64, finite, >= 0),
 *                    since version 2: hasReport (u8, 0 or 1), then the report when 1 (report-codec.ts)
 *   leave            reason (u16 length, <= LEAVE_REASON_BYTES_MAX), since version 2: hasReport (u8), report
 *
 * Version 1 (no report section) is still decoded, so a node of the foundation release is heard, not dropped; version 2
 * reports lack the quorum section that version 3 appends (report-codec.ts), and count as an older node's.
 *
 * Compatibility: a later protocol version may add message types and append fields to the end of a payload; it never
 * removes or moves a field. So a packet whose version is newer than ours is still decoded, bytes past the payload
 * fields we know are ignored, and an unknown message type is dropped as 'malformed' with a detail saying so.
 * A packet of our own version must have no trailing payload bytes. A change that breaks this layout takes a new magic.
 *
 * Invariants:
 *   1. `decodePacket` never throws, whatever the bytes; every rejection is a `DropReason` plus a detail for the log.
 *   2. Checks run in a fixed order (oversized, malformed frame, bad-version, wrong-cluster, unknown-node,
 *      unknown-key, bad-mac, malformed payload), so nothing inside the payload is interpreted before the MAC passed.
 *   3. The MAC covers every byte before it, the link name included: a packet captured on one link cannot be replayed
 *      on another without failing `linkMismatch`.
 *   4. Every message whose fields respect their maxima fits in PACKET_BYTES_MAX (checked at module load) once its
 *      report is within REPORT_BYTES_BUDGET, which the sender keeps (the groups core trims gossip to fit and the
 *      config refuses more groups than fit); `encodePacket` asserts only on programmer errors.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { assert, assertNever } from '../lib/assert.js';
import type { LinkName, Message, NodeName } from '../core/types.js';
import type { AuthKey, KeyRing } from '../config/model.js';
import { Reader } from './byte-reader.js';
import { encodeReport, readReport } from './report-codec.js';
import type { NodeReport } from '../core/group-types.js';

/** Version we send. */
export const PROTOCOL_VERSION = 3;
/** Oldest version we accept; a later version may add fields, never remove. */
export const PROTOCOL_VERSION_MIN = 1;
/** Largest datagram we send or accept: below a 1500-byte Ethernet MTU minus IPv6 and UDP headers, so no fragments. */
export const PACKET_BYTES_MAX = 1400;
/** Longest cluster, node or link name on the wire, in UTF-8 bytes. */
export const NAME_BYTES_MAX = 64;
/** Longest heartbeat config digest, in UTF-8 bytes (a hex SHA-256 is 64). */
export const CONFIG_DIGEST_BYTES_MAX = 128;
/** Longest leave reason, in UTF-8 bytes: a sentence for a person, not a log. Use `wireText` to fit one. */
export const LEAVE_REASON_BYTES_MAX = 512;
export const MAC_BYTES = 32;
/** The first version whose heartbeat and leave payloads end with a report section. */
export const VERSION_WITH_REPORT = 2;
/** Room left for a node's report in a heartbeat after the header, the longest names, digest and the MAC. */
export const REPORT_BYTES_BUDGET = 1000;
export const KEY_ID_MIN = 1;
export const KEY_ID_MAX = 255;

export type DropReason =
  | 'oversized'
  | 'malformed'
  | 'bad-version'
  | 'wrong-cluster'
  | 'unknown-node'
  | 'unknown-key'
  | 'bad-mac'
  | 'stale-generation'
  | 'replay';

/** Every drop reason, in check order. */
export const DROP_REASONS: readonly DropReason[] = Object.freeze([
  'oversized',
  'malformed',
  'bad-version',
  'wrong-cluster',
  'unknown-node',
  'unknown-key',
  'bad-mac',
  'stale-generation',
  'replay',
] as const);

export interface PacketHeader {
  readonly version: number;
  readonly cluster: string;
  readonly sender: NodeName;
  readonly link: LinkName;
  /** u32, boot generation of the sender. */
  readonly generation: number;
  /** Per (sender, link) sequence, u32, starts at 0 each generation. */
  readonly seq: number;
  /** Sender wall clock, ms since epoch (display and skew only). */
  readonly sentAtWallMs: number;
  /** 1..255. */
  readonly keyId: number;
}

export interface EncodeInput {
  cluster: string;
  sender: NodeName;
  link: LinkName;
  generation: number;
  seq: number;
  sentAtWallMs: number;
}

export interface DecodeContext {
  readonly cluster: string;
  isKnownNode(name: string): boolean;
  readonly ring: KeyRing;
}

export type DecodeResult =
  | { ok: true; header: PacketHeader; message: Message }
  | { ok: false; reason: DropReason; detail: string };

const MAGIC_0 = 0x54;
const MAGIC_1 = 0x44;
const MESSAGE_TYPE_HEARTBEAT = 1;
const MESSAGE_TYPE_LEAVE = 2;
const U32_MAX = 0xffff_ffff;
const U16_MAX = 0xffff;

/** magic + version + type + three name lengths + generation + seq + sentAtWallMs + keyId + payloadLength. */
const HEADER_FIXED_BYTES = 2 + 1 + 1 + 3 + 4 + 4 + 8 + 1 + 2;
const HEADER_BYTES_MAX = HEADER_FIXED_BYTES + 3 * NAME_BYTES_MAX;
const PAYLOAD_BYTES_MAX = Math.max(1 + CONFIG_DIGEST_BYTES_MAX + 8, 2 + LEAVE_REASON_BYTES_MAX);
assert(
  HEADER_BYTES_MAX + PAYLOAD_BYTES_MAX + MAC_BYTES <= PACKET_BYTES_MAX,
  'the largest valid message must fit in one packet',
);
assert(
  HEADER_BYTES_MAX + 1 + CONFIG_DIGEST_BYTES_MAX + 8 + 1 + REPORT_BYTES_BUDGET + MAC_BYTES <= PACKET_BYTES_MAX,
  'the largest heartbeat with a report must fit in one packet',
);
// A heartbeat digest length is a u8 and a reason length a u16; the maxima must fit their prefixes.
assert(CONFIG_DIGEST_BYTES_MAX <= 0xff && LEAVE_REASON_BYTES_MAX <= U16_MAX, 'string maxima fit their length prefixes');

/** Whether the packet's own link name differs from the link it arrived on; the caller drops it (count it as 'replay'). */
export function linkMismatch(header: PacketHeader, arrivedOn: LinkName): boolean {
  return header.link !== arrivedOn;
}

// ---------------------------------------------------------------------------------------------------------------------
// Encode

/**
 * Encodes one message with `ring.sendKeyId`. Asserts (programmer error) on a name that is empty, too long or not
 * well-formed Unicode, on out-of-range numbers, on an unknown send key and on message fields past their maxima.
 */
export function encodePacket(input: EncodeInput, message: Message, ring: KeyRing): Buffer {
  const cluster = nameBytes(input.cluster, 'cluster');
  const sender = nameBytes(input.sender, 'sender');
  const link = nameBytes(input.link, 'link');
  assertU32(input.generation, 'generation');
  assertU32(input.seq, 'seq');
  assert(
    Number.isFinite(input.sentAtWallMs) && input.sentAtWallMs >= 0,
    `sentAtWallMs must be finite and >= 0: ${input.sentAtWallMs}`,
  );
  const keyId = ring.sendKeyId;
  assert(Number.isInteger(keyId) && keyId >= KEY_ID_MIN && keyId <= KEY_ID_MAX, `send key id out of range: ${keyId}`);
  const key = findKey(ring, keyId);
  assert(key !== undefined, `send key id ${keyId} is not in the key ring`);

  const payload = encodePayload(message);
  const macOffset = HEADER_FIXED_BYTES + cluster.length + sender.length + link.length + payload.length;
  const packet = Buffer.allocUnsafe(macOffset + MAC_BYTES);
  assert(packet.length <= PACKET_BYTES_MAX, `packet of ${packet.length} bytes exceeds ${PACKET_BYTES_MAX}`);

  let at = 0;
  packet[at++] = MAGIC_0;
  packet[at++] = MAGIC_1;
  packet[at++] = PROTOCOL_VERSION;
  packet[at++] = messageTypeCode(message);
  for (const name of [cluster, sender, link]) {
    packet[at++] = name.length;
    at += name.copy(packet, at);
  }
  at = packet.writeUInt32BE(input.generation, at);
  at = packet.writeUInt32BE(input.seq, at);
  at = packet.writeDoubleBE(input.sentAtWallMs, at);
  packet[at++] = keyId;
  at = packet.writeUInt16BE(payload.length, at);
  at += payload.copy(packet, at);
  assert(at === macOffset, 'encoder layout arithmetic');
  computeMac(key.secret, packet.subarray(0, macOffset)).copy(packet, macOffset);
  return packet;
}

function encodePayload(message: Message): Buffer {
  switch (message.type) {
    case 'heartbeat': {
      const digest = textBytes(message.configDigest, CONFIG_DIGEST_BYTES_MAX, 'configDigest');
      assert(
        Number.isFinite(message.uptimeMs) && message.uptimeMs >= 0,
        `uptimeMs must be finite and >= 0: ${message.uptimeMs}`,
      );
      const payload = Buffer.allocUnsafe(1 + digest.length + 8);
      payload[0] = digest.length;
      digest.copy(payload, 1);
      payload.writeDoubleBE(message.uptimeMs, 1 + digest.length);
      return Buffer.concat([payload, reportSection(message.report)]);
    }
    case 'leave': {
      const reason = textBytes(message.reason, LEAVE_REASON_BYTES_MAX, 'leave reason');
      const payload = Buffer.allocUnsafe(2 + reason.length);
      payload.writeUInt16BE(reason.length, 0);
      reason.copy(payload, 2);
      return Buffer.concat([payload, reportSection(message.report)]);
    }
    default:
      return assertNever(message, 'message');
  }
}

function reportSection(report: NodeReport | undefined): Buffer {
  if (report === undefined) return Buffer.from([0]);
  const encoded = encodeReport(report);
  assert(encoded.length <= REPORT_BYTES_BUDGET, `report of ${encoded.length} bytes exceeds ${REPORT_BYTES_BUDGET}`);
  return Buffer.concat([Buffer.from([1]), encoded]);
}

/** Reads the report section that ends heartbeat and leave payloads since version 2 (version 1 has none). */
function readReportSection(reader: Reader, what: string, version: number): { report?: NodeReport } | string {
  if (version < VERSION_WITH_REPORT) return {};
  const has = reader.u8();
  if (has === undefined) return `${what} truncated before its report flag`;
  if (has === 0) return {};
  if (has !== 1) return `${what} report flag is ${has}`;
  const report = readReport(reader, version);
  return typeof report === 'string' ? report : { report };
}

function messageTypeCode(message: Message): number {
  switch (message.type) {
    case 'heartbeat':
      return MESSAGE_TYPE_HEARTBEAT;
    case 'leave':
      return MESSAGE_TYPE_LEAVE;
    default:
      return assertNever(message, 'message');
  }
}

// A lone surrogate has no UTF-8 form: Buffer would silently turn it into U+FFFD, and the peer would see another text.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function nameBytes(name: string, what: string): Buffer {
  const bytes = textBytes(name, NAME_BYTES_MAX, what);
  assert(bytes.length > 0, `${what} name must not be empty`);
  return bytes;
}

function textBytes(text: string, bytesMax: number, what: string): Buffer {
  assert(!LONE_SURROGATE.test(text), `${what} is not well-formed Unicode (lone surrogate)`);
  const bytes = Buffer.from(text, 'utf8');
  assert(bytes.length <= bytesMax, `${what} is ${bytes.length} UTF-8 bytes, more than ${bytesMax}`);
  return bytes;
}

function assertU32(value: number, what: string): void {
  assert(Number.isInteger(value) && value >= 0 && value <= U32_MAX, `${what} must be a u32: ${value}`);
}

/**
 * Fits free text (a leave reason from an operator, say) for the wire: lone surrogates become U+FFFD and the text is
 * cut at a code-point boundary so that it takes at most `bytesMax` UTF-8 bytes.
 */
export function wireText(text: string, bytesMax: number): string {
  let fitted = '';
  let bytes = 0;
  for (const codePoint of text) {
    const unit = codePoint.length === 1 && LONE_SURROGATE.test(codePoint) ? '\uFFFD' : codePoint;
    const unitBytes = Buffer.byteLength(unit, 'utf8');
    if (bytes + unitBytes > bytesMax) break;
    fitted += unit;
    bytes += unitBytes;
  }
  return fitted;
}

// ---------------------------------------------------------------------------------------------------------------------
// Decode

/** Decodes and authenticates one datagram. Never throws, whatever the bytes. */
export function decodePacket(bytes: Uint8Array, ctx: DecodeContext): DecodeResult {
  if (bytes.length > PACKET_BYTES_MAX) {
    return drop('oversized', `${bytes.length} bytes, more than ${PACKET_BYTES_MAX}`);
  }
  const packet = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const frame = readFrame(packet);
  if (typeof frame === 'string') return drop('malformed', frame);

  if (frame.version < PROTOCOL_VERSION_MIN) {
    return drop('bad-version', `version ${frame.version}, oldest accepted is ${PROTOCOL_VERSION_MIN}`);
  }
  if (frame.cluster !== ctx.cluster) {
    return drop('wrong-cluster', `cluster ${JSON.stringify(frame.cluster)}, expected ${JSON.stringify(ctx.cluster)}`);
  }
  if (!ctx.isKnownNode(frame.sender)) {
    return drop('unknown-node', `sender ${JSON.stringify(frame.sender)} is not a cluster node`);
  }
  const key = findKey(ctx.ring, frame.keyId);
  if (key === undefined) {
    return drop('unknown-key', `key id ${frame.keyId} is not in the key ring`);
  }
  const expected = computeMac(key.secret, packet.subarray(0, frame.macOffset));
  const received = packet.subarray(frame.macOffset, frame.macOffset + MAC_BYTES);
  if (!timingSafeEqual(expected, received)) {
    return drop('bad-mac', `MAC does not verify with key id ${frame.keyId}`);
  }

  const message = readPayload(frame.messageType, frame.payload, frame.version);
  if (typeof message === 'string') return drop('malformed', message);

  const header: PacketHeader = {
    version: frame.version,
    cluster: frame.cluster,
    sender: frame.sender as NodeName,
    link: frame.link as LinkName,
    generation: frame.generation,
    seq: frame.seq,
    sentAtWallMs: frame.sentAtWallMs,
    keyId: frame.keyId,
  };
  return { ok: true, header, message };
}

function drop(reason: DropReason, detail: string): DecodeResult {
  return { ok: false, reason, detail };
}

interface Frame {
  readonly version: number;
  readonly messageType: number;
  readonly cluster: string;
  readonly sender: string;
  readonly link: string;
  readonly generation: number;
  readonly seq: number;
  readonly sentAtWallMs: number;
  readonly keyId: number;
  readonly payload: Buffer;
  readonly macOffset: number;
}


/** Parses the envelope and the framing; returns a sentence on any structural problem. */
function readFrame(packet: Buffer): Frame | string {
  const reader = new Reader(packet);
  const magic0 = reader.u8();
  const magic1 = reader.u8();
  if (magic0 === undefined || magic1 === undefined) return `truncated: ${packet.length} bytes`;
  if (magic0 !== MAGIC_0 || magic1 !== MAGIC_1) return `bad magic 0x${hex2(magic0)}${hex2(magic1)}`;
  const version = reader.u8();
  const messageType = reader.u8();
  if (version === undefined || messageType === undefined) return `truncated: ${packet.length} bytes`;
  const cluster = reader.text('u8', 1, NAME_BYTES_MAX, 'cluster name');
  if (typeof cluster === 'string') return cluster;
  const sender = reader.text('u8', 1, NAME_BYTES_MAX, 'sender name');
  if (typeof sender === 'string') return sender;
  const link = reader.text('u8', 1, NAME_BYTES_MAX, 'link name');
  if (typeof link === 'string') return link;
  const generation = reader.u32();
  const seq = reader.u32();
  const sentAtWallMs = reader.f64();
  const keyId = reader.u8();
  const payloadLength = reader.u16();
  if (
    generation === undefined ||
    seq === undefined ||
    sentAtWallMs === undefined ||
    keyId === undefined ||
    payloadLength === undefined
  ) {
    return `truncated header: ${packet.length} bytes`;
  }
  if (!Number.isFinite(sentAtWallMs) || sentAtWallMs < 0) return `sentAtWallMs is ${sentAtWallMs}`;
  if (keyId < KEY_ID_MIN) return `key id ${keyId} is reserved`;
  const payload = reader.slice(payloadLength);
  if (payload === undefined) return `payload of ${payloadLength} bytes is truncated to ${reader.remaining}`;
  const macOffset = reader.at;
  if (reader.remaining < MAC_BYTES) return `MAC truncated to ${reader.remaining} bytes`;
  if (reader.remaining > MAC_BYTES) return `${reader.remaining - MAC_BYTES} bytes after the MAC`;
  return {
    version,
    messageType,
    cluster: cluster.value,
    sender: sender.value,
    link: link.value,
    generation,
    seq,
    sentAtWallMs,
    keyId,
    payload,
    macOffset,
  };
}

/** Parses an authenticated payload strictly; returns a sentence on any problem. */
function readPayload(messageType: number, payload: Buffer, version: number): Message | string {
  const reader = new Reader(payload);
  let message: Message;
  switch (messageType) {
    case MESSAGE_TYPE_HEARTBEAT: {
      const digest = reader.text('u8', 0, CONFIG_DIGEST_BYTES_MAX, 'heartbeat configDigest');
      if (typeof digest === 'string') return digest;
      const uptimeMs = reader.f64();
      if (uptimeMs === undefined) return 'heartbeat truncated before uptimeMs';
      if (!Number.isFinite(uptimeMs) || uptimeMs < 0) return `heartbeat uptimeMs is ${uptimeMs}`;
      const section = readReportSection(reader, 'heartbeat', version);
      if (typeof section === 'string') return section;
      message = { type: 'heartbeat', configDigest: digest.value, uptimeMs, ...section };
      break;
    }
    case MESSAGE_TYPE_LEAVE: {
      const reason = reader.text('u16', 0, LEAVE_REASON_BYTES_MAX, 'leave reason');
      if (typeof reason === 'string') return reason;
      const section = readReportSection(reader, 'leave', version);
      if (typeof section === 'string') return section;
      message = { type: 'leave', reason: reason.value, ...section };
      break;
    }
    default:
      return version > PROTOCOL_VERSION
        ? `message type ${messageType} is unknown: sender speaks protocol version ${version}, this node ${PROTOCOL_VERSION}`
        : `message type ${messageType} is unknown in protocol version ${version}`;
  }
  // Fields appended by a newer version are skipped; in our own version (or older) extra bytes mean a broken sender.
  if (reader.remaining > 0 && version <= PROTOCOL_VERSION) {
    return `${reader.remaining} bytes after the ${message.type} payload`;
  }
  return message;
}

function findKey(ring: KeyRing, keyId: number): AuthKey | undefined {
  for (const key of ring.keys) if (key.id === keyId) return key;
  return undefined;
}

function computeMac(secret: Buffer, covered: Buffer): Buffer {
  return createHmac('sha256', secret).update(covered).digest();
}

function hex2(byte: number): string {
  return byte.toString(16).padStart(2, '0');
}
