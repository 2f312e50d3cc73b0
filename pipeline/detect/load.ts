import fs from 'node:fs';
import path from 'node:path';
import YAML, { LineCounter, isMap, isScalar, type Document, type Node } from 'yaml';
import type { ValidateFunction } from 'ajv';
import type { Rule } from '../../schemas/generated/types';
import { describeErrors } from '../../schemas/validators';
import { HaetaeError, type ErrorCode } from '../errors/catalog';
import { ConditionSyntaxError, parseCondition, referencedNames } from './condition';
import { SelectionError, compileCondition, compileSelection, type CompileOptions, type Predicate } from './compile';
import { parseCorrelation } from '../correlate/parse';
import { mapRule, type FieldMapping } from './mapping/map-rule';
import { loadMappingProfiles } from './mapping/load-profiles';
import { eventFieldSet } from './mapping/event-fields';
import { resolveCorrelations } from '../correlate/resolve';
import type { CorrelationRule } from '../correlate/model';

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
  /** Rules (ids or names) whose match resolves this rule's open alerts of the same group. */
  recoveredBy?: readonly string[];
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

type Position = { line: number; column: number };

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

export function formatProblem(p: RuleProblem): string {
  const where = p.keyPath.length > 0 ? ` (at ${p.keyPath.join(' → ')})` : '';
  return `${p.file}:${p.line}:${p.column}: ${p.message}${where}`;
}

/** Loading options: compile options plus the field mapping applied before compiling. */
export interface LoadOptions extends CompileOptions {
  /**
   * Mapping profiles (rules/mappings): Sigma field names → ECS per logsource. Without it rules
   * compile with their field names as written.
   */
  mapping?: FieldMapping;
}

/**
 * Loads the mapping profiles of a directory (null or a missing directory: no mapping, rules use
 * their field names as written). Profile problems come back as rule problems.
 */
export function loadFieldMapping(dir: string | null): { mapping?: FieldMapping; problems: RuleProblem[] } {
  if (dir === null || !fs.existsSync(dir)) return { problems: [] };
  const { profiles, problems } = loadMappingProfiles(dir);
  return {
    mapping: { profiles, events: eventFieldSet() },
    problems: problems.map((p) => ({ code: 'HAETAE_MAPPING_INVALID' as const, file: p.file, line: 1, column: 1, message: p.message, keyPath: p.keyPath })),
  };
}

/** Name of the folder, inside a rules directory, that holds mapping profiles rather than rules. */
export const MAPPINGS_DIR = 'mappings';

/** Rule files under the given files or directories (*.yml, *.yaml), sorted for stable ids. */
export function findRuleFiles(paths: readonly string[]): string[] {
  const out: string[] = [];
  const visit = (p: string): void => {
    const stat = fs.statSync(p);
    if (stat.isDirectory()) {
      for (const name of fs.readdirSync(p).sort()) {
        // mappings/ holds field-mapping profiles (pipeline/detect/mapping), not rules.
        if (name.startsWith('.') || name === MAPPINGS_DIR) continue;
        const child = path.join(p, name);
        if (fs.statSync(child).isDirectory() || /\.ya?ml$/i.test(name)) visit(child);
      }
    } else {
      out.push(p);
    }
  };
  for (const p of paths) {
    if (!fs.existsSync(p)) throw new HaetaeError('HAETAE_RULES_PATH', [p]);
    visit(p);
  }
  return out;
}

/**
 * Loads rules in phases: read YAML with positions (duplicate keys rejected), check each document
 * against its schema, compile selections and conditions (detection rules and filters) or parse
 * the correlation, then assemble across files: duplicate ids, filters applied to the rules they
 * name, correlation references resolved. Every problem is collected (lint mode); callers decide
 * whether any problem blocks the set.
 */
