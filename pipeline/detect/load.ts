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
import { shippedDecoderFields } from '../decoders/shipped';
import { assembleRuleSet } from './assemble';
import { checkConditions, compileFilter, compileRule, isObject } from './compile-rule';
import { parseCondition, referencedNames } from './condition';
import { decodePointer, position } from './position';
import type { FileContents, LoadedRule, RuleProblem, RuleSet } from './types';
import type { CorrelationRule } from '../correlate/model';

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
  /** Authoring checks (the `rules` commands): every id must be a UUID, as pySigma requires. */
  requireUuid?: boolean;
  /**
   * Where warnings go: unused selections, correlation warnings, and with `lint` the `sigma check`
   * style findings (ATT&CK tag format, missing falsepositives/level). Not collected without it.
   */
  warnings?: RuleProblem[];
  lint?: boolean;
  /** With `lint`: every detection rule's title and where it is, for the duplicate-title check across files. */
  titles?: Array<{ title: string; id: string; file: string; line: number; column: number }>;
}

/** A Sigma id: a UUID (pySigma parses every rule id with uuid.UUID and refuses the rule otherwise). */
export const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Top-level rule keys: under `detection:` one of them is a misindented block, not a selection. */
const TOP_LEVEL_KEYS = ['tests', 'haetae', 'logsource', 'falsepositives', 'level', 'tags', 'status', 'author', 'references', 'fields', 'description', 'date', 'modified', 'title', 'id', 'name'];

/** ATT&CK tags as Sigma writes them: techniques, groups, software, mitigations, and tactic names. */
const ATTACK_TACTICS = new Set(['reconnaissance', 'resource_development', 'initial_access', 'execution', 'persistence', 'privilege_escalation', 'defense_evasion', 'credential_access', 'discovery', 'lateral_movement', 'collection', 'command_and_control', 'exfiltration', 'impact']);
function badAttackTag(tag: string): boolean {
  if (!tag.toLowerCase().startsWith('attack.')) return false;
  const rest = tag.slice('attack.'.length);
  return !(/^t\d{4}(\.\d{3})?$/.test(rest) || /^[gsm]\d{4}$/.test(rest) || ATTACK_TACTICS.has(rest.replace(/-/g, '_')));
}

/**
 * Shapes a misindented YAML block takes: `tests:` (or another top-level key) indented under
 * `detection:` reads as a selection; `condition:` indented under a selection leaves the detection
 * without one. Said plainly instead of as the schema or field errors they would cause.
 */
function misindentation(value: unknown): { message: string; keyPath: (string | number)[] } | null {
  if (!isObject(value) || !isObject(value.detection)) return null;
  const detection = value.detection;
  // A selection may carry such a name on purpose (SigmaHQ has a selection called falsepositives):
  // only one the condition does not use is taken for a misindented block.
  const used = new Set<string>();
  for (const c of Array.isArray(detection.condition) ? detection.condition : [detection.condition]) {
    if (typeof c !== 'string') continue;
    try {
      referencedNames(parseCondition(c), Object.keys(detection)).names.forEach((n) => used.add(n));
    } catch {
      // The condition's own problem is reported when it is checked.
    }
  }
  for (const key of TOP_LEVEL_KEYS) {
    if (key in detection && !used.has(key)) return { message: `looks like \`${key}:\` is indented under \`detection:\`: it is a top-level key of the rule, so move it left to the same indentation as \`detection:\``, keyPath: ['detection', key] };
  }
  if (!('condition' in detection)) {
    for (const [name, sel] of Object.entries(detection)) {
      if (isObject(sel) && 'condition' in sel) return { message: `looks like \`condition:\` is indented under the selection '${name}': it belongs directly under \`detection:\`, at the same indentation as '${name}:'`, keyPath: ['detection', name, 'condition'] };
    }
  }
  return null;
}

/**
 * Loads the mapping profiles of a directory (null or a missing directory: no mapping, rules use
 * their field names as written). Profile problems come back as rule problems.
 */
