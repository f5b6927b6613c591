/** The human status view: every node and link at a glance, reasons for the unhealthy, no colour off a terminal. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { StatusReport } from '../api/status-report.js';
import { DROP_REASONS } from '../wire/codec.js';
import { colours, formatStatus, plain } from './format-status.js';

const link = (name: string, state: 'up' | 'dead', lastHeardMsAgo: number | null) => ({ name, state, lastHeardMsAgo, loss: 0.02, gapMeanMs: 100, gapMaxMs: 130, jitterWarning: false });

const report: StatusReport = {
  version: '0.1.0',
  cluster: 'lab',
  node: 'n1',
  generation: 3,
  uptimeMs: 41_000,
  configDigest: '0123456789abcdef',
  configFile: '/etc/tandem/tandem.yaml',
  timings: { keepaliveMs: 100, warntimeMs: 300, deadtimeMs: 500, initdeadMs: 2000 },
  nodes: [
    { name: 'n1', self: true, state: 'up', since: '2026-11-23T12:03:11.000Z', reason: 'this node', generation: 3, uptimeMs: 41_000, configMatches: true, links: [{ ...link('lan', 'up', null), endpoint: 'udp-unicast 192.0.2.10:694' }] },
    { name: 'n2', self: false, state: 'up', since: '2026-11-23T12:03:11.000Z', reason: 'heartbeat', generation: 1, uptimeMs: 40_000, configMatches: false, links: [link('lan', 'up', 60)] },
    { name: 'n3', self: false, state: 'dead', since: '2026-11-23T12:03:49.000Z', reason: 'no heartbeat on lan for 512 ms (deadtime 500 ms)', generation: 1, uptimeMs: 37_000, configMatches: true, links: [link('lan', 'dead', 512)] },
  ],
  counters: { dropped: { ...Object.fromEntries(DROP_REASONS.map((reason) => [reason, 0])), 'bad-mac': 4 } as StatusReport['counters']['dropped'], links: {} },
  groups: [],
  quorum: {
    status: 'quorate',
    votes: 2,
    expected: 3,
    needed: 2,
    partition: ['n1', 'n2'],
    reason: '2 of 3 votes (2 needed)',
    policy: 'stop',
    guarantee: 'fencing',
    arbitrator: null,
    arbitratorVote: null,
    pingScore: 1,
    pingTargets: 2,
    watchdog: { configured: true, fed: true, detail: 'fed every 1666 ms' },
    fencing: {
      configured: true,
      inFlight: [],
      failing: [],
      history: [{ node: 'n3', wallTime: '2026-11-23T12:03:49.300Z', ok: true, by: 'n1', summary: 'n3 fenced by lab (level 1, off) in 120 ms' }],
      fenced: [{ node: 'n3', generation: 1, by: 'n1', summary: 'n3 fenced by lab (level 1, off) in 120 ms' }],
    },
  },
  standby: [],
  warnings: ['n2 runs a different cluster config (digests differ)'],
  events: [{ wallTime: '2026-11-23T12:03:49.100Z', kind: 'peer-dead', node: 'n3', reason: 'no heartbeat on lan for 512 ms (deadtime 500 ms)' }],
};

test('status text shows each node, its links, the reason of a dead node, drops, warnings and events', () => {
  const text = formatStatus(report, plain);
  assert.match(text, /cluster lab {2}node n1 {2}generation 3/);
  assert.match(text, /^n1\* +up .*lan up \(udp-unicast 192\.0\.2\.10:694\)/m);
  assert.match(text, /^n2 +up .*DIFFERENT .*lan up 60ms ago, 2\.0% loss/m);
  assert.match(text, /^n3 +dead .*lan dead 512ms ago/m);
  assert.match(text, /└ no heartbeat on lan for 512 ms \(deadtime 500 ms\)/);
  assert.match(text, /dropped packets: bad-mac 4$/m);
  assert.match(text, /^quorum: quorate, 2\/3 votes \(2 needed\), policy stop, protection: fencing; ping 1\/2; watchdog fed; fencing ready$/m);
  assert.match(text, /fencing 12:03:49 n3 by n1: done \(n3 fenced by lab/);
  assert.match(text, /warning: n2 runs a different cluster config/);
  assert.match(text, /12:03:49 peer-dead n3: no heartbeat/);
  assert.ok(!text.includes('\x1b['), 'no escape codes off a terminal');
  const coloured = formatStatus(report, colours);
  assert.ok(coloured.includes('\x1b[31mdead'), 'dead is red on a terminal');
  assert.ok(coloured.includes('\x1b[32mup'), 'up is green on a terminal');
});
