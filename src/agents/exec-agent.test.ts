/**
 * The exec agent with real programs (`sleep`, a shell that ignores SIGTERM) in temp state dirs: the start / monitor /
 * stop cycle, the pid file surviving a new agent object (as after a daemon restart), pid reuse detection, health
 * checks, SIGTERM → SIGKILL escalation, and start failures.
 */
import { strict as assert } from 'node:assert';
import { readFile, writeFile } from 'node:fs/promises';
import { after, test } from 'node:test';
import { buildExecAgent, type ExecAgent, type ExecAgentOptions } from './exec-agent.js';
import { liveGroupMembers } from './proc.js';
import { cleanUp, fixturePath, isProcessAlive, makeTempDir, trackPid, waitUntil } from './testing.js';
import { OCF_RC, succeeded } from './types.js';

after(cleanUp);


function execAgent(options: Omit<ExecAgentOptions, 'resourceId'> & { resourceId?: string }): ExecAgent {
  const built = buildExecAgent({ resourceId: 'web', ...options });
  assert.ok(built.ok, built.ok ? '' : JSON.stringify(built.issues));
  return built.value;
}

async function pidOf(agent: ExecAgent): Promise<number> {
  const pid = Number((await readFile(agent.pidFile, 'utf8')).split('\n')[0]);
  trackPid(pid);
  return pid;
}

test('start → monitor running → stop → monitor stopped; the pid file outlives the agent object', async () => {
  const stateDir = await makeTempDir('exec-cycle');
  const options = { command: ['sleep', '1000'], stateDir };
  const first = execAgent(options);
  assert.equal(first.describe, 'exec:web');
  assert.equal((await first.run('monitor', { timeoutMs: 1000 })).rc, OCF_RC.NOT_RUNNING);
  const start = await first.run('start', { timeoutMs: 5000 });
  assert.ok(succeeded(start), JSON.stringify(start));
  const pid = await pidOf(first);
  assert.ok(isProcessAlive(pid));
  assert.ok(succeeded(await first.run('monitor', { timeoutMs: 1000 })));
  const startAgain = await first.run('start', { timeoutMs: 5000 });
  assert.ok(succeeded(startAgain));
  assert.match(startAgain.detail ?? '', new RegExp(`already running as pid ${pid}`));
  assert.equal(await pidOf(first), pid, 'no second copy');

  // A new object (as after a daemon restart) finds the same process through the pid file.
  const second = execAgent(options);
  const monitor = await second.run('monitor', { timeoutMs: 1000 });
  assert.ok(succeeded(monitor));
  assert.match(monitor.detail ?? '', new RegExp(`pid ${pid} is alive`));
  const stop = await second.run('stop', { timeoutMs: 5000 });
  assert.ok(succeeded(stop), JSON.stringify(stop));
  assert.match(stop.detail ?? '', /ended after SIGTERM/);
  assert.ok(await waitUntil(() => !isProcessAlive(pid), 1000));
  assert.equal((await second.run('monitor', { timeoutMs: 1000 })).rc, OCF_RC.NOT_RUNNING);
  const stopAgain = await second.run('stop', { timeoutMs: 1000 });
  assert.ok(succeeded(stopAgain), 'stop when not running succeeds');
});

test('a program that ignores SIGTERM is SIGKILLed within the stop timeout, with its children', async () => {
  const stateDir = await makeTempDir('exec-stubborn');
  const agent = execAgent({ command: ['/bin/sh', '-c', 'trap "" TERM; sleep 1000 & wait'], stateDir });
  assert.ok(succeeded(await agent.run('start', { timeoutMs: 5000 })));
  const pid = await pidOf(agent);
  const stop = await agent.run('stop', { timeoutMs: 600 });
  assert.ok(succeeded(stop), JSON.stringify(stop));
  assert.match(stop.detail ?? '', /ignored SIGTERM; ended by SIGKILL/);
  assert.ok(stop.durationMs >= 250 && stop.durationMs < 1500, `stop took ${stop.durationMs} ms`);
  assert.ok(!isProcessAlive(pid));
});

test('a configurable stop signal is the one sent', async () => {
  const stateDir = await makeTempDir('exec-signal');
  // Exits 0 on SIGUSR1 only; ignores SIGTERM. If stop sent SIGTERM it would need SIGKILL.
  const agent = execAgent({ command: ['/bin/sh', '-c', 'trap "exit 0" USR1; trap "" TERM; while :; do sleep 0.05; done'], stateDir, stopSignal: 'SIGUSR1' });
  assert.ok(succeeded(await agent.run('start', { timeoutMs: 5000 })));
  await pidOf(agent);
  const stop = await agent.run('stop', { timeoutMs: 4000 });
  assert.ok(succeeded(stop));
  assert.match(stop.detail ?? '', /ended after SIGUSR1/);
});

test('a pid file naming a process that is not ours is stale', async () => {
  const stateDir = await makeTempDir('exec-stale');
  const agent = execAgent({ command: ['sleep', '1000'], stateDir });
  // Our own test process is alive but started at another time than recorded: pid reuse.
  await writeFile(agent.pidFile, `${process.pid}\n1\n`);
  const monitor = await agent.run('monitor', { timeoutMs: 1000 });
  assert.equal(monitor.rc, OCF_RC.NOT_RUNNING);
  assert.match(monitor.detail ?? '', /belongs to another program/);
  // Without a start time the command line decides; ours is `node …`, not `sleep 1000`.
  await writeFile(agent.pidFile, `${process.pid}\n`);
  assert.equal((await agent.run('monitor', { timeoutMs: 1000 })).rc, OCF_RC.NOT_RUNNING);
  const stop = await agent.run('stop', { timeoutMs: 1000 });
  assert.ok(succeeded(stop), 'stop removes the stale pid file without signalling anyone');
  assert.ok(isProcessAlive(process.pid));
});

