/**
 * The key file: the shared secrets that authenticate cluster messages, in the spirit of heartbeat's authkeys.
 *
 * Format, one item per line:
 *
 *     # a comment (a line whose first non-blank character is '#')
 *     send 1
 *     1 first-secret-of-at-least-16-characters
 *     2 the next secret, during a rotation
 *
 *   - `send ID` (exactly one) names the key this node signs with.
 *   - `ID SECRET` defines a key accepted on receive. ID is a decimal integer from 1 to 255, and SECRET is the rest of
 *     the line, at least 16 characters; its bytes are the UTF-8 encoding of that text. White space around the secret
 *     is not part of it (an invisible trailing blank would otherwise make two nodes disagree).
 *   - Blank lines are ignored.
 *
 * heartbeat writes `auth 1` and `1 sha1 SECRET`; tandem has one MAC, so there is no method column.
 * The file must be mode 0600; that check needs the file system and lives in `load.ts` (`checkKeyFileMode`).
 *
 * Invariants:
 *   1. Pure: parses text, reads no file.
 *   2. `ring` is returned only when there is no issue at all; every key-file issue is an error.
 *   3. Every issue carries the line and column of the offending token; an issue about the whole file has line 0.
 */
import type { ConfigIssue, KeyRing, AuthKey } from './model.js';
import type { ConfigIssueCode } from './codes.js';

export const KEY_ID_MIN = 1;
export const KEY_ID_MAX = 255;
export const SECRET_LENGTH_MIN = 16;

/**
 * Parses a key file.
 *
 * @example
 * const { ring, issues } = parseKeyFile('send 1\n1 correct-horse-battery-staple\n', '/etc/tandem/keys');
 */
export function parseKeyFile(text: string, fileName: string): { ring?: KeyRing; issues: ConfigIssue[] } {
  const issues: ConfigIssue[] = [];
  const report = (code: ConfigIssueCode, line: number, column: number, message: string): void => {
    issues.push({ severity: 'error', code, file: fileName, line, column, path: '', message });
  };
  const keys: AuthKey[] = [];
  const keyLines = new Map<number, number>();
  /** Ids that appear on a key line at all, even a rejected one: `send` naming one of them is not a second problem. */
  const mentioned = new Set<number>();
  let send: { id: number | undefined; line: number; column: number } | undefined;

  const lines = text.split('\n');
  lines.forEach((raw, index) => {
    const lineNo = index + 1;
    const line = raw.replace(/\r$/, '');
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) return;
    const firstAt = line.length - line.trimStart().length;
    const match = /^(\S+)(\s+(.*))?$/.exec(trimmed);
    const word = match?.[1] ?? trimmed;
    const rest = (match?.[3] ?? '').trim();
    const restColumn = firstAt + 1 + (match?.[2] !== undefined ? trimmed.indexOf(rest, word.length) : word.length + 1);

    if (word === 'send' || word === 'auth') {
      if (word === 'auth') {
        report('TND_E_KEYS_SYNTAX', lineNo, firstAt + 1, `heartbeat's 'auth ${rest}' is written 'send ${rest}' in a tandem key file`);
        return;
      }
      if (send !== undefined) {
        report('TND_E_KEYS_DUPLICATE_SEND', lineNo, firstAt + 1, `'send' is given twice: first on line ${send.line}`);
        return;
      }
      if (!/^\S+$/.test(rest)) {
        report('TND_E_KEYS_SYNTAX', lineNo, firstAt + 1, `expected 'send ID' with one key id: current line is ${JSON.stringify(trimmed)}`);
        send = { id: undefined, line: lineNo, column: restColumn };
        return;
      }
      const id = parseId(rest);
      if (id === undefined) report('TND_E_KEYS_BAD_ID', lineNo, restColumn, badIdMessage(rest));
      send = { id, line: lineNo, column: restColumn };
      return;
    }

    const id = parseId(word);
    if (id === undefined) {
      report('TND_E_KEYS_BAD_ID', lineNo, firstAt + 1, `${badIdMessage(word)} (a key line is 'ID SECRET')`);
      return;
    }
    mentioned.add(id);
    if (rest === '') {
      report('TND_E_KEYS_SYNTAX', lineNo, firstAt + 1, `key ${id} has no secret: expected 'ID SECRET' with a secret of at least ${SECRET_LENGTH_MIN} characters`);
      return;
    }
    const length = [...rest].length;
    if (length < SECRET_LENGTH_MIN) {
      report('TND_E_KEYS_SHORT_SECRET', lineNo, restColumn, `the secret of key ${id} must be at least ${SECRET_LENGTH_MIN} characters: it has ${length}`);
      return;
    }
    const firstLine = keyLines.get(id);
    if (firstLine !== undefined) {
      report('TND_E_KEYS_DUPLICATE_ID', lineNo, firstAt + 1, `key ${id} is defined twice: first on line ${firstLine}`);
      return;
    }
    keyLines.set(id, lineNo);
    keys.push({ id, secret: Buffer.from(rest, 'utf8') });
  });

  if (send === undefined) {
    report('TND_E_KEYS_NO_SEND', 0, 0, "no 'send ID' line: name the key this node signs with, such as 'send 1'");
  } else if (send.id !== undefined && !mentioned.has(send.id)) {
    const known = [...keyLines.keys()];
    report('TND_E_KEYS_SEND_UNKNOWN', send.line, send.column, `'send ${send.id}' names no key in this file: ${known.length > 0 ? `defined keys are ${known.join(', ')}` : 'no key is defined'}`);
  }

  if (issues.length > 0 || send?.id === undefined) return { issues };
  return { ring: { keys, sendKeyId: send.id }, issues };
}

function parseId(text: string): number | undefined {
  if (!/^\d{1,3}$/.test(text)) return undefined;
  const id = Number(text);
  return id >= KEY_ID_MIN && id <= KEY_ID_MAX ? id : undefined;
}

function badIdMessage(text: string): string {
  return `a key id must be an integer from ${KEY_ID_MIN} to ${KEY_ID_MAX}: current value is ${JSON.stringify(text)}`;
}
