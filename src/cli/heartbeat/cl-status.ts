/**
 * `cl_status`, heartbeat's status query tool, answered from tandem's status report (research notes §9). Admins'
 * scripts parse its output and exit codes, so both follow heartbeat 3.0.6's binary: the same lines on stdout, the
 * same messages on stderr (its `cl_log` lines keep their `Mon DD HH:MM:SS host cl_status: [pid]: ERROR:` prefix),
 * the same exit codes: 0 OK, 1 a "normal failure" (node or link dead, client offline, parameter unknown, daemon
 * stopped), 11 bad parameters or an unknown node, 12 timeout, 13 other errors; `clientstatus` also 2 (`join`) and
 * 3 (`leave`).
 *
 * As in heartbeat, the sub-command is checked first (`X: invalid sub-command.`, rc 11, without asking the daemon),
 * then the daemon is asked ("signon": here, one status request), then the options and parameters are checked.
 * When the daemon cannot be reached every sub-command but `hbstatus` prints heartbeat's signon failure (rc 1), with
 * tandem's reason in its `REASON:` line. Where heartbeat's `REASON:` was empty (an unknown link or parameter), tandem
 * says what was wrong.
 *
 * `clientstatus NODE CLIENT`: tandem has no API clients. Its ipfail behaviour is built in, so the client `ipfail` is
 * `online` on a live node when ping targets are a tie-breaker (ipfail's job; from an ha.d, ha.cf respawned ipfail)
 * and `offline` otherwise (ping nodes that are only reported, or none); every
 * other client is `offline` (rc 1). A node that is not alive cannot answer: heartbeat's query timed out (`No
 * timely response.`, rc 13), and so does this one, at once. The timeout argument is accepted and not needed.
 *
 * Pure: arguments and what the daemon said in, {stdout, stderr, exitCode} out.
 */
import type { StatusReport } from '../../api/status-report.js';
import { parameterValue, versionString } from './parameters.js';
import { logStamp } from './stamp.js';
import { DEFAULT_WEIGHT, findNode, heartbeatNodes, resourceStatus, type HbNode } from './view.js';

export const CL_STATUS_EXIT = { ok: 0, fail: 1, parameter: 11, timeout: 12, unknown: 13 } as const;

/**
 * The usage: heartbeat's layout (the synopsis line, each sub-command with its arguments, a tab-indented line
 * under it) in tandem's own words, on stdout with rc 0, as heartbeat printed its own.
 */
export const CL_STATUS_USAGE = `Usage: cl_status <sub-command> [<options>] [<parameters>]

Sub-commands:
clientstatus <node-name> <client-id> [<timeout>]
\tWhether a client runs on a node (tandem: only ipfail, built in).
hblinkstatus <node-name> <link-name>
\tWhether a node's heartbeat link is up or dead.
hbstatus
\tWhether the cluster daemon runs on this machine.
\tOptions:
\t\t-v\tverbose: version, then what "listnodes -v" prints
listnodes [<option>]
\tThe cluster's nodes, one per line.
\tOptions:
\t\t-p\tping nodes only
\t\t-n\tnormal nodes only
\t\t-v\tverbose: each node's status and type,
\t\t\tthen its links as "listhblinks -v" prints them
listhblinks <node-name>
\tA node's heartbeat links (interfaces).
\tOptions:
\t\t-v\tverbose: with each link's status
nodestatus <node-name>
\tA node's status.
nodeweight <node-name>
\tA node's weight.
nodesite <node-name>
\tA node's site.
nodetype <node-name>
\tA node's type (normal or ping).
rscstatus
\tWhich resource groups this node holds (local, foreign, all, none, transition).
hbparameter -p <parameter-name>
\tThe value of a cluster parameter (ha.cf directive names).
All sub-commands take -m for sentences instead of bare values.
`;

export interface Outcome {
  readonly stdout: string;
  readonly stderr: string;
  readonly exitCode: number;
}

