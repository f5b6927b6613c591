/**
 * heartbeat v1 resource scripts: the haresources token grammar (including the bare-IP shorthand) as a table, the
 * lookup order through fixture directories, the argv convention (arguments first, action last), and the status
 * rule (words on stdout, exit code ignored). Fixtures log their argv to a temp file so the calls can be checked.
 */
import { strict as assert } from 'node:assert';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, test } from 'node:test';
import {
  buildHeartbeatScriptAgent,
  findHeartbeatScript,
  judgeHeartbeatStatus,
  parseHaresource,
  parseIpShorthand,
  type HeartbeatScriptAgent,
} from './heartbeat-script.js';
import { cleanUp, fixturePath, makeTempDir } from './testing.js';
import { OCF_RC, succeeded } from './types.js';

after(cleanUp);

const DIRS = [fixturePath('heartbeat', 'resource.d'), fixturePath('heartbeat', 'init.d')];

async function scriptAgent(script: string, args: string[]): Promise<{ agent: HeartbeatScriptAgent; log: () => Promise<string[]> }> {
  const dir = await makeTempDir('hb');
  const logFile = join(dir, 'calls.log');
  const built = buildHeartbeatScriptAgent({ script, args, dirs: DIRS, env: { HB_LOG: logFile, HB_STATE_DIR: dir } });
  assert.ok(built.ok);
  const log = async (): Promise<string[]> => (await readFile(logFile, 'utf8').catch(() => '')).split('\n').filter((line) => line !== '');
  return { agent: built.value, log };
}

test('haresources tokens: Name::a::b, bare names, and the IP shorthand', () => {
  const table: Array<[string, string, string[]]> = [
    ['httpd', 'httpd', []],
    ['hbsdummy::beta', 'hbsdummy', ['beta']],
    ['Filesystem::/dev/sdb1::/data::ext4', 'Filesystem', ['/dev/sdb1', '/data', 'ext4']],
    ['IPaddr2::192.0.2.5/24/eth0', 'IPaddr2', ['192.0.2.5/24/eth0']],
    ['192.0.2.100', 'IPaddr', ['192.0.2.100']],
    ['192.0.2.100/24', 'IPaddr', ['192.0.2.100/24']],
    ['192.0.2.100/24/eth1', 'IPaddr', ['192.0.2.100/24/eth1']],
    ['192.0.2.100/24/eth1/192.0.2.255', 'IPaddr', ['192.0.2.100/24/eth1/192.0.2.255']],
  ];
  for (const [token, script, args] of table) {
    const parsed = parseHaresource(token);
    assert.ok(parsed.ok, token);
    assert.deepEqual(parsed.value, { script, args }, token);
  }
  const refused = ['', 'a b', 'httpd::', 'httpd::::x', '::x', '../evil::x', '192.0.2.300', '10.0.0.1/33', '10.0.0.1/24/eth0/bcast', '1.2.3.4/24/eth0/1.2.3.255/extra'];
  for (const token of refused) {
    const parsed = parseHaresource(token);
    assert.equal(parsed.ok, false, token);
    assert.ok(!parsed.ok && parsed.issues.every((issue) => issue.code === 'TND_E_AGENT_HARESOURCE' || issue.code === 'TND_E_AGENT_SPEC'), token);
  }
});

test('the IP shorthand pieces: ip, prefix, interface, broadcast', () => {
  const table: Array<[string, object | undefined]> = [
    ['192.0.2.1', { ip: '192.0.2.1' }],
    ['192.0.2.1/24', { ip: '192.0.2.1', prefixLength: 24 }],
    ['192.0.2.1/0', { ip: '192.0.2.1', prefixLength: 0 }],
    ['192.0.2.1/24/eth0', { ip: '192.0.2.1', prefixLength: 24, iface: 'eth0' }],
    ['192.0.2.1/24/eth0:1', { ip: '192.0.2.1', prefixLength: 24, iface: 'eth0:1' }],
    ['192.0.2.1/24/eth0/192.0.2.255', { ip: '192.0.2.1', prefixLength: 24, iface: 'eth0', broadcast: '192.0.2.255' }],
    ['192.0.2', undefined],
    ['192.0.2.1/', undefined],
    ['192.0.2.1/abc', undefined],
    ['192.0.2.1/24/0eth', undefined],
    ['192.0.2.1/24/eth0/eth1', undefined],
    ['01.2.3.4x', undefined],
  ];
  for (const [text, expected] of table) {
    const parsed = parseIpShorthand(text);
    if (expected === undefined) assert.equal(parsed.ok, false, text);
    else assert.deepEqual(parsed.ok ? parsed.value : parsed.issues, expected, text);
  }
});

