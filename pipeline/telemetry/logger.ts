import pino, { type DestinationStream, type Logger } from 'pino';
import { redactUrl, scrubJsonLine, scrubSecrets } from './redact';

export type { Logger };
export { redactUrl, scrubSecrets };

/** Secret-named keys in the shapes haetae logs: a field, a settings object, the whole config. */
const REDACT_PATHS = [
  'password', 'secret', 'apiKey', 'token', 'authorization',
  '*.password', '*.secret', '*.apiKey', '*.token', '*.authorization',
  '*.*.password', '*.*.secret', '*.*.apiKey', '*.*.token',
  'config.*.*.password', 'config.*.*.secret', 'config.*.*.apiKey',
];

/**
 * Structured JSON logs on stdout (pino), or on `destination` (tests). Secrets are removed at the
 * logger so no call site can forget: `redact` censors secret-named keys by path (compiled once at
 * construction), and the `streamWrite` hook scrubs every finished line — message, printf
 * arguments, fields, child bindings and error stacks alike — of URL passwords
 * (`redis://:pw@host`), secret query values (`?token=…`) and secret-named keys at any depth.
 */
export function createLogger(level: string, bindings: Record<string, unknown> = {}, destination?: DestinationStream): Logger {
  const options: pino.LoggerOptions = {
    level,
    base: { service: 'haetae', ...bindings },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    hooks: { streamWrite: scrubJsonLine },
  };
  return destination ? pino(options, destination) : pino(options);
}
