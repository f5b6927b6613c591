/**
 * The ipaddr agent on real kernels: two nodes and a client on one bridge. The agent runs inside each node's
 * namespace (a small Node script per operation); the client captures the announcements with the netraw
 * addon and we read its neighbour table. What must hold, for IPv4 and IPv6:
 *   - the client reaches the VIP on its owner;
 *   - when the VIP moves, the client's neighbour entry points at the new owner's MAC at once (no waiting for
 *     the old entry to expire), and without an announcement it does not (the control);
 *   - the addresses are added and removed by netlink (the addon) by default, by `ip` without it;
 *   - the time from the start call to the address being present, to the first frame handed to the kernel and
 *     to the first frame on the client's wire, and the time of a stop: netlink vs `ip` (both announcing with
 *     the addon), and the no-addon fallback (`ip` + arping).
 */
import assert from 'node:assert/strict';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sameAddress } from '../../src/platform/announce-frames.js';
import { Lab, labTest, type LabProcess } from '../lab/lab.js';

const here = dirname(fileURLToPath(import.meta.url));
const AGENT_CLI = join(here, 'agent-cli.js');
const CAPTURE = join(here, 'capture.js');

interface CliOutput {
  result?: { exec: string; rc?: number; detail?: string; durationMs: number };
  lastStart?: { addMs: number; addMethod: string; firstFrameAfterStartMs?: number; announcement: { method: string } };
  startCallNs: string;
}

interface CapturedLine {
  t: string;
  kind: 'garp' | 'na';
  mac: string;
  address: string;
  hopLimit?: number;
  flags?: number;
}

async function cli(lab: Lab, node: string, args: string[]): Promise<CliOutput> {
  const out = await lab.exec(node, [process.execPath, AGENT_CLI, ...args], { timeoutMs: 15_000 });
  assert.equal(out.code, 0, `agent-cli ${args.join(' ')} on ${node}: ${out.stderr}`);
  return JSON.parse(out.stdout.trim().split('\n').pop() ?? '{}') as CliOutput;
}

async function agent(lab: Lab, node: string, action: string, params: Record<string, unknown>, extra: string[] = []): Promise<CliOutput> {
  const out = await cli(lab, node, ['ipaddr', action, JSON.stringify(params), ...extra]);
  assert.equal(out.result?.exec, 'done', JSON.stringify(out));
  return out;
}

async function neighbourMac(lab: Lab, client: string, address: string): Promise<string | undefined> {
  const out = await lab.exec(client, ['ip', '-j', 'neigh', 'show', 'to', address, 'dev', 'eth0']);
  const entries = JSON.parse(out.stdout || '[]') as Array<{ lladdr?: string; state?: string[] }>;
  return entries[0]?.lladdr;
}

async function ping(lab: Lab, client: string, address: string): Promise<boolean> {
  const out = await lab.exec(client, ['ping', '-n', '-c', '1', '-W', '1', address]);
  return out.code === 0;
}

function captured(capture: LabProcess): CapturedLine[] {
  return capture
    .output()
    .split('\n')
    .filter((line) => line.startsWith('{"t"'))
    .map((line) => JSON.parse(line) as CapturedLine);
}

/** ms from the start call (in the node) to the first matching frame received by the client. */
function wireDelayMs(capture: LabProcess, startCallNs: string, match: (line: CapturedLine) => boolean): number | undefined {
  const frame = captured(capture).find((line) => BigInt(line.t) >= BigInt(startCallNs) && match(line));
  return frame === undefined ? undefined : Number(BigInt(frame.t) - BigInt(startCallNs)) / 1e6;
}

async function waitFor(condition: () => boolean, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > until) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
}

function summary(values: number[]): string {
  const sorted = [...values].sort((a, b) => a - b);
  return `min ${sorted[0]?.toFixed(2)} / median ${median(values).toFixed(2)} / max ${sorted[sorted.length - 1]?.toFixed(2)} ms (n=${sorted.length})`;
}

/** Unsolicited announcements only: the kernel's solicited NA replies (flags S|O) to a client's query do not count. */
function isAnnouncement(line: CapturedLine, address: string): boolean {
  return sameAddress(line.address, address) && ((line.flags ?? 0) & 0x40) === 0;
}

