/**
 * Puts a decoder's result on an event. Never throws and never removes anything the header parse
 * set: decoded fields are added (objects created along dotted paths), related.* lists are
 * appended to with dedup, and a failure only adds a tag and `haetae.decoder.error`.
 */
import type { DecodeResult } from './types';

/** Tag on every event whose selected decoder failed or threw. */
export const TAG_DECODER_FAILURE = 'haetae_decoder_failure';

/** Fields that are lists the decoder appends to, never replaces. */
const APPEND = new Set(['related.ip', 'related.user', 'related.hosts', 'related.hash', 'tags']);

export type DecodeOutcome = 'decoded' | 'failed';

/**
 * Applies `result` from decoder `decoderId` to `event` (in place; also returned). On success sets
 * every decoded field, `event.dataset`, `event.module` (the dataset up to its first dot) and
 * `haetae.decoder.id`; on failure tags the event `haetae_decoder_failure` and sets
 * `haetae.decoder = { id, error }`. A field whose path runs through a non-object value already on
 * the event (e.g. `message.x`) is skipped and named in `haetae.decoder.skipped`.
 */
export function applyDecoded<E extends object>(event: E, decoderId: string, result: DecodeResult): E {
  const ev = event as Record<string, unknown>;
  try {
    if (!result.ok) {
      fail(ev, decoderId, result.reason);
      return event;
    }
    const skipped: string[] = [];
    for (const key of Object.keys(result.fields)) {
      const value = result.fields[key];
      if (value === undefined) continue;
      if (!setPath(ev, key, value)) skipped.push(key);
    }
    const dot = result.dataset.indexOf('.');
    setPath(ev, 'event.dataset', result.dataset);
    setPath(ev, 'event.module', dot > 0 ? result.dataset.slice(0, dot) : result.dataset);
    setPath(ev, 'haetae.decoder', skipped.length > 0 ? { id: decoderId, skipped } : { id: decoderId });
  } catch (err) {
    // Only a hostile event shape (getters, frozen objects) gets here; the event still goes on.
    try { fail(ev, decoderId, `applying the result failed: ${err instanceof Error ? err.message : String(err)}`); } catch { /* keep the event as it is */ }
  }
  return event;
}

function fail(ev: Record<string, unknown>, id: string, reason: string): void {
  const tags = Array.isArray(ev.tags) ? (ev.tags as unknown[]) : (ev.tags = []) as unknown[];
  if (!tags.includes(TAG_DECODER_FAILURE)) tags.push(TAG_DECODER_FAILURE);
  setPath(ev, 'haetae.decoder', { id, error: reason });
}

/** Sets a dotted path, creating objects; list fields (related.*, tags) are appended with dedup. */
/**
 * Split field names, memoized: decoders produce the same few hundred names over and over, so each
 * is split once. Bounded so hostile dynamic names (a json step's keys) cannot grow it without end.
 */
const PATHS = new Map<string, readonly string[]>();
const PATHS_MAX = 10_000;

function split(dotted: string): readonly string[] {
  let parts = PATHS.get(dotted);
  if (parts === undefined) {
    parts = dotted.split('.');
    if (PATHS.size < PATHS_MAX) PATHS.set(dotted, parts);
  }
  return parts;
}

function setPath(root: Record<string, unknown>, dotted: string, value: unknown): boolean {
  let obj = root;
  const parts = split(dotted);
  const last = parts.length - 1;
  for (let p = 0; p < last; p++) {
    const k = parts[p]!;
    if (k === '__proto__' || k === 'constructor' || k === 'prototype') return false;
    let next = obj[k];
    if (next === undefined || next === null) {
      next = {};
      obj[k] = next;
    } else if (typeof next !== 'object' || Array.isArray(next)) {
      return false;
    }
    obj = next as Record<string, unknown>;
  }
  const leaf = parts[last]!;
  if (leaf === '__proto__' || leaf === 'constructor' || leaf === 'prototype') return false;
  if (APPEND.has(dotted)) {
    const add = Array.isArray(value) ? value : [value];
    const current = obj[leaf];
    const list = Array.isArray(current) ? (current as unknown[]) : current === undefined || current === null ? [] : [current];
    for (const v of add) if (!list.includes(v)) list.push(v);
    obj[leaf] = list;
    return true;
  }
  obj[leaf] = Array.isArray(value) ? value.slice() : value;
  return true;
}
