/**
 * The tandem YAML front-end: what a valid file becomes, how defaults and paths are filled in, and that arbitrary
 * input yields issues rather than exceptions. Position-by-position error cases live in the corpus.
 */
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { DEFAULT_LOGGING, DEFAULT_RECONCILE, DEFAULT_RUNTIME_DIR, DEFAULT_STATE_DIR, DEFAULT_TIMINGS } from '../model.js';
import { parseTandemConfig, readTandemConfig } from './parse.js';

const MINIMAL = `
cluster: demo
key_file: keys
links:
  - name: lan
    transport: udp-unicast
nodes:
  - name: n1
    links: { lan: 192.0.2.11 }
  - name: n2
    links: { lan: 192.0.2.12 }
`;

/** Two nodes without a tie-breaker are always warned about; the tests below are about everything else. */
function besidesTieBreaker<T extends { readonly code: string }>(issues: readonly T[]): T[] {
  return issues.filter((issue) => issue.code !== 'TND_W_CONFIG_NO_TIEBREAKER');
}

test('a minimal config gets every default', () => {
  const { config, issues } = parseTandemConfig(MINIMAL, '/etc/tandem/tandem.yaml');
  assert.deepEqual(issues.map((i) => [i.severity, i.code, i.line, i.column, i.path]), [['warning', 'TND_W_CONFIG_NO_TIEBREAKER', 7, 1, 'nodes']]);
  assert.deepEqual(config, {
    cluster: 'demo',
    keyFile: '/etc/tandem/keys',
    timings: DEFAULT_TIMINGS,
    links: [{ name: 'lan', transport: 'udp-unicast', port: 694 }],
    nodes: [
      { name: 'n1', links: { lan: { address: '192.0.2.11' } } },
      { name: 'n2', links: { lan: { address: '192.0.2.12' } } },
    ],
    logging: DEFAULT_LOGGING,
    stateDir: DEFAULT_STATE_DIR,
    runtimeDir: DEFAULT_RUNTIME_DIR,
    groups: [],
    reconcile: DEFAULT_RECONCILE,
    quorum: { votes: { n1: 1, n2: 1 }, noQuorum: 'stop', waitForAll: false },
  });
});

test('key_file: relative paths follow the config file, absolute ones are kept', () => {
  assert.equal(parseTandemConfig(MINIMAL, 'conf/tandem.yaml').config?.keyFile, 'conf/keys');
  assert.equal(parseTandemConfig(MINIMAL.replace('key_file: keys', 'key_file: ../k'), '/a/b/c.yaml').config?.keyFile, '/a/k');
  assert.equal(parseTandemConfig(MINIMAL.replace('key_file: keys', 'key_file: /k'), '/a/b/c.yaml').config?.keyFile, '/k');
});

test('durations are converted to milliseconds once, here', () => {
  const text = MINIMAL.replace('links:', 'timings: { keepalive: 0.2s, warntime: 500ms, deadtime: 1s, initdead: 1m }\nlinks:');
  assert.deepEqual(parseTandemConfig(text, 'c.yaml').config?.timings, { keepaliveMs: 200, warntimeMs: 500, deadtimeMs: 1000, initdeadMs: 60_000 });
});

test('all-digit names are read as written, not as numbers', () => {
  const text = MINIMAL.replace('cluster: demo', 'cluster: 0042').replace('name: n1', 'name: 01');
  const { config } = parseTandemConfig(text, 'c.yaml');
  assert.equal(config?.cluster, '0042');
  assert.equal(config?.nodes[0]?.name, '01');
});

test('aliases are followed', () => {
  const text = MINIMAL.replace('transport: udp-unicast', 'transport: &t udp-unicast').replace('\nnodes:', '\n  - { name: b, transport: *t }\nnodes:')
    .replace('{ lan: 192.0.2.11 }', '{ lan: 192.0.2.11, b: 198.51.100.11 }').replace('{ lan: 192.0.2.12 }', '{ lan: 192.0.2.12, b: 198.51.100.12 }');
  const { config, issues } = parseTandemConfig(text, 'c.yaml');
  assert.deepEqual(besidesTieBreaker(issues), []);
  assert.equal(config?.links[1]?.transport, 'udp-unicast');
});

