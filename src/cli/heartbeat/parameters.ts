/**
 * `cl_status hbparameter -p NAME`: heartbeat answered with the value it recorded for an ha.cf directive — the word
 * as written (`keepalive 2` → `2`; `keepalive 2 3` applies 2, then 3, so `3`), else its fixed default (the
 * `heartbeat -D` list), else a default it computed at start-up, in milliseconds with `ms` (warntime, initdead,
 * deadping), else nothing: `Cannot get parameter X's value`, rc 1 (research notes §5.1, §5.2, §9).
 *
 * A config read from an /etc/ha.d answers exactly that way from the values the import kept (the status report's
 * `origin.parameters`). tandem's own YAML has no ha.cf, so it answers with tandem's equivalents of the timing
 * directives (in heartbeat's computed form, `700ms`), `udpport`, `auto_failback`, `cluster`, `deadping`,
 * `hbversion` and `pacemaker`; anything else has no value, and the reason says so.
 */
import type { StatusReport } from '../../api/status-report.js';

export type ParameterAnswer = { readonly value: string } | { readonly missing: string };

/** heartbeat 3.0.6's fixed defaults (`heartbeat -D`, §5.2), recorded when ha.cf does not set them; plus `debug`. */
const HEARTBEAT_DEFAULTS: Readonly<Record<string, string>> = {
  cluster: 'linux-ha',
  hopfudge: '1',
  keepalive: '1000ms',
  deadtime: '30000ms',
  baud: '19200',
  auto_failback: 'legacy',
  hbgenmethod: 'file',
  realtime: 'true',
  msgfmt: 'classic',
  conn_logd_time: '60',
  log_badpack: 'true',
  syslogmsgfmt: 'true',
  coredumps: 'true',
  pacemaker: 'false',
  autojoin: 'none',
  uuidfrom: 'file',
  compression: 'zlib',
  compression_threshold: '2',
  traditional_compression: 'no',
  max_rexmit_delay: '250',
  record_config_changes: 'on',
  record_pengine_inputs: 'on',
  enable_config_writes: 'on',
  memreserve: '6500',
  debug: '0',
};

/**
 * Directives heartbeat acts on without recording a value (§9: apiauth, nice_failback, stonith, stonith_host,
 * respawn, node, normalpoll), and the media, which become communication plugins rather than parameters.
 */
const NOT_RECORDED: ReadonlySet<string> = new Set([
  'apiauth', 'nice_failback', 'stonith', 'stonith_host', 'respawn', 'failfast', 'node', 'normalpoll',
  'bcast', 'mcast', 'mcast6', 'ucast', 'ucast6', 'serial', 'ping', 'ping6', 'ping_group', 'hbaping',
]);

/** heartbeat's parameter form of a computed duration. */
const ms = (value: number): string => `${value}ms`;

/** What heartbeat's `hbversion` looked like (`3.0.6 (node: …)`), for tandem. */
export function versionString(report: StatusReport): string {
  return `${report.version} (tandem)`;
}

function udpPort(report: StatusReport): ParameterAnswer {
  const ports = [...new Set((report.links ?? []).flatMap((link) => (link.port === undefined ? [] : [link.port])))];
  if (ports.length === 1) return { value: String(ports[0]) };
  return { missing: ports.length === 0 ? 'no UDP link is configured' : `the links use different ports (${ports.join(', ')})` };
}

function fromHadir(report: StatusReport, written: Readonly<Record<string, string>>, name: string): ParameterAnswer {
  if (NOT_RECORDED.has(name)) return { missing: `heartbeat does not record '${name}' as a parameter` };
  const value = written[name];
  // Each word of an ordinary directive is applied in turn: the last one is what heartbeat kept.
  if (value !== undefined && value.trim() !== '') return { value: value.trim().split(/\s+/).at(-1) as string };
  if (name === 'hbversion') return { value: versionString(report) };
  const fixed = HEARTBEAT_DEFAULTS[name];
  if (fixed !== undefined) return { value: fixed };
  // Computed defaults (warntime, initdead, deadping; udpport from /etc/services, 694, as the import did for the
  // links) are what the daemon runs with, as tandem's own config reports them.
  if (['warntime', 'initdead', 'deadping', 'udpport'].includes(name)) return fromTandem(report, name);
  return { missing: `ha.cf does not set '${name}' and heartbeat has no default for it` };
}

function fromTandem(report: StatusReport, name: string): ParameterAnswer {
  switch (name) {
    case 'keepalive':
      return { value: ms(report.timings.keepaliveMs) };
    case 'deadtime':
      return { value: ms(report.timings.deadtimeMs) };
    case 'warntime':
      return { value: ms(report.timings.warntimeMs) };
    case 'initdead':
      return { value: ms(report.timings.initdeadMs) };
    case 'deadping':
      // heartbeat's default deadping is deadtime; tandem's equivalent is ping.dead.
      return { value: ms(report.ping?.deadMs ?? report.timings.deadtimeMs) };
    case 'udpport':
      return udpPort(report);
    case 'cluster':
      return { value: report.cluster };
    case 'hbversion':
      return { value: versionString(report) };
    case 'pacemaker':
      return { value: 'false' };
    case 'auto_failback': {
      const modes = new Set(report.groups.map((group) => group.failback));
      if (modes.has(undefined)) return { missing: 'this tandemd does not report its groups\' failback' };
      if (modes.size === 0) return { missing: 'no group is configured' };
      if (modes.size > 1) return { missing: 'the groups differ: some have failback auto, some manual' };
      return { value: modes.has('auto') ? 'on' : 'off' };
    }
    default:
      return { missing: `tandem's config (${report.configFile}) has no equivalent of heartbeat's '${name}'` };
  }
}

export function parameterValue(report: StatusReport, name: string): ParameterAnswer {
  return report.origin ? fromHadir(report, report.origin.parameters, name) : fromTandem(report, name);
}
