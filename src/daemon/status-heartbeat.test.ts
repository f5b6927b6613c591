/** The status report names each link as heartbeat's commands do (research notes §4.1): its medium on this host. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hadirToClusterConfig } from '../config/hadir/import.js';
import { heartbeatLinkName } from './status.js';

const HOST = {
  hostName: 'ha1',
  interfaces: { eth1: [{ address: '10.0.0.1', netmask: '255.255.255.0' }], eth2: [{ address: '10.0.1.1', netmask: '255.255.255.0' }] },
  addresses: { ha2: { eth1: '10.0.0.2', eth2: '10.0.1.2' } },
};

test('§4.1 a config from an ha.d names links by interface (bcast eth1, ucast eth2); tandem YAML keeps its own names', () => {
  const imported = hadirToClusterConfig({ haCf: 'node ha1\nnode ha2\nbcast eth1\nucast eth2 10.0.1.2\n', haresources: '', authkeys: 'auth 1\n1 sha1 SecretKey!\n' }, HOST);
  const config = imported.config;
  assert.ok(config, JSON.stringify(imported.issues));
  assert.deepEqual(config.links.map((link) => [link.name, heartbeatLinkName(config, 'ha1', link.name)]), [['bcast-eth1', 'eth1'], ['ucast-eth2', 'eth2']]);
  const yaml = { ...config, origin: undefined };
  assert.deepEqual(config.links.map((link) => heartbeatLinkName(yaml, 'ha1', link.name)), ['bcast-eth1', 'ucast-eth2']);
});

test('§8.1 ping nodes without ipfail are kept in origin.pingNodes (probed for cl_status only), with deadping = deadtime', () => {
  const imported = hadirToClusterConfig({ haCf: 'node ha1\nnode ha2\nbcast eth1\ndeadtime 6\nping 10.0.0.254\nping_group uplinks 10.0.0.252 10.0.0.253\n', haresources: '', authkeys: 'auth 1\n1 sha1 SecretKey!\n' }, HOST);
  const config = imported.config;
  assert.ok(config, JSON.stringify(imported.issues));
  assert.equal(config.ping, undefined, 'not a tie-breaker without ipfail');
  assert.deepEqual(config.origin?.pingNodes, {
    groups: [{ name: '10.0.0.254', addresses: ['10.0.0.254'] }, { name: 'uplinks', addresses: ['10.0.0.252', '10.0.0.253'] }],
    intervalMs: 1000,
    deadMs: 6000,
  });
});
