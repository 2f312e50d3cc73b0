import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { parseCorrelation } from '../../../pipeline/correlate/parse';
import { resolveCorrelations } from '../../../pipeline/correlate/resolve';
import { parseTimespan } from '../../../pipeline/correlate/timespan';
import { rule } from './helpers';

const EXAMPLES = path.join(__dirname, '..', '..', '..', '..', 'shared', 'data', 'sigma-specification', 'tests', 'schema', 'correlation');

describe('parseCorrelation on the Sigma specification examples', () => {
  const files = fs.readdirSync(EXAMPLES).filter((f) => f.endsWith('.yml')).sort();

  it('finds the examples', () => {
    expect(files).toEqual(expect.arrayContaining(['event_count.yml', 'temporal_ordered.yml', 'value_count.yml', 'value_percentile.yml']));
  });

  it.each(files)('%s parses without problems', (file) => {
    const docs = YAML.parseAllDocuments(fs.readFileSync(path.join(EXAMPLES, file), 'utf8'));
    const list = Array.isArray(docs) ? docs : [docs];
    const correlations = list.map((d) => d.toJS() as unknown).filter((d) => typeof d === 'object' && d !== null && 'correlation' in d);
    expect(correlations.length).toBeGreaterThan(0);
    for (const doc of correlations) {
      const parsed = parseCorrelation(doc);
      expect(parsed.problems).toEqual([]);
      expect(parsed.rule?.title).toBe((doc as unknown as { title: string }).title);
    }
  });

  it('reads the event_count example into the model', () => {
    const r = parseCorrelation(YAML.parse(fs.readFileSync(path.join(EXAMPLES, 'event_count.yml'), 'utf8'))).rule!;
    expect(r).toMatchObject({
      id: '0e95725d-7320-415d-80f7-004da920fc11',
      type: 'event_count',
      rules: ['5638f7c0-ac70-491d-8465-2a65075e0d86'],
      groupBy: ['ComputerName'],
      timespan: { spec: '1h', ms: 3_600_000 },
      condition: { comparisons: [{ op: 'gte', value: 100 }] },
      generate: false,
    });
  });

  it('gives temporal rules the default condition "all referenced rules"', () => {
    const r = parseCorrelation(YAML.parse(fs.readFileSync(path.join(EXAMPLES, 'temporal.yml'), 'utf8'))).rule!;
    expect(r.condition.comparisons).toEqual([{ op: 'gte', value: 3 }]);
  });

  it('parses the multi-document chain from the specification and resolves it', () => {
    const text = `
title: Correlation - Multiple Failed Logins Followed by Successful Login
id: b180ead8-d58f-40b2-ae54-c8940995b9b6
correlation:
    type: temporal_ordered
    rules: [multiple_failed_login, successful_login]
    group-by: [User]
    timespan: 10m
level: high
---
title: Multiple failed logons
id: a8418a5a-5fc4-46b5-b23b-6c73beb19d41
name: multiple_failed_login
correlation:
    type: event_count
    rules: [failed_login]
    group-by: [User]
    timespan: 10m
    condition:
        gte: 10
---
title: Single failed login
id: 53ba33fd-3a50-4468-a5ef-c583635cfa92
name: failed_login
detection: { selection: { EventID: [529, 4625] }, condition: selection }
`;
    const docs = YAML.parseAllDocuments(text);
    const list = (Array.isArray(docs) ? docs : [docs]).map((d) => d.toJS() as Record<string, unknown>);
    const rules = list.filter((d) => 'correlation' in d).map((d) => parseCorrelation(d).rule!);
    expect(rules).toHaveLength(2);
    const known = [{ id: '53ba33fd-3a50-4468-a5ef-c583635cfa92', name: 'failed_login' }, { id: '4d0a2c83-c62c-4ed4-b475-c7e23a9269b8', name: 'successful_login' }];
    const res = resolveCorrelations(rules, known);
    expect(res.problems).toEqual([]);
    expect(res.order.map((r) => r.name ?? r.id)).toEqual(['multiple_failed_login', 'b180ead8-d58f-40b2-ae54-c8940995b9b6']);
  });
});

