/**
 * The split-brain lab set-up shared by the acceptance tests (split-brain.test.ts) and the benchmarks: tandemd on
 * every node with a web group (nginx behind a VIP) and the protection asked for — quorum only, an arbitrator, ping
 * targets (a `gw` namespace), fencing through `fence_tandemlab` and the lab's power switch, or a FIFO watchdog
 * stand-in per node that powers its node off when no longer fed — plus the VIP watcher and a client prober.
 *
 * TANDEM_LAB_DUMP=1 prints every daemon's log at teardown (to read why a run went the way it did).
 *
 * Network safety: everything runs inside the lab's namespaces with the lab's documentation addresses.
 */
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { Lab } from './lab.js';
import { LabCluster } from './cluster.js';
import { startPowerSwitch, installLabFenceAgent, type PowerSwitch } from './power-switch.js';
import { createWatchdogStandin, type WatchdogStandin } from './watchdog-standin.js';
import { report } from './web-checks.js';
import { DEFAULT_VIP, Prober, VipWatcher, groupsYaml, requireNginx, runsOn, webGroup, writeNginxConfig, type GroupYaml } from './web.js';

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export interface Setup {
  readonly lab: Lab;
  readonly cluster: LabCluster;
  readonly watcher: VipWatcher;
  readonly prober: Prober;
  readonly power: PowerSwitch | undefined;
  readonly standins: Map<string, WatchdogStandin>;
  readonly failFile: string;
}

export interface SetupOptions {
  /** Nodes that run tandemd with groups, most preferred first (the web group's node list). */
  readonly nodes: readonly string[];
  readonly arbitrator?: string;
  /** Extra client namespaces (besides `client`), e.g. `gw` as the ping target. */
  readonly clients?: readonly string[];
  /** YAML for the protection sections; `@LAB@` is replaced by the lab directory, `@NODE@` by each node's name. */
  readonly protection: (lab: Lab) => string;
  readonly fencing?: boolean;
  /** A watchdog stand-in per node at `@LAB@/watchdog-@NODE@`, with this timeout. */
  readonly watchdogMs?: number;
  readonly group?: (lab: Lab, group: GroupYaml) => GroupYaml;
  /** Filled in as the set-up goes, so that a caller can tear down what a set-up that failed half-way started. */
  readonly progress?: SetupProgress;
}

/** What `setUp` has started so far (see `SetupOptions.progress`, `tearDownPartial`). */
export interface SetupProgress {
  lab?: Lab;
  power?: PowerSwitch;
  standins?: Map<string, WatchdogStandin>;
}

/** Tears down whatever a set-up started, also one that failed half-way (standins, power switch, lab). Idempotent. */
export async function tearDownPartial(progress: SetupProgress): Promise<void> {
  for (const standin of progress.standins?.values() ?? []) standin.close();
  await progress.power?.close();
  await progress.lab?.teardown();
}

/** Lab, power switch / watchdog stand-ins as asked, tandemd everywhere, web on the first node, the client answered by it. */
export async function setUp(options: SetupOptions): Promise<Setup> {
  requireNginx();
  const all = [...options.nodes, ...(options.arbitrator !== undefined ? [options.arbitrator] : [])];
  const lab = await Lab.create({ nodes: all, links: 2, clients: ['client', ...(options.clients ?? [])] });
  if (options.progress) options.progress.lab = lab;
  const failFile = join(lab.dir, 'fence-fails');
  const power = options.fencing === true ? await startPowerSwitch(lab) : undefined;
  if (options.progress && power) options.progress.power = power;
  const agent = options.fencing === true ? installLabFenceAgent(lab) : '';
  const watcher = await VipWatcher.start(lab, options.nodes);
  const standins = new Map<string, WatchdogStandin>();
  if (options.progress) options.progress.standins = standins;
  if (options.watchdogMs !== undefined) {
    for (const node of all) {
      standins.set(
        node,
        await createWatchdogStandin({
          path: join(lab.dir, `watchdog-${node}`),
          timeoutMs: options.watchdogMs,
          onExpire: async () => {
            await lab.powerOff(node);
            watcher.recordLinks(node, false, Date.now());
          },
        }),
      );
    }
  }
  const nginx = writeNginxConfig(lab);
  let group = webGroup(lab, { nodes: options.nodes, nginx });
  if (options.group) group = options.group(lab, group);
  const fencingYaml = options.fencing === true
    ? ['fencing:', '  delay: 2s', '  timeout: 10s', '  retries: 0', '  retry_interval: 1s', '  devices:', '    - name: lab', `      agent: ${agent}`, `      params: { socket: "${power?.socketPath}", fail_file: "${failFile}" }`, ''].join('\n')
    : '';
  const watchdogYaml = options.watchdogMs !== undefined ? `watchdog: { device: "@LAB@/watchdog-@NODE@", timeout: ${options.watchdogMs / 1000}s }\n` : '';
  const extra = `${groupsYaml(group)}${options.arbitrator !== undefined ? `arbitrator: ${options.arbitrator}\n` : ''}${options.protection(lab)}${fencingYaml}${watchdogYaml}`;
  const cluster = new LabCluster(lab, { nodes: all, extraYaml: extra });
  for (const node of all) cluster.writeConfig(node, cluster.configText(node).replaceAll('@LAB@', lab.dir).replaceAll('@NODE@', node));
  for (const node of all) cluster.start(node, node === options.arbitrator ? ['--arbitrator'] : []);
  await cluster.waitFor('every node sees every other up', () => cluster.allUp(), 20_000);
  const first = options.nodes[0] as string;
  await cluster.waitFor(`web runs on ${first}`, () => runsOn(cluster, first, options.nodes.filter((node) => node !== first)));
  const prober = Prober.start(lab, 'client');
  await prober.waitForAnswerFrom(first, Date.now());
  await sleep(300);
  return { lab, cluster, watcher, prober, power, standins, failFile };
}

