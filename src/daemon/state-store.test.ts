import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { GENERATION_FILE, StateStore, StateStoreError } from './state-store.js';

test('the generation starts at 1, increments at every start and survives a new store on the same directory', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tandem-state-'));
  try {
    assert.equal(new StateStore(dir).nextGeneration(), 1);
    assert.equal(new StateStore(dir).nextGeneration(), 2);
    assert.equal(new StateStore(dir).nextGeneration(), 3);
    assert.equal(readFileSync(join(dir, GENERATION_FILE), 'utf8'), '3\n');
    assert.equal(statSync(join(dir, GENERATION_FILE)).mode & 0o777, 0o600);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a corrupt generation file is an error naming the file, never a silent restart at 1', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tandem-state-'));
  try {
    writeFileSync(join(dir, GENERATION_FILE), 'garbage');
    assert.throws(() => new StateStore(dir).nextGeneration(), (error: unknown) => error instanceof StateStoreError && error.message.includes(join(dir, GENERATION_FILE)));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('JSON records round-trip and a missing one reads as undefined', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tandem-state-'));
  try {
    const store = new StateStore(dir);
    assert.equal(store.readJson('membership.json'), undefined);
    store.writeJson('membership.json', { members: { n2: 'up', n3: 'dead' } });
    assert.deepEqual(store.readJson('membership.json'), { members: { n2: 'up', n3: 'dead' } });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
