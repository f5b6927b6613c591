/**
 * Runs one built-in agent operation inside a lab node and prints one JSON line: the result, the timing of
 * the last start, and `startCallNs` (CLOCK_MONOTONIC, comparable with the capture's frame times).
 *
 *   node agent-cli.js ipaddr start|stop|monitor '<params JSON>' [--no-addon | --ip]
 *   node agent-cli.js announce '<{"address","iface","count"}>' [--no-addon]
 *
 * `--no-addon` makes the agent behave as if the netraw addon were missing (`ip` for the address, arping
 * fallback for the announcement), to measure it; `--ip` keeps the addon for the announcement but adds and
 * removes the address with `ip` rather than netlink (`addressMethod: 'ip'`), the behaviour before netlink.
 * For start, it waits for the background announcements before exiting: the process's end would kill them.
 */
import { announce, ipAddrAgent } from '../../src/agents/ipaddr.js';
import type { AgentAction } from '../../src/agents/types.js';
import type { NetrawLoad } from '../../src/platform/netraw.js';

const [kind, ...rest] = process.argv.slice(2);
const noAddon = rest.includes('--no-addon');
const byIp = rest.includes('--ip');
const args = rest.filter((arg) => arg !== '--no-addon' && arg !== '--ip');
const netraw: NetrawLoad | undefined = noAddon ? { ok: false, reason: 'disabled with --no-addon' } : undefined;
/** The agents' clock is CLOCK_MONOTONIC in ms, the capture's clock, so their instants compare. */
const now = (): number => Number(process.hrtime.bigint()) / 1e6;
const deps = { now, ...(netraw ? { netraw } : {}), ...(byIp ? { addressMethod: 'ip' as const } : {}) };

if (kind === 'ipaddr') {
  const [action, json] = args as [AgentAction, string];
  const agent = ipAddrAgent(JSON.parse(json) as Record<string, unknown>, deps);
  const startCallNs = process.hrtime.bigint();
  const result = await agent.run(action, { timeoutMs: 10_000 });
  const done = await agent.announcementsDone();
  console.log(JSON.stringify({ result, lastStart: agent.lastStart, done, startCallNs: String(startCallNs) }));
} else if (kind === 'announce') {
  const { address, iface, count } = JSON.parse(args[0] ?? '{}') as { address: string; iface: string; count: number };
  const startCallNs = process.hrtime.bigint();
  const done = await announce(address, iface, count, { deps });
  console.log(JSON.stringify({ done, startCallNs: String(startCallNs) }));
} else {
  console.error(`usage: agent-cli.js ipaddr ACTION PARAMS | announce PARAMS`);
  process.exit(2);
}
