/** The config digest ignores how a config is written and changes with anything nodes must agree on. */
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { configDigest } from './digest.js';
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
  assert.deepEqual(issues, []);
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
