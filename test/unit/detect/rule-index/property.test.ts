/**
 * The index is conservative: on random rules from a small grammar and random events, the indexed
 * matcher returns exactly what evaluating every rule returns (same rules, same order).
 */
import fc from 'fast-check';
import YAML from 'yaml';
import { compileValidators } from '../../../../schemas/validators';
import { loadRuleText, type CompiledRule, type RuleProblem } from '../../../../pipeline/detect/load';
import { matchRulesBruteForce } from '../../../../pipeline/detect/match';
import { RuleIndex } from '../../../../pipeline/detect/rule-index';

const validators = compileValidators();

// Characters chosen to hit the edge cases: case, the long s (ſ), the Kelvin sign (K), final sigma,
// wildcards and escapes, regex metacharacters.
const CHARS = ['a', 'b', 'A', 'B', 's', 'S', 'ſ', 'k', 'K', 'Σ', 'σ', 'ς', ' ', '-', '/', '.'];
const text = (max = 5): fc.Arbitrary<string> => fc.string({ unit: fc.constantFrom(...CHARS), maxLength: max });
const pattern = fc.array(fc.oneof(fc.constantFrom(...CHARS), fc.constantFrom('*', '?', '\\*', '\\')), { maxLength: 5 }).map((p) => p.join(''));
const regex = fc.array(fc.constantFrom('a', 'b', 'A', 's', 'k', 'K', 'ſ', '.', '.*', '?', '+', '^', '$', '|', '\\.', '\\d', '\\s', '\\b', '[ab]', '[^a]', '[[:alpha:]]', '(a|s)', '(aab|bsk)', '(?:kab|ab)', '(?<n>aaa|bbb)+', '(?i)', '(?:ab)?', ' ', '{2}', '{0,1}', '+?'), { maxLength: 6 }).map((p) => p.join(''));

const STRING_FIELDS = ['message', 'process.name', 'host.name', 'tags'];
const item: fc.Arbitrary<[string, unknown]> = fc.oneof(
  fc.tuple(fc.constantFrom(...STRING_FIELDS), fc.constantFrom('', '|contains', '|startswith', '|endswith', '|cased', '|contains|cased', '|neq', '|contains|neq', '|windash|contains'), fc.oneof(pattern, fc.array(pattern, { minLength: 1, maxLength: 3 })))
    .map(([f, m, v]): [string, unknown] => [f + m, v]),
  fc.tuple(fc.constantFrom(...STRING_FIELDS), fc.array(text(), { minLength: 2, maxLength: 3 })).map(([f, v]): [string, unknown] => [`${f}|contains|all`, v]),
  fc.tuple(fc.constantFrom(...STRING_FIELDS), fc.constantFrom('|re', '|re|i'), regex).map(([f, m, v]): [string, unknown] => [f + m, v]),
  fc.tuple(fc.constantFrom(...STRING_FIELDS, 'source.port'), fc.boolean()).map(([f, b]): [string, unknown] => [`${f}|exists`, b]),
  fc.tuple(fc.constantFrom('source.port', 'event.code'), fc.oneof(fc.integer({ min: 0, max: 3 }), fc.constantFrom('1', '02', true))).map(([f, v]): [string, unknown] => [f, v]),
  fc.tuple(fc.constantFrom('source.ip|cidr', 'tags|cidr', 'message|cidr'), fc.constantFrom('10.0.0.0/8', '10.1.0.0/16', '::ffff:0:0/96', '192.0.2.0/24', 'fe80::/10', '0.0.0.0/0', '::/0')).map(([f, v]): [string, unknown] => [f, v]),
  fc.constantFrom<[string, unknown]>(['source.port|gt', 1], ['host.name', null], ['|all', ['a', 'b']], ['process.name|fieldref', 'host.name']),
);
const selection: fc.Arbitrary<unknown> = fc.oneof(
  fc.array(item, { minLength: 1, maxLength: 3 }).map((items) => Object.fromEntries(items)),
  fc.array(fc.array(item, { minLength: 1, maxLength: 2 }).map((items) => Object.fromEntries(items)), { minLength: 1, maxLength: 3 }),
  fc.array(pattern, { minLength: 1, maxLength: 3 }),
);
const NAMES = ['sel_a', 'sel_b', 'filter'];
const condition: fc.Arbitrary<string> = fc.letrec<{ c: string }>((tie) => ({
  c: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constantFrom(...NAMES, '1 of sel_*', 'all of sel_*', '1 of them', 'all of them'),
    fc.tuple(tie('c'), tie('c')).map(([a, b]) => `(${a} and ${b})`),
    fc.tuple(tie('c'), tie('c')).map(([a, b]) => `(${a} or ${b})`),
    tie('c').map((a) => `not ${a}`),
  ),
})).c;
const rule = fc.record({ sel_a: selection, sel_b: selection, filter: selection, condition: fc.oneof(condition, fc.array(condition, { minLength: 1, maxLength: 2 })) });

