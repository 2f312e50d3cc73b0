/**
 * expand. Spec: `%name%` in the value is a placeholder whose meaning the tool supplies (`\%` is a
 * plain percent); a tool that cannot resolve a placeholder must reject the rule. We resolve from
 * the placeholder map given to compile (pySigma's value_placeholders transformation): each value
 * there is a Sigma pattern, several values are OR-ed, several placeholders expand to every
 * combination. A placeholder without values rejects the rule, naming it.
 */
import { parseSigmaString, type Part } from '../glob';
import { ModifierError, type SigmaValue, type ValueModifier } from './types';

const MAX_VALUES = 10_000;

export const expand: ValueModifier = {
  id: 'expand',
  type: 'value',
  accepts: ['string'],
  apply(v: SigmaValue, ctx): SigmaValue[] {
    if (v.kind !== 'string') return [v];
    let variants: Part[][] = [[]];
    for (const p of v.parts) {
      if (p.t !== 'ph') { variants.forEach((parts) => parts.push(p)); continue; }
      const values = ctx.placeholders.get(p.name);
      if (!values || values.length === 0) throw new ModifierError(`placeholder '%${p.name}%' has no value (pass it in the placeholder map)`);
      variants = variants.flatMap((parts) => values.map((text) => [...parts, ...parseSigmaString(text)]));
      if (variants.length > MAX_VALUES) throw new ModifierError(`'expand' would create more than ${MAX_VALUES} values`);
    }
    return variants.map((parts) => ({ ...v, parts }));
  },
};
