import type { Rule } from '../../../schemas/generated/types';
import type { AppliedMapping, ConditionValue, MappingProblem, MappingProfile } from './types';

export interface MappingResult {
  /** A new rule: the input is never mutated. Unchanged (same object) when no profile matches. */
  rule: Rule;
  /** Human-readable record of every change, e.g. "linux-process-creation: CommandLine → process.command_line". */
  applied: string[];
  /** The same record, structured. */
  mappings: AppliedMapping[];
  /** Unreachable fields and mapping conflicts, with key paths into the original rule document. */
  problems: MappingProblem[];
  /** The profiles whose logsource matched, in the order they ran. */
  profiles: MappingProfile[];
}

/** Name of the selection that carries the profiles' logsource conditions. */
export const LOGSOURCE_SELECTION = '_logsource';

/** A rule matches a profile when every logsource key the profile gives equals the rule's (case-insensitive). */
export function profileMatches(profile: MappingProfile, logsource: Rule['logsource']): boolean {
  const entries = Object.entries(profile.logsource) as Array<[keyof MappingProfile['logsource'], string]>;
  return entries.every(([k, v]) => {
    const actual = logsource?.[k];
    return typeof actual === 'string' && actual.toLowerCase() === v.toLowerCase();
  });
}

/**
 * The ordered processing pipeline (pySigma's ProcessingPipeline): every profile whose logsource
 * matches runs in priority order; each sees field names as the previous ones left them. A field
 * mapped to several event fields turns its selection into a list of alternatives (one per field).
 * Keyword selections are left alone: they always search `message`.
 */
export function applyProfiles(rule: Rule, profiles: readonly MappingProfile[]): MappingResult {
  const matched = profiles.filter((p) => profileMatches(p, rule.logsource));
  if (matched.length === 0) return { rule, applied: [], mappings: [], problems: [], profiles: [] };

  const mappings: AppliedMapping[] = [];
  const problems: MappingProblem[] = [];
  const recorded = new Set<string>();
  const record = (m: AppliedMapping): void => {
    const key = `${m.profile}\0${m.kind}\0${m.from}\0${m.to}`;
    if (!recorded.has(key)) { recorded.add(key); mappings.push(m); }
  };

  /** Runs one field name through every matched profile; returns its final names. */
  const mapField = (field: string, keyPath: (string | number)[]): string[] => {
    let names = [field];
    for (const profile of matched) {
      names = names.flatMap((name) => {
        const reason = profile.unsupported[name];
        if (reason !== undefined) {
          problems.push({ message: `unreachable field '${name}' under mapping profile '${profile.name}': ${reason}`, keyPath, profile: profile.name });
          return [name];
        }
        const target = profile.fields[name];
        if (target === undefined) {
          if (profile.strict && !targetsOf(profile).has(name)) {
            problems.push({ message: `unreachable field '${name}' under mapping profile '${profile.name}' (strict: the profile maps only ${Object.keys(profile.fields).join(', ') || 'nothing'})`, keyPath, profile: profile.name });
          }
          return [name];
        }
        const targets = typeof target === 'string' ? [target] : [...target];
        for (const to of targets) record({ profile: profile.name, kind: 'field', from: name, to });
        return targets;
      });
    }
    return names;
  };

  const detection: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(rule.detection)) {
    if (name === 'condition') { detection[name] = value; continue; }
    detection[name] = mapSelection(value, ['detection', name], mapField, problems);
  }

  const extra = mergeConditions(matched, problems);
  let condition = rule.detection.condition;
  if (extra !== null) {
    let selName = LOGSOURCE_SELECTION;
    for (let i = 2; selName in detection; i++) selName = `${LOGSOURCE_SELECTION}_${i}`;
    detection[selName] = extra.selection;
    for (const [field, profile] of extra.by) record({ profile, kind: 'condition', from: selName, to: field });
    const wrap = (c: string): string => `(${c}) and ${selName}`;
    condition = Array.isArray(condition) ? (condition.map(wrap) as [string, ...string[]]) : wrap(condition as string);
  }
  detection.condition = condition;

  const applied = mappings.map((m) => (m.kind === 'field' ? `${m.profile}: ${m.from} → ${m.to}` : `${m.profile}: ${m.from} requires ${m.to}`));
  return { rule: { ...rule, detection: detection as Rule['detection'] }, applied, mappings, problems, profiles: matched };
}

