/**
 * The watchdog edge against a FIFO in a temp dir, read by the test itself (no /dev/watchdog here nor in CI):
 * the ENOTTY path for real, the ioctl path with a fake addon, and the failures that must be fast and typed.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { closeSync, constants as fsConstants, mkdtempSync, openSync, readSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { loadNetraw } from '../platform/netraw.js';
import { Watchdog, WatchdogError, type WatchdogFs, type WatchdogIoctls } from './watchdog.js';

const dir = mkdtempSync(join(tmpdir(), 'tandem-watchdog-'));
after(() => rmSync(dir, { recursive: true, force: true }));

let fifos = 0;
/** A fresh FIFO with a non-blocking reader already open. */
function fifoWithReader(): { path: string; reader: number; read: () => string; closeReader: () => void } {
  const path = join(dir, `wd${fifos++}`);
  const made = spawnSync('mkfifo', [path], { encoding: 'utf8' });
  assert.equal(made.status, 0, made.stderr);
  const reader = openSync(path, fsConstants.O_RDONLY | fsConstants.O_NONBLOCK);
  let open = true;
  return {
    path,
    reader,
    read: () => {
      const buffer = Buffer.alloc(64);
      try {
        return buffer.toString('latin1', 0, readSync(reader, buffer, 0, buffer.length, null));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'EAGAIN') return '';
        throw error;
      }
    },
    closeReader: () => {
      if (open) closeSync(reader);
      open = false;
    },
  };
}

function fakeIoctls(setTo: (seconds: number) => number): WatchdogIoctls & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    watchdogSetTimeout: (fd, seconds) => (calls.push(`settimeout ${seconds}`), assert.ok(fd >= 0), setTo(seconds)),
    watchdogKeepalive: () => void calls.push('keepalive'),
  };
}

function errno(code: string, message: string): Error {
  return Object.assign(new Error(message), { code });
}

test('a FIFO is not a watchdog: ENOTTY, the timeout is the requested one, feeds are writes, close(true) writes V', () => {
  const fifo = fifoWithReader();
  const watchdog = Watchdog.open({ path: fifo.path, timeoutMs: 1500 });
  try {
    assert.equal(watchdog.path, fifo.path);
    assert.equal(watchdog.timeoutSetByDevice, false);
    assert.equal(watchdog.effectiveTimeoutMs, 1500);
    assert.match(watchdog.timeoutNote ?? '', /FIFO stand-in.*ENOTTY/);
    assert.equal(watchdog.keepaliveBy, 'write');
    assert.equal(fifo.read(), '', 'opening writes nothing');
    watchdog.feed();
    assert.equal(fifo.read(), '\n');
    watchdog.feed();
    watchdog.feed();
    assert.equal(fifo.read(), '\n\n');
  } finally {
    watchdog.close(true);
  }
  assert.equal(watchdog.isClosed, true);
  assert.equal(fifo.read(), 'V');
  assert.equal(fifo.read(), '', 'then EOF: the writer closed');
  fifo.closeReader();
});

test('close(false) closes without V', () => {
  const fifo = fifoWithReader();
  const watchdog = Watchdog.open({ path: fifo.path, timeoutMs: 1000 });
  watchdog.feed();
  watchdog.close(false);
  assert.equal(fifo.read(), '\n');
  fifo.closeReader();
});

test('after close, feed and close throw TND_E_WATCHDOG_CLOSED', () => {
  const fifo = fifoWithReader();
  const watchdog = Watchdog.open({ path: fifo.path, timeoutMs: 1000 });
  watchdog.close(true);
  assert.throws(() => watchdog.feed(), (error: unknown) => error instanceof WatchdogError && error.code === 'TND_E_WATCHDOG_CLOSED');
  assert.throws(() => watchdog.close(true), (error: unknown) => error instanceof WatchdogError && error.code === 'TND_E_WATCHDOG_CLOSED');
  fifo.closeReader();
});

test('a FIFO without a reader fails fast with TND_E_WATCHDOG_NO_READER instead of blocking', () => {
  const fifo = fifoWithReader();
  fifo.closeReader();
  const started = performance.now();
  assert.throws(
    () => Watchdog.open({ path: fifo.path, timeoutMs: 1000 }),
    (error: unknown) => error instanceof WatchdogError && error.code === 'TND_E_WATCHDOG_NO_READER' && error.errno === 'ENXIO' && error.message.includes(fifo.path),
  );
  assert.ok(performance.now() - started < 1000);
});

