/**
 * SLIP framing (RFC 1055) of datagrams on a byte stream, for the serial transport.
 *
 * A serial line is a stream of bytes with no boundaries, and it may start in the middle of a frame (the peer was
 * already talking when we opened the device) or carry line noise. SLIP marks every frame's end with END (0xC0) and
 * escapes END and ESC (0xDB) inside it, so a receiver finds the next boundary whatever came before: after garbage or
 * a partial frame it is back in step at the next END. Each frame is also sent with a leading END (RFC 1055's advice),
 * which closes whatever noise or cut-off frame preceded it; that debris then comes out as one short frame that the
 * caller's authentication drops, instead of being glued to the front of a good frame.
 *
 * The decoder drops (and reports) frames longer than its limit, and frames with an ESC followed by anything but
 * ESC_END or ESC_ESC (RFC 1055 keeps such a byte; a datagram protocol is better served by dropping the frame, since
 * the bytes are known to be damaged). Empty frames (END END) are ignored, as RFC 1055 says.
 *
 * Invariants:
 *   1. `slipDecoder.push(slipEncode(x))` yields exactly `x` (for 1 <= x.length <= maxFrameBytes), however the encoded
 *      bytes are split into chunks, and whatever complete frames or garbage ended before them.
 *   2. No input makes the decoder throw or hold more than `maxFrameBytes` bytes.
 */

export const SLIP_END = 0xc0;
export const SLIP_ESC = 0xdb;
export const SLIP_ESC_END = 0xdc;
export const SLIP_ESC_ESC = 0xdd;

/** `[END] escaped-frame [END]`: at most 2 × length + 2 bytes. */
export function slipEncode(frame: Uint8Array): Buffer {
  let specials = 0;
  for (const byte of frame) if (byte === SLIP_END || byte === SLIP_ESC) specials++;
  const out = Buffer.allocUnsafe(frame.length + specials + 2);
  let at = 0;
  out[at++] = SLIP_END;
  for (const byte of frame) {
    if (byte === SLIP_END) {
      out[at++] = SLIP_ESC;
      out[at++] = SLIP_ESC_END;
    } else if (byte === SLIP_ESC) {
      out[at++] = SLIP_ESC;
      out[at++] = SLIP_ESC_ESC;
    } else {
      out[at++] = byte;
    }
  }
  out[at++] = SLIP_END;
  return out;
}

/** Why a frame was dropped by the decoder. */
export type SlipFramingProblem = 'oversized' | 'bad-escape';

export type SlipEvent =
  | { readonly kind: 'frame'; readonly bytes: Buffer }
  | { readonly kind: 'framing-error'; readonly problem: SlipFramingProblem; readonly detail: string };

/** A streaming decoder: feed it chunks as they arrive; it returns the frames (and dropped ones) they complete. */
export class SlipDecoder {
  private readonly buffer: Buffer;
  private length = 0;
  private escaping = false;
  /** After a framing error: skip everything up to the next END. */
  private discarding = false;

  constructor(readonly maxFrameBytes: number) {
    if (!Number.isInteger(maxFrameBytes) || maxFrameBytes < 1) throw new RangeError(`maxFrameBytes must be a positive integer, not ${maxFrameBytes}`);
    this.buffer = Buffer.alloc(maxFrameBytes);
  }

  push(chunk: Uint8Array): SlipEvent[] {
    const events: SlipEvent[] = [];
    for (const byte of chunk) {
      if (byte === SLIP_END) {
        if (this.escaping && !this.discarding) {
          events.push({ kind: 'framing-error', problem: 'bad-escape', detail: `ESC followed by END after ${this.length} bytes` });
        } else if (!this.discarding && this.length > 0) {
          events.push({ kind: 'frame', bytes: Buffer.from(this.buffer.subarray(0, this.length)) });
        }
        this.reset();
        continue;
      }
      if (this.discarding) continue;
      let value = byte;
      if (this.escaping) {
        this.escaping = false;
        if (byte === SLIP_ESC_END) value = SLIP_END;
        else if (byte === SLIP_ESC_ESC) value = SLIP_ESC;
        else {
          events.push({ kind: 'framing-error', problem: 'bad-escape', detail: `ESC followed by 0x${byte.toString(16).padStart(2, '0')} after ${this.length} bytes` });
          this.discarding = true;
          continue;
        }
      } else if (byte === SLIP_ESC) {
        this.escaping = true;
        continue;
      }
      if (this.length === this.maxFrameBytes) {
        events.push({ kind: 'framing-error', problem: 'oversized', detail: `frame longer than ${this.maxFrameBytes} bytes` });
        this.discarding = true;
        continue;
      }
      this.buffer[this.length++] = value;
    }
    return events;
  }

  private reset(): void {
    this.length = 0;
    this.escaping = false;
    this.discarding = false;
  }
}
