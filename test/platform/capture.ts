/**
 * Captures gratuitous ARPs and neighbour advertisements received on an interface of a lab node with the
 * netraw addon, and prints one JSON line per frame: `{ t: <CLOCK_MONOTONIC ns>, kind, mac, address }`.
 * Prints `{"ready":true}` once the socket is open. Runs until killed.
 *
 *   node capture.js eth0
 */
import { loadNetraw } from '../../src/platform/netraw.js';
import { macText } from '../../src/platform/announce-frames.js';

const ETH_P_ALL = 0x0003;
const iface = process.argv[2] ?? 'eth0';
const load = loadNetraw();
if (!load.ok) {
  console.error(load.reason);
  process.exit(1);
}
const { netraw } = load;
const fd = netraw.captureOpen(netraw.interfaceInfo(iface).index, ETH_P_ALL);
console.log(JSON.stringify({ ready: true }));

function ipv6Text(bytes: Buffer): string {
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(bytes.readUInt16BE(i).toString(16));
  return groups.join(':');
}

for (;;) {
  const captured = netraw.captureNext(fd, 1000);
  if (captured === null || captured.outgoing) continue;
  const frame = captured.frame;
  const ethertype = frame.readUInt16BE(12);
  if (ethertype === 0x0806 && frame.length >= 42) {
    const operation = frame.readUInt16BE(20);
    const sender = [...frame.subarray(28, 32)].join('.');
    const target = [...frame.subarray(38, 42)].join('.');
    if (operation === 1 && sender === target) console.log(JSON.stringify({ t: String(captured.monotonicNs), kind: 'garp', mac: macText(frame.subarray(22, 28)), address: sender }));
  } else if (ethertype === 0x86dd && frame.length >= 78 && frame[20] === 58 && frame[54] === 136) {
    console.log(JSON.stringify({ t: String(captured.monotonicNs), kind: 'na', mac: macText(frame.subarray(6, 12)), address: ipv6Text(frame.subarray(62, 78)), hopLimit: frame[21], flags: frame[58] }));
  }
}
