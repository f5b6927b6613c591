/**
 * A deterministic world: N real membership cores under a simulated clock, connected by a simulated network that
 * carries real encoded bytes through the real codec and replay guard, with a seeded fault injector and an attacker.
 *
 * Phases: faults (loss, delay, duplication, reordering, partitions, link outages, crashes and restarts, pauses,
 * graceful leaves, congestion, loss bursts), then liveness (everything healed, every paused node resumed, each down
 * node restarted or left down) in which membership must agree within `convergenceBoundMs`. The attacker (forged,
 * replayed, cross-link and mutated packets) runs in both phases. Checkers run after every step (see checkers.ts).
 *
 * Invariants:
 *   1. Everything random comes from the seed: one `SeededRandom`, forked per concern in a fixed order.
 *   2. A node's core sees only what the daemon would give it: inputs with `now`, and messages that passed the
 *      receive path (decode, link check, guard).
 *   3. Bounded: CAPTURED_PACKETS_MAX captured packets, PAUSE_BUFFER_PACKETS_MAX datagrams queued for a paused node.
 */
import { Membership } from '../core/membership.js';
import {
  instant,
  linkName,
  nodeName,
  type CoreAction,
  type CoreInput,
  type LinkName,
  type MembershipConfig,
  type MembershipView,
  type Message,
  type NodeName,
  type PeerState,
  type StepOutput,
} from '../core/types.js';
import type { KeyRing } from '../config/model.js';
import { SeededRandom } from '../lib/random.js';
import { encodePacket, type DropReason } from '../wire/codec.js';
import { ReceiveGuard } from '../wire/receive-guard.js';
import { checkAgreement, checkNoEarlyDeath, checkPersisted, SimFailure, type CheckerId } from './checkers.js';
import { FAULT_KINDS, convergenceBoundMs, faultPhaseMs, type FaultKind, type SimKnobs } from './knobs.js';
import { receivePacket, type Received } from '../wire/receive-path.js';
import { Scheduler } from './scheduler.js';

/** Recently sent packets the attacker can replay or mutate. */
export const CAPTURED_PACKETS_MAX = 128;
/** Datagrams a paused node's socket buffer holds; later ones are lost, as with a full kernel buffer. */
export const PAUSE_BUFFER_PACKETS_MAX = 256;
/** The daemon sends a leave this many times per link (LEAVE_REPEATS in src/daemon/driver.ts). */
const LEAVE_REPEATS = 3;
const CLUSTER = 'sim';
const LINK_NAMES = ['lan', 'backup', 'storage', 'link3', 'link4'];
const WALL_EPOCH_MS = 1_760_000_000_000;

/** Deliberately broken variants, to prove each checker bites. */
export type BrokenVariant = 'dead-too-early' | 'no-replay-guard' | 'silent-after-pause';
export const BROKEN_VARIANTS: readonly BrokenVariant[] = ['dead-too-early', 'no-replay-guard', 'silent-after-pause'];

export interface WorldOptions {
  readonly broken?: BrokenVariant;
  readonly trace?: (line: string) => void;
}

export interface SimStats {
  readonly seed: number;
  readonly nodes: number;
  readonly links: number;
  readonly simulatedMs: number;
  readonly events: number;
  readonly packetsSent: number;
  readonly packetsHandedToCores: number;
  readonly drops: Readonly<Record<string, number>>;
  readonly faults: Readonly<Record<string, number>>;
  readonly attacks: number;
  readonly peerDeadEvents: number;
  readonly pausesDetected: number;
  readonly restarts: number;
  readonly convergenceBoundMs: number;
  /** Time from the end of faults until every live node agreed (first check that passed). */
  readonly convergedAfterMs: number | undefined;
}

interface SimCore {
  step(input: CoreInput): StepOutput;
  view(): MembershipView;
}

interface Packet {
  readonly bytes: Buffer;
  readonly link: LinkName;
  readonly from: NodeName;
  /** `node#incarnation` of every receiver whose guard admitted this packet. */
  readonly admittedBy: Set<string>;
}

