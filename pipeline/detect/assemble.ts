import { resolveCorrelations } from '../correlate/resolve';
import type { CorrelationRule } from '../correlate/model';
import type { Predicate } from './compile';
import type { CompiledRule, FileContents, LoadedFilter, RuleProblem, RuleSet } from './types';

/**
 * The "collect" phase across files, in file order: a rule id seen again is refused where it
 * appears again; each filter wraps the rules it names (by id or name) in `and not filter`;
 * correlations are resolved against the detection rules and each other (unknown or ambiguous
 * references and cycles are refused). Pure: the inputs are not changed, so the hot-reload store
 * can assemble its per-file last-good contents again at every change.
 */
export function assembleRuleSet(files: readonly FileContents[]): Omit<RuleSet, 'files'> {
  const problems: RuleProblem[] = [];
  const seen = new Map<string, string>();
  let rules: CompiledRule[] = [];
  for (const f of files) {
    for (const { rule, idPos } of f.rules) {
      const prev = seen.get(rule.id);
      if (prev !== undefined) {
        problems.push({ code: 'HAETAE_RULE_DUPLICATE_ID', file: f.file, ...idPos, message: `rule id '${rule.id}' is already defined in ${prev}`, keyPath: ['id'] });
        continue;
      }
      seen.set(rule.id, f.file);
      rules.push(rule);
    }
  }

  for (const f of files) {
    for (const { rule, at } of f.rules) {
      (rule.alerting.recoveredBy ?? []).forEach((ref, i) => {
        if (!rules.some((r) => refersTo(r, ref))) {
          const pos = at?.(['haetae', 'recovered-by', i]) ?? { line: 1, column: 1 };
          problems.push({ code: 'HAETAE_RULE_INVALID', file: f.file, ...pos, message: `recovered-by names rule '${ref}', which is not loaded`, keyPath: ['haetae', 'recovered-by', i] });
        }
      });
    }
  }

  const filters = files.flatMap((f) => f.filters);
  for (const filter of filters) {
    filter.rules.forEach((ref, i) => {
      if (!rules.some((r) => refersTo(r, ref))) {
        problems.push({ code: 'HAETAE_RULE_INVALID', file: filter.file, ...filter.at(['filter', 'rules', i]), message: `filter '${filter.title}' names rule '${ref}', which is not loaded`, keyPath: ['filter', 'rules', i] });
      }
    });
  }
  if (filters.length > 0) rules = rules.map((r) => withFilters(r, filters.filter((f) => f.rules.some((ref) => refersTo(r, ref)))));

  const loaded = files.flatMap((f) => f.correlations);
  const known = rules.map((r) => ({ id: r.id, ...(r.source.name ? { name: r.source.name } : {}) }));
  const refused = new Set<CorrelationRule>();
  for (const p of resolveCorrelations(loaded.map((c) => c.rule), known).problems) {
    const c = loaded.find((l) => l.rule === p.rule)!;
    refused.add(p.rule);
    problems.push({ code: 'HAETAE_RULE_INVALID', file: c.file, ...c.at(p.keyPath), message: p.message, keyPath: p.keyPath });
  }
  // A correlation over a refused one cannot run either: resolve again without the refused ones
  // until nothing more falls out.
  let correlations = loaded.map((c) => c.rule).filter((c) => !refused.has(c));
  for (let bad = resolveCorrelations(correlations, known).problems; bad.length > 0; bad = resolveCorrelations(correlations, known).problems) {
    const out = new Set(bad.map((p) => p.rule));
    correlations = correlations.filter((c) => !out.has(c));
  }
  return { rules, correlations, filters: filters.length, problems };
}

/** A copy of the rule that does not match what any of its filters match. */
function withFilters(rule: CompiledRule, filters: LoadedFilter[]): CompiledRule {
  if (filters.length === 0) return rule;
  const base = rule.matches;
  const matches: Predicate = (e) => base(e) && !filters.some((f) => f.matches(e));
  return {
    ...rule,
    matches,
    explain: (e) => {
      const x = rule.explain(e);
      const filtered = filters.map((f) => ({ name: `filter: ${f.title}`, matched: f.matches(e) }));
      return { matched: matches(e), selections: [...x.selections, ...filtered], conditions: x.conditions };
    },
  };
}

/** Sigma refers to rules by id or by name. */
function refersTo(rule: CompiledRule, ref: string): boolean {
  return rule.id === ref || rule.source.name === ref;
}