export function loadRules(paths: readonly string[], validate: ValidateFunction<Rule>, options: LoadOptions = {}): RuleSet {
  const files = findRuleFiles(paths);
  const problems: RuleProblem[] = [];
  const contents = files.map((file) => loadFileText(fs.readFileSync(file, 'utf8'), file, validate, problems, options));
  const set = assembleRuleSet(contents);
  return { ...set, problems: [...problems, ...set.problems], files };
}

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
        if (!rules.some((r) => r.id === ref || r.source.name === ref)) {
          const pos = at?.(['haetae', 'recovered-by', i]) ?? { line: 1, column: 1 };
          problems.push({ code: 'HAETAE_RULE_INVALID', file: f.file, ...pos, message: `recovered-by names rule '${ref}', which is not loaded`, keyPath: ['haetae', 'recovered-by', i] });
        }
      });
    }
  }

  const filters = files.flatMap((f) => f.filters);
  for (const filter of filters) {
    filter.rules.forEach((ref, i) => {
      if (!rules.some((r) => r.id === ref || r.source.name === ref)) {
        problems.push({ code: 'HAETAE_RULE_INVALID', file: filter.file, ...filter.at(['filter', 'rules', i]), message: `filter '${filter.title}' names rule '${ref}', which is not loaded`, keyPath: ['filter', 'rules', i] });
      }
    });
  }
  if (filters.length > 0) rules = rules.map((r) => withFilters(r, filters.filter((f) => f.rules.includes(r.id) || (r.source.name !== undefined && f.rules.includes(r.source.name)))));

  const loaded = files.flatMap((f) => f.correlations);
  const resolution = resolveCorrelations(loaded.map((c) => c.rule), rules.map((r) => ({ id: r.id, ...(r.source.name ? { name: r.source.name } : {}) })));
  const refused = new Set<CorrelationRule>();
  for (const p of resolution.problems) {
    const c = loaded.find((l) => l.rule === p.rule)!;
    refused.add(p.rule);
    problems.push({ code: 'HAETAE_RULE_INVALID', file: c.file, ...c.at(p.keyPath), message: p.message, keyPath: p.keyPath });
  }
  // A correlation over a refused one cannot run either; resolving again without it says so.
  let correlations = loaded.map((c) => c.rule).filter((c) => !refused.has(c));
  for (let again = resolveCorrelations(correlations, rules.map((r) => ({ id: r.id, ...(r.source.name ? { name: r.source.name } : {}) }))); again.problems.length > 0; ) {
    const bad = new Set(again.problems.map((p) => p.rule));
    correlations = correlations.filter((c) => !bad.has(c));
    again = resolveCorrelations(correlations, rules.map((r) => ({ id: r.id, ...(r.source.name ? { name: r.source.name } : {}) })));
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

/** Compatibility: only the detection rules of one file's text. */
export function loadRuleText(
  text: string,
  file: string,
  validate: ValidateFunction<Rule>,
  problems: RuleProblem[],
  options: LoadOptions = {},
): LoadedRule[] {
  return loadFileText(text, file, validate, problems, options).rules;
}

export function loadFileText(
  text: string,
  file: string,
  validate: ValidateFunction<Rule>,
  problems: RuleProblem[],
  options: LoadOptions = {},
): FileContents {
  const lineCounter = new LineCounter();
  const docs = YAML.parseAllDocuments(text, { lineCounter, uniqueKeys: true, prettyErrors: false });
  const contents: FileContents = { file, rules: [], filters: [], correlations: [] };
  const out = contents.rules;
  const list = Array.isArray(docs) ? docs : [docs];
  for (const doc of list) {
    const at = (keyPath: (string | number)[]): { line: number; column: number } => position(doc, keyPath, lineCounter);
    const problem = (code: ErrorCode, message: string, keyPath: (string | number)[]): void => {
      problems.push({ code, file, ...at(keyPath), message, keyPath });
    };
    if (doc.errors.length > 0) {
      for (const e of doc.errors) {
        const lp = lineCounter.linePos(e.pos[0]);
        problems.push({ code: 'HAETAE_RULE_YAML', file, line: lp.line, column: lp.col, message: e.message.split('\n')[0]!, keyPath: [] });
      }
      continue;
    }
    const value: unknown = doc.toJS({ maxAliasCount: 100 });
    if (value === null || value === undefined) continue; // an empty document between '---' separators
    if (isObject(value) && 'correlation' in value) {
      const parsed = parseCorrelation(value);
      for (const p of parsed.problems) problem('HAETAE_RULE_INVALID', p.message, p.keyPath);
      if (parsed.rule) contents.correlations.push({ rule: parsed.rule, file, at });
      continue;
    }
    if (isObject(value) && 'filter' in value) {
      const filter = compileFilter(value, file, problem, options);
      if (filter) contents.filters.push({ ...filter, at });
      continue;
    }
    if (!validate(value)) {
      for (const err of validate.errors ?? []) {
        const keyPath = err.instancePath.split('/').slice(1).map(decodePointer);
        if (err.keyword === 'additionalProperties') keyPath.push((err.params as { additionalProperty: string }).additionalProperty);
        problem('HAETAE_RULE_INVALID', describeErrors([err])[0]!.replace(/^[^:]*: /, ''), keyPath);
      }
      continue;
    }
    let rule: Rule = value;
    if (options.mapping) {
      // Field mapping runs between the schema check and compiling; its key paths point into the
      // original document, so problems (an unreachable field) get the author's line and column.
      const mapped = mapRule(value, options.mapping);
      for (const p of mapped.problems) problem('HAETAE_RULE_UNREACHABLE_FIELD', p.message, p.keyPath);
      if (mapped.problems.length > 0) continue;
      rule = mapped.rule;
    }
    const compiled = compileRule(rule, file, problem, options);
    if (compiled) out.push({ rule: compiled, idPos: at(['id']), at });
  }
  return contents;
}

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
  return alerting;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/**
 * A Sigma filter document (filters specification 2.1): title, logsource, and `filter` with
 * `rules` (ids or names), selections and a `condition` over them.
 */
function compileFilter(
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

function compileRule(
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

/** Line and column of the deepest node on keyPath that exists (the key itself for map entries). */
function position(doc: Document, keyPath: (string | number)[], lc: LineCounter): { line: number; column: number } {
  let node: Node | null = doc.contents as Node | null;
  let offset = node?.range?.[0] ?? 0;
  for (const key of keyPath) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(key));
      if (!pair) break;
      offset = (pair.key as Node).range?.[0] ?? offset;
      node = pair.value as Node | null;
    } else if (node && 'items' in node && Array.isArray((node as { items: unknown[] }).items) && typeof key === 'number') {
      const item = (node as { items: Node[] }).items[key];
      if (!item) break;
      offset = item.range?.[0] ?? offset;
      node = item;
    } else {
      break;
    }
  }
  const { line, col } = lc.linePos(offset);
  return { line, column: col };
}

function decodePointer(s: string): string | number {
  const text = s.replace(/~1/g, '/').replace(/~0/g, '~');
  return /^[0-9]+$/.test(text) ? Number(text) : text;
}