test('the health command decides monitor once the process is alive', async () => {
  const stateDir = await makeTempDir('exec-health');
  const marker = `${stateDir}/healthy`;
  const agent = execAgent({ command: ['sleep', '1000'], health: ['/bin/sh', '-c', `test -f ${marker}`], stateDir });
  assert.ok(succeeded(await agent.run('start', { timeoutMs: 5000 })));
  const pid = await pidOf(agent);
  const unhealthy = await agent.run('monitor', { timeoutMs: 2000 });
  assert.deepEqual([unhealthy.exec, unhealthy.rc, unhealthy.rawExitCode], ['done', OCF_RC.ERR_GENERIC, 1]);
  assert.match(unhealthy.detail ?? '', new RegExp(`pid ${pid} is alive but the health check exited 1`));
  await writeFile(marker, '');
  assert.ok(succeeded(await agent.run('monitor', { timeoutMs: 2000 })));
  assert.ok(succeeded(await agent.run('stop', { timeoutMs: 2000 })));
});

test('start failures: a missing program is not-installed; an immediate exit is reported with the log', async () => {
  const stateDir = await makeTempDir('exec-fail');
  const missing = await execAgent({ command: [fixturePath('runner', 'no-such-program')], stateDir }).run('start', { timeoutMs: 2000 });
  assert.equal(missing.exec, 'not-installed');
  const quitter = execAgent({ resourceId: 'quitter', command: ['/bin/sh', '-c', 'echo "bad option --frob" >&2; exit 2'], stateDir });
  const result = await quitter.run('start', { timeoutMs: 2000 });
  assert.deepEqual([result.exec, result.rc], ['done', OCF_RC.ERR_GENERIC]);
  assert.match(result.detail ?? '', /exited 2 right after start/);
  assert.match(result.outputTail, /bad option --frob/);
  assert.equal((await quitter.run('monitor', { timeoutMs: 1000 })).rc, OCF_RC.NOT_RUNNING);
});

test('bad exec specs are issues', () => {
  const built = buildExecAgent({ resourceId: 'x/y', command: [], health: [''], stopSignal: 'SIGNOPE' as NodeJS.Signals, stateDir: 'relative' });
  assert.equal(built.ok, false);
  assert.deepEqual(built.ok ? [] : built.issues.map((issue) => issue.path), ['id', 'stateDir', 'command', 'health', 'stopSignal']);
});

test('the program killed with SIGKILL while a child it forked lives on: stop ends the orphaned process group', async () => {
  const stateDir = await makeTempDir('exec-orphans');
  // Like nginx: a leader that forks a worker into its own process group.
  const agent = execAgent({ command: ['/bin/sh', '-c', 'sleep 1000 & wait'], stateDir });
  assert.ok(succeeded(await agent.run('start', { timeoutMs: 5000 })));
  const leader = await pidOf(agent);
  let worker: number | undefined;
  assert.ok(await waitUntil(() => {
    worker = liveGroupMembers(leader).find((pid) => pid !== leader);
    return worker !== undefined;
  }, 2000), 'the worker runs in the leader\'s group');
  trackPid(worker as number);
  process.kill(leader, 'SIGKILL');
  assert.ok(await waitUntil(() => !isProcessAlive(leader), 1000));
  assert.equal((await agent.run('monitor', { timeoutMs: 1000 })).rc, OCF_RC.NOT_RUNNING, 'the program is gone');
  assert.ok(isProcessAlive(worker as number), 'its worker lives on');
  const stop = await agent.run('stop', { timeoutMs: 5000 });
  assert.ok(succeeded(stop), JSON.stringify(stop));
  assert.match(stop.detail ?? '', /was gone .* still had 1 process/);
  assert.ok(await waitUntil(() => !isProcessAlive(worker as number), 1000), 'stop ended the worker');
  const again = await agent.run('stop', { timeoutMs: 1000 });
  assert.match(again.detail ?? '', /already stopped/);
});

test('a pid file left by another agent object (a daemon restart) never makes stop signal a leftover group', async () => {
  const stateDir = await makeTempDir('exec-orphans-foreign');
  const first = execAgent({ command: ['/bin/sh', '-c', 'sleep 1000 & wait'], stateDir });
  assert.ok(succeeded(await first.run('start', { timeoutMs: 5000 })));
  const leader = await pidOf(first);
  let worker: number | undefined;
  assert.ok(await waitUntil(() => (worker = liveGroupMembers(leader).find((pid) => pid !== leader)) !== undefined, 2000));
  trackPid(worker as number);
  process.kill(leader, 'SIGKILL');
  assert.ok(await waitUntil(() => !isProcessAlive(leader), 1000));
  // Only the agent that started the program knows the group is the program's (invariant 6).
  const second = execAgent({ command: ['/bin/sh', '-c', 'sleep 1000 & wait'], stateDir });
  const stop = await second.run('stop', { timeoutMs: 1000 });
  assert.match(stop.detail ?? '', /already stopped/);
  assert.ok(isProcessAlive(worker as number), 'not signalled');
  process.kill(worker as number, 'SIGKILL');
});
