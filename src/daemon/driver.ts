/**
 * The daemon's single loop around the pure core: datagrams, timers, agent results, reconciliation findings and
 * operator commands become core inputs; core actions become I/O. It is the only place where the core meets the
 * clock, the sockets, the agents and the disk.
 *
 * Invariants:
 *   1. `persist` actions are written (and fsynced) before any later action of the same step is performed.
 *   2. Every datagram is either handed to the core or counted as a drop with its reason; nothing is swallowed.
 *   3. One timer at a time, armed for the core's `wakeAt`.
 *   4. Every `run-agent` action gets exactly one `agent-finished` input back, whatever the agent does.
 *   5. A graceful leave stops every group before the leave message goes out, so peers may start them at once.
 *   6. Every `fence` action gets exactly one `fence-finished` input back, whatever the fence devices do.
 *   7. The watchdog (when configured) is fed from this loop only, and only while the core says so: a frozen, hung
 *      or crashed daemon stops feeding it. It is disarmed (magic close) only on a clean leave with nothing held.
 */
import type { ClusterConfig, KeyRing } from '../config/model.js';
import { NodeCore, type NodeAction, type NodeInput } from '../core/node.js';
import { leaveDeadlineMs } from '../core/groups.js';
import type { AttributeEntry, GroupAdminRequest, GroupSpec, GroupsView, RunOperation } from '../core/group-types.js';
import {
  type ClusterEvent,
  type LinkName,
  type MembershipConfig,
  type MembershipView,
  type Message,
  type NodeName,
  linkName,
  nodeName,
} from '../core/types.js';
import type { Clock } from '../lib/clock.js';
import type { Transport, TransportHandlers } from '../net/transport.js';
import type { Logger } from '../obs/logger.js';
import { EventLog } from '../obs/event-log.js';
import { REPORT_BYTES_BUDGET, encodePacket, type DropReason } from '../wire/codec.js';
import { reportBytes } from '../wire/report-codec.js';
import { receivePacket } from '../wire/receive-path.js';
import { DropCounters } from '../wire/drop-counters.js';
import { ReceiveGuard } from '../wire/receive-guard.js';
import { configDigest } from '../config/digest.js';
import { ATTRIBUTES_FILE, MEMBERSHIP_FILE, PEER_GENERATIONS_FILE, type StateStore } from './state-store.js';
import { ResourceRunner, type AgentBuilder } from './resource-runner.js';
import { protectionSpec } from '../config/protection.js';
import { protectionWarnings, type ProtectionView } from '../core/node.js';
import type { FenceRequest } from '../core/fencing.js';
import { fenceNode, type FenceOutcome, type FencePlan } from '../fencing/fencer.js';
import { Watchdog } from '../fencing/watchdog.js';
import { PingProber, type PingScore } from './ping-prober.js';
import { fencePlanFor } from './fence-plan.js';
import { findingInputs, reconcileAddresses, type ListAddresses } from './reconciler.js';

/** How many times a leave announcement is sent on each link: one lost datagram must not cost a deadtime. */
export const LEAVE_REPEATS = 3;

const WARNING_EVENTS: ReadonlySet<string> = new Set([
  'peer-dead', 'link-dead', 'config-mismatch', 'link-jitter-high', 'pause-detected',
  'group-blocked', 'group-failed', 'group-recovering', 'group-yielded', 'resource-failed', 'stray-found', 'stray-removed',
  'quorum-lost', 'quorum-pending', 'fence-scheduled', 'fence-requested', 'ping-changed',
]);
const ERROR_EVENTS: ReadonlySet<string> = new Set(['group-unclean', 'fence-failed']);

export interface LinkEndpoint {
  readonly link: LinkName;
  readonly transport: Transport;
}

export type OpenTransport = (config: ClusterConfig, self: NodeName, link: LinkName, handlers: TransportHandlers) => Promise<Transport>;

export interface DriverOptions {
  readonly config: ClusterConfig;
  readonly ring: KeyRing;
  readonly self: NodeName;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly store: StateStore;
  readonly openTransport: OpenTransport;
  /** Builds the agent of a resource; the daemon's is `agentForResource`, tests may give their own. */
  readonly buildAgent: AgentBuilder;
  /** Lists an interface's addresses for reconciliation; undefined disables reconciliation. */
  readonly listAddresses?: ListAddresses;
  /** Runs a fencing; the daemon's is `fenceNode` with the real fence agents, tests may give their own. */
  readonly fence?: (node: NodeName, plan: FencePlan) => Promise<FenceOutcome>;
  /** Opens the watchdog device; the daemon's is `Watchdog.open`. */
  readonly openWatchdog?: (path: string, timeoutMs: number) => Pick<Watchdog, 'feed' | 'close' | 'effectiveTimeoutMs'>;
  /** Measures the ping targets; the daemon's is `PingProber` with the system `ping`. */
  readonly startPing?: (config: NonNullable<ClusterConfig['ping']>, onScore: (score: PingScore) => void) => { stop(): Promise<void> };
}

