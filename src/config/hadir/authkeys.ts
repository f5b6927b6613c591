/**
 * heartbeat's /etc/ha.d/authkeys → tandem's KeyRing.
 *
 * Format (heartbeat 3.0.6 auth.c:parse_authfile; research notes §3.1):
 *
 *     auth 1                  # exactly one: the index that signs outgoing packets
 *     1 sha1 SecretKey!       # INDEX METHOD [KEY]; INDEX 0..15; METHOD crc | md5 | sha1
 *     3 crc                   # crc takes no key
 *
 *   - Lines whose first non-blank character is `#`, and blank lines, are skipped. (Unlike ha.cf, a `#` later on a
 *     line is not a comment: heartbeat reads lines with sscanf("%d%s%s"), so the key is the third WORD, whatever
 *     it contains, and anything after it is ignored — warned about, since a key with a space in it is a classic
 *     mistake: heartbeat used only its first word.)
 *   - md5 and sha1 need a key; crc must not have one.
 *   - The file must not be readable by group or others (heartbeat: "Bad permissions on keyfile … 600 recommended");
 *     `checkAuthkeysMode` refuses any group/other access bit, so 0600 and 0400 pass.
 *
 * Derivation of the tandem key (deterministic, so every node importing the same authkeys gets the same key):
 *
 *     secret = hex(SHA-256("tandem-authkeys-v1\0" + METHOD + "\0" + KEY))     (KEY = "" for crc)
 *
 * The secret is the 64-character lower-case hex TEXT (its UTF-8 bytes are the key), so the ring can be written to
 * a tandem key file as `ID SECRET` and read back unchanged. The tandem key id is the authkeys index, except index 0
 * (tandem ids start at 1), which becomes 16 — outside authkeys' 0..15, so it can collide with nothing.
 * Only the ACTIVE entry (the one `auth N` names) is imported: heartbeat 3.0.6 checks every netstring packet against
 * its own active key (research notes §3.5), so the other entries never authenticated anything.
 * crc has no secret: the derived key is the same for every crc cluster and protects nothing (warned).
 *
 * Invariants:
 *   1. Pure: text (and a mode, when the caller has one) in, result out.
 *   2. `keyRing` is returned only when there is no error.
 *   3. Every issue carries the line and column of the offending word; whole-file issues have line 0.
 */
import { createHash } from 'node:crypto';
import type { ConfigIssueCode } from '../codes.js';
import type { ConfigIssue, KeyRing } from '../model.js';
import type { SourceComment } from './hacf.js';

export type AuthMethod = 'crc' | 'md5' | 'sha1';

export interface AuthkeysEntry {
  readonly index: number;
  readonly method: AuthMethod;
  /** The key as heartbeat reads it (one word); '' for crc. */
  readonly key: string;
  readonly line: number;
}

export interface Authkeys {
  /** The `auth N` index. */
  readonly active?: number;
  readonly entries: readonly AuthkeysEntry[];
}

const METHODS: readonly AuthMethod[] = ['crc', 'md5', 'sha1'];
const DERIVATION_LABEL = 'tandem-authkeys-v1';

/** The tandem key id of an authkeys index (see the module comment). */
export function tandemKeyId(index: number): number {
  return index === 0 ? 16 : index;
}

/** The tandem secret derived from one authkeys entry (see the module comment). */
export function deriveSecret(method: AuthMethod, key: string): Buffer {
  const digest = createHash('sha256').update(`${DERIVATION_LABEL}\0${method}\0${key}`, 'utf8').digest('hex');
  return Buffer.from(digest, 'utf8');
}

/** The refusal for an authkeys file group or others may access, or undefined when the mode is safe. Pure. */
export function checkAuthkeysMode(fileName: string, mode: number): ConfigIssue | undefined {
  if ((mode & 0o077) === 0) return undefined;
  const octal = (mode & 0o7777).toString(8).padStart(4, '0');
  const who = [(mode & 0o044) !== 0 ? 'read the keys' : '', (mode & 0o022) !== 0 ? 'replace them' : '', (mode & 0o011) !== 0 ? 'execute the file' : ''].filter((s) => s !== '').join(' and ');
  return {
    severity: 'error',
    code: 'TND_E_KEYS_AUTHKEYS_MODE',
    file: fileName,
    line: 0,
    column: 0,
    path: '',
    message: `${fileName} has mode ${octal}, so users other than its owner may ${who}; heartbeat refuses such a file ("Bad permissions on keyfile") and so does the import (fix: chmod 600 ${fileName})`,
  };
}

