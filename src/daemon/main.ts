#!/usr/bin/env node
/**
 * tandemd: the composition root. The only place where the real clock, sockets, files and signals are wired
 * to the driver. Exit codes: 0 after a graceful leave, 1 config errors, 2 usage, 3 start-up failure.
 */
import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startApiServer, type ReloadResult } from '../api/server.js';
import { SOCKET_NAME, formatIssue, type ClusterConfig, type KeyRing } from '../config/model.js';
import { hadirScriptDirs } from '../config/hadir/load.js';
import { DEFAULT_CONFIG_FILE, DEFAULT_HA_DIR, chooseConfigSource, describeSource, loadConfigSource, type ConfigSource, type SourceOverrides } from './config-source.js';
import { nodeName, type NodeName } from '../core/types.js';
import { systemClock } from '../lib/clock.js';
import { createLogger, type Logger, type LogLevel } from '../obs/logger.js';
import { VERSION } from '../version.js';
import { Driver } from './driver.js';
import { openConfiguredTransport } from './open-transport.js';
import { StateStore } from './state-store.js';
import { buildStatus } from './status.js';
import { explainGroup, operatorCommand } from './commands.js';
import { agentForResource } from '../agents/factory.js';
import { listAddresses } from '../agents/ipaddr.js';
import { prepareAnnouncer } from '../platform/announcer.js';

const USAGE = `Usage: tandemd [--config FILE | --ha-d DIR] [--node NAME] [--arbitrator] [--socket PATH]
               [--state-dir DIR] [--runtime-dir DIR] [--log-format json|text] [--log-level LEVEL]

  --config FILE       cluster config (default ${DEFAULT_CONFIG_FILE})
  --ha-d DIR          run a heartbeat cluster from its ha.cf, haresources and authkeys (default ${DEFAULT_HA_DIR}
                      when ${DEFAULT_CONFIG_FILE} does not exist and ${DEFAULT_HA_DIR}/ha.cf does)
  --node NAME         this node's name in the config (default: the host name, as heartbeat uses uname -n)
  --arbitrator        run as the config's arbitrator: no resources, one vote that backs one side of a split
  --socket PATH       API socket (default: <runtime_dir>/${SOCKET_NAME})
  --state-dir DIR     where the generation is kept (default: the config's state_dir, /var/lib/tandem)
  --runtime-dir DIR   where the API socket lives (default: the config's runtime_dir, /run/tandem)
  --log-format FMT    json or text (default: the config's logging.format)
  --log-level LEVEL   debug, info, warn or error

Signals: SIGHUP reloads the config (a broken one is rejected, the old one keeps running);
SIGTERM or SIGINT leave the cluster gracefully (peers mark this node 'left' at once).
Exit codes: 0 left gracefully, 1 config errors, 2 usage error, 3 start-up failure.`;

