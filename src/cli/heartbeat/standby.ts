/**
 * `hb_standby` and `hb_takeover`, heartbeat's two-node switchover scripts (research notes §7.4, §7.5), on tandem's
 * operator commands. Pure: arguments and a status report in, the moves to ask for and the text to print out.
 *
 * Arguments, usage, messages and exit codes are the scripts' own: one optional word, `all` (the default), `local`,
 * `foreign` or `failback`; two or more words → `$0: too many arguments` then the usage; another word → `$0: wrong
 * resources(WORD).` then the usage; `--help` → the usage; the usage is `usage:` on stdout and `$0
 * [all|foreign|local|failback]` on stderr; all of them exit 1.
 *
 * The sets, seen from the node A that runs the command: `local` = groups whose home (the first of their `nodes`,
 * the first word of a haresources line) is A; `foreign` = groups whose home is another node; `all` = both.
 *   - `hb_standby X` on A: A gives up the groups of X it holds (or is about to start) to "the other node".
 *     `failback` = `foreign` (A hands back what is not its own).
 *   - `hb_takeover X` on A: A takes the groups of X that run elsewhere. heartbeat implemented it as the other node
 *     running `hb_standby` of the mirrored set (`local` ↔ `foreign`), and that script has no case for `failback`,
 *     so the other node ran `hb_standby` without an argument, i.e. `all`: `hb_takeover failback` takes everything,
 *     and so it does here.
 *
 * The mapping to tandem: each group that must change node gets an operator placement that lasts until the next
 * failover (`move` with `untilFailover`). That gives heartbeat's result: the groups stop on one node and start on
 * the other, now, and stay there until a node of the group dies or leaves; then the placement is dropped and
 * auto_failback decides again, as heartbeat's rsc_needs_failback did. `tandem move GROUP --clear` drops it by hand. `tandem standby` is not used, because it would forbid A every group, even when the
 * other node dies — heartbeat's hb_standby never did that.
 *
 * "The other node" in a two-node cluster is the other node. With more nodes, a group given up goes to the most
 * preferred node of its `nodes` other than A that is alive, not in standby and under its migration threshold (for
 * a foreign group that is its home, which is what "failback" meant); a group taken over goes to A. A group that no
 * other node can take is left where it is and named on stderr (exit 1): heartbeat's request was then silently
 * cancelled ("No reply to standby request").
 */
import type { GroupStatus, StatusReport } from '../../api/status-report.js';
import { homeOf } from './view.js';

export type HbCommand = 'hb_standby' | 'hb_takeover';
/** The words the scripts accept. */
export type ResourceWord = 'all' | 'local' | 'foreign' | 'failback';
export type ResourceSet = 'all' | 'local' | 'foreign';

export interface ScriptOutput {
  readonly stdout: string;
  readonly stderr: string;
  readonly exitCode: number;
}

export type ParsedHbArgs = { readonly ok: true; readonly word: ResourceWord; readonly set: ResourceSet } | ({ readonly ok: false } & ScriptOutput);

/** The scripts' exit code for every argument error. */
export const HB_USAGE_EXIT = 1;

/** What `usage()` of both scripts prints: `usage:` on stdout, the synopsis on stderr. */
function usage(prog: string, stdoutBefore = ''): ScriptOutput {
  return { stdout: `${stdoutBefore}usage:\n`, stderr: `${prog} [all|foreign|local|failback]\n`, exitCode: HB_USAGE_EXIT };
}

const WORDS: readonly string[] = ['all', 'local', 'foreign', 'failback'];

/** `prog` is the command as invoked (the scripts print their `$0`). */
export function parseHbArgs(command: HbCommand, prog: string, argv: readonly string[]): ParsedHbArgs {
  if (argv.length >= 2) return { ok: false, ...usage(prog, `${prog}: too many arguments\n`) };
  const word = argv[0] ?? 'all';
  if (word === '--help') return { ok: false, ...usage(prog) };
  if (!WORDS.includes(word)) return { ok: false, ...usage(prog, `${prog}: wrong resources(${word}).\n`) };
  const typed = word as ResourceWord;
  const set: ResourceSet = typed === 'failback' ? (command === 'hb_standby' ? 'foreign' : 'all') : typed;
  return { ok: true, word: typed, set };
}

export interface Move {
  readonly group: string;
  /** Where it runs now (its holders), for the message. */
  readonly from: readonly string[];
  readonly to: string;
}

export interface Plan {
  readonly moves: readonly Move[];
  /** Groups of the set that cannot go where the command wants them, and why. */
  readonly stuck: readonly { readonly group: string; readonly why: string }[];
  /** Groups of the set that are already where the command wants them. */
  readonly unchanged: readonly string[];
}

