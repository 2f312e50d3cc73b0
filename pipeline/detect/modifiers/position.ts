/**
 * contains / startswith / endswith. Spec: put `*` around / after / before the value. Like
 * pySigma, a wildcard already at that end is not doubled, and the modifiers work on strings with
 * wildcards (so `contains|windash` and `wide|contains` both work). Numbers become strings first.
 */
import type { Part } from '../glob';
import type { SigmaValue, ValueModifier } from './types';

function wrap(id: string, before: boolean, after: boolean): ValueModifier {
  return {
    id,
    type: 'value',
    accepts: ['string'],
    apply(v: SigmaValue): SigmaValue {
      if (v.kind !== 'string') return v;
      const parts: Part[] = [...v.parts];
      if (before && parts[0]?.t !== 'any') parts.unshift({ t: 'any' });
      if (after && parts[parts.length - 1]?.t !== 'any') parts.push({ t: 'any' });
      return { ...v, parts };
    },
  };
}

export const contains = wrap('contains', true, true);
export const startswith = wrap('startswith', false, true);
export const endswith = wrap('endswith', true, false);
