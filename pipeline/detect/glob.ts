/**
 * Sigma wildcard values: `*` any run, `?` one character, `\*` `\?` `\\` literals, and a backslash
 * before anything else stays a literal backslash (spec "Escape Character": `\\*` is a backslash then
 * a wildcard, `\\\*` a backslash then a literal star, `\\\` and `\\\\` both mean `\\`). Compiled
 * once into literal/wildcard tokens; matching is the classic greedy two-pointer algorithm with
 * backtracking to the last `*` only, so it runs in O(text × pattern) at worst and cannot blow up
 * on crafted input the way a backtracking regex can.
 */
type GlobToken = { kind: 'lit'; text: string } | { kind: 'any' } | { kind: 'one' };

/** A parsed Sigma string: literal runs, wildcards, and (only under `expand`) `%name%` placeholders. */
export type Part = { t: 'lit'; s: string } | { t: 'any' } | { t: 'one' } | { t: 'ph'; name: string };

export interface CompiledGlob {
  /** Fast path: no wildcard at all → plain equality. */
  literal: string | null;
  /** Fast path: `*x*`, `x*` or `*x` → one includes/startsWith/endsWith call, no token walk. */
  simple: { shape: 'contains' | 'prefix' | 'suffix'; text: string } | null;
  tokens: GlobToken[];
  caseSensitive: boolean;
}

const PLACEHOLDER_NAME = /^%([A-Za-z0-9_.-]+)%/;

/**
 * Splits a Sigma value into parts. With `placeholders`, `%name%` becomes a placeholder part and `\%`
 * a literal percent sign (spec "Placeholders"); without it, `%` is an ordinary character.
 */
export function parseSigmaString(pattern: string, placeholders = false): Part[] {
  const parts: Part[] = [];
  let lit = '';
  const flush = (): void => { if (lit) parts.push({ t: 'lit', s: lit }); lit = ''; };
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    const next = pattern[i + 1];
    if (c === '\\' && next !== undefined && ('*?\\'.includes(next) || (placeholders && next === '%'))) {
      lit += next;
      i++;
    } else if (c === '*' || c === '?') {
      flush();
      parts.push(c === '*' ? { t: 'any' } : { t: 'one' });
    } else if (c === '%' && placeholders) {
      const m = PLACEHOLDER_NAME.exec(pattern.slice(i));
      if (m) { flush(); parts.push({ t: 'ph', name: m[1]! }); i += m[0].length - 1; } else lit += c;
    } else {
      lit += c;
    }
  }
  flush();
  return parts;
}

export function compileGlob(pattern: string, caseSensitive: boolean): CompiledGlob {
  return compileGlobParts(parseSigmaString(pattern), caseSensitive);
}

export function compileGlobParts(parts: readonly Part[], caseSensitive: boolean): CompiledGlob {
  const tokens: GlobToken[] = [];
  let hasWildcard = false;
  for (const p of parts) {
    if (p.t === 'ph') throw new Error(`placeholder '%${p.name}%' was not expanded`);
    if (p.t === 'lit') {
      const last = tokens[tokens.length - 1];
      const text = fold(p.s, caseSensitive);
      if (last?.kind === 'lit') last.text += text; else tokens.push({ kind: 'lit', text });
      continue;
    }
    hasWildcard = true;
    // Consecutive stars are one star; keeping one avoids needless backtracking points.
    if (p.t === 'any' && tokens[tokens.length - 1]?.kind === 'any') continue;
    tokens.push(p.t === 'any' ? { kind: 'any' } : { kind: 'one' });
  }
  const literal = hasWildcard ? null : tokens.length === 0 ? '' : (tokens[0] as { text: string }).text;
  return { literal, simple: simpleShape(tokens), tokens, caseSensitive };
}

function simpleShape(tokens: readonly GlobToken[]): CompiledGlob['simple'] {
  const [a, b, c] = tokens;
  if (tokens.length === 3 && a?.kind === 'any' && b?.kind === 'lit' && c?.kind === 'any') return { shape: 'contains', text: b.text };
  if (tokens.length === 2 && a?.kind === 'lit' && b?.kind === 'any') return { shape: 'prefix', text: a.text };
  if (tokens.length === 2 && a?.kind === 'any' && b?.kind === 'lit') return { shape: 'suffix', text: b.text };
  return null;
}

function fold(s: string, caseSensitive: boolean): string {
  return caseSensitive ? s : s.toLowerCase();
}

/**
 * `text.toLowerCase()`, remembered for the last few texts. One event's message is lowercased by
 * the rule index and then again by every value of every candidate rule that tests it (a
 * `contains|all` of two values and a filter: three times): each call allocates a copy, ~100 ns for
 * a syslog line. The result depends on the text only and strings are immutable, so returning a
 * remembered copy is the same value; a hit costs one `===` (a pointer compare for the same string,
 * a length compare for most others). Two slots, because a rule's field tests alternate between a
 * short field (process.name) and the message; the older slot is replaced on a miss.
 */
let lowerIn0 = '';
let lowerOut0 = '';
let lowerIn1 = '';
let lowerOut1 = '';
let lowerNext = 0;

export function lowerCase(text: string): string {
  if (text === lowerIn0) return lowerOut0;
  if (text === lowerIn1) return lowerOut1;
  const out = text.toLowerCase();
  if (lowerNext === 0) { lowerIn0 = text; lowerOut0 = out; lowerNext = 1; } else { lowerIn1 = text; lowerOut1 = out; lowerNext = 0; }
  return out;
}

export function matchGlob(glob: CompiledGlob, value: string): boolean {
  return matchFolded(glob, glob.caseSensitive ? value : lowerCase(value));
}

/**
 * matchGlob on a text already folded as the glob wants it (lowercased unless `caseSensitive`): a
 * detection item folds its field value once and tests every value's glob against that one copy.
 */
export function matchFolded(glob: CompiledGlob, text: string): boolean {
  if (glob.literal !== null) return text === glob.literal;
  const simple = glob.simple;
  if (simple !== null) {
    // The shapes contains/startswith/endswith produce: a native substring search beats the token walk.
    if (simple.shape === 'contains') return text.includes(simple.text);
    return simple.shape === 'prefix' ? text.startsWith(simple.text) : text.endsWith(simple.text);
  }
  // Expand tokens into a char-level walk with star backtracking.
  const tokens = glob.tokens;
  let ti = 0; // token index
  let li = 0; // offset inside a literal token
  let pos = 0; // text position
  let starToken = -1;
  let starPos = 0;
  while (pos < text.length) {
    const tok = tokens[ti];
    if (tok?.kind === 'lit' && text[pos] === tok.text[li]) {
      pos++; li++;
      if (li === tok.text.length) { ti++; li = 0; }
    } else if (tok?.kind === 'one' && li === 0) {
      pos++; ti++;
    } else if (tok?.kind === 'any' && li === 0) {
      starToken = ti++;
      starPos = pos;
    } else if (starToken >= 0) {
      ti = starToken + 1; li = 0;
      pos = ++starPos;
    } else {
      return false;
    }
  }
  while (ti < tokens.length && tokens[ti]!.kind === 'any' && li === 0) ti++;
  return ti === tokens.length && li === 0;
}
