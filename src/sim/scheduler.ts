/**
 * Simulated time: a priority queue of events ordered by (time, insertion sequence).
 *
 * Time jumps straight to the next event; ties run in the order they were scheduled, so a run depends only on the
 * seed. A `maxEvents` guard turns a runaway loop (a core asking to be woken at the same instant forever) into a
 * reported failure instead of a hang.
 *
 * Invariants:
 *   1. `now` never decreases; an event scheduled in the past runs at `now`.
 *   2. Events with equal time run in insertion order.
 */
import { assert } from '../lib/assert.js';

interface Entry<T> {
  readonly at: number;
  readonly seq: number;
  readonly event: T;
}

export class Scheduler<T> {
  private readonly heap: Entry<T>[] = [];
  private seq = 0;
  private processed = 0;
  now = 0;

  constructor(private readonly maxEvents: number) {}

  get size(): number {
    return this.heap.length;
  }

  get eventsProcessed(): number {
    return this.processed;
  }

  schedule(at: number, event: T): void {
    this.push({ at: Math.max(at, this.now), seq: this.seq++, event });
  }

  /** The next event, advancing `now` to its time; undefined when the queue is empty or the next is after `until`. */
  next(until: number): T | undefined {
    const top = this.heap[0];
    if (top === undefined || top.at > until) return undefined;
    this.processed += 1;
    assert(this.processed <= this.maxEvents, `more than ${this.maxEvents} simulated events: a runaway loop`);
    const entry = this.pop();
    this.now = entry.at;
    return entry.event;
  }

  private push(entry: Entry<T>): void {
    const heap = this.heap;
    heap.push(entry);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(entry, heap[parent] as Entry<T>)) break;
      heap[i] = heap[parent] as Entry<T>;
      i = parent;
    }
    heap[i] = entry;
  }

  private pop(): Entry<T> {
    const heap = this.heap;
    const top = heap[0] as Entry<T>;
    const last = heap.pop() as Entry<T>;
    if (heap.length > 0) {
      let i = 0;
      for (;;) {
        const left = 2 * i + 1;
        if (left >= heap.length) break;
        const right = left + 1;
        const child = right < heap.length && before(heap[right] as Entry<T>, heap[left] as Entry<T>) ? right : left;
        if (!before(heap[child] as Entry<T>, last)) break;
        heap[i] = heap[child] as Entry<T>;
        i = child;
      }
      heap[i] = last;
    }
    return top;
  }
}

function before<T>(a: Entry<T>, b: Entry<T>): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}
