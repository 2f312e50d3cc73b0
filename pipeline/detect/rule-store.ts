import { createHash } from 'node:crypto';
import fs from 'node:fs';
import type { ValidateFunction } from 'ajv';
import type { Rule } from '../../schemas/generated/types';
import { findRuleFiles, loadRuleText, type CompiledRule, type RuleProblem } from './load';

type LoadedRule = ReturnType<typeof loadRuleText>[number];

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
  /** The last version of this file that compiled without a problem (with each id's position). */
  good: LoadedRule[] | null;
  /** Problems of the current content, when it was refused. */
  problems: RuleProblem[];
}

/**
 * The live rule set of a worker. Each file is its own unit: a file whose new content has any
 * problem is refused as a whole and its last good version keeps running, while other files'
 * changes go live. The set a batch sees is swapped by reference, so it is always one consistent
 * version — never half a reload.
 */
export class RuleStore {
  private files = new Map<string, FileState>();
  private live: readonly CompiledRule[] = [];
  private versionNo = 0;

  constructor(
    private readonly paths: readonly string[],
    private readonly validate: ValidateFunction<Rule>,
  ) {}

  get rules(): readonly CompiledRule[] {
    return this.live;
  }

  get version(): number {
    return this.versionNo;
  }

  /** Problems of the files currently refused. */
  get problems(): RuleProblem[] {
    return [...this.files.values()].flatMap((f) => f.problems);
  }

  /** Re-reads every rule file; only files whose content changed are recompiled. */
  reload(): ReloadReport {
    const report: ReloadReport = { version: this.versionNo, applied: [], rejected: [], removed: [], rules: 0 };
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
      const compiled = loadRuleText(text, file, this.validate, problems);
      if (problems.length === 0) {
        this.files.set(file, { hash, good: compiled, problems: [] });
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

  /** Builds the next live set; a rule id defined again in a later file is refused there. */
  private rebuild(report: ReloadReport): void {
    const byId = new Map<string, string>();
    const next: CompiledRule[] = [];
    for (const [file, state] of [...this.files.entries()].sort(([a], [b]) => (a < b ? -1 : 1))) {
      const dupes = (state.good ?? []).filter(({ rule }) => byId.has(rule.id) && byId.get(rule.id) !== file);
      if (dupes.length > 0) {
        const problems = dupes.map(({ rule, idPos }) => ({
          code: 'HAETAE_RULE_DUPLICATE_ID' as const, file, ...idPos,
          message: `rule id '${rule.id}' is already defined in ${byId.get(rule.id)}`, keyPath: ['id'],
        }));
        state.problems = problems;
        report.rejected.push({ file, problems });
        report.applied = report.applied.filter((f) => f !== file);
        continue;
      }
      for (const { rule } of state.good ?? []) {
        byId.set(rule.id, file);
        next.push(rule);
      }
    }
    this.live = next;
    this.versionNo++;
  }
}
