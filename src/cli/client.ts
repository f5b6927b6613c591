/**
 * Talks to a running tandemd over its Unix-socket HTTP API.
 */
import { request } from 'node:http';
import { join } from 'node:path';
import { DEFAULT_RUNTIME_DIR, SOCKET_NAME } from '../config/model.js';

export const DEFAULT_SOCKET = join(DEFAULT_RUNTIME_DIR, SOCKET_NAME);

export class DaemonUnreachableError extends Error {
  override readonly name = 'DaemonUnreachableError';
  readonly code = 'TND_E_UNREACHABLE';
}

/** The socket accepted the connection but tandemd did not answer in time (a hung or overloaded daemon). */
export class DaemonTimeoutError extends DaemonUnreachableError {}

export interface ApiResponse<T> {
  readonly status: number;
  readonly body: T;
}

export function callApi<T>(socketPath: string, method: 'GET' | 'POST', path: string, timeoutMs = 5000, body?: unknown): Promise<ApiResponse<T>> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const headers = payload === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) };
    const req = request({ socketPath, method, path, timeout: timeoutMs, headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        try {
          resolve({ status: response.statusCode ?? 0, body: JSON.parse(text) as T });
        } catch (error) {
          reject(new Error(`tandemd answered ${method} ${path} with something that is not JSON: ${text.slice(0, 200)}`, { cause: error }));
        }
      });
    });
    req.on('timeout', () => req.destroy(new DaemonTimeoutError(`tandemd at ${socketPath} did not answer within ${timeoutMs} ms`)));
    req.on('error', (error: NodeJS.ErrnoException) => {
      if (error instanceof DaemonUnreachableError) return reject(error);
      reject(new DaemonUnreachableError(`Cannot reach tandemd at ${socketPath}: ${error.code ?? error.message} (is it running? use --socket PATH for another one)`, { cause: error }));
    });
    req.end(payload);
  });
}

/** Streams JSON lines (events --follow) until the daemon closes the stream or the process is stopped. */
export function followApi(socketPath: string, path: string, onLine: (value: unknown) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, method: 'GET', path }, (response) => {
      let buffered = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        buffered += chunk;
        let newline;
        while ((newline = buffered.indexOf('\n')) >= 0) {
          const line = buffered.slice(0, newline);
          buffered = buffered.slice(newline + 1);
          if (line.trim()) onLine(JSON.parse(line));
        }
      });
      response.on('end', () => resolve());
    });
    req.on('error', (error: NodeJS.ErrnoException) =>
      reject(new DaemonUnreachableError(`Cannot reach tandemd at ${socketPath}: ${error.code ?? error.message}`, { cause: error })),
    );
    req.end();
  });
}
