/**
 * Scenario tests for the membership core: a scripted clock, scripted peers, and the exact transitions and reasons
 * that come out. Timings are tandem's defaults (keepalive 150, warntime 400, deadtime 700, initdead 3000 ms).
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import fc from 'fast-check';
import { JITTER_WARNING_FRACTION, GAP_HISTORY_SAMPLES_MAX, Membership, lossOf } from './membership.js';
import {
  instant,
  linkName,
  nodeName,
  type CoreAction,
  type CoreInput,
  type LinkName,
  type MembershipConfig,
  type Message,
  type NodeName,
  type PeerState,
  type StepOutput,
} from './types.js';

const N1 = nodeName('node1');
const N2 = nodeName('node2');
const N3 = nodeName('node3');
const LAN = linkName('lan');
const BACKUP = linkName('backup');
const TIMINGS = { keepaliveMs: 150, warntimeMs: 400, deadtimeMs: 700, initdeadMs: 3000 };

function config(overrides: Partial<MembershipConfig> = {}): MembershipConfig {
  return {
    self: N1,
    nodes: [N1, N2, N3].map((name) => ({ name, links: [LAN, BACKUP] })),
    timings: TIMINGS,
    configDigest: 'digest-a',
    ...overrides,
  };
}

interface Beat {
  next: number;
  generation: number;
  seq: number;
  everyMs: number;
  until: number;
  digest: string;
}

/** One node's core, a scripted clock and scripted peers whose heartbeats arrive on a schedule. */
class Scenario {
  readonly core: Membership;
  readonly log: string[] = [];
  readonly actions: { at: number; action: CoreAction }[] = [];
  now = 0;
  private wakeAt: number | undefined;
  private readonly beats = new Map<string, Beat>();

  constructor(cfg: MembershipConfig = config(), generation = 1) {
    this.core = new Membership(cfg);
    this.feed({ kind: 'started', now: instant(0), generation });
  }

  feed(input: CoreInput): StepOutput {
    this.now = input.now;
    const output = this.core.step(input);
    for (const action of output.actions) {
      this.actions.push({ at: input.now, action });
      if (action.kind === 'emit') {
        const e = action.event;
        this.log.push(`${e.at} ${e.kind}${e.node ? ` ${e.node}` : ''}${e.link ? ` ${e.link}` : ''}: ${e.reason}`);
      }
    }
    this.wakeAt = output.wakeAt;
    return output;
  }

  /** `peer` sends on `link` every `everyMs` starting at `from`, until `until` (exclusive). */
  beat(peer: NodeName, link: LinkName, options: { from: number; until?: number; everyMs?: number; generation?: number; digest?: string }): void {
    const key = `${peer}/${link}`;
    const previous = this.beats.get(key);
    const generation = options.generation ?? previous?.generation ?? 1;
    this.beats.set(key, {
      next: options.from,
      generation,
      seq: previous !== undefined && previous.generation === generation ? previous.seq : 0,
      everyMs: options.everyMs ?? TIMINGS.keepaliveMs,
      until: options.until ?? Infinity,
      digest: options.digest ?? 'digest-a',
    });
  }

  receive(at: number, peer: NodeName, link: LinkName, message: Message, options: { generation?: number; seq?: number } = {}): StepOutput {
    const key = `${peer}/${link}`;
    const beat = this.beats.get(key);
    const seq = options.seq ?? (beat ? beat.seq++ : 0);
    return this.feed({
      kind: 'message-received',
      now: instant(at),
      envelope: { from: peer, link, generation: options.generation ?? beat?.generation ?? 1, seq, sentAtWallMs: 1_700_000_000_000 + at },
      message,
    });
  }

  /** Runs timers and scripted heartbeats in time order up to and including `to`. */
  advance(to: number): void {
    for (;;) {
      let nextBeat: [string, Beat] | undefined;
      for (const entry of this.beats) {
        const beat = entry[1];
        if (beat.next < beat.until && (nextBeat === undefined || beat.next < nextBeat[1].next)) nextBeat = entry;
      }
      const beatAt = nextBeat?.[1].next ?? Infinity;
      const timerAt = this.wakeAt ?? Infinity;
      const at = Math.min(beatAt, timerAt);
      if (at > to) break;
      if (nextBeat !== undefined && beatAt <= timerAt) {
        const [key, beat] = nextBeat;
        const [peer, link] = key.split('/') as [NodeName, LinkName];
        beat.next += beat.everyMs;
        this.receive(at, peer, link, { type: 'heartbeat', configDigest: beat.digest, uptimeMs: at }, { generation: beat.generation, seq: beat.seq++ });
      } else {
        this.feed({ kind: 'timer-due', now: instant(at) });
      }
    }
    this.now = to;
  }

