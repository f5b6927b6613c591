/**
 * Reads one resource of a group (`groups[].resources[]`): its id, its agent with the fields that go with it, and
 * the timings of its operations.
 *
 * Pure, like the rest of the front-end: agents are neither looked up nor run here (`config/agent-check.ts` does
 * that, for `tandem config check` and the daemon).
 *
 * Invariants:
 *   1. A field that does not go with the resource's agent is one issue at its key, and is not read further.
 *   2. Provider, type, name, unit and script, OCF parameter names, argv words and the id pass the agents' own
 *      checks (the builders behind `createAgent`), so a resource that parses can always be built; their issues are
 *      moved to the line of the field they are about.
 *   3. `agent` and `timings` are set only when every part of them is valid.
 *   4. Where each field was written is kept (`ResourceSites`), for checks that run later (agent meta-data).
 */
import { constants as osConstants } from 'node:os';
import { isScalar, type Node } from 'yaml';
import type { AgentIssue } from '../../agents/codes.js';
import { isSignalName } from '../../agents/exec-agent.js';
import { createAgent, type AgentSpec } from '../../agents/factory.js';
import type { ConfigIssueCode } from '../codes.js';
import { DEFAULT_RESOURCE_TIMINGS, type ResourceAgentConfig, type ResourceConfig } from '../model.js';
import { suggest } from '../suggest.js';
import { readFilesystemParams, readIpAddrParams } from './builtin-params.js';
import { describeNode, type Entry, type Located, type Reader, type Site } from './reader.js';

const RESOURCE_KEYS = ['id', 'agent', 'params', 'args', 'command', 'health', 'stop_signal', 'start', 'stop', 'monitor'] as const;
const RESOURCE_ID = /^[A-Za-z0-9._-]{1,64}$/;
const BUILTIN_AGENTS = ['ipaddr', 'filesystem', 'exec'] as const;
const AGENT_PREFIXES = ['ocf', 'lsb', 'systemd', 'heartbeat'] as const;
const AGENT_FORMS = 'ipaddr, filesystem, exec, ocf:PROVIDER:TYPE, lsb:NAME, systemd:UNIT or heartbeat:NAME';

type AgentKind = ResourceAgentConfig['kind'];
type OptionalField = 'params' | 'args' | 'command' | 'health' | 'stop_signal';

/** Invariant 1: the agents each optional field goes with. */
const FIELD_AGENTS: Readonly<Record<OptionalField, readonly AgentKind[]>> = {
  params: ['ipaddr', 'filesystem', 'ocf'],
  args: ['heartbeat'],
  command: ['exec'],
  health: ['exec'],
  stop_signal: ['exec'],
};

/** Below this, a recurring monitor costs more than it tells. */
const MONITOR_INTERVAL_MS_LOW = 1000;
/** The exec agent's state directory is the daemon's, not the config's; any absolute path lets its checks run. */
const SPEC_CHECK_STATE_DIR = '/';
/** Stands in for an id that is missing or already reported, so the agent's checks do not report it again. */
const SPEC_CHECK_ID = 'resource';

/** Where a resource's fields were written, for issues found after parsing (see `config/agent-check.ts`). */
export interface ResourceSites {
  /** The resource's list item. */
  readonly at: Site;
  /** Its dotted path, e.g. `groups[0].resources[2]`. */
  readonly path: string;
  /** The value of `agent:`. */
  readonly agent: Site;
  /** The `params:` key, when written. */
  readonly params?: Site;
  /** Each parameter's key. */
  readonly paramKeys: Readonly<Record<string, Site>>;
  /** The first word of `command` / `health` (exec), when written. */
  readonly command?: Site;
  readonly health?: Site;
}

export interface ResourceDraft {
  readonly path: string;
  readonly at: Site;
  readonly id?: Located<string>;
  /** Invariant 3: set only when the agent and all its fields are valid. */
  readonly agent?: ResourceAgentConfig;
  readonly timings?: Pick<ResourceConfig, 'startTimeoutMs' | 'stopTimeoutMs' | 'monitorIntervalMs' | 'monitorTimeoutMs'>;
  /** The VIP of an ipaddr resource, or the mount point of a filesystem one: may belong to one resource only. */
  readonly vip?: Located<string>;
  readonly mountPoint?: Located<string>;
  readonly sites: ResourceSites;
}

type AgentName =
  | { readonly kind: 'ipaddr' | 'filesystem' | 'exec' }
  | { readonly kind: 'ocf'; readonly provider: string; readonly type: string }
  | { readonly kind: 'lsb'; readonly name: string }
  | { readonly kind: 'systemd'; readonly unit: string }
  | { readonly kind: 'heartbeat'; readonly script: string };

