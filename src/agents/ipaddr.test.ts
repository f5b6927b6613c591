/**
 * The ipaddr agent against a fake `ip` and a fake addon (raw-packet sender and netlink address changes): the
 * argv it runs or the netlink calls it makes, idempotence judged from the listing, the first frame sent
 * before start returns, the burst and its cancellation on stop, and the fallbacks. The real `ip`, the real
 * netlink and the real wire are tested in test/platform/ipaddr.lab.test.ts and netlink.lab.test.ts.
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

function errno(code: string, message: string): Error {
  return Object.assign(new Error(message), { code });
}

interface FakeNetraw {
  load: NetrawLoad;
  sent: Buffer[];
  /** Addresses on eth0 as the fake kernel holds them, `ADDR/PREFIX`. */
  held: Set<string>;
  /** `add eth0 192.0.2.100/24 (1000 ms)`, `delete …`, and `frame` for each frame sent, in order. */
  log: string[];
}

/**
 * The addon with a fake kernel behind it: one interface, eth0 (index 2); netlink add/delete keep `held` like the
 * kernel would (IPv4 EEXIST for the same address and prefix, IPv6 for the same address whatever the prefix;
 * delete needs address and prefix). `refuse` makes every netlink call throw that errno instead.
 */
function fakeNetraw(options: { refuse?: { code: string; message: string }; held?: string[] } = {}): FakeNetraw {
  const sent: Buffer[] = [];
  const log: string[] = [];
  const held = new Set(options.held ?? []);
  const change = (what: 'add' | 'delete', ifname: string, address: string, prefix: number, timeoutMs: number): void => {
    log.push(`${what} ${ifname} ${address}/${prefix} (${timeoutMs} ms)`);
    if (ifname !== 'eth0') throw errno('ENODEV', 'if_nametoindex: No such device');
    if (options.refuse) throw errno(options.refuse.code, options.refuse.message);
  };
  const netraw: Netraw = {
    interfaceInfo: (name) => {
      if (name !== 'eth0') throw errno('ENODEV', 'ioctl(SIOCGIFINDEX): No such device');
      return { index: 2, mac: MAC };
    },
    openSender: () => undefined,
    sendFrames: (ifindex, frames) => (assert.equal(ifindex, 2), sent.push(...frames), log.push(...frames.map(() => 'frame')), frames.length),
    captureOpen: () => 3,
    captureNext: () => null,
    close: () => undefined,
    addressAdd: (ifname, address, prefix, timeoutMs) => {
      change('add', ifname, address, prefix, timeoutMs);
      const exists = address.includes(':') ? [...held].some((entry) => entry.startsWith(`${address}/`)) : held.has(`${address}/${prefix}`);
      if (exists) return 'exists';
      held.add(`${address}/${prefix}`);
      return 'added';
    },
    addressDelete: (ifname, address, prefix, timeoutMs) => {
      change('delete', ifname, address, prefix, timeoutMs);
      return held.delete(`${address}/${prefix}`) ? 'deleted' : 'absent';
    },
  };
  return { load: { ok: true, netraw, path: '/fake' }, sent, held, log };
}

/** `ip -j addr show dev eth0` listing what the fake kernel holds (for the netlink tests' judging). */
function heldListing(wire: FakeNetraw): (argv: readonly string[]) => CommandOutcome {
  return (argv) => {
    assert.deepEqual(argv, ['ip', '-j', 'addr', 'show', 'dev', 'eth0']);
    return exited(0, listing(...[...wire.held].map((entry): [string, number] => [entry.split('/')[0] ?? '', Number(entry.split('/')[1])])));
  };
}

function listingOf(wire: FakeNetraw): CommandRunner {
  return fakeIp(heldListing(wire)).runner;
}

test('start by ip adds an IPv4 VIP with brd +, sends the first gratuitous ARP before returning, the rest in the background', async () => {
  const ip = fakeIp(() => exited(0));
  const wire = fakeNetraw();
  const agent = ipAddrAgent({ address: '192.0.2.100', prefix: 24, interface: 'eth0', announceIntervalMs: 5 }, { runner: ip.runner, netraw: wire.load, addressMethod: 'ip' });
  const result = await agent.run('start', OPTIONS);
  assert.equal(result.rc, OCF_RC.SUCCESS, result.detail);
  assert.deepEqual(ip.calls, ['ip addr add 192.0.2.100/24 dev eth0 brd +']);
  assert.match(result.detail ?? '', /^192\.0\.2\.100\/24 added on eth0 by ip; /);
  assert.equal(agent.lastStart?.addMethod, 'ip');
  assert.equal(wire.sent.length, 1, 'exactly the first frame is out when start returns');
  assert.deepEqual(wire.sent[0], gratuitousArp({ address: '192.0.2.100', mac: '02:74:6e:64:00:01' }));
  assert.match(result.detail ?? '', /first gratuitous ARP [\d.]+ ms after start \(raw packet\), 2 more every 5 ms/);
  assert.equal(agent.lastStart?.announcement.method, 'packet');
  const done = await agent.announcementsDone();
  assert.equal(done?.framesSent, 3);
  assert.equal(wire.sent.length, 3);
});

