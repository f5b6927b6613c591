/**
 * One fence agent run against real throwaway shell agents: the exact stdin lines (action, nodename, plug/port from
 * the host map, every parameter, nothing in argv or the agent's environment), exit codes per action (status 0/2),
 * a hung agent killed at its timeout with its whole group, crashes and garbage, missing agents, refused parameters;
 * and meta-data read and checked the way fence-agents write it (renamed parameters marked obsoletes/deprecated).
 */
import { strict as assert } from 'node:assert';
import { chmod, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { RunRequest, RunOutcome } from '../agents/process-runner.js';
import { cleanUp, isProcessAlive, makeTempDir, trackPid, waitUntil } from '../agents/testing.js';
import {
  fenceAgentSupports,
  findFenceAgent,
  readFenceMetadata,
  runFenceAgent,
  validateFenceParameters,
  type FenceDevice,
  type FenceMetadata,
} from './fence-agent.js';

after(cleanUp);

async function script(dir: string, name: string, body: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, `#!/bin/sh\n${body}\n`);
  await chmod(path, 0o755);
  return path;
}

function device(agent: string, extra: Partial<FenceDevice> = {}): FenceDevice {
  return { name: 'pdu', agent, params: {}, ...extra };
}

test('the agent gets key=value lines on stdin: action, nodename, plug and port from the host map, then every parameter', async () => {
  const dir = await makeTempDir('fence-stdin');
  const agent = await script(dir, 'fence_record', `cat > "${dir}/stdin"; echo "$#" > "${dir}/argc"; env > "${dir}/env"; exit 0`);
  const secret = 's3cr$t `id` $(id) \\n "quoted"';
  const pdu = device(agent, { params: { ip: '10.0.0.1', username: 'root', password: secret }, hostMap: { n1: 'vm-n1' } });

  const result = await runFenceAgent(pdu, 'off', 'n1', 5000);
  assert.equal(result.ok, true, result.detail);
  assert.equal(result.exitCode, 0);
  assert.equal(
    await readFile(join(dir, 'stdin'), 'utf8'),
    `action=off\nnodename=n1\nplug=vm-n1\nport=vm-n1\nip=10.0.0.1\nusername=root\npassword=${secret}\n`,
  );
  assert.equal(await readFile(join(dir, 'argc'), 'utf8'), '0\n', 'started with no arguments');
  const env = await readFile(join(dir, 'env'), 'utf8');
  assert.doesNotMatch(env, /s3cr/, 'parameters do not reach the environment');
  assert.doesNotMatch(env, /TANDEM_FENCE_INPUT/);
  assert.doesNotMatch(result.detail, /s3cr/);
  assert.match(result.detail, /^device pdu: .*fence_record off of n1 \(plug vm-n1\) succeeded in \d+ ms$/);

  await runFenceAgent(pdu, 'status', 'n2', 5000);
  assert.match(await readFile(join(dir, 'stdin'), 'utf8'), /^action=status\nnodename=n2\nplug=n2\nport=n2\nip=10\.0\.0\.1\n/, 'a node absent from the host map is its own plug');

  await runFenceAgent(device(agent, { params: { ip: 'bmc1' }, hostArgument: 'none' }), 'reboot', 'n1', 5000);
  assert.equal(await readFile(join(dir, 'stdin'), 'utf8'), 'action=reboot\nnodename=n1\nip=bmc1\n', 'hostArgument none sends no plug');

  await runFenceAgent(pdu, 'list', undefined, 5000);
  assert.equal(await readFile(join(dir, 'stdin'), 'utf8'), `action=list\nip=10.0.0.1\nusername=root\npassword=${secret}\n`, 'no target, no nodename or plug');
});

