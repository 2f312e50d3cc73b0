/**
 * A group's buffer: observations sorted by (event time, arrival sequence). The sequence breaks
 * ties between equal timestamps the same way on every replay.
 */
import { getField } from '../detect/field';
import type { CorrelationRule } from './model';

/** One buffered observation: event time, arrival sequence (tie-break), referenced-rule index, aggregated value. */
export interface Entry {
  t: number;
  seq: number;
  r: number;
  /** value_count: the field value(s) as a JSON key; value_sum/avg/percentile: the number; else null. */
  v: string | number | null;
  /** The observation's id (the event's document id, or an inner alert's id when chained), for deduplication. */
  id?: string;
}

/** Entries arrive mostly in order, so search back from the end (usually zero steps). Returns where `e` went. */
export function insertSorted(entries: Entry[], e: Entry): number {
  let i = entries.length;
  while (i > 0 && (entries[i - 1]!.t > e.t || (entries[i - 1]!.t === e.t && entries[i - 1]!.seq > e.seq))) i--;
  if (i === entries.length) entries.push(e);
  else entries.splice(i, 0, e);
  return i;
}

/** Number of entries with t < end (binary search; entries are sorted by t). */
export function countBefore(entries: readonly Entry[], end: number): number {
  let lo = 0;
  let hi = entries.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (entries[mid]!.t < end) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * What an event contributes to the aggregate. value_count keys the tuple of field values as JSON
 * (several fields are "linked by AND"); an event lacking them all adds no value but still counts
 * as an event. Numeric aggregates accept numbers and numeric strings (syslog fields are often
 * text); anything else is skipped rather than read as 0.
 */
export function valueOf(rule: CorrelationRule, event: object): string | number | null {
  const fields = rule.condition.fields;
  if (!fields) return null;
  if (rule.type === 'value_count') {
    const values = fields.map((f) => getField(event, f));
    return values.every((v) => v === undefined || v === null) ? null : JSON.stringify(values.map((v) => v ?? null));
  }
  const v = getField(event, fields[0]!);
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  if (typeof v === 'string' && v.trim() !== '') {
    const n = Number(v);
    return Number.isFinite(n) ? n : null;
  }
  return null;
}
