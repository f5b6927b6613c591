/** The config digest ignores how a config is written and changes with anything nodes must agree on. */
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { canonicalConfig, configDigest } from './digest.js';
import type { ClusterConfig } from './model.js';
import { parseTandemConfig } from './tandem/parse.js';

const BASE = `
cluster: demo
key_file: /etc/tandem/keys
timings: { keepalive: 150ms, warntime: 400ms, deadtime: 700ms, initdead: 3s }
links:
  - { name: lan, transport: udp-unicast }
  - { name: mc, transport: udp-multicast, group: "ff15::694" }
nodes:
  - name: n1
    links: { lan: 192.0.2.11, mc: { address: "2001:db8::11", interface: eth1 } }
  - name: n2
    links: { lan: 192.0.2.12, mc: { address: "2001:db8::12", interface: eth1 } }
`;

// The same cluster: keys reordered, lists reordered, defaults spelt out, other units, other IPv6 spelling,
// comments, and the node-local settings (logging, directories, key file path) changed.
const REWRITTEN = `
# rewritten
nodes:
  - links:
      mc: { interface: eth1, address: "2001:DB8:0::12" }
      lan: "192.0.2.12"
    name: n2
  - name: n1
    links:
      mc: { address: "2001:db8::11", interface: eth1 }
      lan: 192.0.2.11
links:
  - transport: udp-multicast
    name: mc
    group: "ff15:0::694"
    ttl: 1
    port: 694
  - name: lan
    transport: udp-unicast
timings: { initdead: 3000ms, deadtime: 0.7s, keepalive: 150ms }
key_file: keys
cluster: demo
logging: { format: json, level: debug }
state_dir: /srv/tandem
`;

function load(text: string): ClusterConfig {
  const { config, issues } = parseTandemConfig(text, '/etc/tandem/tandem.yaml');
  // Two nodes without a tie-breaker are warned about; nothing else may be reported.
  assert.deepEqual(issues.filter((issue) => issue.code !== 'TND_W_CONFIG_NO_TIEBREAKER'), []);
  assert.ok(config);
  return config;
}

test('16 hex characters', () => {
  assert.match(configDigest(load(BASE)), /^[0-9a-f]{16}$/);
});

test('stable across key order, list order, formatting, units and node-local settings', () => {
  assert.equal(configDigest(load(REWRITTEN)), configDigest(load(BASE)));
});

test('changes when anything nodes must agree on changes', () => {
  const base = configDigest(load(BASE));
  const variants = [
    BASE.replace('192.0.2.12', '192.0.2.13'),
    BASE.replace('2001:db8::12', '2001:db8::13'),
    BASE.replace('cluster: demo', 'cluster: other'),
    BASE.replace('deadtime: 700ms', 'deadtime: 800ms'),
    BASE.replace('transport: udp-unicast }', 'transport: udp-unicast, port: 695 }'),
    BASE.replace('group: "ff15::694" }', 'group: "ff15::694", ttl: 2 }'),
    BASE.replace('interface: eth1 } }\n  - name: n2', 'interface: eth2 } }\n  - name: n2'),
    BASE.replace('name: n2', 'name: n3'),
  ];
  for (const variant of variants) {
    assert.notEqual(variant, BASE);
    assert.notEqual(configDigest(load(variant)), base, variant);
  }
});

const NODES = `
cluster: demo
key_file: /etc/tandem/keys
links: [{ name: lan, transport: udp-unicast }]
nodes:
  - { name: n1, links: { lan: 192.0.2.11 } }
  - { name: n2, links: { lan: 192.0.2.12 } }
  - { name: n3, links: { lan: 192.0.2.13 } }
`;

const GROUPS = `${NODES}groups:
  - name: web
    nodes: [n1, n2, n3]
    failback: auto
    resources:
      - { id: vip, agent: ipaddr, params: { address: "2001:db8::100", prefix: 64, interface: eth0 } }
      - { id: data, agent: filesystem, params: { device: /dev/sdb1, directory: /srv/data, fstype: ext4 } }
      - { id: app, agent: "ocf:heartbeat:nginx", params: { configfile: /etc/nginx.conf, port: 8080 } }
      - { id: job, agent: exec, command: [webd, --port, 8081], health: [webcheck] }
  - name: db
    nodes: [n2, n1]
    resources:
      - { id: legacy, agent: "heartbeat:IPaddr", args: [192.0.2.101/24] }
      - { id: svc, agent: "lsb:postgresql", monitor: { interval: 0s } }
reconcile: { interval: 5s }
`;