function inSet(group: GroupStatus, self: string, set: ResourceSet): boolean {
  if (set === 'all') return true;
  return (homeOf(group) === self) === (set === 'local');
}

/** Why `node` cannot take `group` now, as far as the report tells; undefined when it can. */
function unfit(report: StatusReport, group: GroupStatus, node: string): string | undefined {
  if (group.nodes !== undefined && !group.nodes.includes(node)) return `it may not run on ${node}`;
  const state = report.nodes.find((candidate) => candidate.name === node);
  if (state === undefined) return `${node} is not a node of this cluster`;
  if (!state.self && state.state !== 'up' && state.state !== 'late') return `${node} is ${state.state}`;
  if (report.standby.includes(node)) return `${node} is in standby (\`tandem online ${node}\` ends that)`;
  const failures = group.failCounts[node] ?? 0;
  if (group.migrationThreshold !== undefined && failures >= group.migrationThreshold) return `it failed ${failures} times on ${node} (\`tandem cleanup ${group.name}\` forgets that)`;
  return undefined;
}

function onNode(group: GroupStatus, node: string): boolean {
  return group.holders.includes(node) || group.target === node;
}

/** What becomes of one group of the set: it moves to a node, cannot move (why), or is already where it should be. */
type Decision = { readonly to: string } | { readonly stuck: string } | 'unchanged';

/** The plan for every group of the set on this node's report, each decided by `decide`. */
function planEach(report: StatusReport, set: ResourceSet, decide: (group: GroupStatus) => Decision): Plan {
  const plan: { moves: Move[]; stuck: { group: string; why: string }[]; unchanged: string[] } = { moves: [], stuck: [], unchanged: [] };
  for (const group of report.groups) {
    if (!inSet(group, report.node, set)) continue;
    const decision = decide(group);
    if (decision === 'unchanged') plan.unchanged.push(group.name);
    else if ('stuck' in decision) plan.stuck.push({ group: group.name, why: decision.stuck });
    else plan.moves.push({ group: group.name, from: group.holders, to: decision.to });
  }
  return plan;
}

/** hb_standby on this node: every group of the set that is here goes to the other node. */
export function planStandby(report: StatusReport, set: ResourceSet): Plan {
  const self = report.node;
  return planEach(report, set, (group) => {
    if (!onNode(group, self)) return 'unchanged';
    const candidates = (group.nodes ?? []).filter((node) => node !== self);
    const to = candidates.find((node) => unfit(report, group, node) === undefined);
    if (to !== undefined) return { to };
    const reasons = candidates.map((node) => unfit(report, group, node)).join('; ');
    return { stuck: candidates.length === 0 ? `no other node may run it` : `no other node can take it (${reasons})` };
  });
}

/** hb_takeover on this node: every group of the set that is elsewhere comes here. */
export function planTakeover(report: StatusReport, set: ResourceSet): Plan {
  const self = report.node;
  return planEach(report, set, (group) => {
    if (group.target === self && group.holders.every((holder) => holder === self)) return 'unchanged';
    const why = unfit(report, group, self);
    return why === undefined ? { to: self } : { stuck: why };
  });
}

/**
 * What heartbeat's hb_standby logged before anything else (`Going standby [all].`, on stderr after a time stamp);
 * hb_takeover logged nothing, and says what it takes here.
 */
export function headline(command: HbCommand, parsed: { readonly word: ResourceWord; readonly set: ResourceSet }): string {
  return command === 'hb_standby' ? `Going standby [${parsed.set}].` : `Taking over [${parsed.word}${parsed.word === 'failback' ? ' = all' : ''}].`;
}

/** One line per move, per group that cannot move, and a closing note on the placements. */
export function describePlan(plan: Plan, self: string): { readonly stdout: string; readonly stderr: string } {
  let stdout = '';
  let stderr = '';
  for (const move of plan.moves) stdout += `${move.group}: ${move.from.length > 0 ? move.from.join(', ') : 'stopped'} -> ${move.to}\n`;
  for (const name of plan.unchanged) stdout += `${name}: stays (nothing to do)\n`;
  for (const entry of plan.stuck) stderr += `${entry.group}: not moved: ${entry.why}\n`;
  if (plan.moves.length === 0 && plan.stuck.length === 0 && plan.unchanged.length === 0) stdout += `no group of that set is configured (this node: ${self})\n`;
  if (plan.moves.length > 0) stdout += `Each moved group stays on its new node until the next failover (or \`tandem move GROUP --clear\`); \`tandem status\` shows the switchover.\n`;
  return { stdout, stderr };
}
