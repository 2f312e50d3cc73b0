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
