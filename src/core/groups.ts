/**
 * Resource groups on one node: probing, starting, monitoring, restarting and stopping them, and the grant protocol
 * that keeps every group on at most one node.
 *
 * Pure like the membership machine: inputs carry `now`, outputs are actions (run an agent operation, announce a VIP
 * again, emit an event) and a wake-up instant. The driver runs the operations and feeds their outcomes back.
 *
 * The grant protocol. Placement (placement.ts) says where a group should run; it never starts anything alone. A node
 * starts a group only when (a) it is the group's target in its own view, (b) it claims the group in its report, and
 * (c) every other node either is dead or has left without being unclean for the group, or reports the group stopped
 * on itself and its grant given to this node. A node grants a group only while it holds none of it and does not
 * claim it, and keeps its grant on the claimant until the claimant stops claiming and holding. Two nodes therefore
 * cannot both start a group while they hear each other: each would need the other's grant, and a grant is withheld
 * from others as long as one's own claim or holding lasts. When they cannot hear each other (a partition), each may
 * declare the other dead and start: that is the quorum and fencing issue's to close.
 *
 * Invariants:
 *   1. Resources start left to right and stop right to left; resources at or past `up` are stopped (below it they
 *      may run; leftovers adopted after a probe can leave a stopped one below a running one, started first), and
 *      at most one operation per group is in flight.
 *   2. A node that has not been granted a group (or probed it holding leftovers) never starts a resource of it.
 *   3. A failed stop makes the group `unclean`; an unclean group is started nowhere until a probe after
 *      `tandem cleanup` finds it stopped (or the operator confirms its dead node is down with the same command).
 *   4. Every change of target, phase, failure or block is a story entry (`tandem why`) and an event.
 */
import { Attributes, UNTIL_FAILOVER_MARK, cleanupKey, pinKey, readPin, standbyKey } from './attributes.js';
import {
  HOLDING_PHASES,
  type AttributeEntry,
  type Explanation,
  type GroupAdminRequest,
  type GroupInput,
  type GroupPhase,
  type GroupReport,
  type GroupSpec,
  type GroupView,
  type GroupsView,
  type NodeReport,
  type OperationOutcome,
  type Reannounce,
  type RunOperation,
  type AgentOperation,
} from './group-types.js';
import { isAlive, place } from './placement.js';
import type { NoQuorumPolicy, PeerQuorumReport, QuorumStatus } from './quorum.js';
import { type ClusterEvent, type ClusterEventKind, type Instant, type NodeName, type PeerState, nodeName } from './types.js';

/** Phases in which a node may still begin a start of one of the group's resources. */
const MAY_START_PHASES: ReadonlySet<string> = new Set(['probing', 'starting', 'recovering']);

/** Attributes per report: the most recently written, then a rotating window over the others. */
export const GOSSIP_NEWEST = 4;
export const GOSSIP_ROTATING = 4;

/** Story entries kept per group for `tandem why`. */
export const STORY_ENTRIES_MAX = 64;

/** Longest a graceful leave waits for the groups to stop: every stop timeout in a row (after a monitor in flight), plus a little. */
export function leaveDeadlineMs(groups: readonly GroupSpec[]): number {
  return groups.reduce((sum, group) => sum + group.resources.reduce((inner, resource) => inner + resource.stopTimeoutMs + resource.monitorTimeoutMs, 0), 0) + 1000;
}

export type GroupAction =
  | RunOperation
  | Reannounce
  | { readonly kind: 'emit'; readonly event: ClusterEvent }
  | { readonly kind: 'persist-attributes'; readonly entries: readonly AttributeEntry[] };

export interface GroupStepOutput {
  readonly actions: GroupAction[];
  readonly wakeAt: Instant | undefined;
  /** The node's report changed: send it now instead of waiting for the next heartbeat. */
  readonly reportChanged: boolean;
}

/** What the groups machine needs to know about membership at each step. */
export interface MembershipFacts {
  readonly peerState: (node: NodeName) => PeerState | undefined;
  readonly peers: readonly NodeName[];
  /** How long a peer may go unheard before it is declared dead: also how long a withdrawn grant may still be used. */
  readonly deadtimeMs: number;
  readonly keepaliveMs: number;
  /** Whether this node's partition may run groups (quorum.ts), and what to do when it may not. */
  readonly quorum: {
    readonly status: QuorumStatus;
    readonly policy: NoQuorumPolicy;
    readonly reason: string;
    /** A tie broken by fencing: the other side may have started anything after its last report, until fenced. */
    readonly race: boolean;
  };
  /**
   * Why a lost peer (dead, or left unclean) may still run what it held — it is not fenced yet, its watchdog may
   * not have reset it yet — or undefined when it runs nothing. `certain`: only fencing or a watchdog proves it
   * (a failed stop); otherwise a cluster without either assumes a node that lost quorum stopped its groups.
   */
  readonly peerSafe: (peer: NodeName, certain: boolean) => string | undefined;
  /** Reachable ping targets of a node (its own measure, or its latest report); undefined = not measured. */
  readonly pingScore: (node: NodeName) => number | undefined;
  /** The cluster's arbitrator: it runs no groups by configuration, so its grant is never waited for. */
  readonly arbitrator: NodeName | undefined;
}

type ResourceState = 'unknown' | 'stopped' | 'running' | 'failed';

interface Operation {
  readonly opId: number;
  readonly group: LocalGroup;
  readonly index: number;
  readonly operation: AgentOperation;
  readonly probe: boolean;
}

interface Failure {
  readonly at: Instant;
  readonly weight: number;
}

