/**
 * A real Linux-HA heartbeat 3.0.6 (Debian's `heartbeat` package) running in lab node namespaces, and the same
 * node environment for tandemd started from the same /etc/ha.d files: the reference side and the tested side of
 * the heartbeat-compatibility lab test (heartbeat-compat.test.ts) and of the capture script (capture-heartbeat.ts).
 *
 * Each node gets a "host" process, spawned with the lab (its netns, a new mount, UTS and PID namespace, /run = the
 * node's own directory). That host sets up the node's private file system view, in its own mount namespace only:
 *   - /etc/ha.d            ← <lab>/nodes/<node>/hb/ha.d: a copy of the installed /etc/ha.d (harc, rc.d, shellfuncs,
 *                             resource.d) plus this cluster's ha.cf, haresources, authkeys (0600) and a stand-in
 *                             resource script `hbdummy`;
 *   - /var/lib/heartbeat   ← a private, empty-but-shaped copy (heartbeat keeps hb_uuid, hb_generation, the FIFO
 *                             and its cores there: they must be per node);
 *   - /run/heartbeat/{ccm,crm,dopd} (owned by hacluster:haclient) in the node's own /run;
 *   - /usr/share/heartbeat/ResourceManager ← a copy whose RecoverFromFailedStop only logs (the original runs
 *                             `pkill -9 heartbeat` and `reboot -nf`);
 *   - systemctl and init (what reboot/halt/shutdown/init lead to) ← /bin/true, so nothing heartbeat or a script
 *                             runs can reach the host's init.
 * then sleeps. Everything else (heartbeat itself, cl_status, hb_standby, tandemd, its commands) is started in the
 * host's namespaces with `nsenter -t <host pid> -m -u -n -p`, so it shares the node's mounts, host name, network
 * and PID namespace. (Lab.exec is not used for these: it gives every command a fresh mount and PID namespace, and
 * `heartbeat -k` finds the daemon through the pid number in /run/heartbeat.pid and signals it, which only works from
 * the daemon's own PID namespace.) The ResourceManager copy is made at run time in the lab's temp dir.
 * The lab's teardown (SIGKILL of each host's PID namespace, then the namespaces) ends everything, also on failure.
 *
 * Needs root, iproute2, util-linux (nsenter), coreutils (timeout) and, for the heartbeat side, the heartbeat package.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { chmodSync, closeSync, cpSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BUILD_ROOT, REPO_ROOT, TANDEMD } from './cluster.js';
import type { ExecResult, Lab, LabProcess } from './lab.js';

/** Where Debian's heartbeat 3.0.6 keeps its pieces. */
export const HEARTBEAT_DAEMON_CANDIDATES = ['/usr/libexec/heartbeat/heartbeat', '/usr/lib/heartbeat/heartbeat'];
export const CL_STATUS = '/usr/bin/cl_status';
export const HB_STANDBY = '/usr/share/heartbeat/hb_standby';
export const HB_TAKEOVER = '/usr/share/heartbeat/hb_takeover';

/** A clean environment for every command run on a node: what an administrator's root shell would have, no TTY. */
export const NODE_ENV: Readonly<Record<string, string>> = {
  PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
  HOME: '/root',
  LANG: 'C',
  LC_ALL: 'C',
  TERM: 'dumb',
};

export function heartbeatDaemon(): string | undefined {
  return HEARTBEAT_DAEMON_CANDIDATES.find((path) => existsSync(path));
}

/** Why the real heartbeat cannot run here, or undefined when it can. */
export function heartbeatMissing(): string | undefined {
  if (!heartbeatDaemon()) return `no heartbeat daemon at ${HEARTBEAT_DAEMON_CANDIDATES.join(' or ')} (apt-get install heartbeat)`;
  for (const path of [CL_STATUS, HB_STANDBY, HB_TAKEOVER, '/etc/ha.d/harc', '/etc/ha.d/shellfuncs', '/usr/share/heartbeat/ResourceManager']) {
    if (!existsSync(path)) return `${path} is missing (apt-get install heartbeat)`;
  }
  if (spawnSync('id', ['hacluster'], { stdio: 'ignore' }).status !== 0) return 'user hacluster does not exist (the heartbeat package creates it)';
  for (const tool of ['nsenter', 'timeout']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' }).status !== 0) return `${tool} is missing`;
  }
  return undefined;
}