test('start by ip adds an IPv6 VIP with nodad and sends an unsolicited NA', async () => {
  const ip = fakeIp(() => exited(0));
  const wire = fakeNetraw();
  const agent = ipAddrAgent({ address: '2001:db8::100', prefix: 64, interface: 'eth0', announceCount: 1 }, { runner: ip.runner, netraw: wire.load, addressMethod: 'ip' });
  const result = await agent.run('start', OPTIONS);
  assert.equal(result.rc, OCF_RC.SUCCESS, result.detail);
  assert.deepEqual(ip.calls, ['ip addr add 2001:db8::100/64 dev eth0 nodad']);
  assert.deepEqual(wire.sent, [unsolicitedNeighbourAdvertisement({ address: '2001:db8::100', mac: '02:74:6e:64:00:01' })]);
});

test('start by ip is idempotent: `ip addr add` fails but the address is listed → success, announced all the same', async () => {
  const ip = fakeIp((argv) => (argv[2] === 'add' ? exited(2, '', 'RTNETLINK answers: File exists') : exited(0, listing(['192.0.2.10', 24], ['192.0.2.100', 24]))));
  const wire = fakeNetraw();
  const result = await ipAddrAgent({ address: '192.0.2.100', prefix: '24', interface: 'eth0', announceCount: '1' }, { runner: ip.runner, netraw: wire.load, addressMethod: 'ip' }).run('start', OPTIONS);
  assert.equal(result.rc, OCF_RC.SUCCESS, result.detail);
  assert.match(result.detail ?? '', /already on eth0/);
  assert.deepEqual(ip.calls, ['ip addr add 192.0.2.100/24 dev eth0 brd +', 'ip -j addr show dev eth0']);
  assert.equal(wire.sent.length, 1);
});

test('start by ip on a missing interface is rc 5 (not installed here); a failure with the address absent is rc 1', async () => {
  const missing = fakeIp(() => exited(1, '', 'Device "eth9" does not exist.'));
  const r1 = await ipAddrAgent({ address: '192.0.2.100', prefix: 24, interface: 'eth9' }, { runner: missing.runner, netraw: fakeNetraw().load, addressMethod: 'ip' }).run('start', OPTIONS);
  assert.equal(r1.rc, OCF_RC.ERR_INSTALLED, r1.detail);
  const refused = fakeIp((argv) => (argv[2] === 'add' ? exited(2, '', 'RTNETLINK answers: Operation not permitted') : exited(0, listing(['192.0.2.10', 24]))));
  const r2 = await ipAddrAgent({ address: '192.0.2.100', prefix: 24, interface: 'eth0' }, { runner: refused.runner, netraw: fakeNetraw().load, addressMethod: 'ip' }).run('start', OPTIONS);
  assert.equal(r2.rc, OCF_RC.ERR_GENERIC);
  assert.match(r2.detail ?? '', /Operation not permitted/);
});

test('stop by ip removes the address, cancels the running burst, and succeeds when the address is already gone', async () => {
  const ip = fakeIp(() => exited(0));
  const wire = fakeNetraw();
  const agent = ipAddrAgent({ address: '192.0.2.100', prefix: 24, interface: 'eth0', announceCount: 5, announceIntervalMs: 20 }, { runner: ip.runner, netraw: wire.load, addressMethod: 'ip' });
  assert.equal((await agent.run('start', OPTIONS)).rc, OCF_RC.SUCCESS);
  const stopped = await agent.run('stop', OPTIONS);
  assert.equal(stopped.rc, OCF_RC.SUCCESS);
  assert.equal(stopped.detail, '192.0.2.100/24 removed from eth0 by ip');
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
  assert.match(r4.detail ?? '', /added on eth0 by ip; .*\(arping\).*WARNING: raw-packet sender unavailable \(not built\): falling back to arping/);
  await v4.announcementsDone();
  assert.deepEqual(ip.calls, ['ip addr add 192.0.2.100/24 dev eth0 brd +', 'arping -U -c 3 -I eth0 192.0.2.100']);
  const r6 = await ipAddrAgent({ address: '2001:db8::100', prefix: 64, interface: 'eth0' }, { runner: ip.runner, netraw: noAddon }).run('start', OPTIONS);
  assert.equal(r6.rc, OCF_RC.SUCCESS);
  assert.match(r6.detail ?? '', /WARNING: no unsolicited NA sent/);
});

