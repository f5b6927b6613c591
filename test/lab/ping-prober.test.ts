/**
 * The ping prober for real (root only): the compiled `systemPinger` and `PingProber` run with Node inside a lab
 * node's namespaces and ping a lab client standing in for the routers. Checks that replies, silence, `-I` (source
 * and interface), IPv6 and the kill deadline behave as the unit tests assume, and that the score follows a
 * pulled cable and a partition, and comes back.
 *
 * Every packet stays inside the lab's namespaces: the "unused" targets are lab-subnet addresses that no member
 * holds, pinged from inside a node namespace.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Lab, type LabProcess, labTest } from './lab.js';

/** The compiled module under test (this file runs as dist/test/lab/ping-prober.test.js). */
const MODULE_URL = new URL('../../src/daemon/ping-prober.js', import.meta.url).href;

/** Runs each case through systemPinger in turn and prints their results as one JSON array. */
const PINGER_SCRIPT = `
const { systemPinger } = await import(process.argv[2]);
const cases = JSON.parse(process.argv[3]);
const results = [];
for (const c of cases) {
  const started = performance.now();
  const result = await systemPinger(c.address, c.timeoutMs, c.options);
  results.push({ ...c, result, durationMs: performance.now() - started });
}
console.log(JSON.stringify(results));
`;

/** Runs a PingProber and prints one JSON line per event; stops on SIGTERM. */
const PROBER_SCRIPT = `
const { PingProber } = await import(process.argv[2]);
const options = JSON.parse(process.argv[3]);
const started = performance.now();
const print = (event, score) => console.log(JSON.stringify({ event, atMs: performance.now() - started, score }));
const prober = new PingProber({ ...options, onChange: (score) => print('change', score) });
print('initial', prober.score());
prober.start();
process.on('SIGTERM', () => {
  prober.stop().then(() => {
    print('stopped', prober.score());
    process.exit(0);
  });
});
`;

interface PingCase {
  readonly name: string;
  readonly address: string;
  readonly timeoutMs: number;
  readonly options: { sourceAddress?: string; iface?: string };
}

interface PingCaseResult extends PingCase {
  readonly result: { ok: boolean; rttMs?: number; detail: string };
  readonly durationMs: number;
}

interface GroupScore {
  name: string;
  reachable: boolean;
  lastReplyAt?: number;
  lastError?: string;
}

interface ProberEvent {
  event: 'initial' | 'change' | 'stopped';
  atMs: number;
  score: { reachable: number; total: number; groups: GroupScore[] };
}

function events(process_: LabProcess): ProberEvent[] {
  return process_
    .output()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as ProberEvent);
}

function reachableNames(event: ProberEvent): string[] {
  return event.score.groups.filter((group) => group.reachable).map((group) => group.name);
}