// The same groups: groups reordered, keys reordered, defaults and units spelt out, IPv6 and directory spelt otherwise.
const GROUPS_REWRITTEN = `${NODES}reconcile: { stray_addresses: remove, interval: 5000ms }
groups:
  - name: db
    migration_threshold: 3
    nodes: [n2, n1]
    failure_timeout: 10m
    resources:
      - { agent: "heartbeat:IPaddr", id: legacy, args: ["192.0.2.101/24"], start: { timeout: 20s } }
      - { id: svc, agent: "lsb:postgresql", monitor: { interval: 0ms, timeout: 20000ms } }
  - name: web
    failback: auto
    nodes: [n1, n2, n3]
    resources:
      - { id: vip, agent: ipaddr, params: { interface: eth0, prefix: 64, address: "2001:DB8:0::100", announce_count: 3 } }
      - { id: data, agent: filesystem, params: { directory: /srv//data/, device: /dev/sdb1, fstype: ext4, options: "" } }
      - { id: app, agent: "ocf:heartbeat:nginx", params: { port: "8080", configfile: /etc/nginx.conf } }
      - { id: job, agent: exec, command: [webd, --port, "8081"], health: [webcheck], stop_signal: SIGTERM }
`;

test('groups: stable across group order, key order, spelt-out defaults, units and spelling', () => {
  assert.equal(configDigest(load(GROUPS_REWRITTEN)), configDigest(load(GROUPS)));
  assert.notEqual(configDigest(load(GROUPS)), configDigest(load(NODES)));
});