describe('parseCorrelation problems', () => {
  const base = {
    title: 'Brute force',
    id: 'bf',
    correlation: { type: 'event_count', rules: ['failed_login'], 'group-by': ['source.ip'], timespan: '5m', condition: { gte: 5 } },
  };
  const withCorrelation = (patch: Record<string, unknown>, drop: string[] = []): unknown => {
    const c: Record<string, unknown> = { ...base.correlation, ...patch };
    for (const k of drop) delete c[k];
    return { ...base, correlation: c };
  };

  it('accepts the base document', () => {
    expect(parseCorrelation(base).problems).toEqual([]);
  });

  it.each([
    ['missing group-by', withCorrelation({}, ['group-by']), "missing required key 'group-by'", ['correlation', 'group-by']],
    ['unknown type', withCorrelation({ type: 'event_sum' }), "unknown correlation type 'event_sum' (expected one of: event_count, value_count, temporal, temporal_ordered, value_sum, value_avg, value_percentile)", ['correlation', 'type']],
    ['bad timespan unit', withCorrelation({ timespan: '5x' }), "timespan '5x' has unknown unit 'x': use s, m, h or d", ['correlation', 'timespan']],
    ['timespan without unit', withCorrelation({ timespan: 300 }), "timespan '300' is invalid: use a whole number and a unit (s, m, h, d), e.g. \"5m\"", ['correlation', 'timespan']],
    ['zero timespan', withCorrelation({ timespan: '0m' }), "timespan '0m' must be greater than zero", ['correlation', 'timespan']],
    ['value_count without field', withCorrelation({ type: 'value_count' }), 'value_count needs condition.field: the field whose values are counted', ['correlation', 'condition', 'field']],
    ['value_sum with two fields', withCorrelation({ type: 'value_sum', condition: { gt: 1, field: ['a', 'b'] } }), 'value_sum aggregates one numeric field, got 2', ['correlation', 'condition', 'field']],
    ['percentile out of range', withCorrelation({ type: 'value_percentile', condition: { field: 'x', percentile: 150, gte: 1 } }), 'condition percentile must be a whole number from 0 to 100, got number 150', ['correlation', 'condition', 'percentile']],
    ['percentile on another type', withCorrelation({ condition: { gte: 5, percentile: 90 } }), 'percentile only applies to value_percentile, not event_count', ['correlation', 'condition', 'percentile']],
    ['field on event_count', withCorrelation({ condition: { gte: 5, field: 'user.name' } }), 'event_count does not use condition.field (only value_count, value_sum, value_avg, value_percentile do)', ['correlation', 'condition', 'field']],
    ['non-numeric threshold', withCorrelation({ condition: { gte: 'five' } }), 'condition gte must be a number, got string "five"', ['correlation', 'condition', 'gte']],
    ['unknown condition key', withCorrelation({ condition: { gte: 5, greater: 3 } }), "unknown condition key 'greater' (allowed: gt, gte, lt, lte, eq, neq, field, percentile)", ['correlation', 'condition', 'greater']],
    ['condition without comparison', withCorrelation({ condition: {} }), 'condition needs a comparison (one of gt, gte, lt, lte, eq, neq)', ['correlation', 'condition']],
    ['missing condition', withCorrelation({}, ['condition']), 'event_count needs a condition (e.g. gte: 10)', ['correlation', 'condition']],
    ['string condition', withCorrelation({ condition: 'a and b' }), 'extended (string) correlation conditions are not supported; use a mapping such as {gte: 10}', ['correlation', 'condition']],
    ['unknown correlation key', withCorrelation({ groupby: ['x'] }), "unknown key 'groupby' in correlation (allowed: type, rules, group-by, timespan, condition, aliases, generate)", ['correlation', 'groupby']],
    ['duplicate rule', withCorrelation({ rules: ['a', 'a'] }), "rules[1] 'a' is listed twice", ['correlation', 'rules', 1]],
    ['empty rules', withCorrelation({ rules: [] }), 'rules must be a non-empty list of strings, got an empty list', ['correlation', 'rules']],
    ['non-boolean generate', withCorrelation({ generate: 'yes' }), 'generate must be true or false, got string "yes"', ['correlation', 'generate']],
    ['alias for an unlisted rule', withCorrelation({ aliases: { ip: { other_rule: 'source.ip' } } }), "alias 'ip' names rule 'other_rule', which is not in rules (failed_login)", ['correlation', 'aliases', 'ip', 'other_rule']],
  ])('%s', (_name, doc, message, keyPath) => {
    const parsed = parseCorrelation(doc);
    expect(parsed.rule).toBeUndefined();
    expect(parsed.problems).toContainEqual({ message, keyPath });
  });

  it('reports a missing title and correlation at the top level', () => {
    expect(parseCorrelation({ id: 'x' }).problems).toEqual([
      { message: "missing required key 'title'", keyPath: ['title'] },
      { message: "missing required key 'correlation'", keyPath: ['correlation'] },
    ]);
  });

  it('collects every problem of a document in one pass', () => {
    const parsed = parseCorrelation(withCorrelation({ type: 'value_count', timespan: '5x' }, ['group-by']));
    expect(parsed.problems.map((p) => p.keyPath.join('.'))).toEqual(['correlation.group-by', 'correlation.timespan', 'correlation.condition.field']);
  });

  it('defaults a missing percentile to the median with a warning (the spec example has none)', () => {
    const parsed = parseCorrelation(withCorrelation({ type: 'value_percentile', condition: { field: 'x', lte: 1 } }));
    expect(parsed.problems).toEqual([]);
    expect(parsed.rule?.condition.percentile).toBe(50);
    expect(parsed.warnings).toEqual([{ message: 'value_percentile without condition.percentile: using 50 (the median)', keyPath: ['correlation', 'condition', 'percentile'] }]);
  });

  it('reads a range as two comparisons joined by AND', () => {
    expect(parseCorrelation(withCorrelation({ condition: { gt: 100, lte: 200 } })).rule?.condition.comparisons).toEqual([{ op: 'gt', value: 100 }, { op: 'lte', value: 200 }]);
  });
});

