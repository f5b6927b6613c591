/**
 * heartbeat's /etc/ha.d/ha.cf → a typed, positioned reading of every directive, and the issues an import into
 * tandem has with each line taken on its own (cross-directive checks and the mapping are in import.ts).
 *
 * Lexical rules copied from heartbeat 3.0.6 (config.c:parse_config; research notes §5):
 *   - Leading white space is skipped; a `#` ANYWHERE on the line starts a comment, so `node server201 ##节点1` is
 *     `node server201` (seed 004), and a `#` inside a password is the end of the line, as it was for heartbeat.
 *   - The line ends at its first CR or LF. There are no continuation lines in ha.cf: a trailing `\` is a word.
 *   - The first word (up to white space) is the directive. For ordinary directives the rest is split at
 *     `, \t\r\f` and each word is applied on its own (`node a b`, `bcast eth0 eth1`; `keepalive 2 3` sets 2 then 3).
 *     Media with a parser of their own (mcast, mcast6, ucast, ucast6, ping, ping6, ping_group, serial) and the
 *     whole-line directives (stonith, stonith_host, apiauth, respawn, failfast) take the rest of the line, split
 *     at white space only (so `apiauth x uid=a,b` keeps `uid=a,b`).
 *   - `udp` is heartbeat's old name for `bcast` (DIRTYALIASKLUDGE): read as bcast, with a warning.
 *   - Times (cl_get_msec): a decimal number, optionally followed by `ms`/`msec` or `us`/`usec`; without a unit it
 *     is SECONDS (`2` = 2000 ms, `0.5` = 500 ms, `1500ms`). Rounded to the nearest millisecond as heartbeat does.
 *   - Booleans (cl_str_to_boolean): true on yes y 1 / false off no n 0, any case.
 *   - Node names are lower-cased; udpport applies to the bcast/ucast lines AFTER it (heartbeat read the port when
 *     it parsed each medium).
 *
 * Invariants:
 *   1. Pure: text in, result out. No file, host name, interface or DNS is looked at.
 *   2. No directive is dropped silently: each one is mapped (its value lands in `HaCf`), or gets a warning that says
 *      why it has no effect in tandem, or an error.
 *   3. Every issue carries the line and 1-based column of the word it is about (a tab counts as one column).
 */
import { addressFamily, isMulticastAddress, isUnspecifiedAddress } from '../address.js';
import type { ConfigIssueCode } from '../codes.js';
import type { ConfigIssue } from '../model.js';
import { suggest } from '../suggest.js';

/** A 1-based position in a file. */
export interface Site {
  readonly line: number;
  readonly column: number;
}

/** A word of the file, as written (node names: lower-cased), with where it starts. */
export interface Word extends Site {
  readonly text: string;
}

export interface HaCfDirective {
  /** The directive as heartbeat reads it (`udp` → `bcast`). */
  readonly name: string;
  /** As written. */
  readonly written: string;
  readonly at: Site;
  readonly args: readonly Word[];
}

export interface HaCfTime {
  readonly ms: number;
  readonly word: Word;
}

export type HaCfMedium =
  | { readonly kind: 'bcast'; readonly at: Site; readonly iface: Word; readonly port: number }
  | { readonly kind: 'mcast' | 'mcast6'; readonly at: Site; readonly iface: Word; readonly group: Word; readonly port: number; readonly ttl: number; readonly loop: boolean }
  | { readonly kind: 'ucast' | 'ucast6'; readonly at: Site; readonly iface: Word; readonly peer: Word; readonly port: number }
  | { readonly kind: 'serial'; readonly at: Site; readonly device: Word };

/** A `stonith_host` line mapped to a fence agent (see STONITH_PLUGINS). */
export interface HaCfFenceDevice {
  readonly at: Site;
  /** `*` or a host name (lower-cased): the node that uses the device to reset its peers. */
  readonly from: Word;
  readonly type: Word;
  readonly agent: string;
  readonly params: Readonly<Record<string, string>>;
  /** Nodes the plugin's own parameters say it resets (hostname / hostlist), each with its plug when one is named. */
  readonly targets?: readonly { readonly node: Word; readonly plug?: string }[];
}

export interface HaCf {
  /** Every directive line, in order. */
  readonly directives: readonly HaCfDirective[];
  /** `node` names, lower-cased, in order (duplicates left out, reported). */
  readonly nodes: readonly Word[];
  readonly keepalive?: HaCfTime;
  readonly deadtime?: HaCfTime;
  readonly warntime?: HaCfTime;
  readonly initdead?: HaCfTime;
  readonly deadping?: HaCfTime;
  readonly udpport?: { readonly value: number; readonly word: Word };
  readonly media: readonly HaCfMedium[];
  readonly baud?: { readonly value: number; readonly word: Word };
  /** `ping` / `ping6` targets: one pseudo-node each. */
  readonly pings: readonly Word[];
  readonly pingGroups: readonly { readonly at: Site; readonly name: Word; readonly addresses: readonly Word[] }[];
  /** As heartbeat resolves it (`nice_failback` included); absent = heartbeat's default, legacy. */
  readonly autoFailback?: { readonly value: 'on' | 'off' | 'legacy'; readonly at: Site };
  readonly respawn: readonly { readonly at: Site; readonly user: Word; readonly command: Word; readonly args: readonly Word[] }[];
  readonly watchdog?: Word;
  readonly stonith?: { readonly at: Site; readonly type: Word; readonly file: Word };
  /** Every `stonith_host` line whose plugin maps to a fence agent. */
  readonly fenceDevices: readonly HaCfFenceDevice[];
  readonly logfile?: Word;
  readonly debugfile?: Word;
  readonly logfacility?: Word;
  readonly useLogd?: { readonly value: boolean; readonly word: Word };
  readonly autojoin?: { readonly value: 'none' | 'other' | 'any'; readonly word: Word };
  readonly hopfudge?: { readonly value: number; readonly word: Word };
  readonly crm?: { readonly value: string; readonly on: boolean; readonly word: Word };
  readonly cluster?: Word;
}

