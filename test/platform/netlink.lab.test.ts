/**
 * The netraw addon's netlink address changes (addressAdd / addressDelete) on a real kernel, inside lab nodes:
 *   - what it adds is what `ip addr add … brd +` / `… nodad` adds: the same `ip -j addr show` entry (prefix,
 *     broadcast, scope, nodad), compared with the same address added by `ip` on another node;
 *   - it changes the calling process's network namespace only;
 *   - idempotence: add twice → 'added' then 'exists', delete twice → 'deleted' then 'absent';
 *   - failures are clear errors: no such interface (ENODEV, if_nametoindex), no CAP_NET_ADMIN (EPERM from the
 *     kernel), bad arguments (a TypeError), and the agent turns them into rc 5 and rc 1.
 * Addresses are lab ones only (192.0.2.0/24, 198.51.100.0/24, 2001:db8::/32), on the nodes' eth0.
 */
import assert from 'node:assert/strict';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Lab, labTest } from '../lab/lab.js';
import type { NetlinkOp, NetlinkOpResult } from './netlink-ops.js';

const here = dirname(fileURLToPath(import.meta.url));
const OPS = join(here, 'netlink-ops.js');
const AGENT_CLI = join(here, 'agent-cli.js');
/** Runs a command as root without CAP_NET_ADMIN (dropped from the bounding set: gone after exec). */
const NO_NET_ADMIN = ['setpriv', '--bounding-set=-net_admin', '--inh-caps=-net_admin', '--'];

interface AddrInfo {
  family: string;
  local: string;
  prefixlen: number;
  broadcast?: string;
  scope?: string;
  nodad?: boolean;
  tentative?: boolean;
  [key: string]: unknown;
}

/** The VIPs, with what `ip` would be told: `brd +` for IPv4 (none shown for /31 and /32), `nodad` for IPv6. */
const CASES: ReadonlyArray<{ address: string; prefix: number; broadcast?: string }> = [
  { address: '192.0.2.200', prefix: 24, broadcast: '192.0.2.255' },
  { address: '198.51.100.77', prefix: 26, broadcast: '198.51.100.127' },
  { address: '192.0.2.201', prefix: 32 },
  { address: '198.51.100.202', prefix: 31 },
  { address: '2001:db8::200', prefix: 64 },
  { address: '2001:db8:5::1', prefix: 128 },
];

async function run(lab: Lab, node: string, ops: NetlinkOp[], prefix: string[] = []): Promise<NetlinkOpResult[]> {
  const out = await lab.exec(node, [...prefix, process.execPath, OPS, JSON.stringify(ops)]);
  assert.equal(out.code, 0, `netlink-ops on ${node}: ${out.stderr}`);
  return JSON.parse(out.stdout.trim().split('\n').pop() ?? '[]') as NetlinkOpResult[];
}

async function addrInfo(lab: Lab, node: string): Promise<AddrInfo[]> {
  const out = await lab.exec(node, ['ip', '-j', 'addr', 'show', 'dev', 'eth0']);
  assert.equal(out.code, 0, out.stderr);
  const links = JSON.parse(out.stdout) as Array<{ addr_info?: AddrInfo[] }>;
  return links.flatMap((link) => link.addr_info ?? []);
}

function find(entries: AddrInfo[], address: string): AddrInfo | undefined {
  return entries.find((entry) => entry.local === address);
}

labTest('netlink: the addon adds and removes IPv4 and IPv6 addresses exactly as `ip` does, idempotently, in its own namespace', async (t) => {
  const lab = await Lab.create({ nodes: ['n1', 'n2'], links: 1, ipv6: true });
  try {
    const ops = (op: 'add' | 'delete'): NetlinkOp[] => CASES.map(({ address, prefix }) => ({ op, iface: 'eth0', address, prefix }));

    // Add on n1 by netlink, twice: added, then exists.
    const added = await run(lab, 'n1', [...ops('add'), ...ops('add')]);
    assert.deepEqual(added.map((r) => r.result ?? `${r.code}: ${r.message}`), [...CASES.map(() => 'added'), ...CASES.map(() => 'exists')]);
    const n1 = await addrInfo(lab, 'n1');
    for (const { address, prefix, broadcast } of CASES) {
      const entry = find(n1, address);
      assert.ok(entry, `${address}/${prefix} is on n1's eth0`);
      assert.equal(entry.prefixlen, prefix, address);
      assert.equal(entry.scope, 'global', address);
      assert.equal(entry.broadcast, broadcast, `${address}/${prefix}: broadcast as \`brd +\``);
      if (entry.family === 'inet6') {
        assert.equal(entry.nodad, true, `${address}: nodad`);
        assert.equal(entry.tentative, undefined, `${address}: usable at once, not tentative`);
      }
    }

    // Only n1's namespace changed.
    const n2Before = await addrInfo(lab, 'n2');
    for (const { address } of CASES) assert.equal(find(n2Before, address), undefined, `${address} is not on n2`);

    // The reference: the same addresses added by `ip` on n2 give the same entries.
    for (const { address, prefix } of CASES) {
      const argv = ['ip', 'addr', 'add', `${address}/${prefix}`, 'dev', 'eth0', ...(address.includes(':') ? ['nodad'] : ['brd', '+'])];
      const out = await lab.exec('n2', argv);
      assert.equal(out.code, 0, `${argv.join(' ')}: ${out.stderr}`);
    }
    const n2 = await addrInfo(lab, 'n2');
    for (const { address } of CASES) assert.deepEqual(find(n1, address), find(n2, address), `${address}: netlink on n1 = ip on n2`);

    // IPv6 EEXIST holds for the address whatever the prefix (documented): the caller judges by listing.
    const otherPrefix = await run(lab, 'n1', [{ op: 'add', iface: 'eth0', address: '2001:db8::200', prefix: 80 }, { op: 'delete', iface: 'eth0', address: '2001:db8::200', prefix: 80 }]);
    assert.deepEqual(otherPrefix.map((r) => r.result), ['exists', 'absent'], 'delete needs the prefix too');

    // Delete twice: deleted, then absent; all gone from n1, n2 untouched.
    const deleted = await run(lab, 'n1', [...ops('delete'), ...ops('delete')]);
    assert.deepEqual(deleted.map((r) => r.result ?? `${r.code}: ${r.message}`), [...CASES.map(() => 'deleted'), ...CASES.map(() => 'absent')]);
    const n1After = await addrInfo(lab, 'n1');
    for (const { address } of CASES) assert.equal(find(n1After, address), undefined, `${address} is gone from n1`);
    assert.ok(find(n1After, lab.address('n1', 0)), "n1's own address stays");
    const n2After = await addrInfo(lab, 'n2');
    for (const { address } of CASES) assert.ok(find(n2After, address), `${address} is still on n2`);

    const us = (results: NetlinkOpResult[]): string => {
      const sorted = results.map((r) => r.us).sort((a, b) => a - b);
      return `min ${sorted[0]?.toFixed(0)} / median ${sorted[Math.floor(sorted.length / 2)]?.toFixed(0)} / max ${sorted[sorted.length - 1]?.toFixed(0)} µs`;
    };
    t.diagnostic(`addon call, fresh add ${us(added.slice(0, CASES.length))}, add again ${us(added.slice(CASES.length))}, delete ${us(deleted.slice(0, CASES.length))}, delete again ${us(deleted.slice(CASES.length))} (n=${CASES.length} each)`);
  } finally {
    await lab.teardown();
  }
}, { timeout: 60_000 });

