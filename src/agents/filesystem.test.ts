/**
 * The filesystem agent against a fake `mount`/`umount` and a mount table kept in memory: argv, idempotence
 * judged from mountinfo, and the stop escalation (umount, SIGTERM holders, retry, SIGKILL). Real mounts,
 * loop devices and holder processes are tested in test/platform/filesystem.lab.test.ts.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { CommandOutcome } from '../platform/command.js';
import { parseMountinfo, type MountHolder } from '../platform/mounts.js';
import { filesystemAgent, validateFilesystemParams } from './filesystem.js';
import { OCF_RC } from './types.js';

const OPTIONS = { timeoutMs: 10_000 };
const ROOT_LINE = '21 1 254:1 / / rw,relatime shared:1 - ext4 /dev/vda1 rw';

function exited(code: number, stderr = ''): CommandOutcome {
  return { kind: 'exited', code, stdout: '', stderr, durationMs: 1 };
}

/** A kernel in miniature: `mount` adds a mountinfo line, `umount` removes it unless `busyFor` attempts remain. */
function fakeKernel(options: { busyFor?: number } = {}) {
  const lines = [ROOT_LINE];
  const calls: string[] = [];
  let busy = options.busyFor ?? 0;
  let nextId = 100;
  return {
    calls,
    lines,
    runner: async (argv: readonly string[]): Promise<CommandOutcome> => {
      calls.push(argv.join(' '));
      if (argv[0] === 'mount') {
        const [device, directory] = argv.slice(-2) as [string, string];
        const fstype = argv[1] === '--bind' ? 'ext4' : (argv[2] ?? '?');
        lines.push(`${nextId++} 21 0:50 / ${directory.replace(/ /g, '\\040')} rw,relatime shared:2 - ${fstype} ${argv[1] === '--bind' ? '/dev/vda1' : device} rw`);
        return exited(0);
      }
      if (argv[0] === 'umount') {
        if (busy > 0) {
          busy--;
          return exited(32, `umount: ${argv[1]}: target is busy.`);
        }
        const escaped = (argv[1] ?? '').replace(/ /g, '\\040');
        for (let at = lines.length - 1; at > 0; at--) {
          if (lines[at]?.split(' ')[4] === escaped) {
            lines.splice(at, 1);
            break;
          }
        }
        return exited(0);
      }
      return exited(127);
    },
    readMountinfo: async () => lines.join('\n') + '\n',
  };
}

