/**
 * One node's whole core: membership and failure detection, quorum and fencing decisions, plus the resource groups
 * that ride on them. The daemon and the simulator drive this, never the halves alone.
 *
 * It routes inputs to the half they concern, tells the groups what membership learnt (peers' states, a peer back,
 * this node's own pause, a peer's report) and whether this node's partition is quorate, decides whom to fence,
 * and puts the node's current report (groups, attributes, and what it hears) into every heartbeat and leave
 * message. When the report changes it sends a heartbeat at once: a grant or a stop must not wait for the next
 * keepalive.
 *
 * Invariants:
 *   1. Membership's actions come first in a step (its `persist` stays the step's first action).
 *   2. Every heartbeat and leave message leaving this node carries the report as it is at the end of the step.
 *   3. Every input passes membership's clock check first, so a pause is noticed before anything else is decided.
 *   4. The groups are always decided on the quorum of the same step's facts: quorum is recomputed whenever the
 *      facts are built, and every change of it is an event.
 */
import { Membership } from './membership.js';
import { Groups, type GroupAction, type MembershipFacts } from './groups.js';
import { fencedKey } from './attributes.js';
import { Fencing, type FenceRecord, type FenceRequest } from './fencing.js';
import { arbitratorVote, computeQuorum, defaultProtection, type PeerQuorumReport, type ProtectionSpec, type QuorumState } from './quorum.js';
import { type AttributeEntry, type GroupAdminRequest, type GroupInput, type GroupSpec, type GroupsView, type NodeReport } from './group-types.js';
import type { ClusterEvent, CoreAction, CoreInput, Instant, MembershipConfig, MembershipView, NodeName, PeerState } from './types.js';

export type NodeInput =
  | CoreInput
  | GroupInput
  | { readonly kind: 'group-admin'; readonly now: Instant; readonly request: GroupAdminRequest }
  | { readonly kind: 'groups-changed'; readonly now: Instant; readonly groups: readonly GroupSpec[] }
  | { readonly kind: 'protection-changed'; readonly now: Instant; readonly protection: ProtectionSpec }
  /** This node's reachable ping targets changed (the ping prober measures; the core decides). */
  | { readonly kind: 'ping-score'; readonly now: Instant; readonly score: number }
  /** A ping target answered just now: during a tie it proves this node's network works since the split. */
  | { readonly kind: 'ping-reply'; readonly now: Instant }
  | { readonly kind: 'fence-finished'; readonly now: Instant; readonly requestId: number; readonly ok: boolean; readonly summary: string };

export type NodeAction = CoreAction | GroupAction | FenceRequest;

export interface NodeStepOutput {
  readonly actions: readonly NodeAction[];
  readonly wakeAt: Instant | undefined;
}

/** What `tandem status` shows about split-brain protection. */
export interface ProtectionView {
  readonly quorum: QuorumState;
  readonly policy: ProtectionSpec['noQuorum'];
  /** The strongest guarantee the configuration gives that a lost node runs nothing. */
  readonly guarantee: 'fencing' | 'watchdog' | 'quorum' | 'none';
  /** Standing warnings (split brain possible, and why). */
  readonly warnings: readonly string[];
  readonly pingScore: number | undefined;
  readonly arbitratorVote: NodeName | '' | undefined;
  readonly fencing: {
    readonly history: readonly FenceRecord[];
    readonly inFlight: readonly NodeName[];
    readonly failing: readonly { node: NodeName; summary: string }[];
    /** What the cluster knows fenced (attribute `fenced/<node>`), whoever fenced it. */
    readonly fenced: readonly { node: NodeName; generation: number; by: string; summary: string }[];
  };
  /** The watchdog is fed only while this is true. */
  readonly watchdogFed: boolean;
  readonly watchdogReason: string;
}

type Take = (output: { actions: readonly NodeAction[]; reportChanged?: boolean; wakeAt: Instant | undefined }, from: 'membership' | 'groups') => void;

