/**
 * Membership and failure detection: turns heartbeats, timers and admin requests into peer and link verdicts
 * (unknown / up / late / dead / left), each with a reason a person can read.
 *
 * It never reads a clock, draws randomness, sets timers or does I/O: time arrives as `now` in every input, the
 * driver performs the returned actions in order and arms one timer for `wakeAt`.
 *
 * Invariants:
 *   1. A peer is `dead` only after `deadtimeMs` of silence on every link it shares with us, counted from its last
 *      accepted message (or from our own detected pause, whichever is later); a peer never heard is `dead` only after
 *      `initdeadMs` from the moment we started watching it (heartbeat's initdead).
 *   2. Timers only worsen a verdict (up → late → dead, unknown → dead); only an accepted message makes a peer `up`.
 *   3. A `left` peer comes back only with a higher generation: a late in-flight packet of the leaving boot is ignored.
 *   4. Whenever any peer's state (or our own) changes, the step's first action is `persist` with the members map.
 *   5. Every history is bounded: GAP_HISTORY_SAMPLES_MAX gaps and SEQ_HISTORY_SAMPLES_MAX sequence numbers per
 *      (peer, link).
 */
import { assert } from '../lib/assert.js';
import {
  instant,
  type AdminRequest,
  type ClusterEvent,
  type ClusterEventKind,
  type CoreAction,
  type CoreInput,
  type Envelope,
  type Instant,
  type LinkName,
  type LinkState,
  type LinkView,
  type MembershipConfig,
  type MembershipTimings,
  type MembershipView,
  type Message,
  type NodeName,
  type PeerState,
  type PeerView,
  type StepOutput,
} from './types.js';

/** Inter-arrival gaps kept per (peer, link) for mean/max/jitter: at a 150 ms keepalive, the last ~5 s. */
export const GAP_HISTORY_SAMPLES_MAX = 32;
/** Sequence numbers kept per (peer, link) to estimate loss from gaps: at a 150 ms keepalive, the last ~10 s. */
export const SEQ_HISTORY_SAMPLES_MAX = 64;
/**
 * A link warns of jitter when a recent gap exceeds this fraction of deadtime. A healthy link's gaps are about one
 * keepalive, which sane configs keep at or below a quarter of deadtime; a gap past half of deadtime means two or more
 * heartbeats in a row were lost or held up, and one more such gap on every link would be a false `dead`. Warning at
 * 50 % leaves as much margin again as the gap itself, which is the time an operator needs to look.
 */
export const JITTER_WARNING_FRACTION = 0.5;
/** The warning clears once every recent gap is at or below this fraction; the 10-point band stops flapping. */
export const JITTER_CLEAR_FRACTION = 0.4;

/**
 * Largest gap between two consecutive inputs that is not a pause of this node. While heartbeating, the core asks to
 * be woken at least every keepalive, so a gap of two keepalives means a timer fired very late; half of deadtime is the
 * floor because below it our own delay cannot push a peer past deadtime on its own.
 */
export function pauseBoundMs(timings: MembershipTimings): number {
  return Math.max(2 * timings.keepaliveMs, timings.deadtimeMs / 2);
}

interface LinkRecord {
  readonly name: LinkName;
  state: LinkState;
  since: Instant;
  lastHeardAt: Instant | undefined;
  /** When we started expecting this link to carry the peer (start-up, link added): the initdead reference. */
  watchedFrom: Instant;
  /** Silence is counted from no earlier than this (our own pause gave a fresh grace). */
  graceFrom: Instant;
  /** Distinct recent sequence numbers, oldest first, at most SEQ_HISTORY_SAMPLES_MAX. */
  seqs: number[];
  /** Recent inter-arrival gaps in ms, oldest first, at most GAP_HISTORY_SAMPLES_MAX. */
  gaps: number[];
  lastArrivalAt: Instant | undefined;
  jitterWarning: boolean;
}