export function loadFieldMapping(dir: string | null): { mapping?: FieldMapping; problems: RuleProblem[] } {
  if (dir === null || !fs.existsSync(dir)) return { problems: [] };
  const { profiles, problems } = loadMappingProfiles(dir);
  return {
    mapping: { profiles, events: eventFieldSet(undefined, shippedDecoderFields()) },
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
    const warn = (message: string, keyPath: (string | number)[]): void => {
      options.warnings?.push({ code: 'HAETAE_RULE_INVALID', file, ...at(keyPath), message, keyPath });
    };
    if (options.requireUuid && isObject(value) && value.id !== undefined && !(typeof value.id === 'string' && UUID_RE.test(value.id))) {
      problem('HAETAE_RULE_INVALID', `id ${JSON.stringify(value.id)} is not a UUID: Sigma rule ids are UUIDs (pySigma refuses others), e.g. ${'4f1c8a52-2a7e-4b0e-9d43-6d9b3c1f7a01'} — generate one with \`uuidgen\` or \`python3 -c 'import uuid; print(uuid.uuid4())'\``, ['id']);
      continue;
    }
    if (isObject(value) && 'correlation' in value) {
      const parsed = parseCorrelation(value);
      for (const p of parsed.problems) problem('HAETAE_RULE_INVALID', p.message, p.keyPath);
      for (const w of parsed.warnings) warn(w.message, w.keyPath);
      const testsOk = checkCorrelationTests(value.tests, (message, keyPath) => problem('HAETAE_RULE_INVALID', message, keyPath));
      const fieldsOk = !parsed.rule || !options.mapping || correlationFieldsReachable(parsed.rule, options.mapping, problem);
      if (!testsOk || !fieldsOk) continue;
      if (parsed.rule) contents.correlations.push({ rule: parsed.rule, file, at });
      continue;
    }
    if (isObject(value) && 'filter' in value) {
      const filter = compileFilter(value, file, problem, options);
      if (filter) contents.filters.push({ ...filter, at });
      continue;
    }
    const shape = misindentation(value);
    if (shape) {
      problem('HAETAE_RULE_INVALID', shape.message, shape.keyPath);
      continue;
    }
    if (!validate(value)) {
      // 'if' says only that a then/else branch failed; the branch's own error says what is wrong.
      for (const err of (validate.errors ?? []).filter((e) => e.keyword !== 'if')) {
        const keyPath = err.instancePath.split('/').slice(1).map(decodePointer);
        if (err.keyword === 'additionalProperties') keyPath.push((err.params as { additionalProperty: string }).additionalProperty);
        problem('HAETAE_RULE_INVALID', describeErrors([err])[0]!.replace(/^[^:]*: /, ''), keyPath);
      }
      continue;
    }
    // Conditions are checked as the author wrote them, before a mapping profile wraps them.
    if (!checkConditions(value.detection, problem, options.warnings ? warn : undefined)) {
      // Still report the selections' own problems (the condition's are reported above).
      compileRule(value, file, (code, message, keyPath) => { if (code !== 'HAETAE_RULE_CONDITION') problem(code, message, keyPath); }, options);
      continue;
    }
    if (options.lint && options.warnings) {
      lintRule(value, warn);
      options.titles?.push({ title: value.title, id: value.id, file, ...at(['title']) });
    }
    let rule: Rule = value;
    if (options.mapping) {
      // Field mapping runs between the schema check and compiling; its key paths point into the
      // original document, so problems (an unreachable field) get the author's line and column.
      const mapped = mapRule(value, options.mapping);
      for (const p of mapped.problems) problem('HAETAE_RULE_UNREACHABLE_FIELD', p.message, p.keyPath);
      if (mapped.problems.length > 0) continue;
      if (mapped.status === 'planned') warn(`the rule loads but cannot fire on today's events: its mapping profile${mapped.profiles.length > 1 ? 's' : ''} (${mapped.profiles.join(', ')}) ${mapped.profiles.length > 1 ? 'wait' : 'waits'} for ${mapped.requires.join(', ')}`, ['logsource']);
      rule = mapped.rule;
    }
    const compiled = compileRule(rule, file, problem, options);
    if (compiled) out.push({ rule: compiled, idPos: at(['id']), at });
  }
  return contents;
}

/**
 * Correlation fields (group-by, condition.field) are read from the events of the rules they
 * correlate: like a detection's fields, each must be an event field or one a mapping profile
 * produces. A group-by name that is an alias is resolved per rule, so it is not checked here.
 */
function correlationFieldsReachable(rule: CorrelationRule, mapping: FieldMapping, problem: (code: ErrorCode, message: string, keyPath: (string | number)[]) => void): boolean {
  const produced = new Set(mapping.profiles.flatMap((p) => [...Object.values(p.fields).flatMap((t) => (typeof t === 'string' ? [t] : [...t])), ...Object.keys(p.conditions)]));
  const reachable = (f: string): boolean => mapping.events.has(f) || produced.has(f);
  let ok = true;
  rule.groupBy.forEach((f, i) => {
    if (f in rule.aliases || reachable(f)) return;
    problem('HAETAE_RULE_UNREACHABLE_FIELD', `unreachable field '${f}' in group-by: not an event field, and no mapping profile produces it`, ['correlation', 'group-by', i]);
    ok = false;
  });
  (rule.condition.fields ?? []).forEach((f, i, all) => {
    if (f in rule.aliases || reachable(f)) return;
    problem('HAETAE_RULE_UNREACHABLE_FIELD', `unreachable field '${f}' in condition.field: not an event field, and no mapping profile produces it`, all.length > 1 ? ['correlation', 'condition', 'field', i] : ['correlation', 'condition', 'field']);
    ok = false;
  });
  return ok;
}

