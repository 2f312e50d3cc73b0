/**
 * lt / lte / gt / gte. Spec: the field is less than / at most / greater than / at least the value;
 * numeric values only. Following pySigma, a numeric string in the rule is accepted and anything
 * else is rejected at load. At match time the field may be a number or a numeric string; any
 * other field value does not match. After a time part (`hour|gte: 8`) they compare that part.
 */
import { ModifierError, plainText, type CompareOp, type SigmaValue, type ValueModifier } from './types';

/** A finite number from a YAML number or a numeric string ('12', '-3.5', '0x1f'); else null. */
export function toNumber(v: SigmaValue): number | null {
  if (v.kind === 'number') return v.value;
  if (v.kind !== 'string') return null;
  const text = plainText(v)?.trim();
  if (!text) return null;
  const n = Number(text);
  return Number.isFinite(n) ? n : null;
}

function compare(op: CompareOp): ValueModifier {
  return {
    id: op,
    type: 'value',
    accepts: ['number', 'string', 'timepart'],
    apply(v: SigmaValue): SigmaValue {
      if (v.kind === 'timepart') return { kind: 'compare', op, value: v.value, part: v.part };
      const n = toNumber(v);
      if (n === null) throw new ModifierError(`modifier '${op}' needs a number, got ${JSON.stringify(v.kind === 'string' ? plainText(v) : v.kind)}`);
      return { kind: 'compare', op, value: n, part: null };
    },
  };
}

export const lt = compare('lt');
export const lte = compare('lte');
export const gt = compare('gt');
export const gte = compare('gte');

/** Per event: one typeof check and at most one Number() of a string; no allocation. */
export function fieldNumber(x: unknown): number | null {
  if (typeof x === 'number') return Number.isFinite(x) ? x : null;
  if (typeof x !== 'string' || x.trim() === '') return null;
  const n = Number(x);
  return Number.isFinite(n) ? n : null;
}

export function compareNumbers(op: CompareOp, a: number, b: number): boolean {
  switch (op) {
    case 'lt': return a < b;
    case 'lte': return a <= b;
    case 'gt': return a > b;
    case 'gte': return a >= b;
  }
}