  stop(peer: NodeName, link: LinkName): void {
    this.beats.delete(`${peer}/${link}`);
  }

  state(peer: NodeName): PeerState | undefined {
    return this.core.view().peers.find((p) => p.name === peer)?.state;
  }

  linkState(peer: NodeName, link: LinkName): string | undefined {
    return this.core.view().peers.find((p) => p.name === peer)?.links.find((l) => l.name === link)?.state;
  }

  /** Log lines containing `filter`, to keep expectations short. */
  about(filter: string): string[] {
    return this.log.filter((line) => line.includes(filter));
  }

  /** Log lines of events about `node`. */
  of(node: NodeName): string[] {
    return this.log.filter((line) => line.split(':')[0]?.split(' ')[2] === node);
  }

  sends(from = 0): { at: number; action: CoreAction }[] {
    return this.actions.filter((entry) => entry.at >= from && entry.action.kind === 'send');
  }
}

test('on start: node-started, a heartbeat on all links at once, then one every keepalive', () => {
  const s = new Scenario();
  assert.deepEqual(s.log, [
    '0 node-started node1: started generation 1; peers node2, node3; keepalive 150 ms, warntime 400 ms, deadtime 700 ms, initdead 3000 ms',
  ]);
  s.advance(460);
  const sends = s.sends().map((e) => (e.action.kind === 'send' ? `${e.at} ${e.action.link} ${e.action.message.type}` : ''));
  assert.deepEqual(sends, ['0 all heartbeat', '150 all heartbeat', '300 all heartbeat', '450 all heartbeat']);
  assert.equal(s.state(N2), 'unknown');
});

test('initdead: a peer never heard is dead exactly initdead after start, not before, and never late', () => {
  const s = new Scenario();
  s.beat(N3, LAN, { from: 10 });
  s.advance(2999);
  assert.equal(s.state(N2), 'unknown');
  assert.deepEqual(s.of(N2), []);
  s.advance(3000);
  assert.deepEqual(s.of(N2), ['3000 peer-dead node2: never heard on lan, backup in 3000 ms (initdead 3000 ms)']);
  assert.equal(s.state(N2), 'dead');
  // node3 was heard on lan only: its backup link is dead after initdead, with the reason naming the live link.
  assert.deepEqual(s.of(N3), [
    '10 peer-up node3: heartbeat on lan (generation 1)',
    '3000 link-dead node3 backup: never heard from node3 on backup in 3000 ms (initdead 3000 ms); node3 still heard on lan',
  ]);
  const persisted = s.actions.filter((e) => e.action.kind === 'persist' && e.at === 3000);
  assert.deepEqual(persisted.map((e) => e.action), [{ kind: 'persist', record: { members: { node1: 'up', node2: 'dead', node3: 'up' } } }]);
});

test('late after warntime and dead after deadtime of silence on every link, with exact reasons', () => {
  const s = new Scenario();
  s.beat(N2, LAN, { from: 0, until: 1000 });
  s.beat(N2, BACKUP, { from: 5, until: 1000 });
  s.advance(5000);
  // last heartbeats at 900 (lan) and 905 (backup)
  assert.deepEqual(s.about('peer-'), [
    '0 peer-up node2: heartbeat on lan (generation 1)',
    '1305 peer-late node2: no heartbeat on lan, backup for 400 ms (warntime 400 ms)',
    '1605 peer-dead node2: no heartbeat on lan, backup for 700 ms (deadtime 700 ms)',
    '3000 peer-dead node3: never heard on lan, backup in 3000 ms (initdead 3000 ms)',
  ]);
  // A link event only while another link still carries the peer; after that the peer's events tell the story.
  assert.deepEqual(s.about('link-'), [
    '1300 link-late node2 lan: no heartbeat from node2 on lan for 400 ms (warntime 400 ms); node2 still heard on backup',
  ]);
  // A heartbeat brings a dead peer (same generation) back.
  s.receive(5100, N2, LAN, { type: 'heartbeat', configDigest: 'digest-a', uptimeMs: 5100 });
  assert.deepEqual(s.about('5100'), ['5100 peer-up node2: heartbeat on lan after 4195 ms without one (generation 1)']);
});

