/**
 * Splunk HEC answers: HTTP status + `{"text","code"}` body, with Splunk's documented codes (0
 * Success, 2 Token is required, 3 Invalid authorization, 4 Invalid token, 5 No data, 6 Invalid
 * data format, 9 Server is busy, 11 Invalid data channel, 12 Event field is required, 13 Event
 * field cannot be blank, 15 Error in handling indexed fields, 17 HEC is healthy, 18 HEC is
 * unhealthy, queues are full). HEC clients (Fluent Bit, Vector, the OpenTelemetry exporter) log
 * the text and decide on retries by status: 503 is retried, 4xx is not.
 *
 * Splunk has no code of its own for size limits; haetae answers 413 with code 6 and a text that
 * names the limit.
 */
export interface HecAnswer {
  status: number;
  body: { text: string; code: number; 'invalid-event-number'?: number };
  /** Seconds, for 503: when to try again. */
  retryAfter?: number;
}

const a = (status: number, code: number, text: string, retryAfter?: number): HecAnswer => ({ status, body: { text, code }, ...(retryAfter !== undefined ? { retryAfter } : {}) });

export const HEC = {
  success: a(200, 0, 'Success'),
  tokenRequired: a(401, 2, 'Token is required'),
  invalidAuthorization: a(401, 3, 'Invalid authorization'),
  invalidToken: a(403, 4, 'Invalid token'),
  noData: a(400, 5, 'No data'),
  invalidFormat: a(400, 6, 'Invalid data format'),
  busy: a(503, 9, 'Server is busy', 5),
  invalidChannel: a(400, 11, 'Invalid data channel'),
  eventRequired: a(400, 12, 'Event field is required'),
  eventBlank: a(400, 13, 'Event field cannot be blank'),
  indexedFields: a(400, 15, 'Error in handling indexed fields'),
  healthy: a(200, 17, 'HEC is healthy'),
  unhealthy: a(503, 18, 'HEC is unhealthy, queues are full', 5),
  bodyTooLarge: a(413, 6, 'Request body too large'),
  eventTooLarge: a(413, 6, 'Event too large'),
  tooManyEvents: a(413, 6, 'Too many events in one request'),
  unsupportedEncoding: a(415, 6, 'Unsupported Content-Encoding (use gzip or none)'),
  notFound: a(404, 404, 'Not found'),
  methodNotAllowed: a(405, 405, 'Method not allowed'),
  timeout: a(408, 6, 'Request not received in time'),
} as const satisfies Record<string, HecAnswer>;
