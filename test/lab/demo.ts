/**
 * `npm run demo` (as root): failover as a user sees it. Three tandem nodes with two links each, in network
 * namespaces on this one machine, run a `web` group (the VIP 192.0.2.100 and an nginx that answers with the name
 * of its node); a client namespace asks http://192.0.2.100/ every 20 ms. The screen shows, live, who answers the
 * client, the cluster as a live node sees it, and what happened; keys break the node that holds the group:
 *
 *   k  kill the primary: kill -9 of its tandemd and nginx, both cables out (a dead machine); again: the next one
 *   f  freeze the primary for 3 s (SIGSTOP of tandemd and nginx, then SIGCONT), like a VM pause
 *   s  graceful stop of the primary's tandemd (it stops web, hands it over, leaves)
 *   p  cut the primary off from the other two nodes (nftables; the client still reaches it): it loses quorum and
 *      stops web, the other two keep quorum and take it over
 *   r  restore: reboot the killed nodes, start the stopped ones, resume a frozen one, heal a partition
 *   m  move web to the next live node (`tandem move web NODE`)
 *   w  show `tandem why web` from a live node for a few seconds
 *   q  (or Ctrl-C) quit and remove everything: namespaces, processes, files
 *
 * The primary is the node that holds web now. Live redrawing (ANSI) only when stdout is a terminal, keys only when
 * stdin is one; otherwise the demo prints a plain line a second and every event as it comes.
 * `--seconds N` stops by itself N seconds after the client's first answer; `--script k@4,r@8,m@11` presses keys at
 * those seconds (the same clock), which is how the test keeps this demo working.
 *
 * Network safety: everything runs inside the lab's namespaces with the lab's documentation addresses; nothing is
 * sent from the root namespace; the only processes signalled are the ones this demo started (the lab's, by PID).
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { StatusReport } from '../../src/api/status-report.js';
import { callApi } from '../../src/cli/client.js';
import { colours, formatWhy, plain, type Paint } from '../../src/cli/format-status.js';
import { LabCluster } from './cluster.js';
import { Lab, isRoot } from './lab.js';
import {
  DEFAULT_VIP,
  Prober,
  VipWatcher,
  crashNode,
  groupsYaml,
  nginxAvailable,
  rebootNode,
  runsOn,
  tandemCli,
  webGroup,
  why,
  writeNginxConfig,
  type ProbeRecord,
} from './web.js';

const NODES = ['n1', 'n2', 'n3'];
const CLIENT = 'client';
const GROUP = 'web';
const VIP = DEFAULT_VIP;
const FREEZE_MS = 3000;
const WHY_SHOWN_MS = 8000;
/** Probes shown in the client's strip (20 ms apart: 1.2 s in a terminal; a plain line shows one second, 50). */
const STRIP_TTY = 60;
const STRIP_PLAIN = 50;
/** A probe gives up after 200 ms: probes sent longer ago than this have all finished and can be read in order. */
const SETTLE_MS = 500;
const KEYS = new Set(['k', 'f', 's', 'p', 'r', 'm', 'w', 'q']);
/**
 * Daemon events worth a line in the demo (link-level and probing chatter left out). Group events come from the
 * node they happen on; peer events from every observer, merged into one line.
 */
const SHOWN_EVENTS = new Set([
  'node-started',
  'peer-up',
  'peer-dead',
  'peer-left',
  'peer-restarted',
  'pause-detected',
  'leaving',
  'group-started',
  'group-stopping',
  'group-stopped',
  'group-failed',
  'group-recovering',
  'group-unclean',
  'group-yielded',
  'resource-failed',
  'stray-found',
  'stray-removed',
  'operator-request',
]);

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function message(error: unknown): string {
  return error instanceof Error ? error.message.split('\n')[0] ?? '' : String(error);
}

// ---- terminal ----------------------------------------------------------------------------------------------

const sgr = (code: string) => (text: string) => `\x1b[${code}m${text}\x1b[0m`;
const NODE_COLOURS = [sgr('36'), sgr('35'), sgr('94')];

interface Style extends Paint {
  node(name: string, text?: string): string;
}

function style(colour: boolean): Style {
  const base = colour ? colours : plain;
  return {
    ...base,
    node: (name, text = name) => {
      const i = NODES.indexOf(name);
      const paint = colour && i >= 0 ? NODE_COLOURS[i % NODE_COLOURS.length] : undefined;
      return paint ? paint(text) : text;
    },
  };
}

