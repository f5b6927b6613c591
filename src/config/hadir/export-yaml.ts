/**
 * heartbeat's /etc/ha.d, as imported (import.ts) → tandem YAML text for the same cluster, keeping the admin's
 * comments next to what they commented and adding a `# NOTE (import): …` wherever the meaning changed or something
 * was left out (`tandem config import`).
 *
 * Where things go:
 *   - Each ha.cf directive and haresources line has a place in the YAML (its "slot"): `keepalive 2` → the
 *     `keepalive:` key under timings, `node X` → X's entry under nodes, `bcast eth1` → the link it became,
 *     `udpport` → that link's port, `ping` → its entry under ping.targets, a haresources line → its group, each of
 *     its words → that resource. The comment lines above a line go above its slot; a trailing comment
 *     (`node server201 ##节点1`) goes at the end of the slot's first line.
 *   - A directive that maps to nothing (logfile, apiauth, hopfudge, a respawn, ping nodes without ipfail…) is
 *     repeated as a comment, with the comments above it, next to the closest section (logging, runtime_dir,
 *     links) or at the end of the file, followed by the note saying why it has no effect.
 *   - A file's header — its leading comments up to the last separator (a blank line or a lone `#`) before its first
 *     line of settings — goes at the top of its section: ha.cf's at the top of the YAML, haresources' above `groups:`.
 *     Comments after the last setting go at the end.
 *   - Every warning of the import becomes a note at the slot of the line it is about (the same text, with its code);
 *     authkeys' notes go on `key_file` with anything quoted left out, since those messages may quote a key.
 *   - Notes the import gives no warning for: timings that are heartbeat's defaults, derived node and broadcast
 *     addresses, IPaddr run as the built-in ipaddr, resources without a recurring monitor, group names and node
 *     order, the ping, watchdog and fencing mappings, the key file's derivation, quorum with more than two nodes,
 *     scripts imported from a directory other than the one tandem runs them from.
 *
 * Invariants:
 *   1. Pure: texts, the import's result and the key file's path in, text out.
 *   2. The YAML holds exactly the config (tandem/write.ts): reading it back gives the same config digest.
 *   3. Every comment of ha.cf and haresources appears in the YAML, verbatim after its `#`; no authkeys text does, and
 *      no secret: the key itself only ever goes to the key file (`hadirKeyFileText`).
 */
import { dirname, join } from 'node:path';
import { isMap, isPair, isScalar, isSeq, type Document, type Node, type Pair } from 'yaml';
import { HEARTBEAT_SCRIPT_DIRS_DEFAULT } from '../../agents/heartbeat-script.js';
import { isUnspecifiedAddress } from '../address.js';
import { configDigest } from '../digest.js';
import type { ClusterConfig, ConfigIssue, KeyRing } from '../model.js';
import { configDocument, durationText, type OptionalSection } from '../tandem/write.js';
import { authkeysComments, parseAuthkeys, redactAuthkeysMessage } from './authkeys.js';
import { haCfComments, type HaCf, type HaCfDirective, type SourceComment } from './hacf.js';
import { haresourcesComments, type HaresourcesGroup } from './haresources.js';
import type { HadirFiles } from './import.js';

export interface HadirExportInput {
  readonly files: HadirFiles;
  /** The files' paths, as the import's issues name them. */
  readonly paths: Readonly<Record<keyof HadirFiles, string>>;
  readonly hacf: HaCf;
  readonly haresources: readonly HaresourcesGroup[];
  /** The import's config: its groups are the haresources groups, in order. */
  readonly config: ClusterConfig;
  /** The import's issues (warnings: there is a config). */
  readonly issues: readonly ConfigIssue[];
  /** `key_file` as the YAML should say it. */
  readonly keyFile: string;
}

/** A place in the YAML: the top or the end of the document, or a node by its path (tandem/write.ts's shape). */
type Slot = 'top' | 'end' | readonly (string | number)[];

