/**
 * String items fold the field's text once and test every value's glob on it (compile.ts globItem),
 * and lowerCase remembers recent texts (glob.ts): the answers are the per-value matchers' answers.
 */
import fc from 'fast-check';
import { compileSelection } from '../../../pipeline/detect/compile';
import { lowerCase } from '../../../pipeline/detect/glob';

const sel = (map: Record<string, unknown>) => compileSelection('sel', map);

describe('string detection items', () => {
  it('any / all over the values, case-insensitive unless cased', () => {
    const any = sel({ 'message|contains': ['Failed', 'INVALID'] });
    expect(any({ message: 'invalid user x' })).toBe(true);
    expect(any({ message: 'accepted' })).toBe(false);
    const all = sel({ 'message|contains|all': ['failed', 'ROOT'] });
    expect(all({ message: 'Failed password for root' })).toBe(true);
    expect(all({ message: 'Failed password for bob' })).toBe(false);
    const cased = sel({ 'message|contains|cased': ['Failed'] });
    expect(cased({ message: 'Failed' })).toBe(true);
    expect(cased({ message: 'failed' })).toBe(false);
  });

  it('list-valued fields: each value may match a different element under all', () => {
    const all = sel({ 'tags|startswith|all': ['att', 'CVE'] });
    expect(all({ tags: ['attack.t1', 'cve-2024-1'] })).toBe(true);
    expect(all({ tags: ['attack.t1', 'x'] })).toBe(false);
    expect(sel({ tags: 'X' })({ tags: [3, null, 'x'] })).toBe(true);
    expect(sel({ tags: '3' })({ tags: [3, null, 'x'] })).toBe(true);
  });

  it('numbers, booleans and missing fields', () => {
    expect(sel({ 'event.code': '4624' })({ event: { code: 4624 } })).toBe(true);
    expect(sel({ 'flag|contains': 'ru' })({ flag: true })).toBe(true);
    expect(sel({ 'message|contains': 'a' })({})).toBe(false);
    expect(sel({ 'message|contains': 'a' })({ message: null })).toBe(false);
    expect(sel({ 'message|neq': 'a' })({})).toBe(true);
    expect(sel({ message: '' })({ message: '' })).toBe(true);
  });

  it('windash alternatives of one value', () => {
    const p = sel({ 'message|windash|contains': ' -f ' });
    expect(p({ message: 'tool /F x' })).toBe(true);
    expect(p({ message: 'tool –f x' })).toBe(true);
    expect(p({ message: 'tool +f x' })).toBe(false);
  });

  it('lowerCase equals toLowerCase whatever texts came before', () => {
    const texts = fc.string({ unit: fc.constantFrom('a', 'A', 'Σ', 'ς', 'İ', 'ẞ', 'K', ' '), maxLength: 6 });
    fc.assert(fc.property(fc.array(texts, { maxLength: 12 }), (xs) => xs.every((x) => lowerCase(x) === x.toLowerCase())));
  });
});
