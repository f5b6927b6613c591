/**
 * A deterministic world: N real node cores (membership and resource groups) under a simulated clock, connected by a
 * simulated network that carries real encoded bytes through the real codec and replay guard, with simulated agents
 * and kernels, a seeded fault injector, an operator and an attacker.
 *
 * Phases: faults (loss, delay, duplication, reordering, partitions of every shape — k|n-k, islands, one-way cuts,
 * one-way loss, flapping —, link outages, crashes and restarts, pauses (some longer than deadtime or the watchdog
 * timeout), graceful leaves, congestion, loss bursts, cut uplinks to the ping targets; failing, hanging and crashing
 * agents; failing fence devices; operator commands), then liveness (everything healed, every paused node resumed,
 * each down node restarted or left down, agents and fence devices healthy) in which membership must agree within
 * `convergenceBoundMs` and every group that the running nodes can be quorate for must settle within
 * `groupLivenessBoundMs` (plus what the protection may take, `protectionSettleMs`). The attacker (forged, replayed,
 * cross-link and mutated packets) runs in both phases. Checkers run after every step (see checkers.ts).
 *
 * Split-brain protection, as the seed's mode configures it (knobs.ts): the cores get the matching ProtectionSpec;
 * the world runs the fence devices (a `fence` action powers the target off after the drawn delay unless the device
 * fails, and the result goes back as `fence-finished`), a watchdog per node (fed every timeout/3 while the core's
 * `watchdogVerdict` allows it and the daemon runs unpaused; it resets the machine a timeout after the last feed;
 * armed at start, disarmed only by a clean exit holding nothing or a power loss), and the ping targets (each daemon
 * probes every interval, a reply counts for `deadMs`, the core gets `ping-score` when the score changes).
 *
 * The kernel of each node is a map resource → running: agents change it when they finish (a start that fails or
 * hangs may leave its resource running), a service crash clears one entry, a power loss (a crash of the machine, a
 * fencing, a watchdog reset) clears them all at once. A crash of tandemd alone (the `daemonCrash` knob) keeps the
 * machine on and its kernel running, across the restart as leftovers; strict safety counts such a machine as a
 * holder (its daemon is down, its resources are not).
 *
 * Invariants:
 *   1. Everything random comes from the seed: one `SeededRandom`, forked per concern in a fixed order.
 *   2. A node's core sees only what the daemon would give it: inputs with `now`, messages that passed the receive
 *      path (decode, link check, guard), and exactly one `agent-finished` per `run-agent` of its incarnation.
 *   3. Bounded: CAPTURED_PACKETS_MAX captured packets, PAUSE_BUFFER_PACKETS_MAX datagrams queued for a paused node.
 */
import { NodeCore, type NodeAction, type NodeInput, type NodeStepOutput } from '../core/node.js';
import { leaveDeadlineMs } from '../core/groups.js';
import type { FenceRequest } from '../core/fencing.js';
import type { ProtectionSpec } from '../core/quorum.js';
import type { AttributeEntry, GroupAdminRequest, GroupSpec, GroupsView, NodeReport, OperationOutcome, RunOperation } from '../core/group-types.js';
import {
  instant,
  linkName,
  type Instant,
  nodeName,
  type LinkName,
  type MembershipConfig,
  type MembershipView,
  type Message,
  type NodeName,
  type PeerState,
} from '../core/types.js';
import type { KeyRing } from '../config/model.js';
import { SeededRandom } from '../lib/random.js';
import { encodePacket, type DropReason } from '../wire/codec.js';
import { ReceiveGuard } from '../wire/receive-guard.js';
import {
  checkAgreement,
  checkNoEarlyDeath,
  checkPersisted,
  checkPlacement,
  checkStart,
  OverlapTracker,
  SimFailure,
  type CheckerId,
  type HolderPair,
  type KernelNode,
} from './checkers.js';
import {
  FAULT_KINDS,
  convergenceBoundMs,
  faultPhaseMs,
  groupLivenessBoundMs,
  maxDelayEverMs,
  maxOpTimeoutMs,
  overlapBoundMs,
  protectionSettleMs,
  quorumStopBoundMs,
  strictSafety,
  type FaultKind,
  type SimKnobs,
} from './knobs.js';
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

/**
 * Deliberately broken variants, to prove each checker bites:
 *   - dead-too-early (a): peers declared dead at half deadtime;
 *   - no-replay-guard (b): the receive path without its guard;
 *   - silent-after-pause (c): a node that stops sending after its first detected pause;
 *   - start-everywhere (safety): every node starts every group once it has heard a peer, grants or not;
 *   - never-start (liveness): start operations are never run (the core waits for them forever);
 *   - never-yield (overlap): stop operations are never run, so the loser of a healed split brain keeps the group;
 *   - no-fence-wait (strict safety): the world has fence devices (mode `fencing` unless forced otherwise), but the
 *     cores are configured without fencing or a watchdog, so they take a dead peer's groups over at once;
 *   - no-quorum-stop (quorum): the cluster's policy is stop (mode `quorum`), but the cores are configured `freeze`, so
 *     a node that lost quorum keeps its groups.
 */
export type BrokenVariant = 'dead-too-early' | 'no-replay-guard' | 'silent-after-pause' | 'start-everywhere' | 'never-start' | 'never-yield' | 'no-fence-wait' | 'no-quorum-stop';
export const BROKEN_VARIANTS: readonly BrokenVariant[] = ['dead-too-early', 'no-replay-guard', 'silent-after-pause', 'start-everywhere', 'never-start', 'never-yield', 'no-fence-wait', 'no-quorum-stop'];

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
  readonly groups: number;
  /** Agent operations begun, by kind, and the faults the agents injected. */
  readonly agentOps: Readonly<Record<string, number>>;
  readonly agentFaults: Readonly<Record<string, number>>;
  readonly operatorCommands: Readonly<Record<string, number>>;
  /** Starts begun while a live node the starter held dead or left ran part of the group (allowed, no fencing). */
  readonly startsBesideUnseenHolder: number;
  /** Groups whose liveness deadline came within the run (checked), and the slowest settling among them. */
  readonly groupsLivenessChecked: number;
  /** Longest time a checked group took to settle, from the start of its liveness bound (negative = already). */
  readonly groupSettleMaxMs: number | undefined;
  /** Longest overlap of two holders that heard each other (the overlap checker's bound is per group). */
  readonly overlapMaxMs: number;
  readonly protectionMode: string;
  readonly fencingsRequested: number;
  readonly fencingsSucceeded: number;
  readonly fencingsFailed: number;
  readonly watchdogResets: number;
  /** `quorum-lost` events (a core's partition lost quorum). */
  readonly quorumLosses: number;
  /** Machines powered off: crashes, fencings and watchdog resets. */
  readonly powerLosses: number;
  /** Time during which two powered machines both ran part of a group, summed over groups. */
  readonly splitBrainMs: number;
}

/** What the world needs of a node's core: NodeCore, or a deliberately broken wrapper of it. */
interface SimCore {
  step(input: NodeInput): NodeStepOutput;
  membershipView(): MembershipView;
  groupsView(): GroupsView;
  groupsStopped(): boolean;
  holdsNothing(): boolean;
  watchdogVerdict(now: Instant): { feed: boolean; reason: string };
}

interface AgentRun {
  readonly op: RunOperation;
  readonly incarnation: number;
  readonly hang: boolean;
  readonly fail: boolean;
  /** A failed or hung start leaves its resource running. */
  readonly leftRunning: boolean;
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
  /** The kernel: resource id → running. Survives a crash; cleared by a reboot. */
  readonly kernel: Map<string, boolean>;
  /** The next start keeps the kernel (tandemd alone crashed or exited) instead of rebooting. */
  kernelSurvives: boolean;
  /** Agent results that arrived while the daemon was paused, handed over when it resumes. */
  pendingResults: NodeInput[];
  /** The attribute table the daemon persisted; loaded by the next start. */
  persistedAttributes: readonly AttributeEntry[];
  /** The report in the node's last message: its own phases, fail counts and leaving flag. */
  lastReport: NodeReport | undefined;
  /** A graceful leave waiting for the groups to stop (or its deadline). */
  leavePending: { readonly deadlineAt: number; finishing: boolean } | undefined;
  /** The machine is on (its daemon may have crashed alone); off after a crash, a fencing or a watchdog reset. */
  powered: boolean;
  /** The watchdog: armed by the daemon's start, disarmed by a clean exit (magic close) or a power loss. */
  watchdogArmed: boolean;
  watchdogFedAt: number;
  /** The ping prober of the current daemon: last reply per target, and the score last handed to the core. */
  pingReplyAt: number[];
  pingReported: number | undefined;
  /** Per sender: the ping score of the report the core keeps as that sender's last (same acceptance rule). */
  heardScore: Map<NodeName, { readonly generation: number; readonly rev: number; readonly score: number | undefined }>;
  /** Since when the core says its partition has lost quorum (from its events), undefined while it does not. */
  lostSince: number | undefined;
  /** When the daemon last started or resumed from a pause. */
  activeSince: number;
  /** This incarnation saw a clean stretch with every voter running (for wait-for-all). */
  sawAll: boolean;
}

