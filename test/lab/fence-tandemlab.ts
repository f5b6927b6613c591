/**
 * fence_tandemlab: a fence agent for the network-namespace lab, speaking the fence-agents protocol (fencing.py's
 * stdin mode, the one Pacemaker and tandem use). It "powers off" a lab node the way fence_virsh powers off a VM
 * through its hypervisor: it runs inside some node's namespaces, where it cannot see other nodes' processes (each
 * node has its own PID namespace and its own /run), so it asks the lab's power switch (test/lab/power-switch.ts),
 * served by the lab harness in the root namespace on a Unix socket, to act for it.
 *
 * Run as `node fence-tandemlab.js` with no arguments (the lab installs a `fence_tandemlab` wrapper script), it
 * reads `key=value` lines on stdin, as fencing.py does: surrounding white space is dropped, blank lines and lines
 * starting with `#` are skipped, a value in double quotes loses them, `-` and `_` are the same in names, `port` is
 * the old name of `plug`, `nodename` is accepted and ignored, any other unknown name is ignored with a warning.
 * Parameters: `action` (default reboot), `plug` (the lab node), `socket` (the power switch's socket, required),
 * `fail_file` (when that file exists, every action but metadata fails with exit 1), `delay` (seconds, possibly
 * fractional, to sleep before acting).
 *
 * Exit codes, as fence-agents: 0 success (for status: on), 2 status off, 1 any failure.
 *
 * Invariants:
 *   1. `metadata` needs nothing else: no socket, no plug, and `fail_file` does not affect it.
 *   2. Each action is one request line to the switch and one reply line; the agent itself has no timeout (the
 *      caller's runner kills it), and never retries.
 *   3. Only a reply the switch documents counts as success; anything else (no reply, an unexpected line) fails.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createConnection } from 'node:net';

const EXIT_OK = 0;
const EXIT_FAILED = 1;
const EXIT_STATUS_OFF = 2;

const METADATA = `<?xml version="1.0" ?>
<resource-agent name="fence_tandemlab" shortdesc="Fence agent for tandem's network-namespace lab">
<longdesc>fence_tandemlab powers lab nodes off and on through the power switch the lab harness serves on a Unix socket: off kills every process of the node and takes its links down, on brings the links back up.</longdesc>
<vendor-url></vendor-url>
<parameters>
	<parameter name="action" unique="0" required="1">
		<getopt mixed="-o, --action=[action]" />
		<content type="string" default="reboot"  />
		<shortdesc lang="en">Fencing action</shortdesc>
	</parameter>
	<parameter name="plug" unique="0" required="1" obsoletes="port">
		<getopt mixed="-n, --plug=[id]" />
		<content type="string"  />
		<shortdesc lang="en">The lab node to act on</shortdesc>
	</parameter>
	<parameter name="port" unique="0" required="1" deprecated="1">
		<getopt mixed="-n, --plug=[id]" />
		<content type="string"  />
		<shortdesc lang="en">The lab node to act on</shortdesc>
	</parameter>
	<parameter name="socket" unique="0" required="1">
		<getopt mixed="--socket=[path]" />
		<content type="string"  />
		<shortdesc lang="en">Unix socket of the lab's power switch</shortdesc>
	</parameter>
	<parameter name="fail_file" unique="0" required="0">
		<getopt mixed="--fail-file=[path]" />
		<content type="string"  />
		<shortdesc lang="en">While this file exists, every action except metadata fails</shortdesc>
	</parameter>
	<parameter name="delay" unique="0" required="0">
		<getopt mixed="--delay=[seconds]" />
		<content type="second" default="0"  />
		<shortdesc lang="en">Wait X seconds before acting</shortdesc>
	</parameter>
</parameters>
<actions>
	<action name="on" automatic="0"/>
	<action name="off" />
	<action name="reboot" />
	<action name="status" />
	<action name="list" />
	<action name="list-status" />
	<action name="monitor" />
	<action name="metadata" />
	<action name="validate-all" />
</actions>
</resource-agent>
`;

const KNOWN = new Set(['action', 'plug', 'socket', 'fail_file', 'delay']);

class AgentFailure extends Error {
  override readonly name = 'AgentFailure';
}

function parseStdin(text: string): Map<string, string> {
  const options = new Map<string, string>();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    let name = (eq < 0 ? line : line.slice(0, eq)).replaceAll('-', '_');
    let value = eq < 0 ? '' : line.slice(eq + 1);
    const quoted = /^"(.*)"$/.exec(value);
    if (quoted !== null) value = quoted[1] as string;
    if (name === 'port') name = 'plug';
    if (name === 'nodename') continue;
    if (!KNOWN.has(name)) {
      process.stderr.write(`WARNING: Parse error: Ignoring unknown option '${line}'\n`);
      continue;
    }
    options.set(name, value);
  }
  return options;
}

/** Sends one request line and resolves with the one reply line. */
function ask(socketPath: string, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const connection = createConnection({ path: socketPath });
    let buffer = '';
    connection.setEncoding('utf8');
    connection.on('connect', () => connection.write(`${request}\n`));
    connection.on('data', (chunk: string) => {
      buffer += chunk;
      const end = buffer.indexOf('\n');
      if (end < 0) return;
      connection.end();
      resolve(buffer.slice(0, end));
    });
    connection.on('error', (error: NodeJS.ErrnoException) => reject(new AgentFailure(`cannot reach the power switch at ${socketPath}: ${error.code ?? error.message}`)));
    connection.on('close', () => reject(new AgentFailure(`the power switch at ${socketPath} closed the connection without answering '${request}'`)));
  });
}