const NOTE = ' NOTE (import):';
const NOTE_WIDTH = 110;
/** A line of a comment block that the YAML library prints as an empty line. */
const BLANK = '';
/** A blank line of a source file: a separator between comment paragraphs, not printed. */
const BLANK_LINE = Symbol('blank line');
const LOGGING_DIRECTIVES = new Set(['logfile', 'debugfile', 'logfacility', 'use_logd', 'conn_logd_time', 'syslogmsgfmt', 'debug', 'log_badpack']);
const LINK_DIRECTIVES = new Set(['serial', 'hopfudge']);

/** Comment lines (already in the YAML library's form: the text after `#`) collected per slot. */
class Commentary {
  readonly before = new Map<string, { slot: Slot; lines: string[] }>();
  readonly trailing = new Map<string, { slot: Slot; lines: string[] }>();

  /** The admin's comment lines, as scanned (`#` alone becomes `#` again, not an empty line). */
  comments(slot: Slot, texts: readonly string[]): void {
    for (const text of texts) this.add(this.before, slot, text === BLANK ? ' ' : text);
  }

  blank(slot: Slot): void {
    this.add(this.before, slot, BLANK);
  }

  note(slot: Slot, text: string): void {
    const lines = wrap(text);
    const existing = this.before.get(key(slot))?.lines ?? [];
    if (existing.join('\n').includes(lines.join('\n'))) return; // one note once per place
    for (const line of lines) this.add(this.before, slot, line);
  }

  trail(slot: Slot, text: string): void {
    this.add(this.trailing, slot, text);
  }

  private add(map: Map<string, { slot: Slot; lines: string[] }>, slot: Slot, line: string): void {
    const entry = map.get(key(slot)) ?? { slot, lines: [] };
    entry.lines.push(line);
    map.set(key(slot), entry);
  }
}

function key(slot: Slot): string {
  return typeof slot === 'string' ? slot : JSON.stringify(slot);
}

/** `NOTE (import): text`, split at spaces into lines of about NOTE_WIDTH; continuation lines print as `#   …`. */
function wrap(text: string): string[] {
  const lines: string[] = [];
  let current = NOTE;
  let fresh = true;
  for (const word of text.split(' ')) {
    if (!fresh && current.length + 1 + word.length > NOTE_WIDTH) {
      lines.push(current);
      current = '  ';
    }
    current = `${current} ${word}`;
    fresh = false;
  }
  lines.push(current);
  return lines;
}

/** One file to walk: its text and comments, where each line of settings goes, and the notes about each line. */
interface FileLines {
  readonly text: string;
  readonly comments: readonly SourceComment[];
  readonly places: ReadonlyMap<number, LinePlace>;
  readonly lineNotes: ReadonlyMap<number, readonly { readonly slot: Slot; readonly text: string }[]>;
  /** Names the file on a repeated line. */
  readonly label: string;
}

/** Where a line of settings puts its comments and the notes about it. */
interface LinePlace {
  readonly slot: Slot;
  /** The line maps to nothing: it is repeated as a comment before its note. */
  readonly echo: boolean;
  /** Starts an entry (a directive, a haresources group): the comments above it are its own. */
  readonly starts: boolean;
  /** Where its trailing comment goes, when not `slot`. */
  readonly trailing?: Slot;
  /** The note for a line that maps to nothing and has no warning saying why. */
  readonly note?: string;
}

/**
 * The YAML text.
 *
 * @example
 * const imported = hadirToClusterConfig(files, options);
 * if (imported.config) process.stdout.write(hadirToYaml({ files, paths, hacf: imported.hacf, haresources: imported.haresources, config: imported.config, issues: imported.issues, keyFile: '/etc/tandem/keys' }));
 */
