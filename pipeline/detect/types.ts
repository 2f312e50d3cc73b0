import type { Rule } from '../../schemas/generated/types';
import type { ErrorCode } from '../errors/catalog';
import type { Predicate } from './compile';
import type { CorrelationRule } from '../correlate/model';

/** The shapes rule loading works with: compiled rules, problems, and what a file holds. */

export interface CompiledRule {
  id: string;
  title: string;
  level: NonNullable<Rule['level']>;
  description?: string;
  tags: string[];
  file: string;
  matches: Predicate;
  /** The rule document this was compiled from (after any field mapping). */
  source: Rule;
  /** How alerts from this rule are grouped, throttled and routed (the `haetae:` block). */
  alerting: RuleAlerting;
  /** Why an event did or did not match: each selection's verdict and each condition's. */
  explain(event: unknown): RuleExplanation;
}

export interface RuleAlerting {
  severity: NonNullable<Rule['level']>;
  /** Channels to notify; undefined means every configured channel. */
  channels?: readonly string[];
  /** Fields whose values form the alert's group. */
  groupBy?: readonly string[];
  /** One alert per group per period of this many milliseconds. */
  throttleMs?: number;
  /**
   * After the group's alert is resolved, a new match reopens it (true) or raises a new alert
   * (false/absent). Repeats while it is open always fold into it (pipeline/alert/fold.ts).
   */
  reopen?: boolean;
  /** Rules (ids or names) whose match resolves this rule's open alerts of the same group. */
  recoveredBy?: readonly string[];
  /**
   * Absence rule: matches are heartbeats, and the alert is a group with no match for this long
   * (pipeline/correlate/absence.ts). Requires groupBy; no per-match alerts.
   */
  absence?: { timespanMs: number; timespan: string; maxGroups: number; forgetAfterMs: number };
}

export interface RuleExplanation {
  matched: boolean;
  selections: Array<{ name: string; matched: boolean }>;
  conditions: Array<{ condition: string; matched: boolean }>;
}

/** A rule problem with its place in the file: printed as `file:line:col: message`. */
export interface RuleProblem {
  code: ErrorCode;
  file: string;
  line: number;
  column: number;
  message: string;
  /** Key path inside the document, e.g. ['detection', 'sel', 'message|re']. */
  keyPath: (string | number)[];
}

export interface RuleSet {
  /** Detection rules, with the filters that reference them applied. */
  rules: CompiledRule[];
  /** Correlation rules whose references all resolve. */
  correlations: CorrelationRule[];
  /** How many Sigma filters were applied. */
  filters: number;
  problems: RuleProblem[];
  files: string[];
}

export type Position = { line: number; column: number };

/** A detection rule as read from a file, with where its id is (for duplicate-id problems). */
export interface LoadedRule {
  rule: CompiledRule;
  idPos: Position;
  /** Position of a key path inside the rule's document. */
  at?(keyPath: (string | number)[]): Position;
}

/** A Sigma filter: `and not <filter>` added to every rule it names. */
export interface LoadedFilter {
  title: string;
  rules: string[];
  matches: Predicate;
  file: string;
  /** Position of a key path inside the filter's document. */
  at(keyPath: (string | number)[]): Position;
}

export interface LoadedCorrelation {
  rule: CorrelationRule;
  file: string;
  at(keyPath: (string | number)[]): Position;
}

/** Everything one rule file holds; files are loaded (and hot-reloaded) as units. */
export interface FileContents {
  file: string;
  rules: LoadedRule[];
  filters: LoadedFilter[];
  correlations: LoadedCorrelation[];
}
