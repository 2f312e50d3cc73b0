/**
 * The HTTP input: Splunk HEC (/services/collector/event, /services/collector/raw, health) and
 * NDJSON (/ndjson), so shippers people already run (Fluent Bit, Vector, Logstash, OpenTelemetry
 * collectors) can send to haetae.
 *
 * Node's http module rather than fastify (which the API role uses): this path needs the exact
 * bytes of every event (event.original), concatenated JSON that no content-type parser reads, byte
 * limits enforced while the body streams in and while it is gunzipped (gzip bombs), and a response
 * held until Kafka has stored every event of the request; routing is five fixed paths. A framework
 * would add a body parser to bypass and nothing used.
 *
 * Delivery: a request is parsed whole first (all or nothing: a bad event refuses the request and
 * stores none), then each event becomes one raw envelope (kind hec or json) and the answer
 * `{"text":"Success","code":0}` goes out only after Kafka stored all of them (acks=all). While
 * Kafka is behind (the sink is saturated) requests are answered 503 "Server is busy" with
 * Retry-After instead of buffered: every HEC client retries those.
 */
import http from 'node:http';
import zlib from 'node:zlib';
import { performance } from 'node:perf_hooks';
import type net from 'node:net';
import { HaetaeError, type ErrorCode } from '../../errors/catalog';
import { allowList, ConnectionSlots, refuseConnection, SourceRateLimiter, type BoundListener, type FrameSink, type ListenerEvents, type ListenerLimits, type ListenerSpec, type PeerInfo } from '../syslog/listeners';
import { normalizeAddress } from '../../envelope/envelope';
import type { Frame } from '../syslog/frame';
import { parseHecEvents, parseNdjson, parseRawLines, type BodyOutcome } from './body';
import { HEC, type HecAnswer } from './hec-codes';
import { watchTokens } from './tokens';

export interface HttpLimits {
  /** Request body bytes as sent (compressed or not). */
  maxBodyBytes: number;
  /** Request body bytes after gunzip: a small gzip body can inflate a thousandfold. */
  maxDecompressedBytes: number;
  /** Events in one request. */
  maxEvents: number;
  /** Body bytes being received or waiting for Kafka on the listener, all requests together; past it, 503. */
  maxInflightBytes: number;
  /** The whole request (headers and body) must arrive within this. */
  requestTimeoutMs: number;
  /** Headers must arrive within this (slowloris). */
  headersTimeoutMs: number;
  /** Kafka must store a request's events within this, else 503 (the sender retries; see docs). */
  ackTimeoutMs: number;
  /** An idle keep-alive connection is closed after this. */
  keepAliveTimeoutMs: number;
}

export const DEFAULT_HTTP_LIMITS: HttpLimits = {
  maxBodyBytes: 8 * 1024 * 1024,
  maxDecompressedBytes: 32 * 1024 * 1024,
  maxEvents: 10_000,
  maxInflightBytes: 128 * 1024 * 1024,
  requestTimeoutMs: 30_000,
  headersTimeoutMs: 10_000,
  ackTimeoutMs: 30_000,
  keepAliveTimeoutMs: 30_000,
};

/** Why a request was refused: the label it is counted and logged under. */
export type HttpRefusal =
  | 'token_required' | 'invalid_authorization' | 'invalid_token'
  | 'no_data' | 'invalid_json' | 'event_required' | 'event_blank' | 'invalid_fields' | 'invalid_channel' | 'invalid_query' | 'bad_encoding' | 'bad_gzip'
  | 'bad_request' | 'body_too_large' | 'decompressed_too_large' | 'event_too_large' | 'too_many_events' | 'timeout'
  | 'busy' | 'ack_timeout'
  | 'not_found' | 'method';

