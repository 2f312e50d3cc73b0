import fs from 'node:fs';
import path from 'node:path';
import Ajv from 'ajv';
import YAML from 'yaml';
import ruleSchema from '../../../schemas/rule.schema.json';
import correlationSchema from '../../../schemas/correlation.schema.json';
import filterSchema from '../../../schemas/filter.schema.json';
import ruleFileSchema from '../../../schemas/rule-file.schema.json';
import { findRuleFiles } from '../../../pipeline/detect/load';

const ROOT = path.join(__dirname, '..', '..', '..');

/** The published schemas as an editor's YAML language server would use them: rule-file.schema.json picks one per document. */
function validator() {
  const ajv = new Ajv({ allErrors: true, strict: true, strictTuples: false, allowUnionTypes: true });
  for (const s of [ruleSchema, correlationSchema, filterSchema]) ajv.addSchema(s, path.basename(s.$id));
  return ajv.compile(ruleFileSchema);
}

describe('published rule schemas (schemas/rule-file.schema.json → rule, correlation, filter)', () => {
  const validate = validator();

  it('accept every YAML document of the shipped pack (rules/**/*.yml)', () => {
    const files = findRuleFiles([path.join(ROOT, 'rules')]);
    expect(files.length).toBeGreaterThan(10);
    const refused: string[] = [];
    let docs = 0;
    for (const file of files) {
      for (const doc of YAML.parseAllDocuments(fs.readFileSync(file, 'utf8'))) {
        const value: unknown = doc.toJS();
        if (value === null) continue;
        docs++;
        if (!validate(value)) refused.push(`${path.relative(ROOT, file)}: ${JSON.stringify(validate.errors?.slice(0, 3))}`);
      }
    }
    expect(refused).toEqual([]);
    expect(docs).toBeGreaterThan(files.length);
  });

  it('accept a correlation with value assertions and a Sigma filter; refuse unknown keys in expected alerts', () => {
    const correlation = {
      title: 'Many users', id: '4f1c8a52-2a7e-4b0e-9d43-6d9b3c1f7a12',
      correlation: { type: 'value_count', rules: ['a'], 'group-by': ['source.ip'], timespan: '5m', condition: { gte: 3, field: 'user.name' } },
      tests: [{ events: [{ event: { message: 'x' }, at: '2026-11-22T10:00:00Z', repeat: 3, every: '1s' }], alerts: [{ group: { 'source.ip': '1.2.3.4' }, count: 3, value: 3 }] }],
    };
    expect(validate(correlation)).toBe(true);
    const filter = { title: 'Not the backup host', logsource: { product: 'linux' }, filter: { rules: ['a'], host: { 'host.hostname': 'backup1' }, condition: 'host' } };
    expect(validate(filter)).toBe(true);
    const bogus = { ...correlation, tests: [{ ...correlation.tests[0], alerts: [{ value: 99, bogus: 1 }] }] };
    expect(validate(bogus)).toBe(false);
    expect(validate.errors?.map((e) => e.params)).toContainEqual({ additionalProperty: 'bogus' });
    // Without `at`, a timeline event is refused, as `rules validate` refuses it.
    expect(validate({ ...correlation, tests: [{ events: [{ event: {} }], alerts: [] }] })).toBe(false);
  });
});
