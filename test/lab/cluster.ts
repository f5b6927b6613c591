/**
 * A tandem cluster on top of a Lab: writes each node's config and key file, starts one real tandemd per
 * node namespace, and reads their status through the same Unix-socket API the CLI uses.
 * Used by the end-to-end tests, the benchmarks and the demo.
 */
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { StatusReport } from '../../src/api/status-report.js';
import { DaemonUnreachableError, callApi } from '../../src/cli/client.js';
import type { Lab, LabProcess } from './lab.js';

export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
/** The build this module belongs to (dist/, or another tsc outDir at the same depth). */
export const BUILD_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const TANDEMD = join(BUILD_ROOT, 'src/daemon/main.js');
export const TANDEM_CLI = join(BUILD_ROOT, 'src/cli/main.js');

export interface LabLinkSpec {
  readonly name: string;
  readonly transport: 'udp-unicast' | 'udp-broadcast' | 'udp-multicast' | 'serial';
  /** Lab link index whose addresses the nodes use (0: 192.0.2.0/24, 1: 198.51.100.0/24, 2: 2001:db8:2::/64); unused by serial links. */
  readonly labLink: number;
  /** Serial links: node → its tty (e.g. one end of a socat pty pair), and the line speed. */
  readonly devices?: Readonly<Record<string, string>>;
  readonly baud?: number;
  readonly group?: string;
  readonly broadcast?: string;
  readonly port?: number;
}

export interface LabClusterOptions {
  readonly nodes: readonly string[];
  readonly links?: readonly LabLinkSpec[];
  readonly timings?: { keepalive: string; warntime: string; deadtime: string; initdead: string };
  readonly cluster?: string;
  readonly logFormat?: 'json' | 'text';
  /** YAML appended to every node's config as is (`groups:`, `reconcile:`), already indented for the top level. */
  readonly extraYaml?: string;
}

export const DEFAULT_LAB_LINKS: readonly LabLinkSpec[] = [
  { name: 'lan', transport: 'udp-unicast', labLink: 0 },
  { name: 'backup', transport: 'udp-broadcast', labLink: 1, broadcast: '198.51.100.255' },
];

export const LAB_SECRET = 'lab-secret-not-for-production-use';

export class LabCluster {
  readonly processes = new Map<string, LabProcess>();
  readonly links: readonly LabLinkSpec[];

  constructor(
    readonly lab: Lab,
    readonly options: LabClusterOptions,
  ) {
    this.links = options.links ?? DEFAULT_LAB_LINKS;
    writeFileSync(this.keyFile, `# lab keys\nsend 1\n1 ${LAB_SECRET}\n`);
    chmodSync(this.keyFile, 0o600);
    for (const node of options.nodes) this.writeConfig(node);
  }

  get keyFile(): string {
    return join(this.lab.dir, 'keys');
  }

  nodeDir(node: string): string {
    return join(this.lab.dir, 'nodes', node);
  }

  configPath(node: string): string {
    return join(this.nodeDir(node), 'tandem.yaml');
  }

  socket(node: string): string {
    return join(this.nodeDir(node), 'run', 'tandemd.sock');
  }

  /** The YAML every node shares; only the state and runtime directories differ per node. */
  configText(node: string, overrides: { timings?: LabClusterOptions['timings'] } = {}): string {
    const timings = overrides.timings ?? this.options.timings ?? { keepalive: '100ms', warntime: '300ms', deadtime: '500ms', initdead: '2s' };
    const lines = [
      `cluster: ${this.options.cluster ?? 'lab'}`,
      `key_file: ${this.keyFile}`,
      `timings:`,
      `  keepalive: ${timings.keepalive}`,
      `  warntime: ${timings.warntime}`,
      `  deadtime: ${timings.deadtime}`,
      `  initdead: ${timings.initdead}`,
      `links:`,
    ];
    for (const link of this.links) {
      lines.push(`  - name: ${link.name}`, `    transport: ${link.transport}`);
      if (link.port) lines.push(`    port: ${link.port}`);
      if (link.group) lines.push(`    group: "${link.group}"`);
      if (link.broadcast) lines.push(`    broadcast: ${link.broadcast}`);
      if (link.baud) lines.push(`    baud: ${link.baud}`);
    }
    lines.push('nodes:');
    for (const name of this.options.nodes) {
      lines.push(`  - name: ${name}`, `    links:`);
      for (const link of this.links) {
        const device = link.devices?.[name];
        if (device !== undefined) lines.push(`      ${link.name}: { device: "${device}" }`);
        else lines.push(`      ${link.name}: { address: "${this.lab.address(name, link.labLink)}", interface: ${this.lab.ifname(name, link.labLink)} }`);
      }
    }
    lines.push(`logging: { format: ${this.options.logFormat ?? 'json'}, level: info }`);
    lines.push(`state_dir: ${join(this.nodeDir(node), 'state')}`);
    lines.push(`runtime_dir: ${join(this.nodeDir(node), 'run')}`);
    if (this.options.extraYaml !== undefined) lines.push(this.options.extraYaml.trimEnd());
    return lines.join('\n') + '\n';
  }

