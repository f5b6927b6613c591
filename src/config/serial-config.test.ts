/** Serial links in the config: the YAML front-end's model, the digest (device paths are node-local), the load estimate. */
import { strict as assert } from 'node:assert';
import { describe, test } from 'node:test';
import { linkName, nodeName } from '../core/types.js';
import { encodePacket } from '../wire/codec.js';
import { configDigest } from './digest.js';
import { DEFAULT_BAUD, type ClusterConfig } from './model.js';
import { SERIAL_LOAD_WARN_FRACTION, serialLinkLoad, serialLoadProblem } from './serial-load.js';
import { parseTandemConfig } from './tandem/parse.js';

const yaml = (n1Device: string, n2Device: string, baud = 'baud: 38400'): string => `cluster: lab
key_file: /etc/tandem/keys
links:
  - name: lan
    transport: udp-unicast
  - name: cable
    transport: serial
    ${baud}
nodes:
  - name: n1
    links: { lan: 192.0.2.11, cable: ${n1Device} }
  - name: n2
    links: { lan: 192.0.2.12, cable: { device: ${n2Device} } }
`;

function parse(text: string): ClusterConfig {
  const { config, issues } = parseTandemConfig(text, '/etc/tandem/tandem.yaml');
  assert.ok(config, issues.map((issue) => issue.message).join('\n'));
  return config;
}

describe('serial links in the config', () => {
  test('both spellings of a device; baud on the link, 19200 by default', () => {
    const config = parse(yaml('/dev/ttyS0', '/dev/ttyUSB0'));
    assert.deepEqual(config.links[1], { name: 'cable', transport: 'serial', port: 694, baud: 38400 });
    assert.deepEqual(config.nodes.map((node) => node.links.cable), [{ device: '/dev/ttyS0' }, { device: '/dev/ttyUSB0' }]);
    assert.equal(parse(yaml('/dev/ttyS0', '/dev/ttyS0', '')).links[1]?.baud, DEFAULT_BAUD);
  });

  test('the digest ignores each node\'s device but not the baud or who is on the link', () => {
    const base = configDigest(parse(yaml('/dev/ttyS0', '/dev/ttyS1')));
    assert.equal(configDigest(parse(yaml('/dev/ttyUSB0', '/dev/ttyS0'))), base, 'device paths are node-local');
    assert.notEqual(configDigest(parse(yaml('/dev/ttyS0', '/dev/ttyS1', 'baud: 115200'))), base);
    const config = parse(yaml('/dev/ttyS0', '/dev/ttyS1'));
    const offLink = { ...config, nodes: config.nodes.map((node) => (node.name === 'n2' ? { ...node, links: { lan: node.links.lan ?? { address: '192.0.2.12' } } } : node)) };
    assert.notEqual(configDigest(offLink), base);
  });

  test('the load estimate is the encoded heartbeat plus SLIP, at baud / 10 bytes a second', () => {
    const config = parse(yaml('/dev/ttyS0', '/dev/ttyS1', 'baud: 9600'));
    const load = serialLinkLoad(config, 'cable');
    // The same heartbeat the estimate encodes, without a report, is a lower bound for it.
    const bare = encodePacket({ cluster: 'lab', sender: nodeName('n1'), link: linkName('cable'), generation: 1, seq: 1, sentAtWallMs: 1 }, { type: 'heartbeat', configDigest: '0123456789abcdef', uptimeMs: 1 }, { keys: [{ id: 1, secret: Buffer.from('k') }], sendKeyId: 1 });
    assert.ok(load.heartbeatBytes > bare.length, `${load.heartbeatBytes} > ${bare.length}`);
    assert.ok(load.frameBytes >= load.heartbeatBytes + 2);
    assert.equal(load.lineBytesPerSecond, 960);
    assert.equal(load.heartbeatsPerSecond, 1000 / config.timings.keepaliveMs);
    assert.ok(Math.abs(load.fraction - (load.frameBytes * load.heartbeatsPerSecond) / 960) < 1e-9);
  });

  test('a warning only past the threshold, naming a keepalive that fits', () => {
    const fast = parse(yaml('/dev/ttyS0', '/dev/ttyS1', 'baud: 115200'));
    assert.ok(serialLinkLoad(fast, 'cable').fraction <= SERIAL_LOAD_WARN_FRACTION);
    assert.equal(serialLoadProblem(fast, 'cable'), undefined);
    const slow = parse(yaml('/dev/ttyS0', '/dev/ttyS1', 'baud: 9600'));
    const problem = serialLoadProblem(slow, 'cable');
    const suggested = Number(/keepalive of at least (\d+) ms/.exec(problem ?? '')?.[1]);
    assert.ok(suggested > slow.timings.keepaliveMs, problem);
    const fixed = { ...slow, timings: { ...slow.timings, keepaliveMs: suggested } };
    assert.equal(serialLoadProblem(fixed, 'cable'), undefined, 'the suggested keepalive fits');
  });

  test('the YAML front-end gives the warning at the baud, and more groups make a heartbeat bigger', () => {
    const text = `${yaml('/dev/ttyS0', '/dev/ttyS1', 'baud: 9600')}groups:\n  - name: web\n    nodes: [n1, n2]\n    resources: [{ id: w, agent: exec, command: [/bin/true] }]\n`;
    const { issues } = parseTandemConfig(text, '/etc/tandem/tandem.yaml');
    const warning = issues.find((issue) => issue.code === 'TND_W_CONFIG_SERIAL_BANDWIDTH');
    assert.deepEqual([warning?.line, warning?.column, warning?.path], [8, 11, 'links[1].baud']);
    const withGroup = parseTandemConfig(text, '/x.yaml').config;
    assert.ok(withGroup);
    assert.ok(serialLinkLoad(withGroup, 'cable').heartbeatBytes > serialLinkLoad(parse(yaml('/dev/ttyS0', '/dev/ttyS1', 'baud: 9600')), 'cable').heartbeatBytes);
  });
});
