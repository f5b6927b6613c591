/**
 * Fences one node through a plan of levels (Pacemaker's fencing topology): the first level whose every device
 * succeeds fences the node; a failed level hands over to the next; when every level has failed, the whole sequence
 * is tried again, up to `retries` more times.
 *
 * Semantics of one level:
 *   - `off`: each device runs `off` (fence agents wait for the power state themselves, so exit 0 is the agent's
 *     confirmation); a device that implements `status` must then answer "off" (exit 2). A `status` that answers
 *     "on" or errors leaves the off unconfirmed, and the level fails: tandem must never believe a node is down
 *     when its power switch cannot say so.
 *   - `reboot` with one device: that device runs `reboot`.
 *   - `reboot` with several devices (e.g. the two power supplies of one node): rebooting them one after another
 *     would never cut the node's power, so, as Pacemaker does, every device runs `off` (confirmed as above) and
 *     only then every device runs `on`. The node was off, so a failed `on` does not undo the fencing; it is
 *     recorded and named in the summary.
 *   A device that fails ends its level at once: the devices after it are not run, and the devices before it are
 *   left as they are (a device left off is the safe side; the next level or round turns the node off anyway).
 *
 * Invariants:
 *   1. Never throws for an agent problem: a missing, hung, crashing or failing agent is a failed attempt with a
 *      clear detail. Throws `FencePlanError` only for a plan that is a programming error (no levels, an empty
 *      level, a timeout or retry count that is not a number of the right kind).
 *   2. Agent runs are sequential, each bounded by `plan.timeoutMs` (the runner kills the agent's process group).
 *      The abort signal is checked before every run; a run under way finishes or times out (an agent stopped
 *      half-way through a power operation would leave the switch in an unknown state).
 *   3. Every agent run, including confirmation `status` runs, is one `FenceAttempt`, in order.
 *   4. Reads the clock only through `options.now` (default `performance.now()`) to measure durations.
 */
import { performance } from 'node:perf_hooks';
import { runProcess, type ProcessRunner } from '../agents/process-runner.js';
import { runFenceAgent, type FenceAction, type FenceAgentResult, type FenceDevice } from './fence-agent.js';

export interface FencePlan {
  /** Level 1 first; every device of a level must succeed for the level to fence the node. */
  readonly levels: readonly (readonly FenceDevice[])[];
  readonly action: 'off' | 'reboot';
  /** The timeout of each agent run. */
  readonly timeoutMs: number;
  /** How many more times the whole sequence of levels is tried after it has failed once. */
  readonly retries: number;
}

export interface FenceAttempt {
  /** 1-based level number. */
  level: number;
  device: string;
  action: FenceAction;
  ok: boolean;
  detail: string;
  durationMs: number;
  /** 1-based round: 1 for the first pass through the levels, 2 for the first retry, … */
  attempt: number;
}

export interface FenceOutcome {
  readonly ok: boolean;
  readonly node: string;
  readonly attempts: readonly FenceAttempt[];
  /** one plain line: "n1 fenced by lab (level 1, off) in 120 ms" or why it failed */
  readonly summary: string;
  readonly durationMs: number;
}

export interface FenceOptions {
  readonly runner?: ProcessRunner;
  readonly signal?: AbortSignal;
  readonly now?: () => number;
}

/** A plan that no configuration should ever produce (the config layer validates plans before they get here). */
export class FencePlanError extends Error {
  override readonly name = 'FencePlanError';
}

type LevelVerdict = { readonly kind: 'fenced'; readonly note?: string } | { readonly kind: 'failed'; readonly reason: string } | { readonly kind: 'aborted' };

/** Fences `node` according to `plan`; see the module header for the semantics and invariants. */
export async function fenceNode(node: string, plan: FencePlan, options: FenceOptions = {}): Promise<FenceOutcome> {
  checkPlan(node, plan);
  const now = options.now ?? (() => performance.now());
  const run = new FenceRun(node, plan, options.runner ?? runProcess, options.signal, now);
  const startedMs = now();
  const elapsed = (): number => Math.max(0, Math.round(now() - startedMs));
  const rounds = plan.retries + 1;
  let lastReason = 'no level was tried';
  for (let round = 1; round <= rounds; round++) {
    for (const [index, devices] of plan.levels.entries()) {
      const level = index + 1;
      const verdict = await run.level(level, devices, round);
      if (verdict.kind === 'aborted') {
        const durationMs = elapsed();
        return { ok: false, node, attempts: run.attempts, durationMs, summary: `${node} NOT fenced: aborted after ${runs(run.attempts.length)} in ${durationMs} ms` };
      }
      if (verdict.kind === 'fenced') {
        const durationMs = elapsed();
        const by = devices.map((device) => device.name).join('+');
        const retry = round > 1 ? `, round ${round} of ${rounds}` : '';
        const note = verdict.note === undefined ? '' : `; ${verdict.note}`;
        return { ok: true, node, attempts: run.attempts, durationMs, summary: `${node} fenced by ${by} (level ${level}, ${plan.action}${retry}) in ${durationMs} ms${note}` };
      }
      lastReason = `level ${level}: ${verdict.reason}`;
    }
  }
  const durationMs = elapsed();
  const levels = plan.levels.length === 1 ? 'its only level' : `all ${plan.levels.length} levels`;
  const times = rounds === 1 ? 'once' : `${rounds} times`;
  return {
    ok: false,
    node,
    attempts: run.attempts,
    durationMs,
    summary: `${node} NOT fenced: ${levels} failed ${times} (${runs(run.attempts.length)}, ${durationMs} ms); last: ${lastReason}`,
  };
}

