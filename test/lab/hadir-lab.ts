/**
 * heartbeat clusters in the lab: the seeds' /etc/ha.d files (ha.cf, haresources, authkeys) with only their node
 * names, addresses, interface names and device paths replaced by the lab's — by a rewrite done here, never by
 * hand-edited copies — run by `tandemd --ha-d DIR`, one directory per node.
 *
 * Stand-ins for what the seeds' haresources name and this machine lacks, each a real program doing the job:
 *   - httpd: nginx answering with the node's name (nginx-light; Debian has no /etc/init.d/httpd).
 *   - smb: a socat TCP listener on port 445 (no Samba here; the resource only has to start, run and stop).
 *   - ipvsadm: an nftables NAT table that sends VIP:8080 to the director's own port 80. The kernel here has no
 *     IPVS (no /proc/net/ip_vs, no loadable modules), so the LVS rules of seed 004 become the same forwarding
 *     done by nftables, started and stopped with the group as `ipvsadm` was.
 * They live in the node's own DIR/resource.d, which tandem searches first, as heartbeat searched
 * /etc/ha.d/resource.d; Debian's real resource.d scripts (Filesystem, IPaddr…) are found after it.
 */
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseHeartbeatTime } from '../../src/config/hadir/hacf.js';
import { LabCluster, TANDEMD } from './cluster.js';
import { Lab } from './lab.js';
import { startCable, stopCable } from './serial-cable.js';
import { createWatchdogStandin } from './watchdog-standin.js';
import { NGINX, createSharedDisk, sharedDiskAvailable, writeNginxConfig, type SharedDisk } from './web.js';

export const HADIR_SEEDS_DIR = join(new URL('../../../test/hadir-corpus/', import.meta.url).pathname);

/** One replacement: a literal, replaced wherever it stands as a whole token. */
export type Rewrite = readonly [from: string, to: string];

/**
 * Replaces each `from` where it stands as a whole token: not preceded or followed by a letter, digit, `_`, `.` or
 * `-`, so `192.168.10.1` never matches inside `192.168.10.100` and `eth1` never inside `eth10`. Comments are
 * rewritten too (they name the same machines).
 */
export function rewriteHadirText(text: string, rewrites: readonly Rewrite[]): string {
  let out = text;
  for (const [from, to] of rewrites) {
    const escaped = from.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    out = out.replace(new RegExp(`(?<![\\w.-])${escaped}(?![\\w-]|\\.\\w)`, 'g'), to);
  }
  return out;
}

export type SeedName = 'seed-002' | 'seed-003' | 'seed-004';

export interface SeedPlan {
  readonly seed: SeedName;
  readonly rewrites: readonly Rewrite[];
  /** The lab addresses the client reaches the service at, and the port it polls. */
  readonly vip: string;
  readonly port: number;
  /** The haresources home of the group. */
  readonly home: string;
  readonly other: string;
}

/** The lab's stand-ins for each seed's names: node names, addresses, interfaces, devices, paths. */
export function seedPlan(seed: SeedName, lab: Lab, options: { gateway?: string; ttys?: Readonly<Record<string, string>>; disk?: string; mountPoint?: string; watchdog?: string } = {}): SeedPlan {
  const vip = '192.0.2.100';
  const iface = lab.ifname('n1', 0);
  switch (seed) {
    case 'seed-002':
      return {
        seed,
        vip,
        port: 80,
        home: 'n1',
        other: 'n2',
        rewrites: [
          ['xuanfei1-server', 'n1'],
          ['xuanfei2-server', 'n2'],
          // The article's haresources names the domain, not a node: heartbeat refused that line (`config check`
          // on the seed as written says so at haresources:line). The article meant its first node.
          ['xuanfei.com', 'n1'],
          ['10.0.0.10', vip],
          ['eth1', iface],
          ['/dev/ttyS0', options.ttys?.['n1'] ?? '/dev/ttyS0'],
          ['/dev/watchdog', options.watchdog ?? '/dev/watchdog'],
        ],
      };
    case 'seed-003':
      return {
        seed,
        vip,
        port: 80,
        home: 'n1',
        other: 'n2',
        rewrites: [
          ['ha1.haw2.ibm.com', 'n1'],
          ['ha2.haw2.ibm.com', 'n2'],
          ['9.22.7.46', vip],
          ['9.22.7.1', options.gateway ?? '192.0.2.1'],
          ['/dev/ttyS0', options.ttys?.['n1'] ?? '/dev/ttyS0'],
          // No NFS in this kernel (see the lab test): the same Filesystem script mounts an ext4 shared disk.
          ['nfsha.haw2.ibm.com:/ha', options.disk ?? '/dev/loop0'],
          ['/ha', options.mountPoint ?? '/ha'],
          ['nfs', 'ext4'],
          ['rw,hard', 'rw'],
        ],
      };
    case 'seed-004':
      return {
        seed,
        vip,
        port: 8080,
        home: 'n1',
        other: 'n2',
        rewrites: [
          ['server201', 'n1'],
          ['server202', 'n2'],
          ['192.168.10.200', vip],
          ['192.168.10.1', options.gateway ?? '192.0.2.1'],
          ['eth1', iface],
        ],
      };
  }
}