test("status is judged by ResourceManager's words rule, not by the exit code", () => {
  const table: Array<[string, 'running' | 'stopped']> = [
    ['hbdummy beta is running', 'running'],
    ['Running OK', 'running'],
    ['Status: OK', 'running'],
    ['httpd (pid 42) is running...', 'running'],
    ['hbdummy beta is not running', 'stopped'],
    ['NOT running', 'stopped'],
    ['Not currently running', 'stopped'],
    ['Resource is stopped', 'stopped'],
    ['ok', 'stopped'],
    ['', 'stopped'],
    ['line one\nis not running\nat all', 'stopped'],
    // The shell pattern has a literal space after "not": a line break there does not count (heartbeat's quirk).
    ['is not\nrunning', 'running'],
  ];
  for (const [output, verdict] of table) assert.equal(judgeHeartbeatStatus(output), verdict, output);
});

test('lookup order: first directory wins, non-executable files are skipped', async () => {
  assert.equal(await findHeartbeatScript('hbdummy', DIRS), fixturePath('heartbeat', 'resource.d', 'hbdummy'));
  assert.equal(await findHeartbeatScript('onlyinit', DIRS), fixturePath('heartbeat', 'init.d', 'onlyinit'));
  assert.equal(await findHeartbeatScript('notexec', DIRS), fixturePath('heartbeat', 'init.d', 'notexec'));
  assert.equal(await findHeartbeatScript('absent', DIRS), undefined);
  assert.equal(await findHeartbeatScript('hbdummy', ['/nonexistent', ...DIRS.slice(1)]), fixturePath('heartbeat', 'init.d', 'hbdummy'));
});

test('Name::a::b runs `script a b start`; start checks status first; stop does not', async () => {
  const { agent, log } = await scriptAgent('hbdummy', ['beta', 'extra']);
  assert.equal(agent.describe, 'heartbeat:hbdummy::beta::extra');
  const start = await agent.run('start', { timeoutMs: 5000 });
  assert.ok(succeeded(start), JSON.stringify(start));
  assert.deepEqual(await log(), ['beta extra status', 'beta extra start']);
  // Running, although that status exits 3: the words decide.
  const running = await agent.run('monitor', { timeoutMs: 5000 });
  assert.deepEqual([running.rc, running.rawExitCode], [OCF_RC.SUCCESS, 3]);
  const again = await agent.run('start', { timeoutMs: 5000 });
  assert.ok(succeeded(again));
  assert.match(again.detail ?? '', /already running/);
  const stop = await agent.run('stop', { timeoutMs: 5000 });
  assert.ok(succeeded(stop));
  // Stopped, although that status exits 0: "not running" decides.
  const stopped = await agent.run('monitor', { timeoutMs: 5000 });
  assert.deepEqual([stopped.rc, stopped.rawExitCode], [OCF_RC.NOT_RUNNING, 0]);
  assert.deepEqual(await log(), ['beta extra status', 'beta extra start', 'beta extra status', 'beta extra status', 'beta extra stop', 'beta extra status']);
});

test('scripts found later in the path, silent status, and a missing script', async () => {
  const onlyInit = await scriptAgent('onlyinit', ['x']);
  assert.equal((await onlyInit.agent.run('monitor', { timeoutMs: 5000 })).rc, OCF_RC.SUCCESS, '"Status: OK" means running');
  assert.deepEqual(await onlyInit.log(), ['onlyinit x status']);
  const silent = await scriptAgent('notexec', []);
  assert.equal((await silent.agent.run('monitor', { timeoutMs: 5000 })).rc, OCF_RC.NOT_RUNNING, 'no verdict word means stopped');
  const missing = await scriptAgent('absent', []);
  const result = await missing.agent.run('start', { timeoutMs: 5000 });
  assert.equal(result.exec, 'not-installed');
  assert.match(result.detail ?? '', /No executable absent in .*resource\.d, .*init\.d/);
});
