import type { CompiledRule } from './load';

/**
 * The detect stage: event → the rules it matched. A rule that throws at run time is reported and
 * treated as not matching, so one bad rule cannot stop a worker.
 */
export function matchRules(
  rules: readonly CompiledRule[],
  event: unknown,
  onRuleError: (rule: CompiledRule, err: unknown) => void,
): CompiledRule[] {
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
