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

/**
 * Field names split at their dots, with whether the field is a list appended to, memoized:
 * decoders produce the same few hundred names over and over, so each is split (and looked up in
 * APPEND) once. Bounded so hostile dynamic names (a json step's keys) cannot grow it without end.
 */
interface FieldPath {
  parts: readonly string[];
  /** related.* or tags: appended to with dedup, never replaced. */
  append: boolean;
  /** setPath for this one path, compiled (see compileSetter); null: the loop in setPath. */
  set: Setter | null;
}
type Setter = (root: Record<string, unknown>, value: unknown) => boolean;
const PATHS = new Map<string, FieldPath>();
const PATHS_MAX = 10_000;
/** Compiled setters at most (json steps can name fields without end; each setter is a function). */
const SETTERS_MAX = 2_000;
let setters = 0;

function pathOf(dotted: string): FieldPath {
  let p = PATHS.get(dotted);
  if (p === undefined) {
    const parts = dotted.split('.');
    p = { parts, append: APPEND.has(dotted), set: null };
    if (PATHS.size < PATHS_MAX) {
      if (setters < SETTERS_MAX && !p.append) {
        p.set = compileSetter(parts);
        if (p.set !== null) setters++;
      }
      PATHS.set(dotted, p);
    }
  }
  return p;
}

/**
 * setPath's loop for one path as straight-line code with the names written literally: each load
 * and store keeps an inline cache of its own instead of going through V8's generic lookup by a
 * computed name (the event's nested objects get the same few shapes event after event). The
 * names enter the code only as JSON string literals. null where setPath's loop must run: a
 * forbidden name (it returns false only after creating the objects before it), or no code
 * generation (`--disallow-code-generation-from-strings`).
 */
function compileSetter(parts: readonly string[]): Setter | null {
  if (parts.some((k) => k === '__proto__' || k === 'constructor' || k === 'prototype')) return null;
  let body = 'let o = root, n;\n';
  for (let i = 0; i < parts.length - 1; i++) {
    const k = JSON.stringify(parts[i]);
    body += `n = o[${k}];\nif (n === undefined || n === null) { n = {}; o[${k}] = n; } else if (typeof n !== 'object' || Array.isArray(n)) return false;\no = n;\n`;
  }
  body += `o[${JSON.stringify(parts[parts.length - 1])}] = Array.isArray(value) ? value.slice() : value;\nreturn true;\n`;
  try {
    return new Function(`"use strict";\nreturn function set(root, value) {\n${body}};`)() as Setter;
  } catch {
    return null;
  }
}

/** Sets a dotted path, creating objects; list fields (related.*, tags) are appended with dedup. */
function setPath(root: Record<string, unknown>, dotted: string, value: unknown): boolean {
  const p = pathOf(dotted);
  if (p.set !== null) return p.set(root, value);
  const parts = p.parts;
  let obj = root;
  const last = parts.length - 1;
  for (let i = 0; i < last; i++) {
    const k = parts[i]!;
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
  if (p.append) {
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
