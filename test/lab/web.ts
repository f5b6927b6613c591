/**
 * The web harness on top of the lab: a real nginx run by tandem as a group resource behind a virtual IP, a client
 * that probes the VIP the way users would, and a watcher that records which node holds the VIP when. Used by the
 * failover acceptance tests, the benchmarks and the demo.
 *
 *   - `writeNginxConfig` + `webGroup` / `groupsYaml`: the `groups:` YAML of a web group (a VIP on the lab's
 *     link 0 interface, nginx through the `exec` agent, optional extra resources such as a filesystem), with
 *     failback, migration threshold, monitor interval and node preference as knobs. nginx answers `GET /` with
 *     the host name, which in the lab is the node's name, and sets `X-Node` on every answer.
 *   - `Prober`: `prober.js` spawned in a client namespace: a new TCP connection to VIP:80 every 20 ms, 200 ms
 *     budget per probe, probes overlapping; `analyzeProbes` turns its JSON lines into who answered when, the
 *     outage after a fault, failed probes and the longest gap.
 *   - `VipWatcher`: `ip -ts monitor address` in every node namespace for the whole test, parsed into add/delete
 *     events, plus the link faults the test injects through it (`isolate`/`reconnect`); `overlaps()` gives the
 *     intervals where two connected nodes held one VIP at once (split brain).
 *   - Faults and set-up: `startWebCluster`, `crashNode` / `rebootNode`, `killNginx`, `createSharedDisk` (ext4 on a
 *     loop device every node can mount), and status helpers (`runsOn`, `groupStatus`, `why`, `tandemCli`).
 *   - `vipGroup` + `startNodeNginx` / `waitForNodeNginx`: the DESIGN §9 set-up, where nginx runs on every node
 *     outside tandem and the group is the VIP alone (as keepalived and heartbeat are compared); used by the
 *     failover benchmark.
 *
 * Network safety: everything runs inside the lab's namespaces and uses only the lab's documentation addresses
 * (192.0.2.0/24, 198.51.100.0/24, 2001:db8::/32); nothing is sent from the root namespace; the only processes
 * signalled are ones this harness (or tandemd under it) started, found by PID inside a lab PID namespace.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { StatusReport } from '../../src/api/status-report.js';
import { callApi } from '../../src/cli/client.js';
import type { CommandResult, WhyReport } from '../../src/daemon/commands.js';
import { LabCluster, TANDEM_CLI, type LabClusterOptions } from './cluster.js';
import type { ExecResult, Lab, LabProcess } from './lab.js';
import type { ProbeRecord } from './prober.js';

export type { ProbeRecord } from './prober.js';

export const NGINX = '/usr/sbin/nginx';
export const PROBER_JS = fileURLToPath(new URL('./prober.js', import.meta.url));
/** The default VIP of a web group: on lab link 0 (192.0.2.0/24), above every node address (.10 + i). */
export const DEFAULT_VIP = '192.0.2.100';

const LAB_ADDRESS = /^(192\.0\.2\.\d{1,3}|198\.51\.100\.\d{1,3}|2001:db8:[0-9a-f:]*)$/i;

