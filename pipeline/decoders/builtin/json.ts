/**
 * Generic JSON: a message that is one JSON object. Its keys go under `json.*`, flattened with
 * dots (depth ≤ 8, ≤ 256 leaves; deeper objects and arrays of objects are kept as JSON text),
 * and keys that are ECS field names — written dotted (`"source.ip"`) or nested
 * (`{"source":{"ip":…}}`) — are copied to the ECS field when the value has the field's type
 * (an address for `ip`, 0–65535 for ports, an integer for `long`, ECS allowed values for
 * event.kind/category/type/outcome, network.direction). `message` and `@timestamp` are never
 * copied (the pipeline owns them). Lowest-priority fallback for messages starting with `{`.
 * Dataset: `json.log`.
 */
import type { DecodeResult, DecoderInput } from '../types';
import type { BuiltinCode } from './index';
import { ECS_CATEGORY, ECS_DIRECTION, ECS_OUTCOME, ECS_TYPE, Fields, MAX_INPUT, MAX_VALUE, guarded, isIp, toInt } from './common';

export const DATASET = 'json.log';
const MAX_DEPTH = 8;
const MAX_LEAVES = 256;

export type Kind = 'ip' | 'port' | 'long' | 'keyword' | 'keywords' | 'ips' | 'kind' | 'category' | 'type' | 'outcome' | 'direction';

const ENDPOINT: Record<string, Kind> = {
  ip: 'ip', port: 'port', domain: 'keyword', address: 'keyword', mac: 'keyword', bytes: 'long', packets: 'long',
  'user.name': 'keyword', 'user.id': 'keyword', 'user.domain': 'keyword', 'nat.ip': 'ip', 'nat.port': 'port',
};

/** ECS fields copied out of JSON, with the type a value must have. */
export const ECS_FIELDS: Record<string, Kind> = (() => {
  const t: Record<string, Kind> = {};
  for (const side of ['source', 'destination', 'client', 'server']) for (const [k, v] of Object.entries(ENDPOINT)) t[`${side}.${k}`] = v;
  const kw = (...names: string[]): void => { for (const n of names) t[n] = 'keyword'; };
  kw('user.name', 'user.id', 'user.domain', 'user.email', 'user.full_name', 'user.target.name', 'user.effective.name',
    'host.name', 'host.hostname', 'host.id', 'host.os.name', 'host.os.version',
    'process.name', 'process.executable', 'process.command_line', 'process.working_directory', 'process.entity_id', 'process.title',
    'process.parent.name', 'process.parent.executable', 'process.parent.command_line', 'process.parent.entity_id',
    'process.hash.md5', 'process.hash.sha1', 'process.hash.sha256',
    'file.path', 'file.name', 'file.directory', 'file.extension', 'file.mime_type', 'file.hash.md5', 'file.hash.sha1', 'file.hash.sha256',
    'url.original', 'url.full', 'url.domain', 'url.path', 'url.query', 'url.scheme',
    'http.request.method', 'http.request.referrer', 'http.version', 'user_agent.original',
    'dns.question.name', 'dns.question.type', 'dns.response_code',
    'network.transport', 'network.protocol', 'network.type', 'network.application', 'network.community_id',
    'event.action', 'event.code', 'event.id', 'event.reason', 'event.provider', 'event.module',
    'rule.name', 'rule.id', 'rule.category', 'rule.ruleset', 'log.level', 'log.logger', 'error.message', 'error.code', 'error.type',
    'service.name', 'service.type', 'observer.vendor', 'observer.product', 'observer.name', 'observer.hostname',
    'tls.version', 'tls.cipher', 'tls.client.server_name', 'trace.id', 'transaction.id', 'container.id', 'container.name',
    'cloud.provider', 'cloud.region', 'cloud.account.id', 'agent.name', 'agent.type', 'agent.version');
  for (const n of ['process.pid', 'process.parent.pid', 'http.response.status_code', 'http.request.bytes', 'http.response.bytes',
    'event.severity', 'network.bytes', 'network.packets', 'file.size', 'event.duration']) t[n] = 'long';
  t['host.ip'] = 'ips';
  t['observer.ip'] = 'ips';
  t['process.args'] = 'keywords';
  t['tags'] = 'keywords';
  t['related.user'] = 'keywords';
  t['related.hosts'] = 'keywords';
  t['related.ip'] = 'ips';
  t['event.kind'] = 'kind';
  t['event.category'] = 'category';
  t['event.type'] = 'type';
  t['event.outcome'] = 'outcome';
  t['network.direction'] = 'direction';
  return t;
})();

