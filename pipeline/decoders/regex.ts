/**
 * Decoder patterns: RE2 syntax, checked by re2js at load, executed by V8's own regex engine with
 * its linear-time fallback switched on (decision 0005).
 *
 * Why not re2js for execution: on decoder-shaped patterns (a literal head, a few named captures)
 * re2js costs 6–8 µs per line, V8's Irregexp 0.3–0.5 µs. Irregexp backtracks, so a pattern with
 * nested quantifiers could take exponential time on hostile input; with
 * `--enable-experimental-regexp-engine-on-excessive-backtracks` V8 abandons a match after
 * `--regexp-backtracks-before-fallback` backtracks (50,000) and reruns it on its linear-time
 * engine, so the worst case stays linear. That fallback only exists for patterns the linear engine
 * supports, so each pattern must also compile with the `l` flag; one that does not (or whose RE2
 * meaning we cannot express in JS syntax exactly) runs on re2js instead — slower, still linear.
 */
import v8 from 'node:v8';
import { RE2JS, RE2JSException } from 're2js';

/** A compiled pattern: named captures of the leftmost match, or null. */
export interface CompiledPattern {
  readonly source: string;
  /** Capture names in pattern order. */
  readonly names: readonly string[];
  /** Which engine runs it: 'v8' (Irregexp with linear fallback) or 're2js'. */
  readonly engine: 'v8' | 're2js';
  /**
   * Runs the pattern; on a match calls `set(name, value)` for each named capture that took part
   * and returns true. Callback form: no captures object per call.
   */
  exec(text: string, set: (name: string, value: string) => void): boolean;
  /**
   * The same into a captures map: on a match sets each named capture that took part and returns
   * true; on no match sets nothing (so a case whose pattern fails leaves nothing behind). No
   * callback to allocate per call.
   */
  execInto(text: string, caps: { set(name: string, value: string): unknown }): boolean;
  /**
   * The same into slots: on a match stores the i-th named capture (in `names` order) that took
   * part at vals[to[i]] (to[i] < 0: not kept); on no match stores nothing.
   */
  execSlots(text: string, vals: unknown[], to: readonly number[]): boolean;
}

export class PatternError extends Error {}

let flagsSet = false;

/** Switches on V8's linear-time fallback (process-wide, idempotent) before any pattern is built. */
export function enableLinearFallback(): void {
  if (flagsSet) return;
  flagsSet = true;
  // Both flags only add behaviour: `l` regexes become legal, and backtracking regexes that can run
  // on the linear engine fall back to it after too many backtracks instead of running on.
  v8.setFlagsFromString('--enable-experimental-regexp-engine');
  v8.setFlagsFromString('--enable-experimental-regexp-engine-on-excessive-backtracks');
}

/**
 * Compiles an RE2 pattern. Throws PatternError with RE2's message when the pattern is not valid
 * RE2 (backreferences, lookaround, bad syntax) or has unnamed-only captures mixed oddly.
 */
export function compilePattern(source: string, opts: { engine?: 'auto' | 're2js' } = {}): CompiledPattern {
  let re2: RE2JS;
  try {
    re2 = RE2JS.compile(source);
  } catch (err) {
    if (!(err instanceof RE2JSException)) throw err;
    throw new PatternError(`not a valid RE2 pattern (linear-time, no backreferences or lookaround): ${err.message.replace(/^error parsing regexp: /, '')}`);
  }
  const translated = opts.engine === 're2js' ? null : toJs(source);
  if (translated) {
    enableLinearFallback();
    let js: RegExp | null = null;
    try {
      new RegExp(translated.source, `${translated.flags}l`); // the linear engine can run it
      js = new RegExp(translated.source, translated.flags);
    } catch {
      js = null;
    }
    if (js) return v8Pattern(source, js, translated.groups);
  }
  return re2jsPattern(source, re2);
}

