/** The CLI's contract with scripts: exit codes, --json output, and clear messages for the usual mistakes. */
import assert from 'node:assert/strict';
import { chmodSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { EXIT, runCli } from './main.js';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli(argv, { out: (text) => (out += text), err: (text) => (err += text), isTty: false });
  return { code, out, err };
}

test('config check: a good config exits 0, a broken one lists file:line:column issues and exits 1', async () => {
  // Git does not keep file modes: a fresh clone has the key files at 0644, which tandem rightly refuses.
  chmodSync(`${REPO}examples/keys`, 0o600);
  chmodSync(`${REPO}test/config-corpus/keys`, 0o600);
  const good = await cli('config', 'check', `${REPO}examples/tandem.yaml`);
  assert.equal(good.code, EXIT.ok, good.out + good.err);
  assert.match(good.out, /OK \(3 nodes, 2 links\)/);

  const broken = await cli('config', 'check', `${REPO}test/config-corpus/05-bare-number-duration.yaml`);
  assert.equal(broken.code, EXIT.problem);
  assert.match(broken.out, /05-bare-number-duration\.yaml:4:13: error: timings\.deadtime: .*TND_E_CONFIG_DURATION/);

  const json = await cli('config', 'check', '--json', `${REPO}test/config-corpus/05-bare-number-duration.yaml`);
  const parsed = JSON.parse(json.out) as { ok: boolean; issues: { line: number; code: string }[] };
  assert.equal(parsed.ok, false);
  assert.deepEqual(parsed.issues.map((issue) => [issue.line, issue.code]), [[4, 'TND_E_CONFIG_DURATION']]);
});

test('config check DIR: a heartbeat /etc/ha.d is checked as tandem reads it, every issue at file:line', async () => {
  chmodSync(`${REPO}test/hadir-corpus/seed-004/authkeys`, 0o600);
  const seed = await cli('config', 'check', `${REPO}test/hadir-corpus/seed-004`);
  // Seed 004 names nodes server201/server202; this machine is neither, and its scripts are not installed here.
  assert.equal(seed.code, EXIT.problem, seed.out + seed.err);
  assert.match(seed.out, /seed-004\/ha\.cf:11:6: error: node: this host is '[^']+', which no 'node' line names/);
  assert.match(seed.out, /seed-004\/authkeys:4:1: warning: .*crc.*\[TND_W_KEYS_AUTHKEYS_CRC\]/);
  assert.match(seed.out, /seed-004\/ha\.cf:8:1: warning: hopfudge: .*\[TND_W_CONFIG_HACF_IGNORED\]/);
  assert.match(seed.out, /seed-004: \d+ error\(s\), \d+ warning\(s\)/);
});

test('usage errors exit 2 and name the problem', async () => {
  const unknown = await cli('frobnicate');
  assert.equal(unknown.code, EXIT.usage);
  assert.match(unknown.err, /unknown command "frobnicate"/);
  assert.equal((await cli()).code, EXIT.usage);
  assert.equal((await cli('--bogus-flag', 'status')).code, EXIT.usage);
  assert.equal((await cli('config', 'check')).code, EXIT.usage);
  assert.equal((await cli('events', '-n', 'lots')).code, EXIT.usage);
});

test('a daemon that is not running is exit 3 with the socket named, at once', async () => {
  const result = await cli('--socket', '/nonexistent/tandemd.sock', 'status');
  assert.equal(result.code, EXIT.unreachable);
  assert.match(result.err, /Cannot reach tandemd at \/nonexistent\/tandemd\.sock: ENOENT/);
});

test('version, with and without --json', async () => {
  const version = JSON.parse((await cli('version', '--json')).out) as { version: string };
  assert.match(version.version, /^\d+\.\d+\.\d+/);
  assert.match((await cli('version')).out, /^tandem \d+\.\d+\.\d+/);
});
