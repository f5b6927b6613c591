/**
 * The protection sections of the tandem YAML: what they build, their defaults (votes, wait_for_all, fencing levels,
 * a device's nodes), and the checks and warnings that span them. Position-by-position cases live in the corpus.
 */
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { DEFAULT_FENCING, DEFAULT_PING, DEFAULT_WATCHDOG, type ClusterConfig, type ConfigIssue } from '../model.js';
import { protectionSpec } from '../protection.js';
import { parseTandemConfig } from './parse.js';

const TWO = `
cluster: demo
key_file: keys
links: [{ name: lan, transport: udp-unicast }]
nodes:
  - { name: n1, links: { lan: 192.0.2.11 } }
  - { name: n2, links: { lan: 192.0.2.12 } }
`;
const THREE = `${TWO}  - { name: n3, links: { lan: 192.0.2.13 } }\n`;
const FOUR = `${THREE}  - { name: arb, links: { lan: 192.0.2.14 } }\n`;

function parsed(text: string): { config: ClusterConfig; issues: ConfigIssue[] } {
  const { config, issues } = parseTandemConfig(text, 'c.yaml');
  assert.ok(config, JSON.stringify(issues));
  return { config, issues };
}

function codes(text: string): string[] {
  return parseTandemConfig(text, 'c.yaml').issues.map((issue) => issue.code);
}

test('without protection sections: one vote per node, no_quorum stop, no wait_for_all, nothing else', () => {
  const { config } = parsed(THREE);
  assert.deepEqual(config.quorum, { votes: { n1: 1, n2: 1, n3: 1 }, noQuorum: 'stop', waitForAll: false });
  for (const key of ['arbitrator', 'ping', 'fencing', 'watchdog'] as const) assert.ok(!(key in config), key);
});

test('votes: the ones given, 1 for every other node, 0 allowed', () => {
  const { config } = parsed(`${THREE}quorum: { votes: { n1: 3, n3: 0 } }\n`);
  assert.deepEqual(config.quorum.votes, { n1: 3, n2: 1, n3: 0 });
  assert.deepEqual([...protectionSpec(config).votes], [['n1', 3], ['n2', 1], ['n3', 0]]);
});

test('wait_for_all defaults to true only with exactly two voting nodes and fencing', () => {
  const fencing = 'fencing:\n  devices: [{ name: pdu, agent: fence_apc }]\n';
  assert.equal(parsed(`${TWO}${fencing}`).config.quorum.waitForAll, true);
  assert.equal(parsed(TWO).config.quorum.waitForAll, false);
  assert.equal(parsed(`${THREE}${fencing}`).config.quorum.waitForAll, false);
  // Two voting nodes among three: n3 has no vote.
  assert.equal(parsed(`${THREE}${fencing}quorum: { votes: { n3: 0 } }\n`).config.quorum.waitForAll, true);
  assert.equal(parsed(`${TWO}${fencing}quorum: { wait_for_all: false }\n`).config.quorum.waitForAll, false);
  assert.equal(parsed(`${THREE}quorum: { wait_for_all: true }\n`).config.quorum.waitForAll, true);
});

test('fencing defaults: every device covers every node but the arbitrator, one level per covering device in device order', () => {
  const { config, issues } = parsed(`${FOUR}arbitrator: arb
fencing:
  devices:
    - { name: pdu, agent: fence_apc, params: { ip: 192.0.2.50 } }
    - { name: ipmi, agent: /opt/fence/fence_ipmi, nodes: [n2, n1] }
  levels:
    n3: [[pdu]]
`);
  assert.deepEqual(issues, []);
  const fencing = config.fencing;
  assert.ok(fencing);
  assert.deepEqual(fencing.devices.map((device) => [device.name, device.nodes]), [['pdu', ['n1', 'n2', 'n3']], ['ipmi', ['n2', 'n1']]]);
  assert.deepEqual(fencing.levels, { n1: [['pdu'], ['ipmi']], n2: [['pdu'], ['ipmi']], n3: [['pdu']] });
  assert.deepEqual(
    { action: fencing.action, timeoutMs: fencing.timeoutMs, retries: fencing.retries, delayMs: fencing.delayMs, retryIntervalMs: fencing.retryIntervalMs },
    { action: DEFAULT_FENCING.action, timeoutMs: DEFAULT_FENCING.timeoutMs, retries: DEFAULT_FENCING.retries, delayMs: DEFAULT_FENCING.delayMs, retryIntervalMs: DEFAULT_FENCING.retryIntervalMs },
  );
  assert.deepEqual(fencing.devices[0]?.hostMap, {});
  assert.equal(config.arbitrator, 'arb');
  assert.deepEqual([...(protectionSpec(config).fencing?.nodes ?? [])].sort(), ['n1', 'n2', 'n3']);
});

