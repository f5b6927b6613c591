/**
 * The meta-data reader on hand-written XML: the OCF subset it must accept (comments, DOCTYPE, entities, CDATA,
 * self-closing tags, ignored elements) and the malformed or out-of-subset inputs it must refuse with an issue.
 */
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { parseMetadataDurationMs, parseOcfMetadata, validateOcfParameters, type OcfMetadata } from './ocf-metadata.js';

const SAMPLE = `<?xml version="1.0"?>
<!DOCTYPE resource-agent SYSTEM "ra-api-1.dtd">
<!-- a comment before the root -->
<resource-agent name="Sample" version="1.0">
<version>1.1</version>
<longdesc lang="en">Manages a sample &amp; shows &lt;entities&gt; &#65;&#x42; <![CDATA[ raw <text> & ]]></longdesc>
<shortdesc lang="en">Sample</shortdesc>
<parameters>
<parameter name="ip" unique="1" required="1">
<longdesc lang="en">The address.</longdesc>
<content type="string" default="" />
</parameter>
<parameter name="port" required='0' reloadable="1">
<content type="integer" default="8080"/>
</parameter>
<parameter name="flag">
<shortdesc lang="en">no content element</shortdesc>
</parameter>
<parameter name="mode" unique="0" required="0">
<content type="select" default="a&amp;b"><option value="a&amp;b" /><option value="c" /></content>
</parameter>
</parameters>
<actions>
<action name="start" timeout="20s" />
<action name="monitor" timeout="20" interval="10s" depth="0" />
<action name="monitor" role="Promoted" timeout="1min" interval="9s" />
<action name="reload-agent" timeout="500ms" />
<action name="meta-data" />
</actions>
</resource-agent>
`;

test('the OCF subset is read into parameters and actions', () => {
  const parsed = parseOcfMetadata(SAMPLE);
  assert.ok(parsed.ok, parsed.ok ? '' : parsed.issue.message);
  assert.deepEqual(parsed.metadata, {
    name: 'Sample',
    parameters: [
      { name: 'ip', required: true, unique: true, type: 'string', default: '' },
      { name: 'port', required: false, unique: false, type: 'integer', default: '8080' },
      { name: 'flag', required: false, unique: false, type: 'string' },
      { name: 'mode', required: false, unique: false, type: 'select', default: 'a&b' },
    ],
    actions: [
      { name: 'start', timeoutMs: 20_000 },
      { name: 'monitor', timeoutMs: 20_000, intervalMs: 10_000 },
      { name: 'monitor', timeoutMs: 60_000, intervalMs: 9000, role: 'Promoted' },
      { name: 'reload-agent', timeoutMs: 500 },
      { name: 'meta-data' },
    ],
  } satisfies OcfMetadata);
});

test('malformed or out-of-subset XML is an issue with a line number', () => {
  const cases: Array<[string, string, RegExp]> = [
    ['mismatched close tag', '<resource-agent name="x"><parameters></actions></resource-agent>', /<\/actions> closes <parameters>/],
    ['unclosed root', '<resource-agent name="x"><parameters>', /is not closed/],
    ['unquoted attribute', '<resource-agent name=x></resource-agent>', /not quoted/],
    ['duplicate attribute', '<resource-agent name="x" name="y"></resource-agent>', /name= twice/],
    ['unknown entity', '<resource-agent name="x">&nbsp;</resource-agent>', /unknown entity &nbsp;/],
    ['bare ampersand', '<resource-agent name="x">a & b</resource-agent>', /does not start an entity/],
    ['internal DTD subset', '<!DOCTYPE x [ <!ENTITY e "boom"> ]><resource-agent name="x"/>', /internal subset/],
    ['two roots', '<resource-agent name="x"/><resource-agent name="y"/>', /after the root/],
    ['wrong root', '<agent name="x"/>', /not <resource-agent>/],
    ['no name', '<resource-agent></resource-agent>', /no name= attribute/],
    ['bad boolean', '<resource-agent name="x"><parameters><parameter name="a" required="yes"/></parameters></resource-agent>', /required="yes"/],
    ['bad duration', '<resource-agent name="x"><actions><action name="start" timeout="soon"/></actions></resource-agent>', /timeout="soon"/],
    ['duplicate parameter', '<resource-agent name="x"><parameters><parameter name="a"/>\n<parameter name="a"/></parameters></resource-agent>', /line 2: parameter 'a' is declared twice/],
    ['two contents', '<resource-agent name="x"><parameters><parameter name="a"><content type="string"/><content type="integer"/></parameter></parameters></resource-agent>', /more than one <content>/],
    ['content without type', '<resource-agent name="x"><parameters><parameter name="a"><content default="1"/></parameter></parameters></resource-agent>', /<content> has no type=/],
    ['empty input', '', /tag or attribute name was expected|'<' was expected/],
  ];
  for (const [what, xml, expected] of cases) {
    const parsed = parseOcfMetadata(xml);
    assert.equal(parsed.ok, false, what);
    if (parsed.ok) continue;
    assert.equal(parsed.issue.code, 'TND_E_AGENT_METADATA', what);
    assert.match(parsed.issue.message, /^Cannot read agent meta-data as line \d+: /, what);
    assert.match(parsed.issue.message, expected, what);
  }
});

test('durations: units, bare seconds, and refusals', () => {
  const table: Array<[string, number | undefined]> = [
    ['20s', 20_000], ['20', 20_000], ['0', 0], ['500ms', 500], ['2min', 120_000], ['2m', 120_000], ['1h', 3_600_000],
    ['1.5s', undefined], ['-1s', undefined], ['s', undefined], ['', undefined], ['10 days', undefined],
  ];
  for (const [text, ms] of table) assert.equal(parseMetadataDurationMs(text), ms, text);
});

test('validation reports every missing required and every unknown parameter', () => {
  const metadata: OcfMetadata = {
    name: 'Sample',
    parameters: [
      { name: 'ip', required: true, unique: true, type: 'string' },
      { name: 'nic', required: true, unique: false, type: 'string' },
      { name: 'cidr_netmask', required: false, unique: false, type: 'string' },
    ],
    actions: [],
  };
  const issues = validateOcfParameters(metadata, { nic: '', cidr_netmsk: '24', colour: 'blue' });
  assert.deepEqual(issues.map((issue) => [issue.code, issue.path, issue.suggestion]), [
    ['TND_E_AGENT_PARAM_MISSING', 'params.ip', undefined],
    ['TND_E_AGENT_PARAM_MISSING', 'params.nic', undefined],
    ['TND_E_AGENT_PARAM_UNKNOWN', 'params.cidr_netmsk', 'cidr_netmask'],
    ['TND_E_AGENT_PARAM_UNKNOWN', 'params.colour', undefined],
  ]);
  assert.match(issues[1]?.message ?? '', /'nic' is empty/);
  assert.match(issues[3]?.message ?? '', /it knows ip, nic, cidr_netmask/);
});
