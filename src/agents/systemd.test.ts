/**
 * The systemd agent without systemd: a fake runner records the argv and answers chosen exit codes, so the test
 * checks exactly what would be run and how the answers are mapped.
 */
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import type { ProcessRunner, RunOutcome, RunRequest } from './process-runner.js';
import { buildSystemdAgent, mapSystemdIsActive } from './systemd.js';
import { OCF_RC } from './types.js';

function fakeRunner(answer: Partial<RunOutcome>): { runner: ProcessRunner; seen: RunRequest[] } {
  const seen: RunRequest[] = [];
  const runner: ProcessRunner = async (request) => {
    seen.push(request);
    return { exec: 'done', durationMs: 1, outputTail: '', stdoutTail: '', stdoutTruncated: false, ...answer };
  };
  return { runner, seen };
}

test('argv: systemctl start|stop with no password prompt, is-active for monitor', async () => {
  const { runner, seen } = fakeRunner({ exitCode: 0 });
  const built = buildSystemdAgent({ unit: 'nginx.service', runner });
  assert.ok(built.ok);
  assert.equal(built.value.describe, 'systemd:nginx.service');
  for (const action of ['start', 'monitor', 'stop'] as const) await built.value.run(action, { timeoutMs: 1500 });
  assert.deepEqual(seen.map((request) => [request.file, ...request.args]), [
    ['systemctl', '--no-ask-password', 'start', 'nginx.service'],
    ['systemctl', 'is-active', 'nginx.service'],
    ['systemctl', '--no-ask-password', 'stop', 'nginx.service'],
  ]);
  assert.ok(seen.every((request) => request.timeoutMs === 1500));
});

test('is-active exit codes: 0 running, 3 not running, others generic; start/stop 0 or generic', async () => {
  const table: Array<['start' | 'stop' | 'monitor', number, number]> = [
    ['monitor', 0, OCF_RC.SUCCESS],
    ['monitor', 3, OCF_RC.NOT_RUNNING],
    ['monitor', 1, OCF_RC.ERR_GENERIC],
    ['monitor', 4, OCF_RC.ERR_GENERIC],
    ['start', 0, OCF_RC.SUCCESS],
    ['start', 1, OCF_RC.ERR_GENERIC],
    ['stop', 5, OCF_RC.ERR_GENERIC],
  ];
  for (const [action, exitCode, rc] of table) {
    const { runner } = fakeRunner({ exitCode });
    const built = buildSystemdAgent({ unit: 'web@1.service', systemctl: '/bin/systemctl', runner });
    assert.ok(built.ok);
    const result = await built.value.run(action, { timeoutMs: 1000 });
    assert.deepEqual([result.exec, result.rc, result.rawExitCode], ['done', rc, exitCode], `${action} exit ${exitCode}`);
  }
  assert.deepEqual(mapSystemdIsActive(3), { rc: OCF_RC.NOT_RUNNING });
});

test('a systemctl that is missing or hangs stays an exec status, without rc', async () => {
  const { runner } = fakeRunner({ exec: 'timeout', detail: 'too slow' });
  const built = buildSystemdAgent({ unit: 'slow.service', runner });
  assert.ok(built.ok);
  const result = await built.value.run('start', { timeoutMs: 10 });
  assert.deepEqual([result.exec, result.rc, result.detail], ['timeout', undefined, 'too slow']);
});

test('unit names that could be read as options or paths are refused', () => {
  for (const unit of ['-H', '--host=evil', 'a/b.service', '', 'a b.service']) {
    const built = buildSystemdAgent({ unit });
    assert.equal(built.ok, false, unit);
    assert.equal(built.ok ? '' : built.issues[0]?.code, 'TND_E_AGENT_SPEC');
  }
  assert.ok(buildSystemdAgent({ unit: 'getty@tty1.service' }).ok);
});