/** Cuts a line to `width` visible characters, keeping ANSI sequences whole. */
function fit(line: string, width: number): string {
  const ESCAPE = /\x1b\[[0-9;?]*[A-Za-z]/y;
  if (line.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').length <= width) return line;
  let visible = 0;
  let out = '';
  for (let i = 0; i < line.length; ) {
    ESCAPE.lastIndex = i;
    const escape = ESCAPE.exec(line);
    if (escape) {
      out += escape[0];
      i += escape[0].length;
      continue;
    }
    if (visible === width - 1) return out + '…\x1b[0m';
    out += line[i];
    visible++;
    i++;
  }
  return out;
}

// ---- the client's probes -----------------------------------------------------------------------------------

interface Segment {
  node: string;
  fromMs: number;
  toMs: number;
  count: number;
}

/** Reads the prober's JSON lines as they come (from where it stopped last time) and keeps what the screen shows. */
class ClientView {
  private fd: number | undefined;
  private offset = 0;
  private partial = '';
  /** Recently finished probes (by seq), for the strip. */
  private recent: ProbeRecord[] = [];
  /** Finished probes not yet read in send order. */
  private pending: ProbeRecord[] = [];
  total = 0;
  readonly byNode = new Map<string, number>();
  readonly errors = new Map<string, number>();
  readonly segments: Segment[] = [];
  lastGap: string | undefined;
  private lastOk: ProbeRecord | undefined;
  private failedSince = 0;
  private failedKinds = new Map<string, number>();
  private warnedFailing = false;

  constructor(
    private readonly file: string,
    private readonly say: (atMs: number, source: string, text: string) => void,
  ) {}

  read(): void {
    this.fd ??= openSync(this.file, 'r');
    const size = fstatSync(this.fd).size;
    if (size <= this.offset) return;
    const buffer = Buffer.alloc(size - this.offset);
    const got = readSync(this.fd, buffer, 0, buffer.length, this.offset);
    this.offset += got;
    const lines = (this.partial + buffer.subarray(0, got).toString('utf8')).split('\n');
    this.partial = lines.pop() ?? '';
    for (const line of lines) {
      if (!line.startsWith('{')) continue;
      let record: ProbeRecord;
      try {
        record = JSON.parse(line) as ProbeRecord;
      } catch {
        continue;
      }
      this.total++;
      if (record.ok) this.byNode.set(record.node ?? '?', (this.byNode.get(record.node ?? '?') ?? 0) + 1);
      else this.errors.set(record.error ?? '?', (this.errors.get(record.error ?? '?') ?? 0) + 1);
      this.recent.push(record);
      this.pending.push(record);
    }
    this.recent.sort((a, b) => a.seq - b.seq);
    if (this.recent.length > 400) this.recent = this.recent.slice(-200);
  }

  /** Goes through the probes sent before `untilMs` in send order: segments, and events when the answer changes. */
  settle(untilMs: number): void {
    this.pending.sort((a, b) => a.seq - b.seq);
    let done = 0;
    for (const probe of this.pending) {
      if (probe.sentAtWallMs > untilMs) break;
      done++;
      const who = probe.ok ? (probe.node ?? '?') : 'failed';
      const last = this.segments[this.segments.length - 1];
      if (last !== undefined && last.node === who) {
        last.toMs = probe.sentAtWallMs;
        last.count++;
      } else this.segments.push({ node: who, fromMs: probe.sentAtWallMs, toMs: probe.sentAtWallMs, count: 1 });
      if (!probe.ok) {
        this.failedSince++;
        this.failedKinds.set(probe.error ?? '?', (this.failedKinds.get(probe.error ?? '?') ?? 0) + 1);
        if (this.failedSince === 3 && this.lastOk !== undefined && !this.warnedFailing) {
          this.warnedFailing = true;
          this.say(probe.sentAtWallMs, 'client', `no answer (${probe.error ?? '?'}) since ${this.lastOk.node ?? '?'}'s last one`);
        }
        continue;
      }
      const before = this.lastOk;
      if (before === undefined) this.say(probe.sentAtWallMs, 'client', `first answer, from ${probe.node ?? '?'}`);
      else if (this.failedSince > 0 || before.node !== probe.node) {
        const kinds = [...this.failedKinds].map(([error, count]) => `${error} ${count}`).join(', ');
        const gapMs = Math.round(probe.sentAtWallMs + probe.latencyMs - before.sentAtWallMs - before.latencyMs);
        const failed = this.failedSince === 0 ? 'no probe failed' : `${this.failedSince} probe${this.failedSince === 1 ? '' : 's'} failed: ${kinds}`;
        const who = before.node === probe.node ? `${probe.node ?? '?'} answers again` : `${probe.node ?? '?'} answers (was ${before.node ?? '?'})`;
        this.lastGap = `${this.failedSince === 0 ? 'no gap' : `${gapMs} ms without an answer`}, ${before.node ?? '?'} → ${probe.node ?? '?'}`;
        this.say(probe.sentAtWallMs, 'client', `${who}; ${this.failedSince === 0 ? `${gapMs} ms between answers` : `${gapMs} ms without an answer`}, ${failed}`);
      }
      this.lastOk = probe;
      this.failedSince = 0;
      this.failedKinds = new Map();
      this.warnedFailing = false;
    }
    this.pending = this.pending.slice(done);
  }

  /** The last `n` finished probes as characters: the answering node's number, `.` timed out, `x` other failure. */
  strip(s: Style, n: number): string {
    const shown = this.recent.slice(-n);
    return ' '.repeat(n - shown.length) + shown
      .map((probe) => {
        if (!probe.ok) return s.red(probe.error === 'timeout' ? '.' : 'x');
        const node = probe.node ?? '?';
        return s.node(node, node.replace(/^\D+/, '').slice(-1) || '?');
      })
      .join('');
  }

  /** Who answers now: the last finished probe. */
  now(s: Style): string {
    const last = this.recent[this.recent.length - 1];
    if (last === undefined) return s.dim('no probe yet');
    if (last.ok) return `answered by ${s.bold(s.node(last.node ?? '?'))} ${s.dim(`${last.latencyMs.toFixed(1)} ms`)}`;
    const since = this.lastOk === undefined ? '' : ` for ${Math.max(0, Date.now() - this.lastOk.sentAtWallMs)} ms`;
    return s.red(`no answer${since} (${last.error ?? '?'})`);
  }

  counts(s: Style): string {
    const answers = NODES.map((node) => `${s.node(node)} ${this.byNode.get(node) ?? 0}`).join('  ');
    const failed = [...this.errors.values()].reduce((a, b) => a + b, 0);
    const kinds = [...this.errors].map(([error, count]) => `${error} ${count}`).join(', ');
    return `answers ${answers}   ${failed > 0 ? s.red(`failed ${failed}`) : 'failed 0'}${kinds ? s.dim(` (${kinds})`) : ''}`;
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}

// ---- events ------------------------------------------------------------------------------------------------

interface DemoEvent {
  readonly atMs: number;
  /** 'demo', 'client', 'vip', or the nodes that reported it. */
  sources: string[];
  readonly kind: string;
  readonly subject: string;
  readonly text: string;
}

class EventLog {
  readonly events: DemoEvent[] = [];
  private readonly seen = new Set<string>();
  private printed = 0;

  add(atMs: number, source: string, text: string, kind = source, subject = ''): void {
    this.insert({ atMs, sources: [source], kind, subject, text });
  }

  /** A daemon's event, seen by `observer`: merged with the same event reported by another node around then. */
  addDaemon(observer: string, event: StatusReport['events'][number]): void {
    const key = `${observer}|${event.wallTime}|${event.kind}|${event.node ?? ''}|${event.group ?? ''}|${event.reason}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    if (!SHOWN_EVENTS.has(event.kind)) return;
    const atMs = Date.parse(event.wallTime);
    const subject = event.group ?? event.node ?? '';
    if (event.kind.startsWith('peer-')) {
      const same = this.events.find((other) => other.kind === event.kind && other.subject === subject && !other.sources.includes(observer) && Math.abs(other.atMs - atMs) < 2000);
      if (same !== undefined) {
        same.sources = [...same.sources, observer].sort();
        return;
      }
    }
    this.insert({ atMs, sources: [observer], kind: event.kind, subject, text: `${event.kind}${subject ? ` ${subject}` : ''}: ${event.reason}` });
  }

  private insert(event: DemoEvent): void {
    let i = this.events.length;
    while (i > this.printed && (this.events[i - 1]?.atMs ?? 0) > event.atMs) i--;
    this.events.splice(i, 0, event);
  }

  /** The events up to `untilMs` not printed yet (plain output), in time order. */
  takeNew(untilMs = Infinity): DemoEvent[] {
    let end = this.printed;
    while (end < this.events.length && (this.events[end]?.atMs ?? 0) <= untilMs) end++;
    const out = this.events.slice(this.printed, end);
    this.printed = end;
    return out;
  }
}

function eventLine(s: Style, event: DemoEvent, originMs: number): string {
  const at = s.dim(`${relative(event.atMs, originMs).padStart(7)}`);
  const source = event.sources.map((name) => (NODES.includes(name) ? s.node(name) : name)).join(',');
  let text = event.text;
  if (event.kind === 'peer-dead' || event.kind === 'group-failed' || event.kind === 'resource-failed' || event.kind === 'group-unclean') text = s.red(text);
  else if (event.kind === 'group-started' || event.kind === 'peer-up') text = s.green(text);
  else if (event.kind === 'pause-detected' || event.kind === 'group-yielded' || event.kind === 'peer-left' || event.kind === 'leaving') text = s.yellow(text);
  else if (event.kind === 'demo') text = s.bold(text);
  return `${at}  ${source}: ${text}`;
}

/**
 * `tandem why` cut to `max` lines: the summary (down to the first empty line), then the newest steps of the story
 * (two lines each) that fit.
 */
function whyLines(text: string, max: number): string[] {
  const lines = text.replace(/\n$/, '').split('\n');
  const blank = lines.indexOf('');
  if (blank < 0 || lines.length <= max) return lines.slice(0, max);
  const head = lines.slice(0, blank + 1);
  const story = lines.slice(blank + 1);
  const room = Math.max(2, max - head.length - 1);
  const kept = story.slice(-(room - (room % 2)));
  const steps = (story.length - kept.length) / 2;
  return [...head, `… ${steps} earlier step${steps === 1 ? '' : 's'}`, ...kept];
}

function relative(atMs: number, originMs: number): string {
  const seconds = (atMs - originMs) / 1000;
  return `${seconds < 0 ? '-' : '+'}${Math.abs(seconds).toFixed(2)}s`;
}

// ---- the demo ----------------------------------------------------------------------------------------------

/** Ctrl-C (or SIGTERM) while the cluster is still starting. */
class Interrupted extends Error {}

type Fate = 'live' | 'killed' | 'stopped' | 'frozen' | 'partitioned';

interface ScriptedKey {
  readonly key: string;
  readonly atSeconds: number;
}

function parseScript(text: string | undefined): ScriptedKey[] {
  if (text === undefined || text.trim() === '') return [];
  return text.split(',').map((item) => {
    const match = /^\s*([a-z])@(\d+(?:\.\d+)?)\s*$/.exec(item);
    if (!match || !KEYS.has(match[1] ?? '')) throw new Error(`--script: ${JSON.stringify(item)} is not KEY@SECONDS with a key of ${[...KEYS].join(', ')} (e.g. k@4,r@8,m@11)`);
    return { key: match[1] as string, atSeconds: Number(match[2]) };
  });
}

const USAGE = 'usage: demo [--seconds N] [--script KEY@S,…]   keys: k kill, f freeze, s stop, p partition, r restore, m move, w why, q quit';

async function main(): Promise<number> {
  let values: { seconds?: string; script?: string; help?: boolean };
  let script: ScriptedKey[];
  try {
    values = parseArgs({ options: { seconds: { type: 'string' }, script: { type: 'string' }, help: { type: 'boolean', short: 'h' } } }).values;
    script = parseScript(values.script);
    if (values.seconds !== undefined && !(Number(values.seconds) > 0)) throw new Error(`--seconds must be a positive number, not ${JSON.stringify(values.seconds)}`);
  } catch (error) {
    process.stderr.write(`${message(error)}\n${USAGE}\n`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (!isRoot()) {
    process.stderr.write('The demo builds network namespaces and needs root: sudo npm run demo\n');
    return 2;
  }
  if (!nginxAvailable()) {
    process.stderr.write('The demo runs nginx as the clustered service: apt-get install nginx-light (or nginx)\n');
    return 2;
  }
  const live = process.stdout.isTTY === true;
  const s = style(live && !process.env.NO_COLOR);
  const keysFromTerminal = process.stdin.isTTY === true;
  const out = (text: string): void => {
    process.stdout.write(text);
  };

  let stopping = false;
  let wake: (() => void) | undefined;
  let terminalTaken = false;
  const releaseTerminal = (): void => {
    if (!terminalTaken) return;
    terminalTaken = false;
    try {
      if (keysFromTerminal) {
        process.stdin.setRawMode(false);
        process.stdin.pause();
      }
    } catch {
      // stdin already gone
    }
    if (live) process.stdout.write('\x1b[?25h\x1b[?1049l');
  };
  const stop = (): void => {
    stopping = true;
    // Give the terminal back at once: a second Ctrl-C is then a real SIGINT, which the lab answers by tearing down.
    releaseTerminal();
    wake?.();
  };
  process.on('exit', releaseTerminal);
  // The first signal stops the demo in order (summary, then teardown); a second one, while it stops, goes to the
  // lab's own handler (which tears down at once and dies of the signal). That handler acts only when it is the
  // last listener: this one stays registered until then.
  const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (!stopping) return stop();
    for (const name of SIGNALS) process.removeListener(name, onSignal);
    process.kill(process.pid, signal);
  };
  for (const name of SIGNALS) process.on(name, onSignal);

  const lab = await Lab.create({ nodes: NODES, links: 2, clients: [CLIENT] });
  const timers = new Set<NodeJS.Timeout>();
  let client: ClientView | undefined;
  try {
    const nginx = writeNginxConfig(lab);
    // failback manual (heartbeat's auto_failback off): a node that comes back does not take web back, so rebooting
    // the crashed primary (r) costs the client nothing, and every handover on screen is the answer to one key:
    // a crash, a freeze, a stop, or the operator's `m`. With auto, each r would be followed by a second handover.
    const group = webGroup(lab, { nodes: NODES, nginx, failback: 'manual' });
    out(`lab ${lab.prefix}: ${NODES.length} nodes, links lan (192.0.2.0/24, unicast) and backup (198.51.100.0/24, broadcast), client ${CLIENT}\n`);
    out(`group ${GROUP}: VIP ${VIP} on eth0 + nginx answering with its node's name, may run on ${NODES.join(' > ')}, failback manual\n`);
    // The watcher first, so it sees every change of the VIP (startWebCluster, with text logs for people to read).
    const watcher = await VipWatcher.start(lab, NODES, [VIP]);
    const cluster = new LabCluster(lab, { nodes: NODES, logFormat: 'text', extraYaml: groupsYaml(group) });
    cluster.startAll();
    for (const node of NODES) out(`  ${node}: tandem --socket ${cluster.socket(node)} status    (log: ${cluster.process(node).logFile})\n`);
    out('starting tandemd on every node…\n');
    const unlessStopped = (check: () => Promise<boolean>) => (): Promise<boolean> => {
      if (stopping) throw new Interrupted('interrupted while starting');
      return check();
    };
    await cluster.waitFor('every node sees every other up', unlessStopped(() => cluster.allUp()), 20_000);
    await cluster.waitFor(`${GROUP} runs on n1, as everyone agrees`, unlessStopped(() => runsOn(cluster, 'n1', ['n2', 'n3'], GROUP)), 20_000);
    const prober = Prober.start(lab, CLIENT, { target: VIP, maxMs: 7 * 24 * 3600 * 1000 });
    const firstAnswer = await prober.waitForAnswerFrom('n1', 0, 15_000);
    const origin = firstAnswer.sentAtWallMs;
    out(`ready: ${GROUP} runs on n1 and answers the client${script.length > 0 ? `; script ${script.map((k) => `${k.key}@${k.atSeconds}`).join(',')}` : ''}\n`);

    const events = new EventLog();
    const say = (atMs: number, source: string, text: string): void => events.add(atMs, source, text);
    const demo = (text: string): void => events.add(Date.now(), 'demo', text, 'demo');
    client = new ClientView(prober.process.logFile, say);
    const view = client;

    // ---- what we know and what the nodes say ----
    const fate = new Map<string, Fate>(NODES.map((node) => [node, 'live']));
    const reports = new Map<string, { report: StatusReport; atMs: number }>();
    const holderHistory: string[] = [];
    const freezes: { node: string; fromMs: number; toMs: number }[] = [];
    const resume = (node: string): void => {
      cluster.process(node).kill('SIGCONT');
      fate.set(node, 'live');
      const freeze = [...freezes].reverse().find((entry) => entry.node === node);
      if (freeze !== undefined) freeze.toMs = Date.now();
    };
    const liveNodes = (): string[] => NODES.filter((node) => fate.get(node) === 'live');
    const fresh = (node: string): StatusReport | undefined => {
      const entry = reports.get(node);
      return entry !== undefined && fate.get(node) === 'live' && Date.now() - entry.atMs < 2500 ? entry.report : undefined;
    };
    const viewer = (): string | undefined => NODES.find((node) => fresh(node) !== undefined);
    const groupOf = (report: StatusReport | undefined) => report?.groups.find((entry) => entry.name === GROUP);
    /** The node that holds web: as the live nodes say, else whoever has the VIP; never one we broke. */
    const primary = (): string | undefined => {
      const seen = viewer();
      const holders = groupOf(seen === undefined ? undefined : fresh(seen))?.holders ?? [];
      return [...holders, ...watcher.holders(VIP)].find((node) => fate.get(node) === 'live');
    };

    const poll = async (): Promise<void> => {
      await Promise.all(
        liveNodes().map(async (node) => {
          try {
            const report = (await callApi<StatusReport>(cluster.socket(node), 'GET', '/v1/status', 800)).body;
            reports.set(node, { report, atMs: Date.now() });
            for (const event of report.events) events.addDaemon(node, event);
          } catch {
            // starting, stopping or just killed: not a view
          }
        }),
      );
      const seen = viewer();
      const holders = groupOf(seen === undefined ? undefined : fresh(seen))?.holders ?? [];
      if (holders.length > 0) {
        const now = holders.join('+');
        if (holderHistory[holderHistory.length - 1] !== now) holderHistory.push(now);
      }
    };
    const poller = (async () => {
      while (!stopping) {
        await poll();
        await sleep(300);
      }
    })();

    /** Who has the VIP: the reachable nodes, and (apart) crashed ones whose kernel still has it behind pulled cables. */
    const vipText = (): string => {
      const holders = watcher.holders(VIP);
      const reachable = holders.filter((node) => fate.get(node) !== 'killed');
      const crashed = holders.filter((node) => fate.get(node) === 'killed');
      const text = reachable.length === 0 ? 'nowhere reachable' : reachable.length > 1 ? s.red(`${reachable.join(' + ')}!`) : reachable.map((node) => s.node(node)).join('');
      const frozen = reachable.length > 1 ? reachable.filter((node) => fate.get(node) === 'frozen') : [];
      return (
        text +
        (frozen.length > 0 ? s.yellow(` (${frozen.join(', ')} frozen: its kernel keeps the VIP until tandemd runs again and yields it)`) : '') +
        (crashed.length > 0 ? s.dim(` (and crashed ${crashed.join(', ')}, unreachable)`) : '')
      );
    };
    const vipSeen = new Set<string>();
    const readVip = (): void => {
      for (const event of watcher.events()) {
        const key = `${event.node}|${event.wallMs}|${event.kind}|${event.address}`;
        if (vipSeen.has(key)) continue;
        vipSeen.add(key);
        events.add(event.wallMs, 'vip', `${event.address} ${event.kind === 'add' ? 'added on' : 'deleted from'} ${s.node(event.node)}`, 'vip');
      }
    };

    // ---- keys ----
    let whyText: { text: string; untilMs: number } | undefined;
    /** Plain output: lines waiting to be printed in time order with the events. */
    const plainLines: { atMs: number; text: string }[] = [];
    const flushPlain = (untilMs: number): void => {
      const due = [
        ...events.takeNew(untilMs).map((event) => ({ atMs: event.atMs, text: eventLine(s, event, origin) })),
        ...plainLines.filter((line) => line.atMs <= untilMs),
      ].sort((a, b) => a.atMs - b.atMs);
      for (let i = plainLines.length - 1; i >= 0; i--) if ((plainLines[i]?.atMs ?? 0) <= untilMs) plainLines.splice(i, 1);
      for (const line of due) out(`${line.text}\n`);
    };
    let queue: Promise<void> = Promise.resolve();
    const refuseLast = (node: string, what: string): boolean => {
      if (liveNodes().length > 1) return false;
      demo(`${node} is the last live node: not ${what} it (r restores the others)`);
      return true;
    };
    const act = async (key: string): Promise<void> => {
      switch (key) {
        case 'k': {
          const node = primary();
          if (node === undefined) return demo('k: no live node holds web right now');
          if (refuseLast(node, 'killing')) return;
          fate.set(node, 'killed');
          demo(`k: ${node} crashes: kill -9 of its tandemd and nginx, both cables out`);
          await crashNode(cluster, watcher, node);
          return;
        }
        case 'f': {
          const node = primary();
          if (node === undefined) return demo('f: no live node holds web right now');
          fate.set(node, 'frozen');
          freezes.push({ node, fromMs: Date.now(), toMs: Infinity });
          cluster.process(node).kill('SIGSTOP');
          demo(`f: ${node} freezes for ${FREEZE_MS / 1000} s (SIGSTOP of tandemd and nginx; its kernel still has the VIP)`);
          const timer = setTimeout(() => {
            timers.delete(timer);
            if (stopping || fate.get(node) !== 'frozen') return;
            resume(node);
            demo(`${node} resumes (SIGCONT) after ${FREEZE_MS / 1000} s`);
          }, FREEZE_MS);
          timers.add(timer);
          return;
        }
        case 's': {
          const node = primary();
          if (node === undefined) return demo('s: no live node holds web right now');
          if (refuseLast(node, 'stopping')) return;
          fate.set(node, 'stopped');
          const proc = cluster.process(node);
          demo(`s: ${node}'s tandemd stops gracefully (SIGTERM): it stops web, then leaves`);
          proc.kill('SIGTERM');
          const exited = await Promise.race([proc.exited, sleep(20_000).then(() => undefined)]);
          demo(exited === undefined ? `${node}'s tandemd has not exited after 20 s` : `${node}'s tandemd exited with code ${exited.code ?? exited.signal}`);
          return;
        }
        case 'p': {
          const node = primary();
          if (node === undefined) return demo('p: no live node holds web right now');
          const others = liveNodes().filter((other) => other !== node);
          if (others.length < 2) return demo(`p: a 2|1 split needs the other two nodes live (r restores them)`);
          fate.set(node, 'partitioned');
          await lab.partition([[node], others]);
          demo(`p: ${node} is cut off from ${others.join(' and ')} (the client still reaches it): 1 of 3 votes, it stops web; the other two take it over`);
          return;
        }
        case 'r': {
          const broken = NODES.filter((node) => fate.get(node) !== 'live');
          if (broken.length === 0) return demo('r: nothing to restore, every node is live');
          for (const node of broken) {
            const was = fate.get(node);
            if (was === 'killed') {
              demo(`r: ${node} reboots: VIP and neighbour cache forgotten, cables in, tandemd starts`);
              await rebootNode(cluster, watcher, node);
            } else if (was === 'stopped') {
              demo(`r: ${node}'s tandemd starts again`);
              cluster.start(node);
            } else if (was === 'frozen') {
              demo(`r: ${node} resumes early (SIGCONT)`);
              resume(node);
            } else if (was === 'partitioned') {
              demo(`r: the partition heals: ${node} hears the others again and stays without web (no flapping)`);
              await lab.heal();
            }
            fate.set(node, 'live');
          }
          return;
        }
        case 'm': {
          const holder = primary();
          if (holder === undefined) return demo('m: no live node holds web right now');
          const seen = viewer();
          const up = (node: string): boolean => fate.get(node) === 'live' && (node === seen || fresh(seen ?? '')?.nodes.find((entry) => entry.name === node)?.state === 'up');
          const start = NODES.indexOf(holder);
          const target = [1, 2].map((step) => NODES[(start + step) % NODES.length] as string).find(up);
          if (target === undefined) return demo(`m: no other live node to move web to (r restores the others)`);
          const result = await tandemCli(cluster, holder, ['move', GROUP, target]);
          demo(`m: ${holder}$ tandem move ${GROUP} ${target} → ${(result.stdout + result.stderr).trim() || `exit ${result.code}`}`);
          return;
        }
        case 'w': {
          const asked = primary() ?? liveNodes()[0];
          if (asked === undefined) return demo('w: no live node to ask');
          const report = await why(cluster, asked, GROUP);
          const text = `${s.bold(`tandem why ${GROUP}`)}, asked on ${asked}${live ? s.dim(` (for ${WHY_SHOWN_MS / 1000} s)`) : ''}:\n${formatWhy(report, s)}`;
          if (live) whyText = { text, untilMs: Date.now() + WHY_SHOWN_MS };
          else plainLines.push({ atMs: Date.now(), text: whyLines(text, 24).map((line) => `         | ${line}`).join('\n') });
          return;
        }
      }
    };
    const press = (raw: string, from: string): void => {
      const key = raw.toLowerCase();
      if (key === 'q' || raw === '\x03') return stop();
      if (!KEYS.has(key) || stopping) return;
      queue = queue.then(() => act(key)).catch((error: unknown) => {
        if (!stopping) demo(`${key} failed: ${message(error)}`);
      });
    };

    if (keysFromTerminal) {
      process.stdin.setRawMode(true);
      process.stdin.setEncoding('utf8');
      process.stdin.on('data', (chunk: string) => {
        for (const char of chunk) press(char, 'terminal');
      });
      process.stdin.resume();
    }
    if (live) process.stdout.write('\x1b[?1049h\x1b[?25l');
    terminalTaken = keysFromTerminal || live;
    for (const { key, atSeconds } of script) {
      const timer = setTimeout(() => {
        timers.delete(timer);
        press(key, 'script');
      }, Math.max(0, origin + atSeconds * 1000 - Date.now()));
      timers.add(timer);
    }

    // ---- drawing ----
    const nodeRow = (node: string, seen: StatusReport | undefined): string => {
      const own = fresh(node);
      const state = node === seen?.node ? 'up' : (seen?.nodes.find((entry) => entry.name === node)?.state ?? '?');
      const stateText = state === 'up' ? s.green(state.padEnd(7)) : state === 'dead' ? s.red(state.padEnd(7)) : s.yellow(state.padEnd(7));
      const what = fate.get(node);
      const note =
        what === 'killed' ? s.red('crashed: kill -9, cables out (r reboots it)')
        : what === 'stopped' ? s.yellow('tandemd stopped (r starts it)')
        : what === 'frozen' ? s.yellow('frozen: SIGSTOP (resumes by itself)')
        : own === undefined ? s.dim('not answering yet')
        : '';
      const phase = groupOf(own)?.phase;
      const web = phase === undefined ? '' : phase === 'running' ? s.green(`${GROUP} running`) : phase === 'stopped' ? s.dim(`${GROUP} stopped`) : s.yellow(`${GROUP} ${phase}`);
      const vip = !watcher.holders(VIP).includes(node) ? '' : what === 'killed' ? s.dim(`has ${VIP} (unreachable)`) : s.bold(`has ${VIP}`);
      return `  ${s.node(node, node.padEnd(4))}${stateText}${[web, vip, note].filter(Boolean).join('   ')}`;
    };
    const groupRow = (seen: StatusReport | undefined): string => {
      const entry = groupOf(seen);
      if (entry === undefined) return `  ${GROUP}: ${s.dim('no live node answers')}`;
      const runs = entry.holders.length === 0 ? s.yellow('runs nowhere right now') : entry.holders.length > 1 ? s.red(`runs on ${entry.holders.join(' + ')}!`) : `runs on ${s.bold(s.node(entry.holders[0] ?? '?'))}`;
      const failures = Object.entries(entry.failCounts).filter(([, count]) => count > 0).map(([node, count]) => `${node}:${count}`).join(' ');
      const parts = [
        runs,
        entry.target !== null && !entry.holders.includes(entry.target) ? `should run on ${entry.target}` : undefined,
        entry.target === null ? s.red('can run nowhere') : undefined,
        entry.pinnedTo !== null ? `moved to ${entry.pinnedTo} by the operator` : undefined,
        entry.blockedBy !== null ? s.yellow(`waiting: ${entry.blockedBy}`) : undefined,
        failures ? s.red(`failures ${failures}`) : undefined,
      ].filter((part) => part !== undefined);
      if (watcher.holders(VIP).filter((node) => fate.get(node) !== 'killed').length > 1) parts.push(`VIP on ${vipText()}`);
      return `  ${s.bold(GROUP)}: ${parts.join(' · ')}`;
    };
    const draw = (): void => {
      const width = Math.max(40, process.stdout.columns ?? 100);
      const height = Math.max(20, process.stdout.rows ?? 30);
      const seenBy = viewer();
      const seen = seenBy === undefined ? undefined : fresh(seenBy);
      const lines: string[] = [];
      lines.push(`${s.bold('tandem failover demo')}   lab ${lab.prefix}   ${relative(Date.now(), origin)}   ${GROUP} = VIP ${VIP} + nginx on ${NODES.join(' > ')}, failback manual`);
      lines.push('');
      lines.push(`${s.bold('client')}  GET http://${VIP}/ every 20 ms from namespace ${CLIENT}   ${s.dim('1 2 3: answered by n1 n2 n3   . timed out   x refused/failed')}`);
      lines.push(`  [${view.strip(s, STRIP_TTY)}]  ${view.now(s)}`);
      lines.push(`  ${view.counts(s)}${view.lastGap ? `   last change: ${view.lastGap}` : ''}`);
      lines.push('');
      lines.push(`${s.bold('cluster')}  ${seenBy === undefined ? s.red('no live node answers') : `as ${s.node(seenBy)} sees it (tandem status)`}`);
      for (const node of NODES) lines.push(nodeRow(node, seen));
      lines.push(groupRow(seen));
      lines.push('');
      const room = Math.max(3, height - lines.length - 4);
      if (whyText !== undefined && Date.now() < whyText.untilMs) {
        lines.push(...whyLines(whyText.text, room + 1));
      } else {
        lines.push(s.bold('events'));
        for (const event of events.events.slice(-room)) lines.push(`  ${eventLine(s, event, origin)}`);
      }
      lines.push('');
      lines.push(s.dim('k kill primary   f freeze primary 3 s   s stop primary\'s tandemd   r restore   m move web   w why   q quit'));
      process.stdout.write('\x1b[H' + lines.map((line) => fit(line, width) + '\x1b[K').join('\n') + '\x1b[J');
    };
    const printPlain = (): void => {
      const seenBy = viewer();
      const seen = seenBy === undefined ? undefined : fresh(seenBy);
      const nodes = NODES.map((node) => {
        const state = node === seen?.node ? 'up' : (seen?.nodes.find((entry) => entry.name === node)?.state ?? '?');
        const what = fate.get(node);
        return `${node} ${state}${what === 'live' ? '' : ` [${what}]`}`;
      }).join(' ');
      const entry = groupOf(seen);
      const holder = entry?.holders[0];
      const phase = holder === undefined ? undefined : groupOf(fresh(holder))?.phase;
      const web = entry === undefined ? '?' : entry.holders.length === 0 ? 'nowhere' : `${entry.holders.join('+')}${phase ? ` ${phase}` : ''}`;
      const now = Date.now();
      plainLines.push({ atMs: now, text: `${relative(now, origin).padStart(7)}  client [${view.strip(s, STRIP_PLAIN)}] ${view.now(s)} | ${nodes}${seenBy ? ` (as ${seenBy} sees it)` : ''} | ${GROUP} on ${web} | VIP on ${vipText()}` });
      // Events come late (probes are read in order once finished, daemons are asked every 300 ms): print what is
      // older than a second, so the output stays in time order.
      flushPlain(now - 1000);
    };

    // ---- the loop ----
    const deadline = values.seconds !== undefined ? origin + Number(values.seconds) * 1000 : Infinity;
    const tick = live ? 200 : 1000;
    let nextPlain = Date.now() + tick;
    while (!stopping && Date.now() < deadline) {
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, Math.max(0, Math.min(live ? tick : nextPlain - Date.now(), deadline - Date.now())));
      });
      wake = undefined;
      view.read();
      view.settle(Date.now() - SETTLE_MS);
      readVip();
      if (live && !stopping) draw();
      else if (!live && Date.now() >= nextPlain - 5) {
        printPlain();
        nextPlain += tick;
      }
    }
    stopping = true;
    releaseTerminal();
    for (const timer of timers) clearTimeout(timer);
    // What is left: the probes in flight, the last status, the actions under way.
    await prober.stop();
    view.read();
    view.settle(Infinity);
    await Promise.race([poller, sleep(2000)]);
    await poll().catch(() => undefined);
    await Promise.race([queue, sleep(3000)]);
    readVip();
    if (!live) flushPlain(Infinity);

    // ---- summary ----
    const overlaps = watcher.overlaps();
    const failed = [...view.errors.values()].reduce((a, b) => a + b, 0);
    out(`\nsummary after ${relative(Date.now(), origin)}:\n`);
    out(`  client: ${view.total} probes, answers ${NODES.map((node) => `${node} ${view.byNode.get(node) ?? 0}`).join(', ')}; failed ${failed}${failed > 0 ? ` (${[...view.errors].map(([error, count]) => `${error} ${count}`).join(', ')})` : ''}\n`);
    out(`  answered, in order: ${view.segments.map((segment) => `${segment.node} ×${segment.count} (${relative(segment.fromMs, origin)}..${relative(segment.toMs, origin)})`).join(', ')}\n`);
    out(`  ${GROUP} ran on: ${holderHistory.join(' → ') || 'nowhere'}\n`);
    out(
      `  ${VIP} on two reachable nodes at once: ${
        overlaps.splitBrain.length === 0
          ? 'never'
          : overlaps.splitBrain
              .map((overlap) => {
                const frozen = freezes.filter((freeze) => overlap.nodes.includes(freeze.node) && freeze.fromMs < overlap.toMs && overlap.fromMs < freeze.toMs).map((freeze) => freeze.node);
                const why = frozen.length > 0 ? ` (${[...new Set(frozen)].join(', ')} was frozen: its kernel kept the VIP until its tandemd ran again and yielded; only fencing prevents that)` : '';
                return `${overlap.nodes.join(' + ')} for ${Math.round(overlap.toMs - overlap.fromMs)} ms at ${relative(overlap.fromMs, origin)}${why}`;
              })
              .join('; ')
      }\n`,
    );
    return 0;
  } catch (error) {
    if (!(error instanceof Interrupted)) throw error;
    out('interrupted\n');
    return 130;
  } finally {
    stopping = true;
    releaseTerminal();
    for (const timer of timers) clearTimeout(timer);
    client?.close();
    out(`removing lab ${lab.prefix}…\n`);
    await lab.teardown();
    out('removed.\n');
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`demo: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