function v8Pattern(source: string, re: RegExp, groups: readonly (string | null)[]): CompiledPattern {
  // Captures are numbered (names stripped in translation) so a match allocates no groups object.
  const slots: Array<[number, string]> = [];
  groups.forEach((name, i) => { if (name !== null) slots.push([i + 1, name]); });
  return {
    source,
    names: slots.map(([, n]) => n),
    engine: 'v8',
    exec(text, set) {
      const m = re.exec(text);
      if (m === null) return false;
      for (let i = 0; i < slots.length; i++) {
        const slot = slots[i]!;
        const v = m[slot[0]];
        if (v !== undefined) set(slot[1], v);
      }
      return true;
    },
    execInto(text, caps) {
      const m = re.exec(text);
      if (m === null) return false;
      for (let i = 0; i < slots.length; i++) {
        const slot = slots[i]!;
        const v = m[slot[0]];
        if (v !== undefined) caps.set(slot[1], v);
      }
      return true;
    },
    execSlots(text, vals, to) {
      const m = re.exec(text);
      if (m === null) return false;
      for (let i = 0; i < slots.length; i++) {
        const t = to[i]!;
        if (t < 0) continue;
        const v = m[slots[i]![0]];
        if (v !== undefined) vals[t] = v;
      }
      return true;
    },
  };
}

function re2jsPattern(source: string, re: RE2JS): CompiledPattern {
  const named = re.namedGroups() as Record<string, number>;
  const slots = Object.entries(named).sort((a, b) => a[1] - b[1]);
  return {
    source,
    names: slots.map(([n]) => n),
    engine: 're2js',
    exec(text, set) {
      const m = re.matcher(text);
      if (!m.find()) return false;
      for (const [name, i] of slots) {
        const v = m.group(i);
        if (v !== null && v !== undefined) set(name, v);
      }
      return true;
    },
    execInto(text, caps) {
      return this.exec(text, (k, v) => { caps.set(k, v); });
    },
    execSlots(text, vals, to) {
      const m = re.matcher(text);
      if (!m.find()) return false;
      for (let i = 0; i < slots.length; i++) {
        const t = to[i]!;
        if (t < 0) continue;
        const v = m.group(slots[i]![1]);
        if (v !== null && v !== undefined) vals[t] = v;
      }
      return true;
    },
  };
}

/**
 * Translates an RE2 pattern to JS syntax with the same meaning, or null when some construct has
 * no exact JS equivalent (the pattern then runs on re2js). Handled: named groups (`(?P<n>` and
 * `(?<n>`, renumbered as plain groups), leading flag groups `(?i)` `(?s)` `(?m)`, `\A` and `\z`,
 * and the classes whose meaning differs: RE2's `\s` is [\t\n\f\r ] (JS adds \v and Unicode
 * spaces) and RE2's `.` excludes only \n (JS also excludes \r, U+2028, U+2029).
 */
