/**
 * The filesystem agent on a real kernel, on a lab node: ext4 on a loop device (processes holding it are
 * killed by stop, a bystander is not), tmpfs, and a bind mount (a process inside the bind is killed, one
 * inside its source directory on the same filesystem is not: the case `fuser -km` gets wrong). The steps
 * run in one process on the node (fs-scenario.ts), since mounts live in that process's mount namespace.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Lab, labTest } from '../lab/lab.js';

const SCENARIO = join(dirname(fileURLToPath(import.meta.url)), 'fs-scenario.js');

interface Step {
  exec: string;
  rc?: number;
  detail?: string;
  ms: number;
}

labTest('filesystem: ext4 on a loop device, tmpfs and bind mounts; stop kills the holders and only them', async (t) => {
  const lab = await Lab.create({ nodes: ['n1'], links: 1 });
  // /run on the node is this host directory, so the image is reachable from here for the safety net below.
  const hostWork = join(lab.nodeDir('n1'), 'sysrun', 'tandem-fs');
  try {
    const out = await lab.exec('n1', [process.execPath, SCENARIO, '/run/tandem-fs'], { timeoutMs: 40_000 });
    assert.equal(out.code, 0, out.stderr);
    const report = JSON.parse(out.stdout.trim().split('\n').pop() ?? '{}') as Record<string, unknown>;
    const step = (name: string): Step => report[name] as Step;
    assert.equal(report.error, undefined, String(report.error));
    t.diagnostic(`loop ${String(report.loop)}; ext4 start ${step('ext4Start').ms} ms, stop with 2 holders ${step('ext4Stop').ms} ms (${step('ext4Stop').detail}); tmpfs start ${step('tmpfsStart').ms} ms, stop ${step('tmpfsStop').ms} ms; bind stop ${step('bindStop').ms} ms`);

    const rc = (name: string): number | undefined => step(name).rc;
    assert.deepEqual(
      ['ext4MonitorBefore', 'ext4Start', 'ext4StartAgain', 'ext4Monitor', 'ext4Stop', 'ext4MonitorAfter', 'ext4StopAgain', 'ext4Restart', 'ext4FinalStop'].map(rc),
      [7, 0, 0, 0, 0, 7, 0, 0, 0],
    );
    assert.match(step('ext4StartAgain').detail ?? '', /already mounted/);
    assert.deepEqual(report.ext4HoldersAlive, [true, true, true]);
    assert.deepEqual(report.ext4HoldersAfterStop, [false, false, true], 'the two holders are gone, the bystander lives');
    assert.match(step('ext4Stop').detail ?? '', /unmounted .* after signalling .*SIGTERM/);
    assert.equal(report.ext4FileKept, 'written on ext4\n');

    assert.deepEqual(['tmpfsMonitorBefore', 'tmpfsStart', 'tmpfsMonitor', 'tmpfsStop', 'tmpfsMonitorAfter'].map(rc), [7, 0, 0, 0, 7]);
    assert.equal(report.tmpfsGone, true);

    assert.deepEqual(['bindMonitorBefore', 'bindStart', 'bindMonitor', 'bindStop', 'bindMonitorAfter'].map(rc), [7, 0, 0, 0, 7]);
    assert.equal(report.bindSeen, 'through the bind mount\n');
    assert.deepEqual(report.bindHoldersAfterStop, [false, true], 'the holder inside the bind is gone; the one in its source directory lives');
    assert.equal(report.loopDetached, true);
  } finally {
    // Loop devices are not namespaced: detach whatever still uses our image, whatever happened above.
    const image = join(hostWork, 'disk.img');
    const attached = spawnSync('losetup', ['-j', image, '-O', 'NAME', '-n'], { encoding: 'utf8' }).stdout.trim();
    for (const device of attached.split('\n').filter(Boolean)) spawnSync('losetup', ['-d', device.trim()]);
    await lab.teardown();
  }
}, { timeout: 60_000 });
