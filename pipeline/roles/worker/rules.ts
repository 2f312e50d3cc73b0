import fs from 'node:fs';
import path from 'node:path';
import type { LoadedConfig } from '../../config/load';
import type { Validators } from '../../../schemas/validators';
import type { Logger } from '../../telemetry/logger';
import type { Metrics } from '../../telemetry/metrics';
import { messageOf } from '../../errors/catalog';
import { formatProblem } from '../../detect/load';
import { RuleStore, type ReloadReport } from '../../detect/rule-store';
import { watchRulePaths } from '../../detect/watch';

/**
 * Loads the rules and keeps them current: every change under the rule paths is validated and
 * swapped in atomically; a refused change is logged with file:line:col, counted, shown on
 * /rules, and the file's last good version keeps running. No restart, no lost events.
 */
export function startRuleStore(loaded: LoadedConfig, validators: Validators, log: Logger, metrics: Metrics): { store: RuleStore; close(): void } {
  const paths = loaded.config.worker.rulesPath.map((p) => path.resolve(loaded.baseDir, p));
  const mappingsDir = path.resolve(loaded.baseDir, loaded.config.worker.mappingsPath);
  const store = new RuleStore(paths, validators.rule, fs.existsSync(mappingsDir) ? mappingsDir : null);
  if (!fs.existsSync(mappingsDir)) log.info({ mappingsPath: mappingsDir }, 'No mapping profiles: rules use their field names as written.');
  const apply = (initial: boolean): void => {
    let report: ReloadReport;
    try {
      report = store.reload();
    } catch (err) {
      metrics.ruleReloads.inc({ result: 'rejected' });
      log.error(`Reading the rules failed; the previous rules keep running: ${messageOf(err)}`);
      if (initial) throw err;
      return;
    }
    for (const { problems } of report.rejected) {
      for (const p of problems) {
        metrics.errors.inc({ stage: 'rules', error_type: p.code });
        log.error({ code: p.code, file: p.file, line: p.line, column: p.column }, `Rule ${initial ? 'rejected' : 'change rejected, the last good version keeps running'}: ${formatProblem(p)}`);
      }
    }
    if (report.rejected.length > 0) metrics.ruleReloads.inc({ result: 'rejected' });
    if (report.applied.length > 0 || report.removed.length > 0) metrics.ruleReloads.inc({ result: 'applied' });
    metrics.rulesLoaded.set(store.rules.length);
    metrics.ruleFilesRejected.set(new Set(store.problems.map((p) => p.file)).size);
    if (initial) {
      log.info({ rules: report.rules, rejectedFiles: report.rejected.length }, `Loaded ${report.rules} rules.`);
    } else if (report.applied.length > 0 || report.removed.length > 0) {
      log.info({ version: report.version, applied: report.applied, removed: report.removed, rules: report.rules }, `Rules reloaded: version ${report.version}, ${report.rules} rules live.`);
    }
  };
  apply(true);
  const watcher = watchRulePaths(fs.existsSync(mappingsDir) ? [...paths, mappingsDir] : paths, () => apply(false));
  return { store, close: () => watcher.close() };
}