function withDir(fn: (dir: string) => Promise<void>): () => Promise<void> {
  return async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tandem-fs-unit-'));
    try {
      await fn(dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

test('start creates the mount point and mounts; twice is fine; monitor follows; stop unmounts; twice is fine', withDir(async (dir) => {
  const kernel = fakeKernel();
  const mountPoint = join(dir, 'a b/data');
  const agent = filesystemAgent({ device: 'tmpfs', directory: mountPoint, fstype: 'tmpfs', options: 'size=16m,mode=0755' }, { runner: kernel.runner, readMountinfo: kernel.readMountinfo });
  assert.equal((await agent.run('monitor', OPTIONS)).rc, OCF_RC.NOT_RUNNING);
  const started = await agent.run('start', OPTIONS);
  assert.equal(started.rc, OCF_RC.SUCCESS, started.detail);
  assert.deepEqual(kernel.calls, [`mount -t tmpfs -o size=16m,mode=0755 tmpfs ${mountPoint}`]);
  assert.equal((await agent.run('start', OPTIONS)).rc, OCF_RC.SUCCESS);
  assert.equal(kernel.calls.length, 1, 'already mounted: no second mount');
  assert.equal((await agent.run('monitor', OPTIONS)).rc, OCF_RC.SUCCESS);
  assert.equal((await agent.run('stop', OPTIONS)).rc, OCF_RC.SUCCESS);
  assert.equal(kernel.calls[1], `umount ${mountPoint}`);
  const again = await agent.run('stop', OPTIONS);
  assert.equal(again.rc, OCF_RC.SUCCESS);
  assert.match(again.detail ?? '', /was not mounted/);
  assert.equal((await agent.run('monitor', OPTIONS)).rc, OCF_RC.NOT_RUNNING);
}));

test('bind mounts use --bind; something else mounted there makes start fail and stop leave it alone', withDir(async (dir) => {
  const kernel = fakeKernel();
  const target = join(dir, 'target');
  kernel.lines.push(`90 21 0:51 / ${target} rw - tmpfs other rw`);
  const agent = filesystemAgent({ device: '/dev/loop7', directory: target, fstype: 'ext4' }, { runner: kernel.runner, readMountinfo: kernel.readMountinfo });
  const started = await agent.run('start', OPTIONS);
  assert.equal(started.rc, OCF_RC.ERR_GENERIC);
  assert.match(started.detail ?? '', /already has other \(tmpfs\) mounted/);
  assert.equal((await agent.run('stop', OPTIONS)).rc, OCF_RC.SUCCESS);
  assert.equal((await agent.run('monitor', OPTIONS)).rc, OCF_RC.NOT_RUNNING);
  assert.deepEqual(kernel.calls, [], 'neither mounted over nor unmounted');

  const bind = filesystemAgent({ device: dir, directory: join(dir, 'bound'), fstype: 'bind', options: 'rw' }, { runner: kernel.runner, readMountinfo: kernel.readMountinfo });
  await bind.run('start', OPTIONS); // the fake kernel cannot make the directory show the source: only argv is checked here
  assert.deepEqual(kernel.calls, [`mount --bind -o rw ${dir} ${join(dir, 'bound')}`]);
}));

test('a missing device is rc 5 (not on this node); bad parameters are rc 6', withDir(async (dir) => {
  const kernel = fakeKernel();
  const missing = await filesystemAgent({ device: '/dev/does-not-exist', directory: join(dir, 'm'), fstype: 'ext4' }, { runner: kernel.runner, readMountinfo: kernel.readMountinfo }).run('start', OPTIONS);
  assert.equal(missing.rc, OCF_RC.ERR_INSTALLED);
  for (const params of [{ device: 'tmpfs', directory: 'relative', fstype: 'tmpfs' }, { device: 'tmpfs', directory: '/', fstype: 'tmpfs' }, { device: 'tmpfs', directory: '/mnt/x', fstype: 'tmp fs' }, { device: 'tmpfs', directory: '/mnt/x', fstype: 'tmpfs', options: 'a b' }]) {
    assert.equal((await filesystemAgent(params, { runner: kernel.runner, readMountinfo: kernel.readMountinfo }).run('start', OPTIONS)).rc, OCF_RC.ERR_CONFIGURED, JSON.stringify(params));
  }
  assert.deepEqual(kernel.calls, []);
  assert.deepEqual(validateFilesystemParams({ device: 'tmpfs', directory: '/mnt//x/', fstype: 'tmpfs' }), { ok: true, params: { device: 'tmpfs', directory: '/mnt/x', fstype: 'tmpfs', options: '' } });
}));

test('stop escalates: busy umount → SIGTERM holders → retry → SIGKILL → unmounted', withDir(async (dir) => {
  const kernel = fakeKernel({ busyFor: 4 });
  const signals: string[] = [];
  const holder: MountHolder = { pid: 4242, command: 'sleep', via: 'cwd' };
  const agent = filesystemAgent({ device: 'tmpfs', directory: join(dir, 'busy'), fstype: 'tmpfs' }, {
    runner: kernel.runner,
    readMountinfo: kernel.readMountinfo,
    findHolders: async (mount) => (assert.equal(mount.fstype, 'tmpfs'), [holder]),
    signal: (holders, signal) => (signals.push(`${holders.map((h) => h.pid).join(',')} ${signal}`), holders.map((h) => h.pid)),
    sleep: async () => undefined,
  });
  assert.equal((await agent.run('start', OPTIONS)).rc, OCF_RC.SUCCESS);
  const stopped = await agent.run('stop', OPTIONS);
  assert.equal(stopped.rc, OCF_RC.SUCCESS, stopped.detail);
  assert.deepEqual(signals, ['4242 SIGTERM', '4242 SIGTERM', '4242 SIGKILL', '4242 SIGKILL']);
  assert.equal(kernel.calls.filter((call) => call.startsWith('umount')).length, 5);
  assert.match(stopped.detail ?? '', /unmounted .* after signalling 4242 \(sleep, SIGTERM\)/);

  const stuck = fakeKernel({ busyFor: 100 });
  const never = filesystemAgent({ device: 'tmpfs', directory: join(dir, 'stuck'), fstype: 'tmpfs' }, { runner: stuck.runner, readMountinfo: stuck.readMountinfo, findHolders: async () => [holder], signal: () => [], sleep: async () => undefined });
  await never.run('start', OPTIONS);
  const failed = await never.run('stop', OPTIONS);
  assert.equal(failed.rc, OCF_RC.ERR_GENERIC);
  assert.match(failed.detail ?? '', /target is busy.*still mounted after 6 attempts; held by 4242 sleep \(cwd\)/);
}));

test('parseMountinfo: escapes, optional fields, the top mount wins', () => {
  const entries = parseMountinfo([
    ROOT_LINE,
    '30 21 0:40 / /mnt/with\\040space rw shared:5 master:1 - tmpfs tmpfs rw,size=1024k',
    '31 21 7:3 /sub /srv/bound rw - ext4 /dev/loop3 rw',
    'garbage line',
  ].join('\n'));
  assert.equal(entries.length, 3);
  assert.deepEqual(entries[1], { mountId: 30, parentId: 21, device: '0:40', root: '/', mountPoint: '/mnt/with space', options: 'rw', fstype: 'tmpfs', source: 'tmpfs', superOptions: 'rw,size=1024k' });
  assert.equal(entries[2]?.root, '/sub');
});
