/** `loadConfig` reads files, checks the key file's mode and turns every file-system problem into an issue. */
import { strict as assert } from 'node:assert';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { checkKeyFileMode, loadConfig } from './load.js';
import { formatIssue } from './model.js';

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
  assert.deepEqual(issues.map((i) => [i.code, i.line, i.column, i.path]), [['TND_E_KEYS_READ', 2, 11, 'key_file']]);
  assert.match(issues[0]?.message ?? '', /not a regular file/);
});