/**
 * Parses authkeys text and derives the key ring. Give `mode` (st_mode) to have the permissions checked too.
 *
 * @example
 * const { keyRing, issues } = parseAuthkeys('auth 1\n1 sha1 SecretKey!\n', '/etc/ha.d/authkeys', 0o600);
 */
export function parseAuthkeys(text: string, fileName: string, mode?: number): { authkeys: Authkeys; keyRing?: KeyRing; issues: ConfigIssue[] } {
  const issues: ConfigIssue[] = [];
  const report = (severity: 'error' | 'warning', code: ConfigIssueCode, line: number, column: number, message: string): void => {
    issues.push({ severity, code, file: fileName, line, column, path: '', message });
  };
  const modeIssue = mode === undefined ? undefined : checkAuthkeysMode(fileName, mode);
  if (modeIssue !== undefined) return { authkeys: { entries: [] }, issues: [modeIssue] };

  const entries: AuthkeysEntry[] = [];
  /** Indexes on some key line, even a rejected one: 'auth N' naming one of them is not a second problem. */
  const mentioned = new Set<number>();
  let auth: { index: number | undefined; line: number; column: number } | undefined;
  text.split('\n').forEach((raw, i) => {
    const line = i + 1;
    const body = raw.replace(/\r$/, '');
    const words = [...body.matchAll(/\S+/g)].map((m) => ({ text: m[0], column: (m.index ?? 0) + 1 }));
    const [first, second, third, ...rest] = words;
    if (first === undefined || first.text.startsWith('#')) return;
    if (first.text === 'auth') {
      if (auth !== undefined) {
        report('error', 'TND_E_KEYS_AUTHKEYS_AUTH', line, first.column, `'auth' is given twice (first on line ${auth.line}); authkeys must have exactly one`);
        return;
      }
      if (second === undefined) {
        report('error', 'TND_E_KEYS_AUTHKEYS_AUTH', line, first.column, "'auth' needs the index of the key that signs outgoing packets, such as 'auth 1'");
        auth = { index: undefined, line, column: first.column };
        return;
      }
      const index = parseIndex(second.text);
      if (index === undefined) report('error', 'TND_E_KEYS_AUTHKEYS_INDEX', line, second.column, indexMessage(second.text));
      auth = { index, line, column: second.column };
      if (third !== undefined) report('warning', 'TND_W_KEYS_AUTHKEYS_IGNORED', line, third.column, `heartbeat ignores ${JSON.stringify(words.slice(2).map((w) => w.text).join(' '))} after 'auth ${second.text}'`);
      return;
    }
    const index = parseIndex(first.text);
    if (index === undefined) {
      if (/^\d+$/.test(first.text)) report('error', 'TND_E_KEYS_AUTHKEYS_INDEX', line, first.column, indexMessage(first.text));
      else report('error', 'TND_E_KEYS_SYNTAX', line, first.column, `an authkeys line is 'auth N' or 'N METHOD [KEY]': current line starts with ${JSON.stringify(first.text)}`);
      return;
    }
    mentioned.add(index);
    if (second === undefined) {
      report('error', 'TND_E_KEYS_AUTHKEYS_METHOD', line, first.column, `key ${index} has no method: write 'N crc', 'N md5 KEY' or 'N sha1 KEY'`);
      return;
    }
    const method = METHODS.find((m) => m === second.text);
    if (method === undefined) {
      report('error', 'TND_E_KEYS_AUTHKEYS_METHOD', line, second.column, `the method of key ${index} must be crc, md5 or sha1: current value is ${JSON.stringify(second.text)}`);
      return;
    }
    if (method === 'crc' && third !== undefined) {
      report('error', 'TND_E_KEYS_AUTHKEYS_METHOD', line, third.column, `crc takes no key (heartbeat: "crc doesn't use a key"): remove ${JSON.stringify(third.text)}`);
      return;
    }
    if (method !== 'crc' && third === undefined) {
      report('error', 'TND_E_KEYS_AUTHKEYS_METHOD', line, second.column, `${method} needs a key: write '${index} ${method} KEY'`);
      return;
    }
    if (rest.length > 0) {
      const after = rest.map((w) => w.text).join(' ');
      report('warning', 'TND_W_KEYS_AUTHKEYS_IGNORED', line, (rest[0] as { column: number }).column, `the key of entry ${index} is the single word ${JSON.stringify(third?.text)}: heartbeat ignored ${JSON.stringify(after)} after it, and so does the import (a key cannot contain white space)`);
    }
    const first2 = entries.find((e) => e.index === index);
    if (first2 !== undefined) {
      report('error', 'TND_E_KEYS_DUPLICATE_ID', line, first.column, `key ${index} is defined twice: first on line ${first2.line}`);
      return;
    }
    entries.push({ index, method, key: third?.text ?? '', line });
  });

  if (auth === undefined) report('error', 'TND_E_KEYS_AUTHKEYS_AUTH', 0, 0, "no 'auth N' line: heartbeat needs exactly one, naming the key that signs outgoing packets");
  const active = auth?.index !== undefined ? entries.find((e) => e.index === auth?.index) : undefined;
  if (auth?.index !== undefined && active === undefined && !mentioned.has(auth.index)) {
    const defined = entries.map((e) => e.index);
    report('error', 'TND_E_KEYS_AUTHKEYS_AUTH', auth.line, auth.column, `'auth ${auth.index}' names no key of this file: ${defined.length > 0 ? `defined indexes are ${defined.join(', ')}` : 'no key is defined'}`);
  }
  if (active !== undefined) {
    if (active.method === 'crc') {
      report('warning', 'TND_W_KEYS_AUTHKEYS_CRC', active.line, 1, `the active method is crc, which has no secret: anyone who can send to the heartbeat links can forge messages (the derived tandem key is the same for every crc cluster); use sha1 with a random key, or a tandem key file`);
    }
    for (const entry of entries) {
      if (entry !== active) report('warning', 'TND_W_KEYS_AUTHKEYS_IGNORED', entry.line, 1, `key ${entry.index} is not the active one ('auth ${active.index}') and is not imported: heartbeat 3.0.6 checks every packet against its active key only`);
    }
  }
  issues.sort((a, b) => a.line - b.line || a.column - b.column);
  const authkeys: Authkeys = { entries, ...(auth?.index !== undefined ? { active: auth.index } : {}) };
  if (issues.some((issue) => issue.severity === 'error') || active === undefined) return { authkeys, issues };
  const id = tandemKeyId(active.index);
  return { authkeys, keyRing: { keys: [{ id, secret: deriveSecret(active.method, active.key) }], sendKeyId: id }, issues };
}

/**
 * An authkeys issue's message with every quoted text left out: some quote a key, or the words after it (which may
 * be the rest of a key with a space in it), and such a message can end up in a file or a terminal others read.
 */
export function redactAuthkeysMessage(message: string): string {
  return message.replace(/"(?:[^"\\]|\\.)*"/g, '"…"');
}

/**
 * The comments of authkeys: only lines whose first non-blank character is `#` (a `#` after the key is part of the
 * line heartbeat ignores, and may be part of a secret). The text is what follows that `#`.
 */
export function authkeysComments(text: string): SourceComment[] {
  const out: SourceComment[] = [];
  text.split('\n').forEach((raw, i) => {
    const body = raw.replace(/\r$/, '');
    const start = body.length - body.trimStart().length;
    if (body[start] === '#') out.push({ line: i + 1, text: body.slice(start + 1), trailing: false });
  });
  return out;
}

function parseIndex(text: string): number | undefined {
  if (!/^\d{1,2}$/.test(text)) return undefined;
  const index = Number(text);
  return index <= 15 ? index : undefined;
}

function indexMessage(text: string): string {
  return `an authkeys index must be an integer from 0 to 15: current value is ${JSON.stringify(text)}`;
}
