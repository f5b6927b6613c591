/**
 * Renders the status report for a person: one line per node with its links, then drops, warnings and events.
 * Colour only when the output is a terminal (and NO_COLOR is unset).
 */
import type { NodeStatus, StatusReport } from '../api/status-report.js';
import { formatDuration } from '../lib/duration.js';
import type { WhyReport } from '../daemon/commands.js';

export interface Paint {
  green(text: string): string;
  yellow(text: string): string;
  red(text: string): string;
  dim(text: string): string;
  bold(text: string): string;
}

const ansi = (code: number) => (text: string) => `\x1b[${code}m${text}\x1b[0m`;
export const colours: Paint = { green: ansi(32), yellow: ansi(33), red: ansi(31), dim: ansi(2), bold: ansi(1) };
export const plain: Paint = { green: (t) => t, yellow: (t) => t, red: (t) => t, dim: (t) => t, bold: (t) => t };

/** Colours a state word; `state` may carry padding for column alignment. */
export function stateColour(paint: Paint, state: string): string {
  const word = state.trim();
  if (word === 'up') return paint.green(state);
  if (word === 'late' || word === 'left' || word === 'unknown') return paint.yellow(state);
  return paint.red(state);
}

function clockTime(iso: string | null): string {
  return iso ? iso.slice(11, 19) : '-';
}

function linkSummary(paint: Paint, node: NodeStatus): string {
  return node.links
    .map((link) => {
      if (node.self) return `${link.name} ${stateColour(paint, link.state)}${link.endpoint ? paint.dim(` (${link.endpoint})`) : ''}`;
      const heard = link.lastHeardMsAgo === null ? 'never heard' : `${formatDuration(link.lastHeardMsAgo)} ago`;
      const loss = `${(link.loss * 100).toFixed(link.loss > 0 && link.loss < 0.1 ? 1 : 0)}% loss`;
      const jitter = link.jitterWarning ? paint.yellow(` gaps up to ${link.gapMaxMs}ms!`) : '';
      return `${link.name} ${stateColour(paint, link.state)} ${paint.dim(`${heard}, ${loss}`)}${jitter}`;
    })
    .join('   ');
}

export function formatStatus(report: StatusReport, paint: Paint): string {
  const lines: string[] = [];
  const t = report.timings;
  lines.push(
    `${paint.bold(`cluster ${report.cluster}`)}  node ${report.node}  generation ${report.generation}  up ${formatDuration(report.uptimeMs)}  tandem ${report.version}`,
  );
  lines.push(
    paint.dim(`keepalive ${formatDuration(t.keepaliveMs)}  warntime ${formatDuration(t.warntimeMs)}  deadtime ${formatDuration(t.deadtimeMs)}  initdead ${formatDuration(t.initdeadMs)}  config ${report.configDigest}`),
  );
  lines.push('');
  const width = Math.max(4, ...report.nodes.map((node) => node.name.length));
  lines.push(paint.dim(`${'NODE'.padEnd(width)}  STATE  SINCE     GEN   UPTIME   CONFIG     LINKS`));
  for (const node of report.nodes) {
    const config = node.self ? '-' : node.configMatches === null ? '?' : node.configMatches ? 'same' : paint.red('DIFFERENT');
    const configCell = node.self ? '-'.padEnd(9) : node.configMatches === false ? config + '  ' : config.padEnd(9);
    lines.push(
      `${(node.name + (node.self ? '*' : '')).padEnd(width)}  ${stateColour(paint, node.state.padEnd(5))}  ${clockTime(node.since).padEnd(8)}  ${String(node.generation ?? '-').padEnd(4)}  ${(node.uptimeMs === null ? '-' : formatDuration(node.uptimeMs)).padEnd(7)}  ${configCell}  ${linkSummary(paint, node)}`,
    );
    if (!node.self && node.state !== 'up') lines.push(paint.dim(`${' '.repeat(width)}  └ ${node.reason}`));
  }
  if (report.groups.length > 0) {
    lines.push('');
    const groupWidth = Math.max(5, ...report.groups.map((group) => group.name.length));
    lines.push(paint.dim(`${'GROUP'.padEnd(groupWidth)}  RUNS ON        HERE        FAILURES   RESOURCES`));
    for (const group of report.groups) {
      const runsOn = group.holders.length === 0 ? '-' : group.holders.join('+');
      const runsCell = group.holders.length > 1 ? paint.red(runsOn.padEnd(13)) : runsOn.padEnd(13);
      const failures = Object.entries(group.failCounts).filter(([, count]) => count > 0).map(([node, count]) => `${node}:${count}`).join(' ') || '-';
      const resources = group.resources.map((resource) => `${resource.id} ${resource.state}`).join(', ');
      lines.push(`${group.name.padEnd(groupWidth)}  ${runsCell}  ${phaseColour(paint, group.phase.padEnd(10))}  ${failures.padEnd(9)}  ${paint.dim(resources)}`);
      const notes = [
        group.pinnedTo !== null ? `moved to ${group.pinnedTo} by the operator` : undefined,
        group.target !== null && !group.holders.includes(group.target) ? `should run on ${group.target}` : undefined,
        group.target === null ? 'can run nowhere' : undefined,
      ].filter((note) => note !== undefined);
      if (notes.length > 0) lines.push(paint.dim(`${' '.repeat(groupWidth)}  └ ${notes.join('; ')}`));
    }
    if (report.standby.length > 0) lines.push(paint.yellow(`standby: ${report.standby.join(', ')}`));
  }
  lines.push('');
  lines.push(quorumLine(paint, report.quorum));
  for (const record of report.quorum.fencing.history.slice(-3)) {
    lines.push(paint.dim(`  fencing ${clockTime(record.wallTime)} ${record.node} by ${record.by}: ${record.ok ? 'done' : 'FAILED'} (${record.summary})`));
  }
  const drops = Object.entries(report.counters.dropped).filter(([, count]) => count > 0);
  lines.push(drops.length === 0 ? `dropped packets: none` : `dropped packets: ${drops.map(([reason, count]) => `${reason} ${count}`).join(', ')}`);
  for (const warning of report.warnings) lines.push(paint.yellow(`warning: ${warning}`));
  if (report.events.length > 0) {
    lines.push('');
    lines.push(paint.dim('recent events:'));
    for (const event of report.events.slice(-8)) {
      lines.push(`  ${clockTime(event.wallTime)} ${event.kind}${event.group ? ` ${event.group}` : event.node ? ` ${event.node}` : ''}${event.link ? `/${event.link}` : ''}: ${event.reason}`);
    }
  }
  return lines.join('\n') + '\n';
}

