/**
 * `groups:` and `reconcile:` in the tandem YAML front-end: what valid groups become (every agent kind, defaults,
 * order kept), where each resource's fields are remembered, and how problems are placed. The position-by-position
 * error cases live in the corpus (test/config-corpus/37-… to 50-…).
 */
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { IPADDR_DEFAULTS } from '../../agents/ipaddr.js';
import { nodeName } from '../../core/types.js';
import { DEFAULT_GROUP_POLICY, DEFAULT_RECONCILE, DEFAULT_RESOURCE_TIMINGS, type GroupConfig } from '../model.js';
import { parseTandemConfig, readTandemConfig } from './parse.js';
import { parseAgentName } from './resources.js';

const HEAD = `
cluster: demo
key_file: keys
links:
  - { name: lan, transport: udp-unicast }
nodes:
  - { name: n1, links: { lan: 192.0.2.11 } }
  - { name: n2, links: { lan: 192.0.2.12 } }
  - { name: n3, links: { lan: 192.0.2.13 } }
`;

const FULL = `${HEAD}groups:
  - name: web
    nodes: [n2, n1, n3]
    failback: auto
    migration_threshold: 5
    failure_timeout: 0s
    resources:
      - id: web-ip
        agent: ipaddr
        params: { address: "2001:db8::100", prefix: 64, interface: eth0, announce_count: 0, announce_interval: 1s }
        start: { timeout: 5s }
        stop: { timeout: 6s }
        monitor: { interval: 0s, timeout: 7s }
      - id: data
        agent: filesystem
        params: { device: /dev/sdb1, directory: /srv/data/, fstype: ext4 }
      - id: nginx
        agent: ocf:heartbeat:nginx
        params: { configfile: /etc/nginx/nginx.conf, port: 080, debug: true, ratio: 1.50 }
      - { id: svc, agent: "lsb:nginx" }
      - { id: unit, agent: "systemd:nginx.service" }
      - { id: legacy, agent: "heartbeat:IPaddr", args: [192.0.2.101/24, 8080] }
      - id: daemon
        agent: exec
        command: [/usr/sbin/nginx, -g, "daemon off;", 2]
        health: [/usr/bin/curl, -fsS, http://127.0.0.1/]
  - name: db
    nodes: [n1, n2]
    resources:
      - { id: db-run, agent: exec, command: [postgres], stop_signal: SIGINT }
reconcile: { interval: 0s, stray_addresses: report }
`;

const DEFAULT_TIMINGS_OF_RESOURCE = { ...DEFAULT_RESOURCE_TIMINGS };

test('every agent kind is read, with its parameters, in the order written', () => {
  const { config, issues } = parseTandemConfig(FULL, '/etc/tandem/tandem.yaml');
  assert.deepEqual(issues, []);
  const expected: GroupConfig[] = [
    {
      name: 'web',
      nodes: ['n2', 'n1', 'n3'].map(nodeName),
      failback: 'auto',
      migrationThreshold: 5,
      failureTimeoutMs: 0,
      resources: [
        {
          id: 'web-ip',
          agent: { kind: 'ipaddr', address: '2001:db8::100', prefix: 64, interface: 'eth0', announceCount: 0, announceIntervalMs: 1000 },
          startTimeoutMs: 5000,
          stopTimeoutMs: 6000,
          monitorIntervalMs: 0,
          monitorTimeoutMs: 7000,
        },
        // The directory in the agent's normal form: /srv/data/ and /srv/data are one mount point.
        { id: 'data', agent: { kind: 'filesystem', device: '/dev/sdb1', directory: '/srv/data', fstype: 'ext4', options: '' }, ...DEFAULT_TIMINGS_OF_RESOURCE },
        // OCF parameters are text: numbers and booleans as written (080 stays 080, 1.50 stays 1.50).
        { id: 'nginx', agent: { kind: 'ocf', provider: 'heartbeat', type: 'nginx', params: { configfile: '/etc/nginx/nginx.conf', port: '080', debug: 'true', ratio: '1.50' } }, ...DEFAULT_TIMINGS_OF_RESOURCE },
        { id: 'svc', agent: { kind: 'lsb', name: 'nginx' }, ...DEFAULT_TIMINGS_OF_RESOURCE },
        { id: 'unit', agent: { kind: 'systemd', unit: 'nginx.service' }, ...DEFAULT_TIMINGS_OF_RESOURCE },
        { id: 'legacy', agent: { kind: 'heartbeat', script: 'IPaddr', args: ['192.0.2.101/24', '8080'] }, ...DEFAULT_TIMINGS_OF_RESOURCE },
        {
          id: 'daemon',
          agent: { kind: 'exec', command: ['/usr/sbin/nginx', '-g', 'daemon off;', '2'], health: ['/usr/bin/curl', '-fsS', 'http://127.0.0.1/'], stopSignal: 'SIGTERM' },
          ...DEFAULT_TIMINGS_OF_RESOURCE,
        },
      ],
    },
    {
      name: 'db',
      nodes: ['n1', 'n2'].map(nodeName),
      ...DEFAULT_GROUP_POLICY,
      resources: [{ id: 'db-run', agent: { kind: 'exec', command: ['postgres'], stopSignal: 'SIGINT' }, ...DEFAULT_TIMINGS_OF_RESOURCE }],
    },
  ];
  assert.deepEqual(config?.groups, expected);
  assert.deepEqual(config?.reconcile, { intervalMs: 0, strayAddresses: 'report' });
});

