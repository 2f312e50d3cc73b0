import path from 'node:path';
import fs from 'node:fs';
import { compileValidators } from '../../schemas/validators';
import YAML from 'yaml';
import { formatProblem, loadFieldMapping, loadRules, type LoadOptions, type RuleProblem, type RuleSet } from '../../pipeline/detect/load';
import { HaetaeError } from '../../pipeline/errors/catalog';

/** Where mapping profiles are looked for when neither --mappings nor a config file says: next to the package. */
export const DEFAULT_MAPPINGS = path.join('rules', 'mappings');

/** The directory holding haetae's package.json (dist/ or source alike). */
export function packageRoot(from = __dirname): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const pkg = path.join(dir, 'package.json');
    if (fs.existsSync(pkg) && /"name":\s*"haetae"/.test(fs.readFileSync(pkg, 'utf8'))) return dir;
    if (path.dirname(dir) === dir) return path.join(from, '..', '..');
  }
}

/** Which mapping-profile folder a `rules` command uses, and why. */
export interface MappingsChoice { dir: string | null; why: string }

/**
 * Mapping profiles are found as the worker finds them: --mappings when given ('none': no
 * mapping); else the config file's worker.mappingsPath (relative to the config file); else the
 * project's default rules/mappings next to the package — never relative to the working directory.
 */
export function chooseMappings(cwd: string, mappings?: string, configFile?: string | null): MappingsChoice {
  if (mappings === 'none') return { dir: null, why: '--mappings none' };
  if (mappings !== undefined) {
    const dir = path.resolve(cwd, mappings);
    if (!fs.existsSync(dir)) throw new HaetaeError('HAETAE_USAGE', [`--mappings: no such directory: ${dir}`]);
    return { dir, why: '--mappings' };
  }
  if (configFile) {
    let configured: string = DEFAULT_MAPPINGS;
    try {
      const raw = YAML.parse(fs.readFileSync(configFile, 'utf8')) as { worker?: { mappingsPath?: unknown } } | null;
      if (typeof raw?.worker?.mappingsPath === 'string') configured = raw.worker.mappingsPath;
    } catch {
      // An unreadable config is reported by the commands that need it; the default applies here.
    }
    const dir = path.resolve(path.dirname(configFile), configured);
    return fs.existsSync(dir) ? { dir, why: `worker.mappingsPath of ${configFile}` } : { dir: null, why: `worker.mappingsPath of ${configFile} is ${dir}, which does not exist: field names as written` };
  }
  const dir = path.join(packageRoot(), DEFAULT_MAPPINGS);
  return fs.existsSync(dir) ? { dir, why: "the project's default (no config file)" } : { dir: null, why: 'none found: field names as written' };
}

/** The config file a `rules` command reads worker.mappingsPath from: -c, else $HAETAE_CONFIG, else ./haetae.yaml. */
export function configFileFor(cwd: string, explicit?: string): string | null {
  const given = explicit ?? process.env.HAETAE_CONFIG;
  if (given) {
    const file = path.resolve(cwd, given);
    if (!fs.existsSync(file)) throw new HaetaeError('HAETAE_USAGE', [`no such config file: ${file}`]);
    return file;
  }
  const local = path.join(cwd, 'haetae.yaml');
  return fs.existsSync(local) ? local : null;
}

export type ValidatedSet = RuleSet & { warnings: RuleProblem[]; mappings: MappingsChoice };

/** The line naming the profile folder in use, for stderr. */
export function mappingsNote(choice: MappingsChoice, cwd: string): string {
  return choice.dir ? `mapping profiles: ${displayPath(choice.dir, cwd)} (${choice.why})` : `mapping profiles: none (${choice.why})`;
}

/**
 * Loads rules the way the worker does, mapping profiles included (see chooseMappings), with the
 * authoring checks on: ids must be UUIDs, warnings (unused selections, lint) are collected.
 */
export function validateRules(paths: string[], cwd: string, mappings?: string, configFile?: string | null): ValidatedSet {
  const resolved = paths.map((p) => path.resolve(cwd, p));
  for (const p of resolved) {
    if (!fs.existsSync(p)) throw new HaetaeError('HAETAE_USAGE', [`no such file or directory: ${p}`]);
  }
  const choice = chooseMappings(cwd, mappings, configFile === undefined ? null : configFile);
  const { mapping, problems } = loadFieldMapping(choice.dir);
  const warnings: RuleProblem[] = [];
  const titles: NonNullable<LoadOptions['titles']> = [];
  const set = loadRules(resolved, compileValidators().rule, { ...(mapping ? { mapping } : {}), requireUuid: true, warnings, lint: true, titles });
  const seen = new Map<string, string>();
  for (const t of titles) {
    const prev = seen.get(t.title.toLowerCase());
    if (prev !== undefined) warnings.push({ code: 'HAETAE_RULE_INVALID', file: t.file, line: t.line, column: t.column, message: `title '${t.title}' is also the title of rule ${prev}: titles name alerts, make them distinct`, keyPath: ['title'] });
    else seen.set(t.title.toLowerCase(), t.id);
  }
  return { ...set, problems: [...problems, ...set.problems], warnings, mappings: choice };
}

/** A path as the user should see it: relative when under the working directory, else absolute. */
export function displayPath(file: string, cwd: string): string {
  const rel = path.relative(cwd, file);
  return rel === '' || rel.startsWith('..') || path.isAbsolute(rel) ? file : rel;
}

export function reportText(set: RuleSet & { warnings?: RuleProblem[] }, cwd: string, withWarnings = false): string {
  const lines = set.problems.map((p) => formatProblem({ ...p, file: displayPath(p.file, cwd) }));
  const warnings = withWarnings ? set.warnings ?? [] : [];
  for (const w of warnings) lines.push(formatProblem({ ...w, file: displayPath(w.file, cwd), message: `warning: ${w.message}` }));
  if (warnings.length > 0) lines.push(`${warnings.length} warning${warnings.length === 1 ? '' : 's'} (the rules load; fix what you agree with)`);
  const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;
  const extras = [set.correlations.length > 0 ? plural(set.correlations.length, 'correlation') : '', set.filters > 0 ? plural(set.filters, 'filter') : ''].filter(Boolean);
  const what = `${plural(set.rules.length, 'rule')}${extras.length > 0 ? ` (+ ${extras.join(', ')})` : ''}`;
  const verdict = set.problems.length === 0
    ? `${what} in ${plural(set.files.length, 'file')}: all valid.`
    : `${plural(set.problems.length, 'problem')}; ${what} valid in ${plural(set.files.length, 'file')}.`;
  return [...lines, verdict].join('\n');
}
