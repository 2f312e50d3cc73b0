/**
 * Necessary conditions of a rule, derived from its detection (the YAML `Rule`, after field mapping).
 *
 * A requirement is in conjunctive form: a list of clauses, every one of which must hold for the rule
 * to possibly match; a clause is a list of keys, at least one of which must hold. A key is
 * - `eq`:  the field's text, lowercased, equals `value` (a glob without wildcards, a number, a bool);
 * - `cidr`: the field is an address in the network (tested as the cidr modifier tests it);
 * - `sub`: the field's text, lowercased, contains `value` (a literal run of a glob: contains /
 *          startswith / endswith / keywords / a plain value with wildcards, or a literal a regex requires;
 *          a clause of `sub` keys can also be a regex alternation's branches: one of them occurs).
 * "The field's text" is the field value as the matchers see it (`asText`), element by element when
 * the field holds a list. `ANY` (null) means no usable requirement: the rule is always evaluated.
 *
 * Soundness argument, node by node (each derivation only ever weakens the condition):
 * - item → its values OR-ed (or AND-ed with `all`), each value the alternatives its modifiers made;
 *   a value yields the key its compiled glob implies (same folding as `matchGlob`), or ANY;
 * - map (AND of items) → concatenation of the items' clauses; list of maps, keywords (OR) → product;
 * - `and` → concatenation; `or`/`1 of` → product (kept to the best few clauses, which only drops
 *   constraints); `not`, `neq`, `exists`, null, comparisons, fieldref, time parts → ANY.
 * Dropping a clause or adding a key to a clause always keeps a condition necessary, which is all the
 * pruning below does.
 */
import type { Rule } from '../../../schemas/generated/types';
import { expandPattern, parseCondition, type ConditionNode } from '../condition';
import { compileGlobParts, parseSigmaString } from '../glob';
import { checkChain } from '../modifiers/chain';
import { MODIFIERS } from '../modifiers/registry';
import { stringValue, type IpNet, type ModifierContext, type SigmaValue, type ValueModifier } from '../modifiers/types';

export type Key =
  | { kind: 'eq' | 'sub'; field: string; value: string }
  /** The field is a string holding an address inside `net` (the cidr modifier's own test). */
  | { kind: 'cidr'; field: string; value: string; net: IpNet };
export type Clause = Key[];
/** Conjunction of clauses; null = no usable requirement (evaluate the rule for every event). */
export type Requirement = Clause[] | null;

/** Kept per rule / per intermediate OR: enough to combine a cheap eq with a selective substring. */
const MAX_CLAUSES = 3;
/** An OR whose product would exceed this many clauses is first cut down to the best clause of each side. */
const MAX_PRODUCT = 9;
/** A clause with more keys than this costs more to look up than it saves. */
const MAX_KEYS = 512;
/** Regex literals shorter than this are found in most events: used only when nothing longer is known. */
const MIN_STRONG = 3;

const KEYWORD_FIELD = 'message';
const EXPLICIT_MATCH = new Set(['contains', 'startswith', 'endswith', 're', 'cidr', 'exists', 'fieldref', 'lt', 'lte', 'gt', 'gte', 'minute', 'hour', 'day', 'week', 'month', 'year', 'base64offset']);
const NO_PLACEHOLDERS: ReadonlyMap<string, readonly string[]> = new Map();

/** The rule's requirement; never throws (anything unexpected → ANY). */
export function ruleRequirement(rule: Rule): Requirement {
  try {
    const detection = rule.detection as Record<string, unknown>;
    const names = Object.keys(detection).filter((k) => k !== 'condition');
    const selections = new Map<string, Requirement>();
    for (const name of names) selections.set(name, selectionRequirement(detection[name]));
    const raw = detection.condition;
    const conditions = Array.isArray(raw) ? (raw as string[]) : [raw as string];
    return orAll(conditions.map((c) => conditionRequirement(parseCondition(c), selections, names)));
  } catch {
    return null;
  }
}

