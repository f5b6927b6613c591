/**
 * The lab's power switch: what a hypervisor or a PDU is to a real cluster. The lab harness serves it in the root
 * namespace on a Unix socket (`<lab.dir>/power.sock`, mode 0600), so that the lab fence agent (fence_tandemlab,
 * test/lab/fence-tandemlab.ts), running inside some node's namespaces where it cannot see other nodes, can power a
 * node off and on. A pathname Unix socket belongs to no network namespace, and the lab dir is visible from every
 * node's mount namespace, so no traffic is sent on any network.
 *
 * Protocol: one request per line, one reply line per request, in order:
 *   `off NODE`    → `ok` once every link of NODE is down and every process the lab started on it has exited
 *                   (Lab.powerOff), or `error <reason>`
 *   `on NODE`     → `ok` once every link of NODE is up again (Lab.powerOn; nothing is restarted)
 *   `status NODE` → `on` or `off`
 *   `list`        → `ok n1 n2 …` (the lab's nodes)
 *   anything else → `error <reason>`
 *
 * Invariants:
 *   1. Requests are carried out one at a time, in arrival order over all connections: two agents fencing the same
 *      node cannot interleave a power-off with a power-on.
 *   2. Every request is recorded (node, action, arrival and completion time, reply) before its reply is sent, so a
 *      test that saw the agent succeed finds the request in `requests`.
 *   3. `close()` stops listening, drops open connections and removes the socket file; it is idempotent.
 */
import { chmodSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import type { Lab } from './lab.js';

/** The compiled lab fence agent, run by the `fence_tandemlab` wrapper. */
export const LAB_FENCE_AGENT_JS = fileURLToPath(new URL('./fence-tandemlab.js', import.meta.url));
/** The longest request line accepted; a client sending more is disconnected. */
const REQUEST_LINE_MAX = 1024;

export interface PowerRequest {
  /** The node named in the request, when there was one. */
  readonly node?: string;
  /** `off`, `on`, `status`, `list`, or whatever unknown word the client sent. */
  readonly action: string;
  /** Wall-clock time of arrival (Date.now()), to compare with timestamps in logs and events. */
  readonly atMs: number;
  /** performance.now() at arrival and when the reply was sent, to measure how long fencing took. */
  readonly receivedMonoMs: number;
  readonly doneMonoMs: number;
  /** The reply line sent (without the newline). */
  readonly reply: string;
}

export interface PowerSwitch {
  readonly socketPath: string;
  /** Every request so far, in the order they were carried out. */
  readonly requests: readonly PowerRequest[];
  /** The first recorded request for `node` with `action` (now or later); rejects after `timeoutMs`. */
  waitFor(node: string, action: string, timeoutMs?: number): Promise<PowerRequest>;
  close(): Promise<void>;
}

/** Starts the lab's power switch on `<lab.dir>/power.sock`. */
export async function startPowerSwitch(lab: Lab): Promise<PowerSwitch> {
  const socketPath = join(lab.dir, 'power.sock');
  const requests: PowerRequest[] = [];
  const waiters = new Set<() => void>();
  const connections = new Set<Socket>();
  let queue: Promise<void> = Promise.resolve();

  const carryOut = async (line: string): Promise<{ node?: string; action: string; reply: string }> => {
    const [action = '', node, ...rest] = line.trim().split(/\s+/);
    if (action === 'list' && node === undefined) return { action, reply: `ok ${lab.nodes.join(' ')}` };
    if (!['off', 'on', 'status'].includes(action)) return { action, ...(node === undefined ? {} : { node }), reply: `error unknown request '${line.slice(0, 80)}'` };
    if (node === undefined || rest.length > 0) return { action, reply: `error '${action}' takes exactly one node name` };
    if (!lab.nodes.includes(node)) return { action, node, reply: `error unknown node '${node}'; the lab has ${lab.nodes.join(', ')}` };
    try {
      if (action === 'off') await lab.powerOff(node);
      else if (action === 'on') await lab.powerOn(node);
      else return { action, node, reply: lab.isPoweredOff(node) ? 'off' : 'on' };
      return { action, node, reply: 'ok' };
    } catch (error) {
      // The failure goes to the agent (which reports it and exits 1), so the fencing it was part of fails.
      return { action, node, reply: `error ${(error instanceof Error ? error.message : String(error)).replace(/\s+/g, ' ')}` };
    }
  };

  const serve = (socket: Socket): void => {
    connections.add(socket);
    socket.setEncoding('utf8');
    let buffer = '';
    socket.on('data', (chunk: string) => {
      buffer += chunk;
      for (let end = buffer.indexOf('\n'); end >= 0; end = buffer.indexOf('\n')) {
        const line = buffer.slice(0, end);
        buffer = buffer.slice(end + 1);
        const atMs = Date.now();
        const receivedMonoMs = performance.now();
        queue = queue.then(async () => {
          const done = await carryOut(line);
          requests.push({ ...done, atMs, receivedMonoMs, doneMonoMs: performance.now() });
          for (const wake of [...waiters]) wake();
          if (!socket.destroyed) socket.write(`${done.reply}\n`);
        });
        // carryOut turns every lab failure into a reply, so a rejection here is a bug of the switch: rethrown
        // outside the chain (an uncaught exception fails the test) so that the queue keeps serving.
        queue = queue.catch((error: unknown) => queueMicrotask(() => {
          throw error;
        }));
      }
      if (buffer.length > REQUEST_LINE_MAX) socket.destroy();
    });
    // A client that goes away (an agent killed at its timeout) is normal: nothing to report.
    socket.on('error', () => socket.destroy());
    socket.on('close', () => connections.delete(socket));
  };

  const server: Server = createServer(serve);
  // A stale socket file from a crashed earlier switch of this lab would make listen fail with EADDRINUSE.
  rmSync(socketPath, { force: true });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, () => {
      server.off('error', reject);
      resolve();
    });
  });
  // Only root (the lab's user) may switch power; the lab dir itself is world-readable.
  chmodSync(socketPath, 0o600);

  let closed: Promise<void> | undefined;
  return {
    socketPath,
    requests,
    waitFor(node: string, action: string, timeoutMs = 10_000): Promise<PowerRequest> {
      const find = (): PowerRequest | undefined => requests.find((request) => request.node === node && request.action === action);
      const found = find();
      if (found !== undefined) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(wake);
          reject(new Error(`power switch: no '${action} ${node}' request within ${timeoutMs} ms; got ${requests.map((r) => `${r.action} ${r.node ?? ''}`.trim()).join(', ') || 'none'}`));
        }, timeoutMs);
        const wake = (): void => {
          const request = find();
          if (request === undefined) return;
          clearTimeout(timer);
          waiters.delete(wake);
          resolve(request);
        };
        waiters.add(wake);
      });
    },
    close(): Promise<void> {
      closed ??= new Promise<void>((resolve) => {
        for (const socket of connections) socket.destroy();
        server.close(() => {
          rmSync(socketPath, { force: true });
          resolve();
        });
      });
      return closed;
    },
  };
}

/**
 * Writes the executable `fence_tandemlab` wrapper into the lab dir (`#!/bin/sh` + exec of this Node.js on the
 * compiled agent) and returns its absolute path: a program by that name, like the fence_* programs of
 * fence-agents, that runs from any node's namespaces (the lab dir and the Node.js binary are visible there).
 */
export function installLabFenceAgent(lab: Lab): string {
  const path = join(lab.dir, 'fence_tandemlab');
  writeFileSync(path, `#!/bin/sh\nexec ${shellQuote(process.execPath)} ${shellQuote(LAB_FENCE_AGENT_JS)} "$@"\n`);
  // writeFileSync's mode is filtered by the umask; the wrapper must be executable whatever the umask is.
  chmodSync(path, 0o755);
  return path;
}

function shellQuote(text: string): string {
  return `'${text.replaceAll("'", "'\\''")}'`;
}
