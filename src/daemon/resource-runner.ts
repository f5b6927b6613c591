/**
 * Runs the core's agent operations: finds the resource's agent, runs it with the operation's timeout, and turns
 * whatever happened into one of three outcomes the core understands.
 *
 * Invariants:
 *   1. `run` never rejects: a missing agent, a thrown error, a crash or a hang (killed at its timeout by the agent
 *      layer) are all a `failed` outcome with a detail a person can read. The daemon never dies of an agent.
 *   2. An agent is rebuilt only when its resource's definition changed, so a reload does not lose an ipaddr
 *      agent's running announcement or an exec agent's pid.
 */
import { IpAddrAgent, announce } from '../agents/ipaddr.js';
import type { Built } from '../agents/codes.js';
import { formatAgentIssue } from '../agents/codes.js';
import { OCF_RC, type AgentResult, type ResourceAgent } from '../agents/types.js';
import type { ClusterConfig, ResourceConfig } from '../config/model.js';
import type { OperationOutcome, RunOperation } from '../core/group-types.js';

export type AgentBuilder = (resource: ResourceConfig) => Built<ResourceAgent>;

interface Entry {
  readonly key: string;
  readonly resource: ResourceConfig;
  readonly agent: ResourceAgent | undefined;
  readonly problem: string | undefined;
}

export interface OperationResult {
  readonly outcome: OperationOutcome;
  readonly detail: string;
  readonly durationMs: number;
}

export class ResourceRunner {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly build: AgentBuilder) {}

  /** Builds agents for every resource of `config`, keeping those whose definition did not change. */
  configure(config: ClusterConfig): void {
    const seen = new Set<string>();
    for (const group of config.groups) {
      for (const resource of group.resources) {
        seen.add(resource.id);
        const key = JSON.stringify(resource.agent);
        if (this.entries.get(resource.id)?.key === key) {
          this.entries.set(resource.id, { ...(this.entries.get(resource.id) as Entry), resource });
          continue;
        }
        const built = this.build(resource);
        this.entries.set(resource.id, built.ok
          ? { key, resource, agent: built.value, problem: undefined }
          : { key, resource, agent: undefined, problem: built.issues.map(formatAgentIssue).join('; ') });
      }
    }
    for (const id of [...this.entries.keys()]) if (!seen.has(id)) this.entries.delete(id);
  }

  describe(resourceId: string): string {
    return this.entries.get(resourceId)?.agent?.describe ?? resourceId;
  }

  async run(op: RunOperation): Promise<OperationResult> {
    const started = Date.now();
    const entry = this.entries.get(op.resource);
    if (entry?.agent === undefined) {
      return { outcome: 'failed', detail: entry?.problem ?? `no agent for resource ${op.resource}`, durationMs: 0 };
    }
    try {
      const result = await entry.agent.run(op.operation, { timeoutMs: op.timeoutMs, intervalMs: op.intervalMs });
      return { ...outcomeOf(op.operation, result), durationMs: result.durationMs };
    } catch (error) {
      return { outcome: 'failed', detail: `the agent threw: ${(error as Error).message}`, durationMs: Date.now() - started };
    }
  }

  /** Sends a fresh burst of announcements for an ipaddr resource; a sentence on what happened. */
  async reannounce(resourceId: string): Promise<string> {
    const entry = this.entries.get(resourceId);
    const agent = entry?.resource.agent;
    if (agent?.kind !== 'ipaddr') return `${resourceId} announces nothing`;
    // Through the agent when it is the built-in one, so that stopping the address cancels the rest of the burst.
    const outcome = entry?.agent instanceof IpAddrAgent
      ? await entry.agent.reannounce()
      : await announce(agent.address, agent.interface, Math.max(1, agent.announceCount), { intervalMs: agent.announceIntervalMs });
    const problems = [outcome.error, ...outcome.warnings].filter((text) => text !== undefined && text !== '');
    const cut = outcome.cancelled ? ' (the rest cancelled: the address was stopped or started again)' : '';
    return `${agent.address} announced on ${agent.interface}: ${outcome.framesSent} frame(s) by ${outcome.method}${cut}${problems.length > 0 ? ` (${problems.join('; ')})` : ''}`;
  }
}

/** OCF semantics: start/stop succeed on rc 0; a monitor's rc 7 means cleanly not running; anything else failed. */
export function outcomeOf(operation: RunOperation['operation'], result: AgentResult): { outcome: OperationOutcome; detail: string } {
  const tail = result.outputTail.trim().split('\n').slice(-2).join(' | ');
  const detail = [
    result.exec === 'done' ? `rc ${result.rc ?? '?'}${result.rawExitCode !== undefined && result.rawExitCode !== result.rc ? ` (exit ${result.rawExitCode})` : ''}` : result.exec,
    result.detail,
    tail === '' ? undefined : `output: ${tail}`,
  ].filter((part) => part !== undefined && part !== '').join('; ');
  if (result.exec !== 'done') return { outcome: 'failed', detail };
  if (result.rc === OCF_RC.SUCCESS) return { outcome: 'success', detail };
  if (operation === 'monitor' && result.rc === OCF_RC.NOT_RUNNING) return { outcome: 'not-running', detail };
  return { outcome: 'failed', detail };
}
