/**
 * Turns the driver's live views into the status report served by the API.
 */
import type { GroupStatus, StatusReport } from '../api/status-report.js';
import type { GroupView } from '../core/group-types.js';
import { configDigest } from '../config/digest.js';
import type { ClusterConfig } from '../config/model.js';
import { linkName } from '../core/types.js';
import type { Clock } from '../lib/clock.js';
import type { Driver } from './driver.js';

export const STATUS_EVENTS_MAX = 15;

export interface StatusContext {
  readonly driver: Driver;
  readonly clock: Clock;
  readonly version: string;
  readonly configFile: string;
}

export function buildStatus({ driver, clock, version, configFile }: StatusContext): StatusReport {
  const now = clock.monotonicNow();
  const view = driver.membership();
  const config = driver.currentConfig;
  const endpoints = driver.transportDescriptions();
  const selfNode = config.nodes.find((node) => node.name === driver.self);
  const warnings: string[] = [];
  const nodes: StatusReport['nodes'][number][] = [];
  nodes.push({
    name: driver.self,
    self: true,
    state: 'up',
    since: new Date(driver.startedAtWallMs).toISOString(),
    reason: 'this node',
    generation: driver.generation,
    uptimeMs: clock.wallNow() - driver.startedAtWallMs,
    configMatches: true,
    links: Object.keys(selfNode?.links ?? {}).map((link) => {
      const endpoint = endpoints.get(linkName(link));
      return { name: link, state: endpoint ? 'up' : 'dead', lastHeardMsAgo: null, loss: 0, gapMeanMs: 0, gapMaxMs: 0, jitterWarning: false, ...(endpoint ? { endpoint } : {}) };
    }),
  });
  for (const peer of view.peers) {
    nodes.push({
      name: peer.name,
      self: false,
      state: peer.state,
      since: new Date(clock.wallNow() - (now - peer.since)).toISOString(),
      reason: peer.reason,
      generation: peer.generation ?? null,
      uptimeMs: peer.uptimeMs ?? null,
      configMatches: peer.configMatches ?? null,
      links: peer.links.map((link) => ({
        name: link.name,
        state: link.state,
        lastHeardMsAgo: link.lastHeardAt === undefined ? null : Math.max(0, Math.round(now - link.lastHeardAt)),
        loss: link.loss,
        gapMeanMs: Math.round(link.gapMeanMs),
        gapMaxMs: Math.round(link.gapMaxMs),
        jitterWarning: link.jitterWarning,
      })),
    });
    if (peer.configMatches === false) warnings.push(`${peer.name} runs a different cluster config (digests differ): run 'tandem config check' on both nodes and reload`);
    for (const link of peer.links) {
      if (link.jitterWarning) {
        warnings.push(`link ${link.name} to ${peer.name}: heartbeat gaps up to ${Math.round(link.gapMaxMs)} ms, close to deadtime ${config.timings.deadtimeMs} ms: a false failover is near (raise deadtime or fix the link)`);
      }
    }
  }
  const groupsView = driver.groups();
  const protection = driver.protection();
  for (const warning of protection.warnings) warnings.push(`split-brain protection: ${warning}`);
  if (protection.quorum.status !== 'quorate') warnings.push(`${protection.quorum.status === 'pending' ? 'quorum undecided' : 'NO QUORUM'} (policy ${protection.policy}): ${protection.quorum.reason}`);
  for (const failing of protection.fencing.failing) warnings.push(`FENCING OF ${failing.node} FAILS: ${failing.summary}; nothing it may hold starts elsewhere until it is fenced (retrying)`);
  const watchdog = driver.watchdogStatus;
  if (watchdog.configured && !watchdog.fed) warnings.push(`watchdog NOT fed: ${watchdog.detail}`);
  const groups = groupsView.groups.map((group) => {
    if (group.holders.length > 1) warnings.push(`SPLIT BRAIN: ${group.name} runs on ${group.holders.join(' and ')} at once; the less preferred stops it`);
    if (group.phase === 'unclean') warnings.push(`${group.name} is UNCLEAN here: a stop failed (see \`tandem why ${group.name}\`); no node starts it until \`tandem cleanup ${group.name}\``);
    if (group.blockedBy !== undefined) warnings.push(`${group.name} should run here but waits: ${group.blockedBy}`);
    if (group.target === undefined) warnings.push(`${group.name} can run nowhere: see \`tandem why ${group.name}\``);
    const spec = config.groups.find((candidate) => candidate.name === group.name);
    return {
      name: group.name,
      ...groupFacts(group),
      resources: group.resources.map((resource) => ({ ...resource, agent: driver.describeResource(resource.id) })),
      ...(spec !== undefined ? { nodes: spec.nodes.map(String), failback: spec.failback, migrationThreshold: spec.migrationThreshold } : {}),
    };
  });
  const pingSection = config.ping ?? config.origin?.pingNodes;
  const linkCounters = Object.fromEntries([...driver.linkCounters].map(([link, counters]) => [link, { ...counters }]));
  return {
    version,
    cluster: config.cluster,
    node: driver.self,
    generation: driver.generation,
    uptimeMs: clock.wallNow() - driver.startedAtWallMs,
    configDigest: configDigest(config),
    configFile,
    timings: config.timings,
    nodes,
    counters: { dropped: driver.drops.snapshot(), links: linkCounters },
    groups,
    quorum: {
      status: protection.quorum.status,
      votes: protection.quorum.votes,
      expected: protection.quorum.expected,
      needed: protection.quorum.needed,
      partition: protection.quorum.partition,
      reason: protection.quorum.reason,
      policy: protection.policy,
      guarantee: protection.guarantee,
      arbitrator: config.arbitrator ?? null,
      arbitratorVote: protection.arbitratorVote === undefined ? null : protection.arbitratorVote,
      pingScore: protection.pingScore ?? null,
      pingTargets: config.ping?.groups.length ?? null,
      watchdog,
      fencing: {
        configured: config.fencing !== undefined,
        inFlight: protection.fencing.inFlight,
        failing: protection.fencing.failing,
        history: protection.fencing.history.map((record) => ({ node: record.node, wallTime: new Date(clock.wallNow() - (now - record.at)).toISOString(), ok: record.ok, by: record.by, summary: record.summary })),
        fenced: protection.fencing.fenced,
      },
    },
    standby: groupsView.standby,
    warnings,
    nodeOrder: config.nodes.map((node) => node.name as string),
    links: config.links.map((link) => ({
      name: link.name,
      transport: link.transport,
      ...(link.transport.startsWith('udp') ? { port: link.port } : {}),
      heartbeatName: heartbeatLinkName(config, driver.self, link.name),
    })),
    ping: pingSection === undefined ? null : { intervalMs: pingSection.intervalMs, deadMs: pingSection.deadMs, tieBreaker: config.ping !== undefined, targets: driver.pingTargets },
    origin: config.origin === undefined ? null : { kind: config.origin.kind, dir: config.origin.dir, parameters: config.origin.parameters, autoFailback: config.origin.autoFailback },
    events: driver.events.recent(STATUS_EVENTS_MAX).map((event) => ({
      wallTime: event.wallTime,
      kind: event.kind,
      ...(event.node ? { node: event.node } : {}),
      ...(event.link ? { link: event.link } : {}),
      ...(event.group ? { group: event.group } : {}),
      reason: event.reason,
    })),
  };
}

