/**
 * OCF agents: the real `ocf:heartbeat:Dummy` and `IPaddr2` (meta-data only — never started) from Debian's
 * resource-agents, plus fixture agents under test/agents/ocf that hang, crash or answer out of range. Dummy keeps its
 * state in a file we place in a temp dir (OCF_RESKEY_state, HA_RSCTMP), so nothing on the host is touched.
 */
import { strict as assert } from 'node:assert';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { buildOcfAgent, mapOcfExit, OCF_ROOT_DEFAULT, type OcfAgent, type OcfAgentOptions } from './ocf.js';
import { validateOcfParameters } from './ocf-metadata.js';
import { cleanUp, fixturePath, isProcessAlive, makeTempDir, trackPid, waitUntil } from './testing.js';
import { OCF_RC, succeeded } from './types.js';

after(cleanUp);

const DUMMY = join(OCF_ROOT_DEFAULT, 'resource.d', 'heartbeat', 'Dummy');
const IPADDR2 = join(OCF_ROOT_DEFAULT, 'resource.d', 'heartbeat', 'IPaddr2');
const noResourceAgents = existsSync(DUMMY) && existsSync(IPADDR2) ? false : 'Debian package resource-agents is not installed';

function agent(options: Omit<OcfAgentOptions, 'resourceId'> & { resourceId?: string }): OcfAgent {
  const built = buildOcfAgent({ resourceId: 'res1', ...options });
  assert.ok(built.ok, 'agent options are valid');
  return built.value;
}

async function dummy(): Promise<{ agent: OcfAgent; stateFile: string }> {
  const dir = await makeTempDir('ocf-dummy');
  const stateFile = join(dir, 'dummy.state');
  return { agent: agent({ provider: 'heartbeat', type: 'Dummy', params: { state: stateFile }, rscTmpDir: dir }), stateFile };
}

test('Dummy: start → monitor 0 → stop → monitor 7, state kept in our temp file', { skip: noResourceAgents }, async () => {
  const { agent: res, stateFile } = await dummy();
  assert.equal(res.describe, 'ocf:heartbeat:Dummy');
  const probe = await res.run('monitor', { timeoutMs: 10_000 });
  assert.equal(probe.rc, OCF_RC.NOT_RUNNING);
  const start = await res.run('start', { timeoutMs: 10_000 });
  assert.ok(succeeded(start), JSON.stringify(start));
  assert.ok(existsSync(stateFile));
  const running = await res.run('monitor', { timeoutMs: 10_000, intervalMs: 10_000 });
  assert.equal(running.exec, 'done');
  assert.equal(running.rc, OCF_RC.SUCCESS);
  const stop = await res.run('stop', { timeoutMs: 10_000 });
  assert.ok(succeeded(stop));
  assert.ok(!existsSync(stateFile));
  const stopped = await res.run('monitor', { timeoutMs: 10_000, intervalMs: 10_000 });
  assert.equal(stopped.exec, 'done');
  assert.equal(stopped.rc, OCF_RC.NOT_RUNNING);
  assert.equal(stopped.rawExitCode, 7);
  // A recurring (non-probe) monitor that finds it stopped prints Dummy's exit reason.
  assert.match(stopped.outputTail, /No process state file found/);
  const stopAgain = await res.run('stop', { timeoutMs: 10_000 });
  assert.ok(succeeded(stopAgain), 'stop of a stopped resource succeeds');
});