export interface HaClusterOptions {
  /** Exactly two nodes: heartbeat's v1 resource protocol is two-node only. The first is the home of the VIP group. */
  readonly nodes: readonly [string, string];
  /** heartbeat time syntax (bare number = seconds). Defaults: keepalive 1, warntime 2, deadtime 5, initdead 10. */
  readonly keepalive?: string;
  readonly warntime?: string;
  readonly deadtime?: string;
  readonly initdead?: string;
  /** A lab client whose link-0 address becomes a `ping` node (answered by its kernel). */
  readonly pingClient?: string;
  /**
   * A VIP (from 192.0.2.0/24) for the first node's group, as `IPaddr2::ADDR/24/eth0`; false for none. Not the bare
   * `ADDR/24/eth0` shorthand: that runs the legacy IPaddr, whose ifconfig alias search fails in a lab namespace
   * ("Generic error", so heartbeat gives the group up).
   */
  readonly vip?: string | false;
  readonly autoFailback?: 'on' | 'off' | 'legacy';
  readonly udpport?: number;
}

export const DEFAULT_VIP = '192.0.2.100';

/** The stand-in resource: `hbdummy NAME start|stop|status`, its state a file in the node's own /run. */
const HBDUMMY_SCRIPT = `#!/bin/sh
# Lab stand-in resource (heartbeat resource.d calling convention): hbdummy NAME start|stop|status
name=$1
state=/run/hbdummy.$name
case $2 in
  start) : > "$state" ;;
  stop) rm -f "$state" ;;
  status) if [ -e "$state" ]; then echo running; else echo stopped; fi ;;
  *) echo "usage: $0 NAME start|stop|status" >&2; exit 1 ;;
esac
exit 0
`;

/** The node host: private mounts (see the header), then it sleeps. `$1` is the node's hb directory. */
const NODE_HOST_SCRIPT = `set -e
base=$1
mount --bind "$base/ha.d" /etc/ha.d
mount --bind "$base/varlib" /var/lib/heartbeat
mount --bind "$base/ResourceManager" /usr/share/heartbeat/ResourceManager
mount --bind /bin/true "$(readlink -f /bin/systemctl)"
init=$(readlink -f /sbin/init)
if [ -e "$init" ]; then mount --bind /bin/true "$init"; fi
for d in /run/heartbeat /run/heartbeat/ccm /run/heartbeat/crm /run/heartbeat/dopd; do
  mkdir -p "$d"
  chown hacluster:haclient "$d"
  chmod 0750 "$d"
done
chmod 0755 /run/heartbeat
: > "$base/host.ready"
exec sleep 2147483647
`;

export interface NodeExecOptions {
  /** Default 20 000 ms. The command is ended (TERM, then KILL 2 s later) and the result has code 124. */
  timeoutMs?: number;
  env?: Record<string, string>;
  input?: string;
}

/** One lab node's private file-system view and the ways to run things in it. */
export class HaNode {
  readonly base: string;
  private host: LabProcess | undefined;
  private readonly started: ChildProcess[] = [];

  constructor(
    readonly lab: Lab,
    readonly name: string,
  ) {
    this.base = join(lab.nodeDir(name), 'hb');
  }

  /** The node's ha.d directory on the host side (bind-mounted over /etc/ha.d inside the node). */
  get haDir(): string {
    return join(this.base, 'ha.d');
  }

  get logFile(): string {
    return join(this.base, 'log', 'ha-log');
  }

  get debugFile(): string {
    return join(this.base, 'log', 'ha-debug');
  }

  /** Host pid of the node host (its PID namespace's pid 2), once running. */
  get hostPid(): number | undefined {
    return this.host?.programPid();
  }

  /** Writes the node's files (ha.d, the private /var/lib/heartbeat, ResourceManager copy). */
  prepare(options: HaClusterOptions): void {
    mkdirSync(this.base, { recursive: true });
    cpSync('/etc/ha.d', this.haDir, { recursive: true, verbatimSymlinks: true });
    writeFileSync(join(this.haDir, 'ha.cf'), haCfText(this.lab, options, this));
    writeFileSync(join(this.haDir, 'haresources'), haresourcesText(options));
    writeFileSync(join(this.haDir, 'authkeys'), AUTHKEYS_TEXT);
    chmodSync(join(this.haDir, 'authkeys'), 0o600);
    const dummy = join(this.haDir, 'resource.d', 'hbdummy');
    writeFileSync(dummy, HBDUMMY_SCRIPT);
    chmodSync(dummy, 0o755);
    mkdirSync(join(this.base, 'log'), { recursive: true });
    // The private /var/lib/heartbeat: the installed tree's directories with their owners and modes, no files.
    const varlib = join(this.base, 'varlib');
    mkdirSync(varlib, { recursive: true });
    for (const entry of readdirSync('/var/lib/heartbeat', { withFileTypes: true })) {
      if (!entry.isDirectory()) continue;
      spawnSync('sh', ['-c', 'mkdir -p "$2/$1" && chown --reference="/var/lib/heartbeat/$1" "$2/$1" && chmod --reference="/var/lib/heartbeat/$1" "$2/$1"', 'sh', entry.name, varlib]);
    }
    for (const user of ['hacluster', 'root', 'nobody']) mkdirSync(join(varlib, 'cores', user), { recursive: true });
    spawnSync('chown', ['hacluster', join(varlib, 'cores', 'hacluster')]);
    // ResourceManager with a RecoverFromFailedStop that only logs: never pkill or reboot from a lab node.
    const rm = readFileSync('/usr/share/heartbeat/ResourceManager', 'utf8')
      .replace(/pkill -9 \$name/g, ': lab: not killing $name')
      .replace(/\/sbin\/reboot -nf/g, 'false')
      .replace(/\/sbin\/init 6/g, 'false');
    writeFileSync(join(this.base, 'ResourceManager'), rm);
    chmodSync(join(this.base, 'ResourceManager'), 0o755);
    writeFileSync(join(this.base, 'host.sh'), NODE_HOST_SCRIPT);
  }

