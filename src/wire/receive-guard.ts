/**
 * Receive guard: refuses replayed packets and packets from a sender's earlier boot, after they authenticated.
 *
 * A captured packet keeps a valid MAC forever, so the MAC alone cannot stop an attacker (or a looping switch) from
 * sending it again. The guard remembers, per sender, the highest boot generation seen, and per (sender, link) a
 * sliding window of sequence numbers in the style of the IPsec anti-replay window (RFC 4303 §3.4.3).
 *
 * It is pure: no clock, no I/O. Only authenticated packets may be admitted, because admitting one records it.
 *
 * Invariants:
 *   1. Per sender, the remembered generation never decreases; a lower generation is 'stale-generation'.
 *   2. A higher generation forgets every window of that sender: sequence numbers start again at 0.
 *   3. Within one (sender, link, generation), each sequence number is admitted at most once; one older than the
 *      window (highest admitted − windowSize or less) is 'replay', even if it was never seen.
 *   4. Links are independent: each has its own sequence, so the same seq on two links is two packets.
 *
 * Limitation: after this node restarts, the first packet of a peer's current generation is taken on trust (there is
 * no window yet). The persisted generations (`generations` / `seedGeneration`) still refuse every older boot.
 */
import { assert } from '../lib/assert.js';
import type { LinkName, NodeName } from '../core/types.js';

/** Default number of sequence numbers behind the highest one that may still arrive (reordering across links). */
export const REPLAY_WINDOW_SIZE_DEFAULT = 64;
/** Largest window accepted; bounds memory per (sender, link) to a few hundred bytes. */
export const REPLAY_WINDOW_SIZE_MAX = 4096;

export type AdmitVerdict = 'ok' | 'replay' | 'stale-generation';

const U32_MAX = 0xffff_ffff;

/** One (sender, link) window: the highest admitted seq and a ring of seen-bits for the `size` seqs up to it. */
class SeqWindow {
  private highest = -1;
  private readonly seen: Uint8Array;

  constructor(private readonly size: number) {
    this.seen = new Uint8Array(size);
  }

  admit(seq: number): 'ok' | 'replay' {
    if (seq > this.highest) {
      const advance = seq - this.highest;
      if (this.highest < 0 || advance >= this.size) {
        this.seen.fill(0);
      } else {
        // The slots of the seqs the window slides past are reused by the new ones, which are unseen.
        for (let s = this.highest + 1; s < seq; s++) this.seen[s % this.size] = 0;
      }
      this.highest = seq;
      this.seen[seq % this.size] = 1;
      return 'ok';
    }
    if (this.highest - seq >= this.size) return 'replay';
    const slot = seq % this.size;
    if (this.seen[slot] === 1) return 'replay';
    this.seen[slot] = 1;
    return 'ok';
  }
}

interface SenderState {
  generation: number;
  readonly windows: Map<LinkName, SeqWindow>;
}

export class ReceiveGuard {
  private readonly windowSize: number;
  private readonly senders = new Map<NodeName, SenderState>();

  constructor(options?: { windowSize?: number }) {
    const windowSize = options?.windowSize ?? REPLAY_WINDOW_SIZE_DEFAULT;
    assert(
      Number.isInteger(windowSize) && windowSize >= 1 && windowSize <= REPLAY_WINDOW_SIZE_MAX,
      `windowSize must be an integer in 1..${REPLAY_WINDOW_SIZE_MAX}: ${windowSize}`,
    );
    this.windowSize = windowSize;
  }

  /** Checks and, when accepted, records. */
  admit(sender: NodeName, link: LinkName, generation: number, seq: number): AdmitVerdict {
    assertU32(generation, 'generation');
    assertU32(seq, 'seq');
    let state = this.senders.get(sender);
    if (state === undefined) {
      state = { generation, windows: new Map() };
      this.senders.set(sender, state);
    } else if (generation < state.generation) {
      return 'stale-generation';
    } else if (generation > state.generation) {
      state.generation = generation;
      state.windows.clear();
    }
    let window = state.windows.get(link);
    if (window === undefined) {
      window = new SeqWindow(this.windowSize);
      state.windows.set(link, window);
    }
    return window.admit(seq);
  }

  /** The highest generation seen from each sender (persisted by the daemon so a restart still refuses old generations). */
  generations(): ReadonlyMap<NodeName, number> {
    const copy = new Map<NodeName, number>();
    for (const [sender, state] of this.senders) copy.set(sender, state.generation);
    return copy;
  }

  /** Raises the remembered generation of `sender` to at least `generation`; it never lowers it. */
  seedGeneration(sender: NodeName, generation: number): void {
    assertU32(generation, 'generation');
    const state = this.senders.get(sender);
    if (state === undefined) {
      this.senders.set(sender, { generation, windows: new Map() });
    } else if (generation > state.generation) {
      state.generation = generation;
      state.windows.clear();
    }
  }
}

function assertU32(value: number, what: string): void {
  assert(Number.isInteger(value) && value >= 0 && value <= U32_MAX, `${what} must be a u32: ${value}`);
}