/** Splits `agent:` into its kind and name parts; the parts themselves are checked by the agents (invariant 2). */
export function parseAgentName(text: string): { ok: true; name: AgentName } | { ok: false; message: string } {
  const fail = (message: string): { ok: false; message: string } => ({ ok: false, message });
  if ((BUILTIN_AGENTS as readonly string[]).includes(text)) return { ok: true, name: { kind: text as (typeof BUILTIN_AGENTS)[number] } };
  const colon = text.indexOf(':');
  const prefix = colon < 0 ? text : text.slice(0, colon);
  const rest = colon < 0 ? '' : text.slice(colon + 1);
  switch (prefix) {
    case 'ocf': {
      const [provider = '', type = '', ...more] = rest.split(':');
      if (provider === '' || type === '' || more.length > 0) return fail('an OCF agent is written ocf:PROVIDER:TYPE, such as ocf:heartbeat:nginx');
      return { ok: true, name: { kind: 'ocf', provider, type } };
    }
    case 'lsb':
      return rest === '' ? fail('an LSB agent is written lsb:NAME, NAME being a script in /etc/init.d') : { ok: true, name: { kind: 'lsb', name: rest } };
    case 'systemd':
      return rest === '' ? fail('a systemd agent is written systemd:UNIT, such as systemd:nginx.service') : { ok: true, name: { kind: 'systemd', unit: rest } };
    case 'heartbeat':
      if (rest === '') return fail('a heartbeat agent is written heartbeat:NAME, NAME being a script in /etc/ha.d/resource.d or /etc/init.d');
      if (rest.includes('::')) {
        const [script, ...args] = rest.split('::');
        return fail(`write heartbeat's NAME::arg1::arg2 as 'agent: heartbeat:${script ?? ''}' and 'args: [${args.join(', ')}]'`);
      }
      return { ok: true, name: { kind: 'heartbeat', script: rest } };
    default: {
      const hint = colon < 0 ? suggest(text, [...BUILTIN_AGENTS, ...AGENT_PREFIXES]) : suggest(prefix, AGENT_PREFIXES);
      const meant = hint === undefined ? undefined : colon < 0 ? hint : `${hint}:${rest}`;
      return fail(`it must be ${AGENT_FORMS}${meant !== undefined ? ` (did you mean '${meant}'?)` : ''}`);
    }
  }
}

export function readResource(reader: Reader, node: Node | undefined, at: Site, path: string): ResourceDraft {
  const { sink } = reader;
  const empty: ResourceDraft = { path, at, sites: { at, path, agent: at, paramKeys: {} } };
  if (node === undefined) {
    reader.missing(at, path, "a resource is empty: give at least its 'id' and 'agent'");
    return empty;
  }
  const map = reader.mapping(node, path, RESOURCE_KEYS, 'a resource');
  if (map === undefined) return empty;

  const idEntry = map.get('id');
  if (idEntry === undefined) reader.missing(at, `${path}.id`, "a resource needs an 'id', unique in the cluster: it names the resource in status, events and `tandem why`");
  const id = idEntry && reader.text(idEntry, "a resource's 'id'", { numbersAsText: true });
  const idOk = id !== undefined && RESOURCE_ID.test(id.value);
  if (id !== undefined && !idOk) {
    sink.error('TND_E_CONFIG_NAME', id.at, id.path, `a resource's id must be 1 to 64 characters among A-Z a-z 0-9 . _ -: current value is ${JSON.stringify(id.value)}`);
  }
  const label = id !== undefined ? `resource '${id.value}'` : 'a resource';

  const agentEntry = map.get('agent');
  if (agentEntry === undefined) reader.missing(at, `${path}.agent`, `${label} needs an 'agent': ${AGENT_FORMS}`);
  const agentText = agentEntry && reader.text(agentEntry, `the agent of ${label}`);
  let name: AgentName | undefined;
  if (agentText !== undefined) {
    const parsed = parseAgentName(agentText.value);
    if (parsed.ok) name = parsed.name;
    else sink.error('TND_E_CONFIG_RESOURCE_AGENT', agentText.at, agentText.path, `the agent of ${label} is ${JSON.stringify(agentText.value)}: ${parsed.message}`);
  }

  /** The field, when written and allowed with this agent (invariant 1); undefined otherwise. */
  const allowed = (key: OptionalField): Entry | undefined => {
    const field = map.get(key);
    if (field === undefined || name === undefined) return undefined;
    const agents = FIELD_AGENTS[key];
    if (agents.includes(name.kind)) return field;
    const which = key === 'params' ? 'ipaddr, filesystem and ocf: agents' : `${agents[0] ?? ''}${key === 'args' ? ':NAME' : ''} agents`;
    sink.error('TND_E_CONFIG_RESOURCE_FIELD', field.keyAt, field.path, `'${key}' goes with ${which} only, and ${label} is ${agentText?.value ?? name.kind}`);
    return undefined;
  };
  const fields: Partial<Record<OptionalField, Entry>> = {};
  for (const key of Object.keys(FIELD_AGENTS) as OptionalField[]) {
    const field = allowed(key);
    if (field !== undefined) fields[key] = field;
  }

  const read = name === undefined ? undefined : readAgent(reader, name, fields, { at, path, label, id: idOk ? id : undefined, agentAt: agentText?.at ?? at });
  const timings = readTimings(reader, map, label);
  const sites: ResourceSites = {
    at,
    path,
    agent: agentText?.at ?? at,
    paramKeys: read?.paramKeys ?? {},
    ...(fields.params !== undefined ? { params: fields.params.keyAt } : {}),
    ...(read?.command !== undefined ? { command: read.command } : {}),
    ...(read?.health !== undefined ? { health: read.health } : {}),
  };
  return {
    path,
    at,
    sites,
    ...(id !== undefined ? { id } : {}),
    ...(read?.agent !== undefined ? { agent: read.agent } : {}),
    ...(read?.vip !== undefined ? { vip: read.vip } : {}),
    ...(read?.mountPoint !== undefined ? { mountPoint: read.mountPoint } : {}),
    ...(timings !== undefined ? { timings } : {}),
  };
}

