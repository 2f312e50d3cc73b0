/**
 * Extraction steps (kv, csv, json): each reads one capture (or the message) and adds capture
 * names. Every step is a single linear scan of its input; none throws (a json step reports a
 * parse failure as a string).
 */
import type { CsvStepSpec, JsonStepSpec, KvStepSpec, StepSpec } from './format';

export type Captures = Map<string, unknown>;

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
  let only: ReadonlySet<string> | null = s.keys ? new Set(s.keys) : null;
  const sep0 = sep.charCodeAt(0);
  const sepLen = sep.length;
  return {
    from: s.from ?? 'message',
    adds: only ? [...only].map((k) => prefix + k) : null,
    prefix,
    restrict(names) {
      if (only !== null) return;
      const keys = new Set<string>();
      for (const n of names) if (n.startsWith(prefix)) keys.add(n.slice(prefix.length));
      only = keys;
    },
    run(text, caps) {
      const n = text.length;
      let i = 0;
      let eq = -1;
      while (i < n) {
        // Skip separators (and the spaces around them, when the separator is not a space).
        for (;;) {
          if (i >= n) break;
          const c = text.charCodeAt(i);
          if (c === 32) { i++; continue; }
          if (c === sep0 && (sepLen === 1 || text.startsWith(sep, i))) { i += sepLen; continue; }
          break;
        }
        if (i >= n) break;
        // The next '=' is searched again only once passed: a run of words without '=' before a
        // far '=' would otherwise be rescanned per word (quadratic on a hostile line).
        if (eq < i) eq = text.indexOf(assign, i);
        if (eq < 0) break;
        const nextSep = text.indexOf(sep, i);
        if (nextSep >= 0 && nextSep < eq) { i = nextSep + sepLen; continue; } // a word without '='
        const key = sep === ' ' ? text.slice(i, eq) : text.slice(i, eq).trim();
        const want = key !== '' && (only === null || only.has(key));
        let j = eq + assign.length;
        // With a non-space separator, spaces around values are layout (`a: 1 ; b: 2`).
        if (sep !== ' ') while (j < n && text.charCodeAt(j) === 32) j++;
        let value: string;
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
              if (want) out += text.slice(start, q - 1);
              start = q;
              k = q + 1;
              continue;
            }
            k = q;
            break;
          }
          value = want ? out + text.slice(start, k) : '';
          j = k + 1;
        } else {
          const end = text.indexOf(sep, j);
          value = want ? text.slice(j, end < 0 ? n : end) : '';
          if (sep !== ' ') value = value.trimEnd();
          j = end < 0 ? n : end;
        }
        if (want) caps.set(prefix === '' ? key : prefix + key, value);
        i = j;
      }
      return null;
    },
  };
}

function csvStep(s: CsvStepSpec): Step {
  const delim = (s.delimiter ?? ',').charCodeAt(0);
  const quote = (s.quote ?? '"').charCodeAt(0);
  const columns = s.columns.map((c) => (c === null || c === '' ? null : c));
  return {
    from: s.from ?? 'message',
    adds: columns.filter((c): c is string => c !== null),
    prefix: '',
    run(text, caps) {
      const n = text.length;
      let i = 0;
      let col = 0;
      while (col < columns.length && i <= n) {
        let value: string;
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
        const name = columns[col];
        if (name) caps.set(name, value);
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
