/**
 * The broken-config corpus: runs `loadConfig` on every `test/config-corpus/*.yaml` and checks that the issues are
 * exactly the ones its `.expected` file lists (file, line, column, code, message substring), no more and no fewer.
 * Good configs (`good-*`) must also produce a config and a key ring. Agents are checked as `tandem config check`
 * does, against the fixture agents under `test/config-corpus/agents/` rather than the host's.
 */
import { strict as assert } from 'node:assert';
import { chmodSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadConfig, type LoadConfigOptions } from './load.js';
import { formatIssue, type ConfigIssue } from './model.js';

const corpus = fileURLToPath(new URL('../../../test/config-corpus/', import.meta.url));
const agents = join(corpus, 'agents');
const LOAD_OPTIONS: LoadConfigOptions = {
  checkAgents: true,
  agents: { ocfRoot: join(agents, 'ocf'), lsbInitDir: join(agents, 'init.d'), heartbeatDirs: [join(agents, 'resource.d')], path: join(agents, 'bin'), fenceDirs: [join(agents, 'sbin')] },
};
const EXECUTABLE_FIXTURES = ['ocf/resource.d/corpus/Web', 'ocf/resource.d/corpus/Garbled', 'init.d/web', 'resource.d/hbweb', 'bin/webd', 'bin/webcheck', 'sbin/fence_corpus', 'sbin/fence_garbled'];
const NOT_EXECUTABLE_FIXTURES = ['ocf/resource.d/corpus/NotExec', 'init.d/notexec'];

interface Expected {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly code: string;
  readonly fragments: readonly string[];
  readonly text: string;
}

function parseExpected(text: string, configFile: string): Expected[] {
  const out: Expected[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const match = /^(?:([^:\s]+):)?(\d+):(\d+)\s+(TND_[A-Z0-9_]+)\s+(.+)$/.exec(line);
    assert.ok(match, `bad line in ${configFile}.expected: ${line}`);
    out.push({
      file: match[1] ?? configFile,
      line: Number(match[2]),
      column: Number(match[3]),
      code: match[4] as string,
      fragments: (match[5] as string).split('…').map((f) => f.trim()).filter((f) => f !== ''),
      text: line,
    });
  }
  return out;
}

function matches(issue: ConfigIssue, expected: Expected): boolean {
  if (basename(issue.file) !== expected.file || issue.line !== expected.line || issue.column !== expected.column || issue.code !== expected.code) return false;
  let from = 0;
  for (const fragment of expected.fragments) {
    const at = issue.message.indexOf(fragment, from);
    if (at < 0) return false;
    from = at + fragment.length;
  }
  return true;
}

const cases = readdirSync(corpus).filter((name) => name.endsWith('.yaml')).sort();

describe('config corpus', () => {
  before(() => {
    // Git keeps no permission bits beyond the executable one, so the modes the cases rely on are set here.
    chmodSync(join(corpus, 'keys'), 0o600);
    chmodSync(join(corpus, 'keys-bad'), 0o600);
    chmodSync(join(corpus, 'keys-open'), 0o644);
    for (const fixture of EXECUTABLE_FIXTURES) chmodSync(join(agents, fixture), 0o755);
    for (const fixture of NOT_EXECUTABLE_FIXTURES) chmodSync(join(agents, fixture), 0o644);
  });

  test('has at least 24 broken cases and a couple of good ones', () => {
    assert.ok(cases.filter((name) => /^\d\d-/.test(name)).length >= 24);
    assert.ok(cases.filter((name) => name.startsWith('good-')).length >= 2);
  });

  for (const name of cases) {
    test(name, async () => {
      const expectedText = readFileSync(join(corpus, name.replace(/\.yaml$/, '.expected')), 'utf8');
      const expected = parseExpected(expectedText, name);
      const result = await loadConfig(join(corpus, name), LOAD_OPTIONS);
      const unmatched = [...result.issues];
      const missing: string[] = [];
      for (const want of expected) {
        const at = unmatched.findIndex((issue) => matches(issue, want));
        if (at < 0) missing.push(want.text);
        else unmatched.splice(at, 1);
      }
      const report = [
        ...missing.map((line) => `expected but not reported: ${line}`),
        ...unmatched.map((issue) => `reported but not expected: ${formatIssue(issue)}`),
      ];
      assert.deepEqual(report, [], `${name}:\n${report.join('\n')}`);
      const good = name.startsWith('good-');
      assert.equal(result.config !== undefined && result.ring !== undefined, good, good ? 'a good config must load' : 'a broken config must not load');
    });
  }
});