function assertLabAddress(address: string): void {
  if (!LAB_ADDRESS.test(address)) throw new Error(`web harness: ${address} is not a lab address (192.0.2.0/24, 198.51.100.0/24, 2001:db8::/32)`);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export function nginxAvailable(): boolean {
  return existsSync(NGINX);
}

/** The lab's web tests need nginx as much as they need `ip`: its absence is a broken machine, never a skip. */
export function requireNginx(): void {
  if (!nginxAvailable()) throw new Error(`${NGINX} is missing: apt-get install nginx-light (.ci/run installs it)`);
}

// ---- nginx -------------------------------------------------------------------------------------------------

export interface NginxOptions {
  /** Names the config file and the run directory; default 'web'. */
  readonly name?: string;
  /** Address to listen on; default every IPv4 address (then only one such nginx may run per node). */
  readonly listen?: string;
  readonly port?: number;
  /** Serve files from this directory for every path but `/` (which always answers the host name). */
  readonly root?: string;
}

export interface NginxConfig {
  readonly name: string;
  /** The config file, in the lab dir (shared by every node). */
  readonly path: string;
  /** Private per node: every lab node has its own /run. Holds the pid file and nginx's temp dirs. */
  readonly runDir: string;
  readonly listen: string | undefined;
  readonly port: number;
  /** The exec agent's command: creates the run dir, then runs nginx in the foreground. */
  readonly command: readonly string[];
}

/** Writes an nginx config into the lab dir. nginx runs as root (workers as nobody), logs errors to stderr. */
export function writeNginxConfig(lab: Lab, options: NginxOptions = {}): NginxConfig {
  const name = options.name ?? 'web';
  if (!/^[a-z0-9-]{1,32}$/.test(name)) throw new Error(`web harness: bad nginx name ${JSON.stringify(name)}`);
  if (options.listen !== undefined) assertLabAddress(options.listen);
  const port = options.port ?? 80;
  const runDir = `/run/tandem-nginx-${name}`;
  const path = join(lab.dir, `nginx-${name}.conf`);
  const listen = options.listen === undefined ? `${port}` : options.listen.includes(':') ? `[${options.listen}]:${port}` : `${options.listen}:${port}`;
  const lines = [
    'worker_processes 1;',
    `pid ${runDir}/nginx.pid;`,
    'error_log stderr warn;',
    'events { worker_connections 512; }',
    'http {',
    '  access_log off;',
    '  default_type text/plain;',
    '  keepalive_timeout 0;',
    ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((kind) => `  ${kind}_temp_path ${runDir}/${kind};`),
    '  server {',
    `    listen ${listen};`,
    '    server_name _;',
    '    add_header X-Node $hostname always;',
    '    location = / { return 200 "$hostname\\n"; }',
    ...(options.root !== undefined ? [`    location / { root ${options.root}; }`] : []),
    '  }',
    '}',
  ];
  writeFileSync(path, lines.join('\n') + '\n');
  const command = ['/bin/sh', '-c', `mkdir -p ${runDir} && exec ${NGINX} -e stderr -c ${path} -g 'daemon off;'`];
  return { name, path, runDir, listen: options.listen, port, command };
}

// ---- group YAML --------------------------------------------------------------------------------------------

/** One resource of a group, as written under `resources:` (values are written as JSON, which YAML reads as is). */
export interface ResourceYaml {
  readonly id: string;
  readonly agent: string;
  readonly params?: Readonly<Record<string, string | number | boolean>>;
  readonly args?: readonly string[];
  readonly command?: readonly string[];
  readonly health?: readonly string[];
  readonly stop_signal?: string;
  readonly start?: { readonly timeout?: string };
  readonly stop?: { readonly timeout?: string };
  readonly monitor?: { readonly interval?: string; readonly timeout?: string };
}

export interface GroupYaml {
  readonly name: string;
  /** Most preferred first. */
  readonly nodes: readonly string[];
  readonly failback?: 'auto' | 'manual';
  readonly migrationThreshold?: number;
  readonly failureTimeout?: string;
  readonly resources: readonly ResourceYaml[];
}

/** A group as one `groups:` list item, indented for the top level. */
export function groupYaml(group: GroupYaml): string {
  const lines = [`  - name: ${JSON.stringify(group.name)}`, `    nodes: ${JSON.stringify(group.nodes)}`];
  if (group.failback !== undefined) lines.push(`    failback: ${group.failback}`);
  if (group.migrationThreshold !== undefined) lines.push(`    migration_threshold: ${group.migrationThreshold}`);
  if (group.failureTimeout !== undefined) lines.push(`    failure_timeout: ${JSON.stringify(group.failureTimeout)}`);
  lines.push('    resources:');
  for (const resource of group.resources) {
    const [first, ...rest] = Object.entries(resource).filter(([, value]) => value !== undefined);
    if (first === undefined) continue;
    lines.push(`      - ${first[0]}: ${JSON.stringify(first[1])}`);
    for (const [key, value] of rest) lines.push(`        ${key}: ${JSON.stringify(value)}`);
  }
  return lines.join('\n') + '\n';
}

/** The `groups:` section (for `LabClusterOptions.extraYaml`) from groups or ready-made items. */
export function groupsYaml(...groups: readonly (GroupYaml | string)[]): string {
  return 'groups:\n' + groups.map((group) => (typeof group === 'string' ? group : groupYaml(group))).join('');
}

export interface WebGroupOptions {
  /** Group name; resources are `<name>-ip` and `<name>-nginx`. Default 'web'. */
  readonly name?: string;
  /** Nodes that may run it, most preferred first. */
  readonly nodes: readonly string[];
  readonly nginx: NginxConfig;
  /** Default DEFAULT_VIP. */
  readonly vip?: string;
  readonly prefix?: number;
  readonly failback?: 'auto' | 'manual';
  readonly migrationThreshold?: number;
  readonly failureTimeout?: string;
  /** Monitor interval of the VIP and nginx; default '1s'. */
  readonly monitorInterval?: string;
  readonly startTimeout?: string;
  readonly stopTimeout?: string;
  /** Resources started before the VIP and nginx (a filesystem nginx serves from), in order. */
  readonly before?: readonly ResourceYaml[];
  /**
   * Whether the VIP starts before nginx. Default: only when nginx listens on the VIP itself (it must exist to bind).
   * Otherwise nginx starts first and the VIP last, so clients never reach a node that does not serve yet, and on
   * stop the VIP goes first.
   */
  readonly vipFirst?: boolean;
  /** nginx's stop signal; default SIGTERM (fast shutdown). */
  readonly stopSignal?: string;
}

/** The resource ids of a web group, by role. */
export function webResourceIds(name = 'web'): { vip: string; nginx: string } {
  return { vip: `${name}-ip`, nginx: `${name}-nginx` };
}

/** A web group: [before…], then the VIP on the lab's link 0 interface and nginx (order: see `vipFirst`). */
export function webGroup(lab: Lab, options: WebGroupOptions): GroupYaml {
  const name = options.name ?? 'web';
  const vip = options.vip ?? DEFAULT_VIP;
  assertLabAddress(vip);
  const interfaces = new Set(options.nodes.map((node) => lab.ifname(node, 0)));
  const [iface] = interfaces;
  if (interfaces.size !== 1 || iface === undefined) throw new Error(`web harness: link 0 has different interface names on ${options.nodes.join(', ')}`);
  const monitor = { interval: options.monitorInterval ?? '1s', timeout: '5s' };
  const timeouts = { ...(options.startTimeout ? { start: { timeout: options.startTimeout } } : {}), ...(options.stopTimeout ? { stop: { timeout: options.stopTimeout } } : {}) };
  const ids = webResourceIds(name);
  const vipResource: ResourceYaml = {
    id: ids.vip,
    agent: 'ipaddr',
    params: { address: vip, prefix: options.prefix ?? (vip.includes(':') ? 64 : 24), interface: iface },
    monitor,
    ...timeouts,
  };
  const nginxResource: ResourceYaml = {
    id: ids.nginx,
    agent: 'exec',
    command: options.nginx.command,
    stop_signal: options.stopSignal ?? 'SIGTERM',
    monitor,
    ...timeouts,
  };
  const vipFirst = options.vipFirst ?? options.nginx.listen !== undefined;
  return {
    name,
    nodes: options.nodes,
    ...(options.failback !== undefined ? { failback: options.failback } : {}),
    ...(options.migrationThreshold !== undefined ? { migrationThreshold: options.migrationThreshold } : {}),
    ...(options.failureTimeout !== undefined ? { failureTimeout: options.failureTimeout } : {}),
    resources: [...(options.before ?? []), ...(vipFirst ? [vipResource, nginxResource] : [nginxResource, vipResource])],
  };
}

/** `webGroup` as a `groups:` item. */
export function webGroupYaml(lab: Lab, options: WebGroupOptions): string {
  return groupYaml(webGroup(lab, options));
}

export interface VipGroupOptions {
  /** Group name; the resource is `<name>-ip`. Default 'web'. */
  readonly name?: string;
  /** Nodes that may run it, most preferred first. */
  readonly nodes: readonly string[];
  /** Default DEFAULT_VIP. */
  readonly vip?: string;
  readonly prefix?: number;
  readonly failback?: 'auto' | 'manual';
  /** Monitor interval of the VIP; default '1s'. */
  readonly monitorInterval?: string;
}

/**
 * A group that is the VIP alone, on the lab's link 0 interface: the service (nginx) runs on every node outside
 * the cluster manager (`startNodeNginx`), as keepalived and heartbeat anchors are usually set up. This is how
 * DESIGN §9 measures failover, the same way for tandem and the tools it replaces.
 */
export function vipGroup(lab: Lab, options: VipGroupOptions): GroupYaml {
  const name = options.name ?? 'web';
  const vip = options.vip ?? DEFAULT_VIP;
  assertLabAddress(vip);
  const interfaces = new Set(options.nodes.map((node) => lab.ifname(node, 0)));
  const [iface] = interfaces;
  if (interfaces.size !== 1 || iface === undefined) throw new Error(`web harness: link 0 has different interface names on ${options.nodes.join(', ')}`);
  return {
    name,
    nodes: options.nodes,
    ...(options.failback !== undefined ? { failback: options.failback } : {}),
    resources: [
      {
        id: webResourceIds(name).vip,
        agent: 'ipaddr',
        params: { address: vip, prefix: options.prefix ?? (vip.includes(':') ? 64 : 24), interface: iface },
        monitor: { interval: options.monitorInterval ?? '1s', timeout: '5s' },
      },
    ],
  };
}

/**
 * Starts nginx on the node outside tandem (as the node's service manager would at boot), in its own PID namespace:
 * `kill('SIGKILL')` on the returned process ends it, `SIGSTOP`/`SIGCONT` freeze and resume it. Use a config that
 * listens on every address (the default of `writeNginxConfig`), so it answers on the VIP whenever the node holds it.
 */
export function startNodeNginx(lab: Lab, node: string, nginx: NginxConfig): LabProcess {
  return lab.spawn(node, [...nginx.command], { name: `nginx-${nginx.name}` });
}

/** Waits until the node's nginx (started by `startNodeNginx`) accepts connections on its own link 0 address. */
export async function waitForNodeNginx(lab: Lab, node: string, nginx: NginxConfig, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const address = lab.address(node, 0);
  // A TCP connect from inside the node's namespace to its own address (bash's /dev/tcp): nothing leaves the node.
  for (;;) {
    const tried = await lab.exec(node, ['bash', '-c', `exec 3<>/dev/tcp/${address}/${nginx.port}`], { timeoutMs: 2000 });
    if (tried.code === 0) return;
    if (Date.now() > deadline) throw new Error(`web harness: nginx on ${node} does not accept connections on ${address}:${nginx.port} after ${timeoutMs} ms: ${tried.stderr.trim()}`);
    await sleep(50);
  }
}

// ---- cluster helpers ---------------------------------------------------------------------------------------

export type GroupStatus = StatusReport['groups'][number];

/** The group as `node` reports it, or undefined when that daemon does not answer. */
export async function groupStatus(cluster: LabCluster, node: string, group = 'web'): Promise<GroupStatus | undefined> {
  try {
    return (await cluster.status(node)).groups.find((entry) => entry.name === group);
  } catch {
    return undefined;
  }
}

/** Whether `holder` runs the group and every other listed (live) node agrees it is the only holder. */
export async function runsOn(cluster: LabCluster, holder: string, observers: readonly string[], group = 'web'): Promise<boolean> {
  const own = await groupStatus(cluster, holder, group);
  if (own?.phase !== 'running') return false;
  for (const observer of observers) {
    const seen = await groupStatus(cluster, observer, group);
    if (seen === undefined || seen.holders.length !== 1 || seen.holders[0] !== holder) return false;
  }
  return true;
}

/** `tandem why GROUP` as JSON, from the node's daemon. */
export async function why(cluster: LabCluster, node: string, group = 'web'): Promise<WhyReport> {
  const response = await callApi<WhyReport | CommandResult>(cluster.socket(node), 'GET', `/v1/why?group=${encodeURIComponent(group)}`, 5000);
  if ('ok' in response.body) throw new Error(`why ${group} on ${node}: ${response.body.message}`);
  return response.body;
}

/** The agent operations (start/stop) of a `why` story, in order: e.g. ['start web-fs', 'start web-nginx', …]. */
export function operations(report: WhyReport): string[] {
  return report.story.map((entry) => entry.what).filter((what) => /^(start|stop) \S+$/.test(what));
}

/** Runs the `tandem` CLI inside the node's namespace against its daemon's socket. */
export function tandemCli(cluster: LabCluster, node: string, args: readonly string[]): Promise<ExecResult> {
  return cluster.lab.exec(node, [process.execPath, TANDEM_CLI, '--socket', cluster.socket(node), ...args], { timeoutMs: 15_000 });
}

/** Host pids of the processes named `comm` (as in /proc/PID/comm) inside the PID namespace of a lab process. */
export function processesIn(proc: LabProcess, comm: string): number[] {
  const init = proc.initPid();
  if (init === undefined) return [];
  let ns: string;
  try {
    ns = readlinkSync(`/proc/${init}/ns/pid`);
  } catch {
    return [];
  }
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readlinkSync(`/proc/${entry}/ns/pid`) !== ns) continue;
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() !== comm) continue;
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'Z') continue;
      found.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

