/**
 * Extraction steps (kv, csv, json): each reads one capture (or the message) and adds capture
 * names. Every step is a single linear scan of its input; none throws (a json step reports a
 * parse failure as a string).
 */
import type { CsvStepSpec, JsonStepSpec, KvStepSpec, StepSpec } from './format';

/**
 * The captures of one event, in slots: every name the decoder reads gets a slot when it is
 * compiled, so an event's captures are one array (no Map to grow per event) and a map entry reads
 * its value by index. A capture nobody reads has no slot and is not kept (`set` drops it, `get`
 * gives undefined) — the same as keeping it, since nothing reads it.
 */
export class Captures {
  readonly vals: unknown[];
  /** `empty`: an array of slots.size undefined values, copied per event (cheaper than filling one). */
  constructor(private readonly slots: ReadonlyMap<string, number>, empty: readonly unknown[]) {
    this.vals = empty.slice();
  }
  get(name: string): unknown {
    const s = this.slots.get(name);
    return s === undefined ? undefined : this.vals[s];
  }
  set(name: string, value: unknown): this {
    const s = this.slots.get(name);
    if (s !== undefined) this.vals[s] = value;
    return this;
  }
}

/** A compiled step: adds captures, returns null or the reason it failed. */
export interface Step {
  readonly from: string;
  /** Names it adds when known at load (null: dynamic, e.g. kv without `keys`, json). */
  readonly adds: readonly string[] | null;
  /** Prefix of the dynamic names (kv prefix, json target). */
  readonly prefix: string;
  run(text: string, caps: Captures): string | null;
  /**
   * Tells a dynamic step which of its names the decoder ever reads (all references are static),
   * so it can skip the rest: a FortiGate line has 30+ pairs of which a decoder maps a dozen.
   */
  restrict?(names: ReadonlySet<string>): void;
  /** Gives the step the capture slots (after restrict), so it stores by index rather than by name. */
  bind?(slots: ReadonlyMap<string, number>): void;
}

export function compileStep(spec: StepSpec): Step {
  if ('kv' in spec) return kvStep(spec.kv);
  if ('csv' in spec) return csvStep(spec.csv);
  return jsonStep(spec.json);
}

