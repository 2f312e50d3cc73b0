import path from 'node:path';
import fs from 'node:fs';
import { compileValidators } from '../../schemas/validators';
import { formatProblem, loadFieldMapping, loadRules, type RuleSet } from '../../pipeline/detect/load';
import { HaetaeError } from '../../pipeline/errors/catalog';

/** Where mapping profiles are looked for when --mappings is not given. */
export const DEFAULT_MAPPINGS = path.join('rules', 'mappings');

/**
 * Loads rules the way the worker does, mapping profiles included: `mappings` is a directory of
 * profiles, or undefined for the default (./rules/mappings when it exists), or 'none'.
 */
export function validateRules(paths: string[], cwd: string, mappings?: string): RuleSet {
  const resolved = paths.map((p) => path.resolve(cwd, p));
  for (const p of resolved) {
    if (!fs.existsSync(p)) throw new HaetaeError('HAETAE_USAGE', [`no such file or directory: ${p}`]);
  }
  let dir: string | null = null;
  if (mappings === undefined) {
    const fallback = path.resolve(cwd, DEFAULT_MAPPINGS);
    dir = fs.existsSync(fallback) ? fallback : null;
  } else if (mappings !== 'none') {
    dir = path.resolve(cwd, mappings);
    if (!fs.existsSync(dir)) throw new HaetaeError('HAETAE_USAGE', [`--mappings: no such directory: ${dir}`]);
  }
  const { mapping, problems } = loadFieldMapping(dir);
  const set = loadRules(resolved, compileValidators().rule, mapping ? { mapping } : {});
  return { ...set, problems: [...problems, ...set.problems] };
}

/** A path as the user should see it: relative when under the working directory, else absolute. */
export function displayPath(file: string, cwd: string): string {
  const rel = path.relative(cwd, file);
  return rel === '' || rel.startsWith('..') || path.isAbsolute(rel) ? file : rel;
}

export function reportText(set: RuleSet, cwd: string): string {
  const lines = set.problems.map((p) => formatProblem({ ...p, file: displayPath(p.file, cwd) }));
  const verdict = set.problems.length === 0
    ? `${set.rules.length} rule${set.rules.length === 1 ? '' : 's'} in ${set.files.length} file${set.files.length === 1 ? '' : 's'}: all valid.`
    : `${set.problems.length} problem${set.problems.length === 1 ? '' : 's'}; ${set.rules.length} rule${set.rules.length === 1 ? '' : 's'} valid in ${set.files.length} file${set.files.length === 1 ? '' : 's'}.`;
  return [...lines, verdict].join('\n');
}
