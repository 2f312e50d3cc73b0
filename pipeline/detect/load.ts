import fs from 'node:fs';
import path from 'node:path';
import YAML, { LineCounter, isMap, isScalar, type Document, type Node } from 'yaml';
import type { ValidateFunction } from 'ajv';
import type { Rule } from '../../schemas/generated/types';
import { describeErrors } from '../../schemas/validators';
import { HaetaeError, type ErrorCode } from '../errors/catalog';
import { ConditionSyntaxError, parseCondition, referencedNames } from './condition';
import { SelectionError, compileCondition, compileSelection, type CompileOptions, type Predicate } from './compile';

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
  /** Why an event did or did not match: each selection's verdict and each condition's. */
  explain(event: unknown): RuleExplanation;
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
  rules: CompiledRule[];
  problems: RuleProblem[];
  files: string[];
}

export function formatProblem(p: RuleProblem): string {
  const where = p.keyPath.length > 0 ? ` (at ${p.keyPath.join(' → ')})` : '';
  return `${p.file}:${p.line}:${p.column}: ${p.message}${where}`;
}

/** Rule files under the given files or directories (*.yml, *.yaml), sorted for stable ids. */
export function findRuleFiles(paths: readonly string[]): string[] {
  const out: string[] = [];
  const visit = (p: string): void => {
    const stat = fs.statSync(p);
    if (stat.isDirectory()) {
      for (const name of fs.readdirSync(p).sort()) {
        if (name.startsWith('.')) continue;
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
 * against the rule schema, compile selections and the condition, then reject duplicate ids across
 * files. Every problem is collected (lint mode); callers decide whether any problem blocks the set.
 */
export function loadRules(paths: readonly string[], validate: ValidateFunction<Rule>, options: CompileOptions = {}): RuleSet {
  const files = findRuleFiles(paths);
  const rules: CompiledRule[] = [];
  const problems: RuleProblem[] = [];
  const seen = new Map<string, string>();
  for (const file of files) {
    const text = fs.readFileSync(file, 'utf8');
    for (const r of loadRuleText(text, file, validate, problems, options)) {
      const prev = seen.get(r.rule.id);
      if (prev !== undefined) {
        problems.push({ code: 'HAETAE_RULE_DUPLICATE_ID', file, ...r.idPos, message: `rule id '${r.rule.id}' is already defined in ${prev}`, keyPath: ['id'] });
        continue;
      }
      seen.set(r.rule.id, file);
      rules.push(r.rule);
    }
  }
  return { rules, problems, files };
}

export function loadRuleText(
  text: string,
  file: string,
  validate: ValidateFunction<Rule>,
  problems: RuleProblem[],
  options: CompileOptions = {},
): Array<{ rule: CompiledRule; idPos: { line: number; column: number } }> {
  const lineCounter = new LineCounter();
  const docs = YAML.parseAllDocuments(text, { lineCounter, uniqueKeys: true, prettyErrors: false });
  const out: Array<{ rule: CompiledRule; idPos: { line: number; column: number } }> = [];
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
    if (!validate(value)) {
      for (const err of validate.errors ?? []) {
        const keyPath = err.instancePath.split('/').slice(1).map(decodePointer);
        if (err.keyword === 'additionalProperties') keyPath.push((err.params as { additionalProperty: string }).additionalProperty);
        problem('HAETAE_RULE_INVALID', describeErrors([err])[0]!.replace(/^[^:]*: /, ''), keyPath);
      }
      continue;
    }
    const compiled = compileRule(value, file, problem, options);
    if (compiled) out.push({ rule: compiled, idPos: at(['id']) });
  }
  return out;
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
  if (failed) return null;
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