/** Whether a process is an nginx master (its title says so), as opposed to a worker. */
function isNginxMaster(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').startsWith('nginx: master process');
  } catch {
    return false;
  }
}

/**
 * SIGKILLs the node's nginx processes, found by PID in the PID namespace of its tandemd (tandemd started them
 * through the exec agent): every one (master and workers), or with `masterOnly` the master alone, as when the
 * master crashes and leaves its workers serving. Returns the pids killed.
 */
export function killNginx(cluster: LabCluster, node: string, options: { masterOnly?: boolean } = {}): number[] {
  const pids = processesIn(cluster.process(node), 'nginx').filter((pid) => !options.masterOnly || isNginxMaster(pid));
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  return pids;
}

// ---- the client prober -------------------------------------------------------------------------------------

export interface ProberOptions {
  /** Default DEFAULT_VIP. */
  readonly target?: string;
  readonly port?: number;
  readonly path?: string;
  /** Default 20 ms. */
  readonly intervalMs?: number;
  /** Per-probe budget; default 200 ms. */
  readonly timeoutMs?: number;
  /** Default 5 minutes. */
  readonly maxMs?: number;
  readonly maxCount?: number;
}

export class Prober {
  private constructor(
    readonly process: LabProcess,
    readonly target: string,
  ) {}