/** The power switch's power-offs (each once) as link-down events for the VIP watcher: a fenced node is unreachable. */
const recorded = new WeakSet<object>();
export function recordFencing(setup: Setup): void {
  for (const request of setup.power?.requests ?? []) {
    if (recorded.has(request)) continue;
    recorded.add(request);
    if (request.action === 'off' && request.reply === 'ok' && request.node !== undefined) {
      setup.watcher.recordLinks(request.node, false, request.atMs + (request.doneMonoMs - request.receivedMonoMs));
    }
  }
}

/**
 * A fenced node boots again: its kernel forgot what it held (the VIP), as a power cycle would; its links come back
 * (recorded for the VIP watcher) and tandemd starts with a new generation.
 */
export async function bootFenced(setup: Setup, node: string): Promise<void> {
  await setup.watcher.rewatch(node);
  await setup.lab.exec(node, ['ip', '-force', '-batch', '-'], { input: `address del ${DEFAULT_VIP}/24 dev ${setup.lab.ifname(node, 0)}\nneigh flush all\n` });
  setup.watcher.recordLinks(node, true, Date.now());
  await setup.lab.powerOn(node);
  setup.cluster.start(node);
  await setup.cluster.waitFor(`${node} is back`, () => setup.cluster.allUp(), 20_000);
}

/** The first power-off of `node` that reached the switch at or after `sinceWallMs`. */
export async function fencedSince(setup: Setup, node: string, sinceWallMs: number, timeoutMs = 20_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const request = setup.power?.requests.find((entry) => entry.node === node && entry.action === 'off' && entry.reply === 'ok' && entry.atMs >= sinceWallMs);
    if (request !== undefined) return request.atMs;
    if (Date.now() > deadline) throw new Error(`${node} was not fenced within ${timeoutMs} ms`);
    await sleep(25);
  }
}

export async function quorumOf(cluster: LabCluster, node: string): Promise<string> {
  return (await cluster.status(node)).quorum.status;
}

export async function events(cluster: LabCluster, node: string, kind: string, sinceWallMs: number): Promise<string[]> {
  return (await cluster.status(node)).events.filter((event) => event.kind === kind && Date.parse(event.wallTime) >= sinceWallMs).map((event) => event.reason);
}

export async function tearDown(setup: Setup): Promise<void> {
  if (process.env.TANDEM_LAB_DUMP === '1') for (const [node, proc] of setup.cluster.processes) process.stderr.write(`==== ${node}\n${proc.output()}\n`);
  for (const standin of setup.standins.values()) standin.close();
  await setup.power?.close();
  await setup.lab.teardown();
}

export function reportOverlap(t: TestContext, setup: Setup, origin: number): void {
  setup.watcher.stop();
  const overlaps = setup.watcher.overlaps();
  report(t, `VIP held by two reachable nodes: ${overlaps.totalMs} ms${overlaps.intervals.length > 0 ? ` (${overlaps.intervals.map((i) => `+${Math.round(i.fromMs - origin)}..+${Math.round(i.toMs - origin)} ms ${i.nodes.join('+')}`).join('; ')})` : ''}`);
}