function kvStep(s: KvStepSpec): Step {
  const sep = s.separator ?? ' ';
  const assign = s.assign ?? '=';
  const quoteChar = s.quote ?? '"';
  const quote = quoteChar.charCodeAt(0);
  const prefix = s.prefix ?? '';
  /** Key → capture name (prefix + key), built once: only these keys are kept (null: every key). */
  let only: Map<string, string> | null = s.keys ? new Map(s.keys.map((k) => [k, prefix + k])) : null;
  const sep0 = sep.charCodeAt(0);
  const sepLen = sep.length;
  const assign0 = assign.charCodeAt(0);
  // One-character separator and assign (the usual `a=1 b=2`, `a=1;b=2`): one scan finds the key's
  // end or the word's end, with no search for the next '=' and the next separator each.
  const simple = sepLen === 1 && assign.length === 1;
  const spaceSep = sep === ' ';
  /** Key → capture slot, once bound (see Captures). */
  let bound: Map<string, number> | null = null;
  /**
   * The bound keys as an open-addressing hash table (hash of the key's code units, as run computes
   * it while it scans for the assign): a key is found without cutting it out of the line first.
   * Slots hold an index into keyList/keySlot/keyHash, -1 when empty.
   */
  let table: Int32Array | null = null;
  let keyList: string[] = [];
  let keySlot: number[] = [];
  let keyHash: number[] = [];
  /** Where a key's value goes: its capture slot, or its capture name (unbound), or null when the decoder never reads it. */
  const nameOf = (key: string): number | string | null => {
    if (key === '') return null;
    if (bound !== null) return bound.get(key) ?? null;
    if (only === null) return prefix === '' ? key : prefix + key;
    return only.get(key) ?? null;
  };
  const put = (caps: Captures, name: number | string, v: string): void => {
    if (typeof name === 'number') caps.vals[name] = v;
    else caps.set(name, v);
  };

  /**
   * Reads the value at j (after the assign); sets it under `name` unless null. Returns the
   * position after the value (at its separator, or past the closing quote).
   */
  const value = (text: string, j: number, name: number | string | null, caps: Captures): number => {
    const n = text.length;
    // With a non-space separator, spaces around values are layout (`a: 1 ; b: 2`).
    if (!spaceSep) while (j < n && text.charCodeAt(j) === 32) j++;
    if (text.charCodeAt(j) === quote) {
      // Quoted value: runs to the next unescaped quote; a backslash escapes the quote.
      // indexOf finds each quote natively; one preceded by a backslash is part of the value.
      let k = j + 1;
      let out = '';
      let start = k;
      for (;;) {
        const q = text.indexOf(quoteChar, k);
        if (q < 0) { k = n; break; }
        if (q > start && text.charCodeAt(q - 1) === 92 /* \ */) {
          if (name !== null) out += text.slice(start, q - 1);
          start = q;
          k = q + 1;
          continue;
        }
        k = q;
        break;
      }
      if (name !== null) put(caps, name, out + text.slice(start, k));
      return k + 1;
    }
    let end: number;
    if (sepLen === 1) {
      end = text.indexOf(sep, j); // the same as a scan for sep0, natively
      if (end < 0) end = n;
    } else {
      end = text.indexOf(sep, j);
      if (end < 0) end = n;
    }
    if (name !== null) put(caps, name, spaceSep ? text.slice(j, end) : text.slice(j, end).trimEnd());
    return end;
  };

  return {
    from: s.from ?? 'message',
    adds: only ? [...only.values()] : null,
    prefix,
    restrict(names) {
      if (only !== null) return;
      const keys = new Map<string, string>();
      for (const n of names) if (n.startsWith(prefix)) keys.set(n.slice(prefix.length), n);
      only = keys;
    },
    bind(slots) {
      if (only === null) return; // every key is read: stays by name
      bound = new Map();
      for (const [k, name] of only) {
        const slot = slots.get(name);
        if (slot !== undefined) bound.set(k, slot);
      }
      keyList = [];
      keySlot = [];
      keyHash = [];
      for (const [k, slot] of bound) {
        if (k === '') continue; // an empty key is never read (nameOf)
        keyList.push(k);
        keySlot.push(slot);
        keyHash.push(hashKey(k, 0, k.length));
      }
      let size = 8;
      while (size < keyList.length * 4) size *= 2;
      table = new Int32Array(size).fill(-1);
      for (let e = 0; e < keyList.length; e++) {
        let at = keyHash[e]! & (size - 1);
        while (table[at] !== -1) at = (at + 1) & (size - 1);
        table[at] = e;
      }
    },
    run(text, caps) {
      const n = text.length;
      let i = 0;
      if (simple && spaceSep && table !== null) {
        // As the loop below, with the key looked up by its hash instead of cut out and looked up by name.
        const tab = table;
        const mask = tab.length - 1;
        while (i < n) {
          let c = text.charCodeAt(i);
          while (c === 32) c = ++i < n ? text.charCodeAt(i) : -1;
          if (i >= n) break;
          let k = i;
          let h = 0;
          while (k < n && c !== assign0 && c !== 32) {
            h = (Math.imul(h, 31) + c) | 0;
            c = ++k < n ? text.charCodeAt(k) : -1;
          }
          if (k >= n) break;
          if (c !== assign0) { i = k + 1; continue; }
          let slot: number | null = null;
          const len = k - i;
          for (let at = h & mask; ; at = (at + 1) & mask) {
            const e = tab[at]!;
            if (e < 0) break;
            if (keyHash[e] === h) {
              const key = keyList[e]!;
              if (key.length === len && text.startsWith(key, i)) { slot = keySlot[e]!; break; }
            }
          }
          i = value(text, k + 1, slot, caps);
        }
        return null;
      }
      if (simple) {
        while (i < n) {
          // Skip separators (and the spaces around them, when the separator is not a space).
          let c = text.charCodeAt(i);
          while (c === 32 || c === sep0) c = ++i < n ? text.charCodeAt(i) : -1;
          if (i >= n) break;
          // The key runs to the assign; a separator first ends a word without one.
          let k = i;
          while (k < n && c !== assign0 && c !== sep0) c = ++k < n ? text.charCodeAt(k) : -1;
          if (k >= n) break; // no assign after this word: nothing more to read
          if (c !== assign0) { i = k + 1; continue; }
          const name = nameOf(spaceSep ? text.slice(i, k) : text.slice(i, k).trim());
          i = value(text, k + 1, name, caps);
        }
        return null;
      }
      let eq = -1;
      while (i < n) {
        for (;;) {
          if (i >= n) break;
          const c = text.charCodeAt(i);
          if (c === 32) { i++; continue; }
          if (c === sep0 && text.startsWith(sep, i)) { i += sepLen; continue; }
          break;
        }
        if (i >= n) break;
        // The next assign is searched again only once passed: a run of words without one before a
        // far assign would otherwise be rescanned per word (quadratic on a hostile line).
        if (eq < i) eq = text.indexOf(assign, i);
        if (eq < 0) break;
        const nextSep = text.indexOf(sep, i);
        if (nextSep >= 0 && nextSep < eq) { i = nextSep + sepLen; continue; } // a word without an assign
        const name = nameOf(spaceSep ? text.slice(i, eq) : text.slice(i, eq).trim());
        i = value(text, eq + assign.length, name, caps);
      }
      return null;
    },
  };
}

