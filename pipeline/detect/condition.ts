/**
 * Sigma condition expressions → a tree. Grammar (precedence low → high):
 *   or-expr  := and-expr ('or' and-expr)*
 *   and-expr := not-expr ('and' not-expr)*
 *   not-expr := 'not' not-expr | primary
 *   primary  := '(' or-expr ')' | ('1' | 'all') 'of' (pattern | 'them') | identifier
 * Identifiers are selection names; patterns may end in '*'.
 */
export type ConditionNode =
  | { type: 'and' | 'or'; items: ConditionNode[] }
  | { type: 'not'; item: ConditionNode }
  | { type: 'ref'; name: string }
  | { type: 'of'; quantifier: 'one' | 'all'; pattern: string };

export class ConditionSyntaxError extends Error {
  constructor(message: string, readonly column: number) {
    super(message);
  }
}

interface Token { text: string; column: number }

export function parseCondition(source: string): ConditionNode {
  const tokens = tokenize(source);
  let pos = 0;
  const peek = (): Token | undefined => tokens[pos];
  const next = (): Token => {
    const t = tokens[pos++];
    if (!t) throw new ConditionSyntaxError('condition ends too early', source.length + 1);
    return t;
  };
  const isWord = (t: Token | undefined, word: string): boolean => t !== undefined && t.text.toLowerCase() === word;

  const orExpr = (): ConditionNode => {
    const items = [andExpr()];
    while (isWord(peek(), 'or')) { pos++; items.push(andExpr()); }
    return items.length === 1 ? items[0]! : { type: 'or', items };
  };
  const andExpr = (): ConditionNode => {
    const items = [notExpr()];
    while (isWord(peek(), 'and')) { pos++; items.push(notExpr()); }
    return items.length === 1 ? items[0]! : { type: 'and', items };
  };
  const notExpr = (): ConditionNode => {
    if (isWord(peek(), 'not')) { pos++; return { type: 'not', item: notExpr() }; }
    return primary();
  };
  const primary = (): ConditionNode => {
    const t = next();
    if (t.text === '(') {
      const inner = orExpr();
      const close = next();
      if (close.text !== ')') throw new ConditionSyntaxError(`expected ')' but found '${close.text}'`, close.column);
      return inner;
    }
    if ((t.text === '1' || t.text.toLowerCase() === 'all') && isWord(peek(), 'of')) {
      pos++;
      const target = next();
      if (!/^[A-Za-z_][\w*]*$/.test(target.text)) {
        throw new ConditionSyntaxError(`expected a selection pattern or 'them' after 'of', found '${target.text}'`, target.column);
      }
      return { type: 'of', quantifier: t.text === '1' ? 'one' : 'all', pattern: target.text };
    }
    if (['and', 'or', 'not', 'of', ')'].includes(t.text.toLowerCase()) || !/^[A-Za-z_][\w]*$/.test(t.text)) {
      throw new ConditionSyntaxError(`unexpected '${t.text}'`, t.column);
    }
    return { type: 'ref', name: t.text };
  };

  const tree = orExpr();
  const rest = peek();
  if (rest) throw new ConditionSyntaxError(`unexpected '${rest.text}' after the end of the expression`, rest.column);
  return tree;
}

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  const re = /\s*([()]|[^\s()]+)/gy;
  let m: RegExpExecArray | null;
  while ((m = re.exec(source)) !== null) {
    if (m[1] === undefined) break;
    tokens.push({ text: m[1], column: m.index + m[0].length - m[1].length + 1 });
  }
  if (tokens.length === 0) throw new ConditionSyntaxError('condition is empty', 1);
  return tokens;
}

/** Selection names a condition refers to (patterns expanded against the known names). */
export function referencedNames(node: ConditionNode, known: readonly string[]): { names: Set<string>; unknown: string[] } {
  const names = new Set<string>();
  const unknown: string[] = [];
  const walk = (n: ConditionNode): void => {
    switch (n.type) {
      case 'and': case 'or': n.items.forEach(walk); return;
      case 'not': walk(n.item); return;
      case 'ref': if (known.includes(n.name)) names.add(n.name); else unknown.push(n.name); return;
      case 'of': {
        const hits = expandPattern(n.pattern, known);
        if (hits.length === 0) unknown.push(n.pattern);
        hits.forEach((h) => names.add(h));
      }
    }
  };
  walk(node);
  return { names, unknown };
}

export function expandPattern(pattern: string, known: readonly string[]): string[] {
  if (pattern === 'them') return known.filter((k) => !k.startsWith('_'));
  if (!pattern.includes('*')) return known.filter((k) => k === pattern);
  const parts = pattern.split('*');
  return known.filter((k) => {
    let at = 0;
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i]!;
      if (i === 0) { if (!k.startsWith(p)) return false; at = p.length; continue; }
      if (i === parts.length - 1) return p === '' || (k.endsWith(p) && k.length - p.length >= at);
      const found = k.indexOf(p, at);
      if (found < 0) return false;
      at = found + p.length;
    }
    return true;
  });
}
