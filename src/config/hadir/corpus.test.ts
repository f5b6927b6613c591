/**
 * The ha.d corpus: every `test/hadir-corpus/cases/NN-name/` directory (ha.cf, haresources, authkeys, expected) is
 * loaded through `loadHadir` and must give EXACTLY what its `expected` file says: the same issues (no extra, no
 * missing) and, when it loads, the same facts about the imported config (all of them, rendered as below).
 *
 * `expected`, one item a line (`#` lines and blank lines are comments):
 *
 *   Host facts (what `tandem config check DIR` would learn from the machine):
 *     host NAME                      this host's name (`uname -n`); absent = not given
 *     iface IFACE ADDRESS/PREFIX     an address of this host's interface (several lines for several addresses)
 *     address NODE IFACE ADDRESS     an address given to the import explicitly
 *     broadcast IFACE ADDRESS        a broadcast address given to the import explicitly
 *     mode 0644                      authkeys' mode (default 0600: git keeps no mode, the test sets it)
 *
 *   Issues:   error|warning CODE FILE:LINE:COLUMN MESSAGE-REGEXP      (FILE = ha.cf, haresources or authkeys)
 *
 *   Facts (only for a case that loads; a case with an error must not load):
 *     cluster NAME
 *     timings keepalive=MS warntime=MS deadtime=MS initdead=MS
 *     link NAME TRANSPORT key=value…                 (every field of the link)
 *     node NAME LINK=ADDRESS@IFACE… LINK=DEVICE…               (DEVICE: a serial link's tty)
 *     group NAME nodes=A,B failback=auto|manual resources=ID,ID…
 *     resource ID ipaddr ADDRESS/PREFIX@IFACE monitor=MS      |  resource ID heartbeat SCRIPT[::ARG…] monitor=MS
 *     ping interval=MS dead=MS targets=NAME=ADDR+ADDR,…
 *     fence NAME AGENT nodes=A,B param=value… [plug:NODE=PLUG…]
 *     fencing action=ACTION levels=NODE:DEV+DEV/DEV;…
 *     watchdog DEVICE timeout=MS
 *     quorum votes=NODE:N,… no_quorum=POLICY wait_for_all=yes|no
 *     origin auto_failback=on|off|legacy
 *     keys send=ID ID=METHOD:KEY…                    (each tandem key shown as the authkeys entry it derives from)
 *
 * Scripts are looked up in test/hadir-corpus/scripts only, so nothing depends on the machine's /etc/init.d.
 * Each case is copied to a temporary directory first, so the authkeys mode can be set without touching the tree.
 */
import { strict as assert } from 'node:assert';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { DEFAULT_GROUP_POLICY, DEFAULT_LOGGING, DEFAULT_RECONCILE, DEFAULT_RESOURCE_TIMINGS, DEFAULT_RUNTIME_DIR, DEFAULT_STATE_DIR, type ClusterConfig, type ConfigIssue, type KeyRing } from '../model.js';
import { deriveSecret, parseAuthkeys, tandemKeyId } from './authkeys.js';
import { HACF_DIRECTIVES, tokenizeHaCf } from './hacf.js';
import type { HostInterfaceAddress } from './import.js';
import { loadHadir, type LoadHadirOptions } from './load.js';

const corpus = fileURLToPath(new URL('../../../../test/hadir-corpus/', import.meta.url));
const casesDir = join(corpus, 'cases');
const scriptDirs = [join(corpus, 'scripts', 'resource.d'), join(corpus, 'scripts', 'init.d')];
const EXECUTABLE_SCRIPTS = ['resource.d/Filesystem', 'resource.d/IPaddr', 'resource.d/IPaddr2', 'resource.d/ipvsadm', 'resource.d/drbddisk', 'resource.d/MailTo', 'init.d/httpd', 'init.d/mysql'];
const NOT_EXECUTABLE_SCRIPTS = ['init.d/smb'];
/** Set HADIR_CORPUS_BLESS=DIR to have each case's actual result written to DIR/NAME (for review, never copied blindly). */
const BLESS = process.env.HADIR_CORPUS_BLESS;

interface ExpectedIssue {
  readonly severity: 'error' | 'warning';
  readonly code: string;
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly message: RegExp;
  readonly text: string;
}

interface Expected {
  readonly host: string[];
  readonly options: LoadHadirOptions;
  readonly mode: number;
  readonly issues: ExpectedIssue[];
  readonly facts: string[];
}

const FACTS = ['cluster', 'timings', 'link', 'node', 'group', 'resource', 'ping', 'fence', 'fencing', 'watchdog', 'quorum', 'origin', 'keys', 'extra'];

