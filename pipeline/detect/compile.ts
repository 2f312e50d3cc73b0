import { compileGlob, matchGlob } from './glob';
import { getField } from './field';
import { expandPattern, type ConditionNode } from './condition';

/** A compiled predicate over one event. */
export type Predicate = (event: unknown) => boolean;

/** Modifiers this slice implements; the rule-engine issue adds the rest of the Sigma set. */
export const SUPPORTED_MODIFIERS = ['contains', 'startswith', 'endswith', 'all', 'cased', 'exists'] as const;
type Modifier = (typeof SUPPORTED_MODIFIERS)[number];

export class SelectionError extends Error {
  /** Key path inside the selection, e.g. ['sel', 'message|contains']. */
  constructor(message: string, readonly path: (string | number)[]) {
    super(message);
  }
}

/** Keyword lists (a selection that is a list of plain values) search the message field. */
const KEYWORD_FIELD = 'message';

export function compileSelection(name: string, value: unknown): Predicate {
  if (Array.isArray(value)) {
    if (value.every((v) => v !== null && typeof v === 'object' && !Array.isArray(v))) {
      const alternatives = value.map((v, i) => compileMap(v as Record<string, unknown>, [name, i]));
      return (e) => alternatives.some((p) => p(e));
    }
    if (value.every((v) => v === null || typeof v !== 'object')) {
      return compileField(KEYWORD_FIELD, ['contains'], value, [name]);
    }
    throw new SelectionError('a selection list must hold either only mappings or only plain values', [name]);
  }
  if (value !== null && typeof value === 'object') return compileMap(value as Record<string, unknown>, [name]);
  return compileField(KEYWORD_FIELD, ['contains'], [value], [name]);
}

function compileMap(map: Record<string, unknown>, path: (string | number)[]): Predicate {
  const checks = Object.entries(map).map(([key, v]) => {
    const [field, ...mods] = key.split('|');
    if (!field) throw new SelectionError('field name is empty', [...path, key]);
    for (const m of mods) {
      if (!(SUPPORTED_MODIFIERS as readonly string[]).includes(m)) {
        throw new SelectionError(`unknown modifier '${m}' (supported: ${SUPPORTED_MODIFIERS.join(', ')})`, [...path, key]);
      }
    }
    return compileField(field, mods as Modifier[], Array.isArray(v) ? v : [v], [...path, key]);
  });
  return (e) => checks.every((c) => c(e));
}

function compileField(field: string, mods: Modifier[], values: unknown[], path: (string | number)[]): Predicate {
  if (mods.includes('exists')) {
    if (values.length !== 1 || typeof values[0] !== 'boolean') throw new SelectionError("'exists' takes true or false", path);
    const want = values[0];
    return (e) => (getField(e, field) !== undefined && getField(e, field) !== null) === want;
  }
  const cased = mods.includes('cased');
  const matchers = values.map((v, i) => compileValue(v, mods, cased, [...path, i]));
  const all = mods.includes('all');
  return (e) => {
    const actual = getField(e, field);
    const candidates = Array.isArray(actual) ? actual : [actual];
    const one = (m: (x: unknown) => boolean): boolean => candidates.some(m);
    return all ? matchers.every(one) : matchers.some(one);
  };
}

function compileValue(value: unknown, mods: Modifier[], cased: boolean, path: (string | number)[]): (x: unknown) => boolean {
  if (value === null) return (x) => x === undefined || x === null || x === '';
  if (typeof value === 'number' || typeof value === 'boolean') {
    const text = String(value);
    return (x) => x === value || (typeof x === 'string' && x === text) || (typeof x === 'number' && String(x) === text);
  }
  if (typeof value !== 'string') throw new SelectionError('a value must be a string, number, boolean or null', path);
  let pattern = value;
  if (mods.includes('contains')) pattern = `*${pattern}*`;
  else if (mods.includes('startswith')) pattern = `${pattern}*`;
  else if (mods.includes('endswith')) pattern = `*${pattern}`;
  const glob = compileGlob(pattern, cased);
  return (x) => {
    if (typeof x === 'string') return matchGlob(glob, x);
    if (typeof x === 'number' || typeof x === 'boolean') return matchGlob(glob, String(x));
    return false;
  };
}

export function compileCondition(node: ConditionNode, selections: ReadonlyMap<string, Predicate>): Predicate {
  const known = [...selections.keys()];
  switch (node.type) {
    case 'ref': return selections.get(node.name)!;
    case 'not': { const p = compileCondition(node.item, selections); return (e) => !p(e); }
    case 'and': { const ps = node.items.map((n) => compileCondition(n, selections)); return (e) => ps.every((p) => p(e)); }
    case 'or': { const ps = node.items.map((n) => compileCondition(n, selections)); return (e) => ps.some((p) => p(e)); }
    case 'of': {
      const ps = expandPattern(node.pattern, known).map((n) => selections.get(n)!);
      return node.quantifier === 'one' ? (e) => ps.some((p) => p(e)) : (e) => ps.every((p) => p(e));
    }
  }
}
