/**
 * Config checks that need the agents themselves, for `tandem config check` and daemon start: every resource's agent
 * is installed, and an OCF resource's parameters are the ones its agent's meta-data declares; likewise every fence
 * device's agent (its `metadata` action, as the fence-agents family answers it).
 *
 * Unlike the parser, this reads the file system and runs programs (`AGENT meta-data`), so it is a separate step that
 * callers ask for (`loadConfig(path, { checkAgents: true })`).
 *
 * Invariants:
 *   1. Never throws for an operating condition: a missing agent, a hung or crashing meta-data run, an unreadable
 *      directory are issues.
 *   2. An issue is placed where the resource wrote the field it is about (a parameter's key, the `agent:` value, the
 *      first word of `command`); without sites (a config from another front-end) it is a whole-file issue that still
 *      carries the field's path.
 *   3. Nothing is started, stopped or monitored: only `meta-data` is run, which OCF requires to be free of side
 *      effects. Each distinct OCF agent is asked once, however many resources use it.
 *   4. systemd units are not checked: whether a unit exists is up to the running systemd, not to files alone.
 */
import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import type { AgentIssueCode } from '../agents/codes.js';
import { findHeartbeatScript, HEARTBEAT_SCRIPT_DIRS_DEFAULT } from '../agents/heartbeat-script.js';
import { LSB_INIT_DIR_DEFAULT } from '../agents/lsb.js';
import { validateOcfParameters } from '../agents/ocf-metadata.js';
import { buildOcfAgent, OCF_METADATA_TIMEOUT_MS, OCF_ROOT_DEFAULT, type OcfMetadataResult } from '../agents/ocf.js';
import { AGENT_PATH_DEFAULT, type ProcessRunner } from '../agents/process-runner.js';
import type { ConfigIssueCode } from './codes.js';
import type { ClusterConfig, ConfigIssue, ResourceConfig } from './model.js';
import type { ResourceSites } from './tandem/resources.js';
import type { FenceDeviceSites } from './tandem/protection.js';
import { findFenceAgent, readFenceMetadata, validateFenceParameters, FENCE_AGENT_DIRS, FENCE_METADATA_TIMEOUT_MS, type FenceIssueCode } from '../fencing/fence-agent.js';
import type { Site } from './tandem/reader.js';

/** Where agents are looked up; each default is the one the agents themselves use, so check and run agree. */
export interface AgentCheckOptions {
  /** OCF_ROOT; default OCF_ROOT_DEFAULT (/usr/lib/ocf). */
  readonly ocfRoot?: string;
  /** Directory of LSB init scripts; default LSB_INIT_DIR_DEFAULT (/etc/init.d). */
  readonly lsbInitDir?: string;
  /** Search path of heartbeat scripts; default HEARTBEAT_SCRIPT_DIRS_DEFAULT (/etc/ha.d/resource.d, /etc/init.d, …). */
  readonly heartbeatDirs?: readonly string[];
  /** PATH in which a bare exec command is looked up; default the fixed PATH agents run with (AGENT_PATH_DEFAULT). */
  readonly path?: string;
  /** Timeout of one `meta-data` run; default OCF_METADATA_TIMEOUT_MS. */
  readonly metadataTimeoutMs?: number;
  /** Runs `meta-data` (tests); default the agents' process runner. */
  readonly runner?: ProcessRunner;
  /** Where bare fence agent names are looked up; default FENCE_AGENT_DIRS (the sbin directories). */
  readonly fenceDirs?: readonly string[];
}

const WHOLE_FILE: Site = { line: 0, column: 0 };
const ABSENT = 'does not exist';

/** Agent-layer meta-data codes → config codes. Keys unquoted: the codes test reads quoted codes as config codes. */
const PARAM_CODES: Partial<Record<AgentIssueCode, ConfigIssueCode>> = {
  TND_E_AGENT_PARAM_MISSING: 'TND_E_CONFIG_AGENT_PARAM_MISSING',
  TND_E_AGENT_PARAM_UNKNOWN: 'TND_E_CONFIG_AGENT_PARAM_UNKNOWN',
};

/**
 * Every agent issue of `config`, in reading order. `sites` comes from `readTandemConfig` (`resources`).
 *
 * @example
 * const read = readTandemConfig(text, file);
 * if (read.config) issues.push(...(await checkAgents(read.config, file, read.resources)));
 */
export async function checkAgents(config: ClusterConfig, file: string, sites?: ReadonlyMap<string, ResourceSites>, options: AgentCheckOptions = {}): Promise<ConfigIssue[]> {
  const metadata: MetadataCache = new Map();
  const checks = config.groups.flatMap((group, g) =>
    group.resources.map((resource, r) => checkResource(resource, new Placer(file, sites?.get(resource.id), `groups[${g}].resources[${r}]`), options, metadata)),
  );
  const issues = (await Promise.all(checks)).flat();
  return issues.sort((a, b) => a.line - b.line || a.column - b.column);
}