test('exit 0 succeeds and anything else fails, with the last line of output in the detail', async () => {
  const dir = await makeTempDir('fence-exit');
  const good = await script(dir, 'fence_good', 'cat >/dev/null; echo "Success: Powered OFF"; exit 0');
  const bad = await script(dir, 'fence_bad', 'cat >/dev/null; echo "Connecting…" ; echo "Failed: Unable to connect/login to fencing device" >&2; exit 1');
  const ok = await runFenceAgent(device(good), 'off', 'n1', 5000);
  assert.equal(ok.ok, true);
  assert.match(ok.output, /Powered OFF/);
  const failed = await runFenceAgent(device(bad), 'off', 'n1', 5000);
  assert.equal(failed.ok, false);
  assert.equal(failed.exitCode, 1);
  assert.equal(failed.timedOut, false);
  assert.match(failed.detail, /off of n1 failed with exit 1 in \d+ ms: Failed: Unable to connect\/login to fencing device$/);
});

test('status: exit 0 is on, exit 2 is off, anything else is an error', async () => {
  const dir = await makeTempDir('fence-status');
  for (const [code, ok, power] of [[0, true, 'on'], [2, true, 'off'], [1, false, undefined], [3, false, undefined]] as const) {
    const agent = await script(dir, `fence_status${code}`, `cat >/dev/null; exit ${code}`);
    const result = await runFenceAgent(device(agent), 'status', 'n1', 5000);
    assert.equal(result.ok, ok, `exit ${code}`);
    assert.equal(result.power, power, `exit ${code}`);
    assert.equal(result.exitCode, code);
  }
  // For every other action, 2 is a failure.
  const two = await script(dir, 'fence_two', 'cat >/dev/null; exit 2');
  assert.equal((await runFenceAgent(device(two), 'off', 'n1', 5000)).ok, false);
});

test('a hung agent is killed at its timeout, with everything it started', async () => {
  const dir = await makeTempDir('fence-hang');
  const agent = await script(dir, 'fence_hang', `cat >/dev/null; echo $$ > "${dir}/pids"; sleep 30 & echo $! >> "${dir}/pids"; echo "waiting for the switch"; wait`);
  const result = await runFenceAgent(device(agent), 'off', 'n1', 300);
  const pids = (await readFile(join(dir, 'pids'), 'utf8')).trim().split('\n').map(Number);
  pids.forEach(trackPid);
  assert.equal(result.ok, false);
  assert.equal(result.timedOut, true);
  assert.equal(result.exitCode, null);
  assert.match(result.detail, /off of n1 timed out after \d+ ms; its process group was killed: waiting for the switch$/);
  assert.ok(result.durationMs >= 300 && result.durationMs < 3000, `took ${result.durationMs} ms`);
  assert.equal(pids.length, 2);
  assert.ok(await waitUntil(() => pids.every((pid) => !isProcessAlive(pid))), 'the agent and its child are gone');
});

test('a crashing agent and one printing garbage fail with a readable detail', async () => {
  const dir = await makeTempDir('fence-crash');
  const crash = await script(dir, 'fence_crash', 'cat >/dev/null; echo "about to crash"; kill -SEGV $$');
  const crashed = await runFenceAgent(device(crash), 'off', 'n1', 5000);
  assert.equal(crashed.ok, false);
  assert.equal(crashed.exitCode, null);
  assert.match(crashed.detail, /died of signal SIGSEGV in \d+ ms: about to crash$/);

  const garbage = await script(dir, 'fence_garbage', `cat >/dev/null; printf '\\001\\002\\377garbage\\033[31m\\n\\n'; exit 7`);
  const result = await runFenceAgent(device(garbage), 'reboot', 'n1', 5000);
  assert.equal(result.ok, false);
  assert.equal(result.exitCode, 7);
  assert.match(result.detail, /failed with exit 7 in \d+ ms: .*garbage/);
  assert.doesNotMatch(result.detail, /[\x00-\x1f\x7f]/, 'no control characters in the detail line');
});

test('a missing or unusable agent is a failed result, not an exception', async () => {
  const dir = await makeTempDir('fence-missing');
  const notExecutable = join(dir, 'fence_plain');
  await writeFile(notExecutable, '#!/bin/sh\nexit 0\n');
  await chmod(notExecutable, 0o644);
  const cases: Array<[string, RegExp]> = [
    ['fence_tandem_does_not_exist', /not installed in \/usr\/sbin, \/sbin, \/usr\/local\/sbin, \/usr\/bin$/],
    [notExecutable, /is not an executable file$/],
    ['bin/fence_x', /neither an absolute path nor a fence_\* name$/],
    ['/nonexistent/fence_x', /is not an executable file$/],
  ];
  for (const [agent, detail] of cases) {
    const result = await runFenceAgent(device(agent), 'off', 'n1', 1000);
    assert.equal(result.ok, false, agent);
    assert.equal(result.exitCode, null);
    assert.match(result.detail, detail);
  }
});

