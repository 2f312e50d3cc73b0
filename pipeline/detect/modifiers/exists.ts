/**
 * exists. Spec: checks only that the field is present (or absent with `false`), "not its value,
 * be it empty or null" — so a field holding null or '' exists. Takes exactly one boolean and no
 * other modifier (as pySigma).
 */
import { ModifierError, type SigmaValue, type ValueModifier } from './types';

export const exists: ValueModifier = {
  id: 'exists',
  type: 'value',
  accepts: ['bool'],
  apply(v: SigmaValue): SigmaValue {
    if (v.kind !== 'bool') throw new ModifierError("'exists' takes true or false");
    return { kind: 'exists', want: v.value };
  },
};
