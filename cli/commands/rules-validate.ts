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
  const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;
  const extras = [set.correlations.length > 0 ? plural(set.correlations.length, 'correlation') : '', set.filters > 0 ? plural(set.filters, 'filter') : ''].filter(Boolean);
  const what = `${plural(set.rules.length, 'rule')}${extras.length > 0 ? ` (+ ${extras.join(', ')})` : ''}`;
  const verdict = set.problems.length === 0
    ? `${what} in ${plural(set.files.length, 'file')}: all valid.`
    : `${plural(set.problems.length, 'problem')}; ${what} valid in ${plural(set.files.length, 'file')}.`;
  return [...lines, verdict].join('\n');
}