export class NodeCore {
  private readonly membership: Membership;
  private readonly groups: Groups;
  private readonly fencing: Fencing;
  private config: MembershipConfig;
  private protection: ProtectionSpec;
  private readonly lastStates = new Map<NodeName, PeerState>();
  private membershipWakeAt: Instant | undefined;
  private groupsWakeAt: Instant | undefined;
  private protectionWakeAt: Instant | undefined;
  private started = false;
  private left = false;
  private quorum: QuorumState | undefined;
  private tieSince: Instant | undefined;
  private pingReplyAt: Instant | undefined;
  private allSeen = false;
  private pingScore: number | undefined;
  private vote: NodeName | '' = '';
  /** Since when this node's partition has been quorate without a break (undefined while it is not). */
  private quorateSince: Instant | undefined;
  /** Versions of the `fenced/<node>` attributes this process started with: later ones were written during its run. */
  private readonly fencedVersionsAtStart = new Map<string, number>();
  private lastQuorumKey = '';
  private readonly pendingEvents: ClusterEvent[] = [];

  /**
   * @param reportFits whether a report fits in one datagram (the wire layer knows; the core does not count bytes).
   */
  constructor(
    config: MembershipConfig,
    groups: readonly GroupSpec[],
    attributes: readonly AttributeEntry[] = [],
    private readonly reportFits: (report: NodeReport) => boolean = () => true,
    protection: ProtectionSpec = defaultProtection(config.nodes.map((node) => node.name)),
  ) {
    this.config = config;
    this.protection = protection;
    this.membership = new Membership(config);
    this.groups = new Groups(config.self, groups, attributes);
    this.fencing = new Fencing(config.self);
    for (const node of config.nodes) {
      const entry = this.groups.attributeEntry(fencedKey(node.name));
      if (entry !== undefined) this.fencedVersionsAtStart.set(node.name, entry.version);
    }
  }

  membershipView(): MembershipView {
    return this.membership.view();
  }

  groupsView(): GroupsView {
    return this.groups.view();
  }

  /** No group holds anything on this node (a leaving node may go). */
  groupsStopped(): boolean {
    return this.groups.allStopped();
  }

  /**
   * Nothing runs here for certain: every group stopped and none unclean (a failed stop may have left a resource
   * running). Only then may the watchdog be disarmed, or fed without quorum.
   */
  holdsNothing(): boolean {
    return this.groups.allStopped() && !this.groups.anyUnclean();
  }

  protectionView(now: Instant): ProtectionView {
    const quorum = this.currentQuorum(now);
    const feed = this.watchdogVerdict(now);
    return {
      quorum,
      policy: this.protection.noQuorum,
      guarantee: guaranteeOf(this.protection),
      warnings: protectionWarnings(this.protection, quorum),
      pingScore: this.pingScore,
      arbitratorVote: this.protection.arbitrator === this.config.self ? this.vote : undefined,
      fencing: { ...this.fencing.view(), fenced: this.fencedRecords() },
      watchdogFed: feed.feed,
      watchdogReason: feed.reason,
    };
  }

  /**
   * Whether the watchdog may be fed now: while the partition is not known to have lost quorum, or while this node
   * holds nothing. A node that lost quorum and cannot stop its groups before the watchdog runs out is reset by it,
   * which is what lets the others take its groups over once that time has passed (SBD's watchdog fencing).
   */
  watchdogVerdict(now: Instant): { feed: boolean; reason: string } {
    if (!this.started) return { feed: true, reason: 'starting' };
    const quorum = this.currentQuorum(now);
    if (quorum.status !== 'lost') return { feed: true, reason: `quorum ${quorum.status}` };
    if (this.holdsNothing()) return { feed: true, reason: 'no quorum, but nothing runs here' };
    return { feed: false, reason: `no quorum (${quorum.reason}) and groups still hold resources here: the watchdog resets this machine unless they stop first` };
  }

