/**
 * The ipaddr agent against a fake `ip` and a fake raw-packet sender: the argv it runs, idempotence judged
 * from the listing, the first frame sent before start returns, the burst and its cancellation on stop, and
 * the fallbacks. The real `ip` and the real wire are tested in test/platform/ipaddr.lab.test.ts.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { gratuitousArp, unsolicitedNeighbourAdvertisement } from '../platform/announce-frames.js';
import type { CommandOutcome, CommandRunner } from '../platform/command.js';
import type { Netraw, NetrawLoad } from '../platform/netraw.js';
import { ipAddrAgent, listAddresses, parseIpAddrJson } from './ipaddr.js';
import { OCF_RC } from './types.js';

const MAC = Buffer.from('02746e640001', 'hex');
const OPTIONS = { timeoutMs: 5000 };
/** Agents that must never send anything get no addon at all (the real one is never loaded by unit tests). */
const NO_ADDON: NetrawLoad = { ok: false, reason: 'unit test' };

function exited(code: number, stdout = '', stderr = ''): CommandOutcome {
  return { kind: 'exited', code, stdout, stderr, durationMs: 1 };
}

function listing(...addresses: Array<[string, number]>): string {
  return JSON.stringify([{ ifindex: 2, ifname: 'eth0', addr_info: addresses.map(([local, prefixlen]) => ({ family: local.includes(':') ? 'inet6' : 'inet', local, prefixlen, scope: 'global' })) }]);
}

/** A fake `ip` whose answers come from a function of argv; every call is recorded. */
function fakeIp(answer: (argv: readonly string[]) => CommandOutcome): { runner: CommandRunner; calls: string[] } {
  const calls: string[] = [];
  return { calls, runner: async (argv) => (calls.push(argv.join(' ')), answer(argv)) };
}

function fakeNetraw(): { load: NetrawLoad; sent: Buffer[] } {
  const sent: Buffer[] = [];
  const netraw: Netraw = {
    interfaceInfo: (name) => {
      if (name !== 'eth0') throw Object.assign(new Error('ioctl(SIOCGIFINDEX): No such device'), { code: 'ENODEV' });
      return { index: 2, mac: MAC };
    },
    openSender: () => undefined,
    sendFrames: (ifindex, frames) => (assert.equal(ifindex, 2), sent.push(...frames), frames.length),
    captureOpen: () => 3,
    captureNext: () => null,
    close: () => undefined,
  };
  return { load: { ok: true, netraw, path: '/fake' }, sent };
}

test('start adds an IPv4 VIP with brd +, sends the first gratuitous ARP before returning, the rest in the background', async () => {
  const ip = fakeIp(() => exited(0));
  const wire = fakeNetraw();
  const agent = ipAddrAgent({ address: '192.0.2.100', prefix: 24, interface: 'eth0', announceIntervalMs: 5 }, { runner: ip.runner, netraw: wire.load });
  const result = await agent.run('start', OPTIONS);
  assert.equal(result.rc, OCF_RC.SUCCESS, result.detail);
  assert.deepEqual(ip.calls, ['ip addr add 192.0.2.100/24 dev eth0 brd +']);
  assert.equal(wire.sent.length, 1, 'exactly the first frame is out when start returns');
  assert.deepEqual(wire.sent[0], gratuitousArp({ address: '192.0.2.100', mac: '02:74:6e:64:00:01' }));
  assert.match(result.detail ?? '', /first gratuitous ARP [\d.]+ ms after start \(raw packet\), 2 more every 5 ms/);
  assert.equal(agent.lastStart?.announcement.method, 'packet');
  const done = await agent.announcementsDone();
  assert.equal(done?.framesSent, 3);
  assert.equal(wire.sent.length, 3);
});

