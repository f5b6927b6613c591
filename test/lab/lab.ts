/**
 * The network-namespace lab: real Linux namespaces on this one machine, shared by every end-to-end test,
 * benchmark and the demo. Needs root.
 *
 * Layout of one lab (every name starts with the run's unique prefix `tnd-<6 hex>-`):
 * - `<prefix>br`: one namespace holding one bridge per link (`br0`, `br1`, `br2`), and the bridge ends of
 *   every veth (`n<i>l<link>`);
 * - `<prefix><node>`: one namespace per node and per client, with `lo` and one veth end per link (`eth<link>`),
 *   created directly inside that namespace. Link 0 is 192.0.2.0/24, link 1 is 198.51.100.0/24, link 2 is
 *   2001:db8:2::/64; with `ipv6: true` links 0 and 1 also carry 2001:db8:<link>::/64. No default route.
 *
 * Nothing is ever created in, attached to or sent from the root namespace, and only namespaces whose name
 * starts with this run's prefix are ever deleted.
 *
 * Processes started with `spawn` (and commands run with `exec`) run inside the node's network namespace and
 * in new mount, UTS and PID namespaces: the host name is the node name, `/run` is the node's own directory
 * (`<dir>/nodes/<node>/sysrun`, shared by everything started on that node, so pid files are per node), and
 * the process tree inside looks like
 *     pid 1: a small `sh` init that forwards TERM/INT/HUP/QUIT/USR1/USR2/ALRM and reaps orphans
 *     pid 2: the program
 * The host-side chain is `setpriv --pdeathsig KILL` → `ip netns exec` → `unshare` (one host pid, which is
 * `LabProcess.pid`), whose child is that init. If this Node.js process dies, the kernel kills `unshare`,
 * which kills the init, which takes the whole PID namespace with it.
 */
