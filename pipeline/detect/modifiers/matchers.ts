/**
 * Final values → compiled matchers, built once at load. A matcher sees one field value (an
 * element, when the field is a list) and the whole event (for fieldref). Fast path per kind:
 * strings are a precompiled glob (equality / includes / startsWith / endsWith / token walk),
 * regexes a precompiled RE2 program, numbers a typeof check; nothing is parsed or compiled per event.
 */
import { getField } from '../field';
import { compileGlobParts, matchGlob } from '../glob';
import { cidrMatcher } from './cidr';
import { compareNumbers, fieldNumber } from './numeric';
import { compileRegex } from './re';
import { extractPart } from './time';
import { ModifierError, type SigmaValue } from './types';

export type ValueMatcher = (x: unknown, event: unknown) => boolean;

/** Field values other than strings are compared by their text (EventID 4624 vs '4624'). */
export const asText = (x: unknown): string | null =>
  typeof x === 'string' ? x : typeof x === 'number' || typeof x === 'boolean' ? String(x) : null;

export function valueMatcher(v: SigmaValue, cased: boolean): ValueMatcher {
  switch (v.kind) {
    case 'string': {
      const glob = compileGlobParts(v.parts, cased);
      return (x) => { const t = asText(x); return t !== null && matchGlob(glob, t); };
    }
    case 'number': case 'bool': {
      const value = v.value;
      const text = String(value);
      return (x) => x === value || (typeof x === 'string' && x === text) || (typeof x === 'number' && String(x) === text);
    }
    case 'null':
      // Spec/pySigma: null matches a missing field or a null value — not '' (that is `''`).
      return (x) => x === undefined || x === null;
    case 'regex': {
      const test = compileRegex(v);
      return (x) => { const t = asText(x); return t !== null && test(t); };
    }
    case 'cidr': {
      const match = cidrMatcher(v.net);
      return (x) => match(x);
    }
    case 'compare': {
      const { op, value, part } = v;
      if (part === null) return (x) => { const n = fieldNumber(x); return n !== null && compareNumbers(op, n, value); };
      return (x) => { const n = extractPart(x, part); return n !== null && compareNumbers(op, n, value); };
    }
    case 'timepart': {
      const { part, value } = v;
      return (x) => extractPart(x, part) === value;
    }
    case 'fieldref': {
      const other = v.field;
      return (x, event) => {
        const a = asText(x);
        const b = asText(getField(event, other));
        if (a === null || b === null) return false;
        return cased ? a === b : a.toLowerCase() === b.toLowerCase();
      };
    }
    case 'exists':
      throw new ModifierError("'exists' is checked on the field, not on a value"); // compile.ts handles it
  }
}