function targetsOf(profile: MappingProfile): Set<string> {
  return new Set(Object.values(profile.fields).flatMap((t) => (typeof t === 'string' ? [t] : [...t])));
}

type FieldMapper = (field: string, keyPath: (string | number)[]) => string[];

function isPlainMap(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function mapSelection(value: unknown, path: (string | number)[], mapField: FieldMapper, problems: MappingProblem[]): unknown {
  if (isPlainMap(value)) {
    const alternatives = mapMap(value, path, mapField, problems);
    return alternatives.length === 1 ? alternatives[0] : alternatives;
  }
  if (Array.isArray(value) && value.length > 0 && value.every(isPlainMap)) {
    return value.flatMap((m, i) => mapMap(m, [...path, i], mapField, problems));
  }
  // Keywords (a scalar or a list of plain values) search `message`: nothing to rename.
  return value;
}

/** One map of `field|mods: values`; returns one map per combination of alternative field names. */
function mapMap(map: Record<string, unknown>, path: (string | number)[], mapField: FieldMapper, problems: MappingProblem[]): Array<Record<string, unknown>> {
  let out: Array<Record<string, unknown>> = [{}];
  for (const [key, v] of Object.entries(map)) {
    const [field, ...mods] = key.split('|');
    const keyPath = [...path, key];
    // `'|all': [...]` is a keyword search: there is no field to map.
    const names = field ? mapField(field, keyPath) : [''];
    const keys = names.map((n) => [n, ...mods].join('|'));
    out = out.flatMap((partial) => keys.map((k) => {
      if (k in partial) problems.push({ message: `mapping makes key '${k}' appear twice in one selection`, keyPath });
      return { ...partial, [k]: v };
    }));
  }
  return out;
}

function mergeConditions(profiles: readonly MappingProfile[], problems: MappingProblem[]): { selection: Record<string, unknown>; by: Array<[string, string]> } | null {
  const selection: Record<string, ConditionValue | ConditionValue[]> = {};
  const by: Array<[string, string]> = [];
  for (const p of profiles) {
    for (const [field, value] of Object.entries(p.conditions)) {
      if (field in selection && JSON.stringify(selection[field]) !== JSON.stringify(value)) {
        problems.push({ message: `mapping profiles disagree on the logsource condition for '${field}' ('${p.name}' wants ${JSON.stringify(value)})`, keyPath: ['logsource'], profile: p.name });
        continue;
      }
      selection[field] = Array.isArray(value) ? [...value] : (value as ConditionValue);
      by.push([field, p.name]);
    }
  }
  return by.length === 0 ? null : { selection, by };
}

/** Every field a rule's detection uses, with its key path; keyword searches report `message`. */
export function detectionFields(rule: Rule): Array<{ field: string; keyPath: (string | number)[] }> {
  const out: Array<{ field: string; keyPath: (string | number)[] }> = [];
  const visitMap = (m: Record<string, unknown>, path: (string | number)[]): void => {
    for (const key of Object.keys(m)) out.push({ field: key.split('|')[0] || 'message', keyPath: [...path, key] });
  };
  for (const [name, value] of Object.entries(rule.detection)) {
    if (name === 'condition') continue;
    const path = ['detection', name];
    if (isPlainMap(value)) visitMap(value, path);
    else if (Array.isArray(value) && value.length > 0 && value.every(isPlainMap)) value.forEach((m, i) => visitMap(m, [...path, i]));
    else out.push({ field: 'message', keyPath: path });
  }
  return out;
}