interface LocalGroup {
  spec: GroupSpec;
  readonly resources: { state: ResourceState; lastResult: string; nextMonitorAt: Instant | undefined }[];
  /** Resources 0..up-1 may be running; the others are stopped. */
  up: number;
  probing: boolean;
  op: Operation | undefined;
  /** The node obtained every grant (or was already running it): it may start and keep the group. */
  granted: boolean;
  claim: boolean;
  /** Increases with every new claim (and after a pause): a grant counts only for the epoch it names. */
  claimEpoch: number;
  grant: NodeName | '';
  /** The claim epoch of the claimant our grant answers. */
  grantEpoch: number;
  /**
   * A grant taken back from a node that may still act on it (it claimed, or was starting). Until that node shows
   * it no longer does, or for deadtime (it may not have heard us), this node does not start the group itself.
   */
  withdrawn: { readonly from: NodeName; readonly at: Instant; readonly epoch: number } | undefined;
  /** Restart in place: stop down to this index, then start again. */
  stopDownTo: number | undefined;
  unclean: string | undefined;
  failures: Failure[];
  target: NodeName | undefined;
  targetReason: string;
  holders: readonly NodeName[];
  blockedBy: string | undefined;
  lastPhase: GroupPhase;
  readonly story: Explanation[];
  readonly reportedStrays: Set<string>;
  /** Peers whose last report said unclean, which the operator has confirmed down (`tandem cleanup`). */
  readonly confirmedDown: Set<NodeName>;
  /** Removed from the config while holding: stop it, then forget it. */
  retiring: boolean;
  /** Paused past deadtime while holding: stop everything before claiming again. */
  yielding: boolean;
  appliedCleanupVersion: number;
}

interface PeerReport {
  readonly generation: number;
  readonly report: NodeReport;
  readonly groups: ReadonlyMap<string, GroupReport>;
  /**
   * The peer was declared dead or left since this report: it says what the peer held then, not now. A frozen
   * peer's first datagram after its resume can repeat it (computed before the freeze, sent after), so only a
   * newer report, or the same one still repeated two keepalives after the peer is back (a frozen node would have
   * changed it by then), makes the peer's state known again.
   */
  stale: boolean;
  /** When the peer, stale, was first seen alive again. */
  backSince: Instant | undefined;
}

export class Groups {
  private readonly groups = new Map<string, LocalGroup>();
  private readonly retiring: LocalGroup[] = [];
  private readonly attributes: Attributes;
  private readonly reports = new Map<NodeName, PeerReport>();
  private readonly ops = new Map<number, Operation>();
  private nextOpId = 1;
  private rev = 0;
  private leaving = false;
  private lastReportKey = '';
  private gossipOffset = 0;
  /** Membership's deadtime as of the last step, for the wake-up of a pending grant withdrawal. */
  private deadtimeMs = 0;

  constructor(
    private readonly self: NodeName,
    specs: readonly GroupSpec[],
    attributes: readonly AttributeEntry[] = [],
  ) {
    this.attributes = new Attributes(attributes);
    for (const spec of specs) this.groups.set(spec.name, newGroup(spec));
    for (const group of this.groups.values()) group.appliedCleanupVersion = this.attributes.entry(cleanupKey(group.spec.name))?.version ?? 0;
  }

  /**
   * This node's report for its next heartbeat. Every group, and a slice of the attributes: the newest ones (a fresh
   * command reaches every node with the next datagram) plus a window that rotates through the rest, so the whole
   * table converges without ever outgrowing a packet.
   */
  report(fits: (report: NodeReport) => boolean = () => true): NodeReport {
    const all = this.attributes.all();
    const newest = [...all].sort((a, b) => b.version - a.version).slice(0, GOSSIP_NEWEST);
    const rest = all.filter((entry) => !newest.includes(entry));
    const window: AttributeEntry[] = [];
    for (let i = 0; i < Math.min(GOSSIP_ROTATING, rest.length); i++) {
      const entry = rest[(this.gossipOffset + i) % rest.length];
      if (entry !== undefined) window.push(entry);
    }
    this.gossipOffset = rest.length === 0 ? 0 : (this.gossipOffset + GOSSIP_ROTATING) % rest.length;
    const attributes = [...newest, ...window];
    const groups = [...this.groups.values()].map((group) => this.groupReport(group));
    // Long names can make even a few attributes too big for one datagram: gossip fewer now, the rest later.
    while (attributes.length > 0 && !fits({ rev: this.rev, leaving: this.leaving, groups, attributes })) attributes.pop();
    return { rev: this.rev, leaving: this.leaving, groups, attributes };
  }

  /** A peer's report arrived (inside a heartbeat or leave message). */
  received(now: Instant, from: NodeName, generation: number, report: NodeReport, facts: MembershipFacts): GroupStepOutput {
    const out = new Out();
    const known = this.reports.get(from);
    if (known === undefined || generation > known.generation || (generation === known.generation && report.rev > known.report.rev)) {
      this.reports.set(from, { generation, report, groups: new Map(report.groups.map((group) => [group.name, group])), stale: false, backSince: undefined });
    }
    // Attributes merge whatever the order of arrival (last-writer-wins registers), so even an older report helps.
    let attributesChanged = false;
    for (const entry of report.attributes) attributesChanged = this.attributes.merge(entry) || attributesChanged;
    if (attributesChanged) out.actions.push({ kind: 'persist-attributes', entries: this.attributes.all() });
    return this.decide(now, facts, out);
  }

  /** Membership changed, a timer fired, or nothing in particular: re-evaluate every group. */
  tick(now: Instant, facts: MembershipFacts): GroupStepOutput {
    return this.decide(now, facts, new Out());
  }

  step(input: GroupInput, facts: MembershipFacts): GroupStepOutput {
    const out = new Out();
    switch (input.kind) {
      case 'agent-finished':
        this.finished(input.now, input.opId, input.outcome, input.detail, out);
        break;
      case 'resource-lost':
        this.lost(input.now, input.group, input.resource, input.detail, out);
        break;
      case 'stray-found':
        this.stray(input.now, input.group, input.resource, input.detail, out);
        break;
    }
    return this.decide(input.now, facts, out);
  }

  admin(now: Instant, request: GroupAdminRequest, facts: MembershipFacts): GroupStepOutput {
    const out = new Out();
    const write = (key: string, value: string, what: string): void => {
      this.attributes.set(key, value, this.self);
      out.actions.push({ kind: 'persist-attributes', entries: this.attributes.all() });
      out.emit('operator-request', now, { node: this.self, reason: what });
    };
    switch (request.kind) {
      case 'standby':
        write(standbyKey(request.node), request.on ? '1' : '', request.on ? `${request.node} put in standby: its groups move away` : `${request.node} back online`);
        break;
      case 'move':
        write(
          pinKey(request.group),
          request.node === undefined ? '' : `${request.node}${request.untilFailover === true ? UNTIL_FAILOVER_MARK : ''}`,
          request.node ? `move ${request.group} to ${request.node}${request.untilFailover === true ? ' until the next failover' : ''}` : `placement of ${request.group} returned to its preference`,
        );
        break;
      case 'cleanup':
        write(cleanupKey(request.group), String(now), `cleanup of ${request.group}: failures forgotten, unclean state re-probed`);
        break;
      case 'takeover':
        for (const group of this.groups.values()) {
          if (group.spec.nodes.includes(this.self)) write(pinKey(group.spec.name), this.self, `takeover: ${group.spec.name} placed on ${this.self}`);
        }
        break;
      case 'stop-all':
        this.leaving = true;
        out.emit('leaving', now, { node: this.self, reason: `stopping every group: ${request.reason}` });
        break;
      case 'fence':
        break; // the node core's fencing half handles it
    }
    return this.decide(now, facts, out);
  }

