/**
 * Small helpers shared by the built-in decoders: bounds, typed setters, related.* bookkeeping and
 * ECS allowed values. Pure functions; nothing here throws on any input.
 */
import { isIP } from 'node:net';
import { isIpv4 } from '../convert';
import type { DecodedFields, DecodeResult, DecoderInput } from '../types';

/** Longest message a built-in decoder reads (longer input is cut, or refused where cutting breaks the format). */
export const MAX_INPUT = 64 * 1024;
/** Most fields one decoder emits for one message (keys past this are dropped). */
export const MAX_FIELDS = 512;
/** Longest single value kept (longer values are cut). */
export const MAX_VALUE = 8 * 1024;

/** Runs a decode function and turns any thrown error into a decoder failure (decoders never throw). */
export function guarded(name: string, fn: (input: DecoderInput) => DecodeResult | null): (input: DecoderInput) => DecodeResult | null {
  return (input) => {
    try {
      if (input === null || typeof input !== 'object' || typeof input.message !== 'string') return null;
      return fn(input);
    } catch (err) {
      return { ok: false, reason: `${name}: internal error: ${err instanceof Error ? err.message : String(err)}`.slice(0, 300) };
    }
  };
}

export function guardedMerge(fn: (into: DecodedFields, next: DecodedFields) => DecodedFields): (into: DecodedFields, next: DecodedFields) => DecodedFields {
  return (into, next) => {
    try {
      return fn(into, next);
    } catch {
      return into;
    }
  };
}

export const isIp = (s: unknown): s is string => typeof s === 'string' && s.length <= 64 && (isIpv4(s) || isIP(s) !== 0);

/** Integer text → number (null for anything else, or outside the safe range). */
export function toInt(v: unknown): number | null {
  if (typeof v === 'number') return Number.isSafeInteger(v) ? v : null;
  if (typeof v !== 'string' || !isIntText(v)) return null;
  const n = Number(v);
  return Number.isSafeInteger(n) ? n : null;
}

