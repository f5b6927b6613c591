/** `tandem config import DIR`: exit codes, where the YAML and the key file go, and that no secret is printed. */
import assert from 'node:assert/strict';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { deriveSecret } from '../config/hadir/authkeys.js';
import { loadHadir } from '../config/hadir/load.js';
import { configDigest } from '../config/digest.js';
import { loadConfig } from '../config/load.js';
import { EXIT, runCli } from './main.js';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const SEED = join(REPO, 'test/hadir-corpus/seed-004');
/** seed 004's authkeys is `1 crc`: this is the secret its key file holds. */
const SECRET = deriveSecret('crc', '').toString('utf8');
/** seed 004 names server201 and server202; eth1's broadcast address cannot be read from this machine. */
const AS_SERVER201 = ['--node', 'server201', '--broadcast', 'eth1=10.0.0.255'];

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli(argv, { out: (text) => (out += text), err: (text) => (err += text), isTty: false });
  return { code, out, err };
}

let scratch = '';
/** seed 004 with its scripts in DIR/resource.d, where the import looks first. */
let hadir = '';
before(() => {
  chmodSync(join(SEED, 'authkeys'), 0o600);
  scratch = mkdtempSync(join(tmpdir(), 'tandem-import-cli-'));
  hadir = join(scratch, 'ha.d');
  mkdirSync(join(hadir, 'resource.d'), { recursive: true });
  for (const file of ['ha.cf', 'haresources', 'authkeys']) copyFileSync(join(SEED, file), join(hadir, file));
  chmodSync(join(hadir, 'authkeys'), 0o600);
  for (const [from, name] of [['resource.d/IPaddr', 'IPaddr'], ['resource.d/ipvsadm', 'ipvsadm'], ['init.d/httpd', 'httpd']] as const) {
    copyFileSync(join(REPO, 'test/hadir-corpus/scripts', from), join(hadir, 'resource.d', name));
    chmodSync(join(hadir, 'resource.d', name), 0o755);
  }
});
after(() => rmSync(scratch, { recursive: true, force: true }));

test('config import of seed 004 as a host whose addresses are unknown: exit 1, file:line issues, nothing written', async () => {
  const result = await cli('config', 'import', SEED, '--node', 'server201');
  assert.equal(result.code, EXIT.problem, result.err);
  assert.equal(result.out, '');
  assert.match(result.err, /seed-004\/ha\.cf:3:7: error: bcast: the broadcast address of eth1 cannot be derived.*\[TND_E_CONFIG_HADIR_NO_ADDRESS\]/);
  assert.match(result.err, /seed-004\/ha\.cf:2:1: warning: logfile: .*\[TND_W_CONFIG_HACF_IGNORED\]/);
  assert.match(result.err, /seed-004: \d+ error\(s\), \d+ warning\(s\); nothing written/);
});

test('config import --out --write-keys: the YAML loads as the same cluster, the key file is 0600, no secret printed', async () => {
  const out = join(scratch, 'etc-tandem');
  mkdirSync(out);
  const result = await cli('config', 'import', hadir, ...AS_SERVER201, '--out', join(out, 'tandem.yaml'), '--key-file', 'keys', '--write-keys');
  assert.equal(result.code, EXIT.ok, result.err);
  assert.equal(result.out, '');
  assert.match(result.err, /wrote .*tandem\.yaml \(config digest [0-9a-f]{16}\)/);
  assert.match(result.err, /wrote the key file .*etc-tandem\/keys \(mode 0600\)/);
  assert.ok(!result.err.includes(SECRET));
  assert.equal(statSync(join(out, 'keys')).mode & 0o777, 0o600);
  assert.match(readFileSync(join(out, 'keys'), 'utf8'), new RegExp(`^send 1\\n1 ${SECRET}\\n$`, 'm'));

  const imported = loadHadir(hadir, { hostName: 'server201', broadcasts: { eth1: '10.0.0.255' } });
  assert.ok(imported.config);
  const loaded = await loadConfig(join(out, 'tandem.yaml'));
  assert.deepEqual(loaded.issues.filter((issue) => issue.severity === 'error'), []);
  assert.ok(loaded.config);
  assert.equal(configDigest(loaded.config), configDigest(imported.config));
  assert.deepEqual(loaded.config.groups, imported.config.groups);
  const yaml = readFileSync(join(out, 'tandem.yaml'), 'utf8');
  assert.match(yaml, /- name: server201 ##节点1,必须要与 uname -n 指令得到的结果一致。/);
  assert.match(yaml, /# NOTE \(import\): 192\.168\.10\.200 stays heartbeat's IPaddr script/);

  // Again: the same keys are there already; other keys are never overwritten.
  const again = await cli('config', 'import', hadir, ...AS_SERVER201, '--out', join(out, 'tandem.yaml'), '--key-file', 'keys', '--write-keys');
  assert.equal(again.code, EXIT.ok, again.err);
  assert.match(again.err, /already holds these keys/);
  writeFileSync(join(out, 'other-keys'), 'send 1\n1 someone-elses-secret-key\n', { mode: 0o600 });
  const clash = await cli('config', 'import', hadir, ...AS_SERVER201, '--key-file', join(out, 'other-keys'), '--write-keys');
  assert.equal(clash.code, EXIT.problem);
  assert.match(clash.err, /other-keys exists and holds other keys: it is left as it is/);
  assert.equal(readFileSync(join(out, 'other-keys'), 'utf8'), 'send 1\n1 someone-elses-secret-key\n');
});

test('config import to standard output: the YAML only, the key file not written and its secret never shown', async () => {
  const result = await cli('config', 'import', hadir, ...AS_SERVER201, '--key-file', join(scratch, 'not-written'));
  assert.equal(result.code, EXIT.ok, result.err);
  assert.match(result.out, /^# tandem configuration imported from heartbeat's /);
  assert.match(result.out, /\nkey_file: .*not-written\n/);
  assert.ok(!result.out.includes(SECRET) && !result.err.includes(SECRET));
  assert.match(result.err, /not-written was not written .*--write-keys/);
  assert.equal(existsSync(join(scratch, 'not-written')), false);
});

test('config import usage errors exit 2', async () => {
  assert.equal((await cli('config', 'import')).code, EXIT.usage);
  const bad = await cli('config', 'import', hadir, '--address', 'server202=10.0.0.202');
  assert.equal(bad.code, EXIT.usage);
  assert.match(bad.err, /--address takes NODE:IFACE=ADDRESS/);
});
