#!/usr/bin/env node
/**
 * The lab's HTTP client prober: run in a client namespace (`lab.spawn(client, [node, prober.js, …])`), it opens
 * a NEW TCP connection to TARGET:PORT every `--interval` ms, sends `GET PATH HTTP/1.0`, and gives each probe
 * `--timeout` ms. Probes overlap: a slow one never delays the next. One JSON line per probe on stdout:
 *
 *   {"seq":12,"sentAtWallMs":1700000000123,"ok":true,"node":"n2","body":"n2","latencyMs":1.4}
 *   {"seq":13,"sentAtWallMs":1700000000143,"ok":false,"error":"timeout","latencyMs":200}
 *
 * `node` is the `X-Node` response header (the harness's nginx sets it to the host name, which is the lab node's
 * name), else the first line of the body. Stops after `--max-ms` or `--max-count` probes, or on SIGTERM/SIGINT,
 * once the probes in flight have finished. Sends nothing anywhere but TARGET.
 *
 * Usage: prober.js --target ADDR [--port 80] [--path /] [--interval 20] [--timeout 200] [--max-ms 300000] [--max-count N]
 */
import { writeSync } from 'node:fs';
import { connect, isIP } from 'node:net';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';

export interface ProbeRecord {
  readonly seq: number;
  readonly sentAtWallMs: number;
  readonly ok: boolean;
  /** The answering node (X-Node header, else the first line of the body), when there was an HTTP answer. */
  readonly node?: string;
  /** The body, trimmed, at most BODY_KEPT characters. */
  readonly body?: string;
  /** `timeout`, an errno code such as `ECONNREFUSED`, or `http <status>`. */
  readonly error?: string;
  readonly latencyMs: number;
}

const BODY_KEPT = 200;

function positive(text: string | undefined, fallback: number, what: string): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`prober: --${what} must be a positive number, not ${JSON.stringify(text)}`);
  return value;
}

/** Parses a raw HTTP/1.x response (headers and body) into what a probe records. */
export function parseHttpResponse(raw: string): { status: number; node?: string; body: string } | undefined {
  const split = raw.indexOf('\r\n\r\n');
  const head = split < 0 ? raw : raw.slice(0, split);
  const body = split < 0 ? '' : raw.slice(split + 4);
  const [statusLine = '', ...headers] = head.split('\r\n');
  const match = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine);
  if (!match) return undefined;
  let node: string | undefined;
  for (const header of headers) {
    const colon = header.indexOf(':');
    if (colon > 0 && header.slice(0, colon).trim().toLowerCase() === 'x-node') node = header.slice(colon + 1).trim();
  }
  const trimmed = body.trim();
  node ??= trimmed.split('\n')[0]?.trim() || undefined;
  return { status: Number(match[1]), ...(node !== undefined ? { node } : {}), body: trimmed.slice(0, BODY_KEPT) };
}

function main(): void {
  const { values } = parseArgs({
    options: {
      target: { type: 'string' },
      port: { type: 'string' },
      path: { type: 'string' },
      interval: { type: 'string' },
      timeout: { type: 'string' },
      'max-ms': { type: 'string' },
      'max-count': { type: 'string' },
    },
    strict: true,
  });
  const target = values.target;
  if (target === undefined || isIP(target) === 0) throw new Error('prober: --target must be an IP address');
  const port = positive(values.port, 80, 'port');
  const path = values.path ?? '/';
  if (!path.startsWith('/') || /\s/.test(path)) throw new Error('prober: --path must start with / and hold no space');
  const intervalMs = positive(values.interval, 20, 'interval');
  const budgetMs = positive(values.timeout, 200, 'timeout');
  const maxMs = positive(values['max-ms'], 300_000, 'max-ms');
  const maxCount = positive(values['max-count'], Number.MAX_SAFE_INTEGER, 'max-count');
  const hostHeader = isIP(target) === 6 ? `[${target}]` : target;
  const request = `GET ${path} HTTP/1.0\r\nHost: ${hostHeader}\r\nUser-Agent: tandem-lab-prober\r\nConnection: close\r\n\r\n`;

  let seq = 0;
  let inFlight = 0;
  let stopping = false;
  const startedMs = performance.now();

  const write = (record: ProbeRecord): void => {
    writeSync(1, JSON.stringify(record) + '\n');
  };
  const maybeExit = (): void => {
    if (stopping && inFlight === 0) process.exit(0);
  };

  const probe = (): void => {
    const mySeq = ++seq;
    const sentAtWallMs = Date.now();
    const t0 = performance.now();
    inFlight += 1;
    let done = false;
    let raw = '';
    const socket = connect({ host: target, port });
    const finish = (result: { ok: boolean; node?: string; body?: string; error?: string }): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      inFlight -= 1;
      write({ seq: mySeq, sentAtWallMs, ...result, latencyMs: Math.round((performance.now() - t0) * 10) / 10 });
      maybeExit();
    };
    const timer = setTimeout(() => finish({ ok: false, error: 'timeout' }), budgetMs);
    socket.setNoDelay(true);
    socket.setEncoding('latin1');
    socket.on('connect', () => socket.write(request));
    socket.on('data', (chunk: string) => {
      raw += chunk;
    });
    socket.on('end', () => {
      const parsed = parseHttpResponse(raw);
      if (parsed === undefined) return finish({ ok: false, error: raw === '' ? 'empty answer' : 'not HTTP' });
      const answer = { ...(parsed.node !== undefined ? { node: parsed.node } : {}), body: parsed.body };
      finish(parsed.status === 200 ? { ok: true, ...answer } : { ok: false, ...answer, error: `http ${parsed.status}` });
    });
    socket.on('error', (error: NodeJS.ErrnoException) => finish({ ok: false, error: error.code ?? error.message }));
  };

  const stop = (): void => {
    stopping = true;
    clearInterval(ticker);
    maybeExit();
  };
  const ticker = setInterval(() => {
    if (seq >= maxCount || performance.now() - startedMs >= maxMs) return stop();
    probe();
  }, intervalMs);
  probe();
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

// Run only as a program, not when the harness imports parseHttpResponse.
if (process.argv[1] !== undefined && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  try {
    main();
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    process.exit(2);
  }
}
