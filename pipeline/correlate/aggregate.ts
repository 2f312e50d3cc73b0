import type { CorrelationRule } from './model';
import type { Entry } from './entries';

/**
 * Conditions that can only become true by adding events (lower bounds on counts or on a sum of
 * non-negative values) fire as soon as they hold — that is what a brute-force rule wants. Anything
 * with an upper bound, an equality, or an average/percentile can flip back, so it is decided once,
 * when the watermark closes the window. (A value_sum over negative numbers is not monotone; it
 * still fires at most once per window, but at the first moment the running sum crosses.)
 */
export function firesEarly(rule: CorrelationRule): boolean {
  const monotone = rule.type === 'event_count' || rule.type === 'value_count' || rule.type === 'temporal' || rule.type === 'temporal_ordered' || rule.type === 'value_sum';
  return monotone && rule.condition.comparisons.every((c) => c.op === 'gt' || c.op === 'gte');
}

/** Aggregates the first `n` entries (the window); they are sorted by (t, seq). */
export function aggregate(rule: CorrelationRule, entries: readonly Entry[], n: number): number {
  switch (rule.type) {
    case 'event_count':
      return n;
    case 'value_count': {
      const seen = new Set<string>();
      for (let i = 0; i < n; i++) {
        const v = entries[i]!.v;
        if (typeof v === 'string') seen.add(v);
      }
      return seen.size;
    }
    case 'temporal': {
      const seen = new Set<number>();
      for (let i = 0; i < n; i++) seen.add(entries[i]!.r);
      return seen.size;
    }
    case 'temporal_ordered': {
      // Greedy subsequence match of rules[0], rules[1], …: taking the earliest occurrence of each
      // next rule is optimal, so the result is the longest ordered prefix present in the window.
      let next = 0;
      for (let i = 0; i < n && next < rule.rules.length; i++) if (entries[i]!.r === next) next++;
      return next;
    }
    case 'value_sum':
    case 'value_avg':
    case 'value_percentile': {
      const nums: number[] = [];
      for (let i = 0; i < n; i++) {
        const v = entries[i]!.v;
        if (typeof v === 'number') nums.push(v);
      }
      if (rule.type === 'value_sum') return nums.reduce((s, x) => s + x, 0);
      if (nums.length === 0) return Number.NaN; // no numeric value: the condition is false
      if (rule.type === 'value_avg') return nums.reduce((s, x) => s + x, 0) / nums.length;
      return percentile(nums, rule.condition.percentile ?? 50);
    }
  }
}

/** Nearest-rank percentile: the smallest value with at least p% of the values at or below it. */
export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1]!;
}

export function conditionHolds(rule: CorrelationRule, value: number): boolean {
  if (Number.isNaN(value)) return false;
  for (const { op, value: x } of rule.condition.comparisons) {
    const ok = op === 'gt' ? value > x : op === 'gte' ? value >= x : op === 'lt' ? value < x : op === 'lte' ? value <= x : op === 'eq' ? value === x : value !== x;
    if (!ok) return false;
  }
  return true;
}
