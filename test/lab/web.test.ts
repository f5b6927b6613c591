/**
 * The web harness's pure parts, without root: the prober's HTTP parsing, the probe analysis (outage, gaps,
 * segments), `ip -ts monitor address` parsing and the overlap (split-brain) computation, and the group YAML.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parse } from 'yaml';
import { parseHttpResponse, type ProbeRecord } from './prober.js';
import { analyzeProbes, computeOverlaps, groupsYaml, parseAddressMonitor, parseIpTimestamp, type AddressEvent, type LinkEvent } from './web.js';

test('prober: an HTTP answer gives the node from X-Node, else from the first body line', () => {
  assert.deepEqual(parseHttpResponse('HTTP/1.1 200 OK\r\nServer: nginx\r\nX-Node: n2\r\n\r\nhello\n'), { status: 200, node: 'n2', body: 'hello' });
  assert.deepEqual(parseHttpResponse('HTTP/1.1 200 OK\r\nServer: nginx\r\n\r\nn3\n'), { status: 200, node: 'n3', body: 'n3' });
  assert.equal(parseHttpResponse('HTTP/1.1 502 Bad Gateway\r\nx-node: n1\r\n\r\n')?.status, 502);
  assert.equal(parseHttpResponse('garbage'), undefined);
});

function probe(seq: number, sentAtWallMs: number, node: string | undefined, latencyMs = 1): ProbeRecord {
  return node === undefined ? { seq, sentAtWallMs, ok: false, error: 'timeout', latencyMs: 200 } : { seq, sentAtWallMs, ok: true, node, latencyMs };
}

test('probe analysis: segments, failures, longest gap and the outage after a fault', () => {
  const probes = [probe(1, 1000, 'n1'), probe(2, 1020, 'n1'), probe(3, 1040, undefined), probe(4, 1060, undefined), probe(5, 1080, 'n2', 3), probe(6, 1100, 'n2')];
  const analysis = analyzeProbes(probes, { faultWallMs: 1030, faultedNode: 'n1' });
  assert.deepEqual(analysis.byNode, { n1: 2, n2: 2 });
  assert.equal(analysis.failed, 2);
  assert.deepEqual(analysis.errors, { timeout: 2 });
  assert.deepEqual(analysis.segments.map((segment) => [segment.node, segment.count]), [['n1', 2], ['error', 2], ['n2', 2]]);
  assert.equal(analysis.longestGapMs, 60);
  assert.equal(analysis.outageMs, 1080 + 3 - 1030);
  assert.equal(analyzeProbes(probes, { fromMs: 1050 }).total, 3);
});

test('ip monitor: add and delete events of the watched addresses, with their timestamps', () => {
  const output = [
    '[2026-11-23T21:30:01.654782] 2: eth0    inet 192.0.2.100/24 scope global secondary eth0',
    '       valid_lft forever preferred_lft forever',
    '[2026-11-23T21:30:01.700000] 2: eth0    inet 192.0.2.101/24 scope global secondary eth0',
    '[2026-11-23T21:30:02.036659] Deleted 2: eth0    inet 192.0.2.100/24 scope global secondary eth0',
    '[2026-11-23T21:30:03.000000] 2: eth0    inet6 2001:db8::100/64 scope global nodad',
  ].join('\n');
  const events = parseAddressMonitor('n1', output, ['192.0.2.100', '2001:db8::100']);
  assert.deepEqual(events.map((event) => [event.kind, event.address]), [['add', '192.0.2.100'], ['delete', '192.0.2.100'], ['add', '2001:db8::100']]);
  const first = events[0];
  const second = events[1];
  assert.ok(first && second);
  assert.equal(Math.round((second.wallMs - first.wallMs) * 1000), 381877);
  assert.equal(parseIpTimestamp('2026-11-23T21:30:01.654782'), new Date(2026, 10, 23, 21, 30, 1).getTime() + 654.782);
});

function at(node: string, wallMs: number, kind: 'add' | 'delete'): AddressEvent {
  return { node, wallMs, kind, address: '192.0.2.100' };
}

test('overlaps: two connected holders count, a holder whose links are down does not', () => {
  const nodes = ['n1', 'n2'];
  const addresses = ['192.0.2.100'];
  // A clean handover: no overlap.
  const clean = computeOverlaps({ nodes, addresses, events: [at('n1', 0, 'add'), at('n1', 100, 'delete'), at('n2', 105, 'add')], links: [], endMs: 1000 });
  assert.equal(clean.intervals.length, 0);
  // Both hold from 100 to 150: a split brain of 50 ms.
  const split = computeOverlaps({ nodes, addresses, events: [at('n1', 0, 'add'), at('n2', 100, 'add'), at('n1', 150, 'delete')], links: [], endMs: 1000 });
  assert.deepEqual(split.intervals.map((i) => [i.fromMs, i.toMs, i.nodes]), [[100, 150, ['n1', 'n2']]]);
  assert.equal(split.totalMs, 50);
  assert.equal(split.splitBrain.length, 1);
  // n1 keeps the address but its links go down at 90 and come back at 400, after it dropped it at 300.
  const links: LinkEvent[] = [{ node: 'n1', wallMs: 90, up: false }, { node: 'n1', wallMs: 400, up: true }];
  const isolated = computeOverlaps({ nodes, addresses, events: [at('n1', 0, 'add'), at('n2', 100, 'add'), at('n1', 300, 'delete')], links, endMs: 1000 });
  assert.equal(isolated.intervals.length, 0);
  // ...but if n1 still holds it when its links come back, that counts.
  const back = computeOverlaps({ nodes, addresses, events: [at('n1', 0, 'add'), at('n2', 100, 'add'), at('n1', 450, 'delete')], links, endMs: 1000 });
  assert.deepEqual(back.intervals.map((i) => [i.fromMs, i.toMs]), [[400, 450]]);
  // Within the timestamps' precision: reported, not a split brain.
  const jitter = computeOverlaps({ nodes, addresses, events: [at('n1', 0, 'add'), at('n2', 100, 'add'), at('n1', 100.01, 'delete')], links: [], endMs: 1000 });
  assert.equal(jitter.intervals.length, 1);
  assert.equal(jitter.splitBrain.length, 0);
});

test('group YAML: what the harness writes is the YAML it means', () => {
  const text = groupsYaml({
    name: 'web',
    nodes: ['n1', 'n2'],
    failback: 'auto',
    migrationThreshold: 2,
    resources: [
      { id: 'web-ip', agent: 'ipaddr', params: { address: '192.0.2.100', prefix: 24, interface: 'eth0' }, monitor: { interval: '1s', timeout: '5s' } },
      { id: 'web-nginx', agent: 'exec', command: ['/bin/sh', '-c', "exec nginx -g 'daemon off;'"], stop_signal: 'SIGTERM' },
    ],
  });
  assert.deepEqual(parse(text), {
    groups: [
      {
        name: 'web',
        nodes: ['n1', 'n2'],
        failback: 'auto',
        migration_threshold: 2,
        resources: [
          { id: 'web-ip', agent: 'ipaddr', params: { address: '192.0.2.100', prefix: 24, interface: 'eth0' }, monitor: { interval: '1s', timeout: '5s' } },
          { id: 'web-nginx', agent: 'exec', command: ['/bin/sh', '-c', "exec nginx -g 'daemon off;'"], stop_signal: 'SIGTERM' },
        ],
      },
    ],
  });
});