async function main(): Promise<number> {
  let args;
  try {
    args = parseArgs({
      options: {
        config: { type: 'string' },
        'ha-d': { type: 'string' },
        'state-dir': { type: 'string' },
        'runtime-dir': { type: 'string' },
        node: { type: 'string' },
        arbitrator: { type: 'boolean' },
        socket: { type: 'string' },
        'log-format': { type: 'string' },
        'log-level': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean' },
      },
      strict: true,
    }).values;
  } catch (error) {
    process.stderr.write(`tandemd: ${(error as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (args.help) {
    process.stdout.write(USAGE + '\n');
    return 0;
  }
  if (args.version) {
    process.stdout.write(`tandemd ${VERSION}\n`);
    return 0;
  }

  const source = chooseConfigSource({ config: args.config, haDir: args['ha-d'] });
  if ('error' in source) {
    process.stderr.write(`tandemd: ${source.error}\n${USAGE}\n`);
    return 2;
  }
  const configFile = describeSource(source);
  const self = nodeName(args.node ?? hostname());
  const overrides: SourceOverrides = { hostName: self, stateDir: args['state-dir'], runtimeDir: args['runtime-dir'] };
  const loaded = await loadConfigSource(source, overrides);
  for (const issue of loaded.issues) process.stderr.write(formatIssue(issue) + '\n');
  if (!loaded.config || !loaded.ring) {
    process.stderr.write(`tandemd: ${configFile} has errors; not starting\n`);
    if (args.config === undefined && args['ha-d'] === undefined && !existsSync(DEFAULT_CONFIG_FILE)) {
      process.stderr.write(`tandemd: without ${DEFAULT_CONFIG_FILE}, tandemd runs a heartbeat cluster from ${DEFAULT_HA_DIR} when it has an ha.cf; or pass --config FILE or --ha-d DIR\n`);
    }
    return 1;
  }
  const config = loaded.config;
  if (!config.nodes.some((node) => node.name === self)) {
    process.stderr.write(
      `tandemd: this node is "${self}" but ${configFile} lists only ${config.nodes.map((node) => node.name).join(', ')}: ` +
        `set the host name or pass --node NAME\n`,
    );
    return 1;
  }
  if (args.arbitrator === true && config.arbitrator !== self) {
    process.stderr.write(
      config.arbitrator === undefined
        ? `tandemd: --arbitrator, but ${configFile} names no arbitrator (add 'arbitrator: ${self}')\n`
        : `tandemd: --arbitrator, but ${configFile} names ${config.arbitrator} as the arbitrator, and this node is "${self}"\n`,
    );
    return 1;
  }
  if (args.arbitrator !== true && config.arbitrator === self) {
    process.stderr.write(`tandemd: ${configFile} names this node ("${self}") as the arbitrator: start it with --arbitrator\n`);
    return 1;
  }
  const format = args['log-format'] ?? config.logging.format;
  const level = args['log-level'] ?? config.logging.level;
  if ((format !== 'json' && format !== 'text') || !['debug', 'info', 'warn', 'error'].includes(level)) {
    process.stderr.write(`tandemd: --log-format must be json or text, --log-level debug|info|warn|error\n`);
    return 2;
  }
  const clock = systemClock();
  const logger = createLogger({ format, level: level as LogLevel, write: (line) => process.stderr.write(line), wallNow: clock.wallNow });
  return run({ source, overrides, config, self, logger, clock, socketPath: args.socket ?? join(config.runtimeDir, SOCKET_NAME), ring: loaded.ring });
}

interface RunOptions {
  readonly source: ConfigSource;
  readonly overrides: SourceOverrides;
  readonly config: ClusterConfig;
  readonly ring: KeyRing;
  readonly self: NodeName;
  readonly logger: Logger;
  readonly clock: ReturnType<typeof systemClock>;
  readonly socketPath: string;
}

async function run(options: RunOptions): Promise<number> {
  const { logger, clock, source, overrides, self } = options;
  const configFile = describeSource(source);
  let driver: Driver;
  let server;
  try {
    const store = new StateStore(options.config.stateDir);
    const execStateDir = join(options.config.stateDir, 'exec');
    prepareAnnouncer();
    driver = await Driver.start({
      config: options.config,
      ring: options.ring,
      self,
      clock,
      logger: logger.child('driver'),
      store,
      openTransport: openConfiguredTransport,
      buildAgent: (resource) => agentForResource(resource, { nodeName: self, execStateDir, ...(source.kind === 'ha.d' ? { heartbeatDirs: hadirScriptDirs(source.dir) } : {}) }),
      listAddresses: (iface) => listAddresses(iface),
    });
    server = await startApiServer(options.socketPath, {
      status: () => buildStatus({ driver, clock, version: VERSION, configFile }),
      recentEvents: (count) => driver.events.recent(count),
      subscribe: (listener) => driver.events.subscribe(listener),
      reload: () => reload(driver, source, overrides, logger),
      command: (request) => operatorCommand(driver, request),
      why: (group) => explainGroup(driver, group, clock),
    });
  } catch (error) {
    logger.log('error', `cannot start: ${(error as Error).message}`);
    return 3;
  }
  logger.log('info', `tandemd ${VERSION} started`, { node: self, cluster: options.config.cluster, generation: driver.generation, socket: options.socketPath, pid: process.pid });

  let reloading = Promise.resolve();
  process.on('SIGHUP', () => {
    reloading = reloading.then(() => reload(driver, source, overrides, logger).then(() => undefined));
  });
  return new Promise<number>((resolve) => {
    const stop = (signal: string): void => {
      logger.log('info', `${signal}: leaving the cluster`);
      driver
        .leave(`${signal} received`)
        .then(() => new Promise<void>((done) => server.close(() => done())))
        .then(() => resolve(0), (error: unknown) => {
          logger.log('error', `leaving failed: ${(error as Error).message}`);
          resolve(3);
        });
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
}

/** Validates the new config first; the running cluster keeps the old one if anything is wrong. */
async function reload(driver: Driver, source: ConfigSource, overrides: SourceOverrides, logger: Logger): Promise<ReloadResult> {
  const configFile = describeSource(source);
  const loaded = await loadConfigSource(source, overrides);
  const errors = loaded.issues.filter((issue) => issue.severity === 'error').map(formatIssue);
  const warnings = loaded.issues.filter((issue) => issue.severity === 'warning').map(formatIssue);
  if (!loaded.config || !loaded.ring || errors.length > 0) {
    logger.log('error', `reload rejected, keeping the running config: ${errors.length} error(s)`, { errors });
    return { ok: false, issues: errors, warnings, summary: `rejected: ${errors.length} error(s); the running config is unchanged` };
  }
  if (!loaded.config.nodes.some((node) => node.name === driver.self)) {
    const message = `${configFile}: this node (${driver.self}) is not in the new config`;
    logger.log('error', `reload rejected: ${message}`);
    return { ok: false, issues: [message], warnings, summary: 'rejected: this node is not in the new config; the running config is unchanged' };
  }
  try {
    const { reopened } = await driver.reload(loaded.config, loaded.ring);
    const summary = `applied${reopened.length > 0 ? `; reopened links ${reopened.join(', ')}` : ''}`;
    logger.log('info', `reload ${summary}`);
    return { ok: true, issues: [], warnings, summary };
  } catch (error) {
    logger.log('error', `reload failed while applying: ${(error as Error).message}`);
    return { ok: false, issues: [(error as Error).message], warnings, summary: 'failed while applying' };
  }
}

process.on('unhandledRejection', (reason) => {
  // A rejected promise nobody handled is a programmer error: crash, and let the service manager restart us.
  process.stderr.write(`tandemd: unhandled rejection: ${reason instanceof Error ? reason.stack : String(reason)}\n`);
  process.exit(70);
});

main().then((code) => process.exit(code));
