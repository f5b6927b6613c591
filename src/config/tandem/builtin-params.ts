/**
 * The `params` of the built-in agents, `ipaddr` and `filesystem`, read field by field.
 *
 * Invariants:
 *   1. Each field is judged by the agent's own validator (`validateIpAddrParams`, `validateFilesystemParams`), with
 *      the other fields set to values it accepts, so a refusal is about that field and is reported on its line.
 *   2. The assembled parameters are validated once more as a whole: if parser and agent ever disagree, the config
 *      is refused here rather than failing with rc 6 (not configured) on the first start.
 *   3. Pure: no file, interface or device is looked at (they need not exist on the node that checks the config).
 */
import { validateFilesystemParams } from '../../agents/filesystem.js';
import { IPADDR_DEFAULTS, validateIpAddrParams } from '../../agents/ipaddr.js';
import { formatDuration } from '../../lib/duration.js';
import { addressFamily, isMulticastAddress, isUnspecifiedAddress } from '../address.js';
import type { ResourceAgentConfig } from '../model.js';
import type { Entry, Located, Reader, Site } from './reader.js';

export const IPADDR_KEYS = ['address', 'prefix', 'interface', 'announce_count', 'announce_interval'] as const;
export const FILESYSTEM_KEYS = ['device', 'directory', 'fstype', 'options'] as const;
/** The ipaddr agent's own limits (it checks them again on every run). */
const ANNOUNCE_COUNT_MAX = 100;
const ANNOUNCE_INTERVAL_MS_MAX = 60_000;

type IpAddrConfig = Extract<ResourceAgentConfig, { kind: 'ipaddr' }>;
type FilesystemConfig = Extract<ResourceAgentConfig, { kind: 'filesystem' }>;

/** What reading a built-in's params gives: the agent config when every field is valid, and where each key is. */
export interface BuiltinRead<T> {
  readonly config?: T;
  readonly keys: Readonly<Record<string, Site>>;
  /** The VIP (ipaddr) or the normalised mount point (filesystem), for the duplicate checks across resources. */
  readonly claim?: Located<string>;
}

/** Invariant 1: the agent's verdict on one field, every other field set to a value it accepts. */
function agentRefuses(validate: (raw: Readonly<Record<string, unknown>>) => { ok: boolean }, accepted: Readonly<Record<string, unknown>>, field: string, value: unknown): boolean {
  return !validate({ ...accepted, [field]: value }).ok;
}

/** The `params` mapping, or undefined (reported) when it is missing or not a mapping. */
function paramsMap(reader: Reader, entry: Entry | undefined, owner: Site, path: string, label: string, needs: string, known: readonly string[]): Map<string, Entry> | undefined {
  if (entry?.value === undefined) {
    reader.missing(entry?.keyAt ?? owner, `${path}.params`, `${label} needs 'params' with ${needs}`);
    return undefined;
  }
  return reader.mapping(entry.value, entry.path, known, `the params of ${label}`);
}

function keySites(map: Map<string, Entry>): Record<string, Site> {
  return Object.fromEntries([...map.values()].map((field) => [field.key, field.keyAt]));
}

