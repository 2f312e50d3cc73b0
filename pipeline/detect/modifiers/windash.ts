/**
 * windash. Spec: every permutation of `-`, `/`, `–` (en dash), `—` (em dash) and `―` (horizontal
 * bar). Where the spec is silent on *which* characters count as a flag prefix we follow pySigma
 * (`\B[-/]\b`): a dash at the start of a word, i.e. not preceded by a word character and followed
 * by one, so `a-b` in a path stays as is. Each such position varies independently (5^n values);
 * we also accept the three dash look-alikes as the source character.
 */
import type { Part } from '../glob';
import { ModifierError, type SigmaValue, type ValueModifier } from './types';

export const WINDASH_CHARS = ['-', '/', '–', '—', '―'] as const;
/** Beyond this many flag positions (5^6 = 15625 values) the rule is surely a mistake. */
const MAX_POSITIONS = 6;

const WORD = /\w/;
const isWord = (c: string | undefined): boolean => c !== undefined && WORD.test(c);

export const windash: ValueModifier = {
  id: 'windash',
  type: 'value',
  accepts: ['string'],
  apply(v: SigmaValue): SigmaValue[] {
    if (v.kind !== 'string') return [v];
    // Find flag positions as [part index, char index]; a wildcard or part edge counts as non-word.
    const positions: Array<[number, number]> = [];
    v.parts.forEach((p, pi) => {
      if (p.t !== 'lit') return;
      for (let ci = 0; ci < p.s.length; ci++) {
        if ((WINDASH_CHARS as readonly string[]).includes(p.s[ci]!) && !isWord(p.s[ci - 1]) && isWord(p.s[ci + 1])) positions.push([pi, ci]);
      }
    });
    if (positions.length === 0) return [v];
    if (positions.length > MAX_POSITIONS) throw new ModifierError(`'windash' would create more than 5^${MAX_POSITIONS} values (${positions.length} dashes)`);
    let variants: Part[][] = [v.parts.map((p) => ({ ...p }))];
    for (const [pi, ci] of positions) {
      variants = variants.flatMap((parts) =>
        WINDASH_CHARS.map((d) => parts.map((p, i) => (i === pi && p.t === 'lit' ? { t: 'lit' as const, s: p.s.slice(0, ci) + d + p.s.slice(ci + 1) } : p))),
      );
    }
    return variants.map((parts) => ({ ...v, parts }));
  },
};
