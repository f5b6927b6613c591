/**
 * The lab's watchdog stand-in (a FIFO) with the real `Watchdog` class as its writer, in one process: it
 * expires when feeding stops, not while fed, not after the magic close, and re-arms for a new writer.
 * No namespaces and no root needed.
 */
import assert from 'node:assert/strict';
import { closeSync, constants as fsConstants, existsSync, mkdtempSync, openSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { Watchdog } from '../../src/fencing/watchdog.js';
import { createWatchdogStandin, type WatchdogStandin } from './watchdog-standin.js';

const dir = mkdtempSync(join(tmpdir(), 'tandem-standin-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const TIMEOUT_MS = 300;
let count = 0;

async function standin(timeoutMs = TIMEOUT_MS): Promise<{ standin: WatchdogStandin; expirations: number[] }> {
  const expirations: number[] = [];
  const made = await createWatchdogStandin({ path: join(dir, `watchdog${count++}`), timeoutMs, onExpire: () => void expirations.push(Date.now()) });
  return { standin: made, expirations };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function waitUntil(what: string, check: () => boolean, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

/** Feeds every `everyMs` for `forMs`. */
async function feedFor(watchdog: Watchdog, forMs: number, everyMs = 50): Promise<void> {
  const end = Date.now() + forMs;
  while (Date.now() < end) {
    watchdog.feed();
    await sleep(everyMs);
  }
}

test('the FIFO is there for the writer before it opens, and close() removes it', async () => {
  const { standin: s } = await standin();
  assert.ok(statSync(s.path).isFIFO());
  assert.equal(s.armed, false);
  s.close();
  s.close();
  assert.equal(existsSync(s.path), false);
});

test('not fed: it expires once, about timeoutMs after the last feed', async () => {
  const { standin: s, expirations } = await standin();
  try {
    const watchdog = Watchdog.open({ path: s.path, timeoutMs: TIMEOUT_MS });
    assert.equal(watchdog.timeoutSetByDevice, false, 'a FIFO: the stand-in enforces its own timeout');
    watchdog.feed();
    await waitUntil('armed', () => s.armed);
    const lastFeed = s.lastFeedAt ?? assert.fail('no feed seen');
    await waitUntil('expiry', () => s.expiredAt !== undefined);
    const late = (s.expiredAt ?? 0) - lastFeed;
    assert.ok(late >= TIMEOUT_MS - 5 && late < TIMEOUT_MS + 200, `expired ${late} ms after the last feed`);
    assert.equal(s.armed, false);
    await sleep(TIMEOUT_MS * 2);
    assert.equal(expirations.length, 1, 'once');
    assert.equal(s.expiries, 1);
    // A "reset" node that still feeds is visible.
    watchdog.feed();
    await waitUntil('the late feed', () => s.feedsAfterExpiry === 1);
    watchdog.close(false);
  } finally {
    s.close();
  }
});

test('fed: it does not expire, and every keep-alive is counted', async () => {
  const { standin: s, expirations } = await standin();
  try {
    const watchdog = Watchdog.open({ path: s.path, timeoutMs: TIMEOUT_MS });
    await feedFor(watchdog, TIMEOUT_MS * 4);
    await waitUntil('feeds read', () => s.feeds >= 10);
    assert.equal(s.armed, true);
    assert.deepEqual(expirations, []);
    assert.equal(s.expiredAt, undefined);
    watchdog.close(true);
    await waitUntil('disarmed', () => s.disarmed);
  } finally {
    s.close();
  }
});

test('the magic close disarms it: no expiry', async () => {
  const { standin: s, expirations } = await standin();
  try {
    const watchdog = Watchdog.open({ path: s.path, timeoutMs: TIMEOUT_MS });
    await feedFor(watchdog, 150);
    watchdog.close(true);
    await waitUntil('disarmed', () => s.disarmed);
    assert.equal(s.armed, false);
    await sleep(TIMEOUT_MS * 2);
    assert.deepEqual(expirations, []);
  } finally {
    s.close();
  }
});

test('closing without V (or dying) leaves it armed: it expires', async () => {
  const { standin: s, expirations } = await standin();
  try {
    const watchdog = Watchdog.open({ path: s.path, timeoutMs: TIMEOUT_MS });
    await feedFor(watchdog, 150);
    watchdog.close(false);
    await waitUntil('expiry', () => expirations.length === 1);
    assert.equal(s.disarmed, false);
  } finally {
    s.close();
  }
});

test('open alone arms it, as the real device starts counting at open', async () => {
  const { standin: s, expirations } = await standin();
  try {
    const watchdog = Watchdog.open({ path: s.path, timeoutMs: TIMEOUT_MS });
    await waitUntil('armed', () => s.armed);
    await waitUntil('expiry', () => expirations.length === 1);
    assert.equal(s.feeds, 0);
    watchdog.close(false);
  } finally {
    s.close();
  }
});

test('a writer that writes V and closes between two polls still disarms it', async () => {
  const expirations: number[] = [];
  const s = await createWatchdogStandin({ path: join(dir, `watchdog${count++}`), timeoutMs: TIMEOUT_MS, pollMs: 200, onExpire: () => void expirations.push(Date.now()) });
  try {
    const fd = openSync(s.path, fsConstants.O_WRONLY | fsConstants.O_NONBLOCK);
    writeSync(fd, '\nV');
    closeSync(fd);
    await waitUntil('disarmed', () => s.disarmed);
    assert.equal(s.feeds, 2);
    await sleep(TIMEOUT_MS * 2);
    assert.deepEqual(expirations, []);
  } finally {
    s.close();
  }
});

test('after an expiry, a new writer (a restarted daemon) arms it again', async () => {
  const { standin: s, expirations } = await standin();
  try {
    const first = Watchdog.open({ path: s.path, timeoutMs: TIMEOUT_MS });
    first.feed();
    await waitUntil('first expiry', () => expirations.length === 1);
    first.close(false);
    await sleep(60); // let the stand-in see the writer go
    const second = Watchdog.open({ path: s.path, timeoutMs: TIMEOUT_MS });
    second.feed();
    await waitUntil('armed again', () => s.armed);
    await feedFor(second, TIMEOUT_MS * 2);
    assert.equal(expirations.length, 1, 'fed: no second expiry');
    second.close(false);
    await waitUntil('second expiry', () => expirations.length === 2);
    assert.equal(s.expiries, 2);
  } finally {
    s.close();
  }
});

test('an existing path is refused', async () => {
  const { standin: s } = await standin();
  try {
    await assert.rejects(createWatchdogStandin({ path: s.path, timeoutMs: TIMEOUT_MS, onExpire: () => undefined }), /mkfifo failed/);
  } finally {
    s.close();
  }
});
