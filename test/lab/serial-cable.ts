/**
 * A virtual null-modem cable for the lab: socat joining two pseudo-terminals, run in the root namespace (a pty
 * belongs to no network namespace, and every node's mount namespace sees the lab dir), so two nodes can run a
 * serial heartbeat link as they would over /dev/ttyS0. Kill it with `stopCable` (by PID) in a `finally`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync } from 'node:fs';
import { join } from 'node:path';

/** socat joining two ptys, reachable as `<dir>/n1-tty` and `<dir>/n2-tty`; run in the host namespaces (no network). */
export async function startCable(dir: string): Promise<{ child: ChildProcess; ends: { readonly n1: string; readonly n2: string } }> {
  const ends = { n1: join(dir, 'n1-tty'), n2: join(dir, 'n2-tty') };
  const log = openSync(join(dir, 'socat.log'), 'a');
  let child: ChildProcess;
  try {
    child = spawn('socat', ['-d', '-d', `PTY,link=${ends.n1},raw,echo=0`, `PTY,link=${ends.n2},raw,echo=0`], { stdio: ['ignore', log, log] });
  } finally {
    closeSync(log);
  }
  const deadline = Date.now() + 5000;
  while (!(existsSync(ends.n1) && existsSync(ends.n2))) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`socat made no ptys (exit ${child.exitCode}); see ${join(dir, 'socat.log')}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return { child, ends };
}

export async function stopCable(child: ChildProcess): Promise<void> {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  process.kill(child.pid, 'SIGCONT');
  process.kill(child.pid, 'SIGKILL');
  await exited;
}
