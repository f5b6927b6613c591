/**
 * `npm run demo` (as root): a three-node tandem cluster with two links each, in network namespaces on this
 * one machine, with live status. Ctrl-C removes everything. `--seconds N` stops by itself after N seconds
 * (used by the test that keeps this demo working).
 *
 * While it runs, try from another terminal (paths are printed at start):
 *   tandem --socket <lab>/nodes/n1/run/tandemd.sock status
 *   kill -9 <pid of n3's tandemd>     and watch n3 turn late, then dead
 */
import { parseArgs } from 'node:util';
import type { StatusReport } from '../../src/api/status-report.js';
import { colours, formatStatus, plain, stateColour } from '../../src/cli/format-status.js';
import { LabCluster } from './cluster.js';
import { Lab, isRoot } from './lab.js';

const NODES = ['n1', 'n2', 'n3'];

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { seconds: { type: 'string' } } });
  if (!isRoot()) {
    process.stderr.write('The demo builds network namespaces and needs root: sudo npm run demo\n');
    return 2;
  }
  const tty = process.stdout.isTTY === true && !process.env.NO_COLOR;
  const paint = tty ? colours : plain;
  const lab = await Lab.create({ nodes: NODES, links: 2 });
  let stopping = false;
  const stop = (): void => {
    stopping = true;
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    const cluster = new LabCluster(lab, { nodes: NODES, logFormat: 'text' });
    cluster.startAll();
    process.stdout.write(`lab ${lab.prefix}: ${NODES.length} nodes, links lan (192.0.2.0/24, unicast) and backup (198.51.100.0/24, broadcast)\n`);
    for (const node of NODES) process.stdout.write(`  ${node}: tandem --socket ${cluster.socket(node)} status    (log: ${cluster.process(node).logFile})\n`);
    const deadline = values.seconds ? Date.now() + Number(values.seconds) * 1000 : Infinity;
    let last: StatusReport | undefined;
    while (!stopping && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 1000));
      try {
        last = await cluster.status('n1');
      } catch (error) {
        process.stdout.write(`n1 not answering yet: ${(error as Error).message}\n`);
        continue;
      }
      if (tty) process.stdout.write('\x1b[2J\x1b[H');
      process.stdout.write(`tandem demo — lab ${lab.prefix} — Ctrl-C to stop and remove everything\n\n`);
      process.stdout.write(formatStatus(last, paint));
      const views = await Promise.all(NODES.map(async (node) => {
        try {
          const status = await cluster.status(node);
          return `${node} sees ${status.nodes.filter((entry) => !entry.self).map((entry) => `${entry.name} ${stateColour(paint, entry.state)}`).join(', ')}`;
        } catch {
          return `${node} is not answering`;
        }
      }));
      process.stdout.write('\n' + views.join('\n') + '\n');
    }
    const allUp = await cluster.allUp();
    process.stdout.write(allUp ? '\nall three nodes see each other up\n' : '\nnot every node sees every other up\n');
    return allUp ? 0 : 1;
  } finally {
    process.stdout.write(`removing lab ${lab.prefix}…\n`);
    await lab.teardown();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`demo: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