/** The hash kv's table keeps of key text[start, end): the same as run computes while scanning. */
function hashKey(text: string, start: number, end: number): number {
  let h = 0;
  for (let i = start; i < end; i++) h = (Math.imul(h, 31) + text.charCodeAt(i)) | 0;
  return h;
}

function csvStep(s: CsvStepSpec): Step {
  const delim = (s.delimiter ?? ',').charCodeAt(0);
  /** The delimiter as a one-character string for indexOf ('' when there is none to find). */
  const delimChar = Number.isNaN(delim) ? '' : String.fromCharCode(delim);
  const quote = (s.quote ?? '"').charCodeAt(0);
  const all = s.columns.map((c) => (c === null || c === '' ? null : c));
  /** The columns kept (restrict drops those the decoder never reads) and how many to read at most. */
  let columns = all;
  let upTo = all.length;
  /** Column → capture slot (-1: not kept), once bound (see Captures). */
  let colSlots: number[] | null = null;
  return {
    from: s.from ?? 'message',
    adds: all.filter((c): c is string => c !== null),
    prefix: '',
    restrict(names) {
      // A PAN-OS line has 50+ columns of which a decoder maps a dozen: unread ones are not set,
      // and the scan stops after the last one read.
      columns = all.map((c) => (c !== null && names.has(c) ? c : null));
      upTo = 0;
      for (let k = 0; k < columns.length; k++) if (columns[k] !== null) upTo = k + 1;
    },
    bind(slots) {
      colSlots = columns.map((c) => (c === null ? -1 : (slots.get(c) ?? -1)));
      upTo = 0;
      for (let k = 0; k < colSlots.length; k++) if (colSlots[k]! >= 0) upTo = k + 1;
    },
    run(text, caps) {
      const n = text.length;
      let i = 0;
      let col = 0;
      while (col < upTo && i <= n) {
        let value: string;
        if (colSlots !== null && text.charCodeAt(i) !== quote && delimChar !== '') {
          // An unquoted column: it ends at the next delimiter (found natively); cut only when read.
          let k = text.indexOf(delimChar, i);
          if (k < 0) k = n;
          const slot = colSlots[col]!;
          if (slot >= 0) caps.vals[slot] = text.slice(i, k);
          i = k + 1; // past the delimiter
          col++;
          if (i > n) break;
          continue;
        }
        if (text.charCodeAt(i) === quote) {
          // RFC 4180: "" inside quotes is one quote.
          let out = '';
          let k = i + 1;
          let start = k;
          for (; k < n; k++) {
            if (text.charCodeAt(k) === quote) {
              if (text.charCodeAt(k + 1) === quote) { out += text.slice(start, k + 1); k++; start = k + 1; continue; }
              break;
            }
          }
          value = out + text.slice(start, k);
          i = k + 1;
          while (i < n && text.charCodeAt(i) !== delim) i++;
        } else {
          let k = i;
          while (k < n && text.charCodeAt(k) !== delim) k++;
          value = text.slice(i, k);
          i = k;
        }
        if (colSlots !== null) {
          const slot = colSlots[col]!;
          if (slot >= 0) caps.vals[slot] = value;
        } else {
          const name = columns[col];
          if (name) caps.set(name, value);
        }
        col++;
        i++; // past the delimiter
        if (i > n) break;
      }
      return null;
    },
  };
}

/** Nesting beyond this is kept as one value (bounded work on hostile JSON). */
const MAX_DEPTH = 16;

function jsonStep(s: JsonStepSpec): Step {
  const target = s.target ?? '';
  return {
    from: s.from ?? 'message',
    adds: null,
    prefix: target === '' ? '' : `${target}.`,
    run(text, caps) {
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch (err) {
        return `json: ${(err as Error).message}`;
      }
      flatten(value, target, caps, 0);
      return null;
    },
  };
}

function flatten(value: unknown, name: string, caps: Captures, depth: number): void {
  if (value !== null && typeof value === 'object' && !Array.isArray(value) && depth < MAX_DEPTH) {
    for (const [k, v] of Object.entries(value)) flatten(v, name === '' ? k : `${name}.${k}`, caps, depth + 1);
    return;
  }
  if (name !== '') caps.set(name, value);
}