test('groups: changes with anything nodes must agree on, including preference and start order', () => {
  const base = configDigest(load(GROUPS));
  const variants = [
    GROUPS.replace('nodes: [n1, n2, n3]', 'nodes: [n2, n1, n3]'),
    GROUPS.replace('nodes: [n1, n2, n3]', 'nodes: [n1, n2]'),
    GROUPS.replace('failback: auto', 'failback: manual'),
    GROUPS.replace('failback: auto', 'failback: auto\n    migration_threshold: 4'),
    GROUPS.replace('failback: auto', 'failback: auto\n    failure_timeout: 0s'),
    GROUPS.replace(/( {6}- \{ id: vip.*\n)( {6}- \{ id: data.*\n)/, '$2$1'),
    GROUPS.replace('2001:db8::100', '2001:db8::101'),
    GROUPS.replace('prefix: 64', 'prefix: 96'),
    GROUPS.replace('interface: eth0', 'interface: eth1'),
    GROUPS.replace('prefix: 64,', 'prefix: 64, announce_count: 1,'),
    GROUPS.replace('fstype: ext4', 'fstype: xfs'),
    GROUPS.replace('port: 8080 }', 'port: 8081 }'),
    GROUPS.replace('ocf:heartbeat:nginx', 'ocf:other:nginx'),
    GROUPS.replace('health: [webcheck]', 'health: [webcheck, -v]'),
    GROUPS.replace('health: [webcheck]', 'health: [webcheck], stop_signal: SIGINT'),
    GROUPS.replace('args: [192.0.2.101/24]', 'args: [192.0.2.102/24]'),
    GROUPS.replace('lsb:postgresql', 'systemd:postgresql'),
    GROUPS.replace('interval: 0s', 'interval: 1s'),
    GROUPS.replace('id: svc', 'id: svc2'),
    GROUPS.replace('name: db', 'name: db2'),
    GROUPS.replace('reconcile: { interval: 5s }', 'reconcile: { interval: 0s }'),
    GROUPS.replace('reconcile: { interval: 5s }', 'reconcile: { stray_addresses: report }'),
  ];
  for (const variant of variants) {
    assert.notEqual(variant, GROUPS);
    assert.notEqual(configDigest(load(variant)), base, variant);
  }
});

const PROTECTED = `${NODES}quorum: { no_quorum: freeze, votes: { n3: 2 } }
ping:
  targets: ["2001:db8::1", 198.51.100.1]
  groups: { uplinks: [198.51.100.2, 198.51.100.3] }
  dead: 4s
fencing:
  delay: 2s
  devices:
    - { name: pdu, agent: fence_apc, params: { ip: 192.0.2.50, password: hunter2 }, host_map: { n1: "1" }, nodes: [n1, n2] }
    - { name: ipmi, agent: fence_ipmilan, params: { ip: 192.0.2.51 } }
  levels:
    n1: [[pdu], [ipmi]]
watchdog: { timeout: 10s }
`;

// The same protection: defaults spelt out, lists reordered, another IPv6 spelling, another ping group name, the
// watchdog device (node-local) changed.
const PROTECTED_REWRITTEN = `${NODES}watchdog: { timeout: 10000ms, device: /dev/watchdog1 }
fencing:
  levels:
    n2: [[pdu], [ipmi]]
    n1: [[pdu], [ipmi]]
    n3: [[ipmi]]
  devices:
    - { name: ipmi, agent: fence_ipmilan, params: { ip: 192.0.2.51 }, nodes: [n3, n2, n1] }
    - { name: pdu, agent: fence_apc, params: { password: hunter2, ip: 192.0.2.50 }, host_map: { n1: "1" }, nodes: [n2, n1] }
  action: off
  delay: 2000ms
  retries: 1
ping:
  groups: { links-out: [198.51.100.3, 198.51.100.2] }
  targets: [198.51.100.1, "2001:DB8:0::1"]
  interval: 1s
  dead: 4s
quorum: { votes: { n3: 2, n1: 1 }, no_quorum: freeze, wait_for_all: false }
`;

test('protection: stable across key order, list order, spelt-out defaults and the node-local watchdog device', () => {
  assert.equal(configDigest(load(PROTECTED_REWRITTEN)), configDigest(load(PROTECTED)));
  assert.notEqual(configDigest(load(PROTECTED)), configDigest(load(NODES)));
});

test('protection: nodes with different protection configs have different digests', () => {
  const base = configDigest(load(PROTECTED));
  const variants = [
    PROTECTED.replace('no_quorum: freeze', 'no_quorum: stop'),
    PROTECTED.replace('votes: { n3: 2 }', 'votes: { n3: 3 }'),
    PROTECTED.replace('quorum: { no_quorum: freeze', 'quorum: { wait_for_all: true, no_quorum: freeze'),
    PROTECTED.replace('198.51.100.1]', '198.51.100.9]'),
    PROTECTED.replace('dead: 4s', 'dead: 5s'),
    PROTECTED.replace('dead: 4s', 'dead: 4s\n  interval: 2s'),
    PROTECTED.replace('  delay: 2s', '  delay: 3s'),
    PROTECTED.replace('  delay: 2s', '  delay: 2s\n  action: reboot'),
    PROTECTED.replace('  delay: 2s', '  delay: 2s\n  retries: 0'),
    PROTECTED.replace('  delay: 2s', '  delay: 2s\n  timeout: 30s'),
    PROTECTED.replace('  delay: 2s', '  delay: 2s\n  retry_interval: 1m'),
    PROTECTED.replace('ip: 192.0.2.51', 'ip: 192.0.2.52'),
    PROTECTED.replace('fence_ipmilan', 'fence_idrac'),
    PROTECTED.replace('{ n1: "1" }', '{ n1: "2" }'),
    PROTECTED.replace('nodes: [n1, n2] }', 'nodes: [n1, n2, n3] }'),
    PROTECTED.replace('n1: [[pdu], [ipmi]]', 'n1: [[ipmi], [pdu]]'),
    PROTECTED.replace('n1: [[pdu], [ipmi]]', 'n1: [[pdu, ipmi]]'),
    PROTECTED.replace('watchdog: { timeout: 10s }', 'watchdog: { timeout: 11s }'),
    PROTECTED.replace('watchdog: { timeout: 10s }\n', ''),
    PROTECTED.replace(/ping:\n(?: .*\n)+/, ''),
    `${PROTECTED}arbitrator: n3\n`,
  ];
  for (const variant of variants) {
    assert.notEqual(variant, PROTECTED);
    assert.notEqual(configDigest(load(variant)), base, variant);
  }
});

test('protection: the value of a secret fence parameter is not digested, its name is', () => {
  const base = configDigest(load(PROTECTED));
  assert.equal(configDigest(load(PROTECTED.replace('password: hunter2', 'password: other'))), base);
  assert.notEqual(configDigest(load(PROTECTED.replace('password: hunter2', 'passwd: hunter2'))), base);
  assert.ok(!canonicalConfig(load(PROTECTED)).includes('hunter2'));
});