/** What asking the daemon gave: its report, or why there is none. */
export type Signon =
  | { readonly kind: 'ok'; readonly report: StatusReport }
  /** Nothing listens on the socket: heartbeat's "stopped". */
  | { readonly kind: 'stopped'; readonly reason: string }
  /** Something listens but does not let us in (permissions): heartbeat's "refuses my connection". */
  | { readonly kind: 'refused'; readonly reason: string }
  /** It accepted the connection and did not answer in time: heartbeat's alarm, rc 12. */
  | { readonly kind: 'timeout'; readonly reason: string };

/** What heartbeat's `cl_log` puts before a message on stderr. */
export interface LogContext {
  readonly now: Date;
  readonly host: string;
  readonly pid: number;
}

/** Sub-commands and their getopt option strings (a letter followed by ':' takes a value). */
const SUB_COMMANDS = {
  hbstatus: 'mv',
  listnodes: 'mpnv',
  nodestatus: 'm',
  nodeweight: 'm',
  nodesite: 'm',
  nodetype: 'm',
  listhblinks: 'mv',
  hblinkstatus: 'm',
  clientstatus: 'm',
  rscstatus: 'm',
  hbparameter: 'mp:',
  test: '',
} as const;

export type SubCommand = keyof typeof SUB_COMMANDS;

export type ClStatusRequest =
  | { readonly kind: 'usage' }
  | { readonly kind: 'invalid'; readonly word: string }
  | { readonly kind: 'command'; readonly name: SubCommand; readonly args: readonly string[] };

/** Step 1, before the daemon is asked: usage, an invalid sub-command, or a sub-command and its arguments. */
export function parseClStatus(argv: readonly string[]): ClStatusRequest {
  const [first, ...rest] = argv;
  if (first === undefined || (first === '-h' && rest.length === 0)) return { kind: 'usage' };
  if (Object.hasOwn(SUB_COMMANDS, first)) return { kind: 'command', name: first as SubCommand, args: rest };
  return { kind: 'invalid', word: first };
}

/** One `cl_log` line as heartbeat's tools write it to stderr. */
export function clLogLine(log: LogContext, message: string): string {
  return `${logStamp(log.now)} ${log.host} cl_status: [${log.pid}]: ERROR: ${message}\n`;
}

/** The answer to a request that needs no daemon (usage, invalid sub-command); undefined when it needs one. */
export function answerWithoutDaemon(request: ClStatusRequest, log: LogContext): Outcome | undefined {
  if (request.kind === 'usage') return { stdout: CL_STATUS_USAGE, stderr: '', exitCode: CL_STATUS_EXIT.ok };
  if (request.kind === 'invalid') return { stdout: '', stderr: clLogLine(log, `${request.word}: invalid sub-command.`), exitCode: CL_STATUS_EXIT.parameter };
  return undefined;
}

/** One option getopt returned: its letter (with its value), or '?' with getopt's own complaint. */
type Parsed = { readonly letter: string; readonly value?: string } | { readonly letter: '?'; readonly complaint: string };

/**
 * GNU getopt as cl_status calls it (over the arguments after the sub-command, which plays argv[0] in getopt's
 * messages): options may come anywhere, clusters like `-mv` and `-pNAME` work, `--` ends the options.
 */
function getopt(sub: string, args: readonly string[], optstring: string): { options: Parsed[]; positionals: string[] } {
  const options: Parsed[] = [];
  const positionals: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg === '--') {
      positionals.push(...args.slice(i + 1));
      break;
    }
    if (!arg.startsWith('-') || arg === '-') {
      positionals.push(arg);
      continue;
    }
    for (let j = 1; j < arg.length; j++) {
      const letter = arg[j] as string;
      const at = optstring.indexOf(letter);
      if (letter === ':' || at < 0) {
        options.push({ letter: '?', complaint: `${sub}: invalid option -- '${letter}'\n` });
        continue;
      }
      if (optstring[at + 1] !== ':') {
        options.push({ letter });
        continue;
      }
      const attached = arg.slice(j + 1);
      if (attached !== '') options.push({ letter, value: attached });
      else if (i + 1 < args.length) options.push({ letter, value: args[++i] as string });
      else options.push({ letter: '?', complaint: `${sub}: option requires an argument -- '${letter}'\n` });
      break;
    }
  }
  return { options, positionals };
}

