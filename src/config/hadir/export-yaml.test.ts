/**
 * `tandem config import`'s YAML on the three seed configs: read back through tandem's own loader it is the same
 * cluster (config digest, groups, nodes, key ring), every comment of ha.cf and haresources is in it next to the key
 * its line became, and every warning of the import is a NOTE.
 */
import { strict as assert } from 'node:assert';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { configDigest } from '../digest.js';
import { loadConfig } from '../load.js';
import { deriveSecret } from './authkeys.js';
import { hadirKeyFileText, hadirToYaml } from './export-yaml.js';
import { haCfComments } from './hacf.js';
import { haresourcesComments } from './haresources.js';
import { hadirToClusterConfig, type HadirFiles, type HadirImportOptions } from './import.js';

const corpus = fileURLToPath(new URL('../../../../test/hadir-corpus/', import.meta.url));
const SCRIPTS = ['Filesystem', 'IPaddr', 'ipvsadm', 'httpd', 'smb'];
const PATHS = { haCf: '/etc/ha.d/ha.cf', haresources: '/etc/ha.d/haresources', authkeys: '/etc/ha.d/authkeys' };
const seed = (name: string): HadirFiles => ({
  haCf: readFileSync(join(corpus, name, 'ha.cf'), 'utf8'),
  haresources: readFileSync(join(corpus, name, 'haresources'), 'utf8'),
  authkeys: readFileSync(join(corpus, name, 'authkeys'), 'utf8'),
});

let scratch = '';
before(() => {
  scratch = mkdtempSync(join(tmpdir(), 'tandem-export-'));
});
after(() => rmSync(scratch, { recursive: true, force: true }));

interface Exported {
  readonly yaml: string;
  readonly lines: string[];
  readonly files: HadirFiles;
  readonly warnings: readonly { file: string; code: string; message: string }[];
}

/** Imports, exports, writes the YAML and the key file (0600) to a directory of their own, reads them back, compares. */
async function roundTrip(name: string, files: HadirFiles, options: HadirImportOptions): Promise<Exported> {
  const imported = hadirToClusterConfig(files, { ...options, paths: PATHS, resolveScript: (s) => (SCRIPTS.includes(s) ? `/etc/ha.d/resource.d/${s}` : undefined) });
  assert.deepEqual(imported.issues.filter((i) => i.severity === 'error'), []);
  assert.ok(imported.config && imported.keyRing);
  const yaml = hadirToYaml({ files, paths: PATHS, hacf: imported.hacf, haresources: imported.haresources, config: imported.config, issues: imported.issues, keyFile: 'keys' });
  const dir = join(scratch, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'tandem.yaml'), yaml);
  writeFileSync(join(dir, 'keys'), hadirKeyFileText({ files, paths: PATHS, keyRing: imported.keyRing }), { mode: 0o600 });
  chmodSync(join(dir, 'keys'), 0o600);
  const loaded = await loadConfig(join(dir, 'tandem.yaml'));
  assert.deepEqual(loaded.issues.filter((i) => i.severity === 'error'), [], yaml);
  assert.ok(loaded.config && loaded.ring);
  assert.equal(configDigest(loaded.config), configDigest(imported.config), 'the same cluster');
  assert.deepEqual(loaded.config.groups, imported.config.groups);
  assert.deepEqual(loaded.config.nodes.map((n) => n.name), imported.config.nodes.map((n) => n.name));
  assert.deepEqual(loaded.ring, imported.keyRing);
  assert.match(yaml, new RegExp(`config digest ${configDigest(imported.config)}`));
  return { yaml, lines: yaml.split('\n'), files, warnings: imported.issues.filter((i) => i.severity === 'warning') };
}

/** The line holding `text`; fails when there is none. */
function lineOf(lines: readonly string[], text: string): number {
  const index = lines.findIndex((line) => line.includes(text));
  assert.ok(index >= 0, `not in the YAML: ${text}`);
  return index;
}

/** The first line after `index` that is neither a comment nor blank, trimmed: the key a comment sits above. */
function keyBelow(lines: readonly string[], index: number): string {
  const next = lines.slice(index + 1).find((line) => line.trim() !== '' && !line.trim().startsWith('#'));
  return next?.trim() ?? '';
}

/** The key a comment line sits above, or the key it trails on its own line. */
function keyOf(lines: readonly string[], text: string): string {
  const index = lineOf(lines, text);
  const line = lines[index] ?? '';
  return line.trim().startsWith('#') ? keyBelow(lines, index) : line.slice(0, line.indexOf(' #')).trim();
}

