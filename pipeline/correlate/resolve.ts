import type { CorrelationRule } from './model';
import type { KeyPath } from './parse';

/** A detection rule as the resolver sees it: what a correlation can call it by. */
export interface KnownRule {
  id: string;
  name?: string;
}

export interface ResolveProblem {
  /** unknown/ambiguous references block the rule; cycle and identity would also break the engine. */
  kind: 'unknown' | 'ambiguous' | 'cycle' | 'identity';
  rule: CorrelationRule;
  message: string;
  keyPath: KeyPath;
}

export interface Resolution {
  problems: ResolveProblem[];
  /** Correlations with their dependencies first; only meaningful when there are no problems. */
  order: CorrelationRule[];
}

type Target = { kind: 'detection'; rule: KnownRule } | { kind: 'correlation'; rule: CorrelationRule };

/**
 * The "collect" phase for correlations: every reference must name exactly one known detection rule
 * or correlation (by id or name), every correlation needs an id or a name (alert ids and chaining
 * use it), and correlations must not reference each other in a cycle — the engine feeds its own
 * alerts back in, so a cycle would never terminate.
 */
export function resolveCorrelations(correlations: readonly CorrelationRule[], detections: readonly KnownRule[]): Resolution {
  const problems: ResolveProblem[] = [];
  const byRef = new Map<string, Target[]>();
  const add = (ref: string | undefined, t: Target): void => {
    if (ref === undefined) return;
    const list = byRef.get(ref) ?? [];
    if (!list.some((x) => x.rule === t.rule)) list.push(t);
    byRef.set(ref, list);
  };
  for (const d of detections) {
    add(d.id, { kind: 'detection', rule: d });
    add(d.name, { kind: 'detection', rule: d });
  }
  for (const c of correlations) {
    add(c.id, { kind: 'correlation', rule: c });
    add(c.name, { kind: 'correlation', rule: c });
  }

  const edges = new Map<CorrelationRule, Array<{ to: CorrelationRule; index: number }>>();
  for (const c of correlations) {
    const out: Array<{ to: CorrelationRule; index: number }> = [];
    c.rules.forEach((ref, index) => {
      const targets = byRef.get(ref) ?? [];
      if (targets.length === 0) problems.push({ kind: 'unknown', rule: c, message: `rules[${index}] '${ref}' matches no rule id or name`, keyPath: ['correlation', 'rules', index] });
      else if (targets.length > 1) problems.push({ kind: 'ambiguous', rule: c, message: `rules[${index}] '${ref}' is ambiguous: ${targets.length} rules have this id or name`, keyPath: ['correlation', 'rules', index] });
      else if (targets[0]!.kind === 'correlation') out.push({ to: targets[0]!.rule as CorrelationRule, index });
    });
    edges.set(c, out);
  }

  // Depth-first search with three colours; a grey node reached again closes a cycle.
  const colour = new Map<CorrelationRule, 'grey' | 'black'>();
  const order: CorrelationRule[] = [];
  const stack: CorrelationRule[] = [];
  const label = (c: CorrelationRule): string => c.key ?? c.title;
  const visit = (c: CorrelationRule): void => {
    colour.set(c, 'grey');
    stack.push(c);
    for (const { to, index } of edges.get(c) ?? []) {
      const seen = colour.get(to);
      if (seen === 'grey') {
        const cycle = [...stack.slice(stack.indexOf(to)), to].map(label).join(' → ');
        problems.push({ kind: 'cycle', rule: c, message: `rules[${index}] '${c.rules[index]}' closes a reference cycle: ${cycle}`, keyPath: ['correlation', 'rules', index] });
      } else if (seen === undefined) {
        visit(to);
      }
    }
    stack.pop();
    colour.set(c, 'black');
    order.push(c);
  };
  for (const c of correlations) if (!colour.has(c)) visit(c);
  return { problems, order };
}
