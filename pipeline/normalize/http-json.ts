/**
 * Events of the HTTP input (envelope kinds hec and json) → ECS events.
 *
 * Mapping (docs: README "HTTP input"):
 * - event.original: the event's exact bytes (the HEC event object, the raw line, the NDJSON line).
 * - HEC `event` string (or a raw line) → message. When it starts with a syslog PRI (`<34>…`) it is
 *   read as syslog too (log.syslog.*, process.*, host from its HOSTNAME unless HEC host is set, its
 *   timestamp unless HEC time is set): syslog relayed through a shipper keeps its meaning.
 * - HEC `event` object / NDJSON object → haetae.http.event (flattened), message ← its `message`,
 *   `log` or `msg` string, else the object's JSON.
 * - HEC `time` (epoch seconds) → @timestamp; NDJSON `@timestamp`, `timestamp` or `time` (RFC 3339,
 *   or epoch seconds/milliseconds) → @timestamp. Bounded by the event-time policy like syslog.
 * - HEC `host` → host.name and host.hostname (and related.hosts); NDJSON `host` (string) or
 *   `host.name` too.
 * - HEC `source`, `sourcetype`, `index`, `fields`, the channel, the token's name, the User-Agent,
 *   the endpoint → haetae.http.*. event.module hec (NDJSON: ndjson), event.dataset haetae.hec /
 *   haetae.ndjson. network.protocol http.
 */
import { isUtf8 } from 'node:buffer';
import type { HaetaeEvent, RawEnvelope } from '../../schemas/generated/types';
import { ECS_VERSION } from '../ecs/fields';
import { parseSyslog } from '../parse/syslog';
import { TAG_INVALID_UTF8, TAG_PARSE_FAILURE, normalizeSyslog, type RawCoordinates } from './syslog';

type HttpFields = NonNullable<HaetaeEvent['haetae']['http']>;

/** The first of these string fields of an event object is its message. */
const MESSAGE_KEYS = ['message', 'log', 'msg'] as const;

function asObject(v: unknown): Record<string, unknown> | null {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** NDJSON time: RFC 3339 text, or epoch seconds (< 1e11) / milliseconds as a number. */
function jsonTime(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isFinite(v) && v > 0) return v < 1e11 ? Math.round(v * 1000) : Math.round(v);
  if (typeof v === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(v)) {
    const t = Date.parse(v);
    return Number.isFinite(t) ? t : undefined;
  }
  return undefined;
}

function hecTimeMs(v: unknown): number | undefined {
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\s*[0-9]+(\.[0-9]+)?\s*$/.test(v) ? Number(v) : NaN;
  return Number.isFinite(n) && n >= 0 ? Math.round(n * 1000) : undefined;
}

function messageOf(obj: Record<string, unknown>, json: string): string {
  for (const k of MESSAGE_KEYS) if (typeof obj[k] === 'string') return obj[k] as string;
  return json;
}

