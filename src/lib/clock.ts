/**
 * Time sources. Monotonic time drives every timeout; wall time is for logs and display only.
 * Only the daemon's composition root builds a real clock; the core sees only the `now` in its inputs.
 */
import type { Instant } from '../core/types.js';

export interface Clock {
  monotonicNow(): Instant;
  wallNow(): number;
}

export const systemClock = (): Clock => {
  const origin = performance.timeOrigin;
  return {
    // performance.now() is monotonic; adding timeOrigin keeps values readable and unique across restarts.
    monotonicNow: () => (performance.now() + origin) as Instant,
    wallNow: () => Date.now(),
  };
};