interface PeerRecord {
  readonly name: NodeName;
  state: PeerState;
  since: Instant;
  reason: string;
  watchedFrom: Instant;
  graceFrom: Instant;
  generation: number | undefined;
  uptimeMs: number | undefined;
  /** Config digest from the peer's last heartbeat, compared again when our own config changes. */
  configDigest: string | undefined;
  configMatches: boolean | undefined;
  links: LinkRecord[];
}

/** Collects one step's actions; `persist` goes first so the driver stores membership before it announces anything. */
class Outbox {
  readonly emits: CoreAction[] = [];
  readonly sends: CoreAction[] = [];
  membershipChanged = false;

  emit(event: ClusterEvent): void {
    this.emits.push({ kind: 'emit', event });
  }

  send(link: LinkName | 'all', message: Message, reason: string): void {
    this.sends.push({ kind: 'send', link, message, reason });
  }
}

const SEVERITY: Readonly<Record<PeerState, number>> = { unknown: 0, up: 0, late: 1, dead: 2, left: 3 };

export class Membership {
  private config: MembershipConfig;
  private readonly peers = new Map<NodeName, PeerRecord>();
  private started = false;
  private leaving = false;
  private generation = 0;
  private startedAt = instant(0);
  private lastInputAt: Instant | undefined;
  private nextHeartbeatAt: Instant | undefined;

  constructor(config: MembershipConfig) {
    assertConfig(config);
    this.config = config;
  }

  view(): MembershipView {
    return {
      self: this.config.self,
      generation: this.generation,
      startedAt: this.startedAt,
      peers: [...this.peers.values()].map((peer) => this.peerView(peer)),
    };
  }

