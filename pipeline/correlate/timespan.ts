import type { Timespan } from './model';

/**
 * The Sigma 2.1 spec allows `number + lowercase letter` with s, m, h and d. pySigma also reads
 * w, M and y (a month and a year as average lengths); we accept those for compatibility with
 * rules written for pySigma, but say so, because a calendar month is not a fixed duration.
 */
const UNIT_MS: Readonly<Record<string, number>> = {
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
  M: 2_629_746_000,
  y: 31_556_952_000,
};
const SPEC_UNITS = new Set(['s', 'm', 'h', 'd']);

export type TimespanResult = { ok: true; timespan: Timespan; warning?: string } | { ok: false; message: string };

export function parseTimespan(value: unknown): TimespanResult {
  const spec = typeof value === 'number' ? String(value) : value;
  if (typeof spec !== 'string') return { ok: false, message: `timespan must be a string like "5m", got ${describe(value)}` };
  const m = /^([0-9]+)([a-zA-Z])$/.exec(spec);
  if (!m) return { ok: false, message: `timespan '${spec}' is invalid: use a whole number and a unit (s, m, h, d), e.g. "5m"` };
  const count = Number(m[1]);
  const unit = m[2]!;
  const per = UNIT_MS[unit];
  if (per === undefined) return { ok: false, message: `timespan '${spec}' has unknown unit '${unit}': use s, m, h or d` };
  if (count <= 0) return { ok: false, message: `timespan '${spec}' must be greater than zero` };
  const timespan = { spec, ms: count * per };
  return SPEC_UNITS.has(unit) ? { ok: true, timespan } : { ok: true, timespan, warning: `timespan unit '${unit}' is a pySigma extension, not in Sigma 2.1 (s, m, h, d)` };
}

export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return `${typeof value} ${JSON.stringify(value)}`;
}