interface AgentRead {
  readonly agent?: ResourceAgentConfig;
  readonly paramKeys: Readonly<Record<string, Site>>;
  readonly vip?: Located<string>;
  readonly mountPoint?: Located<string>;
  readonly command?: Site;
  readonly health?: Site;
}

interface Owner {
  readonly at: Site;
  readonly path: string;
  readonly label: string;
  /** The id, when it is valid (else the agents' checks would report it a second time). */
  readonly id: Located<string> | undefined;
  readonly agentAt: Site;
}

function readAgent(reader: Reader, name: AgentName, fields: Partial<Record<OptionalField, Entry>>, owner: Owner): AgentRead {
  switch (name.kind) {
    case 'ipaddr': {
      const read = readIpAddrParams(reader, fields.params, owner.at, owner.path, owner.label);
      return { paramKeys: read.keys, ...(read.config !== undefined ? { agent: read.config } : {}), ...(read.claim !== undefined ? { vip: read.claim } : {}) };
    }
    case 'filesystem': {
      const read = readFilesystemParams(reader, fields.params, owner.at, owner.path, owner.label);
      return { paramKeys: read.keys, ...(read.config !== undefined ? { agent: read.config } : {}), ...(read.claim !== undefined ? { mountPoint: read.claim } : {}) };
    }
    case 'ocf': {
      // The names are checked even when a parameter value is wrong, so that one pass reports both.
      const params = readOcfParams(reader, fields.params, owner.label);
      const agent: ResourceAgentConfig = { kind: 'ocf', provider: name.provider, type: name.type, params: params.values };
      const checked = checkedBySpec(reader, agent, { ...owner, paramKeys: params.keys, args: [] });
      return { paramKeys: params.keys, ...(params.ok ? checked : {}) };
    }
    case 'lsb':
      return { paramKeys: {}, ...checkedBySpec(reader, { kind: 'lsb', name: name.name }, { ...owner, paramKeys: {}, args: [] }) };
    case 'systemd':
      return { paramKeys: {}, ...checkedBySpec(reader, { kind: 'systemd', unit: name.unit }, { ...owner, paramKeys: {}, args: [] }) };
    case 'heartbeat': {
      const args = fields.args === undefined ? { value: [] } : reader.words(fields.args, `the args of ${owner.label}`);
      const words = args?.value ?? [];
      const agent: ResourceAgentConfig = { kind: 'heartbeat', script: name.script, args: words.map((arg) => arg.value) };
      const checked = checkedBySpec(reader, agent, { ...owner, paramKeys: {}, args: words.map((arg) => arg.at) });
      return { paramKeys: {}, ...(args !== undefined ? checked : {}) };
    }
    case 'exec':
      return readExec(reader, fields, owner);
  }
}