export function hadirToYaml(input: HadirExportInput): string {
  const { config } = input;
  const notes = new Commentary();
  const hacfPlaces = placeHaCf(input);
  const hrPlaces = placeHaresources(input);
  const always = new Set<OptionalSection>();
  for (const place of hacfPlaces.values()) {
    if (typeof place.slot !== 'string' && place.slot.length === 1 && (place.slot[0] === 'logging' || place.slot[0] === 'runtime_dir')) always.add(place.slot[0]);
  }

  notes.comments('top', [` tandem configuration imported from heartbeat's ${dirname(input.paths.haCf)} (ha.cf, haresources, authkeys) by 'tandem config import'.`]);
  notes.comments('top', [` It runs the same cluster as tandem's reading of that directory: config digest ${configDigest(config)} (see 'tandem status').`]);
  notes.comments('top', [" Comments are the admin's own, next to what they commented; NOTE (import) lines say what changed meaning or was left out."]);
  notes.blank('top');

  const hrHeader: Slot = config.groups.length > 0 ? ['groups'] : 'end';
  if (config.groups.length === 0) notes.note('end', `${input.paths.haresources} defines no resource group: heartbeat ran nothing, and neither does this cluster until groups are added.`);
  keyFileNote(notes, input);
  const issues = issueNotes(notes, input, hacfPlaces, hrPlaces);
  walkFile(notes, { text: input.files.haCf, comments: haCfComments(input.files.haCf), places: hacfPlaces, lineNotes: issues.haCf, label: 'ha.cf' }, 'top');
  walkFile(notes, { text: input.files.haresources, comments: haresourcesComments(input.files.haresources), places: hrPlaces.lines, lineNotes: issues.haresources, label: 'haresources' }, hrHeader);
  ownNotes(notes, input);

  const doc = configDocument(config, { keyFile: input.keyFile, always: [...always] });
  render(doc, notes);
  return doc.toString({ lineWidth: 0, flowCollectionPadding: false });
}

/** The key file's text: the derived key, authkeys' own comments, and where it came from. Holds the secret. */
export function hadirKeyFileText(input: { readonly files: Pick<HadirFiles, 'authkeys'>; readonly paths: Pick<HadirExportInput['paths'], 'authkeys'>; readonly keyRing: KeyRing }): string {
  const { authkeys } = parseAuthkeys(input.files.authkeys, input.paths.authkeys);
  const active = authkeys.entries.find((entry) => entry.index === authkeys.active);
  const lines = [
    `# tandem key file, derived by 'tandem config import' from ${input.paths.authkeys}${active !== undefined ? ` (auth ${active.index}, ${active.method})` : ''}.`,
    '# Every node that imports the same authkeys derives the same key. Keep this file mode 0600, as authkeys was.',
  ];
  const comments = authkeysComments(input.files.authkeys);
  if (comments.length > 0) lines.push('#', "# authkeys' own comments:", ...comments.map((c) => `#${c.text}`));
  lines.push(`send ${input.keyRing.sendKeyId}`);
  for (const k of input.keyRing.keys) lines.push(`${k.id} ${k.secret.toString('utf8')}`);
  return `${lines.join('\n')}\n`;
}

/**
 * Walks one file's lines: comments above a line that starts an entry go to its slot (the file's header, before the
 * first one, to `header`), trailing comments to the line's trailing slot, and what is left at the end to the end.
 */
function walkFile(notes: Commentary, file: FileLines, header: Slot): void {
  const { text, comments, places, lineNotes, label } = file;
  const byLine = new Map(comments.map((c) => [c.line, c]));
  /** Comment texts since the last line of settings; BLANK_LINE marks a blank line (a separator, not printed). */
  let pending: (string | typeof BLANK_LINE)[] = [];
  let first = true;
  text.split('\n').forEach((raw, index) => {
    const line = index + 1;
    const body = raw.replace(/\r$/, '');
    const comment = byLine.get(line);
    const place = places.get(line);
    if (place === undefined) {
      if (comment !== undefined) pending.push(comment.text);
      else if (body.trim() === '') pending.push(BLANK_LINE);
      return;
    }
    const own = lineNotes.get(line) ?? [];
    if (place.starts) {
      let block = pending;
      if (first) {
        const cut = headerLength(pending);
        notes.comments(header, printable(pending.slice(0, cut)));
        block = pending.slice(cut);
        first = false;
      }
      notes.comments(place.slot, printable(block));
      pending = [];
      if (place.echo) notes.comments(place.slot, [` ${label}: ${body.trim()}`]);
      if (place.note !== undefined && own.length === 0) notes.note(place.slot, place.note);
    }
    for (const note of own) notes.note(note.slot, note.text);
    if (comment?.trailing === true && !place.echo) notes.trail(place.trailing ?? place.slot, comment.text);
  });
  notes.comments(first ? header : 'end', printable(pending));
}