/** How heartbeat splits a directive's words, and what tandem makes of it. */
type Shape = 'option' | 'line';
type ValueType = 'time' | 'bool' | 'int' | 'word' | 'any';

interface IgnoredSpec {
  readonly shape: Shape;
  readonly value: ValueType;
  readonly why: string;
}

const LOGGING = 'tandem logs to standard error (the journal under systemd); set logging.level / logging.format in tandem.yaml';
const WIRE = "a setting of heartbeat's wire protocol; tandem's protocol has no such knob";
const PACEMAKER_ONLY = 'a Pacemaker-only setting, meaningless in haresources mode';
const SCHEDULING = 'tandem takes no scheduling or memory-locking settings from its config';
const CORE_DUMPS = "core dumps are the system's business (systemd-coredump, ulimit -c)";

/** Directives of heartbeat 3.0.6 that have no effect in tandem, each with the reason given to the user. */
const IGNORED: Readonly<Record<string, IgnoredSpec>> = {
  logfile: { shape: 'option', value: 'word', why: LOGGING },
  debugfile: { shape: 'option', value: 'word', why: LOGGING },
  logfacility: { shape: 'option', value: 'word', why: LOGGING },
  use_logd: { shape: 'option', value: 'bool', why: LOGGING },
  conn_logd_time: { shape: 'option', value: 'int', why: LOGGING },
  syslogmsgfmt: { shape: 'option', value: 'bool', why: LOGGING },
  debug: { shape: 'option', value: 'int', why: 'use logging.level: debug in tandem.yaml' },
  apiauth: { shape: 'line', value: 'any', why: "tandem has no heartbeat API (ipfail, cl_status) to authorise clients of; its own API socket lives in runtime_dir" },
  realtime: { shape: 'option', value: 'bool', why: SCHEDULING },
  rtprio: { shape: 'option', value: 'int', why: SCHEDULING },
  memreserve: { shape: 'option', value: 'int', why: SCHEDULING },
  hbgenmethod: { shape: 'option', value: 'word', why: 'tandem keeps its own generation in state_dir' },
  uuidfrom: { shape: 'option', value: 'word', why: 'tandem names nodes by name and has no node uuids' },
  msgfmt: { shape: 'option', value: 'word', why: WIRE },
  compression: { shape: 'option', value: 'word', why: WIRE },
  compression_threshold: { shape: 'option', value: 'int', why: WIRE },
  traditional_compression: { shape: 'option', value: 'bool', why: WIRE },
  max_rexmit_delay: { shape: 'option', value: 'int', why: WIRE },
  hopfudge: { shape: 'option', value: 'int', why: "it only sets how far heartbeat's serial rings forward messages, and a tandem serial link joins two nodes and forwards nothing" },
  coredumps: { shape: 'option', value: 'bool', why: CORE_DUMPS },
  coreroot: { shape: 'option', value: 'word', why: CORE_DUMPS },
  log_badpack: { shape: 'option', value: 'bool', why: 'tandem does not take this logging switch from its config' },
  use_apphbd: { shape: 'option', value: 'bool', why: 'there is no apphbd to register with' },
  env: { shape: 'option', value: 'any', why: 'tandem sets no extra HA_* variables for resource scripts: set the variable in the script itself' },
  quorum_server: { shape: 'option', value: 'word', why: "quorumd served Pacemaker's ccm; tandem's quorum is set under quorum: and arbitrator: in tandem.yaml" },
  normalpoll: { shape: 'option', value: 'bool', why: 'a build-time polling switch of heartbeat' },
  hbaping: { shape: 'line', value: 'any', why: 'the Fibre-Channel ping plugin (not shipped by Debian) has no tandem equivalent' },
  failfast: { shape: 'line', value: 'any', why: "tandem starts no client programs; a watchdog: section resets a node whose tandemd hangs" },
  crm_daemon_dir: { shape: 'option', value: 'word', why: PACEMAKER_ONLY },
  crmd_spawns_pengine: { shape: 'option', value: 'bool', why: PACEMAKER_ONLY },
  record_config_changes: { shape: 'option', value: 'bool', why: PACEMAKER_ONLY },
  record_pengine_inputs: { shape: 'option', value: 'bool', why: PACEMAKER_ONLY },
  enable_config_writes: { shape: 'option', value: 'bool', why: PACEMAKER_ONLY },
};

/** Directives tandem maps (or reads to explain), with how heartbeat splits their words. */
const MAPPED: Readonly<Record<string, Shape>> = {
  node: 'option',
  keepalive: 'option',
  deadtime: 'option',
  warntime: 'option',
  initdead: 'option',
  deadping: 'option',
  udpport: 'option',
  bcast: 'option',
  mcast: 'line',
  mcast6: 'line',
  ucast: 'line',
  ucast6: 'line',
  serial: 'line',
  baud: 'option',
  ping: 'line',
  ping6: 'line',
  ping_group: 'line',
  auto_failback: 'option',
  nice_failback: 'option',
  stonith: 'line',
  stonith_host: 'line',
  watchdog: 'option',
  respawn: 'line',
  autojoin: 'option',
  pacemaker: 'option',
  crm: 'option',
  cluster: 'option',
};