/** A two-node cluster run by `tandemd --ha-d`, one ha.d per node written from a seed by `seedPlan`'s rewrites. */
export class HadirLabCluster extends LabCluster {
  constructor(
    lab: Lab,
    readonly plan: SeedPlan,
    /** Per node, rewrites on top of the plan's (a node's own serial device). */
    readonly perNode: Readonly<Record<string, readonly Rewrite[]>> = {},
    /** Replaces lines of the rewritten ha.cf (the fast-timing variant of the figures). */
    readonly timingOverride?: Readonly<Record<string, string>>,
    /** Where the httpd stand-in serves files from (besides `/`, which answers the node's name). */
    nginxRoot?: string,
  ) {
    // The YAML LabCluster writes beside is never read (configArgs points tandemd at the ha.d); one link fits any lab.
    super(lab, { nodes: ['n1', 'n2'], links: [{ name: 'lan', transport: 'udp-unicast', labLink: 0 }] });
    const nginx = writeNginxConfig(lab, { name: 'httpd', ...(nginxRoot !== undefined ? { root: nginxRoot } : {}) });
    for (const node of this.options.nodes) {
      const dir = this.haDir(node);
      mkdirSync(join(dir, 'resource.d'), { recursive: true });
      for (const file of ['ha.cf', 'haresources', 'authkeys']) {
        let text = rewriteHadirText(readFileSync(join(HADIR_SEEDS_DIR, plan.seed, file), 'utf8'), [...(perNode[node] ?? []), ...plan.rewrites]);
        if (file === 'ha.cf' && timingOverride !== undefined) text = overrideDirectives(text, timingOverride);
        writeFileSync(join(dir, file), text);
      }
      // heartbeat's rule, and tandem's: authkeys readable by its owner only.
      chmodSync(join(dir, 'authkeys'), 0o600);
      writeStandins(join(dir, 'resource.d'), { nginxConfig: nginx.path, nginxRunDir: nginx.runDir, vip: plan.vip });
    }
  }

  haDir(node: string): string {
    return join(this.nodeDir(node), 'ha.d');
  }

  /** What tandemd reads: the node's ha.d (default), /etc/ha.d as the node sees it, or a YAML file per node. */
  source: { readonly kind: 'ha.d' } | { readonly kind: 'etc' } | { readonly kind: 'yaml'; readonly file: (node: string) => string } = { kind: 'ha.d' };

  /**
   * `argv` run on the node with its ha.d bind-mounted over /etc/ha.d, as on a machine where heartbeat ran. Every lab
   * process has a private mount namespace of its own, so the mount is made by the process itself, for it and its
   * children (the agents) only.
   */
  withEtcHaD(node: string, argv: readonly string[]): string[] {
    return ['sh', '-c', 'mount --bind "$0" /etc/ha.d && exec "$@"', this.haDir(node), ...argv];
  }