export interface LinkCounters {
  sent: number;
  received: number;
  sendErrors: number;
  lastError?: string;
}

export function membershipConfigOf(config: ClusterConfig, self: NodeName): MembershipConfig {
  return {
    self,
    nodes: config.nodes.map((node) => ({ name: node.name, links: Object.keys(node.links).map(linkName) })),
    timings: config.timings,
    configDigest: configDigest(config),
  };
}

/** The core's view of the configured groups (none for the arbitrator, which runs no resources). */
export function groupSpecsOf(config: ClusterConfig, self?: NodeName): GroupSpec[] {
  if (self !== undefined && config.arbitrator === self) return [];
  return config.groups.map((group) => ({
    name: group.name,
    nodes: group.nodes,
    failback: group.failback,
    migrationThreshold: group.migrationThreshold,
    failureTimeoutMs: group.failureTimeoutMs,
    strayPolicy: config.reconcile.strayAddresses,
    resources: group.resources.map((resource) => ({
      id: resource.id,
      startTimeoutMs: resource.startTimeoutMs,
      stopTimeoutMs: resource.stopTimeoutMs,
      monitorIntervalMs: resource.monitorIntervalMs,
      monitorTimeoutMs: resource.monitorTimeoutMs,
      announces: resource.agent.kind === 'ipaddr',
    })),
  }));
}

/** Links this node has an address on, in config order. */
export function localLinks(config: ClusterConfig, self: NodeName): LinkName[] {
  const node = config.nodes.find((candidate) => candidate.name === self);
  return config.links.filter((link) => node?.links[link.name] !== undefined).map((link) => link.name);
}

export class Driver {
  readonly events = new EventLog();
  readonly drops = new DropCounters();
  readonly linkCounters = new Map<LinkName, LinkCounters>();
  readonly generation: number;
  readonly startedAtWallMs: number;
  private config: ClusterConfig;
  private ring: KeyRing;
  private readonly core: NodeCore;
  private readonly runner: ResourceRunner;
  private reconcileTimer: NodeJS.Timeout | undefined;
  private reconciling = false;
  private readonly stoppedWaiters: (() => void)[] = [];
  private readonly guard = new ReceiveGuard();
  private readonly transports = new Map<LinkName, Transport>();
  private readonly sendSeq = new Map<LinkName, number>();
  private knownNodes: Set<string>;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly persistedGenerations = new Map<NodeName, number>();
  private armedFor: number | undefined;
  private watchdog: Pick<Watchdog, 'feed' | 'close' | 'effectiveTimeoutMs'> | undefined;
  private watchdogTimer: NodeJS.Timeout | undefined;
  private watchdogStarved: string | undefined;
  private ping: { stop(): Promise<void> } | undefined;
  /** The prober's latest score (undefined until a target first answers: all unreachable). */
  private pingScore: PingScore | undefined;

  private constructor(
    private readonly options: DriverOptions,
    generation: number,
  ) {
    this.config = options.config;
    this.ring = options.ring;
    this.generation = generation;
    this.startedAtWallMs = options.clock.wallNow();
    this.knownNodes = new Set(this.config.nodes.map((node) => node.name));
    const attributes = options.store.readJson<AttributeEntry[]>(ATTRIBUTES_FILE) ?? [];
    this.core = new NodeCore(
      membershipConfigOf(this.config, options.self),
      groupSpecsOf(this.config, options.self),
      attributes,
      (report) => reportBytes(report) <= REPORT_BYTES_BUDGET,
      protectionSpec(this.config),
    );
    this.runner = new ResourceRunner(options.buildAgent);
    this.runner.configure(this.config);
    const seeds = options.store.readJson<Record<string, number>>(PEER_GENERATIONS_FILE) ?? {};
    for (const [peer, seen] of Object.entries(seeds)) {
      this.guard.seedGeneration(nodeName(peer), seen);
      this.persistedGenerations.set(nodeName(peer), seen);
    }
  }