test('parameters tandem writes itself, or that cannot be one line, are refused before anything runs', async () => {
  const dir = await makeTempDir('fence-refuse');
  const agent = await script(dir, 'fence_record', `cat > "${dir}/ran"; exit 0`);
  const cases: Array<[Record<string, string>, RegExp, FenceDevice['hostArgument']]> = [
    [{ action: 'on' }, /parameter 'action' is reserved/, 'plug'],
    [{ nodename: 'x' }, /parameter 'nodename' is reserved/, 'plug'],
    [{ port: '3' }, /parameter 'port' is reserved/, 'plug'],
    [{ password: 'a\nb' }, /holds a newline or NUL/, 'plug'],
    [{ 'bad key': 'x' }, /is not letters, digits/, 'plug'],
  ];
  for (const [params, detail, hostArgument] of cases) {
    const result = await runFenceAgent(device(agent, { params, hostArgument }), 'off', 'n1', 1000);
    assert.equal(result.ok, false);
    assert.match(result.detail, detail);
    assert.doesNotMatch(result.detail, /a\nb/);
  }
  await assert.rejects(readFile(join(dir, 'ran')), { code: 'ENOENT' }, 'the agent never ran');
  // With hostArgument none, a static plug is the device's own business.
  const fixed = await runFenceAgent(device(agent, { params: { port: '3' }, hostArgument: 'none' }), 'off', 'n1', 5000);
  assert.equal(fixed.ok, true, fixed.detail);
  assert.equal(await readFile(join(dir, 'ran'), 'utf8'), 'action=off\nnodename=n1\nport=3\n');
});

test('the runner is asked for /bin/sh with the agent as $0 and the lines only in the environment', async () => {
  const requests: RunRequest[] = [];
  const runner = async (request: RunRequest): Promise<RunOutcome> => {
    requests.push(request);
    return { exec: 'done', exitCode: 2, durationMs: 3, outputTail: 'Status: OFF\n', stdoutTail: 'Status: OFF\n', stdoutTruncated: false };
  };
  const result = await runFenceAgent({ name: 'd', agent: '/bin/true', params: { password: 'hunter2' } }, 'status', 'n1', 1234, runner);
  assert.deepEqual({ ok: result.ok, power: result.power, durationMs: result.durationMs }, { ok: true, power: 'off', durationMs: 3 });
  const [request] = requests;
  assert.ok(request !== undefined);
  assert.equal(request.file, '/bin/sh');
  assert.equal(request.args[0], '-c');
  assert.equal(request.args[2], '/bin/true');
  assert.equal(request.timeoutMs, 1234);
  assert.ok(!request.args.some((arg) => arg.includes('hunter2')), 'no secret in argv');
  assert.equal(request.env['TANDEM_FENCE_INPUT'], 'action=status\nnodename=n1\nplug=n1\nport=n1\npassword=hunter2');
  await assert.rejects(runFenceAgent({ name: 'd', agent: '/bin/true', params: {} }, 'off', 'n1', 0, runner), RangeError, 'a zero timeout is a programming error');
});

test('findFenceAgent finds executable fence_* programs in the given directories, and absolute paths', async () => {
  const dir = await makeTempDir('fence-find');
  const other = await makeTempDir('fence-find2');
  const found = await script(other, 'fence_foo', 'exit 0');
  await script(dir, 'fence_foo_disabled', 'exit 0');
  await chmod(join(dir, 'fence_foo_disabled'), 0o644);
  assert.equal(findFenceAgent('fence_foo', [dir, other]), found);
  assert.equal(findFenceAgent('fence_foo_disabled', [dir]), undefined);
  assert.equal(findFenceAgent('fence_bar', [dir, other]), undefined);
  assert.equal(findFenceAgent('foo', [other]), undefined, 'only fence_* names are looked up');
  assert.equal(findFenceAgent('../fence_foo', [other]), undefined);
  assert.equal(findFenceAgent(found), found);
  assert.equal(findFenceAgent(dir), undefined, 'a directory is not an agent');
});