  step(input: CoreInput): StepOutput {
    if (input.kind !== 'started' && !this.started) return { actions: [], wakeAt: undefined };
    assert(this.lastInputAt === undefined || input.now >= this.lastInputAt, `time went backwards: ${input.now} < ${this.lastInputAt}`);
    const out = new Outbox();
    if (input.kind !== 'started') this.detectPause(input.now, out);
    switch (input.kind) {
      case 'started':
        this.start(input.now, input.generation, out);
        break;
      case 'timer-due':
        break;
      case 'message-received':
        this.receive(input.now, input.envelope, input.message, out);
        break;
      case 'admin-requested':
        this.adminRequested(input.now, input.request, out);
        break;
      case 'config-changed':
        this.applyConfig(input.now, input.config, out);
        break;
    }
    this.evaluate(input.now, out);
    this.heartbeatIfDue(input.now, out);
    this.lastInputAt = input.now;
    const actions: CoreAction[] = [];
    if (out.membershipChanged) actions.push({ kind: 'persist', record: { members: this.members() } });
    actions.push(...out.emits, ...out.sends);
    return { actions, wakeAt: this.wakeAt(input.now) };
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Inputs

  private start(now: Instant, generation: number, out: Outbox): void {
    assert(!this.started, 'started twice: a restart is a new Membership with a higher generation');
    this.started = true;
    this.generation = generation;
    this.startedAt = now;
    for (const node of this.config.nodes) {
      if (node.name !== this.config.self) this.peers.set(node.name, this.newPeer(node.name, now));
    }
    this.nextHeartbeatAt = now;
    const t = this.config.timings;
    const peers = [...this.peers.keys()].join(', ') || 'none';
    out.emit(event('node-started', now, {
      node: this.config.self,
      reason: `started generation ${generation}; peers ${peers}; keepalive ${t.keepaliveMs} ms, warntime ${t.warntimeMs} ms, deadtime ${t.deadtimeMs} ms, initdead ${t.initdeadMs} ms`,
      data: { generation },
    }));
    out.membershipChanged = true;
  }

  private detectPause(now: Instant, out: Outbox): void {
    if (!this.heartbeating() || this.lastInputAt === undefined) return;
    const gapMs = now - this.lastInputAt;
    const boundMs = pauseBoundMs(this.config.timings);
    if (gapMs <= boundMs) return;
    const { keepaliveMs, deadtimeMs } = this.config.timings;
    out.emit(event('pause-detected', now, {
      node: this.config.self,
      reason: `no input for ${fmt(gapMs)} ms (expected one every ${keepaliveMs} ms, bound ${fmt(boundMs)} ms): this node was paused or its clock jumped; peers' silence is counted afresh from now (deadtime ${deadtimeMs} ms)`,
      data: { gapMs, boundMs },
    }));
    for (const peer of this.peers.values()) {
      peer.graceFrom = now;
      for (const link of peer.links) {
        link.graceFrom = now;
        // The gap across our own pause says nothing about the link.
        link.lastArrivalAt = undefined;
      }
    }
    this.nextHeartbeatAt = now;
  }

  private receive(now: Instant, envelope: Envelope, message: Message, out: Outbox): void {
    const peer = this.peers.get(envelope.from);
    if (peer === undefined) return; // not a peer in our config (the codec drops unknown nodes before this)
    const link = peer.links.find((candidate) => candidate.name === envelope.link);
    if (link === undefined) return; // a link we do not share with this peer is not judged
    if (peer.generation !== undefined) {
      if (envelope.generation < peer.generation) return;
      if (envelope.generation === peer.generation && peer.state === 'left') return;
      if (envelope.generation > peer.generation) this.restarted(now, peer, envelope, out);
    }
    peer.generation = envelope.generation;
    const heardBefore = maxHeard(peer.links);
    this.recordArrival(now, peer, link, envelope.seq, out);
    if (message.type === 'leave') {
      const reason = `${peer.name} left (generation ${envelope.generation}, said on ${link.name}): ${message.reason}`;
      this.setPeerState(now, peer, 'left', reason, out, 'peer-left');
      return;
    }
    peer.uptimeMs = message.uptimeMs;
    this.compareConfig(now, peer, message.configDigest, out);
    const wasUp = peer.state === 'up';
    if (!wasUp) {
      const silentMs = heardBefore === undefined ? undefined : now - heardBefore;
      const reason = silentMs === undefined
        ? `heartbeat on ${link.name} (generation ${envelope.generation})`
        : `heartbeat on ${link.name} after ${fmt(silentMs)} ms without one (generation ${envelope.generation})`;
      this.setPeerState(now, peer, 'up', reason, out, 'peer-up');
    }
    if (link.state !== 'up') {
      const before = link.state;
      setLink(now, link, 'up');
      // The first contact on a link is not news; a link coming back while the peer was up on another one is.
      if (wasUp && before !== 'unknown') {
        out.emit(event('link-up', now, {
          node: peer.name,
          link: link.name,
          reason: `heartbeat from ${peer.name} on ${link.name} again (was ${before})`,
        }));
      }
    }
  }

  private restarted(now: Instant, peer: PeerRecord, envelope: Envelope, out: Outbox): void {
    out.emit(event('peer-restarted', now, {
      node: peer.name,
      link: envelope.link,
      reason: `${peer.name} restarted: generation ${peer.generation} → ${envelope.generation} (heard on ${envelope.link})`,
      data: { generation: envelope.generation },
    }));
    for (const link of peer.links) {
      // Sequence numbers start again with every generation, and the restart gap is not jitter.
      link.seqs = [];
      link.gaps = [];
      link.lastArrivalAt = undefined;
      // A new boot brings its links up in its own time: a link never heard gets initdead again.
      if (link.state === 'unknown') link.watchedFrom = now;
    }
  }

  private adminRequested(now: Instant, request: AdminRequest, out: Outbox): void {
    if (this.leaving) return;
    this.leaving = true;
    this.nextHeartbeatAt = undefined;
    out.send('all', { type: 'leave', reason: request.reason }, `leaving on request: ${request.reason}`);
    out.emit(event('leaving', now, {
      node: this.config.self,
      reason: `leaving the cluster on request: ${request.reason}; heartbeats stop`,
    }));
    out.membershipChanged = true;
  }

  private applyConfig(now: Instant, config: MembershipConfig, out: Outbox): void {
    assertConfig(config);
    assert(config.self === this.config.self, `config-changed renamed this node: ${this.config.self} → ${config.self}`);
    const previous = this.config;
    this.config = config;
    const changes: string[] = [];
    const wanted = new Set(config.nodes.map((node) => node.name).filter((name) => name !== config.self));
    for (const name of [...this.peers.keys()]) {
      if (!wanted.has(name)) {
        this.peers.delete(name);
        changes.push(`removed ${name}`);
      }
    }
    const rebuilt = new Map<NodeName, PeerRecord>();
    for (const node of config.nodes) {
      if (node.name === config.self) continue;
      const existing = this.peers.get(node.name);
      if (existing === undefined) {
        rebuilt.set(node.name, this.newPeer(node.name, now));
        changes.push(`added ${node.name}`);
        continue;
      }
      const links = this.sharedLinks(node.name);
      const before = existing.links.map((link) => link.name).join(',');
      existing.links = links.map((name) => existing.links.find((link) => link.name === name) ?? newLink(name, now));
      const after = existing.links.map((link) => link.name).join(',');
      if (before !== after) changes.push(`links with ${node.name}: ${before || 'none'} → ${after || 'none'}`);
      rebuilt.set(node.name, existing);
    }
    this.peers.clear();
    for (const [name, peer] of rebuilt) this.peers.set(name, peer);
    for (const key of ['keepaliveMs', 'warntimeMs', 'deadtimeMs', 'initdeadMs'] as const) {
      if (previous.timings[key] !== config.timings[key]) changes.push(`${key} ${previous.timings[key]} → ${config.timings[key]}`);
    }
    if (previous.configDigest !== config.configDigest) {
      changes.push(`config digest ${previous.configDigest} → ${config.configDigest}`);
    }
    const digestChanged = previous.configDigest !== config.configDigest;
    if (this.nextHeartbeatAt !== undefined) {
      this.nextHeartbeatAt = instant(Math.min(this.nextHeartbeatAt, now + config.timings.keepaliveMs));
    }
    out.emit(event('config-applied', now, {
      node: config.self,
      reason: changes.length > 0 ? `config applied: ${changes.join('; ')}` : 'config applied: no membership change',
    }));
    if (changes.some((change) => change.startsWith('added') || change.startsWith('removed'))) out.membershipChanged = true;
    if (digestChanged) {
      for (const peer of this.peers.values()) if (peer.configDigest !== undefined) this.compareConfig(now, peer, peer.configDigest, out);
    }
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Verdicts

  /** Applies every verdict that time alone implies: up → late → dead, unknown → dead. */
  private evaluate(now: Instant, out: Outbox): void {
    const t = this.config.timings;
    for (const peer of this.peers.values()) {
      if (peer.state === 'left') continue;
      const lastHeard = maxHeard(peer.links);
      const target = verdict(now, t, { lastHeard, watchedFrom: peer.watchedFrom, graceFrom: peer.graceFrom });
      if (SEVERITY[target] > SEVERITY[peer.state]) {
        const reason = this.silenceReason(now, peer, target, lastHeard);
        this.setPeerState(now, peer, target, reason, out, target === 'dead' ? 'peer-dead' : 'peer-late', {
          silenceMs: lastHeard === undefined ? now - peer.watchedFrom : now - lastHeard,
          limitMs: target === 'late' ? t.warntimeMs : lastHeard === undefined ? t.initdeadMs : t.deadtimeMs,
        });
      }
      for (const link of peer.links) this.evaluateLink(now, peer, link, out);
    }
  }

  private evaluateLink(now: Instant, peer: PeerRecord, link: LinkRecord, out: Outbox): void {
    const t = this.config.timings;
    const target = verdict(now, t, linkMark(link));
    if (SEVERITY[target] <= SEVERITY[link.state]) return;
    setLink(now, link, target);
    // A link event says something only while another link still carries the peer; otherwise the peer's own
    // late/dead event already tells the whole story.
    const others = peer.links.filter((other) => other !== link && other.state === 'up').map((other) => other.name);
    if (others.length === 0 || peer.state === 'dead') return;
    const still = `; ${peer.name} still heard on ${others.join(', ')}`;
    const heard = link.lastHeardAt;
    const limit = target === 'late' ? `warntime ${t.warntimeMs} ms` : heard === undefined ? `initdead ${t.initdeadMs} ms` : `deadtime ${t.deadtimeMs} ms`;
    const what = heard === undefined
      ? `never heard from ${peer.name} on ${link.name} in ${fmt(now - link.watchedFrom)} ms`
      : `no heartbeat from ${peer.name} on ${link.name} for ${fmt(now - heard)} ms`;
    out.emit(event(target === 'dead' ? 'link-dead' : 'link-late', now, {
      node: peer.name,
      link: link.name,
      reason: `${what} (${limit})${still}`,
    }));
  }

  private silenceReason(now: Instant, peer: PeerRecord, target: PeerState, lastHeard: Instant | undefined): string {
    const t = this.config.timings;
    const links = peer.links.map((link) => link.name).join(', ') || 'no shared link';
    if (lastHeard === undefined) {
      return `never heard on ${links} in ${fmt(now - peer.watchedFrom)} ms (initdead ${t.initdeadMs} ms)`;
    }
    const limit = target === 'late' ? `warntime ${t.warntimeMs} ms` : `deadtime ${t.deadtimeMs} ms`;
    const pause = peer.graceFrom > lastHeard ? `, counted from this node's own pause ${fmt(now - peer.graceFrom)} ms ago` : '';
    return `no heartbeat on ${links} for ${fmt(now - lastHeard)} ms (${limit}${pause})`;
  }

  private setPeerState(
    now: Instant,
    peer: PeerRecord,
    state: PeerState,
    reason: string,
    out: Outbox,
    kind: ClusterEventKind,
    data?: Record<string, number>,
  ): void {
    peer.state = state;
    peer.since = now;
    peer.reason = reason;
    out.membershipChanged = true;
    out.emit(event(kind, now, { node: peer.name, reason, ...(data ? { data } : {}) }));
  }

  private recordArrival(now: Instant, peer: PeerRecord, link: LinkRecord, seq: number, out: Outbox): void {
    // The silence of a link already declared dead is an outage, reported as such, not jitter.
    if (link.lastArrivalAt !== undefined && link.state !== 'dead') pushBounded(link.gaps, now - link.lastArrivalAt, GAP_HISTORY_SAMPLES_MAX);
    link.lastArrivalAt = now;
    link.lastHeardAt = now;
    if (!link.seqs.includes(seq)) pushBounded(link.seqs, seq, SEQ_HISTORY_SAMPLES_MAX);
    const deadtimeMs = this.config.timings.deadtimeMs;
    const { meanMs, maxMs } = gapStats(link.gaps);
    if (!link.jitterWarning && maxMs > JITTER_WARNING_FRACTION * deadtimeMs) {
      link.jitterWarning = true;
      out.emit(event('link-jitter-high', now, {
        node: peer.name,
        link: link.name,
        reason: `heartbeats from ${peer.name} on ${link.name} arrived up to ${fmt(maxMs)} ms apart (mean ${fmt(meanMs)} ms), more than ${pct(JITTER_WARNING_FRACTION)} of deadtime ${deadtimeMs} ms: a false dead verdict is near`,
        data: { gapMaxMs: maxMs, gapMeanMs: meanMs },
      }));
    } else if (link.jitterWarning && maxMs <= JITTER_CLEAR_FRACTION * deadtimeMs) {
      link.jitterWarning = false;
      out.emit(event('link-jitter-ok', now, {
        node: peer.name,
        link: link.name,
        reason: `heartbeats from ${peer.name} on ${link.name} again at most ${fmt(maxMs)} ms apart (within ${pct(JITTER_CLEAR_FRACTION)} of deadtime ${deadtimeMs} ms)`,
        data: { gapMaxMs: maxMs, gapMeanMs: meanMs },
      }));
    }
  }

  private compareConfig(now: Instant, peer: PeerRecord, digest: string, out: Outbox): void {
    const matches = digest === this.config.configDigest;
    const before = peer.configMatches;
    peer.configDigest = digest;
    peer.configMatches = matches;
    if (matches === before || (matches && before === undefined)) return;
    out.emit(event(matches ? 'config-match' : 'config-mismatch', now, {
      node: peer.name,
      reason: matches
        ? `${peer.name} now runs the same config as this node (digest ${digest})`
        : `${peer.name} runs config digest ${digest}, this node ${this.config.configDigest}`,
    }));
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Heartbeats, timers, views

  private heartbeating(): boolean {
    return this.started && !this.leaving;
  }

  private heartbeatIfDue(now: Instant, out: Outbox): void {
    if (!this.heartbeating() || this.nextHeartbeatAt === undefined || now < this.nextHeartbeatAt) return;
    const keepaliveMs = this.config.timings.keepaliveMs;
    out.send('all', { type: 'heartbeat', configDigest: this.config.configDigest, uptimeMs: now - this.startedAt }, `keepalive every ${keepaliveMs} ms`);
    this.nextHeartbeatAt = instant(now + keepaliveMs);
  }

  private wakeAt(now: Instant): Instant | undefined {
    let earliest = this.heartbeating() ? this.nextHeartbeatAt : undefined;
    const consider = (at: number | undefined): void => {
      if (at !== undefined && at > now && (earliest === undefined || at < earliest)) earliest = instant(at);
    };
    const t = this.config.timings;
    for (const peer of this.peers.values()) {
      if (peer.state === 'left') continue;
      const lastHeard = maxHeard(peer.links);
      const marks = [{ state: peer.state, lastHeard, watchedFrom: peer.watchedFrom, graceFrom: peer.graceFrom }];
      for (const link of peer.links) marks.push({ state: link.state, ...linkMark(link) });
      for (const mark of marks) {
        if (mark.state === 'dead') continue;
        const thresholds = thresholdsOf(t, mark);
        if (mark.state !== 'late') consider(thresholds.lateAt);
        consider(thresholds.deadAt);
      }
    }
    return earliest;
  }

  private members(): Record<string, PeerState> {
    const members: Record<string, PeerState> = { [this.config.self]: this.leaving ? 'left' : 'up' };
    for (const peer of this.peers.values()) members[peer.name] = peer.state;
    return members;
  }

  private peerView(peer: PeerRecord): PeerView {
    return {
      name: peer.name,
      state: peer.state,
      since: peer.since,
      reason: peer.reason,
      generation: peer.generation,
      uptimeMs: peer.uptimeMs,
      configMatches: peer.configMatches,
      links: peer.links.map(linkView),
    };
  }

  private newPeer(name: NodeName, now: Instant): PeerRecord {
    return {
      name,
      state: 'unknown',
      since: now,
      reason: `not heard yet; dead after initdead ${this.config.timings.initdeadMs} ms without a heartbeat`,
      watchedFrom: now,
      graceFrom: now,
      generation: undefined,
      uptimeMs: undefined,
      configDigest: undefined,
      configMatches: undefined,
      links: this.sharedLinks(name).map((link) => newLink(link, now)),
    };
  }

  /** Links both this node and `peer` have, in this node's order. */
  private sharedLinks(peer: NodeName): LinkName[] {
    const own = this.config.nodes.find((node) => node.name === this.config.self)?.links ?? [];
    const theirs = new Set(this.config.nodes.find((node) => node.name === peer)?.links ?? []);
    return own.filter((link) => theirs.has(link));
  }
}

// -------------------------------------------------------------------------------------------------------------------
// Pure helpers

interface SilenceMark {
  readonly lastHeard: Instant | undefined;
  readonly watchedFrom: Instant;
  readonly graceFrom: Instant;
}

function thresholdsOf(t: MembershipTimings, mark: SilenceMark): { lateAt: number | undefined; deadAt: number } {
  if (mark.lastHeard === undefined) {
    return { lateAt: undefined, deadAt: Math.max(mark.watchedFrom + t.initdeadMs, mark.graceFrom + t.deadtimeMs) };
  }
  const reference = Math.max(mark.lastHeard, mark.graceFrom);
  return { lateAt: reference + t.warntimeMs, deadAt: reference + t.deadtimeMs };
}

/** The verdict time alone gives: dead at deadAt, late at lateAt, otherwise 'up' (or 'unknown' if never heard). */
function verdict(now: Instant, t: MembershipTimings, mark: SilenceMark): LinkState {
  const { lateAt, deadAt } = thresholdsOf(t, mark);
  if (now >= deadAt) return 'dead';
  if (lateAt !== undefined && now >= lateAt) return 'late';
  return mark.lastHeard === undefined ? 'unknown' : 'up';
}

function linkMark(link: LinkRecord): SilenceMark {
  return { lastHeard: link.lastHeardAt, watchedFrom: link.watchedFrom, graceFrom: link.graceFrom };
}

function setLink(now: Instant, link: LinkRecord, state: LinkState): void {
  link.state = state;
  link.since = now;
}

function newLink(name: LinkName, now: Instant): LinkRecord {
  return {
    name,
    state: 'unknown',
    since: now,
    lastHeardAt: undefined,
    watchedFrom: now,
    graceFrom: now,
    seqs: [],
    gaps: [],
    lastArrivalAt: undefined,
    jitterWarning: false,
  };
}

function maxHeard(links: readonly LinkRecord[]): Instant | undefined {
  let latest: Instant | undefined;
  for (const link of links) {
    if (link.lastHeardAt !== undefined && (latest === undefined || link.lastHeardAt > latest)) latest = link.lastHeardAt;
  }
  return latest;
}

function linkView(link: LinkRecord): LinkView {
  const { meanMs, maxMs } = gapStats(link.gaps);
  return {
    name: link.name,
    state: link.state,
    lastHeardAt: link.lastHeardAt,
    loss: lossOf(link.seqs),
    gapMeanMs: meanMs,
    gapMaxMs: maxMs,
    jitterWarning: link.jitterWarning,
  };
}

/** Fraction of the sequence range spanned by the recent window that never arrived. */
export function lossOf(seqs: readonly number[]): number {
  if (seqs.length < 2) return 0;
  let lowest = Infinity;
  let highest = -Infinity;
  for (const seq of seqs) {
    if (seq < lowest) lowest = seq;
    if (seq > highest) highest = seq;
  }
  const expected = highest - lowest + 1;
  return Math.max(0, 1 - seqs.length / expected);
}

function gapStats(gaps: readonly number[]): { meanMs: number; maxMs: number } {
  if (gaps.length === 0) return { meanMs: 0, maxMs: 0 };
  let sum = 0;
  let maxMs = 0;
  for (const gap of gaps) {
    sum += gap;
    if (gap > maxMs) maxMs = gap;
  }
  return { meanMs: sum / gaps.length, maxMs };
}

function pushBounded(values: number[], value: number, max: number): void {
  values.push(value);
  if (values.length > max) values.splice(0, values.length - max);
}

function event(
  kind: ClusterEventKind,
  at: Instant,
  fields: { node?: NodeName; link?: LinkName; reason: string; data?: Readonly<Record<string, number | string | boolean>> },
): ClusterEvent {
  return { kind, at, ...fields };
}

function assertConfig(config: MembershipConfig): void {
  const t = config.timings;
  assert(config.nodes.some((node) => node.name === config.self), `this node ${config.self} is not in the config`);
  assert(t.keepaliveMs > 0, `keepaliveMs must be positive: ${t.keepaliveMs}`);
  assert(t.deadtimeMs > 0 && t.warntimeMs > 0 && t.initdeadMs > 0, 'timings must be positive');
}

function fmt(ms: number): string {
  return String(Math.round(ms));
}

function pct(fraction: number): string {
  return `${Math.round(fraction * 100)}%`;
}
