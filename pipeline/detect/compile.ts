import { compileGlobParts, lowerCase, matchFolded, parseSigmaString, type CompiledGlob } from './glob';
import { fieldReader, type FieldReader } from './field';
import { expandPattern, type ConditionNode } from './condition';
import { checkChain } from './modifiers/chain';
import { asText, valueMatcher, type ValueMatcher } from './modifiers/matchers';
import { MODIFIERS, MODIFIER_IDS } from './modifiers/registry';
import { ModifierError, stringValue, type ModifierContext, type SigmaValue, type ValueModifier } from './modifiers/types';

/** A compiled predicate over one event. */
export type Predicate = (event: unknown) => boolean;

export class SelectionError extends Error {
  /** Key path inside the selection, e.g. ['sel', 'message|contains']. */
  constructor(message: string, readonly path: (string | number)[]) {
    super(message);
  }
}

export interface CompileOptions {
  /** Values for `%name%` placeholders under the `expand` modifier; each value is a Sigma pattern. */
  placeholders?: ReadonlyMap<string, readonly string[]> | Readonly<Record<string, readonly string[]>>;
}

/** Keyword lists (a selection that is a list of plain values) search the message field. */
const KEYWORD_FIELD = 'message';
const NO_PLACEHOLDERS: ReadonlyMap<string, readonly string[]> = new Map();
/** Modifiers after which a keyword (`'|all': [...]`) is no longer an implicit substring search. */
const EXPLICIT_MATCH = new Set(['contains', 'startswith', 'endswith', 're', 'cidr', 'exists', 'fieldref', 'lt', 'lte', 'gt', 'gte', 'minute', 'hour', 'day', 'week', 'month', 'year', 'base64offset']);

export function compileSelection(name: string, value: unknown, options: CompileOptions = {}): Predicate {
  const placeholders = options.placeholders === undefined ? NO_PLACEHOLDERS
    : options.placeholders instanceof Map ? options.placeholders
    : new Map(Object.entries(options.placeholders));
  const ctx: FieldContext = { placeholders };
  if (Array.isArray(value)) {
    if (value.every((v) => v !== null && typeof v === 'object' && !Array.isArray(v))) {
      return anyOf(value.map((v, i) => compileMap(v as Record<string, unknown>, [name, i], ctx)));
    }
    if (value.every((v) => v === null || typeof v !== 'object')) {
      return compileField(KEYWORD_FIELD, ['contains'], value, [name], ctx);
    }
    throw new SelectionError('a selection list must hold either only mappings or only plain values', [name]);
  }
  if (value !== null && typeof value === 'object') return compileMap(value as Record<string, unknown>, [name], ctx);
  return compileField(KEYWORD_FIELD, ['contains'], [value], [name], ctx);
}

interface FieldContext { placeholders: ReadonlyMap<string, readonly string[]> }

function compileMap(map: Record<string, unknown>, path: (string | number)[], ctx: FieldContext): Predicate {
  const checks = Object.entries(map).map(([key, v]) => {
    const [field, ...mods] = key.split('|');
    const keyPath = [...path, key];
    for (const m of mods) {
      if (!MODIFIERS.has(m)) throw new SelectionError(`unknown modifier '${m}' (supported: ${MODIFIER_IDS.join(', ')})`, keyPath);
    }
    if (!field) {
      // Spec "Keywords search": `'|all': [a, b]` is a keyword search with modifiers.
      if (mods.length === 0) throw new SelectionError('field name is empty', keyPath);
      const implicit = mods.some((m) => EXPLICIT_MATCH.has(m)) ? [] : ['contains'];
      return compileField(KEYWORD_FIELD, [...implicit, ...mods], Array.isArray(v) ? v : [v], keyPath, ctx);
    }
    return compileField(field, mods, Array.isArray(v) ? v : [v], keyPath, ctx);
  });
  return allOf(checks);
}

/*
 * AND / OR of compiled predicates as plain loops, the one- and two-item cases (most selections
 * and conditions) as direct calls: `every` / `some` with a callback cost a closure call per item on
 * every evaluation. Same order and short-circuiting as every / some.
 */