  step(input: NodeInput): NodeStepOutput {
    const actions: NodeAction[] = [];
    let reportChanged = false;
    const take: Take = (output, from) => {
      actions.push(...output.actions);
      if (output.reportChanged === true) reportChanged = true;
      if (from === 'membership') this.membershipWakeAt = output.wakeAt;
      else this.groupsWakeAt = output.wakeAt;
    };
    // Whatever arrives, membership looks at the clock first: an agent result queued while this process was frozen
    // must meet a core that already knows it was paused (and has dropped its claims), never one that starts the
    // next resource on a stale grant.
    // The step that sends the leave message still attaches the report: peers must learn what the node leaves behind.
    const leftBefore = this.left;
    const membershipInput = input.kind === 'started' || input.kind === 'timer-due' || input.kind === 'message-received' || input.kind === 'admin-requested' || input.kind === 'config-changed';
    if (!membershipInput && this.started && !this.left) this.membershipStep({ kind: 'timer-due', now: input.now }, take);
    switch (input.kind) {
      case 'agent-finished':
      case 'resource-lost':
      case 'stray-found':
        if (this.started) take(this.groups.step(input, this.facts(input.now)), 'groups');
        break;
      case 'group-admin':
        if (input.request.kind === 'fence') {
          this.fencing.requestByOperator(input.now, input.request.node, `requested by the operator on ${this.config.self}`);
          this.pendingEvents.push({ kind: 'operator-request', at: input.now, node: this.config.self, reason: `fence ${input.request.node}` });
        } else if (this.started) {
          take(this.groups.admin(input.now, input.request, this.facts(input.now)), 'groups');
        }
        break;
      case 'groups-changed':
        if (this.started) take(this.groups.reconfigure(input.now, input.groups, this.facts(input.now)), 'groups');
        break;
      case 'protection-changed':
        this.protection = input.protection;
        if (this.started) take(this.groups.tick(input.now, this.facts(input.now)), 'groups');
        break;
      case 'ping-reply': {
        this.pingReplyAt = input.now;
        // Only a pending tie waits for it; otherwise a reply changes nothing.
        if (this.started && this.quorum?.tie === 'ping-pending') take(this.groups.tick(input.now, this.facts(input.now)), 'groups');
        break;
      }
      case 'ping-score':
        if (input.score !== this.pingScore) {
          this.pendingEvents.push({ kind: 'ping-changed', at: input.now, node: this.config.self, reason: `${this.config.self} reaches ${input.score} ping target(s)${this.pingScore === undefined ? '' : ` (was ${this.pingScore})`}` });
          this.pingScore = input.score;
          if (this.started) take(this.groups.tick(input.now, this.facts(input.now)), 'groups');
        }
        break;
      case 'fence-finished':
        this.fenceFinished(input, actions, take);
        break;
      default:
        this.membershipStep(input, take);
    }
    if (this.started && !leftBefore) {
      this.protect(input.now, actions);
      this.attachReport(input.now, actions, reportChanged);
    }
    actions.push(...this.pendingEvents.splice(0).map((event) => ({ kind: 'emit' as const, event })));
    return { actions, wakeAt: earliest(earliest(this.membershipWakeAt, this.groupsWakeAt), this.protectionWakeAt) };
  }

  private membershipStep(input: CoreInput, take: Take): void {
    if (input.kind === 'config-changed') this.config = input.config;
    const output = this.membership.step(input);
    take(output, 'membership');
    if (input.kind === 'started') this.started = true;
    if (!this.started) return;
    if (input.kind === 'admin-requested' && input.request.kind === 'leave') this.left = true;
    for (const action of output.actions) {
      if (action.kind === 'emit' && action.event.kind === 'pause-detected') {
        const gapMs = Number(action.event.data?.gapMs ?? 0);
        take(this.groups.paused(input.now, gapMs, this.facts(input.now)), 'groups');
      }
    }
    // The report before the return: a peer back from the dead must be judged on what it says now, not on its last
    // report before it died.
    if (input.kind === 'message-received' && input.message.report !== undefined) {
      take(this.groups.received(input.now, input.envelope.from, input.envelope.generation, input.message.report, this.facts(input.now)), 'groups');
    }
    const facts = this.facts(input.now);
    for (const peer of this.returnedPeers(facts)) take(this.groups.peerReturned(input.now, peer, facts), 'groups');
    take(this.groups.tick(input.now, facts), 'groups');
  }

