import {
  CONDITION_OPERATORS,
  CORRELATION_TYPES,
  CorrelationInvariantError,
  CorrelationRule,
  FIELD_TYPES,
  TEMPORAL_TYPES,
  type ConditionOperator,
  type CorrelationCondition,
  type CorrelationType,
  type Timespan,
} from './model';
import { describe, parseTimespan } from './timespan';

export type KeyPath = (string | number)[];
export interface CorrelationProblem {
  message: string;
  keyPath: KeyPath;
}

export interface ParsedCorrelation {
  rule?: CorrelationRule;
  /** Anything here rejects the rule. Key paths are mapped to file:line:col by the loader. */
  problems: CorrelationProblem[];
  /** Accepted but worth telling the author (pySigma extensions, defaults we filled in). */
  warnings: CorrelationProblem[];
}

const CORRELATION_KEYS = new Set(['type', 'rules', 'group-by', 'timespan', 'condition', 'aliases', 'generate']);
const CONDITION_KEYS = new Set<string>([...CONDITION_OPERATORS, 'field', 'percentile']);
/** The spec's hint "median is a percentile 50" is the default when a rule omits `percentile`. */
const DEFAULT_PERCENTILE = 50;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * Parses one correlation document (a plain object from YAML). Every problem is collected, each with
 * the key path of the offending key, so one pass over a file reports everything (lint mode). A rule
 * is returned only when there is no problem.
 */
export function parseCorrelation(doc: unknown): ParsedCorrelation {
  const problems: CorrelationProblem[] = [];
  const warnings: CorrelationProblem[] = [];
  const problem = (message: string, ...keyPath: KeyPath): void => void problems.push({ message, keyPath });
  const warn = (message: string, ...keyPath: KeyPath): void => void warnings.push({ message, keyPath });
  if (!isObj(doc)) {
    problem(`a correlation rule must be a mapping, got ${describe(doc)}`);
    return { problems, warnings };
  }
  const title = optionalString(doc, 'title', problem);
  if (title === undefined && !('title' in doc)) problem("missing required key 'title'", 'title');
  const id = optionalString(doc, 'id', problem);
  const name = optionalString(doc, 'name', problem);
  const level = optionalString(doc, 'level', problem);
  const c = doc.correlation;
  if (!isObj(c)) {
    problem(c === undefined ? "missing required key 'correlation'" : `correlation must be a mapping, got ${describe(c)}`, 'correlation');
    return { problems, warnings };
  }
  for (const key of Object.keys(c)) {
    if (!CORRELATION_KEYS.has(key)) problem(`unknown key '${key}' in correlation (allowed: ${[...CORRELATION_KEYS].join(', ')})`, 'correlation', key);
  }
  const type = parseType(c.type, problem);
  const rules = stringList(c, 'rules', problem, true);
  const groupBy = stringList(c, 'group-by', problem, true);
  const timespan = parseTimespanKey(c.timespan, problem, warn);
  const aliases = parseAliases(c.aliases, rules ?? [], problem);
  const generate = c.generate === undefined ? false : c.generate;
  if (typeof generate !== 'boolean') problem(`generate must be true or false, got ${describe(generate)}`, 'correlation', 'generate');
  const condition = type === undefined ? undefined : parseCondition(c.condition, type, rules?.length ?? 0, problem, warn);

  if (problems.length > 0 || !type || !rules || !groupBy || !timespan || !condition || title === undefined) return { problems, warnings };
  try {
    const rule = new CorrelationRule({
      title,
      ...(id !== undefined ? { id } : {}),
      ...(name !== undefined ? { name } : {}),
      ...(level !== undefined ? { level } : {}),
      type,
      rules,
      groupBy,
      timespan,
      condition,
      aliases,
      generate: generate === true,
    });
    return { rule, problems, warnings };
  } catch (err) {
    if (!(err instanceof CorrelationInvariantError)) throw err;
    problems.push({ message: err.message, keyPath: err.keyPath });
    return { problems, warnings };
  }
}

type Report = (message: string, ...keyPath: KeyPath) => void;

function optionalString(doc: Obj, key: string, problem: Report): string | undefined {
  const v = doc[key];
  if (v === undefined) return undefined;
  if (typeof v === 'string' && v.length > 0) return v;
  problem(`${key} must be a non-empty string, got ${describe(v)}`, key);
  return undefined;
}

function parseType(v: unknown, problem: Report): CorrelationType | undefined {
  if (v === undefined) {
    problem("missing required key 'type'", 'correlation', 'type');
    return undefined;
  }
  if (typeof v === 'string' && (CORRELATION_TYPES as readonly string[]).includes(v)) return v as CorrelationType;
  problem(`unknown correlation type ${typeof v === 'string' ? `'${v}'` : describe(v)} (expected one of: ${CORRELATION_TYPES.join(', ')})`, 'correlation', 'type');
  return undefined;
}

/** A string or a list of unique non-empty strings (pySigma also takes a lone string). */
function stringList(c: Obj, key: string, problem: Report, required: boolean): string[] | undefined {
  const v = c[key];
  if (v === undefined) {
    if (required) problem(`missing required key '${key}'`, 'correlation', key);
    return undefined;
  }
  const list = typeof v === 'string' ? [v] : v;
  if (!Array.isArray(list) || list.length === 0) {
    problem(`${key} must be a non-empty list of strings, got ${Array.isArray(list) ? 'an empty list' : describe(v)}`, 'correlation', key);
    return undefined;
  }
  const out: string[] = [];
  let ok = true;
  list.forEach((item: unknown, i) => {
    if (typeof item !== 'string' || item.length === 0) {
      problem(`${key}[${i}] must be a non-empty string, got ${describe(item)}`, 'correlation', key, i);
      ok = false;
    } else if (out.includes(item)) {
      problem(`${key}[${i}] '${item}' is listed twice`, 'correlation', key, i);
      ok = false;
    } else {
      out.push(item);
    }
  });
  return ok ? out : undefined;
}

