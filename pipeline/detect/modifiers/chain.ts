/**
 * Which modifiers may be chained, and in what order. The spec applies modifiers "in the given
 * order" and types them (string / numeric / date / IP modifiers); where it is silent we follow
 * pySigma, whose type checks reject the same chains at rule load:
 * - one *type* modifier per key (re, cidr, exists, fieldref, lt/lte/gt/gte, time parts), except a
 *   time part followed by a comparison (`hour|gte`); type modifiers take no string transformation
 *   (contains/startswith/endswith, windash, encodings, expand) and `exists` takes nothing at all;
 * - `i`/`m`/`s` only after `re`; `cased` only on strings (regexes use `i`);
 * - one of contains/startswith/endswith; one utf16 variant; one of base64/base64offset;
 * - windash and expand before any encoding, utf16* before base64*, and the wildcards of
 *   contains/startswith/endswith after base64* (base64 cannot encode a wildcard);
 * - base64offset must be followed by contains (its variants are substrings);
 * - `neq` not with comparisons or `all`.
 */
import { ModifierError } from './types';

const POSITION = ['contains', 'startswith', 'endswith'];
const UTF16 = ['utf16le', 'utf16be', 'utf16', 'wide'];
const BASE64 = ['base64', 'base64offset'];
const STRING_TRANSFORMS = [...POSITION, 'windash', ...UTF16, ...BASE64, 'expand'];
const TIME = ['minute', 'hour', 'day', 'week', 'month', 'year'];
const COMPARE = ['lt', 'lte', 'gt', 'gte'];
const TYPES = ['re', 'cidr', 'exists', 'fieldref', ...TIME, ...COMPARE];
const RE_FLAGS = ['i', 'm', 's'];

const cannot = (a: string, b: string): ModifierError => new ModifierError(`modifier '${a}' cannot be combined with '${b}'`);

export function checkChain(ids: readonly string[]): void {
  const seen = new Set<string>();
  for (const id of ids) {
    if (seen.has(id)) throw new ModifierError(`modifier '${id}' is given twice`);
    seen.add(id);
  }
  const has = (id: string): boolean => seen.has(id);
  const pos = (id: string): number => ids.indexOf(id);
  const present = (group: readonly string[]): string[] => ids.filter((id) => group.includes(id));

  if (has('exists') && ids.length > 1) throw cannot('exists', ids.find((id) => id !== 'exists')!);
  for (const f of present(RE_FLAGS)) {
    if (!has('re') || pos(f) < pos('re')) throw new ModifierError(`modifier '${f}' is only valid after 're'`);
  }
  for (const group of [POSITION, UTF16, BASE64]) {
    const found = present(group);
    if (found.length > 1) throw cannot(found[1]!, found[0]!);
  }

  const types = present(TYPES);
  if (types.length > 1) {
    const time = present(TIME);
    const cmp = present(COMPARE);
    if (!(types.length === 2 && time.length === 1 && cmp.length === 1)) throw cannot(types[0]!, types[1]!);
    if (pos(cmp[0]!) < pos(time[0]!)) throw new ModifierError(`modifier '${time[0]}' must come before '${cmp[0]}'`);
  }
  const type = types[0];
  if (type !== undefined) {
    const transform = present(STRING_TRANSFORMS)[0];
    if (transform !== undefined) throw cannot(type, transform);
    if (has('cased') && type !== 'fieldref') throw cannot(type, 'cased');
  }
  if (has('neq')) {
    const bad = present([...COMPARE, 'all'])[0];
    if (bad !== undefined) throw cannot(bad, 'neq');
  }

  for (const enc of present([...UTF16, ...BASE64])) {
    for (const early of ['windash', 'expand']) {
      if (has(early) && pos(early) > pos(enc)) throw new ModifierError(`modifier '${early}' must come before '${enc}'`);
    }
  }
  for (const b of present(BASE64)) {
    for (const u of present(UTF16)) if (pos(u) > pos(b)) throw new ModifierError(`modifier '${u}' must come before '${b}'`);
    for (const p of present(POSITION)) if (pos(p) < pos(b)) throw new ModifierError(`modifier '${p}' must come after '${b}'`);
  }
  if (has('base64offset') && !(has('contains') && pos('contains') > pos('base64offset'))) {
    throw new ModifierError("modifier 'base64offset' must be followed by 'contains'");
  }
}
