/**
 * Tokenizer for SMI (ASN.1 subset used by MIB modules). Works on the file's text decoded as
 * latin1 so that no byte is ever rejected (vendor MIBs carry stray non-ASCII in DESCRIPTIONs);
 * it never throws: an unterminated string runs to the end of the file and the parser reports it.
 *
 * Comments: `--` starts a comment that ends at the end of the line or at the next `--`
 * (X.208), which is what real MIBs rely on for `-- foo -- bar`.
 */
export type TokenKind = 'word' | 'number' | 'string' | 'binhex' | 'sym';

export interface Token {
  kind: TokenKind;
  text: string;
  line: number;
}

const SYMBOLS = ['::=', '..', '{', '}', '(', ')', '[', ']', ',', ';', '|', '.', '<', '>', '-', '@', '!', '*', ':'];

export function tokenize(src: string): Token[] {
  const out: Token[] = [];
  const n = src.length;
  let i = 0;
  let line = 1;
  while (i < n) {
    const c = src.charCodeAt(i);
    if (c === 10) { line++; i++; continue; }
    if (c === 32 || c === 9 || c === 13 || c === 12 || c === 11 || c === 0xa0 || c === 26) { i++; continue; }
    // Comment: to end of line or to the next `--`.
    if (c === 45 && src.charCodeAt(i + 1) === 45) {
      i += 2;
      while (i < n) {
        const d = src.charCodeAt(i);
        if (d === 10) break;
        if (d === 45 && src.charCodeAt(i + 1) === 45) { i += 2; break; }
        i++;
      }
      continue;
    }
    if (c === 34) { // "quoted string", may span lines; "" is an escaped quote in ASN.1
      const startLine = line;
      let j = i + 1;
      let text = '';
      for (;;) {
        const k = src.indexOf('"', j);
        if (k < 0) { text += src.slice(j); j = n; break; }
        text += src.slice(j, k);
        if (src.charCodeAt(k + 1) === 34) { text += '"'; j = k + 2; continue; }
        j = k + 1;
        break;
      }
      for (let p = i; p < j; p++) if (src.charCodeAt(p) === 10) line++;
      out.push({ kind: 'string', text, line: startLine });
      i = j;
      continue;
    }
    if (c === 39) { // '0101'B or 'ff'H
      const k = src.indexOf("'", i + 1);
      if (k > 0) {
        const suffix = src[k + 1];
        if (suffix === 'H' || suffix === 'h' || suffix === 'B' || suffix === 'b') {
          out.push({ kind: 'binhex', text: src.slice(i, k + 2), line });
          for (let p = i; p < k; p++) if (src.charCodeAt(p) === 10) line++;
          i = k + 2;
          continue;
        }
      }
      out.push({ kind: 'sym', text: "'", line });
      i++;
      continue;
    }
    if (c >= 48 && c <= 57) {
      let j = i + 1;
      while (j < n && src.charCodeAt(j) >= 48 && src.charCodeAt(j) <= 57) j++;
      out.push({ kind: 'number', text: src.slice(i, j), line });
      i = j;
      continue;
    }
    if (isWordStart(c)) {
      let j = i + 1;
      for (;;) {
        if (j >= n) break;
        const d = src.charCodeAt(j);
        if (isWordPart(d)) { j++; continue; }
        // A hyphen belongs to the word unless it starts a comment (`--`) or ends the word.
        if (d === 45 && src.charCodeAt(j + 1) !== 45 && j + 1 < n && isWordPart(src.charCodeAt(j + 1))) { j++; continue; }
        break;
      }
      out.push({ kind: 'word', text: src.slice(i, j), line });
      i = j;
      continue;
    }
    let sym = '';
    for (const s of SYMBOLS) if (src.startsWith(s, i)) { sym = s; break; }
    out.push({ kind: 'sym', text: sym || src.charAt(i), line });
    i += sym ? sym.length : 1;
  }
  return out;
}

function isWordStart(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}

function isWordPart(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 95;
}