/** Abridged from fence-agents' fence_virsh meta-data (renamed parameters appear under both names). */
const VIRSH_LIKE_METADATA = `<?xml version="1.0" ?>
<resource-agent name="fence_virshlike" shortdesc="Fence agent for virsh" >
<longdesc>fence_virsh is an I/O Fencing agent which can be used with the virtual machines managed by libvirt.</longdesc>
<vendor-url>http://libvirt.org</vendor-url>
<parameters>
	<parameter name="action" unique="0" required="1">
		<getopt mixed="-o, --action=[action]" />
		<content type="string" default="reboot"  />
		<shortdesc lang="en">Fencing action</shortdesc>
	</parameter>
	<parameter name="ip" unique="0" required="1" obsoletes="ipaddr">
		<getopt mixed="-a, --ip=[ip]" />
		<content type="string"  />
	</parameter>
	<parameter name="ipaddr" unique="0" required="1" deprecated="1">
		<getopt mixed="-a, --ip=[ip]" />
		<content type="string"  />
	</parameter>
	<parameter name="ipport" unique="0" required="0">
		<content type="integer" default="22"  />
	</parameter>
	<parameter name="login" unique="0" required="1" deprecated="1">
		<content type="string"  />
	</parameter>
	<parameter name="password" unique="0" required="0" obsoletes="passwd">
		<content type="string"  />
	</parameter>
	<parameter name="passwd" unique="0" required="0" deprecated="1">
		<content type="string"  />
	</parameter>
	<parameter name="plug" unique="0" required="1" obsoletes="port">
		<content type="string"  />
	</parameter>
	<parameter name="port" unique="0" required="1" deprecated="1">
		<content type="string"  />
	</parameter>
	<parameter name="ssh_options" unique="0" required="0">
		<content type="string" default="-t &apos;/bin/bash -c &quot;PS1=\\\\[EXPECT\\\\]#\\  /bin/bash --noprofile --norc&quot;&apos;"  />
	</parameter>
	<parameter name="username" unique="0" required="1" obsoletes="login">
		<content type="string"  />
	</parameter>
	<parameter name="ssh_path" unique="0" required="0">
		<getopt mixed="--ssh-path=[path]" />
	</parameter>
	<parameter name="inet4_only" unique="0" required="0">
		<content type="boolean"  />
	</parameter>
</parameters>
<actions>
	<action name="on" automatic="0"/>
	<action name="off" />
	<action name="reboot" />
	<action name="status" />
	<action name="list" />
	<action name="monitor" />
	<action name="metadata" />
</actions>
</resource-agent>
`;

async function virshLike(): Promise<FenceMetadata> {
  const dir = await makeTempDir('fence-meta');
  await writeFile(join(dir, 'metadata.xml'), VIRSH_LIKE_METADATA);
  const agent = await script(dir, 'fence_virshlike', `cat > "${dir}/stdin"; echo "log line on stderr" >&2; cat "${dir}/metadata.xml"`);
  const read = await readFenceMetadata(device(agent, { params: { ip: 'not sent' } }), 5000);
  assert.ok(read.ok, read.ok ? '' : read.issue.message);
  assert.equal(await readFile(join(dir, 'stdin'), 'utf8'), 'action=metadata\n', 'metadata gets no device parameters');
  return read.metadata;
}

test('readFenceMetadata parses the <resource-agent> XML of fence-agents', async () => {
  const metadata = await virshLike();
  assert.equal(metadata.name, 'fence_virshlike');
  assert.deepEqual(
    metadata.parameters.map((p) => p.name),
    ['action', 'ip', 'ipaddr', 'ipport', 'login', 'password', 'passwd', 'plug', 'port', 'ssh_options', 'username', 'ssh_path', 'inet4_only'],
  );
  assert.equal(metadata.parameters.find((p) => p.name === 'ssh_options')?.default, `-t '/bin/bash -c "PS1=\\\\[EXPECT\\\\]#\\  /bin/bash --noprofile --norc"'`);
  assert.deepEqual(metadata.aliases.get('ip'), ['ipaddr']);
  assert.deepEqual(metadata.aliases.get('port'), ['plug']);
  assert.equal(metadata.deprecated.get('login'), 'username');
  assert.equal(fenceAgentSupports(metadata, 'status'), true);
  assert.equal(fenceAgentSupports(metadata, 'on'), true);
  assert.equal(fenceAgentSupports({ ...metadata, actions: metadata.actions.filter((a) => a.name !== 'status') }, 'status'), false);
});

