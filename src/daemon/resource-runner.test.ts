/**
 * The resource runner's re-announcement: it goes through the resource's own ipaddr agent, so that stopping the
 * address cancels the rest of the burst. (Found in the lab: on failback a node re-announced a VIP because its
 * peer was back, then handed the VIP to that peer; the burst's later frames pointed clients back at it.)
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ipAddrAgent } from '../agents/ipaddr.js';
import type { ResourceConfig } from '../config/model.js';
import type { CommandRunner } from '../platform/command.js';
import type { Netraw, NetrawLoad } from '../platform/netraw.js';
import { ResourceRunner } from './resource-runner.js';

const VIP: ResourceConfig = {
  id: 'web-ip',
  agent: { kind: 'ipaddr', address: '192.0.2.100', prefix: 24, interface: 'eth0', announceCount: 3, announceIntervalMs: 50 },
  startTimeoutMs: 5000,
  stopTimeoutMs: 5000,
  monitorIntervalMs: 0,
  monitorTimeoutMs: 5000,
};

test('a re-announcement is cut short when the address is stopped', async () => {
  let frames = 0;
  // The addon with a fake kernel: frames are counted, address changes succeed.
  const netraw = {
    interfaceInfo: () => ({ index: 2, mac: Buffer.from('02746e640001', 'hex') }),
    openSender: () => undefined,
    sendFrames: (_ifindex: number, sent: readonly Buffer[]) => ((frames += sent.length), sent.length),
    captureOpen: () => 3,
    captureNext: () => null,
    close: () => undefined,
    addressAdd: () => 'added',
    addressDelete: () => 'deleted',
  } as unknown as Netraw;
  const load: NetrawLoad = { ok: true, netraw, path: 'fake' };
  const ip: CommandRunner = async () => ({ kind: 'exited', code: 0, stdout: '[]', stderr: '', durationMs: 1 });
  const runner = new ResourceRunner(() => ({ ok: true, value: ipAddrAgent({ address: '192.0.2.100', prefix: 24, interface: 'eth0', announceCount: 3, announceIntervalMs: 50 }, { netraw: load, runner: ip }) }));
  runner.configure({ groups: [{ name: 'web', nodes: [], failback: 'manual', migrationThreshold: 1, failureTimeoutMs: 0, resources: [VIP] }] } as never);

  const announced = runner.reannounce('web-ip');
  assert.equal(frames, 1, 'the first frame goes out at once');
  const stopped = await runner.run({ kind: 'run-agent', opId: 1, group: 'web', resource: 'web-ip', operation: 'stop', timeoutMs: 5000, intervalMs: 0, reason: 'failback' });
  assert.equal(stopped.outcome, 'success', stopped.detail);
  assert.match(await announced, /1 frame\(s\) by packet \(the rest cancelled/);
  await new Promise((resolve) => setTimeout(resolve, 200));
  assert.equal(frames, 1, 'no frame after the stop');
});