test('warnings do not block; errors do, and every error is reported', () => {
  const warned = parseTandemConfig(MINIMAL.replace('links:', 'timings: { initdead: 1s }\nlinks:'), 'c.yaml');
  assert.ok(warned.config);
  assert.deepEqual(warned.issues.map((i) => [i.severity, i.code, i.path]), [
    ['warning', 'TND_W_CONFIG_INITDEAD_SHORT', 'timings.initdead'],
    ['warning', 'TND_W_CONFIG_NO_TIEBREAKER', 'nodes'],
  ]);

  const broken = parseTandemConfig(MINIMAL.replace('cluster: demo', 'cluster: demo\ncolor: red').replace('192.0.2.12', '192.0.2.1234'), 'c.yaml');
  assert.equal(broken.config, undefined);
  assert.deepEqual(broken.issues.map((i) => [i.code, i.line, i.column, i.path]), [
    ['TND_E_CONFIG_UNKNOWN_KEY', 3, 1, 'color'],
    ['TND_E_CONFIG_ADDRESS', 12, 19, 'nodes[1].links.lan'],
  ]);
  assert.ok(broken.issues.every((i) => i.file === 'c.yaml'));
});

test('the key file location is known even when the config has errors', () => {
  const read = readTandemConfig(MINIMAL.replace('name: n2', 'name: n1'), '/etc/tandem/tandem.yaml');
  assert.equal(read.config, undefined);
  assert.equal(read.keyFile?.value, '/etc/tandem/keys');
  assert.deepEqual(read.keyFile?.at, { line: 3, column: 11 });
});

test('a warning in the YAML itself (unknown tag) is reported, not fatal', () => {
  const { config, issues } = parseTandemConfig(MINIMAL.replace('cluster: demo', 'cluster: !custom demo'), 'c.yaml');
  assert.ok(config);
  assert.deepEqual(besidesTieBreaker(issues).map((i) => i.code), ['TND_W_CONFIG_YAML']);
});

test('arbitrary text never throws, and issues are well formed', () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 300 }), (text) => {
      const { config, issues } = parseTandemConfig(text, 'f.yaml');
      assert.ok(config !== undefined || issues.some((i) => i.severity === 'error'));
      for (const issue of issues) {
        assert.ok(issue.line >= 1 && issue.column >= 1, JSON.stringify(issue));
        assert.match(issue.code, /^TND_[EW]_CONFIG_/);
      }
    }),
    { numRuns: 300 },
  );
});

test('arbitrary YAML structures never throw', () => {
  const leaf = fc.oneof(fc.string({ maxLength: 12 }), fc.integer(), fc.boolean(), fc.constant(null), fc.constantFrom('150ms', '2s', '0s', '192.0.2.1', 'udp-unicast', 'lan', 'n1', 'ipaddr', 'filesystem', 'exec', 'ocf:heartbeat:Dummy', 'lsb:x', 'heartbeat:IPaddr'));
  const keys = fc.constantFrom('cluster', 'key_file', 'timings', 'links', 'nodes', 'name', 'transport', 'group', 'ttl', 'broadcast', 'port', 'address', 'interface', 'deadtime', 'lan', 'logging', 'x', 'groups', 'resources', 'id', 'agent', 'params', 'command', 'args', 'monitor', 'interval', 'reconcile');
  const { tree } = fc.letrec<{ tree: unknown }>((tie) => ({
    tree: fc.oneof({ depthSize: 'small' }, leaf, fc.array(tie('tree'), { maxLength: 4 }), fc.dictionary(keys, tie('tree'), { maxKeys: 5 })),
  }));
  fc.assert(
    fc.property(fc.dictionary(keys, tree, { maxKeys: 8 }), (value) => {
      const { issues } = parseTandemConfig(stringify(value), 'f.yaml');
      for (const issue of issues) assert.ok(issue.line >= 1 && issue.column >= 1, JSON.stringify(issue));
    }),
    { numRuns: 300 },
  );
});