/** A dotted (IPv4) or colon (IPv6) netmask of `prefix` bits, as os.networkInterfaces() gives it. */
function netmask(prefix: number, family: 4 | 6): string {
  const width = family === 4 ? 8 : 16;
  const bits = '1'.repeat(prefix).padEnd(family === 4 ? 32 : 128, '0');
  const parts = bits.match(new RegExp(`.{${width}}`, 'g')) ?? [];
  return parts.map((part) => parseInt(part, 2).toString(family === 4 ? 10 : 16)).join(family === 4 ? '.' : ':');
}

function parseExpected(text: string, name: string): Expected {
  const host: string[] = [];
  let hostName: string | undefined;
  const interfaces: Record<string, HostInterfaceAddress[]> = {};
  const addresses: Record<string, Record<string, string>> = {};
  const broadcasts: Record<string, string> = {};
  let mode = 0o600;
  const issues: ExpectedIssue[] = [];
  const facts: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const [keyword = '', ...words] = line.split(/\s+/);
    const bad = (): never => assert.fail(`${name}/expected: cannot read ${JSON.stringify(line)}`);
    switch (keyword) {
      case 'host':
        hostName = words[0] ?? bad();
        host.push(line);
        break;
      case 'iface': {
        const [iface, spec] = words;
        const match = /^(.+)\/(\d+)$/.exec(spec ?? '');
        if (iface === undefined || match === null) return bad();
        const address = match[1] as string;
        (interfaces[iface] ??= []).push({ address, netmask: netmask(Number(match[2]), address.includes(':') ? 6 : 4) });
        host.push(line);
        break;
      }
      case 'address': {
        const [node, iface, address] = words;
        if (node === undefined || iface === undefined || address === undefined) return bad();
        (addresses[node] ??= {})[iface] = address;
        host.push(line);
        break;
      }
      case 'broadcast': {
        const [iface, address] = words;
        if (iface === undefined || address === undefined) return bad();
        broadcasts[iface] = address;
        host.push(line);
        break;
      }
      case 'mode':
        mode = /^0[0-7]{3}$/.test(words[0] ?? '') ? parseInt(words[0] as string, 8) : bad();
        host.push(line);
        break;
      case 'error':
      case 'warning': {
        const match = /^(error|warning)\s+(TND_[A-Z0-9_]+)\s+(ha\.cf|haresources|authkeys):(\d+):(\d+)\s+(.+)$/.exec(line);
        if (match === null) return bad();
        issues.push({ severity: keyword, code: match[2] as string, file: match[3] as string, line: Number(match[4]), column: Number(match[5]), message: new RegExp(match[6] as string), text: line });
        break;
      }
      default:
        if (!FACTS.includes(keyword)) return bad();
        facts.push(line.replace(/\s+/g, ' '));
    }
  }
  const options: LoadHadirOptions = {
    ...(hostName !== undefined ? { hostName } : {}),
    ...(Object.keys(interfaces).length > 0 ? { interfaces } : {}),
    ...(Object.keys(addresses).length > 0 ? { addresses } : {}),
    ...(Object.keys(broadcasts).length > 0 ? { broadcasts } : {}),
    scriptDirs,
  };
  return { host, options, mode, issues, facts };
}

const ms = (value: number): string => String(value);
const kv = (object: object, skip: readonly string[]): string[] =>
  Object.entries(object)
    .filter(([key]) => !skip.includes(key))
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([key, value]) => `${key}=${typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' ? String(value) : JSON.stringify(value)}`);

