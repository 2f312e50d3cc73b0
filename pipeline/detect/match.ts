import type { CompiledRule } from './load';
import { RuleIndex } from './rule-index';

type OnRuleError = (rule: CompiledRule, err: unknown) => void;

/**
 * One pre-filter index per rule array. The worker asks `ctx.rules()` for the live array on every
 * event; the rule store builds a *new* array on each reload and never mutates a published one, so
 * the array's identity is the rule set's version: a WeakMap keyed by it builds the index on the
 * first event of a set and drops it with the set — hot reload needs no change elsewhere. The
 * length check guards against a caller that pushes into an array it already matched with (an
 * element replaced in place would go unnoticed: publish a new array instead).
 */
const indexes = new WeakMap<readonly CompiledRule[], RuleIndex>();

function indexFor(rules: readonly CompiledRule[]): RuleIndex {
  let index = indexes.get(rules);
  if (index === undefined || index.rules.length !== rules.length) {
    index = new RuleIndex(rules);
    indexes.set(rules, index);
  }
  return index;
}

/**
 * The detect stage: event → the rules it matched, in rule order. Only the rules the index lets
 * through (pipeline/detect/rule-index) are evaluated; the result is the same as evaluating every
 * rule. A rule that throws at run time is reported and treated as not matching, so one bad rule
 * cannot stop a worker (a rule the index skips for an event is not run, so it cannot throw there).
 */
export function matchRules(rules: readonly CompiledRule[], event: unknown, onRuleError: OnRuleError): CompiledRule[] {
  if (rules.length === 0) return [];
  return indexFor(rules).match(event, onRuleError);
}

/** Builds the index now and returns the matcher (for callers that hold one rule set). */
export function createMatcher(rules: readonly CompiledRule[]): (event: unknown, onRuleError: OnRuleError) => CompiledRule[] {
  const index = indexFor(rules);
  return (event, onRuleError) => index.match(event, onRuleError);
}

/** Every rule, no index: the reference the index is tested and benchmarked against. */
export function matchRulesBruteForce(rules: readonly CompiledRule[], event: unknown, onRuleError: OnRuleError): CompiledRule[] {
  const hits: CompiledRule[] = [];
  for (const rule of rules) {
    try {
      if (rule.matches(event)) hits.push(rule);
    } catch (err) {
      onRuleError(rule, err);
    }
  }
  return hits;
}
