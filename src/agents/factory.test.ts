/**
 * The factory, and the one contract every agent kind must keep (hono's shared contract suite): built from a spec,
 * each agent goes stopped → start → running → stop → stopped, and a second stop still succeeds. Runs the real Dummy,
 * the LSB and heartbeat fixtures and the exec agent; systemd is covered with a fake runner in systemd.test.ts.
 * Then `agentForResource`: every kind of configured resource maps to its agent.
 */
import { strict as assert } from 'node:assert';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { ResourceAgentConfig, ResourceConfig } from '../config/model.js';
import { parseTandemConfig } from '../config/tandem/parse.js';
import type { NetrawLoad } from '../platform/netraw.js';
import { ExecAgent } from './exec-agent.js';
import { agentForResource, createAgent, type AgentFactoryOptions, type AgentSpec, type ResourceAgentOptions } from './factory.js';
import { OcfAgent } from './ocf.js';
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

// ---- agentForResource: a configured resource → its agent ----

const NO_RAW_SOCKET: NetrawLoad = { ok: false, reason: 'not loaded in tests' };

function resource(id: string, agent: ResourceAgentConfig): ResourceConfig {
  return { id, agent, startTimeoutMs: 20_000, stopTimeoutMs: 20_000, monitorIntervalMs: 10_000, monitorTimeoutMs: 20_000 };
}

test('agentForResource maps every agent kind of the config to its agent', () => {
  const options: ResourceAgentOptions = { execStateDir: '/var/lib/tandem/exec', lsbInitDir: '/etc/init.d', ipaddrDeps: { netraw: NO_RAW_SOCKET } };
  const cases: Array<[ResourceConfig, string]> = [
    [resource('vip', { kind: 'ipaddr', address: '192.0.2.100', prefix: 24, interface: 'eth0', announceCount: 3, announceIntervalMs: 200 }), 'ipaddr:192.0.2.100/24@eth0'],
    [resource('data', { kind: 'filesystem', device: '/dev/sdb1', directory: '/srv/data', fstype: 'ext4', options: '' }), 'filesystem:/dev/sdb1@/srv/data'],
    [resource('web', { kind: 'ocf', provider: 'heartbeat', type: 'nginx', params: { configfile: '/etc/nginx/nginx.conf' } }), 'ocf:heartbeat:nginx'],
    [resource('svc', { kind: 'lsb', name: 'nginx' }), 'lsb:nginx'],
    [resource('unit', { kind: 'systemd', unit: 'nginx.service' }), 'systemd:nginx.service'],
    [resource('legacy', { kind: 'heartbeat', script: 'IPaddr', args: ['192.0.2.101/24'] }), 'heartbeat:IPaddr::192.0.2.101/24'],
    [resource('daemon', { kind: 'exec', command: ['/usr/sbin/nginx', '-g', 'daemon off;'], stopSignal: 'SIGTERM' }), 'exec:daemon'],
  ];
  for (const [config, describe] of cases) {
    const built = agentForResource(config, options);
    assert.ok(built.ok, `${describe}: ${built.ok ? '' : JSON.stringify(built.issues)}`);
    assert.equal(built.value.describe, describe);
  }
});

test('agentForResource: the resource id is the OCF instance and the exec file name; node settings pass through', () => {
  const ocf = agentForResource(resource('web-1', { kind: 'ocf', provider: 'heartbeat', type: 'Dummy', params: { state: '/x' } }), { execStateDir: '/s', ocfRoot: '/opt/ocf', nodeName: 'n1' });
  assert.ok(ocf.ok && ocf.value instanceof OcfAgent);
  assert.equal(ocf.value.path, '/opt/ocf/resource.d/heartbeat/Dummy');
  const env = ocf.value.environment('start', { timeoutMs: 1000 });
  assert.equal(env['OCF_RESOURCE_INSTANCE'], 'web-1');
  assert.equal(env['OCF_RESKEY_CRM_meta_on_node'], 'n1');
  assert.equal(env['OCF_RESKEY_state'], '/x');
  const exec = agentForResource(resource('job', { kind: 'exec', command: ['sleep', '1'], stopSignal: 'SIGINT' }), { execStateDir: '/var/lib/tandem/exec' });
  assert.ok(exec.ok && exec.value instanceof ExecAgent);
  assert.equal(exec.value.pidFile, '/var/lib/tandem/exec/job.pid');
});

test('agentForResource refuses what the agents refuse, with spec-relative paths', () => {
  const bad: Array<[ResourceConfig, string]> = [
    [resource('vip', { kind: 'ipaddr', address: '192.0.2.100', prefix: 40, interface: 'eth0', announceCount: 3, announceIntervalMs: 200 }), 'params'],
    [resource('data', { kind: 'filesystem', device: '/dev/sdb1', directory: '/', fstype: 'ext4', options: '' }), 'params'],
    [resource('.web', { kind: 'ocf', provider: 'heartbeat', type: 'nginx', params: {} }), 'id'],
    [resource('job', { kind: 'exec', command: ['sleep'], stopSignal: 'TERM' }), 'stopSignal'],
  ];
  for (const [config, path] of bad) {
    const built = agentForResource(config, { execStateDir: '/s', ipaddrDeps: { netraw: NO_RAW_SOCKET } });
    assert.deepEqual(built.ok ? [] : built.issues.map((issue) => [issue.path, issue.code]), [[path, 'TND_E_AGENT_SPEC']], config.id);
  }
  const relative = agentForResource(resource('job', { kind: 'exec', command: ['sleep'], stopSignal: 'SIGTERM' }), { execStateDir: 'exec' });
  assert.deepEqual(relative.ok ? [] : relative.issues.map((issue) => issue.path), ['stateDir']);
});

test('agentForResource: every resource of a parsed config builds, and an exec resource runs its lifecycle', async () => {
  const dir = await makeTempDir('factory-config');
  const { config, issues } = parseTandemConfig(
    `cluster: c
key_file: k
links: [{ name: lan, transport: udp-unicast }]
nodes:
  - { name: n1, links: { lan: 192.0.2.1 } }
  - { name: n2, links: { lan: 192.0.2.2 } }
groups:
  - name: g
    nodes: [n1, n2]
    resources:
      - { id: vip, agent: ipaddr, params: { address: "2001:db8::1", prefix: 64, interface: eth0 } }
      - { id: data, agent: filesystem, params: { device: tmpfs, directory: /srv/x, fstype: tmpfs, options: "size=1m" } }
      - { id: web, agent: "ocf:heartbeat:nginx" }
      - { id: svc, agent: "lsb:fake-service" }
      - { id: unit, agent: "systemd:x.service" }
      - { id: hb, agent: "heartbeat:hbdummy", args: [gamma] }
      - { id: sleeper, agent: exec, command: [sleep, 1000], stop_signal: SIGINT }
`,
    'c.yaml',
  );
  // Two nodes without a tie-breaker are warned about (config/tandem/protection.ts); nothing else may be reported.
  assert.deepEqual(issues.filter((issue) => issue.code !== 'TND_W_CONFIG_NO_TIEBREAKER'), []);
  const resources = config?.groups[0]?.resources ?? [];
  assert.equal(resources.length, 7);
  const options: ResourceAgentOptions = { execStateDir: dir, ipaddrDeps: { netraw: NO_RAW_SOCKET } };
  const agents = resources.map((r) => agentForResource(r, options));
  assert.deepEqual(agents.map((a) => a.ok), resources.map(() => true));
  const sleeper = agents[6];
  assert.ok(sleeper?.ok);
  await lifecycle(sleeper.value);
});
