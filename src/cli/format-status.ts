/**
 * Renders the status report for a person: one line per node with its links, then drops, warnings and events.
 * Colour only when the output is a terminal (and NO_COLOR is unset).
 */
import type { NodeStatus, StatusReport } from '../api/status-report.js';
import { formatDuration } from '../lib/duration.js';

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
  const drops = Object.entries(report.counters.dropped).filter(([, count]) => count > 0);
  lines.push('');
  lines.push(drops.length === 0 ? `dropped packets: none` : `dropped packets: ${drops.map(([reason, count]) => `${reason} ${count}`).join(', ')}`);
  for (const warning of report.warnings) lines.push(paint.yellow(`warning: ${warning}`));
  if (report.events.length > 0) {
    lines.push('');
    lines.push(paint.dim('recent events:'));
    for (const event of report.events.slice(-8)) {
      lines.push(`  ${clockTime(event.wallTime)} ${event.kind}${event.node ? ` ${event.node}` : ''}${event.link ? `/${event.link}` : ''}: ${event.reason}`);
    }
  }
  return lines.join('\n') + '\n';
}