interface SimNode {
  readonly name: NodeName;
  readonly index: number;
  readonly links: readonly LinkName[];
  readonly config: MembershipConfig;
  readonly sendKeyId: number;
  core: SimCore | undefined;
  incarnation: number;
  /** Persisted boot generation; incremented at every start. */
  generation: number;
  guard: ReceiveGuard;
  /** What the daemon persists from the guard, to refuse older boots after a restart. */
  persistedGenerations: ReadonlyMap<NodeName, number>;
  sendSeq: Map<LinkName, number>;
  timerToken: number;
  /** The instant the current timer is armed for, so an unchanged wakeAt does not queue another event. */
  armedAt: number | undefined;
  paused: { readonly id: number; readonly timerFirst: boolean } | undefined;
  buffered: Packet[];
  leaving: boolean;
  persisted: Readonly<Record<string, PeerState>> | undefined;
  lastHeartbeatHandedAtMs: Map<NodeName, number>;
}

type SimEvent =
  | { readonly kind: 'deliver'; readonly packet: Packet; readonly to: SimNode; readonly link: LinkName }
  | { readonly kind: 'timer'; readonly node: SimNode; readonly token: number }
  | { readonly kind: 'call'; readonly run: () => void };

interface Cut {
  readonly link: LinkName | undefined;
  /** Directed pairs `from>to` (node indexes) that cannot reach each other. */
  readonly pairs: ReadonlySet<string>;
}

export class World {
  private readonly scheduler: Scheduler<SimEvent>;
  private readonly nodes: SimNode[] = [];
  private readonly linkNames: LinkName[];
  private readonly ring: KeyRing;
  private readonly netRandom: SeededRandom;
  private readonly faultRandom: SeededRandom;
  private readonly attackRandom: SeededRandom;
  private readonly cuts = new Set<Cut>();
  private readonly linkDown = new Map<string, number>();
  private readonly lossBursts = new Map<LinkName, number[]>();
  private readonly congestion = new Map<LinkName, number[]>();
  private readonly captured: Packet[] = [];
  private readonly faultEndMs: number;
  private readonly boundMs: number;
  private phase: 'faults' | 'liveness' = 'faults';
  private nextPauseId = 1;
  private convergedAtMs: number | undefined;
  private readonly stats = {
    packetsSent: 0,
    packetsHandedToCores: 0,
    drops: {} as Record<string, number>,
    faults: {} as Record<string, number>,
    attacks: 0,
    peerDeadEvents: 0,
    pausesDetected: 0,
    restarts: 0,
  };

  constructor(
    private readonly knobs: SimKnobs,
    private readonly options: WorldOptions = {},
  ) {
    const random = new SeededRandom(knobs.seed ^ 0x5eed);
    this.netRandom = random.fork(1);
    this.faultRandom = random.fork(2);
    this.attackRandom = random.fork(3);
    const setupRandom = random.fork(4);
    // Simulated events per simulated second stay far below this for any sane knobs.
    this.scheduler = new Scheduler(Math.max(100_000, Math.ceil(knobs.simulatedMs * 50)));
    this.linkNames = LINK_NAMES.slice(0, knobs.links).map(linkName);
    const secret = (salt: number): Buffer => Buffer.from(`sim-${knobs.seed}-${salt}-0123456789abcdef`, 'utf8');
    this.ring = { keys: [{ id: 1, secret: secret(1) }, { id: 2, secret: secret(2) }], sendKeyId: 1 };
    this.faultEndMs = faultPhaseMs(knobs);
    this.boundMs = convergenceBoundMs(knobs);
    const names = Array.from({ length: knobs.nodes }, (_, i) => nodeName(`node${i + 1}`));
    const nodeLinks = names.map((_, i) => (i === knobs.nodeMissingLastLink ? this.linkNames.slice(0, -1) : this.linkNames));
    const clusterNodes = names.map((name, i) => ({ name, links: nodeLinks[i] ?? [] }));
    for (const [index, name] of names.entries()) {
      this.nodes.push({
        name,
        index,
        links: nodeLinks[index] ?? [],
        config: {
          self: name,
          nodes: clusterNodes,
          timings: knobs.timings,
          configDigest: index === knobs.digestMismatchNode ? 'digest-other' : 'digest-1',
        },
        sendKeyId: knobs.keyRotation && index % 2 === 1 ? 2 : 1,
        core: undefined,
        incarnation: 0,
        generation: 1 + setupRandom.int(1000),
        guard: new ReceiveGuard(),
        persistedGenerations: new Map(),
        sendSeq: new Map(),
        timerToken: 0,
        armedAt: undefined,
        paused: undefined,
        buffered: [],
        leaving: false,
        persisted: undefined,
        lastHeartbeatHandedAtMs: new Map(),
      });
    }
    for (const node of this.nodes) {
      const at = setupRandom.int(Math.floor(knobs.timings.initdeadMs / 2));
      this.call(at, () => this.start(node));
    }
    this.call(exponential(this.faultRandom, knobs.faultMeanIntervalMs), () => this.injectFault());
    this.call(exponential(this.attackRandom, knobs.attackMeanIntervalMs), () => this.attack());
    this.call(this.faultEndMs, () => this.startLiveness());
  }

