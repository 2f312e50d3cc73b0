import fs from 'node:fs';
import path from 'node:path';
import YAML, { LineCounter } from 'yaml';
import type { ValidateFunction } from 'ajv';
import type { Rule } from '../../schemas/generated/types';
import { describeErrors } from '../../schemas/validators';
import { HaetaeError, type ErrorCode } from '../errors/catalog';
import type { CompileOptions } from './compile';
import { parseCorrelation } from '../correlate/parse';
import { mapRule, type FieldMapping } from './mapping/map-rule';
import { loadMappingProfiles } from './mapping/load-profiles';
import { eventFieldSet } from './mapping/event-fields';
import { assembleRuleSet } from './assemble';
import { compileFilter, compileRule, isObject } from './compile-rule';
import { decodePointer, position } from './position';
import type { FileContents, LoadedRule, RuleProblem, RuleSet } from './types';

/**
 * Rule loading, in phases: read (this file: YAML with positions, schema, field mapping),
 * compile (compile-rule.ts), assemble across files (assemble.ts).
 */
export type { CompiledRule, FileContents, LoadedCorrelation, LoadedFilter, LoadedRule, RuleAlerting, RuleExplanation, RuleProblem, RuleSet } from './types';
export { assembleRuleSet } from './assemble';

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
