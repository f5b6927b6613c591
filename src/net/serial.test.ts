/**
 * The serial transport over a real pseudo-terminal pair made by socat (skipped when socat is not installed): datagrams
 * both ways, garbage on the line, the other end going away and coming back, a stalled line, a missing device, close.
 */
import { strict as assert } from 'node:assert';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { linkName, type LinkName } from '../core/types.js';
import { openSerialTransport, SEND_QUEUE_FRAMES_MAX, type SerialTransport } from './serial.js';
import { SLIP_END, SLIP_ESC, slipEncode } from './slip.js';
import type { Datagram } from './transport.js';

const HAVE_SOCAT = spawnSync('socat', ['-V'], { stdio: 'ignore' }).status === 0;
const LINK = linkName('serial0');
const MAX_FRAME = 1400;

/** A socat pty pair: `<dir>/a` and `<dir>/b` are the two ends of one virtual null-modem cable. */
class PtyPair {
  private child: ChildProcess | undefined;
  constructor(readonly dir: string) {}
  get a(): string {
    return join(this.dir, 'a');
  }
  get b(): string {
    return join(this.dir, 'b');
  }
  async start(): Promise<void> {
    const child = spawn('socat', [`PTY,link=${this.a},raw,echo=0`, `PTY,link=${this.b},raw,echo=0`], { stdio: 'ignore' });
    this.child = child;
    await until(() => existsSync(this.a) && existsSync(this.b), 5000, 'socat made its ptys');
  }
  signal(signal: NodeJS.Signals): void {
    if (this.child?.pid !== undefined && this.child.exitCode === null && this.child.signalCode === null) process.kill(this.child.pid, signal);
  }
  async stop(): Promise<void> {
    const child = this.child;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    this.signal('SIGCONT');
    this.signal('SIGTERM');
    await exited;
  }
}