  /** Our own process was paused longer than deadtime: peers may have taken our groups. Drop them, announce nothing. */
  paused(now: Instant, gapMs: number, facts: MembershipFacts): GroupStepOutput {
    const out = new Out();
    const { deadtimeMs } = facts;
    if (gapMs > deadtimeMs) {
      // What the peers said before the pause is stale, and so are the datagrams queued in our sockets during it: a
      // peer that granted us a group may have started it since. Forget the reports, and start a new claim epoch so
      // that only a grant written after the peer has seen our post-pause claim counts.
      this.reports.clear();
      for (const group of this.groups.values()) {
        group.grant = '';
        group.claimEpoch += 1;
      }
    }
    for (const group of this.groups.values()) {
      if (group.up === 0 && group.op === undefined) continue;
      if (gapMs > deadtimeMs) {
        group.granted = false;
        group.yielding = true;
        this.tell(group, now, out, 'group-yielded', `this node was paused for ${Math.round(gapMs)} ms, longer than deadtime (${deadtimeMs} ms): peers may have taken the group over, so it is stopped here before anything else; it is claimed again only on fresh reports`);
      } else {
        this.reannounce(group, `this node was paused for ${Math.round(gapMs)} ms (less than deadtime): it still holds the group, so its addresses are announced again`, out);
      }
    }
    return this.decide(now, facts, out);
  }

  /** A peer came back (up after dead, left or unknown): it may have held our VIPs, so announce them again. */
  peerReturned(now: Instant, peer: NodeName, facts: MembershipFacts): GroupStepOutput {
    const out = new Out();
    // An operator's word that the peer was down held for that absence only.
    for (const group of this.groups.values()) group.confirmedDown.delete(peer);
    // Decide first: a group handed back to the returning peer in this very step must not be announced from here.
    const output = this.decide(now, facts, out);
    for (const group of this.groups.values()) {
      if (group.granted && group.target === this.self && group.up === group.resources.length && group.op?.operation !== 'start' && group.op?.operation !== 'stop') {
        this.reannounce(group, `${peer} is back: clients it may have answered for are pointed here again`, out);
      }
    }
    return output;
  }

  /** Replaces the group definitions (reload). Unchanged groups keep their state; changed ones restart. */
  reconfigure(now: Instant, specs: readonly GroupSpec[], facts: MembershipFacts): GroupStepOutput {
    const out = new Out();
    const next = new Map<string, LocalGroup>();
    for (const spec of specs) {
      const current = this.groups.get(spec.name);
      if (current !== undefined && sameResources(current.spec, spec)) {
        current.spec = spec;
        next.set(spec.name, current);
      } else {
        if (current !== undefined) this.retire(current, now, out, 'its resources changed in the new config');
        next.set(spec.name, newGroup(spec));
      }
    }
    for (const [name, group] of this.groups) if (!next.has(name)) this.retire(group, now, out, 'it is no longer in the config');
    this.groups.clear();
    for (const [name, group] of next) this.groups.set(name, group);
    return this.decide(now, facts, out);
  }

  view(): GroupsView {
    const standby = [this.self, ...this.reports.keys()].filter((node) => this.attributes.get(standbyKey(node)) !== '');
    return {
      standby,
      leaving: this.leaving,
      groups: [...this.groups.values()].map((group) => this.groupView(group)),
    };
  }

  /** True when no group holds anything here: a leaving node may go. */
  allStopped(): boolean {
    return [...this.groups.values(), ...this.retiring].every((group) => group.up === 0 && group.op === undefined && !group.probing);
  }

  attributeEntries(): AttributeEntry[] {
    return this.attributes.all();
  }

  /** Something outside the groups changed in the report (its quorum section): receivers must take it as newer. */
  newRevision(): void {
    this.rev += 1;
  }

  attributeEntry(key: string): AttributeEntry | undefined {
    return this.attributes.entry(key);
  }

  /** Writes a cluster attribute as this node; returns the action that persists the table. */
  setAttribute(key: string, value: string): GroupAction {
    this.attributes.set(key, value, this.self);
    return { kind: 'persist-attributes', entries: this.attributes.all() };
  }

  /** The quorum section of a peer's latest fresh report; 'legacy' when its report has none (an older node). */
  peerQuorum(peer: NodeName): PeerQuorumReport | 'legacy' | undefined {
    const known = this.fresh(peer);
    if (known === undefined) return undefined;
    return known.report.quorum ?? 'legacy';
  }

  /** What a peer last said, even if it has been declared dead since: its last word on ping and on its groups. */
  lastReport(peer: NodeName): { readonly generation: number; readonly report: NodeReport } | undefined {
    return this.reports.get(peer);
  }

  /** Groups this node holds (any of their resources). */
  heldCount(): number {
    return [...this.groups.values()].filter((group) => this.holding(group)).length;
  }

  /** A group here is unclean: a failed stop may have left part of it running. */
  anyUnclean(): boolean {
    return [...this.groups.values()].some((group) => group.unclean !== undefined);
  }

  /**
   * What a peer's last report (however old) says it holds: how many groups, whether it claims any, whether any is
   * unclean; undefined when it never reported.
   */
  peerHolding(peer: NodeName): { readonly held: number; readonly claims: boolean; readonly unclean: boolean } | undefined {
    const known = this.reports.get(peer);
    if (known === undefined) return undefined;
    const groups = known.report.groups;
    return {
      held: groups.filter((group) => HOLDING_PHASES.has(group.phase)).length,
      claims: groups.some((group) => group.claim),
      unclean: groups.some((group) => group.phase === 'unclean'),
    };
  }

