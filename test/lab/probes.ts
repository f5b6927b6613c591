/**
 * Small checks the lab's own tests share: polling for a condition, whether a process is alive, and whether one
 * lab namespace reaches an address (ICMP, from inside the lab only).
 */
import { readFileSync } from 'node:fs';
import type { Lab } from './lab.js';

export async function waitUntil(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The state letter of /proc/PID/stat (R, S, T, Z…); comm may hold spaces, so it splits after the last ')'. */
export function procState(pid: number): string {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0] ?? '';
}

/** A zombie counts as gone: what is left of a killed process until its parent (maybe the host's pid 1) reaps it. */
export function alive(pid: number | undefined): boolean {
  if (pid === undefined) return false;
  try {
    return procState(pid) !== 'Z';
  } catch {
    return false;
  }
}

let pingId = Math.floor(Math.random() * 30_000);

/** One ping with a 1 s wait from inside `from`. */
export async function pings(lab: Lab, from: string, address: string): Promise<boolean> {
  // Every exec is pid 2 in its own PID namespace, and root's ping uses its pid as the ICMP id: parallel pings
  // from one node would take each other's replies. Give each its own id.
  pingId = (pingId + 1) % 65_000;
  const result = await lab.exec(from, ['ping', '-n', '-c', '1', '-W', '1', '-e', String(pingId + 100), address], { timeoutMs: 5000 });
  if (process.env.LAB_DEBUG) console.log(from, address, result);
  return result.code === 0;
}

/** Expecting success: retries for a few seconds (neighbour discovery, a port coming back up). */
export async function reaches(lab: Lab, from: string, address: string): Promise<boolean> {
  for (let attempt = 0; attempt < 5; attempt++) if (await pings(lab, from, address)) return true;
  return false;
}

/** Expecting failure: one ping with a 1 s wait; a reply within it would mean the path is open. */
export async function blocked(lab: Lab, from: string, address: string): Promise<boolean> {
  return !(await pings(lab, from, address));
}
