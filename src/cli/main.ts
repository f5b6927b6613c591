#!/usr/bin/env node
/**
 * `tandem`: the operator's command. Every command accepts --json.
 *
 * Exit codes: 0 success; 1 the command ran and found a problem (config errors, reload rejected);
 * 2 usage error; 3 tandemd could not be reached.
 */
import { parseArgs } from 'node:util';
import { statSync } from 'node:fs';
import { hostname, networkInterfaces } from 'node:os';
import type { ReloadResult } from '../api/server.js';
import type { StatusReport } from '../api/status-report.js';
import { loadConfigSource } from '../daemon/config-source.js';
import { formatIssue } from '../config/model.js';
import { VERSION } from '../version.js';
import { DEFAULT_SOCKET, DaemonUnreachableError, callApi, followApi } from './client.js';
import { IMPORT_USAGE, runConfigImport } from './config-import.js';
import { colours, formatStatus, formatWhy, plain } from './format-status.js';
import { runClStatus, runHbScript } from './heartbeat/run.js';
import { heartbeatInvocation } from './heartbeat/subcommand.js';
import type { CommandResult, OperatorRequest, WhyReport } from '../daemon/commands.js';

export const EXIT = { ok: 0, problem: 1, usage: 2, unreachable: 3 } as const;

const USAGE = `Usage: tandem [--socket PATH] [--json] COMMAND

Commands:
  status                  nodes, links, generations, drop counters, warnings and recent events
  events [--follow] [-n N]   recent cluster events; --follow streams new ones
  reload                  re-read the daemon's config (same as SIGHUP); a broken config is rejected
  standby [NODE]          NODE (default: this node) runs no group; its groups move away (heartbeat's hb_standby)
  online [NODE]           NODE may run groups again
  move GROUP NODE         planned switchover: stop GROUP where it runs, then start it on NODE
  move GROUP --clear      forget the operator's placement: GROUP follows its configured preference
  takeover                this node takes every group it may run (heartbeat's hb_takeover)
  cleanup GROUP           forget GROUP's failures everywhere; an unclean node probes it again
  fence NODE              power NODE off through its fence devices (STONITH), from this node
  why GROUP               the story of GROUP on this node: every decision with its reason
  cl_status SUB [ARGS]    heartbeat's cl_status: same sub-commands, output and exit codes (\`tandem cl_status\` for its usage)
  hb_standby [all|foreign|local|failback]    heartbeat's hb_standby: this node gives those groups to the other node
  hb_takeover [all|foreign|local|failback]   heartbeat's hb_takeover: this node takes those groups from the other node
  config check FILE       validate a config without touching the cluster; lists every issue
  config check DIR        the same for a heartbeat /etc/ha.d (ha.cf, haresources, authkeys) as tandem reads it
  config import DIR [--out FILE] [--key-file PATH] [--write-keys] [--node NAME] [--address NODE:IFACE=ADDR]…
                          [--broadcast IFACE=ADDR]…   the tandem YAML for that /etc/ha.d, comments kept, changes noted;
                          --write-keys writes the key derived from authkeys to PATH (mode 0600; never printed)
  version                 print the version

Options:
  --socket PATH   the daemon's API socket (default $TANDEM_SOCKET or ${DEFAULT_SOCKET})
  --json          machine-readable output

Exit codes: 0 success, 1 problem found (config errors, reload rejected, command refused), 2 usage error,
3 tandemd unreachable (answered at once: nothing waits for a daemon that is not there).
cl_status, hb_standby and hb_takeover keep heartbeat's exit codes (hb_standby/hb_takeover: 3 when tandemd is unreachable).`;

interface Context {
  readonly socket: string;
  readonly json: boolean;
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  readonly colour: boolean;
}