  /**
   * The peer may hold part of the group: its last report (however old) says it holds or claims it (a claimant may
   * have collected every grant and started since), it never reported, or we granted it.
   */
  private mayHold(group: LocalGroup, peer: NodeName): boolean {
    if (group.grant === peer || group.withdrawn?.from === peer) return true;
    const known = this.reports.get(peer);
    if (known === undefined) return true;
    const report = known.groups.get(group.spec.name);
    return report === undefined || report.claim || HOLDING_PHASES.has(report.phase);
  }

  // ---- decisions -------------------------------------------------------------------------------------------

  private decide(now: Instant, facts: MembershipFacts, out: Out): GroupStepOutput {
    this.deadtimeMs = facts.deadtimeMs;
    for (const peer of facts.peers) {
      const state = facts.peerState(peer);
      const known = this.reports.get(peer);
      if (known === undefined) continue;
      if (state === 'dead' || state === 'left') {
        known.stale = true;
        known.backSince = undefined;
      } else if (known.stale && isAlive(state)) {
        if (known.backSince === undefined) known.backSince = now;
        else if (now - known.backSince >= 2 * facts.keepaliveMs) known.stale = false;
      }
    }
    for (const group of this.groups.values()) {
      this.dropPinAfterFailover(group, now, facts, out);
      this.withdrawalPending(group, now, facts); // forgets a withdrawal that is over, so no wake-up is left behind
      this.applyCleanup(group, now, out, facts);
      this.expireFailures(group, now);
      this.placeGroup(group, now, facts, out);
    }
    for (const group of this.groups.values()) this.updateGrant(group, now, facts);
    for (const group of this.groups.values()) this.drive(group, now, facts, out);
    for (const group of [...this.retiring]) {
      this.drive(group, now, facts, out);
      if (group.up === 0 && group.op === undefined) this.retiring.splice(this.retiring.indexOf(group), 1);
    }
    for (const group of this.groups.values()) {
      const phase = this.phase(group);
      if (phase !== group.lastPhase) {
        this.tell(group, now, out, phaseEvent(phase), `${group.spec.name} is ${phase} on ${this.self}${phase === 'unclean' ? `: ${group.unclean}` : ''}`);
        group.lastPhase = phase;
      }
    }
    const key = JSON.stringify([this.leaving, [...this.groups.values()].map((group) => this.groupReport(group)), this.attributes.all()]);
    const reportChanged = key !== this.lastReportKey;
    if (reportChanged) {
      this.lastReportKey = key;
      this.rev += 1;
    }
    return { actions: out.actions, wakeAt: this.wakeAt(), reportChanged };
  }

  /** A pin meant to last until the next failover is dropped once a node of the group is dead or gone. */
  private dropPinAfterFailover(group: LocalGroup, now: Instant, facts: MembershipFacts, out: Out): void {
    const key = pinKey(group.spec.name);
    const pin = readPin(this.attributes.get(key));
    if (pin === undefined || !pin.untilFailover) return;
    const gone = group.spec.nodes.find((node) => node !== this.self && (facts.peerState(node) === 'dead' || facts.peerState(node) === 'left'));
    if (gone === undefined) return;
    this.attributes.set(key, '', this.self);
    out.actions.push({ kind: 'persist-attributes', entries: this.attributes.all() });
    this.tell(group, now, out, 'operator-request', `${group.spec.name}: the placement on ${pin.node} lasted until the next failover (as heartbeat's hb_standby/hb_takeover did), and ${gone} is ${facts.peerState(gone)}: the group follows its preference again`);
  }

  private placeGroup(group: LocalGroup, now: Instant, facts: MembershipFacts, out: Out): void {
    const name = group.spec.name;
    const pin = readPin(this.attributes.get(pinKey(name)))?.node ?? '';
    let placement = place({
      self: this.self,
      group: group.spec,
      own: this.groupReport(group),
      peerState: facts.peerState,
      peerGroup: (node) => this.fresh(node)?.groups.get(name),
      standby: (node) => this.attributes.get(standbyKey(node)) !== '',
      leaving: (node) => (node === this.self ? this.leaving : this.fresh(node)?.report.leaving ?? false),
      pin: pin === '' ? undefined : nodeName(pin),
      pingScore: facts.pingScore,
    });
    if (facts.quorum.status === 'lost' && facts.quorum.policy === 'stop') {
      placement = { target: undefined, holders: placement.holders, reason: `this node has no quorum (${facts.quorum.reason}); no-quorum policy stop` };
    }
    group.holders = placement.holders;
    if (placement.target !== group.target || placement.reason !== group.targetReason) {
      const changed = placement.target !== group.target;
      group.target = placement.target;
      group.targetReason = placement.reason;
      if (changed) this.tell(group, now, out, 'group-target', `${name} should run on ${placement.target ?? 'no node'}: ${placement.reason}`);
    }
  }

  private updateGrant(group: LocalGroup, now: Instant, facts: MembershipFacts): void {
    const name = group.spec.name;
    const holding = this.holding(group);
    let grant: NodeName | '' = '';
    let epoch = 0;
    if (!holding && !group.claim && group.unclean === undefined) {
      const current = group.grant;
      const report = current === '' ? undefined : this.fresh(current)?.groups.get(name);
      const stillClaims = report !== undefined && report.claim && report.claimEpoch === group.grantEpoch;
      if (current !== '' && isAlive(facts.peerState(current)) && report !== undefined && (stillClaims || HOLDING_PHASES.has(report.phase))) {
        grant = current;
        // A holder that claims again (after a cleanup or a pause) gets the grant renewed for its new claim.
        epoch = report.claim ? report.claimEpoch : group.grantEpoch;
      } else {
        const target = group.target;
        const targetReport = target === undefined || target === this.self ? undefined : this.fresh(target)?.groups.get(name);
        // Never grant beside a live holder: a claimant that cannot hear it (a partition that is not transitive)
        // would not wait for it, and the holder's own grant is the only one it would miss.
        const otherHolder = facts.peers.some((peer) => peer !== target && isAlive(facts.peerState(peer)) && HOLDING_PHASES.has(this.fresh(peer)?.groups.get(name)?.phase ?? 'stopped'));
        if (target !== undefined && targetReport?.claim === true && isAlive(facts.peerState(target)) && !otherHolder) {
          grant = target;
          epoch = targetReport.claimEpoch;
        }
      }
    }
    if (grant !== group.grant || epoch !== group.grantEpoch) {
      if (group.grant !== '' && grant !== group.grant) this.withdraw(group, now);
      group.grantEpoch = epoch;
      group.grant = grant;
      if (grant !== '') this.story(group, now, `${this.self} grants ${name} to ${grant}`, `${grant} claims it and is its target here; ${this.self} holds none of it`);
    }
  }