/** Every `NOTE (import)`, its continuation lines joined, with the index of its last line. */
function noteLines(lines: readonly string[]): { text: string; end: number }[] {
  const out: { text: string; end: number }[] = [];
  lines.forEach((line, index) => {
    const text = line.trim();
    const last = out[out.length - 1];
    if (text.startsWith('# NOTE (import): ')) out.push({ text: text.slice('# NOTE (import): '.length), end: index });
    else if (last !== undefined && last.end === index - 1 && /^#   \S/.test(text)) out[out.length - 1] = { text: `${last.text} ${text.slice(4)}`, end: index };
  });
  return out;
}

function notes(lines: readonly string[]): string[] {
  return noteLines(lines).map((note) => note.text);
}

/** The key below the note that holds `fragment`. */
function keyOfNote(lines: readonly string[], fragment: string): string {
  const note = noteLines(lines).find((n) => n.text.includes(fragment));
  assert.ok(note, `no NOTE holds: ${fragment}`);
  return keyBelow(lines, note.end);
}

/** Every comment of ha.cf and haresources is in the YAML, after its `#`, and the file says nothing of authkeys' keys. */
function assertCommentsKept(exported: Exported): void {
  for (const comment of [...haCfComments(exported.files.haCf), ...haresourcesComments(exported.files.haresources)]) {
    if (comment.text.trim() === '') continue;
    lineOf(exported.lines, `#${comment.text}`);
  }
}

/** One NOTE per warning: the warning's own text and code (authkeys': the code, its quotes left out). */
function assertNotePerWarning(exported: Exported): void {
  const all = notes(exported.lines);
  for (const warning of exported.warnings) {
    const wanted = warning.file === PATHS.authkeys ? `[${warning.code}]` : `${warning.message} [${warning.code}]`;
    assert.ok(all.some((note) => note.includes(wanted)), `no NOTE for ${warning.code}: ${warning.message}`);
  }
  assert.ok(exported.warnings.length > 0);
}

describe('seed 004: trailing ## comments, bcast, ping + ipfail, IPaddr::', () => {
  let exported: Exported;
  before(async () => {
    exported = await roundTrip('seed-004', seed('seed-004'), {
      hostName: 'server201',
      interfaces: { eth0: [{ address: '192.168.10.201', netmask: '255.255.255.0' }], eth1: [{ address: '10.0.0.201', netmask: '255.255.255.0' }] },
    });
  });

  test('reads back as the same cluster, every comment kept, a NOTE per warning', () => {
    assertCommentsKept(exported);
    assertNotePerWarning(exported);
    assert.ok(!exported.yaml.includes('e9d9cab8'), 'the derived key is not in the YAML');
  });

  test('trailing comments stay at the end of the line their directive became', () => {
    const { lines } = exported;
    assert.equal(keyOf(lines, '##设定心跳(监测)时间时间为2秒'), 'keepalive: 2s');
    assert.equal(keyOf(lines, '##节点1,必须要与 uname -n 指令得到的结果一致。'), '- name: server201');
    assert.equal(keyOf(lines, '##节点2'), '- name: server202');
    assert.equal(keyOf(lines, '##使用eth1做心跳监测'), '- name: bcast-eth1');
    assert.equal(keyOf(lines, '##使用udp端口694 进行心跳监测'), 'port: 694');
    assert.equal(keyOf(lines, '##通过ping 网关来监测心跳是否正常。'), '- 192.168.10.1');
  });

  test('a directive that maps to nothing is repeated with its comment above its note, by the section it concerns', () => {
    const { lines } = exported;
    const logfile = lineOf(lines, '# ha.cf: logfile /var/log/ha_log/ha-log.log ## ha的日志文件记录位置。如没有该目录,则需要手动添加');
    assert.match(lines[logfile + 1] ?? '', /^# NOTE \(import\): 'logfile' has no effect in tandem/);
    assert.equal(keyBelow(lines, logfile), 'logging:');
    assert.equal(keyOf(lines, '# ha.cf: apiauth ipfail gid=root uid=root'), 'runtime_dir: /run/tandem');
    assert.equal(keyOf(lines, '# ha.cf: hopfudge 1'), 'links:');
  });

  test("each file's header goes at the top of its section", () => {
    const { lines } = exported;
    assert.ok(lineOf(lines, '# Fixture: ha.cf from seed') < lineOf(lines, 'cluster: linux-ha'));
    assert.equal(keyOf(lines, '# Fixture: ha.cf from seed'), 'cluster: linux-ha');
    assert.equal(keyOf(lines, '# Fixture: haresources from seed 004.'), 'groups:');
  });

  test('notes for what changed meaning: the VIP as ipaddr, scripts without a monitor, derived addresses, the key', () => {
    const all = notes(exported.lines);
    assert.equal(keyOfNote(exported.lines, "'IPaddr::192.168.10.200' runs as tandem's built-in ipaddr"), '- id: ip-192.168.10.200');
    assert.equal(keyOfNote(exported.lines, "once 'ipvsadm status'"), '- id: ipvsadm');
    assert.equal(keyOfNote(exported.lines, "once 'httpd status'"), '- id: httpd');
    assert.ok(all.some((n) => n.startsWith("heartbeat asks the kernel for the broadcast address of eth1")));
    assert.ok(all.some((n) => n.startsWith('the key file holds one key derived from authkeys\' active entry (auth 1, crc)')));
    assert.equal(keyOfNote(exported.lines, 'the key file holds one key'), 'key_file: keys');
  });
});

describe('seed 002: long heartbeat sample comments, udp alias, serial, mcast, watchdog, legacy failback', () => {
  let exported: Exported;
  before(async () => {
    const files = seed('seed-002');
    // The article's haresources names a host that is no node; the import test fixes it the same way.
    exported = await roundTrip('seed-002', { ...files, haresources: files.haresources.replace('xuanfei.com 10.0.0.10', 'xuanfei1-server 10.0.0.10') }, {
      hostName: 'xuanfei1-server',
      interfaces: { eth1: [{ address: '10.0.0.1', netmask: '255.255.255.0' }] },
      addresses: { 'xuanfei2-server': { eth1: '10.0.0.2' } },
    });
  });

  test('reads back as the same cluster, every comment kept, a NOTE per warning', () => {
    assertCommentsKept(exported);
    assertNotePerWarning(exported);
  });

  test('comment blocks sit above the key their directive became', () => {
    const { lines } = exported;
    assert.equal(keyOf(lines, '# keepalive: how many seconds between heartbeats'), 'keepalive: 2s');
    assert.equal(keyOf(lines, '# deadtime: seconds-to-declare-host-dead'), 'deadtime: 10s');
    assert.equal(keyOf(lines, '# It should be at least twice the normal dead time.'), 'initdead: 120s');
    assert.equal(keyOf(lines, '# What interfaces to heartbeat over?'), '- name: bcast-eth1');
    assert.equal(keyOf(lines, '# What UDP port to use for communication?'), 'port: 694');
    assert.equal(keyOf(lines, '# [loop] toggles loopback for outbound multicast heartbeats.'), '- name: mcast-eth1');
    assert.equal(keyOf(lines, '# serial serialportname ...'), '- name: serial0');
    assert.equal(keyOf(lines, '# Baud rate for serial ports...'), 'baud: 19200');
    assert.equal(keyOf(lines, '# a minute, then our machine will reboot.'), 'watchdog:');
    assert.equal(keyOf(lines, '# Tell what machines are in the cluster'), '- name: xuanfei1-server');
    assert.equal(keyOf(lines, '#stonith_host * baytech 10.0.0.3 mylogin mysecretpassword'), '- name: xuanfei1-server');
    assert.equal(keyOf(lines, '# File to wirte debug messages to'), 'logging:');
    assert.equal(keyOf(lines, '#node1 10.0.0.170 Filesystem::/dev/sda1::/data1::ext2'), '- name: 10.0.0.10');
  });

  test('the headers: ha.cf up to its last separator at the top, haresources above groups', () => {
    const { lines } = exported;
    assert.equal(keyOf(lines, '# required and messages will be sent there.'), 'cluster: linux-ha');
    assert.equal(keyOf(lines, '# Fixture: haresources from seed 002, unchanged.'), 'groups:');
    assert.equal(keyOf(lines, '# One service address, with funny subnet and bcast addr'), 'groups:');
  });

  test('warnings with a line sit at that line\'s key; legacy failback at each failback', () => {
    const { lines } = exported;
    assert.equal(keyOfNote(lines, "'udp' is heartbeat's old name for 'bcast'"), '- name: bcast-eth1');
    assert.equal(keyOfNote(lines, "auto_failback is not set, so heartbeat's default 'legacy' applies"), 'failback: auto');
    assert.equal(keyOfNote(lines, "not in ha.cf: heartbeat's default (half of deadtime)"), 'warntime: 5s');
    assert.equal(keyOfNote(lines, "'debugfile' has no effect in tandem"), 'logging:');
  });
});

describe('seed 003: tab-indented comments, auto_failback on, ping + ipfail (a ucast link added)', () => {
  let exported: Exported;
  before(async () => {
    const files = seed('seed-003');
    exported = await roundTrip('seed-003', { ...files, haCf: `${files.haCf}ucast eth0 9.22.7.48\nucast eth0 9.22.7.49 # the peer\n` }, {
      hostName: 'ha1.haw2.ibm.com',
      interfaces: { eth0: [{ address: '9.22.7.48', netmask: '255.255.255.0' }] },
    });
  });

  test('reads back as the same cluster, every comment kept, a NOTE per warning', () => {
    assertCommentsKept(exported);
    assertNotePerWarning(exported);
  });

  test('comment blocks sit above the key their directive became', () => {
    const { lines } = exported;
    assert.equal(keyOf(lines, '#\tkeepalive: how long between heartbeats?'), 'keepalive: 2s');
    assert.equal(keyOf(lines, '#\twarntime: how long before issuing "late heartbeat" warning?'), 'warntime: 10s');
    assert.equal(keyOf(lines, '#\tan administrator intervenes.'), 'failback: auto');
    assert.equal(keyOf(lines, '#\tnode\tnodename ...\t-- must match uname -n'), '- name: ha1.haw2.ibm.com');
    assert.equal(keyOf(lines, '#\tUsed together with ipfail below...'), '- 9.22.7.1');
    assert.equal(keyOf(lines, '#\t\tthey exit with rc=100'), 'ping:');
    assert.equal(keyOf(lines, '# the peer'), '- name: ucast-eth0');
    assert.equal(keyOf(lines, '#\tFile to write debug messages to'), 'logging:');
    assert.equal(keyOf(lines, '# Fixture: ha.cf (listing 6)'), 'cluster: linux-ha');
  });

  test('the Filesystem resource keeps its arguments and gets the no-monitor note', () => {
    assert.match(exported.yaml, /agent: heartbeat:Filesystem\n\s+args: \[nfsha\.haw2\.ibm\.com:\/ha, \/ha, nfs, "rw,hard"\]/);
    assert.equal(keyOfNote(exported.lines, "once 'Filesystem status'"), '- id: Filesystem');
  });
});

describe('secrets', () => {
  test('a key with a space in it: no word of it is in the YAML, the derived key only in the key file', async () => {
    const files: HadirFiles = { haCf: 'node ha1\nnode ha2\nucast eth1 10.0.0.2 # to ha2\ninitdead 60\n', haresources: '# nothing runs here yet\n', authkeys: 'auth 1\n1 sha1 TopSecret more words\n' };
    const exported = await roundTrip('secrets', files, { hostName: 'ha1', interfaces: { eth1: [{ address: '10.0.0.1', netmask: '255.255.255.0' }] } });
    assertCommentsKept(exported);
    assertNotePerWarning(exported);
    for (const word of ['TopSecret', 'more words', deriveSecret('sha1', 'TopSecret').toString('utf8')]) assert.ok(!exported.yaml.includes(word), word);
    assert.equal(keyOfNote(exported.lines, 'the key of entry 1 is the single word "…"'), 'key_file: keys');
    assert.equal(keyOf(exported.lines, '# to ha2'), '- name: ucast-eth1');
    // No group: haresources' comments and the note saying so are at the end.
    assert.ok(lineOf(exported.lines, '# nothing runs here yet') > lineOf(exported.lines, 'nodes:'));
    assert.ok(notes(exported.lines).some((note) => note.includes('defines no resource group')));
  });
});

describe('haresources lines', () => {
  test('a continued line: a trailing comment goes on the resource of its physical line', async () => {
    const files: HadirFiles = {
      haCf: 'node ha1\nnode ha2\nucast eth1 10.0.0.2\ninitdead 60\nauto_failback off # stay put\n',
      haresources: '# the groups\n\n# the web site\nha1 10.0.0.10 \\\n    httpd # the web server\nha2 smb # files\n',
      authkeys: 'auth 1\n1 sha1 SecretKey!\n',
    };
    const exported = await roundTrip('continued', files, { hostName: 'ha1', interfaces: { eth1: [{ address: '10.0.0.1', netmask: '255.255.255.0' }] } });
    assertCommentsKept(exported);
    const { lines } = exported;
    assert.equal(keyOf(lines, '# the groups'), 'groups:');
    assert.equal(keyOf(lines, '# the web site'), '- name: 10.0.0.10');
    assert.equal(keyOf(lines, '# the web server'), '- id: httpd');
    assert.equal(keyOf(lines, '# files'), '- name: smb');
    assert.equal(keyOf(lines, '# stay put'), 'failback: manual');
  });
});
