import fs from 'node:fs';
import path from 'node:path';
import Ajv, { type ValidateFunction } from 'ajv';
import YAML from 'yaml';
import { describeErrors } from '../../../schemas/validators';
import profileSchema from './profile.schema.json';
import type { MappingProfile, ProfileProblem } from './types';

type RawProfile = Omit<MappingProfile, 'priority' | 'telemetry' | 'fields' | 'unsupported' | 'strict' | 'conditions' | 'file'>
  & Partial<Pick<MappingProfile, 'priority' | 'telemetry' | 'fields' | 'unsupported' | 'strict' | 'conditions'>>;

/** Compile once per process; the schema is small but ajv compilation is not free. */
export function compileProfileValidator(): ValidateFunction<RawProfile> {
  const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true });
  return ajv.compile<RawProfile>(profileSchema);
}

/**
 * Loads every *.yml / *.yaml profile in `dir` (one or more YAML documents per file), validates it
 * and returns the profiles sorted by priority (stable on file name, then document order). Problems
 * are collected, not thrown: a bad profile is skipped and the rest still load.
 */
export function loadMappingProfiles(dir: string, validate: ValidateFunction<RawProfile> = compileProfileValidator()): { profiles: MappingProfile[]; problems: ProfileProblem[] } {
  const problems: ProfileProblem[] = [];
  const profiles: MappingProfile[] = [];
  if (!fs.existsSync(dir)) return { profiles, problems: [{ file: dir, message: 'mapping profile directory does not exist', keyPath: [] }] };
  const files = fs.readdirSync(dir).filter((n) => /\.ya?ml$/i.test(n) && !n.startsWith('.')).sort().map((n) => path.join(dir, n));
  for (const file of files) {
    profiles.push(...parseMappingProfiles(fs.readFileSync(file, 'utf8'), file, problems, validate));
  }
  const seen = new Map<string, string>();
  const unique = profiles.filter((p) => {
    const prev = seen.get(p.name);
    if (prev !== undefined) {
      problems.push({ file: p.file, message: `profile name '${p.name}' is already defined in ${prev}`, keyPath: ['name'] });
      return false;
    }
    seen.set(p.name, p.file);
    return true;
  });
  // Array.prototype.sort is stable, so equal priorities keep file order.
  unique.sort((a, b) => a.priority - b.priority);
  return { profiles: unique, problems };
}

/** Parses profile YAML text (exported for tests and for callers holding text, not files). */
export function parseMappingProfiles(text: string, file: string, problems: ProfileProblem[], validate: ValidateFunction<RawProfile> = compileProfileValidator()): MappingProfile[] {
  const out: MappingProfile[] = [];
  for (const doc of YAML.parseAllDocuments(text, { uniqueKeys: true, prettyErrors: false })) {
    if (doc.errors.length > 0) {
      for (const e of doc.errors) problems.push({ file, message: `YAML: ${e.message.split('\n')[0]!}`, keyPath: [] });
      continue;
    }
    const value: unknown = doc.toJS({ maxAliasCount: 100 });
    if (value === null || value === undefined) continue;
    if (!validate(value)) {
      for (const err of validate.errors ?? []) {
        const keyPath: (string | number)[] = err.instancePath.split('/').slice(1).map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
        if (err.keyword === 'additionalProperties') keyPath.push((err.params as { additionalProperty: string }).additionalProperty);
        if (err.keyword === 'if') continue; // its 'then' failure is reported on its own
        problems.push({ file, message: describeErrors([err])[0]!, keyPath });
      }
      continue;
    }
    const overlap = Object.keys(value.unsupported ?? {}).filter((k) => value.fields !== undefined && k in value.fields);
    if (overlap.length > 0) {
      problems.push({ file, message: `field${overlap.length > 1 ? 's' : ''} ${overlap.map((k) => `'${k}'`).join(', ')} both mapped and unsupported`, keyPath: ['unsupported', overlap[0]!] });
      continue;
    }
    out.push(Object.freeze({
      ...value,
      priority: value.priority ?? 50,
      telemetry: value.telemetry ?? 'live',
      fields: value.fields ?? {},
      unsupported: value.unsupported ?? {},
      strict: value.strict ?? false,
      conditions: value.conditions ?? {},
      file,
    }));
  }
  return out;
}