  /** Fencing and the arbitrator's vote, after the step's other decisions. */
  private protect(now: Instant, actions: NodeAction[]): void {
    let wakeAt: Instant | undefined;
    const view = this.membership.view();
    const peers = new Map(view.peers.map((peer) => [peer.name, peer]));
    const quorum = this.currentQuorum(now, view);
    if (this.protection.arbitrator === this.config.self) {
      const choice = arbitratorVote(this.vote, {
        self: this.config.self,
        spec: this.protection,
        now,
        peers: [...peers.keys()],
        peerState: (node) => peers.get(node)?.state,
        peerSince: (node) => peers.get(node)?.since,
        peerReport: (node) => this.groups.peerQuorum(node),
        peerHeld: (node) => (this.groups.peerQuorum(node) === undefined ? 0 : (this.groups.peerHolding(node)?.held ?? 0)),
        deadtimeMs: this.config.timings.deadtimeMs,
        keepaliveMs: this.config.timings.keepaliveMs,
      });
      if (choice.vote !== this.vote) {
        this.vote = choice.vote;
        this.pendingEvents.push({ kind: 'arbitrator-vote', at: now, node: this.config.self, reason: `arbitrator ${this.config.self} ${choice.reason}` });
      }
      wakeAt = earliest(wakeAt, choice.wakeAt);
    }
    const fencing = this.protection.fencing;
    if (fencing !== undefined) {
      const output = this.fencing.decide({
        self: this.config.self,
        spec: fencing,
        order: this.protection.order,
        arbitrator: this.protection.arbitrator,
        now,
        quorate: quorum.status === 'quorate',
        race: quorum.tie === 'fencing',
        partition: quorum.partition,
        peers: view.peers
          .filter((peer) => peer.name !== this.protection.arbitrator)
          .map((peer) => {
            const holding = this.groups.peerHolding(peer.name);
            const fresh = this.groups.peerQuorum(peer.name) !== undefined;
            return {
              node: peer.name,
              alive: peer.state === 'up' || peer.state === 'late',
              dead: peer.state === 'dead',
              left: peer.state === 'left',
              generation: this.knownGeneration(peer.name, peer.generation) ?? 0,
              mayHold: holding === undefined || holding.held > 0 || holding.claims,
              // A node that left with a failed stop still holds it: its last word counts, however old.
              unclean: holding?.unclean === true && (fresh || peer.state === 'left'),
              held: holding?.held ?? 0,
            };
          }),
        ownHeld: this.groups.heldCount(),
        fencedGeneration: (node) => this.fencedGeneration(node, this.knownGeneration(node, peers.get(node)?.generation)),
      });
      for (const event of output.events) this.pendingEvents.push(event);
      actions.push(...output.requests);
      wakeAt = earliest(wakeAt, output.wakeAt);
    }
    if (quorum.tie === 'ping-pending' && this.tieSince !== undefined && this.protection.pingDeadMs !== undefined) {
      wakeAt = earliest(wakeAt, (this.tieSince + this.protection.pingDeadMs) as Instant);
    }
    for (const deadline of this.watchdogDeadlines(view)) if (deadline > now) wakeAt = earliest(wakeAt, deadline);
    this.protectionWakeAt = wakeAt;
  }

  private fenceFinished(input: Extract<NodeInput, { kind: 'fence-finished' }>, actions: NodeAction[], take: Take): void {
    const result = this.fencing.finished(input.now, input.requestId, input.ok, input.summary);
    if (result === undefined) return;
    this.pendingEvents.push(result.event);
    if (result.generation !== undefined) {
      actions.push(this.groups.setAttribute(fencedKey(result.node), `${result.generation}|${input.summary}`.slice(0, 150)));
    }
    if (this.started) take(this.groups.tick(input.now, this.facts(input.now)), 'groups');
  }

