/**
 * Runs netlink address changes through the netraw addon inside a lab node (in that node's network namespace)
 * and prints one JSON line: per operation, what the addon returned or threw, and how long the call took.
 *
 *   node netlink-ops.js '[{"op":"add","iface":"eth0","address":"192.0.2.200","prefix":24}, ...]'
 *
 * `timeoutMs` per operation defaults to 1000. Also checks, before anything else, that the addon loads.
 */
import { loadNetraw } from '../../src/platform/netraw.js';

export interface NetlinkOp {
  op: 'add' | 'delete';
  iface: string;
  address: string;
  prefix: number;
  timeoutMs?: number;
}

export interface NetlinkOpResult {
  /** 'added' | 'exists' | 'deleted' | 'absent' when the call returned. */
  result?: string;
  /** The thrown error's code (errno name) and message when it threw. */
  code?: string;
  message?: string;
  /** Duration of the synchronous addon call. */
  us: number;
}

const load = loadNetraw();
if (!load.ok) {
  console.error(load.reason);
  process.exit(1);
}
const { netraw } = load;
const ops = JSON.parse(process.argv[2] ?? '[]') as NetlinkOp[];
const results: NetlinkOpResult[] = [];
for (const step of ops) {
  const started = process.hrtime.bigint();
  let outcome: Omit<NetlinkOpResult, 'us'>;
  try {
    const call = step.op === 'add' ? netraw.addressAdd : netraw.addressDelete;
    outcome = { result: call(step.iface, step.address, step.prefix, step.timeoutMs ?? 1000) };
  } catch (error) {
    const failure = error as Error & { code?: string };
    outcome = { code: failure.code, message: failure.message };
  }
  results.push({ ...outcome, us: Number(process.hrtime.bigint() - started) / 1e3 });
}
console.log(JSON.stringify(results));