test('never dead earlier than deadtime after the last heartbeat on any link, whatever the arrival pattern', () => {
  fc.assert(
    fc.property(
      fc.array(fc.record({ gapMs: fc.integer({ min: 1, max: 1500 }), onBackup: fc.boolean() }), { minLength: 1, maxLength: 60 }),
      (arrivals) => {
        const s = new Scenario(config({ nodes: [N1, N2].map((name) => ({ name, links: [LAN, BACKUP] })) }));
        let at = 0;
        let lastHeard: number | undefined;
        const check = (upTo: number): void => {
          s.advance(upTo);
          for (const line of s.about('peer-dead node2')) {
            const deadAt = Number(line.split(' ')[0]);
            if (lastHeard !== undefined) assert.ok(deadAt - lastHeard >= TIMINGS.deadtimeMs, `${line}: heard at ${lastHeard}`);
            else assert.ok(deadAt >= TIMINGS.initdeadMs, line);
          }
          s.log.length = 0;
        };
        for (const { gapMs, onBackup } of arrivals) {
          at += gapMs;
          check(at - 1);
          s.receive(at, N2, onBackup ? BACKUP : LAN, { type: 'heartbeat', configDigest: 'digest-a', uptimeMs: at });
          lastHeard = at;
          assert.equal(s.state(N2), 'up');
        }
        check(at + 2000);
        assert.equal(s.state(N2), 'dead');
      },
    ),
    { numRuns: 200 },
  );
});

test('one link dead while the other carries heartbeats: the peer stays up, the link goes late, dead, then up', () => {
  const s = new Scenario();
  s.beat(N2, LAN, { from: 0 });
  s.beat(N2, BACKUP, { from: 0, until: 1000 });
  s.advance(2000);
  assert.equal(s.state(N2), 'up');
  assert.equal(s.linkState(N2, BACKUP), 'dead');
  assert.equal(s.linkState(N2, LAN), 'up');
  assert.deepEqual(s.about('node2 backup'), [
    '1300 link-late node2 backup: no heartbeat from node2 on backup for 400 ms (warntime 400 ms); node2 still heard on lan',
    '1600 link-dead node2 backup: no heartbeat from node2 on backup for 700 ms (deadtime 700 ms); node2 still heard on lan',
  ]);
  s.beat(N2, BACKUP, { from: 2010 });
  s.advance(2100);
  // The outage is reported as link-dead / link-up, not as jitter.
  assert.deepEqual(s.about('2010'), ['2010 link-up node2 backup: heartbeat from node2 on backup again (was dead)']);
  assert.equal(s.linkState(N2, BACKUP), 'up');
  assert.deepEqual(s.about('peer-late'), []);
});

test('leave: the peer is left at once, and a late heartbeat of the same generation does not bring it back', () => {
  const s = new Scenario();
  s.beat(N2, LAN, { from: 0, until: 500 });
  s.advance(460);
  const out = s.receive(470, N2, LAN, { type: 'leave', reason: 'operator ran tandem leave' });
  assert.deepEqual(s.about('470'), ['470 peer-left node2: node2 left (generation 1, said on lan): operator ran tandem leave']);
  assert.deepEqual(out.actions[0], { kind: 'persist', record: { members: { node1: 'up', node2: 'left', node3: 'unknown' } } });
  // An in-flight heartbeat from the leaving boot arrives on the other link.
  s.receive(480, N2, BACKUP, { type: 'heartbeat', configDigest: 'digest-a', uptimeMs: 480 }, { generation: 1, seq: 9 });
  assert.equal(s.state(N2), 'left');
  s.advance(5000);
  assert.equal(s.state(N2), 'left');
  assert.deepEqual(s.of(N2).slice(-1), ['470 peer-left node2: node2 left (generation 1, said on lan): operator ran tandem leave']);
  // The next boot (higher generation) comes back.
  s.receive(5010, N2, LAN, { type: 'heartbeat', configDigest: 'digest-a', uptimeMs: 5 }, { generation: 2, seq: 0 });
  assert.deepEqual(s.about('5010'), [
    '5010 peer-restarted node2 lan: node2 restarted: generation 1 → 2 (heard on lan)',
    '5010 peer-up node2: heartbeat on lan after 4540 ms without one (generation 2)',
  ]);
  assert.equal(s.state(N2), 'up');
});

