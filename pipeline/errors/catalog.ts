/**
 * The error catalog: every error haetae reports to a person or writes into a dead-letter record
 * has a stable code here. Codes are never reused for a different meaning once released; retired
 * codes stay listed with `retired: true`. docs/errors.md documents each one (a unit test checks
 * that the two agree).
 */
export type ErrorKind = 'config' | 'input' | 'service' | 'rule' | 'delivery' | 'usage';

export interface CatalogEntry {
  kind: ErrorKind;
  /** Message template; `%s` placeholders are filled in order. */
  template: string;
  retired?: boolean;
}

export const ERRORS = {
  HAETAE_CONFIG_READ: { kind: 'config', template: 'cannot read config file %s: %s' },
  HAETAE_CONFIG_YAML: { kind: 'config', template: 'config file %s is not valid YAML: %s' },
  HAETAE_CONFIG_INVALID: { kind: 'config', template: 'config %s: %s' },
  HAETAE_CONFIG_ENV: { kind: 'config', template: 'environment variable %s: %s' },
  HAETAE_SECRET_FILE: { kind: 'config', template: 'cannot read secret file %s: %s' },

  HAETAE_ENVELOPE_JSON: { kind: 'input', template: 'record is not a JSON envelope: %s' },
  HAETAE_ENVELOPE_INVALID: { kind: 'input', template: 'record is not a valid envelope: %s' },
  HAETAE_SYSLOG_PARSE: { kind: 'input', template: 'syslog message could not be parsed (%s): %s' },
  HAETAE_CORRELATE_RECORD: { kind: 'input', template: 'correlate-topic record is not a correlation observation: %s' },
  HAETAE_SYSLOG_TRUNCATED: { kind: 'input', template: 'syslog message of %s bytes exceeds the limit of %s bytes; the first %s bytes are kept' },
  HAETAE_RELP_FRAME: { kind: 'input', template: 'RELP client %s sent a malformed frame (%s); the session is closed' },
  HAETAE_RELP_TOO_LARGE: { kind: 'input', template: 'RELP client %s sent an oversized frame: %s; the session is closed' },
  HAETAE_RELP_TXNR: { kind: 'input', template: 'RELP client %s broke the transaction sequence: %s; the session is closed' },
  HAETAE_RELP_OPEN: { kind: 'input', template: 'RELP client %s could not open a session: %s; answered 500 and closed' },
  HAETAE_RELP_COMMAND: { kind: 'input', template: 'RELP client %s: %s' },
  HAETAE_HTTP_TOKENS: { kind: 'config', template: 'HTTP input tokens file %s: %s' },
  HAETAE_HTTP_AUTH: { kind: 'input', template: 'HTTP input request refused: %s' },
  HAETAE_HTTP_INPUT: { kind: 'input', template: 'HTTP input request refused as invalid: %s' },
  HAETAE_HTTP_LIMIT: { kind: 'input', template: 'HTTP input request refused over a limit: %s' },
  HAETAE_HTTP_BUSY: { kind: 'service', template: 'HTTP input request refused while Kafka is behind: %s' },

  HAETAE_ES_REJECTED: { kind: 'delivery', template: 'Elasticsearch rejected the document (%s): %s' },
  HAETAE_ES_UNAVAILABLE: { kind: 'service', template: 'Elasticsearch at %s is unavailable: %s' },
  HAETAE_KAFKA_UNAVAILABLE: { kind: 'service', template: 'Kafka at %s is unavailable: %s' },
  HAETAE_KAFKA_TOO_LARGE: { kind: 'delivery', template: 'Kafka refused a record of %s bytes for topic %s as larger than it accepts (MESSAGE_TOO_LARGE, max.message.bytes)' },
  HAETAE_REDIS_UNAVAILABLE: { kind: 'service', template: 'Redis at %s is unavailable: %s' },

  HAETAE_RULE_YAML: { kind: 'rule', template: '%s' },
  HAETAE_RULE_INVALID: { kind: 'rule', template: '%s' },
  HAETAE_RULE_CONDITION: { kind: 'rule', template: '%s' },
  HAETAE_RULE_UNREACHABLE_FIELD: { kind: 'rule', template: '%s' },
  HAETAE_MAPPING_INVALID: { kind: 'rule', template: '%s' },
  HAETAE_RULES_PATH: { kind: 'config', template: 'rules path %s does not exist (worker.rulesPath, relative to the config file)' },
  HAETAE_RULE_DUPLICATE_ID: { kind: 'rule', template: "rule id '%s' is already defined in %s" },
  HAETAE_DECODER_YAML: { kind: 'rule', template: '%s' },
  HAETAE_DECODER_INVALID: { kind: 'rule', template: '%s' },
  HAETAE_DECODER_DUPLICATE_ID: { kind: 'rule', template: "decoder id '%s' is already defined in %s" },
  HAETAE_DECODER_PATH: { kind: 'config', template: 'decoder path %s: %s' },
  HAETAE_ENRICH_SOURCE: { kind: 'config', template: 'enrichment source %s (%s) cannot be loaded: %s' },

  HAETAE_WEBHOOK_STATUS: { kind: 'delivery', template: 'webhook answered HTTP %s: %s' },
  HAETAE_WEBHOOK_NETWORK: { kind: 'delivery', template: 'webhook request failed: %s' },
  HAETAE_WEBHOOK_TIMEOUT: { kind: 'delivery', template: 'webhook at %s gave no response within %s ms' },
  HAETAE_WEBHOOK_TLS: { kind: 'delivery', template: 'webhook at %s: TLS %s: %s (%s)' },
  HAETAE_WEBHOOK_URL: { kind: 'delivery', template: 'webhook URL (notifier.webhook.url) is not usable: %s' },
  HAETAE_EMAIL_SMTP: { kind: 'delivery', template: '%s: %s' },

  // Alert changes (CLI and HTTP API) and the API's own answers (docs/api.md maps them to HTTP statuses).
  HAETAE_ALERT_NOT_FOUND: { kind: 'usage', template: '%s' },
  HAETAE_ALERT_STATE: { kind: 'usage', template: '%s' },
  HAETAE_ALERT_INPUT: { kind: 'input', template: '%s' },
  HAETAE_API_AUTH: { kind: 'usage', template: '%s' },
  HAETAE_API_FORBIDDEN: { kind: 'usage', template: '%s' },
  HAETAE_API_INPUT: { kind: 'input', template: '%s' },
  HAETAE_API_NOT_FOUND: { kind: 'usage', template: '%s' },
  HAETAE_API_TOO_LARGE: { kind: 'input', template: '%s' },
  HAETAE_API_MEDIA_TYPE: { kind: 'input', template: '%s' },
  HAETAE_API_INTERNAL: { kind: 'service', template: '%s' },

  HAETAE_USAGE: { kind: 'usage', template: '%s' },
} as const satisfies Record<string, CatalogEntry>;

export type ErrorCode = keyof typeof ERRORS;

/** An error with a catalog code. `detail` carries structured context for JSON output. */
export class HaetaeError extends Error {
  readonly code: ErrorCode;
  readonly kind: ErrorKind;
  readonly detail: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, args: ReadonlyArray<string | number>, detail?: Record<string, unknown>) {
    super(format(ERRORS[code].template, args));
    this.name = 'HaetaeError';
    this.code = code;
    this.kind = ERRORS[code].kind;
    this.detail = detail;
  }

  toJSON(): Record<string, unknown> {
    return { code: this.code, kind: this.kind, message: this.message, ...(this.detail ? { detail: this.detail } : {}) };
  }
}

export function format(template: string, args: ReadonlyArray<string | number>): string {
  let i = 0;
  return template.replace(/%s/g, () => String(args[i++] ?? ''));
}

/** Human text of an unknown thrown value, for log lines. */
export function messageOf(err: unknown): string {
  if (err instanceof Error) return err.message || err.name;
  return String(err);
}
