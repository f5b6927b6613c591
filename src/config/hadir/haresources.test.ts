import { strict as assert } from 'node:assert';
import { describe, test } from 'node:test';
import type { ConfigIssue } from '../model.js';
import { parseHaresources } from './haresources.js';

const F = '/etc/ha.d/haresources';
const brief = (issues: readonly ConfigIssue[]): string[] => issues.map((i) => `${i.line}:${i.column} ${i.code}`);

describe('haresources', () => {
  test('one line per group: home node, then resources; IPs and NAME::args', () => {
    const { groups, issues } = parseHaresources('# comment\nHA1 192.0.2.100/24/eth1 Filesystem::/dev/sdb1::/data::ext4 httpd # trailing\n', F);
    assert.deepEqual(issues, []);
    const [group] = groups;
    assert.deepEqual([group?.node.text, group?.node.line, group?.node.column, group?.key], ['ha1', 2, 1, '192.0.2.100/24/eth1']);
    assert.deepEqual(
      group?.resources.map((r) => [r.script, r.args, r.ip?.ip, r.ip?.prefixLength, r.ip?.iface, r.word.column]),
      [
        ['IPaddr', ['192.0.2.100/24/eth1'], '192.0.2.100', 24, 'eth1', 5],
        ['Filesystem', ['/dev/sdb1', '/data', 'ext4'], undefined, undefined, undefined, 25],
        ['httpd', [], undefined, undefined, undefined, 60],
      ],
    );
  });

  test('a trailing backslash joins the next line, positions stay physical', () => {
    const { groups, issues } = parseHaresources('ha1 192.0.2.100 \\\n    IPaddr2::192.0.2.101/24 \\\n  httpd\nha2 smb\n', F);
    assert.deepEqual(issues, []);
    assert.deepEqual(
      groups.map((g) => [g.node.text, g.resources.map((r) => `${r.word.text}@${r.word.line}:${r.word.column}`)]),
      [
        ['ha1', ['192.0.2.100@1:5', 'IPaddr2::192.0.2.101/24@2:5', 'httpd@3:3']],
        ['ha2', ['smb@4:5']],
      ],
    );
    assert.equal(groups[0]?.resources[1]?.ip?.prefixLength, 24);
  });

  test('errors: node without resources, bad IP spec, empty :: argument', () => {
    assert.deepEqual(brief(parseHaresources('ha1\n', F).issues), ['1:1 TND_E_CONFIG_HARESOURCES_SYNTAX']);
    assert.deepEqual(brief(parseHaresources('ha1 httpd 192.0.2.300/24\n', F).issues), ['1:11 TND_E_CONFIG_HARESOURCES_SYNTAX']);
    assert.deepEqual(brief(parseHaresources('ha1 Filesystem::/dev/sdb1::::ext4\n', F).issues), ['1:5 TND_E_CONFIG_HARESOURCES_SYNTAX']);
    assert.deepEqual(parseHaresources('ha1 httpd 192.0.2.300/24\n', F).groups, []);
  });
});