  /** Runs to the end; throws SimFailure on the first broken invariant. */
  run(): SimStats {
    for (;;) {
      const event = this.scheduler.next(this.knobs.simulatedMs);
      if (event === undefined) break;
      switch (event.kind) {
        case 'deliver':
          this.deliver(event.packet, event.to, event.link);
          break;
        case 'timer':
          if (event.token === event.node.timerToken) event.node.armedAt = undefined;
          if (event.token === event.node.timerToken && event.node.core !== undefined && event.node.paused === undefined) {
            this.step(event.node, { kind: 'timer-due', now: instant(this.now) });
          }
          break;
        case 'call':
          event.run();
          break;
      }
    }
    if (this.phase === 'liveness' && this.now >= this.faultEndMs + this.boundMs) this.checkAgreementNow();
    return {
      seed: this.knobs.seed,
      nodes: this.knobs.nodes,
      links: this.knobs.links,
      simulatedMs: this.knobs.simulatedMs,
      events: this.scheduler.eventsProcessed,
      ...this.stats,
      convergenceBoundMs: this.boundMs,
      convergedAfterMs: this.convergedAtMs === undefined ? undefined : this.convergedAtMs - this.faultEndMs,
    };
  }

  private get now(): number {
    return this.scheduler.now;
  }

  private call(at: number, run: () => void): void {
    this.scheduler.schedule(at, { kind: 'call', run });
  }

  private trace(line: string): void {
    if (this.options.trace) this.options.trace(`${(this.now / 1000).toFixed(3).padStart(9)}s ${line}`);
  }

  private fail(checker: CheckerId, message: string): never {
    throw new SimFailure(checker, this.now, message);
  }

  // -------------------------------------------------------------------------------------------------------------
  // Nodes: the driver's part

  private makeCore(node: SimNode): SimCore {
    const broken = this.options.broken;
    if (broken === 'dead-too-early') {
      const t = node.config.timings;
      const deadtimeMs = Math.max(t.keepaliveMs + 1, Math.floor(t.deadtimeMs / 2));
      return new Membership({ ...node.config, timings: { ...t, deadtimeMs, warntimeMs: Math.min(t.warntimeMs, deadtimeMs - 1) } });
    }
    const core = new Membership(node.config);
    if (broken === 'silent-after-pause') return new SilentAfterPause(core);
    return core;
  }

  private start(node: SimNode): void {
    node.generation += 1;
    node.incarnation += 1;
    node.core = this.makeCore(node);
    node.guard = new ReceiveGuard();
    for (const [peer, generation] of node.persistedGenerations) node.guard.seedGeneration(peer, generation);
    node.sendSeq = new Map();
    node.leaving = false;
    node.paused = undefined;
    node.armedAt = undefined;
    node.timerToken += 1;
    node.buffered = [];
    node.lastHeartbeatHandedAtMs = new Map();
    this.trace(`${node.name} starts, generation ${node.generation}`);
    this.step(node, { kind: 'started', now: instant(this.now), generation: node.generation });
  }