test('start adds an IPv6 VIP with nodad and sends an unsolicited NA', async () => {
  const ip = fakeIp(() => exited(0));
  const wire = fakeNetraw();
  const agent = ipAddrAgent({ address: '2001:db8::100', prefix: 64, interface: 'eth0', announceCount: 1 }, { runner: ip.runner, netraw: wire.load });
  const result = await agent.run('start', OPTIONS);
  assert.equal(result.rc, OCF_RC.SUCCESS, result.detail);
  assert.deepEqual(ip.calls, ['ip addr add 2001:db8::100/64 dev eth0 nodad']);
  assert.deepEqual(wire.sent, [unsolicitedNeighbourAdvertisement({ address: '2001:db8::100', mac: '02:74:6e:64:00:01' })]);
});

test('start is idempotent: `ip addr add` fails but the address is listed → success, announced all the same', async () => {
  const ip = fakeIp((argv) => (argv[2] === 'add' ? exited(2, '', 'RTNETLINK answers: File exists') : exited(0, listing(['192.0.2.10', 24], ['192.0.2.100', 24]))));
  const wire = fakeNetraw();
  const result = await ipAddrAgent({ address: '192.0.2.100', prefix: '24', interface: 'eth0', announceCount: '1' }, { runner: ip.runner, netraw: wire.load }).run('start', OPTIONS);
  assert.equal(result.rc, OCF_RC.SUCCESS, result.detail);
  assert.match(result.detail ?? '', /already on eth0/);
  assert.deepEqual(ip.calls, ['ip addr add 192.0.2.100/24 dev eth0 brd +', 'ip -j addr show dev eth0']);
  assert.equal(wire.sent.length, 1);
});

test('start on a missing interface is rc 5 (not installed here); a failure with the address absent is rc 1', async () => {
  const missing = fakeIp(() => exited(1, '', 'Device "eth9" does not exist.'));
  const r1 = await ipAddrAgent({ address: '192.0.2.100', prefix: 24, interface: 'eth9' }, { runner: missing.runner, netraw: fakeNetraw().load }).run('start', OPTIONS);
  assert.equal(r1.rc, OCF_RC.ERR_INSTALLED, r1.detail);
  const refused = fakeIp((argv) => (argv[2] === 'add' ? exited(2, '', 'RTNETLINK answers: Operation not permitted') : exited(0, listing(['192.0.2.10', 24]))));
  const r2 = await ipAddrAgent({ address: '192.0.2.100', prefix: 24, interface: 'eth0' }, { runner: refused.runner, netraw: fakeNetraw().load }).run('start', OPTIONS);
  assert.equal(r2.rc, OCF_RC.ERR_GENERIC);
  assert.match(r2.detail ?? '', /Operation not permitted/);
});

test('stop removes the address, cancels the running burst, and succeeds when the address is already gone', async () => {
  const ip = fakeIp(() => exited(0));
  const wire = fakeNetraw();
  const agent = ipAddrAgent({ address: '192.0.2.100', prefix: 24, interface: 'eth0', announceCount: 5, announceIntervalMs: 20 }, { runner: ip.runner, netraw: wire.load });
  assert.equal((await agent.run('start', OPTIONS)).rc, OCF_RC.SUCCESS);
  const stopped = await agent.run('stop', OPTIONS);
  assert.equal(stopped.rc, OCF_RC.SUCCESS);
  assert.equal(ip.calls[1], 'ip addr del 192.0.2.100/24 dev eth0');
  await new Promise((resolve) => setTimeout(resolve, 80));
  assert.equal(wire.sent.length, 1, 'no announcement after stop');

  const gone = fakeIp((argv) => (argv[2] === 'del' ? exited(2, '', 'RTNETLINK answers: Cannot assign requested address') : exited(0, listing(['192.0.2.10', 24]))));
  const again = await ipAddrAgent({ address: '192.0.2.100', prefix: 24, interface: 'eth0' }, { runner: gone.runner, netraw: NO_ADDON }).run('stop', OPTIONS);
  assert.equal(again.rc, OCF_RC.SUCCESS);
  assert.match(again.detail ?? '', /was not on eth0/);
});