export function conditionRequirement(node: ConditionNode, selections: ReadonlyMap<string, Requirement>, known: readonly string[]): Requirement {
  switch (node.type) {
    case 'ref': return selections.has(node.name) ? selections.get(node.name)! : null;
    case 'not': return null;
    case 'and': return andAll(node.items.map((n) => conditionRequirement(n, selections, known)));
    case 'or': return orAll(node.items.map((n) => conditionRequirement(n, selections, known)));
    case 'of': {
      const reqs = expandPattern(node.pattern, known).map((n) => selections.get(n) ?? null);
      return node.quantifier === 'one' ? orAll(reqs) : andAll(reqs);
    }
  }
}

export function selectionRequirement(value: unknown): Requirement {
  if (Array.isArray(value)) {
    if (value.every((v) => v !== null && typeof v === 'object' && !Array.isArray(v))) {
      return orAll(value.map((v) => mapRequirement(v as Record<string, unknown>)));
    }
    return itemRequirement(KEYWORD_FIELD, ['contains'], value);
  }
  if (value !== null && typeof value === 'object') return mapRequirement(value as Record<string, unknown>);
  return itemRequirement(KEYWORD_FIELD, ['contains'], [value]);
}

function mapRequirement(map: Record<string, unknown>): Requirement {
  return andAll(Object.entries(map).map(([key, v]) => {
    const [field, ...mods] = key.split('|');
    const values = Array.isArray(v) ? v : [v];
    if (!field) {
      const implicit = mods.some((m) => EXPLICIT_MATCH.has(m)) ? [] : ['contains'];
      return itemRequirement(KEYWORD_FIELD, [...implicit, ...mods], values);
    }
    return itemRequirement(field, mods, values);
  }));
}

/** One detection item `field|mods: values`, mirroring compile.ts's value construction. */
export function itemRequirement(field: string, ids: string[], values: unknown[]): Requirement {
  try {
    checkChain(ids);
  } catch {
    return null;
  }
  // neq: the item holds when the field differs (or is missing); exists: presence only; expand:
  // the placeholder values are not kept on the compiled rule.
  if (ids.includes('neq') || ids.includes('exists') || ids.includes('expand')) return null;
  if (values.length === 0) return null;
  const mods = ids.map((id) => MODIFIERS.get(id));
  if (mods.some((m) => m === undefined)) return null;
  const cased = ids.includes('cased');
  const valueMods = mods.flatMap((m, index) => (m!.type === 'value' ? [{ m: m as ValueModifier, index }] : []));
  const perValue: Requirement[] = values.map((raw) => {
    let current: SigmaValue[] = [initialValue(raw, ids)];
    for (const { m, index } of valueMods) {
      const mctx: ModifierContext = { chain: ids, index, placeholders: NO_PLACEHOLDERS };
      current = current.flatMap((v) => applyModifier(m, v, mctx));
    }
    return orAll(current.map((v) => valueRequirement(field, v, cased)));
  });
  return ids.includes('all') ? andAll(perValue) : orAll(perValue);
}

function initialValue(raw: unknown, ids: readonly string[]): SigmaValue {
  if (raw === null) return { kind: 'null' };
  if (typeof raw === 'number') return { kind: 'number', value: raw };
  if (typeof raw === 'boolean') return { kind: 'bool', value: raw };
  if (typeof raw !== 'string') throw new Error('unsupported value');
  if (ids.includes('re')) return stringValue(raw);
  return { kind: 'string', parts: parseSigmaString(raw, false), binary: false };
}

function applyModifier(m: ValueModifier, v: SigmaValue, ctx: ModifierContext): SigmaValue[] {
  let input = v;
  if (!m.accepts.includes(v.kind) && (v.kind === 'number' || v.kind === 'bool') && m.accepts.includes('string')) input = stringValue(String(v.value));
  if (!m.accepts.includes(input.kind)) throw new Error('modifier does not apply');
  const out = m.apply(input, ctx);
  return Array.isArray(out) ? out : [out];
}

