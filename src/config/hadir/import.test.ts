/**
 * The ha.d import on the three seed configs (fixtures under test/hadir-corpus/, each naming its seed) and on the
 * classic mistakes.
 */
import { strict as assert } from 'node:assert';
import { chmodSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { ConfigIssue } from '../model.js';
import { deriveSecret } from './authkeys.js';
import { hadirToClusterConfig, type HadirFiles, type HadirImportOptions } from './import.js';
import { loadHadir } from './load.js';

const corpus = fileURLToPath(new URL('../../../../test/hadir-corpus/', import.meta.url));
const scriptDirs = [join(corpus, 'scripts', 'resource.d'), join(corpus, 'scripts', 'init.d')];
const seed = (name: string): HadirFiles => ({
  haCf: readFileSync(join(corpus, name, 'ha.cf'), 'utf8'),
  haresources: readFileSync(join(corpus, name, 'haresources'), 'utf8'),
  authkeys: readFileSync(join(corpus, name, 'authkeys'), 'utf8'),
});
/** `FILE:line:col CODE` with FILE the last path component. */
const brief = (issues: readonly ConfigIssue[]): string[] => issues.map((i) => `${i.file.slice(i.file.lastIndexOf('/') + 1)}:${i.line}:${i.column} ${i.code}`);
const errors = (issues: readonly ConfigIssue[]): string[] => brief(issues.filter((i) => i.severity === 'error'));
const files = (haCf: string, haresources = '', authkeys = 'auth 1\n1 sha1 SecretKey!\n'): HadirFiles => ({ haCf, haresources, authkeys });
const TWO = 'node ha1\nnode ha2\nbcast eth1\n';
const HOST: HadirImportOptions = {
  hostName: 'ha1',
  interfaces: { eth0: [{ address: '192.0.2.11', netmask: '255.255.255.0' }], eth1: [{ address: '10.0.0.1', netmask: '255.255.255.0' }] },
  addresses: { ha2: { eth1: '10.0.0.2', eth0: '192.0.2.12' } },
};

before(() => {
  for (const name of ['seed-002', 'seed-003', 'seed-004']) chmodSync(join(corpus, name, 'authkeys'), 0o600);
  chmodSync(join(corpus, 'scripts', 'resource.d', 'ipvsadm'), 0o755);
  chmodSync(join(corpus, 'scripts', 'resource.d', 'Filesystem'), 0o755);
  chmodSync(join(corpus, 'scripts', 'resource.d', 'IPaddr'), 0o755);
  chmodSync(join(corpus, 'scripts', 'init.d', 'httpd'), 0o755);
  chmodSync(join(corpus, 'scripts', 'init.d', 'smb'), 0o644);
});

describe('seed 004 (bcast, trailing ## comments, ping + ipfail, IPaddr::)', () => {
  test('the host name servers201 (the article\'s /etc/hosts) is not the node server201', () => {
    const { config, issues } = hadirToClusterConfig(seed('seed-004'), { hostName: 'servers201' });
    assert.equal(config, undefined);
    const issue = issues.find((i) => i.code === 'TND_E_CONFIG_HADIR_HOST_NOT_A_NODE');
    assert.equal(`${issue?.line}:${issue?.column}`, '11:6');
    assert.match(issue?.message ?? '', /did you mean 'server201'\?/);
  });

  test('imports, through the loader, with the host facts and the fixture scripts', () => {
    const { config, keyRing, issues } = loadHadir(join(corpus, 'seed-004'), {
      hostName: 'server201',
      interfaces: { eth0: [{ address: '192.168.10.201', netmask: '255.255.255.0' }], eth1: [{ address: '10.0.0.201', netmask: '255.255.255.0' }] },
      scriptDirs,
    });
    assert.deepEqual(errors(issues), []);
    assert.deepEqual(brief(issues), [
      'ha.cf:2:1 TND_W_CONFIG_HACF_IGNORED', // logfile
      'ha.cf:8:1 TND_W_CONFIG_HACF_IGNORED', // hopfudge
      'ha.cf:15:1 TND_W_CONFIG_HACF_IGNORED', // apiauth
      'ha.cf:16:1 TND_W_CONFIG_HACF_IGNORED', // debugfile
      'authkeys:4:1 TND_W_KEYS_AUTHKEYS_CRC',
    ]);
    assert.ok(config && keyRing);
    assert.deepEqual(config.timings, { keepaliveMs: 2000, warntimeMs: 10_000, deadtimeMs: 30_000, initdeadMs: 120_000 });
    assert.deepEqual(config.links, [{ name: 'bcast-eth1', transport: 'udp-broadcast', port: 694, broadcast: '10.0.0.255' }]);
    assert.deepEqual(config.nodes, [
      { name: 'server201', links: { 'bcast-eth1': { address: '0.0.0.0', interface: 'eth1' } } },
      { name: 'server202', links: { 'bcast-eth1': { address: '0.0.0.0', interface: 'eth1' } } },
    ]);
    const [group] = config.groups;
    assert.deepEqual([group?.name, group?.nodes, group?.failback], ['IPaddr__192.168.10.200', ['server201', 'server202'], 'auto']);
    assert.deepEqual(
      group?.resources.map((r) => [r.id, r.agent, r.monitorIntervalMs]),
      [
        ['ip-192.168.10.200', { kind: 'ipaddr', address: '192.168.10.200', prefix: 24, interface: 'eth0', announceCount: 3, announceIntervalMs: 200 }, 10_000],
        ['ipvsadm', { kind: 'heartbeat', script: 'ipvsadm', args: [] }, 0],
        ['httpd', { kind: 'heartbeat', script: 'httpd', args: [] }, 0],
      ],
    );
    assert.deepEqual(config.ping, { groups: [{ name: '192.168.10.1', addresses: ['192.168.10.1'] }], intervalMs: 2000, deadMs: 30_000 });
    assert.equal(config.cluster, 'linux-ha');
    assert.deepEqual(keyRing, { keys: [{ id: 1, secret: deriveSecret('crc', '') }], sendKeyId: 1 });
  });

  test('the loader refuses an authkeys others may read', () => {
    const dir = join(corpus, 'seed-004');
    chmodSync(join(dir, 'authkeys'), 0o644);
    try {
      const { config, issues } = loadHadir(dir, { hostName: 'server201', scriptDirs });
      assert.equal(config, undefined);
      assert.deepEqual(brief(issues.filter((i) => i.file.endsWith('authkeys'))), ['authkeys:0:0 TND_E_KEYS_AUTHKEYS_MODE']);
    } finally {
      chmodSync(join(dir, 'authkeys'), 0o600);
    }
    assert.deepEqual(brief(loadHadir(join(corpus, 'absent')).issues), ['ha.cf:0:0 TND_E_CONFIG_READ', 'haresources:0:0 TND_E_CONFIG_READ', 'authkeys:0:0 TND_E_KEYS_READ']);
  });
});

describe('seed 002 (udp alias, serial, mcast, watchdog)', () => {
  test('the haresources line starts with xuanfei.com, which is no node', () => {
    const { config, issues } = loadHadir(join(corpus, 'seed-002'), {
      hostName: 'xuanfei1-server',
      interfaces: { eth1: [{ address: '10.0.0.1', netmask: '255.255.255.0' }] },
      addresses: { 'xuanfei2-server': { eth1: '10.0.0.2' } },
      scriptDirs,
    });
    assert.equal(config, undefined);
    assert.deepEqual(errors(issues), ['haresources:34:1 TND_E_CONFIG_GROUP_UNKNOWN_NODE']);
    assert.deepEqual(brief(issues.filter((i) => i.file.endsWith('ha.cf'))), [
      'ha.cf:0:0 TND_W_CONFIG_HACF_OBSOLETE', // auto_failback not set: legacy
      'ha.cf:12:1 TND_W_CONFIG_HACF_IGNORED', // debugfile
      'ha.cf:17:1 TND_W_CONFIG_HACF_IGNORED', // logfile
      'ha.cf:22:1 TND_W_CONFIG_HACF_IGNORED', // logfacility
      'ha.cf:60:1 TND_W_CONFIG_HACF_OBSOLETE', // udp → bcast
    ]);
  });

  test('with the node name fixed it imports: serial + bcast + mcast links, watchdog from deadtime', () => {
    const texts = seed('seed-002');
    const { config, issues } = hadirToClusterConfig(
      { ...texts, haresources: texts.haresources.replace('xuanfei.com 10.0.0.10', 'xuanfei1-server 10.0.0.10') },
      { hostName: 'xuanfei1-server', interfaces: { eth1: [{ address: '10.0.0.1', netmask: '255.255.255.0' }] }, addresses: { 'xuanfei2-server': { eth1: '10.0.0.2' } } },
    );
    assert.deepEqual(errors(issues), []);
    assert.ok(config);
    assert.deepEqual(config.links[0], { name: 'serial0', transport: 'serial', port: 694, baud: 19200 });
    assert.deepEqual(config.nodes.map((node) => node.links.serial0), [{ device: '/dev/ttyS0' }, { device: '/dev/ttyS0' }]);
    assert.deepEqual(config.links.slice(1), [
      { name: 'bcast-eth1', transport: 'udp-broadcast', port: 694, broadcast: '10.0.0.255' },
      { name: 'mcast-eth1', transport: 'udp-multicast', port: 694, group: '225.0.0.1', ttl: 1 },
    ]);
    assert.deepEqual(config.watchdog, { device: '/dev/watchdog', timeoutMs: 11_000 });
    assert.deepEqual(config.groups[0]?.resources[0]?.agent, { kind: 'ipaddr', address: '10.0.0.10', prefix: 24, interface: 'eth1', announceCount: 3, announceIntervalMs: 200 });
    assert.equal(config.groups[0]?.failback, 'auto');
  });
});

describe('seed 003 (serial only, ping + ipfail, auto_failback on)', () => {
  test("a serial-only ha.cf imports as one two-node serial link at its baud, this host's device on both nodes", () => {
    const { config, issues } = loadHadir(join(corpus, 'seed-003'), { hostName: 'ha1.haw2.ibm.com', scriptDirs });
    assert.deepEqual(errors(issues), []);
    assert.ok(config);
    assert.deepEqual(config.links, [{ name: 'serial0', transport: 'serial', port: 694, baud: 19200 }]);
    assert.deepEqual(config.nodes.map((node) => [node.name, node.links.serial0]), [
      ['ha1.haw2.ibm.com', { device: '/dev/ttyS0' }],
      ['ha2.haw2.ibm.com', { device: '/dev/ttyS0' }],
    ]);
    assert.ok(!issues.some((i) => i.code === 'TND_W_CONFIG_SERIAL_BANDWIDTH'), 'a 2 s keepalive fits 19200 baud');
  });

  test('with a network link added, resources and the ping section come across', () => {
    const texts = seed('seed-003');
    const { config, issues } = hadirToClusterConfig(
      { ...texts, haCf: `${texts.haCf}ucast eth0 9.22.7.48\nucast eth0 9.22.7.49\n` },
      { hostName: 'ha1.haw2.ibm.com', interfaces: { eth0: [{ address: '9.22.7.48', netmask: '255.255.255.0' }] }, resolveScript: (s) => (['Filesystem', 'httpd'].includes(s) ? `/etc/ha.d/resource.d/${s}` : undefined) },
    );
    assert.deepEqual(errors(issues), []);
    assert.ok(config);
    assert.deepEqual(config.links, [
      { name: 'serial0', transport: 'serial', port: 694, baud: 19200 },
      { name: 'ucast-eth0', transport: 'udp-unicast', port: 694 },
    ]);
    assert.deepEqual(
      config.nodes.map((n) => [n.name, n.links['ucast-eth0']?.address]),
      [
        ['ha1.haw2.ibm.com', '9.22.7.48'],
        ['ha2.haw2.ibm.com', '9.22.7.49'],
      ],
    );
    assert.deepEqual(
      config.groups[0]?.resources.map((r) => r.agent),
      [
        { kind: 'ipaddr', address: '9.22.7.46', prefix: 24, interface: 'eth0', announceCount: 3, announceIntervalMs: 200 },
        { kind: 'heartbeat', script: 'Filesystem', args: ['nfsha.haw2.ibm.com:/ha', '/ha', 'nfs', 'rw,hard'] },
        { kind: 'heartbeat', script: 'httpd', args: [] },
      ],
    );
    assert.deepEqual(config.ping, { groups: [{ name: '9.22.7.1', addresses: ['9.22.7.1'] }], intervalMs: 2000, deadMs: 60_000 });
    assert.equal(config.groups[0]?.failback, 'auto');
    assert.deepEqual(config.timings, { keepaliveMs: 2000, warntimeMs: 10_000, deadtimeMs: 60_000, initdeadMs: 120_000 });
  });
});

describe('classic mistakes', () => {
  const run = (haCf: string, haresources = '', options: HadirImportOptions = HOST) => hadirToClusterConfig(files(haCf, haresources), options);

  test('keepalive ≥ deadtime, deadtime ≤ 2×keepalive, < 3×keepalive', () => {
    assert.deepEqual(errors(run(`${TWO}keepalive 5\ndeadtime 5\n`).issues), ['ha.cf:5:10 TND_E_CONFIG_TIMING_ORDER']);
    assert.deepEqual(errors(run(`${TWO}keepalive 2\ndeadtime 4\n`).issues), ['ha.cf:5:10 TND_E_CONFIG_DEADTIME_TOO_SHORT']);
    const tight = run(`${TWO}keepalive 2\ndeadtime 5\ninitdead 20\n`);
    assert.deepEqual(brief(tight.issues), ['ha.cf:5:10 TND_W_CONFIG_DEADTIME_TIGHT']);
    assert.ok(tight.config);
  });

  test('initdead < deadtime is an error, < 2×deadtime a warning (defaults included)', () => {
    assert.deepEqual(errors(run(`${TWO}deadtime 30\ninitdead 20\n`).issues), ['ha.cf:5:10 TND_E_CONFIG_INITDEAD_TOO_SHORT']);
    assert.deepEqual(brief(run(`${TWO}deadtime 30\ninitdead 40\n`).issues), ['ha.cf:5:10 TND_W_CONFIG_INITDEAD_SHORT']);
    // heartbeat's default initdead for deadtime 30 s is 30 s: warned at deadtime.
    assert.deepEqual(brief(run(`${TWO}deadtime 30\n`).issues), ['ha.cf:4:10 TND_W_CONFIG_INITDEAD_SHORT']);
    // heartbeat accepted any warntime; tandem warns and uses deadtime/2.
    const late = run(`${TWO}keepalive 1\nwarntime 1\ninitdead 60\n`);
    assert.deepEqual(brief(late.issues), ['ha.cf:5:10 TND_W_CONFIG_HADIR_WARNTIME']);
    assert.equal(late.config?.timings.warntimeMs, 15_000);
  });

  test('a haresources node that is not a node, the same resource in two groups', () => {
    assert.deepEqual(errors(run(TWO, 'ha3 10.0.0.10 httpd\n').issues), ['haresources:1:1 TND_E_CONFIG_GROUP_UNKNOWN_NODE']);
    assert.match(run(TWO, 'Ha-1 httpd\n').issues.find((i) => i.severity === 'error')?.message ?? '', /did you mean 'ha1'/);
    assert.deepEqual(errors(run(TWO, 'ha1 10.0.0.10 httpd\nha2 IPaddr::10.0.0.10/24 smb\n').issues), ['haresources:2:5 TND_E_CONFIG_HADIR_DUPLICATE_RESOURCE']);
    assert.deepEqual(errors(run(TWO, 'ha1 10.0.0.10 httpd\nha2 10.0.0.11 httpd\n').issues), ['haresources:2:15 TND_E_CONFIG_HADIR_DUPLICATE_RESOURCE']);
  });

  test('groups: home node first, then the standby; failback from auto_failback', () => {
    const { config } = run(`${TWO}auto_failback off\ninitdead 60\n`, 'ha2 10.0.0.10\n');
    assert.deepEqual([config?.groups[0]?.nodes, config?.groups[0]?.failback], [['ha2', 'ha1'], 'manual']);
  });

  test('missing scripts are reported where they are named', () => {
    const { issues } = run(`${TWO}initdead 60\n`, 'ha1 10.0.0.10 httpd smb\n', { ...HOST, resolveScript: (s) => (s === 'httpd' ? '/etc/init.d/httpd' : undefined) });
    assert.deepEqual(errors(issues), ['haresources:1:21 TND_E_CONFIG_AGENT_MISSING']);
  });

  test('an IP whose interface is unknown stays the IPaddr script, with a warning', () => {
    const { config, issues } = run(`${TWO}initdead 60\n`, 'ha1 172.16.0.10\n');
    assert.deepEqual(brief(issues), ['ha.cf:0:0 TND_W_CONFIG_HACF_OBSOLETE', 'haresources:1:5 TND_W_CONFIG_HADIR_IP_SCRIPT']);
    assert.deepEqual(config?.groups[0]?.resources[0]?.agent, { kind: 'heartbeat', script: 'IPaddr', args: ['172.16.0.10'] });
  });

  test('bcast binds to the address each node has on the interface; what cannot be derived is named', () => {
    // heartbeat's bcast names only the interface: every node is "its address on eth1 when the link opens".
    const shared = run(`${TWO}initdead 60\n`, '', { hostName: 'ha1', interfaces: HOST.interfaces });
    assert.deepEqual(errors(shared.issues), []);
    assert.deepEqual(shared.config?.nodes.map((n) => n.links['bcast-eth1']), [{ address: '0.0.0.0', interface: 'eth1' }, { address: '0.0.0.0', interface: 'eth1' }]);
    const noAddressHere = run(`${TWO}initdead 60\n`, '', { hostName: 'ha1', interfaces: { eth0: [{ address: '192.0.2.1', netmask: '255.255.255.0' }] } });
    assert.deepEqual(errors(noAddressHere.issues), ['ha.cf:3:7 TND_E_CONFIG_HADIR_NO_ADDRESS', 'ha.cf:3:7 TND_E_CONFIG_HADIR_NO_ADDRESS']);
    assert.match(noAddressHere.issues[0]?.message ?? '', /node 'ha1' on eth1.*has no IPv4 address on eth1/);
    const noHost = run(`${TWO}initdead 60\n`, '', {});
    assert.deepEqual(errors(noHost.issues), ['ha.cf:3:7 TND_E_CONFIG_HADIR_NO_ADDRESS']);
    assert.match(noHost.issues[0]?.message ?? '', /broadcast address of eth1 cannot be derived/);
  });

  test('ucast: one shared ha.cf (both peers), or one peer per host', () => {
    const shared = run('node ha1\nnode ha2\nucast eth1 10.0.0.1\nucast eth1 10.0.0.2\ninitdead 60\n', '', { hostName: 'ha1', interfaces: HOST.interfaces });
    assert.deepEqual(errors(shared.issues), []);
    assert.deepEqual(shared.config?.nodes.map((n) => n.links['ucast-eth1']?.address), ['10.0.0.1', '10.0.0.2']);
    const single = run('node ha1\nnode ha2\nucast eth1 10.0.0.2\ninitdead 60\n', '', { hostName: 'ha1', interfaces: HOST.interfaces });
    assert.deepEqual(single.config?.nodes.map((n) => n.links['ucast-eth1']?.address), ['10.0.0.1', '10.0.0.2']);
    const blind = run('node ha1\nnode ha2\nucast eth1 10.0.0.1\nucast eth1 10.0.0.2\ninitdead 60\n', '', {});
    assert.deepEqual(errors(blind.issues), ['ha.cf:3:12 TND_E_CONFIG_HADIR_NO_ADDRESS', 'ha.cf:4:12 TND_E_CONFIG_HADIR_NO_ADDRESS']);
  });

  test('ping nodes without ipfail are not imported (warned); ipfail with legacy neither', () => {
    assert.deepEqual(brief(run(`${TWO}initdead 60\nping 10.0.0.254\n`).issues), ['ha.cf:5:6 TND_W_CONFIG_HADIR_PING']);
    const legacy = run(`${TWO}initdead 60\nping 10.0.0.254\nrespawn hacluster /usr/lib/heartbeat/ipfail\n`, 'ha1 10.0.0.10\n');
    assert.ok(legacy.issues.some((i) => i.code === 'TND_W_CONFIG_HADIR_PING' && i.line === 6 && i.column === 19));
    assert.equal(legacy.config?.ping, undefined);
  });

  test('stonith_host → fencing with levels per node; an uncovered node is an error', () => {
    const ok = run(`${TWO}initdead 60\nstonith_host ha1 external/ipmi ha2 10.0.0.12 admin pw\nstonith_host ha2 external/ipmi ha1 10.0.0.11 admin pw\n`);
    assert.deepEqual(errors(ok.issues), []);
    assert.deepEqual(ok.config?.fencing?.devices.map((d) => [d.name, d.agent, d.nodes]), [
      ['ipmi-ha1', 'fence_ipmilan', ['ha2']],
      ['ipmi-ha2', 'fence_ipmilan', ['ha1']],
    ]);
    assert.deepEqual(ok.config?.fencing?.levels, { ha1: [['ipmi-ha2']], ha2: [['ipmi-ha1']] });
    assert.equal(ok.config?.fencing?.action, 'reboot');
    assert.equal(ok.config?.quorum.waitForAll, true);
    const half = run(`${TWO}initdead 60\nstonith_host ha1 external/ipmi ha2 10.0.0.12 admin pw\n`);
    assert.deepEqual(errors(half.issues), ['ha.cf:5:1 TND_E_CONFIG_NODE_NOT_FENCED']);
    const stranger = run(`${TWO}initdead 60\nstonith_host ha3 apcmaster 10.0.0.3 apc pw\n`);
    assert.deepEqual(errors(stranger.issues), ['ha.cf:5:14 TND_E_CONFIG_UNKNOWN_NODE']);
  });

  test('fewer than two nodes; a host name check is case-insensitive, as heartbeat lower-cases', () => {
    assert.deepEqual(errors(run('node ha1\nbcast eth1\n', '', {}).issues).slice(0, 1), ['ha.cf:1:6 TND_E_CONFIG_TOO_FEW_NODES']);
    assert.deepEqual(errors(run(`${TWO}initdead 60\n`, '', { ...HOST, hostName: 'HA1' }).issues), []);
  });
});

describe('serial lines', () => {
  test('two devices make two serial links; a line too slow for the heartbeats is warned about at baud', () => {
    const { config, issues } = hadirToClusterConfig(files('node ha1\nnode ha2\nkeepalive 100ms\ndeadtime 1\ninitdead 2\nbaud 9600\nserial /dev/ttyS0 /dev/ttyS1\n'), { hostName: 'ha1' });
    assert.deepEqual(errors(issues), []);
    assert.deepEqual(config?.links.map((link) => `${link.name} ${link.transport} ${link.baud}`), ['serial0 serial 9600', 'serial1 serial 9600']);
    assert.deepEqual(config?.nodes[1]?.links, { serial0: { device: '/dev/ttyS0' }, serial1: { device: '/dev/ttyS1' } });
    const slow = issues.filter((i) => i.code === 'TND_W_CONFIG_SERIAL_BANDWIDTH');
    assert.deepEqual(brief(slow), ['ha.cf:6:6 TND_W_CONFIG_SERIAL_BANDWIDTH', 'ha.cf:6:6 TND_W_CONFIG_SERIAL_BANDWIDTH']);
    assert.match(slow[0]?.message ?? '', /take \d+% of serial link 'serial0' at 9600 baud.*keepalive of at least \d+ ms/);
  });

  test('more than two nodes: an error at the serial device, and no "no links" error on top', () => {
    const { config, issues } = hadirToClusterConfig(files('node ha1\nnode ha2\nnode ha3\nserial /dev/ttyS0\n'), { hostName: 'ha1' });
    assert.equal(config, undefined);
    assert.deepEqual(errors(issues), ['ha.cf:4:8 TND_E_CONFIG_SERIAL_NODES']);
    assert.match(issues.find((i) => i.code === 'TND_E_CONFIG_SERIAL_NODES')?.message ?? '', /3 nodes.*exactly two.*hopfudge/);
  });

  test('hopfudge is ignored, saying why', () => {
    const { issues } = hadirToClusterConfig(files('node ha1\nnode ha2\nhopfudge 2\nserial /dev/ttyS0\n'), { hostName: 'ha1' });
    const hopfudge = issues.find((i) => i.line === 3);
    assert.equal(hopfudge?.code, 'TND_W_CONFIG_HACF_IGNORED');
    assert.match(hopfudge?.message ?? '', /serial rings.*forwards nothing/);
  });
});