  /** Starts the node host and waits until its mounts are in place. */
  async startHost(): Promise<void> {
    this.host = this.lab.spawn(this.name, ['sh', join(this.base, 'host.sh'), this.base], { name: 'hbhost' });
    const deadline = Date.now() + 10_000;
    while (!existsSync(join(this.base, 'host.ready')) || this.host.programPid() === undefined) {
      if (Date.now() > deadline) throw new Error(`${this.name}: the node host did not come up: ${this.host.output()}`);
      const ended = await Promise.race([this.host.exited.then((e) => e), sleep(20).then(() => undefined)]);
      if (ended) throw new Error(`${this.name}: the node host exited (${JSON.stringify(ended)}): ${this.host.output()}`);
    }
  }

  /** SIGKILL of everything on the node (its whole PID namespace): the host, heartbeat or tandemd, their children. */
  killAll(): void {
    this.host?.kill('SIGKILL');
  }

  private nsenterArgs(argv: readonly string[], env: Record<string, string>): string[] {
    const pid = this.hostPid;
    if (pid === undefined) throw new Error(`${this.name}: the node host is not running`);
    return ['-t', String(pid), '-m', '-u', '-n', '-p', '--wd=/', '--', 'env', '-i', ...Object.entries({ ...NODE_ENV, ...env }).map(([k, v]) => `${k}=${v}`), ...argv];
  }

