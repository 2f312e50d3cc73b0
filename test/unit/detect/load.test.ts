import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { compileValidators } from '../../../schemas/validators';
import { formatProblem, loadRules, loadRuleText, type RuleProblem } from '../../../pipeline/detect/load';

const validators = compileValidators();

function load(text: string): { rules: ReturnType<typeof loadRuleText>; problems: RuleProblem[] } {
  const problems: RuleProblem[] = [];
  return { rules: loadRuleText(text, 'r.yml', validators.rule, problems), problems };
}

const event = (message: string, process?: string): object => ({ message, ...(process ? { process: { name: process } } : {}) });

describe('rule loading', () => {
  it('compiles a rule whose selections combine with and/or/not', () => {
    const { rules, problems } = load(`
title: t
id: r1
detection:
  prog:
    process.name: sshd
  bad:
    message|contains:
      - Failed password
      - Invalid user
  noise:
    message|startswith: 'Failed password for test'
  condition: prog and bad and not noise
`);
    expect(problems).toEqual([]);
    const rule = rules[0]!.rule;
    expect(rule.matches(event('Failed password for root from 10.0.0.1', 'sshd'))).toBe(true);
    expect(rule.matches(event('Invalid user admin', 'sshd'))).toBe(true);
    expect(rule.matches(event('Failed password for test from 10.0.0.1', 'sshd'))).toBe(false);
    expect(rule.matches(event('Failed password for root', 'cron'))).toBe(false);
  });

  it('treats a list of plain values as keywords searched in message', () => {
    const { rules } = load('title: t\nid: k\ndetection:\n  keywords:\n    - segfault\n    - oom-killer\n  condition: keywords\n');
    expect(rules[0]!.rule.matches(event('kernel: app[1]: segfault at 0'))).toBe(true);
    expect(rules[0]!.rule.matches(event('all good'))).toBe(false);
  });

  it('requires every value with |all and checks existence with |exists', () => {
    const { rules } = load(`
title: t
id: a
detection:
  sel:
    message|contains|all: [alpha, beta]
    host.hostname|exists: true
  condition: sel
`);
    const r = rules[0]!.rule;
    expect(r.matches({ message: 'alpha and beta', host: { hostname: 'h' } })).toBe(true);
    expect(r.matches({ message: 'alpha only', host: { hostname: 'h' } })).toBe(false);
    expect(r.matches({ message: 'alpha and beta' })).toBe(false);
  });

  it('points at the line and column of an unknown selection in the condition', () => {
    const { problems } = load('title: t\nid: c\ndetection:\n  sel:\n    message: x\n  condition: sel and missing\n');
    expect(problems).toHaveLength(1);
    expect(formatProblem(problems[0]!)).toBe(
      "r.yml:6:3: condition refers to unknown selection 'missing' (defined: sel) (at detection → condition)",
    );
  });

  it('names the key of an unknown modifier', () => {
    const { problems } = load('title: t\nid: m\ndetection:\n  sel:\n    message|bogus: x\n  condition: sel\n');
    expect(problems[0]).toMatchObject({ line: 5, column: 5, keyPath: ['detection', 'sel', 'message|bogus'] });
    expect(problems[0]!.message).toMatch(/^unknown modifier 'bogus' \(supported: contains, /);
  });

  it('reports schema violations at the offending key', () => {
    const { problems } = load('title: t\nid: s\nlevel: severe\ndetection:\n  sel:\n    message: x\n  condition: sel\n');
    expect(problems[0]).toMatchObject({ code: 'HAETAE_RULE_INVALID', line: 3, column: 1, keyPath: ['level'] });
    expect(problems[0]!.message).toContain('must be equal to one of the allowed values');
  });

  it('compiles the haetae block, and refuses a throttle without a group to throttle', () => {
    const ok = load('title: t\nid: h\nlevel: low\ndetection:\n  s: {message: x}\n  condition: s\nhaetae:\n  severity: high\n  channels: [webhook]\n  group-by: [host.hostname]\n  throttle: 15m\n');
    expect(ok.rules[0]!.rule.alerting).toEqual({ severity: 'high', channels: ['webhook'], groupBy: ['host.hostname'], throttleMs: 900_000 });
    const bad = load('title: t\nid: h\ndetection:\n  s: {message: x}\n  condition: s\nhaetae:\n  throttle: 15m\n');
    expect(bad.problems.map(formatProblem)).toEqual(['r.yml:7:3: throttle needs group-by: it limits alerts per group (at haetae → throttle)']);
    const typo = load('title: t\nid: h\ndetection:\n  s: {message: x}\n  condition: s\nhaetae:\n  throtle: 15m\n');
    expect(typo.problems[0]).toMatchObject({ line: 7, column: 3, keyPath: ['haetae', 'throtle'] });
  });

  it('rejects duplicate keys instead of silently keeping the last one', () => {
    const { problems } = load('title: t\nid: d\ndetection:\n  sel:\n    message: x\n  sel:\n    message: y\n  condition: sel\n');
    expect(problems[0]).toMatchObject({ code: 'HAETAE_RULE_YAML', line: 6 });
    expect(problems[0]!.message).toMatch(/unique/i);
  });

  it('loads several rules from one file separated by ---, and rejects a duplicate id across files', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'haetae-rules-'));
    fs.writeFileSync(path.join(dir, 'a.yml'), 'title: a\nid: one\ndetection:\n  s: {message: a}\n  condition: s\n---\ntitle: b\nid: two\ndetection:\n  s: {message: b}\n  condition: s\n');
    fs.writeFileSync(path.join(dir, 'b.yaml'), 'title: c\nid: one\ndetection:\n  s: {message: c}\n  condition: s\n');
    const set = loadRules([dir], validators.rule);
    expect(set.rules.map((r) => r.id)).toEqual(['one', 'two']);
    expect(set.problems).toHaveLength(1);
    expect(set.problems[0]!.message).toContain("rule id 'one' is already defined in");
  });

  it('accepts the shipped rule pack without problems', () => {
    const set = loadRules([path.join(__dirname, '..', '..', '..', 'rules')], validators.rule);
    expect(set.problems.map(formatProblem)).toEqual([]);
    expect(set.rules.length).toBeGreaterThanOrEqual(3);
  });
});