test('every value written is built, with units converted and parameters as written', () => {
  const { config, issues } = parsed(`${FOUR}arbitrator: arb
quorum: { no_quorum: freeze, wait_for_all: false, votes: { arb: 2 } }
ping:
  targets: [198.51.100.1, "2001:db8::1"]
  groups: { uplinks: [198.51.100.2, 198.51.100.3] }
  interval: 250ms
  dead: 1.5s
fencing:
  action: reboot
  timeout: 1m
  retries: 0
  delay: 0s
  retry_interval: 30s
  devices:
    - name: lab
      agent: fence_tandemlab
      params: { socket: /run/power.sock, verbose: true, port_base: 10 }
      host_map: { n1: vm-n1, n2: 2 }
  levels:
    n1: [[lab, lab]]
watchdog: { device: /dev/watchdog1, timeout: 7s }
`);
  assert.deepEqual(issues, []);
  assert.deepEqual(config.quorum, { votes: { n1: 1, n2: 1, n3: 1, arb: 2 }, noQuorum: 'freeze', waitForAll: false });
  assert.deepEqual(config.ping, {
    groups: [
      { name: '198.51.100.1', addresses: ['198.51.100.1'] },
      { name: '2001:db8::1', addresses: ['2001:db8::1'] },
      { name: 'uplinks', addresses: ['198.51.100.2', '198.51.100.3'] },
    ],
    intervalMs: 250,
    deadMs: 1500,
  });
  assert.deepEqual(config.fencing, {
    devices: [{ name: 'lab', agent: 'fence_tandemlab', params: { socket: '/run/power.sock', verbose: 'true', port_base: '10' }, hostMap: { n1: 'vm-n1', n2: '2' }, nodes: ['n1', 'n2', 'n3'] }],
    levels: { n1: [['lab', 'lab']], n2: [['lab']], n3: [['lab']] },
    action: 'reboot',
    timeoutMs: 60_000,
    retries: 0,
    delayMs: 0,
    retryIntervalMs: 30_000,
  });
  assert.deepEqual(config.watchdog, { device: '/dev/watchdog1', timeoutMs: 7000 });
  const spec = protectionSpec(config);
  assert.equal(spec.pingDeadMs, 1500 + 250, 'a tie waits ping.dead plus one probe round');
  assert.equal(spec.watchdogTimeoutMs, 7000);
  assert.equal(spec.arbitrator, 'arb');
});

test('ping and watchdog defaults', () => {
  const { config } = parsed(`${THREE}ping: { targets: [198.51.100.1] }\nwatchdog: {}\n`);
  assert.equal(config.ping?.intervalMs, DEFAULT_PING.intervalMs);
  assert.equal(config.ping?.deadMs, DEFAULT_PING.deadMs);
  assert.deepEqual(config.watchdog, { device: DEFAULT_WATCHDOG.device, timeoutMs: DEFAULT_WATCHDOG.timeoutMs });
});

test('an empty ping, fencing or watchdog is an error, an empty quorum the defaults', () => {
  assert.deepEqual(codes(`${THREE}quorum:\n`), []);
  assert.deepEqual(codes(`${THREE}ping:\n`), ['TND_E_CONFIG_MISSING']);
  assert.deepEqual(codes(`${THREE}fencing:\n`), ['TND_E_CONFIG_NO_FENCE_DEVICES']);
  assert.deepEqual(codes(`${THREE}fencing: { devices: [] }\n`), ['TND_E_CONFIG_NO_FENCE_DEVICES']);
  assert.deepEqual(codes(`${THREE}watchdog:\n`), ['TND_E_CONFIG_MISSING']);
  assert.deepEqual(codes(`${THREE}ping: { interval: 1s }\n`), ['TND_E_CONFIG_MISSING']);
});

test('a misspelt key inside a section gets one issue, not also a missing one', () => {
  const { issues } = parseTandemConfig(`${THREE}ping: { target: [198.51.100.1] }\nfencing: { device: [] }\n`, 'c.yaml');
  assert.deepEqual(issues.map((i) => [i.code, i.path, i.message.replace(/.*: /, '')]), [
    ['TND_E_CONFIG_UNKNOWN_KEY', 'ping.target', "did you mean 'targets'?"],
    ['TND_E_CONFIG_UNKNOWN_KEY', 'fencing.device', "did you mean 'devices'?"],
  ]);
});