function parseTimespanKey(v: unknown, problem: Report, warn: Report): Timespan | undefined {
  if (v === undefined) {
    problem("missing required key 'timespan'", 'correlation', 'timespan');
    return undefined;
  }
  const r = parseTimespan(v);
  if (!r.ok) {
    problem(r.message, 'correlation', 'timespan');
    return undefined;
  }
  if (r.warning) warn(r.warning, 'correlation', 'timespan');
  return r.timespan;
}

function parseAliases(v: unknown, rules: string[], problem: Report): Record<string, Record<string, string>> {
  if (v === undefined) return {};
  if (!isObj(v)) {
    problem(`aliases must be a mapping of alias → {rule name: field}, got ${describe(v)}`, 'correlation', 'aliases');
    return {};
  }
  const out: Record<string, Record<string, string>> = {};
  for (const [alias, mapping] of Object.entries(v)) {
    if (!isObj(mapping)) {
      problem(`alias '${alias}' must map rule names to field names, got ${describe(mapping)}`, 'correlation', 'aliases', alias);
      continue;
    }
    const m: Record<string, string> = {};
    for (const [ref, field] of Object.entries(mapping)) {
      if (typeof field !== 'string' || field.length === 0) problem(`alias '${alias}' for rule '${ref}' must be a field name, got ${describe(field)}`, 'correlation', 'aliases', alias, ref);
      else if (rules.length > 0 && !rules.includes(ref)) problem(`alias '${alias}' names rule '${ref}', which is not in rules (${rules.join(', ')})`, 'correlation', 'aliases', alias, ref);
      else m[ref] = field;
    }
    out[alias] = m;
  }
  return out;
}

function parseCondition(v: unknown, type: CorrelationType, ruleCount: number, problem: Report, warn: Report): CorrelationCondition | undefined {
  if (v === undefined) {
    // temporal without a condition means "all referenced rules seen" (pySigma's default too).
    if (TEMPORAL_TYPES.has(type)) return { comparisons: [{ op: 'gte', value: ruleCount }] };
    problem(`${type} needs a condition (e.g. gte: 10)`, 'correlation', 'condition');
    return undefined;
  }
  if (!isObj(v)) {
    problem(typeof v === 'string'
      ? 'extended (string) correlation conditions are not supported; use a mapping such as {gte: 10}'
      : `condition must be a mapping such as {gte: 10}, got ${describe(v)}`, 'correlation', 'condition');
    return undefined;
  }
  let ok = true;
  const fail: Report = (message, ...keyPath) => {
    ok = false;
    problem(message, ...keyPath);
  };
  const comparisons: CorrelationCondition['comparisons'] = [];
  for (const [key, value] of Object.entries(v)) {
    const at: KeyPath = ['correlation', 'condition', key];
    if (!CONDITION_KEYS.has(key)) fail(`unknown condition key '${key}' (allowed: ${[...CONDITION_KEYS].join(', ')})`, ...at);
    else if ((CONDITION_OPERATORS as readonly string[]).includes(key)) {
      if (typeof value === 'number' && Number.isFinite(value)) comparisons.push({ op: key as ConditionOperator, value });
      else fail(`condition ${key} must be a number, got ${describe(value)}`, ...at);
    }
  }
  if (comparisons.length === 0 && ok) fail(`condition needs a comparison (one of ${CONDITION_OPERATORS.join(', ')})`, 'correlation', 'condition');

  let fields: string[] | undefined;
  if (v.field !== undefined) {
    fields = typeof v.field === 'string' ? [v.field] : Array.isArray(v.field) && v.field.length > 0 && v.field.every((f) => typeof f === 'string' && f.length > 0) ? (v.field as string[]) : undefined;
    if (!fields) fail(`condition field must be a field name or a list of field names, got ${describe(v.field)}`, 'correlation', 'condition', 'field');
    else if (!FIELD_TYPES.has(type)) fail(`${type} does not use condition.field (only ${[...FIELD_TYPES].join(', ')} do)`, 'correlation', 'condition', 'field');
    else if (type !== 'value_count' && fields.length > 1) fail(`${type} aggregates one numeric field, got ${fields.length}`, 'correlation', 'condition', 'field');
  } else if (FIELD_TYPES.has(type)) {
    fail(`${type} needs condition.field: the field whose values are ${type === 'value_count' ? 'counted' : 'aggregated'}`, 'correlation', 'condition', 'field');
  }

  let percentile: number | undefined;
  if (v.percentile !== undefined) {
    if (type !== 'value_percentile') fail(`percentile only applies to value_percentile, not ${type}`, 'correlation', 'condition', 'percentile');
    else if (typeof v.percentile === 'number' && Number.isInteger(v.percentile) && v.percentile >= 0 && v.percentile <= 100) percentile = v.percentile;
    else fail(`condition percentile must be a whole number from 0 to 100, got ${describe(v.percentile)}`, 'correlation', 'condition', 'percentile');
  } else if (type === 'value_percentile') {
    // The spec's own value_percentile example has no percentile parameter, so a missing one cannot
    // be an error; we take the median (the spec's hint) and tell the author.
    warn(`value_percentile without condition.percentile: using ${DEFAULT_PERCENTILE} (the median)`, 'correlation', 'condition', 'percentile');
    percentile = DEFAULT_PERCENTILE;
  }
  if (!ok) return undefined;
  return { comparisons, ...(fields ? { fields } : {}), ...(percentile !== undefined ? { percentile } : {}) };
}
