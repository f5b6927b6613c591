/** The key-file parser: the valid format, and one test per mistake with its line and column. */
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { parseKeyFile } from './keys.js';

const SECRET = 'correct-horse-battery-staple';

test('parses send and keys, with comments and blank lines', () => {
  const text = `# comment\n\n  # indented comment\nsend 2\n1 ${SECRET}\n2   two words, then blanks   \r\n`;
  const { ring, issues } = parseKeyFile(text, 'keys');
  assert.deepEqual(issues, []);
  assert.ok(ring);
  assert.equal(ring.sendKeyId, 2);
  assert.deepEqual(ring.keys.map((k) => k.id), [1, 2]);
  assert.equal(ring.keys[0]?.secret.toString('utf8'), SECRET);
  assert.equal(ring.keys[1]?.secret.toString('utf8'), 'two words, then blanks');
});

test('the secret is the UTF-8 of the text, counted in characters', () => {
  const secret = 'ключ-ключ-ключ-ё'; // 16 characters, more bytes
  const { ring, issues } = parseKeyFile(`send 1\n1 ${secret}\n`, 'keys');
  assert.deepEqual(issues, []);
  assert.deepEqual(ring?.keys[0]?.secret, Buffer.from(secret, 'utf8'));
});

function codes(text: string): string[] {
  const { ring, issues } = parseKeyFile(text, 'k');
  if (issues.length > 0) assert.equal(ring, undefined);
  return issues.map((i) => `${i.line}:${i.column} ${i.code}`);
}

test('missing send', () => {
  assert.deepEqual(codes(`1 ${SECRET}\n`), ['0:0 TND_E_KEYS_NO_SEND']);
  assert.deepEqual(codes(''), ['0:0 TND_E_KEYS_NO_SEND']);
});

test('send naming an absent key', () => {
  assert.deepEqual(codes(`send 3\n1 ${SECRET}\n`), ['1:6 TND_E_KEYS_SEND_UNKNOWN']);
  assert.match(parseKeyFile('send 3\n', 'k').issues[0]?.message ?? '', /no key is defined/);
});

test('duplicate ids and sends', () => {
  assert.deepEqual(codes(`send 1\n1 ${SECRET}\n1 ${SECRET}x\n`), ['3:1 TND_E_KEYS_DUPLICATE_ID']);
  assert.deepEqual(codes(`send 1\nsend 1\n1 ${SECRET}\n`), ['2:1 TND_E_KEYS_DUPLICATE_SEND']);
});

test('short and missing secrets', () => {
  assert.deepEqual(codes('send 1\n1 fifteen-chars-x\n'), ['2:3 TND_E_KEYS_SHORT_SECRET']);
  assert.deepEqual(codes('send 1\n1 sixteen-chars-xx\n'), []);
  assert.deepEqual(codes('send 1\n1\n'), ['2:1 TND_E_KEYS_SYNTAX']);
});

test('bad ids', () => {
  assert.deepEqual(codes(`send 1\n1 ${SECRET}\n0 ${SECRET}\n256 ${SECRET}\nabc ${SECRET}\n-1 ${SECRET}\n`), [
    '3:1 TND_E_KEYS_BAD_ID',
    '4:1 TND_E_KEYS_BAD_ID',
    '5:1 TND_E_KEYS_BAD_ID',
    '6:1 TND_E_KEYS_BAD_ID',
  ]);
  assert.deepEqual(codes(`  send x\n1 ${SECRET}\n`), ['1:8 TND_E_KEYS_BAD_ID']);
  assert.deepEqual(codes(`send 1 2\n1 ${SECRET}\n`), ['1:1 TND_E_KEYS_SYNTAX']);
});

test("heartbeat's auth line gets a pointer to send", () => {
  const { issues } = parseKeyFile(`auth 1\n1 ${SECRET}\n`, 'k');
  assert.equal(issues[0]?.code, 'TND_E_KEYS_SYNTAX');
  assert.match(issues[0]?.message ?? '', /written 'send 1'/);
});
