import path from 'node:path';
import fs from 'node:fs';
import { compileValidators } from '../../schemas/validators';
import { formatProblem, loadRules, type RuleSet } from '../../pipeline/detect/load';
import { HaetaeError } from '../../pipeline/errors/catalog';

export function validateRules(paths: string[], cwd: string): RuleSet {
  const resolved = paths.map((p) => path.resolve(cwd, p));
  for (const p of resolved) {
    if (!fs.existsSync(p)) throw new HaetaeError('HAETAE_USAGE', [`no such file or directory: ${p}`]);
  }
  return loadRules(resolved, compileValidators().rule);
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
