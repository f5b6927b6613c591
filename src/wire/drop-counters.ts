/**
 * Drop counters: how many received packets were refused, by reason (keepalived's `vrrp_stats`), for the API.
 *
 * Invariants:
 *   1. Every `DropReason` is always present in a snapshot, with 0 until recorded.
 *   2. A snapshot is a copy: later records do not change it.
 */
import { DROP_REASONS, type DropReason } from './codec.js';

export class DropCounters {
  private readonly counts: Record<DropReason, number> = emptyCounts();

  record(reason: DropReason): void {
    this.counts[reason] += 1;
  }

  snapshot(): Record<DropReason, number> {
    return { ...this.counts };
  }

  total(): number {
    let sum = 0;
    for (const reason of DROP_REASONS) sum += this.counts[reason];
    return sum;
  }
}

function emptyCounts(): Record<DropReason, number> {
  const counts = {} as Record<DropReason, number>;
  for (const reason of DROP_REASONS) counts[reason] = 0;
  return counts;
}
