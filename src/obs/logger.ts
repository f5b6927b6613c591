/**
 * Structured logging: JSON lines for machines or one readable line per record for people.
 * A logger is built by the composition root and passed down; there is no global logger.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFields = Readonly<Record<string, unknown>>;

const LEVEL_RANK: Readonly<Record<LogLevel, number>> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  log(level: LogLevel, message: string, fields?: LogFields): void;
  child(component: string): Logger;
}

export interface LoggerOptions {
  readonly format: 'json' | 'text';
  readonly level: LogLevel;
  readonly write: (line: string) => void;
  readonly wallNow: () => number;
}

export function createLogger(options: LoggerOptions, component = 'tandemd'): Logger {
  return {
    log(level, message, fields) {
      if (LEVEL_RANK[level] < LEVEL_RANK[options.level]) return;
      const time = new Date(options.wallNow()).toISOString();
      if (options.format === 'json') {
        options.write(JSON.stringify({ time, level, component, msg: message, ...fields }) + '\n');
        return;
      }
      const extra = fields && Object.keys(fields).length > 0 ? ' ' + formatFields(fields) : '';
      options.write(`${time} ${level.toUpperCase().padEnd(5)} ${component}: ${message}${extra}\n`);
    },
    child(name) {
      return createLogger(options, `${component}.${name}`);
    },
  };
}

function formatFields(fields: LogFields): string {
  return Object.entries(fields)
    .map(([key, value]) => `${key}=${typeof value === 'string' && !/\s/.test(value) ? value : JSON.stringify(value)}`)
    .join(' ');
}