const ASCII = /^[\x00-\x7f]*$/;

/** The key one final value implies, or ANY. */
export function valueRequirement(field: string, v: SigmaValue, cased: boolean): Requirement {
  switch (v.kind) {
    case 'number': case 'bool':
      return [[{ kind: 'eq', field, value: String(v.value).toLowerCase() }]];
    case 'string': {
      // The same tokens matchGlob walks: case-insensitive globs fold literals exactly as we fold
      // the event text, so `text contains token` is implied by a match.
      const glob = compileGlobParts(v.parts, cased);
      if (glob.literal !== null) {
        // Equality survives lowercasing both sides, cased or not.
        return [[{ kind: 'eq', field, value: cased ? glob.literal.toLowerCase() : glob.literal }]];
      }
      let best = '';
      for (const t of glob.tokens) if (t.kind === 'lit' && t.text.length > best.length) best = t.text;
      if (best === '') return null;
      if (cased) {
        // A case-sensitive substring is still a substring after lowercasing the text only when
        // lowercasing cannot change it by context (final sigma …): ASCII only.
        if (!ASCII.test(best)) return null;
        best = best.toLowerCase();
      }
      return [[{ kind: 'sub', field, value: best }]];
    }
    case 'regex': {
      // Literals every match must contain: the longest top-level run, and one alternative of each
      // mandatory group (`(failures|retries)=` needs "failures" or "retries").
      const found = regexClauses(v.source);
      if (found === null) return null;
      // An inline flag group may switch case-insensitivity on: treat any `(?` as if it did.
      const folded = v.flags.i || v.source.includes('(?');
      const clauses: Clause[] = [];
      for (const lits of found) {
        const keys = lits.map((l) => (folded ? caseFoldSafe(l) : l.toLowerCase()));
        if (keys.some((k) => k === '')) continue;
        clauses.push(dedupeKeys(keys.map((value): Key => ({ kind: 'sub', field, value }))));
      }
      // A clause of one- or two-character keys fires on nearly every event (and on every
      // occurrence in it): worth keeping only when nothing better is known.
      const strong = clauses.filter((c) => c.every((k) => k.value.length >= MIN_STRONG));
      if (strong.length > 0) return strong;
      return clauses.length === 0 ? null : [best(clauses, 1)[0]!];
    }
    case 'cidr':
      return [[{ kind: 'cidr', field, value: v.text, net: v.net }]];
    default:
      return null; // null (missing field matches), comparisons, time parts, fieldref, exists
  }
}

/**
 * RE2 folds 's' with U+017F (long s), which toLowerCase leaves alone: keep the longest piece
 * without an 's' (K/k's partner, the Kelvin sign, lowercases to 'k', so k is safe). '' when none.
 */
function caseFoldSafe(literal: string): string {
  return literal.toLowerCase().split('s').reduce((a, b) => (b.length > a.length ? b : a), '');
}

/**
 * Required literals of a regex as clauses (one of each clause's literals occurs in every match),
 * not yet lowercased: a top-level alternation gives one clause of its branches' literals;
 * otherwise the longest top-level run, plus a clause per mandatory group whose every branch has
 * a literal. Null when nothing is known.
 */
export function regexClauses(source: string): string[][] | null {
  const branches = splitAlternatives(source);
  if (branches === null) return null;
  if (branches.length > 1) {
    const lits = branches.map(regexLiteral);
    return lits.every((l): l is string => l !== null) ? [lits] : null;
  }
  const scanned = scanRegex(source);
  if (scanned === null) return null;
  const clauses: string[][] = [];
  const run = longest(scanned.runs);
  if (run !== null) clauses.push([run]);
  for (const group of scanned.groups) {
    const body = groupBody(group);
    const alts = body === null ? null : splitAlternatives(body);
    if (alts === null) continue;
    const lits = alts.map(regexLiteral);
    if (lits.every((l): l is string => l !== null)) clauses.push(lits);
  }
  return clauses.length === 0 ? null : clauses;
}