/** Every directive of heartbeat 3.0.6 (research notes §5.1), for unknown-directive suggestions. */
export const HACF_DIRECTIVES: readonly string[] = [...Object.keys(MAPPED), ...Object.keys(IGNORED)];

const WHITE = /[ \t\f\r\v]/;
const BAUD_RATES = [9600, 19200, 38400, 57600, 115200, 230400, 460800];
const CRM_VALUES = ['respawn', 'minimal', 'manual', 'ccm-only', 'valgrind'];
const HOST_LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const IFACE = /^[^\s/:#]{1,15}(?::[^\s/:#]+)?$/;
/** heartbeat's HOSTLENG (100) minus the NUL. */
const NODE_NAME_MAX = 99;

/** cl_get_msec: milliseconds, or undefined when heartbeat would refuse the value. */
export function parseHeartbeatTime(text: string): number | undefined {
  const match = /^(\d+(?:\.\d*)?|\.\d+)(ms|msec|us|usec)?$/i.exec(text);
  if (match === null) return undefined;
  const number = Number(match[1]);
  const unit = (match[2] ?? '').toLowerCase();
  const ms = unit === '' ? number * 1000 : unit.startsWith('u') ? number / 1000 : number;
  return Math.floor(ms + 0.5);
}

/** cl_str_to_boolean. */
export function parseHeartbeatBoolean(text: string): boolean | undefined {
  const lower = text.toLowerCase();
  if (['true', 'on', 'yes', 'y', '1'].includes(lower)) return true;
  if (['false', 'off', 'no', 'n', '0'].includes(lower)) return false;
  return undefined;
}

/** Splits `text` (starting at 1-based `column`) into words at any character of `delims`. */
function splitWords(text: string, line: number, column: number, delims: RegExp): Word[] {
  const words: Word[] = [];
  let start = -1;
  for (let i = 0; i <= text.length; i++) {
    const ch = text[i];
    const isDelim = ch === undefined || delims.test(ch);
    if (isDelim && start >= 0) {
      words.push({ text: text.slice(start, i), line, column: column + start });
      start = -1;
    } else if (!isDelim && start < 0) {
      start = i;
    }
  }
  return words;
}

/** The lexical part: each non-blank, non-comment line → directive + words, exactly as heartbeat splits them. */
export function tokenizeHaCf(text: string): HaCfDirective[] {
  const out: HaCfDirective[] = [];
  text.split('\n').forEach((raw, index) => {
    const line = index + 1;
    let body = raw;
    const hash = body.indexOf('#');
    if (hash >= 0) body = body.slice(0, hash);
    const cr = body.indexOf('\r');
    if (cr >= 0) body = body.slice(0, cr);
    const words = splitWords(body, line, 1, WHITE);
    const first = words[0];
    if (first === undefined) return;
    const written = first.text;
    const name = written === 'udp' ? 'bcast' : written;
    const rest = body.slice(first.column - 1 + written.length);
    const restColumn = first.column + written.length;
    const shape = MAPPED[name] ?? IGNORED[name]?.shape ?? 'line';
    const args = splitWords(rest, line, restColumn, shape === 'option' ? /[ ,\t\f\r\v]/ : WHITE);
    out.push({ name, written, at: { line, column: first.column }, args });
  });
  return out;
}

/** A `#` comment of an ha.d file, for tools that carry the admin's comments over (config import). */
export interface SourceComment {
  readonly line: number;
  /** Everything after the `#` that starts it, line end removed: a `##节点1` comment's text is `#节点1`. */
  readonly text: string;
  /** Code precedes it on its line (`node server201 ##节点1`); false for a line that is only a comment. */
  readonly trailing: boolean;
}

/** The comments of ha.cf, by the lexical rules of `tokenizeHaCf`: a `#` anywhere starts one, a CR ends the line. */
export function haCfComments(text: string): SourceComment[] {
  const out: SourceComment[] = [];
  text.split('\n').forEach((raw, index) => {
    const cr = raw.indexOf('\r');
    const body = cr >= 0 ? raw.slice(0, cr) : raw;
    const hash = body.indexOf('#');
    if (hash < 0) return;
    out.push({ line: index + 1, text: body.slice(hash + 1), trailing: body.slice(0, hash).trim() !== '' });
  });
  return out;
}

interface StonithPlugin {
  readonly agent?: string;
  /** The plugin's configuration names, in the order stonith_host's positional words fill them. */
  readonly names?: readonly string[];
  /** How many of `names` must be given. */
  readonly required?: number;
  /** Plugin name → fence agent parameter; `@host` = the node it resets, `@hostlist` = nodes (node[:plug],…), `@lanplus`, `@drop`. */
  readonly map?: Readonly<Record<string, string>>;
  /** Fixed fence agent parameters. */
  readonly fixed?: Readonly<Record<string, string>>;
  /** Why there is no equivalent. */
  readonly none?: string;
}

/**
 * cluster-glue STONITH plugins → fence agents. stonith_host's PARAMS are positional and fill the plugin's config
 * names in order (cluster-glue's stonith1_compat_string_to_NVpair); each name is then renamed to the fence agent's
 * option. Plugins whose hardware no fence agent drives, or that do not really fence, have a reason instead.
 */
export const STONITH_PLUGINS: Readonly<Record<string, StonithPlugin>> = {
  'external/ipmi': {
    agent: 'fence_ipmilan',
    names: ['hostname', 'ipaddr', 'userid', 'passwd', 'interface'],
    required: 4,
    map: { hostname: '@host', ipaddr: 'ip', userid: 'username', passwd: 'password', interface: '@lanplus' },
  },
  'external/drac5': { agent: 'fence_drac5', names: ['hostname', 'ipaddr', 'userid', 'passwd'], required: 4, map: { hostname: '@host', ipaddr: 'ip', userid: 'username', passwd: 'password' } },
  'external/riloe': {
    agent: 'fence_ilo',
    names: ['hostlist', 'ilo_hostname', 'ilo_user', 'ilo_password', 'ilo_can_reset', 'ilo_protocol', 'ilo_powerdown_method'],
    required: 4,
    map: { hostlist: '@hostlist', ilo_hostname: 'ip', ilo_user: 'username', ilo_password: 'password', ilo_can_reset: '@drop', ilo_protocol: '@drop', ilo_powerdown_method: '@drop' },
  },
  'external/libvirt': {
    agent: 'fence_virsh',
    names: ['hostlist', 'hypervisor_uri'],
    required: 2,
    map: { hostlist: '@hostlist', hypervisor_uri: '@libvirt_uri' },
  },
  'external/rackpdu': { agent: 'fence_apc_snmp', names: ['hostlist', 'pduip', 'community'], required: 3, map: { hostlist: '@hostlist', pduip: 'ip', community: 'community' } },
  apcmaster: { agent: 'fence_apc', names: ['ipaddr', 'login', 'password'], required: 3, map: { ipaddr: 'ip', login: 'username', password: 'password' } },
  apcmastersnmp: { agent: 'fence_apc_snmp', names: ['ipaddr', 'port', 'community'], required: 3, map: { ipaddr: 'ip', port: 'udpport', community: 'community' } },
  wti_nps: { agent: 'fence_wti', names: ['ipaddr', 'password'], required: 2, map: { ipaddr: 'ip', password: 'password' } },
  drac3: { agent: 'fence_drac', names: ['host', 'username', 'password'], required: 3, map: { host: 'ip', username: 'username', password: 'password' } },
  null: { none: 'the null plugin only pretends to reset nodes (it is for testing)' },
  ssh: { none: 'resetting over ssh cannot reach a hung node, so it is for testing only, and no fence agent does it' },
  'external/ssh': { none: 'resetting over ssh cannot reach a hung node, so it is for testing only, and no fence agent does it' },
  meatware: { none: 'it asks a person to reset the node by hand; tandem has no manual fencing' },
  suicide: { none: 'a node resetting itself is what tandem\'s watchdog: section does' },
  'external/sbd': { none: 'shared-disk self-fencing (sbd) is not a fence agent; use tandem\'s watchdog: section' },
  rps10: { none: 'no fence agent drives a WTI RPS-10 on a serial line (fence_wti speaks to networked WTI switches)' },
  apcsmart: { none: 'it drives an APC Smart-UPS on a serial line, which no fence agent does (fence_apc drives networked APC power switches)' },
  baytech: { none: 'no fence agent drives Baytech RPC power switches' },
};

/**
 * Parses ha.cf text. `fileName` is used for issue locations only.
 *
 * @example
 * const { hacf, issues } = parseHaCf(readFileSync('/etc/ha.d/ha.cf', 'utf8'), '/etc/ha.d/ha.cf');
 */
export function parseHaCf(text: string, fileName: string): { hacf: HaCf; issues: ConfigIssue[] } {
  const issues: ConfigIssue[] = [];
  const report = (severity: 'error' | 'warning', code: ConfigIssueCode, at: Site, path: string, message: string): void => {
    issues.push({ severity, code, file: fileName, line: at.line, column: at.column, path, message });
  };
  const error = (code: ConfigIssueCode, at: Site, path: string, message: string): void => report('error', code, at, path, message);
  const warn = (code: ConfigIssueCode, at: Site, path: string, message: string): void => report('warning', code, at, path, message);

  const directives = tokenizeHaCf(text);
  const nodes: Word[] = [];
  const media: HaCfMedium[] = [];
  const pings: Word[] = [];
  const pingGroups: { at: Site; name: Word; addresses: Word[] }[] = [];
  const respawn: { at: Site; user: Word; command: Word; args: Word[] }[] = [];
  const fenceDevices: HaCfFenceDevice[] = [];
  const times: Partial<Record<'keepalive' | 'deadtime' | 'warntime' | 'initdead' | 'deadping', HaCfTime>> = {};
  const result: {
    -readonly [K in keyof HaCf]?: HaCf[K];
  } = {};
  /** Settings seen so far, for "given again" warnings: directive → line. */
  const seen = new Map<string, number>();
  let port = 694;
  let firstPortMedium: { line: number; kind: string } | undefined;
  let autoFailbackSeen = false;

  const once = (name: string, at: Site, value: string): void => {
    const before = seen.get(name);
    if (before !== undefined) warn('TND_W_CONFIG_HACF_OVERRIDDEN', at, name, `'${name}' was already set (line ${before}); as in heartbeat, the last value wins: ${value}`);
    seen.set(name, at.line);
  };
  const needWords = (d: HaCfDirective, min: number, max: number, form: string): boolean => {
    if (d.args.length >= min && d.args.length <= max) return true;
    error('TND_E_CONFIG_HACF_ARGS', d.at, d.name, `'${d.written}' is written '${form}': found ${d.args.length} word${d.args.length === 1 ? '' : 's'} after it`);
    return false;
  };
  const address = (word: Word, path: string, what: string, family: 4 | 6 | undefined): boolean => {
    const got = addressFamily(word.text);
    if (got === undefined) {
      error('TND_E_CONFIG_HACF_VALUE', word, path, `${what} must be an IP address (tandem resolves no host names when it imports a config): current value is ${JSON.stringify(word.text)}`);
      return false;
    }
    if (family !== undefined && got !== family) {
      error('TND_E_CONFIG_HACF_VALUE', word, path, `${what} must be an IPv${family} address: current value is ${word.text}`);
      return false;
    }
    if (isMulticastAddress(word.text) || isUnspecifiedAddress(word.text)) {
      error('TND_E_CONFIG_ADDRESS', word, path, `${what} must be a unicast address: current value is ${word.text}`);
      return false;
    }
    return true;
  };
  const iface = (word: Word, path: string): boolean => {
    if (IFACE.test(word.text)) return true;
    error('TND_E_CONFIG_HACF_VALUE', word, path, `an interface name must be 1 to 15 characters without '/', ':' or white space: current value is ${JSON.stringify(word.text)}`);
    return false;
  };
  const integer = (word: Word, path: string, what: string, min: number, max: number): number | undefined => {
    if (/^\d+$/.test(word.text) && Number(word.text) >= min && Number(word.text) <= max) return Number(word.text);
    error('TND_E_CONFIG_HACF_VALUE', word, path, `${what} must be an integer from ${min} to ${max}: current value is ${JSON.stringify(word.text)}`);
    return undefined;
  };
  const boolean = (word: Word, path: string): boolean | undefined => {
    const value = parseHeartbeatBoolean(word.text);
    if (value === undefined) error('TND_E_CONFIG_HACF_VALUE', word, path, `'${path}' takes a boolean (on/off, yes/no, true/false, y/n, 1/0): current value is ${JSON.stringify(word.text)}`);
    return value;
  };

  for (const d of directives) {
    const path = d.name;
    if (d.written === 'udp') warn('TND_W_CONFIG_HACF_OBSOLETE', d.at, 'bcast', "'udp' is heartbeat's old name for 'bcast' and is read as bcast (heartbeat logs \"directive 'udp' replaced by 'bcast'\")");
    const ignored = IGNORED[d.name];
    if (ignored !== undefined) {
      if (ignored.value !== 'any' && d.args.length === 0) {
        error('TND_E_CONFIG_HACF_ARGS', d.at, path, `'${d.name}' needs a value`);
        continue;
      }
      let ok = true;
      for (const word of ignored.value === 'any' || d.name === 'hopfudge' ? [] : d.args) {
        if (ignored.value === 'bool') ok = boolean(word, path) !== undefined && ok;
        else if (ignored.value === 'int') ok = integer(word, path, `'${d.name}'`, 0, 2 ** 31 - 1) !== undefined && ok;
        else if (ignored.value === 'time') ok = parseHeartbeatTime(word.text) !== undefined && ok;
      }
      if (d.name === 'hopfudge') {
        const value = d.args.at(-1);
        const parsed = value !== undefined ? integer(value, path, "'hopfudge'", 0, 255) : undefined;
        if (value !== undefined && parsed !== undefined) result.hopfudge = { value: parsed, word: value };
      }
      if (d.name === 'logfile' || d.name === 'debugfile' || d.name === 'logfacility') result[d.name] = d.args.at(-1);
      if (d.name === 'use_logd') {
        const value = d.args.at(-1);
        const parsed = value && parseHeartbeatBoolean(value.text);
        if (value !== undefined && parsed !== undefined) result.useLogd = { value: parsed, word: value };
      }
      if (ok) warn('TND_W_CONFIG_HACF_IGNORED', d.at, path, `'${d.name}' has no effect in tandem: ${ignored.why}`);
      continue;
    }
    if (MAPPED[d.name] === undefined) {
      const hint = suggest(d.written, HACF_DIRECTIVES);
      error(
        'TND_E_CONFIG_HACF_UNKNOWN_DIRECTIVE',
        d.at,
        d.written,
        `'${d.written}' is not a heartbeat directive${hint !== undefined ? `: did you mean '${hint}'?` : ' (heartbeat: "Illegal directive"), and heartbeat would not start with it'}`,
      );
      continue;
    }

    switch (d.name) {
      case 'node': {
        if (!needWords(d, 1, Infinity, 'node NAME [NAME…]')) break;
        for (const word of d.args) {
          const name = word.text.toLowerCase();
          if (name.length > NODE_NAME_MAX || !name.split('.').every((label) => HOST_LABEL.test(label))) {
            error('TND_E_CONFIG_NAME', word, 'node', `a node's name must be a host name as \`uname -n\` prints it (letters, digits and '-', labels separated by '.'): current value is ${JSON.stringify(word.text)}`);
            continue;
          }
          const first = nodes.find((n) => n.text === name);
          if (first !== undefined) {
            error('TND_E_CONFIG_DUPLICATE_NODE', word, 'node', `node '${name}' is declared twice: first on line ${first.line}${word.text !== name ? ' (heartbeat lower-cases node names)' : ''}`);
            continue;
          }
          nodes.push({ ...word, text: name });
        }
        break;
      }
      case 'keepalive':
      case 'deadtime':
      case 'warntime':
      case 'initdead':
      case 'deadping': {
        if (!needWords(d, 1, Infinity, `${d.name} TIME`)) break;
        for (const word of d.args) {
          const ms = parseHeartbeatTime(word.text);
          if (ms === undefined || ms <= 0) {
            error('TND_E_CONFIG_HACF_VALUE', word, path, `'${d.name}' must be a positive time: seconds (2, 0.5) or milliseconds with 'ms' (1500ms), without a space: current value is ${JSON.stringify(word.text)}`);
            continue;
          }
          once(d.name, word, word.text);
          times[d.name] = { ms, word };
        }
        break;
      }
      case 'udpport': {
        if (!needWords(d, 1, 1, 'udpport PORT')) break;
        const word = d.args[0] as Word;
        const value = integer(word, path, "'udpport'", 1, 65535);
        if (value === undefined) break;
        once('udpport', word, word.text);
        if (firstPortMedium !== undefined && value !== port) {
          warn('TND_W_CONFIG_HACF_ORDER', word, path, `'udpport ${value}' comes after the ${firstPortMedium.kind} line ${firstPortMedium.line}, which heartbeat read with port ${port}: media declared before udpport keep the earlier port (move udpport up if ${value} was meant everywhere)`);
        }
        port = value;
        result.udpport = { value, word };
        break;
      }
      case 'bcast': {
        if (!needWords(d, 1, Infinity, 'bcast IFACE [IFACE…]')) break;
        for (const word of d.args) {
          if (!iface(word, path)) continue;
          media.push({ kind: 'bcast', at: d.at, iface: word, port });
          firstPortMedium ??= { line: d.at.line, kind: d.written };
        }
        break;
      }
      case 'mcast':
      case 'mcast6': {
        if (!needWords(d, 5, 5, `${d.name} IFACE GROUP PORT ${d.name === 'mcast' ? 'TTL' : 'HOPS'} LOOP`)) break;
        const [ifaceWord, group, portWord, ttlWord, loopWord] = d.args as [Word, Word, Word, Word, Word];
        let ok = iface(ifaceWord, path);
        const family = d.name === 'mcast' ? 4 : 6;
        if (addressFamily(group.text) !== family || !isMulticastAddress(group.text)) {
          error('TND_E_CONFIG_MULTICAST_GROUP', group, path, `the group of '${d.name}' must be an IPv${family} multicast address (${family === 4 ? '224.0.0.0/4' : 'ff00::/8'}): current value is ${JSON.stringify(group.text)}`);
          ok = false;
        }
        const mport = integer(portWord, path, `the port of '${d.name}'`, 1, 65535);
        // heartbeat's mcast_parse refuses a TTL above 4, whatever ha.cf(5) says.
        const ttl = integer(ttlWord, path, `the ${d.name === 'mcast' ? 'TTL' : 'hop limit'} of '${d.name}'`, 0, d.name === 'mcast' ? 4 : 255);
        const loop = /^[01]$/.test(loopWord.text) ? loopWord.text === '1' : undefined;
        if (loop === undefined) error('TND_E_CONFIG_HACF_VALUE', loopWord, path, `the loop flag of '${d.name}' must be 0 or 1: current value is ${JSON.stringify(loopWord.text)}`);
        if (ok && mport !== undefined && ttl !== undefined && loop !== undefined) media.push({ kind: d.name, at: d.at, iface: ifaceWord, group, port: mport, ttl, loop });
        break;
      }
      case 'ucast':
      case 'ucast6': {
        if (!needWords(d, 2, 2, `${d.name} IFACE PEER`)) break;
        const [ifaceWord, peer] = d.args as [Word, Word];
        const okIface = iface(ifaceWord, path);
        const okPeer = address(peer, path, `the peer of '${d.name}'`, d.name === 'ucast' ? 4 : 6);
        if (okIface && okPeer) media.push({ kind: d.name, at: d.at, iface: ifaceWord, peer, port });
        firstPortMedium ??= { line: d.at.line, kind: d.written };
        break;
      }
      case 'serial': {
        if (!needWords(d, 1, Infinity, 'serial DEVICE [DEVICE…]')) break;
        for (const device of d.args) {
          if (!device.text.startsWith('/')) {
            error('TND_E_CONFIG_HACF_VALUE', device, path, `a serial device must be an absolute path such as /dev/ttyS0: current value is ${JSON.stringify(device.text)}`);
            continue;
          }
          media.push({ kind: 'serial', at: d.at, device });
        }
        break;
      }
      case 'baud': {
        if (!needWords(d, 1, 1, 'baud RATE')) break;
        const word = d.args[0] as Word;
        if (!/^\d+$/.test(word.text) || !BAUD_RATES.includes(Number(word.text))) {
          error('TND_E_CONFIG_HACF_VALUE', word, path, `'baud' must be one of ${BAUD_RATES.join(', ')}: current value is ${JSON.stringify(word.text)}`);
          break;
        }
        once('baud', word, word.text);
        result.baud = { value: Number(word.text), word };
        break;
      }
      case 'ping':
      case 'ping6': {
        if (!needWords(d, 1, Infinity, `${d.name} IP [IP…]`)) break;
        for (const word of d.args) {
          if (!address(word, path, `a ${d.name} target`, d.name === 'ping' ? 4 : 6)) continue;
          if (pings.some((p) => p.text === word.text)) {
            error('TND_E_CONFIG_DUPLICATE_PING', word, path, `ping target ${word.text} is listed twice`);
            continue;
          }
          pings.push(word);
        }
        break;
      }
      case 'ping_group': {
        if (!needWords(d, 2, Infinity, 'ping_group NAME IP [IP…]')) break;
        const [name, ...rest] = d.args as [Word, ...Word[]];
        if (!/^[A-Za-z0-9._-]{1,64}$/.test(name.text)) {
          error('TND_E_CONFIG_NAME', name, path, `a ping group's name must be 1 to 64 characters among A-Z a-z 0-9 . _ -: current value is ${JSON.stringify(name.text)}`);
          break;
        }
        const addresses = rest.filter((word) => address(word, path, `an address of ping group '${name.text}'`, undefined));
        if (addresses.length === rest.length) pingGroups.push({ at: d.at, name, addresses });
        break;
      }
      case 'auto_failback': {
        if (!needWords(d, 1, 1, 'auto_failback on|off|legacy')) break;
        const word = d.args[0] as Word;
        const bool = parseHeartbeatBoolean(word.text);
        const value = word.text.toLowerCase() === 'legacy' ? 'legacy' : bool === true ? 'on' : bool === false ? 'off' : undefined;
        if (value === undefined) {
          error('TND_E_CONFIG_HACF_VALUE', word, path, `'auto_failback' must be on, off or legacy: current value is ${JSON.stringify(word.text)}`);
          break;
        }
        once('auto_failback', word, value);
        autoFailbackSeen = true;
        result.autoFailback = { value, at: word };
        break;
      }
      case 'nice_failback': {
        if (!needWords(d, 1, 1, 'nice_failback on|off')) break;
        const word = d.args[0] as Word;
        if (boolean(word, path) === undefined) break;
        // heartbeat's set_nice_failback ignores its value (research notes §11.1 item 4).
        const value = autoFailbackSeen ? 'off' : 'legacy';
        warn('TND_W_CONFIG_HACF_OBSOLETE', d.at, path, `'nice_failback' is obsolete and heartbeat ignores its value: after an auto_failback line it means 'auto_failback off', otherwise 'auto_failback legacy'; read as '${value}' — write auto_failback instead`);
        result.autoFailback = { value, at: d.at };
        break;
      }
      case 'watchdog': {
        if (!needWords(d, 1, 1, 'watchdog DEVICE')) break;
        const word = d.args[0] as Word;
        if (!word.text.startsWith('/')) {
          error('TND_E_CONFIG_HACF_VALUE', word, path, `'watchdog' must be an absolute device path such as /dev/watchdog: current value is ${JSON.stringify(word.text)}`);
          break;
        }
        once('watchdog', word, word.text);
        result.watchdog = word;
        break;
      }
      case 'respawn': {
        if (!needWords(d, 2, Infinity, 'respawn USER /PATH [ARG…]')) break;
        const [user, command, ...args] = d.args as [Word, Word, ...Word[]];
        respawn.push({ at: d.at, user, command, args });
        if (basename(command.text) !== 'ipfail') {
          warn('TND_W_CONFIG_HACF_IGNORED', command, path, `'respawn ${command.text}' has no effect in tandem: tandemd starts no client programs; run it as a systemd service, or as an exec resource of a group if it belongs with one`);
        }
        break;
      }
      case 'stonith': {
        if (!needWords(d, 2, 2, 'stonith TYPE CONFIGFILE')) break;
        const [type, file] = d.args as [Word, Word];
        result.stonith = { at: d.at, type, file };
        const plugin = STONITH_PLUGINS[type.text];
        if (plugin?.agent === undefined) {
          // No stonith_host line could carry it either: say why, rather than suggest one.
          error('TND_E_CONFIG_HACF_STONITH', type, path, `STONITH plugin '${type.text}' cannot be imported: ${plugin?.none ?? 'no fence agent equivalent is known for it'}; configure a fence agent (fence_*) for this hardware under fencing: in tandem.yaml, or leave fencing out`);
          break;
        }
        error(
          'TND_E_CONFIG_HACF_STONITH',
          d.at,
          path,
          `'stonith ${type.text} ${file.text}' keeps the device's parameters in ${file.text}, which the import does not read: write them on a 'stonith_host * ${type.text} PARAM…' line, or configure the fence device under fencing: in tandem.yaml`,
        );
        break;
      }
      case 'stonith_host': {
        if (!needWords(d, 2, Infinity, 'stonith_host HOST|* TYPE [PARAM…]')) break;
        const [fromWord, type, ...params] = d.args as [Word, Word, ...Word[]];
        const from = { ...fromWord, text: fromWord.text.toLowerCase() };
        const device = mapStonithHost(from, type, params, d.at, (at, message) => error('TND_E_CONFIG_HACF_STONITH', at, path, message));
        if (device !== undefined) fenceDevices.push(device);
        break;
      }
      case 'autojoin': {
        if (!needWords(d, 1, 1, 'autojoin none|other|any')) break;
        const word = d.args[0] as Word;
        const value = word.text.toLowerCase();
        if (value !== 'none' && value !== 'other' && value !== 'any') {
          error('TND_E_CONFIG_HACF_VALUE', word, path, `'autojoin' must be none, other or any: current value is ${JSON.stringify(word.text)}`);
          break;
        }
        result.autojoin = { value, word };
        if (value !== 'none') {
          error(
            'TND_E_CONFIG_HACF_UNSUPPORTED',
            word,
            path,
            `'autojoin ${value}' lets unknown nodes join at run time; heartbeat itself refuses it with haresources ("R1 style resource management conflicts with autojoin set"), and tandem's nodes are the ones its config lists: remove it and list every node`,
          );
        }
        break;
      }
      case 'pacemaker':
      case 'crm': {
        if (!needWords(d, 1, 1, `${d.name} on|off|respawn|…`)) break;
        const word = d.args[0] as Word;
        const bool = parseHeartbeatBoolean(word.text);
        const lower = word.text.toLowerCase();
        if (bool === undefined && !CRM_VALUES.includes(lower)) {
          error('TND_E_CONFIG_HACF_VALUE', word, path, `'${d.name}' takes a boolean or one of ${CRM_VALUES.join(', ')}: current value is ${JSON.stringify(word.text)}`);
          break;
        }
        const on = bool !== false;
        result.crm = { value: lower, on, word };
        if (on) {
          error(
            'TND_E_CONFIG_HACF_CRM',
            d.at,
            path,
            `'${d.written} ${word.text}' hands the resources to Pacemaker: heartbeat then ignores haresources and keeps the resources in the CIB, which this import cannot read. Migration path: list the CIB's resources (crm configure show / cibadmin -Q), write them as groups in tandem.yaml, then import ha.cf with '${d.name} no' for the links, timings and nodes — or keep Pacemaker and move it to Corosync`,
          );
        }
        break;
      }
      case 'cluster': {
        if (!needWords(d, 1, 1, 'cluster NAME')) break;
        const word = d.args[0] as Word;
        if (!/^[A-Za-z0-9._-]{1,64}$/.test(word.text)) {
          error('TND_E_CONFIG_NAME', word, path, `'cluster' must be 1 to 64 characters among A-Z a-z 0-9 . _ -: current value is ${JSON.stringify(word.text)}`);
          break;
        }
        once('cluster', word, word.text);
        result.cluster = word;
        break;
      }
    }
  }

  if (result.baud !== undefined && !media.some((m) => m.kind === 'serial')) {
    warn('TND_W_CONFIG_HACF_IGNORED', result.baud.word, 'baud', "'baud' has no effect: there is no serial link");
  }

  const hacf: HaCf = {
    directives,
    nodes,
    media,
    pings,
    pingGroups,
    respawn,
    fenceDevices,
    ...times,
    ...result,
  };
  return { hacf, issues };
}

function basename(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

/** One `stonith_host` line → a fence device, or undefined after reporting why not. */
function mapStonithHost(from: Word, type: Word, params: readonly Word[], at: Site, fail: (at: Site, message: string) => void): HaCfFenceDevice | undefined {
  const plugin = STONITH_PLUGINS[type.text];
  if (plugin === undefined || plugin.agent === undefined || plugin.names === undefined || plugin.map === undefined) {
    const reason = plugin?.none ?? 'no fence agent equivalent is known for it';
    fail(type, `STONITH plugin '${type.text}' cannot be imported: ${reason}; configure a fence agent (fence_*) for this hardware under fencing: in tandem.yaml, or leave fencing out`);
    return undefined;
  }
  const required = plugin.required ?? plugin.names.length;
  if (params.length < required || params.length > plugin.names.length) {
    const names = plugin.names.map((name, i) => (i < required ? name : `[${name}]`)).join(' ');
    fail(params[plugin.names.length] ?? type, `STONITH plugin '${type.text}' takes ${names} after its type: found ${params.length} word${params.length === 1 ? '' : 's'}`);
    return undefined;
  }
  const out: Record<string, string> = { ...(plugin.fixed ?? {}) };
  let targets: { node: Word; plug?: string }[] | undefined;
  let ok = true;
  params.forEach((word, index) => {
    const name = plugin.names?.[index] ?? '';
    const to = plugin.map?.[name];
    if (to === undefined || to === '@drop') return;
    if (to === '@host') {
      targets = [{ node: { ...word, text: word.text.toLowerCase() } }];
    } else if (to === '@hostlist') {
      targets = word.text
        .split(',')
        .filter((item) => item !== '')
        .map((item) => {
          const [node = '', plug] = item.split(':');
          return { node: { ...word, text: node.toLowerCase() }, ...(plug !== undefined && plug !== '' ? { plug } : {}) };
        });
    } else if (to === '@lanplus') {
      if (word.text === 'lanplus') out.lanplus = '1';
      else if (word.text !== 'lan') {
        fail(word, `the interface of '${type.text}' must be lan or lanplus: current value is ${JSON.stringify(word.text)}`);
        ok = false;
      }
    } else if (to === '@libvirt_uri') {
      // qemu+ssh://[user@]host[:port]/system → fence_virsh logs in to host over ssh and runs virsh there.
      const match = /^[a-z0-9+]+\+ssh:\/\/(?:([^@/]+)@)?([^/:]+)(?::(\d+))?\//.exec(word.text);
      if (match === null) {
        fail(word, `fence_virsh reaches the hypervisor over ssh, so the hypervisor_uri of '${type.text}' must be an ssh URI such as qemu+ssh://root@hv1/system: current value is ${JSON.stringify(word.text)}`);
        ok = false;
        return;
      }
      out.ip = match[2] ?? '';
      out.username = match[1] ?? 'root';
      if (match[3] !== undefined) out.ipport = match[3];
    } else {
      out[to] = word.text;
    }
  });
  if (!ok) return undefined;
  return { at, from, type, agent: plugin.agent, params: out, ...(targets !== undefined ? { targets } : {}) };
}