  private fencedRecords(): { node: NodeName; generation: number; by: string; summary: string }[] {
    return this.protection.order.flatMap((node) => {
      const record = this.fencedRecord(node);
      return record === undefined ? [] : [{ node, generation: record.generation, by: record.by, summary: record.summary }];
    });
  }

  /** The attribute `fenced/<node>` = `<generation>|<summary>`, written by the node that fenced it. */
  private fencedRecord(node: NodeName): { generation: number; by: string; summary: string; version: number } | undefined {
    const entry = this.groups.attributeEntry(fencedKey(node));
    if (entry === undefined || entry.value === '') return undefined;
    const [generation = '', ...summary] = entry.value.split('|');
    const parsed = Number(generation);
    if (!Number.isSafeInteger(parsed)) return undefined;
    return { generation: parsed, by: entry.origin, summary: summary.join('|'), version: entry.version };
  }

  /** A peer's boot generation: as membership last heard it, else from its last report; undefined if never heard. */
  private knownGeneration(peer: NodeName, heard: number | undefined): number | undefined {
    return heard ?? this.groups.lastReport(peer)?.generation;
  }

  /**
   * The generation of `node` the cluster knows fenced. When this node does not know the peer's generation (never
   * heard since it started), a record of an earlier boot proves nothing: only a fencing written during this run
   * counts, and then for whatever the peer runs (generation 0 matches any unknown one).
   */
  private fencedGeneration(node: NodeName, known: number | undefined): number | undefined {
    const record = this.fencedRecord(node);
    if (record === undefined) return undefined;
    if (known === undefined && record.version <= (this.fencedVersionsAtStart.get(node) ?? 0)) return undefined;
    return known === undefined ? Math.max(record.generation, 0) : record.generation;
  }

  /** When each dead peer's watchdog has certainly reset it (see peerSafe). */
  private watchdogDeadlines(view: MembershipView): Instant[] {
    const timeout = this.protection.watchdogTimeoutMs;
    if (timeout === undefined || this.quorateSince === undefined) return [];
    const quorateSince = this.quorateSince;
    return view.peers.filter((peer) => peer.state === 'dead' || peer.state === 'left')
      .map((peer) => (Math.max(peer.since, quorateSince) + this.watchdogWaitMs(timeout)) as Instant);
  }

  /**
   * How long after declaring a peer dead its watchdog has certainly reset it: the peer stops feeding it once it
   * knows it lost quorum — at most deadtime after we declared it dead (it stops counting us when it stops hearing
   * us, or at once if it still hears that we dropped it), later by the ping wait of a tie — and the watchdog fires
   * its timeout after the last feed. A keepalive of slack covers timer granularity.
   * In heartbeat's mode (two nodes, no tie-breaker) nobody ever loses quorum, so a live peer cut off never stops
   * feeding and no wait can make it safe (status says split brain is possible); what the watchdog still covers is a
   * hung or crashed peer, whose last feed came before we declared it dead: its timeout after that is enough.
   */
  private watchdogWaitMs(timeout: number): number {
    if (this.quorum?.tie === 'heartbeat') return timeout + this.config.timings.keepaliveMs;
    return this.config.timings.deadtimeMs + (this.protection.pingDeadMs ?? 0) + timeout + this.config.timings.keepaliveMs;
  }

