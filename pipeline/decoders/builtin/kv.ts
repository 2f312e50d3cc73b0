/**
 * Generic key=value payloads: a message that is (mostly) `key=value` pairs — `k=v k2="quoted
 * value" k3=…`, as many appliances and scripts write — and that no vendor decoder claimed. Every
 * pair goes under `kv.<key>` (≤ 128 pairs, keys of letters, digits, `_ . -`); keys that are ECS
 * field names (`source.ip=…`) or the common vendor spellings of one (`src`, `srcip`, `dst_port`,
 * `user`, `action`, `proto`, …) are copied to ECS when the value has the field's type. A message
 * is taken only when it has at least 3 pairs and they make up most of it, so prose with one
 * `a=b` in it stays undecoded. Lowest-priority fallback. Dataset: `kv.log`.
 */
import type { DecodeResult, DecoderInput } from '../types';
import type { BuiltinCode } from './index';
import { Fields, MAX_INPUT, guarded } from './common';
import { ECS_FIELDS, typed } from './json';

export const DATASET = 'kv.log';
const MAX_PAIRS = 128;
const KEY = /^[A-Za-z_][A-Za-z0-9_.-]{0,63}$/;

/** Vendor spellings → the ECS field they mean. */
const ALIASES: Record<string, string> = {};
for (const [field, names] of Object.entries({
  'source.ip': ['src', 'srcip', 'src_ip', 'source_ip', 'sip', 'srcaddr', 'src_addr', 'client_ip'],
  'destination.ip': ['dst', 'dstip', 'dst_ip', 'dest_ip', 'destination_ip', 'dip', 'dstaddr', 'dst_addr', 'server_ip'],
  'source.port': ['spt', 'sport', 'srcport', 'src_port', 'source_port'],
  'destination.port': ['dpt', 'dport', 'dstport', 'dst_port', 'dest_port', 'destination_port'],
  'user.name': ['user', 'username', 'usr', 'user_name', 'suser', 'login'],
  'event.action': ['action', 'act'],
  'network.transport': ['proto', 'protocol', 'transport'],
  'host.hostname': ['hostname'],
  'url.original': ['url'],
  'http.request.method': ['method'],
  'http.response.status_code': ['status_code'],
  'process.pid': ['pid'],
  'process.name': ['process', 'proc'],
})) for (const n of names) ALIASES[n] = field;

/** The pairs of a kv message, or null when it is not one (fewer than 3 pairs, or mostly other text). */
export function kvPairs(text: string): Array<[string, string]> | null {
  const pairs: Array<[string, string]> = [];
  let covered = 0;
  let other = 0;
  let i = 0;
  const n = text.length;
  while (i < n) {
    while (i < n && (text.charCodeAt(i) === 32 || text.charCodeAt(i) === 9 || text.charCodeAt(i) === 44 || text.charCodeAt(i) === 59)) i++;
    if (i >= n) break;
    const start = i;
    while (i < n && text.charCodeAt(i) !== 61 && text.charCodeAt(i) !== 32) i++;
    if (i >= n || text.charCodeAt(i) !== 61) {
      other += i - start;
      continue;
    }
    const key = text.slice(start, i);
    i++; // '='
    let value: string;
    if (text.charCodeAt(i) === 34) {
      const close = text.indexOf('"', i + 1);
      if (close < 0) { value = text.slice(i + 1); i = n; } else { value = text.slice(i + 1, close); i = close + 1; }
    } else {
      const vs = i;
      while (i < n && text.charCodeAt(i) !== 32 && text.charCodeAt(i) !== 9) i++;
      value = text.slice(vs, i);
      if (value.endsWith(',') || value.endsWith(';')) value = value.slice(0, -1);
    }
    if (!KEY.test(key)) { other += i - start; continue; }
    covered += i - start;
    if (pairs.length < MAX_PAIRS) pairs.push([key, value]);
  }
  return pairs.length >= 3 && covered >= 2 * other ? pairs : null;
}

function decode(input: DecoderInput): DecodeResult | null {
  const text = input.message;
  if (text.length > MAX_INPUT || !text.includes('=')) return null;
  const pairs = kvPairs(text);
  if (!pairs) return null;
  const f = new Fields();
  for (const [key, value] of pairs) {
    f.set(`kv.${key}`, value);
    const field = ECS_FIELDS[key] ? key : ALIASES[key.toLowerCase()];
    const kind = field ? ECS_FIELDS[field] : undefined;
    if (!field || !kind || f.out[field] !== undefined) continue;
    const t = typed(kind, field === 'network.transport' ? value.toLowerCase() : value);
    if (t === undefined) continue;
    f.set(field, t);
    if (kind === 'ip') f.related('ip', t);
    if (field === 'user.name') f.related('user', t);
  }
  return { ok: true, dataset: DATASET, fields: f.out };
}

export const kv: BuiltinCode = { decode: guarded('kv', decode) };