const CODE_OF: Record<HttpRefusal, ErrorCode | null> = {
  token_required: 'HAETAE_HTTP_AUTH', invalid_authorization: 'HAETAE_HTTP_AUTH', invalid_token: 'HAETAE_HTTP_AUTH',
  no_data: 'HAETAE_HTTP_INPUT', invalid_json: 'HAETAE_HTTP_INPUT', event_required: 'HAETAE_HTTP_INPUT', event_blank: 'HAETAE_HTTP_INPUT', invalid_fields: 'HAETAE_HTTP_INPUT',
  invalid_channel: 'HAETAE_HTTP_INPUT', invalid_query: 'HAETAE_HTTP_INPUT', bad_encoding: 'HAETAE_HTTP_INPUT', bad_gzip: 'HAETAE_HTTP_INPUT',
  bad_request: 'HAETAE_HTTP_INPUT', body_too_large: 'HAETAE_HTTP_LIMIT', decompressed_too_large: 'HAETAE_HTTP_LIMIT', event_too_large: 'HAETAE_HTTP_LIMIT', too_many_events: 'HAETAE_HTTP_LIMIT', timeout: 'HAETAE_HTTP_LIMIT',
  busy: 'HAETAE_HTTP_BUSY', ack_timeout: 'HAETAE_HTTP_BUSY',
  not_found: null, method: null,
};

/** The catalog code a refusal is counted under (null: not counted, e.g. a wrong path). */
export function refusalCode(refusal: HttpRefusal): ErrorCode | null {
  return CODE_OF[refusal];
}

export interface HttpListenerEvents extends ListenerEvents {
  /**
   * A request was refused (answered with an error). Without this hook the refusal is reported
   * through onError as a HaetaeError whose `code` is the HAETAE_HTTP_* code (counted by the
   * receiver as haetae_errors_total{stage="receive",error_type=<code>}).
   */
  onHttpRefused?(spec: ListenerSpec, refusal: HttpRefusal, code: ErrorCode, source: string, reason: string): void;
  /** The tokens file was re-read (err: it was not, the previous tokens stay). */
  onTokensReload?(spec: ListenerSpec, err: Error | null, tokens: number): void;
}

type Endpoint = 'event' | 'raw' | 'ndjson';

const ROUTES: Record<string, Endpoint | 'health'> = {
  '/services/collector': 'event',
  '/services/collector/event': 'event',
  '/services/collector/event/1.0': 'event',
  '/services/collector/raw': 'raw',
  '/services/collector/raw/1.0': 'raw',
  '/ndjson': 'ndjson',
  '/services/collector/health': 'health',
  '/services/collector/health/1.0': 'health',
};

const CHANNEL = /^[A-Za-z0-9_.:-]{1,128}$/;
const QUERY_DEFAULTS = ['host', 'source', 'sourcetype', 'index'] as const;

export function bindHttp(spec: ListenerSpec, sink: FrameSink, limits: ListenerLimits, events: ListenerEvents): Promise<BoundListener> {
  return bindHttpWith(spec, sink, limits, events, DEFAULT_HTTP_LIMITS);
}

