/**
 * Durations with units, as written in configs: `200ms`, `2s`, `1.5s`, `1m`.
 * A bare number is rejected by the tandem format (ambiguous); heartbeat's ha.cf reader decides its own default unit.
 */
const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

export type DurationParse = { ok: true; ms: number } | { ok: false; message: string };

export function parseDuration(text: string): DurationParse {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)\s*$/.exec(text);
  if (!match) return { ok: false, message: `"${text}" is not a duration (write it with a unit: 200ms, 2s, 1m)` };
  const ms = Number(match[1]) * (UNIT_MS[match[2] as string] as number);
  if (!Number.isFinite(ms)) return { ok: false, message: `"${text}" is too large` };
  return { ok: true, ms: Math.round(ms) };
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms % 1000 === 0 ? 0 : 1)}s`;
  const minutes = Math.floor(ms / 60_000);
  if (minutes < 60) return `${minutes}m${Math.floor((ms % 60_000) / 1000)}s`;
  return `${Math.floor(minutes / 60)}h${minutes % 60}m`;
}