// ---- netlink (the addon loaded, the default) ----

test('start by netlink: the add is one synchronous addon call, then the first frame, no `ip` at all', async () => {
  const ip = fakeIp(() => assert.fail('no `ip` on the netlink path'));
  const wire = fakeNetraw();
  const agent = ipAddrAgent({ address: '192.0.2.100', prefix: 24, interface: 'eth0', announceIntervalMs: 5 }, { runner: ip.runner, netraw: wire.load });
  const result = await agent.run('start', OPTIONS);
  assert.equal(result.rc, OCF_RC.SUCCESS, result.detail);
  assert.match(result.detail ?? '', /^192\.0\.2\.100\/24 added on eth0 by netlink; first gratuitous ARP [\d.]+ ms after start \(raw packet\), 2 more every 5 ms/);
  assert.deepEqual(wire.log, ['add eth0 192.0.2.100/24 (1000 ms)', 'frame'], 'the add, then the first frame, before start returns');
  assert.deepEqual([...wire.held], ['192.0.2.100/24']);
  assert.equal(agent.lastStart?.addMethod, 'netlink');
  assert.deepEqual(wire.sent[0], gratuitousArp({ address: '192.0.2.100', mac: '02:74:6e:64:00:01' }));
  assert.equal((await agent.announcementsDone())?.framesSent, 3);

  const v6 = fakeNetraw();
  const r6 = await ipAddrAgent({ address: '2001:db8::100', prefix: 64, interface: 'eth0', announceCount: 1 }, { runner: ip.runner, netraw: v6.load }).run('start', OPTIONS);
  assert.equal(r6.rc, OCF_RC.SUCCESS, r6.detail);
  assert.deepEqual(v6.log, ['add eth0 2001:db8::100/64 (1000 ms)', 'frame']);
  assert.deepEqual(v6.sent, [unsolicitedNeighbourAdvertisement({ address: '2001:db8::100', mac: '02:74:6e:64:00:01' })]);
  assert.deepEqual(ip.calls, []);
});

test('netlink: the ack wait is bounded by the operation timeout when that is shorter than 1 s', async () => {
  const wire = fakeNetraw();
  await ipAddrAgent({ address: '192.0.2.100', prefix: 24, interface: 'eth0', announceCount: 0 }, { netraw: wire.load, now: () => 0 }).run('start', { timeoutMs: 300 });
  assert.deepEqual(wire.log, ['add eth0 192.0.2.100/24 (300 ms)']);
});

test('start by netlink is idempotent: EEXIST is judged by the listing, and announced all the same', async () => {
  const wire = fakeNetraw({ held: ['192.0.2.100/24'] });
  const ip = fakeIp(heldListing(wire));
  const agent = ipAddrAgent({ address: '192.0.2.100', prefix: 24, interface: 'eth0', announceCount: 1 }, { runner: ip.runner, netraw: wire.load });
  const result = await agent.run('start', OPTIONS);
  assert.equal(result.rc, OCF_RC.SUCCESS, result.detail);
  assert.match(result.detail ?? '', /^192\.0\.2\.100\/24 was already on eth0; first gratuitous ARP/);
  assert.deepEqual(ip.calls, ['ip -j addr show dev eth0']);
  assert.deepEqual(wire.log, ['add eth0 192.0.2.100/24 (1000 ms)', 'frame']);

  // IPv6 EEXIST holds for the address with any prefix: listed with another prefix, it is not ours → rc 1.
  const other = fakeNetraw({ held: ['2001:db8::100/80'] });
  const r6 = await ipAddrAgent({ address: '2001:db8::100', prefix: 64, interface: 'eth0' }, { runner: listingOf(other), netraw: other.load }).run('start', OPTIONS);
  assert.equal(r6.rc, OCF_RC.ERR_GENERIC, r6.detail);
  assert.match(r6.detail ?? '', /netlink RTM_NEWADDR answered EEXIST for 2001:db8::100\/64 on eth0; `ip -j addr show dev eth0` does not list 2001:db8::100\/64/);
  assert.equal(other.sent.length, 0, 'nothing announced');
});