interface Options {
  readonly human: boolean;
  readonly letters: ReadonlySet<string>;
  readonly values: ReadonlyMap<string, string>;
  readonly positionals: readonly string[];
}

class Answer {
  stdout = '';
  stderr = '';
  constructor(private readonly log: LogContext) {}
  out(line: string): void {
    this.stdout += line + '\n';
  }
  err(line: string): void {
    this.stderr += line + '\n';
  }
  clLog(message: string): void {
    this.stderr += clLogLine(this.log, message);
  }
  done(exitCode: number): Outcome {
    return { stdout: this.stdout, stderr: this.stderr, exitCode };
  }
}

/**
 * Reads the options the way each sub-command of cl_status does. On an option error it returns the exit code:
 * hbstatus ignores bad options; listnodes, listhblinks and hbparameter log "character code"; the others log
 * "character" (both messages verbatim, the missing space included).
 */
function readOptions(name: SubCommand, args: readonly string[], answer: Answer): Options | number {
  if (name === 'test') return { human: false, letters: new Set(), values: new Map(), positionals: args };
  const { options, positionals } = getopt(name, args, SUB_COMMANDS[name]);
  const letters = new Set<string>();
  const values = new Map<string, string>();
  for (const option of options) {
    if ('complaint' in option) {
      answer.stderr += option.complaint;
      if (name === 'hbstatus') continue;
      answer.clLog(name === 'listnodes' || name === 'listhblinks' || name === 'hbparameter' ? 'Error: getopt returnedcharacter code ?.' : 'Error: getopt returnedcharacter ?.');
      return CL_STATUS_EXIT.parameter;
    }
    letters.add(option.letter);
    if (option.value !== undefined) values.set(option.letter, option.value);
  }
  return { human: letters.has('m'), letters, values, positionals };
}

function listNodes(report: StatusReport, answer: Answer, filter: { normal: boolean; ping: boolean }, verbose: boolean, human: boolean): void {
  const both = filter.normal && filter.ping;
  if (human) answer.out('The nodes are as follow:');
  for (const node of heartbeatNodes(report)) {
    if (!both && filter.normal && node.type !== 'normal') continue;
    if (!both && filter.ping && node.type !== 'ping') continue;
    if (!verbose) {
      answer.out(node.name);
      continue;
    }
    answer.out(`\n${node.name}\t${node.status}\t(nodetype: ${node.type})`);
    listLinks(node, answer, true, human);
  }
}

function listLinks(node: HbNode, answer: Answer, verbose: boolean, human: boolean): void {
  if (human) answer.out('\tthis node has the following heartbeat links:');
  for (const link of node.links) answer.out(verbose ? `\t${link.name}\t${link.status}` : `\t${link.name}`);
}

function unknownNodeReason(report: StatusReport, name: string): string {
  return `no node named '${name}' (nodes: ${heartbeatNodes(report).map((node) => node.name).join(', ')})`;
}