test('the arbitrator: a declared node, with at least two others, in no group', () => {
  assert.deepEqual(codes(`${THREE}arbitrator: n4\n`), ['TND_E_CONFIG_UNKNOWN_NODE']);
  assert.deepEqual(codes(`${TWO}arbitrator: n2\n`), ['TND_E_CONFIG_ARBITRATOR_TOO_FEW_NODES']);
  assert.deepEqual(codes(`${THREE}arbitrator: n3\n`), []);
  const group = 'groups:\n  - { name: g, nodes: [n1, n3], resources: [{ id: r, agent: "lsb:web" }] }\n';
  const { issues } = parseTandemConfig(`${THREE}arbitrator: n3\n${group}`, 'c.yaml');
  assert.deepEqual(issues.map((i) => [i.code, i.line, i.column, i.path]), [['TND_E_CONFIG_ARBITRATOR_IN_GROUP', 11, 28, 'groups[0].nodes[1]']]);
  assert.match(issues[0]?.message ?? '', /group 'g' lists 'n3', the arbitrator \(line 9\)/);
});

test('every vote 0 is an error', () => {
  assert.deepEqual(codes(`${TWO}quorum: { votes: { n1: 0, n2: 0 } }\n`), ['TND_E_CONFIG_NO_VOTES']);
});

test('fence parameter values must fit on one line', () => {
  const { issues } = parseTandemConfig(`${THREE}fencing:\n  devices:\n    - { name: d, agent: fence_x, params: { login: "a\\nb" } }\n`, 'c.yaml');
  assert.deepEqual(issues.map((i) => [i.code, i.path]), [['TND_E_CONFIG_FENCE_PARAM', 'fencing.devices[0].params.login']]);
});

test('tie-breaker warnings: two voting nodes with equal votes and nothing to break a tie', () => {
  const tie = (text: string): string[] => codes(text).filter((code) => code.startsWith('TND_W_'));
  assert.deepEqual(tie(TWO), ['TND_W_CONFIG_NO_TIEBREAKER']);
  assert.deepEqual(tie(`${TWO}ping: { targets: [192.0.2.1] }\n`), ['TND_W_CONFIG_PING_ONLY_TIEBREAKER']);
  assert.deepEqual(tie(`${TWO}fencing: { devices: [{ name: d, agent: fence_x }] }\n`), []);
  assert.deepEqual(tie(`${TWO}quorum: { no_quorum: ignore }\n`), ['TND_W_CONFIG_NO_QUORUM_IGNORE']);
  assert.deepEqual(tie(`${TWO}quorum: { votes: { n1: 2 } }\n`), []); // no tie: n1 alone is a majority
  assert.deepEqual(tie(THREE), []);
  assert.deepEqual(tie(`${THREE}ping: { targets: [192.0.2.1] }\n`), []);
  assert.deepEqual(tie(`${FOUR}arbitrator: arb\nquorum: { votes: { n3: 0 } }\n`), []);
  // Two voting nodes among three: a tie stops both sides rather than splitting the brain, said differently.
  const { issues } = parseTandemConfig(`${THREE}quorum: { votes: { n3: 0 } }\n`, 'c.yaml');
  assert.deepEqual(issues.map((i) => i.code), ['TND_W_CONFIG_NO_TIEBREAKER']);
  assert.match(issues[0]?.message ?? '', /both stop their groups/);
});

test('the tie-breaker warning is given only when the config has no error (a misspelt section would mislead it)', () => {
  assert.deepEqual(codes(`${TWO}fencnig: { devices: [{ name: d, agent: fence_x }] }\n`), ['TND_E_CONFIG_UNKNOWN_KEY']);
  const { issues } = parseTandemConfig(`${TWO}fencnig: {}\n`, 'c.yaml');
  assert.match(issues[0]?.message ?? '', /did you mean 'fencing'\?/);
});

test('watchdog timeouts: whole seconds from 1s to 255s', () => {
  for (const good of ['1s', '255s', '2000ms', '1m']) assert.deepEqual(codes(`${THREE}watchdog: { timeout: ${good} }\n`), [], good);
  for (const bad of ['1500ms', '256s', '500ms', '5m']) assert.deepEqual(codes(`${THREE}watchdog: { timeout: ${bad} }\n`), ['TND_E_CONFIG_RANGE'], bad);
});