labTest('netlink: failures are clear errors (no such interface, no CAP_NET_ADMIN), and the agent reports them', async () => {
  const lab = await Lab.create({ nodes: ['n1'], links: 1 });
  try {
    const [addMissing, deleteMissing] = await run(lab, 'n1', [
      { op: 'add', iface: 'eth9', address: '192.0.2.200', prefix: 24 },
      { op: 'delete', iface: 'eth9', address: '192.0.2.200', prefix: 24 },
    ]);
    assert.deepEqual([addMissing?.code, addMissing?.message], ['ENODEV', 'if_nametoindex: No such device']);
    assert.deepEqual([deleteMissing?.code, deleteMissing?.message], ['ENODEV', 'if_nametoindex: No such device']);
    // Arguments the kernel never sees: a TypeError, nothing sent.
    const [badPrefix, badAddress] = await run(lab, 'n1', [
      { op: 'add', iface: 'eth0', address: '192.0.2.200', prefix: 33 },
      { op: 'add', iface: 'eth0', address: '192.0.2.200/24', prefix: 24 },
    ]);
    assert.deepEqual([badPrefix?.code, badPrefix?.message], ['ERR_INVALID_ARG_TYPE', 'address change: prefix must be 0..32 (IPv4) or 0..128 (IPv6)']);
    assert.equal(badAddress?.code, 'ERR_INVALID_ARG_TYPE');

    const [addRefused, deleteRefused] = await run(lab, 'n1', [
      { op: 'add', iface: 'eth0', address: '192.0.2.200', prefix: 24 },
      { op: 'delete', iface: 'eth0', address: lab.address('n1', 0), prefix: 24 },
    ], NO_NET_ADMIN);
    assert.equal(addRefused?.code, 'EPERM', JSON.stringify(addRefused));
    assert.match(addRefused?.message ?? '', /^netlink RTM_NEWADDR: Operation not permitted/);
    assert.equal(deleteRefused?.code, 'EPERM', JSON.stringify(deleteRefused));
    assert.match(deleteRefused?.message ?? '', /^netlink RTM_DELADDR: Operation not permitted/);
    assert.ok(find(await addrInfo(lab, 'n1'), lab.address('n1', 0)), 'the refused delete changed nothing');
    assert.equal(find(await addrInfo(lab, 'n1'), '192.0.2.200'), undefined, 'the refused add changed nothing');

    // The agent: a missing interface is rc 5 on start and success on stop; EPERM is rc 1 with the errno.
    const agent = async (action: string, params: Record<string, unknown>, prefix: string[] = []): Promise<{ rc?: number; detail?: string }> => {
      const out = await lab.exec('n1', [...prefix, process.execPath, AGENT_CLI, 'ipaddr', action, JSON.stringify(params)], { timeoutMs: 15_000 });
      assert.equal(out.code, 0, out.stderr);
      return (JSON.parse(out.stdout.trim().split('\n').pop() ?? '{}') as { result: { rc?: number; detail?: string } }).result;
    };
    const missing = { address: '192.0.2.200', prefix: 24, interface: 'eth9', announceCount: 0 };
    const startMissing = await agent('start', missing);
    assert.equal(startMissing.rc, 5, startMissing.detail);
    assert.match(startMissing.detail ?? '', /Cannot add 192\.0\.2\.200\/24 on eth9 by netlink: ENODEV: if_nametoindex: No such device/);
    const stopMissing = await agent('stop', missing);
    assert.equal(stopMissing.rc, 0, stopMissing.detail);
    const refused = await agent('start', { address: '192.0.2.200', prefix: 24, interface: 'eth0', announceCount: 0 }, NO_NET_ADMIN);
    assert.equal(refused.rc, 1, refused.detail);
    assert.match(refused.detail ?? '', /by netlink: EPERM: netlink RTM_NEWADDR: Operation not permitted/);
  } finally {
    await lab.teardown();
  }
}, { timeout: 60_000 });
