/**
 * re, and its sub-modifiers i / m / s. Spec: the value is a regular expression, case-sensitive by
 * default; `i` case-insensitive, `m` makes ^/$ match at line ends, `s` lets `.` match newlines.
 * The spec names a PCRE subset; we run every regex on RE2 (re2js) so matching is linear in the
 * input — a regex RE2 cannot compile (backreferences, lookaround) is rejected at load with RE2's
 * own message. Like pySigma's backends the match is unanchored (a search), so `re: 'foo'` finds
 * "xfoox"; anchor with ^ and $.
 */
import { RE2JS, RE2JSException } from 're2js';
import { ModifierError, plainText, type SigmaValue, type ValueModifier } from './types';

export const re: ValueModifier = {
  id: 're',
  type: 'value',
  accepts: ['string'],
  apply(v: SigmaValue): SigmaValue {
    if (v.kind !== 'string') return v;
    // The regex text is the raw YAML string: Sigma wildcard escaping does not apply inside a regex.
    const source = rawText(v);
    return { kind: 'regex', source, flags: { i: false, m: false, s: false } };
  },
};

function rawText(v: SigmaValue & { kind: 'string' }): string {
  const plain = plainText(v);
  if (plain !== null) return plain;
  throw new ModifierError("'re' must come first among the value modifiers"); // unreachable: chain.ts orders it
}

function flag(id: 'i' | 'm' | 's'): ValueModifier {
  return {
    id,
    type: 'value',
    accepts: ['regex'],
    apply(v: SigmaValue): SigmaValue {
      return v.kind === 'regex' ? { ...v, flags: { ...v.flags, [id]: true } } : v;
    },
  };
}

export const i = flag('i');
export const m = flag('m');
export const s = flag('s');

/** Compiles once at load; the returned test runs RE2's DFA, no allocation of a matcher per call. */
export function compileRegex(v: SigmaValue & { kind: 'regex' }): (text: string) => boolean {
  const flags = (v.flags.i ? RE2JS.CASE_INSENSITIVE : 0) | (v.flags.m ? RE2JS.MULTILINE : 0) | (v.flags.s ? RE2JS.DOTALL : 0);
  let compiled: RE2JS;
  try {
    compiled = RE2JS.compile(v.source, flags);
  } catch (err) {
    if (!(err instanceof RE2JSException)) throw err;
    const backref = /invalid escape sequence: `(\\[1-9]|\\k)/.exec(err.message);
    if (backref) throw new ModifierError(`backreferences (${backref[1]}) are not supported (RE2: linear-time matching)`);
    if (/unsupported Perl syntax: `\(\?<?[=!]/.test(err.message)) throw new ModifierError('lookahead and lookbehind ((?=, (?!, (?<=, (?<!) are not supported (RE2: linear-time matching)');
    throw new ModifierError(`regular expression is not supported by the linear-time engine: ${err.message.replace(/^error parsing regexp: /, '')}`);
  }
  return (text) => compiled.test(text);
}
