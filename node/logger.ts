import { pino, type DestinationStream, type Logger } from 'pino';
import { UserError } from './errors.js';

export type LogFormat = 'json' | 'pretty';

export interface LoggerOptions {
  /** Pretty on a terminal, JSON otherwise (a pipe, a file, a log collector), unless given. */
  format?: LogFormat | undefined;
  /** Append the logs to this file instead of standard output. */
  file?: string | undefined;
  level?: string | undefined;
}

export interface NodeLoggers {
  log: Logger;
  /**
   * The same output at info level whatever `level` is: the lines that say where the node
   * listens and that it joined, which an operator (and a script) always needs.
   */
  always: Logger;
}

/**
 * One format for everything a node writes: pino's JSON lines, or pino-pretty's. pino-pretty
 * is loaded only for a terminal: a node run by a service manager or a test never needs it.
 */
export async function createNodeLoggers(options: LoggerOptions = {}): Promise<NodeLoggers> {
  const toFile = options.file !== undefined;
  const format = options.format ?? (!toFile && process.stdout.isTTY ? 'pretty' : 'json');
  const destination: DestinationStream =
    format === 'pretty'
      ? (await import('pino-pretty')).default({
          sync: true,
          colorize: !toFile && process.stdout.isTTY,
          destination: toFile ? pino.destination({ dest: options.file, append: true, sync: true, mkdir: true }) : 1,
        })
      : pino.destination({ dest: options.file ?? 1, append: true, sync: true, mkdir: toFile });
  const level = options.level ?? process.env.SHOAL_LOG_LEVEL ?? 'info';
  return { log: pino({ level }, destination), always: pino({ level: 'info' }, destination) };
}

/** `--log-format`: a clear error for anything else. */
export function parseLogFormat(value: string | undefined): LogFormat | undefined {
  if (value === undefined) return undefined;
  if (value === 'json' || value === 'pretty') return value;
  throw new UserError(`invalid --log-format '${value}': expected json or pretty`);
}