/** Fence-layer codes → config codes (a warning stays a warning). */
const FENCE_CODES: Record<FenceIssueCode, ConfigIssueCode> = {
  TND_E_FENCE_METADATA: 'TND_E_CONFIG_AGENT_METADATA',
  TND_E_FENCE_PARAM_MISSING: 'TND_E_CONFIG_AGENT_PARAM_MISSING',
  TND_E_FENCE_PARAM_RESERVED: 'TND_E_CONFIG_FENCE_PARAM',
  TND_E_FENCE_PARAM_LINE: 'TND_E_CONFIG_FENCE_PARAM',
  TND_W_FENCE_PARAM_UNKNOWN: 'TND_W_CONFIG_FENCE_PARAM_UNKNOWN',
  TND_W_FENCE_PARAM_DEPRECATED: 'TND_W_CONFIG_FENCE_PARAM_UNKNOWN',
};

/**
 * Every fence device's agent is installed and answers `metadata`, and the device's parameters are the ones that
 * meta-data declares (a required one missing is an error, an unknown one a warning). `sites` comes from
 * `readTandemConfig` (`fenceDevices`). Each distinct agent is asked once.
 */
export async function checkFenceAgents(
  config: ClusterConfig,
  file: string,
  sites?: ReadonlyMap<string, FenceDeviceSites>,
  options: AgentCheckOptions = {},
): Promise<ConfigIssue[]> {
  const answers = new Map<string, ReturnType<typeof readFenceMetadata>>();
  const checks = (config.fencing?.devices ?? []).map(async (device, index): Promise<ConfigIssue[]> => {
    const site = sites?.get(device.name);
    const path = site?.path ?? `fencing.devices[${index}]`;
    const place = (severity: 'error' | 'warning', code: ConfigIssueCode, at: Site | undefined, field: string, message: string): ConfigIssue => {
      const where = at ?? site?.at ?? WHOLE_FILE;
      return { severity, code, file, line: where.line, column: where.column, path: `${path}.${field}`, message };
    };
    const label = `fence device '${device.name}'`;
    const program = findFenceAgent(device.agent, options.fenceDirs ?? FENCE_AGENT_DIRS);
    if (program === undefined) {
      const where = device.agent.startsWith('/') ? device.agent : `${(options.fenceDirs ?? FENCE_AGENT_DIRS).join(', ')}`;
      return [place('error', 'TND_E_CONFIG_AGENT_MISSING', site?.agent, 'agent', `the agent of ${label}, ${device.agent}, cannot run: no executable ${device.agent.startsWith('/') ? 'file' : device.agent} in ${where} (is fence-agents, or the package that provides it, installed?)`)];
    }
    let answer = answers.get(program);
    if (answer === undefined) {
      answer = readFenceMetadata(program, options.metadataTimeoutMs ?? FENCE_METADATA_TIMEOUT_MS, options.runner);
      answers.set(program, answer);
    }
    const result = await answer;
    if (!result.ok) return [place('error', 'TND_E_CONFIG_AGENT_METADATA', site?.agent, 'agent', `${label}: ${result.issue.message}`)];
    return validateFenceParameters(result.metadata, device.params).map((found) => {
      const name = found.path.replace(/^params\./, '');
      return place(found.severity, FENCE_CODES[found.code], site?.paramKeys[name] ?? site?.agent, found.path, `${label}: ${found.message}`);
    });
  });
  const issues = (await Promise.all(checks)).flat();
  return issues.sort((a, b) => a.line - b.line || a.column - b.column);
}

/** Turns a finding about one field of a resource into a positioned issue (invariant 2). */
class Placer {
  readonly path: string;

  constructor(
    private readonly file: string,
    readonly sites: ResourceSites | undefined,
    fallbackPath: string,
  ) {
    this.path = sites?.path ?? fallbackPath;
  }

  issue(code: ConfigIssueCode, at: Site | undefined, field: string, message: string): ConfigIssue {
    const site = at ?? this.sites?.at ?? WHOLE_FILE;
    return { severity: 'error', code, file: this.file, line: site.line, column: site.column, path: `${this.path}.${field}`, message };
  }
}

type MetadataCache = Map<string, Promise<OcfMetadataResult | { readonly ok: false; readonly message: string }>>;

