/**
 * Status reports for the tests of heartbeat's commands: the research lab's cluster (§14) as tandem reports it —
 * nodes n1 and n2 on `bcast eth1`, ping node 192.0.2.1, groups alpha (home n1) and beta (home n2) — seen from n1.
 */
import type { GroupStatus, NodeStatus, StatusReport } from '../../api/status-report.js';
import { DROP_REASONS } from '../../wire/codec.js';
import type { LogContext } from './cl-status.js';

/** A fixed cl_log context: 24 Nov 2026 02:20:37 local time, host vm, pid 4242. */
export const LOG: LogContext = { now: new Date(2026, 10, 24, 2, 20, 37), host: 'vm', pid: 4242 };
export const LOG_PREFIX = 'Nov 24 02:20:37 vm cl_status: [4242]: ERROR: ';

const link = (name: string, state: 'up' | 'late' | 'dead' | 'unknown'): NodeStatus['links'][number] => ({ name, state, lastHeardMsAgo: null, loss: 0, gapMeanMs: 0, gapMaxMs: 0, jitterWarning: false });

export function node(name: string, state: NodeStatus['state'], links: readonly NodeStatus['links'][number][], self = false): NodeStatus {
  return { name, self, state, since: null, reason: '', generation: 1, uptimeMs: 1000, configMatches: true, links };
}

export function group(name: string, nodes: readonly string[], phase: string, holders: readonly string[], target: string | null, extra: Partial<GroupStatus> = {}): GroupStatus {
  return { name, phase, target, holders, pinnedTo: null, blockedBy: null, failCounts: {}, resources: [], nodes, failback: 'manual', migrationThreshold: 3, ...extra };
}

/** The lab cluster from an /etc/ha.d with `auto_failback on`, both nodes up, each group at home. */
export function labReport(overrides: Partial<StatusReport> = {}): StatusReport {
  return {
    version: '0.1.0',
    cluster: 'linux-ha',
    node: 'n1',
    generation: 3,
    uptimeMs: 60_000,
    configDigest: '0123456789abcdef',
    configFile: '/etc/ha.d',
    timings: { keepaliveMs: 1000, warntimeMs: 3000, deadtimeMs: 6000, initdeadMs: 15_000 },
    nodes: [node('n1', 'up', [link('bcast-eth1', 'up')], true), node('n2', 'up', [link('bcast-eth1', 'up')])],
    counters: { dropped: Object.fromEntries(DROP_REASONS.map((reason) => [reason, 0])) as StatusReport['counters']['dropped'], links: {} },
    groups: [group('alpha', ['n1', 'n2'], 'running', ['n1'], 'n1'), group('beta', ['n2', 'n1'], 'stopped', ['n2'], 'n2')],
    quorum: {
      status: 'quorate',
      votes: 2,
      expected: 2,
      needed: 2,
      partition: ['n1', 'n2'],
      reason: '',
      policy: 'stop',
      guarantee: 'none',
      arbitrator: null,
      arbitratorVote: null,
      pingScore: 1,
      pingTargets: 1,
      watchdog: { configured: false, fed: false, detail: '' },
      fencing: { configured: false, inFlight: [], failing: [], history: [], fenced: [] },
    },
    standby: [],
    warnings: [],
    events: [],
    nodeOrder: ['n1', 'n2'],
    links: [{ name: 'bcast-eth1', transport: 'udp-broadcast', port: 694, heartbeatName: 'eth1' }],
    ping: { intervalMs: 1000, deadMs: 6000, tieBreaker: true, targets: [{ name: '192.0.2.1', addresses: ['192.0.2.1'], reachable: true }] },
    origin: { kind: 'ha.d', dir: '/etc/ha.d', parameters: { keepalive: '1', warntime: '3', deadtime: '6', initdead: '15', udpport: '694', bcast: 'eth1', auto_failback: 'on', node: 'n2', ping: '192.0.2.1', respawn: 'hacluster /usr/libexec/heartbeat/ipfail' }, autoFailback: 'on' },
    ...overrides,
  };
}

/** A tandem YAML cluster: three nodes on links lan and backup, no ping, no origin. */
export function yamlReport(overrides: Partial<StatusReport> = {}): StatusReport {
  return labReport({
    cluster: 'prod',
    configFile: '/etc/tandem/tandem.yaml',
    timings: { keepaliveMs: 150, warntimeMs: 400, deadtimeMs: 700, initdeadMs: 3000 },
    nodes: [
      node('n1', 'up', [link('lan', 'up'), link('backup', 'up')], true),
      node('n2', 'late', [link('lan', 'late'), link('backup', 'dead')]),
      node('n3', 'unknown', [link('lan', 'unknown'), link('backup', 'unknown')]),
    ],
    nodeOrder: ['n1', 'n2', 'n3'],
    links: [
      { name: 'lan', transport: 'udp-unicast', port: 694, heartbeatName: 'lan' },
      { name: 'backup', transport: 'udp-multicast', port: 694, heartbeatName: 'backup' },
    ],
    groups: [group('web', ['n1', 'n2', 'n3'], 'running', ['n1'], 'n1'), group('db', ['n3', 'n2', 'n1'], 'stopped', ['n2'], 'n2', { failback: 'auto' })],
    ping: null,
    origin: null,
    ...overrides,
  });
}
