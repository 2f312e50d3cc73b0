import type { Rule } from '../../schemas/generated/types';
import type { ErrorCode } from '../errors/catalog';
import { ConditionSyntaxError, parseCondition, referencedNames } from './condition';
import { SelectionError, compileCondition, compileSelection, type CompileOptions, type Predicate } from './compile';
import type { CompiledRule, LoadedFilter, RuleAlerting } from './types';

/** The compile phase: one validated rule (or filter) document → its executable form. */

export type ProblemSink = (code: ErrorCode, message: string, keyPath: (string | number)[]) => void;

const PERIOD_UNITS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** The `haetae:` block → alerting settings; the schema has checked the shapes already. */
function compileAlerting(rule: Rule, problem: (code: ErrorCode, message: string, keyPath: (string | number)[]) => void): RuleAlerting | null {
  const block = rule.haetae ?? {};
  const alerting: RuleAlerting = { severity: block.severity ?? rule.level ?? 'medium' };
  if (block.channels) alerting.channels = block.channels;
  if (block['group-by']) alerting.groupBy = block['group-by'];
  if (block['recovered-by']) {
    if (!block['group-by']) {
      problem('HAETAE_RULE_INVALID', 'recovered-by needs group-by: a recovery resolves the open alerts of its group', ['haetae', 'recovered-by']);
      return null;
    }
    alerting.recoveredBy = block['recovered-by'];
  }
  if (block.reopen !== undefined) {
    if (!block['group-by']) {
      problem('HAETAE_RULE_INVALID', 'reopen needs group-by: it reopens the resolved alert of the same group', ['haetae', 'reopen']);
      return null;
    }
    alerting.reopen = block.reopen;
  }
  if (block.throttle) {
    if (!block['group-by']) {
      problem('HAETAE_RULE_INVALID', 'throttle needs group-by: it limits alerts per group', ['haetae', 'throttle']);
      return null;
    }
    const m = /^([0-9]+)([smhd])$/.exec(block.throttle)!;
    alerting.throttleMs = Number(m[1]) * PERIOD_UNITS[m[2]!]!;
  }
  if (block.absence) {
    if (!block['group-by']) {
      problem('HAETAE_RULE_INVALID', 'absence needs group-by: it tracks when each group (e.g. each host) was last seen', ['haetae', 'absence']);
      return null;
    }
    // An absence rule raises no alert per match, so there is nothing to throttle or to recover.
    const other = block.throttle ? 'throttle' : block['recovered-by'] ? 'recovered-by' : null;
    if (other) {
      problem('HAETAE_RULE_INVALID', `absence cannot be combined with ${other}: the rule's matches are heartbeats, not alerts, and its absence alert is resolved by the next heartbeat`, ['haetae', 'absence']);
      return null;
    }
    const timespan = block.absence.timespan;
    const m = /^([0-9]+)([smhd])$/.exec(timespan)!;
    const f = /^([0-9]+)([smhd])$/.exec(block.absence['forget-after'] ?? '7d')!;
    alerting.absence = {
      timespanMs: Number(m[1]) * PERIOD_UNITS[m[2]!]!,
      timespan,
      maxGroups: block.absence['max-groups'] ?? 10_000,
      forgetAfterMs: Number(f[1]) * PERIOD_UNITS[f[2]!]!,
    };
  }
  return alerting;
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/**
 * A Sigma filter document (filters specification 2.1): title, logsource, and `filter` with
 * `rules` (ids or names), selections and a `condition` over them.
 */
export function compileFilter(
  doc: Record<string, unknown>,
  file: string,
  problem: (code: ErrorCode, message: string, keyPath: (string | number)[]) => void,
  options: CompileOptions,
): Omit<LoadedFilter, 'at'> | null {
  const f = doc.filter;
  let ok = true;
  const bad = (message: string, keyPath: (string | number)[]): void => { problem('HAETAE_RULE_INVALID', message, keyPath); ok = false; };
  if (typeof doc.title !== 'string' || doc.title === '') bad('a filter needs a title', ['title']);
  if (!isObject(doc.logsource)) bad('a filter needs a logsource', ['logsource']);
  if (!isObject(f)) {
    bad('filter must be a mapping with rules, selections and a condition', ['filter']);
    return null;
  }
  const refs = f.rules;
  if (!Array.isArray(refs) || refs.length === 0 || !refs.every((r) => typeof r === 'string')) bad('filter.rules must list the ids or names of the rules to filter', ['filter', 'rules']);
  if (typeof f.condition !== 'string') bad('filter.condition must be a condition over the filter selections', ['filter', 'condition']);
  const selections = new Map<string, Predicate>();
  for (const [name, value] of Object.entries(f)) {
    if (name === 'rules' || name === 'condition') continue;
    try {
      selections.set(name, compileSelection(name, value, options));
    } catch (err) {
      if (!(err instanceof SelectionError)) throw err;
      bad(err.message, ['filter', ...err.path]);
    }
  }
  if (!ok) return null;
  try {
    const tree = parseCondition(f.condition as string);
    const { unknown } = referencedNames(tree, [...selections.keys()]);
    if (unknown.length > 0) {
      bad(`condition refers to unknown selection${unknown.length > 1 ? 's' : ''} ${unknown.map((u) => `'${u}'`).join(', ')}`, ['filter', 'condition']);
      return null;
    }
    return { title: doc.title as string, rules: refs as string[], matches: compileCondition(tree, selections), file };
  } catch (err) {
    if (!(err instanceof ConditionSyntaxError)) throw err;
    bad(`condition: ${err.message} at column ${err.column}`, ['filter', 'condition']);
    return null;
  }
}

export function compileRule(
  rule: Rule,
  file: string,
  problem: (code: ErrorCode, message: string, keyPath: (string | number)[]) => void,
  options: CompileOptions,
): CompiledRule | null {
  const selections = new Map<string, Predicate>();
  let failed = false;
  for (const [name, value] of Object.entries(rule.detection)) {
    if (name === 'condition') continue;
    try {
      selections.set(name, compileSelection(name, value, options));
    } catch (err) {
      if (!(err instanceof SelectionError)) throw err;
      problem('HAETAE_RULE_INVALID', err.message, ['detection', ...err.path]);
      failed = true;
    }
  }
  const conditions = Array.isArray(rule.detection.condition) ? rule.detection.condition : [rule.detection.condition as string];
  const predicates: Predicate[] = [];
  const compiledConditions: Array<{ condition: string; predicate: Predicate }> = [];
  conditions.forEach((source, i) => {
    const keyPath = Array.isArray(rule.detection.condition) ? ['detection', 'condition', i] : ['detection', 'condition'];
    try {
      const tree = parseCondition(source);
      // All names defined in the detection count as known, even one that failed to compile (its own
      // error is already reported); only names that appear nowhere are unknown.
      const defined = Object.keys(rule.detection).filter((k) => k !== 'condition');
      const { unknown } = referencedNames(tree, defined);
      if (unknown.length > 0) {
        problem('HAETAE_RULE_CONDITION', `condition refers to unknown selection${unknown.length > 1 ? 's' : ''} ${unknown.map((u) => `'${u}'`).join(', ')} (defined: ${defined.join(', ') || 'none'})`, keyPath);
        failed = true;
        return;
      }
      if (!failed) {
        const predicate = compileCondition(tree, selections);
        predicates.push(predicate);
        compiledConditions.push({ condition: source, predicate });
      }
    } catch (err) {
      if (!(err instanceof ConditionSyntaxError)) throw err;
      problem('HAETAE_RULE_CONDITION', `condition: ${err.message} at column ${err.column}`, keyPath);
      failed = true;
    }
  });
  const alerting = compileAlerting(rule, problem);
  if (failed || !alerting) return null;
  const matches: Predicate = predicates.length === 1 ? predicates[0]! : (e) => predicates.some((p) => p(e));
  return {
    id: rule.id,
    title: rule.title,
    level: rule.level ?? 'medium',
    ...(rule.description ? { description: rule.description } : {}),
    tags: rule.tags ?? [],
    file,
    matches,
    source: rule,
    alerting,
    // Explaining is for authors, not the hot path: it evaluates every selection separately.
    explain: (event) => ({
      matched: matches(event),
      selections: [...selections].map(([name, p]) => ({ name, matched: p(event) })),
      conditions: compiledConditions.map(({ condition, predicate }) => ({ condition, matched: predicate(event) })),
    }),
  };
}

/** Edit distance with transpositions (optimal string alignment), case-insensitive. */
function distance(a: string, b: string): number {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  const d: number[][] = Array.from({ length: x.length + 1 }, (_, i) => Array.from({ length: y.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= x.length; i++) {
    for (let j = 1; j <= y.length; j++) {
      const cost = x[i - 1] === y[j - 1] ? 0 : 1;
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && x[i - 1] === y[j - 2] && x[i - 2] === y[j - 1]) d[i]![j] = Math.min(d[i]![j]!, d[i - 2]![j - 2]! + 1);
    }
  }
  return d[x.length]![y.length]!;
}

/** The candidate nearest to `word` when it is close enough to be a typo of it (at most 1 edit per 3 letters, at least 1). */
export function nearestName(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const dist = distance(word, c);
    if (dist < bestD) { best = c; bestD = dist; }
  }
  return best !== undefined && bestD > 0 && bestD <= Math.max(1, Math.floor(word.length / 3)) ? best : undefined;
}

/**
 * Checks the conditions of a detection block as the author wrote them, before any mapping profile
 * wraps them (`(…) and _logsource`): syntax errors carry the author's text and columns, unknown
 * selection names a "did you mean" when one is close, and selections no condition uses are
 * warned about (they are dead weight, or a condition typo). Returns false when a condition is wrong.
 */
export function checkConditions(
  detection: Record<string, unknown>,
  problem: ProblemSink,
  warn?: (message: string, keyPath: (string | number)[]) => void,
  base: (string | number)[] = ['detection'],
): boolean {
  const defined = Object.keys(detection).filter((k) => k !== 'condition');
  const raw = detection.condition;
  const conditions = Array.isArray(raw) ? raw : [raw];
  if (!conditions.every((c) => typeof c === 'string')) return true; // the schema reports the shape
  const used = new Set<string>();
  let ok = true;
  conditions.forEach((source: string, i) => {
    const keyPath = Array.isArray(raw) ? [...base, 'condition', i] : [...base, 'condition'];
    try {
      const tree = parseCondition(source);
      const { names, unknown } = referencedNames(tree, defined);
      names.forEach((n) => used.add(n));
      if (unknown.length > 0) {
        const hints = unknown.map((u) => [u, nearestName(u, defined)] as const).filter(([, n]) => n !== undefined);
        const hint = hints.length > 0 ? `; did you mean ${hints.map(([u, n]) => `'${n}' for '${u}'`).join(', ')}?` : '';
        problem('HAETAE_RULE_CONDITION', `condition refers to unknown selection${unknown.length > 1 ? 's' : ''} ${unknown.map((u) => `'${u}'`).join(', ')} (defined: ${defined.join(', ') || 'none'})${hint}`, keyPath);
        ok = false;
      }
    } catch (err) {
      if (!(err instanceof ConditionSyntaxError)) throw err;
      const word = /'([^']*)'/.exec(err.message)?.[1];
      const keyword = word !== undefined && !defined.includes(word) ? nearestName(word, ['and', 'or', 'not', 'of', 'them']) : undefined;
      problem('HAETAE_RULE_CONDITION', `condition '${source}': ${err.message.replace(/^condition /, '')} at column ${err.column}${keyword ? ` (did you mean '${keyword}'?)` : ''}`, keyPath);
      ok = false;
    }
  });
  if (ok && warn) {
    for (const name of defined) {
      if (!used.has(name)) warn(`selection '${name}' is not used by the condition`, [...base, name]);
    }
  }
  return ok;
}
