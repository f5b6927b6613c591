/**
 * Every agent-family code (`TND_E_AGENT_*`) used under src/agents is in the catalog, and every catalog entry is used
 * (fastify's check). Codes of other families that built-in agents may use belong to their own catalogs.
 */
import { strict as assert } from 'node:assert';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { AGENT_ISSUE_CODES } from './codes.js';
import { repoRoot } from './testing.js';

test('codes used and codes documented are the same set', () => {
  const dir = join(repoRoot(), 'src', 'agents');
  const used = new Set<string>();
  for (const name of readdirSync(dir)) {
    if (!name.endsWith('.ts') || name.endsWith('.test.ts') || name === 'codes.ts') continue;
    for (const match of readFileSync(join(dir, name), 'utf8').matchAll(/'(TND_[EW]_AGENT_[A-Z0-9_]+)'/g)) used.add(match[1] as string);
  }
  const documented = new Set(Object.keys(AGENT_ISSUE_CODES));
  assert.ok(used.size >= 6, 'the scan found the codes');
  assert.deepEqual([...used].filter((code) => !documented.has(code)).sort(), []);
  assert.deepEqual([...documented].filter((code) => !used.has(code)).sort(), []);
});

test('every code is an error code of the agent family', () => {
  for (const code of Object.keys(AGENT_ISSUE_CODES)) assert.match(code, /^TND_E_AGENT_[A-Z0-9_]+$/);
});