export function toJs(src: string): { source: string; flags: string; groups: (string | null)[] } | null {
  let i = 0;
  let flags = '';
  // Leading flag group(s), e.g. (?i) or (?is).
  const lead = /^\(\?([ims]+)\)/.exec(src);
  if (lead) {
    for (const f of new Set(lead[1])) flags += f;
    i = lead[0].length;
  }
  const dotAll = flags.includes('s');
  const multiline = flags.includes('m');
  // V8's linear engine cannot run the `i` flag, so (?i) is spelled out: every letter becomes the
  // class of its case variants (RE2 folds k with U+212A and s with U+017F, so those join too).
  const ci = flags.includes('i');
  const groups: (string | null)[] = [];
  let out = '';
  let inClass = false;
  while (i < src.length) {
    const c = src[i]!;
    if (c === '\\') {
      const n = src[i + 1];
      if (n === undefined) return null;
      if (n === 's') { out += inClass ? '\\t\\n\\f\\r ' : '[\\t\\n\\f\\r ]'; i += 2; continue; }
      if (n === 'S') { if (inClass) return null; out += '[^\\t\\n\\f\\r ]'; i += 2; continue; }
      if (n === 'A' && !inClass && !multiline) { out += '^'; i += 2; continue; }
      if (n === 'z' && !inClass && !multiline) { out += '$'; i += 2; continue; }
      // Escapes whose meaning is the same in both: punctuation, \d \D \w \W \b \B, \t \n \r \f \v.
      if (/[dDwWbBtnrfv]/.test(n) || /[^A-Za-z0-9]/.test(n)) {
        if (inClass && (n === 'b' || n === 'B')) return null;
        out += `\\${n}`;
        i += 2;
        continue;
      }
      if (n === 'x' && !ci && /^[0-9A-Fa-f]{2}$/.test(src.slice(i + 2, i + 4))) { out += src.slice(i, i + 4); i += 4; continue; }
      return null; // \pN, \Q…\E, \C, octal, \x{…}: leave to re2js
    }
    if (inClass) {
      if (c === '[' && src[i + 1] === ':') return null; // [[:alpha:]]
      if (c === ']') inClass = false;
      if (ci && c !== ']') {
        const hi = src[i + 2];
        if (src[i + 1] === '-' && hi !== undefined && hi !== ']') {
          if (hi === '\\') return null;
          const more = foldRange(c, hi);
          if (more === null) return null;
          out += `${c}-${hi}${more}`;
          i += 3;
          continue;
        }
        const f = foldChar(c);
        if (f === null) return null;
        out += f;
        i++;
        continue;
      }
      out += c;
      i++;
      continue;
    }
    if (c === '[') {
      inClass = true;
      out += c;
      i++;
      // A ']' right after '[' or '[^' is a literal in RE2; JS reads '[]' as empty.
      if (src[i] === '^') { out += '^'; i++; }
      if (src[i] === ']') { out += '\\]'; i++; }
      continue;
    }
    if (c === '.') { out += dotAll ? '[^]' : '[^\\n]'; i++; continue; }
    if (c === '(') {
      if (src[i + 1] !== '?') { groups.push(null); out += '('; i++; continue; }
      const named = /^\(\?P?<([A-Za-z_][A-Za-z0-9_]*)>/.exec(src.slice(i));
      if (named) { groups.push(named[1]!); out += '('; i += named[0].length; continue; }
      if (src.startsWith('(?:', i)) { out += '(?:'; i += 3; continue; }
      return null; // inline flags mid-pattern, (?i:…)
    }
    if (c === '$' && !multiline) { out += '$'; i++; continue; }
    if (ci) {
      const f = foldChar(c);
      if (f === null) return null;
      out += f.length > 1 ? `[${f}]` : f;
      i++;
      continue;
    }
    out += c;
    i++;
  }
  return { source: out, flags: flags.replace('s', '').replace('i', ''), groups };
}

/** A character and its case variants under RE2's folding, for use inside a class; null: not ASCII-foldable. */
function foldChar(c: string): string | null {
  const code = c.charCodeAt(0);
  if (code >= 128) return c.toLowerCase() === c.toUpperCase() ? c : null;
  if (!/[A-Za-z]/.test(c)) return c;
  const lower = c.toLowerCase();
  return `${lower}${c.toUpperCase()}${lower === 'k' ? '\u212A' : lower === 's' ? '\u017F' : ''}`;
}

/** What a class range lo-hi needs added to match both cases; null: a range beyond ASCII. */
function foldRange(lo: string, hi: string): string | null {
  const l = lo.charCodeAt(0);
  const h = hi.charCodeAt(0);
  if (h >= 128 || l > h) return null;
  let more = '';
  const span = (a: number, b: number, shift: number): void => {
    const from = Math.max(l, a);
    const to = Math.min(h, b);
    if (from <= to) more += `${String.fromCharCode(from + shift)}-${String.fromCharCode(to + shift)}`;
  };
  span(65, 90, 32); // A-Z → a-z
  span(97, 122, -32); // a-z → A-Z
  const has = (ch: string): boolean => { const x = ch.charCodeAt(0); return x >= l && x <= h; };
  if (has('k') || has('K')) more += '\u212A';
  if (has('s') || has('S')) more += '\u017F';
  return more;
}