test('defaults: no groups and the default reconcile when absent; ipaddr announcements and policies filled in', () => {
  assert.deepEqual(parseTandemConfig(HEAD, 'c.yaml').config?.groups, []);
  assert.deepEqual(parseTandemConfig(`${HEAD}groups: []\n`, 'c.yaml').config?.groups, []);
  assert.deepEqual(parseTandemConfig(HEAD, 'c.yaml').config?.reconcile, DEFAULT_RECONCILE);
  assert.deepEqual(parseTandemConfig(`${HEAD}reconcile: { interval: 1m }\n`, 'c.yaml').config?.reconcile, { intervalMs: 60_000, strayAddresses: 'remove' });
  const text = `${HEAD}groups:\n  - { name: g, nodes: [n1, n2], resources: [{ id: v, agent: ipaddr, params: { address: 192.0.2.9, prefix: 32, interface: eth0 } }] }\n`;
  const group = parseTandemConfig(text, 'c.yaml').config?.groups[0];
  assert.equal(group?.failback, 'manual');
  assert.equal(group?.migrationThreshold, DEFAULT_GROUP_POLICY.migrationThreshold);
  assert.equal(group?.failureTimeoutMs, DEFAULT_GROUP_POLICY.failureTimeoutMs);
  assert.deepEqual(group?.resources[0]?.agent, { kind: 'ipaddr', address: '192.0.2.9', prefix: 32, interface: 'eth0', ...IPADDR_DEFAULTS });
});

test('where each resource and its fields were written is returned with the config', () => {
  const read = readTandemConfig(FULL, 'c.yaml');
  assert.ok(read.config);
  assert.deepEqual(read.resources?.get('nginx'), {
    at: { line: 26, column: 9 },
    path: 'groups[0].resources[2]',
    agent: { line: 27, column: 16 },
    params: { line: 28, column: 9 },
    paramKeys: { configfile: { line: 28, column: 19 }, port: { line: 28, column: 54 }, debug: { line: 28, column: 65 }, ratio: { line: 28, column: 78 } },
  });
  assert.deepEqual(read.resources?.get('daemon')?.command, { line: 34, column: 19 });
  assert.deepEqual(read.resources?.get('daemon')?.health, { line: 35, column: 18 });
  assert.deepEqual([...(read.resources?.keys() ?? [])], ['web-ip', 'data', 'nginx', 'svc', 'unit', 'legacy', 'daemon', 'db-run']);
});

test('0s turns off what may be off, and only that', () => {
  const withTimings = (timings: string): string =>
    `${HEAD}groups:\n  - { name: g, nodes: [n1, n2], resources: [{ id: s, agent: "lsb:x", ${timings} }] }\n`;
  assert.equal(parseTandemConfig(withTimings('monitor: { interval: 0s }'), 'c.yaml').config?.groups[0]?.resources[0]?.monitorIntervalMs, 0);
  for (const bad of ['start: { timeout: 0s }', 'stop: { timeout: 0ms }', 'monitor: { timeout: 0s }', 'monitor: { interval: 10 }']) {
    const { config, issues } = parseTandemConfig(withTimings(bad), 'c.yaml');
    assert.equal(config, undefined, bad);
    assert.deepEqual(issues.map((i) => i.code), ['TND_E_CONFIG_DURATION'], bad);
  }
});

test('warnings (one node, a frequent monitor) do not block', () => {
  const text = `${HEAD}groups:\n  - name: g\n    nodes: [n3]\n    resources:\n      - { id: s, agent: "lsb:x", monitor: { interval: 500ms } }\n`;
  const { config, issues } = parseTandemConfig(text, 'c.yaml');
  assert.ok(config);
  assert.deepEqual(issues.map((i) => [i.severity, i.code, i.line, i.column, i.path]), [
    ['warning', 'TND_W_CONFIG_GROUP_ONE_NODE', 12, 5, 'groups[0].nodes'],
    ['warning', 'TND_W_CONFIG_MONITOR_FREQUENT', 14, 55, 'groups[0].resources[0].monitor.interval'],
  ]);
});

