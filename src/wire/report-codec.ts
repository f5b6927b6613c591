/**
 * Binary form of a node's report (its groups and the cluster attributes it gossips), appended to heartbeat and
 * leave payloads.
 *
 * Layout (big-endian):
 *   rev          u32
 *   flags        u8       bit 0 = leaving
 *   groupCount   u16      then per group:
 *     name       u8 length + UTF-8 (1..NAME_BYTES_MAX)
 *     phase      u8       index in PHASES
 *     flags      u8       bit 0 = claim
 *     claimEpoch u32
 *     grant      u8 length + UTF-8 (0..NAME_BYTES_MAX, empty = none)
 *     grantEpoch u32
 *     failCount  u32
 *   attrCount    u16      then per attribute:
 *     key        u8 length + UTF-8 (1..ATTRIBUTE_TEXT_BYTES_MAX)
 *     value      u8 length + UTF-8 (0..ATTRIBUTE_TEXT_BYTES_MAX)
 *     version    f64      integer, >= 1
 *     origin     u8 length + UTF-8 (1..NAME_BYTES_MAX)
 *   since protocol version 3, the quorum section:
 *   qflags       u8       bit 0 = quorate, bit 1 = a ping score follows
 *   pingScore    u16      only with bit 1
 *   vote         u8 length + UTF-8 (0..NAME_BYTES_MAX; an arbitrator's vote, empty otherwise)
 *   aliveCount   u8       then per peer the sender hears: u8 length + UTF-8 (1..NAME_BYTES_MAX)
 *
 * Invariants:
 *   1. `readReport` never throws: any problem is a sentence, and the whole packet is dropped as malformed.
 *   2. Phases are appended to PHASES, never reordered: the index is the wire value.
 */
import { assert } from '../lib/assert.js';
import type { AttributeEntry, GroupPhase, GroupReport, NodeReport } from '../core/group-types.js';
import type { PeerQuorumReport } from '../core/quorum.js';
import { nodeName } from '../core/types.js';
import type { Reader } from './byte-reader.js';

export const PHASES: readonly GroupPhase[] = ['probing', 'stopped', 'failed', 'starting', 'running', 'recovering', 'stopping', 'unclean'];
export const REPORT_NAME_BYTES_MAX = 64;
export const ATTRIBUTE_TEXT_BYTES_MAX = 160;
/** The first protocol version whose reports end with the quorum section. */
export const VERSION_WITH_QUORUM = 3;
const ALIVE_MAX = 255;
const PING_SCORE_MAX = 0xffff;
const U32_MAX = 0xffffffff;

export function encodeReport(report: NodeReport): Buffer {
  const parts: Buffer[] = [];
  const head = Buffer.alloc(7);
  head.writeUInt32BE(report.rev >>> 0, 0);
  head[4] = report.leaving ? 1 : 0;
  head.writeUInt16BE(report.groups.length, 5);
  parts.push(head);
  for (const group of report.groups) {
    const fixed = Buffer.alloc(2);
    const phase = PHASES.indexOf(group.phase);
    assert(phase >= 0, `unknown phase ${group.phase}`);
    fixed[0] = phase;
    fixed[1] = group.claim ? 1 : 0;
    const claimEpoch = Buffer.alloc(4);
    claimEpoch.writeUInt32BE(group.claimEpoch >>> 0, 0);
    const tail = Buffer.alloc(8);
    tail.writeUInt32BE(group.grantEpoch >>> 0, 0);
    tail.writeUInt32BE(Math.min(group.failCount, U32_MAX), 4);
    parts.push(text(group.name, 1, REPORT_NAME_BYTES_MAX, 'group name'), fixed, claimEpoch, text(group.grant, 0, REPORT_NAME_BYTES_MAX, 'grant'), tail);
  }
  const count = Buffer.alloc(2);
  count.writeUInt16BE(report.attributes.length, 0);
  parts.push(count);
  for (const entry of report.attributes) {
    const version = Buffer.alloc(8);
    version.writeDoubleBE(entry.version, 0);
    parts.push(
      text(entry.key, 1, ATTRIBUTE_TEXT_BYTES_MAX, 'attribute key'),
      text(entry.value, 0, ATTRIBUTE_TEXT_BYTES_MAX, 'attribute value'),
      version,
      text(entry.origin, 1, REPORT_NAME_BYTES_MAX, 'attribute origin'),
    );
  }
  const quorum = report.quorum ?? { alive: [], quorate: false, pingScore: undefined, vote: '' };
  assert(quorum.alive.length <= ALIVE_MAX, `${quorum.alive.length} alive peers, at most ${ALIVE_MAX}`);
  const hasPing = quorum.pingScore !== undefined;
  const qhead = Buffer.alloc(hasPing ? 3 : 1);
  qhead[0] = (quorum.quorate ? 1 : 0) | (hasPing ? 2 : 0);
  if (hasPing) qhead.writeUInt16BE(Math.min(Math.max(0, Math.floor(quorum.pingScore ?? 0)), PING_SCORE_MAX), 1);
  parts.push(qhead, text(quorum.vote, 0, REPORT_NAME_BYTES_MAX, 'vote'), Buffer.from([quorum.alive.length]));
  for (const peer of quorum.alive) parts.push(text(peer, 1, REPORT_NAME_BYTES_MAX, 'alive peer'));
  return Buffer.concat(parts);
}