  /** See MembershipFacts.peerSafe. */
  private peerSafe(peer: NodeName, now: Instant, certain: boolean): string | undefined {
    const view = this.membership.view().peers.find((entry) => entry.name === peer);
    if (view === undefined) return undefined;
    const known = this.knownGeneration(peer, view.generation);
    const fenced = this.fencedGeneration(peer, known);
    if (fenced !== undefined && fenced >= (known ?? 0)) return undefined;
    if (this.protection.fencing?.nodes.has(peer) === true) {
      const failure = this.fencing.failureOf(peer);
      return `it must be fenced first${failure !== undefined ? ` (${failure})` : ''}`;
    }
    const timeout = this.protection.watchdogTimeoutMs;
    if (timeout !== undefined && (view.state === 'dead' || view.state === 'left')) {
      // The peer resets itself once it knows it lost quorum; that is certain only if our partition has been quorate
      // since (two quorate partitions cannot both exclude each other), so the wait counts from the later of the two.
      if (this.quorateSince === undefined) return 'this node is not quorate, so nothing proves the peer lost quorum and reset itself';
      const left = Math.max(view.since, this.quorateSince) + this.watchdogWaitMs(timeout) - now;
      if (left > 0) return `its watchdog has certainly reset it only ${Math.round(left)} ms from now (deadtime + watchdog timeout after it was declared dead)`;
      return undefined;
    }
    if (certain || view.state === 'left') return 'neither fencing nor a watchdog is configured, so nothing proves it is down';
    return undefined;
  }

  /** Peers that became `up` from `dead`, `left` or `unknown` since the last step. */
  private returnedPeers(facts: MembershipFacts): NodeName[] {
    const returned: NodeName[] = [];
    for (const peer of facts.peers) {
      const state = facts.peerState(peer);
      const before = this.lastStates.get(peer);
      if (state !== undefined) this.lastStates.set(peer, state);
      if (state === 'up' && (before === 'dead' || before === 'left')) returned.push(peer);
    }
    return returned;
  }

  private currentQuorum(now: Instant, view: MembershipView = this.membership.view()): QuorumState {
    const states = new Map(view.peers.map((peer) => [peer.name, peer.state]));
    const compute = (): QuorumState =>
      computeQuorum({
        self: this.config.self,
        spec: this.protection,
        now,
        peers: [...states.keys()],
        peerState: (node) => states.get(node),
        peerReport: (node): PeerQuorumReport | 'legacy' | undefined => this.groups.peerQuorum(node),
        lastPingScore: (node) => this.groups.lastReport(node)?.report.quorum?.pingScore,
        ownPingScore: this.pingScore,
        ownPingReplyAt: this.pingReplyAt,
        allSeen: this.allSeen,
        tieSince: this.tieSince,
      });
    let quorum = compute();
    if (quorum.votes * 2 === quorum.expected) {
      if (this.tieSince === undefined) {
        this.tieSince = now;
        quorum = compute();
      }
    } else {
      this.tieSince = undefined;
    }
    const voters = this.protection.order.filter((node) => node !== this.protection.arbitrator);
    if (!this.allSeen && voters.every((node) => quorum.partition.includes(node))) {
      this.allSeen = true;
      quorum = compute();
    }
    const key = `${quorum.status}|${quorum.tie}|${quorum.votes}|${quorum.partition.join(',')}`;
    if (key !== this.lastQuorumKey) {
      const before = this.quorum?.status;
      this.lastQuorumKey = key;
      if (before !== quorum.status || this.quorum?.votes !== quorum.votes || this.quorum.tie !== quorum.tie) {
        const kind = quorum.status === 'quorate' ? 'quorum-gained' : quorum.status === 'pending' ? 'quorum-pending' : 'quorum-lost';
        this.pendingEvents.push({ kind, at: now, node: this.config.self, reason: `${this.config.self}: ${quorum.status === 'quorate' ? 'quorate' : quorum.status === 'pending' ? 'quorum undecided' : 'NO QUORUM'}: ${quorum.reason}` });
      }
    }
    if (quorum.status === 'quorate') this.quorateSince ??= now;
    else this.quorateSince = undefined;
    this.quorum = quorum;
    return quorum;
  }