  private crash(node: SimNode, why: string): void {
    if (node.core === undefined) return;
    this.trace(`${node.name} stops (${why})`);
    node.persistedGenerations = node.guard.generations();
    node.core = undefined;
    node.incarnation += 1;
    node.paused = undefined;
    node.buffered = [];
    node.leaving = false;
    node.lastHeartbeatHandedAtMs = new Map();
  }

  private step(node: SimNode, input: CoreInput): void {
    const core = node.core;
    if (core === undefined) return;
    const output = core.step(input);
    for (const action of output.actions) this.perform(node, action);
    if (output.wakeAt !== undefined && output.wakeAt !== node.armedAt) {
      node.timerToken += 1;
      node.armedAt = output.wakeAt;
      this.scheduler.schedule(output.wakeAt, { kind: 'timer', node, token: node.timerToken });
    }
    if (node.core === undefined) return;
    const view = node.core.view();
    const early = checkNoEarlyDeath({
      view,
      nowMs: this.now,
      deadtimeMs: this.knobs.timings.deadtimeMs,
      lastHeartbeatHandedAtMs: node.lastHeartbeatHandedAtMs,
    });
    if (early !== undefined) this.fail('a', early);
    const stale = checkPersisted(view, node.persisted);
    if (stale !== undefined) this.fail('persist', stale);
  }

  private perform(node: SimNode, action: CoreAction): void {
    switch (action.kind) {
      case 'persist':
        node.persisted = action.record.members;
        return;
      case 'emit': {
        const e = action.event;
        if (e.kind === 'peer-dead') this.stats.peerDeadEvents += 1;
        if (e.kind === 'pause-detected') this.stats.pausesDetected += 1;
        if (e.kind === 'leaving') node.leaving = true;
        this.trace(`${node.name} ${e.kind}${e.node && e.node !== node.name ? ` ${e.node}` : ''}${e.link ? ` ${e.link}` : ''}: ${e.reason}`);
        return;
      }
      case 'send': {
        const links = action.link === 'all' ? node.links : node.links.filter((link) => link === action.link);
        const repeats = action.message.type === 'leave' ? LEAVE_REPEATS : 1;
        for (const link of links) for (let i = 0; i < repeats; i++) this.send(node, link, action.message);
        return;
      }
    }
  }

  // -------------------------------------------------------------------------------------------------------------
  // Network

  private send(node: SimNode, link: LinkName, message: Message): void {
    const seq = node.sendSeq.get(link) ?? 0;
    node.sendSeq.set(link, seq + 1);
    if ((this.linkDown.get(`${node.index}/${link}`) ?? 0) > 0) return; // the interface is down: the send fails
    const bytes = encodePacket(
      { cluster: CLUSTER, sender: node.name, link, generation: node.generation, seq, sentAtWallMs: WALL_EPOCH_MS + this.now },
      message,
      { keys: this.ring.keys, sendKeyId: node.sendKeyId },
    );
    const packet: Packet = { bytes, link, from: node.name, admittedBy: new Set() };
    this.stats.packetsSent += 1;
    this.captured.push(packet);
    if (this.captured.length > CAPTURED_PACKETS_MAX) this.captured.shift();
    const linkIndex = this.linkNames.indexOf(link);
    const knobs = this.knobs.linkKnobs[linkIndex];
    if (knobs === undefined) return;
    const faults = this.phase === 'faults';
    const loss = faults ? Math.max(knobs.loss, ...(this.lossBursts.get(link) ?? [])) : 0;
    const congestionMs = Math.max(0, ...(this.congestion.get(link) ?? []));
    for (const to of this.nodes) {
      if (to === node || !to.links.includes(link)) continue;
      if (this.blocked(node.index, to.index, link)) continue;
      if (this.netRandom.float() < loss) continue;
      const copies = this.netRandom.float() < knobs.duplicate ? 2 : 1;
      for (let c = 0; c < copies; c++) {
        const delay = knobs.delayMsMin + this.netRandom.float() * (knobs.delayMsMax - knobs.delayMsMin) + this.netRandom.float() * congestionMs;
        this.scheduler.schedule(this.now + Math.round(delay), { kind: 'deliver', packet, to, link });
      }
    }
  }