test('validateFenceParameters: required under any name (not action/plug/port), unknown and deprecated are warnings, reserved are errors', async () => {
  const metadata = await virshLike();
  assert.deepEqual(validateFenceParameters(metadata, { ip: 'h', username: 'u', password: 'p' }), []);

  const missing = validateFenceParameters(metadata, {});
  assert.deepEqual(
    missing.map((issue) => [issue.code, issue.severity, issue.path]),
    [
      ['TND_E_FENCE_PARAM_MISSING', 'error', 'params.ip'],
      ['TND_E_FENCE_PARAM_MISSING', 'error', 'params.username'],
    ],
  );
  assert.match(missing[0]?.message ?? '', /required parameter 'ip' \(or 'ipaddr'\) is not given/);

  const old = validateFenceParameters(metadata, { ipaddr: 'h', login: 'u', pasword: 'p', 'inet4-only': '1' });
  assert.deepEqual(
    old.map((issue) => [issue.code, issue.severity, issue.path, issue.suggestion]),
    [
      ['TND_W_FENCE_PARAM_DEPRECATED', 'warning', 'params.ipaddr', 'ip'],
      ['TND_W_FENCE_PARAM_DEPRECATED', 'warning', 'params.login', 'username'],
      ['TND_W_FENCE_PARAM_UNKNOWN', 'warning', 'params.pasword', 'password'],
    ],
  );

  const reserved = validateFenceParameters(metadata, { ip: 'h', username: 'u', plug: 'vm1', action: 'off' });
  assert.deepEqual(reserved.map((issue) => [issue.code, issue.path]), [
    ['TND_E_FENCE_PARAM_RESERVED', 'params.plug'],
    ['TND_E_FENCE_PARAM_RESERVED', 'params.action'],
  ]);
  // A single-node device (no plug sent) must give its plug itself, under either name.
  assert.deepEqual(validateFenceParameters(metadata, { ip: 'h', username: 'u', port: 'vm1' }, 'none'), [
    { code: 'TND_W_FENCE_PARAM_DEPRECATED', severity: 'warning', path: 'params.port', message: "Parameter 'port' of fence agent fence_virshlike is deprecated; use 'plug'", suggestion: 'plug' },
  ]);
  assert.deepEqual(validateFenceParameters(metadata, { ip: 'h', username: 'u' }, 'none').map((issue) => issue.path), ['params.plug']);
});

test('a failing or garbled metadata action is a TND_E_FENCE_METADATA issue', async () => {
  const dir = await makeTempDir('fence-meta-bad');
  const failing = await script(dir, 'fence_nometa', 'cat >/dev/null; echo "Failed: unknown action" >&2; exit 1');
  const garbled = await script(dir, 'fence_garbled', 'cat >/dev/null; echo "<resource-agent name=\\"x\\"><parameters>"');
  const wrongRoot = await script(dir, 'fence_wrongroot', 'cat >/dev/null; echo "<html/>"');
  for (const [agent, message] of [
    [failing, /Cannot read the meta-data of fence agent .*fence_nometa as .*failed with exit 1.*unknown action/],
    [garbled, /Cannot read the meta-data of fence agent .*fence_garbled as .*not closed/],
    [wrongRoot, /not <resource-agent>/],
  ] as const) {
    const read = await readFenceMetadata(agent, 5000);
    assert.equal(read.ok, false);
    if (read.ok) continue;
    assert.equal(read.issue.code, 'TND_E_FENCE_METADATA');
    assert.equal(read.issue.severity, 'error');
    assert.match(read.issue.message, message);
  }
});