labTest('ipaddr: the VIP moves between nodes and the client follows at once (IPv4 GARP, IPv6 NA)', async (t) => {
  const lab = await Lab.create({ nodes: ['n1', 'n2'], clients: ['client'], links: 1, ipv6: true });
  try {
    const capture = lab.spawn('client', [process.execPath, CAPTURE, 'eth0'], { name: 'capture' });
    await waitFor(() => capture.output().includes('"ready":true'), 10_000);
    const mac1 = lab.mac('n1', 0);
    const mac2 = lab.mac('n2', 0);

    for (const family of [4, 6] as const) {
      const vip = family === 4 ? '192.0.2.100' : '2001:db8::100';
      const params = { address: vip, prefix: family === 4 ? 24 : 64, interface: 'eth0' };
      const frameKind = family === 4 ? 'garp' : 'na';

      // n2 holds the VIP; the client learns n2's MAC by talking to it.
      assert.equal((await agent(lab, 'n2', 'start', params)).result?.rc, 0);
      assert.equal((await agent(lab, 'n2', 'monitor', params)).result?.rc, 0);
      assert.equal((await agent(lab, 'n1', 'monitor', params)).result?.rc, 7);
      assert.ok(await ping(lab, 'client', vip), `client pings ${vip} on n2`);
      assert.equal(await neighbourMac(lab, 'client', vip), mac2);

      // Control: the VIP moves to n1 without an announcement; the client keeps n2's MAC and loses the VIP.
      assert.equal((await agent(lab, 'n2', 'stop', params)).result?.rc, 0);
      assert.equal((await agent(lab, 'n2', 'stop', params)).result?.rc, 0, 'stop is idempotent');
      assert.equal((await agent(lab, 'n1', 'start', { ...params, announceCount: 0 })).result?.rc, 0);
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.equal(await neighbourMac(lab, 'client', vip), mac2, 'without an announcement the client still points at n2');
      if (family === 4) assert.ok(!(await ping(lab, 'client', vip)), 'and the VIP is blackholed');

      // The exported re-announcement fixes it at once.
      const announced = await cli(lab, 'n1', ['announce', JSON.stringify({ address: vip, iface: 'eth0', count: 1 })]);
      assert.equal(await neighbourMac(lab, 'client', vip), mac1, 'announce() flipped the client to n1');
      assert.ok(await ping(lab, 'client', vip), `client pings ${vip} on n1`);
      const announceDelay = wireDelayMs(capture, announced.startCallNs, (line) => line.kind === frameKind && sameAddress(line.address, vip) && line.mac === mac1);
      assert.ok(announceDelay !== undefined, 'the client captured the announcement');

      // A real move back to n2: stop on n1, start on n2 (the default burst of 3).
      assert.equal((await agent(lab, 'n1', 'stop', params)).result?.rc, 0);
      const moved = await agent(lab, 'n2', 'start', params);
      assert.equal(moved.result?.rc, 0, moved.result?.detail);
      assert.match(moved.result?.detail ?? '', /added on eth0 by netlink; /);
      assert.equal(moved.lastStart?.addMethod, 'netlink');
      assert.equal(await neighbourMac(lab, 'client', vip), mac2, 'the client flipped to n2 without waiting for expiry');
      assert.ok(await ping(lab, 'client', vip), `client pings ${vip} on n2 again`);
      // Unsolicited only: the kernel's solicited NA replies (flags S|O) to the client's own queries do not count.
      const frames = captured(capture).filter((line) => BigInt(line.t) >= BigInt(moved.startCallNs) && line.kind === frameKind && sameAddress(line.address, vip) && ((line.flags ?? 0) & 0x40) === 0);
      assert.equal(frames.length, 3, `three announcements of ${vip} after the move`);
      if (family === 6) {
        assert.equal(frames[0]?.hopLimit, 255);
        assert.equal(frames[0]?.flags, 0x20, 'override set, solicited and router clear');
      }
      const spacingMs = Number(BigInt(frames[2]?.t ?? '0') - BigInt(frames[0]?.t ?? '0')) / 1e6;
      assert.ok(spacingMs >= 380 && spacingMs < 1000, `burst spans ~400 ms, was ${spacingMs}`);
      t.diagnostic(`IPv${family} move: start() → first frame sent ${moved.lastStart?.firstFrameAfterStartMs?.toFixed(2)} ms (netlink add ${moved.lastStart?.addMs.toFixed(2)} ms), → on the client's wire ${wireDelayMs(capture, moved.startCallNs, (line) => sameAddress(line.address, vip))?.toFixed(2)} ms; announce() → wire ${announceDelay?.toFixed(2)} ms`);
      const stopped = await agent(lab, 'n2', 'stop', params);
      assert.equal(stopped.result?.rc, 0);
      assert.equal(stopped.result?.detail, `${vip}/${params.prefix} removed from eth0 by netlink`);
      assert.equal((await agent(lab, 'n2', 'monitor', params)).result?.rc, 7);
    }

    // Measurements on n1, N starts and stops each: the address by netlink vs by `ip` (both announcing with the
    // addon), IPv4 and IPv6, and the no-addon fallback (`ip` + arping, IPv4 only).
    const N = 7;
    type Mode = 'netlink' | 'ip' | 'arping';
    const runs: Array<{ mode: Mode; family: 4 | 6 }> = [
      { mode: 'netlink', family: 4 },
      { mode: 'ip', family: 4 },
      { mode: 'netlink', family: 6 },
      { mode: 'ip', family: 6 },
      { mode: 'arping', family: 4 },
    ];
    const addMedians: Record<string, number> = {};
    for (const { mode, family } of runs) {
      const params = { address: family === 4 ? '192.0.2.101' : '2001:db8::101', prefix: family === 4 ? 24 : 64, interface: 'eth0', announceCount: 1 };
      const flags = mode === 'arping' ? ['--no-addon'] : mode === 'ip' ? ['--ip'] : [];
      const figures = { add: [] as number[], sent: [] as number[], wire: [] as number[], afterAdd: [] as number[], stop: [] as number[] };
      for (let i = 0; i < N; i++) {
        const out = await agent(lab, 'n1', 'start', params, flags);
        assert.equal(out.result?.rc, 0, out.result?.detail);
        assert.equal(out.lastStart?.addMethod, mode === 'netlink' ? 'netlink' : 'ip', out.result?.detail);
        assert.match(out.result?.detail ?? '', new RegExp(`added on eth0 by ${mode === 'netlink' ? 'netlink' : 'ip'}; `));
        assert.equal(out.lastStart?.announcement.method, mode === 'arping' ? 'arping' : 'packet', out.result?.detail);
        if (mode === 'arping') assert.match(out.result?.detail ?? '', /WARNING: raw-packet sender unavailable/);
        const match = (line: CapturedLine): boolean => isAnnouncement(line, params.address);
        await waitFor(() => wireDelayMs(capture, out.startCallNs, match) !== undefined, 3000);
        figures.add.push(out.lastStart?.addMs ?? NaN);
        figures.sent.push(out.lastStart?.firstFrameAfterStartMs ?? NaN);
        const wire = wireDelayMs(capture, out.startCallNs, match) ?? NaN;
        figures.wire.push(wire);
        // startCallNs precedes the agent's own start instant by a few µs: close enough for ms figures.
        figures.afterAdd.push(wire - (out.lastStart?.addMs ?? NaN));
        const stopped = await agent(lab, 'n1', 'stop', params, flags);
        assert.equal(stopped.result?.rc, 0);
        assert.match(stopped.result?.detail ?? '', new RegExp(`removed from eth0 by ${mode === 'netlink' ? 'netlink' : 'ip'}$`));
        figures.stop.push(stopped.result?.durationMs ?? NaN);
      }
      addMedians[`${mode}${family}`] = median(figures.add);
      t.diagnostic(
        `IPv${family} ${mode === 'netlink' ? 'netlink + raw packet' : mode === 'ip' ? 'ip + raw packet' : 'ip + arping (no addon)'}: ` +
          `start() → address present ${summary(figures.add)}; → first frame handed over ${summary(figures.sent)}; → frame received by the client ${summary(figures.wire)}; ` +
          `address present → frame received ${summary(figures.afterAdd)}; stop() ${summary(figures.stop)}`,
      );
    }
    for (const family of [4, 6]) {
      const [byNetlink, byIp] = [addMedians[`netlink${family}`] ?? NaN, addMedians[`ip${family}`] ?? NaN];
      assert.ok(byNetlink < byIp, `IPv${family}: the netlink add (median ${byNetlink} ms) is faster than \`ip addr add\` (median ${byIp} ms)`);
    }
    capture.kill('SIGKILL');
  } finally {
    await lab.teardown();
  }
}, { timeout: 120_000 });
