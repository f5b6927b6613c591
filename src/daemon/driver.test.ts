/**
 * The driver end to end in one process: three drivers joined by an in-memory transport, real codec, real core,
 * real timers at a short keepalive. Checks the receive path (decode → link check → replay guard → core), drop
 * counting, persisted state and the graceful leave — without namespaces, so it runs anywhere.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { ClusterConfig, KeyRing } from '../config/model.js';
import { linkName, nodeName, type LinkName, type NodeName } from '../core/types.js';
import { systemClock } from '../lib/clock.js';
import type { Transport, TransportHandlers } from '../net/transport.js';
import { createLogger } from '../obs/logger.js';
import { Driver } from './driver.js';
import { DEFAULT_RECONCILE } from '../config/model.js';
import { StateStore } from './state-store.js';

const NODES = ['a', 'b', 'c'].map(nodeName);
const LINKS = ['lan', 'backup'].map(linkName);

function config(dir: string): ClusterConfig {
  return {
    cluster: 'unit',
    keyFile: join(dir, 'keys'),
    timings: { keepaliveMs: 20, warntimeMs: 60, deadtimeMs: 120, initdeadMs: 400 },
    links: LINKS.map((name) => ({ name, transport: 'udp-unicast', port: 694 })),
    nodes: NODES.map((name, i) => ({ name, links: { lan: { address: `192.0.2.${i + 10}` }, backup: { address: `198.51.100.${i + 10}` } } })),
    logging: { format: 'json', level: 'error' },
    stateDir: join(dir, 'state'),
    groups: [],
    reconcile: DEFAULT_RECONCILE,
    quorum: { votes: {}, noQuorum: 'stop', waitForAll: false },
    runtimeDir: join(dir, 'run'),
  };
}

const ring: KeyRing = { keys: [{ id: 1, secret: Buffer.from('unit-test-secret-0123456789') }], sendKeyId: 1 };

/** A hub per link: a datagram sent by one node reaches every other node on that link (unless the link is cut). */
class MemoryNetwork {
  readonly handlers = new Map<string, TransportHandlers>();
  readonly cut = new Set<string>();
  injected: Array<(bytes: Buffer) => void> = [];

  open = async (_config: ClusterConfig, self: NodeName, link: LinkName, handlers: TransportHandlers): Promise<Transport> => {
    this.handlers.set(`${self}/${link}`, handlers);
    return {
      link,
      description: `memory ${self}/${link}`,
      send: (bytes) => {
        if (this.cut.has(`${self}/${link}`)) return;
        for (const [key, target] of this.handlers) {
          const [peer, peerLink] = key.split('/');
          if (peer !== self && peerLink === link && !this.cut.has(key)) setImmediate(() => target.onDatagram(link, { bytes: Buffer.from(bytes), source: self }));
        }
      },
      close: async () => {
        this.handlers.delete(`${self}/${link}`);
      },
    };
  };

  deliver(to: NodeName, link: LinkName, bytes: Buffer): void {
    this.handlers.get(`${to}/${link}`)?.onDatagram(link, { bytes, source: 'test' });
  }
}

async function until(what: string, check: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const stateOf = (driver: Driver, peer: string): string | undefined => driver.membership().peers.find((entry) => entry.name === peer)?.state;

test('drivers over an in-memory network: up, a cut link, bad packets counted, a graceful leave', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tandem-driver-'));
  const network = new MemoryNetwork();
  const drivers: Driver[] = [];
  try {
    for (const self of NODES) {
      drivers.push(
        await Driver.start({
          config: { ...config(dir), stateDir: join(dir, self) },
          ring,
          self,
          clock: systemClock(),
          logger: createLogger({ format: 'json', level: 'error', write: () => {}, wallNow: Date.now }),
          store: new StateStore(join(dir, self)),
          openTransport: network.open,
          buildAgent: () => ({ ok: false, issues: [] }),
        }),
      );
    }
    const [a, b, c] = drivers as [Driver, Driver, Driver];
    await until('all up', () => drivers.every((driver) => driver.membership().peers.every((peer) => peer.state === 'up')));
    assert.equal(a.generation, 1);

    network.cut.add('c/lan');
    await until('a sees c/lan dead', () => a.membership().peers.find((peer) => peer.name === 'c')?.links.find((link) => link.name === 'lan')?.state === 'dead');
    assert.equal(stateOf(a, 'c'), 'up', 'c is still heard on backup');
    network.cut.delete('c/lan');

    network.deliver(nodeName('a'), linkName('lan'), Buffer.from('not a tandem packet'));
    network.deliver(nodeName('a'), linkName('lan'), Buffer.alloc(5000));
    await until('drops counted', () => a.drops.total() === 2);
    const dropped = a.drops.snapshot();
    assert.equal(dropped.oversized, 1);
    assert.equal(dropped.malformed, 1);

    await b.leave('unit test');
    await until('a and c see b left', () => stateOf(a, 'b') === 'left' && stateOf(c, 'b') === 'left');
    assert.ok(a.events.recent(100).some((event) => event.kind === 'peer-left' && event.node === 'b'));
    const persisted = JSON.parse(readFileSync(join(dir, 'a', 'membership.json'), 'utf8')) as { members: Record<string, string> };
    assert.equal(persisted.members['b'], 'left', 'the last known membership is on disk');
  } finally {
    await Promise.all(drivers.map((driver) => driver.close()));
    rmSync(dir, { recursive: true, force: true });
  }
});