export async function runCli(argv: readonly string[], io: { out: (text: string) => void; err: (text: string) => void; isTty: boolean }): Promise<number> {
  const heartbeat = heartbeatInvocation(argv);
  if (heartbeat !== undefined) {
    const socket = heartbeat.socket ?? process.env.TANDEM_SOCKET ?? DEFAULT_SOCKET;
    if (heartbeat.command === 'cl_status') return runClStatus(heartbeat.args, socket, io, () => ({ now: new Date(), host: hostname(), pid: process.pid }));
    return runHbScript(heartbeat.command, `tandem ${heartbeat.command}`, heartbeat.args, socket, io);
  }
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      options: {
        socket: { type: 'string' },
        json: { type: 'boolean', default: false },
        follow: { type: 'boolean', short: 'f', default: false },
        count: { type: 'string', short: 'n' },
        help: { type: 'boolean', short: 'h', default: false },
        clear: { type: 'boolean', default: false },
        // config import
        out: { type: 'string' },
        'key-file': { type: 'string' },
        'write-keys': { type: 'boolean', default: false },
        node: { type: 'string' },
        address: { type: 'string', multiple: true },
        broadcast: { type: 'string', multiple: true },
      },
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    io.err(`tandem: ${(error as Error).message}\n${USAGE}\n`);
    return EXIT.usage;
  }
  const { values, positionals } = parsed;
  const context: Context = {
    socket: values.socket ?? process.env.TANDEM_SOCKET ?? DEFAULT_SOCKET,
    json: values.json ?? false,
    out: io.out,
    err: io.err,
    colour: io.isTty && !process.env.NO_COLOR,
  };
  const [command, ...rest] = positionals;
  if (values.help || command === 'help') return io.out(USAGE + '\n'), EXIT.ok;
  try {
    switch (command) {
      case 'status':
        return await status(context);
      case 'events':
        return await events(context, values.follow ?? false, values.count);
      case 'reload':
        return await reload(context);
      case 'config':
        if (rest[0] === 'import') return configImport(context, rest.slice(1), values);
        return await config(context, rest);
      case 'standby':
      case 'online':
        if (rest.length > 1) return usage(context, `${command} [NODE]`);
        return await command_(context, { kind: 'standby', node: rest[0] ?? (await selfName(context)), on: command === 'standby' });
      case 'move':
        if (rest.length === 1 && values.clear) return await command_(context, { kind: 'move', group: rest[0] as string, node: null });
        if (rest.length !== 2 || values.clear) return usage(context, 'move GROUP NODE | move GROUP --clear');
        return await command_(context, { kind: 'move', group: rest[0] as string, node: rest[1] as string });
      case 'takeover':
        if (rest.length > 0) return usage(context, 'takeover');
        return await command_(context, { kind: 'takeover' });
      case 'cleanup':
        if (rest.length !== 1) return usage(context, 'cleanup GROUP');
        return await command_(context, { kind: 'cleanup', group: rest[0] as string });
      case 'fence':
        if (rest.length !== 1) return usage(context, 'fence NODE');
        return await command_(context, { kind: 'fence', node: rest[0] as string });
      case 'why':
        if (rest.length !== 1) return usage(context, 'why GROUP');
        return await why(context, rest[0] as string);
      case 'version':
        context.out(context.json ? JSON.stringify({ version: VERSION }) + '\n' : `tandem ${VERSION}\n`);
        return EXIT.ok;
      case undefined:
        io.err(`tandem: no command given\n${USAGE}\n`);
        return EXIT.usage;
      default:
        io.err(`tandem: unknown command "${command}"\n${USAGE}\n`);
        return EXIT.usage;
    }
  } catch (error) {
    if (error instanceof DaemonUnreachableError) {
      context.err(`tandem: ${error.message}\n`);
      return EXIT.unreachable;
    }
    throw error;
  }
}

async function status(context: Context): Promise<number> {
  const response = await callApi<StatusReport>(context.socket, 'GET', '/v1/status');
  if (context.json) context.out(JSON.stringify(response.body, null, 2) + '\n');
  else context.out(formatStatus(response.body, context.colour ? colours : plain));
  return EXIT.ok;
}

async function events(context: Context, follow: boolean, countText: string | undefined): Promise<number> {
  const count = countText === undefined ? 20 : Number(countText);
  if (!Number.isInteger(count) || count < 0) {
    context.err(`tandem: -n must be a whole number: current value is "${countText}"\n`);
    return EXIT.usage;
  }
  const print = (event: unknown): void => {
    if (context.json) return context.out(JSON.stringify(event) + '\n');
    const e = event as { wallTime: string; kind: string; node?: string; link?: string; reason: string };
    context.out(`${e.wallTime} ${e.kind}${e.node ? ` ${e.node}` : ''}${e.link ? `/${e.link}` : ''}: ${e.reason}\n`);
  };
  if (follow) {
    await followApi(context.socket, `/v1/events?follow=1&count=${count}`, print);
    return EXIT.ok;
  }
  const response = await callApi<unknown[]>(context.socket, 'GET', `/v1/events?count=${count}`);
  if (context.json) context.out(JSON.stringify(response.body, null, 2) + '\n');
  else response.body.forEach(print);
  return EXIT.ok;
}

