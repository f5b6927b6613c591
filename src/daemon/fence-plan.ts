/**
 * A node's fencing plan (levels of devices, action, timeout, retries) from the config's `fencing:` section, in the
 * shape the fencer (src/fencing/fencer.ts) runs.
 */
import type { ClusterConfig } from '../config/model.js';
import type { FenceDevice } from '../fencing/fence-agent.js';
import type { FencePlan } from '../fencing/fencer.js';

/** Undefined when no fencing is configured or no level covers the node. */
export function fencePlanFor(config: ClusterConfig, node: string): FencePlan | undefined {
  const fencing = config.fencing;
  if (fencing === undefined) return undefined;
  const devices = new Map(fencing.devices.map((device) => [device.name, device]));
  const configured = fencing.levels[node];
  const levels = configured ?? fencing.devices.filter((device) => device.nodes.includes(node as never)).map((device) => [device.name]);
  const resolved = levels
    .map((level) =>
      level.flatMap((name): FenceDevice[] => {
        const device = devices.get(name);
        return device === undefined ? [] : [{ name: device.name, agent: device.agent, params: device.params, hostMap: device.hostMap }];
      }),
    )
    .filter((level) => level.length > 0);
  if (resolved.length === 0) return undefined;
  return { levels: resolved, action: fencing.action, timeoutMs: fencing.timeoutMs, retries: fencing.retries };
}
