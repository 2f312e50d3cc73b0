import fs from 'node:fs';
import { shippedDecoderFields } from '../../pipeline/decoders/shipped';
import path from 'node:path';
import YAML, { LineCounter } from 'yaml';
import type { ValidateFunction } from 'ajv';
import type { Rule } from '../../schemas/generated/types';
import { findRuleFiles, loadRuleText, type RuleProblem } from '../../pipeline/detect/load';
import { HaetaeError } from '../../pipeline/errors/catalog';
import {
  applyProfiles, checkReachability, eventFieldSet, loadMappingProfiles,
  type EventFieldSet, type MappingProfile, type ProfileProblem,
} from '../../pipeline/detect/mapping';

export interface ImportOptions {
  /** Directory of mapping profiles (rules/mappings). */
  profilesDir: string;
  /** The rule-schema validator (`compileValidators().rule`). */
  validate: ValidateFunction<Rule>;
  /** Already-loaded profiles; when given, profilesDir is not read. */
  profiles?: readonly MappingProfile[];
  /** The event fields that count as reachable; defaults to the event contract. */
  events?: EventFieldSet;
}

/** Why one rule does not compile under the profiles. */
export interface ImportFailure {
  file: string;
  id: string | null;
  title: string | null;
  logsource: string;
  /** Group key: the logsource and the first reason without rule-specific positions. */
  reason: string;
  /** Every problem, as `line:col: message`. */
  details: string[];
}

export interface ImportReport {
  dir: string;
  profilesDir: string;
  files: number;
  rules: number;
  /** Rules that load and whose every field is reachable (live + planned). */
  compiled: number;
  compiledPercent: number;
  /** Rules that can fire on today's pipeline. */
  live: number;
  livePercent: number;
  /** Rules that compile but wait for a parser named by a planned profile. */
  planned: number;
  plannedPercent: number;
  failed: number;
  /** Planned rules grouped by what the pipeline still needs. */
  waiting: Array<{ requires: string; count: number }>;
  /** Failures grouped by reason, most frequent first. */
  reasons: Array<{ reason: string; count: number; rules: string[] }>;
  failures: ImportFailure[];
  /** Problems in the profiles themselves (a bad profile is skipped). */
  profileProblems: ProfileProblem[];
  /** Per rule: the profile changes, for `--json` consumers that want to audit a mapping. */
  mapped: Array<{ file: string; id: string; title: string; status: 'live' | 'planned'; profiles: string[]; applied: string[] }>;
  /**
   * Every compiled rule by name, grouped by why it has its status: live rules by the mapping
   * profiles that made them live ("no profile: ECS field names as written" when none matched),
   * planned rules by what they wait for. Each rule as `path (title)`, relative to dir.
   */
  liveGroups: Array<{ reason: string; count: number; rules: string[] }>;
  plannedGroups: Array<{ reason: string; count: number; rules: string[] }>;
}

/**
 * `haetae rules import-sigma <dir>`: load every rule under dir with the project's loader, map it
 * through the profiles, check that every field is reachable, then compile the mapped rule.
 *
 * The mapped rule is compiled by re-serializing it to YAML and handing that to `loadRuleText`:
 * the loader only takes text, and that way import uses exactly the validation and compilation
 * the worker uses. Positions in messages always refer to the original file, because the first
 * pass loads the original text (a rule that does not load is reported at its own line).
 */