/** Every fact of an imported config, in the `expected` syntax (see the module comment). */
function renderFacts(config: ClusterConfig, keyRing: KeyRing | undefined, authkeysText: string): string[] {
  const out: string[] = [];
  const { cluster, keyFile, timings, links, nodes, logging, stateDir, runtimeDir, groups, reconcile, quorum, ping, fencing, watchdog, origin, ...rest } = config;
  out.push(`cluster ${cluster}${keyFile !== '/etc/tandem/keys' ? ` key_file=${keyFile}` : ''}`);
  // What the import never sets from ha.d: tandem's defaults, shown only if that ever changes.
  if (JSON.stringify([logging, stateDir, runtimeDir, reconcile]) !== JSON.stringify([DEFAULT_LOGGING, DEFAULT_STATE_DIR, DEFAULT_RUNTIME_DIR, DEFAULT_RECONCILE])) {
    out.push(`extra defaults=${JSON.stringify({ logging, stateDir, runtimeDir, reconcile })}`);
  }
  out.push(`timings keepalive=${ms(timings.keepaliveMs)} warntime=${ms(timings.warntimeMs)} deadtime=${ms(timings.deadtimeMs)} initdead=${ms(timings.initdeadMs)}`);
  for (const link of links) out.push(['link', link.name, link.transport, ...kv(link, ['name', 'transport'])].join(' '));
  for (const node of nodes) {
    const onLinks = Object.entries(node.links).map(([link, a]) => {
      const device = (a as { device?: string }).device;
      if (device !== undefined) return `${link}=${device}${Object.keys(a).length > 1 ? `[${kv(a, ['device']).join(',')}]` : ''}`;
      const more = kv(a, ['address', 'interface']);
      return `${link}=${String((a as { address?: string }).address ?? '')}${a.interface !== undefined ? `@${a.interface}` : ''}${more.length > 0 ? `[${more.join(',')}]` : ''}`;
    });
    out.push(['node', node.name, ...onLinks].join(' '));
  }
  for (const group of groups) {
    const policy = group.migrationThreshold !== DEFAULT_GROUP_POLICY.migrationThreshold || group.failureTimeoutMs !== DEFAULT_GROUP_POLICY.failureTimeoutMs ? ` migration_threshold=${group.migrationThreshold} failure_timeout=${group.failureTimeoutMs}` : '';
    out.push(`group ${group.name} nodes=${group.nodes.join(',')} failback=${group.failback} resources=${group.resources.map((r) => r.id).join(',')}${policy}`);
    for (const r of group.resources) {
      const a = r.agent;
      const agent =
        a.kind === 'ipaddr'
          ? `ipaddr ${a.address}/${a.prefix}@${a.interface}${a.announceCount !== 3 || a.announceIntervalMs !== 200 ? ` announce=${a.announceCount}x${a.announceIntervalMs}` : ''}`
          : a.kind === 'heartbeat'
            ? `heartbeat ${[a.script, ...a.args].join('::')}`
            : `${a.kind} ${JSON.stringify(a)}`;
      const timeouts = r.startTimeoutMs !== DEFAULT_RESOURCE_TIMINGS.startTimeoutMs || r.stopTimeoutMs !== DEFAULT_RESOURCE_TIMINGS.stopTimeoutMs || r.monitorTimeoutMs !== DEFAULT_RESOURCE_TIMINGS.monitorTimeoutMs ? ` start=${r.startTimeoutMs} stop=${r.stopTimeoutMs} monitor_timeout=${r.monitorTimeoutMs}` : '';
      out.push(`resource ${r.id} ${agent} monitor=${r.monitorIntervalMs}${timeouts}`);
    }
  }
  if (ping !== undefined) out.push(`ping interval=${ping.intervalMs} dead=${ping.deadMs} targets=${ping.groups.map((g) => `${g.name}=${g.addresses.join('+')}`).join(',')}`);
  if (fencing !== undefined) {
    for (const d of fencing.devices) {
      out.push(['fence', d.name, d.agent, `nodes=${d.nodes.join(',')}`, ...kv(d.params, []), ...Object.entries(d.hostMap).map(([node, plug]) => `plug:${node}=${plug}`)].join(' '));
    }
    const levels = Object.entries(fencing.levels).map(([node, list]) => `${node}:${list.map((level) => level.join('+')).join('/')}`);
    out.push(`fencing action=${fencing.action} levels=${levels.join(';')}`);
  }
  if (watchdog !== undefined) out.push(`watchdog ${watchdog.device} timeout=${watchdog.timeoutMs}`);
  out.push(`quorum votes=${Object.entries(quorum.votes).map(([n, v]) => `${n}:${v}`).join(',')} no_quorum=${quorum.noQuorum} wait_for_all=${quorum.waitForAll ? 'yes' : 'no'}`);
  if (origin !== undefined) out.push(`origin auto_failback=${origin.autoFailback}`);
  for (const [key, value] of Object.entries(rest)) out.push(`extra ${key}=${JSON.stringify(value)}`);
  if (keyRing !== undefined) {
    const entries = parseAuthkeys(authkeysText, 'authkeys').authkeys.entries;
    const keys = keyRing.keys.map((key) => {
      const from = entries.find((e) => tandemKeyId(e.index) === key.id && deriveSecret(e.method, e.key).equals(key.secret));
      return `${key.id}=${from !== undefined ? `${from.method}:${from.key}` : `?${key.secret.toString('hex')}`}`;
    });
    out.push(`keys send=${keyRing.sendKeyId} ${keys.join(' ')}`);
  }
  return out;
}

