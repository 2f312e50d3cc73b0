import { DELIVERY_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, signPayload } from '../../pipeline/notify/sign';
import { HaetaeError } from '../../pipeline/errors/catalog';
import { classifyFetchFailure, type FetchFailure } from './fetch-failure';

export interface WebhookSettings {
  url: string;
  secret?: string | undefined;
  timeoutMs: number;
}

/**
 * Why a delivery failed, and whether trying again can help. `detail.cause` holds the system or
 * undici code behind a network failure (ECONNREFUSED, DEPTH_ZERO_SELF_SIGNED_CERT…) or the HTTP
 * status, so the failed list can show it next to the message.
 */
export class WebhookDeliveryError extends HaetaeError {
  constructor(code: 'HAETAE_WEBHOOK_STATUS' | FetchFailure['code'], args: (string | number)[], readonly retryable: boolean, cause?: string) {
    super(code, args, cause ? { cause } : undefined);
  }
}

/**
 * The URL fetch is given, checked first so a bad one fails clearly and permanently without its
 * text (which may hold a password or a token) ending up in an error. fetch refuses URLs with
 * credentials, so `https://user:pass@host/…` is sent as HTTP Basic auth, as curl does.
 */
function target(raw: string): { url: URL; authorization?: string } {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new WebhookDeliveryError('HAETAE_WEBHOOK_URL', ['not a valid URL'], false, 'ERR_INVALID_URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new WebhookDeliveryError('HAETAE_WEBHOOK_URL', [`protocol ${url.protocol} is not http: or https:`], false, 'BAD_PROTOCOL');
  }
  if (!url.username && !url.password) return { url };
  const authorization = `Basic ${Buffer.from(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`).toString('base64')}`;
  url.username = '';
  url.password = '';
  return { url, authorization };
}

/**
 * POSTs one JSON payload. The body is signed with HMAC-SHA256 over `<timestamp>.<body>`; the
 * delivery id (the job id) lets receivers drop a duplicate if a retry follows a lost response.
 * 2xx is success; 408, 429 and 5xx are retryable, other answers are not. A failure without an
 * answer is classified by its cause (fetch-failure.ts): refused, reset, timeouts and DNS are
 * retried; a rejected TLS certificate or an unusable URL is not.
 */
export async function postWebhook(s: WebhookSettings, deliveryId: string, payload: unknown, now = new Date()): Promise<number> {
  const body = JSON.stringify(payload);
  const timestamp = String(Math.floor(now.getTime() / 1000));
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'user-agent': 'haetae-notifier/0.1',
    [DELIVERY_HEADER]: deliveryId,
    [TIMESTAMP_HEADER]: timestamp,
  };
  if (s.secret) headers[SIGNATURE_HEADER] = signPayload(s.secret, timestamp, body);
  const { url, authorization } = target(s.url);
  if (authorization) headers.authorization = authorization;
  let res: Response;
  try {
    res = await fetch(url, { method: 'POST', headers, body, signal: AbortSignal.timeout(s.timeoutMs), redirect: 'error' });
  } catch (err) {
    const f = classifyFetchFailure(err, url, s.timeoutMs);
    throw new WebhookDeliveryError(f.code, f.args, f.retryable, f.cause);
  }
  // Read the body so the connection can be reused, but keep only a short excerpt for errors.
  const text = await res.text().catch(() => '');
  if (res.ok) return res.status;
  const retryable = res.status === 408 || res.status === 429 || res.status >= 500;
  throw new WebhookDeliveryError('HAETAE_WEBHOOK_STATUS', [res.status, text.slice(0, 200) || res.statusText], retryable, `HTTP_${res.status}`);
}
