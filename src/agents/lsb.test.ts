/**
 * LSB init scripts through the fixture test/agents/init.d/fake-service, whose state is a temp file: the status code
 * table, start/stop exit codes, and LSB's rule that starting a started service and stopping a stopped one exit 0.
 */
import { strict as assert } from 'node:assert';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { buildLsbAgent, lsbVerb, mapLsbStatus, type LsbAgent } from './lsb.js';
import type { ProcessRunner, RunRequest } from './process-runner.js';
import { cleanUp, fixturePath, makeTempDir } from './testing.js';
import { OCF_RC, succeeded } from './types.js';

after(cleanUp);

function fakeService(env: Record<string, string>): LsbAgent {
  const built = buildLsbAgent({ name: 'fake-service', initDir: fixturePath('init.d'), env });
  assert.ok(built.ok);
  return built.value;
}

test('status exit codes map to OCF monitor results', async () => {
  const dir = await makeTempDir('lsb-status');
  const table: Array<[number, number, RegExp | undefined]> = [
    [0, OCF_RC.SUCCESS, undefined],
    [1, OCF_RC.ERR_GENERIC, /dead and \/var\/run pid file exists/],
    [2, OCF_RC.ERR_GENERIC, /dead and \/var\/lock lock file exists/],
    [3, OCF_RC.NOT_RUNNING, undefined],
    [4, OCF_RC.ERR_GENERIC, /unknown/],
    [5, OCF_RC.ERR_GENERIC, /not an LSB status code/],
    [150, OCF_RC.ERR_GENERIC, /not an LSB status code/],
  ];
  for (const [code, rc, detail] of table) {
    const result = await fakeService({ FAKE_SERVICE_STATE: join(dir, 'state'), FAKE_SERVICE_STATUS: String(code) }).run('monitor', { timeoutMs: 5000 });
    assert.equal(result.exec, 'done', `status ${code}`);
    assert.equal(result.rc, rc, `status ${code}`);
    assert.equal(result.rawExitCode, code);
    if (detail !== undefined) assert.match(result.detail ?? '', detail);
    assert.deepEqual(mapLsbStatus(code).rc, rc);
  }
});

test('start → status running → stop → status stopped; repeated start and stop still succeed', async () => {
  const dir = await makeTempDir('lsb-cycle');
  const state = join(dir, 'state');
  const service = fakeService({ FAKE_SERVICE_STATE: state });
  assert.equal(service.describe, 'lsb:fake-service');
  assert.equal((await service.run('monitor', { timeoutMs: 5000 })).rc, OCF_RC.NOT_RUNNING);
  for (let round = 0; round < 2; round++) assert.ok(succeeded(await service.run('start', { timeoutMs: 5000 })), `start #${round + 1}`);
  assert.ok(existsSync(state));
  const running = await service.run('monitor', { timeoutMs: 5000 });
  assert.equal(running.rc, OCF_RC.SUCCESS);
  assert.match(running.outputTail, /is running/);
  for (let round = 0; round < 2; round++) assert.ok(succeeded(await service.run('stop', { timeoutMs: 5000 })), `stop #${round + 1}`);
  assert.equal((await service.run('monitor', { timeoutMs: 5000 })).rc, OCF_RC.NOT_RUNNING);
});

test('a failing start is ERR_GENERIC whatever its code; a missing script is not-installed', async () => {
  // Without FAKE_SERVICE_STATE the script fails in ${VAR:?} (exit 2 in dash, 1 in bash).
  const broken = await fakeService({}).run('start', { timeoutMs: 5000 });
  assert.deepEqual([broken.exec, broken.rc], ['done', OCF_RC.ERR_GENERIC]);
  assert.notEqual(broken.rawExitCode, 0);
  assert.match(broken.outputTail, /FAKE_SERVICE_STATE is not set/);
  const built = buildLsbAgent({ name: 'no-such-service', initDir: fixturePath('init.d') });
  assert.ok(built.ok);
  assert.equal((await built.value.run('monitor', { timeoutMs: 1000 })).exec, 'not-installed');
});

test('argv is <initDir>/<name> start|stop|status', async () => {
  const seen: RunRequest[] = [];
  const runner: ProcessRunner = async (request) => {
    seen.push(request);
    return { exec: 'done', exitCode: 0, durationMs: 1, outputTail: '', stdoutTail: '', stdoutTruncated: false };
  };
  const built = buildLsbAgent({ name: 'nginx', runner });
  assert.ok(built.ok);
  for (const action of ['start', 'monitor', 'stop'] as const) await built.value.run(action, { timeoutMs: 1000 });
  assert.deepEqual(seen.map((request) => [request.file, ...request.args]), [
    ['/etc/init.d/nginx', 'start'],
    ['/etc/init.d/nginx', 'status'],
    ['/etc/init.d/nginx', 'stop'],
  ]);
  assert.equal(lsbVerb('monitor'), 'status');
  assert.equal(buildLsbAgent({ name: '../nginx' }).ok, false);
});