  private blocked(from: number, to: number, link: LinkName): boolean {
    for (const cut of this.cuts) {
      if ((cut.link === undefined || cut.link === link) && cut.pairs.has(`${from}>${to}`)) return true;
    }
    return false;
  }

  private deliver(packet: Packet, to: SimNode, link: LinkName): void {
    if (to.core === undefined) return this.countDrop('receiver-down');
    if ((this.linkDown.get(`${to.index}/${link}`) ?? 0) > 0) return this.countDrop('receiver-link-down');
    if (to.paused !== undefined) {
      if (to.buffered.length >= PAUSE_BUFFER_PACKETS_MAX) return this.countDrop('pause-buffer-full');
      to.buffered.push(packet);
      return;
    }
    this.receiveLegit(packet, to);
  }

  private receiveContext(node: SimNode): Parameters<typeof receivePacket>[2] {
    return {
      self: node.name,
      cluster: CLUSTER,
      ring: this.ring,
      isKnownNode: (name) => this.nodes.some((n) => n.name === name),
      guard: this.options.broken === 'no-replay-guard' ? undefined : node.guard,
    };
  }

  private receiveLegit(packet: Packet, to: SimNode): void {
    const received = receivePacket(packet.bytes, packet.link, this.receiveContext(to));
    if (!received.ok) {
      // A genuine packet may only be refused as a duplicate or as a leftover of an earlier boot.
      if (received.reason !== 'replay' && received.reason !== 'stale-generation') {
        this.fail('wire', `a genuine packet from ${packet.from} on ${packet.link} was dropped by ${to.name} as ${received.reason}: ${received.detail}`);
      }
      return this.countDrop(received.reason);
    }
    packet.admittedBy.add(`${to.name}#${to.incarnation}`);
    this.stats.packetsHandedToCores += 1;
    if (received.message.type === 'heartbeat') to.lastHeartbeatHandedAtMs.set(received.envelope.from, this.now);
    this.step(to, { kind: 'message-received', now: instant(this.now), envelope: received.envelope, message: received.message });
  }

  private countDrop(reason: string): void {
    this.stats.drops[reason] = (this.stats.drops[reason] ?? 0) + 1;
  }

  // -------------------------------------------------------------------------------------------------------------
  // Faults

  private injectFault(): void {
    if (this.phase !== 'faults') return;
    const kind = pickWeighted(this.faultRandom, this.knobs.faultWeights);
    if (kind !== undefined) {
      this.stats.faults[kind] = (this.stats.faults[kind] ?? 0) + 1;
      this.fault(kind);
    }
    this.call(this.now + exponential(this.faultRandom, this.knobs.faultMeanIntervalMs), () => this.injectFault());
  }

  /** A fault duration: half the time close to deadtime (the interesting edge), otherwise anywhere up to 4×. */
  private faultDurationMs(): number {
    const r = this.faultRandom;
    const deadtimeMs = this.knobs.timings.deadtimeMs;
    return Math.round(deadtimeMs * (r.float() < 0.5 ? 0.8 + 0.4 * r.float() : 0.1 + 3.9 * r.float()));
  }