  /** Persists a new generation, opens every link, and starts heartbeating. */
  static async start(options: DriverOptions): Promise<Driver> {
    const driver = new Driver(options, options.store.nextGeneration());
    try {
      for (const link of localLinks(options.config, options.self)) await driver.openLink(link);
      // Before anything runs: a configured watchdog that cannot be opened would make the peers' wait a lie.
      driver.openWatchdog();
    } catch (error) {
      await driver.closeTransports();
      throw error;
    }
    for (const warning of protectionWarnings(protectionSpec(options.config))) options.logger.log('warn', `split-brain protection: ${warning}`);
    driver.feed({ kind: 'started', now: options.clock.monotonicNow(), generation: driver.generation });
    driver.armReconcile();
    driver.startPing();
    return driver;
  }

  get currentConfig(): ClusterConfig {
    return this.config;
  }

  get self(): NodeName {
    return this.options.self;
  }

  membership(): MembershipView {
    return this.core.membershipView();
  }

  groups(): GroupsView {
    return this.core.groupsView();
  }

  protection(): ProtectionView {
    return this.core.protectionView(this.options.clock.monotonicNow());
  }

  /** Whether a watchdog is configured, whether it is being fed now, and why (or how often). */
  get watchdogStatus(): { configured: boolean; fed: boolean; detail: string } {
    if (this.watchdog === undefined) return { configured: false, fed: false, detail: 'no watchdog configured' };
    return this.watchdogStarved === undefined ? { configured: true, fed: true, detail: `fed every ${this.watchdogIntervalMs()} ms (timeout ${this.watchdog.effectiveTimeoutMs} ms)` } : { configured: true, fed: false, detail: this.watchdogStarved };
  }

  /** Each ping target (group) and whether it answers now: heartbeat's ping nodes, for `cl_status`. */
  get pingTargets(): { name: string; addresses: readonly string[]; reachable: boolean }[] {
    return ((this.config.ping ?? this.config.origin?.pingNodes)?.groups ?? []).map((group) => ({
      name: group.name,
      addresses: group.addresses,
      reachable: this.pingScore?.groups.find((score) => score.name === group.name)?.reachable ?? false,
    }));
  }

  describeResource(resourceId: string): string {
    return this.runner.describe(resourceId);
  }

  /** An operator command (standby, move, cleanup, takeover); validated by the caller against the config. */
  admin(request: GroupAdminRequest): void {
    this.feed({ kind: 'group-admin', now: this.options.clock.monotonicNow(), request });
  }

  transportDescriptions(): ReadonlyMap<LinkName, string> {
    return new Map([...this.transports].map(([link, transport]) => [link, transport.description]));
  }

  /** Applies an already validated config: reopens the links whose endpoints changed, then tells the core. */
  async reload(config: ClusterConfig, ring: KeyRing): Promise<{ reopened: LinkName[] }> {
    const before = this.config;
    this.config = config;
    this.ring = ring;
    this.knownNodes = new Set(config.nodes.map((node) => node.name));
    const wanted = new Set(localLinks(config, this.self));
    const reopened: LinkName[] = [];
    for (const [link, transport] of [...this.transports]) {
      if (!wanted.has(link) || endpointKey(before, this.self, link) !== endpointKey(config, this.self, link)) {
        await transport.close();
        this.transports.delete(link);
      }
    }
    for (const link of wanted) {
      if (!this.transports.has(link)) {
        await this.openLink(link);
        reopened.push(link);
      }
    }
    this.feed({ kind: 'config-changed', now: this.options.clock.monotonicNow(), config: membershipConfigOf(config, this.self) });
    this.runner.configure(config);
    this.feed({ kind: 'groups-changed', now: this.options.clock.monotonicNow(), groups: groupSpecsOf(config, this.self) });
    this.feed({ kind: 'protection-changed', now: this.options.clock.monotonicNow(), protection: protectionSpec(config) });
    this.armReconcile();
    if (JSON.stringify(before.ping) !== JSON.stringify(config.ping) || JSON.stringify(before.origin?.pingNodes) !== JSON.stringify(config.origin?.pingNodes)) {
      await this.ping?.stop();
      this.ping = undefined;
      this.startPing();
    }
    return { reopened };
  }