test('a missing path fails with TND_E_WATCHDOG_OPEN naming the path', () => {
  const path = join(dir, 'no-such-watchdog');
  assert.throws(
    () => Watchdog.open({ path, timeoutMs: 1000 }),
    (error: unknown) => error instanceof WatchdogError && error.code === 'TND_E_WATCHDOG_OPEN' && error.errno === 'ENOENT' && error.path === path && error.message.includes(path),
  );
});

test('a regular file is refused: keep-alives into a file would enforce nothing', () => {
  const path = join(dir, 'plain-file');
  writeFileSync(path, '');
  assert.throws(() => Watchdog.open({ path, timeoutMs: 1000 }), (error: unknown) => error instanceof WatchdogError && error.code === 'TND_E_WATCHDOG_NOT_A_DEVICE');
});

test('a feed whose reader is gone throws TND_E_WATCHDOG_FEED (EPIPE)', () => {
  const fifo = fifoWithReader();
  const watchdog = Watchdog.open({ path: fifo.path, timeoutMs: 1000 });
  fifo.closeReader();
  assert.throws(() => watchdog.feed(), (error: unknown) => error instanceof WatchdogError && error.code === 'TND_E_WATCHDOG_FEED' && error.errno === 'EPIPE');
  // The magic close cannot be written either: the failure says the machine will be reset, and the fd is closed.
  assert.throws(() => watchdog.close(true), (error: unknown) => error instanceof WatchdogError && error.code === 'TND_E_WATCHDOG_CLOSE' && /will be reset/.test(error.message));
  assert.equal(watchdog.isClosed, true);
});

test('the ioctl path: the driver rounds the timeout, feeds are WDIOC_KEEPALIVE, close(true) still writes V', () => {
  const fifo = fifoWithReader();
  const ioctls = fakeIoctls((seconds) => seconds + 1);
  const watchdog = Watchdog.open({ path: fifo.path, timeoutMs: 2500 }, { ioctls: { ok: true, ioctls } });
  assert.equal(watchdog.timeoutSetByDevice, true);
  assert.equal(watchdog.timeoutNote, undefined);
  assert.equal(watchdog.effectiveTimeoutMs, 3000, 'asked for 2 s (rounded down), the driver set 3 s');
  assert.equal(watchdog.keepaliveBy, 'ioctl');
  watchdog.feed();
  watchdog.feed();
  assert.deepEqual(ioctls.calls, ['settimeout 2', 'keepalive', 'keepalive']);
  assert.equal(fifo.read(), '', 'keep-alives by ioctl write nothing');
  watchdog.close(true);
  assert.equal(fifo.read(), 'V');
  fifo.closeReader();
});

test('a sub-second timeout asks a device for 1 s', () => {
  const fifo = fifoWithReader();
  const ioctls = fakeIoctls((seconds) => seconds);
  const watchdog = Watchdog.open({ path: fifo.path, timeoutMs: 300 }, { ioctls: { ok: true, ioctls } });
  assert.equal(watchdog.effectiveTimeoutMs, 1000);
  watchdog.close(true);
  fifo.closeReader();
});

test('a driver without WDIOC_KEEPALIVE: the feed falls back to writes, for good', () => {
  const fifo = fifoWithReader();
  const ioctls: WatchdogIoctls = {
    watchdogSetTimeout: (_fd, seconds) => seconds,
    watchdogKeepalive: () => {
      throw errno('EOPNOTSUPP', 'ioctl(WDIOC_KEEPALIVE): Operation not supported');
    },
  };
  const watchdog = Watchdog.open({ path: fifo.path, timeoutMs: 5000 }, { ioctls: { ok: true, ioctls } });
  watchdog.feed();
  assert.equal(watchdog.keepaliveBy, 'write');
  assert.equal(fifo.read(), '\n');
  watchdog.close(true);
  fifo.closeReader();
});

