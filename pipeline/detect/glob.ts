/**
 * Sigma wildcard values: `*` any run, `?` one character, `\*` `\?` `\\` literals. Compiled once
 * into literal/wildcard tokens; matching is the classic greedy two-pointer algorithm with
 * backtracking to the last `*` only, so it runs in O(text × pattern) at worst and cannot blow up
 * on crafted input the way a backtracking regex can.
 */
type GlobToken = { kind: 'lit'; text: string } | { kind: 'any' } | { kind: 'one' };

export interface CompiledGlob {
  /** Fast path: no wildcard at all → plain equality. */
  literal: string | null;
  tokens: GlobToken[];
  caseSensitive: boolean;
}

export function compileGlob(pattern: string, caseSensitive: boolean): CompiledGlob {
  const tokens: GlobToken[] = [];
  let lit = '';
  let hasWildcard = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '\\' && i + 1 < pattern.length && '*?\\'.includes(pattern[i + 1]!)) {
      lit += pattern[++i];
    } else if (c === '*' || c === '?') {
      hasWildcard = true;
      if (lit) tokens.push({ kind: 'lit', text: fold(lit, caseSensitive) });
      lit = '';
      // Consecutive stars are one star; keeping one avoids needless backtracking points.
      if (c === '*' && tokens[tokens.length - 1]?.kind === 'any') continue;
      tokens.push(c === '*' ? { kind: 'any' } : { kind: 'one' });
    } else {
      lit += c;
    }
  }
  if (lit) tokens.push({ kind: 'lit', text: fold(lit, caseSensitive) });
  const literal = hasWildcard ? null : fold(tokens.length === 0 ? '' : (tokens[0] as { text: string }).text, true);
  return { literal, tokens, caseSensitive };
}

function fold(s: string, caseSensitive: boolean): string {
  return caseSensitive ? s : s.toLowerCase();
}

export function matchGlob(glob: CompiledGlob, value: string): boolean {
  const text = glob.caseSensitive ? value : value.toLowerCase();
  if (glob.literal !== null) return text === glob.literal;
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