describe('parseTimespan', () => {
  it.each([
    ['30s', 30_000],
    ['5m', 300_000],
    ['90m', 5_400_000],
    ['1h', 3_600_000],
    ['1d', 86_400_000],
  ])('%s is %d ms', (spec, ms) => {
    expect(parseTimespan(spec)).toEqual({ ok: true, timespan: { spec, ms } });
  });

  it('accepts the pySigma units w, M, y with a warning', () => {
    const r = parseTimespan('2w');
    expect(r).toMatchObject({ ok: true, timespan: { ms: 1_209_600_000 } });
    expect(r.ok && r.warning).toContain('pySigma extension');
  });

  it.each(['5x', '5', 'm5', '-5m', '1.5h', '5 m', ''])('rejects %j', (spec) => {
    expect(parseTimespan(spec).ok).toBe(false);
  });
});

describe('resolveCorrelations', () => {
  const known = [{ id: 'r-failed', name: 'failed_login' }, { id: 'r-ok', name: 'successful_login' }];

  it('reports unknown references with their key path', () => {
    const c = rule('title: t\nid: c1\ncorrelation: {type: event_count, rules: [failed_login, nope], group-by: [u], timespan: 5m, condition: {gte: 2}}');
    expect(resolveCorrelations([c], known).problems).toEqual([{ kind: 'unknown', rule: c, message: "rules[1] 'nope' matches no rule id or name", keyPath: ['correlation', 'rules', 1] }]);
  });

  it('reports reference cycles', () => {
    const a = rule('title: a\nname: corr_a\ncorrelation: {type: temporal, rules: [corr_b, failed_login], group-by: [u], timespan: 5m}');
    const b = rule('title: b\nname: corr_b\ncorrelation: {type: event_count, rules: [corr_a], group-by: [u], timespan: 5m, condition: {gte: 2}}');
    const problems = resolveCorrelations([a, b], known).problems;
    expect(problems).toEqual([{ kind: 'cycle', rule: b, message: "rules[0] 'corr_a' closes a reference cycle: corr_a → corr_b → corr_a", keyPath: ['correlation', 'rules', 0] }]);
  });

  it('reports a self-reference, and accepts a correlation without id or name', () => {
    const self = rule('title: s\nid: self\ncorrelation: {type: event_count, rules: [self], group-by: [u], timespan: 5m, condition: {gte: 2}}');
    const anon = rule('title: anonymous\ncorrelation: {type: event_count, rules: [failed_login], group-by: [u], timespan: 5m, condition: {gte: 2}}');
    const messages = resolveCorrelations([self, anon], known).problems.map((p) => p.message);
    // A correlation without id or name is keyed by its title (Sigma makes id optional).
    expect(messages).toEqual(["rules[0] 'self' closes a reference cycle: self → self"]);
  });

  it('reports a name shared by two rules as ambiguous', () => {
    const c = rule('title: t\nid: c1\ncorrelation: {type: event_count, rules: [failed_login], group-by: [u], timespan: 5m, condition: {gte: 2}}');
    const problems = resolveCorrelations([c], [...known, { id: 'r-other', name: 'failed_login' }]).problems;
    expect(problems.map((p) => p.message)).toEqual(["rules[0] 'failed_login' is ambiguous: 2 rules have this id or name"]);
  });
});
