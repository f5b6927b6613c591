/**
 * Bounded in-memory series of cluster events with wall-clock stamps, and live subscribers
 * (`tandem events --follow`). Old events fall off the front once the bound is reached.
 */
import type { ClusterEvent } from '../core/types.js';

export const EVENT_LOG_ENTRIES_MAX = 1000;

export interface LoggedEvent extends ClusterEvent {
  /** Wall-clock time of the event, for display. */
  readonly wallTime: string;
  /** Position in the series, so a follower can tell whether it missed some. */
  readonly index: number;
}

export class EventLog {
  private readonly entries: LoggedEvent[] = [];
  private readonly subscribers = new Set<(event: LoggedEvent) => void>();
  private nextIndex = 0;

  append(event: ClusterEvent, wallMs: number): LoggedEvent {
    const logged: LoggedEvent = { ...event, wallTime: new Date(wallMs).toISOString(), index: this.nextIndex++ };
    this.entries.push(logged);
    if (this.entries.length > EVENT_LOG_ENTRIES_MAX) this.entries.shift();
    for (const subscriber of this.subscribers) subscriber(logged);
    return logged;
  }

  recent(count: number): readonly LoggedEvent[] {
    return this.entries.slice(Math.max(0, this.entries.length - count));
  }

  subscribe(listener: (event: LoggedEvent) => void): () => void {
    this.subscribers.add(listener);
    return () => this.subscribers.delete(listener);
  }
}
