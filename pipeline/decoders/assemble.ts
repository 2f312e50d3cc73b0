/**
 * Multi-record assembly (auditd): records of one event arrive as several messages sharing a key
 * (`msg=audit(1700000000.123:4242)`), possibly interleaved with other events' records. Within a
 * batch in stream order, records with the same key from the same sender are merged into the first
 * one; the group closes at a record with `end: true` (auditd EOE) or at the end of the batch.
 */
import type { DecodedFields, DecodeResult, Decoder } from './types';

export interface DecodedRecord {
  decoder: Decoder;
  result: DecodeResult;
  /** The sender (log.source.address) the record came from; groups never span senders. */
  sender?: string | undefined;
  /** The record's raw text (event.original); absorbed records' originals are joined with '\n'. */
  original?: string | undefined;
}

export interface Assembled {
  /** For each input index, the merged result to apply (null: absorbed into an earlier record). */
  results: Array<DecodeResult | null>;
  /** For each input index, the merged original (joined with '\n' for a group's first record). */
  originals: Array<string | undefined>;
  /** Input indexes merged into an earlier record: the worker does not index them on their own. */
  absorbed: number[];
  /** For each input index, the index of the record it was merged into (null: not merged). */
  into: Array<number | null>;
}

/**
 * Merges multi-record groups. Records without `multi` (or not ok) pass through unchanged. A
 * decoder without `merge` combines with `defaultMerge` (earlier values kept, lists unioned).
 */
export function assembleRecords(records: readonly DecodedRecord[]): Assembled {
  const results: Array<DecodeResult | null> = records.map((r) => r.result);
  const originals: Array<string | undefined> = records.map((r) => r.original);
  const absorbed: number[] = [];
  const into: Array<number | null> = records.map(() => null);
  /** Open groups: sender + decoder + key → index of the group's first record. */
  const open = new Map<string, number>();
  for (let i = 0; i < records.length; i++) {
    const r = records[i]!;
    const res = r.result;
    if (!res.ok || !res.multi) continue;
    const groupKey = `${r.sender ?? ''}\u0000${r.decoder.id}\u0000${res.multi.key}`;
    const first = open.get(groupKey);
    if (first === undefined) {
      results[i] = { ...res, fields: { ...res.fields } };
      if (res.multi.end) continue; // a one-record event
      open.set(groupKey, i);
      continue;
    }
    const head = results[first] as DecodeResult & { ok: true };
    let merged: DecodedFields;
    try {
      merged = (r.decoder.merge ?? defaultMerge)(head.fields, res.fields);
    } catch {
      merged = defaultMerge(head.fields, res.fields); // a merge must not lose the record
    }
    results[first] = { ...head, fields: merged, multi: { key: res.multi.key, end: res.multi.end } };
    results[i] = null;
    absorbed.push(i);
    into[i] = first;
    if (r.original !== undefined) originals[first] = originals[first] === undefined ? r.original : `${originals[first]}\n${r.original}`;
    originals[i] = undefined;
    if (res.multi.end) open.delete(groupKey);
  }
  return { results, originals, absorbed, into };
}

/** Keeps the earlier record's values; lists are unioned; fields only the later record has are added. */
export function defaultMerge(into: DecodedFields, next: DecodedFields): DecodedFields {
  const out: DecodedFields = { ...into };
  for (const [k, v] of Object.entries(next)) {
    const cur = out[k];
    if (cur === undefined) out[k] = Array.isArray(v) ? v.slice() : v;
    else if (Array.isArray(cur) && Array.isArray(v)) out[k] = [...cur, ...v.filter((x) => !cur.includes(x))];
  }
  return out;
}
