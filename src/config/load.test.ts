/**
 * `loadConfig` reads files, checks the key file's mode and turns every file-system problem into an issue; agents are
 * checked only when asked for.
 */
import { strict as assert } from 'node:assert';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { checkKeyFileMode, loadConfig } from './load.js';
import { formatIssue } from './model.js';
import { parseTandemConfig } from './tandem/parse.js';

const examples = fileURLToPath(new URL('../../../examples/', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'tandem-load-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('the shipped example loads without any issue', async () => {
  chmodSync(join(examples, 'keys'), 0o600);
  const { config, ring, issues } = await loadConfig(join(examples, 'tandem.yaml'));
  assert.deepEqual(issues.map(formatIssue), []);
  assert.deepEqual(config?.nodes.map((n) => n.name), ['n1', 'n2', 'n3']);
  assert.deepEqual(config?.links.map((l) => l.name), ['lan', 'backup']);
  assert.equal(config?.keyFile, join(examples, 'keys'));
  assert.equal(ring?.sendKeyId, 1);
});

test('an unreadable config is an issue, not an exception', async () => {
  const missing = join(dir, 'absent.yaml');
  const { config, issues } = await loadConfig(missing);
  assert.equal(config, undefined);
  assert.deepEqual(issues.map((i) => [i.code, i.file, i.line]), [['TND_E_CONFIG_READ', missing, 0]]);
  assert.match(formatIssue(issues[0]!), /absent\.yaml: error: cannot read the config file: no such file/);
  assert.equal((await loadConfig(dir)).issues[0]?.code, 'TND_E_CONFIG_READ');
});

test('the key file is checked even when the config has other errors', async () => {
  const file = join(dir, 'broken.yaml');
  writeFileSync(file, 'cluster: demo\nkey_file: nothere\n');
  const codes = (await loadConfig(file)).issues.map((i) => i.code);
  assert.deepEqual(codes, ['TND_E_CONFIG_MISSING', 'TND_E_CONFIG_MISSING', 'TND_E_KEYS_READ']);
});

test('key file modes: only the owner may have access', () => {
  assert.equal(checkKeyFileMode('/k', 0o600), undefined);
  assert.equal(checkKeyFileMode('/k', 0o400), undefined);
  assert.equal(checkKeyFileMode('/k', 0o100600), undefined); // the file-type bits of st_mode are ignored
  for (const mode of [0o640, 0o604, 0o610, 0o601, 0o644, 0o666, 0o777]) {
    const issue = checkKeyFileMode('/etc/tandem/keys', mode);
    assert.equal(issue?.code, 'TND_E_KEYS_MODE');
    assert.match(issue?.message ?? '', new RegExp(`mode 0${mode.toString(8)}`));
    assert.match(issue?.message ?? '', /chmod 600 \/etc\/tandem\/keys/);
  }
});

test('a key file that is a directory is reported where key_file was written', async () => {
  const file = join(dir, 'dirkeys.yaml');
  writeFileSync(file, `cluster: demo\nkey_file: ${dir}\nlinks: [{ name: lan, transport: udp-unicast }]\nnodes:\n  - { name: a, links: { lan: 192.0.2.1 } }\n  - { name: b, links: { lan: 192.0.2.2 } }\n`);
  const { issues } = await loadConfig(file);
  assert.deepEqual(issues.map((i) => [i.code, i.line, i.column, i.path]), [
    ['TND_W_CONFIG_NO_TIEBREAKER', 4, 1, 'nodes'],
    ['TND_E_KEYS_READ', 2, 11, 'key_file'],
  ]);
  assert.match(issues[1]?.message ?? '', /not a regular file/);
});

test('the commented groups example in the shipped example is valid once uncommented', () => {
  const text = readFileSync(join(examples, 'tandem.yaml'), 'utf8');
  const lines = text.split('\n');
  const start = lines.indexOf('# groups:');
  const end = lines.findIndex((line, index) => index > start && line === '');
  assert.ok(start > 0 && end > start);
  const uncommented = lines.map((line, index) => (index >= start && index < end ? line.replace(/^# ?/, '') : line)).join('\n');
  const { config, issues } = parseTandemConfig(uncommented, join(examples, 'tandem.yaml'));
  assert.deepEqual(issues.map(formatIssue), []);
  assert.deepEqual(config?.groups.map((g) => [g.name, g.failback, g.resources.map((r) => r.agent.kind)]), [['web', 'manual', ['ipaddr', 'filesystem', 'ocf']]]);
});

test('agents are checked only when asked for, and only once the config parses', async () => {
  const keys = join(dir, 'agent-keys');
  writeFileSync(keys, 'send 1\n1 0123456789abcdef0123\n', { mode: 0o600 });
  const base = `cluster: demo\nkey_file: ${keys}\nlinks: [{ name: lan, transport: udp-unicast }]\nnodes:\n  - { name: a, links: { lan: 192.0.2.1 } }\n  - { name: b, links: { lan: 192.0.2.2 } }\n`;
  const file = join(dir, 'agents.yaml');
  writeFileSync(file, `${base}groups:\n  - { name: g, nodes: [a, b], resources: [{ id: r, agent: "lsb:absent" }] }\n`);
  const agents = { lsbInitDir: dir };
  const tieBreaker = ['TND_W_CONFIG_NO_TIEBREAKER', 4, 1, 'nodes'];
  assert.deepEqual((await loadConfig(file)).issues.map((i) => [i.code, i.line, i.column, i.path]), [tieBreaker]);
  const checked = await loadConfig(file, { checkAgents: true, agents });
  assert.equal(checked.config, undefined);
  assert.deepEqual(checked.issues.map((i) => [i.code, i.line, i.column, i.path]), [tieBreaker, ['TND_E_CONFIG_AGENT_MISSING', 8, 59, 'groups[0].resources[0].agent']]);

  writeFileSync(file, `${base}groups:\n  - { name: g, nodes: [a, c], resources: [{ id: r, agent: "lsb:absent" }] }\n`);
  assert.deepEqual((await loadConfig(file, { checkAgents: true, agents })).issues.map((i) => i.code), ['TND_E_CONFIG_GROUP_UNKNOWN_NODE']);
});
