/**
 * minute / hour / day / week / month / year. Spec: extract a number from a date value (minute
 * 0–59, hour 0–23, day 1–31, week 1–52, month 1–12, year) and compare it with the rule's value;
 * "not designed to handle timezone or format conversions". So we read the parts as written in an
 * ISO 8601 string (`2024-03-05T14:07:09+02:00` has hour 14) without converting zones; a number is
 * taken as epoch milliseconds in UTC. Week is the ISO 8601 week (1–53; the spec's 1–52 ignores
 * long years). Combine with lt/lte/gt/gte for ranges (`hour|gte: 22`).
 */
import { toNumber } from './numeric';
import { ModifierError, type SigmaValue, type TimePart, type ValueModifier } from './types';

const RANGE: Record<TimePart, [number, number]> = {
  minute: [0, 59], hour: [0, 23], day: [1, 31], week: [1, 53], month: [1, 12], year: [0, 9999],
};

function timePart(part: TimePart): ValueModifier {
  return {
    id: part,
    type: 'value',
    accepts: ['number', 'string'],
    apply(v: SigmaValue): SigmaValue {
      const n = toNumber(v);
      const [lo, hi] = RANGE[part];
      if (n === null || !Number.isInteger(n) || n < lo || n > hi) throw new ModifierError(`modifier '${part}' needs a whole number from ${lo} to ${hi}`);
      return { kind: 'timepart', part, value: n };
    },
  };
}

export const minute = timePart('minute');
export const hour = timePart('hour');
export const day = timePart('day');
export const week = timePart('week');
export const month = timePart('month');
export const year = timePart('year');

const digits = (s: string, at: number, n: number): number => {
  let out = 0;
  for (let i = at; i < at + n; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return -1;
    out = out * 10 + c;
  }
  return out;
};

/**
 * The part of a field value, or null when it is not a date. Per event: reads digits in place
 * (no regex, no Date for strings except for `week`), so it does not allocate.
 */
export function extractPart(x: unknown, part: TimePart): number | null {
  let y: number, mo: number, d: number, h = -1, mi = -1;
  if (typeof x === 'string') {
    // YYYY-MM-DD, optionally followed by 'T' or ' ' and hh:mm.
    y = digits(x, 0, 4); mo = digits(x, 5, 2); d = digits(x, 8, 2);
    if (y < 0 || mo < 1 || mo > 12 || d < 1 || d > 31 || x[4] !== '-' || x[7] !== '-') return null;
    if ((x[10] === 'T' || x[10] === 't' || x[10] === ' ') && x[13] === ':') { h = digits(x, 11, 2); mi = digits(x, 14, 2); }
  } else if (typeof x === 'number' || x instanceof Date) {
    const date = typeof x === 'number' ? new Date(x) : x;
    if (Number.isNaN(date.getTime())) return null;
    y = date.getUTCFullYear(); mo = date.getUTCMonth() + 1; d = date.getUTCDate(); h = date.getUTCHours(); mi = date.getUTCMinutes();
  } else {
    return null;
  }
  switch (part) {
    case 'year': return y;
    case 'month': return mo;
    case 'day': return d;
    case 'hour': return h < 0 ? null : h;
    case 'minute': return mi < 0 ? null : mi;
    case 'week': return isoWeek(y, mo, d);
  }
}

function isoWeek(y: number, mo: number, d: number): number {
  const date = Date.UTC(y, mo - 1, d);
  const dow = (new Date(date).getUTCDay() + 6) % 7; // Monday = 0
  const thursday = date + (3 - dow) * 86_400_000; // the week belongs to the year of its Thursday
  const jan1 = Date.UTC(new Date(thursday).getUTCFullYear(), 0, 1);
  return Math.floor((thursday - jan1) / (7 * 86_400_000)) + 1;
}
