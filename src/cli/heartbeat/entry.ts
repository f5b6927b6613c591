/**
 * What the compatibility entry points (`cl_status`, `hb_standby`, `hb_takeover`) share: they take no `--socket`
 * (heartbeat's commands had none), so they find tandemd through `$TANDEM_SOCKET`, else the CLI's default socket;
 * and they print through the process's streams and exit with the code they computed.
 */
import { basename } from 'node:path';
import { DEFAULT_SOCKET } from '../client.js';
import type { HbIo } from './run.js';

export function compatSocket(env: NodeJS.ProcessEnv = process.env): string {
  return env.TANDEM_SOCKET || DEFAULT_SOCKET;
}

export const processIo: HbIo = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
};

/** The scripts print their `$0`: the path they were invoked by when it names them, else their name. */
export function invokedAs(name: string, argv1: string | undefined = process.argv[1]): string {
  return argv1 !== undefined && basename(argv1) === name ? argv1 : name;
}

/** Sets the exit code; a bug (an exception) is reported and exits 13, cl_status's "unknown error". */
export function finish(name: string, run: Promise<number>): void {
  run.then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`${name}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exitCode = 13;
    },
  );
}