import { type ChildProcess, spawn as spawnChild, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { constants as osConstants, tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { test, type TestContext } from 'node:test';

export interface LabOptions {
  nodes: string[];
  /** 1..3, default 2. */
  links?: number;
  /** Also give links 0 and 1 an IPv6 address (2001:db8:<link>::<10+i>/64). Link 2 is always IPv6. */
  ipv6?: boolean;
  /** Extra namespaces on the bridges that run no daemon, e.g. 'client'. */
  clients?: string[];
}

export interface ExecOptions {
  /** Default 30 000 ms. On timeout the command's whole PID namespace is killed and the result has code 124. */
  timeoutMs?: number;
  /** Written to the command's standard input. */
  input?: string;
  env?: Record<string, string>;
}

export interface ExecResult {
  /** The exit code; a program killed by signal N reports 128 + N, as in a shell; 124 on timeout. */
  code: number;
  stdout: string;
  stderr: string;
  timedOut?: boolean;
}

export interface SpawnOptions {
  env?: Record<string, string>;
  /** Used in the log file name; defaults to the program's base name. */
  name?: string;
}

export interface LabProcess {
  /** Host pid of the outermost process we spawned (`unshare`, in the host PID namespace). */
  readonly pid: number;
  readonly node: string;
  readonly logFile: string;
  /**
   * SIGKILL: kills everything in the process's PID namespace (its init, the program and all it started).
   * SIGSTOP/SIGCONT: freeze/resume every process in that PID namespace.
   * Any other signal goes to the program itself (pid 2 inside).
   * A no-op once the process has exited.
   */
  kill(signal: NodeJS.Signals): void;
  /**
   * How the process ended. The program's own exit code comes through; a program that died of signal N
   * (after e.g. kill('SIGTERM')) reports code 128 + N; after kill('SIGKILL') it is { code: null, signal: 'SIGKILL' }.
   */
  readonly exited: Promise<{ code: number | null; signal: string | null }>;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
  /** Host pid of the PID namespace's init (pid 1 inside), once known. */
  initPid(): number | undefined;
  /** Host pid of the program (pid 2 inside), once known. */
  programPid(): number | undefined;
}

export function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

const REQUIRED_TOOLS = ['ip', 'unshare', 'setpriv', 'nft', 'hostname', 'mount', 'env'];
const NAME_PATTERN = /^[a-z][a-z0-9]{0,11}$/;
const LINK_NETS = ['192.0.2', '198.51.100'];
const TABLE = 'tandem_lab';
/** How long powerOff waits for the node's processes to exit after SIGKILL. */
const POWER_OFF_WAIT_MS = 5000;

/** The init run as pid 1 of every spawned PID namespace: forwards signals to the program and reaps orphans. */
const INIT_SCRIPT = [
  'exec 3<&0',
  'env --default-signal "$@" <&3 3<&- &',
  'child=$!',
  'exec 3<&-',
  'for s in TERM INT HUP QUIT USR1 USR2 ALRM; do trap "kill -$s $child 2>/dev/null" $s; done',
  'while :; do wait $child; rc=$?; kill -0 $child 2>/dev/null || exit $rc; done',
].join('\n');

/** Runs in the node's network namespace with a new mount and UTS namespace, then enters a new PID namespace. */
const STAGE1_SCRIPT = [
  'set -e',
  'hostname "$1"',
  'mount --bind "$2" /run',
  'init=$3',
  'shift 3',
  'exec unshare --pid --fork --mount-proc --kill-child env --default-signal sh "$init" "$@"',
].join('\n');

/** 2001:db8:<link>::<host>, in canonical form (2001:db8::<host> for link 0). */
function v6Address(link: number, host: number): string {
  return link === 0 ? `2001:db8::${host}` : `2001:db8:${link}::${host}`;
}

/**
 * A fresh `tnd-<6 hex>-` that no namespace and no temp dir uses yet: whatever carries it afterwards is ours,
 * so teardown may remove everything with it.
 */
function unusedPrefix(): string {
  const listed = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout ?? '';
  for (;;) {
    const prefix = `tnd-${randomBytes(3).toString('hex')}-`;
    if (!listed.includes(prefix) && !existsSync(join(tmpdir(), prefix.slice(0, -1)))) return prefix;
  }
}

const liveLabs = new Set<Lab>();
let handlersInstalled = false;

function installExitHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.on('exit', () => {
    for (const lab of [...liveLabs]) lab.teardownSync();
  });
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const handler = (): void => {
      // Someone else (e.g. the demo) handles this signal and will tear down itself; the 'exit' handler
      // remains the safety net.
      if (process.listenerCount(signal) > 1) return;
      for (const lab of [...liveLabs]) lab.teardownSync();
      process.removeListener(signal, handler);
      process.kill(process.pid, signal);
    };
    process.on(signal, handler);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function signalNumber(signal: string | null): number {
  if (!signal) return 0;
  const table = osConstants.signals as Record<string, number | undefined>;
  return table[signal] ?? 0;
}

/** Whether the pid is a live process (a zombie counts as gone). */
function processAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

function trySignal(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined || pid <= 0) return;
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}

function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** The innermost pid of a host pid (the last NSpid entry). */
function innerPid(pid: number): number | undefined {
  try {
    const match = /^NSpid:\s+(.*)$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    const last = match?.[1]?.trim().split(/\s+/).pop();
    return last === undefined ? undefined : Number(last);
  } catch {
    return undefined;
  }
}

function pidNamespaceOf(pid: number): string | undefined {
  try {
    return readlinkSync(`/proc/${pid}/ns/pid`);
  } catch {
    return undefined;
  }
}

/** Host pids of every process in the given PID namespace. */
function pidsInNamespace(ns: string): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    if (pidNamespaceOf(Number(entry)) === ns) out.push(Number(entry));
  }
  return out;
}

interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a host-side helper (ip, nft) and collects its output. */
function run(argv: string[], input?: string): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const [command, ...args] = argv;
    if (!command) throw new Error('empty argv');
    const child = spawnChild(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code: code ?? 128 + signalNumber(signal), stdout, stderr }));
    child.stdin.on('error', () => undefined);
    child.stdin.end(input ?? '');
  });
}