/** Step 2: the sub-command's answer, given what the daemon said. */
export function answerClStatus(name: SubCommand, args: readonly string[], signon: Signon, log: LogContext): Outcome {
  const answer = new Answer(log);
  if (signon.kind !== 'ok') {
    if (signon.kind === 'timeout') {
      // heartbeat's 5 s alarm ended it silently with 12; tandem says why.
      answer.clLog('Cannot signon with heartbeat');
      answer.clLog(`REASON: ${signon.reason}`);
      return answer.done(CL_STATUS_EXIT.timeout);
    }
    if (name !== 'hbstatus') {
      answer.clLog('Cannot signon with heartbeat');
      answer.clLog(`REASON: ${signon.reason}`);
      return answer.done(CL_STATUS_EXIT.fail);
    }
    const options = readOptions(name, args, answer);
    if (typeof options === 'number') return answer.done(options);
    // "stopped" when nothing listens, as heartbeat said when its deadtime was unknown (no signon ever worked).
    answer.out(signon.kind === 'stopped' ? 'Heartbeat is stopped on this machine.' : 'Heartbeat is apparently running on this machine, but refuses my connection');
    if (options.letters.has('v')) answer.out(`(${signon.reason})`);
    return answer.done(signon.kind === 'stopped' ? CL_STATUS_EXIT.fail : CL_STATUS_EXIT.ok);
  }

  const report = signon.report;
  const options = readOptions(name, args, answer);
  if (typeof options === 'number') return answer.done(options);
  const { human, letters, positionals } = options;
  const [first, second] = positionals;
  const notEnough = (text: 'Not enough parameters.' | 'No enough parameter.'): Outcome => {
    answer.err(text);
    return answer.done(CL_STATUS_EXIT.parameter);
  };

  switch (name) {
    case 'hbstatus': {
      if (!letters.has('v')) {
        answer.out('Heartbeat is running on this machine.');
        return answer.done(CL_STATUS_EXIT.ok);
      }
      // tandem's groups are heartbeat's haresources model (a home node, failover, no Pacemaker): scripts that
      // branch on "pacemaker" take the haresources path, where rscstatus works.
      if (human) {
        answer.out(`Heartbeat version ${versionString(report)}`);
        answer.out('Resources controlled by "haresources"');
      } else {
        answer.out(`version:\t${versionString(report)}`);
        answer.out('managed by:\t"haresources"');
      }
      listNodes(report, answer, { normal: false, ping: false }, true, human);
      return answer.done(CL_STATUS_EXIT.ok);
    }
    case 'listnodes':
      listNodes(report, answer, { normal: letters.has('n'), ping: letters.has('p') }, letters.has('v'), human);
      return answer.done(CL_STATUS_EXIT.ok);
    case 'nodestatus': {
      if (first === undefined) return notEnough('Not enough parameters.');
      const node = findNode(report, first);
      if (node === undefined) {
        answer.err('Error. May be due to incorrect node name');
        return answer.done(CL_STATUS_EXIT.parameter);
      }
      answer.out(human ? `The cluster node ${first} is ${node.status}` : node.status);
      return answer.done(node.status === 'active' || node.status === 'ping' ? CL_STATUS_EXIT.ok : CL_STATUS_EXIT.fail);
    }
    case 'nodeweight': {
      if (first === undefined) return notEnough('Not enough parameters.');
      if (findNode(report, first) === undefined) {
        answer.err('Error. Maybe due to incorrect node name.');
        return answer.done(CL_STATUS_EXIT.parameter);
      }
      answer.out(human ? `The weight of the cluster node ${first} is ${DEFAULT_WEIGHT}` : String(DEFAULT_WEIGHT));
      return answer.done(CL_STATUS_EXIT.ok);
    }
    case 'nodesite': {
      if (first === undefined) return notEnough('Not enough parameters.');
      if (findNode(report, first) === undefined) {
        answer.err('Error. May be due to incorrect node name');
        return answer.done(CL_STATUS_EXIT.parameter);
      }
      // heartbeat's site is empty unless set through its API; tandem has no sites.
      answer.out(human ? `The site of the cluster node ${first} is ` : '');
      return answer.done(CL_STATUS_EXIT.ok);
    }
    case 'nodetype': {
      if (first === undefined) return notEnough('No enough parameter.');
      const node = findNode(report, first);
      if (node === undefined) {
        answer.err('Error. May be due to incorrect node name');
        return answer.done(CL_STATUS_EXIT.parameter);
      }
      answer.out(human ? `The node ${first}'s type: ${node.type}` : node.type);
      return answer.done(CL_STATUS_EXIT.ok);
    }
    case 'listhblinks': {
      if (first === undefined) return notEnough('No enough parameter.');
      const node = findNode(report, first);
      if (node === undefined) {
        answer.clLog('Cannot start heartbeat link interface walk.');
        answer.clLog(`REASON: ${unknownNodeReason(report, first)}`);
        return answer.done(CL_STATUS_EXIT.unknown);
      }
      listLinks(node, answer, letters.has('v'), human);
      return answer.done(CL_STATUS_EXIT.ok);
    }
    case 'hblinkstatus': {
      if (first === undefined || second === undefined) return notEnough('No enough parameter.');
      const node = findNode(report, first);
      const link = node?.links.find((candidate) => candidate.name === second);
      if (node === undefined || link === undefined) {
        answer.clLog('Cannot get heartbeat link status');
        answer.clLog(`REASON: ${node === undefined ? unknownNodeReason(report, first) : `node '${first}' has no link '${second}' (links: ${node.links.map((l) => l.name).join(', ') || 'none'})`}`);
        return answer.done(CL_STATUS_EXIT.unknown);
      }
      answer.out(human ? `The node ${first}'s heartbeat link ${second} is ${link.status}` : link.status);
      return answer.done(link.status === 'up' ? CL_STATUS_EXIT.ok : CL_STATUS_EXIT.fail);
    }
    case 'clientstatus': {
      if (first === undefined || second === undefined) return notEnough('No enough parameter.');
      const node = findNode(report, first);
      if (node === undefined || node.type !== 'normal' || node.status !== 'active') {
        answer.clLog(`Cannot get heartbeat client ${second}'s status`);
        answer.clLog(`REASON: ${node === undefined ? unknownNodeReason(report, first) : node.type === 'ping' ? `'${first}' is a ping node, which runs no clients` : 'No timely response.'}`);
        return answer.done(CL_STATUS_EXIT.unknown);
      }
      // ipfail runs where ping targets are a tie-breaker (from an ha.d: `respawn … ipfail` was there).
      const online = second === 'ipfail' && report.ping !== null && report.ping !== undefined && report.ping.tieBreaker !== false && report.ping.targets.length > 0;
      answer.out(online ? 'online' : 'offline');
      return answer.done(online ? CL_STATUS_EXIT.ok : CL_STATUS_EXIT.fail);
    }
    case 'rscstatus': {
      const hold = resourceStatus(report);
      answer.out(human ? `This node is holding ${hold} resources.` : hold);
      return answer.done(CL_STATUS_EXIT.ok);
    }
    case 'hbparameter': {
      const parameter = options.values.get('p');
      if (parameter === undefined) {
        answer.clLog('parameter name required');
        return answer.done(CL_STATUS_EXIT.parameter);
      }
      const found = parameterValue(report, parameter);
      if ('missing' in found) {
        answer.clLog(`Cannot get parameter ${parameter}'s value`);
        answer.clLog(`REASON: ${found.missing}`);
        return answer.done(CL_STATUS_EXIT.fail);
      }
      answer.out(human ? `Heartbeat parameter ${parameter}'s value: ${found.value}` : found.value);
      return answer.done(CL_STATUS_EXIT.ok);
    }
    case 'test':
      // Undocumented in heartbeat; kept because it is there (its "keeplive" typo too).
      answer.stdout += `Dead time: ${report.timings.deadtimeMs}\n keeplive time: ${report.timings.keepaliveMs}\n mynodeid: ${report.node}\n rsc: ${resourceStatus(report)}\n`;
      return answer.done(CL_STATUS_EXIT.ok);
  }
}
