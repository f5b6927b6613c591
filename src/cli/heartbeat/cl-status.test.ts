/**
 * cl_status answered from tandem's status report: every sub-command's output, error message and exit code,
 * compared with heartbeat 3.0.6 (research notes §9; the texts and codes of /usr/bin/cl_status).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { StatusReport } from '../../api/status-report.js';
import { answerClStatus, answerWithoutDaemon, CL_STATUS_USAGE, parseClStatus, type Outcome, type Signon } from './cl-status.js';
import { group, labReport, LOG, LOG_PREFIX, node, yamlReport } from './testing.js';

function run(argv: readonly string[], report: StatusReport | Signon = labReport()): Outcome {
  const request = parseClStatus(argv);
  const early = answerWithoutDaemon(request, LOG);
  if (early !== undefined) return early;
  assert.equal(request.kind, 'command');
  if (request.kind !== 'command') throw new Error('unreachable');
  const signon: Signon = 'kind' in report ? report : { kind: 'ok', report };
  return answerClStatus(request.name, request.args, signon, LOG);
}

const expect = (outcome: Outcome, stdout: string, exitCode: number, stderr = ''): void => {
  assert.deepEqual(outcome, { stdout, stderr, exitCode });
};

test('§9 usage: no argument or a lone -h prints the usage on stdout, rc 0', () => {
  expect(run([]), CL_STATUS_USAGE, 0);
  expect(run(['-h']), CL_STATUS_USAGE, 0);
  assert.match(CL_STATUS_USAGE, /^Usage: cl_status <sub-command> \[<options>\] \[<parameters>\]\n\nSub-commands:\nclientstatus/);
  for (const sub of ['clientstatus', 'hblinkstatus', 'hbstatus', 'listnodes', 'listhblinks', 'nodestatus', 'nodeweight', 'nodesite', 'nodetype', 'rscstatus', 'hbparameter']) {
    assert.match(CL_STATUS_USAGE, new RegExp(`^${sub}\\b.*\\n\\t\\S`, 'm'), sub);
  }
});

test('§9 an unknown sub-command (an option first too) is "X: invalid sub-command." on stderr, rc 11, without the daemon', () => {
  expect(run(['frobnicate']), '', 11, `${LOG_PREFIX}frobnicate: invalid sub-command.\n`);
  expect(run(['-m', 'hbstatus']), '', 11, `${LOG_PREFIX}-m: invalid sub-command.\n`);
  expect(run(['-h', 'hbstatus']), '', 11, `${LOG_PREFIX}-h: invalid sub-command.\n`);
});

test('§9 hbstatus: running rc 0; stopped rc 1 ("(reason)" with -v); refusing rc 0; timeout rc 12', () => {
  expect(run(['hbstatus']), 'Heartbeat is running on this machine.\n', 0);
  expect(run(['hbstatus', '-m']), 'Heartbeat is running on this machine.\n', 0);
  const stopped: Signon = { kind: 'stopped', reason: 'tandemd is not running' };
  expect(run(['hbstatus'], stopped), 'Heartbeat is stopped on this machine.\n', 1);
  expect(run(['hbstatus', '-v'], stopped), 'Heartbeat is stopped on this machine.\n(tandemd is not running)\n', 1);
  expect(run(['hbstatus'], { kind: 'refused', reason: 'EACCES' }), 'Heartbeat is apparently running on this machine, but refuses my connection\n', 0);
  expect(run(['hbstatus'], { kind: 'timeout', reason: 'no answer' }), '', 12, `${LOG_PREFIX}Cannot signon with heartbeat\n${LOG_PREFIX}REASON: no answer\n`);
  // hbstatus ignores an unknown option after getopt's complaint.
  expect(run(['hbstatus', '-x'], stopped), 'Heartbeat is stopped on this machine.\n', 1, "hbstatus: invalid option -- 'x'\n");
});

test('§9 every other sub-command without a daemon prints the signon failure on stderr, rc 1 (before checking its arguments)', () => {
  const stopped: Signon = { kind: 'stopped', reason: 'tandemd is not running: nothing listens on /run/tandem/tandemd.sock (ENOENT)' };
  const failure = `${LOG_PREFIX}Cannot signon with heartbeat\n${LOG_PREFIX}REASON: tandemd is not running: nothing listens on /run/tandem/tandemd.sock (ENOENT)\n`;
  for (const argv of [['listnodes'], ['nodestatus', 'n1'], ['nodestatus'], ['nodetype', 'n1'], ['nodeweight', 'n1'], ['nodesite', 'n1'], ['listhblinks', 'n1'], ['hblinkstatus', 'n1', 'eth1'], ['clientstatus', 'n1', 'ipfail'], ['rscstatus'], ['hbparameter', '-p', 'keepalive'], ['listnodes', '-x'], ['test']]) {
    expect(run(argv, stopped), '', 1, failure);
  }
  expect(run(['listnodes'], { kind: 'timeout', reason: 'slow' }), '', 12, `${LOG_PREFIX}Cannot signon with heartbeat\n${LOG_PREFIX}REASON: slow\n`);
});

test('§9 hbstatus -v: version, "managed by" haresources, then listnodes -v; -m its human form', () => {
  expect(
    run(['hbstatus', '-v']),
    'version:\t0.1.0 (tandem)\nmanaged by:\t"haresources"\n\n192.0.2.1\tping\t(nodetype: ping)\n\t192.0.2.1\tup\n\nn2\tactive\t(nodetype: normal)\n\teth1\tup\n\nn1\tactive\t(nodetype: normal)\n\teth1\tup\n',
    0,
  );
  const human = run(['hbstatus', '-vm']);
  assert.equal(human.exitCode, 0);
  assert.match(human.stdout, /^Heartbeat version 0\.1\.0 \(tandem\)\nResources controlled by "haresources"\nThe nodes are as follow:\n\n192\.0\.2\.1\tping\t\(nodetype: ping\)\n\tthis node has the following heartbeat links:\n\t192\.0\.2\.1\tup\n/);
});

test('§9 listnodes: heartbeat order (reverse of ha.cf: ping node, n2, n1), -p ping only, -n normal only, -pn both, -m header', () => {
  expect(run(['listnodes']), '192.0.2.1\nn2\nn1\n', 0);
  expect(run(['listnodes', '-p']), '192.0.2.1\n', 0);
  expect(run(['listnodes', '-n']), 'n2\nn1\n', 0);
  expect(run(['listnodes', '-pn']), '192.0.2.1\nn2\nn1\n', 0);
  expect(run(['listnodes', '-m']), 'The nodes are as follow:\n192.0.2.1\nn2\nn1\n', 0);
});

test('§9 listnodes -v: an empty line, NAME\\tSTATUS\\t(nodetype: TYPE), then \\tLINK\\tSTATUS per link', () => {
  const report = labReport({
    nodes: [node('n1', 'up', [{ name: 'bcast-eth1', state: 'up', lastHeardMsAgo: null, loss: 0, gapMeanMs: 0, gapMaxMs: 0, jitterWarning: false }], true), node('n2', 'dead', [{ name: 'bcast-eth1', state: 'dead', lastHeardMsAgo: 7000, loss: 0, gapMeanMs: 0, gapMaxMs: 0, jitterWarning: false }])],
    ping: { intervalMs: 1000, deadMs: 6000, targets: [{ name: '192.0.2.1', addresses: ['192.0.2.1'], reachable: false }] },
  });
  expect(run(['listnodes', '-v'], report), '\n192.0.2.1\tdead\t(nodetype: ping)\n\t192.0.2.1\tdead\n\nn2\tdead\t(nodetype: normal)\n\teth1\tdead\n\nn1\tactive\t(nodetype: normal)\n\teth1\tup\n', 0);
});

test('§4.1 §9 nodestatus: self and up/late peers active (rc 0), unknown init (rc 1), dead and left dead (rc 1), ping node ping (rc 0) / dead', () => {
  const report = yamlReport({ nodes: [...yamlReport().nodes, node('n4', 'left', []), node('n5', 'dead', [])], nodeOrder: ['n1', 'n2', 'n3', 'n4', 'n5'] });
  expect(run(['nodestatus', 'n1'], report), 'active\n', 0);
  expect(run(['nodestatus', 'n2'], report), 'active\n', 0);
  expect(run(['nodestatus', 'n3'], report), 'init\n', 1);
  expect(run(['nodestatus', 'n4'], report), 'dead\n', 1);
  expect(run(['nodestatus', 'n5'], report), 'dead\n', 1);
  expect(run(['nodestatus', '192.0.2.1']), 'ping\n', 0);
  expect(run(['nodestatus', '-m', 'n2']), 'The cluster node n2 is active\n', 0);
  // Options may follow the node (GNU getopt permutes), and extra words are ignored, as in heartbeat.
  expect(run(['nodestatus', 'n2', '-m', 'extra']), 'The cluster node n2 is active\n', 0);
});

test('§9 nodestatus/nodetype/nodeweight/nodesite: unknown node rc 11 with heartbeat\'s message; missing node rc 11', () => {
  expect(run(['nodestatus', 'nx']), '', 11, 'Error. May be due to incorrect node name\n');
  expect(run(['nodetype', 'nx']), '', 11, 'Error. May be due to incorrect node name\n');
  expect(run(['nodesite', 'nx']), '', 11, 'Error. May be due to incorrect node name\n');
  expect(run(['nodeweight', 'nx']), '', 11, 'Error. Maybe due to incorrect node name.\n');
  expect(run(['nodestatus']), '', 11, 'Not enough parameters.\n');
  expect(run(['nodeweight']), '', 11, 'Not enough parameters.\n');
  expect(run(['nodesite']), '', 11, 'Not enough parameters.\n');
  expect(run(['nodetype']), '', 11, 'No enough parameter.\n');
});

test('§9 an option a sub-command does not take is getopt\'s complaint plus heartbeat\'s log line, rc 11', () => {
  expect(run(['nodestatus', '-x', 'n1']), '', 11, `nodestatus: invalid option -- 'x'\n${LOG_PREFIX}Error: getopt returnedcharacter ?.\n`);
  expect(run(['listnodes', '-x']), '', 11, `listnodes: invalid option -- 'x'\n${LOG_PREFIX}Error: getopt returnedcharacter code ?.\n`);
  expect(run(['hbparameter', '-p']), '', 11, `hbparameter: option requires an argument -- 'p'\n${LOG_PREFIX}Error: getopt returnedcharacter code ?.\n`);
});

test('§9 nodetype normal/ping, nodeweight 100, nodesite empty, with their -m forms', () => {
  expect(run(['nodetype', 'n2']), 'normal\n', 0);
  expect(run(['nodetype', '192.0.2.1']), 'ping\n', 0);
  expect(run(['nodetype', '-m', 'n2']), "The node n2's type: normal\n", 0);
  expect(run(['nodeweight', 'n2']), '100\n', 0);
  expect(run(['nodeweight', '-m', 'n2']), 'The weight of the cluster node n2 is 100\n', 0);
  expect(run(['nodesite', 'n2']), '\n', 0);
  expect(run(['nodesite', '-m', 'n2']), 'The site of the cluster node n2 is \n', 0);
});

test('§4.1 §9 listhblinks: heartbeat\'s link names (the interface when from an ha.d), -v with status, -m header', () => {
  expect(run(['listhblinks', 'n1']), '\teth1\n', 0);
  expect(run(['listhblinks', '-v', 'n2']), '\teth1\tup\n', 0);
  expect(run(['listhblinks', '192.0.2.1']), '\t192.0.2.1\n', 0);
  expect(run(['listhblinks', '-m', 'n1']), '\tthis node has the following heartbeat links:\n\teth1\n', 0);
  // tandem's YAML: tandem's link names, reverse config order as heartbeat's API lists them; late is up, unknown dead.
  expect(run(['listhblinks', '-v', 'n2'], yamlReport()), '\tbackup\tdead\n\tlan\tup\n', 0);
  expect(run(['listhblinks', '-v', 'n3'], yamlReport()), '\tbackup\tdead\n\tlan\tdead\n', 0);
  expect(run(['listhblinks']), '', 11, 'No enough parameter.\n');
  const unknown = run(['listhblinks', 'nx']);
  assert.equal(unknown.exitCode, 13);
  assert.equal(unknown.stdout, '');
  assert.match(unknown.stderr, /^Nov 24 02:20:37 vm cl_status: \[4242\]: ERROR: Cannot start heartbeat link interface walk\.\n.*ERROR: REASON: no node named 'nx' \(nodes: 192\.0\.2\.1, n2, n1\)\n$/);
});

test('§9 hblinkstatus: up rc 0, dead rc 1, -m form; unknown node or link rc 13; missing words rc 11', () => {
  expect(run(['hblinkstatus', 'n2', 'eth1']), 'up\n', 0);
  expect(run(['hblinkstatus', 'n2', 'backup'], yamlReport()), 'dead\n', 1);
  expect(run(['hblinkstatus', '-m', 'n2', 'eth1']), "The node n2's heartbeat link eth1 is up\n", 0);
  expect(run(['hblinkstatus', '192.0.2.1', '192.0.2.1']), 'up\n', 0);
  const wrongLink = run(['hblinkstatus', 'n2', 'eth0']);
  assert.equal(wrongLink.exitCode, 13);
  assert.match(wrongLink.stderr, /ERROR: Cannot get heartbeat link status\n.*ERROR: REASON: node 'n2' has no link 'eth0' \(links: eth1\)\n$/);
  assert.equal(run(['hblinkstatus', 'nx', 'eth1']).exitCode, 13);
  expect(run(['hblinkstatus', 'n2']), '', 11, 'No enough parameter.\n');
});

test('§8.2 §9 clientstatus: ipfail online with ping targets (rc 0), offline without or for any other client (rc 1), a dead node times out (rc 13)', () => {
  expect(run(['clientstatus', 'n2', 'ipfail']), 'online\n', 0);
  expect(run(['clientstatus', 'n1', 'ipfail', '100']), 'online\n', 0);
  expect(run(['clientstatus', 'n1', 'ipfail'], yamlReport()), 'offline\n', 1);
  // heartbeat ping nodes without ipfail: listed and probed, but no ipfail runs.
  const reportedOnly = labReport({ ping: { intervalMs: 1000, deadMs: 6000, tieBreaker: false, targets: [{ name: '192.0.2.1', addresses: ['192.0.2.1'], reachable: true }] } });
  expect(run(['clientstatus', 'n1', 'ipfail'], reportedOnly), 'offline\n', 1);
  expect(run(['listnodes', '-p'], reportedOnly), '192.0.2.1\n', 0);
  expect(run(['clientstatus', 'n1', 'ccm']), 'offline\n', 1);
  // -m has no human form for clientstatus in heartbeat either.
  expect(run(['clientstatus', '-m', 'n1', 'ccm']), 'offline\n', 1);
  const dead = run(['clientstatus', 'n3', 'ipfail'], yamlReport());
  assert.equal(dead.exitCode, 13);
  assert.equal(dead.stderr, `${LOG_PREFIX}Cannot get heartbeat client ipfail's status\n${LOG_PREFIX}REASON: No timely response.\n`);
  assert.equal(run(['clientstatus', 'nx', 'ipfail']).exitCode, 13);
  expect(run(['clientstatus', 'n1']), '', 11, 'No enough parameter.\n');
});

test('§7.2 §9 rscstatus: local/foreign/all/none from the groups held here vs their home, -m form', () => {
  expect(run(['rscstatus']), 'local\n', 0);
  expect(run(['rscstatus', '-m']), 'This node is holding local resources.\n', 0);
  const both = labReport({ groups: [group('alpha', ['n1', 'n2'], 'running', ['n1'], 'n1'), group('beta', ['n2', 'n1'], 'running', ['n1'], 'n1')] });
  expect(run(['rscstatus'], both), 'all\n', 0);
  const foreign = labReport({ groups: [group('alpha', ['n1', 'n2'], 'stopped', ['n2'], 'n2'), group('beta', ['n2', 'n1'], 'running', ['n1'], 'n1')] });
  expect(run(['rscstatus'], foreign), 'foreign\n', 0);
  const none = labReport({ groups: [group('alpha', ['n1', 'n2'], 'stopped', ['n2'], 'n2'), group('beta', ['n2', 'n1'], 'stopped', ['n2'], 'n2')] });
  expect(run(['rscstatus'], none), 'none\n', 0);
});

test('§7.2 §9 rscstatus: transition while a group starts, stops or moves anywhere', () => {
  for (const moving of [group('beta', ['n2', 'n1'], 'starting', [], 'n1'), group('beta', ['n2', 'n1'], 'stopping', ['n1'], 'n2'), group('beta', ['n2', 'n1'], 'stopped', ['n2'], 'n1'), group('beta', ['n2', 'n1'], 'stopped', [], 'n2')]) {
    const report = labReport({ groups: [group('alpha', ['n1', 'n2'], 'running', ['n1'], 'n1'), moving] });
    expect(run(['rscstatus'], report), 'transition\n', 0);
  }
  // A group that can run nowhere is not moving.
  expect(run(['rscstatus'], labReport({ groups: [group('alpha', ['n1', 'n2'], 'running', ['n1'], 'n1'), group('beta', ['n2'], 'stopped', [], null)] })), 'local\n', 0);
});

test('§7.3 rscstatus: none in legacy auto_failback mode, even while this node holds groups, as heartbeat did', () => {
  const legacy = labReport({ origin: { kind: 'ha.d', dir: '/etc/ha.d', parameters: {}, autoFailback: 'legacy' } });
  expect(run(['rscstatus'], legacy), 'none\n', 0);
});

test('§5.1 §9 hbparameter from an ha.d: the value as written (the last word), fixed and computed defaults, not-recorded ones rc 1', () => {
  expect(run(['hbparameter', '-p', 'keepalive']), '1\n', 0);
  expect(run(['hbparameter', '-pkeepalive']), '1\n', 0);
  expect(run(['hbparameter', '-m', '-p', 'deadtime']), "Heartbeat parameter deadtime's value: 6\n", 0);
  expect(run(['hbparameter', '-p', 'auto_failback']), 'on\n', 0);
  const lastWord = labReport({ origin: { kind: 'ha.d', dir: '/etc/ha.d', parameters: { keepalive: '2 3' }, autoFailback: 'legacy' } });
  expect(run(['hbparameter', '-p', 'keepalive'], lastWord), '3\n', 0);
  // Computed at start-up, in heartbeat's form: deadping = deadtime unless written.
  const bare = labReport({ origin: { kind: 'ha.d', dir: '/etc/ha.d', parameters: { deadtime: '6' }, autoFailback: 'legacy' }, ping: null });
  expect(run(['hbparameter', '-p', 'deadping'], bare), '6000ms\n', 0);
  expect(run(['hbparameter', '-p', 'warntime'], bare), '3000ms\n', 0);
  expect(run(['hbparameter', '-p', 'initdead'], bare), '15000ms\n', 0);
  expect(run(['hbparameter', '-p', 'udpport'], bare), '694\n', 0);
  expect(run(['hbparameter', '-p', 'auto_failback'], bare), 'legacy\n', 0);
  expect(run(['hbparameter', '-p', 'msgfmt'], bare), 'classic\n', 0);
  expect(run(['hbparameter', '-p', 'hbversion'], bare), '0.1.0 (tandem)\n', 0);
  for (const name of ['apiauth', 'node', 'respawn', 'stonith', 'normalpoll', 'nice_failback']) {
    const missing = run(['hbparameter', '-p', name]);
    assert.equal(missing.exitCode, 1, name);
    assert.equal(missing.stdout, '');
    assert.match(missing.stderr, new RegExp(`^${LOG_PREFIX.replace(/[[\]]/g, '\\$&')}Cannot get parameter ${name}'s value\n.*REASON: .+\n$`));
  }
  expect(run(['hbparameter']), '', 11, `${LOG_PREFIX}parameter name required\n`);
});

test('§9 hbparameter from tandem\'s YAML: tandem\'s equivalents in heartbeat\'s computed form, no value for the rest', () => {
  const report = yamlReport();
  expect(run(['hbparameter', '-p', 'keepalive'], report), '150ms\n', 0);
  expect(run(['hbparameter', '-p', 'deadtime'], report), '700ms\n', 0);
  expect(run(['hbparameter', '-p', 'warntime'], report), '400ms\n', 0);
  expect(run(['hbparameter', '-p', 'initdead'], report), '3000ms\n', 0);
  expect(run(['hbparameter', '-p', 'deadping'], report), '700ms\n', 0);
  expect(run(['hbparameter', '-p', 'deadping'], yamlReport({ ping: { intervalMs: 1000, deadMs: 3000, targets: [] } })), '3000ms\n', 0);
  expect(run(['hbparameter', '-p', 'udpport'], report), '694\n', 0);
  expect(run(['hbparameter', '-p', 'cluster'], report), 'prod\n', 0);
  expect(run(['hbparameter', '-p', 'pacemaker'], report), 'false\n', 0);
  const manual = yamlReport({ groups: [group('web', ['n1', 'n2'], 'running', ['n1'], 'n1')] });
  expect(run(['hbparameter', '-p', 'auto_failback'], manual), 'off\n', 0);
  const mixed = run(['hbparameter', '-p', 'auto_failback'], report);
  assert.equal(mixed.exitCode, 1);
  assert.match(mixed.stderr, /Cannot get parameter auto_failback's value\n.*REASON: the groups differ/);
  const other = run(['hbparameter', '-p', 'logfacility'], report);
  assert.equal(other.exitCode, 1);
  assert.match(other.stderr, /REASON: tandem's config \(\/etc\/tandem\/tandem\.yaml\) has no equivalent of heartbeat's 'logfacility'/);
  const ports = run(['hbparameter', '-p', 'udpport'], yamlReport({ links: [{ name: 'a', transport: 'udp-unicast', port: 694, heartbeatName: 'a' }, { name: 'b', transport: 'udp-unicast', port: 695, heartbeatName: 'b' }] }));
  assert.equal(ports.exitCode, 1);
});

test('§9 test (undocumented): dead time, keepalive, node id, resources', () => {
  expect(run(['test']), 'Dead time: 6000\n keeplive time: 1000\n mynodeid: n1\n rsc: local\n', 0);
});
