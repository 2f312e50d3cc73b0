import { DELIVERY_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, signPayload } from '../../pipeline/notify/sign';
import { HaetaeError } from '../../pipeline/errors/catalog';
import net from 'node:net';
import { fetch as undiciFetch, type Agent } from 'undici';
import { classifyFetchFailure, type FetchFailure } from './fetch-failure';
import type { OutboundGuard } from './outbound';

const dispatchers = new WeakMap<OutboundGuard, Agent>();
function dispatcherFor(guard: OutboundGuard): Agent {
  let d = dispatchers.get(guard);
  if (!d) dispatchers.set(guard, (d = guard.dispatcher()));
  return d;
}

export interface WebhookSettings {
  url: string;
  secret?: string | undefined;
  timeoutMs: number;
  /** notifier.outbound: where connections may go (absent: anywhere). */
  guard?: OutboundGuard | undefined;
}

/**
 * Why a delivery failed, and whether trying again can help. `detail.cause` holds the system or
 * undici code behind a network failure (ECONNREFUSED, DEPTH_ZERO_SELF_SIGNED_CERT…) or the HTTP
 * status, so the failed list can show it next to the message.
 */
export class WebhookDeliveryError extends HaetaeError {
  /** How long the server asked us to wait (Retry-After on 429/503), when it did. */
  retryAfterMs?: number;
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
    [DELIVERY_HEADER]: deliveryId,
    [TIMESTAMP_HEADER]: timestamp,
  };
  if (s.secret) headers[SIGNATURE_HEADER] = signPayload(s.secret, timestamp, body);
  return (await postJson({ url: s.url, timeoutMs: s.timeoutMs, headers, label: 'webhook', ...(s.guard ? { guard: s.guard } : {}) }, body)).status;
}

export interface JsonTarget {
  url: string;
  timeoutMs: number;
  /** Default POST. */
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH';
  headers?: Record<string, string>;
  /** How errors name the receiver: 'webhook', or e.g. "slack channel 'soc-slack'". */
  label: string;
  /** notifier.outbound: where connections may go (absent: anywhere). */
  guard?: OutboundGuard;
}

/** Longest Retry-After we honour; a longer one is capped (the job is retried after this). */
const MAX_RETRY_AFTER_MS = 3_600_000;

/**
 * POSTs a JSON body and returns the answer; any other outcome than 2xx is a WebhookDeliveryError
 * saying whether a retry can help, with the server's Retry-After (429, 503) when it gave one.
 */
export async function postJson(t: JsonTarget, body: string | undefined): Promise<{ status: number; text: string }> {
  const headers: Record<string, string> = { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), accept: 'application/json', 'user-agent': 'haetae-notifier/0.1', ...t.headers };
  let url: URL;
  let authorization: string | undefined;
  try {
    ({ url, authorization } = target(t.url));
  } catch (err) {
    throw relabel(err, t.label);
  }
  if (authorization) headers.authorization = authorization;
  let res: Response;
  try {
    const init = { method: t.method ?? 'POST', headers, ...(body !== undefined ? { body } : {}), signal: AbortSignal.timeout(t.timeoutMs), redirect: 'error' as const };
    if (t.guard) {
      // An address in the URL is not looked up, so it is checked here; names are checked as they resolve.
      const literal = url.hostname.replace(/^\[|\]$/g, '');
      const why = net.isIP(literal) ? t.guard.refuseAddress(literal, literal) : t.guard.refuseName(url.hostname);
      if (why) throw Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error(why), { code: 'EOUTBOUNDDENIED' }) });
      res = (await undiciFetch(url, { ...init, dispatcher: dispatcherFor(t.guard) })) as unknown as Response;
    } else {
      res = await fetch(url, init);
    }
  } catch (err) {
    const f = classifyFetchFailure(err, url, t.timeoutMs);
    throw relabel(new WebhookDeliveryError(f.code, f.args, f.retryable, f.cause), t.label);
  }
  // Read the body so the connection can be reused, but keep only a short excerpt for errors.
  const text = await res.text().catch(() => '');
  if (res.ok) return { status: res.status, text };
  const retryable = res.status === 408 || res.status === 429 || res.status >= 500;
  const err = relabel(new WebhookDeliveryError('HAETAE_WEBHOOK_STATUS', [res.status, text.slice(0, 200) || res.statusText], retryable, `HTTP_${res.status}`), t.label);
  const after = retryAfterMs(res.headers.get('retry-after'), Date.now());
  if (after !== null && retryable) err.retryAfterMs = Math.min(after, MAX_RETRY_AFTER_MS);
  throw err;
}

/** Retry-After as milliseconds from now: delta-seconds or an HTTP date (RFC 9110 §10.2.3); null when absent or unreadable. */
export function retryAfterMs(value: string | null, now: number): number | null {
  if (!value) return null;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}

/** The catalog's messages say "webhook"; other channels name themselves. */
function relabel<E>(err: E, label: string): E {
  if (label === 'webhook' || !(err instanceof WebhookDeliveryError)) return err;
  err.message = err.message.replace(/^webhook URL \(notifier\.webhook\.url\)/, `${label} URL`).replace(/^webhook/, label);
  return err;
}