/**
 * How much of the block above a file's first line of settings is the file's header: up to the last separator (a
 * blank line or a lone `#`), and at least the first line, a file's title (a block without separators is otherwise
 * read as being about the line below it).
 */
function headerLength(block: readonly (string | typeof BLANK_LINE)[]): number {
  for (let i = block.length - 1; i > 0; i--) {
    const item = block[i];
    if (item === BLANK_LINE || (item !== undefined && item.trim() === '')) return i;
  }
  return Math.min(1, block.length);
}

function printable(block: readonly (string | typeof BLANK_LINE)[]): string[] {
  return block.filter((item): item is string => item !== BLANK_LINE);
}

/** Each ha.cf directive line → its slot (see the module comment). */
function placeHaCf(input: HadirExportInput): Map<number, LinePlace> {
  const { hacf, config } = input;
  const places = new Map<number, LinePlace>();
  const links = mediaLinks(input);
  const targets = config.ping?.groups.filter((g) => g.addresses.length === 1 && g.addresses[0] === g.name).map((g) => g.name) ?? [];
  const at = (slot: Slot, trailing?: Slot): LinePlace => ({ slot, echo: false, starts: true, ...(trailing !== undefined ? { trailing } : {}) });
  const echo = (slot: Slot, note?: string): LinePlace => ({ slot, echo: true, starts: true, ...(note !== undefined ? { note } : {}) });
  const place = (d: HaCfDirective): LinePlace => {
    const first = d.args[0]?.text;
    switch (d.name) {
      case 'node': {
        const index = config.nodes.findIndex((n) => n.name === first?.toLowerCase());
        return index >= 0 ? at(['nodes', index]) : at(['nodes']);
      }
      case 'keepalive':
      case 'deadtime':
      case 'warntime':
      case 'initdead':
        return at(['timings', d.name]);
      case 'deadping':
        return config.ping !== undefined ? at(['ping', 'dead']) : echo('end');
      case 'udpport': {
        // It sets the port of the bcast and ucast lines after it; with none after it, of no link (warned when that
        // matters: the value differs from the port the links have).
        const next = hacf.media.find((m) => m.at.line > d.at.line && m.kind !== 'serial' && !m.kind.startsWith('mcast') && links.has(m.at.line));
        const value = Number(first);
        const index = next !== undefined ? links.get(next.at.line) : config.links.findIndex((l) => l.port === value);
        return index !== undefined && index >= 0 ? at(['links', index, 'port']) : echo(['links'], "no bcast or ucast line follows it, so no link's port comes from it");
      }
      case 'bcast':
      case 'mcast':
      case 'mcast6':
      case 'ucast':
      case 'ucast6':
      case 'serial': {
        const index = links.get(d.at.line);
        return index !== undefined ? at(['links', index]) : echo(['links']);
      }
      case 'ping':
      case 'ping6': {
        const index = first !== undefined ? targets.indexOf(first) : -1;
        return index >= 0 ? at(['ping', 'targets', index]) : echo('end');
      }
      case 'ping_group':
        return config.ping?.groups.some((g) => g.name === first) === true ? at(['ping', 'groups', first ?? '']) : echo('end');
      case 'auto_failback':
      case 'nice_failback':
        return config.groups.length > 0 ? at(['groups', 0, 'failback']) : echo('end', 'haresources defines no group, so there is nothing to fail back');
      case 'respawn':
        return config.ping !== undefined && d.args[1]?.text.endsWith('/ipfail') === true ? at(['ping']) : echo('end');
      case 'watchdog':
        return config.watchdog !== undefined ? at(['watchdog']) : echo('end');
      case 'stonith_host': {
        const index = hacf.fenceDevices.findIndex((device) => device.at.line === d.at.line);
        return config.fencing !== undefined && index >= 0 ? at(['fencing', 'devices', index]) : echo('end');
      }
      case 'baud': {
        const index = config.links.findIndex((l) => l.baud !== undefined);
        return index >= 0 ? at(['links', index, 'baud']) : echo(['links']);
      }
      case 'cluster':
        return at(['cluster']);
      case 'autojoin':
        return echo('end', "tandem's nodes are the ones listed under nodes:, as with autojoin none");
      case 'crm':
      case 'pacemaker':
        return echo('end', 'heartbeat runs the haresources groups itself, as tandem does');
      default:
        if (LOGGING_DIRECTIVES.has(d.name)) return echo(['logging']);
        if (LINK_DIRECTIVES.has(d.name)) return echo(['links']);
        if (d.name === 'apiauth') return echo(['runtime_dir']);
        return echo('end');
    }
  };
  for (const d of hacf.directives) if (!places.has(d.at.line)) places.set(d.at.line, place(d));
  return places;
}