async function check(argv: string[], input?: string): Promise<string> {
  const result = await run(argv, input);
  if (result.code !== 0) {
    throw new Error(`lab: \`${argv.join(' ')}\` failed with ${result.code}: ${result.stderr.trim()}${input ? `\ninput:\n${input}` : ''}`);
  }
  return result.stdout;
}

function commandExists(name: string): boolean {
  for (const dir of (process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin').split(':')) {
    if (dir && existsSync(join(dir, name))) return true;
  }
  return false;
}

class SpawnedProcess implements LabProcess {
  readonly pid: number;
  readonly exited: Promise<{ code: number | null; signal: string | null }>;
  private done = false;
  private sigkilled = false;
  private init: number | undefined;
  private program: number | undefined;
  private pidNs: string | undefined;

  constructor(
    readonly node: string,
    readonly logFile: string,
    readonly child: ChildProcess,
  ) {
    if (child.pid === undefined) throw new Error(`lab: could not start a process on ${node}`);
    this.pid = child.pid;
    this.exited = new Promise((resolve) => {
      child.on('exit', (code, signal) => {
        this.done = true;
        resolve(this.sigkilled ? { code: null, signal: 'SIGKILL' } : { code, signal });
      });
      child.on('error', () => {
        this.done = true;
        resolve({ code: 127, signal: null });
      });
    });
  }

  get running(): boolean {
    return !this.done;
  }

  initPid(): number | undefined {
    if (this.init === undefined && !this.done) {
      const [first] = childrenOf(this.pid);
      // Until our process has exec'd into the PID-namespace unshare, its children are stage-1 helpers
      // (hostname, mount) in our own PID namespace: caching one of those as the init would make a later
      // kill miss the node's real processes. The init is the first child in a different PID namespace.
      // Each namespace is read once, and both must be known: a stage-1 helper exiting between two reads would
      // otherwise compare `undefined` with our namespace and be cached as the init.
      const childNs = first === undefined ? undefined : pidNamespaceOf(first);
      const ownNs = pidNamespaceOf(this.pid);
      if (first !== undefined && childNs !== undefined && ownNs !== undefined && childNs !== ownNs) {
        this.init = first;
        this.pidNs = childNs;
      }
    }
    return this.init;
  }

  programPid(): number | undefined {
    if (this.program === undefined) {
      const init = this.initPid();
      if (init !== undefined) this.program = childrenOf(init).find((pid) => innerPid(pid) === 2);
    }
    return this.program;
  }

  /** Waits (synchronously, briefly) until the init and program exist, so an early kill() does not miss. */
  private settle(): void {
    for (let i = 0; i < 200 && !this.done && (this.initPid() === undefined || this.programPid() === undefined); i++) {
      if (!processAlive(this.pid)) return;
      sleepSync(5);
    }
  }

  kill(signal: NodeJS.Signals): void {
    if (this.done) return;
    if (signal === 'SIGKILL') {
      this.killAll();
      return;
    }
    this.settle();
    if (signal === 'SIGSTOP' || signal === 'SIGCONT') {
      const ns = this.pidNs;
      const pids = ns ? pidsInNamespace(ns) : [];
      if (pids.length === 0) trySignal(this.programPid() ?? this.initPid(), signal);
      // Children first on STOP so nothing reacts to a stopped parent; the order does not matter for CONT.
      for (const pid of pids.sort((a, b) => b - a)) trySignal(pid, signal);
      return;
    }
    const program = this.programPid();
    if (program !== undefined && processAlive(program)) trySignal(program, signal);
    else trySignal(this.initPid(), signal);
  }

  /** SIGKILL the PID namespace's init (the kernel then kills everything in the namespace), then unshare. */
  killAll(): void {
    if (this.done) return;
    this.sigkilled = true;
    // The init first, so that unshare (its parent) reaps it at once; killing unshare first would leave the
    // init to the host's pid 1, which may reap it only seconds later. unshare 2.38 then exits 1 (and logs
    // "sigprocmask unblock failed"), so `exited` reports what really happened: SIGKILL. If the init is not
    // known yet, unshare's --kill-child passes the SIGKILL on.
    const init = this.initPid();
    if (init !== undefined) trySignal(init, 'SIGKILL');
    else trySignal(this.pid, 'SIGKILL');
  }

  output(): string {
    try {
      return readFileSync(this.logFile, 'utf8');
    } catch {
      return '';
    }
  }
}

export class Lab implements AsyncDisposable {
  readonly prefix: string;
  readonly dir: string;
  readonly nodes: readonly string[];
  readonly clients: readonly string[];
  readonly links: number;
  readonly ipv6: boolean;
  private readonly members: readonly string[];
  private readonly processes = new Set<SpawnedProcess>();
  private readonly createdNamespaces: string[] = [];
  private partitionGroups: string[][] = [];
  private readonly lossRules = new Map<string, Map<number, number>>();
  private readonly poweredOff = new Set<string>();
  private spawnCounter = 0;
  private dirCreated = false;
  private tornDown = false;

  private constructor(options: LabOptions, prefix: string) {
    const links = options.links ?? 2;
    if (!Number.isInteger(links) || links < 1 || links > 3) throw new Error(`lab: links must be 1, 2 or 3, not ${links}`);
    const clients = options.clients ?? [];
    const members = [...options.nodes, ...clients];
    if (options.nodes.length === 0) throw new Error('lab: at least one node');
    if (members.length > 200) throw new Error('lab: at most 200 nodes and clients');
    for (const name of members) {
      if (!NAME_PATTERN.test(name) || name === 'br') throw new Error(`lab: bad node name ${JSON.stringify(name)} (lower-case letters and digits, at most 12, not 'br')`);
    }
    if (new Set(members).size !== members.length) throw new Error('lab: node and client names must be unique');
    this.links = links;
    this.ipv6 = options.ipv6 ?? false;
    this.nodes = [...options.nodes];
    this.clients = [...clients];
    this.members = members;
    this.prefix = prefix;
    this.dir = join(tmpdir(), prefix.slice(0, -1));
  }

  static async create(options: LabOptions): Promise<Lab> {
    if (!isRoot()) throw new Error('lab: network namespaces need root');
    const missing = REQUIRED_TOOLS.filter((tool) => !commandExists(tool));
    if (missing.length > 0) throw new Error(`lab: missing tools: ${missing.join(', ')} (apt-get install iproute2 nftables util-linux coreutils)`);
    const lab = new Lab(options, unusedPrefix());
    installExitHandlers();
    liveLabs.add(lab);
    try {
      await lab.build();
    } catch (error) {
      await lab.teardown();
      throw error;
    }
    return lab;
  }

  private index(node: string): number {
    const i = this.members.indexOf(node);
    if (i < 0) throw new Error(`lab: unknown node ${JSON.stringify(node)}`);
    return i;
  }

  private checkLink(link: number): void {
    if (!Number.isInteger(link) || link < 0 || link >= this.links) throw new Error(`lab: no link ${link} (this lab has ${this.links})`);
  }

  /** link 0 → 192.0.2.<10+i>, link 1 → 198.51.100.<10+i>, link 2 → 2001:db8:2::<10+i> (i = node index, clients after nodes). */
  address(node: string, link: number): string {
    this.checkLink(link);
    const host = 10 + this.index(node);
    const net = LINK_NETS[link];
    return net ? `${net}.${host}` : v6Address(link, host);
  }

  /** The node's IPv6 address on a link: 2001:db8:<link>::<10+i>; links 0 and 1 have one only with `ipv6: true`. */
  address6(node: string, link: number): string {
    this.checkLink(link);
    if (link < 2 && !this.ipv6) throw new Error(`lab: link ${link} has no IPv6 address (create the lab with ipv6: true)`);
    return v6Address(link, 10 + this.index(node));
  }

  /** Every address of the node on the link (IPv4 and/or IPv6). */
  addresses(node: string, link: number): string[] {
    const out = [this.address(node, link)];
    if (link < 2 && this.ipv6) out.push(this.address6(node, link));
    return out;
  }

  prefixLength(link: number): number {
    this.checkLink(link);
    return link < 2 ? 24 : 64;
  }

  ifname(node: string, link: number): string {
    this.index(node);
    this.checkLink(link);
    return `eth${link}`;
  }

  /** The deterministic MAC address of the node's interface on the link. */
  mac(node: string, link: number): string {
    this.checkLink(link);
    return `02:74:6e:64:${link.toString(16).padStart(2, '0')}:${this.index(node).toString(16).padStart(2, '0')}`;
  }

  netns(node: string): string {
    this.index(node);
    return this.prefix + node;
  }

  /** The namespace holding the bridges. */
  get bridgeNetns(): string {
    return `${this.prefix}br`;
  }

  /** A per-node directory under dir (`<dir>/nodes/<node>`); its `sysrun` is mounted on /run for that node. */
  nodeDir(node: string): string {
    this.index(node);
    return join(this.dir, 'nodes', node);
  }

  private bridgePort(node: string, link: number): string {
    return `n${this.index(node)}l${link}`;
  }

  private async build(): Promise<void> {
    mkdirSync(this.dir, { recursive: false, mode: 0o755 });
    this.dirCreated = true;
    for (const node of this.members) mkdirSync(join(this.nodeDir(node), 'sysrun'), { recursive: true });
    writeFileSync(join(this.dir, 'stage1.sh'), STAGE1_SCRIPT + '\n');
    writeFileSync(join(this.dir, 'init.sh'), INIT_SCRIPT + '\n');

    const names = [this.bridgeNetns, ...this.members.map((node) => this.netns(node))];
    for (const name of names) {
      await check(['ip', 'netns', 'add', name]);
      this.createdNamespaces.push(name);
    }

    const bridge: string[] = ['link set lo up'];
    for (let link = 0; link < this.links; link++) {
      bridge.push(`link add br${link} type bridge stp_state 0 mcast_snooping 0`, `link set br${link} up`);
    }
    for (const node of this.members) {
      for (let link = 0; link < this.links; link++) {
        const port = this.bridgePort(node, link);
        // The node's end is created directly inside the node's namespace: it never exists in the root namespace.
        bridge.push(
          `link add ${port} type veth peer name ${this.ifname(node, link)} address ${this.mac(node, link)} netns ${this.netns(node)}`,
          `link set ${port} master br${link}`,
          `link set ${port} up`,
        );
      }
    }
    await check(['ip', '-n', this.bridgeNetns, '-batch', '-'], bridge.join('\n') + '\n');

    await Promise.all(
      this.members.map(async (node) => {
        const lines = ['link set lo up'];
        for (let link = 0; link < this.links; link++) {
          const dev = this.ifname(node, link);
          if (link < 2) lines.push(`address add ${this.address(node, link)}/24 brd + dev ${dev}`);
          if (link === 2 || this.ipv6) lines.push(`address add ${this.address6(node, link)}/64 dev ${dev} nodad`);
          lines.push(`link set ${dev} up`);
        }
        await check(['ip', '-n', this.netns(node), '-batch', '-'], lines.join('\n') + '\n');
      }),
    );
  }

  private startInNode(node: string, argv: string[], stdout: number | 'pipe', env: Record<string, string> | undefined, stdin: 'pipe' | 'ignore'): ChildProcess {
    if (this.tornDown) throw new Error('lab: already torn down');
    if (argv.length === 0) throw new Error('lab: empty argv');
    const full = [
      '--pdeathsig', 'KILL', '--',
      'ip', 'netns', 'exec', this.netns(node),
      'unshare', '--mount', '--uts', '--propagation', 'private', '--',
      'sh', join(this.dir, 'stage1.sh'), node, join(this.nodeDir(node), 'sysrun'), join(this.dir, 'init.sh'),
      ...argv,
    ];
    return spawnChild('setpriv', full, {
      stdio: [stdin, stdout, stdout],
      env: { ...process.env, ...env },
      // Own session: a Ctrl-C in the terminal reaches only us, and we tear down in order.
      detached: true,
    });
  }

  /** Runs a command on the node (its netns, host name, /run, own PID namespace) and collects its output. */
  async exec(node: string, argv: string[], opts: ExecOptions = {}): Promise<ExecResult> {
    this.index(node);
    const child = this.startInNode(node, argv, 'pipe', opts.env, 'pipe');
    const tracked = new SpawnedProcess(node, '', child);
    this.processes.add(tracked);
    let stdout = '';
    let stderr = '';
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(opts.input ?? '');
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      tracked.killAll();
    }, opts.timeoutMs ?? 30_000);
    try {
      const closed = await new Promise<{ code: number | null; signal: string | null }>((resolve) => {
        child.on('close', (code, signal) => resolve({ code, signal }));
        child.on('error', (error) => {
          stderr += String(error);
          resolve({ code: 127, signal: null });
        });
      });
      if (timedOut) {
        return { code: 124, stdout, stderr: stderr + `\nlab: ${argv.join(' ')} timed out after ${opts.timeoutMs ?? 30_000} ms`, timedOut: true };
      }
      return { code: closed.code ?? 128 + signalNumber(closed.signal), stdout, stderr };
    } finally {
      clearTimeout(timer);
      this.processes.delete(tracked);
    }
  }

  /**
   * Starts a long-running process on the node: its netns, new mount, UTS (host name = node) and PID
   * namespaces. stdout and stderr go to a log file in dir.
   */
  spawn(node: string, argv: string[], opts: SpawnOptions = {}): LabProcess {
    this.index(node);
    const name = (opts.name ?? basename(argv[0] ?? 'process')).replace(/[^A-Za-z0-9._-]/g, '_');
    const logFile = join(this.dir, `${node}.${name}.${++this.spawnCounter}.log`);
    const fd = openSync(logFile, 'a');
    let child: ChildProcess;
    try {
      child = this.startInNode(node, argv, fd, opts.env, 'ignore');
    } finally {
      closeSync(fd);
    }
    const spawned = new SpawnedProcess(node, logFile, child);
    this.processes.add(spawned);
    void spawned.exited.then(() => this.processes.delete(spawned));
    return spawned;
  }

  // ---- faults ----

  /** Pulls the node's cable on that link: the bridge-side end goes down, the node sees NO-CARRIER. */
  async linkDown(node: string, link: number): Promise<void> {
    this.checkLink(link);
    await check(['ip', '-n', this.bridgeNetns, 'link', 'set', this.bridgePort(node, link), 'down']);
  }

  async linkUp(node: string, link: number): Promise<void> {
    this.checkLink(link);
    await check(['ip', '-n', this.bridgeNetns, 'link', 'set', this.bridgePort(node, link), 'up']);
  }

  /**
   * Cuts the node's power, for the lab's power switch (test/lab/power-switch.ts): every link of the node goes down
   * and every process the lab started on it (spawned or exec'd) is SIGKILLed with its whole PID namespace.
   * Resolves once those processes have exited; throws if one is still alive after POWER_OFF_WAIT_MS, so a fence
   * agent never reports a node off while something of it can still act. Processes started on the node afterwards
   * are not prevented, and `powerOn` does not restart anything.
   */
  async powerOff(node: string): Promise<void> {
    this.index(node);
    this.poweredOff.add(node);
    const links = Array.from({ length: this.links }, (_, link) => link);
    await Promise.all(links.map((link) => this.linkDown(node, link)));
    const victims = [...this.processes].filter((p) => p.node === node);
    for (const p of victims) p.killAll();
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), POWER_OFF_WAIT_MS);
    });
    try {
      const result = await Promise.race([Promise.all(victims.map((p) => p.exited)), timedOut]);
      if (result === 'timeout') {
        const left = victims.filter((p) => p.running).map((p) => p.pid);
        throw new Error(`lab: powering off ${node}: process(es) ${left.join(', ')} still running after ${POWER_OFF_WAIT_MS} ms`);
      }
    } finally {
      clearTimeout(timer);
    }
  }

  /** Brings every link of the node back up (also links taken down with linkDown); processes are not restarted. */
  async powerOn(node: string): Promise<void> {
    this.index(node);
    const links = Array.from({ length: this.links }, (_, link) => link);
    await Promise.all(links.map((link) => this.linkUp(node, link)));
    this.poweredOff.delete(node);
  }

  /** Whether powerOff was the last power action on the node. */
  isPoweredOff(node: string): boolean {
    this.index(node);
    return this.poweredOff.has(node);
  }

  /**
   * Drops all traffic between members of different groups, on every link, with nftables inside each listed
   * node's namespace (by source MAC and by IP address). Members listed in no group are not affected.
   * Replaces any earlier partition; loss rules stay.
   */
  async partition(groups: string[][]): Promise<void> {
    const seen = new Set<string>();
    for (const group of groups) {
      for (const node of group) {
        this.index(node);
        if (seen.has(node)) throw new Error(`lab: ${node} is in more than one partition group`);
        seen.add(node);
      }
    }
    const previous = this.partitionGroups.flat();
    this.partitionGroups = groups.map((group) => [...group]);
    await this.applyRules([...new Set([...previous, ...seen])]);
  }

  /** Removes every partition and loss rule. Links taken down stay down. */
  async heal(): Promise<void> {
    const affected = [...new Set([...this.partitionGroups.flat(), ...this.lossRules.keys()])];
    this.partitionGroups = [];
    this.lossRules.clear();
    await this.applyRules(affected);
  }

  /** Drops `percent` % (0..100, 0.01 steps) of IP packets in and out of the node's interface on that link. 0 removes the rule. */
  async loss(node: string, link: number, percent: number): Promise<void> {
    this.index(node);
    this.checkLink(link);
    if (!(percent >= 0 && percent <= 100)) throw new Error(`lab: loss percent must be 0..100, not ${percent}`);
    const rules = this.lossRules.get(node) ?? new Map<number, number>();
    if (percent === 0) rules.delete(link);
    else rules.set(link, percent);
    if (rules.size > 0) this.lossRules.set(node, rules);
    else this.lossRules.delete(node);
    await this.applyRules([node]);
  }

  /** Rewrites the nftables table of each given node from the current partition and loss state, atomically. */
  private async applyRules(nodes: string[]): Promise<void> {
    await Promise.all(
      nodes.map(async (node) => {
        const input: string[] = [];
        const output: string[] = [];
        const group = this.partitionGroups.find((members) => members.includes(node));
        if (group) {
          const others = this.partitionGroups.filter((members) => members !== group).flat();
          const macs: string[] = [];
          const v4: string[] = [];
          const v6: string[] = [];
          for (const other of others) {
            for (let link = 0; link < this.links; link++) {
              macs.push(this.mac(other, link));
              for (const address of this.addresses(other, link)) (address.includes(':') ? v6 : v4).push(address);
            }
          }
          if (macs.length > 0) input.push(`ether saddr { ${macs.join(', ')} } drop`);
          if (v4.length > 0) {
            input.push(`ip saddr { ${v4.join(', ')} } drop`);
            output.push(`ip daddr { ${v4.join(', ')} } drop`);
          }
          if (v6.length > 0) {
            input.push(`ip6 saddr { ${v6.join(', ')} } drop`);
            output.push(`ip6 daddr { ${v6.join(', ')} } drop`);
          }
        }
        for (const [link, percent] of this.lossRules.get(node) ?? []) {
          const threshold = Math.round(percent * 100);
          const dev = this.ifname(node, link);
          const random = threshold >= 10000 ? '' : ` numgen random mod 10000 < ${threshold}`;
          input.push(`iifname "${dev}"${random} drop`);
          output.push(`oifname "${dev}"${random} drop`);
        }
        const ns = this.netns(node);
        const lines: string[] = [];
        // "add table" then "delete table" makes the script work whether or not the table exists yet.
        lines.push(`add table inet ${TABLE}`, `delete table inet ${TABLE}`);
        if (input.length > 0 || output.length > 0) {
          lines.push(
            `table inet ${TABLE} {`,
            '  chain input {',
            '    type filter hook input priority -10; policy accept;',
            ...input.map((rule) => `    ${rule}`),
            '  }',
            '  chain output {',
            '    type filter hook output priority -10; policy accept;',
            ...output.map((rule) => `    ${rule}`),
            '  }',
            '}',
          );
        }
        await check(['ip', 'netns', 'exec', ns, 'nft', '-f', '-'], lines.join('\n') + '\n');
      }),
    );
  }

  // ---- teardown ----

  private namespacesToRemove(): string[] {
    const names = new Set(this.createdNamespaces);
    // Also whatever carries this run's unique prefix (e.g. created just before a failure).
    const listed = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' });
    for (const line of (listed.stdout ?? '').split('\n')) {
      const name = line.trim().split(/\s+/)[0];
      if (name && name.startsWith(this.prefix)) names.add(name);
    }
    return [...names];
  }

  private removeNamespacesAndDir(): void {
    const names = this.namespacesToRemove();
    if (names.length > 0) spawnSync('ip', ['-force', '-batch', '-'], { input: names.map((name) => `netns delete ${name}`).join('\n') + '\n', stdio: ['pipe', 'ignore', 'ignore'] });
    this.createdNamespaces.length = 0;
    if (this.dirCreated) rmSync(this.dir, { recursive: true, force: true });
  }

  /** Synchronous teardown for process 'exit' and signal handlers. Idempotent. */
  teardownSync(): void {
    // An async teardown still waiting for its processes (it leaves liveLabs only when done) is finished here: the
    // process may be exiting (an uncaught error, a signal) before that teardown would have removed anything.
    if (this.tornDown && !liveLabs.has(this)) return;
    this.tornDown = true;
    liveLabs.delete(this);
    for (const p of this.processes) p.killAll();
    for (let i = 0; i < 100 && [...this.processes].some((p) => processAlive(p.pid) && p.running); i++) sleepSync(10);
    this.removeNamespacesAndDir();
  }

  /** Kills every process started here, deletes every namespace with this prefix and the temp dir. Idempotent. */
  async teardown(): Promise<void> {
    if (this.tornDown) return;
    this.tornDown = true;
    const processes = [...this.processes];
    for (const p of processes) p.killAll();
    await Promise.race([Promise.all(processes.map((p) => p.exited)), sleep(5000)]);
    if (!liveLabs.has(this)) return; // teardownSync finished it meanwhile
    liveLabs.delete(this);
    this.removeNamespacesAndDir();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.teardown();
  }

  /** Whether teardown has run. */
  get closed(): boolean {
    return this.tornDown;
  }
}

/**
 * A root-only test. When not root it is skipped (t.skip), unless TANDEM_REQUIRE_LAB=1, where it fails.
 * Every lab created while the test runs and not torn down by it is torn down when it ends, also on failure
 * or on timeout (default 120 s).
 */
export function labTest(name: string, fn: (t: TestContext) => Promise<void>, options: { timeout?: number } = {}): void {
  const timeout = options.timeout ?? 120_000;
  test(name, { timeout: timeout + 10_000 }, async (t) => {
    if (!isRoot()) {
      if (process.env.TANDEM_REQUIRE_LAB === '1') throw new Error('TANDEM_REQUIRE_LAB=1 but not root: the lab needs root (network namespaces)');
      t.skip('needs root (network namespaces); run as root, or set TANDEM_REQUIRE_LAB=1 to make this a failure');
      return;
    }
    const before = new Set(liveLabs);
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        fn(t),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`lab test timed out after ${timeout} ms`)), timeout);
        }),
      ]);
    } finally {
      clearTimeout(timer);
      for (const lab of [...liveLabs]) if (!before.has(lab)) await lab.teardown();
    }
  });
}
