/**
 * Structured logging (pino). Every logger redacts the fields that can hold secrets, so an API token passed into a
 * log call by mistake is written as `[redacted]`. Tests capture log lines with `createLogger({ destination })`.
 */
import { pino, type Logger, type DestinationStream } from 'pino';

export type { Logger };

export const REDACTED_PATHS = [
  'apiToken',
  '*.apiToken',
  '*.*.apiToken',
  'token',
  '*.token',
  'authorization',
  '*.authorization',
  'req.headers.authorization',
  'req.headers["x-postern-device-token"]',
  'headers.authorization',
  'masterKey',
  '*.masterKey',
  'password',
  '*.password',
  'key',
  '*.key',
];

export interface LoggerOptions {
  level?: string;
  destination?: DestinationStream;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  return pino(
    {
      level: options.level ?? process.env.POSTERN_LOG_LEVEL ?? 'info',
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    options.destination ?? pino.destination({ dest: 1, sync: true }),
  );
}

/** A logger that drops everything; for tests that do not look at logs. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
