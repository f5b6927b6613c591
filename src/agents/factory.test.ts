/**
 * The factory, and the one contract every agent kind must keep (hono's shared contract suite): built from a spec,
 * each agent goes stopped → start → running → stop → stopped, and a second stop still succeeds. Runs the real Dummy,
 * the LSB and heartbeat fixtures and the exec agent; systemd is covered with a fake runner in systemd.test.ts.
 */
import { strict as assert } from 'node:assert';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { createAgent, type AgentFactoryOptions, type AgentSpec } from './factory.js';
import { cleanUp, fixturePath, makeTempDir } from './testing.js';
import { OCF_RC, succeeded, type ResourceAgent } from './types.js';

after(cleanUp);

const DUMMY = '/usr/lib/ocf/resource.d/heartbeat/Dummy';

interface ContractCase {
  readonly name: string;
  readonly skip?: string | false;
  make(dir: string): { spec: AgentSpec; options: AgentFactoryOptions };
}

const cases: ContractCase[] = [
  {
    name: 'ocf:heartbeat:Dummy',
    skip: existsSync(DUMMY) ? false : 'Debian package resource-agents is not installed',
    make: (dir) => ({ spec: { kind: 'ocf', provider: 'heartbeat', type: 'Dummy', params: { state: join(dir, 'state') } }, options: { resourceId: 'dummy1', rscTmpDir: dir } }),
  },
  {
    name: 'exec',
    make: (dir) => ({ spec: { kind: 'exec', command: ['sleep', '1000'], stateDir: dir }, options: { resourceId: 'sleeper' } }),
  },
  {
    name: 'lsb (fixture init script)',
    make: (dir) => ({
      spec: { kind: 'lsb', name: 'fake-service' },
      options: { resourceId: 'svc', lsbInitDir: fixturePath('init.d'), env: { FAKE_SERVICE_STATE: join(dir, 'lsb') } },
    }),
  },
  {
    name: 'heartbeat (fixture resource.d script)',
    make: (dir) => ({
      spec: { kind: 'heartbeat', script: 'hbdummy', args: ['gamma'] },
      options: { resourceId: 'hb', heartbeatDirs: [fixturePath('heartbeat', 'resource.d')], env: { HB_LOG: join(dir, 'hb.log'), HB_STATE_DIR: dir } },
    }),
  },
];

async function lifecycle(agent: ResourceAgent): Promise<void> {
  const op = { timeoutMs: 10_000 };
  assert.equal((await agent.run('monitor', op)).rc, OCF_RC.NOT_RUNNING, 'stopped at first');
  assert.ok(succeeded(await agent.run('start', op)), 'start');
  assert.equal((await agent.run('monitor', op)).rc, OCF_RC.SUCCESS, 'running after start');
  assert.ok(succeeded(await agent.run('stop', op)), 'stop');
  assert.equal((await agent.run('monitor', op)).rc, OCF_RC.NOT_RUNNING, 'stopped after stop');
  assert.ok(succeeded(await agent.run('stop', op)), 'stop again');
}

for (const contract of cases) {
  test(`contract: ${contract.name}`, { skip: contract.skip ?? false }, async () => {
    const dir = await makeTempDir('contract');
    const { spec, options } = contract.make(dir);
    const built = createAgent(spec, options);
    assert.ok(built.ok, built.ok ? '' : JSON.stringify(built.issues));
    await lifecycle(built.value);
  });
}

test('createAgent builds each kind with its describe string', () => {
  const options: AgentFactoryOptions = { resourceId: 'r1', lsbInitDir: '/etc/init.d' };
  const specs: Array<[AgentSpec, string]> = [
    [{ kind: 'ocf', provider: 'heartbeat', type: 'IPaddr2', params: { ip: '192.0.2.9' } }, 'ocf:heartbeat:IPaddr2'],
    [{ kind: 'lsb', name: 'nginx' }, 'lsb:nginx'],
    [{ kind: 'heartbeat', script: 'IPaddr', args: ['192.0.2.100/24'] }, 'heartbeat:IPaddr::192.0.2.100/24'],
    [{ kind: 'exec', command: ['/usr/bin/python3', '-m', 'http.server'], stopSignal: 'SIGINT', stateDir: '/var/lib/tandem/exec' }, 'exec:r1'],
    [{ kind: 'systemd', unit: 'nginx.service' }, 'systemd:nginx.service'],
  ];
  for (const [spec, describe] of specs) {
    const built = createAgent(spec, options);
    assert.ok(built.ok, describe);
    assert.equal(built.value.describe, describe);
  }
});

test('createAgent returns issues for bad specs instead of throwing', () => {
  const bad: Array<[AgentSpec, string, string]> = [
    [{ kind: 'ocf', provider: 'heartbeat', type: '../../bin/sh', params: {} }, 'type', 'TND_E_AGENT_SPEC'],
    [{ kind: 'ocf', provider: 'heartbeat', type: 'Dummy', params: { 'no-dash': '1' } }, 'params.no-dash', 'TND_E_AGENT_PARAM_NAME'],
    [{ kind: 'lsb', name: '' }, 'name', 'TND_E_AGENT_SPEC'],
    [{ kind: 'heartbeat', script: 'IPaddr', args: ['a b'] }, 'args[0]', 'TND_E_AGENT_SPEC'],
    [{ kind: 'exec', command: ['sleep', '1'], stopSignal: 'TERM', stateDir: '/var/lib/x' }, 'stopSignal', 'TND_E_AGENT_SPEC'],
    [{ kind: 'exec', command: [], stateDir: '/var/lib/x' }, 'command', 'TND_E_AGENT_SPEC'],
    [{ kind: 'systemd', unit: '--now' }, 'unit', 'TND_E_AGENT_SPEC'],
  ];
  for (const [spec, path, code] of bad) {
    const built = createAgent(spec, { resourceId: 'r1' });
    assert.equal(built.ok, false, JSON.stringify(spec));
    assert.deepEqual(built.ok ? [] : built.issues.map((issue) => [issue.path, issue.code]), [[path, code]], JSON.stringify(spec));
  }
});
