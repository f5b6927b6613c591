/**
 * `tandem cl_status …`, `tandem hb_standby …`, `tandem hb_takeover …`: heartbeat's commands as tandem
 * sub-commands. Their arguments are heartbeat's (cl_status's getopt options such as `-m`, `-v`, `-p NAME`), so they
 * are handed over untouched instead of going through tandem's own option parser; only tandem's `--socket PATH`
 * may come before the command word.
 */
export const HEARTBEAT_COMMANDS = ['cl_status', 'hb_standby', 'hb_takeover'] as const;
export type HeartbeatCommand = (typeof HEARTBEAT_COMMANDS)[number];

export interface HeartbeatInvocation {
  readonly command: HeartbeatCommand;
  /** From `--socket PATH` / `--socket=PATH` before the command word. */
  readonly socket: string | undefined;
  readonly args: readonly string[];
}

/** The heartbeat command `argv` runs, or undefined when it is another tandem command. */
export function heartbeatInvocation(argv: readonly string[]): HeartbeatInvocation | undefined {
  let socket: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i] as string;
    if (word === '--socket' && i + 1 < argv.length) {
      socket = argv[++i];
      continue;
    }
    if (word.startsWith('--socket=')) {
      socket = word.slice('--socket='.length);
      continue;
    }
    const command = HEARTBEAT_COMMANDS.find((name) => name === word);
    return command === undefined ? undefined : { command, socket, args: argv.slice(i + 1) };
  }
  return undefined;
}
