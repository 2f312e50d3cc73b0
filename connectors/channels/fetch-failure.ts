import type { ErrorCode } from '../../pipeline/errors/catalog';
import { scrubSecrets } from '../../pipeline/telemetry/redact';

/** A failed fetch as the notifier needs it: a catalog code, its message arguments, and whether a retry can help. */
export interface FetchFailure {
  code: Extract<ErrorCode, 'HAETAE_WEBHOOK_NETWORK' | 'HAETAE_WEBHOOK_TIMEOUT' | 'HAETAE_WEBHOOK_TLS' | 'HAETAE_WEBHOOK_URL'>;
  args: (string | number)[];
  retryable: boolean;
  /** The system or undici code behind it (ECONNREFUSED, DEPTH_ZERO_SELF_SIGNED_CERT, TimeoutError…), for the failed list. */
  cause: string;
}

/** OpenSSL verify results Node reports for a certificate it will not trust; all are configuration, not weather. */
const CERT_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'UNABLE_TO_GET_CRL', 'INVALID_CA', 'INVALID_PURPOSE',
  'HOSTNAME_MISMATCH', 'ERR_TLS_CERT_ALTNAME_INVALID', 'ERR_TLS_CERT_ALTNAME_FORMAT',
]);

const CLOSED = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED']);
const CONNECT_TIMEOUT = new Set(['ETIMEDOUT', 'UND_ERR_CONNECT_TIMEOUT']);
const ANSWER_TIMEOUT = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);
const UNREACHABLE = new Set(['EHOSTUNREACH', 'ENETUNREACH', 'EHOSTDOWN', 'ENETDOWN', 'EADDRNOTAVAIL']);

interface ErrorLike { name?: unknown; message?: unknown; code?: unknown; cause?: unknown; errors?: unknown }

function asErrorLike(v: unknown): ErrorLike | undefined {
  return typeof v === 'object' && v !== null ? (v as ErrorLike) : undefined;
}

/** The error fetch wraps in `cause` (undici's TypeError('fetch failed') says nothing by itself). */
function underlying(err: unknown): ErrorLike | undefined {
  const e = asErrorLike(err);
  const cause = asErrorLike(e?.cause);
  if (!cause) return e;
  // Happy eyeballs (autoSelectFamily) reports an AggregateError of one error per address tried.
  if (typeof cause.code !== 'string' && Array.isArray(cause.errors) && cause.errors.length > 0) return asErrorLike(cause.errors[0]) ?? cause;
  return cause;
}

/** `host:port` with the default port spelled out: what an operator checks with `nc` or `openssl s_client`. */
export function endpointOf(url: URL): string {
  return `${url.hostname}:${url.port || (url.protocol === 'https:' ? '443' : '80')}`;
}

/**
 * Turns what fetch threw into a named cause and a retry decision. Retryable: anything the
 * network or the peer can fix by itself (refused, reset, timeouts, unreachable, DNS). Permanent:
 * what only a person can fix (a certificate we will not trust, a failed TLS handshake, a URL fetch
 * cannot use); retrying those for an hour only delays the operator finding out.
 */
export function classifyFetchFailure(err: unknown, url: URL, timeoutMs: number): FetchFailure {
  const e = asErrorLike(err);
  const c = underlying(err);
  const endpoint = endpointOf(url);
  const name = String(e?.name ?? '');
  const causeName = String(c?.name ?? '');
  // Our own AbortSignal.timeout: fetch rejects with the signal's reason, a DOMException.
  if (name === 'TimeoutError' || name === 'AbortError' || causeName === 'TimeoutError' || causeName === 'AbortError') {
    return { code: 'HAETAE_WEBHOOK_TIMEOUT', args: [endpoint, timeoutMs], retryable: true, cause: name === 'TimeoutError' || name === 'AbortError' ? name : causeName };
  }
  const code = typeof c?.code === 'string' ? c.code : '';
  const message = scrubSecrets(String(c?.message ?? e?.message ?? err));
  const network = (text: string, retryable = true): FetchFailure => ({ code: 'HAETAE_WEBHOOK_NETWORK', args: [`${text} (${code})`], retryable, cause: code });

  // Refused by notifier.outbound before any connection: configuration, not weather.
  if (code === 'EOUTBOUNDDENIED') return { code: 'HAETAE_WEBHOOK_URL', args: [message], retryable: false, cause: code };
  if (CERT_CODES.has(code) || code.startsWith('CERT_') || code.startsWith('ERR_TLS_CERT')) {
    return { code: 'HAETAE_WEBHOOK_TLS', args: [endpoint, 'certificate rejected', message, code], retryable: false, cause: code };
  }
  if (code.startsWith('ERR_SSL_') || code.startsWith('ERR_TLS_') || code === 'EPROTO') {
    return { code: 'HAETAE_WEBHOOK_TLS', args: [endpoint, 'handshake failed', tlsReason(message), code], retryable: false, cause: code };
  }
  if (code === 'ECONNREFUSED') return network(`connection refused by ${endpoint}`);
  // ENOTFOUND (NXDOMAIN) is retried too, on purpose: resolvers do answer NXDOMAIN transiently
  // (split-horizon DNS while a VPN reconnects, a record being (re)created, negative caching of a
  // flapping upstream), and the backoff bounds the cost. A name that really does not exist still
  // reaches the failed list after `notifier.attempts`, with this reason on it.
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EAI_FAIL' || code === 'EAI_NODATA') return network(`DNS lookup failed for ${url.hostname}`);
  if (CLOSED.has(code)) return network(`connection to ${endpoint} closed without an answer`);
  if (CONNECT_TIMEOUT.has(code)) return network(`connecting to ${endpoint} timed out`);
  if (ANSWER_TIMEOUT.has(code)) return network(`${endpoint} did not answer in time`);
  if (UNREACHABLE.has(code)) return network(`${endpoint} is unreachable`);
  // undici's own refusals carry no code, only a fixed message.
  if (message === 'bad port') return { code: 'HAETAE_WEBHOOK_URL', args: [`port ${url.port} is one fetch refuses to use (bad port)`], retryable: false, cause: 'BAD_PORT' };
  if (message === 'unexpected redirect') {
    return { code: 'HAETAE_WEBHOOK_URL', args: ['the endpoint answered with a redirect, which is not followed; configure the final URL'], retryable: false, cause: 'REDIRECT' };
  }
  if (code === 'ERR_INVALID_URL') return { code: 'HAETAE_WEBHOOK_URL', args: ['not a valid URL'], retryable: false, cause: code };
  // Unknown: retry (the safe side for delivery) and keep the original text for the operator.
  return { code: 'HAETAE_WEBHOOK_NETWORK', args: [code ? `${message} (${code})` : message], retryable: true, cause: code || 'UNKNOWN' };
}

/** OpenSSL's text is `<hex>:error:<lib>:<func>:<reason>:<file>:<line>:`; the reason is the readable part. */
function tlsReason(message: string): string {
  const m = /:error:[0-9A-Fa-f]+:[^:]*:[^:]*:([^:]+):/.exec(message);
  return m ? m[1]! : message.trim();
}