export function normalizeHttp(envelope: RawEnvelope, payload: Buffer, raw: RawCoordinates, now: Date, timeZone?: Parameters<typeof parseSyslog>[1]['timeZone']): { event: HaetaeEvent; parseFailed: boolean } {
  const original = payload.toString('utf8');
  const meta = envelope.http;
  const endpoint = meta?.endpoint ?? (envelope.kind === 'json' ? 'ndjson' : 'event');
  const http: HttpFields = { endpoint, ...(meta?.token ? { token: meta.token } : {}) };
  if (meta?.channel) http.channel = meta.channel;
  if (meta?.userAgent) http.user_agent = meta.userAgent;
  const module = envelope.kind === 'json' ? 'ndjson' : 'hec';
  const event: HaetaeEvent = {
    '@timestamp': envelope.receivedAt,
    message: original,
    ecs: { version: ECS_VERSION },
    event: { original, created: envelope.receivedAt, ingested: now.toISOString(), kind: 'event', dataset: `haetae.${module}`, module },
    log: { source: { address: envelope.source.address, port: envelope.source.port } },
    network: { transport: 'tcp', protocol: 'http' },
    ...(envelope.observer?.hostname ? { agent: { type: 'haetae', name: envelope.observer.hostname } } : {}),
    haetae: { raw, http },
  };
  const tags: string[] = [];
  let parseFailed = false;
  let host = meta?.host;
  let time: number | undefined;
  let text: string | undefined;
  let src = meta?.source, st = meta?.sourcetype, idx = meta?.index;

  if (endpoint === 'raw') {
    text = original;
  } else {
    // The receiver checked the JSON before storing it; a record written by another producer may not be.
    let obj: Record<string, unknown> | null = null;
    try { obj = asObject(JSON.parse(original)); } catch { obj = null; }
    if (!obj) {
      parseFailed = true;
      event.event.kind = 'pipeline_error';
      tags.push(TAG_PARSE_FAILURE);
      event.haetae.parse = { error: { code: 'HAETAE_HTTP_INPUT', reason: 'the payload is not a JSON object' } };
    } else if (envelope.kind === 'json') {
      event.message = messageOf(obj, original);
      http.event = obj;
      time = jsonTime(obj['@timestamp']) ?? jsonTime(obj.timestamp) ?? jsonTime(obj.time);
      host = str(obj.host) ?? str(asObject(obj.host)?.name) ?? str(obj.hostname) ?? host;
    } else {
      time = hecTimeMs(obj.time);
      host = str(obj.host) ?? host;
      src = str(obj.source) ?? src;
      st = str(obj.sourcetype) ?? st;
      idx = str(obj.index) ?? idx;
      const fields = asObject(obj.fields);
      if (fields && Object.keys(fields).length > 0) http.fields = fields;
      const ev = obj.event;
      const evObj = asObject(ev);
      if (evObj) {
        http.event = evObj;
        event.message = messageOf(evObj, JSON.stringify(evObj));
      } else if (typeof ev === 'string') {
        text = ev;
      } else {
        event.message = JSON.stringify(ev);
      }
    }
  }
  if (src) http.source = src;
  if (st) http.sourcetype = st;
  if (idx) http.index = idx;

  if (text !== undefined) {
    event.message = text;
    // Syslog relayed by a shipper (a PRI first): read its header too, as the syslog input would.
    if (/^<[0-9]{1,3}>/.test(text)) {
      const parsed = parseSyslog(Buffer.from(text, 'utf8'), { receivedAt: new Date(envelope.receivedAt), timeZone });
      if (parsed.ok) {
        const sys = normalizeSyslog(envelope, Buffer.from(text, 'utf8'), parsed, raw, now);
        event.message = sys.message;
        if (sys.log?.syslog) event.log = { ...event.log, syslog: sys.log.syslog };
        if (sys.process) event.process = sys.process;
        if (sys.event.severity !== undefined) event.event.severity = sys.event.severity;
        if (!host && parsed.value.hostname) host = parsed.value.hostname;
        if (time === undefined && parsed.value.timestamp && !Number.isNaN(parsed.value.timestamp.getTime())) time = parsed.value.timestamp.getTime();
        if (sys.haetae.syslog) event.haetae.syslog = { ...sys.haetae.syslog, transport: 'http' };
      }
    }
  }
  if (time !== undefined && Number.isFinite(time)) {
    const d = new Date(time);
    if (!Number.isNaN(d.getTime())) event['@timestamp'] = d.toISOString();
  }
  if (host) {
    event.host = { name: host, hostname: host };
    event.related = { hosts: [host] };
  }
  if (!isUtf8(payload)) {
    tags.push(TAG_INVALID_UTF8);
    event.haetae.original_base64 = envelope.payload;
  }
  (event.related ??= {}).ip = [envelope.source.address];
  if (tags.length > 0) event.tags = tags;
  return { event, parseFailed };
}
