/**
 * Sigma 2.1 correlation rules as typed objects. `parse.ts` turns a YAML document into a
 * `CorrelationRule` and collects every problem with its key path; the constructor below re-checks
 * the cross-field invariants so no code path (tests, restored state, future loaders) can build a
 * rule the engine would misread.
 */

export const CORRELATION_TYPES = [
  'event_count',
  'value_count',
  'temporal',
  'temporal_ordered',
  'value_sum',
  'value_avg',
  'value_percentile',
] as const;
export type CorrelationType = (typeof CORRELATION_TYPES)[number];

export const CONDITION_OPERATORS = ['gt', 'gte', 'lt', 'lte', 'eq', 'neq'] as const;
export type ConditionOperator = (typeof CONDITION_OPERATORS)[number];

/** Types whose condition aggregates a field, so `condition.field` is mandatory (spec "Requires"). */
export const FIELD_TYPES: ReadonlySet<CorrelationType> = new Set(['value_count', 'value_sum', 'value_avg', 'value_percentile']);
/** Types whose condition may be omitted: it then defaults to "all referenced rules seen" (pySigma does the same). */
export const TEMPORAL_TYPES: ReadonlySet<CorrelationType> = new Set(['temporal', 'temporal_ordered']);

export interface Timespan {
  /** As written, e.g. "5m"; kept for messages and snapshots. */
  spec: string;
  ms: number;
}

/** One or more comparisons joined by AND (the spec's range example `gt: 100, lte: 200`). */
export interface CorrelationCondition {
  comparisons: Array<{ op: ConditionOperator; value: number }>;
  /** Fields whose values are aggregated; more than one means the tuple of values (spec: "linked by AND"). */
  fields?: string[];
  /** value_percentile only: which percentile (0–100) of `fields` is compared. */
  percentile?: number;
}

export interface CorrelationRuleInit {
  title: string;
  id?: string;
  name?: string;
  level?: string;
  type: CorrelationType;
  /** Referenced rules by id or name, in the listed order (the order matters for temporal_ordered). */
  rules: string[];
  groupBy: string[];
  timespan: Timespan;
  condition: CorrelationCondition;
  /** alias → (rule id or name → field name in that rule's events). */
  aliases: Record<string, Record<string, string>>;
  generate: boolean;
}

export class CorrelationInvariantError extends Error {
  constructor(message: string, readonly keyPath: (string | number)[]) {
    super(message);
    this.name = 'CorrelationInvariantError';
  }
}

export class CorrelationRule implements CorrelationRuleInit {
  readonly title: string;
  readonly id?: string;
  readonly name?: string;
  readonly level?: string;
  readonly type: CorrelationType;
  readonly rules: string[];
  readonly groupBy: string[];
  readonly timespan: Timespan;
  readonly condition: CorrelationCondition;
  readonly aliases: Record<string, Record<string, string>>;
  readonly generate: boolean;

  constructor(init: CorrelationRuleInit) {
    const fail = (message: string, ...keyPath: (string | number)[]): never => {
      throw new CorrelationInvariantError(message, ['correlation', ...keyPath]);
    };
    if (init.rules.length === 0) fail('correlation must reference at least one rule', 'rules');
    if (new Set(init.rules).size !== init.rules.length) fail('correlation lists the same rule twice', 'rules');
    if (!(init.timespan.ms > 0)) fail('timespan must be greater than zero', 'timespan');
    if (init.condition.comparisons.length === 0) fail('condition needs at least one comparison', 'condition');
    const needsField = FIELD_TYPES.has(init.type);
    if (needsField && !init.condition.fields?.length) fail(`${init.type} needs condition.field`, 'condition');
    if (!needsField && init.condition.fields?.length) fail(`${init.type} does not aggregate a field`, 'condition', 'field');
    const p = init.condition.percentile;
    if (init.type === 'value_percentile' && (p === undefined || !(p >= 0 && p <= 100))) fail('value_percentile needs a percentile between 0 and 100', 'condition', 'percentile');
    if (init.type !== 'value_percentile' && p !== undefined) fail('percentile only applies to value_percentile', 'condition', 'percentile');
    this.title = init.title;
    if (init.id !== undefined) this.id = init.id;
    if (init.name !== undefined) this.name = init.name;
    if (init.level !== undefined) this.level = init.level;
    this.type = init.type;
    this.rules = [...init.rules];
    this.groupBy = [...init.groupBy];
    this.timespan = { ...init.timespan };
    this.condition = {
      comparisons: init.condition.comparisons.map((c) => ({ ...c })),
      ...(init.condition.fields ? { fields: [...init.condition.fields] } : {}),
      ...(p !== undefined ? { percentile: p } : {}),
    };
    this.aliases = Object.fromEntries(Object.entries(init.aliases).map(([a, m]) => [a, { ...m }]));
    this.generate = init.generate;
  }

  /**
   * The identity alerts and chained references use: the id, else the name, else the title. Sigma
   * makes `id` optional (the specification's own temporal example has neither id nor name), so a
   * title-keyed correlation still gets stable alert ids; only chaining needs an id or a name.
   */
  get key(): string {
    return this.id ?? this.name ?? `title:${this.title}`;
  }

  /** Position of `ref` (a rule id or name) in `rules`, or -1 when this correlation does not reference it. */
  ruleIndex(ref: { id: string; name?: string }): number {
    return this.rules.findIndex((r) => r === ref.id || (ref.name !== undefined && r === ref.name));
  }
}