test('group issues come in the same pass as the others, in reading order, at the exact field', () => {
  const text = `${HEAD.replace('udp-unicast', 'udp-unicst')}groups:
  - name: g
    nodes: [n1, n9]
    resources:
      - id: ip
        agent: ipaddr
        params: { address: 192.0.2.9, prefix: 40, interface: eth0 }
      - id: web
        agent: ocf:heart/beat:nginx
        params: { "bad-name": x }
`;
  const { config, issues } = parseTandemConfig(text, 'c.yaml');
  assert.equal(config, undefined);
  assert.deepEqual(issues.map((i) => [i.code, i.line, i.column, i.path]), [
    ['TND_E_CONFIG_ENUM', 5, 29, 'links[0].transport'],
    ['TND_E_CONFIG_GROUP_UNKNOWN_NODE', 12, 17, 'groups[0].nodes[1]'],
    ['TND_E_CONFIG_RANGE', 16, 47, 'groups[0].resources[0].params.prefix'],
    ['TND_E_CONFIG_RESOURCE_AGENT', 18, 16, 'groups[0].resources[1].agent'],
    ['TND_E_CONFIG_RESOURCE_PARAM', 19, 19, 'groups[0].resources[1].params.bad-name'],
  ]);
});

test('a field that does not go with the agent is one issue, and its contents are not read', () => {
  const text = `${HEAD}groups:\n  - { name: g, nodes: [n1, n2], resources: [{ id: s, agent: "lsb:x", params: { "not valid": { deep: [1] } }, command: 7 }] }\n`;
  const { issues } = parseTandemConfig(text, 'c.yaml');
  assert.deepEqual(issues.map((i) => [i.code, i.path]), [
    ['TND_E_CONFIG_RESOURCE_FIELD', 'groups[0].resources[0].params'],
    ['TND_E_CONFIG_RESOURCE_FIELD', 'groups[0].resources[0].command'],
  ]);
});

test('group node names must be written as declared; the list keeps its order', () => {
  const text = (nodes: string): string => `${HEAD}groups:\n  - { name: g, nodes: ${nodes}, resources: [{ id: s, agent: "lsb:x" }] }\n`;
  assert.deepEqual(parseTandemConfig(text('[n3, n1, n2]'), 'c.yaml').config?.groups[0]?.nodes, ['n3', 'n1', 'n2']);
  const wrongCase = parseTandemConfig(text('[N1, n2]'), 'c.yaml');
  assert.deepEqual(wrongCase.issues.map((i) => [i.code, i.message.replace(/.*: /, '')]), [['TND_E_CONFIG_GROUP_UNKNOWN_NODE', "did you mean 'n1'?"]]);
  const twice = parseTandemConfig(text('[n1, n2, n1]'), 'c.yaml');
  assert.deepEqual(twice.issues.map((i) => i.code), ['TND_E_CONFIG_GROUP_DUPLICATE_NODE']);
});

test('agent names: the forms, and near misses with a suggestion', () => {
  assert.deepEqual(parseAgentName('ipaddr'), { ok: true, name: { kind: 'ipaddr' } });
  assert.deepEqual(parseAgentName('ocf:heartbeat:IPaddr2'), { ok: true, name: { kind: 'ocf', provider: 'heartbeat', type: 'IPaddr2' } });
  assert.deepEqual(parseAgentName('lsb:nginx'), { ok: true, name: { kind: 'lsb', name: 'nginx' } });
  assert.deepEqual(parseAgentName('systemd:getty@tty1.service'), { ok: true, name: { kind: 'systemd', unit: 'getty@tty1.service' } });
  assert.deepEqual(parseAgentName('heartbeat:IPaddr'), { ok: true, name: { kind: 'heartbeat', script: 'IPaddr' } });
  const refused = (text: string): string => {
    const parsed = parseAgentName(text);
    assert.equal(parsed.ok, false, text);
    return parsed.ok ? '' : parsed.message;
  };
  assert.match(refused('filesytem'), /did you mean 'filesystem'\?/);
  assert.match(refused('lbs:nginx'), /did you mean 'lsb:nginx'\?/);
  assert.match(refused('ocf:heartbeat:IPaddr2:x'), /ocf:PROVIDER:TYPE/);
  assert.match(refused('ocf'), /ocf:PROVIDER:TYPE/);
  assert.match(refused('systemd:'), /systemd:UNIT/);
  assert.match(refused('heartbeat:IPaddr::192.0.2.1/24::eth0'), /'args: \[192\.0\.2\.1\/24, eth0\]'/);
});
