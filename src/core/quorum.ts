/**
 * Quorum: whether this node's partition may run groups, and why. A pure function of what one node knows.
 *
 * A node's partition is itself plus every peer that it hears (`up`/`late`) and that, in its latest fresh report,
 * says it hears this node too. The second half matters: with a one-way link, a node that still hears a majority
 * but is no longer heard by it must not count those votes (the majority has declared it dead and may take its
 * groups over). The arbitrator's vote counts only for the partition it names (`vote`), so it backs one side of a
 * split, never both.
 *
 * Rules, in order:
 *   1. `no-quorum: ignore` → always quorate (heartbeat's behaviour), with a permanent warning.
 *   2. wait-for-all: until every node has been seen at once (or a quorate peer is in the partition), not quorate.
 *   3. More than half of the expected votes → quorate.
 *   4. Exactly half (a tie, e.g. one node of two): ping targets first — the side that reaches more of them wins,
 *      fewer loses, after `pingDeadMs` so that both sides' reachability reflects the split — or at once when a
 *      target answered this node after the tie began (its network works since the split, so its score is
 *      current; a side whose network died gets no such answer and waits out `pingDeadMs`); equal reach falls
 *      through to fencing (quorate, but everything outside the partition is fenced before any of it is taken,
 *      and the preferred side fences first), then, in a two-node cluster with neither, heartbeat's behaviour
 *      (quorate, split brain possible, said loudly).
 *   5. Otherwise not quorate.
 *
 * Invariants:
 *   1. Two partitions that do not overlap can never both be quorate by rule 3 (the arbitrator backs one).
 *   2. The result names its rule and its numbers in `reason`, for `tandem status` and the event log.
 */
import type { NodeName, PeerState, Instant } from './types.js';

export type NoQuorumPolicy = 'stop' | 'freeze' | 'ignore';

/** The split-brain protection a cluster is configured with, as the core needs it. */
export interface ProtectionSpec {
  /** Every voting node, the arbitrator included, with its votes (0 = no vote). */
  readonly votes: ReadonlyMap<NodeName, number>;
  /** Config order: the preferred order for fencing races and the arbitrator's choice. */
  readonly order: readonly NodeName[];
  readonly arbitrator: NodeName | undefined;
  readonly noQuorum: NoQuorumPolicy;
  readonly waitForAll: boolean;
  /** Ping targets break ties; a reachability change is certain after this long. Undefined = no ping targets. */
  readonly pingDeadMs: number | undefined;
  readonly fencing: FencingSpec | undefined;
  /** Every node resets itself through its watchdog this long after it stops feeding it. Undefined = no watchdog. */
  readonly watchdogTimeoutMs: number | undefined;
}

export interface FencingSpec {
  /** Nodes that a fence device can power off. */
  readonly nodes: ReadonlySet<NodeName>;
  /** In a fencing race, fencing the preferred node waits this long, so the preferred node fences first. */
  readonly delayMs: number;
  /** A failed fencing is tried again after this long (the fencer already ran every level and retry). */
  readonly retryMs: number;
}

/** Every node one vote, no-quorum `stop`, no tie-breaker: in a two-node cluster, heartbeat's behaviour on a tie. */
export function defaultProtection(nodes: readonly NodeName[]): ProtectionSpec {
  return {
    votes: new Map(nodes.map((node) => [node, 1])),
    order: nodes,
    arbitrator: undefined,
    noQuorum: 'stop',
    waitForAll: false,
    pingDeadMs: undefined,
    fencing: undefined,
    watchdogTimeoutMs: undefined,
  };
}

/** What a peer's report says about membership and quorum (absent from nodes of an older protocol). */
export interface PeerQuorumReport {
  /** The peers the sender hears (up or late). */
  readonly alive: readonly NodeName[];
  readonly quorate: boolean;
  /** Reachable ping targets, undefined when the sender measures none. */
  readonly pingScore: number | undefined;
  /** An arbitrator's vote: the node whose partition it backs ('' = none). Empty for other nodes. */
  readonly vote: string;
}

export interface QuorumFacts {
  readonly self: NodeName;
  readonly spec: ProtectionSpec;
  readonly now: Instant;
  readonly peers: readonly NodeName[];
  readonly peerState: (node: NodeName) => PeerState | undefined;
  /** The peer's latest fresh report; `'legacy'` when it reports no quorum section (an older node). */
  readonly peerReport: (node: NodeName) => PeerQuorumReport | 'legacy' | undefined;
  /** The last ping score a peer reported, fresh or not (a lost peer's last word). */
  readonly lastPingScore: (node: NodeName) => number | undefined;
  readonly ownPingScore: number | undefined;
  /** When a ping target last answered this node, if ever. */
  readonly ownPingReplyAt: Instant | undefined;
  /** Wait-for-all was satisfied once (every node seen at once). */
  readonly allSeen: boolean;
  /** Since when this node's partition has been exactly half of the votes (a tie), if it is. */
  readonly tieSince: Instant | undefined;
}

export type QuorumStatus = 'quorate' | 'pending' | 'lost';