/** Waits for the first change event after `afterIndex` whose reachable groups are exactly `names`. */
async function waitForChange(process_: LabProcess, afterIndex: number, names: string[], timeoutMs = 8000): Promise<{ index: number; event: ProberEvent }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const all = events(process_);
    for (let index = afterIndex + 1; index < all.length; index++) {
      const event = all[index]!;
      if (event.event === 'change' && JSON.stringify(reachableNames(event)) === JSON.stringify(names)) return { index, event };
    }
    if (Date.now() > deadline) throw new Error(`no change to reachable=${JSON.stringify(names)} within ${timeoutMs} ms; output:\n${process_.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

labTest('ping prober: systemPinger in a node namespace — replies, silence, -I source and interface, IPv6, kill deadline', async () => {
  const lab = await Lab.create({ nodes: ['alpha'], clients: ['gw'], links: 2, ipv6: true });
  const script = join(lab.dir, 'pinger.mjs');
  writeFileSync(script, PINGER_SCRIPT);
  const cases: PingCase[] = [
    { name: 'gw v4', address: lab.address('gw', 0), timeoutMs: 1000, options: {} },
    { name: 'gw v6', address: lab.address6('gw', 0), timeoutMs: 1000, options: {} },
    { name: 'gw via its interface', address: lab.address('gw', 1), timeoutMs: 1000, options: { iface: lab.ifname('alpha', 1) } },
    // Not "the other link's interface": with SO_BINDTODEVICE and no route there, Linux assumes the target is on
    // that link, and gw (weak host model) answers ARP for any of its addresses on any port, so that ping succeeds.
    { name: 'gw via an interface we lack', address: lab.address('gw', 1), timeoutMs: 1000, options: { iface: 'nosuch0' } },
    { name: 'gw from our own source', address: lab.address('gw', 0), timeoutMs: 1000, options: { sourceAddress: lab.address('alpha', 0) } },
    { name: 'gw from a source we lack', address: lab.address('gw', 0), timeoutMs: 1000, options: { sourceAddress: '192.0.2.251' } },
    { name: 'unused, 1 s', address: '192.0.2.250', timeoutMs: 1000, options: {} },
    { name: 'unused, killed at 200 ms + grace', address: '192.0.2.250', timeoutMs: 200, options: {} },
    { name: 'a name', address: 'gw', timeoutMs: 1000, options: {} },
  ];
  const run = await lab.exec('alpha', [process.execPath, script, MODULE_URL, JSON.stringify(cases)], { timeoutMs: 30_000 });
  assert.equal(run.code, 0, run.stderr);
  const parsed = JSON.parse(run.stdout) as PingCaseResult[];
  if (process.env.LAB_DEBUG) console.log(parsed);
  const results = new Map(parsed.map((result) => [result.name, result]));
  const get = (name: string): PingCaseResult => {
    const result = results.get(name);
    assert.ok(result, name);
    return result;
  };

  for (const name of ['gw v4', 'gw v6', 'gw via its interface', 'gw from our own source']) {
    const { result } = get(name);
    assert.equal(result.ok, true, `${name}: ${result.detail}`);
    assert.ok(typeof result.rttMs === 'number' && result.rttMs >= 0 && result.rttMs < 1000, `${name}: rtt ${result.rttMs}`);
  }
  for (const name of ['gw via an interface we lack', 'gw from a source we lack', 'unused, 1 s', 'a name']) {
    assert.equal(get(name).result.ok, false, `${name} must fail: ${get(name).result.detail}`);
  }
  assert.match(get('a name').result.detail, /not an IP address/);
  assert.match(get('gw from a source we lack').result.detail, /exited with 2/);
  assert.match(get('gw via an interface we lack').result.detail, /exited with 2: .*nosuch0/);

  const silent = get('unused, 1 s');
  assert.match(silent.result.detail, /no reply|exited with 1/);
  assert.ok(silent.durationMs >= 900 && silent.durationMs < 2500, `ping -W 1 waits about 1 s, took ${silent.durationMs} ms`);
  const killed = get('unused, killed at 200 ms + grace');
  assert.equal(killed.result.ok, false);
  assert.match(killed.result.detail, /ping killed/);
  // ping itself would wait 1 s (-W takes whole seconds): ending well before that means the kill bounded it.
  assert.ok(killed.durationMs < 900, `killed at about 450 ms, took ${killed.durationMs} ms`);
});

labTest('ping prober: the score follows a pulled cable and a partition, ping_group survives one dead member', async () => {
  const lab = await Lab.create({ nodes: ['alpha'], clients: ['gw'], links: 2 });
  const script = join(lab.dir, 'prober.mjs');
  writeFileSync(script, PROBER_SCRIPT);
  const deadMs = 1000;
  const intervalMs = 200;
  const options = {
    groups: [
      { name: 'uplink', addresses: [lab.address('gw', 0)] },
      // heartbeat's ping_group: one member nobody holds, one that answers.
      { name: 'backup', addresses: ['198.51.100.250', lab.address('gw', 1)] },
      { name: 'nothing', addresses: ['192.0.2.250'] },
    ],
    intervalMs,
    deadMs,
  };
  const prober = lab.spawn('alpha', [process.execPath, script, MODULE_URL, JSON.stringify(options)], { name: 'prober' });

  // At start nothing has answered: no score is claimed before the first replies.
  const up = await waitForChange(prober, -1, ['uplink', 'backup']);
  const initial = events(prober)[0];
  assert.equal(initial?.event, 'initial');
  assert.equal(initial.score.reachable, 0);
  assert.equal(initial.score.total, 3);
  assert.equal(up.event.score.reachable, 2);

  // Wait for the dead addresses' first probes to time out, so their errors show.
  await new Promise((resolve) => setTimeout(resolve, 1500));

  const pulled = Date.now();
  await lab.linkDown('alpha', 0);
  const down = await waitForChange(prober, up.index, ['backup']);
  const detectedMs = Date.now() - pulled;
  // The drop waits for deadMs after the last reply (at most one interval plus a round trip before the pull).
  assert.ok(detectedMs >= deadMs - intervalMs - 100 && detectedMs < deadMs + 1500, `uplink dropped after ${detectedMs} ms with deadMs ${deadMs}`);
  const backup = down.event.score.groups.find((group) => group.name === 'backup');
  assert.equal(backup?.reachable, true);
  assert.match(backup.lastError ?? '', /^198\.51\.100\.250: /, 'the dead member is reported, the group still counts');

  await lab.linkUp('alpha', 0);
  const back = await waitForChange(prober, down.index, ['uplink', 'backup']);

  await lab.partition([['alpha'], ['gw']]);
  const cut = await waitForChange(prober, back.index, []);
  assert.equal(cut.event.score.reachable, 0);

  await lab.heal();
  const healed = await waitForChange(prober, cut.index, ['uplink', 'backup']);

  if (process.env.LAB_DEBUG) console.log(prober.output());
  prober.kill('SIGTERM');
  assert.deepEqual(await prober.exited, { code: 0, signal: null });
  const all = events(prober);
  assert.equal(all.at(-1)?.event, 'stopped');
  assert.equal(all.findIndex((event) => event.event === 'change' && event.score.groups.find((group) => group.name === 'nothing')?.reachable), -1, 'an address nobody holds never counts');
  // onChange fires only on a change: consecutive reports always differ.
  const changes = all.filter((event) => event.event === 'change');
  for (let i = 1; i < changes.length; i++) {
    assert.notDeepEqual(reachableNames(changes[i]!), reachableNames(changes[i - 1]!), `changes ${i - 1} and ${i} report the same reachability`);
  }
  assert.ok(healed.index < all.length - 1);
});
