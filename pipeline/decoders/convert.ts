/**
 * Type conversion of captured values to their field's type, and the ECS field table that gives
 * a mapped field its default type and whether it is an array.
 */
import net from 'node:net';
import ecs from '../../schemas/ecs-fields.json';
import type { FieldType } from './format';

interface EcsField { type: string; array?: boolean; allowed?: string[] }
const ECS = (ecs as unknown as { fields: Record<string, EcsField> }).fields;

/** What the engine knows about a target field from ECS (undefined: not an ECS field). */
export function ecsField(name: string): { type: FieldType; array: boolean; allowed?: readonly string[] } | undefined {
  const f = ECS[name];
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

const INT = /^[+-]?\d{1,19}$/;

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
      if (typeof value === 'string' && INT.test(value)) {
        const n = Number(value);
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
      return net.isIP(s) !== 0 ? { ok: true, value: s } : bad(value, type);
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