async function checkResource(resource: ResourceConfig, place: Placer, options: AgentCheckOptions, cache: MetadataCache): Promise<ConfigIssue[]> {
  const agent = resource.agent;
  const label = `resource '${resource.id}'`;
  const agentAt = place.sites?.agent;
  switch (agent.kind) {
    case 'ocf': {
      const describe = `ocf:${agent.provider}:${agent.type}`;
      const root = options.ocfRoot ?? OCF_ROOT_DEFAULT;
      const path = join(root, 'resource.d', agent.provider, agent.type);
      const problem = await executableProblem(path);
      if (problem !== undefined) {
        const hint = problem === ABSENT ? ' (is the package that provides it, such as resource-agents, installed?)' : '';
        return [place.issue('TND_E_CONFIG_AGENT_MISSING', agentAt, 'agent', `the agent of ${label}, ${describe}, cannot run: ${path} ${problem}${hint}`)];
      }
      let answer = cache.get(path);
      if (answer === undefined) {
        answer = readMetadata(resource.id, agent.provider, agent.type, options);
        cache.set(path, answer);
      }
      const result = await answer;
      if (!result.ok) {
        const message = 'issue' in result ? result.issue.message : result.message;
        return [place.issue('TND_E_CONFIG_AGENT_METADATA', agentAt, 'agent', `${label}: ${message}`)];
      }
      return validateOcfParameters(result.metadata, agent.params).map((found) => {
        const name = found.path.replace(/^params\./, '');
        const code = PARAM_CODES[found.code] ?? 'TND_E_CONFIG_AGENT_METADATA';
        const at = place.sites === undefined ? undefined : (place.sites.paramKeys[name] ?? place.sites.params ?? place.sites.agent);
        return place.issue(code, at, `params.${name}`, `${label}: ${found.message}`);
      });
    }
    case 'lsb': {
      const path = join(options.lsbInitDir ?? LSB_INIT_DIR_DEFAULT, agent.name);
      const problem = await executableProblem(path);
      return problem === undefined ? [] : [place.issue('TND_E_CONFIG_AGENT_MISSING', agentAt, 'agent', `the init script of ${label} cannot run: ${path} ${problem}`)];
    }
    case 'heartbeat': {
      const dirs = options.heartbeatDirs ?? HEARTBEAT_SCRIPT_DIRS_DEFAULT;
      let found: string | undefined;
      try {
        found = await findHeartbeatScript(agent.script, dirs);
      } catch (error) {
        return [place.issue('TND_E_CONFIG_AGENT_MISSING', agentAt, 'agent', `cannot look up the script of ${label}, ${agent.script}: ${describeError(error)}`)];
      }
      return found !== undefined ? [] : [place.issue('TND_E_CONFIG_AGENT_MISSING', agentAt, 'agent', `the script of ${label} cannot run: no executable ${agent.script} in ${dirs.join(', ')}`)];
    }
    case 'exec': {
      const searchPath = options.path ?? AGENT_PATH_DEFAULT;
      const words: Array<['command' | 'health', string | undefined]> = [['command', agent.command[0]], ['health', agent.health?.[0]]];
      const issues: ConfigIssue[] = [];
      for (const [field, program] of words) {
        if (program === undefined) continue;
        const problem = await programProblem(program, searchPath);
        if (problem !== undefined) issues.push(place.issue('TND_E_CONFIG_AGENT_MISSING', place.sites?.[field], field, `the ${field} of ${label} cannot run: ${problem}`));
      }
      return issues;
    }
    case 'systemd':
    case 'ipaddr':
    case 'filesystem':
      return [];
  }
}

async function readMetadata(resourceId: string, provider: string, type: string, options: AgentCheckOptions): Promise<OcfMetadataResult | { readonly ok: false; readonly message: string }> {
  // Parameters do not go in: meta-data describes the agent, not one resource, and the answer is shared.
  const built = buildOcfAgent({
    resourceId,
    provider,
    type,
    params: {},
    ...(options.ocfRoot === undefined ? {} : { ocfRoot: options.ocfRoot }),
    ...(options.runner === undefined ? {} : { runner: options.runner }),
  });
  if (!built.ok) return { ok: false, message: built.issues.map((issue) => issue.message).join('; ') };
  try {
    return await built.value.metaData(options.metadataTimeoutMs ?? OCF_METADATA_TIMEOUT_MS);
  } catch (error) {
    return { ok: false, message: `Cannot read the meta-data of ocf:${provider}:${type} as ${describeError(error)}` };
  }
}

/** Why `program` (an exec command's first word) cannot run, or undefined: absolute, or a bare name found in PATH. */
async function programProblem(program: string, searchPath: string): Promise<string | undefined> {
  if (isAbsolute(program)) {
    const problem = await executableProblem(program);
    return problem === undefined ? undefined : `${program} ${problem}`;
  }
  if (program.includes('/')) return `${JSON.stringify(program)} is a relative path: write an absolute path, or a bare name found in PATH`;
  const dirs = searchPath.split(':').filter((dir) => isAbsolute(dir));
  for (const dir of dirs) {
    if ((await executableProblem(join(dir, program))) === undefined) return undefined;
  }
  return `no executable ${program} in PATH (${dirs.join(':')}); agents run with this PATH, so write an absolute path if it is elsewhere`;
}

/** Why `path` cannot be executed, or undefined when it is an executable regular file. */
async function executableProblem(path: string): Promise<string | undefined> {
  try {
    const info = await stat(path);
    if (!info.isFile()) return 'is not a regular file';
    await access(path, constants.X_OK);
    return undefined;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return ABSENT;
    if (code === 'EACCES') return 'is not executable (or a directory on the way is not searchable)';
    return `cannot be examined: ${describeError(error)}`;
  }
}

function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
