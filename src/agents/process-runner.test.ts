/**
 * The process runner against real fixture scripts (test/agents/runner/): exit codes, the bounded output tail,
 * timeouts that must kill a whole process group (including a grandchild that holds stdout or ignores SIGTERM),
 * missing programs and crashes. Each outcome is checked for its exec status, not only for "did not throw".
 */
import { strict as assert } from 'node:assert';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { AGENT_OUTPUT_BYTES_MAX, ByteTail, agentEnv, runProcess, toAgentResult } from './process-runner.js';
import { cleanUp, fixturePath, isProcessAlive, makeTempDir, trackPid, waitUntil } from './testing.js';

after(cleanUp);

const script = (name: string): string => fixturePath('runner', name);

async function readPids(file: string): Promise<number[]> {
  return (await readFile(file, 'utf8')).trim().split(/\s+/).map(Number);
}

test('exit codes are reported with exec done, and stdout and stderr both reach the tail', async () => {
  for (const code of [0, 1, 7, 42]) {
    const outcome = await runProcess({ file: script('exit-with.sh'), args: [String(code)], env: agentEnv(), timeoutMs: 5000 });
    assert.equal(outcome.exec, 'done');
    assert.equal(outcome.exitCode, code);
    assert.equal(outcome.signal, undefined);
    assert.match(outcome.outputTail, /to stdout/);
    assert.match(outcome.outputTail, /to stderr/);
    assert.equal(outcome.stdoutTail, 'to stdout\n');
    assert.ok(outcome.durationMs > 0 && outcome.durationMs < 5000);
  }
});

test('the environment is exactly what was passed, and cwd is honoured', async () => {
  const dir = await makeTempDir('runner-cwd');
  const outcome = await runProcess({ file: script('print-cwd-env.sh'), args: [], env: agentEnv({ GREETING: 'hello' }), cwd: dir, timeoutMs: 5000 });
  assert.equal(outcome.exec, 'done');
  assert.match(outcome.stdoutTail, new RegExp(`cwd=${dir}\n`));
  assert.match(outcome.stdoutTail, /greeting=hello\n/);
  assert.match(outcome.stdoutTail, /home=unset\n/, 'nothing is inherited from the test process');
});

test('a missing working directory is an error outcome, not an exception', async () => {
  const outcome = await runProcess({ file: script('exit-with.sh'), args: ['0'], env: agentEnv(), cwd: '/nonexistent/tandem', timeoutMs: 1000 });
  assert.equal(outcome.exec, 'error');
  assert.match(outcome.detail ?? '', /working directory/);
});

test('output is kept as a bounded tail that ends with the last line', async () => {
  const outcome = await runProcess({ file: script('flood.sh'), args: [], env: agentEnv(), timeoutMs: 5000 });
  assert.equal(outcome.exec, 'done');
  assert.ok(Buffer.byteLength(outcome.outputTail) <= AGENT_OUTPUT_BYTES_MAX);
  assert.ok(Buffer.byteLength(outcome.outputTail) > AGENT_OUTPUT_BYTES_MAX - 100, 'the tail is (nearly) full');
  assert.match(outcome.outputTail, /THE-END\n$/);
  assert.doesNotMatch(outcome.outputTail, /line 0 of/);
  assert.equal(outcome.stdoutTruncated, true);
});

test('ByteTail keeps the last bytes and drops a cut multi-byte character', () => {
  const tail = new ByteTail(5);
  tail.push(Buffer.from('ab'));
  tail.push(Buffer.from('cdé')); // é is 2 bytes: "abcdé" is 6 bytes
  assert.equal(tail.byteLength, 5);
  assert.equal(tail.text(), 'bcdé');
  tail.push(Buffer.from('€x')); // € is 3 bytes; tail bytes: [é2] € x → the cut é is dropped
  assert.equal(tail.text(), '€x');
  const big = new ByteTail(4);
  big.push(Buffer.from('0123456789'));
  assert.equal(big.text(), '6789');
  assert.equal(big.isTruncated, true);
});

test('a timeout kills the whole group, including a grandchild holding stdout', async () => {
  const dir = await makeTempDir('runner-hang');
  const pidFile = join(dir, 'pids');
  const outcome = await runProcess({ file: script('hang-with-grandchild.sh'), args: [pidFile], env: agentEnv(), timeoutMs: 300 });
  const [shell = 0, grandchild = 0] = await readPids(pidFile);
  [shell, grandchild].forEach(trackPid);
  assert.equal(outcome.exec, 'timeout');
  assert.match(outcome.outputTail, /hanging/);
  assert.ok(outcome.durationMs >= 300 && outcome.durationMs < 2000, `settled after ${outcome.durationMs} ms`);
  assert.ok(await waitUntil(() => !isProcessAlive(shell) && !isProcessAlive(grandchild), 1000), 'neither process is alive');
});