export function bindHttpWith(spec: ListenerSpec, sink: FrameSink, limits: ListenerLimits, events: HttpListenerEvents, httpLimits: HttpLimits): Promise<BoundListener> {
  if (!spec.tokensFile) return Promise.reject(new HaetaeError('HAETAE_HTTP_TOKENS', ['(none)', `the http listener on port ${spec.port} needs tokensFile`]));
  let tokens: ReturnType<typeof watchTokens>;
  try {
    tokens = watchTokens(spec.tokensFile, (err, n) => {
      events.onTokensReload?.(spec, err, n);
      if (err && !events.onTokensReload) events.onError(spec, err);
    });
  } catch (err) {
    return Promise.reject(err);
  }
  let inflight = 0;
  const sockets = new Set<net.Socket>();

  /**
   * Counts a refusal: through onHttpRefused when given (tests), else through the receiver's
   * per-source limit events (haetae_receiver_limited_total{reason} and haetae_dropped_total
   * {stage="receive",reason}, one log line per source and reason a minute, naming the
   * HAETAE_HTTP_* code), else as an error (haetae_errors_total{error_type=<code>}).
   */
  const refused = (refusal: HttpRefusal, source: string, reason: string): void => {
    const code = CODE_OF[refusal];
    if (code === null) return;
    const address = normalizeAddress(source);
    if (events.onHttpRefused) events.onHttpRefused(spec, refusal, code, address, reason);
    else if (events.onLimited) events.onLimited(spec, address, refusal, 'dropped', `HTTP request refused (${code}): ${reason}`);
    else events.onError(spec, new HaetaeError(code, [`${refusal} from ${address}: ${reason}`]));
  };
  const allowed = allowList(spec);
  // Per-source rate (receiver.rateLimit), HTTP policy: a request is charged for its events and may
  // run into debt; while a source is in debt its requests get 503 + Retry-After (nothing is lost:
  // HEC clients retry 503), as a stream listener stops reading until the debt is paid back.
  const limiter = limits.rateLimit && limits.rateLimit.messagesPerSecond > 0 ? new SourceRateLimiter(limits.rateLimit, () => events.onSourceEvicted?.(spec)) : null;
  const slots = new ConnectionSlots(limits);

  const answer = (res: http.ServerResponse, a: HecAnswer, close = false): void => {
    if (res.headersSent || res.destroyed) return;
    const body = JSON.stringify(a.body);
    const headers: http.OutgoingHttpHeaders = { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) };
    if (a.retryAfter !== undefined) headers['retry-after'] = String(a.retryAfter);
    // Answered before the body was read: close rather than read (and pay for) a body we refuse.
    if (close) headers.connection = 'close';
    res.writeHead(a.status, headers);
    res.end(body);
  };

  const server = http.createServer({ requestTimeout: httpLimits.requestTimeoutMs, headersTimeout: httpLimits.headersTimeoutMs, keepAliveTimeout: httpLimits.keepAliveTimeoutMs, maxHeaderSize: 16 * 1024,
    // How often Node checks the two timeouts above (its default, 30 s, would let a slow sender hold a connection that long past them).
    connectionsCheckingInterval: Math.min(1_000, httpLimits.headersTimeoutMs) }, (req, res) => {
    const sourceAddress = req.socket.remoteAddress ?? '';
    const label = sourceAddress;
    const url = new URL(req.url ?? '/', 'http://x');
    const route = ROUTES[url.pathname.replace(/\/+$/, '') || '/'];
    if (!route) return answer(res, HEC.notFound, true);
    if (route === 'health') {
      if (req.method !== 'GET' && req.method !== 'HEAD') return answer(res, HEC.methodNotAllowed, true);
      return answer(res, sink.saturated ? HEC.unhealthy : HEC.healthy);
    }
    if (req.method !== 'POST') return answer(res, HEC.methodNotAllowed, true);
    const refuse = (a: HecAnswer, why: HttpRefusal, reason: string, close = false): void => {
      refused(why, label, reason);
      answer(res, a, close);
    };

    // Authentication before anything of the body is read.
    const auth = req.headers.authorization;
    if (auth === undefined || auth.trim() === '') return refuse(HEC.tokenRequired, 'token_required', 'no Authorization header', true);
    const m = /^(Splunk|Bearer)\s+(\S+)\s*$/i.exec(auth);
    if (!m) return refuse(HEC.invalidAuthorization, 'invalid_authorization', 'the Authorization header is not "Splunk <token>" or "Bearer <token>"', true);
    const tokenName = tokens.current().nameOf(m[2]!);
    if (tokenName === null) return refuse(HEC.invalidToken, 'invalid_token', 'the token is not in the tokens file', true);

    const channel = (req.headers['x-splunk-request-channel'] as string | undefined) ?? url.searchParams.get('channel') ?? undefined;
    if (channel !== undefined && !CHANNEL.test(channel)) return refuse(HEC.invalidChannel, 'invalid_channel', 'the channel must be 1-128 letters, digits or _.:-', true);
    const meta: NonNullable<Frame['http']> = { endpoint: route, token: tokenName };
    if (channel !== undefined) meta.channel = channel;
    for (const k of QUERY_DEFAULTS) {
      const v = url.searchParams.get(k);
      if (v === null || v === '') continue;
      if (v.length > 1024) return refuse(HEC.invalidFormat, 'invalid_query', `?${k}= is longer than 1024 characters`, true);
      meta[k] = v;
    }
    const ua = req.headers['user-agent'];
    if (ua) meta.userAgent = ua.slice(0, 1024);

    const encoding = (req.headers['content-encoding'] ?? 'identity').toLowerCase().trim();
    const gzip = encoding === 'gzip' || encoding === 'x-gzip';
    if (!gzip && encoding !== 'identity' && encoding !== '') return refuse(HEC.unsupportedEncoding, 'bad_encoding', `Content-Encoding ${encoding}`, true);

    if (sink.saturated) return refuse(HEC.busy, 'busy', 'Kafka is behind (the receiver holds receiver.maxPendingMessages/Bytes)', true);
    const rateSource = normalizeAddress(sourceAddress);
    const waitMs = limiter ? limiter.waitMs(rateSource, performance.now()) : 0;
    if (waitMs > 0) {
      events.onLimited?.(spec, rateSource, 'rate_limit', 'paused', `HTTP request answered 503 (Retry-After): the source is over receiver.rateLimit for ${Math.ceil(waitMs)} ms more`);
      return answer(res, { ...HEC.busy, retryAfter: Math.max(1, Math.ceil(waitMs / 1000)) }, true);
    }
    const declared = Number(req.headers['content-length'] ?? NaN);
    if (Number.isFinite(declared) && declared > httpLimits.maxBodyBytes) {
      return refuse({ ...HEC.bodyTooLarge, body: { ...HEC.bodyTooLarge.body, text: `Request body too large (maximum ${httpLimits.maxBodyBytes} bytes)` } }, 'body_too_large', `Content-Length ${declared} > ${httpLimits.maxBodyBytes}`, true);
    }
    // Body bytes held across all requests are bounded: reserve this one's worst case up front.
    const reserve = Number.isFinite(declared) ? declared : httpLimits.maxBodyBytes;
    if (inflight + reserve > httpLimits.maxInflightBytes) return refuse(HEC.busy, 'busy', `the listener holds ${inflight} bytes of requests in flight`, true);
    inflight += reserve;
    let released = false;
    const release = (): void => {
      if (!released) { released = true; inflight -= reserve; }
    };
    res.on('close', release);

    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (c: Buffer) => {
      if (over) return;
      size += c.length;
      if (size > httpLimits.maxBodyBytes) {
        over = true;
        chunks.length = 0;
        refuse({ ...HEC.bodyTooLarge, body: { ...HEC.bodyTooLarge.body, text: `Request body too large (maximum ${httpLimits.maxBodyBytes} bytes)` } }, 'body_too_large', `more than ${httpLimits.maxBodyBytes} body bytes`, true);
        return;
      }
      chunks.push(c);
    });
    req.on('error', () => release());
    req.on('end', () => {
      if (over) return;
      const body = Buffer.concat(chunks, size);
      chunks.length = 0;
      if (!gzip) return deliver(body);
      zlib.gunzip(body, { maxOutputLength: httpLimits.maxDecompressedBytes }, (err, out) => {
        if (!err) return deliver(out);
        if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE' || err instanceof RangeError) {
          return refuse({ ...HEC.bodyTooLarge, body: { ...HEC.bodyTooLarge.body, text: `Request body too large once decompressed (maximum ${httpLimits.maxDecompressedBytes} bytes)` } }, 'decompressed_too_large', `gzip body inflates past ${httpLimits.maxDecompressedBytes} bytes`, true);
        }
        refuse({ ...HEC.invalidFormat, body: { ...HEC.invalidFormat.body, text: 'Invalid data format: the body is not valid gzip' } }, 'bad_gzip', err.message);
      });
    });

    const deliver = (body: Buffer): void => {
      const bodyLimits = { maxEventBytes: limits.maxMessageBytes, maxEvents: httpLimits.maxEvents };
      const parsed: BodyOutcome = route === 'event' ? parseHecEvents(body, bodyLimits) : route === 'raw' ? parseRawLines(body, bodyLimits) : parseNdjson(body, bodyLimits);
      if (!parsed.ok) return refuse(parsed.answer, parsed.refusal, parsed.reason);
      const local = server.address() as net.AddressInfo;
      const peer: PeerInfo = { transport: 'http', source: { address: sourceAddress, port: req.socket.remotePort ?? 0 }, listener: { address: local.address, port: local.port } };
      const kind = route === 'ndjson' ? 'json' : 'hec';
      const framing = route === 'event' ? 'json' : 'lf';
      limiter?.charge(normalizeAddress(sourceAddress), parsed.events.length, performance.now());
      let waiting = parsed.events.length;
      const timer = setTimeout(() => {
        refuse(HEC.busy, 'ack_timeout', `Kafka did not store ${waiting} of ${parsed.events.length} events within ${httpLimits.ackTimeoutMs} ms`);
      }, httpLimits.ackTimeoutMs);
      timer.unref();
      const stored = (): void => {
        if (--waiting > 0) return;
        clearTimeout(timer);
        answer(res, HEC.success);
      };
      for (const e of parsed.events) sink.accept({ bytes: e.bytes, framing, truncated: false, kind, http: meta }, peer, stored);
    };
  });

  server.on('connection', (s: net.Socket) => {
    // Sources outside the listener's allow list are closed before anything is read.
    if (allowed) {
      const source = normalizeAddress(s.remoteAddress ?? '');
      if (!allowed(source)) {
        refuseConnection(s);
        events.onLimited?.(spec, source, 'not_allowed', 'closed');
        return;
      }
    }
    // Connection limits, checked before anything is read (as the stream listeners do).
    const source = normalizeAddress(s.remoteAddress ?? '');
    const over = slots.take(source, s);
    if (over) {
      refuseConnection(s);
      events.onConnectionRefused?.(spec, source, over);
      return;
    }
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  // Malformed HTTP, header timeouts (slowloris), oversized headers: answer if we still can, count.
  server.on('clientError', (err: NodeJS.ErrnoException, socket: net.Socket) => {
    const timeout = err.code === 'ERR_HTTP_REQUEST_TIMEOUT' || err.code === 'ERR_HTTP_HEADERS_TIMEOUT';
    const label = socket.remoteAddress ?? '';
    if (err.code !== 'ECONNRESET' && err.code !== 'EPIPE') refused(timeout ? 'timeout' : err.code === 'HPE_HEADER_OVERFLOW' ? 'body_too_large' : 'bad_request', label, `${err.code ?? 'HTTP error'}: ${err.message}`);
    if (socket.writable) {
      const a = timeout ? HEC.timeout : err.code === 'HPE_HEADER_OVERFLOW' ? { status: 431, body: { text: 'Request headers too large', code: 6 } } : { status: 400, body: { text: 'Bad request', code: 6 } };
      const body = JSON.stringify(a.body);
      socket.end(`HTTP/1.1 ${a.status} ${http.STATUS_CODES[a.status]}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
    } else socket.destroy();
  });

  return new Promise((resolve, reject) => {
    server.once('error', (err) => { tokens.close(); reject(err); });
    server.listen({ port: spec.port, host: spec.host }, () => {
      server.removeAllListeners('error');
      server.on('error', (err) => events.onError(spec, err));
      const a = server.address() as net.AddressInfo;
      resolve({
        spec,
        address: { address: a.address, port: a.port },
        close: () =>
          new Promise<void>((r) => {
            tokens.close();
            // Requests in flight still get their answer (Kafka stores them while the receiver
            // flushes); idle keep-alive connections go now, stragglers after 5 s.
            server.close(() => r());
            server.closeIdleConnections();
            setTimeout(() => { server.closeAllConnections(); for (const s of sockets) s.destroy(); }, 5_000).unref();
          }),
      });
    });
  });
}
