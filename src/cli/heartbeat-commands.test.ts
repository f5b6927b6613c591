/**
 * heartbeat's commands as programs: the compatibility entry points (`cl_status`, `hb_standby`, `hb_takeover`,
 * found through $TANDEM_SOCKET) and `tandem cl_status|hb_standby|hb_takeover` (through --socket), without a daemon
 * and against a stand-in daemon that serves a status report and records the commands it is sent.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { StatusReport } from '../api/status-report.js';
import { CL_STATUS_USAGE } from './heartbeat/cl-status.js';
import { labReport } from './heartbeat/testing.js';
import { runCli } from './main.js';

const HERE = fileURLToPath(new URL('./heartbeat/', import.meta.url));
const MISSING_SOCKET = '/nonexistent/tandemd.sock';

function entry(name: 'cl-status' | 'hb-standby' | 'hb-takeover', args: readonly string[], socket = MISSING_SOCKET): { code: number | null; out: string; err: string } {
  const result = spawnSync(process.execPath, [join(HERE, `${name}-main.js`), ...args], { env: { ...process.env, TANDEM_SOCKET: socket }, encoding: 'utf8', timeout: 20_000 });
  return { code: result.status, out: result.stdout, err: result.stderr };
}

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli(argv, { out: (text) => (out += text), err: (text) => (err += text), isTty: false });
  return { code, out, err };
}

test('§9 cl_status entry point without a daemon: usage rc 0, invalid sub-command rc 11, hbstatus stopped rc 1, others the signon failure rc 1', () => {
  const usage = entry('cl-status', []);
  assert.deepEqual([usage.code, usage.out, usage.err], [0, CL_STATUS_USAGE, '']);
  const invalid = entry('cl-status', ['bogus']);
  assert.equal(invalid.code, 11);
  assert.match(invalid.err, /^\w{3} \d{2} \d{2}:\d{2}:\d{2} \S+ cl_status: \[\d+\]: ERROR: bogus: invalid sub-command\.\n$/);
  const stopped = entry('cl-status', ['hbstatus']);
  assert.deepEqual([stopped.code, stopped.out, stopped.err], [1, 'Heartbeat is stopped on this machine.\n', '']);
  const verbose = entry('cl-status', ['hbstatus', '-v']);
  assert.equal(verbose.out, `Heartbeat is stopped on this machine.\n(tandemd is not running: nothing listens on ${MISSING_SOCKET} (ENOENT))\n`);
  const nodes = entry('cl-status', ['listnodes']);
  assert.equal(nodes.code, 1);
  assert.equal(nodes.out, '');
  assert.match(nodes.err, /cl_status: \[\d+\]: ERROR: Cannot signon with heartbeat\n.*cl_status: \[\d+\]: ERROR: REASON: tandemd is not running: nothing listens on \/nonexistent\/tandemd\.sock \(ENOENT\)\n$/);
});

test('§7.4 hb_standby / hb_takeover entry points: usage errors exit 1 at once; without a daemon a clear message and exit 3 at once', () => {
  const many = entry('hb-standby', ['all', 'local']);
  assert.deepEqual([many.code, many.out, many.err], [1, 'hb_standby: too many arguments\nusage:\n', 'hb_standby [all|foreign|local|failback]\n']);
  const wrong = entry('hb-takeover', ['some']);
  assert.deepEqual([wrong.code, wrong.out, wrong.err], [1, 'hb_takeover: wrong resources(some).\nusage:\n', 'hb_takeover [all|foreign|local|failback]\n']);
  const started = Date.now();
  const down = entry('hb-standby', []);
  assert.equal(down.code, 3);
  assert.equal(down.out, '');
  // heartbeat's hb_standby logged its intent on stderr, then hung on its FIFO; this one logs it and says why not.
  assert.match(down.err, new RegExp(`^\\w{3} \\d{2} \\d{2}:\\d{2}:\\d{2} Going standby \\[all\\]\\.\\nhb_standby: tandemd is not running: nothing listens on ${MISSING_SOCKET} \\(ENOENT\\); nothing was moved\\n$`));
  assert.ok(Date.now() - started < 10_000, 'answers at once instead of hanging like heartbeat');
  assert.equal(entry('hb-takeover', ['local']).code, 3);
});

test('tandem cl_status / hb_standby / hb_takeover: heartbeat\'s arguments pass through untouched, --socket before the command word', async () => {
  const listed = await cli('--socket', MISSING_SOCKET, 'cl_status', 'listnodes', '-p');
  assert.equal(listed.code, 1);
  assert.match(listed.err, /ERROR: Cannot signon with heartbeat/);
  const status = await cli(`--socket=${MISSING_SOCKET}`, 'cl_status', 'hbstatus');
  assert.deepEqual([status.code, status.out], [1, 'Heartbeat is stopped on this machine.\n']);
  assert.deepEqual(await cli('cl_status', '-h'), { code: 0, out: CL_STATUS_USAGE, err: '' });
  const wrong = await cli('hb_standby', 'nothing');
  assert.deepEqual(wrong, { code: 1, out: 'tandem hb_standby: wrong resources(nothing).\nusage:\n', err: 'tandem hb_standby [all|foreign|local|failback]\n' });
  assert.equal((await cli('--socket', MISSING_SOCKET, 'hb_takeover')).code, 3);
});

/** A stand-in tandemd: serves `report` and answers every command ok, recording it. */
async function standIn(report: StatusReport): Promise<{ socket: string; commands: unknown[]; close: () => Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'tandem-hbcmd-'));
  const socket = join(dir, 'tandemd.sock');
  const commands: unknown[] = [];
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      let body: unknown = report;
      if (request.method === 'POST' && request.url === '/v1/commands') {
        commands.push(JSON.parse(Buffer.concat(chunks).toString('utf8')));
        body = { ok: true, message: 'moving' };
      }
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify(body));
    });
  });
  await new Promise<void>((resolve) => server.listen(socket, resolve));
  return {
    socket,
    commands,
    close: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

test('§7.4 §9 against a daemon: cl_status answers from its report; hb_standby asks for one move per group', async () => {
  const daemon = await standIn(labReport());
  try {
    assert.deepEqual(await cli('--socket', daemon.socket, 'cl_status', 'listnodes'), { code: 0, out: '192.0.2.1\nn2\nn1\n', err: '' });
    assert.deepEqual(await cli('--socket', daemon.socket, 'cl_status', 'rscstatus', '-m'), { code: 0, out: 'This node is holding local resources.\n', err: '' });
    const standby = await cli('--socket', daemon.socket, 'hb_standby');
    assert.equal(standby.code, 0, standby.err);
    // heartbeat's scripts print nothing on stdout; what tandem adds goes to stderr.
    assert.equal(standby.out, '');
    assert.match(standby.err, /^\w{3} \d{2} \d{2}:\d{2}:\d{2} Going standby \[all\]\.\nalpha: n1 -> n2\nbeta: stays \(nothing to do\)\n/);
    const takeover = await cli('--socket', daemon.socket, 'hb_takeover', 'foreign');
    assert.equal(takeover.code, 0, takeover.err);
    assert.equal(takeover.out, '');
    assert.match(takeover.err, /^Taking over \[foreign\]\.\nbeta: n2 -> n1\n/);
    assert.deepEqual(daemon.commands, [
      { kind: 'move', group: 'alpha', node: 'n2', untilFailover: true },
      { kind: 'move', group: 'beta', node: 'n1', untilFailover: true },
    ]);
  } finally {
    await daemon.close();
  }
});

test('package.json names the compatibility entry points heartbeat\'s commands had', () => {
  const pkg = JSON.parse(readFileSync(fileURLToPath(new URL('../../../package.json', import.meta.url)), 'utf8')) as { bin: Record<string, string> };
  assert.equal(pkg.bin.cl_status, 'dist/src/cli/heartbeat/cl-status-main.js');
  assert.equal(pkg.bin.hb_standby, 'dist/src/cli/heartbeat/hb-standby-main.js');
  assert.equal(pkg.bin.hb_takeover, 'dist/src/cli/heartbeat/hb-takeover-main.js');
});
