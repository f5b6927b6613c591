/**
 * A tiny deterministic cluster for the core's unit tests: N NodeCores, a network that delivers every message after
 * 1 ms (unless cut), agents that succeed after a fixed time unless told otherwise, and a record of which node ran
 * which resource. The full simulator (src/sim) adds loss, delay, crashes and random faults; this stays readable.
 */
import { NodeCore, type NodeAction, type NodeInput } from '../node.js';
import { defaultProtection, type ProtectionSpec } from '../quorum.js';
import type { GroupSpec, OperationOutcome, RunOperation } from '../group-types.js';
import { instant, linkName, nodeName, type ClusterEvent, type Instant, type MembershipConfig, type Message, type NodeName } from '../types.js';

export const MINI_TIMINGS = { keepaliveMs: 100, warntimeMs: 250, deadtimeMs: 400, initdeadMs: 1000 };
const LINK = linkName('lan');

interface Pending {
  readonly at: number;
  readonly seq: number;
  readonly run: () => void;
}

export interface MiniNode {
  readonly name: NodeName;
  core: NodeCore;
  alive: boolean;
  generation: number;
  wakeAt: Instant | undefined;
  /** Resource id → running, as the "kernel" of this node knows it. */
  readonly running: Map<string, boolean>;
  readonly events: ClusterEvent[];
  readonly ops: RunOperation[];
  seq: number;
  /** SIGSTOP: until this instant the node processes nothing; inputs wait (sockets queue datagrams). */
  frozenUntil: number;
}

export class MiniCluster {
  now = 0;
  readonly nodes = new Map<NodeName, MiniNode>();
  /** Agent behaviour overrides: `${node}/${resource}/${operation}` → outcome (or 'hang'). */
  readonly behaviour = new Map<string, OperationOutcome | 'hang'>();
  /** Pairs that cannot hear each other: `${from}>${to}`. */
  readonly cut = new Set<string>();
  agentMs = 5;
  /** How fencing a node goes: after `ms`, it succeeds (the target loses power) or fails. */
  fenceBehaviour: { ms: number; ok: boolean } = { ms: 50, ok: true };
  /** Fencings performed, in order: `${by}>${target}@${time}` (failed ones end with `!`). */
  readonly fenced: string[] = [];
  private queue: Pending[] = [];
  private seq = 0;
  /** Longest time (ms) two live nodes both had a resource of one group running; checked by `assertSafe`. */
  readonly violations: string[] = [];

  constructor(
    private readonly names: readonly string[],
    private readonly groups: readonly GroupSpec[],
    private readonly protection: ProtectionSpec = defaultProtection(names.map(nodeName)),
  ) {
    for (const name of names) this.nodes.set(nodeName(name), this.newNode(nodeName(name), 1));
  }

  config(self: NodeName): MembershipConfig {
    return { self, nodes: this.names.map((name) => ({ name: nodeName(name), links: [LINK] })), timings: MINI_TIMINGS, configDigest: 'mini' };
  }

  startAll(): void {
    for (const node of this.nodes.values()) this.feed(node, { kind: 'started', now: instant(this.now), generation: node.generation });
  }

  node(name: string): MiniNode {
    const found = this.nodes.get(nodeName(name));
    if (found === undefined) throw new Error(`no node ${name}`);
    return found;
  }

  /** Runs everything due up to `now + ms`, checking safety after every event. */
  advance(ms: number): void {
    const until = this.now + ms;
    for (;;) {
      const nextTimer = this.nextTimer();
      this.queue.sort((a, b) => a.at - b.at || a.seq - b.seq);
      const nextEvent = this.queue[0];
      const at = Math.min(nextTimer?.at ?? Infinity, nextEvent?.at ?? Infinity);
      if (at > until) break;
      this.now = at;
      if (nextEvent !== undefined && nextEvent.at === at) {
        this.queue.shift();
        nextEvent.run();
      } else if (nextTimer !== undefined) {
        nextTimer.node.wakeAt = undefined;
        this.feed(nextTimer.node, { kind: 'timer-due', now: instant(at) });
      }
      this.checkSafety();
    }
    this.now = until;
  }

  /** kill -9: the node stops; what it ran stays in its "kernel" (like a crashed machine's VIP, until it reboots). */
  crash(name: string): void {
    const node = this.node(name);
    node.alive = false;
    node.wakeAt = undefined;
  }

  /** SIGSTOP for `ms`, then SIGCONT: the kernel keeps what it holds, the process sees time jump. */
  freeze(name: string, ms: number): void {
    const node = this.node(name);
    node.frozenUntil = this.now + ms;
    this.schedule(node.frozenUntil, () => this.feed(node, { kind: 'timer-due', now: instant(this.now) }));
  }

  /** A reboot: the kernel state is gone, a new generation starts. */
  restart(name: string): void {
    const node = this.node(name);
    const fresh = this.newNode(node.name, node.generation + 1);
    this.nodes.set(node.name, fresh);
    this.feed(fresh, { kind: 'started', now: instant(this.now), generation: fresh.generation });
  }

  /** Power loss (what a fence device does): the process and everything in the kernel are gone. */
  powerOff(name: string): void {
    const node = this.node(name);
    node.alive = false;
    node.wakeAt = undefined;
    node.running.clear();
  }

  /** Feeds any input (ping scores, say) to a node now. */
  input(name: string, input: NodeInput): void {
    this.feed(this.node(name), input);
  }

  admin(name: string, input: Extract<NodeInput, { kind: 'group-admin' }>['request']): void {
    this.feed(this.node(name), { kind: 'group-admin', now: instant(this.now), request: input });
  }