/** The lint pass of `rules validate` (in the spirit of `sigma check`): warnings, never errors. */
function lintRule(rule: Rule, warn: (message: string, keyPath: (string | number)[]) => void): void {
  (rule.tags ?? []).forEach((tag, i) => {
    if (badAttackTag(tag)) warn(`tag '${tag}' is not an ATT&CK tag: expected attack.tNNNN[.NNN], attack.gNNNN, attack.sNNNN or a tactic such as attack.credential-access`, ['tags', i]);
  });
  if (rule.level === undefined) warn('no level: alerts default to medium', ['title']);
  if (rule.falsepositives === undefined || rule.falsepositives.length === 0) warn('no falsepositives: say what else can match (or "Unknown")', ['title']);
}

const CASE_KEYS = ['name', 'events', 'alerts'];
const TIMELINE_KEYS = ['event', 'line', 'at', 'repeat', 'every'];
const ALERT_KEYS = ['group', 'count', 'value'];

/**
 * A correlation's inline tests, checked when the file loads (so `rules validate` says what
 * `rules test` would refuse): each case has `events` (each with `at`, one of `event`/`line`,
 * optional `repeat` ≤ 100000 and `every`) and `alerts` (each with optional `group`, `count` — the
 * events in the window — and `value` — the aggregated value, e.g. distinct values for
 * value_count); an unknown key is refused rather than ignored.
 */
function checkCorrelationTests(tests: unknown, problem: (message: string, keyPath: (string | number)[]) => void): boolean {
  if (tests === undefined) return true;
  let ok = true;
  const bad = (message: string, keyPath: (string | number)[]): void => { problem(message, keyPath); ok = false; };
  const unknownKeys = (o: Record<string, unknown>, allowed: string[], what: string, keyPath: (string | number)[]): void => {
    for (const k of Object.keys(o)) if (!allowed.includes(k)) bad(`unknown key '${k}' in ${what} (allowed: ${allowed.join(', ')})`, [...keyPath, k]);
  };
  if (!Array.isArray(tests)) {
    bad('tests must be a list of cases', ['tests']);
    return ok;
  }
  tests.forEach((c: unknown, i) => {
    const at = ['tests', i];
    if (!isObject(c)) return bad('a test case must be a mapping with `events` and `alerts`', at);
    unknownKeys(c, CASE_KEYS, 'a correlation test case', at);
    if (!Array.isArray(c.events)) bad('a correlation test case needs `events` (a list of events in time order)', [...at, ...('events' in c ? ['events'] : [])]);
    if (!Array.isArray(c.alerts)) bad('a correlation test case needs `alerts` (the expected alerts, [] for none)', [...at, ...('alerts' in c ? ['alerts'] : [])]);
    if (Array.isArray(c.events)) {
      c.events.forEach((e: unknown, j) => {
        const ep = [...at, 'events', j];
        if (!isObject(e)) return bad('an event of a timeline must be a mapping with `at` and `event` or `line`', ep);
        unknownKeys(e, TIMELINE_KEYS, 'a timeline event', ep);
        if (typeof e.at !== 'string' || Number.isNaN(Date.parse(e.at))) bad('each timeline event needs `at`, the time of its (first) event, e.g. 2026-11-22T10:00:00Z', 'at' in e ? [...ep, 'at'] : ep);
        if (('event' in e) === ('line' in e)) bad('each timeline event needs exactly one of `event` (an ECS event) or `line` (a raw syslog line)', ep);
        if (e.repeat !== undefined && !(Number.isInteger(e.repeat) && (e.repeat as number) >= 1 && (e.repeat as number) <= 100_000)) bad('repeat must be a whole number from 1 to 100000', [...ep, 'repeat']);
        if (e.every !== undefined && !(typeof e.every === 'string' && /^[0-9]+(ms|s|m|h)$/.test(e.every))) bad('every must be a duration such as 500ms, 10s, 1m or 1h', [...ep, 'every']);
      });
    }
    if (Array.isArray(c.alerts)) {
      c.alerts.forEach((a: unknown, j) => {
        const ap = [...at, 'alerts', j];
        if (!isObject(a)) return bad('an expected alert must be a mapping: group, count, value', ap);
        unknownKeys(a, ALERT_KEYS, 'an expected alert', ap);
        if (a.group !== undefined && !isObject(a.group)) bad('group must map each group-by field to its value', [...ap, 'group']);
        if (a.count !== undefined && !Number.isInteger(a.count)) bad('count (the number of events in the window) must be a whole number', [...ap, 'count']);
        if (a.value !== undefined && typeof a.value !== 'number') bad('value (the aggregated value: distinct values for value_count, the sum, average or percentile for the value_* types) must be a number', [...ap, 'value']);
      });
    }
  });
  return ok;
}