  /**
   * Graceful stop: stops every group here (peers see them stopped and start them elsewhere at once), then tells the
   * peers we leave (they mark us `left` at once), then closes everything. If the groups do not stop within
   * leaveDeadlineMs the node leaves anyway and says so: its groups stay unclean for the others.
   */
  async leave(reason: string): Promise<void> {
    if (this.closed) return;
    this.admin({ kind: 'stop-all', reason });
    const deadlineMs = leaveDeadlineMs(groupSpecsOf(this.config, this.self));
    const stopped = await new Promise<boolean>((resolve) => {
      if (this.core.groupsStopped()) return resolve(true);
      const timer = setTimeout(() => resolve(false), deadlineMs);
      this.stoppedWaiters.push(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
    if (!stopped) this.options.logger.log('error', `leaving with groups not stopped after ${deadlineMs} ms: peers will not start them until this node is cleaned up`);
    this.feed({ kind: 'admin-requested', now: this.options.clock.monotonicNow(), request: { kind: 'leave', reason } });
    // Let the datagrams reach the wire before the sockets close.
    await new Promise((resolve) => setImmediate(resolve));
    await this.close();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.reconcileTimer) clearInterval(this.reconcileTimer);
    if (this.watchdogTimer) clearInterval(this.watchdogTimer);
    if (this.watchdog !== undefined) {
      // Disarm only when nothing is held: a node that goes away holding resources must be reset by its watchdog,
      // which is what the peers wait for before taking them over.
      const clean = this.core.holdsNothing();
      this.watchdog.close(clean);
      if (!clean) this.options.logger.log('error', 'closing with resources still held: the watchdog stays armed and resets this machine');
    }
    await this.ping?.stop();
    await this.closeTransports();
  }

  private openWatchdog(): void {
    const config = this.config.watchdog;
    if (config === undefined) return;
    const open = this.options.openWatchdog ?? ((path: string, timeoutMs: number) => Watchdog.open({ path, timeoutMs }));
    this.watchdog = open(config.device, config.timeoutMs);
    this.options.logger.log('info', `watchdog ${config.device} armed: timeout ${this.watchdog.effectiveTimeoutMs} ms, fed every ${this.watchdogIntervalMs()} ms while this node is healthy and quorate (or holds nothing)`);
    this.feedWatchdog();
    this.watchdogTimer = setInterval(() => this.feedWatchdog(), this.watchdogIntervalMs());
  }

  private watchdogIntervalMs(): number {
    return Math.max(50, Math.floor((this.watchdog?.effectiveTimeoutMs ?? 3000) / 3));
  }

  private feedWatchdog(): void {
    const watchdog = this.watchdog;
    if (watchdog === undefined || this.closed) return;
    const verdict = this.core.watchdogVerdict(this.options.clock.monotonicNow());
    if (!verdict.feed) {
      if (this.watchdogStarved === undefined) this.options.logger.log('error', `watchdog no longer fed: ${verdict.reason}`);
      this.watchdogStarved = verdict.reason;
      return;
    }
    if (this.watchdogStarved !== undefined) this.options.logger.log('warn', `watchdog fed again: ${verdict.reason}`);
    this.watchdogStarved = undefined;
    watchdog.feed();
  }

  private startPing(): void {
    // heartbeat's ping nodes without ipfail (an ha.d's origin.pingNodes) are probed only to be reported (cl_status).
    const tieBreaker = this.config.ping !== undefined;
    const ping = this.config.ping ?? this.config.origin?.pingNodes;
    if (ping === undefined || this.ping !== undefined || this.closed) return;
    const onScore = (score: PingScore): void => {
      this.pingScore = score;
      this.options.logger.log(score.reachable < score.total && tieBreaker ? 'warn' : 'info', `ping targets: ${score.reachable} of ${score.total} reachable (${score.groups.map((group) => `${group.name} ${group.reachable ? 'up' : 'down'}`).join(', ')})`);
      if (tieBreaker) this.feed({ kind: 'ping-score', now: this.options.clock.monotonicNow(), score: score.reachable });
    };
    const onReply = (): void => {
      if (tieBreaker) this.feed({ kind: 'ping-reply', now: this.options.clock.monotonicNow() });
    };
    const start = this.options.startPing ?? ((config: NonNullable<ClusterConfig['ping']>, handler: (score: PingScore) => void) => {
      const prober = new PingProber({ groups: config.groups, intervalMs: config.intervalMs, deadMs: config.deadMs, onChange: handler, onReply });
      prober.start();
      return prober;
    });
    this.pingScore = undefined;
    this.ping = start(ping, onScore);
    // Until the first answer, every target counts as unreachable: say so to the core at once.
    if (tieBreaker) this.feed({ kind: 'ping-score', now: this.options.clock.monotonicNow(), score: 0 });
  }

  private async closeTransports(): Promise<void> {
    await Promise.all([...this.transports.values()].map((transport) => transport.close()));
    this.transports.clear();
  }

  private async openLink(link: LinkName): Promise<void> {
    const transport = await this.options.openTransport(this.config, this.self, link, {
      onDatagram: (arrivedOn, datagram) => this.received(arrivedOn, datagram.bytes),
      onError: (failedOn, error) => this.transportFailed(failedOn, error),
    });
    this.transports.set(link, transport);
    if (!this.linkCounters.has(link)) this.linkCounters.set(link, { sent: 0, received: 0, sendErrors: 0 });
  }

  private received(arrivedOn: LinkName, bytes: Buffer): void {
    if (this.closed) return;
    const received = receivePacket(bytes, arrivedOn, {
      self: this.self,
      cluster: this.config.cluster,
      ring: this.ring,
      isKnownNode: (name) => this.knownNodes.has(name),
      guard: this.guard,
    });
    // Broadcast and multicast may loop our own datagrams back; they are neither news nor an attack.
    if (!received.ok) return received.reason === 'own-packet' ? undefined : this.dropped(arrivedOn, received.reason, received.detail);
    const counters = this.linkCounters.get(arrivedOn);
    if (counters) counters.received += 1;
    this.feed({ kind: 'message-received', now: this.options.clock.monotonicNow(), envelope: received.envelope, message: received.message });
    this.persistPeerGenerations(received.envelope.from, received.envelope.generation);
  }

  private dropped(link: LinkName, reason: DropReason, detail: string): void {
    this.drops.record(reason);
    // Drops can come in floods; the counters carry the volume, the log only the first few of each reason.
    const count = this.drops.snapshot()[reason];
    if (count <= 5 || count % 1000 === 0) {
      this.options.logger.log('warn', `dropped packet on ${link}: ${reason}`, { reason, detail, count });
    }
  }

  private transportFailed(link: LinkName, error: Error): void {
    const counters = this.linkCounters.get(link);
    if (counters) {
      counters.sendErrors += 1;
      counters.lastError = error.message;
      if (counters.sendErrors <= 5 || counters.sendErrors % 1000 === 0) {
        this.options.logger.log('warn', `link ${link}: ${error.message}`, { link, errors: counters.sendErrors });
      }
    }
  }

  private feed(input: NodeInput): void {
    if (this.closed) return;
    const output = this.core.step(input);
    for (const action of output.actions) this.perform(action);
    this.arm(output.wakeAt);
    if (this.stoppedWaiters.length > 0 && this.core.groupsStopped()) for (const waiter of this.stoppedWaiters.splice(0)) waiter();
  }

  private perform(action: NodeAction): void {
    switch (action.kind) {
      case 'persist':
        this.options.store.writeJson(MEMBERSHIP_FILE, action.record);
        return;
      case 'persist-attributes':
        this.options.store.writeJson(ATTRIBUTES_FILE, action.entries);
        return;
      case 'run-agent':
        this.runAgent(action);
        return;
      case 'reannounce':
        this.runner.reannounce(action.resource).then(
          (what) => this.emitted({ kind: 'address-reannounced', at: this.options.clock.monotonicNow() as ClusterEvent['at'], node: this.self, group: action.group, reason: `${what}: ${action.reason}` }),
          (error: unknown) => this.options.logger.log('error', `re-announcing ${action.resource} failed: ${(error as Error).message}`),
        );
        return;
      case 'send': {
        const links = action.link === 'all' ? [...this.transports.keys()] : [action.link];
        const repeats = action.message.type === 'leave' ? LEAVE_REPEATS : 1;
        for (const link of links) for (let i = 0; i < repeats; i++) this.sendOn(link, action.message);
        return;
      }
      case 'emit':
        this.emitted(action.event);
        return;
      case 'fence':
        this.runFence(action);
        return;
    }
  }

  private runFence(request: FenceRequest): void {
    const plan = fencePlanFor(this.config, request.node);
    const finish = (ok: boolean, summary: string): void => {
      this.options.logger.log(ok ? 'warn' : 'error', `fencing ${request.node}: ${summary}`, { node: request.node });
      this.feed({ kind: 'fence-finished', now: this.options.clock.monotonicNow(), requestId: request.requestId, ok, summary });
    };
    if (plan === undefined) return finish(false, `no fence device covers ${request.node}`);
    this.options.logger.log('warn', `fencing ${request.node} (${plan.action}, ${plan.levels.length} level(s)): ${request.reason}`, { node: request.node });
    const fence = this.options.fence ?? ((node: NodeName, fencePlan: FencePlan) => fenceNode(node, fencePlan));
    fence(request.node, plan).then(
      (outcome) => finish(outcome.ok, outcome.summary),
      (error: unknown) => finish(false, `the fencer failed: ${(error as Error).message}`),
    );
  }

  private runAgent(op: RunOperation): void {
    const level = op.operation === 'monitor' ? 'debug' : 'info';
    this.options.logger.log(level, `${op.operation} ${op.resource} (${this.runner.describe(op.resource)}): ${op.reason}`, { group: op.group, resource: op.resource, op: op.operation });
    void this.runner.run(op).then((result) => {
      const log = result.outcome === 'success' ? level : 'warn';
      this.options.logger.log(log, `${op.operation} ${op.resource}: ${result.outcome} in ${Math.round(result.durationMs)} ms${result.detail ? ` (${result.detail})` : ''}`, { group: op.group, resource: op.resource, op: op.operation });
      this.feed({ kind: 'agent-finished', now: this.options.clock.monotonicNow(), opId: op.opId, outcome: result.outcome, detail: result.detail });
    });
  }

  private armReconcile(): void {
    if (this.reconcileTimer) clearInterval(this.reconcileTimer);
    this.reconcileTimer = undefined;
    const list = this.options.listAddresses;
    const intervalMs = this.config.reconcile.intervalMs;
    if (list === undefined || intervalMs <= 0 || this.closed) return;
    this.reconcileTimer = setInterval(() => {
      if (this.reconciling) return;
      this.reconciling = true;
      reconcileAddresses(this.config, this.core.groupsView(), list)
        .then((round) => {
          for (const problem of round.problems) this.options.logger.log('warn', `reconciliation: ${problem}`);
          for (const input of findingInputs(round, this.options.clock.monotonicNow())) this.feed(input);
        })
        .catch((error: unknown) => this.options.logger.log('error', `reconciliation failed: ${(error as Error).message}`))
        .finally(() => {
          this.reconciling = false;
        });
    }, intervalMs);
    this.reconcileTimer.unref();
  }

  private sendOn(link: LinkName, message: Message): void {
    const transport = this.transports.get(link);
    if (!transport) return;
    const seq = this.sendSeq.get(link) ?? 0;
    this.sendSeq.set(link, (seq + 1) >>> 0);
    const bytes = encodePacket(
      { cluster: this.config.cluster, sender: this.self, link, generation: this.generation, seq, sentAtWallMs: this.options.clock.wallNow() },
      message,
      this.ring,
    );
    transport.send(bytes);
    const counters = this.linkCounters.get(link);
    if (counters) counters.sent += 1;
  }

  private emitted(event: ClusterEvent): void {
    this.events.append(event, this.options.clock.wallNow());
    const level = ERROR_EVENTS.has(event.kind) ? 'error' : WARNING_EVENTS.has(event.kind) ? 'warn' : 'info';
    this.options.logger.log(level, `${event.kind}${event.group ? ` ${event.group}` : event.node ? ` ${event.node}` : ''}${event.link ? ` link ${event.link}` : ''}: ${event.reason}`, {
      event: event.kind,
      ...(event.node ? { node: event.node } : {}),
      ...(event.link ? { link: event.link } : {}),
      ...(event.group ? { group: event.group } : {}),
    });
  }

  /** Stores the peers' generations when one changed, so a restarted receiver still refuses older ones. */
  private persistPeerGenerations(sender: NodeName, generation: number): void {
    if (this.persistedGenerations.get(sender) === generation) return;
    this.persistedGenerations.set(sender, generation);
    this.options.store.writeJson(PEER_GENERATIONS_FILE, Object.fromEntries(this.guard.generations()));
  }

  private arm(wakeAt: number | undefined): void {
    // Most packets leave the deadline where it was: keep the armed timer rather than churn one per datagram.
    if (this.timer && wakeAt === this.armedFor) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.armedFor = wakeAt;
    if (wakeAt === undefined || this.closed) return;
    const delayMs = Math.max(0, wakeAt - this.options.clock.monotonicNow());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.feed({ kind: 'timer-due', now: this.options.clock.monotonicNow() });
    }, delayMs);
  }
}

function endpointKey(config: ClusterConfig, self: NodeName, link: LinkName): string {
  const linkConfig = config.links.find((candidate) => candidate.name === link);
  const addresses = config.nodes.map((node) => [node.name, node.links[link]]);
  return JSON.stringify([linkConfig, self, addresses]);
}
