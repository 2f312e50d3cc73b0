/**
 * Type conversion of captured values to their field's type, and the ECS field table that gives
 * a mapped field its default type and whether it is an array.
 */
import net from 'node:net';
import { ecsField as ecsTableField } from '../ecs/fields';
import type { FieldType } from './format';

/** What the engine knows about a target field from ECS (undefined: not an ECS field). */
export function ecsField(name: string): { type: FieldType; array: boolean; allowed?: readonly string[] } | undefined {
  const f = ecsTableField(name);
  if (!f) return undefined;
  return { type: ecsType(f.type), array: f.array === true, ...(f.allowed ? { allowed: f.allowed } : {}) };
}

function ecsType(t: string): FieldType {
  switch (t) {
    case 'ip': return 'ip';
    case 'long': return 'long';
    case 'integer': case 'short': case 'byte': return 'integer';
    case 'float': case 'double': case 'scaled_float': case 'half_float': return 'float';
    case 'boolean': return 'boolean';
    case 'date': return 'date';
    default: return 'keyword';
  }
}

/** Thrown-free conversion result: the value, or why it could not be converted. */
export type Converted = { ok: true; value: unknown } | { ok: false; reason: string };

/**
 * Converts one value. Strings come from patterns and kv/csv steps; numbers, booleans and objects
 * can come from the json step.
 */
export function convert(value: unknown, type: FieldType): Converted {
  switch (type) {
    case 'keyword':
      if (typeof value === 'string') return { ok: true, value };
      if (typeof value === 'number' || typeof value === 'boolean') return { ok: true, value: String(value) };
      return { ok: true, value: JSON.stringify(value) };
    case 'long':
    case 'integer': {
      if (typeof value === 'number' && Number.isInteger(value)) return { ok: true, value };
      const n = typeof value === 'string' ? parseLong(value) : undefined;
      if (n !== undefined) {
        if (type === 'integer' && (n > 2147483647 || n < -2147483648)) return bad(value, type);
        return { ok: true, value: n };
      }
      return bad(value, type);
    }
    case 'float': {
      if (typeof value === 'number' && Number.isFinite(value)) return { ok: true, value };
      const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
      return Number.isFinite(n) ? { ok: true, value: n } : bad(value, type);
    }
    case 'boolean': {
      if (typeof value === 'boolean') return { ok: true, value };
      const s = String(value).toLowerCase();
      if (s === 'true' || s === 'yes' || s === '1' || s === 'on') return { ok: true, value: true };
      if (s === 'false' || s === 'no' || s === '0' || s === 'off') return { ok: true, value: false };
      return bad(value, type);
    }
    case 'ip': {
      if (typeof value !== 'string') return bad(value, type);
      let s = value;
      if (s.charCodeAt(0) === 91 /* [ */ && s.endsWith(']')) s = s.slice(1, -1);
      const pct = s.indexOf('%'); // IPv6 zone index: not part of an ES ip
      if (pct > 0) s = s.slice(0, pct);
      return isIpv4(s) || net.isIP(s) !== 0 ? { ok: true, value: s } : bad(value, type);
    }
    case 'date': {
      if (typeof value === 'number') return epoch(value) ?? bad(value, type);
      if (typeof value !== 'string') return bad(value, type);
      if (/^\d{9,13}(\.\d+)?$/.test(value)) return epoch(Number(value)) ?? bad(value, type);
      const t = Date.parse(value);
      return Number.isFinite(t) ? { ok: true, value: new Date(t).toISOString() } : bad(value, type);
    }
  }
}

/**
 * A dotted-quad IPv4 address exactly as net.isIP accepts one (four decimal octets 0-255, no
 * leading zeros), without its regular expression. False says only "not this form": the caller
 * still asks net.isIP (IPv6).
 */
export function isIpv4(s: string): boolean {
  const n = s.length;
  if (n < 7 || n > 15) return false;
  let i = 0;
  for (let part = 0; part < 4; part++) {
    if (part > 0) {
      if (s.charCodeAt(i) !== 46 /* . */) return false;
      i++;
    }
    const start = i;
    let v = 0;
    while (i < n && i - start < 3) {
      const c = s.charCodeAt(i) - 48;
      if (c < 0 || c > 9) break;
      v = v * 10 + c;
      i++;
    }
    const len = i - start;
    if (len === 0 || v > 255 || (len > 1 && s.charCodeAt(start) === 48)) return false;
  }
  return i === n;
}

/**
 * A decimal integer as the `long` conversion accepts it (/^[+-]?\d{1,19}$/, the number), or
 * undefined for anything else.
 */
export function parseLong(s: string): number | undefined {
  const n = s.length;
  let i = 0;
  const c0 = s.charCodeAt(0);
  if (c0 === 43 || c0 === 45) i = 1;
  const digits = n - i;
  if (digits < 1 || digits > 19) return undefined;
  for (; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return undefined;
  }
  return Number(s);
}

/** Epoch seconds (up to 11 digits) or milliseconds. */
function epoch(n: number): Converted | null {
  const ms = Math.abs(n) < 1e11 ? n * 1000 : n;
  const d = new Date(ms);
  return Number.isFinite(d.getTime()) ? { ok: true, value: d.toISOString() } : null;
}

function bad(value: unknown, type: FieldType): Converted {
  const shown = typeof value === 'string' ? `'${value.length > 64 ? `${value.slice(0, 64)}…` : value}'` : JSON.stringify(value);
  return { ok: false, reason: `${shown} is not ${type === 'ip' || type === 'integer' ? 'an' : 'a'} ${type}` };
}
