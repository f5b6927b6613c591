/**
 * The receive path of every datagram, shared by the daemon's driver and the simulator (which drives it with real
 * bytes): decode and authenticate → drop our own looped-back packets → the packet's link must be the arrival link
 * (a genuine packet of another link arrives here only if someone captured and re-sent it: a replay) → guard.
 */
import type { Envelope, LinkName, Message, NodeName } from '../core/types.js';
import type { KeyRing } from '../config/model.js';
import { decodePacket, linkMismatch, type DropReason } from './codec.js';
import type { ReceiveGuard } from './receive-guard.js';

export type Received =
  | { readonly ok: true; readonly envelope: Envelope; readonly message: Message }
  | { readonly ok: false; readonly reason: DropReason | 'own-packet'; readonly detail: string };

export interface ReceiveContext {
  readonly self: NodeName;
  readonly cluster: string;
  readonly ring: KeyRing;
  isKnownNode(name: string): boolean;
  /** Undefined only in the deliberately broken variant the checker tests use. */
  readonly guard: ReceiveGuard | undefined;
}

export function receivePacket(bytes: Uint8Array, arrivedOn: LinkName, ctx: ReceiveContext): Received {
  const decoded = decodePacket(bytes, ctx);
  if (!decoded.ok) return decoded;
  const { header, message } = decoded;
  if (header.sender === ctx.self) return { ok: false, reason: 'own-packet', detail: 'looped back' };
  if (linkMismatch(header, arrivedOn)) {
    return { ok: false, reason: 'replay', detail: `packet for link ${header.link} arrived on ${arrivedOn}` };
  }
  const verdict = ctx.guard?.admit(header.sender, arrivedOn, header.generation, header.seq) ?? 'ok';
  if (verdict !== 'ok') {
    return { ok: false, reason: verdict, detail: `from ${header.sender} generation ${header.generation} seq ${header.seq}` };
  }
  const envelope: Envelope = {
    from: header.sender,
    link: arrivedOn,
    generation: header.generation,
    seq: header.seq,
    sentAtWallMs: header.sentAtWallMs,
  };
  return { ok: true, envelope, message };
}