export function importSigma(dir: string, opts: ImportOptions): ImportReport {
  if (!fs.existsSync(dir)) throw new HaetaeError('HAETAE_USAGE', [`no such directory: ${dir}`]);
  const loadedProfiles = opts.profiles ? { profiles: [...opts.profiles], problems: [] } : loadMappingProfiles(opts.profilesDir);
  const { profiles } = loadedProfiles;
  const events = opts.events ?? eventFieldSet(undefined, shippedDecoderFields());
  const files = findRuleFiles([dir]);
  const failures: ImportFailure[] = [];
  const mapped: ImportReport['mapped'] = [];
  const waiting = new Map<string, number>();
  const liveBy = new Map<string, string[]>();
  const plannedBy = new Map<string, string[]>();
  const seenIds = new Map<string, string>();
  let total = 0;

  for (const file of files) {
    const text = fs.readFileSync(file, 'utf8');
    const docs = splitDocuments(text);
    const problems: RuleProblem[] = [];
    const loaded = loadRuleText(text, file, opts.validate, problems);
    const byId = new Map(loaded.map((l) => [l.rule.id, l.rule]));
    for (const doc of docs) {
      total++;
      const meta = { file, id: doc.id, title: doc.title, logsource: describeLogsource(doc.logsource) };
      const compiled = doc.id === null ? undefined : byId.get(doc.id);
      if (!compiled) {
        const own = problems.filter((p) => p.line >= doc.firstLine && p.line <= doc.lastLine);
        const details = own.map((p) => `${p.line}:${p.column}: ${p.message}${p.keyPath.length > 0 ? ` (at ${p.keyPath.join(' → ')})` : ''}`);
        failures.push({ ...meta, reason: `does not load: ${own[0]?.message ?? 'not a rule document'}`, details });
        continue;
      }
      const prev = seenIds.get(compiled.id);
      if (prev !== undefined) {
        failures.push({ ...meta, reason: 'duplicate rule id', details: [`rule id '${compiled.id}' is already defined in ${prev}`] });
        continue;
      }
      seenIds.set(compiled.id, file);
      const original = compiled.source;
      const result = applyProfiles(original, profiles);
      const reach = checkReachability(original, result, events);
      if (!reach.reachable) {
        const details = reach.problems.map((p) => `${p.message} (at ${p.keyPath.join(' → ')})`);
        failures.push({ ...meta, reason: `logsource ${meta.logsource}: ${reach.problems[0]!.message}`, details });
        continue;
      }
      const again: RuleProblem[] = [];
      const recompiled = loadRuleText(YAML.stringify(result.rule), file, opts.validate, again);
      if (recompiled.length !== 1 || again.length > 0) {
        // A profile produced something the loader rejects: a profile bug, never the rule's fault.
        failures.push({ ...meta, reason: `mapped rule does not compile (profiles ${result.profiles.map((p) => p.name).join(', ')})`, details: again.map((p) => `${p.message} (at ${p.keyPath.join(' → ')})`) });
        continue;
      }
      const status = reach.status === 'planned' ? 'planned' : 'live';
      for (const r of reach.requires) waiting.set(r, (waiting.get(r) ?? 0) + 1);
      mapped.push({ file, id: compiled.id, title: compiled.title, status, profiles: result.profiles.map((p) => p.name), applied: result.applied });
      const name = `${path.relative(dir, file)} (${compiled.title})`;
      const key = status === 'live'
        ? (result.profiles.length > 0 ? `live under profile${result.profiles.length > 1 ? 's' : ''} ${result.profiles.map((p) => p.name).join(', ')}` : 'live: no profile, ECS field names as written')
        : `planned: needs ${reach.requires.join(', ')}`;
      const into = status === 'live' ? liveBy : plannedBy;
      into.set(key, [...(into.get(key) ?? []), name]);
    }
  }

  const groups = new Map<string, string[]>();
  for (const f of failures) groups.set(f.reason, [...(groups.get(f.reason) ?? []), `${path.relative(dir, f.file)} (${f.title ?? f.id ?? '?'})`]);
  const live = mapped.filter((m) => m.status === 'live').length;
  const planned = mapped.length - live;
  const pct = (n: number): number => (total === 0 ? 0 : Math.round((n / total) * 1000) / 10);
  return {
    dir,
    profilesDir: opts.profilesDir,
    files: files.length,
    rules: total,
    compiled: mapped.length,
    compiledPercent: pct(mapped.length),
    live,
    livePercent: pct(live),
    planned,
    plannedPercent: pct(planned),
    failed: failures.length,
    waiting: [...waiting].map(([requires, count]) => ({ requires, count })).sort((a, b) => b.count - a.count),
    reasons: [...groups].map(([reason, rules]) => ({ reason, count: rules.length, rules })).sort((a, b) => b.count - a.count || a.reason.localeCompare(b.reason)),
    failures,
    profileProblems: loadedProfiles.problems,
    mapped,
    liveGroups: grouped(liveBy),
    plannedGroups: grouped(plannedBy),
  };
}