const maybe = <T>(a: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> => fc.option(a, { nil: undefined });
const event = fc.record({
  message: maybe(fc.oneof(text(12), fc.integer({ min: 0, max: 3 }))),
  process: maybe(fc.record({ name: maybe(text(4)) })),
  host: maybe(fc.record({ name: maybe(fc.oneof(text(4), fc.constant(null))) })),
  tags: maybe(fc.array(text(4), { maxLength: 3 })),
  source: maybe(fc.record({ port: maybe(fc.oneof(fc.integer({ min: 0, max: 3 }), fc.constantFrom('1', '02', 'true'))), ip: maybe(fc.oneof(fc.constantFrom('10.1.2.3', '::ffff:a01:203', '192.0.2.1', ' 10.0.0.1 ', 'fe80::1%eth0', '010.1.2.3', '::1', 'x'), fc.array(fc.constantFrom('10.1.2.3', '192.0.2.9', 'fe80::2'), { maxLength: 2 }), fc.constant(3))) })),
  event: maybe(fc.record({ code: maybe(fc.oneof(fc.integer({ min: 0, max: 3 }), fc.boolean(), fc.constant('TRUE'))) })),
}, { requiredKeys: [] });

function compile(detections: unknown[]): CompiledRule[] {
  const out: CompiledRule[] = [];
  detections.forEach((detection, i) => {
    const problems: RuleProblem[] = [];
    const text = YAML.stringify({ title: `r${i}`, id: `r${i}`, detection });
    for (const r of loadRuleText(text, `r${i}.yml`, validators.rule, problems)) out.push(r.rule);
  });
  return out;
}

const ids = (rules: CompiledRule[]): string[] => rules.map((r) => r.id);
const ignore = (): void => undefined;

describe('rule index property', () => {
  it('indexed matching equals brute force on random rules × random events', () => {
    let compared = 0;
    let hits = 0;
    let candidates = 0;
    fc.assert(
      fc.property(fc.array(rule, { minLength: 1, maxLength: 8 }), fc.array(event, { minLength: 1, maxLength: 12 }), (detections, events) => {
        const rules = compile(detections);
        const index = new RuleIndex(rules);
        for (const e of events) {
          const brute = ids(matchRulesBruteForce(rules, e, ignore));
          expect(ids(index.match(e, ignore))).toEqual(brute);
          compared += rules.length;
          candidates += index.candidates(e).length;
          hits += brute.length;
        }
      }),
      { numRuns: 400 },
    );
    // The grammar is not vacuous: rules compile and some events match.
    expect(compared).toBeGreaterThan(1000);
    expect(hits).toBeGreaterThan(50);
    // …and the index does skip rules (it is not trivially "evaluate everything").
    expect(candidates).toBeLessThan(compared * 0.8);
  });

  it('regex literals: random small regexes against every short text over their alphabet', () => {
    const texts: string[] = [''];
    for (let len = 1; len <= 5; len++) for (const t of texts.filter((x) => x.length === len - 1)) texts.push(`${t}a`, `${t}b`, `${t}c`);
    texts.push(...texts.map((t) => t.toUpperCase()));
    const atom = fc.constantFrom('a', 'b', 'c', 'C', 'ab', 'a+', 'b?', 'c*', '.', '[ab]', '(a|c)', 'b{2}', 'a{0,2}', '^', '$', '\\b', 'a+?', '(?i)', '(?:ab)+');
    fc.assert(
      fc.property(fc.array(fc.array(atom, { minLength: 1, maxLength: 5 }).map((a) => a.join('')), { minLength: 1, maxLength: 4 }), fc.constantFrom('|re', '|re|i', '|contains', '|cased'), (sources, mod) => {
        const rules = compile(sources.map((src) => ({ sel: { [`message${mod}`]: src }, condition: 'sel' })));
        const index = new RuleIndex(rules);
        for (const m of texts) {
          const e = { message: m };
          expect(ids(index.match(e, ignore))).toEqual(ids(matchRulesBruteForce(rules, e, ignore)));
        }
      }),
      { numRuns: 300 },
    );
  });

  it('literals that do hit: rules built from the event text itself', () => {
    fc.assert(
      fc.property(fc.array(text(8), { minLength: 1, maxLength: 6 }), fc.constantFrom('|contains', '|startswith', '|endswith', '', '|cased', '|contains|cased', '|re', '|re|i'), (messages, mod) => {
        const detections = messages.map((m) => ({ sel: { [`message${mod}`]: m.slice(1, 6) }, condition: 'sel' }));
        const rules = compile(detections);
        const index = new RuleIndex(rules);
        // Case variants, including the characters RE2's folding and toLowerCase disagree on.
        const variants = messages.flatMap((m) => [m, m.toUpperCase(), m.toLowerCase(), m.replace(/[sS]/g, 'ſ').replace(/[kK]/g, '\u212a'), m.replace(/σ/g, 'ς')]);
        for (const m of variants) {
          const e = { message: m };
          expect(ids(index.match(e, ignore))).toEqual(ids(matchRulesBruteForce(rules, e, ignore)));
        }
      }),
      { numRuns: 400 },
    );
  });
});