function quorumLine(paint: Paint, quorum: StatusReport['quorum']): string {
  const state = quorum.status === 'quorate' ? paint.green('quorate') : quorum.status === 'pending' ? paint.yellow('undecided') : paint.red('NO QUORUM');
  const parts = [`quorum: ${state}, ${quorum.votes}/${quorum.expected} votes (${quorum.needed} needed), policy ${quorum.policy}, protection: ${quorum.guarantee}`];
  if (quorum.arbitrator !== null) parts.push(`arbitrator ${quorum.arbitrator}${quorum.arbitratorVote !== null ? ` (backs ${quorum.arbitratorVote || 'nobody'})` : ''}`);
  if (quorum.pingTargets !== null) parts.push(`ping ${quorum.pingScore ?? 0}/${quorum.pingTargets}`);
  if (quorum.watchdog.configured) parts.push(`watchdog ${quorum.watchdog.fed ? 'fed' : paint.red('NOT FED')}`);
  if (quorum.fencing.configured) parts.push(`fencing ${quorum.fencing.failing.length > 0 ? paint.red('FAILING') : quorum.fencing.inFlight.length > 0 ? 'in progress' : 'ready'}`);
  return parts.join('; ');
}

export function phaseColour(paint: Paint, phase: string): string {
  const word = phase.trim();
  if (word === 'running') return paint.green(phase);
  if (word === 'stopped') return paint.dim(phase);
  if (word === 'unclean' || word === 'failed') return paint.red(phase);
  return paint.yellow(phase);
}

/** `tandem why GROUP`: where the group is and why, then its story, oldest first. */
export function formatWhy(report: WhyReport, paint: Paint): string {
  const lines: string[] = [];
  lines.push(`${paint.bold(report.group)} on ${report.node}: ${phaseColour(paint, report.phase)}; runs on ${report.holders.join(' + ') || 'no node'}; should run on ${report.target ?? 'no node'}`);
  if (report.pinnedTo !== null) lines.push(`placed on ${report.pinnedTo} by the operator (tandem move ${report.group} --clear to undo)`);
  if (report.blockedBy !== null) lines.push(paint.yellow(`waiting: ${report.blockedBy}`));
  const failures = Object.entries(report.failCounts).filter(([, count]) => count > 0);
  if (failures.length > 0) lines.push(`failures: ${failures.map(([node, count]) => `${node} ${count}`).join(', ')} (tandem cleanup ${report.group} forgets them)`);
  for (const resource of report.resources) lines.push(paint.dim(`  ${resource.id}: ${resource.state}${resource.lastResult ? ` (last: ${resource.lastResult})` : ''}`));
  lines.push('');
  lines.push(`quorum here: ${report.quorum.status} (${report.quorum.reason}); protection: ${report.quorum.guarantee}`);
  for (const record of report.fencing.history.slice(-5)) lines.push(`fencing ${clockTime(record.wallTime)} ${record.node} by ${record.by}: ${record.ok ? 'done' : paint.red('FAILED')} (${record.summary})`);
  for (const record of report.fencing.fenced) lines.push(paint.dim(`fenced: ${record.node} (generation ${record.generation}) by ${record.by}: ${record.summary}`));
  lines.push('');
  for (const entry of report.story) lines.push(`${clockTime(entry.wallTime)} ${paint.bold(entry.what)}\n         ${entry.why}`);
  return lines.join('\n') + '\n';
}