/** How a tie (exactly half of the votes) was resolved. */
export type TieBreak = 'none' | 'ping-won' | 'ping-lost' | 'ping-pending' | 'fencing' | 'heartbeat';

export interface QuorumState {
  readonly status: QuorumStatus;
  readonly votes: number;
  readonly expected: number;
  /** Votes needed for a majority. */
  readonly needed: number;
  readonly partition: readonly NodeName[];
  readonly tie: TieBreak;
  /** The arbitrator's vote counts for this partition. */
  readonly arbitratorVote: boolean;
  readonly reason: string;
  /** Split brain is possible in the current state (ignore policy, or a tie with no tie-breaker). */
  readonly splitBrainPossible: boolean;
}

export function computeQuorum(facts: QuorumFacts): QuorumState {
  const { spec, self } = facts;
  const votesOf = (node: NodeName): number => spec.votes.get(node) ?? 0;
  const expected = [...spec.votes.values()].reduce((sum, votes) => sum + votes, 0);
  const needed = Math.floor(expected / 2) + 1;
  const partition = partitionOf(facts);
  let votes = partition.filter((node) => node !== spec.arbitrator).reduce((sum, node) => sum + votesOf(node), 0);
  const arbitratorVote = spec.arbitrator !== undefined && spec.arbitrator !== self && arbitratorBacks(facts, partition);
  if (arbitratorVote && spec.arbitrator !== undefined) votes += votesOf(spec.arbitrator);
  if (spec.arbitrator === self) votes += votesOf(self);
  const base = { votes, expected, needed, partition, arbitratorVote };
  const count = `${votes} of ${expected} votes (${needed} needed)${arbitratorVote ? ', the arbitrator backing this side' : ''}`;

  if (spec.noQuorum === 'ignore') {
    return { ...base, status: 'quorate', tie: 'none', splitBrainPossible: true, reason: `no-quorum policy is ignore: groups run whatever the votes (${count}); split brain is possible` };
  }
  if (spec.waitForAll && !facts.allSeen && !partition.some((node) => node !== self && quorateReport(facts.peerReport(node)))) {
    return { ...base, status: 'lost', tie: 'none', splitBrainPossible: false, reason: `wait-for-all: not every node has been seen since the cluster started (${count})` };
  }
  if (votes >= needed) return { ...base, status: 'quorate', tie: 'none', splitBrainPossible: false, reason: `${count}` };
  if (votes * 2 !== expected) return { ...base, status: 'lost', tie: 'none', splitBrainPossible: false, reason: `only ${count}` };

  // A tie: half the votes on each side, or a peer gone without anyone to tell which side it is on.
  const others = spec.order.filter((node) => !partition.includes(node) && node !== spec.arbitrator && votesOf(node) > 0);
  if (spec.pingDeadMs !== undefined && facts.ownPingScore !== undefined) {
    const tieAge = facts.tieSince === undefined ? 0 : facts.now - facts.tieSince;
    const answeredSinceTie = facts.tieSince !== undefined && facts.ownPingReplyAt !== undefined && facts.ownPingReplyAt > facts.tieSince && facts.ownPingScore > 0;
    if (tieAge < spec.pingDeadMs && !answeredSinceTie) {
      return { ...base, status: 'pending', tie: 'ping-pending', splitBrainPossible: false, reason: `tie (${count}): waiting ${Math.round(spec.pingDeadMs - tieAge)} ms more so that the ping targets tell which side has lost its network` };
    }
    const theirs = others.map((node) => facts.lastPingScore(node)).filter((score): score is number => score !== undefined);
    const best = theirs.length === 0 ? undefined : Math.max(...theirs);
    if (best !== undefined && facts.ownPingScore > best) {
      return { ...base, status: 'quorate', tie: 'ping-won', splitBrainPossible: false, reason: `tie (${count}) broken by ping targets: this side reaches ${facts.ownPingScore}, the other side last reached ${best}` };
    }
    if (best !== undefined && facts.ownPingScore < best) {
      return { ...base, status: 'lost', tie: 'ping-lost', splitBrainPossible: false, reason: `tie (${count}) lost on ping targets: this side reaches ${facts.ownPingScore}, the other side last reached ${best}` };
    }
  }
  if (spec.fencing !== undefined) {
    return { ...base, status: 'quorate', tie: 'fencing', splitBrainPossible: false, reason: `tie (${count}) broken by fencing: ${others.join(', ') || 'the other side'} is fenced before anything it may hold starts here` };
  }
  if (spec.order.filter((node) => node !== spec.arbitrator).length === 2 && spec.arbitrator === undefined) {
    return { ...base, status: 'quorate', tie: 'heartbeat', splitBrainPossible: true, reason: `two nodes and no tie-breaker (${count}): each side takes the groups over as heartbeat does; SPLIT BRAIN IS POSSIBLE (configure fencing, an arbitrator or ping targets)` };
  }
  return { ...base, status: 'lost', tie: 'none', splitBrainPossible: false, reason: `tie (${count}) and no tie-breaker settles it` };
}