/** The attempts of one fencing and how to run one level. */
class FenceRun {
  readonly attempts: FenceAttempt[] = [];

  constructor(
    private readonly node: string,
    private readonly plan: FencePlan,
    private readonly runner: ProcessRunner,
    private readonly signal: AbortSignal | undefined,
    private readonly now: () => number,
  ) {}

  async level(level: number, devices: readonly FenceDevice[], round: number): Promise<LevelVerdict> {
    if (this.plan.action === 'reboot' && devices.length === 1) {
      const device = devices[0] as FenceDevice;
      const result = await this.agent(level, round, device, 'reboot');
      if (result === 'aborted') return { kind: 'aborted' };
      return result.ok ? { kind: 'fenced' } : { kind: 'failed', reason: result.detail };
    }
    for (const device of devices) {
      const verdict = await this.confirmedOff(level, round, device);
      if (verdict.kind !== 'fenced') return verdict;
    }
    if (this.plan.action === 'off') return { kind: 'fenced' };
    // A reboot through several devices: all are off (confirmed); now power the node back on through each.
    const notOn: string[] = [];
    for (const device of devices) {
      const result = await this.agent(level, round, device, 'on');
      // Aborting here leaves the node off, which is still fenced.
      if (result === 'aborted') return { kind: 'fenced', note: 'aborted before powering it back on' };
      if (!result.ok) notOn.push(device.name);
    }
    return notOn.length === 0 ? { kind: 'fenced' } : { kind: 'fenced', note: `powering it back on failed on ${notOn.join(', ')}` };
  }

  /** `off`, then, when the device implements `status`, a `status` that must say "off". */
  private async confirmedOff(level: number, round: number, device: FenceDevice): Promise<LevelVerdict> {
    const off = await this.agent(level, round, device, 'off');
    if (off === 'aborted') return { kind: 'aborted' };
    if (!off.ok) return { kind: 'failed', reason: off.detail };
    if (device.supportsStatus === false) return { kind: 'fenced' };
    const status = await this.agent(level, round, device, 'status', (result) => {
      if (result.power === 'off') return { ok: true, detail: result.detail };
      if (result.power === 'on') return { ok: false, detail: `${result.detail}: off not confirmed, the plug is still on` };
      return { ok: false, detail: `${result.detail}; off not confirmed` };
    });
    if (status === 'aborted') return { kind: 'aborted' };
    return status.ok ? { kind: 'fenced' } : { kind: 'failed', reason: status.detail };
  }

  /** One agent run, recorded as an attempt; `judge` turns a `status` answer into confirmed or not. */
  private async agent(
    level: number,
    round: number,
    device: FenceDevice,
    action: FenceAction,
    judge: (result: FenceAgentResult) => { ok: boolean; detail: string } = (result) => ({ ok: result.ok, detail: result.detail }),
  ): Promise<{ ok: boolean; detail: string } | 'aborted'> {
    if (this.signal?.aborted === true) return 'aborted';
    const startedMs = this.now();
    const result = await runFenceAgent(device, action, this.node, this.plan.timeoutMs, this.runner);
    const verdict = judge(result);
    this.attempts.push({
      level,
      device: device.name,
      action,
      ok: verdict.ok,
      detail: verdict.detail,
      durationMs: Math.max(0, Math.round(this.now() - startedMs)),
      attempt: round,
    });
    return verdict;
  }
}

function runs(count: number): string {
  return `${count} agent run${count === 1 ? '' : 's'}`;
}

function checkPlan(node: string, plan: FencePlan): void {
  if (typeof node !== 'string' || node === '') throw new FencePlanError('fenceNode: the node name is empty');
  if (plan.action !== 'off' && plan.action !== 'reboot') throw new FencePlanError(`fenceNode: action must be off or reboot, not ${String(plan.action)}`);
  if (plan.levels.length === 0) throw new FencePlanError(`fenceNode: the plan to fence ${node} has no levels`);
  for (const [index, devices] of plan.levels.entries()) {
    if (devices.length === 0) throw new FencePlanError(`fenceNode: level ${index + 1} of the plan to fence ${node} has no devices`);
  }
  if (!(Number.isFinite(plan.timeoutMs) && plan.timeoutMs > 0)) throw new FencePlanError(`fenceNode: timeoutMs must be a positive number, not ${plan.timeoutMs}`);
  if (!(Number.isSafeInteger(plan.retries) && plan.retries >= 0)) throw new FencePlanError(`fenceNode: retries must be a whole number ≥ 0, not ${plan.retries}`);
}