/**
 * ha.cf medium line → index of the link it became. Matched by content (transport, interface, group, port) rather
 * than by name, the first unused link winning; all the ucast lines of one interface share their link.
 */
function mediaLinks(input: HadirExportInput): Map<number, number> {
  const { hacf, config } = input;
  const out = new Map<number, number>();
  const used = new Set<number>();
  const ucast = new Map<string, number>();
  const ifaceOf = (link: string): string | undefined => config.nodes.map((n) => n.links[link]?.interface).find((i) => i !== undefined);
  for (const medium of hacf.media) {
    let index = -1;
    if (medium.kind === 'serial') {
      index = config.links.findIndex((l, i) => !used.has(i) && l.transport === 'serial');
    } else {
      const iface = medium.iface.text.split(':')[0];
      const kindKey = `${medium.kind}:${medium.iface.text}`;
      const fits = (i: number): boolean => {
        const link = config.links[i];
        if (link === undefined || used.has(i) || ifaceOf(link.name) !== iface || link.port !== medium.port) return false;
        if (medium.kind === 'bcast') return link.transport === 'udp-broadcast';
        if (medium.kind === 'mcast' || medium.kind === 'mcast6') return link.transport === 'udp-multicast' && link.group === medium.group.text;
        return link.transport === 'udp-unicast';
      };
      if (medium.kind === 'ucast' || medium.kind === 'ucast6') index = ucast.get(kindKey) ?? -1;
      if (index < 0) index = config.links.findIndex((_, i) => fits(i));
      if (medium.kind === 'ucast' || medium.kind === 'ucast6') ucast.set(kindKey, index);
    }
    if (index < 0) continue;
    used.add(index);
    if (!out.has(medium.at.line)) out.set(medium.at.line, index);
  }
  return out;
}

interface HaresourcesPlaces {
  readonly lines: Map<number, LinePlace>;
  /** `line:column` of a group's node word or a resource word → its slot. */
  readonly words: Map<string, Slot>;
}

/** Each haresources line → its group (the line that starts it) or the first resource on it (continuation lines). */
function placeHaresources(input: HadirExportInput): HaresourcesPlaces {
  const lines = new Map<number, LinePlace>();
  const words = new Map<string, Slot>();
  input.haresources.forEach((group, g) => {
    const groupSlot: Slot = ['groups', g];
    lines.set(group.node.line, { slot: groupSlot, echo: false, starts: true });
    words.set(`${group.node.line}:${group.node.column}`, groupSlot);
    group.resources.forEach((resource, r) => {
      const slot: Slot = ['groups', g, 'resources', r];
      words.set(`${resource.word.line}:${resource.word.column}`, slot);
      if (!lines.has(resource.word.line)) lines.set(resource.word.line, { slot: groupSlot, echo: false, starts: false, trailing: slot });
    });
  });
  return { lines, words };
}

type LineNotes = Map<number, { slot: Slot; text: string }[]>;