function usage(context: Context, form: string): number {
  context.err(`tandem: usage: tandem ${form}\n`);
  return EXIT.usage;
}

async function selfName(context: Context): Promise<string> {
  return (await callApi<StatusReport>(context.socket, 'GET', '/v1/status')).body.node;
}

async function command_(context: Context, request: OperatorRequest): Promise<number> {
  const response = await callApi<CommandResult>(context.socket, 'POST', '/v1/commands', 5000, request);
  const result = response.body;
  if (context.json) context.out(JSON.stringify(result, null, 2) + '\n');
  else (result.ok ? context.out : context.err)(`${result.message}\n`);
  return result.ok ? EXIT.ok : EXIT.problem;
}

async function why(context: Context, group: string): Promise<number> {
  const response = await callApi<WhyReport | CommandResult>(context.socket, 'GET', `/v1/why?group=${encodeURIComponent(group)}`);
  const body = response.body;
  if (context.json) context.out(JSON.stringify(body, null, 2) + '\n');
  else if ('ok' in body) context.err(`${body.message}\n`);
  else context.out(formatWhy(body, context.colour ? colours : plain));
  return 'ok' in body ? EXIT.problem : EXIT.ok;
}

async function reload(context: Context): Promise<number> {
  const response = await callApi<ReloadResult>(context.socket, 'POST', '/v1/reload', 30_000);
  const result = response.body;
  if (context.json) context.out(JSON.stringify(result, null, 2) + '\n');
  else {
    for (const issue of result.issues) context.err(issue + '\n');
    for (const warning of result.warnings) context.err(warning + '\n');
    (result.ok ? context.out : context.err)(`reload ${result.summary}\n`);
  }
  return result.ok ? EXIT.ok : EXIT.problem;
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false; // not there: loadConfig says so, with the file's name
  }
}

async function config(context: Context, args: readonly string[]): Promise<number> {
  const [sub, file, ...extra] = args;
  if (sub !== 'check' || !file || extra.length > 0) {
    context.err(`tandem: usage: tandem config check FILE|DIR   (DIR: a heartbeat /etc/ha.d with ha.cf, haresources, authkeys)\n       tandem ${IMPORT_USAGE}\n`);
    return EXIT.usage;
  }
  // A directory is a heartbeat configuration (ha.cf, haresources, authkeys), checked as tandem would import it here.
  const loaded = await loadConfigSource(isDirectory(file) ? { kind: 'ha.d', dir: file } : { kind: 'yaml', file }, { hostName: hostname() });
  const errors = loaded.issues.filter((issue) => issue.severity === 'error');
  if (context.json) {
    context.out(JSON.stringify({ file, ok: errors.length === 0, issues: loaded.issues }, null, 2) + '\n');
  } else {
    for (const issue of loaded.issues) context.out(formatIssue(issue) + '\n');
    const warnings = loaded.issues.length - errors.length;
    context.out(
      errors.length === 0
        ? `${file}: OK (${loaded.config?.nodes.length ?? 0} nodes, ${loaded.config?.links.length ?? 0} links${warnings ? `, ${warnings} warning(s)` : ''})\n`
        : `${file}: ${errors.length} error(s), ${warnings} warning(s)\n`,
    );
  }
  return errors.length === 0 ? EXIT.ok : EXIT.problem;
}

function configImport(
  context: Context,
  args: readonly string[],
  values: { readonly out?: string; readonly 'key-file'?: string; readonly 'write-keys'?: boolean; readonly node?: string; readonly address?: string[]; readonly broadcast?: string[] },
): number {
  const [dir, ...extra] = args;
  if (!dir || extra.length > 0) return usage(context, IMPORT_USAGE);
  return runConfigImport(
    { dir, out: values.out, keyFile: values['key-file'], writeKeys: values['write-keys'] ?? false, node: values.node, addresses: values.address ?? [], broadcasts: values.broadcast ?? [], json: context.json },
    context,
    { hostName: hostname(), interfaces: networkInterfaces(), cwd: process.cwd() },
  );
}

const isMain = process.argv[1] !== undefined && import.meta.url === new URL(`file://${process.argv[1]}`).href;
if (isMain) {
  runCli(process.argv.slice(2), {
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text),
    isTty: process.stdout.isTTY === true,
  }).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`tandem: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