  /** A live peer's report, or undefined when it has not reported since it was last dead or left (see PeerReport). */
  private fresh(peer: NodeName): PeerReport | undefined {
    const known = this.reports.get(peer);
    return known?.stale === true ? undefined : known;
  }

  /** Takes our grant back, remembering it when its holder may still be acting on it. */
  private withdraw(group: LocalGroup, now: Instant): void {
    const from = group.grant;
    if (from === '') return;
    const report = this.reports.get(from)?.groups.get(group.spec.name);
    const mayAct = report !== undefined && ((report.claim && report.claimEpoch === group.grantEpoch) || MAY_START_PHASES.has(report.phase));
    group.withdrawn = mayAct ? { from, at: now, epoch: group.grantEpoch } : undefined;
    group.grant = '';
    group.grantEpoch = 0;
  }

  /** Why a withdrawn grant still keeps this node from starting, or undefined. */
  private withdrawalPending(group: LocalGroup, now: Instant, facts: MembershipFacts): string | undefined {
    const withdrawn = group.withdrawn;
    if (withdrawn === undefined) return undefined;
    const report = this.reports.get(withdrawn.from)?.groups.get(group.spec.name);
    const stillActs = report !== undefined && ((report.claim && report.claimEpoch === withdrawn.epoch) || MAY_START_PHASES.has(report.phase));
    const waitedOut = now - withdrawn.at >= facts.deadtimeMs;
    if (!stillActs || waitedOut) {
      group.withdrawn = undefined;
      return undefined;
    }
    return `${withdrawn.from} was granted it and may still act on that grant: waiting until it shows it has stopped claiming, or ${Math.round(withdrawn.at + facts.deadtimeMs - now)} ms more (deadtime)`;
  }

  /** Why this node may not start the group now, or undefined when every other node agrees. */
  private missingGrants(group: LocalGroup, now: Instant, facts: MembershipFacts): string | undefined {
    const name = group.spec.name;
    const waiting: string[] = [];
    const pending = this.withdrawalPending(group, now, facts);
    if (pending !== undefined) waiting.push(pending);
    for (const peer of facts.peers) {
      if (peer === facts.arbitrator) continue;
      const state = facts.peerState(peer);
      const report = this.reports.get(peer)?.groups.get(name);
      if (state === 'dead' || state === 'left') {
        if (group.confirmedDown.has(peer)) continue;
        if (report?.phase === 'unclean') {
          const unsafe = facts.peerSafe(peer, true);
          if (unsafe !== undefined) waiting.push(`${peer} is ${state} but was unclean for ${name} (a stop failed there, it may still hold part of it): ${unsafe}; or an operator who has made sure ${peer} is down runs \`tandem cleanup ${name}\``);
        } else if (state === 'dead' && (facts.quorum.race || this.mayHold(group, peer))) {
          const unsafe = facts.peerSafe(peer, false);
          if (unsafe !== undefined) waiting.push(`${peer} is dead and may still hold ${name}: ${unsafe}`);
        }
        continue;
      }
      if (state === undefined || state === 'unknown') {
        waiting.push(`${peer} has not been heard since start-up (waiting up to initdead)`);
        continue;
      }
      if (this.fresh(peer) === undefined) {
        waiting.push(`${peer} has not reported its groups yet`);
        continue;
      }
      if (report === undefined) {
        // Safer to wait than to assume: a peer with another config could still hold a group of that name.
        waiting.push(`${peer} does not report ${name} (its config differs?)`);
        continue;
      }
      if (HOLDING_PHASES.has(report.phase)) waiting.push(`${peer} reports it ${report.phase}`);
      else if (report.grant !== this.self) waiting.push(`${peer} has not granted it (${report.grant === '' ? 'no grant' : `granted to ${report.grant}`})`);
      else if (report.grantEpoch !== group.claimEpoch) waiting.push(`${peer} granted it to an earlier claim of ${this.self} (epoch ${report.grantEpoch}, now ${group.claimEpoch})`);
    }
    return waiting.length === 0 ? undefined : waiting.join('; ');
  }

