import fc from 'fast-check';
import { compileGlob, matchGlob } from '../../../pipeline/detect/glob';

const m = (pattern: string, text: string, cased = false): boolean => matchGlob(compileGlob(pattern, cased), text);

describe('Sigma wildcard matching', () => {
  it('matches case-insensitively unless cased', () => {
    expect(m('Failed Password', 'failed password')).toBe(true);
    expect(m('Failed Password', 'failed password', true)).toBe(false);
  });

  it('treats * as any run and ? as one character', () => {
    expect(m('*pass*', 'Failed password for root')).toBe(true);
    expect(m('root?', 'root1')).toBe(true);
    expect(m('root?', 'root')).toBe(false);
    expect(m('a*b*c', 'axxbyyc')).toBe(true);
    expect(m('a*b*c', 'axxbyy')).toBe(false);
    expect(m('*', '')).toBe(true);
  });

  it('takes escaped wildcards literally', () => {
    expect(m('100\\*', '100*')).toBe(true);
    expect(m('100\\*', '1000')).toBe(false);
    expect(m('what\\?', 'what?')).toBe(true);
  });

  it('agrees with an equivalent regular expression on random inputs', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[ab*?]{0,8}$/), fc.stringMatching(/^[ab]{0,12}$/), (pattern, text) => {
        const re = new RegExp(`^${pattern.replace(/\*/g, '.*').replace(/\?/g, '.')}$`, 's');
        expect(m(pattern, text)).toBe(re.test(text));
      }),
    );
  });

  it('stays fast on patterns that make backtracking regexes explode', () => {
    const text = 'a'.repeat(5_000);
    const started = process.hrtime.bigint();
    expect(m('*a*a*a*a*a*a*a*b', text)).toBe(false);
    // Not a timing assertion on speed: a regex engine would not finish at all; this is a hang guard.
    expect(Number(process.hrtime.bigint() - started) / 1e9).toBeLessThan(5);
  });
});