test('stop by netlink removes, cancels the burst, and a second stop is EADDRNOTAVAIL → success without listing', async () => {
  const ip = fakeIp(() => assert.fail('no `ip` on the netlink path'));
  const wire = fakeNetraw();
  const agent = ipAddrAgent({ address: '2001:db8::100', prefix: 64, interface: 'eth0', announceCount: 5, announceIntervalMs: 20 }, { runner: ip.runner, netraw: wire.load });
  assert.equal((await agent.run('start', OPTIONS)).rc, OCF_RC.SUCCESS);
  const stopped = await agent.run('stop', OPTIONS);
  assert.equal(stopped.rc, OCF_RC.SUCCESS, stopped.detail);
  assert.equal(stopped.detail, '2001:db8::100/64 removed from eth0 by netlink');
  const again = await agent.run('stop', OPTIONS);
  assert.equal(again.rc, OCF_RC.SUCCESS, again.detail);
  assert.equal(again.detail, '2001:db8::100/64 was not on eth0 (netlink: RTM_DELADDR answered EADDRNOTAVAIL)');
  await new Promise((resolve) => setTimeout(resolve, 80));
  assert.deepEqual(wire.log, ['add eth0 2001:db8::100/64 (1000 ms)', 'frame', 'delete eth0 2001:db8::100/64 (1000 ms)', 'delete eth0 2001:db8::100/64 (1000 ms)'], 'no announcement after stop');
  assert.deepEqual(ip.calls, []);
});

test('netlink refusals are judged by the listing: missing interface → rc 5 on start, success on stop; EPERM → rc 1 with the errno', async () => {
  const wire = fakeNetraw();
  const missing = fakeIp(() => exited(1, '', 'Device "eth9" does not exist.'));
  const r1 = await ipAddrAgent({ address: '192.0.2.100', prefix: 24, interface: 'eth9' }, { runner: missing.runner, netraw: wire.load }).run('start', OPTIONS);
  assert.equal(r1.rc, OCF_RC.ERR_INSTALLED, r1.detail);
  assert.match(r1.detail ?? '', /Cannot add 192\.0\.2\.100\/24 on eth9 by netlink: ENODEV: if_nametoindex: No such device/);
  const s1 = await ipAddrAgent({ address: '192.0.2.100', prefix: 24, interface: 'eth9' }, { runner: missing.runner, netraw: wire.load }).run('stop', OPTIONS);
  assert.equal(s1.rc, OCF_RC.SUCCESS, s1.detail);
  assert.match(s1.detail ?? '', /eth9 does not exist/);
  assert.deepEqual(missing.calls, ['ip -j addr show dev eth9', 'ip -j addr show dev eth9']);

  const refusing = fakeNetraw({ refuse: { code: 'EPERM', message: 'netlink RTM_NEWADDR: Operation not permitted' } });
  const r2 = await ipAddrAgent({ address: '192.0.2.100', prefix: 24, interface: 'eth0' }, { runner: listingOf(refusing), netraw: refusing.load }).run('start', OPTIONS);
  assert.equal(r2.rc, OCF_RC.ERR_GENERIC, r2.detail);
  assert.match(r2.detail ?? '', /Cannot add 192\.0\.2\.100\/24 on eth0 by netlink: EPERM: netlink RTM_NEWADDR: Operation not permitted/);
  assert.equal(refusing.sent.length, 0);
  // Refused, yet listed (someone else added it meanwhile): the listing decides → success.
  const listed = fakeNetraw({ refuse: { code: 'EINVAL', message: 'netlink RTM_NEWADDR: Invalid argument' }, held: ['192.0.2.100/24'] });
  const r3 = await ipAddrAgent({ address: '192.0.2.100', prefix: 24, interface: 'eth0', announceCount: 0 }, { runner: listingOf(listed), netraw: listed.load }).run('start', OPTIONS);
  assert.equal(r3.rc, OCF_RC.SUCCESS, r3.detail);
  assert.match(r3.detail ?? '', /was already on eth0/);
});

test('netlink: no ack in time is an operation timeout, like `ip` killed at its deadline', async () => {
  const ip = fakeIp(() => assert.fail('a timeout is not judged by listing'));
  const wedged = fakeNetraw({ refuse: { code: 'ETIMEDOUT', message: 'poll(NETLINK_ROUTE): Connection timed out (no answer from the kernel within 1000 ms)' } });
  const result = await ipAddrAgent({ address: '192.0.2.100', prefix: 24, interface: 'eth0' }, { runner: ip.runner, netraw: wedged.load }).run('start', OPTIONS);
  assert.equal(result.exec, 'timeout');
  assert.match(result.detail ?? '', /no answer from the kernel within 1000 ms/);
  assert.equal(wedged.sent.length, 0);
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
    const wire = fakeNetraw();
    const result = await ipAddrAgent(params, { runner: ip.runner, netraw: wire.load }).run('start', OPTIONS);
    assert.equal(result.rc, OCF_RC.ERR_CONFIGURED, JSON.stringify(params));
    assert.deepEqual(wire.log, []);
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