test('Dummy meta-data is parsed: parameters and actions with durations in ms', { skip: noResourceAgents }, async () => {
  const { agent: res } = await dummy();
  const answer = await res.metaData();
  assert.ok(answer.ok, answer.ok ? '' : answer.issue.message);
  const { metadata } = answer;
  assert.equal(metadata.name, 'Dummy');
  const state = metadata.parameters.find((parameter) => parameter.name === 'state');
  assert.deepEqual(
    { ...state, default: undefined },
    { name: 'state', required: false, unique: true, type: 'string', default: undefined },
  );
  assert.match(state?.default ?? '', /Dummy-res1\.state$/, 'the default names OCF_RESOURCE_INSTANCE');
  assert.deepEqual(metadata.parameters.find((parameter) => parameter.name === 'fake'), { name: 'fake', required: false, unique: false, type: 'string', default: 'dummy' });
  const actions = new Map(metadata.actions.map((action) => [action.name, action]));
  for (const name of ['start', 'stop', 'monitor', 'meta-data', 'validate-all']) assert.ok(actions.has(name), `action ${name}`);
  assert.deepEqual(actions.get('start'), { name: 'start', timeoutMs: 20_000 });
  assert.deepEqual(actions.get('monitor'), { name: 'monitor', timeoutMs: 20_000, intervalMs: 10_000 });
  assert.deepEqual(actions.get('meta-data'), { name: 'meta-data', timeoutMs: 5000 });
});

test('validation against Dummy: an unknown parameter comes with a suggestion', { skip: noResourceAgents }, async () => {
  const { agent: res } = await dummy();
  const answer = await res.metaData();
  assert.ok(answer.ok);
  assert.deepEqual(validateOcfParameters(answer.metadata, { state: '/tmp/x' }), []);
  const issues = validateOcfParameters(answer.metadata, { stat: '/tmp/x' });
  assert.equal(issues.length, 1);
  assert.equal(issues[0]?.code, 'TND_E_AGENT_PARAM_UNKNOWN');
  assert.equal(issues[0]?.path, 'params.stat');
  assert.equal(issues[0]?.suggestion, 'state');
  assert.match(issues[0]?.message ?? '', /did you mean 'state'/);
});

test('validation against IPaddr2 (meta-data only): its required ip is missing', { skip: noResourceAgents }, async () => {
  const dir = await makeTempDir('ocf-ipaddr2');
  const res = agent({ provider: 'heartbeat', type: 'IPaddr2', params: {}, rscTmpDir: dir });
  const answer = await res.metaData();
  assert.ok(answer.ok, answer.ok ? '' : answer.issue.message);
  const ip = answer.metadata.parameters.find((parameter) => parameter.name === 'ip');
  assert.equal(ip?.required, true);
  const issues = validateOcfParameters(answer.metadata, { cidr_netmask: '24' });
  assert.deepEqual(issues.map((issue) => [issue.code, issue.path]), [['TND_E_AGENT_PARAM_MISSING', 'params.ip']]);
  assert.match(issues[0]?.message ?? '', /required parameter 'ip' is not given/);
  assert.deepEqual(validateOcfParameters(answer.metadata, { ip: '192.0.2.10', cidr_netmask: '24' }), []);
});

test('the environment follows OCF 1.1 and what ocf-shellfuncs reads', async () => {
  const res = agent({ provider: 'tandem-test', type: 'Env', params: { greeting: 'hi there' }, ocfRoot: fixturePath('ocf'), rscTmpDir: '/tmp/rsc', nodeName: 'alpha' });
  const result = await res.run('monitor', { timeoutMs: 5000, intervalMs: 15_000 });
  assert.ok(succeeded(result));
  const printed = new Set(result.outputTail.trim().split('\n'));
  for (const line of [
    'action=monitor',
    `OCF_ROOT=${fixturePath('ocf')}`,
    'OCF_RA_VERSION_MAJOR=1',
    'OCF_RA_VERSION_MINOR=1',
    'OCF_RESOURCE_INSTANCE=res1',
    'OCF_RESOURCE_TYPE=Env',
    'OCF_RESOURCE_PROVIDER=tandem-test',
    'OCF_RESKEY_greeting=hi there',
    'OCF_RESKEY_CRM_meta_timeout=5000',
    'OCF_RESKEY_CRM_meta_interval=15000',
    'OCF_RESKEY_CRM_meta_on_node=alpha',
    'HA_RSCTMP=/tmp/rsc',
  ]) {
    assert.ok(printed.has(line), `${line} in ${result.outputTail}`);
  }
  assert.equal(res.environment('start', { timeoutMs: 1000, intervalMs: 9 })['OCF_RESKEY_CRM_meta_interval'], '0', 'only monitors have an interval');
});

