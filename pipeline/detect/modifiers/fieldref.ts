/**
 * fieldref. Spec: the value names another field; the item matches when both fields hold the same
 * value in the same event; combinable with `neq`. Following pySigma's in-memory semantics the
 * comparison is on the string forms, case-insensitive unless `cased`; a missing referenced field
 * never matches (and so, under neq, counts as different).
 */
import { ModifierError, plainText, type SigmaValue, type ValueModifier } from './types';

export const fieldref: ValueModifier = {
  id: 'fieldref',
  type: 'value',
  accepts: ['string'],
  apply(v: SigmaValue): SigmaValue {
    const field = v.kind === 'string' ? plainText(v) : null;
    if (!field) throw new ModifierError("modifier 'fieldref' needs a field name without wildcards");
    return { kind: 'fieldref', field };
  },
};
