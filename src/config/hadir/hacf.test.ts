import { strict as assert } from 'node:assert';
import { describe, test } from 'node:test';
import type { ConfigIssue } from '../model.js';
import { parseHaCf, parseHeartbeatBoolean, parseHeartbeatTime, tokenizeHaCf } from './hacf.js';

const F = '/etc/ha.d/ha.cf';
const brief = (issues: readonly ConfigIssue[]): string[] => issues.map((i) => `${i.line}:${i.column} ${i.code}`);
const only = (text: string, code: string): ConfigIssue[] => parseHaCf(text, F).issues.filter((i) => i.code === code);

describe('ha.cf lexing, as heartbeat does it', () => {
  test('a # anywhere starts a comment; tabs separate words; columns are exact', () => {
    const d = tokenizeHaCf('node server201 ##节点1\n\tkeepalive\t2\r\n  # only a comment\n\nudp eth1#x\n');
    assert.deepEqual(
      d.map((x) => [x.name, x.written, x.at.line, x.at.column, x.args.map((a) => `${a.text}@${a.column}`)]),
      [
        ['node', 'node', 1, 1, ['server201@6']],
        ['keepalive', 'keepalive', 2, 2, ['2@12']],
        ['bcast', 'udp', 5, 1, ['eth1@5']],
      ],
    );
  });

  test('option directives split at commas too, whole-line ones only at white space', () => {
    const d = tokenizeHaCf('node a,b c\napiauth ipfail uid=a,b\n');
    assert.deepEqual(d[0]?.args.map((a) => a.text), ['a', 'b', 'c']);
    assert.deepEqual(d[1]?.args.map((a) => a.text), ['ipfail', 'uid=a,b']);
  });

  test('times follow cl_get_msec: seconds by default, ms/us suffixes, rounding', () => {
    assert.equal(parseHeartbeatTime('2'), 2000);
    assert.equal(parseHeartbeatTime('0.5'), 500);
    assert.equal(parseHeartbeatTime('1500ms'), 1500);
    assert.equal(parseHeartbeatTime('1500MS'), 1500);
    assert.equal(parseHeartbeatTime('2500us'), 3);
    assert.equal(parseHeartbeatTime('2s'), undefined);
    assert.equal(parseHeartbeatTime('abc'), undefined);
    assert.equal(parseHeartbeatBoolean('Yes'), true);
    assert.equal(parseHeartbeatBoolean('n'), false);
    assert.equal(parseHeartbeatBoolean('maybe'), undefined);
  });
});

