/**
 * Operator commands (standby, online, move, takeover, cleanup, fence) and `tandem why`, checked against the running
 * config before they reach the core: a typo gets a clear answer, never a silent no-op.
 */
import type { GroupView } from '../core/group-types.js';
import { nodeName } from '../core/types.js';
import type { Clock } from '../lib/clock.js';
import { suggest } from '../config/suggest.js';
import type { Driver } from './driver.js';
import { groupFacts } from './status.js';

export type OperatorRequest =
  | { readonly kind: 'standby'; readonly node: string; readonly on: boolean }
  | { readonly kind: 'move'; readonly group: string; readonly node: string | null; readonly untilFailover?: boolean }
  | { readonly kind: 'cleanup'; readonly group: string }
  | { readonly kind: 'takeover' }
  | { readonly kind: 'fence'; readonly node: string };

export interface CommandResult {
  readonly ok: boolean;
  readonly message: string;
}

export interface WhyReport {
  readonly group: string;
  readonly node: string;
  readonly phase: GroupView['phase'];
  readonly target: string | null;
  readonly holders: readonly string[];
  readonly pinnedTo: string | null;
  readonly blockedBy: string | null;
  readonly failCounts: Readonly<Record<string, number>>;
  readonly resources: GroupView['resources'];
  readonly story: readonly { readonly wallTime: string; readonly what: string; readonly why: string }[];
  /** This node's quorum, which decides whether it may start anything. */
  readonly quorum: { readonly status: string; readonly reason: string; readonly guarantee: string };
  /** Fencings this node ran (newest last), and what the cluster knows fenced. */
  readonly fencing: {
    readonly history: readonly { readonly node: string; readonly wallTime: string; readonly ok: boolean; readonly by: string; readonly summary: string }[];
    readonly fenced: readonly { readonly node: string; readonly generation: number; readonly by: string; readonly summary: string }[];
  };
}

/** Parses an untrusted JSON body into a request, or says what is wrong with it. */
export function parseOperatorRequest(body: unknown): OperatorRequest | string {
  if (typeof body !== 'object' || body === null) return 'the request body must be a JSON object';
  const record = body as Record<string, unknown>;
  const text = (key: string): string | undefined => (typeof record[key] === 'string' ? (record[key] as string) : undefined);
  switch (record.kind) {
    case 'standby': {
      const node = text('node');
      if (node === undefined || typeof record.on !== 'boolean') return "standby needs 'node' (string) and 'on' (boolean)";
      return { kind: 'standby', node, on: record.on };
    }
    case 'move': {
      const group = text('group');
      const node = record.node === null ? null : text('node');
      if (group === undefined || node === undefined) return "move needs 'group' (string) and 'node' (string, or null to clear)";
      if (record.untilFailover !== undefined && typeof record.untilFailover !== 'boolean') return "move's 'untilFailover' must be a boolean";
      return { kind: 'move', group, node, ...(record.untilFailover === true ? { untilFailover: true } : {}) };
    }
    case 'cleanup': {
      const group = text('group');
      if (group === undefined) return "cleanup needs 'group' (string)";
      return { kind: 'cleanup', group };
    }
    case 'takeover':
      return { kind: 'takeover' };
    case 'fence': {
      const node = text('node');
      if (node === undefined) return "fence needs 'node' (string)";
      return { kind: 'fence', node };
    }
    default:
      return `unknown command kind ${JSON.stringify(record.kind)}: standby, move, cleanup, takeover or fence`;
  }
}

/** A refusal for a name that is not there, with the closest known one. */
function unknown(what: string, name: string, known: readonly string[]): CommandResult {
  const close = suggest(name, known);
  return { ok: false, message: `no ${what} named ${JSON.stringify(name)}${close ? ` (did you mean ${close}?)` : ''}; ${what}s: ${known.join(', ') || 'none'}` };
}

export function operatorCommand(driver: Driver, request: OperatorRequest): CommandResult {
  const config = driver.currentConfig;
  const nodes = config.nodes.map((node) => node.name as string);
  const groups = config.groups.map((group) => group.name);
  switch (request.kind) {
    case 'standby':
      if (!nodes.includes(request.node)) return unknown('node', request.node, nodes);
      driver.admin({ kind: 'standby', node: nodeName(request.node), on: request.on });
      return { ok: true, message: request.on ? `${request.node} is in standby: its groups move to other nodes` : `${request.node} is online: it may run groups again` };
    case 'move': {
      const group = config.groups.find((candidate) => candidate.name === request.group);
      if (group === undefined) return unknown('group', request.group, groups);
      if (request.node !== null && !group.nodes.includes(nodeName(request.node))) {
        return { ok: false, message: `${request.group} may run only on ${group.nodes.join(', ')}: ${request.node} is not one of them` };
      }
      driver.admin({ kind: 'move', group: request.group, node: request.node === null ? undefined : nodeName(request.node), ...(request.untilFailover === true ? { untilFailover: true } : {}) });
      return { ok: true, message: request.node === null ? `${request.group} follows its configured preference again` : `${request.group} moves to ${request.node} (stop there first, then start on ${request.node}); \`tandem move ${request.group} --clear\` returns it to its preference` };
    }
    case 'cleanup':
      if (!groups.includes(request.group)) return unknown('group', request.group, groups);
      driver.admin({ kind: 'cleanup', group: request.group });
      return { ok: true, message: `${request.group}: failures forgotten on every node; an unclean node probes it again` };
    case 'takeover': {
      const mine = config.groups.filter((group) => group.nodes.includes(driver.self)).map((group) => group.name);
      if (mine.length === 0) return { ok: false, message: `no group may run on ${driver.self}` };
      driver.admin({ kind: 'takeover' });
      return { ok: true, message: `${driver.self} takes over ${mine.join(', ')}` };
    }
    case 'fence': {
      if (!nodes.includes(request.node)) return unknown('node', request.node, nodes);
      if (request.node === driver.self) return { ok: false, message: `${driver.self} cannot fence itself: run \`tandem fence ${request.node}\` on another node` };
      if (config.fencing === undefined) return { ok: false, message: 'no fencing is configured (the fencing: section of the config)' };
      driver.admin({ kind: 'fence', node: nodeName(request.node) });
      return { ok: true, message: `fencing ${request.node} (${config.fencing.action}); \`tandem status\` shows the result, \`tandem events --follow\` follows it` };
    }
  }
}

export function explainGroup(driver: Driver, group: string, clock: Clock): WhyReport | CommandResult {
  const view = driver.groups().groups.find((candidate) => candidate.name === group);
  if (view === undefined) return unknown('group', group, driver.groups().groups.map((candidate) => candidate.name));
  const offset = clock.wallNow() - clock.monotonicNow();
  const protection = driver.protection();
  return {
    group,
    node: driver.self,
    ...groupFacts(view),
    resources: view.resources,
    story: view.story.map((entry) => ({ wallTime: new Date(entry.at + offset).toISOString(), what: entry.what, why: entry.why })),
    quorum: { status: protection.quorum.status, reason: protection.quorum.reason, guarantee: protection.guarantee },
    fencing: {
      history: protection.fencing.history.map((record) => ({ node: record.node, wallTime: new Date(record.at + offset).toISOString(), ok: record.ok, by: record.by, summary: record.summary })),
      fenced: protection.fencing.fenced,
    },
  };
}
