/**
 * A hostile host on the lab's bridge: captures a real heartbeat broadcast by a node, then throws forged,
 * replayed, truncated, oversized and random datagrams at a target node. Runs inside the lab's client
 * namespace (never in the root namespace) and prints what it sent, per expected drop reason, as JSON.
 *
 *   node attacker.js --capture 198.51.100.255 --port 694 --target-lan 192.0.2.10 --target-backup 198.51.100.10
 *                    --cluster lab --victim n2 --secret SECRET
 */
import { createSocket } from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { linkName, nodeName } from '../../src/core/types.js';
import type { KeyRing } from '../../src/config/model.js';
import { decodePacket, encodePacket, type DropReason } from '../../src/wire/codec.js';

const { values } = parseArgs({
  options: {
    capture: { type: 'string' },
    port: { type: 'string', default: '694' },
    'target-lan': { type: 'string' },
    'target-backup': { type: 'string' },
    cluster: { type: 'string' },
    victim: { type: 'string' },
    secret: { type: 'string' },
  },
});
const port = Number(values.port);
const ring: KeyRing = { keys: [{ id: 1, secret: Buffer.from(values.secret ?? '') }], sendKeyId: 1 };
const forgedRing: KeyRing = { keys: [{ id: 1, secret: Buffer.from('not-the-real-secret-at-all') }], sendKeyId: 1 };
const unknownKeyRing: KeyRing = { keys: [{ id: 9, secret: Buffer.from(values.secret ?? '') }], sendKeyId: 9 };

async function capture(): Promise<Buffer> {
  const socket = createSocket({ type: 'udp4', reuseAddr: true });
  await new Promise<void>((resolve) => socket.bind({ address: values.capture, port }, () => resolve()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no heartbeat captured within 5 s')), 5000);
    socket.on('message', (bytes) => {
      const decoded = decodePacket(bytes, { cluster: values.cluster ?? '', isKnownNode: () => true, ring });
      if (decoded.ok && decoded.header.sender === values.victim && decoded.message.type === 'heartbeat') {
        clearTimeout(timer);
        socket.close();
        resolve(bytes);
      }
    });
  });
}

async function main(): Promise<void> {
  const captured = await capture();
  const header = decodePacket(captured, { cluster: values.cluster ?? '', isKnownNode: () => true, ring });
  if (!header.ok) throw new Error('captured packet does not decode');
  const { generation, seq } = header.header;
  const victim = nodeName(values.victim ?? '');
  const backup = linkName('backup');
  const heartbeat = header.message;
  const base = { cluster: values.cluster ?? '', sender: victim, link: backup, generation, seq: seq + 1_000_000, sentAtWallMs: Date.now() };
  const sent: Partial<Record<DropReason, number>> = {};
  const socket = createSocket({ type: 'udp4' });
  const fire = async (reason: DropReason, bytes: Buffer, target = values['target-backup'], times = 1): Promise<void> => {
    for (let i = 0; i < times; i++) {
      await new Promise<void>((resolve) => socket.send(bytes, port, target, () => resolve()));
      sent[reason] = (sent[reason] ?? 0) + 1;
    }
  };
  // Wait until the victim's next heartbeats have reached the target, so the captured one is already seen there.
  await new Promise((resolve) => setTimeout(resolve, 300));
  await fire('replay', captured, values['target-backup'], 3);
  await fire('replay', captured, values['target-lan'], 2); // a packet of one link replayed on another
  await fire('bad-mac', encodePacket(base, heartbeat, forgedRing), values['target-backup'], 4);
  await fire('unknown-key', encodePacket(base, heartbeat, unknownKeyRing), values['target-backup'], 2);
  await fire('wrong-cluster', encodePacket({ ...base, cluster: 'other-cluster' }, heartbeat, ring), values['target-backup'], 2);
  await fire('unknown-node', encodePacket({ ...base, sender: nodeName('intruder') }, heartbeat, ring), values['target-backup'], 2);
  await fire('stale-generation', encodePacket({ ...base, generation: Math.max(0, generation - 1) }, heartbeat, ring), values['target-backup'], 2);
  await fire('malformed', captured.subarray(0, 17), values['target-backup'], 3);
  await fire('oversized', randomBytes(4000), values['target-backup'], 2);
  let random = 0;
  for (let i = 0; i < 200; i++) {
    await new Promise<void>((resolve) => socket.send(randomBytes(1 + (i % 300)), port, values['target-lan'], () => resolve()));
    random += 1;
  }
  socket.close();
  process.stdout.write(JSON.stringify({ sent, random, generation }) + '\n');
}

main().catch((error: unknown) => {
  process.stderr.write(`attacker: ${(error as Error).message}\n`);
  process.exit(1);
});