function grouped(by: Map<string, string[]>): Array<{ reason: string; count: number; rules: string[] }> {
  return [...by].map(([reason, rules]) => ({ reason, count: rules.length, rules })).sort((a, b) => b.count - a.count || a.reason.localeCompare(b.reason));
}

/**
 * The human report: totals, what planned rules wait for, every failure grouped by reason, and
 * (unless `names` is false) every live and planned rule by name, grouped by why.
 */
export function formatImportReport(report: ImportReport, names = true): string {
  const lines: string[] = [];
  for (const p of report.profileProblems) lines.push(`profile ${p.file}: ${p.message}${p.keyPath.length > 0 ? ` (at ${p.keyPath.join(' → ')})` : ''}`);
  lines.push(`${report.rules} rules in ${report.files} files under ${report.dir}`);
  lines.push(`  compiled under the mapping profiles: ${report.compiled} (${report.compiledPercent}%)`);
  lines.push(`    live on today's pipeline:          ${report.live} (${report.livePercent}%)`);
  lines.push(`    waiting for a parser (planned):    ${report.planned} (${report.plannedPercent}%)`);
  for (const w of report.waiting) lines.push(`      ${w.count} need ${w.requires}`);
  lines.push(`  not compiled: ${report.failed}`);
  for (const r of report.reasons) {
    lines.push(`    ${r.count} × ${r.reason}`);
    for (const rule of r.rules) lines.push(`        ${rule}`);
  }
  if (names) {
    for (const [title, groups] of [['live rules', report.liveGroups], ['planned rules', report.plannedGroups]] as const) {
      if (groups.length === 0) continue;
      lines.push('', `${title}, by reason:`);
      for (const g of groups) {
        lines.push(`  ${g.count} × ${g.reason}`);
        for (const rule of g.rules) lines.push(`      ${rule}`);
      }
    }
  }
  return lines.join('\n');
}

/**
 * The JSON form (`--json`): totals, failures, and every live and planned rule by name grouped by
 * reason (liveGroups, plannedGroups); the per-rule mapping audit only when asked for (`mapped`
 * is otherwise the count of compiled rules).
 */
export function importReportJson(report: ImportReport, withMappings = false): string {
  const { mapped, ...rest } = report;
  return JSON.stringify(withMappings ? report : { ...rest, mapped: mapped.length });
}

interface DocInfo { id: string | null; title: string | null; logsource: unknown; firstLine: number; lastLine: number }

/** Each non-empty YAML document's id, title, logsource and line span (to attribute load problems). */
function splitDocuments(text: string): DocInfo[] {
  const lc = new LineCounter();
  const out: DocInfo[] = [];
  for (const doc of YAML.parseAllDocuments(text, { lineCounter: lc, prettyErrors: false })) {
    const [start, , end] = doc.range;
    let value: unknown = null;
    try { value = doc.errors.length === 0 ? doc.toJS({ maxAliasCount: 100 }) : {}; } catch { value = {}; }
    if (value === null || value === undefined) continue;
    const obj = (typeof value === 'object' && !Array.isArray(value) ? value : {}) as Record<string, unknown>;
    out.push({
      id: typeof obj.id === 'string' ? obj.id : null,
      title: typeof obj.title === 'string' ? obj.title : null,
      logsource: obj.logsource,
      firstLine: lc.linePos(start).line,
      lastLine: lc.linePos(Math.max(start, end - 1)).line,
    });
  }
  return out;
}

function describeLogsource(ls: unknown): string {
  if (ls === null || typeof ls !== 'object') return '(none)';
  const o = ls as Record<string, unknown>;
  const parts = ['product', 'category', 'service'].filter((k) => typeof o[k] === 'string').map((k) => `${k}=${String(o[k])}`);
  return parts.length > 0 ? parts.join(' ') : '(none)';
}
