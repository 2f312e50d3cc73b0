/**
 * The part of STIX 2.1 patterning that names indicators directly: one or more observation
 * expressions `[...]`, joined by OR, each holding equality comparisons joined by OR, on
 * ipv4-addr:value, ipv6-addr:value, domain-name:value, url:value and file:hashes.<MD5 | SHA-1 |
 * SHA-256 | SHA-512>. Anything else — AND, FOLLOWEDBY, qualifiers (WITHIN, REPEATS, START),
 * operators other than `=`, other object paths — makes the whole pattern unsupported: matching a
 * part of it would raise alerts the indicator's author did not mean.
 */
import type { IndicatorKind } from './indicators';

export interface PatternAtom { kind: IndicatorKind; value: string }
export type PatternResult = { ok: true; atoms: PatternAtom[] } | { ok: false; reason: string };

const PATHS: Record<string, IndicatorKind> = {
  'ipv4-addr:value': 'ip',
  'ipv6-addr:value': 'ip',
  'domain-name:value': 'domain',
  'url:value': 'url',
};
const HASH_KEYS = new Set(['md5', 'sha-1', 'sha1', 'sha-256', 'sha256', 'sha-512', 'sha512']);

type Token = { t: 'str'; v: string } | { t: 'sym'; v: string } | { t: 'word'; v: string };

function tokenize(pattern: string): Token[] | string {
  const out: Token[] = [];
  let i = 0;
  while (i < pattern.length) {
    const c = pattern[i]!;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') { i++; continue; }
    if (c === '[' || c === ']' || c === '(' || c === ')') { out.push({ t: 'sym', v: c }); i++; continue; }
    if (c === "'") {
      let v = '';
      i++;
      for (;;) {
        if (i >= pattern.length) return 'unterminated string';
        const d = pattern[i]!;
        if (d === '\\' && i + 1 < pattern.length) { v += pattern[i + 1]; i += 2; continue; }
        if (d === "'") { i++; break; }
        v += d;
        i++;
      }
      out.push({ t: 'str', v });
      continue;
    }
    const m = /^(?:[A-Za-z0-9_:.\-]+|!=|<=|>=|=|<|>)/.exec(pattern.slice(i));
    if (!m) return `unexpected '${c}'`;
    // An object path with a quoted key (file:hashes.'SHA-256') is glued back together.
    if (m[0].endsWith('.') && pattern[i + m[0].length] === "'") {
      const close = pattern.indexOf("'", i + m[0].length + 1);
      if (close < 0) return 'unterminated string';
      out.push({ t: 'word', v: m[0] + pattern.slice(i + m[0].length + 1, close) });
      i = close + 1;
      continue;
    }
    out.push({ t: /^[!<>=]/.test(m[0]) ? 'sym' : 'word', v: m[0] });
    i += m[0].length;
  }
  return out;
}

function pathKind(path: string): IndicatorKind | null {
  const known = PATHS[path.toLowerCase()];
  if (known) return known;
  const m = /^file:hashes\.(.+)$/i.exec(path);
  return m && HASH_KEYS.has(m[1]!.toLowerCase()) ? 'hash' : null;
}

export function parseStixPattern(pattern: string): PatternResult {
  const tokens = tokenize(pattern);
  if (typeof tokens === 'string') return { ok: false, reason: tokens };
  const atoms: PatternAtom[] = [];
  let i = 0;
  const expectOr = (): boolean => tokens[i]?.t === 'word' && tokens[i]!.v.toUpperCase() === 'OR';
  for (;;) {
    if (tokens[i]?.t !== 'sym' || tokens[i]!.v !== '[') return { ok: false, reason: `expected '[' at token ${i + 1}` };
    i++;
    for (;;) {
      const path = tokens[i];
      const op = tokens[i + 1];
      const value = tokens[i + 2];
      if (path?.t !== 'word' || op?.t !== 'sym' || value?.t !== 'str') return { ok: false, reason: 'only comparisons like [ipv4-addr:value = \'…\'] are supported' };
      if (op.v !== '=') return { ok: false, reason: `operator '${op.v}' is not supported (only =)` };
      const kind = pathKind(path.v);
      if (kind === null) return { ok: false, reason: `object path '${path.v}' is not supported` };
      atoms.push({ kind, value: value.v });
      i += 3;
      if (expectOr()) { i++; continue; }
      break;
    }
    if (tokens[i]?.t !== 'sym' || tokens[i]!.v !== ']') {
      const t = tokens[i];
      return { ok: false, reason: t ? `'${t.v}' inside an observation is not supported (only OR)` : "missing ']'" };
    }
    i++;
    if (i === tokens.length) return { ok: true, atoms };
    if (expectOr()) { i++; continue; }
    return { ok: false, reason: `'${tokens[i]!.v}' between observations is not supported (only OR)` };
  }
}
