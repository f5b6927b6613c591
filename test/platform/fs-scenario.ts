/**
 * The filesystem scenario, run as one process on a lab node (mounts live in that process's mount
 * namespace, so start, monitor and stop must all happen here). Prints one JSON object with every step's
 * outcome; the test asserts on it.
 *
 *   node fs-scenario.js WORKDIR
 *
 * Needs root, e2fsprogs (mkfs.ext4) and util-linux (losetup). The loop device is always detached.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { filesystemAgent } from '../../src/agents/filesystem.js';
import type { AgentResult } from '../../src/agents/types.js';

const work = process.argv[2];
if (!work) throw new Error('usage: fs-scenario.js WORKDIR');
mkdirSync(work, { recursive: true });
const OPTIONS = { timeoutMs: 15_000 };
const report: Record<string, unknown> = {};
const brief = (result: AgentResult): { exec: string; rc?: number; detail?: string; ms: number } => ({ exec: result.exec, rc: result.rc, detail: result.detail, ms: Math.round(result.durationMs) });

function must(argv: string[]): string {
  const out = spawnSync(argv[0] ?? '', argv.slice(1), { encoding: 'utf8' });
  if (out.status !== 0) throw new Error(`${argv.join(' ')}: ${out.stderr}`);
  return out.stdout.trim();
}

/** A process whose cwd is `cwd` and, if given, with `file` open on fd 3. */
function holder(cwd: string, file?: string): ChildProcess {
  const script = file ? 'exec 3<"$1"; exec sleep 1000' : 'exec sleep 1000';
  return spawn('sh', ['-c', script, 'holder', file ?? ''], { cwd, stdio: 'ignore' });
}

function alive(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

async function settle(ms: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms));
}

const image = join(work, 'disk.img');
let loop: string | undefined;
try {
  // ext4 on a loop device.
  must(['truncate', '-s', '32M', image]);
  must(['mkfs.ext4', '-q', '-F', image]);
  loop = must(['losetup', '--find', '--show', image]);
  report.loop = loop;
  const ext4Dir = join(work, 'ext4');
  const ext4 = filesystemAgent({ device: loop, directory: ext4Dir, fstype: 'ext4', options: 'noatime' });
  report.ext4MonitorBefore = brief(await ext4.run('monitor', OPTIONS));
  report.ext4Start = brief(await ext4.run('start', OPTIONS));
  report.ext4StartAgain = brief(await ext4.run('start', OPTIONS));
  report.ext4Monitor = brief(await ext4.run('monitor', OPTIONS));
  writeFileSync(join(ext4Dir, 'data.txt'), 'written on ext4\n');
  mkdirSync(join(ext4Dir, 'sub'));
  const byFile = holder(work, join(ext4Dir, 'data.txt')); // cwd outside, an open file inside
  const byCwd = holder(join(ext4Dir, 'sub')); // cwd inside
  const bystander = holder(work); // holds nothing of it
  await settle(200);
  report.ext4HoldersAlive = [alive(byFile), alive(byCwd), alive(bystander)];
  report.ext4Stop = brief(await ext4.run('stop', OPTIONS));
  await settle(50);
  report.ext4HoldersAfterStop = [alive(byFile), alive(byCwd), alive(bystander)];
  report.ext4MonitorAfter = brief(await ext4.run('monitor', OPTIONS));
  report.ext4StopAgain = brief(await ext4.run('stop', OPTIONS));
  report.ext4Restart = brief(await ext4.run('start', OPTIONS));
  report.ext4FileKept = existsSync(join(ext4Dir, 'data.txt')) ? readFileSync(join(ext4Dir, 'data.txt'), 'utf8') : null;
  report.ext4FinalStop = brief(await ext4.run('stop', OPTIONS));
  bystander.kill('SIGKILL');

  // tmpfs.
  const tmpDir = join(work, 'tmp');
  const tmp = filesystemAgent({ device: 'tandemtmp', directory: tmpDir, fstype: 'tmpfs', options: 'size=8m,mode=0750' });
  report.tmpfsMonitorBefore = brief(await tmp.run('monitor', OPTIONS));
  report.tmpfsStart = brief(await tmp.run('start', OPTIONS));
  report.tmpfsMonitor = brief(await tmp.run('monitor', OPTIONS));
  writeFileSync(join(tmpDir, 'x'), 'x');
  report.tmpfsStop = brief(await tmp.run('stop', OPTIONS));
  report.tmpfsMonitorAfter = brief(await tmp.run('monitor', OPTIONS));
  report.tmpfsGone = !existsSync(join(tmpDir, 'x'));

  // bind: a holder inside the bind mount is killed; one inside the source (same filesystem!) is not.
  const source = join(work, 'bind-source');
  const target = join(work, 'bind-target');
  mkdirSync(source, { recursive: true });
  writeFileSync(join(source, 'seen'), 'through the bind mount\n');
  const bind = filesystemAgent({ device: source, directory: target, fstype: 'bind' });
  report.bindMonitorBefore = brief(await bind.run('monitor', OPTIONS));
  report.bindStart = brief(await bind.run('start', OPTIONS));
  report.bindMonitor = brief(await bind.run('monitor', OPTIONS));
  report.bindSeen = readFileSync(join(target, 'seen'), 'utf8');
  const inBind = holder(target);
  const inSource = holder(source);
  await settle(200);
  report.bindStop = brief(await bind.run('stop', OPTIONS));
  await settle(50);
  report.bindHoldersAfterStop = [alive(inBind), alive(inSource)];
  report.bindMonitorAfter = brief(await bind.run('monitor', OPTIONS));
  inSource.kill('SIGKILL');
} catch (error) {
  report.error = error instanceof Error ? error.stack : String(error);
} finally {
  if (loop !== undefined) {
    spawnSync('umount', [join(work, 'ext4')], { stdio: 'ignore' });
    report.loopDetached = spawnSync('losetup', ['-d', loop]).status === 0;
  }
}
console.log(JSON.stringify(report));
process.exit(0);