test('a refused timeout (EINVAL) disarms the device before throwing TND_E_WATCHDOG_TIMEOUT', () => {
  const fifo = fifoWithReader();
  const ioctls = fakeIoctls(() => {
    throw errno('EINVAL', 'ioctl(WDIOC_SETTIMEOUT): Invalid argument');
  });
  assert.throws(
    () => Watchdog.open({ path: fifo.path, timeoutMs: 600_000 }, { ioctls: { ok: true, ioctls } }),
    (error: unknown) => error instanceof WatchdogError && error.code === 'TND_E_WATCHDOG_TIMEOUT' && error.errno === 'EINVAL',
  );
  assert.equal(fifo.read(), 'V', 'magic close');
  assert.equal(fifo.read(), '', 'and closed');
  fifo.closeReader();
});

test('another keep-alive failure is a typed TND_E_WATCHDOG_FEED', () => {
  const fifo = fifoWithReader();
  const ioctls: WatchdogIoctls = {
    watchdogSetTimeout: (_fd, seconds) => seconds,
    watchdogKeepalive: () => {
      throw errno('EIO', 'ioctl(WDIOC_KEEPALIVE): Input/output error');
    },
  };
  const watchdog = Watchdog.open({ path: fifo.path, timeoutMs: 5000 }, { ioctls: { ok: true, ioctls } });
  assert.throws(() => watchdog.feed(), (error: unknown) => error instanceof WatchdogError && error.code === 'TND_E_WATCHDOG_FEED' && error.errno === 'EIO');
  assert.equal(watchdog.keepaliveBy, 'ioctl');
  watchdog.close(true);
  fifo.closeReader();
});

test('no addon: the timeout is not set by the device, and the note says why', () => {
  const fifo = fifoWithReader();
  const watchdog = Watchdog.open({ path: fifo.path, timeoutMs: 4000 }, { ioctls: { ok: false, reason: 'netraw.node is not built' } });
  assert.equal(watchdog.timeoutSetByDevice, false);
  assert.equal(watchdog.effectiveTimeoutMs, 4000);
  assert.match(watchdog.timeoutNote ?? '', /netraw\.node is not built/);
  watchdog.feed();
  assert.equal(fifo.read(), '\n');
  watchdog.close(true);
  fifo.closeReader();
});

test('a character device is opened blocking, a FIFO non-blocking; EBUSY says another holder', () => {
  const opened: number[] = [];
  const fs: WatchdogFs = {
    statSync: () => ({ isCharacterDevice: () => true, isFIFO: () => false }),
    openSync: (_path, flags) => {
      opened.push(flags);
      throw errno('EBUSY', 'EBUSY: resource busy or locked, open');
    },
    writeSync: () => assert.fail('nothing to write'),
    closeSync: () => assert.fail('nothing to close'),
  };
  assert.throws(
    () => Watchdog.open({ path: '/dev/watchdog0', timeoutMs: 10_000 }, { fs, ioctls: { ok: false, reason: 'unit test' } }),
    (error: unknown) => error instanceof WatchdogError && error.code === 'TND_E_WATCHDOG_OPEN' && error.errno === 'EBUSY' && /only one process/.test(error.message),
  );
  assert.deepEqual(opened, [fsConstants.O_WRONLY]);
});

test('a bad timeout is a RangeError', () => {
  assert.throws(() => Watchdog.open({ path: '/dev/null', timeoutMs: 0 }), RangeError);
  assert.throws(() => Watchdog.open({ path: '/dev/null', timeoutMs: 1.5 }), RangeError);
});

test('the real addon on a character device that is not a watchdog (/dev/null): ENOTTY, the timeout is not set', () => {
  // The addon is built at `npm ci` (.ci/run installs its build tools): without it this path is untested, a failure.
  const load = loadNetraw();
  assert.ok(load.ok, load.ok ? '' : `the netraw addon does not load: ${load.reason}`);
  const watchdog = Watchdog.open({ path: '/dev/null', timeoutMs: 2000 });
  assert.equal(watchdog.kind, 'device');
  assert.equal(watchdog.timeoutSetByDevice, false);
  assert.match(watchdog.timeoutNote ?? '', /does not take a timeout.*ENOTTY/);
  watchdog.feed();
  watchdog.close(true);
});