  /** Runs a command on the node (its mounts, host name, network and PID namespace) and collects its output. */
  exec(argv: readonly string[], options: NodeExecOptions = {}): Promise<ExecResult> {
    const timeoutMs = options.timeoutMs ?? 20_000;
    const seconds = (timeoutMs / 1000).toFixed(3);
    // `timeout` inside the node ends the command's whole process group (hb_standby's `cat >> fifo` included).
    const args = this.nsenterArgs(['timeout', '-k', '2', seconds, ...argv], options.env ?? {});
    return new Promise((resolve) => {
      const child = spawn('nsenter', args, { stdio: ['pipe', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
      child.stdin.on('error', () => undefined);
      child.stdin.end(options.input ?? '');
      // A last resort if `timeout` itself hangs: the node's teardown ends whatever nsenter started.
      const guard = setTimeout(() => child.kill('SIGKILL'), timeoutMs + 5000);
      child.on('error', (error) => {
        clearTimeout(guard);
        resolve({ code: 127, stdout, stderr: stderr + String(error) });
      });
      child.on('close', (code, signal) => {
        clearTimeout(guard);
        const result: ExecResult = { code: code ?? 128 + (signal === 'SIGKILL' ? 9 : 15), stdout, stderr };
        if (result.code === 124) result.timedOut = true;
        resolve(result);
      });
    });
  }

  /**
   * Starts a long-running process on the node, output to a log file in the node's directory. Returns the
   * nsenter child (host side); the program's pid inside the node is written to `pidFile` by a tiny wrapper.
   */
  startDaemon(argv: readonly string[], logName: string, env: Record<string, string> = {}): { child: ChildProcess; logFile: string; pidFile: string } {
    const logFile = join(this.base, 'log', `${logName}.log`);
    const pidFile = join(this.base, `${logName}.pid`);
    const fd = openSync(logFile, 'a');
    try {
      const wrapped = ['sh', '-c', 'echo $$ > "$0"; exec "$@"', pidFile, ...argv];
      const child = spawn('nsenter', this.nsenterArgs(wrapped, env), { stdio: ['ignore', fd, fd] });
      this.started.push(child);
      return { child, logFile, pidFile };
    } finally {
      closeSync(fd);
    }
  }

  readLog(): string {
    try {
      return readFileSync(this.logFile, 'utf8');
    } catch {
      return '';
    }
  }
}

export const LAB_AUTH_SECRET = 'lab-heartbeat-secret-not-for-production';
const AUTHKEYS_TEXT = `# lab keys\nauth 1\n1 sha1 ${LAB_AUTH_SECRET}\n`;

export function haCfText(lab: Lab, options: HaClusterOptions, node: HaNode): string {
  const lines = [
    '# lab cluster (test/lab/heartbeat-real.ts)',
    `logfile ${node.logFile}`,
    `debugfile ${node.debugFile}`,
    'use_logd no',
    'realtime off',
    `keepalive ${options.keepalive ?? '1'}`,
    `warntime ${options.warntime ?? '2'}`,
    `deadtime ${options.deadtime ?? '5'}`,
    `initdead ${options.initdead ?? '10'}`,
    `udpport ${options.udpport ?? 694}`,
    `bcast ${lab.ifname(node.name, 0)}`,
    `auto_failback ${options.autoFailback ?? 'on'}`,
    ...options.nodes.map((name) => `node ${name}`),
  ];
  if (options.pingClient) lines.push(`ping ${lab.address(options.pingClient, 0)}`);
  return lines.join('\n') + '\n';
}

export function haresourcesText(options: HaClusterOptions): string {
  const [first, second] = options.nodes;
  const vip = options.vip === false ? undefined : (options.vip ?? DEFAULT_VIP);
  return [`${first}${vip ? ` IPaddr2::${vip}/24/eth0` : ''} hbdummy::alpha`, `${second} hbdummy::beta`].join('\n') + '\n';
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The two nodes of an ha.d lab cluster, their hosts started. Which daemon runs on them is up to the caller. */
export class HaLabCluster {
  readonly nodes: Map<string, HaNode>;

  private constructor(
    readonly lab: Lab,
    readonly options: HaClusterOptions,
  ) {
    this.nodes = new Map(options.nodes.map((name) => [name, new HaNode(lab, name)]));
  }

  static async create(lab: Lab, options: HaClusterOptions): Promise<HaLabCluster> {
    const cluster = new HaLabCluster(lab, options);
    for (const node of cluster.nodes.values()) node.prepare(options);
    await Promise.all([...cluster.nodes.values()].map((node) => node.startHost()));
    return cluster;
  }

  node(name: string): HaNode {
    const found = this.nodes.get(name);
    if (!found) throw new Error(`no node ${name}`);
    return found;
  }

  exec(name: string, argv: readonly string[], options?: NodeExecOptions): Promise<ExecResult> {
    return this.node(name).exec(argv, options);
  }
}

/** Polls `check` every `intervalMs` until it holds; throws `what` (and `detail()`) after `timeoutMs`. */
export async function waitUntil(what: string, check: () => Promise<boolean>, timeoutMs: number, detail: () => string | Promise<string> = () => '', intervalMs = 250): Promise<number> {
  const start = Date.now();
  for (;;) {
    if (await check()) return Date.now() - start;
    if (Date.now() - start > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for: ${what}\n${await detail()}`);
    await sleep(intervalMs);
  }
}

/** The real heartbeat on the nodes of an HaLabCluster. */
export class RealHeartbeat {
  constructor(readonly cluster: HaLabCluster) {}

  /** Starts heartbeat (it daemonizes inside the node's PID namespace) on each node and returns its output. */
  async start(names: readonly string[] = [...this.cluster.nodes.keys()]): Promise<ExecResult[]> {
    const daemon = heartbeatDaemon();
    if (!daemon) throw new Error('heartbeat is not installed');
    return Promise.all(names.map((name) => this.cluster.exec(name, [daemon], { timeoutMs: 20_000 })));
  }

  /** `heartbeat -k` on the node (a graceful stop: resources released first), then waits until its processes are gone. */
  async stop(name: string, timeoutMs = 30_000): Promise<ExecResult> {
    const daemon = heartbeatDaemon();
    if (!daemon) throw new Error('heartbeat is not installed');
    const result = await this.cluster.exec(name, [daemon, '-k'], { timeoutMs });
    await waitUntil(`heartbeat gone on ${name}`, async () => !(await this.running(name)), timeoutMs);
    return result;
  }

  /** Whether any heartbeat process runs on the node. */
  async running(name: string): Promise<boolean> {
    const result = await this.cluster.exec(name, ['pgrep', '-x', 'heartbeat'], { timeoutMs: 5000 });
    return result.code === 0;
  }

  /** kill -9 of every heartbeat process on the node (its resources stay as they are, like a crash). */
  async kill9(name: string): Promise<void> {
    await this.cluster.exec(name, ['pkill', '-9', '-x', 'heartbeat'], { timeoutMs: 5000 });
    await waitUntil(`heartbeat gone on ${name}`, async () => !(await this.running(name)), 10_000);
  }

  /** Until `cl_status hbstatus` answers 0 on every named node. */
  async waitUp(names: readonly string[] = [...this.cluster.nodes.keys()], timeoutMs = 40_000): Promise<void> {
    await waitUntil(
      `cl_status hbstatus = 0 on ${names.join(', ')}`,
      async () => (await Promise.all(names.map((name) => this.cluster.exec(name, [CL_STATUS, 'hbstatus'], { timeoutMs: 8000 })))).every((r) => r.code === 0),
      timeoutMs,
      () => this.logs(),
      500,
    );
  }

  logs(lines = 25): string {
    return [...this.cluster.nodes.values()].map((node) => `--- ${node.name} ha-log (last ${lines} lines):\n${node.readLog().split('\n').slice(-lines).join('\n')}`).join('\n');
  }
}

// ---- the two sides: real heartbeat, and tandemd started from the same /etc/ha.d ----

export type HeartbeatCommand = 'cl_status' | 'hb_standby' | 'hb_takeover';

/** What the scenarios need from a side: start, crash, stop its daemon, and run heartbeat's commands on a node. */
export interface HaSide {
  readonly kind: 'heartbeat' | 'tandem';
  readonly cluster: HaLabCluster;
  /** The argv that runs the command on this side (e.g. ['/usr/bin/cl_status']). */
  command(name: HeartbeatCommand): string[];
  /** Extra environment for the commands on a node (tandem: TANDEM_SOCKET). */
  commandEnv(node: string): Record<string, string>;
  /** Starts the daemon on both nodes. */
  start(): Promise<void>;
  /** Starts the daemon on one node again (after kill9 or stop). */
  startNode(node: string): Promise<void>;
  /** Like kill -9 of the daemon's processes: no goodbye, resources left as they are. */
  kill9(node: string): Promise<void>;
  /** A graceful stop (resources released), until the daemon is gone. */
  stop(node: string): Promise<void>;
  /** Daemon logs, for failure messages. */
  logs(): string;
}

export class HeartbeatSide implements HaSide {
  readonly kind = 'heartbeat' as const;
  private readonly hb: RealHeartbeat;

  constructor(readonly cluster: HaLabCluster) {
    this.hb = new RealHeartbeat(cluster);
  }

  command(name: HeartbeatCommand): string[] {
    return [{ cl_status: CL_STATUS, hb_standby: HB_STANDBY, hb_takeover: HB_TAKEOVER }[name]];
  }

  commandEnv(): Record<string, string> {
    return {};
  }

  async start(): Promise<void> {
    const results = await this.hb.start();
    const failed = results.find((r) => r.code !== 0);
    if (failed) throw new Error(`heartbeat did not start (exit ${failed.code}): ${failed.stdout}${failed.stderr}`);
  }

  async startNode(node: string): Promise<void> {
    const [result] = await this.hb.start([node]);
    if (result && result.code !== 0) throw new Error(`heartbeat did not start on ${node} (exit ${result.code}): ${result.stdout}${result.stderr}`);
  }

  kill9(node: string): Promise<void> {
    return this.hb.kill9(node);
  }

  async stop(node: string): Promise<void> {
    await this.hb.stop(node);
  }

  logs(): string {
    return this.hb.logs();
  }
}

/** tandem's heartbeat-compatible entry points in this build (package.json's `bin` names them; a unit test checks it). */
const TANDEM_HEARTBEAT_COMMANDS: Readonly<Record<HeartbeatCommand, string>> = {
  cl_status: join(BUILD_ROOT, 'src/cli/heartbeat/cl-status-main.js'),
  hb_standby: join(BUILD_ROOT, 'src/cli/heartbeat/hb-standby-main.js'),
  hb_takeover: join(BUILD_ROOT, 'src/cli/heartbeat/hb-takeover-main.js'),
};

export class TandemSide implements HaSide {
  readonly kind = 'tandem' as const;
  private readonly daemons = new Map<string, { child: ChildProcess; logFile: string; pidFile: string; exited: Promise<void> }>();

  constructor(readonly cluster: HaLabCluster) {}

  command(name: HeartbeatCommand): string[] {
    return [process.execPath, TANDEM_HEARTBEAT_COMMANDS[name]];
  }

  socket(node: string): string {
    return join(this.cluster.node(node).base, 'trun', 'tandemd.sock');
  }

  commandEnv(node: string): Record<string, string> {
    return { TANDEM_SOCKET: this.socket(node) };
  }

  async start(): Promise<void> {
    for (const name of this.cluster.nodes.keys()) await this.startNode(name);
  }

  async startNode(name: string): Promise<void> {
    const node = this.cluster.node(name);
    const started = node.startDaemon(
      [process.execPath, TANDEMD, '--ha-d', '/etc/ha.d', '--node', name, '--state-dir', join(node.base, 'tstate'), '--runtime-dir', join(node.base, 'trun'), '--socket', this.socket(name), '--log-format', 'text'],
      'tandemd',
    );
    const exited = new Promise<void>((resolve) => started.child.on('close', () => resolve()));
    this.daemons.set(name, { ...started, exited });
  }

  private async signal(node: string, signal: 'KILL' | 'TERM', timeoutMs: number): Promise<void> {
    const daemon = this.daemons.get(node);
    if (!daemon) return;
    const pid = readFileSync(daemon.pidFile, 'utf8').trim();
    await this.cluster.exec(node, ['kill', `-${signal}`, pid], { timeoutMs: 5000 });
    const gone = await Promise.race([daemon.exited.then(() => true), sleep(timeoutMs).then(() => false)]);
    if (!gone) throw new Error(`tandemd on ${node} still running ${timeoutMs} ms after SIG${signal}`);
  }

  kill9(node: string): Promise<void> {
    return this.signal(node, 'KILL', 10_000);
  }

  stop(node: string): Promise<void> {
    return this.signal(node, 'TERM', 30_000);
  }

  logs(lines = 25): string {
    return [...this.daemons.entries()]
      .map(([name, d]) => {
        let text = '';
        try {
          text = readFileSync(d.logFile, 'utf8');
        } catch {
          // not written yet
        }
        return `--- ${name} tandemd log (last ${lines} lines):\n${text.split('\n').slice(-lines).join('\n')}`;
      })
      .join('\n');
  }
}

// ---- the scenarios ----

export interface Capture {
  /** Stable identifier, also the fixture's file name: `<phase>.<node>.<command>[.<args>]`. */
  readonly id: string;
  readonly phase: string;
  readonly node: string;
  /** The command as an administrator types it: ['cl_status', 'nodestatus', 'n2']. */
  readonly argv: readonly string[];
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  /** The command did not end within its bound (recorded as "hangs"; code is then 124). */
  readonly hangs: boolean;
  /** What the scenario waited for before this capture, and whether that wait succeeded. */
  readonly note?: string;
}

export interface ScenarioOptions {
  /** Progress lines. */
  log?: (line: string) => void;
  /** How long hb_standby/hb_takeover may run with the daemon stopped before they count as hanging. Default 6 s. */
  hangBoundMs?: number;
}

/** The lab cluster the scenarios need: two nodes, one link, a ping node (client `gw`), the VIP on n1's group. */
export const SCENARIO_NODES = ['n1', 'n2'] as const;
export const SCENARIO_CLUSTER: HaClusterOptions = { nodes: ['n1', 'n2'], pingClient: 'gw', keepalive: '1', warntime: '2', deadtime: '5', initdead: '10', autoFailback: 'on' };
export const SCENARIO_LAB = { nodes: [...SCENARIO_NODES], links: 1, clients: ['gw'] };

function captureId(phase: string, node: string, argv: readonly string[]): string {
  return [phase, node, ...argv].map((part) => part.replace(/^-+/, '').replace(/[^A-Za-z0-9_.-]+/g, '_') || '_').join('.');
}

/**
 * Runs every scenario in order against one side, on a fresh HaLabCluster whose daemons are not started yet.
 * Never throws for a command's outcome (everything is recorded); a wait that does not succeed is recorded in `note`
 * and the run goes on, so one broken answer does not hide the others.
 */
export async function runScenarios(side: HaSide, options: ScenarioOptions = {}): Promise<Capture[]> {
  const log = options.log ?? (() => undefined);
  const hangBound = options.hangBoundMs ?? 6000;
  const lab = side.cluster.lab;
  const ping = lab.address('gw', 0);
  const captures: Capture[] = [];
  let phase = '';
  const run = async (node: string, argv: readonly string[], runOptions: { timeoutMs?: number; note?: string } = {}): Promise<Capture> => {
    const [command, ...args] = argv as [HeartbeatCommand, ...string[]];
    const result = await side.cluster.exec(node, [...side.command(command), ...args], { timeoutMs: runOptions.timeoutMs ?? 15_000, env: side.commandEnv(node) });
    const capture: Capture = {
      id: captureId(phase, node, argv),
      phase,
      node,
      argv: [...argv],
      code: result.code,
      stdout: result.stdout,
      stderr: result.stderr,
      hangs: result.timedOut === true,
      ...(runOptions.note !== undefined ? { note: runOptions.note } : {}),
    };
    captures.push(capture);
    return capture;
  };
  /** A soft wait on the side's own cl_status: true when `want` held within the bound. */
  const waitFor = async (what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<string> => {
    try {
      const ms = await waitUntil(what, check, timeoutMs, () => '', 300);
      log(`${side.kind}: ${what} (after ${ms} ms)`);
      return `waited for ${what}: ok`;
    } catch {
      log(`${side.kind}: NOT ${what} within ${timeoutMs} ms\n${side.logs()}`);
      return `waited for ${what}: NOT within ${timeoutMs} ms`;
    }
  };
  /** A fault or restart step that must not end the run: '' when it worked, else a note (with NOT, so it is reported). */
  const soft = async (what: string, step: () => Promise<void>): Promise<string> => {
    try {
      await step();
      return '';
    } catch (error) {
      log(`${side.kind}: ${what} failed: ${(error as Error).message}`);
      return `${what}: NOT done (${(error as Error).message.split('\n')[0]}); `;
    }
  };
  const clStatus = (node: string, ...args: string[]) => side.cluster.exec(node, [...side.command('cl_status'), ...args], { timeoutMs: 8000, env: side.commandEnv(node) });
  const rsc = async (node: string) => (await clStatus(node, 'rscstatus')).stdout.trim();
  const holds = (want: Record<string, string>) => async () => {
    for (const [node, value] of Object.entries(want)) if ((await rsc(node)) !== value) return false;
    return true;
  };

  // 1. Both nodes up and stable: each holds its own group.
  phase = '1-stable';
  await side.start();
  let note = await waitFor('cl_status hbstatus = 0 on n1 and n2', async () => (await Promise.all(SCENARIO_NODES.map((n) => clStatus(n, 'hbstatus')))).every((r) => r.code === 0), 40_000);
  note += '; ' + (await waitFor('rscstatus n1=local, n2=local', holds({ n1: 'local', n2: 'local' }), 40_000));
  const stable: string[][] = [
    ['hbstatus'],
    ['hbstatus', '-v'],
    ['listnodes'],
    ['listnodes', '-n'],
    ['listnodes', '-p'],
    ['listnodes', '-v'],
    ['nodestatus', 'n1'],
    ['nodestatus', 'n2'],
    ['nodestatus', ping],
    ['nodestatus', 'nosuch'],
    ['nodestatus'],
    ['nodestatus', '-m', 'n2'],
    ['nodetype', 'n1'],
    ['nodetype', ping],
    ['nodetype', 'nosuch'],
    ['nodeweight', 'n2'],
    ['nodesite', 'n2'],
    ['listhblinks', 'n2'],
    ['listhblinks', '-v', 'n2'],
    ['listhblinks', 'nosuch'],
    ['listhblinks', ping],
    ['hblinkstatus', 'n2', 'eth0'],
    ['hblinkstatus', '-m', 'n2', 'eth0'],
    ['hblinkstatus', 'n2', 'eth9'],
    ['hblinkstatus', 'nosuch', 'eth0'],
    ['hblinkstatus', 'n1', 'eth0'],
    ['rscstatus'],
    ['rscstatus', '-m'],
    ['hbparameter', '-p', 'keepalive'],
    ['hbparameter', '-p', 'deadtime'],
    ['hbparameter', '-p', 'warntime'],
    ['hbparameter', '-p', 'initdead'],
    ['hbparameter', '-p', 'deadping'],
    ['hbparameter', '-p', 'udpport'],
    ['hbparameter', '-p', 'auto_failback'],
    ['hbparameter', '-p', 'nosuch'],
    ['hbparameter', '-m', '-p', 'keepalive'],
    ['hbparameter'],
    ['bogus'],
    ['-h'],
    [],
  ];
  for (const args of stable) await run('n1', ['cl_status', ...args], { note });
  await run('n2', ['cl_status', 'rscstatus'], { note });
  await run('n2', ['cl_status', 'nodestatus', 'n1']);
  await run('n1', ['hb_standby', 'bogus']);
  await run('n1', ['hb_standby', 'all', 'local']);
  await run('n1', ['hb_standby', '--help']);
  await run('n1', ['hb_takeover', 'bogus']);
  await run('n1', ['hb_takeover', 'all', 'local']);
  await run('n1', ['hb_takeover', '--help']);

  // 2. hb_standby on n1: n2 takes everything.
  phase = '2-standby';
  await run('n1', ['hb_standby']);
  note = await waitFor('rscstatus n1=none, n2=all', holds({ n1: 'none', n2: 'all' }), 20_000);
  await run('n1', ['cl_status', 'rscstatus'], { note });
  await run('n2', ['cl_status', 'rscstatus'], { note });

  // 3. hb_takeover on n1: n1 takes everything back.
  phase = '3-takeover';
  await run('n1', ['hb_takeover']);
  note = await waitFor('rscstatus n1=all, n2=none', holds({ n1: 'all', n2: 'none' }), 20_000);
  await run('n1', ['cl_status', 'rscstatus'], { note });
  await run('n2', ['cl_status', 'rscstatus'], { note });

  // 4. n2's daemon is killed with -9: n1 declares it dead after deadtime.
  phase = '4-n2-killed';
  const killed = await soft('kill -9 of the daemon on n2', () => side.kill9('n2'));
  note = killed + await waitFor('n1 sees n2 dead', async () => (await clStatus('n1', 'nodestatus', 'n2')).stdout.trim() === 'dead', 20_000);
  for (const args of [['nodestatus', 'n2'], ['hblinkstatus', 'n2', 'eth0'], ['listhblinks', '-v', 'n2'], ['listnodes', '-v'], ['rscstatus'], ['hbstatus']]) {
    await run('n1', ['cl_status', ...args], { note });
  }

  // 5. n2's daemon starts again: with auto_failback on, n2 gets its own group back, n1 keeps its own.
  phase = '5-n2-back';
  const restarted = await soft('starting the daemon on n2 again', () => side.startNode('n2'));
  note = restarted + await waitFor('n1 sees n2 active', async () => (await clStatus('n1', 'nodestatus', 'n2')).stdout.trim() === 'active', 25_000);
  note += '; ' + (await waitFor('rscstatus n1=local, n2=local (auto_failback)', holds({ n1: 'local', n2: 'local' }), 25_000));
  await run('n1', ['cl_status', 'nodestatus', 'n2'], { note });
  await run('n1', ['cl_status', 'hblinkstatus', 'n2', 'eth0'], { note });
  await run('n1', ['cl_status', 'rscstatus'], { note });
  await run('n2', ['cl_status', 'rscstatus'], { note });

  // 6. The daemon on n1 is stopped gracefully: what the commands say (and do) on a node where it does not run.
  phase = '6-n1-stopped';
  note = await soft('stopping the daemon on n1', () => side.stop('n1'));
  for (const args of [['hbstatus'], ['hbstatus', '-v'], ['nodestatus', 'n1'], ['listnodes'], ['rscstatus'], ['hbparameter', '-p', 'keepalive'], ['bogus']]) {
    await run('n1', ['cl_status', ...args], note ? { note } : {});
  }
  await run('n1', ['hb_standby'], { timeoutMs: hangBound, ...(note ? { note } : {}) });
  await run('n1', ['hb_takeover'], { timeoutMs: hangBound, ...(note ? { note } : {}) });
  return captures;
}

// ---- fixtures ----

/** One capture as a fixture file: a small header, then stdout and stderr verbatim. */
export function formatCapture(capture: Capture): string {
  return [
    `# node: ${capture.node}`,
    `# argv: ${JSON.stringify(capture.argv)}`,
    `# exit: ${capture.code}`,
    `# hangs: ${capture.hangs}`,
    ...(capture.note ? [`# note: ${capture.note}`] : []),
    '--- stdout',
    capture.stdout + '--- stderr',
    capture.stderr + '--- end',
    '',
  ].join('\n');
}

/** The inverse of formatCapture (for unit tests comparing against the fixtures). */
export function parseCapture(id: string, text: string): Capture {
  const header = (name: string): string => new RegExp(`^# ${name}: (.*)$`, 'm').exec(text)?.[1] ?? '';
  const stdoutAt = text.indexOf('--- stdout\n') + '--- stdout\n'.length;
  const stderrAt = text.indexOf('--- stderr\n', stdoutAt);
  const endAt = text.lastIndexOf('--- end\n');
  const node = header('node');
  const argv = JSON.parse(header('argv') || '[]') as string[];
  const note = header('note');
  return {
    id,
    phase: id.split('.')[0] ?? '',
    node,
    argv,
    code: Number(header('exit')),
    stdout: text.slice(stdoutAt, stderrAt),
    stderr: text.slice(stderrAt + '--- stderr\n'.length, endAt),
    hangs: header('hangs') === 'true',
    ...(note ? { note } : {}),
  };
}

export const CAPTURE_DIR = join(REPO_ROOT, 'test', 'lab', 'heartbeat-captures');

/** The committed captures of the real heartbeat, in scenario order (from index.txt). */
export function readCaptures(dir = CAPTURE_DIR): Capture[] {
  const ids = readFileSync(join(dir, 'index.txt'), 'utf8').split('\n').filter(Boolean);
  return ids.map((id) => parseCapture(id, readFileSync(join(dir, `${id}.txt`), 'utf8')));
}
