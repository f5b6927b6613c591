/**
 * Benchmarks that need real daemons in namespaces (root): failure-detection time, idle cost, and false
 * failovers under packet loss with both CPUs busy. They measure and report; they assert nothing about speed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { callApi } from '../src/cli/client.js';
import type { LoggedEvent } from '../src/obs/event-log.js';
import { LabCluster } from '../test/lab/cluster.js';
import { Lab } from '../test/lab/lab.js';

export interface Spread {
  readonly runs: number;
  readonly minMs: number;
  readonly medianMs: number;
  readonly maxMs: number;
}

export function spread(samples: readonly number[]): Spread {
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    runs: sorted.length,
    minMs: Math.round(sorted[0] ?? NaN),
    medianMs: Math.round(sorted[Math.floor(sorted.length / 2)] ?? NaN),
    maxMs: Math.round(sorted[sorted.length - 1] ?? NaN),
  };
}

export interface Timings {
  keepalive: string;
  warntime: string;
  deadtime: string;
  initdead: string;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function events(cluster: LabCluster, node: string): Promise<readonly LoggedEvent[]> {
  return (await callApi<LoggedEvent[]>(cluster.socket(node), 'GET', '/v1/events?count=1000')).body;
}

/** kill -9 of n3, repeated: time from the kill to the first `peer-dead` event at each observer (wall clock, same host). */
export async function detectionTime(timings: Timings, runs: number): Promise<Spread> {
  const nodes = ['n1', 'n2', 'n3'];
  const lab = await Lab.create({ nodes, links: 2 });
  const samples: number[] = [];
  try {
    const cluster = new LabCluster(lab, { nodes, timings });
    cluster.startAll();
    await cluster.waitFor('cluster up', () => cluster.allUp());
    for (let run = 0; run < runs; run++) {
      await sleep(300 + ((run * 37) % 200)); // vary the phase of the kill against the heartbeat schedule
      const killedAt = Date.now();
      cluster.process('n3').kill('SIGKILL');
      await cluster.waitFor('n3 dead at n1 and n2', async () => (await cluster.peerState('n1', 'n3')) === 'dead' && (await cluster.peerState('n2', 'n3')) === 'dead', 20_000, 5);
      for (const observer of ['n1', 'n2']) {
        const dead = [...(await events(cluster, observer))].reverse().find((event) => event.kind === 'peer-dead' && event.node === 'n3');
        if (dead) samples.push(Date.parse(dead.wallTime) - killedAt);
      }
      await cluster.process('n3').exited;
      cluster.start('n3');
      await cluster.waitFor('n3 back', () => cluster.allUp());
    }
  } finally {
    await lab.teardown();
  }
  return spread(samples);
}

/** Host pid of the tandemd of a lab node: the process whose command line names that node's config. */
function daemonPid(configPath: string): number {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      // The node program itself, not the unshare or init shell whose argument lists also name it.
      if (cmdline[0] === process.execPath && cmdline[1]?.endsWith('daemon/main.js') && cmdline.includes(configPath)) return Number(entry);
    } catch {
      // The process ended between readdir and read: not ours to measure.
    }
  }
  throw new Error(`no tandemd process found for ${configPath}`);
}

function cpuTicks(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return Number(fields[11]) + Number(fields[12]); // utime + stime, in clock ticks
}

function rssMb(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((text) => text.startsWith('VmRSS:'));
  return Number(/(\d+)/.exec(line ?? '')?.[1] ?? NaN) / 1024;
}

/** One daemon with three peers at keepalive 200 ms, idle for `seconds`: CPU share of one core and RSS. */
export async function idleCost(seconds: number): Promise<{ cpuPercent: number; rssMb: number; seconds: number }> {
  const nodes = ['n1', 'n2', 'n3', 'n4'];
  const lab = await Lab.create({ nodes, links: 2 });
  try {
    const cluster = new LabCluster(lab, { nodes, timings: { keepalive: '200ms', warntime: '600ms', deadtime: '1s', initdead: '3s' } });
    cluster.startAll();
    await cluster.waitFor('cluster up', () => cluster.allUp());
    await sleep(2000);
    const pid = daemonPid(cluster.configPath('n1'));
    const ticksPerSecond = 100;
    const before = cpuTicks(pid);
    const start = Date.now();
    await sleep(seconds * 1000);
    const used = (cpuTicks(pid) - before) / ticksPerSecond;
    const elapsed = (Date.now() - start) / 1000;
    return { cpuPercent: (100 * used) / elapsed, rssMb: rssMb(pid), seconds: Math.round(elapsed) };
  } finally {
    await lab.teardown();
  }
}

/** Busy loops on every CPU, in a child process each, killed by PID afterwards. */
function burnCpus(count: number): ChildProcess[] {
  return Array.from({ length: count }, () => spawn(process.execPath, ['-e', 'for(;;){}'], { stdio: 'ignore' }));
}

/** `lossPercent`% packet loss on the given links of every node, all CPUs busy: how many peer-dead events in `seconds`. */
export async function falseFailovers(timings: Timings, options: { lossPercent: number; lossyLinks: readonly number[]; seconds: number }): Promise<{ peerDead: number; linkDead: number; seconds: number }> {
  const { lossPercent, lossyLinks, seconds } = options;
  const nodes = ['n1', 'n2', 'n3'];
  const lab = await Lab.create({ nodes, links: 2 });
  const burners: ChildProcess[] = [];
  try {
    const cluster = new LabCluster(lab, { nodes, timings });
    cluster.startAll();
    await cluster.waitFor('cluster up', () => cluster.allUp());
    for (const node of nodes) for (const link of lossyLinks) await lab.loss(node, link, lossPercent);
    burners.push(...burnCpus(2));
    await sleep(seconds * 1000);
    let peerDead = 0;
    let linkDead = 0;
    for (const node of nodes) {
      for (const event of await events(cluster, node)) {
        if (event.kind === 'peer-dead') peerDead += 1;
        if (event.kind === 'link-dead') linkDead += 1;
      }
    }
    return { peerDead, linkDead, seconds };
  } finally {
    for (const burner of burners) burner.kill('SIGKILL');
    await lab.teardown();
  }
}