/** Bytes a report takes on the wire, to keep a heartbeat under the packet size. */
export function reportBytes(report: NodeReport): number {
  return encodeReport(report).length;
}

/**
 * Bytes the report's fixed part, its group entries and its quorum section can take at most, for the config's
 * size check (the attributes are gossiped in what is left).
 */
export function groupsReportBytesMax(groupNames: readonly string[], nodeNames: readonly string[]): number {
  const sizes = nodeNames.map((node) => Buffer.byteLength(node, 'utf8'));
  const longest = Math.max(0, ...sizes);
  const quorum = 3 + 1 + longest + 1 + sizes.reduce((sum, size) => sum + 1 + size, 0);
  return 7 + 2 + groupNames.reduce((sum, name) => sum + 1 + Buffer.byteLength(name, 'utf8') + 2 + 4 + 1 + longest + 8, 0) + quorum;
}

/** Room a report keeps for gossiped attributes: a few entries of typical size, beside every group. */
export const ATTRIBUTE_GOSSIP_BYTES_MIN = 240;

export function readReport(reader: Reader, version: number): NodeReport | string {
  const rev = reader.u32();
  const flags = reader.u8();
  const groupCount = reader.u16();
  if (rev === undefined || flags === undefined || groupCount === undefined) return 'report truncated in its header';
  if (flags > 1) return `report flags 0x${flags.toString(16)} unknown`;
  const groups: GroupReport[] = [];
  const names = new Set<string>();
  for (let i = 0; i < groupCount; i++) {
    const name = reader.text('u8', 1, REPORT_NAME_BYTES_MAX, 'group name');
    if (typeof name === 'string') return name;
    const phase = reader.u8();
    const groupFlags = reader.u8();
    if (phase === undefined || groupFlags === undefined) return 'report truncated in a group';
    const phaseName = PHASES[phase];
    if (phaseName === undefined) return `group phase ${phase} unknown`;
    if (groupFlags > 1) return `group flags 0x${groupFlags.toString(16)} unknown`;
    const claimEpoch = reader.u32();
    if (claimEpoch === undefined) return 'report truncated before a claim epoch';
    const grant = reader.text('u8', 0, REPORT_NAME_BYTES_MAX, 'grant');
    if (typeof grant === 'string') return grant;
    const grantEpoch = reader.u32();
    const failCount = reader.u32();
    if (grantEpoch === undefined || failCount === undefined) return 'report truncated before a fail count';
    if (names.has(name.value)) return `group ${JSON.stringify(name.value)} reported twice`;
    names.add(name.value);
    groups.push({ name: name.value, phase: phaseName, claim: groupFlags === 1, claimEpoch, grant: grant.value, grantEpoch, failCount });
  }
  const attrCount = reader.u16();
  if (attrCount === undefined) return 'report truncated before its attributes';
  const attributes: AttributeEntry[] = [];
  for (let i = 0; i < attrCount; i++) {
    const key = reader.text('u8', 1, ATTRIBUTE_TEXT_BYTES_MAX, 'attribute key');
    if (typeof key === 'string') return key;
    const value = reader.text('u8', 0, ATTRIBUTE_TEXT_BYTES_MAX, 'attribute value');
    if (typeof value === 'string') return value;
    const version = reader.f64();
    if (version === undefined) return 'report truncated in an attribute version';
    if (!Number.isSafeInteger(version) || version < 1) return `attribute version ${version} is not a positive integer`;
    const origin = reader.text('u8', 1, REPORT_NAME_BYTES_MAX, 'attribute origin');
    if (typeof origin === 'string') return origin;
    attributes.push({ key: key.value, value: value.value, version, origin: origin.value });
  }
  const base = { rev, leaving: flags === 1, groups, attributes };
  if (version < VERSION_WITH_QUORUM) return base;
  const quorum = readQuorum(reader);
  return typeof quorum === 'string' ? quorum : { ...base, quorum };
}

function readQuorum(reader: Reader): PeerQuorumReport | string {
  const flags = reader.u8();
  if (flags === undefined) return 'report truncated before its quorum section';
  if (flags > 3) return `quorum flags 0x${flags.toString(16)} unknown`;
  let pingScore: number | undefined;
  if ((flags & 2) !== 0) {
    pingScore = reader.u16();
    if (pingScore === undefined) return 'report truncated in its ping score';
  }
  const vote = reader.text('u8', 0, REPORT_NAME_BYTES_MAX, 'vote');
  if (typeof vote === 'string') return vote;
  const count = reader.u8();
  if (count === undefined) return 'report truncated before its alive peers';
  const alive = [];
  for (let i = 0; i < count; i++) {
    const peer = reader.text('u8', 1, REPORT_NAME_BYTES_MAX, 'alive peer');
    if (typeof peer === 'string') return peer;
    alive.push(nodeName(peer.value));
  }
  return { alive, quorate: (flags & 1) !== 0, pingScore, vote: vote.value };
}

function text(value: string, bytesMin: number, bytesMax: number, what: string): Buffer {
  const bytes = Buffer.from(value, 'utf8');
  assert(bytes.length >= bytesMin && bytes.length <= bytesMax, `${what} is ${bytes.length} bytes, allowed ${bytesMin}..${bytesMax}`);
  const out = Buffer.alloc(1 + bytes.length);
  out[0] = bytes.length;
  bytes.copy(out, 1);
  return out;
}
