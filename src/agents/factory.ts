/**
 * Builds the agent for a resource from its spec (what the config layer produces) and the node's agent settings.
 *
 * Invariants:
 *   1. Returns either a ready agent or every issue found in the spec; never throws for a bad spec.
 *   2. Runs nothing and touches no file: checks that need the agent itself (meta-data parameter validation, whether
 *      a script exists) happen later, at run time or through `OcfAgent.metaData` + `validateOcfParameters`.
 *      (The built-in `ipaddr` agent opens its raw socket when built, off the failover path; see ipaddr.ts.)
 *   3. Issue paths are relative to the spec (`params.ip`, `command`, `unit`), for the config layer to prefix.
 *   4. `agentForResource` covers every `ResourceAgentConfig` kind, so a config that parsed always maps to an agent.
 */
import type { ResourceConfig } from '../config/model.js';
import type { Built } from './codes.js';
import { buildExecAgent, isSignalName } from './exec-agent.js';
import { filesystemAgent, validateFilesystemParams, type FilesystemDeps, type FilesystemParams } from './filesystem.js';
import { buildHeartbeatScriptAgent } from './heartbeat-script.js';
import { ipAddrAgent, validateIpAddrParams, type IpAddrDeps, type IpAddrParams } from './ipaddr.js';
import { buildLsbAgent } from './lsb.js';
import { buildOcfAgent } from './ocf.js';
import type { ProcessRunner } from './process-runner.js';
import { buildSystemdAgent } from './systemd.js';
import type { ResourceAgent } from './types.js';
import { assertNever } from '../lib/assert.js';

export type AgentSpec =
  | { readonly kind: 'ocf'; readonly provider: string; readonly type: string; readonly params: Readonly<Record<string, string>> }
  | { readonly kind: 'lsb'; readonly name: string }
  | { readonly kind: 'heartbeat'; readonly script: string; readonly args: readonly string[] }
  | {
      readonly kind: 'exec';
      readonly command: readonly string[];
      readonly health?: readonly string[];
      /** A signal name such as SIGTERM or SIGINT; SIGTERM when absent. */
      readonly stopSignal?: string;
      readonly stateDir: string;
    }
  | { readonly kind: 'systemd'; readonly unit: string };

export interface AgentFactoryOptions {
  /** The resource's id: OCF_RESOURCE_INSTANCE, and the exec agent's pid/log file names. */
  readonly resourceId: string;
  /** This node's name (OCF_RESKEY_CRM_meta_on_node, HA_CURHOST). */
  readonly nodeName?: string;
  readonly ocfRoot?: string;
  readonly rscTmpDir?: string;
  readonly lsbInitDir?: string;
  readonly heartbeatDirs?: readonly string[];
  readonly systemctl?: string;
  readonly runner?: ProcessRunner;
  /** Extra environment variables for OCF, LSB, heartbeat and exec programs (not for systemctl). */
  readonly env?: Readonly<Record<string, string>>;
}

export function createAgent(spec: AgentSpec, options: AgentFactoryOptions): Built<ResourceAgent> {
  const common = {
    ...(options.runner === undefined ? {} : { runner: options.runner }),
  };
  const env = options.env === undefined ? {} : { env: options.env };
  const node = options.nodeName === undefined ? {} : { nodeName: options.nodeName };
  switch (spec.kind) {
    case 'ocf':
      return buildOcfAgent({
        resourceId: options.resourceId,
        provider: spec.provider,
        type: spec.type,
        params: spec.params,
        ...(options.ocfRoot === undefined ? {} : { ocfRoot: options.ocfRoot }),
        ...(options.rscTmpDir === undefined ? {} : { rscTmpDir: options.rscTmpDir }),
        ...node,
        ...env,
        ...common,
      });
    case 'lsb':
      return buildLsbAgent({ name: spec.name, ...(options.lsbInitDir === undefined ? {} : { initDir: options.lsbInitDir }), ...env, ...common });
    case 'heartbeat':
      return buildHeartbeatScriptAgent({
        script: spec.script,
        args: spec.args,
        ...(options.heartbeatDirs === undefined ? {} : { dirs: options.heartbeatDirs }),
        ...node,
        ...env,
        ...common,
      });
    case 'exec': {
      const stopSignal = spec.stopSignal;
      if (stopSignal !== undefined && !isSignalName(stopSignal)) {
        return { ok: false, issues: [{ code: 'TND_E_AGENT_SPEC', path: 'stopSignal', message: `Cannot use ${JSON.stringify(stopSignal)} as stop signal as it is not a signal name such as SIGTERM` }] };
      }
      return buildExecAgent({
        resourceId: options.resourceId,
        command: spec.command,
        stateDir: spec.stateDir,
        ...(spec.health === undefined ? {} : { health: spec.health }),
        ...(stopSignal === undefined ? {} : { stopSignal }),
        ...env,
        ...common,
      });
    }
    case 'systemd':
      return buildSystemdAgent({ unit: spec.unit, ...(options.systemctl === undefined ? {} : { systemctl: options.systemctl }), ...common });
    default:
      return assertNever(spec, 'agent spec kind');
  }
}

/** The node's settings for `agentForResource`: the resource id comes from the resource itself. */
export type ResourceAgentOptions = Omit<AgentFactoryOptions, 'resourceId'> & {
  readonly ipaddrDeps?: IpAddrDeps;
  readonly filesystemDeps?: FilesystemDeps;
  /** Absolute directory where exec resources keep their pid and log files. */
  readonly execStateDir: string;
};

/** The agent that runs a configured resource (invariant 4); its id is OCF_RESOURCE_INSTANCE and the exec file name. */
export function agentForResource(resource: ResourceConfig, options: ResourceAgentOptions): Built<ResourceAgent> {
  const { ipaddrDeps, filesystemDeps, execStateDir, ...rest } = options;
  const factory: AgentFactoryOptions = { ...rest, resourceId: resource.id };
  const agent = resource.agent;
  switch (agent.kind) {
    case 'ipaddr': {
      const params = { address: agent.address, prefix: agent.prefix, interface: agent.interface, announceCount: agent.announceCount, announceIntervalMs: agent.announceIntervalMs } satisfies IpAddrParams;
      // Checked here too (the agent checks again on every run), so a bad config never reaches a start as rc 6.
      const checked = validateIpAddrParams(params);
      return checked.ok ? { ok: true, value: ipAddrAgent(params, ipaddrDeps) } : { ok: false, issues: [{ code: 'TND_E_AGENT_SPEC', path: 'params', message: checked.message }] };
    }
    case 'filesystem': {
      const params = { device: agent.device, directory: agent.directory, fstype: agent.fstype, options: agent.options } satisfies FilesystemParams;
      const checked = validateFilesystemParams(params);
      return checked.ok ? { ok: true, value: filesystemAgent(params, filesystemDeps) } : { ok: false, issues: [{ code: 'TND_E_AGENT_SPEC', path: 'params', message: checked.message }] };
    }
    case 'ocf':
    case 'lsb':
    case 'systemd':
    case 'heartbeat':
      return createAgent(agent, factory);
    case 'exec':
      return createAgent({ ...agent, stateDir: execStateDir }, factory);
    default:
      return assertNever(agent, 'resource agent kind');
  }
}