test('a group that ignores SIGTERM is SIGKILLed after the grace', async () => {
  const dir = await makeTempDir('runner-ignore-term');
  const pidFile = join(dir, 'pids');
  const outcome = await runProcess({ file: script('ignore-term.sh'), args: [pidFile], env: agentEnv(), timeoutMs: 200, killGraceMs: 200 });
  const [shell = 0, grandchild = 0] = await readPids(pidFile);
  [shell, grandchild].forEach(trackPid);
  assert.equal(outcome.exec, 'timeout');
  assert.match(outcome.detail ?? '', /SIGKILL/);
  assert.equal(outcome.signal, 'SIGKILL');
  assert.ok(outcome.durationMs >= 400 && outcome.durationMs < 2500, `settled after ${outcome.durationMs} ms`);
  assert.ok(await waitUntil(() => !isProcessAlive(shell) && !isProcessAlive(grandchild), 1000), 'neither process is alive');
});

test('a program that exits but leaves a child holding stdout does not hang the runner', async () => {
  const dir = await makeTempDir('runner-leaky');
  const pidFile = join(dir, 'pid');
  const outcome = await runProcess({ file: script('leaky-daemon.sh'), args: [pidFile], env: agentEnv(), timeoutMs: 10_000 });
  const [daemon = 0] = await readPids(pidFile);
  trackPid(daemon);
  assert.equal(outcome.exec, 'done');
  assert.equal(outcome.exitCode, 0);
  assert.match(outcome.outputTail, /started/);
  assert.ok(outcome.durationMs < 2000, `settled after ${outcome.durationMs} ms, not after the child's 30 s`);
  assert.ok(isProcessAlive(daemon), 'a normal exit does not kill what the program left running');
});

test('a missing or non-executable program is not-installed; exit 126/127 too', async () => {
  const missing = await runProcess({ file: script('no-such-script.sh'), args: [], env: agentEnv(), timeoutMs: 1000 });
  assert.equal(missing.exec, 'not-installed');
  assert.match(missing.detail ?? '', /ENOENT/);
  const notExecutable = await runProcess({ file: script('not-executable.sh'), args: [], env: agentEnv(), timeoutMs: 1000 });
  assert.equal(notExecutable.exec, 'not-installed');
  assert.match(notExecutable.detail ?? '', /EACCES/);
  for (const code of [126, 127]) {
    const outcome = await runProcess({ file: script('exit-with.sh'), args: [String(code)], env: agentEnv(), timeoutMs: 1000 });
    assert.equal(outcome.exec, 'not-installed');
    assert.equal(outcome.exitCode, code);
  }
});

test('a crash by signal is killed, with the signal named', async () => {
  const outcome = await runProcess({ file: script('segv.sh'), args: [], env: agentEnv(), timeoutMs: 5000 });
  assert.equal(outcome.exec, 'killed');
  assert.equal(outcome.signal, 'SIGSEGV');
  assert.equal(outcome.exitCode, undefined);
  assert.match(outcome.outputTail, /about to crash/);
});

test('arguments spawn refuses (a NUL byte) give an error outcome, never an exception', async () => {
  const outcome = await runProcess({ file: script('exit-with.sh'), args: ['0\0'], env: agentEnv(), timeoutMs: 1000 });
  assert.equal(outcome.exec, 'error');
});

test('toAgentResult maps only completed runs and keeps the raw code', () => {
  const base = { durationMs: 5, outputTail: 'x', stdoutTail: 'x', stdoutTruncated: false };
  const done = toAgentResult({ ...base, exec: 'done', exitCode: 3 }, (code) => ({ rc: code === 3 ? 7 : 1, detail: 'mapped' }));
  assert.deepEqual(done, { exec: 'done', rc: 7, rawExitCode: 3, durationMs: 5, outputTail: 'x', detail: 'mapped' });
  const timedOut = toAgentResult({ ...base, exec: 'timeout', signal: 'SIGTERM', detail: 'late' }, () => assert.fail('not called'));
  assert.deepEqual(timedOut, { exec: 'timeout', signal: 'SIGTERM', durationMs: 5, outputTail: 'x', detail: 'late' });
});
