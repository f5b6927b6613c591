/**
 * The daemon's API: HTTP over a Unix socket that only the owner may open (mode 0600 in a 0700 directory).
 * Read-only views plus a reload request; the API never mutates the core directly.
 *
 *   GET  /v1/status                  the status report
 *   GET  /v1/events?count=N          recent events; &follow=1 streams them as JSON lines
 *   POST /v1/reload                  re-reads the config; 200 with the applied result, 422 with the issues
 *   POST /v1/commands                {kind: standby|move|cleanup|takeover, …}; 200 {ok, message}, 422 when refused
 *   GET  /v1/why?group=NAME          the group's story on this node; 404 for an unknown group
 */
import { chmodSync, existsSync, mkdirSync, unlinkSync } from 'node:fs';
import { createConnection } from 'node:net';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { dirname } from 'node:path';
import type { LoggedEvent } from '../obs/event-log.js';
import type { StatusReport } from './status-report.js';
import { parseOperatorRequest, type CommandResult, type OperatorRequest, type WhyReport } from '../daemon/commands.js';

export interface ReloadResult {
  readonly ok: boolean;
  readonly issues: readonly string[];
  readonly warnings: readonly string[];
  readonly summary: string;
}

export interface ApiHandlers {
  status(): StatusReport;
  recentEvents(count: number): readonly LoggedEvent[];
  subscribe(listener: (event: LoggedEvent) => void): () => void;
  reload(): Promise<ReloadResult>;
  command(request: OperatorRequest): CommandResult;
  why(group: string): WhyReport | CommandResult;
}

/** Operator commands are tiny JSON documents; anything larger is refused unread. */
const COMMAND_BODY_BYTES_MAX = 4096;

export class ApiError extends Error {
  override readonly name = 'ApiError';
  readonly code = 'TND_E_API';
}

/** A second daemon must not steal the socket of a running one; a stale file from a crash is removed. */
async function clearStaleSocket(path: string): Promise<void> {
  if (!existsSync(path)) return;
  const alive = await new Promise<boolean>((resolve) => {
    const probe = createConnection(path);
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
  if (alive) throw new ApiError(`Cannot listen on ${path}: another tandemd is running there`);
  unlinkSync(path);
}

export async function startApiServer(socketPath: string, handlers: ApiHandlers): Promise<Server> {
  mkdirSync(dirname(socketPath), { recursive: true, mode: 0o700 });
  await clearStaleSocket(socketPath);
  const server = createServer((request, response) => {
    route(request, response, handlers).catch((error: unknown) => {
      if (!response.headersSent) sendJson(response, 500, { error: (error as Error).message });
      else response.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    // The umask-independent way to make the socket owner-only is to chmod it right after bind.
    server.listen(socketPath, () => {
      server.off('error', reject);
      chmodSync(socketPath, 0o600);
      resolve();
    });
  });
  return server;
}

async function route(request: IncomingMessage, response: ServerResponse, handlers: ApiHandlers): Promise<void> {
  const url = new URL(request.url ?? '/', 'http://tandemd');
  if (request.method === 'GET' && url.pathname === '/v1/status') return sendJson(response, 200, handlers.status());
  if (request.method === 'GET' && url.pathname === '/v1/events') return streamEvents(url, response, handlers);
  if (request.method === 'POST' && url.pathname === '/v1/reload') {
    const result = await handlers.reload();
    return sendJson(response, result.ok ? 200 : 422, result);
  }
  if (request.method === 'POST' && url.pathname === '/v1/commands') {
    const body = await readBody(request);
    if (body === undefined) return sendJson(response, 413, { ok: false, message: `the request body exceeds ${COMMAND_BODY_BYTES_MAX} bytes` });
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch (error) {
      return sendJson(response, 400, { ok: false, message: `the request body is not JSON: ${(error as Error).message}` });
    }
    const operatorRequest = parseOperatorRequest(parsed);
    if (typeof operatorRequest === 'string') return sendJson(response, 400, { ok: false, message: operatorRequest });
    const result = handlers.command(operatorRequest);
    return sendJson(response, result.ok ? 200 : 422, result);
  }
  if (request.method === 'GET' && url.pathname === '/v1/why') {
    const result = handlers.why(url.searchParams.get('group') ?? '');
    return sendJson(response, 'ok' in result ? 404 : 200, result);
  }
  sendJson(response, 404, { error: `no such endpoint: ${request.method} ${url.pathname}` });
}

async function readBody(request: IncomingMessage): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let bytes = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    bytes += chunk.length;
    if (bytes > COMMAND_BODY_BYTES_MAX) return undefined;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function streamEvents(url: URL, response: ServerResponse, handlers: ApiHandlers): void {
  const count = Math.min(1000, Math.max(0, Number(url.searchParams.get('count') ?? 50) || 0));
  const recent = handlers.recentEvents(count);
  if (url.searchParams.get('follow') !== '1') return sendJson(response, 200, recent);
  response.writeHead(200, { 'content-type': 'application/x-ndjson' });
  for (const event of recent) response.write(JSON.stringify(event) + '\n');
  const unsubscribe = handlers.subscribe((event) => response.write(JSON.stringify(event) + '\n'));
  response.on('close', unsubscribe);
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  response.end(text);
}