  /** Starts probing from the client namespace. */
  static start(lab: Lab, client: string, options: ProberOptions = {}): Prober {
    if (!lab.clients.includes(client)) throw new Error(`web harness: ${client} is not a client of the lab (probes run from a client namespace)`);
    const target = options.target ?? DEFAULT_VIP;
    assertLabAddress(target);
    const argv = [process.execPath, PROBER_JS, '--target', target];
    if (options.port !== undefined) argv.push('--port', String(options.port));
    if (options.path !== undefined) argv.push('--path', options.path);
    argv.push('--interval', String(options.intervalMs ?? 20), '--timeout', String(options.timeoutMs ?? 200), '--max-ms', String(options.maxMs ?? 300_000));
    if (options.maxCount !== undefined) argv.push('--max-count', String(options.maxCount));
    return new Prober(lab.spawn(client, argv, { name: `prober-${target.replace(/[^0-9a-f]/gi, '_')}` }), target);
  }

  /** Every probe finished so far, in the order they finished. */
  results(): ProbeRecord[] {
    const out: ProbeRecord[] = [];
    for (const line of this.process.output().split('\n')) {
      if (!line.startsWith('{')) continue;
      try {
        out.push(JSON.parse(line) as ProbeRecord);
      } catch {
        // a line being written
      }
    }
    return out;
  }

  /** Waits until a probe sent at or after `sinceWallMs` matches; a generous bound, not a timing assertion. */
  async waitFor(what: string, match: (record: ProbeRecord) => boolean, options: { sinceWallMs?: number; timeoutMs?: number } = {}): Promise<ProbeRecord> {
    const deadline = Date.now() + (options.timeoutMs ?? 15_000);
    const since = options.sinceWallMs ?? 0;
    for (;;) {
      const found = this.results().find((record) => record.sentAtWallMs >= since && match(record));
      if (found !== undefined) return found;
      if (Date.now() > deadline) {
        const tail = this.results().slice(-5).map((record) => JSON.stringify(record)).join('\n');
        throw new Error(`prober: timed out waiting for ${what}; last probes:\n${tail || '(none)'}\n${this.process.output().split('\n').filter((line) => !line.startsWith('{')).join('\n')}`);
      }
      await sleep(50);
    }
  }

  /** Waits for an OK answer from `node` sent at or after `sinceWallMs`. */
  waitForAnswerFrom(node: string, sinceWallMs = Date.now(), timeoutMs = 15_000): Promise<ProbeRecord> {
    return this.waitFor(`an answer from ${node}`, (record) => record.ok && record.node === node, { sinceWallMs, timeoutMs });
  }

