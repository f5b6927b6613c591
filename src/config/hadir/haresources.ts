/**
 * heartbeat's /etc/ha.d/haresources → one entry per resource group, each resource read the way heartbeat's
 * ResourceManager reads it (research notes §6.1).
 *
 *     ha1 192.0.2.100/24/eth1 Filesystem::/dev/sdb1::/data::ext4 \
 *         httpd                  # one logical line = one group; its first word is the home node
 *
 *   - `#` starts a comment (to the end of the physical line); blank lines are skipped; a physical line ending in `\`
 *     joins the next one (heartbeat's own check looks at the raw line, before comments are removed).
 *   - The first word is the group's home ("preferred") node, lower-cased as heartbeat does.
 *   - A word matching the shell glob `[0-9]*.[0-9]*.[0-9]*.[0-9]*` is shorthand for `IPaddr::WORD`, WORD being
 *     `IP[/prefix[/iface[/broadcast]]]`; `NAME::a::b` runs `NAME a b start|stop|status`.
 *   - The group's key (heartbeat names groups by it) is its first resource as written.
 *
 * Invariants:
 *   1. Pure: no script is looked up here (import.ts does it through an injected lookup).
 *   2. Every issue carries the line and column of the word it is about.
 */
import { HEARTBEAT_IP_SCRIPT, isIpShorthand, parseHaresource, parseIpShorthand, type IpShorthand } from '../../agents/heartbeat-script.js';
import type { ConfigIssue } from '../model.js';
import type { Site, SourceComment, Word } from './hacf.js';

export interface HaresourcesResource {
  readonly word: Word;
  /** `IPaddr` for the bare-address shorthand. */
  readonly script: string;
  readonly args: readonly string[];
  /** For the bare shorthand, `IPaddr::SPEC` and `IPaddr2::SPEC`: the address read from SPEC. */
  readonly ip?: IpShorthand;
}

export interface HaresourcesGroup {
  readonly at: Site;
  /** Lower-cased. */
  readonly node: Word;
  /** heartbeat's group key: the first resource as written. */
  readonly key: string;
  readonly resources: readonly HaresourcesResource[];
}

/** The scripts whose one argument is an `IP[/prefix[/iface[/broadcast]]]` spec. */
export const IP_SCRIPTS: readonly string[] = [HEARTBEAT_IP_SCRIPT, 'IPaddr2'];

/**
 * Parses haresources text.
 *
 * @example
 * const { groups, issues } = parseHaresources('ha1 192.0.2.100 httpd\n', '/etc/ha.d/haresources');
 */
export function parseHaresources(text: string, fileName: string): { groups: HaresourcesGroup[]; issues: ConfigIssue[] } {
  const issues: ConfigIssue[] = [];
  const error = (at: Site, path: string, message: string): void => {
    issues.push({ severity: 'error', code: 'TND_E_CONFIG_HARESOURCES_SYNTAX', file: fileName, line: at.line, column: at.column, path, message });
  };
  const groups: HaresourcesGroup[] = [];
  let pending: Word[] = [];
  let pendingAt: Site | undefined;
  const flush = (): void => {
    const words = pending;
    const at = pendingAt;
    pending = [];
    pendingAt = undefined;
    if (at === undefined || words.length === 0) return;
    const [nodeWord, ...rest] = words as [Word, ...Word[]];
    const node = { ...nodeWord, text: nodeWord.text.toLowerCase() };
    if (rest.length === 0) {
      error(nodeWord, node.text, `the line for node '${node.text}' lists no resource: write 'NODE RESOURCE…' (an IP address, or SCRIPT::ARG::…)`);
      return;
    }
    const resources: HaresourcesResource[] = [];
    for (const word of rest) {
      const resource = readResource(word, (message) => error(word, node.text, message));
      if (resource !== undefined) resources.push(resource);
    }
    if (resources.length === rest.length) groups.push({ at, node, key: (rest[0] as Word).text, resources });
  };

  text.split('\n').forEach((raw, i) => {
    const line = i + 1;
    const physical = raw.replace(/\r$/, '');
    const continues = physical.endsWith('\\');
    let body = continues ? physical.slice(0, -1) : physical;
    const hash = body.indexOf('#');
    if (hash >= 0) body = body.slice(0, hash);
    for (const match of body.matchAll(/\S+/g)) {
      const word: Word = { text: match[0], line, column: (match.index ?? 0) + 1 };
      pendingAt ??= { line, column: word.column };
      pending.push(word);
    }
    if (!continues) flush();
  });
  flush();
  return { groups, issues };
}

/**
 * The comments of haresources, by the rules of `parseHaresources`: a `#` starts one (to the end of the physical
 * line); the `\` that continues a line is not part of it.
 */
export function haresourcesComments(text: string): SourceComment[] {
  const out: SourceComment[] = [];
  text.split('\n').forEach((raw, i) => {
    const physical = raw.replace(/\r$/, '');
    const body = physical.endsWith('\\') ? physical.slice(0, -1) : physical;
    const hash = body.indexOf('#');
    if (hash >= 0) out.push({ line: i + 1, text: body.slice(hash + 1), trailing: body.slice(0, hash).trim() !== '' });
  });
  return out;
}

function readResource(word: Word, fail: (message: string) => void): HaresourcesResource | undefined {
  const parsed = parseHaresource(word.text);
  if (!parsed.ok) {
    fail(parsed.issues.map((issue) => issue.message).join('; '));
    return undefined;
  }
  const { script, args } = parsed.value;
  if (isIpShorthand(word.text) || (IP_SCRIPTS.includes(script) && args.length === 1)) {
    const spec = args[0] ?? '';
    const ip = parseIpShorthand(spec);
    if (!ip.ok) {
      // IPaddr2 takes IP[/prefix[/iface[/broadcast]]] too; a spec that is not one is left to the script.
      if (isIpShorthand(word.text) || script === HEARTBEAT_IP_SCRIPT) {
        fail(ip.issues.map((issue) => issue.message).join('; '));
        return undefined;
      }
      return { word, script, args };
    }
    return { word, script, args, ip: ip.value };
  }
  return { word, script, args };
}