  private fault(kind: FaultKind): void {
    const r = this.faultRandom;
    const n = this.nodes.length;
    const durationMs = this.faultDurationMs();
    const oneLink = r.float() < 0.5 ? this.linkNames[r.int(this.linkNames.length)] : undefined;
    const on = oneLink === undefined ? 'all links' : oneLink;
    switch (kind) {
      case 'partition': {
        const side = this.nodes.map(() => r.float() < 0.5);
        if (side.every((s) => s) || side.every((s) => !s)) side[r.int(n)] = !side[0];
        const pairs = new Set<string>();
        for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) if (side[i] !== side[j]) pairs.add(`${i}>${j}`);
        const groups = [true, false].map((s) => this.nodes.filter((_, i) => side[i] === s).map((x) => x.name).join(','));
        this.cut({ link: oneLink, pairs }, durationMs, `partition {${groups[0]}} | {${groups[1]}} on ${on}`);
        return;
      }
      case 'partition-asymmetric': {
        const from = r.int(n);
        const to = (from + 1 + r.int(n - 1)) % n;
        const label = `asymmetric partition: ${this.nodes[from]?.name} cannot reach ${this.nodes[to]?.name} on ${on}`;
        this.cut({ link: oneLink, pairs: new Set([`${from}>${to}`]) }, durationMs, label);
        return;
      }
      case 'isolate': {
        const i = r.int(n);
        const pairs = new Set<string>();
        for (let j = 0; j < n; j++) if (j !== i) pairs.add(`${i}>${j}`).add(`${j}>${i}`);
        this.cut({ link: oneLink, pairs }, durationMs, `isolate ${this.nodes[i]?.name} on ${on}`);
        return;
      }
      case 'link-down': {
        const node = this.nodes[r.int(n)] as SimNode;
        const link = node.links[r.int(node.links.length)];
        if (link === undefined) return;
        const key = `${node.index}/${link}`;
        this.linkDown.set(key, (this.linkDown.get(key) ?? 0) + 1);
        this.trace(`fault: ${link} down on ${node.name} for ${durationMs} ms`);
        this.call(this.now + durationMs, () => {
          const count = this.linkDown.get(key) ?? 0;
          if (count > 1) this.linkDown.set(key, count - 1);
          else this.linkDown.delete(key);
        });
        return;
      }
      case 'crash': {
        const node = this.mayStop() ? this.pickRunning(r) : undefined;
        if (node === undefined) return;
        this.crash(node, 'fault: crash');
        this.restartLater(node);
        return;
      }
      case 'pause': {
        const node = this.pickRunning(r);
        if (node === undefined || node.paused !== undefined) return;
        const pause = { id: this.nextPauseId++, timerFirst: r.float() < 0.5 };
        node.paused = pause;
        this.trace(`fault: pause ${node.name} for ${durationMs} ms`);
        this.call(this.now + durationMs, () => {
          if (node.paused?.id === pause.id) this.resume(node);
        });
        return;
      }
      case 'leave': {
        const node = this.mayStop() ? this.pickRunning(r) : undefined;
        if (node === undefined || node.paused !== undefined || node.leaving) return;
        this.trace(`fault: ${node.name} leaves gracefully`);
        this.step(node, { kind: 'admin-requested', now: instant(this.now), request: { kind: 'leave', reason: 'simulated maintenance' } });
        const incarnation = node.incarnation;
        this.call(this.now + 1, () => {
          if (node.incarnation === incarnation) this.crash(node, 'exited after leave');
        });
        this.restartLater(node);
        return;
      }
      case 'congestion':
      case 'loss-burst': {
        const link = oneLink ?? (this.linkNames[0] as LinkName);
        const map = kind === 'congestion' ? this.congestion : this.lossBursts;
        const value = kind === 'congestion' ? this.knobs.congestionMsMax * (0.3 + 0.7 * r.float()) : 0.5 + 0.45 * r.float();
        const active = map.get(link) ?? [];
        active.push(value);
        map.set(link, active);
        this.trace(`fault: ${kind} on ${link} (${kind === 'congestion' ? `+${Math.round(value)} ms` : `${Math.round(value * 100)}% loss`}) for ${durationMs} ms`);
        this.call(this.now + durationMs, () => {
          const index = active.indexOf(value);
          if (index >= 0) active.splice(index, 1);
        });
        return;
      }
    }
  }

  private cut(cut: Cut, durationMs: number, label: string): void {
    this.cuts.add(cut);
    this.trace(`fault: ${label} for ${durationMs} ms`);
    this.call(this.now + durationMs, () => this.cuts.delete(cut));
  }

  /** Crashes and leaves keep a majority running, so that a run mostly exercises a cluster rather than an empty room. */
  private mayStop(): boolean {
    const down = this.nodes.filter((node) => node.core === undefined || node.leaving).length;
    return down + 1 <= Math.floor(this.nodes.length / 2);
  }

  private pickRunning(r: SeededRandom): SimNode | undefined {
    const running = this.nodes.filter((node) => node.core !== undefined);
    return running[r.int(running.length)];
  }

  private restartLater(node: SimNode): void {
    const incarnation = node.incarnation;
    const afterMs = Math.round(this.knobs.timings.initdeadMs * (0.2 + 2.8 * this.faultRandom.float()));
    this.call(this.now + afterMs, () => {
      // The liveness phase decides for itself which down nodes come back.
      if (this.phase === 'faults' && node.core === undefined && node.incarnation <= incarnation + 1) this.start(node);
    });
  }

  private resume(node: SimNode): void {
    const pause = node.paused;
    if (pause === undefined) return;
    node.paused = undefined;
    this.trace(`${node.name} resumes`);
    const buffered = node.buffered;
    node.buffered = [];
    if (pause.timerFirst) this.step(node, { kind: 'timer-due', now: instant(this.now) });
    for (const packet of buffered) if (node.core !== undefined) this.receiveLegit(packet, node);
    if (!pause.timerFirst) this.step(node, { kind: 'timer-due', now: instant(this.now) });
  }

  private startLiveness(): void {
    this.phase = 'liveness';
    this.trace('faults stop: network healed, paused nodes resumed');
    this.cuts.clear();
    this.linkDown.clear();
    this.lossBursts.clear();
    this.congestion.clear();
    for (const node of this.nodes) {
      if (node.paused !== undefined) this.resume(node);
      if (node.leaving) this.crash(node, 'exited after leave');
    }
    const down = this.nodes.filter((node) => node.core === undefined);
    const keepDown = down.filter(() => this.faultRandom.float() < this.knobs.keepDownChance);
    // At least two nodes run in the liveness phase, so that agreement between live nodes is tested.
    while (keepDown.length > this.nodes.length - 2) keepDown.pop();
    for (const node of down) {
      if (keepDown.includes(node)) this.trace(`${node.name} stays down`);
      else {
        this.stats.restarts += 1;
        this.start(node);
      }
    }
    const everyMs = Math.max(1, Math.floor(this.knobs.timings.keepaliveMs / 2));
    const check = (): void => {
      this.checkAgreementNow();
      this.call(this.now + everyMs, check);
    };
    this.call(this.now + everyMs, check);
  }

  private checkAgreementNow(): void {
    const live = new Set(this.nodes.filter((node) => node.core !== undefined).map((node) => node.name));
    const views = this.nodes.flatMap((node) => (node.core === undefined ? [] : [node.core.view()]));
    const problem = checkAgreement(views, live);
    if (problem === undefined) {
      this.convergedAtMs ??= this.now;
      return;
    }
    this.convergedAtMs = undefined;
    if (this.now > this.faultEndMs + this.boundMs) {
      this.fail('c', `${problem}; faults stopped at ${this.faultEndMs} ms and the convergence bound is ${this.boundMs} ms`);
    }
  }

  // -------------------------------------------------------------------------------------------------------------
  // Attacks: none may be admitted, none may change any view

  private attack(): void {
    this.call(this.now + exponential(this.attackRandom, this.knobs.attackMeanIntervalMs), () => this.attack());
    const r = this.attackRandom;
    const targets = this.nodes.filter((node) => node.core !== undefined && node.paused === undefined);
    const target = targets[r.int(targets.length)];
    if (target === undefined) return;
    const link = target.links[r.int(target.links.length)];
    if (link === undefined) return;
    const made = this.craft(target, link, r);
    if (made === undefined) return;
    this.stats.attacks += 1;
    const core = target.core as SimCore;
    const before = JSON.stringify(core.view());
    const received: Received = receivePacket(made.bytes, link, this.receiveContext(target));
    if (received.ok) {
      this.step(target, { kind: 'message-received', now: instant(this.now), envelope: received.envelope, message: received.message });
      this.fail('b', `${made.label} to ${target.name} on ${link} was accepted as a ${received.message.type} from ${received.envelope.from}`);
    }
    if (!made.expected.includes(received.reason)) {
      this.fail('b', `${made.label} to ${target.name} on ${link} was dropped as ${received.reason} (${received.detail}), expected ${made.expected.join(' or ')}`);
    }
    this.countDrop(`attack:${received.reason}`);
    if (JSON.stringify(core.view()) !== before) this.fail('b', `${made.label} to ${target.name} changed its view`);
  }

  private craft(target: SimNode, link: LinkName, r: SeededRandom): { bytes: Buffer; label: string; expected: readonly (DropReason | 'own-packet')[] } | undefined {
    const others = this.nodes.filter((node) => node !== target);
    const sender = others[r.int(others.length)] as SimNode;
    const message: Message = r.float() < 0.5 ? { type: 'leave', reason: 'forged' } : { type: 'heartbeat', configDigest: 'digest-1', uptimeMs: 1 };
    // A forgery as plausible as possible: the sender's current generation and its next sequence number.
    const header = { cluster: CLUSTER, sender: sender.name, link, generation: sender.generation, seq: sender.sendSeq.get(link) ?? 0, sentAtWallMs: WALL_EPOCH_MS + this.now };
    switch (r.int(6)) {
      case 0: {
        const ring = { keys: [{ id: 1, secret: Buffer.from(`wrong-${r.int(1e9)}`) }], sendKeyId: 1 };
        return { bytes: encodePacket(header, message, ring), label: `forged ${message.type} (wrong secret)`, expected: ['bad-mac'] };
      }
      case 1: {
        const ring = { keys: [{ id: 77, secret: Buffer.from('unknown key') }], sendKeyId: 77 };
        return { bytes: encodePacket(header, message, ring), label: `forged ${message.type} (unknown key id)`, expected: ['unknown-key'] };
      }
      case 2:
        return { bytes: encodePacket({ ...header, cluster: 'other' }, message, this.ring), label: `${message.type} from another cluster`, expected: ['wrong-cluster'] };
      case 3: {
        const key = `${target.name}#${target.incarnation}`;
        const seen = this.captured.filter((p) => p.admittedBy.has(key));
        const packet = seen[r.int(seen.length)];
        if (packet === undefined) return undefined;
        return { bytes: packet.bytes, label: `replayed packet from ${packet.from} on ${packet.link}`, expected: ['replay', 'stale-generation'] };
      }
      case 4: {
        const elsewhere = this.captured.filter((p) => p.link !== link && p.from !== target.name);
        const packet = elsewhere[r.int(elsewhere.length)];
        if (packet === undefined) return undefined;
        return { bytes: packet.bytes, label: `packet from ${packet.from} captured on ${packet.link}, replayed on ${link}`, expected: ['replay'] };
      }
      default: {
        const packet = this.captured[r.int(this.captured.length)];
        if (packet === undefined) return undefined;
        const bytes = Buffer.from(packet.bytes);
        const flips = 1 + r.int(3);
        const positions = new Set<number>();
        while (positions.size < Math.min(flips, bytes.length)) positions.add(r.int(bytes.length));
        for (const at of positions) bytes[at] = ((bytes[at] ?? 0) ^ (1 + r.int(255))) & 0xff;
        return {
          bytes,
          label: `packet from ${packet.from} with ${positions.size} mutated byte(s) at ${[...positions].join(',')}`,
          expected: ['malformed', 'bad-version', 'wrong-cluster', 'unknown-node', 'unknown-key', 'bad-mac', 'oversized'],
        };
      }
    }
  }
}

/** The broken core for checker (c): after its first detected pause it never sends again, though it keeps running. */
class SilentAfterPause implements SimCore {
  private silent = false;
  constructor(private readonly core: Membership) {}

  step(input: CoreInput): StepOutput {
    const output = this.core.step(input);
    if (output.actions.some((a) => a.kind === 'emit' && a.event.kind === 'pause-detected')) this.silent = true;
    return this.silent ? { ...output, actions: output.actions.filter((a) => a.kind !== 'send') } : output;
  }

  view(): MembershipView {
    return this.core.view();
  }
}

function exponential(random: SeededRandom, meanMs: number): number {
  return Math.max(1, Math.round(-meanMs * Math.log(1 - random.float())));
}

function pickWeighted(random: SeededRandom, weights: Readonly<Record<FaultKind, number>>): FaultKind | undefined {
  const total = FAULT_KINDS.reduce((sum, kind) => sum + weights[kind], 0);
  if (total === 0) return undefined;
  let draw = random.float() * total;
  for (const kind of FAULT_KINDS) {
    draw -= weights[kind];
    if (draw < 0) return kind;
  }
  return undefined;
}