  private facts(now: Instant): MembershipFacts {
    const view = this.membership.view();
    const states = new Map(view.peers.map((peer) => [peer.name, peer.state]));
    const quorum = this.currentQuorum(now, view);
    return {
      peers: [...states.keys()],
      peerState: (node) => states.get(node),
      deadtimeMs: this.config.timings.deadtimeMs,
      keepaliveMs: this.config.timings.keepaliveMs,
      quorum: { status: quorum.status, policy: this.protection.noQuorum, reason: quorum.reason, race: quorum.tie === 'fencing' },
      peerSafe: (peer, certain) => this.peerSafe(peer, now, certain),
      arbitrator: this.protection.arbitrator,
      pingScore: (node) => (node === this.config.self ? this.pingScore : this.groups.peerQuorum(node) === undefined ? undefined : this.groups.lastReport(node)?.report.quorum?.pingScore),
    };
  }

  private quorumSection(now: Instant): PeerQuorumReport {
    const view = this.membership.view();
    const alive = view.peers.filter((peer) => peer.state === 'up' || peer.state === 'late').map((peer) => peer.name);
    return { alive, quorate: this.currentQuorum(now, view).status === 'quorate', pingScore: this.pingScore, vote: this.vote };
  }

  private lastSectionKey = '';

  private attachReport(now: Instant, actions: NodeAction[], reportChanged: boolean): void {
    const quorum = this.quorumSection(now);
    const sectionKey = JSON.stringify(quorum);
    if (sectionKey !== this.lastSectionKey) {
      this.lastSectionKey = sectionKey;
      // Receivers keep only a report with a higher revision: a new quorum section must carry one.
      this.groups.newRevision();
      reportChanged = true;
    }
    const report: NodeReport = { ...this.groups.report((candidate) => this.reportFits({ ...candidate, quorum })), quorum };
    let sent = false;
    for (let i = 0; i < actions.length; i++) {
      const action = actions[i];
      if (action?.kind !== 'send') continue;
      actions[i] = { ...action, message: { ...action.message, report } };
      sent = true;
    }
    if (reportChanged && !sent) {
      const uptimeMs = Math.max(0, now - this.membership.view().startedAt);
      actions.push({ kind: 'send', link: 'all', message: { type: 'heartbeat', configDigest: this.config.configDigest, uptimeMs, report }, reason: 'report changed' });
    }
  }
}

/** The strongest guarantee a configuration gives that a lost node runs nothing. */
function guaranteeOf(spec: ProtectionSpec): ProtectionView['guarantee'] {
  if (spec.fencing !== undefined) return 'fencing';
  if (spec.watchdogTimeoutMs !== undefined && spec.noQuorum !== 'ignore') return 'watchdog';
  if (spec.noQuorum !== 'ignore' && (spec.order.length > 2 || spec.arbitrator !== undefined || spec.pingDeadMs !== undefined)) return 'quorum';
  return 'none';
}

/** Standing warnings about what the configuration cannot guarantee (start-up log and every `tandem status`). */
export function protectionWarnings(spec: ProtectionSpec, quorum?: QuorumState): string[] {
  const warnings: string[] = [];
  const voters = spec.order.filter((node) => node !== spec.arbitrator);
  if (spec.noQuorum === 'ignore') warnings.push('no-quorum policy is ignore: a partition can run a group on two nodes at once (split brain)');
  else if (voters.length === 2 && spec.arbitrator === undefined && spec.fencing === undefined) {
    warnings.push(
      spec.pingDeadMs === undefined
        ? 'two nodes without a tie-breaker (fencing, an arbitrator or ping targets): on a partition each side takes the groups over, as heartbeat does (split brain)'
        : 'two nodes with ping targets only: the side that loses its targets gives up, but when both still reach them each side takes the groups over (split brain); add fencing or an arbitrator',
    );
  } else if (spec.fencing === undefined && spec.watchdogTimeoutMs === undefined) {
    warnings.push('neither fencing nor a watchdog: a node cut off stops its groups when it notices it lost quorum, but nothing forces a frozen or hung node to; the others do not wait for it');
  }
  if (quorum?.splitBrainPossible === true && spec.noQuorum !== 'ignore' && !warnings.some((warning) => warning.includes('split brain'))) warnings.push(quorum.reason);
  return warnings;
}

function earliest(a: Instant | undefined, b: Instant | undefined): Instant | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return a < b ? a : b;
}