test('restart with a higher generation while up: peer-restarted, the peer stays up, sequence history restarts', () => {
  const s = new Scenario();
  s.beat(N2, LAN, { from: 0, until: 600 });
  s.advance(600);
  s.beat(N2, LAN, { from: 650, generation: 7 });
  s.advance(1000);
  assert.deepEqual(s.of(N2), [
    '0 peer-up node2: heartbeat on lan (generation 1)',
    '650 peer-restarted node2 lan: node2 restarted: generation 1 → 7 (heard on lan)',
  ]);
  const peer = s.core.view().peers.find((p) => p.name === N2);
  assert.equal(peer?.generation, 7);
  assert.equal(peer?.state, 'up');
  assert.equal(peer?.links[0]?.loss, 0);
  // A packet of the old boot that arrives late is ignored.
  s.receive(1010, N2, LAN, { type: 'leave', reason: 'old boot' }, { generation: 1, seq: 99 });
  assert.equal(s.state(N2), 'up');
});

test('pause detection: no dead verdict for silence that overlaps our own pause; a fresh deadtime from the pause', () => {
  const s = new Scenario();
  s.beat(N2, LAN, { from: 0, until: 1000 });
  s.beat(N3, LAN, { from: 0, until: 1000 });
  s.advance(1000);
  // The process is stopped from 1000 to 6000: no input at all. node2's heartbeats waited in the socket; node3 is gone.
  s.feed({ kind: 'timer-due', now: instant(6000) });
  assert.deepEqual(s.about('6000'), [
    "6000 pause-detected node1: no input for 5100 ms (expected one every 150 ms, bound 350 ms): this node was paused or its clock jumped; peers' silence is counted afresh from now (deadtime 700 ms)",
  ]);
  assert.ok(s.sends(6000).length === 1, 'heartbeats go out at once after a pause');
  s.receive(6000, N2, LAN, { type: 'heartbeat', configDigest: 'digest-a', uptimeMs: 950 });
  s.beat(N2, LAN, { from: 6100 });
  s.advance(8000);
  assert.equal(s.state(N2), 'up');
  assert.deepEqual(s.of(N3), [
    '0 peer-up node3: heartbeat on lan (generation 1)',
    "6400 peer-late node3: no heartbeat on lan, backup for 5500 ms (warntime 400 ms, counted from this node's own pause 400 ms ago)",
    "6700 peer-dead node3: no heartbeat on lan, backup for 5800 ms (deadtime 700 ms, counted from this node's own pause 700 ms ago)",
  ]);
});

test('a gap below the pause bound is not a pause', () => {
  const s = new Scenario();
  s.advance(150);
  s.feed({ kind: 'timer-due', now: instant(150 + 350) });
  assert.deepEqual(s.about('pause'), []);
});

test('config mismatch and match are events once per transition, and the view shows them', () => {
  const s = new Scenario();
  s.beat(N2, LAN, { from: 0, until: 400, digest: 'digest-b' });
  s.advance(400);
  assert.deepEqual(s.about('config-'), ['0 config-mismatch node2: node2 runs config digest digest-b, this node digest-a']);
  assert.equal(s.core.view().peers.find((p) => p.name === N2)?.configMatches, false);
  s.beat(N2, LAN, { from: 450, until: 700, digest: 'digest-a' });
  s.advance(700);
  assert.deepEqual(s.about('config-').slice(1), ['450 config-match node2: node2 now runs the same config as this node (digest digest-a)']);
  assert.equal(s.core.view().peers.find((p) => p.name === N2)?.configMatches, true);
});

test('jitter warning: a gap past half of deadtime warns once; it clears once the gap leaves the window', () => {
  assert.equal(JITTER_WARNING_FRACTION, 0.5);
  const s = new Scenario();
  s.beat(N2, LAN, { from: 0, until: 301 });
  s.advance(300);
  s.beat(N2, LAN, { from: 660, until: 700 }); // 360 ms after the heartbeat at 300, above 350 ms
  s.advance(700);
  s.beat(N2, LAN, { from: 1010, until: 1100 }); // 350 ms later: not above, no second event
  s.advance(1100);
  assert.deepEqual(s.about('jitter'), [
    '660 link-jitter-high node2 lan: heartbeats from node2 on lan arrived up to 360 ms apart (mean 220 ms), more than 50% of deadtime 700 ms: a false dead verdict is near',
  ]);
  s.beat(N2, LAN, { from: 1160 });
  s.advance(1160 + 150 * GAP_HISTORY_SAMPLES_MAX);
  const cleared = s.about('jitter-ok');
  assert.equal(cleared.length, 1);
  assert.match(cleared[0] ?? '', /link-jitter-ok node2 lan: heartbeats from node2 on lan again at most 150 ms apart \(within 40% of deadtime 700 ms\)$/);
  const link = s.core.view().peers.find((p) => p.name === N2)?.links[0];
  assert.deepEqual({ mean: link?.gapMeanMs, max: link?.gapMaxMs, warn: link?.jitterWarning }, { mean: 150, max: 150, warn: false });
});