export function typed(kind: Kind, v: unknown): unknown {
  switch (kind) {
    case 'ip': return isIp(v) ? v : undefined;
    case 'port': { const n = toInt(v); return n !== null && n >= 0 && n <= 65535 ? n : undefined; }
    case 'long': { const n = toInt(v); return n ?? undefined; }
    case 'keyword': return typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : undefined;
    case 'keywords': {
      const list = Array.isArray(v) ? v : [v];
      return list.every((x) => typeof x === 'string') ? list : undefined;
    }
    case 'ips': {
      const list = Array.isArray(v) ? v : [v];
      return list.every(isIp) ? list : undefined;
    }
    // ECS allows more kinds, but the event contract (schemas/event.schema.json) reserves the others.
    case 'kind': return v === 'event' ? v : undefined;
    case 'outcome': return typeof v === 'string' && ECS_OUTCOME.has(v) ? v : undefined;
    case 'direction': return typeof v === 'string' && ECS_DIRECTION.has(v) ? v : undefined;
    case 'category': case 'type': {
      const allowed = kind === 'category' ? ECS_CATEGORY : ECS_TYPE;
      const list = Array.isArray(v) ? v : [v];
      return list.length > 0 && list.every((x) => typeof x === 'string' && allowed.has(x)) ? list : undefined;
    }
  }
}

/** Flattens an object to dotted leaves (bounded); arrays of scalars stay arrays. */
export function flatten(obj: Record<string, unknown>, emit: (path: string, value: unknown) => boolean, prefix = '', depth = 0): boolean {
  for (const [k, v] of Object.entries(obj)) {
    if (k === '' || k.length > 128) continue;
    const path = prefix ? `${prefix}.${k}` : k;
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
      if (depth + 1 >= MAX_DEPTH) {
        if (!emit(path, JSON.stringify(v).slice(0, MAX_VALUE))) return false;
      } else if (!flatten(v as Record<string, unknown>, emit, path, depth + 1)) return false;
    } else if (Array.isArray(v)) {
      const scalars = v.every((x) => x === null || typeof x !== 'object');
      if (!emit(path, scalars ? v.slice(0, 256) : JSON.stringify(v).slice(0, MAX_VALUE))) return false;
    } else if (!emit(path, v)) return false;
  }
  return true;
}

function decode(input: DecoderInput): DecodeResult | null {
  const text = input.message.trim();
  if (!text.startsWith('{')) return null;
  if (text.length > MAX_INPUT) return { ok: false, reason: `json: object longer than ${MAX_INPUT} characters` };
  let obj: unknown;
  try {
    obj = JSON.parse(text);
  } catch (err) {
    return { ok: false, reason: `json: ${err instanceof Error ? err.message : 'invalid JSON'}`.slice(0, 200) };
  }
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) return null;
  const f = new Fields();
  let leaves = 0;
  flatten(obj as Record<string, unknown>, (path, value) => {
    if (leaves++ >= MAX_LEAVES) return false;
    f.set(`json.${path}`, value);
    const kind = ECS_FIELDS[path];
    if (kind) {
      const t = typed(kind, value);
      if (t !== undefined) {
        f.set(path, t);
        if (kind === 'ip') f.related('ip', t);
        if (path.endsWith('user.name')) f.related('user', t);
      }
    }
    return true;
  });
  return { ok: true, dataset: DATASET, fields: f.out };
}

export const json: BuiltinCode = { decode: guarded('json', decode) };
