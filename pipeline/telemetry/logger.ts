import pino, { type Logger } from 'pino';

export type { Logger };

/**
 * Structured JSON logs on stdout (pino). Secrets that may sit in config objects or URLs are
 * redacted by path, compiled once at construction.
 */
export function createLogger(level: string, bindings: Record<string, unknown> = {}): Logger {
  return pino({
    level,
    base: { service: 'haetae', ...bindings },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: {
      paths: ['password', 'secret', 'apiKey', '*.password', '*.secret', '*.apiKey', 'config.*.password', 'config.*.apiKey', 'config.notifier.webhook.secret'],
      censor: '[redacted]',
    },
  });
}

/** Replaces the password of a URL (redis://:pw@host) before it is logged or printed. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = 'redacted';
    return u.toString();
  } catch {
    return url;
  }
}
