import path from 'node:path';
import { compileValidators } from '../../schemas/validators';
import { formatProblem, loadRules } from '../../pipeline/detect/load';
import { runRuleTests } from '../../pipeline/detect/rule-tests';

/** The default rule pack ships with inline tests; CI runs every one of them. */
describe('the shipped rule pack', () => {
  const set = loadRules([path.join(__dirname, '..', '..', 'rules')], compileValidators().rule);
  const report = runRuleTests(set);

  it('loads without problems', () => {
    expect(set.problems.map(formatProblem)).toEqual([]);
  });

  it('has tests for every rule', () => {
    expect(report.untested).toEqual([]);
  });

  it.each(report.cases.map((c) => [`${c.ruleId} — ${c.name}`, c] as const))('%s', (_name, c) => {
    expect({ case: `${path.basename(c.file)}:${c.line}`, result: c.error ?? c.actual }).toEqual({ case: `${path.basename(c.file)}:${c.line}`, result: c.expected });
  });
});
