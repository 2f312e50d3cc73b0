import fs from 'node:fs';
import { compileValidators } from '../../../schemas/validators';
import { formatProblem, loadRules, loadRuleText, type RuleProblem } from '../../../pipeline/detect/load';
import { sharedData } from '../../support/shared-data';

const validators = compileValidators();
const SIGMAHQ = sharedData('sigmahq');

function load(text: string, placeholders?: Record<string, string[]>): { rules: ReturnType<typeof loadRuleText>; problems: RuleProblem[] } {
  const problems: RuleProblem[] = [];
  return { rules: loadRuleText(text, 'r.yml', validators.rule, problems, placeholders ? { placeholders } : {}), problems };
}

describe('modifiers at rule load', () => {
  it('rejects an unsupported regex with the RE2 message, the line and the key path', () => {
    const { rules, problems } = load("title: t\nid: re\ndetection:\n  sel:\n    message|re: 'a(?=b)'\n  condition: sel\n");
    expect(rules).toEqual([]);
    expect(formatProblem(problems[0]!)).toBe(
      'r.yml:5:5: lookahead and lookbehind ((?=, (?!, (?<=, (?<!) are not supported (RE2: linear-time matching) (at detection → sel → message|re)',
    );
  });

  it("reads a keyword search with modifiers ('|all')", () => {
    const { rules, problems } = load("title: t\nid: kw\ndetection:\n  keywords:\n    '|all':\n      - OabVirtualDirectory\n      - ' -ExternalUrl '\n  condition: keywords\n");
    expect(problems).toEqual([]);
    const r = rules[0]!.rule;
    expect(r.matches({ message: 'Set-OabVirtualDirectory -ExternalUrl http://x' })).toBe(true);
    expect(r.matches({ message: 'Set-OabVirtualDirectory' })).toBe(false);
  });

  it('passes the placeholder map through and names a missing placeholder', () => {
    const text = "title: t\nid: ex\ndetection:\n  sel:\n    user.name|expand: '%Administrators%'\n  condition: sel\n";
    const ok = load(text, { Administrators: ['root', 'admin*'] });
    expect(ok.problems).toEqual([]);
    expect(ok.rules[0]!.rule.matches({ user: { name: 'administrator' } })).toBe(true);
    const missing = load(text);
    expect(missing.problems[0]!.message).toBe("placeholder '%Administrators%' has no value (pass it in the placeholder map)");
    expect(missing.problems[0]!.keyPath).toEqual(['detection', 'sel', 'user.name|expand']);
  });

  // The SigmaHQ sample lives in the shared workspace, not in this repository.
  it('loads the SigmaHQ linux and network rules without an unknown modifier', () => {
    const set = loadRules([`${SIGMAHQ}/linux`, `${SIGMAHQ}/network`], validators.rule);
    expect(set.files.length).toBeGreaterThan(200);
    expect(set.problems.filter((p) => p.message.startsWith('unknown modifier')).map(formatProblem)).toEqual([]);
    // At the time of writing every one of the 263 rules compiles; other failures (logsource
    // mappings, …) are out of this test's scope, so it only guards against a regression in bulk.
    expect(set.rules.length).toBeGreaterThan(set.files.length * 0.9);
  });
});