function allOf(ps: readonly Predicate[]): Predicate {
  if (ps.length === 1) return ps[0]!;
  if (ps.length === 2) { const a = ps[0]!; const b = ps[1]!; return (e) => a(e) && b(e); }
  return (e) => {
    for (let i = 0; i < ps.length; i++) if (!ps[i]!(e)) return false;
    return true;
  };
}

function anyOf(ps: readonly Predicate[]): Predicate {
  if (ps.length === 1) return ps[0]!;
  if (ps.length === 2) { const a = ps[0]!; const b = ps[1]!; return (e) => a(e) || b(e); }
  return (e) => {
    for (let i = 0; i < ps.length; i++) if (ps[i]!(e)) return true;
    return false;
  };
}

function compileField(field: string, ids: string[], values: unknown[], path: (string | number)[], ctx: FieldContext): Predicate {
  try {
    return compileFieldChecked(field, ids, values, path, ctx);
  } catch (err) {
    if (err instanceof ModifierError) throw new SelectionError(err.message, path);
    throw err;
  }
}

function compileFieldChecked(field: string, ids: string[], values: unknown[], path: (string | number)[], ctx: FieldContext): Predicate {
  checkChain(ids);
  const mods = ids.map((id) => MODIFIERS.get(id)!);
  const flags = new Set(mods.flatMap((m) => (m.type === 'flag' ? [m.flag] : [])));
  const valueMods = mods.flatMap((m, index) => (m.type === 'value' ? [{ m, index }] : []));

  if (ids.includes('exists')) {
    if (values.length !== 1 || typeof values[0] !== 'boolean') throw new SelectionError("'exists' takes true or false", path);
    const want = values[0];
    // Presence only (spec): a field holding null or '' exists.
    const readExists = fieldReader(field);
    return (e) => (readExists(e) !== undefined) === want;
  }
  if (flags.has('all') && values.length < 2) throw new ModifierError("modifier 'all' needs a list of at least two values");
  if (values.length > 1 && values.includes(null)) throw new ModifierError('null cannot be part of a list of values; put it in a selection of its own');

  const cased = flags.has('cased');
  const expandPlaceholders = ids.includes('expand');
  // One entry per rule value; a value may have become several alternatives (windash, base64offset, expand).
  const finals: SigmaValue[][] = values.map((raw, vi) => {
    let current: SigmaValue[] = [initialValue(raw, ids, expandPlaceholders, [...path, vi])];
    for (const { m, index } of valueMods) {
      const mctx: ModifierContext = { chain: ids, index, placeholders: ctx.placeholders };
      current = current.flatMap((v) => applyModifier(m, v, mctx));
    }
    return current;
  });
  const all = flags.has('all');
  // The path is compiled once per matcher (fieldReader), not per event.
  const read = fieldReader(field);
  const matches = finals.every((alts) => alts.every((v) => v.kind === 'string'))
    ? globItem(read, finals.map((alts) => alts.map((v) => compileGlobParts((v as SigmaValue & { kind: 'string' }).parts, cased))), cased, all)
    : matcherItem(read, finals.map((alts) => alts.map((v) => valueMatcher(v, cased))), all);
  return flags.has('neq') ? (e) => !matches(e) : matches;
}

/**
 * The common item: every value is a string pattern (plain, contains / startswith / endswith,
 * windash, encodings). Per event: one field lookup, the field's text folded once (lowerCase
 * remembers it for the next item or rule testing the same field), then each value's precompiled
 * glob on that one copy — no per-value asText, lowercasing or closure call.
 */
