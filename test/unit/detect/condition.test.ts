import { ConditionSyntaxError, expandPattern, parseCondition, referencedNames } from '../../../pipeline/detect/condition';

describe('Sigma condition parser', () => {
  it('binds not tighter than and, and and tighter than or', () => {
    expect(parseCondition('a or not b and c')).toEqual({
      type: 'or',
      items: [{ type: 'ref', name: 'a' }, { type: 'and', items: [{ type: 'not', item: { type: 'ref', name: 'b' } }, { type: 'ref', name: 'c' }] }],
    });
  });

  it('honours parentheses', () => {
    expect(parseCondition('(a or b) and c')).toEqual({
      type: 'and',
      items: [{ type: 'or', items: [{ type: 'ref', name: 'a' }, { type: 'ref', name: 'b' }] }, { type: 'ref', name: 'c' }],
    });
  });

  it('reads 1 of / all of with patterns and them', () => {
    expect(parseCondition('1 of sel* and not all of them')).toEqual({
      type: 'and',
      items: [{ type: 'of', quantifier: 'one', pattern: 'sel*' }, { type: 'not', item: { type: 'of', quantifier: 'all', pattern: 'them' } }],
    });
  });

  it.each([
    ['a and', 'condition ends too early'],
    ['(a or b', "condition ends too early"],
    ['a b', "unexpected 'b' after the end of the expression"],
    ['and a', "unexpected 'and'"],
    ['', 'condition is empty'],
  ])('rejects %j with a precise message', (source, message) => {
    expect(() => parseCondition(source)).toThrow(message);
  });

  it('reports the column of a syntax error', () => {
    try {
      parseCondition('sel and or x');
      throw new Error('no error');
    } catch (err) {
      expect(err).toBeInstanceOf(ConditionSyntaxError);
      expect((err as ConditionSyntaxError).column).toBe(9);
    }
  });

  it('expands selection patterns and finds names that do not exist', () => {
    expect(expandPattern('sel*', ['sel_a', 'sel_b', 'filter'])).toEqual(['sel_a', 'sel_b']);
    expect(expandPattern('them', ['a', '_hidden', 'b'])).toEqual(['a', 'b']);
    expect(referencedNames(parseCondition('a and (b or 1 of x*)'), ['a', 'c']).unknown).toEqual(['b', 'x*']);
  });
});