/** A group's text without its `?:` / `?P<name>` / `?<name>` head; null for flag groups (`?i:`, `(?i)`). */
function groupBody(group: string): string | null {
  if (!group.startsWith('?')) return group;
  if (group.startsWith('?:')) return group.slice(2);
  if (group.startsWith('?P<') || group.startsWith('?<')) {
    const close = group.indexOf('>');
    return close < 0 ? null : group.slice(close + 1);
  }
  return null;
}

/** Splits at top-level `|` (outside groups and classes); null when unbalanced. */
function splitAlternatives(source: string): string[] | null {
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < source.length; i++) {
    const c = source[i]!;
    if (c === '\\') { i++; continue; }
    if (c === '[') {
      const end = classEnd(source, i);
      if (end < 0) return null;
      i = end;
      continue;
    }
    if (c === '(') depth++;
    else if (c === ')') { if (--depth < 0) return null; }
    else if (c === '|' && depth === 0) { out.push(source.slice(start, i)); start = i + 1; }
  }
  if (depth !== 0) return null;
  out.push(source.slice(start));
  return out;
}

/** Index of the `]` closing the class opened at `open`, or -1. */
function classEnd(source: string, open: number): number {
  let j = open + 1;
  if (source[j] === '^') j++;
  if (source[j] === ']') j++;
  for (;;) {
    if (j >= source.length) return -1;
    if (source[j] === '\\') { j += 2; continue; }
    if (source.startsWith('[:', j)) { const k = source.indexOf(':]', j + 2); if (k < 0) return -1; j = k + 2; continue; }
    if (source[j] === ']') return j;
    j++;
  }
}

function longest(runs: readonly string[]): string | null {
  let best = '';
  for (const r of runs) if (r.length > best.length) best = r;
  return best === '' ? null : best;
}

/**
 * A literal every match of the regex must contain: the longest run of plain characters at the top
 * level (outside groups and classes) in which no character is made optional or repeated by a
 * quantifier. A top-level `|`, an escape we do not read as a plain character (`\x41`, `\p{L}`, `\Q`,
 * back-references) or anything unbalanced → null. Plain characters are ASCII only.
 */
export function regexLiteral(source: string): string | null {
  const scanned = scanRegex(source);
  return scanned === null ? null : longest(scanned.runs);
}

/**
 * One pass over a regex without a top-level `|`: its top-level literal runs (see regexLiteral)
 * and the text of its mandatory groups (not followed by `?`, `*` or `{`). Null as regexLiteral.
 */