  /** Stops probing (SIGTERM; probes in flight finish) and returns every result, sorted by send time. */
  async stop(): Promise<ProbeRecord[]> {
    this.process.kill('SIGTERM');
    await Promise.race([this.process.exited, sleep(2000)]);
    return this.results().sort((a, b) => a.sentAtWallMs - b.sentAtWallMs);
  }
}

export interface ProbeSegment {
  /** The answering node, or 'error' for a run of failed probes. */
  readonly node: string;
  readonly fromMs: number;
  readonly toMs: number;
  readonly count: number;
}

export interface ProbeAnalysis {
  readonly total: number;
  readonly ok: number;
  readonly failed: number;
  /** OK answers per node. */
  readonly byNode: Readonly<Record<string, number>>;
  /** Failures per error (`timeout`, `ECONNREFUSED`, `http 502`…). */
  readonly errors: Readonly<Record<string, number>>;
  /** Who answered over time: runs of consecutive probes (by send time) answered by one node, or failing. */
  readonly segments: readonly ProbeSegment[];
  /** Longest time between the send times of two consecutive OK probes, and where it was. */
  readonly longestGapMs: number;
  readonly longestGap: { readonly fromMs: number; readonly toMs: number } | undefined;
  /** With a fault: from the fault to the first OK answer (received) from another node than the faulted one. */
  readonly outageMs: number | undefined;
  readonly firstAnswerAfterFault: ProbeRecord | undefined;
}

/**
 * Analyzes probes (optionally only those sent within [fromMs, toMs]). With `faultWallMs` and `faultedNode`, the
 * outage is the time from the fault to the end of the first OK probe answered by any other node.
 */
export function analyzeProbes(
  records: readonly ProbeRecord[],
  options: { fromMs?: number; toMs?: number; faultWallMs?: number; faultedNode?: string } = {},
): ProbeAnalysis {
  const from = options.fromMs ?? -Infinity;
  const to = options.toMs ?? Infinity;
  const probes = records.filter((record) => record.sentAtWallMs >= from && record.sentAtWallMs <= to).sort((a, b) => a.sentAtWallMs - b.sentAtWallMs || a.seq - b.seq);
  const byNode: Record<string, number> = {};
  const errors: Record<string, number> = {};
  const segments: ProbeSegment[] = [];
  let longestGapMs = 0;
  let longestGap: ProbeAnalysis['longestGap'];
  let lastOk: ProbeRecord | undefined;
  for (const probe of probes) {
    const who = probe.ok ? probe.node ?? '?' : 'error';
    if (probe.ok) byNode[who] = (byNode[who] ?? 0) + 1;
    else errors[probe.error ?? '?'] = (errors[probe.error ?? '?'] ?? 0) + 1;
    const last = segments[segments.length - 1];
    if (last !== undefined && last.node === who) segments[segments.length - 1] = { ...last, toMs: probe.sentAtWallMs, count: last.count + 1 };
    else segments.push({ node: who, fromMs: probe.sentAtWallMs, toMs: probe.sentAtWallMs, count: 1 });
    if (probe.ok) {
      if (lastOk !== undefined && probe.sentAtWallMs - lastOk.sentAtWallMs > longestGapMs) {
        longestGapMs = probe.sentAtWallMs - lastOk.sentAtWallMs;
        longestGap = { fromMs: lastOk.sentAtWallMs, toMs: probe.sentAtWallMs };
      }
      lastOk = probe;
    }
  }
  let outageMs: number | undefined;
  let firstAnswerAfterFault: ProbeRecord | undefined;
  if (options.faultWallMs !== undefined) {
    const fault = options.faultWallMs;
    firstAnswerAfterFault = probes.find((probe) => probe.ok && probe.sentAtWallMs >= fault && probe.node !== options.faultedNode);
    if (firstAnswerAfterFault !== undefined) outageMs = Math.round(firstAnswerAfterFault.sentAtWallMs + firstAnswerAfterFault.latencyMs - fault);
  }
  const ok = Object.values(byNode).reduce((a, b) => a + b, 0);
  return { total: probes.length, ok, failed: probes.length - ok, byNode, errors, segments, longestGapMs, longestGap, outageMs, firstAnswerAfterFault };
}

/** One line per segment, times relative to `originMs`: "+1234..+1500 ms n1 ×14". */
export function describeSegments(analysis: ProbeAnalysis, originMs: number): string {
  return analysis.segments.map((segment) => `+${segment.fromMs - originMs}..+${segment.toMs - originMs} ms ${segment.node} ×${segment.count}`).join('\n');
}

// ---- the VIP watcher ---------------------------------------------------------------------------------------

export interface AddressEvent {
  readonly node: string;
  readonly wallMs: number;
  readonly kind: 'add' | 'delete';
  readonly address: string;
}

export interface LinkEvent {
  readonly node: string;
  readonly wallMs: number;
  readonly up: boolean;
}

export interface Overlap {
  readonly address: string;
  readonly fromMs: number;
  readonly toMs: number;
  readonly nodes: readonly string[];
}