/** Self, and every peer that hears this node and is heard by it. */
function partitionOf(facts: Pick<QuorumFacts, 'self' | 'peers' | 'peerState' | 'peerReport'>): NodeName[] {
  const members = [facts.self];
  for (const peer of facts.peers) {
    const state = facts.peerState(peer);
    if (state !== 'up' && state !== 'late') continue;
    const report = facts.peerReport(peer);
    if (report === undefined) continue;
    if (report === 'legacy' || report.alive.includes(facts.self)) members.push(peer);
  }
  return members;
}

function arbitratorBacks(facts: QuorumFacts, partition: readonly NodeName[]): boolean {
  const arbitrator = facts.spec.arbitrator;
  if (arbitrator === undefined || !partition.includes(arbitrator)) return false;
  const report = facts.peerReport(arbitrator);
  return report !== undefined && report !== 'legacy' && report.vote !== '' && partition.includes(report.vote as NodeName);
}

function quorateReport(report: PeerQuorumReport | 'legacy' | undefined): boolean {
  return report !== undefined && report !== 'legacy' && report.quorate;
}

/** What the arbitrator knows when it chooses whom to back. */
export interface ArbitratorFacts {
  readonly self: NodeName;
  readonly spec: ProtectionSpec;
  readonly now: Instant;
  readonly peers: readonly NodeName[];
  readonly peerState: (node: NodeName) => PeerState | undefined;
  /** When the peer entered its current state. */
  readonly peerSince: (node: NodeName) => Instant | undefined;
  readonly peerReport: (node: NodeName) => PeerQuorumReport | 'legacy' | undefined;
  /** Groups a peer reports holding: the side running the services is the one worth keeping in a split. */
  readonly peerHeld: (node: NodeName) => number;
  readonly deadtimeMs: number;
  readonly keepaliveMs: number;
}

export interface ArbitratorChoice {
  readonly vote: NodeName | '';
  readonly reason: string;
  /** When the choice may change next by itself (a switch delay running out). */
  readonly wakeAt: Instant | undefined;
}

/**
 * The arbitrator backs one partition. While every node it hears is in one partition (no split), the vote decides
 * nothing yet, so it backs the node best placed to keep the services in a split: the one holding the most groups,
 * then the earliest in the config. During a split it keeps backing the node it backs while it hears that node.
 * When that node is gone it waits until the old side has certainly stopped counting its vote (the old side drops
 * the vote once it stops hearing the arbitrator, at most deadtime after the arbitrator declared it dead, plus a
 * keepalive of slack), then backs the partition with the most votes, the earliest node in config order breaking ties.
 */
export function arbitratorVote(current: NodeName | '', facts: ArbitratorFacts): ArbitratorChoice {
  const alive = (node: NodeName): boolean => {
    const state = facts.peerState(node);
    return state === 'up' || state === 'late';
  };
  const heard = facts.spec.order.filter((node) => node !== facts.self && alive(node));
  const partitionOfNode = (node: NodeName): NodeName[] => {
    const report = facts.peerReport(node);
    return [node, ...(report === undefined || report === 'legacy' ? [] : report.alive.filter((peer) => peer !== facts.self && alive(peer)))];
  };
  if (current !== '' && alive(current)) {
    const whole = heard.every((node) => partitionOfNode(current).includes(node));
    if (!whole) return { vote: current, reason: `backs ${current}'s side of a split, which it has backed since before`, wakeAt: undefined };
    const best = [...heard].sort((a, b) => facts.peerHeld(b) - facts.peerHeld(a) || facts.spec.order.indexOf(a) - facts.spec.order.indexOf(b))[0] ?? current;
    return { vote: best, reason: `backs ${best} (no split: the node ${facts.peerHeld(best) > 0 ? `holding ${facts.peerHeld(best)} group(s)` : 'first in the config'} is the side to keep)`, wakeAt: undefined };
  }
  if (current !== '' && facts.peerState(current) !== 'left') {
    const since = facts.peerSince(current);
    const free = (since ?? facts.now) + facts.deadtimeMs + facts.keepaliveMs;
    if (facts.now < free) return { vote: current, reason: `${current} is gone; its side may still count this vote until it has missed the arbitrator for deadtime`, wakeAt: free as Instant };
  }
  const votesOf = (node: NodeName): number => facts.spec.votes.get(node) ?? 0;
  let best: { node: NodeName; votes: number; rank: number } | undefined;
  for (const node of facts.spec.order) {
    if (node === facts.self || !alive(node)) continue;
    const report = facts.peerReport(node);
    if (report === undefined) continue;
    const members = partitionOfNode(node);
    const votes = members.reduce((sum, member) => sum + votesOf(member), 0);
    const rank = Math.min(...members.map((member) => facts.spec.order.indexOf(member)));
    if (best === undefined || votes > best.votes || (votes === best.votes && rank < best.rank)) best = { node: facts.spec.order[rank] ?? node, votes, rank };
  }
  if (best === undefined) return { vote: '', reason: 'hears no node: backs nobody', wakeAt: undefined };
  return { vote: best.node, reason: `backs ${best.node}'s side (${best.votes} vote(s), the most, ties to the earliest node in the config)`, wakeAt: undefined };
}