function readExec(reader: Reader, fields: Partial<Record<OptionalField, Entry>>, owner: Owner): AgentRead {
  const { sink } = reader;
  const argv = (key: 'command' | 'health', example: string): Located<string>[] | undefined => {
    const field = fields[key];
    if (field === undefined) return undefined;
    const words = reader.words(field, `the ${key} of ${owner.label}`);
    if (words !== undefined && words.value.length === 0) {
      reader.missing(words.at, field.path, `the ${key} of ${owner.label} is empty: write the program and its arguments, such as ${example}`);
      return undefined;
    }
    return words?.value;
  };
  if (fields.command === undefined) {
    reader.missing(owner.at, `${owner.path}.command`, `${owner.label} is an exec resource and needs a 'command': the program and its arguments, such as [/usr/sbin/nginx, -g, "daemon off;"]`);
  }
  const command = argv('command', '[/usr/sbin/nginx, -g, "daemon off;"]');
  const health = argv('health', '[/usr/bin/curl, -fsS, http://127.0.0.1/]');
  const healthOk = fields.health === undefined || health !== undefined;

  let stopSignal: Located<string> | undefined;
  const signalEntry = fields.stop_signal;
  const signal = signalEntry && reader.text(signalEntry, `the stop_signal of ${owner.label}`);
  if (signal !== undefined) {
    if (isSignalName(signal.value)) {
      stopSignal = signal;
    } else {
      const hint = suggest(signal.value, Object.keys(osConstants.signals));
      sink.error('TND_E_CONFIG_SIGNAL', signal.at, signal.path, `the stop_signal of ${owner.label} must be a signal name such as SIGTERM or SIGINT: current value is ${JSON.stringify(signal.value)}${hint !== undefined ? ` (did you mean '${hint}'?)` : ''}`);
    }
  }
  const signalOk = signalEntry === undefined || stopSignal !== undefined;

  const sites = { ...(command?.[0] !== undefined ? { command: command[0].at } : {}), ...(health?.[0] !== undefined ? { health: health[0].at } : {}) };
  if (command === undefined || !healthOk || !signalOk) return { paramKeys: {}, ...sites };
  const agent: ResourceAgentConfig = {
    kind: 'exec',
    command: command.map((word) => word.value),
    ...(health !== undefined ? { health: health.map((word) => word.value) } : {}),
    stopSignal: stopSignal?.value ?? 'SIGTERM',
  };
  const placement: Placement = {
    ...owner,
    paramKeys: {},
    args: [],
    ...(fields.command !== undefined ? { commandAt: reader.valueAt(fields.command) } : {}),
    ...(fields.health !== undefined ? { healthAt: reader.valueAt(fields.health) } : {}),
    ...(signal !== undefined ? { signalAt: signal.at } : {}),
  };
  return { paramKeys: {}, ...sites, ...checkedBySpec(reader, agent, placement) };
}

/** OCF parameters: text, or numbers and booleans as written (OCF agents read every parameter as text). */
/** `values` holds the valid parameters; `ok` says whether every one was. */
function readOcfParams(reader: Reader, entry: Entry | undefined, label: string): { values: Record<string, string>; keys: Record<string, Site>; ok: boolean } {
  if (entry?.value === undefined) return { values: {}, keys: {}, ok: true };
  const map = reader.mapping(entry.value, entry.path, 'any', `the params of ${label}`);
  if (map === undefined) return { values: {}, keys: {}, ok: false };
  const values: Record<string, string> = {};
  const keys: Record<string, Site> = {};
  let ok = true;
  for (const field of map.values()) {
    keys[field.key] = field.keyAt;
    const node = field.value;
    if (node === undefined) {
      reader.missing(field.keyAt, field.path, `parameter '${field.key}' of ${label} is empty: write a value or remove the key`);
      ok = false;
    } else if (isScalar(node) && (typeof node.value === 'string' || typeof node.value === 'number' || typeof node.value === 'boolean')) {
      values[field.key] = typeof node.value === 'string' ? node.value : (node.source ?? String(node.value));
    } else {
      reader.sink.error('TND_E_CONFIG_TYPE', reader.sink.siteOf(node), field.path, `parameter '${field.key}' of ${label} must be text, a number or a boolean: current value is ${describeNode(node)}`);
      ok = false;
    }
  }
  return { values, keys, ok };
}

/** Where each spec field of an agent issue was written (invariant 2). */
interface Placement extends Owner {
  readonly paramKeys: Readonly<Record<string, Site>>;
  readonly args: readonly Site[];
  readonly commandAt?: Site;
  readonly healthAt?: Site;
  readonly signalAt?: Site;
}

/**
 * Runs the agents' own spec checks (`createAgent` builds nothing that runs or touches a file) and reports each issue
 * on the field it is about. Returns the agent config only when there is none.
 */