/** `[2026-11-23T21:30:01.654782]` as printed by `ip -ts` (local time, microseconds) → epoch ms. */
export function parseIpTimestamp(text: string): number | undefined {
  const match = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\.(\d{1,6})$/.exec(text);
  if (!match) return undefined;
  const [, y, mo, d, h, mi, s, frac = '0'] = match;
  const ms = Number(frac.padEnd(6, '0')) / 1000;
  return new Date(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s)).getTime() + ms;
}

/** Address add/delete events for `addresses` in `ip -ts monitor address` output. */
export function parseAddressMonitor(node: string, output: string, addresses: readonly string[]): AddressEvent[] {
  const events: AddressEvent[] = [];
  for (const line of output.split('\n')) {
    const match = /^\[([^\]]+)\]\s*(Deleted\s+)?\d+:\s+\S+\s+inet6?\s+([0-9a-fA-F.:]+)\//.exec(line);
    if (!match) continue;
    const wallMs = parseIpTimestamp(match[1] ?? '');
    const address = match[3] ?? '';
    if (wallMs === undefined || !addresses.includes(address)) continue;
    events.push({ node, wallMs, kind: match[2] ? 'delete' : 'add', address });
  }
  return events;
}

type Interval = readonly [number, number];

/**
 * How far apart two nodes' address events may be stamped from the order they really happened in: each node's
 * `ip monitor` stamps an event when it reads it (µs resolution, real-time priority). The grant protocol puts a
 * network round trip and two processes between one node's delete and the next node's add, far more than this.
 */
export const MONITOR_TOLERANCE_MS = 2;

function intersect(a: readonly Interval[], b: readonly Interval[]): Interval[] {
  const out: Interval[] = [];
  for (const [a0, a1] of a) for (const [b0, b1] of b) if (Math.max(a0, b0) < Math.min(a1, b1)) out.push([Math.max(a0, b0), Math.min(a1, b1)]);
  return out;
}

export interface OverlapReport {
  readonly intervals: readonly Overlap[];
  readonly totalMs: number;
  /** The intervals longer than MONITOR_TOLERANCE_MS. */
  readonly splitBrain: readonly Overlap[];
}

/**
 * From address and link events: the intervals (up to `endMs`) where two or more nodes held one address while their
 * VIP link was up. A node holds an address from its first `add` to the next `delete`; a node counts as connected
 * except between a link-down event and the next link-up.
 */
export function computeOverlaps(input: {
  readonly nodes: readonly string[];
  readonly addresses: readonly string[];
  readonly events: readonly AddressEvent[];
  readonly links: readonly LinkEvent[];
  readonly endMs: number;
}): OverlapReport {
  const end = input.endMs;
  const events = [...input.events].filter((event) => event.wallMs <= end).sort((a, b) => a.wallMs - b.wallMs);
  const links = [...input.links].sort((a, b) => a.wallMs - b.wallMs);
  const intervals: Overlap[] = [];
  for (const address of input.addresses) {
    const effective = new Map<string, Interval[]>();
    for (const node of input.nodes) {
      const held: Interval[] = [];
      let since: number | undefined;
      for (const event of events) {
        if (event.node !== node || event.address !== address) continue;
        if (event.kind === 'add') since ??= event.wallMs;
        else if (since !== undefined) {
          held.push([since, event.wallMs]);
          since = undefined;
        }
      }
      if (since !== undefined) held.push([since, end]);
      const connected: Interval[] = [];
      let upSince: number | undefined = -Infinity;
      for (const link of links) {
        if (link.node !== node) continue;
        if (!link.up && upSince !== undefined) {
          connected.push([upSince, link.wallMs]);
          upSince = undefined;
        } else if (link.up && upSince === undefined) upSince = link.wallMs;
      }
      if (upSince !== undefined) connected.push([upSince, Infinity]);
      effective.set(node, intersect(held, connected));
    }
    const points = [...new Set([...effective.values()].flat().flat())].filter(Number.isFinite).sort((a, b) => a - b);
    for (let i = 0; i + 1 < points.length; i++) {
      const a = points[i] as number;
      const b = points[i + 1] as number;
      const mid = (a + b) / 2;
      const nodes = [...effective].filter(([, list]) => list.some(([s, e]) => s <= mid && mid < e)).map(([node]) => node);
      if (nodes.length < 2) continue;
      const last = intervals[intervals.length - 1];
      if (last !== undefined && last.address === address && last.toMs === a && last.nodes.join() === nodes.join()) intervals[intervals.length - 1] = { ...last, toMs: b };
      else intervals.push({ address, fromMs: a, toMs: b, nodes });
    }
  }
  const totalMs = Math.round(intervals.reduce((sum, interval) => sum + interval.toMs - interval.fromMs, 0) * 1000) / 1000;
  return { intervals, totalMs, splitBrain: intervals.filter((interval) => interval.toMs - interval.fromMs > MONITOR_TOLERANCE_MS) };
}

function spawnMonitor(lab: Lab, node: string): LabProcess {
  const realtime = spawnSync('chrt', ['-f', '10', 'true']).status === 0 ? ['chrt', '-f', '10'] : [];
  return lab.spawn(node, [...realtime, 'ip', '-ts', 'monitor', 'address'], { name: 'ipmon' });
}

/** Until `ip monitor` has subscribed, an event would be missed: wait for its process, then a little. */
async function monitorsReady(lists: Iterable<readonly LabProcess[]>): Promise<void> {
  const all = [...lists].flat();
  const deadline = Date.now() + 5000;
  while (all.some((monitor) => monitor.programPid() === undefined) && Date.now() < deadline) await sleep(20);
  await sleep(100);
}

