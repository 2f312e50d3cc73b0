import path from 'node:path';
import YAML from 'yaml';
import { compileValidators } from '../../../../schemas/validators';
import { formatProblem, loadRules, loadRuleText, type RuleProblem, type RuleSet } from '../../../../pipeline/detect/load';
import { runRuleTests } from '../../../../pipeline/detect/rule-tests';
import { applyProfiles, checkReachability, eventFieldSet, loadMappingProfiles } from '../../../../pipeline/detect/mapping';

const ROOT = path.join(__dirname, '..', '..', '..', '..');

/** Our own rules are written against ECS: the profiles must not change what they match. */
describe('the shipped rule pack under the shipped mapping profiles', () => {
  const validate = compileValidators().rule;
  const { profiles } = loadMappingProfiles(path.join(ROOT, 'rules', 'mappings'));
  const original = loadRules([path.join(ROOT, 'rules', 'linux'), path.join(ROOT, 'rules', 'network')], validate);
  const problems: RuleProblem[] = [];
  const rules = original.rules.flatMap((r) => {
    const mapped = applyProfiles(r.source, profiles);
    expect(checkReachability(r.source, mapped, eventFieldSet())).toMatchObject({ reachable: true, status: 'live' });
    return loadRuleText(YAML.stringify(mapped.rule), r.file, validate, problems).map((x) => x.rule);
  });
  const set: RuleSet = { ...original, rules, problems };

  it('compiles every rule after mapping', () => {
    expect(original.problems.map(formatProblem)).toEqual([]);
    expect(problems.map(formatProblem)).toEqual([]);
    expect(rules).toHaveLength(original.rules.length);
  });

  it('still passes every inline test case', () => {
    const report = runRuleTests(set);
    expect(report.cases.filter((c) => c.actual !== c.expected).map((c) => `${c.ruleId} — ${c.name}`)).toEqual([]);
    expect(report.passed).toBeGreaterThan(0);
  });
});