  leave(name: string): void {
    const node = this.node(name);
    this.feed(node, { kind: 'group-admin', now: instant(this.now), request: { kind: 'stop-all', reason: 'test' } });
    const finish = (): void => {
      if (node.core.groupsStopped()) {
        this.feed(node, { kind: 'admin-requested', now: instant(this.now), request: { kind: 'leave', reason: 'test' } });
        node.alive = false;
        return;
      }
      this.schedule(this.now + 1, finish);
    };
    this.schedule(this.now + 1, finish);
  }

  /** Nodes whose kernel runs any resource of the group. */
  holders(group: string): string[] {
    const spec = this.groups.find((candidate) => candidate.name === group);
    if (spec === undefined) throw new Error(`no group ${group}`);
    return [...this.nodes.values()].filter((node) => spec.resources.some((resource) => node.running.get(resource.id) === true)).map((node) => node.name);
  }

  private checkSafety(): void {
    for (const spec of this.groups) {
      const live = [...this.nodes.values()].filter((node) => node.alive && spec.resources.some((resource) => node.running.get(resource.id) === true));
      if (live.length > 1) this.violations.push(`t=${this.now}: ${spec.name} on ${live.map((node) => node.name).join(' and ')}`);
    }
  }

  private nextTimer(): { node: MiniNode; at: number } | undefined {
    let best: { node: MiniNode; at: number } | undefined;
    for (const node of this.nodes.values()) {
      if (node.alive && node.frozenUntil <= this.now && node.wakeAt !== undefined && (best === undefined || node.wakeAt < best.at)) best = { node, at: node.wakeAt };
    }
    return best;
  }

  private schedule(at: number, run: () => void): void {
    this.queue.push({ at, seq: this.seq++, run });
  }

  private feed(node: MiniNode, input: NodeInput): void {
    if (!node.alive) return;
    if (node.frozenUntil > this.now) {
      this.schedule(node.frozenUntil, () => this.feed(node, { ...input, now: instant(this.now) }));
      return;
    }
    const output = node.core.step(input);
    node.wakeAt = output.wakeAt;
    for (const action of output.actions) this.perform(node, action);
  }

  private perform(node: MiniNode, action: NodeAction): void {
    switch (action.kind) {
      case 'send':
        for (const peer of this.nodes.values()) if (peer !== node) this.deliver(node, peer, action.message);
        return;
      case 'emit':
        node.events.push(action.event);
        return;
      case 'run-agent':
        node.ops.push(action);
        this.runAgent(node, action);
        return;
      case 'fence': {
        const { ms, ok } = this.fenceBehaviour;
        this.schedule(this.now + ms, () => {
          this.fenced.push(`${node.name}>${action.node}@${this.now}${ok ? '' : '!'}`);
          if (ok) this.powerOff(action.node);
          this.feed(node, { kind: 'fence-finished', now: instant(this.now), requestId: action.requestId, ok, summary: ok ? 'powered off' : 'device unreachable' });
        });
        return;
      }
      case 'persist':
      case 'persist-attributes':
      case 'reannounce':
        return;
    }
  }

  private deliver(from: MiniNode, to: MiniNode, message: Message): void {
    if (this.cut.has(`${from.name}>${to.name}`)) return;
    const seq = from.seq++;
    const generation = from.generation;
    this.schedule(this.now + 1, () => {
      const current = this.nodes.get(to.name);
      if (current === undefined || !current.alive) return;
      this.feed(current, { kind: 'message-received', now: instant(this.now), envelope: { from: from.name, link: LINK, generation, seq, sentAtWallMs: 0 }, message });
    });
  }

  private runAgent(node: MiniNode, op: RunOperation): void {
    const behaviour = this.behaviour.get(`${node.name}/${op.resource}/${op.operation}`);
    const finishAt = this.now + (behaviour === 'hang' ? op.timeoutMs : this.agentMs);
    this.schedule(finishAt, () => {
      if (this.nodes.get(node.name) !== node || !node.alive) return;
      let outcome: OperationOutcome;
      if (behaviour === 'hang') outcome = 'failed';
      else if (behaviour !== undefined) outcome = behaviour;
      else if (op.operation === 'monitor') outcome = node.running.get(op.resource) === true ? 'success' : 'not-running';
      else outcome = 'success';
      if (op.operation === 'start' && outcome === 'success') node.running.set(op.resource, true);
      if (op.operation === 'stop' && outcome === 'success') node.running.set(op.resource, false);
      this.feed(node, { kind: 'agent-finished', now: instant(this.now), opId: op.opId, outcome, detail: behaviour === 'hang' ? 'timed out' : '' });
    });
  }

  private newNode(name: NodeName, generation: number): MiniNode {
    return { name, core: new NodeCore(this.config(name), this.groups, [], undefined, this.protection), alive: true, generation, wakeAt: undefined, running: new Map(), events: [], ops: [], seq: 0, frozenUntil: 0 };
  }
}

export function groupSpec(name: string, nodes: readonly string[], resources: readonly string[], overrides: Partial<GroupSpec> = {}): GroupSpec {
  return {
    name,
    nodes: nodes.map(nodeName),
    failback: 'manual',
    migrationThreshold: 3,
    failureTimeoutMs: 0,
    strayPolicy: 'remove',
    resources: resources.map((id) => ({ id, startTimeoutMs: 1000, stopTimeoutMs: 1000, monitorIntervalMs: 500, monitorTimeoutMs: 1000, announces: id.endsWith('ip') })),
    ...overrides,
  };
}