function checkedBySpec(reader: Reader, agent: Exclude<ResourceAgentConfig, { kind: 'ipaddr' | 'filesystem' }>, placement: Placement): { agent?: ResourceAgentConfig } {
  const spec: AgentSpec = agent.kind === 'exec' ? { ...agent, stateDir: SPEC_CHECK_STATE_DIR } : agent;
  const built = createAgent(spec, { resourceId: placement.id?.value ?? SPEC_CHECK_ID });
  if (built.ok) return { agent };
  for (const issue of built.issues) {
    const { code, at, path } = place(issue, placement);
    reader.sink.error(code, at, path, issue.message);
  }
  return {};
}

function place(issue: AgentIssue, where: Placement): { code: ConfigIssueCode; at: Site; path: string } {
  const field = (name: string): string => `${where.path}.${name}`;
  const param = /^params\.(.+)$/.exec(issue.path)?.[1];
  if (param !== undefined) return { code: 'TND_E_CONFIG_RESOURCE_PARAM', at: where.paramKeys[param] ?? where.agentAt, path: field(`params.${param}`) };
  const arg = /^args\[(\d+)\]$/.exec(issue.path)?.[1];
  if (arg !== undefined) return { code: 'TND_E_CONFIG_RESOURCE_PARAM', at: where.args[Number(arg)] ?? where.agentAt, path: field(`args[${arg}]`) };
  switch (issue.path) {
    case 'id':
      return { code: 'TND_E_CONFIG_NAME', at: where.id?.at ?? where.at, path: field('id') };
    case 'command':
      return { code: 'TND_E_CONFIG_RESOURCE_PARAM', at: where.commandAt ?? where.at, path: field('command') };
    case 'health':
      return { code: 'TND_E_CONFIG_RESOURCE_PARAM', at: where.healthAt ?? where.at, path: field('health') };
    case 'stopSignal':
      return { code: 'TND_E_CONFIG_SIGNAL', at: where.signalAt ?? where.at, path: field('stop_signal') };
    default:
      // provider, type, name, unit, script: the parts of `agent:`.
      return { code: 'TND_E_CONFIG_RESOURCE_AGENT', at: where.agentAt, path: field('agent') };
  }
}

type Timings = NonNullable<ResourceDraft['timings']>;

/** `start: { timeout }`, `stop: { timeout }`, `monitor: { interval, timeout }`; absent keys take the defaults. */
function readTimings(reader: Reader, map: Map<string, Entry>, label: string): Timings | undefined {
  let ok = true;
  const operation = (key: 'start' | 'stop' | 'monitor', known: readonly string[]): Map<string, Entry> => {
    const entry = map.get(key);
    if (entry?.value === undefined) return new Map();
    const fields = reader.mapping(entry.value, entry.path, known, `the ${key} operation of ${label}`);
    if (fields === undefined) ok = false;
    return fields ?? new Map();
  };
  const duration = (fields: Map<string, Entry>, key: string, fallback: number, allowZero = false): Located<number> | number => {
    const entry = fields.get(key);
    if (entry === undefined) return fallback;
    const value = reader.duration(entry, entry.path.split('.').slice(-2).join('.'), { allowZero });
    if (value === undefined) ok = false;
    return value ?? fallback;
  };
  const ms = (value: Located<number> | number): number => (typeof value === 'number' ? value : value.value);

  const start = operation('start', ['timeout']);
  const stop = operation('stop', ['timeout']);
  const monitor = operation('monitor', ['interval', 'timeout']);
  const startTimeout = duration(start, 'timeout', DEFAULT_RESOURCE_TIMINGS.startTimeoutMs);
  const stopTimeout = duration(stop, 'timeout', DEFAULT_RESOURCE_TIMINGS.stopTimeoutMs);
  const interval = duration(monitor, 'interval', DEFAULT_RESOURCE_TIMINGS.monitorIntervalMs, true);
  const monitorTimeout = duration(monitor, 'timeout', DEFAULT_RESOURCE_TIMINGS.monitorTimeoutMs);
  if (typeof interval !== 'number' && interval.value > 0 && interval.value < MONITOR_INTERVAL_MS_LOW) {
    reader.sink.warning('TND_W_CONFIG_MONITOR_FREQUENT', interval.at, interval.path, `the monitor of ${label} runs every ${interval.value}ms: more than once a second loads the node for little gain (1s or more is advised; 0s turns the recurring monitor off)`);
  }
  if (!ok) return undefined;
  return { startTimeoutMs: ms(startTimeout), stopTimeoutMs: ms(stopTimeout), monitorIntervalMs: ms(interval), monitorTimeoutMs: ms(monitorTimeout) };
}