export function readIpAddrParams(reader: Reader, entry: Entry | undefined, owner: Site, path: string, label: string): BuiltinRead<IpAddrConfig> {
  const { sink } = reader;
  const map = paramsMap(reader, entry, owner, path, label, 'its address, prefix and interface', IPADDR_KEYS);
  if (map === undefined || entry?.value === undefined) return { keys: {} };
  const at = sink.siteOf(entry.value);
  const need = (key: (typeof IPADDR_KEYS)[number], message: string): Entry | undefined => {
    const field = map.get(key);
    if (field === undefined) reader.missing(at, `${entry.path}.${key}`, message);
    return field;
  };

  const addressEntry = need('address', `${label} needs an 'address': the virtual IP, such as 192.0.2.100 (the prefix goes under 'prefix')`);
  let address = addressEntry && reader.text(addressEntry, `the address of ${label}`);
  if (address !== undefined) {
    const written = address.value;
    const problem = written.includes('/')
      ? `must be written without its prefix: write 'address: ${written.split('/')[0] ?? ''}' and 'prefix: ${written.split('/')[1] ?? ''}'`
      : agentRefuses(validateIpAddrParams, { prefix: 0, interface: 'lo' }, 'address', written)
        ? 'must be an IPv4 or IPv6 address, without a zone'
        : isMulticastAddress(written)
          ? 'must be a unicast address, not a multicast one'
          : isUnspecifiedAddress(written)
            ? 'must be a specific address, not the unspecified one'
            : undefined;
    if (problem !== undefined) {
      sink.error('TND_E_CONFIG_ADDRESS', address.at, address.path, `the address of ${label} ${problem}: current value is ${JSON.stringify(written)}`);
      address = undefined;
    }
  }

  const prefixEntry = need('prefix', `${label} needs a 'prefix': the length of the VIP's network, such as 24 (IPv4) or 64 (IPv6)`);
  let prefix = prefixEntry && reader.integer(prefixEntry, `the prefix of ${label}`, 0, 128);
  if (prefix !== undefined && address !== undefined && addressFamily(address.value) === 4 && prefix.value > 32) {
    sink.error('TND_E_CONFIG_RANGE', prefix.at, prefix.path, `the prefix of ${label} must be an integer from 0 to 32 for the IPv4 address ${address.value}: current value is ${prefix.value}`);
    prefix = undefined;
  }

  const ifaceEntry = need('interface', `${label} needs an 'interface': the network interface that carries the VIP, such as eth0`);
  let iface = ifaceEntry && reader.text(ifaceEntry, `the interface of ${label}`, { numbersAsText: true });
  if (iface !== undefined && agentRefuses(validateIpAddrParams, { address: '192.0.2.1', prefix: 32 }, 'interface', iface.value)) {
    sink.error('TND_E_CONFIG_NAME', iface.at, iface.path, `the interface of ${label} must be an interface name, 1 to 15 of letters, digits and _ . : @ -: current value is ${JSON.stringify(iface.value)}`);
    iface = undefined;
  }

  const countEntry = map.get('announce_count');
  const count = countEntry && reader.integer(countEntry, `the announce_count of ${label}`, 0, ANNOUNCE_COUNT_MAX);
  const intervalEntry = map.get('announce_interval');
  let interval = intervalEntry && reader.duration(intervalEntry, 'announce_interval');
  if (interval !== undefined && interval.value > ANNOUNCE_INTERVAL_MS_MAX) {
    sink.error('TND_E_CONFIG_RANGE', interval.at, interval.path, `'announce_interval' of ${label} must be at most ${ANNOUNCE_INTERVAL_MS_MAX / 1000}s: current value is ${formatDuration(interval.value)}`);
    interval = undefined;
  }

  const keys = keySites(map);
  const claim = address;
  const rest = (countEntry === undefined || count !== undefined) && (intervalEntry === undefined || interval !== undefined);
  if (address === undefined || prefix === undefined || iface === undefined || !rest) return { keys, ...(claim !== undefined ? { claim } : {}) };
  const config: IpAddrConfig = {
    kind: 'ipaddr',
    address: address.value,
    prefix: prefix.value,
    interface: iface.value,
    announceCount: count?.value ?? IPADDR_DEFAULTS.announceCount,
    announceIntervalMs: interval?.value ?? IPADDR_DEFAULTS.announceIntervalMs,
  };
  const whole = validateIpAddrParams(config);
  if (!whole.ok) {
    sink.error('TND_E_CONFIG_RESOURCE_PARAM', at, entry.path, `the ipaddr agent refuses the params of ${label}: ${whole.message}`);
    return { keys, claim: address };
  }
  return { config, keys, claim: address };
}

export function readFilesystemParams(reader: Reader, entry: Entry | undefined, owner: Site, path: string, label: string): BuiltinRead<FilesystemConfig> {
  const { sink } = reader;
  const map = paramsMap(reader, entry, owner, path, label, 'its device, directory and fstype', FILESYSTEM_KEYS);
  if (map === undefined || entry?.value === undefined) return { keys: {} };
  const at = sink.siteOf(entry.value);
  const accepted = { device: '/dev/null', directory: '/mnt', fstype: 'ext4', options: '' };
  /** Reads one field and asks the agent about it; `code` and `rule` say what is wrong when it refuses. */
  const field = (key: (typeof FILESYSTEM_KEYS)[number], required: string | undefined, code: 'TND_E_CONFIG_RESOURCE_PARAM' | 'TND_E_CONFIG_PATH', rule: string): Located<string> | undefined => {
    const fieldEntry = map.get(key);
    if (fieldEntry === undefined) {
      if (required !== undefined) reader.missing(at, `${entry.path}.${key}`, `${label} needs a '${key}': ${required}`);
      return undefined;
    }
    const text = reader.text(fieldEntry, `the ${key} of ${label}`, { numbersAsText: true });
    if (text === undefined) return undefined;
    if (agentRefuses(validateFilesystemParams, accepted, key, text.value)) {
      sink.error(code, text.at, text.path, `the ${key} of ${label} must be ${rule}: current value is ${JSON.stringify(text.value)}`);
      return undefined;
    }
    return text;
  };
  const device = field('device', 'what to mount, such as /dev/sdb1, UUID=…, server:/export or tmpfs', 'TND_E_CONFIG_RESOURCE_PARAM', 'a device, source or name without spaces');
  const directory = field('directory', 'the absolute mount point, such as /srv/data', 'TND_E_CONFIG_PATH', 'an absolute path other than /');
  const fstype = field('fstype', 'the filesystem type, such as ext4, xfs, tmpfs, nfs or bind', 'TND_E_CONFIG_RESOURCE_PARAM', 'a filesystem type such as ext4, xfs, tmpfs, nfs or bind');
  const options = field('options', undefined, 'TND_E_CONFIG_RESOURCE_PARAM', 'a comma-separated option list without spaces');

  const keys = keySites(map);
  const complete = device !== undefined && directory !== undefined && fstype !== undefined && (map.get('options') === undefined || options !== undefined);
  if (!complete) return { keys };
  const whole = validateFilesystemParams({ device: device.value, directory: directory.value, fstype: fstype.value, options: options?.value ?? '' });
  if (!whole.ok) {
    sink.error('TND_E_CONFIG_RESOURCE_PARAM', at, entry.path, `the filesystem agent refuses the params of ${label}: ${whole.message}`);
    return { keys };
  }
  // The agent's normal form of the directory, so /srv/data/ and /srv//data are one mount point (and one digest).
  const config: FilesystemConfig = { kind: 'filesystem', ...whole.params };
  return { config, keys, claim: { ...directory, value: whole.params.directory } };
}
