/**
 * Agent checks: placement without sites, one meta-data run per agent, a hung or failing meta-data run, PATH lookup,
 * and (when Debian's resource-agents is installed) the real Dummy agent. The positioned cases live in the corpus
 * (test/config-corpus/49-agent-missing, 50-agent-metadata), which runs the same checks through `loadConfig`.
 */
import { strict as assert } from 'node:assert';
import { chmodSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { OCF_ROOT_DEFAULT } from '../agents/ocf.js';
import type { ProcessRunner, RunOutcome } from '../agents/process-runner.js';
import { nodeName } from '../core/types.js';
import { checkAgents, type AgentCheckOptions } from './agent-check.js';
import { DEFAULT_LOGGING, DEFAULT_RECONCILE, DEFAULT_RESOURCE_TIMINGS, DEFAULT_TIMINGS, type ClusterConfig, type ResourceAgentConfig } from './model.js';
import { readTandemConfig } from './tandem/parse.js';

const agents = fileURLToPath(new URL('../../../test/config-corpus/agents/', import.meta.url));
const FIXTURES: AgentCheckOptions = { ocfRoot: join(agents, 'ocf'), lsbInitDir: join(agents, 'init.d'), heartbeatDirs: [join(agents, 'resource.d')], path: join(agents, 'bin') };

before(() => {
  for (const fixture of ['ocf/resource.d/corpus/Web', 'bin/webd']) chmodSync(join(agents, fixture), 0o755);
});

/** A config built in code, as a front-end other than the tandem YAML would give it: no sites. */
function configWith(...resources: Array<[string, ResourceAgentConfig]>): ClusterConfig {
  return {
    cluster: 'c',
    keyFile: '/k',
    timings: DEFAULT_TIMINGS,
    links: [],
    nodes: [],
    logging: DEFAULT_LOGGING,
    stateDir: '/s',
    runtimeDir: '/r',
    groups: [{ name: 'g', nodes: [nodeName('n1')], failback: 'manual', migrationThreshold: 1, failureTimeoutMs: 0, resources: resources.map(([id, agent]) => ({ id, agent, ...DEFAULT_RESOURCE_TIMINGS })) }],
    reconcile: DEFAULT_RECONCILE,
    quorum: { votes: {}, noQuorum: 'stop', waitForAll: false },
  };
}

function outcome(stdout: string, extra: Partial<RunOutcome> = {}): RunOutcome {
  return { exec: 'done', exitCode: 0, durationMs: 1, outputTail: stdout, stdoutTail: stdout, stdoutTruncated: false, ...extra };
}

const XML = '<resource-agent name="Web"><parameters><parameter name="configfile" required="1"/></parameters><actions/></resource-agent>';

test('without sites, issues are whole-file ones that still name the field', async () => {
  const config = configWith(['a', { kind: 'lsb', name: 'absent' }], ['b', { kind: 'ocf', provider: 'corpus', type: 'Web', params: { configfile: '/x', prot: '1' } }]);
  const issues = await checkAgents(config, 'from-ha.cf', undefined, FIXTURES);
  assert.deepEqual(issues.map((i) => [i.code, i.file, i.line, i.column, i.path]), [
    ['TND_E_CONFIG_AGENT_MISSING', 'from-ha.cf', 0, 0, 'groups[0].resources[0].agent'],
    ['TND_E_CONFIG_AGENT_PARAM_UNKNOWN', 'from-ha.cf', 0, 0, 'groups[0].resources[1].params.prot'],
  ]);
});

test('each OCF agent is asked for its meta-data once, however many resources use it', async () => {
  const calls: string[][] = [];
  const runner: ProcessRunner = async (request) => {
    calls.push([request.file, ...request.args]);
    return outcome(XML);
  };
  const web = (id: string, params: Record<string, string>): [string, ResourceAgentConfig] => [id, { kind: 'ocf', provider: 'corpus', type: 'Web', params }];
  const issues = await checkAgents(configWith(web('a', { configfile: '/a' }), web('b', {}), web('c', { configfile: '/c' })), 'c.yaml', undefined, { ...FIXTURES, runner });
  assert.deepEqual(calls, [[join(agents, 'ocf', 'resource.d', 'corpus', 'Web'), 'meta-data']]);
  assert.deepEqual(issues.map((i) => [i.code, i.path]), [['TND_E_CONFIG_AGENT_PARAM_MISSING', 'groups[0].resources[1].params.configfile']]);
});

test('a meta-data run that times out or fails is one issue at the agent, and nothing else is checked', async () => {
  const text = `cluster: c
key_file: k
links: [{ name: lan, transport: udp-unicast }]
nodes:
  - { name: n1, links: { lan: 192.0.2.1 } }
  - { name: n2, links: { lan: 192.0.2.2 } }
groups:
  - name: g
    nodes: [n1, n2]
    resources:
      - { id: web, agent: "ocf:corpus:Web", params: { unknown: x } }
`;
  const read = readTandemConfig(text, 'c.yaml');
  assert.ok(read.config);
  const cases: Array<[RunOutcome, RegExp]> = [
    [{ exec: 'timeout', durationMs: 5000, outputTail: '', stdoutTail: '', stdoutTruncated: false, detail: 'killed after 5000 ms' }, /as timeout \(killed after 5000 ms\)/],
    [outcome('', { exitCode: 1 }), /as it exited 1/],
  ];
  for (const [result, words] of cases) {
    const issues = await checkAgents(read.config, 'c.yaml', read.resources, { ...FIXTURES, runner: async () => result });
    assert.deepEqual(issues.map((i) => [i.code, i.line, i.column, i.path]), [['TND_E_CONFIG_AGENT_METADATA', 11, 27, 'groups[0].resources[0].agent']]);
    assert.match(issues[0]?.message ?? '', words);
  }
});

test('exec commands: absolute paths, bare names looked up in the given PATH', async () => {
  const exec = (id: string, command: string[], health?: string[]): [string, ResourceAgentConfig] => [id, { kind: 'exec', command, ...(health ? { health } : {}), stopSignal: 'SIGTERM' }];
  const config = configWith(exec('a', ['webd']), exec('b', [join(agents, 'bin', 'webd')]), exec('c', ['sh'], ['webd']), exec('d', ['webd'], [join(agents, 'bin')]));
  const issues = await checkAgents(config, 'c.yaml', undefined, FIXTURES);
  assert.deepEqual(issues.map((i) => [i.path, i.message.replace(agents, '…/')]), [
    ['groups[0].resources[2].command', "the command of resource 'c' cannot run: no executable sh in PATH (…/bin); agents run with this PATH, so write an absolute path if it is elsewhere"],
    ['groups[0].resources[3].health', "the health of resource 'd' cannot run: …/bin is not a regular file"],
  ]);
});

const DUMMY = join(OCF_ROOT_DEFAULT, 'resource.d', 'heartbeat', 'Dummy');

test('the real ocf:heartbeat:Dummy: its own meta-data judges the parameters', { skip: existsSync(DUMMY) ? false : 'Debian package resource-agents is not installed' }, async () => {
  const dummy = (params: Record<string, string>): ClusterConfig => configWith(['d', { kind: 'ocf', provider: 'heartbeat', type: 'Dummy', params }]);
  assert.deepEqual(await checkAgents(dummy({ state: '/run/d.state' }), 'c.yaml'), []);
  const issues = await checkAgents(dummy({ stat: '/run/d.state' }), 'c.yaml');
  assert.deepEqual(issues.map((i) => i.code), ['TND_E_CONFIG_AGENT_PARAM_UNKNOWN']);
  assert.match(issues[0]?.message ?? '', /did you mean 'state'\?/);
});
