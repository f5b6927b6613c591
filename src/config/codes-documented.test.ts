/** Every config issue code a user can meet is explained in the README's configuration reference. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { CONFIG_ISSUE_CODES } from './codes.js';

test('every config issue code is documented in the README', () => {
  const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
  const missing = Object.keys(CONFIG_ISSUE_CODES).filter((code) => !readme.includes(`\`${code}\``));
  assert.deepEqual(missing, []);
});