/**
 * Every issue of the import as a note where its line went (see the module comment). Notes about a line of ha.cf or
 * haresources are returned by line, for the walk to put them right after that line's own comments; the others
 * (authkeys, whole-file issues) are added at once.
 */
function issueNotes(notes: Commentary, input: HadirExportInput, hacf: ReadonlyMap<number, LinePlace>, haresources: HaresourcesPlaces): { haCf: LineNotes; haresources: LineNotes } {
  const { paths, config } = input;
  const out = { haCf: new Map() as LineNotes, haresources: new Map() as LineNotes };
  const atLine = (map: LineNotes, line: number, slot: Slot, text: string): void => {
    const list = map.get(line) ?? [];
    list.push({ slot, text });
    map.set(line, list);
  };
  for (const issue of input.issues) {
    const text = `${issue.message} [${issue.code}]`;
    if (issue.file === paths.authkeys) {
      // Redacted: these messages may quote a key or the words after it.
      notes.note(['key_file'], `${paths.authkeys}${issue.line > 0 ? ` line ${issue.line}` : ''}: ${redactAuthkeysMessage(issue.message)} [${issue.code}]`);
    } else if (issue.file === paths.haCf) {
      const place = hacf.get(issue.line);
      if (place !== undefined) atLine(out.haCf, issue.line, place.slot, text);
      else if (issue.path === 'auto_failback' && config.groups.length > 0) config.groups.forEach((_, g) => notes.note(['groups', g, 'failback'], text));
      else notes.note('top', `${paths.haCf}: ${text}`);
    } else if (issue.file === paths.haresources) {
      const slot = haresources.words.get(`${issue.line}:${issue.column}`) ?? haresources.lines.get(issue.line)?.slot;
      if (slot !== undefined) atLine(out.haresources, issue.line, slot, text);
      else notes.note(config.groups.length > 0 ? ['groups'] : 'top', `${paths.haresources}: ${text}`);
    } else {
      notes.note('top', `${issue.file}: ${text}`);
    }
  }
  return out;
}

/** How the key file came to be, above `key_file`, before authkeys' own warnings. */
function keyFileNote(notes: Commentary, input: HadirExportInput): void {
  const { authkeys } = parseAuthkeys(input.files.authkeys, input.paths.authkeys);
  const active = authkeys.entries.find((entry) => entry.index === authkeys.active);
  notes.note(
    ['key_file'],
    `the key file holds one key derived from authkeys' active entry${active !== undefined ? ` (auth ${active.index}, ${active.method})` : ''}: every node that imports this authkeys derives the same, and tandem signs with HMAC-SHA256 under it. 'tandem config import --write-keys' writes it, mode 0600; it is never printed.`,
  );
}