test('a hung agent times out and its whole group is killed', async () => {
  const dir = await makeTempDir('ocf-hang');
  const pidFile = join(dir, 'pids');
  const res = agent({ provider: 'tandem-test', type: 'Hang', params: { pidfile: pidFile }, ocfRoot: fixturePath('ocf') });
  const result = await res.run('start', { timeoutMs: 300 });
  const pids = (await readFile(pidFile, 'utf8')).trim().split(' ').map(Number);
  pids.forEach(trackPid);
  assert.equal(result.exec, 'timeout');
  assert.equal(result.rc, undefined);
  assert.equal(succeeded(result), false);
  assert.ok(await waitUntil(() => pids.every((pid) => !isProcessAlive(pid)), 1000), 'agent and grandchild are gone');
});

test('a crashing agent is a killed result, never an exception', async () => {
  const res = agent({ provider: 'tandem-test', type: 'Crash', params: {}, ocfRoot: fixturePath('ocf') });
  const result = await res.run('monitor', { timeoutMs: 5000 });
  assert.equal(result.exec, 'killed');
  assert.equal(result.signal, 'SIGSEGV');
  assert.equal(succeeded(result), false);
});

test('exit codes outside 0-9 become ERR_GENERIC; stop answering 7 is a success', async () => {
  const res = agent({ provider: 'tandem-test', type: 'Odd', params: {}, ocfRoot: fixturePath('ocf') });
  const start = await res.run('start', { timeoutMs: 5000 });
  assert.deepEqual([start.exec, start.rc, start.rawExitCode], ['done', OCF_RC.ERR_GENERIC, 42]);
  const stop = await res.run('stop', { timeoutMs: 5000 });
  assert.deepEqual([stop.exec, stop.rc, stop.rawExitCode], ['done', OCF_RC.SUCCESS, 7]);
  const metadata = await res.metaData();
  assert.equal(metadata.ok, false);
  assert.equal(metadata.ok ? '' : metadata.issue.code, 'TND_E_AGENT_METADATA');
  assert.deepEqual(mapOcfExit('monitor', 7), { rc: OCF_RC.NOT_RUNNING });
  assert.deepEqual(mapOcfExit('start', 8), { rc: OCF_RC.RUNNING_PROMOTED });
});

test('a missing agent is not-installed; its meta-data is an issue', async () => {
  const res = agent({ provider: 'tandem-test', type: 'Missing', params: {}, ocfRoot: fixturePath('ocf') });
  const result = await res.run('start', { timeoutMs: 1000 });
  assert.equal(result.exec, 'not-installed');
  const metadata = await res.metaData(1000);
  assert.equal(metadata.ok ? '' : metadata.issue.code, 'TND_E_AGENT_METADATA');
  assert.match(metadata.ok ? '' : metadata.issue.message, /not-installed/);
});

test('bad provider, type, parameter names and relative roots are issues, not agents', () => {
  const built = buildOcfAgent({ resourceId: 'r', provider: '../etc', type: 'a/b', params: { 'bad-name': 'x', ok_name: 'y' }, ocfRoot: 'relative' });
  assert.equal(built.ok, false);
  assert.deepEqual(built.ok ? [] : built.issues.map((issue) => [issue.code, issue.path]), [
    ['TND_E_AGENT_SPEC', 'provider'],
    ['TND_E_AGENT_SPEC', 'type'],
    ['TND_E_AGENT_SPEC', 'ocfRoot'],
    ['TND_E_AGENT_PARAM_NAME', 'params.bad-name'],
  ]);
});
