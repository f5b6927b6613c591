/**
 * `npm run bench [-- SECTION ...]`: prints every figure the issues ask for, as min / median / max where
 * repeated. Sections: codec, detection, idle, loss (the 10-minute false-failover run). Default: all.
 * Lab sections need root (network namespaces). Figures are reports, never pass/fail thresholds.
 */
import { runCodecBench } from './codec-bench.js';
import { detectionTime, falseFailovers, idleCost, type Timings } from './lab-bench.js';
import { DEFAULT_TIMINGS } from '../src/config/model.js';
import { formatDuration } from '../src/lib/duration.js';

const FAST: Timings = { keepalive: '100ms', warntime: '300ms', deadtime: '500ms', initdead: '2s' };
const DEFAULTS: Timings = {
  keepalive: formatDuration(DEFAULT_TIMINGS.keepaliveMs),
  warntime: formatDuration(DEFAULT_TIMINGS.warntimeMs),
  deadtime: formatDuration(DEFAULT_TIMINGS.deadtimeMs),
  initdead: formatDuration(DEFAULT_TIMINGS.initdeadMs),
};

const sections = process.argv.slice(2).filter((arg) => !arg.startsWith('-'));
const wanted = (name: string): boolean => sections.length === 0 || sections.includes(name);
const runs = Number(process.env.BENCH_RUNS ?? 20);
const lossMinutes = Number(process.env.BENCH_LOSS_MINUTES ?? 10);

function line(label: string, value: unknown): void {
  process.stdout.write(`${label.padEnd(58)} ${typeof value === 'string' ? value : JSON.stringify(value)}\n`);
}

async function main(): Promise<void> {
  if (wanted('codec')) {
    const codec = runCodecBench({ durationMs: 2000 });
    line('codec: heartbeat encode + HMAC-SHA256 (msg/s)', Math.round(codec.encodePerSec));
    line('codec: full decode + verify (msg/s)', Math.round(codec.decodePerSec));
  }
  if (wanted('detection')) {
    line(`detection, keepalive 100ms / deadtime 500ms (${runs} kills)`, await detectionTime(FAST, runs));
    line(`detection, defaults ${DEFAULTS.keepalive} / ${DEFAULTS.deadtime} (${runs} kills)`, await detectionTime(DEFAULTS, runs));
  }
  if (wanted('idle')) {
    const idle = await idleCost(60);
    line('idle tandemd, 3 peers, keepalive 200ms, 60 s: CPU % of one core', idle.cpuPercent.toFixed(3));
    line('idle tandemd: RSS (MB)', idle.rssMb.toFixed(1));
  }
  if (wanted('loss')) {
    const seconds = Math.round(lossMinutes * 60);
    line(`defaults, 2% loss on lan, both CPUs busy, ${seconds} s`, await falseFailovers(DEFAULTS, { lossPercent: 2, lossyLinks: [0], seconds }));
    line(`defaults, 2% loss on both links, both CPUs busy, ${seconds} s`, await falseFailovers(DEFAULTS, { lossPercent: 2, lossyLinks: [0, 1], seconds }));
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