type SimEvent =
  | { readonly kind: 'deliver'; readonly packet: Packet; readonly to: SimNode; readonly link: LinkName }
  | { readonly kind: 'timer'; readonly node: SimNode; readonly token: number }
  | { readonly kind: 'call'; readonly run: () => void };

interface Cut {
  readonly link: LinkName | undefined;
  /** Directed pairs `from>to` (node indexes) that cannot reach each other. */
  readonly pairs: ReadonlySet<string>;
  /** A lossy cut drops this share of the pairs' packets instead of all of them. */
  readonly loss?: number;
}

export class World {
  private readonly scheduler: Scheduler<SimEvent>;
  private readonly nodes: SimNode[] = [];
  private readonly linkNames: LinkName[];
  private readonly ring: KeyRing;
  private readonly netRandom: SeededRandom;
  private readonly faultRandom: SeededRandom;
  private readonly attackRandom: SeededRandom;
  private readonly agentRandom: SeededRandom;
  private readonly operatorRandom: SeededRandom;
  private readonly fenceRandom: SeededRandom;
  private readonly pingRandom: SeededRandom;
  private readonly protection: ProtectionSpec;
  private readonly strict: boolean;
  /** `node/target` → active uplink cuts. */
  private readonly uplinkCuts = new Map<string, number>();
  /** Where the agreement and liveness bounds start: the end of faults, or a later power loss of a running node. */
  private quietSince: number;
  /** The last attribute a core wrote on its own account (a fencing's result, an operator command). */
  private lastAttributeWriteAt = 0;
  /** Since when the network is clean and every voter runs unpaused (wait-for-all), or undefined. */
  private cleanSince: number | undefined;
  private readonly splitSince = new Map<string, number>();
  private splitBrainMs = 0;
  private readonly groupSpecs: readonly GroupSpec[];
  private readonly groupResources = new Map<string, readonly string[]>();
  /** Resources a monitor or the reconciler watches: the only ones a service crash may hit. */
  private readonly watched = new Set<string>();
  /** Nodes where a stop of the group failed, since their last restart and the group's last cleanup at quiet. */
  private readonly tainted = new Map<string, Set<NodeName>>();
  /** Groups that two or more live nodes run part of; the overlap checker looks only when there are some. */
  /** `group|a|b` (a < b): split brains begun by a start beside a holder held dead; see checkStart. */
  private readonly splitBrains = new Set<string>();
  private contested: string[] = [];
  private readonly overlap = new OverlapTracker();
  private readonly liveness = new Map<string, { key: string; since: number; settledAt: number | undefined; checked: boolean }>();
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
    agentOps: {} as Record<string, number>,
    agentFaults: {} as Record<string, number>,
    operatorCommands: {} as Record<string, number>,
    startsBesideUnseenHolder: 0,
    fencingsRequested: 0,
    fencingsSucceeded: 0,
    fencingsFailed: 0,
    watchdogResets: 0,
    quorumLosses: 0,
    powerLosses: 0,
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
    this.agentRandom = random.fork(5);
    this.operatorRandom = random.fork(6);
    this.fenceRandom = random.fork(7);
    this.pingRandom = random.fork(8);
    this.groupSpecs = knobs.groups;
    for (const group of knobs.groups) this.groupResources.set(group.name, group.resources.map((resource) => resource.id));
    for (const resource of knobs.groups.flatMap((group) => group.resources)) {
      if (resource.monitorIntervalMs > 0 || (resource.announces && knobs.agents.reconcileIntervalMs > 0)) this.watched.add(resource.id);
    }
    // Simulated events per simulated second stay far below this for any sane knobs.
    this.scheduler = new Scheduler(Math.max(100_000, Math.ceil(knobs.simulatedMs * 50)));
    this.linkNames = LINK_NAMES.slice(0, knobs.links).map(linkName);
    const secret = (salt: number): Buffer => Buffer.from(`sim-${knobs.seed}-${salt}-0123456789abcdef`, 'utf8');
    this.ring = { keys: [{ id: 1, secret: secret(1) }, { id: 2, secret: secret(2) }], sendKeyId: 1 };
    this.faultEndMs = faultPhaseMs(knobs);
    this.quietSince = this.faultEndMs;
    this.boundMs = convergenceBoundMs(knobs);
    this.strict = strictSafety(knobs);
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
        kernel: new Map(),
        kernelSurvives: false,
        pendingResults: [],
        persistedAttributes: [],
        lastReport: undefined,
        leavePending: undefined,
        powered: false,
        watchdogArmed: false,
        watchdogFedAt: 0,
        pingReplyAt: [],
        pingReported: undefined,
        heardScore: new Map(),
        lostSince: undefined,
        activeSince: 0,
        sawAll: false,
      });
    }
    this.protection = this.protectionSpec(names);
    for (const node of this.nodes) {
      const at = setupRandom.int(Math.floor(knobs.timings.initdeadMs / 2));
      this.call(at, () => this.start(node));
    }
    this.call(exponential(this.faultRandom, knobs.faultMeanIntervalMs), () => this.injectFault());
    this.call(exponential(this.attackRandom, knobs.attackMeanIntervalMs), () => this.attack());
    if (knobs.groups.length > 0) {
      if (knobs.agents.serviceCrashMeanIntervalMs > 0) this.call(exponential(this.agentRandom, knobs.agents.serviceCrashMeanIntervalMs), () => this.serviceCrash());
      if (knobs.agents.reconcileIntervalMs > 0) this.call(knobs.agents.reconcileIntervalMs, () => this.reconcile());
      if (knobs.operator.meanIntervalMs > 0) this.call(exponential(this.operatorRandom, knobs.operator.meanIntervalMs), () => this.operate());
    }
    this.call(this.faultEndMs, () => this.startLiveness());
    const p = knobs.protection;
    const watchdogMs = p.watchdogTimeoutMs;
    if (watchdogMs !== undefined) {
      const every = Math.max(1, Math.floor(watchdogMs / 3));
      for (const node of this.nodes) this.call(setupRandom.int(every), () => this.watchdogTick(node, every));
    }
    const ping = p.ping;
    if (ping !== undefined) for (const node of this.nodes) this.call(setupRandom.int(ping.intervalMs), () => this.pingTick(node));
    const everyMs = Math.max(1, Math.floor(knobs.timings.keepaliveMs / 2));
    this.call(everyMs, () => this.protectionCheck(everyMs));
  }

  /** The cores' split-brain protection, as the config of the seed's mode gives it. */
  private protectionSpec(names: readonly NodeName[]): ProtectionSpec {
    const p = this.knobs.protection;
    const arbitrator = p.arbitrator >= 0 ? names[p.arbitrator] : undefined;
    const f = p.fencing;
    return {
      votes: new Map(names.map((name) => [name, 1])),
      order: names,
      arbitrator,
      noQuorum: p.noQuorum,
      waitForAll: p.waitForAll,
      // As the daemon's config gives it: a reachability change is certain after dead plus one probe round.
      pingDeadMs: p.ping === undefined ? undefined : p.ping.deadMs + p.ping.intervalMs,
      fencing: f === undefined ? undefined : { nodes: new Set(names.filter((name) => name !== arbitrator)), delayMs: f.delayMs, retryMs: f.retryMs },
      watchdogTimeoutMs: p.watchdogTimeoutMs,
    };
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
    if (this.phase === 'liveness' && this.now >= this.quietSince + this.boundMs) {
      this.checkAgreementNow();
      this.checkGroupsNow();
    }
    let settleMax: number | undefined;
    let checked = 0;
    for (const state of this.liveness.values()) {
      if (!state.checked) continue;
      checked += 1;
      const settled = (state.settledAt ?? this.now) - this.livenessBase(state.since);
      settleMax = Math.max(settleMax ?? settled, settled);
    }
    for (const since of this.splitSince.values()) this.splitBrainMs += this.now - since;
    this.splitSince.clear();
    return {
      seed: this.knobs.seed,
      nodes: this.knobs.nodes,
      links: this.knobs.links,
      simulatedMs: this.knobs.simulatedMs,
      events: this.scheduler.eventsProcessed,
      ...this.stats,
      convergenceBoundMs: this.boundMs,
      convergedAfterMs: this.convergedAtMs === undefined ? undefined : this.convergedAtMs - this.faultEndMs,
      groups: this.groupSpecs.length,
      groupsLivenessChecked: checked,
      groupSettleMaxMs: settleMax,
      overlapMaxMs: this.overlap.longestMs,
      protectionMode: this.knobs.protection.mode,
      splitBrainMs: this.splitBrainMs,
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
    const groups = this.groupSpecs;
    const attributes = node.persistedAttributes;
    if (broken === 'dead-too-early') {
      const t = node.config.timings;
      const deadtimeMs = Math.max(t.keepaliveMs + 1, Math.floor(t.deadtimeMs / 2));
      return new NodeCore({ ...node.config, timings: { ...t, deadtimeMs, warntimeMs: Math.min(t.warntimeMs, deadtimeMs - 1) } }, groups, attributes, undefined, this.protection);
    }
    if (broken === 'no-fence-wait') {
      // The fence devices and watchdogs stay in the world (and the checkers strict); the cores know of neither.
      return new NodeCore(node.config, groups, attributes, undefined, { ...this.protection, fencing: undefined, watchdogTimeoutMs: undefined });
    }
    if (broken === 'no-quorum-stop') return new NodeCore(node.config, groups, attributes, undefined, { ...this.protection, noQuorum: 'freeze' });
    const core = new NodeCore(node.config, groups, attributes, undefined, this.protection);
    if (broken === 'silent-after-pause') return new SilentAfterPause(core);
    if (broken === 'start-everywhere') return new StartEverywhere(core, node.name, groups);
    if (broken === 'never-start') return new DropOperations(core, 'start');
    if (broken === 'never-yield') return new DropOperations(core, 'stop');
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
    node.pendingResults = [];
    node.lastReport = undefined;
    node.leavePending = undefined;
    node.powered = true;
    node.pingReplyAt = [];
    node.pingReported = undefined;
    node.heardScore = new Map();
    node.lostSince = undefined;
    node.activeSince = this.now;
    node.sawAll = false;
    this.cleanSince = undefined;
    // The daemon opens the watchdog as it starts (and feeds it at once).
    if (this.knobs.protection.watchdogTimeoutMs !== undefined) this.feedWatchdog(node, true);
    const leftovers = [...node.kernel].filter(([, running]) => running).map(([resource]) => resource);
    if (!node.kernelSurvives) node.kernel.clear();
    node.kernelSurvives = false;
    // A new boot reports afresh: whatever unclean state its last boot reported is gone from the peers' view.
    for (const nodes of this.tainted.values()) nodes.delete(node.name);
    this.trace(`${node.name} starts, generation ${node.generation}${leftovers.length === 0 ? '' : node.kernel.size === 0 ? ' (rebooted: kernel cleared)' : ` (kernel kept: ${leftovers.join(', ')} still running)`}`);
    this.recountHolders();
    this.step(node, { kind: 'started', now: instant(this.now), generation: node.generation });
  }

  private crash(node: SimNode, why: string, kernelSurvives = false): void {
    if (node.core === undefined) return;
    this.trace(`${node.name} stops (${why})${this.groupSpecs.length > 0 ? (kernelSurvives ? ', its kernel will survive the restart' : ', a reboot will clear its kernel') : ''}`);
    node.persistedGenerations = node.guard.generations();
    node.core = undefined;
    node.incarnation += 1;
    node.paused = undefined;
    node.buffered = [];
    node.leaving = false;
    node.lastHeartbeatHandedAtMs = new Map();
    node.kernelSurvives = kernelSurvives;
    node.pendingResults = [];
    node.leavePending = undefined;
    node.lostSince = undefined;
    this.cleanSince = undefined;
    this.recountHolders();
  }

  /**
   * The machine loses power (a crash, a fencing, a watchdog reset): its daemon stops, every resource in its kernel is
   * gone, its watchdog with it. A running node brought down in the liveness phase stays down, and the agreement and
   * liveness bounds start again from here.
   */
  private powerOff(node: SimNode, why: string): void {
    const running = node.core !== undefined;
    if (running) this.crash(node, why);
    else this.trace(`${node.name} powered off (${why})`);
    if (node.powered) this.stats.powerLosses += 1;
    node.powered = false;
    node.kernel.clear();
    node.kernelSurvives = false;
    node.watchdogArmed = false;
    // A powered-off node holds nothing: what a failed stop left there is gone (the cores learn it from the fencing or
    // the watchdog wait; without either, an operator's cleanup says so).
    if (this.strict) for (const nodes of this.tainted.values()) nodes.delete(node.name);
    this.recountHolders();
    if (running && this.phase === 'liveness') this.quietSince = this.now;
    if (running) this.restartLater(node);
  }

  private step(node: SimNode, input: NodeInput): void {
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
    const view = node.core.membershipView();
    const early = checkNoEarlyDeath({
      view,
      nowMs: this.now,
      deadtimeMs: this.knobs.timings.deadtimeMs,
      lastHeartbeatHandedAtMs: node.lastHeartbeatHandedAtMs,
    });
    if (early !== undefined) this.fail('a', early);
    const stale = checkPersisted(view, node.persisted);
    if (stale !== undefined) this.fail('persist', stale);
    const leave = node.leavePending;
    if (leave !== undefined && !leave.finishing && (this.now >= leave.deadlineAt || node.core.groupsStopped())) {
      leave.finishing = true;
      const incarnation = node.incarnation;
      this.call(this.now, () => {
        if (node.incarnation === incarnation) this.finishLeave(node);
      });
    }
    if (this.contested.length > 0) this.checkOverlap();
  }

  private perform(node: SimNode, action: NodeAction): void {
    switch (action.kind) {
      case 'persist':
        node.persisted = action.record.members;
        return;
      case 'persist-attributes':
        node.persistedAttributes = action.entries;
        return;
      case 'run-agent':
        this.runAgent(node, action);
        return;
      case 'reannounce':
        this.trace(`${node.name} re-announces ${action.resource}: ${action.reason}`);
        return;
      case 'emit': {
        const e = action.event;
        if (e.kind === 'peer-dead') this.stats.peerDeadEvents += 1;
        if (e.kind === 'pause-detected') {
          this.stats.pausesDetected += 1;
          // The core forgets its peers' reports after a pause longer than deadtime (Groups.paused).
          if (Number(e.data?.gapMs ?? 0) > this.knobs.timings.deadtimeMs) node.heardScore.clear();
        }
        if (e.kind === 'leaving') node.leaving = true;
        if (e.kind === 'quorum-lost') {
          this.stats.quorumLosses += 1;
          node.lostSince ??= this.now;
        }
        if (e.kind === 'quorum-gained' || e.kind === 'quorum-pending') node.lostSince = undefined;
        if (this.options.trace) this.trace(`${node.name} ${e.kind}${e.node && e.node !== node.name ? ` ${e.node}` : ''}${e.link ? ` ${e.link}` : ''}${e.group ? ` ${e.group}` : ''}: ${e.reason}`);
        return;
      }
      case 'send': {
        if (action.message.report !== undefined) node.lastReport = action.message.report;
        const links = action.link === 'all' ? node.links : node.links.filter((link) => link === action.link);
        const repeats = action.message.type === 'leave' ? LEAVE_REPEATS : 1;
        for (const link of links) for (let i = 0; i < repeats; i++) this.send(node, link, action.message);
        return;
      }
      case 'fence':
        this.fence(node, action);
        return;
    }
  }

  /** What the daemon persists across restarts is kept; a leave waits for the groups, then tells the peers. */
  private beginLeave(node: SimNode, why: string): void {
    const deadlineAt = this.now + leaveDeadlineMs(this.groupSpecs);
    node.leavePending = { deadlineAt, finishing: false };
    const incarnation = node.incarnation;
    this.call(deadlineAt, () => {
      const leave = node.leavePending;
      if (node.incarnation !== incarnation || leave === undefined || leave.finishing || node.paused !== undefined) return;
      leave.finishing = true;
      this.finishLeave(node);
    });
    this.step(node, { kind: 'group-admin', now: instant(this.now), request: { kind: 'stop-all', reason: why } });
  }

  private finishLeave(node: SimNode): void {
    const leave = node.leavePending;
    if (node.core === undefined || leave === undefined) return;
    if (node.paused !== undefined) {
      // A paused daemon does nothing; the first step after it resumes tries again.
      leave.finishing = false;
      return;
    }
    const stopped = node.core.groupsStopped();
    this.trace(`${node.name} ${stopped ? 'has stopped its groups' : 'gives up waiting for its groups to stop'}: it leaves`);
    node.leavePending = undefined;
    this.step(node, { kind: 'admin-requested', now: instant(this.now), request: { kind: 'leave', reason: 'simulated maintenance' } });
    const incarnation = node.incarnation;
    this.call(this.now + 1, () => {
      if (node.incarnation !== incarnation) return;
      this.exitAfterLeave(node);
      this.restartLater(node);
    });
  }

  /** The daemon exits after its leave: a clean exit holding nothing disarms the watchdog (magic close), as tandemd does. */
  private exitAfterLeave(node: SimNode): void {
    if (node.core?.holdsNothing() === true) node.watchdogArmed = false;
    this.crash(node, 'exited after leave', true);
  }

  // -------------------------------------------------------------------------------------------------------------
  // Split-brain protection: fence devices, watchdogs, ping targets, and the checks that need them

  /**
   * A fence device powers the target off after the drawn delay, unless the operation fails (a fault: only while the
   * faults last). The device acts once commanded, whatever becomes of the daemon that asked; the result goes back to
   * that daemon if it still runs. A target already off is fenced at once.
   */
  private fence(from: SimNode, request: FenceRequest): void {
    this.stats.fencingsRequested += 1;
    const f = this.knobs.protection.fencing;
    const r = this.fenceRandom;
    const durationDraw = r.float();
    const failDraw = r.float();
    const durationMs = f === undefined ? 0 : Math.round(f.durationMsMin + durationDraw * (f.durationMsMax - f.durationMsMin));
    const incarnation = from.incarnation;
    this.trace(`${from.name} fence device: power off ${request.node} (request ${request.requestId}, ${durationMs} ms): ${request.reason}`);
    this.call(this.now + durationMs, () => {
      const target = this.nodes.find((node) => node.name === request.node);
      const fail = f === undefined || target === undefined || (this.phase === 'faults' && failDraw < f.failChance);
      let summary: string;
      if (fail) {
        this.stats.fencingsFailed += 1;
        summary = f === undefined ? 'no fence device' : 'simulated fence device failure';
        this.trace(`${from.name} fence device: fencing of ${request.node} FAILED (request ${request.requestId})`);
      } else {
        this.stats.fencingsSucceeded += 1;
        summary = target.powered ? 'powered off' : 'was already off';
        this.trace(`${from.name} fence device: ${request.node} ${summary} (request ${request.requestId})`);
        if (target.powered) this.powerOff(target, `fenced by ${from.name}`);
      }
      if (from.incarnation !== incarnation || from.core === undefined) return;
      const input: NodeInput = { kind: 'fence-finished', now: instant(this.now), requestId: request.requestId, ok: !fail, summary };
      if (!fail) this.lastAttributeWriteAt = this.now;
      if (from.paused !== undefined) from.pendingResults.push(input);
      else this.step(from, input);
    });
  }

  /** The daemon feeds the watchdog every timeout/3 while its core allows it; a paused or dead daemon does not. */
  private watchdogTick(node: SimNode, everyMs: number): void {
    this.call(this.now + everyMs, () => this.watchdogTick(node, everyMs));
    if (node.core === undefined || node.paused !== undefined || !node.watchdogArmed) return;
    if (node.core.watchdogVerdict(instant(this.now)).feed) this.feedWatchdog(node, false);
  }

  private feedWatchdog(node: SimNode, arm: boolean): void {
    const timeoutMs = this.knobs.protection.watchdogTimeoutMs;
    if (timeoutMs === undefined) return;
    if (arm) node.watchdogArmed = true;
    const fedAt = this.now;
    node.watchdogFedAt = fedAt;
    this.call(fedAt + timeoutMs, () => {
      if (!node.watchdogArmed || node.watchdogFedAt !== fedAt || !node.powered) return;
      this.stats.watchdogResets += 1;
      this.powerOff(node, `watchdog reset: not fed for ${timeoutMs} ms${node.core === undefined ? ' (tandemd is not running)' : node.paused !== undefined ? ' (tandemd is paused)' : ''}`);
    });
  }

  /** The ping prober: every interval it pings each target its uplink reaches; a reply counts for deadMs. */
  private pingTick(node: SimNode): void {
    const ping = this.knobs.protection.ping;
    if (ping === undefined) return;
    this.call(this.now + ping.intervalMs, () => this.pingTick(node));
    if (node.core === undefined || node.paused !== undefined) return;
    const incarnation = node.incarnation;
    for (let t = 0; t < ping.targets; t++) {
      const rttMs = 1 + this.pingRandom.int(ping.rttMsMax);
      if (this.uplinkCuts.has(`${node.index}/${t}`)) continue;
      this.call(this.now + rttMs, () => {
        if (node.incarnation !== incarnation || node.core === undefined || this.uplinkCuts.has(`${node.index}/${t}`)) return;
        node.pingReplyAt[t] = this.now;
        this.call(this.now + ping.deadMs, () => {
          if (node.incarnation === incarnation) this.updatePing(node);
        });
        if (node.paused === undefined) this.step(node, { kind: 'ping-reply', now: instant(this.now) });
        this.updatePing(node);
      });
    }
  }

  /** Hands the core its score when it changed (never the initial all-unreachable one, as the prober does). */
  private updatePing(node: SimNode): void {
    const ping = this.knobs.protection.ping;
    if (ping === undefined || node.core === undefined || node.paused !== undefined) return;
    let score = 0;
    for (let t = 0; t < ping.targets; t++) {
      const at = node.pingReplyAt[t];
      if (at !== undefined && this.now - at < ping.deadMs) score += 1;
    }
    if (score === node.pingReported || (node.pingReported === undefined && score === 0)) return;
    node.pingReported = score;
    this.trace(`${node.name} ping: ${score} of ${ping.targets} target(s) reachable`);
    this.step(node, { kind: 'ping-score', now: instant(this.now), score });
  }

  /**
   * Every half keepalive, all run long: DESIGN invariant 2 (a node whose core says its partition lost quorum, policy
   * stop, holds nothing once its ops could have stopped everything, unless a stop failed there), and the clean
   * stretches that satisfy wait-for-all.
   */
  private protectionCheck(everyMs: number): void {
    this.call(this.now + everyMs, () => this.protectionCheck(everyMs));
    const p = this.knobs.protection;
    if (p.waitForAll) this.watchAllSeen();
    if (p.noQuorum !== 'stop' || this.groupSpecs.length === 0) return;
    const boundMs = quorumStopBoundMs(this.knobs);
    for (const node of this.nodes) {
      const core = node.core;
      if (core === undefined || node.paused !== undefined || node.lostSince === undefined) continue;
      const since = Math.max(node.lostSince, node.activeSince);
      if (this.now - since <= boundMs) continue;
      const groups = core.groupsView().groups;
      for (const group of this.groupSpecs) {
        if (!this.holdsAny(node, group.name)) continue;
        if (this.tainted.get(group.name)?.has(node.name) === true) continue;
        if (groups.find((entry) => entry.name === group.name)?.phase === 'unclean') continue;
        const held = (this.groupResources.get(group.name) ?? []).filter((resource) => node.kernel.get(resource) === true);
        this.fail('quorum', `${node.name} has had no quorum since ${node.lostSince} ms (running unpaused since ${since} ms; no-quorum policy stop), but still runs ${held.join(', ')} of ${group.name} ${this.now - since} ms later (bound ${boundMs} ms), and no stop of it failed there`);
      }
    }
  }

  /** wait-for-all: an incarnation has seen every voter once it ran through a clean stretch with all of them running. */
  private watchAllSeen(): void {
    const arbitrator = this.protection.arbitrator;
    const voters = this.nodes.filter((node) => node.name !== arbitrator);
    const clean =
      voters.every((node) => node.core !== undefined && node.paused === undefined) &&
      this.cuts.size === 0 &&
      this.linkDown.size === 0 &&
      [...this.lossBursts.values()].every((list) => list.length === 0) &&
      [...this.congestion.values()].every((list) => list.length === 0);
    if (!clean) {
      this.cleanSince = undefined;
      return;
    }
    this.cleanSince ??= this.now;
    if (this.now - this.cleanSince >= 2 * this.knobs.timings.deadtimeMs + maxDelayEverMs(this.knobs)) for (const node of this.nodes) if (node.core !== undefined) node.sawAll = true;
  }

  /**
   * Whether the running nodes (all connected once faults stop) can be quorate, computed from the configuration and
   * from who runs, not from the cores' verdicts: a majority of the votes of running nodes (the arbitrator's when it
   * runs); a tie counts only with fencing, in a two-node cluster without tie-breaker, or when every running voter's
   * ping score beats the last score it heard from each voter that is down; with wait-for-all, only once every voter
   * runs, or a running incarnation went through a clean stretch with all of them.
   */
  private quorumTruth(): { runnable: boolean; why: string } {
    const spec = this.protection;
    if (spec.noQuorum === 'ignore') return { runnable: true, why: 'no-quorum policy ignore' };
    const voters = this.nodes.filter((node) => node.name !== spec.arbitrator);
    const liveVoters = voters.filter((node) => node.core !== undefined);
    const arbitrator = this.nodes.find((node) => node.name === spec.arbitrator);
    const votes = liveVoters.length + (arbitrator?.core !== undefined && arbitrator !== undefined ? 1 : 0);
    const expected = this.nodes.length;
    const count = `${votes} of ${expected} votes run`;
    if (spec.waitForAll && liveVoters.length < voters.length && !this.nodes.some((node) => node.core !== undefined && node.sawAll)) {
      return { runnable: false, why: `wait-for-all: not every node was seen at once (${count})` };
    }
    if (2 * votes > expected) return { runnable: true, why: `quorate: ${count}` };
    if (2 * votes < expected) return { runnable: false, why: `no quorum: ${count}` };
    const ping = this.knobs.protection.ping;
    if (ping !== undefined) {
      const down = voters.filter((node) => node.core === undefined);
      const won = liveVoters.filter((node) => {
        const own = node.pingReported;
        const theirs = down.map((peer) => node.heardScore.get(peer.name)?.score).filter((score): score is number => score !== undefined);
        return own !== undefined && theirs.length > 0 && own > Math.max(...theirs);
      });
      if (won.length === liveVoters.length && won.length > 0) return { runnable: true, why: `tie broken by ping: ${count}` };
    }
    if (spec.fencing !== undefined) return { runnable: true, why: `tie broken by fencing: ${count}` };
    if (voters.length === 2 && spec.arbitrator === undefined) return { runnable: true, why: `tie of two nodes without tie-breaker (heartbeat): ${count}` };
    return { runnable: false, why: `tie without a tie-breaker: ${count}` };
  }

  // -------------------------------------------------------------------------------------------------------------
  // Agents and kernels

  private runAgent(node: SimNode, op: RunOperation): void {
    this.stats.agentOps[op.operation] = (this.stats.agentOps[op.operation] ?? 0) + 1;
    if (op.operation === 'start') this.checkStartSafety(node, op);
    const a = this.knobs.agents;
    const r = this.agentRandom;
    const faults = this.phase === 'faults';
    // Every draw is made whatever the outcome, so that one fault more or less does not shift the others.
    const hangDraw = r.float();
    const failDraw = r.float();
    const leftRunning = r.float() < 0.5;
    const durationDraw = r.float();
    const hang = faults && hangDraw < a.hang;
    const failChance = op.operation === 'start' ? a.startFail : op.operation === 'stop' ? a.stopFail : 0;
    const fail = faults && !hang && failDraw < failChance;
    const maxMs = op.operation === 'start' ? a.startMsMax : op.operation === 'stop' ? a.stopMsMax : a.monitorMsMax;
    const durationMs = hang ? op.timeoutMs : Math.min(op.timeoutMs - 1, 1 + Math.floor(durationDraw * maxMs));
    if (hang) this.stats.agentFaults[`${op.operation}-hang`] = (this.stats.agentFaults[`${op.operation}-hang`] ?? 0) + 1;
    if (fail) this.stats.agentFaults[`${op.operation}-fail`] = (this.stats.agentFaults[`${op.operation}-fail`] ?? 0) + 1;
    if (op.operation !== 'monitor' || op.intervalMs === 0) {
      this.trace(`${node.name} agent: ${op.intervalMs === 0 && op.operation === 'monitor' ? 'probe' : op.operation} ${op.resource} (op ${op.opId}, ${durationMs} ms${hang ? ', will hang' : fail ? ', will fail' : ''}): ${op.reason}`);
    }
    const run: AgentRun = { op, incarnation: node.incarnation, hang, fail, leftRunning };
    this.call(this.now + durationMs, () => this.agentDone(node, run));
  }

  private agentDone(node: SimNode, run: AgentRun): void {
    // The daemon that ran it is gone (the agent died with it): no kernel change, no result.
    if (node.incarnation !== run.incarnation || node.core === undefined) return;
    const { op } = run;
    const before = node.kernel.get(op.resource) === true;
    let outcome: OperationOutcome;
    let detail = '';
    switch (op.operation) {
      case 'start':
        if (run.hang || run.fail) {
          node.kernel.set(op.resource, run.leftRunning);
          outcome = 'failed';
          detail = run.hang ? `timed out after ${op.timeoutMs} ms and killed` : 'simulated start failure';
        } else {
          node.kernel.set(op.resource, true);
          outcome = 'success';
        }
        break;
      case 'stop':
        if (run.hang || run.fail) {
          outcome = 'failed';
          detail = run.hang ? `timed out after ${op.timeoutMs} ms and killed` : 'simulated stop failure';
          let nodes = this.tainted.get(op.group);
          if (nodes === undefined) this.tainted.set(op.group, (nodes = new Set()));
          nodes.add(node.name);
        } else {
          node.kernel.set(op.resource, false);
          outcome = 'success';
        }
        break;
      case 'monitor':
        if (run.hang) {
          outcome = 'failed';
          detail = `timed out after ${op.timeoutMs} ms and killed`;
        } else outcome = before ? 'success' : 'not-running';
        break;
    }
    const after = node.kernel.get(op.resource) === true;
    if (op.operation !== 'monitor' || op.intervalMs === 0 || outcome !== 'success') {
      this.trace(`${node.name} agent: ${op.operation === 'monitor' && op.intervalMs === 0 ? 'probe' : op.operation} ${op.resource} (op ${op.opId}) → ${outcome}${detail ? ` (${detail})` : ''}; kernel: ${op.resource} ${after ? 'running' : 'stopped'}`);
    }
    if (before !== after) this.recountHolders();
    const input: NodeInput = { kind: 'agent-finished', now: instant(this.now), opId: op.opId, outcome, detail };
    if (node.paused !== undefined) node.pendingResults.push(input);
    else this.step(node, input);
  }

  /**
   * A service dies by itself: the kernel no longer runs it, and the next monitor (or the reconciler, for a VIP)
   * finds out. Only resources something watches die: one without a monitor would stay dead unnoticed, as it would
   * in a real cluster, which no checker could tell from a bug.
   */
  private serviceCrash(): void {
    if (this.phase !== 'faults') return;
    this.call(this.now + exponential(this.agentRandom, this.knobs.agents.serviceCrashMeanIntervalMs), () => this.serviceCrash());
    const candidates = this.nodes.flatMap((node) =>
      node.core === undefined ? [] : [...node.kernel].filter(([resource, running]) => running && this.watched.has(resource)).map(([resource]) => ({ node, resource })),
    );
    const victim = candidates[this.agentRandom.int(candidates.length)];
    if (victim === undefined) return;
    victim.node.kernel.set(victim.resource, false);
    this.stats.agentFaults['service-crash'] = (this.stats.agentFaults['service-crash'] ?? 0) + 1;
    this.trace(`fault: ${victim.resource} crashes on ${victim.node.name} (kernel: stopped)`);
    this.recountHolders();
  }

  /** The daemon's reconciler: VIPs gone from the kernel of a running group, or present in a stopped one. */
  private reconcile(): void {
    this.call(this.now + this.knobs.agents.reconcileIntervalMs, () => this.reconcile());
    for (const node of this.nodes) {
      const core = node.core;
      if (core === undefined || node.paused !== undefined) continue;
      for (const group of core.groupsView().groups) {
        const spec = this.groupSpecs.find((candidate) => candidate.name === group.name);
        for (const resource of group.resources) {
          if (spec?.resources.find((candidate) => candidate.id === resource.id)?.announces !== true) continue;
          const present = node.kernel.get(resource.id) === true;
          let input: NodeInput | undefined;
          if (group.phase === 'running' && resource.state === 'running' && !present) {
            input = { kind: 'resource-lost', now: instant(this.now), group: group.name, resource: resource.id, detail: `${resource.id} is gone from the kernel` };
          } else if ((group.phase === 'stopped' || group.phase === 'failed') && present) {
            input = { kind: 'stray-found', now: instant(this.now), group: group.name, resource: resource.id, detail: `${resource.id} is configured in the kernel` };
          }
          if (input === undefined || node.core === undefined) continue;
          this.trace(`${node.name} reconcile: ${input.kind} ${resource.id}`);
          this.step(node, input);
        }
      }
    }
  }

  /** `powered`: a machine whose daemon crashed alone still runs what its kernel holds (strict safety counts it). */
  private kernelNodes(powered = false): KernelNode[] {
    return this.nodes.map((node) => ({ name: node.name, alive: powered ? node.powered : node.core !== undefined, running: (resource: string) => node.kernel.get(resource) === true }));
  }

  private holdsAny(node: SimNode, group: string): boolean {
    for (const resource of this.groupResources.get(group) ?? []) if (node.kernel.get(resource) === true) return true;
    return false;
  }

  /** After any change of a kernel or of who is alive: which groups run on two or more live nodes. */
  private recountHolders(): void {
    const contested: string[] = [];
    for (const group of this.groupSpecs) {
      let holders = 0;
      for (const node of this.nodes) if (node.core !== undefined && this.holdsAny(node, group.name)) holders += 1;
      if (holders > 1) contested.push(group.name);
    }
    this.contested = contested;
    if (contested.length === 0) this.overlap.clear();
    for (const group of this.groupSpecs) {
      let powered = 0;
      for (const node of this.nodes) if (node.powered && this.holdsAny(node, group.name)) powered += 1;
      const since = this.splitSince.get(group.name);
      if (powered > 1 && since === undefined) this.splitSince.set(group.name, this.now);
      if (powered <= 1 && since !== undefined) {
        this.splitBrainMs += this.now - since;
        this.splitSince.delete(group.name);
      }
    }
    // A split brain ends when its group runs on one node again, unless one side is only between a stop and a start
    // (a restart in place, a start under way): that side still holds the group in its own view, on the same grant.
    for (const key of [...this.splitBrains]) {
      const [group, ...pair] = key.split('|');
      if (group === undefined || contested.includes(group)) continue;
      const acting = pair.some((name) => {
        const core = this.nodes.find((node) => node.name === name)?.core;
        const phase = core?.groupsView().groups.find((entry) => entry.name === group)?.phase;
        return phase === 'starting' || phase === 'recovering';
      });
      if (!acting) this.splitBrains.delete(key);
    }
  }

  private checkStartSafety(node: SimNode, op: RunOperation): void {
    if (node.core === undefined) return;
    const view = node.core.membershipView();
    const states = new Map(view.peers.map((peer) => [peer.name, peer.state]));
    const result = checkStart({
      starter: node.name,
      group: op.group,
      resource: op.resource,
      resources: this.groupResources.get(op.group) ?? [op.resource],
      peerState: (peer) => states.get(peer),
      nodes: this.kernelNodes(this.strict),
      inSplitBrain: (holder) => this.splitBrains.has(splitBrainKey(op.group, node.name, holder)),
      strict: this.strict ? `protection ${this.knobs.protection.mode}: it had to be fenced or certainly reset by its watchdog first` : undefined,
    });
    for (const holder of result.excused) {
      this.splitBrains.add(splitBrainKey(op.group, node.name, holder));
      this.stats.startsBesideUnseenHolder += 1;
      this.trace(`note: ${node.name} starts ${op.resource} of ${op.group} while ${holder}, which it holds ${states.get(holder)}, still runs part of it`);
    }
    if (result.violation !== undefined) this.fail('safety', result.violation);
  }

  private checkOverlap(): void {
    const pairs: HolderPair[] = [];
    const views = new Map<SimNode, Map<NodeName, PeerState>>();
    const statesOf = (node: SimNode): Map<NodeName, PeerState> => {
      let states = views.get(node);
      if (states === undefined) {
        states = new Map((node.core as SimCore).membershipView().peers.map((peer) => [peer.name, peer.state]));
        views.set(node, states);
      }
      return states;
    };
    for (const group of this.contested) {
      const holders = this.nodes.filter((node) => node.core !== undefined && this.holdsAny(node, group));
      for (let i = 0; i < holders.length; i++) {
        for (let j = i + 1; j < holders.length; j++) {
          const a = holders[i] as SimNode;
          const b = holders[j] as SimNode;
          const connected = a.paused === undefined && b.paused === undefined && this.connected(a, b);
          const unclean = [a, b].some((node) => node.lastReport?.groups.find((entry) => entry.name === group)?.phase === 'unclean');
          const mutual = connected && !unclean;
          pairs.push({
            group,
            a: a.name,
            b: b.name,
            connected,
            unclean,
            aSeesB: mutual ? statesOf(a).get(b.name) : undefined,
            bSeesA: mutual ? statesOf(b).get(a.name) : undefined,
          });
        }
      }
    }
    const problem = this.overlap.observe(this.now, pairs, (group) => overlapBoundMs(this.knobs, this.spec(group)));
    if (problem !== undefined) this.fail('overlap', problem);
  }

  /** Some link both nodes have is up at both ends and cut in neither direction. */
  private connected(a: SimNode, b: SimNode): boolean {
    for (const link of a.links) {
      if (!b.links.includes(link)) continue;
      if ((this.linkDown.get(`${a.index}/${link}`) ?? 0) > 0 || (this.linkDown.get(`${b.index}/${link}`) ?? 0) > 0) continue;
      if (this.blocked(a.index, b.index, link) || this.blocked(b.index, a.index, link)) continue;
      return true;
    }
    return false;
  }

  private spec(group: string): GroupSpec {
    const spec = this.groupSpecs.find((candidate) => candidate.name === group);
    if (spec === undefined) throw new Error(`no group ${group}`);
    return spec;
  }

  // -------------------------------------------------------------------------------------------------------------
  // Operator

  private operate(): void {
    if (this.phase !== 'faults') return;
    this.call(this.now + exponential(this.operatorRandom, this.knobs.operator.meanIntervalMs), () => this.operate());
    const r = this.operatorRandom;
    const running = this.nodes.filter((node) => node.core !== undefined && node.paused === undefined);
    const at = running[r.int(running.length)];
    const group = this.groupSpecs[r.int(this.groupSpecs.length)] as GroupSpec;
    const anyNode = this.nodes[r.int(this.nodes.length)] as SimNode;
    const fencing = this.protection.fencing !== undefined;
    const choice = r.int(fencing ? 12 : 11);
    const target = r.float() < 0.25 ? undefined : group.nodes[r.int(group.nodes.length)];
    if (at === undefined) return;
    let request: GroupAdminRequest;
    if (choice < 3) request = { kind: 'move', group: group.name, node: target };
    else if (choice < 5) request = { kind: 'standby', node: anyNode.name, on: true };
    else if (choice < 8) request = { kind: 'standby', node: anyNode.name, on: false };
    else if (choice < 10) request = { kind: 'cleanup', group: group.name };
    else if (choice < 11) request = { kind: 'takeover' };
    else {
      const targets = this.nodes.filter((node) => node !== at && node.name !== this.protection.arbitrator);
      const target = targets[r.int(targets.length)];
      if (target === undefined) return;
      request = { kind: 'fence', node: target.name };
    }
    this.command(at, request);
  }

  /**
   * A cleanup tells the cores that a dead or departed node that was unclean for the group is down. Where fencing or a
   * watchdog makes safety strict, the operator makes sure first: every such machine that still runs part of the
   * group (its daemon down, or held dead or left by a running node) is powered off.
   */
  private makeSureDown(group: string): void {
    if (!this.strict) return;
    for (const node of this.tainted.get(group) ?? []) {
      const sim = this.nodes.find((candidate) => candidate.name === node);
      if (sim === undefined || !sim.powered || !this.holdsAny(sim, group)) continue;
      const heldDown = sim.core === undefined || this.nodes.some((other) => other.core?.membershipView().peers.some((peer) => peer.name === node && (peer.state === 'dead' || peer.state === 'left')) === true);
      if (heldDown) this.powerOff(sim, `the operator makes sure it is down before cleaning ${group} up`);
    }
  }

  private command(at: SimNode, request: GroupAdminRequest): void {
    if (request.kind === 'cleanup') this.makeSureDown(request.group);
    const label = request.kind === 'standby' ? (request.on ? 'standby' : 'online') : request.kind;
    this.stats.operatorCommands[label] = (this.stats.operatorCommands[label] ?? 0) + 1;
    this.trace(`operator on ${at.name}: ${JSON.stringify(request)}`);
    this.lastAttributeWriteAt = this.now;
    this.step(at, { kind: 'group-admin', now: instant(this.now), request });
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
      if (this.netRandom.float() < Math.max(loss, this.cutLoss(node.index, to.index, link))) continue;
      const copies = this.netRandom.float() < knobs.duplicate ? 2 : 1;
      for (let c = 0; c < copies; c++) {
        const delay = knobs.delayMsMin + this.netRandom.float() * (knobs.delayMsMax - knobs.delayMsMin) + this.netRandom.float() * congestionMs;
        this.scheduler.schedule(this.now + Math.round(delay), { kind: 'deliver', packet, to, link });
      }
    }
  }

  private blocked(from: number, to: number, link: LinkName): boolean {
    for (const cut of this.cuts) {
      if (cut.loss === undefined && (cut.link === undefined || cut.link === link) && cut.pairs.has(`${from}>${to}`)) return true;
    }
    return false;
  }

  /** The loss the lossy cuts add from one node to another (0 when none applies). */
  private cutLoss(from: number, to: number, link: LinkName): number {
    let loss = 0;
    for (const cut of this.cuts) {
      if (cut.loss !== undefined && (cut.link === undefined || cut.link === link) && cut.pairs.has(`${from}>${to}`)) loss = Math.max(loss, cut.loss);
    }
    return loss;
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
    const report = received.message.report;
    if (report !== undefined) {
      // Groups.received keeps a report of a newer generation, or a higher revision of the same one.
      const known = to.heardScore.get(received.envelope.from);
      const generation = received.envelope.generation;
      if (known === undefined || generation > known.generation || (generation === known.generation && report.rev > known.rev)) {
        to.heardScore.set(received.envelope.from, { generation, rev: report.rev, score: report.quorum?.pingScore });
      }
    }
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
        this.partitionUplink(side, durationMs);
        return;
      }
      case 'partition-islands': {
        const islands = 2 + r.int(n - 1);
        const island = this.nodes.map(() => r.int(islands));
        if (island.every((x) => x === island[0])) island[r.int(n)] = ((island[0] ?? 0) + 1) % islands;
        const pairs = new Set<string>();
        for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) if (island[i] !== island[j]) pairs.add(`${i}>${j}`);
        const label = [...new Set(island)].map((x) => `{${this.nodes.filter((_, i) => island[i] === x).map((node) => node.name).join(',')}}`).join(' | ');
        this.cut({ link: oneLink, pairs }, durationMs, `partition into islands ${label} on ${on}`);
        this.partitionUplink(island.map((x) => x === island[0]), durationMs);
        return;
      }
      case 'partition-oneway':
      case 'asymmetric-loss': {
        // One side (a single node half the time) cannot reach the other, or loses most of what it sends there.
        const single = r.float() < 0.5;
        const pick = r.int(n);
        const side = single ? this.nodes.map((_, i) => i === pick) : this.nodes.map(() => r.float() < 0.5);
        if (side.every((s) => s) || side.every((s) => !s)) side[r.int(n)] = !side[0];
        const reverse = r.float() < 0.5;
        const loss = kind === 'asymmetric-loss' ? 0.5 + 0.49 * r.float() : undefined;
        const pairs = new Set<string>();
        for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) if (side[i] !== side[j] && side[i] !== reverse) pairs.add(`${i}>${j}`);
        const names = [true, false].map((s) => this.nodes.filter((_, i) => side[i] === s).map((x) => x.name).join(','));
        const [from, to] = reverse ? [names[1], names[0]] : [names[0], names[1]];
        const what = loss === undefined ? 'cannot reach' : `loses ${Math.round(loss * 100)}% of what it sends to`;
        this.cut({ link: oneLink, pairs, ...(loss === undefined ? {} : { loss }) }, durationMs, `one way: {${from}} ${what} {${to}} on ${on}`);
        return;
      }
      case 'flapping': {
        const side = this.nodes.map(() => r.float() < 0.5);
        if (side.every((s) => s) || side.every((s) => !s)) side[r.int(n)] = !side[0];
        const pairs = new Set<string>();
        for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) if (side[i] !== side[j]) pairs.add(`${i}>${j}`);
        const groups = [true, false].map((s) => this.nodes.filter((_, i) => side[i] === s).map((x) => x.name).join(','));
        const deadtimeMs = this.knobs.timings.deadtimeMs;
        const flaps = 3 + r.int(6);
        let at = this.now;
        for (let i = 0; i < flaps; i++) {
          const upMs = Math.round(deadtimeMs * (0.3 + 1.4 * r.float()));
          const downMs = Math.round(deadtimeMs * (0.2 + 1.3 * r.float()));
          const cut: Cut = { link: oneLink, pairs };
          this.call(at, () => {
            if (this.phase === 'faults') this.cut(cut, upMs, `flapping partition {${groups[0]}} | {${groups[1]}} on ${on}, flap ${i + 1} of ${flaps}`);
          });
          at += upMs + downMs;
        }
        return;
      }
      case 'long-pause': {
        const node = this.pickRunning(r);
        if (node === undefined || node.paused !== undefined) return;
        const deadtimeMs = this.knobs.timings.deadtimeMs;
        const watchdogMs = this.knobs.protection.watchdogTimeoutMs;
        const pauseMs = Math.round(watchdogMs !== undefined && r.float() < 0.5 ? deadtimeMs + watchdogMs * (0.5 + r.float()) : deadtimeMs * (1.2 + 4.8 * r.float()));
        this.pause(node, pauseMs, r.float() < 0.5);
        return;
      }
      case 'uplink': {
        const ping = this.knobs.protection.ping;
        const node = this.nodes[r.int(n)] as SimNode;
        if (ping === undefined) return;
        const all = r.float() < 0.6;
        const targets = Array.from({ length: ping.targets }, (_, t) => t).filter(() => all || r.float() < 0.5);
        this.cutUplink([node], targets, durationMs);
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
        const daemonOnly = r.float() < this.knobs.agents.daemonCrash;
        if (node === undefined) return;
        if (daemonOnly) {
          this.crash(node, 'fault: tandemd crashes', true);
          this.restartLater(node);
        } else this.powerOff(node, 'fault: crash');
        return;
      }
      case 'pause': {
        const node = this.pickRunning(r);
        if (node === undefined || node.paused !== undefined) return;
        this.pause(node, durationMs, r.float() < 0.5);
        return;
      }
      case 'leave': {
        const node = this.mayStop() ? this.pickRunning(r) : undefined;
        if (node === undefined || node.paused !== undefined || node.leaving) return;
        this.trace(`fault: ${node.name} leaves gracefully`);
        // As the daemon does: stop every group, leave once they are stopped (or at the deadline), exit, restart later.
        this.beginLeave(node, 'simulated maintenance');
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

  private pause(node: SimNode, durationMs: number, timerFirst: boolean): void {
    const pause = { id: this.nextPauseId++, timerFirst };
    node.paused = pause;
    this.cleanSince = undefined;
    this.trace(`fault: pause ${node.name} for ${durationMs} ms`);
    this.call(this.now + durationMs, () => {
      if (node.paused?.id === pause.id) this.resume(node);
    });
  }

  /** In ping modes a partition sometimes cuts the uplink of one of its sides too (either side: symmetric or not). */
  private partitionUplink(side: readonly boolean[], durationMs: number): void {
    const ping = this.knobs.protection.ping;
    if (ping === undefined) return;
    const r = this.faultRandom;
    if (r.float() >= ping.partitionUplink) return;
    const which = r.float() < 0.5;
    const nodes = this.nodes.filter((_, i) => side[i] === which);
    this.cutUplink(nodes, Array.from({ length: ping.targets }, (_, t) => t), durationMs);
  }

  private cutUplink(nodes: readonly SimNode[], targets: readonly number[], durationMs: number): void {
    if (nodes.length === 0 || targets.length === 0) return;
    const keys = nodes.flatMap((node) => targets.map((t) => `${node.index}/${t}`));
    for (const key of keys) this.uplinkCuts.set(key, (this.uplinkCuts.get(key) ?? 0) + 1);
    this.trace(`fault: uplink of ${nodes.map((node) => node.name).join(',')} to ping target(s) ${targets.join(',')} cut for ${durationMs} ms`);
    this.call(this.now + durationMs, () => {
      for (const key of keys) {
        const count = this.uplinkCuts.get(key) ?? 0;
        if (count > 1) this.uplinkCuts.set(key, count - 1);
        else this.uplinkCuts.delete(key);
      }
    });
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
    const results = node.pendingResults;
    node.pendingResults = [];
    if (pause.timerFirst) this.step(node, { kind: 'timer-due', now: instant(this.now) });
    for (const packet of buffered) if (node.core !== undefined) this.receiveLegit(packet, node);
    for (const result of results) this.step(node, { ...result, now: instant(this.now) });
    if (!pause.timerFirst) this.step(node, { kind: 'timer-due', now: instant(this.now) });
    node.activeSince = this.now;
    this.updatePing(node);
  }

  private startLiveness(): void {
    this.phase = 'liveness';
    this.trace('faults stop: network healed, paused nodes resumed');
    this.cuts.clear();
    this.linkDown.clear();
    this.lossBursts.clear();
    this.congestion.clear();
    this.uplinkCuts.clear();
    for (const node of this.nodes) {
      if (node.paused !== undefined) this.resume(node);
      if (node.leaving) this.exitAfterLeave(node);
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
      this.checkGroupsNow();
      this.call(this.now + everyMs, check);
    };
    this.call(this.now + everyMs, check);
    if (this.groupSpecs.length > 0) this.call(this.faultEndMs + this.boundMs, () => this.cleanupAtQuiet());
  }

  /**
   * Once membership agrees (every down node is dead or left everywhere, so a cleanup confirms it down), the operator
   * cleans up some of the groups a failed stop left unclean; the others stay out of the liveness check.
   */
  private cleanupAtQuiet(): void {
    for (const group of this.groupSpecs) {
      const unclean = this.tainted.get(group.name);
      const draw = this.operatorRandom.float();
      if (unclean === undefined || unclean.size === 0 || draw >= this.knobs.operator.cleanupAtQuiet) continue;
      const running = this.nodes.filter((node) => node.core !== undefined);
      const at = running[this.operatorRandom.int(running.length)];
      if (at === undefined) return;
      this.trace(`operator, faults over: cleanup of ${group.name}, unclean on ${[...unclean].join(', ')}`);
      unclean.clear();
      this.command(at, { kind: 'cleanup', group: group.name });
    }
  }

  /** Where the liveness bound of a group starts: membership agreed, old ops over, and its preconditions steady. */
  private livenessBase(since: number): number {
    return Math.max(this.quietSince + this.boundMs + maxOpTimeoutMs(this.knobs) + protectionSettleMs(this.knobs), since);
  }

  /**
   * Liveness of every group (see checkers.ts). A group is checked when no stop of it failed anywhere since the last
   * cleanup or restart (unclean), at least one live node may run it (listed, not in standby in any live node's
   * table, not leaving, below the migration threshold in its own report), and that set has not changed for the
   * group's liveness bound. Also: every live node's attribute table is the same once membership agrees.
   */
  private checkGroupsNow(): void {
    if (this.groupSpecs.length === 0) return;
    const live = this.nodes.filter((node) => node.core !== undefined);
    if (this.now > Math.max(this.quietSince + this.boundMs, this.lastAttributeWriteAt) + 10 * this.knobs.timings.keepaliveMs) {
      const tables = live.map((node) => JSON.stringify(node.persistedAttributes));
      const differs = live.findIndex((_, i) => tables[i] !== tables[0]);
      if (differs > 0) {
        this.fail('liveness', `attribute tables differ: ${live[0]?.name} has ${tables[0]}, ${live[differs]?.name} has ${tables[differs]}`);
      }
    }
    const standby = new Set<string>();
    for (const node of live) for (const entry of node.persistedAttributes) if (entry.key.startsWith('standby/') && entry.value !== '') standby.add(entry.key.slice('standby/'.length));
    const kernels = this.kernelNodes();
    const quorum = this.quorumTruth();
    for (const group of this.groupSpecs) {
      const unclean = [...(this.tainted.get(group.name) ?? [])];
      const eligible = live.filter((node) => {
        if (!group.nodes.includes(node.name) || standby.has(node.name) || node.leaving) return false;
        const report = node.lastReport;
        const own = report?.groups.find((entry) => entry.name === group.name);
        return report !== undefined && !report.leaving && own !== undefined && own.phase !== 'unclean' && own.failCount < group.migrationThreshold;
      });
      const key = `${unclean.join(',')}|${eligible.map((node) => node.name).join(',')}|${quorum.runnable}`;
      let state = this.liveness.get(group.name);
      if (state === undefined || state.key !== key) {
        state = { key, since: this.now, settledAt: undefined, checked: false };
        this.liveness.set(group.name, state);
      }
      if (unclean.length > 0 || eligible.length === 0 || !quorum.runnable) continue;
      const problem = checkPlacement({ group: group.name, resources: this.groupResources.get(group.name) ?? [], nodes: kernels, eligible: new Set(eligible.map((node) => node.name)) });
      if (problem === undefined) state.settledAt ??= this.now;
      else state.settledAt = undefined;
      const deadline = this.livenessBase(state.since) + groupLivenessBoundMs(this.knobs, group);
      if (this.now < deadline) continue;
      state.checked = true;
      if (problem !== undefined) {
        this.fail('liveness', `${problem}; faults stopped at ${this.faultEndMs} ms${this.quietSince > this.faultEndMs ? ` (a running node lost power at ${this.quietSince} ms)` : ''}, membership agreed by ${this.quietSince + this.boundMs} ms, the group's preconditions hold since ${state.since} ms (${quorum.why}), its liveness bound ${groupLivenessBoundMs(this.knobs, group)} ms (+ protection ${protectionSettleMs(this.knobs)} ms) ran out at ${deadline} ms`);
      }
    }
  }

  private checkAgreementNow(): void {
    const live = new Set(this.nodes.filter((node) => node.core !== undefined).map((node) => node.name));
    const views = this.nodes.flatMap((node) => (node.core === undefined ? [] : [node.core.membershipView()]));
    const problem = checkAgreement(views, live);
    if (problem === undefined) {
      this.convergedAtMs ??= this.now;
      return;
    }
    this.convergedAtMs = undefined;
    if (this.now > this.quietSince + this.boundMs) {
      this.fail('c', `${problem}; faults stopped at ${this.faultEndMs} ms${this.quietSince > this.faultEndMs ? ` (a running node lost power at ${this.quietSince} ms)` : ''} and the convergence bound is ${this.boundMs} ms`);
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
    const before = JSON.stringify(core.membershipView());
    const received: Received = receivePacket(made.bytes, link, this.receiveContext(target));
    if (received.ok) {
      this.step(target, { kind: 'message-received', now: instant(this.now), envelope: received.envelope, message: received.message });
      this.fail('b', `${made.label} to ${target.name} on ${link} was accepted as a ${received.message.type} from ${received.envelope.from}`);
    }
    if (!made.expected.includes(received.reason)) {
      this.fail('b', `${made.label} to ${target.name} on ${link} was dropped as ${received.reason} (${received.detail}), expected ${made.expected.join(' or ')}`);
    }
    this.countDrop(`attack:${received.reason}`);
    if (JSON.stringify(core.membershipView()) !== before) this.fail('b', `${made.label} to ${target.name} changed its view`);
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

/** A deliberately broken core: the real NodeCore underneath, with `step` altered. */
abstract class BrokenCore implements SimCore {
  constructor(protected readonly core: NodeCore) {}

  abstract step(input: NodeInput): NodeStepOutput;

  membershipView(): MembershipView {
    return this.core.membershipView();
  }

  groupsView(): GroupsView {
    return this.core.groupsView();
  }

  groupsStopped(): boolean {
    return this.core.groupsStopped();
  }

  holdsNothing(): boolean {
    return this.core.holdsNothing();
  }

  watchdogVerdict(now: Instant): { feed: boolean; reason: string } {
    return this.core.watchdogVerdict(now);
  }
}

/** The broken core for checker (c): after its first detected pause it never sends again, though it keeps running. */
class SilentAfterPause extends BrokenCore {
  private silent = false;

  step(input: NodeInput): NodeStepOutput {
    const output = this.core.step(input);
    if (output.actions.some((a) => a.kind === 'emit' && a.event.kind === 'pause-detected')) this.silent = true;
    return this.silent ? { ...output, actions: output.actions.filter((a) => a.kind !== 'send') } : output;
  }
}

/** Operation ids the broken wrappers make up, far above the core's own. */
const FAKE_OP_ID_BASE = 1_000_000_000;

/**
 * The broken core for the safety checker: as soon as it has heard any peer, it starts every resource of every group
 * itself, without claims or grants (the real core below goes on as usual, unaware).
 */
class StartEverywhere extends BrokenCore {
  private started = false;
  private nextOpId = FAKE_OP_ID_BASE;

  constructor(
    core: NodeCore,
    private readonly self: NodeName,
    private readonly groups: readonly GroupSpec[],
  ) {
    super(core);
  }

  step(input: NodeInput): NodeStepOutput {
    // The results of its own starts go to the core too, which ignores operation ids it never issued.
    const output = this.core.step(input);
    if (this.started || input.kind !== 'message-received') return output;
    this.started = true;
    const starts: NodeAction[] = this.groups.flatMap((group) =>
      group.resources.map((resource) => ({
        kind: 'run-agent' as const,
        opId: this.nextOpId++,
        group: group.name,
        resource: resource.id,
        operation: 'start' as const,
        timeoutMs: resource.startTimeoutMs,
        intervalMs: 0,
        reason: `broken: ${this.self} starts everything`,
      })),
    );
    return { ...output, actions: [...output.actions, ...starts] };
  }
}

/** The broken cores for liveness (never runs a start) and overlap (never runs a stop): the op is dropped unrun. */
class DropOperations extends BrokenCore {
  constructor(
    core: NodeCore,
    private readonly dropped: 'start' | 'stop',
  ) {
    super(core);
  }

  step(input: NodeInput): NodeStepOutput {
    const output = this.core.step(input);
    return { ...output, actions: output.actions.filter((a) => a.kind !== 'run-agent' || a.operation !== this.dropped) };
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

function splitBrainKey(group: string, a: string, b: string): string {
  return a < b ? `${group}|${a}|${b}` : `${group}|${b}|${a}`;
}
