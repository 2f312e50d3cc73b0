import { compileValidators } from '../../../../schemas/validators';
import { loadRuleText, type CompiledRule, type RuleProblem } from '../../../../pipeline/detect/load';
import { createMatcher, matchRules, matchRulesBruteForce } from '../../../../pipeline/detect/match';
import { RuleIndex } from '../../../../pipeline/detect/rule-index';

const validators = compileValidators();

function rule(id: string, detection: string): CompiledRule {
  const problems: RuleProblem[] = [];
  const out = loadRuleText(`title: ${id}\nid: ${id}\ndetection:\n${detection}`, `${id}.yml`, validators.rule, problems);
  expect(problems).toEqual([]);
  return out[0]!.rule;
}

const sshd = rule('sshd-fail', "  p:\n    process.name: sshd\n  f:\n    message|contains: 'Failed password'\n  condition: p and f\n");
const sudo = rule('sudo', "  p:\n    process.name: sudo\n  condition: p\n");
const anyNot = rule('not-cron', "  p:\n    process.name: cron\n  condition: not p\n");
const event = (name: string, message: string): object => ({ process: { name }, message });

describe('matchRules with the index', () => {
  it('returns the matching rules in rule order, like the brute-force loop', () => {
    const rules = [anyNot, sudo, sshd];
    const e = event('sshd', 'Failed password for root');
    expect(matchRules(rules, e, () => undefined).map((r) => r.id)).toEqual(['not-cron', 'sshd-fail']);
    expect(matchRulesBruteForce(rules, e, () => undefined).map((r) => r.id)).toEqual(['not-cron', 'sshd-fail']);
    expect(matchRules(rules, event('cron', 'x'), () => undefined)).toEqual([]);
  });

  it('evaluates only candidates', () => {
    const index = new RuleIndex([anyNot, sudo, sshd]);
    expect(index.stats).toMatchObject({ rules: 3, indexed: 2, always: 1 });
    expect(index.candidates(event('sudo', 'x'))).toEqual([0, 1]);
    expect(index.candidates(event('sshd', 'Accepted'))).toEqual([0]); // needs both the name and the text
    expect(index.candidates(event('SSHD', 'FAILED PASSWORD'))).toEqual([0, 2]);
  });

  it('still reports a rule that throws and treats it as not matching', () => {
    const boom: CompiledRule = { ...sudo, id: 'boom', matches: () => { throw new Error('bad rule'); } };
    const errors: Array<[string, string]> = [];
    const hits = matchRules([boom, sshd], event('sudo', 'Failed password'), (r, err) => errors.push([r.id, (err as Error).message]));
    expect(hits).toEqual([]);
    expect(errors).toEqual([['boom', 'bad rule']]);
    // A hand-built rule without a source document is evaluated for every event.
    const bare = { id: 'bare', matches: () => { throw new Error('no source'); } } as unknown as CompiledRule;
    const errs: string[] = [];
    matchRules([bare], {}, (r) => errs.push(r.id));
    expect(errs).toEqual(['bare']);
  });

  it('builds one index per rule array, so a reloaded set (a new array) gets a new one', () => {
    const first = [sudo];
    const e = event('sshd', 'Failed password');
    expect(matchRules(first, e, () => undefined)).toEqual([]);
    const second = [sudo, sshd];
    expect(matchRules(second, e, () => undefined).map((r) => r.id)).toEqual(['sshd-fail']);
    // An array grown in place is noticed too.
    first.push(sshd);
    expect(matchRules(first, e, () => undefined).map((r) => r.id)).toEqual(['sshd-fail']);
    const match = createMatcher(second);
    expect(match(e, () => undefined).map((r) => r.id)).toEqual(['sshd-fail']);
  });

  it('handles list-valued and numeric fields', () => {
    const tag = rule('tag', "  s:\n    tags|contains: 'brute'\n  condition: s\n");
    const port = rule('port', '  s:\n    source.port: 22\n  condition: s\n');
    const index = new RuleIndex([tag, port]);
    expect(index.match({ tags: ['x', 'BruteForce'], source: { port: 22 } }, () => undefined).map((r) => r.id)).toEqual(['tag', 'port']);
    expect(index.match({ tags: ['x'], source: { port: '22' } }, () => undefined).map((r) => r.id)).toEqual(['port']);
    expect(index.match({ tags: 'brute', source: { port: 23 } }, () => undefined).map((r) => r.id)).toEqual(['tag']);
  });

  it('cidr keys agree with the cidr modifier on every network × address pair', () => {
    const nets = ['10.0.0.0/8', '10.1.0.0/16', '10.1.2.3', '::ffff:0:0/96', '192.0.2.0/24', 'fe80::/10', '0.0.0.0/0', '::/0', '2001:db8::/32'];
    const addresses = ['10.1.2.3', ' 10.1.2.3 ', '010.1.2.3', '::ffff:a01:203', '::ffff:10.1.2.3', '192.0.2.1', 'fe80::1%eth0', '::1', '2001:db8::5', 'x', 3, ['192.0.2.7', 'fe80::9']];
    const rules = nets.map((n, i) => rule(`net${i}`, `  s:\n    source.ip|cidr: '${n}'\n  condition: s\n`));
    const index = new RuleIndex(rules);
    expect(index.stats.always).toBe(0);
    for (const a of addresses) {
      const e = { source: { ip: a } };
      expect(index.match(e, () => undefined).map((r) => r.id)).toEqual(matchRulesBruteForce(rules, e, () => undefined).map((r) => r.id));
    }
  });
});
