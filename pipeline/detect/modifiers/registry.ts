/**
 * The modifier registry: YAML id → implementation (pySigma's `modifier_mapping`). Every modifier
 * of the Sigma 2.1 appendix is here; `i`, `m` and `s` are the sub-modifiers of `re`. The order is
 * the one error messages list them in.
 */
import { base64, base64offset } from './base64';
import { cidr } from './cidr';
import { exists } from './exists';
import { expand } from './expand';
import { fieldref } from './fieldref';
import { all, cased, neq } from './flags';
import { gt, gte, lt, lte } from './numeric';
import { contains, endswith, startswith } from './position';
import { i, m, re, s } from './re';
import { day, hour, minute, month, week, year } from './time';
import type { Modifier } from './types';
import { utf16, utf16be, utf16le, wide } from './utf16';
import { windash } from './windash';

export const MODIFIERS: ReadonlyMap<string, Modifier> = new Map(
  [
    contains, startswith, endswith, all, exists, cased, neq, windash, re, i, m, s,
    base64, base64offset, utf16le, utf16be, utf16, wide, lt, lte, gt, gte,
    minute, hour, day, week, month, year, cidr, expand, fieldref,
  ].map((mod): [string, Modifier] => [mod.id, mod]),
);

export const MODIFIER_IDS: readonly string[] = [...MODIFIERS.keys()];