  protected override daemonArgv(node: string, args: readonly string[]): string[] {
    const source = this.source.kind === 'yaml' ? ['--config', this.source.file(node)] : ['--ha-d', this.source.kind === 'etc' ? '/etc/ha.d' : this.haDir(node)];
    const argv = [process.execPath, TANDEMD, ...source, '--node', node, '--state-dir', join(this.nodeDir(node), 'state'), '--runtime-dir', join(this.nodeDir(node), 'run'), '--log-format', 'json', ...args];
    return this.source.kind === 'ha.d' ? argv : this.withEtcHaD(node, argv);
  }
}

/**
 * Replaces the value of each named ha.cf directive (every line of it, comments kept) and appends the ones the file
 * lacks: the figures' "same files plus only keepalive 200ms / deadtime 1".
 */
export function overrideDirectives(text: string, values: Readonly<Record<string, string>>): string {
  const seen = new Set<string>();
  const lines = text.split('\n').map((line) => {
    const match = /^(\s*)([a-z_]+)(\s+)([^#]*?)(\s*(#.*)?)$/.exec(line);
    const name = match?.[2];
    if (match === null || name === undefined || !(name in values)) return line;
    seen.add(name);
    return `${match[1]}${name}${match[3]}${values[name]}${match[5] ?? ''}`;
  });
  for (const [name, value] of Object.entries(values)) if (!seen.has(name)) lines.push(`${name} ${value}`);
  return lines.join('\n');
}

function writeScript(path: string, body: string): void {
  writeFileSync(path, `#!/bin/sh\n# tandem lab stand-in (see test/lab/hadir-lab.ts)\n${body}`);
  chmodSync(path, 0o755);
}

function writeStandins(dir: string, options: { nginxConfig: string; nginxRunDir: string; vip: string }): void {
  const pid = `${options.nginxRunDir}/nginx.pid`;
  writeScript(
    join(dir, 'httpd'),
    // A pid file left by a crash may name another process now (the lab's /run outlives a node "reboot"): check it is nginx.
    `running() { [ -s ${pid} ] && [ "$(cat /proc/$(cat ${pid})/comm 2>/dev/null)" = nginx ]; }
case "$1" in
  start) running && exit 0; mkdir -p ${options.nginxRunDir} && exec ${NGINX} -c ${options.nginxConfig} -g 'daemon on;' ;;
  stop) running || exit 0; kill "$(cat ${pid})"; for i in $(seq 100); do running || exit 0; sleep 0.05; done; exit 1 ;;
  status) if running; then echo "httpd is running"; else echo "httpd is stopped"; exit 3; fi ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
`,
  );
  const smbPid = '/run/tandem-lab-smb.pid';
  writeScript(
    join(dir, 'smb'),
    `running() { [ -s ${smbPid} ] && [ "$(cat /proc/$(cat ${smbPid})/comm 2>/dev/null)" = socat ]; }
case "$1" in
  start) running && exit 0; setsid socat TCP-LISTEN:445,reuseaddr,fork SYSTEM:'echo smb' </dev/null >/dev/null 2>&1 & echo $! > ${smbPid}; exit 0 ;;
  stop) running || exit 0; kill "$(cat ${smbPid})"; rm -f ${smbPid}; exit 0 ;;
  status) if running; then echo "smb is running"; else echo "smb is stopped"; exit 3; fi ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
`,
  );
  writeScript(
    join(dir, 'ipvsadm'),
    `# LVS stand-in: VIP:8080 → this director's port 80, with nftables NAT (no IPVS in this kernel).
case "$1" in
  start) nft -f - <<EOF
table ip tandem_lab_ipvs {
  chain prerouting { type nat hook prerouting priority dstnat; ip daddr ${options.vip} tcp dport 8080 redirect to :80; }
}
EOF
    ;;
  stop) nft delete table ip tandem_lab_ipvs 2>/dev/null; exit 0 ;;
  status) if nft list table ip tandem_lab_ipvs >/dev/null 2>&1; then echo "ipvsadm is running"; else echo "ipvsadm is stopped"; exit 3; fi ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
`,
  );
}

/** Each seed's deadtime as written (heartbeat's seconds), for waits and reports. */
export const SEED_DEADTIME_MS: Readonly<Record<SeedName, number>> = { 'seed-002': 10_000, 'seed-003': 60_000, 'seed-004': 30_000 };

export interface SeedLab {
  readonly lab: Lab;
  readonly plan: SeedPlan;
  readonly cluster: HadirLabCluster;
  readonly deadtimeMs: number;
  /** How long, beyond deadtime, a failover may rightly wait (seed 002's watchdog: the dead node's reset). */
  readonly extraWaitMs: number;
  /** Seed 003: the disk the Filesystem resource mounts. */
  readonly disk?: SharedDisk;
  /** Removes everything: the lab, the pty cable, watchdog stand-ins, the shared disk. Idempotent. */
  teardown(): Promise<void>;
}

/**
 * A lab running one seed's configuration: the two nodes, a `client` namespace (and a `gw` one answering the seeds'
 * ping node), the pty cable of the serial seeds, watchdog stand-ins for seed 002 (which powers a node off when its
 * daemon stops feeding, as /dev/watchdog would reset it), and, for seed 003, an ext4 shared disk: NFS cannot run
 * here (this kernel has no nfs filesystem type in /proc/filesystems and no loadable modules, so no namespace can
 * mount one), so the seed's Filesystem resource runs through the same Debian resource.d script on an ext4 disk that
 * every node namespace can mount, as a shared disk would be. `timingOverride` replaces ha.cf directives (the
 * figures' fast variant); deadtime is then read from it.
 */
export async function setUpSeed(seed: SeedName, options: { timingOverride?: Readonly<Record<string, string>> } = {}): Promise<SeedLab> {
  const lab = await Lab.create({ nodes: ['n1', 'n2'], links: 1, clients: ['gw', 'client'] });
  const cleanups: (() => Promise<void> | void)[] = [() => lab.teardown()];
  const teardown = async (): Promise<void> => {
    for (const cleanup of cleanups.splice(0)) await cleanup();
  };
  try {
    const written = options.timingOverride?.deadtime;
    const deadtimeMs = (written !== undefined ? parseHeartbeatTime(written) : undefined) ?? SEED_DEADTIME_MS[seed];
    const gateway = lab.address('gw', 0);
    if (seed === 'seed-004') {
      const plan = seedPlan(seed, lab, { gateway });
      return { lab, plan, cluster: new HadirLabCluster(lab, plan, {}, options.timingOverride), deadtimeMs, extraWaitMs: 0, teardown };
    }
    const cable = await startCable(lab.dir);
    cleanups.push(() => stopCable(cable.child));
    if (seed === 'seed-002') {
      // heartbeat sets the watchdog to deadtime + 10 ms, rounded up to whole seconds.
      const timeoutMs = Math.ceil((deadtimeMs + 10) / 1000) * 1000;
      for (const node of ['n1', 'n2']) {
        const standin = await createWatchdogStandin({ path: join(lab.dir, `watchdog-${node}`), timeoutMs, onExpire: () => lab.powerOff(node) });
        cleanups.unshift(() => standin.close());
      }
      const plan = seedPlan(seed, lab, { watchdog: join(lab.dir, 'watchdog-n1'), ttys: { n1: cable.ends.n1 } });
      const cluster = new HadirLabCluster(lab, plan, { n2: [['/dev/ttyS0', cable.ends.n2], ['/dev/watchdog', join(lab.dir, 'watchdog-n2')]] }, options.timingOverride);
      // Without fencing the survivor waits until the dead node's watchdog has certainly reset it.
      return { lab, plan, cluster, deadtimeMs, extraWaitMs: timeoutMs + 5000, teardown };
    }
    if (!sharedDiskAvailable()) throw new Error('mkfs.ext4, losetup or /dev/loop-control missing: a shared disk cannot be made');
    const disk = createSharedDisk(lab, { 'shared.txt': 'served from the shared disk\n' });
    cleanups.push(() => disk.detach());
    const mountPoint = join(lab.dir, 'ha');
    const plan = seedPlan(seed, lab, { gateway, ttys: { n1: cable.ends.n1 }, disk: disk.device, mountPoint });
    const cluster = new HadirLabCluster(lab, plan, { n2: [['/dev/ttyS0', cable.ends.n2]] }, options.timingOverride, mountPoint);
    return { lab, plan, cluster, deadtimeMs, extraWaitMs: 0, disk, teardown };
  } catch (error) {
    await teardown();
    throw error;
  }
}