function globItem(read: FieldReader, perValue: CompiledGlob[][], cased: boolean, all: boolean): Predicate {
  const fold = (x: unknown): string | null => {
    const t = asText(x);
    return t === null || cased ? t : lowerCase(t);
  };
  const anyGlob = (alternatives: readonly CompiledGlob[], text: string): boolean => {
    for (let i = 0; i < alternatives.length; i++) if (matchFolded(alternatives[i]!, text)) return true;
    return false;
  };
  // A list-valued field: a value matches when any element does (each value on its own under `all`).
  const anyElement = (alternatives: readonly CompiledGlob[], xs: readonly unknown[]): boolean => {
    for (const x of xs) {
      const t = fold(x);
      if (t !== null && anyGlob(alternatives, t)) return true;
    }
    return false;
  };
  return (e) => {
    const actual = read(e);
    if (Array.isArray(actual)) {
      if (all) {
        for (const alternatives of perValue) if (!anyElement(alternatives, actual)) return false;
        return true;
      }
      for (const alternatives of perValue) if (anyElement(alternatives, actual)) return true;
      return false;
    }
    const text = fold(actual);
    if (text === null) return false;
    if (all) {
      for (let i = 0; i < perValue.length; i++) if (!anyGlob(perValue[i]!, text)) return false;
      return true;
    }
    for (let i = 0; i < perValue.length; i++) if (anyGlob(perValue[i]!, text)) return true;
    return false;
  };
}

/** Any other item (null, numbers, regex, cidr, comparisons, fieldref): one matcher per alternative. */
function matcherItem(read: FieldReader, perValue: ValueMatcher[][], all: boolean): Predicate {
  const matchOne = (alternatives: ValueMatcher[], actual: unknown, e: unknown): boolean => {
    if (!Array.isArray(actual)) {
      for (const m of alternatives) if (m(actual, e)) return true;
      return false;
    }
    // A list-valued field matches when any element does.
    for (const x of actual) for (const m of alternatives) if (m(x, e)) return true;
    return false;
  };
  // Per event: one field lookup, then plain loops over the precompiled matchers — no closures,
  // arrays or regexes are created here.
  return (e: unknown): boolean => {
    const actual = read(e);
    if (all) {
      for (const alternatives of perValue) if (!matchOne(alternatives, actual, e)) return false;
      return true;
    }
    for (const alternatives of perValue) if (matchOne(alternatives, actual, e)) return true;
    return false;
  };
}

function initialValue(raw: unknown, ids: readonly string[], expand: boolean, path: (string | number)[]): SigmaValue {
  if (raw === null) return { kind: 'null' };
  if (typeof raw === 'number') return { kind: 'number', value: raw };
  if (typeof raw === 'boolean') return { kind: 'bool', value: raw };
  if (typeof raw !== 'string') throw new SelectionError('a value must be a string, number, boolean or null', path);
  // A regex is taken verbatim: Sigma's wildcard escapes do not apply inside it.
  if (ids.includes('re')) return stringValue(raw);
  return { kind: 'string', parts: parseSigmaString(raw, expand), binary: false };
}

const KIND_NAMES: Record<SigmaValue['kind'], string> = {
  string: 'a string', number: 'a number', bool: 'a boolean', null: 'null', regex: 'a regular expression', cidr: 'a network',
  compare: 'a comparison', timepart: 'a time part', fieldref: 'a field reference', exists: 'an existence check',
};

/** pySigma's `SigmaModifier.apply`: check the input type, turning numbers into strings where a string is wanted. */
function applyModifier(m: ValueModifier, v: SigmaValue, ctx: ModifierContext): SigmaValue[] {
  let input = v;
  if (!m.accepts.includes(v.kind) && (v.kind === 'number' || v.kind === 'bool') && m.accepts.includes('string')) input = stringValue(String(v.value));
  if (!m.accepts.includes(input.kind)) throw new ModifierError(`modifier '${m.id}' cannot be applied to ${KIND_NAMES[v.kind]}`);
  const out = m.apply(input, ctx);
  return Array.isArray(out) ? out : [out];
}

export function compileCondition(node: ConditionNode, selections: ReadonlyMap<string, Predicate>): Predicate {
  const known = [...selections.keys()];
  switch (node.type) {
    case 'ref': return selections.get(node.name)!;
    case 'not': { const p = compileCondition(node.item, selections); return (e) => !p(e); }
    case 'and': return allOf(node.items.map((n) => compileCondition(n, selections)));
    case 'or': return anyOf(node.items.map((n) => compileCondition(n, selections)));
    case 'of': {
      const ps = expandPattern(node.pattern, known).map((n) => selections.get(n)!);
      return node.quantifier === 'one' ? anyOf(ps) : allOf(ps);
    }
  }
}