/** The notes no warning of the import gives (see the module comment). */
function ownNotes(notes: Commentary, input: HadirExportInput): void {
  const { config, hacf } = input;
  if (hacf.cluster === undefined) {
    const chosen = config.cluster === 'linux-ha' ? "linux-ha, heartbeat's default name" : `'${config.cluster}', the name given to the import (heartbeat's default is linux-ha)`;
    notes.note(['cluster'], `ha.cf has no 'cluster' line: ${chosen}. It travels in every message: every node must use the same.`);
  }

  const defaults: Readonly<Record<'keepalive' | 'warntime' | 'deadtime' | 'initdead', string>> = {
    keepalive: '1s',
    deadtime: '30s',
    warntime: 'half of deadtime',
    initdead: 'deadtime above 10s, 12s below 6s, twice deadtime between',
  };
  for (const name of ['keepalive', 'warntime', 'deadtime', 'initdead'] as const) {
    if (hacf[name] === undefined) notes.note(['timings', name], `not in ha.cf: heartbeat's default (${defaults[name]}), written out since tandem's own default differs.`);
  }

  notes.note(['links'], 'one link per bcast or mcast interface, one per interface of the ucast lines (all the ucast lines of an interface are one link); the names are made up from the medium and the interface.');
  config.links.forEach((link, i) => {
    if (link.broadcast === undefined) return;
    const iface = config.nodes.map((n) => n.links[link.name]?.interface).find((x) => x !== undefined) ?? 'its interface';
    notes.note(['links', i, 'broadcast'], `heartbeat asks the kernel for the broadcast address of ${iface} when it starts; tandem needs it written: derived from this host's address and netmask on ${iface}, or given to the import.`);
  });

  const endpoints = config.nodes.flatMap((node) => Object.entries(node.links).map(([link, endpoint]) => ({ link: config.links.find((l) => l.name === link), endpoint })));
  if (endpoints.some(({ endpoint }) => endpoint.address !== undefined && isUnspecifiedAddress(endpoint.address))) {
    notes.note(['nodes'], "0.0.0.0 (or ::) with an interface is the node's address on that interface when the link opens: heartbeat's bcast and mcast bound no address either.");
  }
  if (endpoints.some(({ endpoint }) => endpoint.address !== undefined && !isUnspecifiedAddress(endpoint.address))) {
    notes.note(
      ['nodes'],
      "tandem binds each node's socket to its own address on a link, where heartbeat bound none (bcast, mcast) or knew only the peers (ucast): the specific addresses below were derived from this host's interfaces, the ucast lines and the addresses given to the import. Check them.",
    );
  }
  if (config.nodes.length > 2 && config.groups.length > 0) {
    notes.note(['nodes'], `heartbeat's haresources mode had no quorum; this cluster stops the groups of a partition that lacks a majority of the ${config.nodes.length} nodes (quorum.no_quorum: ${config.quorum.noQuorum}).`);
  }

  const dir = dirname(input.paths.haCf);
  const scripts = config.groups.some((group) => group.resources.some((resource) => resource.agent.kind === 'heartbeat'));
  if (scripts && !HEARTBEAT_SCRIPT_DIRS_DEFAULT.includes(join(dir, 'resource.d'))) {
    notes.note(['groups'], `tandem runs heartbeat:NAME scripts from ${HEARTBEAT_SCRIPT_DIRS_DEFAULT.join(', ')}; this file was imported from ${dir}, whose resource.d it does not search: install the scripts there.`);
  }
  input.haresources.forEach((group, g) => {
    notes.note(['groups', g], `haresources line ${group.node.line}: named after its first resource ('${group.key}'), as heartbeat named groups; nodes: its home node first, then the other nodes in ha.cf order.`);
    group.resources.forEach((resource, r) => {
      const built = config.groups[g]?.resources[r];
      if (built === undefined) return;
      const slot: Slot = ['groups', g, 'resources', r];
      if (built.agent.kind === 'ipaddr') {
        const found = resource.ip?.iface === undefined || resource.ip.prefixLength === undefined;
        notes.note(
          slot,
          `'${resource.word.text}' runs as tandem's built-in ipaddr: the address is added to ${built.agent.interface} and announced by gratuitous ARP, as ${resource.script} did${found ? `; interface ${built.agent.interface} and prefix ${built.agent.prefix} were found on this host, as IPaddr's findif did at run time` : ''}.${built.monitorIntervalMs > 0 ? ` It is monitored every ${durationText(built.monitorIntervalMs)} (heartbeat never monitored resources).` : ''}`,
        );
      }
      if (built.monitorIntervalMs === 0 && built.agent.kind === 'heartbeat') {
        notes.note(
          slot,
          `no recurring monitor (monitor.interval 0s): heartbeat never monitored its resources and a script's status is often unreliable, so it is only probed once at start-up; set an interval once '${built.agent.script} status' is known to tell the truth.`,
        );
      }
    });
  });

  if (config.ping !== undefined) {
    notes.note(['ping'], `heartbeat's ping nodes with ipfail: a node that reaches fewer of them than another may not run the groups; interval = keepalive (${durationText(config.ping.intervalMs)}), dead = ${hacf.deadping !== undefined ? 'deadping' : 'deadtime, as ha.cf has no deadping'}.`);
  }
  if (config.watchdog !== undefined) {
    notes.note(['watchdog'], "timeout = deadtime + 10 ms rounded up to whole seconds, as heartbeat set it; but tandem feeds the watchdog only while this node is healthy and not known to have lost quorum, where heartbeat fed it while it ran.");
  }
  if (config.fencing !== undefined) {
    notes.note(['fencing'], "stonith_host lines as fence agents of the fence-agents family, action reboot as heartbeat's STONITH reset nodes; a device on a host's line fences the other nodes. The device passwords are in this file now, as they were in ha.cf: keep it readable by root only.");
  }
}