/**
 * heartbeat names a link after its medium on the local host: the interface of a bcast/mcast/ucast line (eth1) or
 * the serial device (/dev/ttyS0); admins' scripts pass those names to `cl_status hblinkstatus`. A config read from
 * an /etc/ha.d keeps them in each node's endpoint (this node's first, as heartbeat's are local); tandem's own
 * YAML has link names of its own, which are what its users know.
 */
export function heartbeatLinkName(config: ClusterConfig, self: string, link: string): string {
  if (config.origin === undefined) return link;
  const endpoints = [config.nodes.find((node) => node.name === self), ...config.nodes].map((node) => node?.links[link]);
  for (const endpoint of endpoints) {
    const name = endpoint?.device ?? endpoint?.interface;
    if (name !== undefined) return name;
  }
  return link;
}

/** What status and `tandem why` both say of a group: its phase here, where it runs and why it waits. */
export function groupFacts(group: GroupView): Pick<GroupStatus, 'target' | 'holders' | 'pinnedTo' | 'blockedBy' | 'failCounts'> & { readonly phase: GroupView['phase'] } {
  return {
    phase: group.phase,
    target: group.target ?? null,
    holders: group.holders,
    pinnedTo: group.pinnedTo ?? null,
    blockedBy: group.blockedBy ?? null,
    failCounts: group.failCounts,
  };
}