function expectReply(reply: string, wanted: readonly string[], request: string): string {
  if (wanted.includes(reply)) return reply;
  if (reply.startsWith('error ')) throw new AgentFailure(`the power switch refused '${request}': ${reply.slice('error '.length)}`);
  throw new AgentFailure(`the power switch answered '${reply}' to '${request}'`);
}

async function listNodes(socketPath: string): Promise<string[]> {
  const reply = await ask(socketPath, 'list');
  if (reply === 'ok' || reply.startsWith('ok ')) return reply.slice(2).trim().split(/\s+/).filter(Boolean);
  expectReply(reply, [], 'list'); // throws: only an `ok` line lists nodes
  return [];
}

async function main(): Promise<number> {
  if (process.argv.length > 2) throw new AgentFailure('fence_tandemlab reads its options on stdin only (key=value lines); it takes no arguments');
  const options = parseStdin(readFileSync(0, 'utf8'));
  const action = options.get('action') ?? 'reboot';
  if (action === 'metadata') {
    process.stdout.write(METADATA);
    return EXIT_OK;
  }
  const failFile = options.get('fail_file');
  if (failFile !== undefined && failFile !== '' && existsSync(failFile)) throw new AgentFailure(`fail_file ${failFile} exists, so every action fails`);
  const socketPath = options.get('socket');
  if (socketPath === undefined || socketPath === '') throw new AgentFailure('the socket parameter (the power switch\'s Unix socket) is required');
  const delay = Number(options.get('delay') ?? '0');
  if (!(Number.isFinite(delay) && delay >= 0)) throw new AgentFailure(`delay must be a number of seconds, not '${options.get('delay') ?? ''}'`);
  if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay * 1000));

  const plug = (): string => {
    const value = options.get('plug');
    if (value === undefined || value === '') throw new AgentFailure('You have to enter plug number or machine identification');
    if (/\s/.test(value)) throw new AgentFailure(`plug '${value}' is not a lab node name`);
    return value;
  };
  switch (action) {
    case 'off':
      expectReply(await ask(socketPath, `off ${plug()}`), ['ok'], `off ${plug()}`);
      process.stdout.write('Success: Powered OFF\n');
      return EXIT_OK;
    case 'on':
      expectReply(await ask(socketPath, `on ${plug()}`), ['ok'], `on ${plug()}`);
      process.stdout.write('Success: Powered ON\n');
      return EXIT_OK;
    case 'reboot':
      expectReply(await ask(socketPath, `off ${plug()}`), ['ok'], `off ${plug()}`);
      expectReply(await ask(socketPath, `on ${plug()}`), ['ok'], `on ${plug()}`);
      process.stdout.write('Success: Rebooted\n');
      return EXIT_OK;
    case 'status': {
      const state = expectReply(await ask(socketPath, `status ${plug()}`), ['on', 'off'], `status ${plug()}`);
      process.stdout.write(`Status: ${state.toUpperCase()}\n`);
      return state === 'on' ? EXIT_OK : EXIT_STATUS_OFF;
    }
    case 'monitor':
      await listNodes(socketPath);
      return EXIT_OK;
    case 'list':
      for (const node of await listNodes(socketPath)) process.stdout.write(`${node},\n`);
      return EXIT_OK;
    case 'list-status':
      for (const node of await listNodes(socketPath)) {
        const state = expectReply(await ask(socketPath, `status ${node}`), ['on', 'off'], `status ${node}`);
        process.stdout.write(`${node},,${state.toUpperCase()}\n`);
      }
      return EXIT_OK;
    case 'validate-all':
      return EXIT_OK;
    default:
      throw new AgentFailure(`Unsupported action '${action}'`);
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    // Only the agent's own failures are reported as a one-line "Failed:"; anything else is a bug, shown in full.
    process.stderr.write(error instanceof AgentFailure ? `Failed: ${error.message}\n` : `fence_tandemlab: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = EXIT_FAILED;
  },
);