  private drive(group: LocalGroup, now: Instant, facts: MembershipFacts, out: Out): void {
    const name = group.spec.name;
    const count = group.resources.length;
    if (group.probing) this.probeNext(group, now, out);
    if (group.yielding && group.up === 0 && group.op === undefined) group.yielding = false;
    const wanted = !group.retiring && !group.yielding && group.target === this.self && group.unclean === undefined;
    // Claims and grants: only a node that is not yet entitled to the group needs them.
    if (!group.granted) {
      const claim = wanted && !group.probing && facts.quorum.status === 'quorate';
      if (claim && !group.claim) group.claimEpoch += 1;
      group.claim = claim;
      let blockedBy: string | undefined;
      if (wanted && !group.probing && facts.quorum.status !== 'quorate') {
        blockedBy = facts.quorum.status === 'pending' ? 'quorum is undecided: a tie waits for the ping targets to tell which side lost its network' : `no quorum (no-quorum policy ${facts.quorum.policy}: nothing new starts): ${facts.quorum.reason}`;
      }
      if (group.claim) {
        // Claiming ends our own grant: take it back before anything else, so that the wait it may need applies.
        if (group.grant !== '') this.withdraw(group, now);
        blockedBy = this.missingGrants(group, now, facts);
        if (blockedBy === undefined) {
          group.granted = true;
          group.claim = false;
          this.tell(group, now, out, 'group-granted', `${this.self} may start ${name}: ${group.targetReason}; ${this.grantSummary(group, facts)}`);
        }
      }
      if (blockedBy !== group.blockedBy) {
        group.blockedBy = blockedBy;
        if (blockedBy !== undefined) this.tell(group, now, out, 'group-blocked', `${this.self} should run ${name} but waits: ${blockedBy}`);
      }
    } else {
      group.claim = false;
      group.blockedBy = undefined;
    }
    if (group.op !== undefined || group.probing) return;
    if (group.stopDownTo !== undefined) {
      if (group.up > group.stopDownTo) return this.run(group, group.up - 1, 'stop', now, out, `restart in place: stop ${this.resourceId(group, group.up - 1)}`);
      group.stopDownTo = undefined;
    }
    const keep = group.granted && wanted;
    if (keep) {
      // Starts go to the first resource not running: after adopting leftovers a later one may run while an earlier
      // one does not (starting a running resource is harmless; `up` keeps covering the later one for the stops).
      const next = firstNotRunning(group);
      if (next < count) {
        // A peer back from the dead or from a partition may still hold part of the group: never start beside it.
        // Placement decides which of the two keeps it; until the other has stopped, nothing more starts here.
        const busy = this.peersHolding(group, facts);
        if (busy !== undefined) {
          if (busy !== group.blockedBy) this.tell(group, now, out, 'group-blocked', `${this.self} holds ${name} but does not start more of it: ${busy}`);
          group.blockedBy = busy;
          return;
        }
        group.blockedBy = undefined;
        return this.run(group, next, 'start', now, out, `start ${name} on ${this.self}: ${group.targetReason}`);
      }
      return this.monitorDue(group, now, out);
    }
    if (group.granted || group.up > 0) {
      // Not ours to keep (or leftovers while we wait for grants elsewhere): stop right to left.
      if (!group.granted && wanted) return; // leftovers found by the probe, and we are the target: wait for the grants
      if (group.up > 0) return this.run(group, group.up - 1, 'stop', now, out, `stop ${name} on ${this.self}: ${this.stopReason(group)}`);
      if (group.granted) {
        group.granted = false;
        this.story(group, now, `${name} stopped on ${this.self}`, this.stopReason(group));
      }
    }
  }

  /** Live peers whose latest report says they may hold part of the group, as a sentence; undefined if none. */
  private peersHolding(group: LocalGroup, facts: MembershipFacts): string | undefined {
    const holding: string[] = [];
    for (const peer of facts.peers) {
      if (!isAlive(facts.peerState(peer))) continue;
      const report = this.reports.get(peer)?.groups.get(group.spec.name);
      if (report !== undefined && HOLDING_PHASES.has(report.phase)) holding.push(`${peer} reports it ${report.phase}`);
    }
    return holding.length === 0 ? undefined : holding.join('; ');
  }

  private stopReason(group: LocalGroup): string {
    if (group.retiring) return 'removed or changed by a config reload';
    if (group.unclean !== undefined) return `best effort after a failed stop (${group.unclean})`;
    if (this.leaving) return 'this node is leaving';
    return group.target === undefined ? group.targetReason : `it should run on ${group.target}: ${group.targetReason}`;
  }

  private grantSummary(group: LocalGroup, facts: MembershipFacts): string {
    const parts = facts.peers.filter((peer) => peer !== facts.arbitrator).map((peer) => {
      const state = facts.peerState(peer);
      if (state === 'dead' || state === 'left') {
        const last = this.reports.get(peer)?.groups.get(group.spec.name)?.phase;
        return `${peer} is ${state}${last !== undefined && HOLDING_PHASES.has(last) ? ` (its last report: ${last}; declared ${state}, so not waited for)` : ''}`;
      }
      return `${peer} granted`;
    });
    return parts.length === 0 ? 'no other node' : parts.join(', ');
  }

  private probeNext(group: LocalGroup, now: Instant, out: Out): void {
    if (group.op !== undefined || !group.probing) return;
    const next = group.resources.findIndex((resource) => resource.state === 'unknown');
    if (next >= 0) return this.run(group, next, 'monitor', now, out, `probe: does ${this.self} already run ${this.resourceId(group, next)}?`, true);
    group.probing = false;
    // A failed probe says nothing about the resource: it counts as possibly running for the stops, and as not
    // running for the starts.
    const states = group.resources.map((resource) => resource.state);
    group.up = Math.max(states.lastIndexOf('running'), states.lastIndexOf('failed')) + 1;
    group.granted = false;
    const found = group.resources.filter((resource) => resource.state === 'running').length;
    this.story(group, now, `probe of ${group.spec.name} done`, found === 0 ? 'nothing of it runs here' : `${found} of its resources already run here (left by an earlier run): kept only if this node is granted the group, else stopped`);
  }

  private monitorDue(group: LocalGroup, now: Instant, out: Out): void {
    group.resources.forEach((resource, index) => {
      if (resource.nextMonitorAt === undefined && resource.state === 'running' && this.spec(group, index).monitorIntervalMs > 0) {
        resource.nextMonitorAt = (now + this.spec(group, index).monitorIntervalMs) as Instant;
      }
    });
    const due = group.resources.findIndex((resource) => resource.nextMonitorAt !== undefined && resource.nextMonitorAt <= now);
    if (due >= 0) this.run(group, due, 'monitor', now, out, `monitor ${this.resourceId(group, due)}`);
  }

  private run(group: LocalGroup, index: number, operation: AgentOperation, now: Instant, out: Out, reason: string, probe = false): void {
    const spec = this.spec(group, index);
    const op: Operation = { opId: this.nextOpId++, group, index, operation, probe };
    group.op = op;
    this.ops.set(op.opId, op);
    const resource = group.resources[index];
    if (resource !== undefined) resource.nextMonitorAt = undefined;
    const timeoutMs = operation === 'start' ? spec.startTimeoutMs : operation === 'stop' ? spec.stopTimeoutMs : spec.monitorTimeoutMs;
    out.actions.push({
      kind: 'run-agent',
      opId: op.opId,
      group: group.spec.name,
      resource: spec.id,
      operation,
      timeoutMs,
      intervalMs: operation === 'monitor' && !probe ? spec.monitorIntervalMs : 0,
      reason,
    });
    if (operation !== 'monitor') this.story(group, now, `${operation} ${spec.id}`, reason);
  }

  // ---- outcomes --------------------------------------------------------------------------------------------

