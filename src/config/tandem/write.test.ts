/**
 * configDocument is the inverse of the front-end: every good config of the corpus, and the example, written out
 * and read back, is the same cluster (config digest) with the same groups, fencing and ping sections.
 */
import { strict as assert } from 'node:assert';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { configDigest } from '../digest.js';
import { configDocument, durationText } from './write.js';
import { parseTandemConfig } from './parse.js';

const REPO = fileURLToPath(new URL('../../../../', import.meta.url));
const corpus = join(REPO, 'test/config-corpus');
const files = [join(REPO, 'examples/tandem.yaml'), ...readdirSync(corpus).filter((name) => name.startsWith('good-') && name.endsWith('.yaml')).map((name) => join(corpus, name))];

for (const file of files) {
  test(`${file.slice(REPO.length)} written out reads back as the same cluster`, () => {
    const original = parseTandemConfig(readFileSync(file, 'utf8'), file);
    assert.ok(original.config, file);
    const text = configDocument(original.config, { keyFile: original.config.keyFile }).toString();
    const again = parseTandemConfig(text, file);
    assert.deepEqual(again.issues.filter((issue) => issue.severity === 'error'), [], text);
    assert.ok(again.config);
    assert.equal(configDigest(again.config), configDigest(original.config));
    assert.deepEqual(again.config.groups, original.config.groups);
    assert.deepEqual(again.config.fencing, original.config.fencing);
    assert.deepEqual(again.config.ping, original.config.ping);
    assert.deepEqual(again.config.quorum, original.config.quorum);
    assert.equal(again.config.keyFile, original.config.keyFile);
  });
}

test('durations are written in a unit that does not round', () => {
  assert.deepEqual([0, 1500, 2000, 120_000, 150].map(durationText), ['0s', '1500ms', '2s', '120s', '150ms']);
});