test('loss comes from sequence gaps over the recent window', () => {
  assert.equal(lossOf([]), 0);
  assert.equal(lossOf([4]), 0);
  assert.equal(lossOf([1, 2, 3, 4]), 0);
  assert.equal(lossOf([1, 2, 5]), 0.4);
  const s = new Scenario();
  for (const [i, seq] of [0, 1, 3, 4, 7].entries()) {
    s.receive(10 + i * 150, N2, LAN, { type: 'heartbeat', configDigest: 'digest-a', uptimeMs: 0 }, { seq });
  }
  assert.equal(s.core.view().peers.find((p) => p.name === N2)?.links[0]?.loss, 1 - 5 / 8);
});

test('admin leave: a leave on all links, a leaving event, and no heartbeats after it', () => {
  const s = new Scenario();
  s.advance(200);
  const out = s.feed({ kind: 'admin-requested', now: instant(210), request: { kind: 'leave', reason: 'kernel upgrade' } });
  assert.deepEqual(out.actions, [
    { kind: 'persist', record: { members: { node1: 'left', node2: 'unknown', node3: 'unknown' } } },
    { kind: 'emit', event: { kind: 'leaving', at: 210, node: N1, reason: 'leaving the cluster on request: kernel upgrade; heartbeats stop' } },
    { kind: 'send', link: 'all', message: { type: 'leave', reason: 'kernel upgrade' }, reason: 'leaving on request: kernel upgrade' },
  ]);
  s.advance(10_000);
  assert.deepEqual(s.sends(211), []);
  assert.deepEqual(s.about('pause'), [], 'long gaps after leaving are not pauses');
});

test('config-changed keeps the state of remaining peers, adds new ones as unknown with initdead, removes the rest', () => {
  const s = new Scenario();
  s.beat(N2, LAN, { from: 0 });
  s.beat(N2, BACKUP, { from: 0 });
  s.advance(1000);
  const N4 = nodeName('node4');
  const out = s.feed({
    kind: 'config-changed',
    now: instant(1010),
    config: config({
      nodes: [
        { name: N1, links: [LAN, BACKUP] },
        { name: N2, links: [LAN] },
        { name: N4, links: [LAN, BACKUP] },
      ],
      timings: { ...TIMINGS, keepaliveMs: 200 },
      configDigest: 'digest-c',
    }),
  });
  assert.deepEqual(s.about('1010'), [
    '1010 config-applied node1: config applied: removed node3; links with node2: lan,backup → lan; added node4; keepaliveMs 150 → 200; config digest digest-a → digest-c',
    '1010 config-mismatch node2: node2 runs config digest digest-a, this node digest-c',
  ]);
  assert.deepEqual(out.actions[0], { kind: 'persist', record: { members: { node1: 'up', node2: 'up', node4: 'unknown' } } });
  const view = s.core.view();
  assert.deepEqual(view.peers.map((p) => [p.name, p.state, p.links.map((l) => l.name).join(',')]), [
    ['node2', 'up', 'lan'],
    ['node4', 'unknown', 'lan,backup'],
  ]);
  s.beat(N2, LAN, { from: 1050, digest: 'digest-c' });
  s.stop(N2, BACKUP);
  s.advance(1010 + 3000);
  assert.deepEqual(s.of(nodeName('node4')), ['4010 peer-dead node4: never heard on lan, backup in 3000 ms (initdead 3000 ms)']);
  // node2 still runs the old config until its heartbeat at 1050 carries the new digest.
  assert.deepEqual(s.about('config-m'), [
    '1010 config-mismatch node2: node2 runs config digest digest-a, this node digest-c',
    '1050 config-match node2: node2 now runs the same config as this node (digest digest-c)',
  ]);
  assert.equal(s.state(N2), 'up');
  const gaps = s.sends(1010).map((e) => e.at);
  assert.ok(gaps.slice(1).every((at, i) => at - (gaps[i] ?? 0) === 200), `heartbeats every 200 ms after the change: ${gaps.join(',')}`);
});