/**
 * Watches the VIP(s) on every node for the whole test. Link faults go through `isolate`/`reconnect`, which record
 * them: a node whose VIP link (link 0) is down cannot be reached by clients, so its holding does not count as a
 * split brain.
 */
export class VipWatcher {
  private readonly linkEvents: LinkEvent[] = [];
  private readonly initial: AddressEvent[] = [];
  private stoppedAtMs: number | undefined;

  private constructor(
    readonly lab: Lab,
    readonly nodes: readonly string[],
    readonly addresses: readonly string[],
    /** Per node, every monitor started (a powered-off node loses its monitor; `rewatch` starts another). */
    private readonly monitors: Map<string, LabProcess[]>,
  ) {}

  /**
   * Starts `ip -ts monitor address` on every node, then takes a snapshot of the addresses already present.
   * `ip` stamps an event when it reads it, so a reader that waits for the CPU would stamp a delete late and show
   * an overlap that never was: the readers run at real-time priority (SCHED_FIFO; they sleep in recv, so they
   * cost nothing), when `chrt` allows it. What is left is within MONITOR_TOLERANCE_MS.
   */
  static async start(lab: Lab, nodes: readonly string[], addresses: readonly string[] = [DEFAULT_VIP]): Promise<VipWatcher> {
    for (const address of addresses) assertLabAddress(address);
    const monitors = new Map<string, LabProcess[]>(nodes.map((node) => [node, [spawnMonitor(lab, node)]]));
    await monitorsReady(monitors.values());
    const watcher = new VipWatcher(lab, nodes, addresses, monitors);
    for (const node of nodes) {
      const shown = await lab.exec(node, ['ip', '-o', 'addr', 'show']);
      const now = Date.now();
      for (const address of addresses) {
        if (shown.stdout.split('\n').some((line) => line.includes(` ${address}/`))) watcher.initial.push({ node, wallMs: now, kind: 'add', address });
      }
    }
    return watcher;
  }

  /** Every address event seen so far, by time. */
  events(): AddressEvent[] {
    const all = [...this.initial];
    for (const [node, list] of this.monitors) for (const monitor of list) all.push(...parseAddressMonitor(node, monitor.output(), this.addresses));
    return all.sort((a, b) => a.wallMs - b.wallMs);
  }

  links(): readonly LinkEvent[] {
    return this.linkEvents;
  }

  /** Nodes holding `address` now, as far as the events say. */
  holders(address = this.addresses[0] ?? DEFAULT_VIP): string[] {
    const state = new Map<string, boolean>();
    for (const event of this.events()) if (event.address === address) state.set(event.node, event.kind === 'add');
    return [...state].filter(([, held]) => held).map(([node]) => node).sort();
  }

  /** Waits until exactly these nodes hold the address (per the monitor). */
  async waitForHolders(nodes: readonly string[], address = this.addresses[0] ?? DEFAULT_VIP, timeoutMs = 15_000): Promise<void> {
    const want = [...nodes].sort().join(',');
    const deadline = Date.now() + timeoutMs;
    while (this.holders(address).join(',') !== want) {
      if (Date.now() > deadline) throw new Error(`VIP watcher: ${address} held by [${this.holders(address).join(', ')}], not [${want}], after ${timeoutMs} ms`);
      await sleep(25);
    }
  }

  /** Takes every link of the node down (cable pulled), recording when. */
  async isolate(node: string): Promise<void> {
    await Promise.all(Array.from({ length: this.lab.links }, (_, link) => this.lab.linkDown(node, link)));
    // Recorded once the links are down: until then the node still counts as reachable (the conservative side).
    this.linkEvents.push({ node, wallMs: Date.now(), up: false });
  }

  /** Brings every link of the node back, recording when. */
  async reconnect(node: string): Promise<void> {
    // Recorded before the links come up: from now on the node counts as reachable.
    this.linkEvents.push({ node, wallMs: Date.now(), up: true });
    await Promise.all(Array.from({ length: this.lab.links }, (_, link) => this.lab.linkUp(node, link)));
  }

  /** Starts a new monitor on a node whose processes were killed (powered off), before it is booted again. */
  async rewatch(node: string): Promise<void> {
    const monitor = spawnMonitor(this.lab, node);
    this.monitors.get(node)?.push(monitor);
    await monitorsReady([[monitor]]);
  }

  /**
   * Records a link change made outside `isolate`/`reconnect` (a fence device or a watchdog powering the node off):
   * pass the time the links were certainly down (the conservative side).
   */
  recordLinks(node: string, up: boolean, wallMs: number): void {
    this.linkEvents.push({ node, wallMs, up });
  }

  /** Stops counting: later events are ignored by `overlaps` (the monitors keep running until teardown). */
  stop(): void {
    this.stoppedAtMs ??= Date.now();
  }

  /**
   * Intervals where two or more connected nodes held one address, and their total in ms. `splitBrain` are those
   * longer than MONITOR_TOLERANCE_MS, the precision of the timestamps (each node's reader stamps its own events).
   */
  overlaps(): OverlapReport {
    const end = this.stoppedAtMs ?? Date.now();
    return computeOverlaps({ nodes: this.nodes, addresses: this.addresses, events: this.events(), links: this.linkEvents, endMs: end });
  }