  private finished(now: Instant, opId: number, outcome: OperationOutcome, detail: string, out: Out): void {
    const op = this.ops.get(opId);
    if (op === undefined) return; // a leftover of a group a reload replaced
    this.ops.delete(opId);
    const group = op.group;
    if (group.op?.opId === opId) group.op = undefined;
    const resource = group.resources[op.index];
    if (resource === undefined) return;
    const id = this.resourceId(group, op.index);
    const name = group.spec.name;
    resource.lastResult = `${op.probe ? 'probe' : op.operation}: ${outcome}${detail ? ` (${detail})` : ''}`;
    switch (op.operation) {
      case 'start':
        if (outcome === 'success') {
          resource.state = 'running';
          group.up = Math.max(group.up, op.index + 1);
          if (group.up === group.resources.length) this.story(group, now, `${name} started on ${this.self}`, `every resource started, in order`);
        } else {
          resource.state = 'failed';
          group.up = Math.max(group.up, op.index + 1); // a half-started resource must be stopped too
          this.fail(group, now, group.spec.migrationThreshold, out, `start of ${id} failed on ${this.self}: ${detail || outcome}; what had started is stopped and the group may not run here until \`tandem cleanup ${name}\` or the failure timeout`);
        }
        return;
      case 'stop':
        if (outcome === 'success') {
          resource.state = 'stopped';
          group.up = Math.min(group.up, op.index);
        } else {
          resource.state = 'failed';
          group.up = Math.min(group.up, op.index);
          group.unclean = `stop of ${id} failed: ${detail || outcome}`;
          this.tell(group, now, out, 'group-unclean', `${name} is UNCLEAN on ${this.self}: stop of ${id} failed (${detail || outcome}). It may still hold part of the group, so no node will start it. No fencing is configured: make sure ${id} is stopped here, then run \`tandem cleanup ${name}\``);
        }
        return;
      case 'monitor':
        if (op.probe) {
          resource.state = outcome === 'success' ? 'running' : outcome === 'not-running' ? 'stopped' : 'failed';
          if (outcome === 'failed') this.story(group, now, `probe of ${id} failed`, `${detail}; it may be running: stopped unless this node keeps the group, started again if it does`);
          return;
        }
        if (outcome === 'success') {
          resource.nextMonitorAt = (now + this.spec(group, op.index).monitorIntervalMs) as Instant;
          return;
        }
        this.resourceFailed(group, op.index, now, out, `monitor of ${id} on ${this.self}: ${outcome === 'not-running' ? 'not running' : 'failed'}${detail ? ` (${detail})` : ''}`);
        return;
    }
  }

  private resourceFailed(group: LocalGroup, index: number, now: Instant, out: Out, what: string): void {
    const resource = group.resources[index];
    if (resource !== undefined) resource.state = 'failed';
    this.fail(group, now, 1, out, what);
    const failCount = this.failCount(group);
    if (failCount < group.spec.migrationThreshold) {
      group.stopDownTo = index;
      this.tell(group, now, out, 'group-recovering', `${group.spec.name}: ${what}; restarting it in place (failure ${failCount} of ${group.spec.migrationThreshold} before it moves)`);
    }
  }

  private fail(group: LocalGroup, now: Instant, weight: number, out: Out, what: string): void {
    group.failures.push({ at: now, weight });
    const count = this.failCount(group);
    const moves = count >= group.spec.migrationThreshold;
    this.tell(group, now, out, 'resource-failed', `${what}${moves ? `; ${count} failure(s) reach the threshold (${group.spec.migrationThreshold}): ${group.spec.name} moves away from ${this.self}` : ''}`);
  }

  private lost(now: Instant, groupName: string, resourceId: string, detail: string, out: Out): void {
    const group = this.groups.get(groupName);
    if (group === undefined || !group.granted || group.op !== undefined || group.stopDownTo !== undefined) return;
    const index = group.spec.resources.findIndex((resource) => resource.id === resourceId);
    if (index < 0 || index >= group.up) return;
    this.resourceFailed(group, index, now, out, `reconciliation: ${resourceId} vanished from the kernel on ${this.self} (${detail}); it is put back`);
  }

  private stray(now: Instant, groupName: string, resourceId: string, detail: string, out: Out): void {
    const group = this.groups.get(groupName);
    if (group === undefined || group.granted || group.probing || group.op !== undefined || group.up > 0) return;
    const index = group.spec.resources.findIndex((resource) => resource.id === resourceId);
    if (index < 0) return;
    if (group.spec.strayPolicy === 'report') {
      if (!group.reportedStrays.has(resourceId)) {
        group.reportedStrays.add(resourceId);
        this.tell(group, now, out, 'stray-found', `${resourceId} of ${groupName} is active on ${this.self}, which does not hold the group (${detail}); left in place (reconcile.stray_addresses: report)`);
      }
      return;
    }
    const resource = group.resources[index];
    if (resource !== undefined) resource.state = 'running';
    group.up = index + 1;
    this.tell(group, now, out, 'stray-removed', `${resourceId} of ${groupName} is active on ${this.self}, which does not hold the group (${detail}): removing it`);
  }

  // ---- helpers ---------------------------------------------------------------------------------------------

  private applyCleanup(group: LocalGroup, now: Instant, out: Out, facts: MembershipFacts): void {
    const entry = this.attributes.entry(cleanupKey(group.spec.name));
    if (entry === undefined || entry.version <= group.appliedCleanupVersion) return;
    group.appliedCleanupVersion = entry.version;
    group.failures = [];
    group.reportedStrays.clear();
    for (const peer of facts.peers) {
      const state = facts.peerState(peer);
      if ((state === 'dead' || state === 'left') && this.reports.get(peer)?.groups.get(group.spec.name)?.phase === 'unclean') group.confirmedDown.add(peer);
    }
    if (group.unclean !== undefined && group.op === undefined) {
      group.unclean = undefined;
      group.probing = true;
      group.granted = false;
      for (const resource of group.resources) resource.state = 'unknown';
    }
    this.tell(group, now, out, 'group-cleanup', `cleanup of ${group.spec.name} applied on ${this.self}: failures forgotten${group.probing ? ', resources probed again' : ''}`);
  }

  private expireFailures(group: LocalGroup, now: Instant): void {
    const timeout = group.spec.failureTimeoutMs;
    if (timeout > 0) group.failures = group.failures.filter((failure) => now - failure.at < timeout);
  }

  private failCount(group: LocalGroup): number {
    return group.failures.reduce((sum, failure) => sum + failure.weight, 0);
  }