async function until(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

interface Endpoint {
  readonly transport: SerialTransport;
  readonly received: Buffer[];
  readonly errors: Error[];
}

async function endpoint(device: string, reopenIntervalMs = 100): Promise<Endpoint> {
  const received: Buffer[] = [];
  const errors: Error[] = [];
  const transport = await openSerialTransport({
    link: LINK,
    device,
    baud: 115200,
    maxFrameBytes: MAX_FRAME,
    reopenIntervalMs,
    handlers: {
      onDatagram: (link: LinkName, datagram: Datagram) => {
        assert.equal(link, LINK);
        received.push(datagram.bytes);
      },
      onError: (_link, error) => errors.push(error),
    },
  });
  return { transport, received, errors };
}

describe('serial transport over a pty pair', () => {
  let dir = '';
  let pty: PtyPair;
  const open: SerialTransport[] = [];
  const use = async (device: string, reopenIntervalMs?: number): Promise<Endpoint> => {
    const made = await endpoint(device, reopenIntervalMs);
    open.push(made.transport);
    return made;
  };

  before(async () => {
    // socat makes the pty pair; without it the machine is not set up (.ci/run installs it): fail, never skip.
    if (!HAVE_SOCAT) throw new Error('socat is not installed (apt-get install socat)');
    dir = mkdtempSync(join(tmpdir(), 'tandem-serial-'));
    pty = new PtyPair(dir);
    await pty.start();
  });

  after(async () => {
    for (const transport of open) await transport.close();
    await pty.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('datagrams cross both ways byte for byte, END and ESC bytes included', async () => {
    const [a, b] = [await use(pty.a), await use(pty.b)];
    assert.ok(a.transport.isOpen && b.transport.isOpen);
    assert.match(a.transport.description, /^serial .*\/a 115200 baud$/);
    const tricky = Buffer.from([SLIP_END, 0x0a, SLIP_ESC, 0x0d, 0x11, 0x13, 0x00, 0xff, 0x03, 0x1c]);
    const big = Buffer.alloc(MAX_FRAME, SLIP_END);
    a.transport.send(tricky);
    a.transport.send(big);
    b.transport.send(Buffer.from('from b'));
    await until(() => b.received.length === 2 && a.received.length === 1, 5000, 'both sides received');
    assert.deepEqual(b.received, [tricky, big], 'no byte altered: no echo, no CR/LF translation, no XON/XOFF eaten');
    assert.deepEqual(a.received.map(String), ['from b']);
    assert.deepEqual(a.errors.concat(b.errors), []);
    assert.equal(a.transport.counters.framesSent, 2);
    await a.transport.close();
    await b.transport.close();
  });

  test('garbage and a cut-off frame on the line: counted or passed on as junk, and the next frame arrives whole', async () => {
    const [a, b] = [await use(pty.a), await use(pty.b)];
    // A second writer on a's end injects noise, as a bad cable would.
    const noise = openSync(pty.a, 'w');
    try {
      writeSync(noise, Buffer.from([0x41, SLIP_ESC, 0x42, SLIP_END])); // a bad escape
      writeSync(noise, slipEncode(Buffer.alloc(MAX_FRAME + 10, 1))); // an over-long frame
      writeSync(noise, slipEncode(Buffer.from('cut off')).subarray(0, 4)); // a partial frame, no closing END
    } finally {
      closeSync(noise);
    }
    a.transport.send(Buffer.from('good'));
    await until(() => b.received.some((bytes) => bytes.toString() === 'good'), 5000, 'the good frame arrived');
    assert.equal(b.transport.counters.framingErrors, 2);
    assert.equal(b.errors.filter((error) => /framing error \(bad-escape\)/.test(error.message)).length, 1);
    assert.equal(b.errors.filter((error) => /framing error \(oversized\)/.test(error.message)).length, 1);
    // The partial frame is closed by the good frame's leading END and handed on; authentication drops it upstream.
    assert.deepEqual(b.received.map(String), ['cut', 'good']);
    await a.transport.close();
    await b.transport.close();
  });

  test('a stalled line (the other end stops reading) drops frames instead of queueing them, and never throws', async () => {
    const [a, b] = [await use(pty.a), await use(pty.b)];
    pty.signal('SIGSTOP');
    try {
      const frame = Buffer.alloc(1000, 0x55);
      for (let i = 0; i < 400; i++) {
        a.transport.send(frame);
        if (i % 20 === 0) await new Promise((resolve) => setTimeout(resolve, 1));
      }
      await until(() => a.transport.counters.sendDrops > 0, 5000, 'frames were dropped');
      assert.ok(a.errors.some((error) => /line busy/.test(error.message)));
      assert.ok(a.transport.isOpen, 'a busy line is not a lost device');
    } finally {
      pty.signal('SIGCONT');
    }
    assert.ok(a.transport.counters.framesSent + a.transport.counters.sendDrops + SEND_QUEUE_FRAMES_MAX + 1 >= 400);
    await a.transport.close();
    await b.transport.close();
  });

  test('the other end going away is reported, and the device is opened again when it is back', async () => {
    const [a, b] = [await use(pty.a), await use(pty.b)];
    await pty.stop();
    await until(() => !a.transport.isOpen && !b.transport.isOpen, 5000, 'both ends noticed');
    assert.ok(a.errors.some((error) => /device lost/.test(error.message)), a.errors.map(String).join('\n'));
    a.transport.send(Buffer.from('into the void'));
    assert.ok(a.transport.counters.sendDrops >= 1);
    await new Promise((resolve) => setTimeout(resolve, 350));
    const failures = a.errors.filter((error) => /cannot open/.test(error.message)).length;
    assert.ok(failures <= 1, `a repeated open failure is reported once, not at each retry: ${failures}`);
    await pty.start();
    await until(() => a.transport.isOpen && b.transport.isOpen, 5000, 'both ends reopened');
    assert.ok(a.transport.counters.opens >= 2);
    a.transport.send(Buffer.from('back'));
    await until(() => b.received.some((bytes) => bytes.toString() === 'back'), 5000, 'a frame after the reopen');
    await a.transport.close();
    await b.transport.close();
  });

  test('a missing device: open resolves, reports once, retries; close stops it all', async () => {
    const missing = await use(join(dir, 'no-such-tty'), 20);
    assert.equal(missing.transport.isOpen, false);
    await new Promise((resolve) => setTimeout(resolve, 120));
    assert.equal(missing.errors.length, 1);
    assert.match(missing.errors[0]?.message ?? '', /cannot open .*ENOENT/);
    await missing.transport.close();
    const count = missing.errors.length;
    missing.transport.send(Buffer.from('after close'));
    await new Promise((resolve) => setTimeout(resolve, 60));
    assert.equal(missing.errors.length, count, 'no handler call after close');
  });
});
