/**
 * One node's whole core: membership and failure detection, plus the resource groups that ride on it. The daemon
 * and the simulator drive this, never the halves alone.
 *
 * It routes inputs to the half they concern, tells the groups what membership learnt (peers' states, a peer back,
 * this node's own pause, a peer's report), and puts the node's current report into every heartbeat and leave
 * message. When the report changes it sends a heartbeat at once: a grant or a stop must not wait for the next
 * keepalive.
 *
 * Invariants:
 *   1. Membership's actions come first in a step (its `persist` stays the step's first action).
 *   2. Every heartbeat and leave message leaving this node carries the report as it is at the end of the step.
 *   3. Every input passes membership's clock check first, so a pause is noticed before anything else is decided.
 */
import { Membership } from './membership.js';
import { Groups, type GroupAction, type MembershipFacts } from './groups.js';
import type { AttributeEntry, GroupAdminRequest, GroupInput, GroupSpec, GroupsView, NodeReport } from './group-types.js';
import type { CoreAction, CoreInput, Instant, MembershipConfig, MembershipView, NodeName, PeerState } from './types.js';

export type NodeInput =
  | CoreInput
  | GroupInput
  | { readonly kind: 'group-admin'; readonly now: Instant; readonly request: GroupAdminRequest }
  | { readonly kind: 'groups-changed'; readonly now: Instant; readonly groups: readonly GroupSpec[] };

export type NodeAction = CoreAction | GroupAction;

export interface NodeStepOutput {
  readonly actions: readonly NodeAction[];
  readonly wakeAt: Instant | undefined;
}

export class NodeCore {
  private readonly membership: Membership;
  private readonly groups: Groups;
  private config: MembershipConfig;
  private readonly lastStates = new Map<NodeName, PeerState>();
  private membershipWakeAt: Instant | undefined;
  private groupsWakeAt: Instant | undefined;
  private started = false;
  private left = false;

  /**
   * @param reportFits whether a report fits in one datagram (the wire layer knows; the core does not count bytes).
   */
  constructor(
    config: MembershipConfig,
    groups: readonly GroupSpec[],
    attributes: readonly AttributeEntry[] = [],
    private readonly reportFits: (report: NodeReport) => boolean = () => true,
  ) {
    this.config = config;
    this.membership = new Membership(config);
    this.groups = new Groups(config.self, groups, attributes);
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

  step(input: NodeInput): NodeStepOutput {
    const actions: NodeAction[] = [];
    let reportChanged = false;
    const take = (output: { actions: readonly NodeAction[]; reportChanged?: boolean; wakeAt: Instant | undefined }, from: 'membership' | 'groups'): void => {
      actions.push(...output.actions);
      if (output.reportChanged === true) reportChanged = true;
      if (from === 'membership') this.membershipWakeAt = output.wakeAt;
      else this.groupsWakeAt = output.wakeAt;
    };
    // Whatever arrives, membership looks at the clock first: an agent result queued while this process was frozen
    // must meet a core that already knows it was paused (and has dropped its claims), never one that starts the
    // next resource on a stale grant.
    if (input.kind === 'agent-finished' || input.kind === 'resource-lost' || input.kind === 'stray-found' || input.kind === 'group-admin' || input.kind === 'groups-changed') {
      if (this.started && !this.left) this.membershipStep({ kind: 'timer-due', now: input.now }, take);
    }
    switch (input.kind) {
      case 'agent-finished':
      case 'resource-lost':
      case 'stray-found':
        if (this.started) take(this.groups.step(input, this.facts()), 'groups');
        break;
      case 'group-admin':
        if (this.started) take(this.groups.admin(input.now, input.request, this.facts()), 'groups');
        break;
      case 'groups-changed':
        if (this.started) take(this.groups.reconfigure(input.now, input.groups, this.facts()), 'groups');
        break;
      default:
        this.membershipStep(input, take);
    }
    if (this.started && !this.left) this.attachReport(input.now, actions, reportChanged);
    return { actions, wakeAt: earliest(this.membershipWakeAt, this.groupsWakeAt) };
  }

  private membershipStep(input: CoreInput, take: (output: { actions: readonly NodeAction[]; reportChanged?: boolean; wakeAt: Instant | undefined }, from: 'membership' | 'groups') => void): void {
    if (input.kind === 'config-changed') this.config = input.config;
    const output = this.membership.step(input);
    take(output, 'membership');
    if (input.kind === 'started') this.started = true;
    if (!this.started) return;
    if (input.kind === 'admin-requested' && input.request.kind === 'leave') this.left = true;
    const facts = this.facts();
    for (const action of output.actions) {
      if (action.kind === 'emit' && action.event.kind === 'pause-detected') {
        const gapMs = Number(action.event.data?.gapMs ?? 0);
        take(this.groups.paused(input.now, gapMs, facts), 'groups');
      }
    }
    // The report before the return: a peer back from the dead must be judged on what it says now, not on its last
    // report before it died.
    if (input.kind === 'message-received' && input.message.report !== undefined) {
      take(this.groups.received(input.now, input.envelope.from, input.envelope.generation, input.message.report, facts), 'groups');
    }
    for (const peer of this.returnedPeers(facts)) take(this.groups.peerReturned(input.now, peer, facts), 'groups');
    take(this.groups.tick(input.now, facts), 'groups');
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

  private facts(): MembershipFacts {
    const states = new Map(this.membership.view().peers.map((peer) => [peer.name, peer.state]));
    return { peers: [...states.keys()], peerState: (node) => states.get(node), deadtimeMs: this.config.timings.deadtimeMs, keepaliveMs: this.config.timings.keepaliveMs };
  }

  private attachReport(now: Instant, actions: NodeAction[], reportChanged: boolean): void {
    const report = this.groups.report(this.reportFits);
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

function earliest(a: Instant | undefined, b: Instant | undefined): Instant | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return a < b ? a : b;
}