  private holding(group: LocalGroup): boolean {
    return HOLDING_PHASES.has(this.phase(group));
  }

  private phase(group: LocalGroup): GroupPhase {
    if (group.unclean !== undefined) return 'unclean';
    if (group.probing) return 'probing';
    const wanted = group.granted && group.target === this.self && !group.retiring && !group.yielding;
    if (group.stopDownTo !== undefined) return 'recovering';
    if (group.up === 0 && (group.op === undefined || group.op.operation === 'monitor')) {
      return this.failCount(group) >= group.spec.migrationThreshold ? 'failed' : 'stopped';
    }
    if (!group.granted) return group.target === this.self && !group.yielding ? 'probing' : 'stopping';
    if (!wanted) return 'stopping';
    return group.up === group.resources.length && group.op?.operation !== 'start' ? 'running' : 'starting';
  }

  private groupReport(group: LocalGroup): GroupReport {
    return { name: group.spec.name, phase: this.phase(group), claim: group.claim, claimEpoch: group.claimEpoch, grant: group.grant, grantEpoch: group.grantEpoch, failCount: this.failCount(group) };
  }

  private groupView(group: LocalGroup): GroupView {
    const failCounts: Record<string, number> = { [this.self]: this.failCount(group) };
    for (const [node, report] of this.reports) {
      const entry = report.groups.get(group.spec.name);
      if (entry !== undefined) failCounts[node] = entry.failCount;
    }
    const pin = readPin(this.attributes.get(pinKey(group.spec.name)))?.node ?? '';
    return {
      name: group.spec.name,
      phase: this.phase(group),
      target: group.target,
      holders: group.holders,
      failCount: this.failCount(group),
      failCounts,
      pinnedTo: pin === '' ? undefined : nodeName(pin),
      blockedBy: group.blockedBy,
      resources: group.resources.map((resource, index) => ({
        id: this.resourceId(group, index),
        state: group.op?.index === index ? (group.op.operation === 'start' ? 'starting' : group.op.operation === 'stop' ? 'stopping' : 'monitoring') : resource.state,
        lastResult: resource.lastResult,
      })),
      story: [...group.story],
    };
  }

  private retire(group: LocalGroup, now: Instant, out: Out, why: string): void {
    if (group.up === 0 && group.op === undefined) return;
    group.retiring = true;
    this.retiring.push(group);
    this.tell(group, now, out, 'group-stopping', `${group.spec.name} is stopped on ${this.self}: ${why}`);
  }

  private reannounce(group: LocalGroup, why: string, out: Out): void {
    group.spec.resources.forEach((resource, index) => {
      if (resource.announces && index < group.up) out.actions.push({ kind: 'reannounce', group: group.spec.name, resource: resource.id, reason: why });
    });
  }

  private wakeAt(): Instant | undefined {
    let earliest: number | undefined;
    const consider = (at: number | undefined): void => {
      if (at !== undefined && (earliest === undefined || at < earliest)) earliest = at;
    };
    for (const group of this.groups.values()) {
      if (group.withdrawn !== undefined) consider(group.withdrawn.at + this.deadtimeMs);
      // Monitors run only on a fully started group with nothing in flight: a due one elsewhere must not spin the timer.
      if (group.op === undefined && group.up === group.resources.length && group.stopDownTo === undefined) {
        for (const resource of group.resources) consider(resource.nextMonitorAt);
      }
      if (group.spec.failureTimeoutMs > 0) for (const failure of group.failures) consider(failure.at + group.spec.failureTimeoutMs);
    }
    return earliest as Instant | undefined;
  }

  private spec(group: LocalGroup, index: number): GroupSpec['resources'][number] {
    const spec = group.spec.resources[index];
    if (spec === undefined) throw new RangeError(`group ${group.spec.name} has no resource ${index}`);
    return spec;
  }

  private resourceId(group: LocalGroup, index: number): string {
    return group.spec.resources[index]?.id ?? `#${index}`;
  }

  private story(group: LocalGroup, at: Instant, what: string, why: string): void {
    group.story.push({ at, what, why });
    if (group.story.length > STORY_ENTRIES_MAX) group.story.splice(0, group.story.length - STORY_ENTRIES_MAX);
  }

  private tell(group: LocalGroup, now: Instant, out: Out, kind: ClusterEventKind, reason: string): void {
    this.story(group, now, kind, reason);
    out.emit(kind, now, { node: this.self, group: group.spec.name, reason });
  }
}

class Out {
  readonly actions: GroupAction[] = [];
  emit(kind: ClusterEventKind, at: Instant, fields: { node?: NodeName; group?: string; reason: string }): void {
    this.actions.push({ kind: 'emit', event: { kind, at, ...fields } });
  }
}

function newGroup(spec: GroupSpec): LocalGroup {
  return {
    spec,
    resources: spec.resources.map(() => ({ state: 'unknown' as ResourceState, lastResult: '', nextMonitorAt: undefined })),
    up: 0,
    probing: spec.resources.length > 0,
    op: undefined,
    granted: false,
    claim: false,
    claimEpoch: 0,
    grant: '',
    grantEpoch: 0,
    withdrawn: undefined,
    stopDownTo: undefined,
    unclean: undefined,
    failures: [],
    target: undefined,
    targetReason: '',
    holders: [],
    blockedBy: undefined,
    lastPhase: 'probing',
    story: [],
    reportedStrays: new Set(),
    confirmedDown: new Set(),
    retiring: false,
    yielding: false,
    appliedCleanupVersion: 0,
  };
}

function firstNotRunning(group: LocalGroup): number {
  const index = group.resources.findIndex((resource) => resource.state !== 'running');
  return index < 0 ? group.resources.length : index;
}

function sameResources(a: GroupSpec, b: GroupSpec): boolean {
  return a.resources.length === b.resources.length && a.resources.every((resource, index) => resource.id === b.resources[index]?.id);
}

function phaseEvent(phase: GroupPhase): ClusterEventKind {
  switch (phase) {
    case 'running':
      return 'group-started';
    case 'stopped':
      return 'group-stopped';
    case 'starting':
      return 'group-starting';
    case 'stopping':
      return 'group-stopping';
    case 'failed':
      return 'group-failed';
    case 'recovering':
      return 'group-recovering';
    case 'unclean':
      return 'group-unclean';
    case 'probing':
      return 'group-probing';
  }
}
