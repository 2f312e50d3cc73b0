import { createHash } from 'node:crypto';
import fs from 'node:fs';
import type { ValidateFunction } from 'ajv';
import type { Rule } from '../../schemas/generated/types';
import path from 'node:path';
import { assembleRuleSet, findRuleFiles, loadFieldMapping, loadFileText, type CompiledRule, type FileContents, type LoadOptions, type RuleProblem } from './load';
import type { CorrelationRule } from '../correlate/model';

/** What one reload did, for logs, metrics and the /rules endpoint. */
export interface ReloadReport {
  version: number;
  /** Files whose new content is now live. */
  applied: string[];
  /** Files whose new content was refused; their last good version (if any) keeps running. */
  rejected: Array<{ file: string; problems: RuleProblem[] }>;
  /** Files that disappeared; their rules are gone. */
  removed: string[];
  rules: number;
}

interface FileState {
  hash: string;
  /** The last version of this file that loaded without a problem. */
  good: FileContents | null;
  /** Problems of the current content, when it was refused. */
  problems: RuleProblem[];
}

/**
 * The live rule set of a worker. Each file is its own unit: a file whose new content has any
 * problem is refused as a whole and its last good version keeps running, while other files'
 * changes go live. Problems that only show across files (a duplicate id, a filter or correlation
 * naming a rule that is gone) leave just that rule, filter or correlation out, and are listed in
 * `problems` until fixed. The set a batch sees is swapped by reference, so it is always one
 * consistent version — never half a reload.
 */
export class RuleStore {
  private files = new Map<string, FileState>();
  private live: readonly CompiledRule[] = [];
  private liveCorrelations: readonly CorrelationRule[] = [];
  private assemblyProblems: RuleProblem[] = [];
  private versionNo = 0;

  /** Rules taken out of the live set because they threw at run time, until their file changes. */
  private disabledRules = new Map<string, { file: string; error: string; at: string }>();
  private mappingHash = '';
  private options: LoadOptions = {};
  private mappingProblems: RuleProblem[] = [];

  constructor(
    private readonly paths: readonly string[],
    private readonly validate: ValidateFunction<Rule>,
    /** Directory of mapping profiles; re-read at every reload, and a change recompiles every file. */
    private readonly mappingsDir: string | null = null,
  ) {}

  get rules(): readonly CompiledRule[] {
    return this.live;
  }

  get correlations(): readonly CorrelationRule[] {
    return this.liveCorrelations;
  }

  get version(): number {
    return this.versionNo;
  }

  /** Problems of the files currently refused, and of what was left out when assembling. */
  get problems(): RuleProblem[] {
    return [...this.mappingProblems, ...[...this.files.values()].flatMap((f) => f.problems), ...this.assemblyProblems];
  }

  /** Rules disabled because they threw on an event, with the error. */
  get disabled(): ReadonlyMap<string, { file: string; error: string; at: string }> {
    return this.disabledRules;
  }

  /**
   * Takes a rule that threw at run time out of the live set (a new version of the set is
   * published) and keeps it out until its file changes. Returns false if it was not live.
   */
  disable(ruleId: string, error: string, now = new Date()): boolean {
    const rule = this.live.find((r) => r.id === ruleId);
    if (!rule) return false;
    this.disabledRules.set(ruleId, { file: rule.file, error, at: now.toISOString() });
    this.live = this.live.filter((r) => r.id !== ruleId);
    this.versionNo++;
    return true;
  }

  /** Re-reads every rule file; only files whose content changed are recompiled. */
  reload(): ReloadReport {
    const report: ReloadReport = { version: this.versionNo, applied: [], rejected: [], removed: [], rules: 0 };
    this.refreshMapping(report);
    const seen = new Set<string>();
    for (const file of findRuleFiles(this.paths)) {
      seen.add(file);
      let text: string;
      try {
        text = fs.readFileSync(file, 'utf8');
      } catch {
        continue; // deleted between listing and reading: the next event reloads again
      }
      const hash = createHash('sha256').update(text).digest('hex');
      const prev = this.files.get(file);
      if (prev?.hash === hash) continue;
      const problems: RuleProblem[] = [];
      const contents = loadFileText(text, file, this.validate, problems, this.options);
      if (problems.length === 0) {
        // A new version of a file gets its disabled rules another chance.
        for (const [id, d] of this.disabledRules) if (d.file === file) this.disabledRules.delete(id);
        this.files.set(file, { hash, good: contents, problems: [] });
        report.applied.push(file);
      } else {
        this.files.set(file, { hash, good: prev?.good ?? null, problems });
        report.rejected.push({ file, problems });
      }
    }
    for (const file of [...this.files.keys()]) {
      if (!seen.has(file)) {
        this.files.delete(file);
        report.removed.push(file);
      }
    }
    // The first load is version 1 even when there are no rules yet.
    if (report.applied.length > 0 || report.removed.length > 0 || this.versionNo === 0) this.rebuild(report);
    report.version = this.versionNo;
    report.rules = this.live.length;
    return report;
  }

  /**
   * Mapping profiles change how every rule compiles: when their content changes, forget every
   * file's hash so all rules are compiled again under the new profiles. A profile set with a
   * problem is refused as a whole and the previous profiles stay.
   */
  private refreshMapping(report: ReloadReport): void {
    if (this.mappingsDir === null || !fs.existsSync(this.mappingsDir)) return;
    const hash = createHash('sha256');
    for (const name of fs.readdirSync(this.mappingsDir).sort()) {
      if (/\.ya?ml$/i.test(name)) hash.update(name).update(fs.readFileSync(path.join(this.mappingsDir, name)));
    }
    const digest = hash.digest('hex');
    if (digest === this.mappingHash) return;
    const loaded = loadFieldMapping(this.mappingsDir);
    if (loaded.problems.length > 0) {
      this.mappingProblems = loaded.problems;
      for (const file of new Set(loaded.problems.map((p) => p.file))) report.rejected.push({ file, problems: loaded.problems.filter((p) => p.file === file) });
      if (this.mappingHash !== '') return; // keep the last good profiles
    } else {
      this.mappingProblems = [];
    }
    this.mappingHash = digest;
    this.options = loaded.mapping ? { mapping: loaded.mapping } : {};
    for (const state of this.files.values()) state.hash = '';
  }

  private rebuild(report: ReloadReport): void {
    const goods = [...this.files.entries()]
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .flatMap(([, state]) => (state.good ? [state.good] : []));
    const set = assembleRuleSet(goods);
    const before = new Set(this.assemblyProblems.map((p) => `${p.file}:${p.line}:${p.column}:${p.message}`));
    const fresh = set.problems.filter((p) => !before.has(`${p.file}:${p.line}:${p.column}:${p.message}`));
    for (const file of new Set(fresh.map((p) => p.file))) {
      report.rejected.push({ file, problems: fresh.filter((p) => p.file === file) });
    }
    this.assemblyProblems = set.problems;
    this.live = set.rules.filter((r) => !this.disabledRules.has(r.id));
    this.liveCorrelations = set.correlations;
    this.versionNo++;
  }
}
