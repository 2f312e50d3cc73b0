import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { compileValidators } from '../../../schemas/validators';
import { formatProblem, loadRules } from '../../../pipeline/detect/load';
import { sharedData } from '../../support/shared-data';

const validators = compileValidators();
const specDir = sharedData('sigma-specification');

function dir(files: Record<string, string>): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'haetae-fc-'));
  for (const [n, t] of Object.entries(files)) fs.writeFileSync(path.join(d, n), t);
  return d;
}

const detection = 'title: Failed login\nid: failed-login\nname: failed_login\nlogsource: {product: linux}\ndetection:\n  sel:\n    message|contains: Failed password\n  condition: sel\n';

describe('Sigma filters', () => {
  it('tune a rule out for what the filter matches, by id or by name', () => {
    const set = loadRules([dir({
      'a.yml': detection,
      'f.yml': "title: Ignore the scanner\nlogsource: {product: linux}\nfilter:\n  rules: [failed_login]\n  scanner:\n    message|contains: 'from 10.9.9.9'\n  condition: scanner\n",
    })], validators.rule);
    expect(set.problems.map(formatProblem)).toEqual([]);
    expect(set.filters).toBe(1);
    const rule = set.rules[0]!;
    expect(rule.matches({ message: 'Failed password for root from 203.0.113.5' })).toBe(true);
    expect(rule.matches({ message: 'Failed password for root from 10.9.9.9' })).toBe(false);
    expect(rule.explain({ message: 'Failed password for root from 10.9.9.9' }).selections).toContainEqual({ name: 'filter: Ignore the scanner', matched: true });
  });

  it('report a filter naming a rule that is not loaded, at that entry', () => {
    const d = dir({ 'a.yml': detection, 'f.yml': 'title: F\nlogsource: {product: linux}\nfilter:\n  rules:\n    - failed-login\n    - no-such-rule\n  s:\n    message: x\n  condition: s\n' });
    const set = loadRules([d], validators.rule);
    expect(set.problems.map(formatProblem)).toEqual([`${path.join(d, 'f.yml')}:6:7: filter 'F' names rule 'no-such-rule', which is not loaded (at filter → rules → 1)`]);
  });

  it('load the specification example filter', () => {
    const file = path.join(specDir, 'tests', 'schema', 'filter', 'filter_1.yml');
    const set = loadRules([file], validators.rule);
    // The rules it names are Windows rules we do not ship: the filter itself is valid.
    expect(set.problems.every((p) => p.message.includes('which is not loaded'))).toBe(true);
  });
});

describe('correlation rules in rule files', () => {
  it('load next to the detection rules they use and resolve by id or name', () => {
    const set = loadRules([dir({
      'a.yml': detection,
      'c.yml': 'title: Brute force\nid: bf\ncorrelation:\n  type: event_count\n  rules: [failed_login]\n  group-by: [host.hostname]\n  timespan: 5m\n  condition: {gte: 10}\n',
    })], validators.rule);
    expect(set.problems.map(formatProblem)).toEqual([]);
    expect(set.correlations.map((c) => c.key)).toEqual(['bf']);
  });

  it('point at a bad timespan and at an unknown rule reference', () => {
    const d = dir({ 'a.yml': detection, 'c.yml': 'title: Bad\nid: bad\ncorrelation:\n  type: event_count\n  rules: [failed_login]\n  group-by: [host.hostname]\n  timespan: 5x\n  condition: {gte: 10}\n---\ntitle: Dangling\nid: dangling\ncorrelation:\n  type: event_count\n  rules: [nothing_here]\n  group-by: [host.hostname]\n  timespan: 5m\n  condition: {gte: 2}\n' });
    const set = loadRules([d], validators.rule);
    const text = set.problems.map(formatProblem);
    expect(text[0]).toMatch(new RegExp(`^${path.join(d, 'c.yml').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:7:3: .*5x`));
    expect(text[1]).toBe(`${path.join(d, 'c.yml')}:14:11: rules[0] 'nothing_here' matches no rule id or name (at correlation → rules → 0)`);
    expect(set.correlations).toEqual([]);
  });

  it('accept every correlation example of the specification', () => {
    const exampleDir = path.join(specDir, 'tests', 'schema', 'correlation');
    for (const f of fs.readdirSync(exampleDir)) {
      const set = loadRules([path.join(exampleDir, f)], validators.rule);
      // Examples reference rules defined elsewhere; only unresolved references may be reported.
      const other = set.problems.filter((p) => !/matches no rule id or name/.test(p.message));
      expect([f, other.map(formatProblem)]).toEqual([f, []]);
    }
  });
});