const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const issueLine = (i: ConfigIssue): string => `${i.severity} ${i.code} ${basename(i.file)}:${i.line}:${i.column} ${escape(i.message)}`;
/** The blessed form: the message's start, enough to be read and to tell issues apart. */
const blessLine = (i: ConfigIssue): string => {
  const cut = i.message.length <= 90 ? i.message : i.message.slice(0, i.message.indexOf(' ', 80) < 0 ? undefined : i.message.indexOf(' ', 80));
  return `${i.severity} ${i.code} ${basename(i.file)}:${i.line}:${i.column} ${escape(cut)}`;
};

function matches(issue: ConfigIssue, want: ExpectedIssue): boolean {
  return issue.severity === want.severity && issue.code === want.code && basename(issue.file) === want.file && issue.line === want.line && issue.column === want.column && want.message.test(issue.message);
}

const cases = existsSync(casesDir) ? readdirSync(casesDir).filter((name) => /^\d\d-[a-z0-9-]+$/.test(name)).sort() : [];
let work = '';

describe('ha.d corpus', () => {
  before(() => {
    for (const script of EXECUTABLE_SCRIPTS) chmodSync(join(corpus, 'scripts', script), 0o755);
    for (const script of NOT_EXECUTABLE_SCRIPTS) chmodSync(join(corpus, 'scripts', script), 0o644);
    work = mkdtempSync(join(tmpdir(), 'tandem-hadir-corpus-'));
  });
  after(() => rmSync(work, { recursive: true, force: true }));

  test('has at least 30 cases, each with ha.cf, haresources, authkeys and expected', () => {
    assert.ok(cases.length >= 30, `only ${cases.length} cases`);
    for (const name of cases) {
      for (const file of ['ha.cf', 'haresources', 'authkeys', 'expected']) assert.ok(existsSync(join(casesDir, name, file)), `${name}/${file} is missing`);
    }
  });

  test('every heartbeat 3.0.6 ha.cf directive appears in some case', () => {
    const seen = new Set<string>();
    for (const name of cases) for (const d of tokenizeHaCf(readFileSync(join(casesDir, name, 'ha.cf'), 'utf8'))) seen.add(d.written);
    assert.deepEqual(HACF_DIRECTIVES.filter((directive) => !seen.has(directive)), []);
    assert.ok(seen.has('udp'), "heartbeat's old 'udp' spelling is covered");
  });

  for (const name of cases) {
    test(name, () => {
      const source = join(casesDir, name);
      const expected = parseExpected(readFileSync(join(source, 'expected'), 'utf8'), name);
      const dir = join(work, name);
      mkdirSync(dir);
      for (const file of ['ha.cf', 'haresources', 'authkeys']) copyFileSync(join(source, file), join(dir, file));
      chmodSync(join(dir, 'authkeys'), expected.mode);
      const loaded = loadHadir(dir, expected.options);
      // Messages that name the fixture scripts' directory say @CORPUS@/ for it, so the corpus holds wherever the
      // checkout is (CI clones it elsewhere).
      const result = { ...loaded, issues: loaded.issues.map((issue) => ({ ...issue, message: issue.message.split(corpus).join('@CORPUS@/') })) };

      const unmatched = [...result.issues];
      const missing: string[] = [];
      for (const want of expected.issues) {
        const at = unmatched.findIndex((issue) => matches(issue, want));
        if (at < 0) missing.push(want.text);
        else unmatched.splice(at, 1);
      }
      const facts = result.config !== undefined ? renderFacts(result.config, result.keyRing, readFileSync(join(dir, 'authkeys'), 'utf8')) : [];
      if (BLESS !== undefined) {
        mkdirSync(BLESS, { recursive: true });
        writeFileSync(join(BLESS, name), [...expected.host, '', ...result.issues.map(blessLine), '', ...facts, ''].join('\n'));
      }
      const report = [
        ...missing.map((line) => `expected but not reported: ${line}`),
        ...unmatched.map((issue) => `reported but not expected: ${issueLine(issue)}`),
        ...expected.facts.filter((f) => !facts.includes(f)).map((f) => `expected fact not true: ${f}`),
        ...facts.filter((f) => !expected.facts.includes(f)).map((f) => `fact not expected: ${f}`),
      ];
      assert.deepEqual(report, [], `${name}:\n${report.join('\n')}`);
      const hasError = expected.issues.some((i) => i.severity === 'error');
      assert.equal(result.config !== undefined, !hasError, hasError ? 'a case with an error must not load' : 'a case without an error must load');
      assert.equal(result.keyRing !== undefined, !hasError);
    });
  }
});