  writeConfig(node: string, text = this.configText(node)): void {
    mkdirSync(this.nodeDir(node), { recursive: true });
    writeFileSync(this.configPath(node), text);
  }

  /** Starts tandemd on the node; `args` are extra command-line options (e.g. `--arbitrator`). */
  start(node: string, args: readonly string[] = []): LabProcess {
    const process_ = this.lab.spawn(node, this.daemonArgv(node, args), { name: 'tandemd' });
    this.processes.set(node, process_);
    return process_;
  }

  /** How tandemd is started on the node; a cluster run from other files (an /etc/ha.d) overrides it. */
  protected daemonArgv(node: string, args: readonly string[]): string[] {
    return [process.execPath, TANDEMD, '--config', this.configPath(node), ...args];
  }

  startAll(): void {
    for (const node of this.options.nodes) this.start(node);
  }

  process(node: string): LabProcess {
    const found = this.processes.get(node);
    if (!found) throw new Error(`no tandemd started on ${node}`);
    return found;
  }

  async status(node: string): Promise<StatusReport> {
    return (await callApi<StatusReport>(this.socket(node), 'GET', '/v1/status', 2000)).body;
  }

  /** The state `observer` has of `peer`, or undefined when the observer's daemon does not answer. */
  async peerState(observer: string, peer: string): Promise<string | undefined> {
    try {
      return (await this.status(observer)).nodes.find((node) => node.name === peer)?.state;
    } catch {
      return undefined;
    }
  }

  /** Polls until `check` holds; fails with `what` and the last status seen. Not a timing assertion: a generous bound. */
  async waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 15_000, intervalMs = 25): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let lastError = '';
    for (;;) {
      try {
        if (await check()) return;
      } catch (error) {
        // A daemon still starting (no socket yet) or restarting is "not yet", not a failure.
        if (!(error instanceof DaemonUnreachableError)) throw error;
        lastError = error.message;
      }
      if (Date.now() > deadline) {
        const snapshot = await Promise.all(
          this.options.nodes.map(async (node) => {
            try {
              const status = await this.status(node);
              return `${node}: ${status.nodes.map((n) => `${n.name}=${n.state}[${n.links.map((l) => `${l.name}:${l.state}`).join(',')}]`).join(' ')}`;
            } catch (error) {
              const output = this.processes.get(node)?.output().split('\n').slice(-15).join('\n') ?? '(not started)';
              return `${node}: unreachable (${(error as Error).message}); last output:\n${output}`;
            }
          }),
        );
        throw new Error(`timed out after ${timeoutMs} ms waiting for: ${what}${lastError ? ` (last: ${lastError})` : ''}\n${snapshot.join('\n')}`);
      }
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  }

  /** Every node sees every other `up` on every link: a peer is `up` as soon as one link hears it, the others may lag. */
  async allUp(nodes: readonly string[] = this.options.nodes): Promise<boolean> {
    for (const observer of nodes) {
      let status: StatusReport;
      try {
        status = await this.status(observer);
      } catch (error) {
        if (error instanceof DaemonUnreachableError) return false;
        throw error;
      }
      for (const peer of nodes) {
        if (peer === observer) continue;
        const seen = status.nodes.find((node) => node.name === peer);
        if (seen?.state !== 'up' || seen.links.some((link) => link.state !== 'up')) return false;
      }
    }
    return true;
  }
}
