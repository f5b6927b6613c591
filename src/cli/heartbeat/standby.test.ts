/**
 * hb_standby / hb_takeover: heartbeat's argument checking and messages (the scripts in /usr/share/heartbeat), and
 * which groups move where (research notes §7.4, §7.5) as tandem operator placements.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describePlan, headline, parseHbArgs, planStandby, planTakeover } from './standby.js';
import { group, labReport, node, yamlReport } from './testing.js';

test('§7.4 hb_standby arguments: none = all, failback = foreign, the four words accepted', () => {
  assert.deepEqual(parseHbArgs('hb_standby', 'hb_standby', []), { ok: true, word: 'all', set: 'all' });
  assert.deepEqual(parseHbArgs('hb_standby', 'hb_standby', ['local']), { ok: true, word: 'local', set: 'local' });
  assert.deepEqual(parseHbArgs('hb_standby', 'hb_standby', ['foreign']), { ok: true, word: 'foreign', set: 'foreign' });
  assert.deepEqual(parseHbArgs('hb_standby', 'hb_standby', ['failback']), { ok: true, word: 'failback', set: 'foreign' });
});

test('§7.5 hb_takeover arguments: failback takes all (the peer ran hb_standby without an argument)', () => {
  assert.deepEqual(parseHbArgs('hb_takeover', 'hb_takeover', []), { ok: true, word: 'all', set: 'all' });
  assert.deepEqual(parseHbArgs('hb_takeover', 'hb_takeover', ['local']), { ok: true, word: 'local', set: 'local' });
  assert.deepEqual(parseHbArgs('hb_takeover', 'hb_takeover', ['failback']), { ok: true, word: 'failback', set: 'all' });
});

test('§7.4 §7.5 argument errors: the scripts\' messages, "usage:" on stdout and the synopsis on stderr, exit 1', () => {
  for (const command of ['hb_standby', 'hb_takeover'] as const) {
    const prog = `/usr/share/heartbeat/${command}`;
    assert.deepEqual(parseHbArgs(command, prog, ['all', 'local']), { ok: false, stdout: `${prog}: too many arguments\nusage:\n`, stderr: `${prog} [all|foreign|local|failback]\n`, exitCode: 1 });
    assert.deepEqual(parseHbArgs(command, prog, ['everything']), { ok: false, stdout: `${prog}: wrong resources(everything).\nusage:\n`, stderr: `${prog} [all|foreign|local|failback]\n`, exitCode: 1 });
    assert.deepEqual(parseHbArgs(command, prog, ['--help']), { ok: false, stdout: 'usage:\n', stderr: `${prog} [all|foreign|local|failback]\n`, exitCode: 1 });
  }
});

test('§7.4 hb_standby all on n1: the group at home on n1 moves to n2; beta, already on n2, stays', () => {
  const plan = planStandby(labReport(), 'all');
  assert.deepEqual(plan, { moves: [{ group: 'alpha', from: ['n1'], to: 'n2' }], stuck: [], unchanged: ['beta'] });
});

test('§7.4 hb_standby local / foreign (= failback) on n1 holding both groups', () => {
  const report = labReport({ groups: [group('alpha', ['n1', 'n2'], 'running', ['n1'], 'n1'), group('beta', ['n2', 'n1'], 'running', ['n1'], 'n1')] });
  assert.deepEqual(planStandby(report, 'local').moves, [{ group: 'alpha', from: ['n1'], to: 'n2' }]);
  assert.deepEqual(planStandby(report, 'foreign').moves, [{ group: 'beta', from: ['n1'], to: 'n2' }]);
  assert.deepEqual(planStandby(report, 'all').moves.map((move) => move.group), ['alpha', 'beta']);
});

test('§7.4 hb_standby: a group about to start here (target, not yet holding) moves too', () => {
  const report = labReport({ groups: [group('alpha', ['n1', 'n2'], 'stopped', [], 'n1')] });
  assert.deepEqual(planStandby(report, 'all').moves, [{ group: 'alpha', from: [], to: 'n2' }]);
});

test('§7.4 hb_standby with the other node dead, in standby, or over its failure threshold: nothing moves, each group named', () => {
  const dead = labReport({ nodes: [labReport().nodes[0]!, node('n2', 'dead', [])] });
  const plan = planStandby(dead, 'all');
  assert.deepEqual(plan.moves, []);
  assert.deepEqual(plan.stuck, [{ group: 'alpha', why: 'no other node can take it (n2 is dead)' }]);
  assert.match(planStandby(labReport({ standby: ['n2'] }), 'all').stuck[0]?.why ?? '', /n2 is in standby/);
  const failing = labReport({ groups: [group('alpha', ['n1', 'n2'], 'running', ['n1'], 'n1', { failCounts: { n2: 3 } })] });
  assert.match(planStandby(failing, 'all').stuck[0]?.why ?? '', /failed 3 times on n2/);
  const alone = labReport({ groups: [group('solo', ['n1'], 'running', ['n1'], 'n1')] });
  assert.deepEqual(planStandby(alone, 'all').stuck, [{ group: 'solo', why: 'no other node may run it' }]);
});

test('§7.4 more than two nodes: a group given up goes to the most preferred other node that can take it', () => {
  // yamlReport: n2 late (alive), n3 unknown. web [n1, n2, n3] runs on n1.
  assert.deepEqual(planStandby(yamlReport(), 'all').moves, [{ group: 'web', from: ['n1'], to: 'n2' }]);
  const threeUp = yamlReport({ nodes: [yamlReport().nodes[0]!, node('n2', 'up', []), node('n3', 'up', [])] });
  const report = { ...threeUp, groups: [group('db', ['n3', 'n2', 'n1'], 'running', ['n1'], 'n1')] };
  // A foreign group goes back to its home: heartbeat's "failback".
  assert.deepEqual(planStandby(report, 'foreign').moves, [{ group: 'db', from: ['n1'], to: 'n3' }]);
  assert.deepEqual(planStandby(report, 'local').moves, []);
});

test('§7.5 hb_takeover all on n1: beta comes from n2; alpha, already here, stays', () => {
  assert.deepEqual(planTakeover(labReport(), 'all'), { moves: [{ group: 'beta', from: ['n2'], to: 'n1' }], stuck: [], unchanged: ['alpha'] });
  assert.deepEqual(planTakeover(labReport(), 'foreign').moves, [{ group: 'beta', from: ['n2'], to: 'n1' }]);
  assert.deepEqual(planTakeover(labReport(), 'local').moves, []);
  const away = labReport({ groups: [group('alpha', ['n1', 'n2'], 'stopped', ['n2'], 'n2'), group('beta', ['n2', 'n1'], 'stopped', ['n2'], 'n2')] });
  assert.deepEqual(planTakeover(away, 'local').moves, [{ group: 'alpha', from: ['n2'], to: 'n1' }]);
});

test('§7.5 hb_takeover: a group this node may not run, or this node in standby, is named and not moved', () => {
  const report = labReport({ groups: [group('beta', ['n2'], 'stopped', ['n2'], 'n2')] });
  assert.deepEqual(planTakeover(report, 'all').stuck, [{ group: 'beta', why: 'it may not run on n1' }]);
  assert.match(planTakeover(labReport({ standby: ['n1'] }), 'all').stuck[0]?.why ?? '', /n1 is in standby \(`tandem online n1` ends that\)/);
});

test('§7.4 the headline heartbeat logged, and the per-group lines', () => {
  assert.equal(headline('hb_standby', { word: 'failback', set: 'foreign' }), 'Going standby [foreign].');
  assert.equal(headline('hb_takeover', { word: 'local', set: 'local' }), 'Taking over [local].');
  assert.equal(headline('hb_takeover', { word: 'failback', set: 'all' }), 'Taking over [failback = all].');
  const text = describePlan({ moves: [{ group: 'alpha', from: ['n1'], to: 'n2' }], stuck: [{ group: 'gamma', why: 'no other node may run it' }], unchanged: ['beta'] }, 'n1');
  assert.match(text.stdout, /^alpha: n1 -> n2\nbeta: stays \(nothing to do\)\nEach moved group stays on its new node until the next failover/);
  assert.equal(text.stderr, 'gamma: not moved: no other node may run it\n');
  assert.match(describePlan({ moves: [], stuck: [], unchanged: [] }, 'n1').stdout, /no group of that set is configured/);
});