/** Puts each slot's lines on its node: comments above a key or list item, a trailing one at the end of its line. */
function render(doc: Document, notes: Commentary): void {
  for (const { slot, lines } of notes.before.values()) {
    const target = resolve(doc, slot);
    const text = lines.join('\n').replace(/\n+$/, '');
    if (target === 'top') doc.commentBefore = doc.commentBefore ? `${doc.commentBefore}\n${text}` : text;
    else if (target === 'end') doc.comment = doc.comment ? `${doc.comment}\n${text}` : text;
    else target.before.commentBefore = target.before.commentBefore ? `${target.before.commentBefore}\n${text}` : text;
  }
  for (const { slot, lines } of notes.trailing.values()) {
    const target = resolve(doc, slot);
    const [first, ...more] = lines;
    if (target === 'top' || target === 'end' || target.trailing === undefined || first === undefined) {
      // Nothing on that line can carry it: it goes above instead.
      const text = lines.join('\n');
      if (target === 'top' || target === 'end') doc.comment = doc.comment ? `${doc.comment}\n${text}` : text;
      else target.before.commentBefore = target.before.commentBefore ? `${target.before.commentBefore}\n${text}` : text;
      continue;
    }
    target.trailing.comment = first;
    if (more.length > 0) target.before.commentBefore = [target.before.commentBefore, ...more].filter((t) => t !== undefined && t !== null).join('\n');
  }
  // A blank line between top-level sections, as a person would write it.
  if (isMap(doc.contents)) {
    doc.contents.items.forEach((pair, i) => {
      if (i > 0 && isScalar(pair.key)) pair.key.spaceBefore = true;
    });
  }
}

interface Resolved {
  /** Carries the comment lines above the slot. */
  readonly before: { commentBefore?: string | null };
  /** Carries a comment at the end of the slot's first line, when one fits there. */
  readonly trailing?: { comment?: string | null };
}

/**
 * The node(s) a slot's comments go on: for a key, the key (above) and its value when that prints on the key's line
 * (a scalar or a flow collection); for a list item, the item (above) and its first value. A path that is not in
 * the document falls back to its parent, and finally to the top.
 */
function resolve(doc: Document, slot: Slot): Resolved | 'top' | 'end' {
  if (slot === 'top' || slot === 'end') return slot;
  for (let length = slot.length; length > 0; length--) {
    const path = slot.slice(0, length);
    const last = path[path.length - 1];
    const parent: unknown = length === 1 ? doc.contents : doc.getIn(path.slice(0, -1), true);
    if (typeof last === 'number' && isSeq(parent)) {
      const item = parent.items[last] as Node | undefined;
      if (item === undefined) continue;
      const head = isMap(item) ? (item.items[0] as Pair | undefined) : undefined;
      const value = head !== undefined ? head.value : item;
      return { before: item, ...(isScalar(value) || flowCollection(value) ? { trailing: value as Node } : {}) };
    }
    if (typeof last === 'string' && isMap(parent)) {
      const pair = parent.items.find((p): p is Pair => isPair(p) && isScalar(p.key) && p.key.value === last);
      if (pair === undefined || !isScalar(pair.key)) continue;
      return { before: pair.key, ...(isScalar(pair.value) || flowCollection(pair.value) ? { trailing: pair.value as Node } : {}) };
    }
  }
  return 'top';
}

function flowCollection(node: unknown): boolean {
  return (isMap(node) || isSeq(node)) && node.flow === true;
}
