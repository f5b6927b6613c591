/**
 * Codec throughput: heartbeats encoded (with HMAC-SHA256) and fully decoded (framing, checks, MAC verify, payload)
 * per second on one core. A report, never a pass/fail threshold.
 *
 * Each phase warms up first, then runs in batches so that reading the clock costs little against the work measured.
 */
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { linkName, nodeName, type Message } from '../src/core/types.js';
import type { KeyRing } from '../src/config/model.js';
import { decodePacket, encodePacket, type DecodeContext, type EncodeInput } from '../src/wire/codec.js';

const BATCH_SIZE = 256;
const DURATION_MS_DEFAULT = 2000;

const RING: KeyRing = { keys: [{ id: 1, secret: Buffer.from('0123456789abcdef0123456789abcdef') }], sendKeyId: 1 };
const HEARTBEAT: Message = { type: 'heartbeat', configDigest: '5f2c9a1e0b7d4c3a', uptimeMs: 86_400_000 };
const CTX: DecodeContext = { cluster: 'prod-db', isKnownNode: (name) => name === 'node-a' || name === 'node-b', ring: RING };

function input(seq: number): EncodeInput {
  return {
    cluster: 'prod-db',
    sender: nodeName('node-a'),
    link: linkName('lan'),
    generation: 12,
    seq,
    sentAtWallMs: 1_760_000_000_000 + seq,
  };
}

/** Runs `batch` repeatedly for `durationMs` and returns operations per second; `batch` returns how many it did. */
function measure(durationMs: number, batch: (round: number) => number): number {
  const warmupUntil = performance.now() + Math.min(200, durationMs / 4);
  for (let round = 0; performance.now() < warmupUntil; round++) batch(round);
  let operations = 0;
  const startMs = performance.now();
  let elapsedMs = 0;
  for (let round = 0; elapsedMs < durationMs; round++) {
    operations += batch(round);
    elapsedMs = performance.now() - startMs;
  }
  return (operations * 1000) / elapsedMs;
}

export function runCodecBench(options?: { durationMs?: number }): { encodePerSec: number; decodePerSec: number } {
  const durationMs = options?.durationMs ?? DURATION_MS_DEFAULT;
  const phaseMs = durationMs / 2;

  let encodedBytes = 0;
  const encodePerSec = measure(phaseMs, (round) => {
    for (let i = 0; i < BATCH_SIZE; i++) encodedBytes += encodePacket(input(round * BATCH_SIZE + i), HEARTBEAT, RING).length;
    return BATCH_SIZE;
  });

  const packets = Array.from({ length: BATCH_SIZE }, (_, i) => encodePacket(input(i), HEARTBEAT, RING));
  let accepted = 0;
  const decodePerSec = measure(phaseMs, () => {
    for (const packet of packets) if (decodePacket(packet, CTX).ok) accepted++;
    return packets.length;
  });

  // Using the results keeps the optimiser from discarding the work, and catches a broken codec.
  if (encodedBytes === 0 || accepted === 0) throw new Error('codec bench: nothing was encoded or accepted');
  return { encodePerSec, decodePerSec };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { encodePerSec, decodePerSec } = runCodecBench();
  process.stdout.write(`heartbeat encode + HMAC-SHA256: ${Math.round(encodePerSec)} msg/s\n`);
  process.stdout.write(`full decode + verify:           ${Math.round(decodePerSec)} msg/s\n`);
}