describe('ha.cf directives', () => {
  test('a trailing ## comment does not reach the value (seed 004)', () => {
    const { hacf, issues } = parseHaCf('keepalive 2 ##设定心跳\nnode server201 ##节点1\nnode server202 ##节点2\n', F);
    assert.deepEqual(issues, []);
    assert.equal(hacf.keepalive?.ms, 2000);
    assert.deepEqual(hacf.nodes.map((n) => n.text), ['server201', 'server202']);
  });

  test('unknown directive: error with a suggestion, at the directive', () => {
    const [issue] = only('\n  keepalvie 2\n', 'TND_E_CONFIG_HACF_UNKNOWN_DIRECTIVE');
    assert.equal(`${issue?.line}:${issue?.column}`, '2:3');
    assert.match(issue?.message ?? '', /did you mean 'keepalive'\?/);
    assert.match(only('...\n', 'TND_E_CONFIG_HACF_UNKNOWN_DIRECTIVE')[0]?.message ?? '', /not a heartbeat directive/);
  });

  test('bad values are errors at the value', () => {
    assert.deepEqual(brief(parseHaCf('deadtime 10s\n', F).issues), ['1:10 TND_E_CONFIG_HACF_VALUE']);
    assert.deepEqual(brief(parseHaCf('udpport 70000\n', F).issues), ['1:9 TND_E_CONFIG_HACF_VALUE']);
    assert.deepEqual(brief(parseHaCf('auto_failback sometimes\n', F).issues), ['1:15 TND_E_CONFIG_HACF_VALUE']);
    assert.deepEqual(brief(parseHaCf('baud 12345\n', F).issues), ['1:6 TND_E_CONFIG_HACF_VALUE']);
    assert.deepEqual(brief(parseHaCf('realtime perhaps\n', F).issues), ['1:10 TND_E_CONFIG_HACF_VALUE']);
    assert.deepEqual(brief(parseHaCf('ucast eth1 peer.example.com\n', F).issues), ['1:12 TND_E_CONFIG_HACF_VALUE']);
    assert.deepEqual(brief(parseHaCf('ping 224.0.0.1\n', F).issues), ['1:6 TND_E_CONFIG_ADDRESS']);
    assert.deepEqual(brief(parseHaCf('node Bad_Name\n', F).issues), ['1:6 TND_E_CONFIG_NAME']);
    assert.deepEqual(brief(parseHaCf('node a\nnode A\n', F).issues), ['2:6 TND_E_CONFIG_DUPLICATE_NODE']);
    assert.deepEqual(brief(parseHaCf('watchdog dev/watchdog\n', F).issues), ['1:10 TND_E_CONFIG_HACF_VALUE']);
  });

  test('mcast: five words, a multicast group, TTL 0..4 (the code, not the man page), loop 0/1', () => {
    assert.deepEqual(brief(parseHaCf('mcast eth1 225.0.0.1 694 1\n', F).issues), ['1:1 TND_E_CONFIG_HACF_ARGS']);
    assert.deepEqual(brief(parseHaCf('mcast eth1 10.0.0.1 694 1 0\n', F).issues), ['1:12 TND_E_CONFIG_MULTICAST_GROUP']);
    assert.deepEqual(brief(parseHaCf('mcast eth1 225.0.0.1 694 5 0\n', F).issues), ['1:26 TND_E_CONFIG_HACF_VALUE']);
    assert.deepEqual(brief(parseHaCf('mcast eth1 225.0.0.1 694 1 2\n', F).issues), ['1:28 TND_E_CONFIG_HACF_VALUE']);
    const { hacf } = parseHaCf('mcast eth1 225.0.0.1 694 1 1\n', F);
    assert.deepEqual(hacf.media.map((m) => m.kind === 'mcast' && [m.iface.text, m.group.text, m.port, m.ttl, m.loop]), [['eth1', '225.0.0.1', 694, 1, true]]);
  });

  test('udp is read as bcast with a warning; udpport applies to the media after it', () => {
    const { hacf, issues } = parseHaCf('bcast eth0\nudpport 695\nudp eth1\nucast eth2 10.0.0.2\n', F);
    assert.deepEqual(brief(issues), ['2:9 TND_W_CONFIG_HACF_ORDER', '3:1 TND_W_CONFIG_HACF_OBSOLETE']);
    assert.deepEqual(hacf.media.map((m) => (m.kind === 'bcast' || m.kind === 'ucast' ? `${m.kind}:${m.iface.text}:${m.port}` : '')), ['bcast:eth0:694', 'bcast:eth1:695', 'ucast:eth2:695']);
    assert.deepEqual(brief(parseHaCf('bcast eth0\nudpport 694\n', F).issues), []);
  });

  test('a setting given again: the last wins, with a warning', () => {
    const { hacf, issues } = parseHaCf('keepalive 2 3\n', F);
    assert.equal(hacf.keepalive?.ms, 3000);
    assert.deepEqual(brief(issues), ['1:13 TND_W_CONFIG_HACF_OVERRIDDEN']);
  });

  test('serial links: one medium per device, baud kept; baud without serial is ignored; a relative device is refused', () => {
    const { hacf, issues } = parseHaCf('baud 38400\nserial /dev/ttyS0 /dev/ttyUSB0\n', F);
    assert.deepEqual(brief(issues), []);
    assert.deepEqual(hacf.media.map((m) => (m.kind === 'serial' ? `${m.device.text}@${m.device.column}` : m.kind)), ['/dev/ttyS0@8', '/dev/ttyUSB0@19']);
    assert.equal(hacf.baud?.value, 38400);
    assert.deepEqual(brief(parseHaCf('baud 19200\n', F).issues), ['1:6 TND_W_CONFIG_HACF_IGNORED']);
    const relative = parseHaCf('serial ttyS0\n', F);
    assert.deepEqual(brief(relative.issues), ['1:8 TND_E_CONFIG_HACF_VALUE']);
    assert.deepEqual(relative.hacf.media, []);
  });

  test('directives that do not apply are warnings at their line, never dropped silently', () => {
    const text = 'logfile /var/log/ha-log\nlogfacility local0\nuse_logd yes\napiauth ipfail gid=haclient uid=hacluster\nhopfudge 1\nrealtime off\nmsgfmt netstring\nrespawn root /usr/bin/monitor -x\ncompression bz2\n';
    const issues = parseHaCf(text, F).issues;
    assert.deepEqual(brief(issues), ['1:1 TND_W_CONFIG_HACF_IGNORED', '2:1 TND_W_CONFIG_HACF_IGNORED', '3:1 TND_W_CONFIG_HACF_IGNORED', '4:1 TND_W_CONFIG_HACF_IGNORED', '5:1 TND_W_CONFIG_HACF_IGNORED', '6:1 TND_W_CONFIG_HACF_IGNORED', '7:1 TND_W_CONFIG_HACF_IGNORED', '8:14 TND_W_CONFIG_HACF_IGNORED', '9:1 TND_W_CONFIG_HACF_IGNORED']);
    assert.ok(issues.every((i) => i.severity === 'warning'));
  });

  test('nice_failback ignores its value, as heartbeat does', () => {
    assert.equal(parseHaCf('nice_failback on\n', F).hacf.autoFailback?.value, 'legacy');
    assert.equal(parseHaCf('auto_failback on\nnice_failback on\n', F).hacf.autoFailback?.value, 'off');
    assert.deepEqual(brief(parseHaCf('nice_failback on\n', F).issues), ['1:1 TND_W_CONFIG_HACF_OBSOLETE']);
  });

  test('crm yes / respawn: an error with the migration path; crm no is fine', () => {
    const [issue] = only('crm respawn\n', 'TND_E_CONFIG_HACF_CRM');
    assert.equal(`${issue?.line}:${issue?.column}`, '1:1');
    assert.match(issue?.message ?? '', /Migration path/);
    assert.deepEqual(parseHaCf('crm yes\n', F).issues.map((i) => i.code), ['TND_E_CONFIG_HACF_CRM']);
    assert.deepEqual(parseHaCf('crm no\npacemaker off\n', F).issues, []);
    assert.deepEqual(brief(parseHaCf('crm sometimes\n', F).issues), ['1:5 TND_E_CONFIG_HACF_VALUE']);
  });

  test('autojoin other|any is refused, none is fine', () => {
    assert.deepEqual(brief(parseHaCf('autojoin any\n', F).issues), ['1:10 TND_E_CONFIG_HACF_UNSUPPORTED']);
    assert.deepEqual(parseHaCf('autojoin none\n', F).issues, []);
  });

  test('stonith_host plugins map to fence agents, with their parameters renamed', () => {
    const { hacf, issues } = parseHaCf('stonith_host ha1 external/ipmi ha2 10.0.0.12 admin s3cret lanplus\nstonith_host * apcmaster 10.0.0.3 apc apcpass\n', F);
    assert.deepEqual(issues, []);
    assert.deepEqual(
      hacf.fenceDevices.map((d) => [d.from.text, d.agent, d.params, d.targets?.map((t) => t.node.text)]),
      [
        ['ha1', 'fence_ipmilan', { ip: '10.0.0.12', username: 'admin', password: 's3cret', lanplus: '1' }, ['ha2']],
        ['*', 'fence_apc', { ip: '10.0.0.3', username: 'apc', password: 'apcpass' }, undefined],
      ],
    );
    const virsh = parseHaCf('stonith_host * external/libvirt ha1:vm-ha1,ha2:vm-ha2 qemu+ssh://root@hv1/system\n', F).hacf.fenceDevices[0];
    assert.deepEqual([virsh?.agent, virsh?.params, virsh?.targets?.map((t) => `${t.node.text}:${t.plug ?? ''}`)], ['fence_virsh', { ip: 'hv1', username: 'root' }, ['ha1:vm-ha1', 'ha2:vm-ha2']]);
  });

  test('stonith without an equivalent, with wrong parameters, or from a file: errors naming the line', () => {
    const [rps10] = only('#\nstonith_host ken3 rps10 /dev/ttyS1 kathy 0\n', 'TND_E_CONFIG_HACF_STONITH');
    assert.equal(`${rps10?.line}:${rps10?.column}`, '2:19');
    assert.match(rps10?.message ?? '', /rps10.*serial/);
    assert.match(only('stonith_host * frobnicator x\n', 'TND_E_CONFIG_HACF_STONITH')[0]?.message ?? '', /no fence agent equivalent is known/);
    assert.deepEqual(brief(parseHaCf('stonith_host * external/ipmi ha2 10.0.0.12\n', F).issues), ['1:16 TND_E_CONFIG_HACF_STONITH']);
    // A plugin with no fence agent is refused for that reason (at its name), not sent to a stonith_host line.
    assert.deepEqual(brief(parseHaCf('stonith baytech /etc/ha.d/conf/stonith.baytech\n', F).issues), ['1:9 TND_E_CONFIG_HACF_STONITH']);
    assert.deepEqual(brief(parseHaCf('stonith external/ipmi /etc/ha.d/ipmi.cfg\n', F).issues), ['1:1 TND_E_CONFIG_HACF_STONITH']);
  });

  test('ping, ping_group and respawn are read', () => {
    const { hacf, issues } = parseHaCf('ping 192.0.2.1 192.0.2.2\nping_group routers 192.0.2.3 192.0.2.4\nrespawn hacluster /usr/lib/heartbeat/ipfail\n', F);
    assert.deepEqual(issues, []);
    assert.deepEqual(hacf.pings.map((p) => p.text), ['192.0.2.1', '192.0.2.2']);
    assert.deepEqual(hacf.pingGroups.map((g) => [g.name.text, g.addresses.map((a) => a.text)]), [['routers', ['192.0.2.3', '192.0.2.4']]]);
    assert.equal(hacf.respawn[0]?.command.text, '/usr/lib/heartbeat/ipfail');
    assert.deepEqual(brief(parseHaCf('ping_group routers\n', F).issues), ['1:1 TND_E_CONFIG_HACF_ARGS']);
  });
});