  /** A readable list of the events, relative to `originMs`. */
  describe(originMs: number): string {
    const lines = [
      ...this.events().map((event) => ({ at: event.wallMs, text: `${event.node} ${event.kind} ${event.address}` })),
      ...this.linkEvents.map((event) => ({ at: event.wallMs, text: `${event.node} links ${event.up ? 'up' : 'down'}` })),
    ].sort((a, b) => a.at - b.at);
    return lines.map((line) => `+${Math.round(line.at - originMs)} ms ${line.text}`).join('\n');
  }
}

// ---- node faults -------------------------------------------------------------------------------------------

/**
 * A node crash: every link down and its tandemd's whole PID namespace (tandemd, nginx, agents) SIGKILLed, at once.
 * The node's addresses stay in its network namespace (the lab keeps it) but nobody can reach them.
 */
export async function crashNode(cluster: LabCluster, watcher: VipWatcher, node: string): Promise<number> {
  const at = Date.now();
  const proc = cluster.process(node);
  await Promise.all([watcher.isolate(node), Promise.resolve().then(() => proc.kill('SIGKILL'))]);
  await proc.exited;
  return at;
}

/**
 * The crashed node boots again: its kernel forgot what the crash left (the VIPs, and the neighbour entries it was
 * still resolving while its cables were out: an INCOMPLETE entry would hold its first replies to a client for up
 * to a second), as a reboot would; then its links come back and tandemd starts.
 */
export async function rebootNode(cluster: LabCluster, watcher: VipWatcher, node: string): Promise<LabProcess> {
  const lab = cluster.lab;
  const lines = watcher.addresses.map((address) => `address del ${address}/${address.includes(':') ? 64 : 24} dev ${lab.ifname(node, 0)}`);
  // -force: an address that is not there is no error.
  await lab.exec(node, ['ip', '-force', '-batch', '-'], { input: [...lines, 'neigh flush all'].join('\n') + '\n' });
  await watcher.reconnect(node);
  return cluster.start(node);
}

// ---- set-up ------------------------------------------------------------------------------------------------

export interface WebCluster {
  readonly cluster: LabCluster;
  readonly watcher: VipWatcher;
}

/**
 * Starts the VIP watcher first (so it sees every change), then tandemd on every node with `groupsText` as the
 * `groups:` section, and waits until every node sees every other up on every link.
 */
export async function startWebCluster(
  lab: Lab,
  options: { nodes: readonly string[]; groups: string; addresses?: readonly string[]; timings?: LabClusterOptions['timings'] },
): Promise<WebCluster> {
  const watcher = await VipWatcher.start(lab, options.nodes, options.addresses ?? [DEFAULT_VIP]);
  const cluster = new LabCluster(lab, { nodes: options.nodes, extraYaml: options.groups, ...(options.timings ? { timings: options.timings } : {}) });
  cluster.startAll();
  await cluster.waitFor('every node sees every other up', () => cluster.allUp(), 20_000);
  return { cluster, watcher };
}

// ---- a shared disk -----------------------------------------------------------------------------------------

export interface SharedDisk {
  /** The loop device, e.g. /dev/loop3: loop devices are global, so every node namespace sees the same disk. */
  readonly device: string;
  readonly image: string;
  /** Detaches the loop device (deferred by the kernel until the last mount of it is gone). Idempotent. */
  detach(): void;
}

/**
 * An ext4 image in the lab dir holding `files` (name → content), attached to a free loop device: a disk that every
 * node can mount, like shared storage. Detach it in a `finally`, after the lab's teardown (which ends the mounts).
 */
export function createSharedDisk(lab: Lab, files: Readonly<Record<string, string>>, sizeMb = 16): SharedDisk {
  const content = join(lab.dir, 'disk-content');
  const image = join(lab.dir, 'disk.img');
  mkdirSync(content, { recursive: true });
  for (const [name, text] of Object.entries(files)) writeFileSync(join(content, name), text, { mode: 0o644 });
  const must = (argv: string[]): string => {
    const out = spawnSync(argv[0] ?? '', argv.slice(1), { encoding: 'utf8' });
    if (out.status !== 0) throw new Error(`shared disk: \`${argv.join(' ')}\` failed: ${out.stderr || out.error?.message || out.status}`);
    return out.stdout.trim();
  };
  must(['truncate', '-s', `${sizeMb}M`, image]);
  // -d fills the new file system from a directory, so nothing is mounted in the root namespace.
  must(['mkfs.ext4', '-q', '-F', '-d', content, image]);
  rmSync(content, { recursive: true, force: true });
  const device = must(['losetup', '--find', '--show', image]);
  let attached = true;
  return {
    device,
    image,
    detach: () => {
      if (!attached) return;
      attached = false;
      // Only if the device still belongs to our image (which may be deleted by now: "… (deleted)").
      const back = spawnSync('losetup', ['-n', '-O', 'BACK-FILE', device], { encoding: 'utf8' }).stdout?.trim() ?? '';
      if (back === image || back.startsWith(`${image} `)) spawnSync('losetup', ['-d', device]);
    },
  };
}

export function sharedDiskAvailable(): boolean {
  return ['mkfs.ext4', 'losetup', 'truncate'].every((tool) => spawnSync('which', [tool]).status === 0) && existsSync('/dev/loop-control');
}
