/** Every issue code used under src/config is in the catalog, and every catalog entry is used (fastify's check). */
import { strict as assert } from 'node:assert';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { CONFIG_ISSUE_CODES } from './codes.js';

const sourceDir = fileURLToPath(new URL('../../../src/config/', import.meta.url));

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return name.endsWith('.ts') && !name.endsWith('.test.ts') && name !== 'codes.ts' ? [path] : [];
  });
}

test('codes used and codes documented are the same set', () => {
  const used = new Set<string>();
  for (const file of sources(sourceDir)) {
    for (const match of readFileSync(file, 'utf8').matchAll(/'(TND_[EW]_[A-Z0-9_]+)'/g)) used.add(match[1] as string);
  }
  const documented = new Set(Object.keys(CONFIG_ISSUE_CODES));
  assert.deepEqual([...used].filter((code) => !documented.has(code)).sort(), []);
  assert.deepEqual([...documented].filter((code) => !used.has(code)).sort(), []);
});

test('severity follows the code prefix', () => {
  for (const code of Object.keys(CONFIG_ISSUE_CODES)) assert.match(code, /^TND_(E|W)_(CONFIG|KEYS)_[A-Z0-9_]+$/);
});