function scanRegex(source: string): { runs: string[]; groups: string[] } | null {
  const runs: string[] = [];
  const groups: string[] = [];
  let cur = '';
  const end = (): void => { if (cur !== '') runs.push(cur); cur = ''; };
  let i = 0;
  while (i < source.length) {
    const c = source[i]!;
    let atom: string | null = null;
    let group: string | null = null;
    let quantifiable = true;
    if (c === '|') return null;
    if (c === '\\') {
      const n = source[i + 1];
      if (n === undefined) return null;
      if (/[A-Za-z0-9]/.test(n)) {
        if (/[xpPQEc0-9]/.test(n)) return null; // escapes that consume more characters or refer back
        atom = null; // \d \w \s \b \n …: not a plain character (a zero-width one simply ends the run)
      } else if (/[\x21-\x7e ]/.test(n)) {
        atom = n;
      } else {
        return null;
      }
      i += 2;
    } else if (c === '[') {
      const j = classEnd(source, i);
      if (j < 0) return null;
      i = j + 1;
    } else if (c === '(') {
      let depth = 0;
      let j = i;
      for (;;) {
        if (j >= source.length) return null;
        const d = source[j]!;
        if (d === '\\') { j += 2; continue; }
        if (d === '[') {
          const k = classEnd(source, j);
          if (k < 0) return null;
          j = k + 1;
          continue;
        }
        if (d === '(') depth++;
        if (d === ')' && --depth === 0) break;
        j++;
      }
      group = source.slice(i + 1, j);
      i = j + 1;
    } else if (c === '^' || c === '$') {
      quantifiable = false;
      i++;
    } else if (c === '.') {
      i++;
    } else if (c === ')' || c === '*' || c === '+' || c === '?' || c === '{') {
      return null; // unbalanced, or a quantifier with nothing to repeat
    } else if (/[\x20-\x7e]/.test(c)) {
      atom = c;
      i++;
    } else {
      return null; // non-ASCII: RE2's case folding of it is not ours to mirror
    }
    const q = quantifiable ? source[i] : undefined;
    if (q === '*' || q === '?' || q === '{') {
      // The atom may be absent (or, for {n,m}, we do not bother): it ends the run and is dropped.
      if (q === '{') { const k = source.indexOf('}', i); if (k < 0) return null; i = k + 1; } else i++;
      if (source[i] === '?' || source[i] === '+') i++;
      end();
      continue;
    }
    if (group !== null) groups.push(group);
    if (q === '+') {
      // At least once: the atom ends the run (text after it may follow further copies).
      if (atom !== null) cur += atom;
      i++;
      if (source[i] === '?' || source[i] === '+') i++;
      end();
      continue;
    }
    if (atom === null) { end(); continue; }
    cur += atom;
  }
  end();
  return { runs, groups };
}

// --- combining ----------------------------------------------------------------------------------

/** Cost of one key: equality is nearly free to test and selective; short substrings are neither. */
function keyCost(k: Key): number {
  if (k.kind === 'eq') return 1;
  if (k.kind === 'cidr') return 2;
  return 1 + 16 / Math.max(1, k.value.length);
}

export function clauseCost(c: Clause): number {
  let s = 0;
  for (const k of c) s += keyCost(k);
  return s;
}

function best(req: Clause[], n: number): Clause[] {
  if (req.length <= n) return req;
  return [...req].sort((a, b) => clauseCost(a) - clauseCost(b)).slice(0, n);
}

export function andAll(reqs: Requirement[]): Requirement {
  const clauses: Clause[] = [];
  for (const r of reqs) if (r !== null) clauses.push(...r);
  if (clauses.length === 0) return null;
  return best(dedupeClauses(clauses), MAX_CLAUSES);
}

export function orAll(reqs: Requirement[]): Requirement {
  // An OR of nothing cannot occur in a loaded rule (`1 of` must name something); treat it as ANY.
  if (reqs.length === 0) return null;
  let acc: Clause[] | null = null;
  for (const r of reqs) {
    if (r === null) return null;
    acc = acc === null ? r : or2(acc, r);
    if (acc === null) return null;
  }
  return acc;
}

function or2(a: Clause[], b: Clause[]): Clause[] | null {
  let left = a;
  let right = b;
  if (left.length * right.length > MAX_PRODUCT) { left = best(left, 1); right = best(right, 1); }
  const out: Clause[] = [];
  for (const x of left) {
    for (const y of right) {
      const c = dedupeKeys([...x, ...y]);
      if (c.length <= MAX_KEYS) out.push(c);
    }
  }
  if (out.length === 0) return null;
  return best(dedupeClauses(out), MAX_CLAUSES);
}

const keyId = (k: Key): string => `${k.kind}\u0000${k.field}\u0000${k.value}`;

function dedupeKeys(c: Clause): Clause {
  const seen = new Map<string, Key>();
  for (const k of c) seen.set(keyId(k), k);
  return [...seen.values()];
}

function dedupeClauses(cs: Clause[]): Clause[] {
  const seen = new Map<string, Clause>();
  for (const c of cs) seen.set(c.map(keyId).sort().join('\u0001'), c);
  return [...seen.values()];
}