/** /^-?\d{1,16}$/ without a regex. */
function isIntText(v: string): boolean {
  const n = v.length;
  const i0 = n > 0 && v.charCodeAt(0) === 45 /* - */ ? 1 : 0;
  if (n - i0 < 1 || n - i0 > 16) return false;
  for (let i = i0; i < n; i++) {
    const c = v.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

export function toPort(v: unknown): number | null {
  const n = toInt(v);
  return n !== null && n >= 0 && n <= 65535 ? n : null;
}

export function toNumber(v: unknown): number | null {
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  if (typeof v !== 'string' || !/^-?\d{1,20}(?:\.\d{1,20})?$/.test(v)) return null;
  const n = Number(v);
  return Number.isFinite(n) ? n : null;
}

/** related.* names built once (not per call). */
const RELATED = { ip: 'related.ip', user: 'related.user', hosts: 'related.hosts', hash: 'related.hash' } as const;

/** A collector of decoded fields with a cap on their number and on value length. */
export class Fields {
  readonly out: DecodedFields;
  private count: number;

  constructor(out?: DecodedFields) {
    this.out = out ?? {};
    this.count = out ? Object.keys(out).length : 0;
  }

  /** A collector that goes on from fields already set (they count towards MAX_FIELDS). */
  static over(out: DecodedFields): Fields {
    return new Fields(out);
  }

  /** Sets a field (last write wins). Empty strings and undefined/null are skipped. */
  set(key: string, value: unknown): void {
    if (value === undefined || value === null || value === '') return;
    if (typeof value === 'number' && !Number.isFinite(value)) return;
    if (!(key in this.out)) {
      if (this.count >= MAX_FIELDS) return;
      this.count++;
    }
    this.out[key] = typeof value === 'string' && value.length > MAX_VALUE ? value.slice(0, MAX_VALUE) : value;
  }

  /** Sets only when the field is not set yet. */
  setDefault(key: string, value: unknown): void {
    if (!(key in this.out)) this.set(key, value);
  }

  setInt(key: string, value: unknown): void {
    const n = toInt(value);
    if (n !== null) this.set(key, n);
  }

  setPort(key: string, value: unknown): void {
    const n = toPort(value);
    if (n !== null) this.set(key, n);
  }

  /** Sets an `ip` field when the value is an address, and adds it to related.ip. */
  setIp(key: string, value: unknown): boolean {
    if (!isIp(value)) return false;
    this.set(key, value);
    this.related('ip', value);
    return true;
  }

  /** Adds a value to related.ip / related.user / related.hosts / related.hash (deduplicated). */
  related(kind: 'ip' | 'user' | 'hosts' | 'hash', value: unknown): void {
    if (typeof value !== 'string' || value === '' || value === '-' || value === '?' || value.length > 1024) return;
    this.add(RELATED[kind], value);
  }

  /** Appends to an array field, deduplicated. */
  add(key: string, value: unknown): void {
    if (value === undefined || value === null || value === '') return;
    const cur = this.out[key];
    if (Array.isArray(cur)) {
      if (!cur.includes(value) && cur.length < 64) cur.push(value);
    } else {
      this.set(key, [value]);
    }
  }

  get(key: string): unknown {
    return this.out[key];
  }

  has(key: string): boolean {
    return key in this.out;
  }
}

/** ECS allowed values (ECS 8.x) for the categorization fields. */
export const ECS_KIND = new Set(['alert', 'asset', 'enrichment', 'event', 'metric', 'state', 'pipeline_error', 'signal']);
export const ECS_CATEGORY = new Set([
  'api', 'authentication', 'configuration', 'database', 'driver', 'email', 'file', 'host', 'iam', 'intrusion_detection',
  'library', 'malware', 'network', 'package', 'process', 'registry', 'session', 'threat', 'vulnerability', 'web',
]);
export const ECS_TYPE = new Set([
  'access', 'admin', 'allowed', 'change', 'connection', 'creation', 'deletion', 'denied', 'end', 'error', 'group', 'indicator',
  'info', 'installation', 'protocol', 'start', 'user',
]);
export const ECS_OUTCOME = new Set(['failure', 'success', 'unknown']);
export const ECS_DIRECTION = new Set(['ingress', 'egress', 'inbound', 'outbound', 'internal', 'external', 'unknown']);

/** Last path component of a Unix or Windows path. */
export function basename(path: string): string {
  const i = Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\'));
  return i >= 0 ? path.slice(i + 1) : path;
}

/** Directory part of a path ('' when there is none). */
export function dirname(path: string): string {
  const i = Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\'));
  if (i < 0) return '';
  return i === 0 ? path.slice(0, 1) : path.slice(0, i);
}

/**
 * Splits a command line into arguments the way a POSIX shell would for the simple cases
 * (whitespace separation, single and double quotes, backslash escapes). Bounded: at most 256 args.
 */
export function splitArgs(line: string): string[] {
  const args: string[] = [];
  let cur = '';
  let inArg = false;
  let quote = 0; // the open quote's code unit, 0: none
  // Characters kept as they are accumulate as a run [run, i) that is cut once, not added one by one.
  let run = 0;
  const n = Math.min(line.length, MAX_VALUE);
  for (let i = 0; i < n; i++) {
    const c = line.charCodeAt(i);
    if (quote !== 0) {
      if (c === quote) {
        cur += line.slice(run, i);
        quote = 0;
        run = i + 1;
      } else if (c === 92 /* \ */ && quote === 34 && i + 1 < n && (line.charCodeAt(i + 1) === 34 || line.charCodeAt(i + 1) === 92)) {
        cur += line.slice(run, i);
        run = ++i; // the escaped character starts the next run
      }
    } else if (c === 34 /* " */ || c === 39 /* ' */) {
      cur += line.slice(run, i);
      quote = c;
      inArg = true;
      run = i + 1;
    } else if (c === 32 || c === 9) {
      if (inArg) {
        args.push(cur + line.slice(run, i));
        if (args.length >= 256) return args;
        cur = '';
        inArg = false;
      }
      run = i + 1;
    } else if (c === 92 /* \ */ && i + 1 < n) {
      cur += line.slice(run, i);
      run = ++i;
      inArg = true;
    } else {
      inArg = true;
    }
  }
  if (inArg) args.push(cur + line.slice(run, n));
  return args;
}

/** A hash algorithm name as ECS spells it under `*.hash.*` (null when ECS has no field for it). */
export function ecsHashName(alg: string): string | null {
  const known = HASH_NAMES.get(alg);
  if (known !== undefined) return known;
  const a = alg.trim().toLowerCase().replace(/-/g, '');
  return ['md5', 'sha1', 'sha256', 'sha384', 'sha512', 'ssdeep', 'tlsh'].includes(a) ? a : null;
}

/** The usual spellings, answered without trimming and lower-casing each time. */
const HASH_NAMES = new Map<string, string | null>(
  ['MD5', 'SHA1', 'SHA256', 'SHA384', 'SHA512', 'IMPHASH', 'md5', 'sha1', 'sha256', 'sha384', 'sha512', 'imphash', 'SSDEEP', 'ssdeep', 'TLSH', 'tlsh', 'SHA-1', 'SHA-256']
    .map((k) => { const a = k.toLowerCase().replace(/-/g, ''); return [k, ['md5', 'sha1', 'sha256', 'sha384', 'sha512', 'ssdeep', 'tlsh'].includes(a) ? a : null]; }),
);

/** IANA protocol numbers → ECS network.transport names (some devices write `proto=6`). */
export const IANA_PROTO: Record<string, string> = { '1': 'icmp', '2': 'igmp', '6': 'tcp', '17': 'udp', '47': 'gre', '50': 'esp', '51': 'ah', '58': 'ipv6-icmp', '132': 'sctp' };

/** A transport name or IANA number → the lower-case ECS network.transport value. */
export const transportName = (v: string): string => IANA_PROTO[v.trim()] ?? v.trim().toLowerCase();

/** A MAC address in ECS's recommended form (upper-case hex pairs joined by '-'); other text as given. */
export function ecsMac(v: string | undefined): string | undefined {
  if (v === undefined) return undefined;
  const m = /^([0-9A-Fa-f]{2})[:.-]?([0-9A-Fa-f]{2})[:.-]?([0-9A-Fa-f]{2})[:.-]?([0-9A-Fa-f]{2})[:.-]?([0-9A-Fa-f]{2})[:.-]?([0-9A-Fa-f]{2})$/.exec(v.trim());
  return m ? m.slice(1).join('-').toUpperCase() : v;
}
