/**
 * Fencing a node through levels, with throwaway shell fence agents whose answer per action is set by each test:
 * off confirmed by status, levels falling through, devices of one level in order, retries counted, a hung agent
 * killed at the timeout before the next level runs, missing agents, reboot across several devices (all off, then
 * all on), abort, deterministic durations with an injected clock, and plans that are programming errors.
 */
import { strict as assert } from 'node:assert';
import { chmod, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { RunOutcome, RunRequest } from '../agents/process-runner.js';
import { cleanUp, isProcessAlive, makeTempDir, trackPid, waitUntil } from '../agents/testing.js';
import type { FenceAction, FenceDevice } from './fence-agent.js';
import { FencePlanError, fenceNode, type FencePlan } from './fencer.js';

after(cleanUp);

/** What a test agent does for an action: exit with a code, or hang. Actions not listed exit 0, status exits 2. */
type Behaviour = Partial<Record<FenceAction, number | 'hang'>>;

/**
 * A fence agent that appends "<device> <action> <plug>" to the shared log and then behaves as told; a hanging one
 * writes its pid to `<dir>/<device>.pid` first.
 */
async function agentDevice(dir: string, name: string, behaviour: Behaviour, extra: Partial<FenceDevice> = {}): Promise<FenceDevice> {
  const path = join(dir, `fence_${name}`);
  const cases = Object.entries({ status: 2, ...behaviour })
    .map(([action, what]) => (what === 'hang' ? `  ${action}) echo $$ > "${dir}/${name}.pid"; sleep 30 ;;` : `  ${action}) exit ${what} ;;`))
    .join('\n');
  await writeFile(
    path,
    [
      '#!/bin/sh',
      'input=$(cat)',
      `action=$(printf '%s\\n' "$input" | sed -n 's/^action=//p')`,
      `plug=$(printf '%s\\n' "$input" | sed -n 's/^plug=//p')`,
      `echo "${name} $action $plug" >> "${dir}/log"`,
      'case "$action" in',
      cases,
      '  *) exit 0 ;;',
      'esac',
      '',
    ].join('\n'),
  );
  await chmod(path, 0o755);
  return { name, agent: path, params: {}, ...extra };
}

async function log(dir: string): Promise<string[]> {
  try {
    return (await readFile(join(dir, 'log'), 'utf8')).trim().split('\n');
  } catch (error) {
    if ((error as { code?: unknown }).code === 'ENOENT') return [];
    throw error;
  }
}

function plan(levels: FenceDevice[][], extra: Partial<FencePlan> = {}): FencePlan {
  return { levels, action: 'off', timeoutMs: 5000, retries: 0, ...extra };
}

test('off: the device turns the node off and status confirms it (exit 2)', async () => {
  const dir = await makeTempDir('fencer-off');
  const lab = await agentDevice(dir, 'lab', {});
  const outcome = await fenceNode('n1', plan([[lab]]));
  assert.equal(outcome.ok, true);
  assert.equal(outcome.node, 'n1');
  assert.match(outcome.summary, /^n1 fenced by lab \(level 1, off\) in \d+ ms$/);
  assert.deepEqual(await log(dir), ['lab off n1', 'lab status n1']);
  assert.deepEqual(
    outcome.attempts.map((a) => [a.level, a.device, a.action, a.ok, a.attempt]),
    [
      [1, 'lab', 'off', true, 1],
      [1, 'lab', 'status', true, 1],
    ],
  );
  assert.match(outcome.attempts[1]?.detail ?? '', /status of n1: off \(exit 2\)/);
  assert.ok(outcome.durationMs >= 0);
});

test('a failed level falls through to the next; the host map gives the plug', async () => {
  const dir = await makeTempDir('fencer-levels');
  const ipmi = await agentDevice(dir, 'ipmi', { off: 1 });
  const pdu = await agentDevice(dir, 'pdu', {}, { hostMap: { n1: 'outlet7' } });
  const outcome = await fenceNode('n1', plan([[ipmi], [pdu]]));
  assert.equal(outcome.ok, true);
  assert.match(outcome.summary, /^n1 fenced by pdu \(level 2, off\) in \d+ ms$/);
  assert.deepEqual(await log(dir), ['ipmi off n1', 'pdu off outlet7', 'pdu status outlet7']);
  assert.deepEqual(outcome.attempts.map((a) => [a.level, a.device, a.action, a.ok]), [
    [1, 'ipmi', 'off', false],
    [2, 'pdu', 'off', true],
    [2, 'pdu', 'status', true],
  ]);
  assert.match(outcome.attempts[0]?.detail ?? '', /off of n1 failed with exit 1/);
});

test('an off that status does not confirm (still on, or status errors) fails the level', async () => {
  const dir = await makeTempDir('fencer-unconfirmed');
  const stillOn = await agentDevice(dir, 'stillon', { status: 0 });
  const broken = await agentDevice(dir, 'broken', { status: 1 });
  const good = await agentDevice(dir, 'good', {});
  const outcome = await fenceNode('n1', plan([[stillOn], [broken], [good]]));
  assert.equal(outcome.ok, true);
  assert.match(outcome.summary, /fenced by good \(level 3, off\)/);
  const status = outcome.attempts.filter((a) => a.action === 'status');
  assert.deepEqual(status.map((a) => [a.device, a.ok]), [
    ['stillon', false],
    ['broken', false],
    ['good', true],
  ]);
  assert.match(status[0]?.detail ?? '', /on \(exit 0\).*off not confirmed, the plug is still on/);
  assert.match(status[1]?.detail ?? '', /failed with exit 1.*off not confirmed/);
});

test('a device without status is trusted on its off alone', async () => {
  const dir = await makeTempDir('fencer-nostatus');
  const kdump = await agentDevice(dir, 'kdump', { status: 1 }, { supportsStatus: false });
  const outcome = await fenceNode('n1', plan([[kdump]]));
  assert.equal(outcome.ok, true);
  assert.deepEqual(await log(dir), ['kdump off n1']);
});

test('every device of a level must succeed; the first failure ends the level', async () => {
  const dir = await makeTempDir('fencer-multi');
  const psu1 = await agentDevice(dir, 'psu1', {});
  const psu2 = await agentDevice(dir, 'psu2', { off: 1 });
  const psu3 = await agentDevice(dir, 'psu3', {});
  const outcome = await fenceNode('n1', plan([[psu1, psu2, psu3]]));
  assert.equal(outcome.ok, false);
  assert.deepEqual(await log(dir), ['psu1 off n1', 'psu1 status n1', 'psu2 off n1']);

  const both = await fenceNode('n2', plan([[psu1, psu3]]));
  assert.equal(both.ok, true);
  assert.match(both.summary, /^n2 fenced by psu1\+psu3 \(level 1, off\) in \d+ ms$/);
});

test('when every level fails, the whole sequence is retried `retries` more times, and the summary says so', async () => {
  const dir = await makeTempDir('fencer-retries');
  const a = await agentDevice(dir, 'a', { off: 1 });
  const b = await agentDevice(dir, 'b', { off: 5 });
  const outcome = await fenceNode('n1', plan([[a], [b]], { retries: 2 }));
  assert.equal(outcome.ok, false);
  assert.deepEqual(outcome.attempts.map((x) => [x.attempt, x.level, x.device]), [
    [1, 1, 'a'],
    [1, 2, 'b'],
    [2, 1, 'a'],
    [2, 2, 'b'],
    [3, 1, 'a'],
    [3, 2, 'b'],
  ]);
  assert.equal((await log(dir)).length, 6);
  assert.match(outcome.summary, /^n1 NOT fenced: all 2 levels failed 3 times \(6 agent runs, \d+ ms\); last: level 2: device b: .* off of n1 failed with exit 5/);

  const once = await fenceNode('n1', plan([[a]]));
  assert.match(once.summary, /^n1 NOT fenced: its only level failed once \(1 agent run,/);
});

test('a retry that succeeds is reported with its round', async () => {
  const dir = await makeTempDir('fencer-retry-ok');
  // Fails the first time only: the flag file is created by the first run.
  const path = join(dir, 'fence_flaky');
  await writeFile(path, `#!/bin/sh\ncat >/dev/null\nif [ -e "${dir}/ran" ]; then exit 0; fi\n: > "${dir}/ran"\nexit 1\n`);
  await chmod(path, 0o755);
  const outcome = await fenceNode('n1', plan([[{ name: 'flaky', agent: path, params: {}, supportsStatus: false }]], { retries: 3 }));
  assert.equal(outcome.ok, true);
  assert.match(outcome.summary, /^n1 fenced by flaky \(level 1, off, round 2 of 4\) in \d+ ms$/);
  assert.deepEqual(outcome.attempts.map((a) => [a.attempt, a.ok]), [
    [1, false],
    [2, true],
  ]);
});

test('a hung agent is killed at the timeout and the next level runs', async () => {
  const dir = await makeTempDir('fencer-hang');
  const hung = await agentDevice(dir, 'hung', { off: 'hang' });
  const good = await agentDevice(dir, 'good', {});
  const outcome = await fenceNode('n1', plan([[hung], [good]], { timeoutMs: 300 }));
  const pid = trackPid(Number(await readFile(join(dir, 'hung.pid'), 'utf8')));
  assert.equal(outcome.ok, true);
  assert.match(outcome.attempts[0]?.detail ?? '', /timed out after \d+ ms; its process group was killed/);
  assert.ok((outcome.attempts[0]?.durationMs ?? 0) >= 300);
  assert.ok(await waitUntil(() => !isProcessAlive(pid)), 'the hung agent is gone');
  assert.match(outcome.summary, /fenced by good \(level 2, off\)/);
});

test('a missing agent is a failed attempt with a clear detail, not an exception', async () => {
  const dir = await makeTempDir('fencer-missing');
  const good = await agentDevice(dir, 'good', {});
  const outcome = await fenceNode('n1', plan([[{ name: 'ghost', agent: 'fence_tandem_not_installed', params: {} }], [good]]));
  assert.equal(outcome.ok, true);
  assert.deepEqual(outcome.attempts[0] && [outcome.attempts[0].device, outcome.attempts[0].ok], ['ghost', false]);
  assert.match(outcome.attempts[0]?.detail ?? '', /fence_tandem_not_installed off of n1: not run as the agent is not installed/);
});

test('reboot: one device runs reboot; several devices are all turned off (confirmed) before any is turned on', async () => {
  const dir = await makeTempDir('fencer-reboot');
  const ipmi = await agentDevice(dir, 'ipmi', {});
  const single = await fenceNode('n1', plan([[ipmi]], { action: 'reboot' }));
  assert.equal(single.ok, true);
  assert.match(single.summary, /^n1 fenced by ipmi \(level 1, reboot\) in \d+ ms$/);
  assert.deepEqual(await log(dir), ['ipmi reboot n1']);

  const dir2 = await makeTempDir('fencer-reboot2');
  const psu1 = await agentDevice(dir2, 'psu1', {});
  const psu2 = await agentDevice(dir2, 'psu2', { on: 1 });
  const dual = await fenceNode('n1', plan([[psu1, psu2]], { action: 'reboot' }));
  assert.equal(dual.ok, true, 'the node was off: a failed power-on does not undo the fencing');
  assert.deepEqual(await log(dir2), ['psu1 off n1', 'psu1 status n1', 'psu2 off n1', 'psu2 status n1', 'psu1 on n1', 'psu2 on n1']);
  assert.match(dual.summary, /^n1 fenced by psu1\+psu2 \(level 1, reboot\) in \d+ ms; powering it back on failed on psu2$/);
  assert.deepEqual(dual.attempts.at(-1) && [dual.attempts.at(-1)?.action, dual.attempts.at(-1)?.ok], ['on', false]);
});

test('an aborted fencing stops before the next agent run', async () => {
  const dir = await makeTempDir('fencer-abort');
  const good = await agentDevice(dir, 'good', {});
  const before = new AbortController();
  before.abort();
  const none = await fenceNode('n1', plan([[good]]), { signal: before.signal });
  assert.equal(none.ok, false);
  assert.deepEqual(none.attempts, []);
  assert.match(none.summary, /^n1 NOT fenced: aborted after 0 agent runs in \d+ ms$/);
  assert.deepEqual(await log(dir), []);

  // Aborted while the off runs: the status confirmation is not started.
  const during = new AbortController();
  const runner = async (request: RunRequest): Promise<RunOutcome> => {
    during.abort();
    assert.match(request.env['TANDEM_FENCE_INPUT'] ?? '', /^action=off\n/);
    return { exec: 'done', exitCode: 0, durationMs: 1, outputTail: '', stdoutTail: '', stdoutTruncated: false };
  };
  const half = await fenceNode('n1', plan([[{ name: 'fake', agent: '/bin/true', params: {} }]]), { signal: during.signal, runner });
  assert.equal(half.ok, false);
  assert.deepEqual(half.attempts.map((a) => a.action), ['off']);
});

test('durations come from the injected clock', async () => {
  let clock = 0;
  const now = (): number => (clock += 50);
  const runner = async (request: RunRequest): Promise<RunOutcome> => {
    const status = /^action=status$/m.test(request.env['TANDEM_FENCE_INPUT'] ?? '');
    return { exec: 'done', exitCode: status ? 2 : 0, durationMs: 7, outputTail: '', stdoutTail: '', stdoutTruncated: false };
  };
  const outcome = await fenceNode('n1', plan([[{ name: 'lab', agent: '/bin/true', params: {} }]]), { runner, now });
  // now(): 50 start; 100/150 around off; 200/250 around status; 300 at the end.
  assert.deepEqual(outcome.attempts.map((a) => a.durationMs), [50, 50]);
  assert.equal(outcome.durationMs, 250);
  assert.equal(outcome.summary, 'n1 fenced by lab (level 1, off) in 250 ms');
});

test('a plan that is a programming error throws FencePlanError', async () => {
  const device: FenceDevice = { name: 'd', agent: '/bin/true', params: {} };
  const bad: Array<[string, FencePlan]> = [
    ['no levels', plan([])],
    ['an empty level', plan([[device], []])],
    ['a zero timeout', plan([[device]], { timeoutMs: 0 })],
    ['negative retries', plan([[device]], { retries: -1 })],
    ['fractional retries', plan([[device]], { retries: 1.5 })],
    ['another action', plan([[device]], { action: 'on' as 'off' })],
  ];
  for (const [what, wrong] of bad) await assert.rejects(fenceNode('n1', wrong), FencePlanError, what);
  await assert.rejects(fenceNode('', plan([[device]])), FencePlanError);
});