test('monitor: 0 when listed (any IPv6 spelling), 7 when not, 7 when the interface is gone', async () => {
  const present = fakeIp(() => exited(0, listing(['2001:db8::100', 64])));
  assert.equal((await ipAddrAgent({ address: '2001:DB8:0::0100', prefix: 64, interface: 'eth0' }, { runner: present.runner, netraw: NO_ADDON }).run('monitor', OPTIONS)).rc, OCF_RC.SUCCESS);
  assert.deepEqual(present.calls, ['ip -j addr show dev eth0']);
  const otherPrefix = fakeIp(() => exited(0, listing(['192.0.2.100', 25])));
  assert.equal((await ipAddrAgent({ address: '192.0.2.100', prefix: 24, interface: 'eth0' }, { runner: otherPrefix.runner, netraw: NO_ADDON }).run('monitor', OPTIONS)).rc, OCF_RC.NOT_RUNNING);
  const noDevice = fakeIp(() => exited(1, '', 'Device "eth0" does not exist.'));
  assert.equal((await ipAddrAgent({ address: '192.0.2.100', prefix: 24, interface: 'eth0' }, { runner: noDevice.runner, netraw: NO_ADDON }).run('monitor', OPTIONS)).rc, OCF_RC.NOT_RUNNING);
});

test('without the addon, IPv4 falls back to arping with a warning; IPv6 says nothing was sent', async () => {
  const ip = fakeIp(() => exited(0));
  const noAddon: NetrawLoad = { ok: false, reason: 'not built' };
  const v4 = ipAddrAgent({ address: '192.0.2.100', prefix: 24, interface: 'eth0' }, { runner: ip.runner, netraw: noAddon });
  const r4 = await v4.run('start', OPTIONS);
  assert.equal(r4.rc, OCF_RC.SUCCESS);
  assert.match(r4.detail ?? '', /\(arping\).*WARNING: raw-packet sender unavailable \(not built\): falling back to arping/);
  await v4.announcementsDone();
  assert.deepEqual(ip.calls, ['ip addr add 192.0.2.100/24 dev eth0 brd +', 'arping -U -c 3 -I eth0 192.0.2.100']);
  const r6 = await ipAddrAgent({ address: '2001:db8::100', prefix: 64, interface: 'eth0' }, { runner: ip.runner, netraw: noAddon }).run('start', OPTIONS);
  assert.equal(r6.rc, OCF_RC.SUCCESS);
  assert.match(r6.detail ?? '', /WARNING: no unsolicited NA sent/);
});

test('bad parameters are rc 6 and run nothing', async () => {
  const ip = fakeIp(() => exited(0));
  for (const params of [
    { address: '192.0.2.100/24', prefix: 24, interface: 'eth0' },
    { address: '192.0.2.100', prefix: 33, interface: 'eth0' },
    { address: '2001:db8::1', prefix: 129, interface: 'eth0' },
    { address: '192.0.2.100', prefix: 24, interface: 'eth0; reboot' },
    { address: '192.0.2.100', prefix: 24, interface: 'eth0', announceCount: -1 },
    { address: '192.0.2.100', prefix: 24, interface: 'eth0', announceIntervalMs: 0 },
  ]) {
    const result = await ipAddrAgent(params, { runner: ip.runner, netraw: NO_ADDON }).run('start', OPTIONS);
    assert.equal(result.rc, OCF_RC.ERR_CONFIGURED, JSON.stringify(params));
  }
  assert.deepEqual(ip.calls, []);
});

test('listAddresses parses `ip -j addr show`, flags included', async () => {
  const text = JSON.stringify([{ ifname: 'eth0', addr_info: [{ family: 'inet6', local: '2001:db8::5', prefixlen: 64, scope: 'global', tentative: true }, { family: 'inet6', local: 'fe80::1', prefixlen: 64, scope: 'link', dadfailed: true }] }]);
  assert.deepEqual(parseIpAddrJson(text), [
    { address: '2001:db8::5', prefix: 64, family: 6, scope: 'global', tentative: true, dadFailed: false },
    { address: 'fe80::1', prefix: 64, family: 6, scope: 'link', tentative: false, dadFailed: true },
  ]);
  assert.equal(parseIpAddrJson('not json'), undefined);
  const result = await listAddresses('eth0', { runner: async () => exited(0, 'garbage') });
  assert.equal(result.ok, false);
});
