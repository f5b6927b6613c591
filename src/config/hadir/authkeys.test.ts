import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';
import type { ConfigIssue } from '../model.js';
import { checkAuthkeysMode, deriveSecret, parseAuthkeys, tandemKeyId } from './authkeys.js';

const F = '/etc/ha.d/authkeys';
const brief = (issues: readonly ConfigIssue[]): string[] => issues.map((i) => `${i.line}:${i.column} ${i.code}`);

describe('authkeys', () => {
  test('sha1: the active key becomes the key ring, derived as documented', () => {
    const { keyRing, issues } = parseAuthkeys('auth 1\n1 sha1 SecretKey!\n', F, 0o600);
    assert.deepEqual(issues, []);
    const expected = createHash('sha256').update('tandem-authkeys-v1\0sha1\0SecretKey!').digest('hex');
    assert.deepEqual(keyRing, { keys: [{ id: 1, secret: Buffer.from(expected) }], sendKeyId: 1 });
    assert.equal(keyRing?.keys[0]?.secret.length, 64);
  });

  test('deterministic, and distinct per method and key', () => {
    assert.deepEqual(deriveSecret('md5', 'k'), deriveSecret('md5', 'k'));
    assert.notDeepEqual(deriveSecret('md5', 'k'), deriveSecret('sha1', 'k'));
    assert.equal(tandemKeyId(0), 16);
    assert.equal(tandemKeyId(15), 15);
  });

  test('modes: 0600 and 0400 pass, group or other access is refused with the reason', () => {
    assert.equal(checkAuthkeysMode(F, 0o100600), undefined);
    assert.equal(checkAuthkeysMode(F, 0o400), undefined);
    const issue = checkAuthkeysMode(F, 0o644);
    assert.equal(issue?.code, 'TND_E_KEYS_AUTHKEYS_MODE');
    assert.match(issue?.message ?? '', /mode 0644.*read the keys.*chmod 600/);
    assert.match(checkAuthkeysMode(F, 0o620)?.message ?? '', /replace them/);
    const refused = parseAuthkeys('auth 1\n1 sha1 x\n', F, 0o640);
    assert.deepEqual([refused.keyRing, brief(refused.issues)], [undefined, ['0:0 TND_E_KEYS_AUTHKEYS_MODE']]);
  });

  test('crc: imported with a warning that it offers no security', () => {
    const { keyRing, issues } = parseAuthkeys('auth 1\n1 crc\n', F);
    assert.ok(keyRing);
    assert.deepEqual(brief(issues), ['2:1 TND_W_KEYS_AUTHKEYS_CRC']);
    assert.match(issues[0]?.message ?? '', /no secret/);
  });

  test('the key is one word; more text and inactive entries are warned about', () => {
    const { keyRing, issues } = parseAuthkeys('auth 2\n1 md5 Hello!\n2 sha1 my secret key\n', F);
    assert.deepEqual(keyRing?.keys[0]?.secret, deriveSecret('sha1', 'my'));
    assert.deepEqual(brief(issues), ['2:1 TND_W_KEYS_AUTHKEYS_IGNORED', '3:11 TND_W_KEYS_AUTHKEYS_IGNORED']);
  });

  test('errors, each at its word', () => {
    assert.deepEqual(brief(parseAuthkeys('1 sha1 x\n', F).issues), ['0:0 TND_E_KEYS_AUTHKEYS_AUTH']);
    assert.deepEqual(brief(parseAuthkeys('auth 3\n1 sha1 x\n', F).issues), ['1:6 TND_E_KEYS_AUTHKEYS_AUTH']);
    assert.deepEqual(brief(parseAuthkeys('auth 1\nauth 1\n1 sha1 x\n', F).issues), ['2:1 TND_E_KEYS_AUTHKEYS_AUTH']);
    assert.deepEqual(brief(parseAuthkeys('auth 16\n16 sha1 x\n', F).issues), ['1:6 TND_E_KEYS_AUTHKEYS_INDEX', '2:1 TND_E_KEYS_AUTHKEYS_INDEX']);
    assert.deepEqual(brief(parseAuthkeys('auth 1\n1 sha256 x\n', F).issues), ['2:3 TND_E_KEYS_AUTHKEYS_METHOD']);
    assert.deepEqual(brief(parseAuthkeys('auth 1\n1 sha1\n', F).issues), ['2:3 TND_E_KEYS_AUTHKEYS_METHOD']);
    assert.deepEqual(brief(parseAuthkeys('auth 1\n1 crc abc\n', F).issues), ['2:7 TND_E_KEYS_AUTHKEYS_METHOD']);
    assert.deepEqual(brief(parseAuthkeys('auth 1\n1 sha1 a\n1 md5 b\n', F).issues), ['3:1 TND_E_KEYS_DUPLICATE_ID']);
    assert.deepEqual(brief(parseAuthkeys('auth 1\nsend 1\n1 sha1 a\n', F).issues), ['2:1 TND_E_KEYS_SYNTAX']);
    assert.equal(parseAuthkeys('auth 1\n1 sha256 x\n', F).keyRing, undefined);
  });

  test('index 0 is valid in heartbeat and becomes tandem key 16', () => {
    const { keyRing, issues } = parseAuthkeys('  # comment\nauth 0\n0 md5 k\n', F);
    assert.deepEqual(issues, []);
    assert.equal(keyRing?.sendKeyId, 16);
  });
});
