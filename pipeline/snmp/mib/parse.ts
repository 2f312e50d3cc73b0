import { tokenize, type Token } from './lexer';

/**
 * SMI parser: MIB module text → a small AST per module. It reads what a trap translator needs
 * (OIDs, SYNTAX with enums and constraints, TEXTUAL-CONVENTIONs, DISPLAY-HINT, UNITS, STATUS,
 * DESCRIPTION, OBJECTS/VARIABLES, v1 ENTERPRISE) and skips the rest structurally. An error in
 * one definition is recorded with its line and the parser resynchronises at the next
 * definition, so one vendor quirk costs one definition, not the module.
 */
export type DefinitionKind =
  | 'object-type' | 'notification-type' | 'trap-type' | 'module-identity' | 'object-identity'
  | 'object-group' | 'notification-group' | 'module-compliance' | 'agent-capabilities'
  | 'oid' | 'textual-convention' | 'type';

export interface SyntaxAst {
  /** 'INTEGER', 'OCTET STRING', 'OBJECT IDENTIFIER', 'BITS', 'SEQUENCE', 'SEQUENCE OF', 'CHOICE', or a referenced type name. */
  base: string;
  enums?: Array<[string, number]>;
  /** Constraint as written, e.g. "SIZE (0..255)" or "0..65535". */
  constraint?: string;
  /** Tagged SMI base types (`[APPLICATION 1] IMPLICIT INTEGER`): the tag text. */
  tag?: string;
}

export interface OidComponent { name?: string; num?: number }

export interface Definition {
  name: string;
  line: number;
  kind: DefinitionKind;
  oid?: OidComponent[];
  /** TRAP-TYPE: the specific-trap number and the ENTERPRISE name. */
  trapNumber?: number;
  enterprise?: string;
  syntax?: SyntaxAst;
  displayHint?: string;
  units?: string;
  status?: string;
  access?: string;
  description?: string;
  objects?: string[];
  index?: string[];
}

export interface ImportAst { module: string; symbols: string[]; line: number }
export interface ParseError { line: number; reason: string }

export interface ModuleAst {
  name: string;
  line: number;
  imports: ImportAst[];
  definitions: Definition[];
  errors: ParseError[];
}

export interface ParsedFile {
  modules: ModuleAst[];
  /** Errors outside any module (no `DEFINITIONS ::= BEGIN` found, text after END, …). */
  errors: ParseError[];
}

const MACROS: Record<string, DefinitionKind> = {
  'OBJECT-TYPE': 'object-type',
  'NOTIFICATION-TYPE': 'notification-type',
  'TRAP-TYPE': 'trap-type',
  'MODULE-IDENTITY': 'module-identity',
  'OBJECT-IDENTITY': 'object-identity',
  'OBJECT-GROUP': 'object-group',
  'NOTIFICATION-GROUP': 'notification-group',
  'MODULE-COMPLIANCE': 'module-compliance',
  'AGENT-CAPABILITIES': 'agent-capabilities',
};

const CLAUSES = new Set([
  'SYNTAX', 'UNITS', 'MAX-ACCESS', 'ACCESS', 'MIN-ACCESS', 'STATUS', 'DESCRIPTION', 'REFERENCE', 'INDEX', 'AUGMENTS',
  'DEFVAL', 'OBJECTS', 'VARIABLES', 'ENTERPRISE', 'DISPLAY-HINT', 'LAST-UPDATED', 'ORGANIZATION', 'CONTACT-INFO',
  'REVISION', 'NOTIFICATIONS', 'MODULE', 'MANDATORY-GROUPS', 'GROUP', 'OBJECT', 'WRITE-SYNTAX', 'PRODUCT-RELEASE',
  'SUPPORTS', 'INCLUDES', 'VARIATION', 'CREATION-REQUIRES',
]);

class Failure extends Error {
  constructor(readonly line: number, readonly reason: string) { super(reason); }
}

const EOF: Token = { kind: 'sym', text: '<end of file>', line: 0 };

class Cursor {
  pos = 0;
  constructor(readonly toks: Token[], readonly lastLine: number) {}
  peek(o = 0): Token { return this.toks[this.pos + o] ?? { ...EOF, line: this.lastLine }; }
  next(): Token { const t = this.peek(); this.pos++; return t; }
  atEnd(): boolean { return this.pos >= this.toks.length; }
  is(text: string, o = 0): boolean { const t = this.toks[this.pos + o]; return t !== undefined && t.text === text && t.kind !== 'string'; }
  expect(text: string, what?: string): Token {
    const t = this.peek();
    if (t.text !== text || t.kind === 'string') throw new Failure(t.line, `expected ${what ?? `'${text}'`} but found ${show(t)}`);
    return this.next();
  }
  word(what: string): Token {
    const t = this.peek();
    if (t.kind !== 'word') throw new Failure(t.line, `expected ${what} but found ${show(t)}`);
    return this.next();
  }
  /** Skips a balanced bracket group starting at the current `open` token; returns its inner tokens. */
  group(open: string, close: string): Token[] {
    const start = this.expect(open);
    const inner: Token[] = [];
    let depth = 1;
    for (;;) {
      if (this.atEnd()) throw new Failure(start.line, `'${open}' opened here is never closed`);
      const t = this.next();
      if (t.kind === 'sym' && t.text === open) depth++;
      else if (t.kind === 'sym' && t.text === close && --depth === 0) return inner;
      inner.push(t);
    }
  }
}

/** Token at `i`, or an end-of-file placeholder (keeps index checks out of the grammar code). */
function at(toks: readonly Token[], i: number): Token {
  return toks[i] ?? EOF;
}

function show(t: Token): string {
  if (t.text === EOF.text) return 'the end of the file';
  return t.kind === 'string' ? 'a quoted string' : `'${t.text}'`;
}

export function parseMib(text: string): ParsedFile {
  const toks = tokenize(text);
  const lastLine = toks.length ? at(toks, toks.length - 1).line : 1;
  const c = new Cursor(toks, lastLine);
  const out: ParsedFile = { modules: [], errors: [] };
  while (!c.atEnd()) {
    // Module header: NAME [{ oid }] DEFINITIONS [IMPLICIT TAGS] ::= BEGIN
    const start = c.pos;
    let found = -1;
    for (let k = c.pos; k < toks.length - 1; k++) {
      if (at(toks, k).kind === 'word' && at(toks, k).text === 'DEFINITIONS') { found = k; break; }
    }
    if (found < 0) {
      if (out.modules.length === 0) out.errors.push({ line: at(toks, start).line, reason: 'no module header (NAME DEFINITIONS ::= BEGIN) found' });
      break;
    }
    let nameIdx = found - 1;
    if (at(toks, nameIdx).text === '}') { // NAME { oid } DEFINITIONS
      let depth = 0;
      for (; nameIdx >= start; nameIdx--) {
        if (at(toks, nameIdx).text === '}') depth++;
        else if (at(toks, nameIdx).text === '{' && --depth === 0) break;
      }
      nameIdx--;
    }
    const nameTok = at(toks, nameIdx);
    if (nameTok.kind !== 'word' || nameIdx < start) {
      out.errors.push({ line: at(toks, found).line, reason: 'DEFINITIONS without a module name before it' });
      c.pos = found + 1;
      continue;
    }
    if (nameIdx > start && out.modules.length > 0) out.errors.push({ line: at(toks, start).line, reason: `unexpected text ${show(at(toks, start))} between modules` });
    c.pos = found + 1;
    const mod: ModuleAst = { name: nameTok.text, line: nameTok.line, imports: [], definitions: [], errors: [] };
    out.modules.push(mod);
    try {
      while (c.is('IMPLICIT') || c.is('EXPLICIT') || c.is('AUTOMATIC') || c.is('TAGS')) c.next();
      c.expect('::=', "'::=' after DEFINITIONS");
      c.expect('BEGIN', "'BEGIN' after DEFINITIONS ::=");
    } catch (e) {
      if (!(e instanceof Failure)) throw e;
      mod.errors.push({ line: e.line, reason: e.reason });
    }
    parseBody(c, mod);
  }
  return out;
}

function parseBody(c: Cursor, mod: ModuleAst): void {
  for (;;) {
    if (c.atEnd()) {
      mod.errors.push({ line: c.lastLine, reason: `module ${mod.name} has no END` });
      return;
    }
    if (c.is('END')) { c.next(); return; }
    const before = c.pos;
    try {
      if (c.is('EXPORTS')) { while (!c.atEnd() && !c.is(';')) c.next(); c.next(); continue; }
      if (c.is('IMPORTS')) { parseImports(c, mod); continue; }
      const def = parseDefinition(c);
      if (def) mod.definitions.push(def);
    } catch (e) {
      if (!(e instanceof Failure)) throw e;
      mod.errors.push({ line: e.line, reason: e.reason });
      resync(c, before);
    }
  }
}

/** Moves to the next token that plausibly starts a definition (or END), past `from`. */
function resync(c: Cursor, from: number): void {
  c.pos = Math.max(c.pos, from + 1);
  while (!c.atEnd()) {
    const t = c.peek();
    if (t.kind === 'word') {
      if (t.text === 'END') return;
      const n1 = c.peek(1);
      if (n1.text === '::=' || MACROS[n1.text] !== undefined || n1.text === 'MACRO' || (n1.text === 'OBJECT' && c.peek(2).text === 'IDENTIFIER')) return;
    }
    c.next();
  }
}

function parseImports(c: Cursor, mod: ModuleAst): void {
  c.expect('IMPORTS');
  let symbols: string[] = [];
  while (!c.is(';')) {
    if (c.atEnd() || c.is('END')) throw new Failure(c.peek().line, "IMPORTS not terminated by ';'");
    const t = c.next();
    if (t.kind === 'word' && t.text === 'FROM') {
      const m = c.word('a module name after FROM');
      mod.imports.push({ module: m.text, symbols, line: m.line });
      symbols = [];
      if (c.is('{')) c.group('{', '}');
      continue;
    }
    if (t.kind === 'word') symbols.push(t.text);
    else if (t.text === '{') c.pos--, c.group('{', '}'); // parameterized import
    else if (t.text !== ',') throw new Failure(t.line, `unexpected ${show(t)} in IMPORTS`);
  }
  c.next();
  if (symbols.length > 0) throw new Failure(c.peek(-1).line, `IMPORTS ends with symbols (${symbols.join(', ')}) that have no FROM`);
}

function parseDefinition(c: Cursor): Definition | null {
  const nameTok = c.word('a definition name');
  const name = nameTok.text;
  const line = nameTok.line;
  const t1 = c.peek();
  if (t1.text === 'MACRO') { // macro definitions (in SMI modules): skip to their END
    c.next();
    while (!c.atEnd() && !c.is('END')) c.next();
    c.expect('END');
    return null;
  }
  if (t1.text === '::=') {
    c.next();
    if (c.is('TEXTUAL-CONVENTION')) {
      c.next();
      return parseTextualConvention(c, name, line);
    }
    const syntax = parseType(c);
    return { name, line, kind: 'type', syntax };
  }
  if (t1.text === 'OBJECT' && c.is('IDENTIFIER', 1)) {
    c.next(); c.next();
    c.expect('::=', `'::=' after ${name} OBJECT IDENTIFIER`);
    return { name, line, kind: 'oid', oid: parseOidValue(c) };
  }
  const kind = MACROS[t1.text];
  if (kind !== undefined) {
    c.next();
    const def: Definition = { name, line, kind };
    parseClauses(c, def, t1.text);
    c.expect('::=', `'::=' to end the ${t1.text} ${name}`);
    if (kind === 'trap-type') {
      const n = c.peek();
      if (n.kind !== 'number') throw new Failure(n.line, `TRAP-TYPE ${name}: expected the specific-trap number after ::= but found ${show(n)}`);
      c.next();
      def.trapNumber = Number(n.text);
    } else {
      def.oid = parseOidValue(c);
    }
    return def;
  }
  // `name Type ::= value` (value assignment of another type): read and discard.
  if (t1.kind !== 'word' && t1.text !== '[') throw new Failure(t1.line, `unexpected ${show(t1)} after ${name}`);
  parseType(c);
  c.expect('::=', `'::=' in the value assignment ${name}`);
  if (c.is('{')) c.group('{', '}');
  else c.next();
  return null;
}

function parseTextualConvention(c: Cursor, name: string, line: number): Definition {
  const def: Definition = { name, line, kind: 'textual-convention' };
  for (;;) {
    const k = c.word(`a TEXTUAL-CONVENTION clause in ${name}`);
    switch (k.text) {
      case 'DISPLAY-HINT': def.displayHint = str(c, k); break;
      case 'STATUS': def.status = c.word('a status').text; break;
      case 'DESCRIPTION': def.description = str(c, k); break;
      case 'REFERENCE': str(c, k); break;
      case 'SYNTAX': def.syntax = parseType(c); return def;
      default: throw new Failure(k.line, `unexpected '${k.text}' in TEXTUAL-CONVENTION ${name}`);
    }
  }
}

function str(c: Cursor, after: Token): string {
  const t = c.peek();
  if (t.kind !== 'string') throw new Failure(t.line, `${after.text} must be followed by a quoted string, found ${show(t)}`);
  c.next();
  return t.text;
}

/** Collects `KEYWORD value…` clauses up to `::=` (at bracket depth 0) and reads the ones we use. */
function parseClauses(c: Cursor, def: Definition, macro: string): void {
  const clauses: Array<{ key: Token; toks: Token[] }> = [];
  let depth = 0;
  for (;;) {
    if (c.atEnd()) throw new Failure(def.line, `${macro} ${def.name} is never closed by '::='`);
    const t = c.peek();
    if (depth === 0 && t.kind !== 'string') {
      if (t.text === '::=') break;
      if (t.text === 'END' || (t.kind === 'word' && MACROS[c.peek(1).text] !== undefined && !CLAUSES.has(t.text))) {
        throw new Failure(def.line, `${macro} ${def.name} has no '::=' before line ${t.line}`);
      }
    }
    c.next();
    if (t.kind === 'sym' && (t.text === '{' || t.text === '(')) depth++;
    else if (t.kind === 'sym' && (t.text === '}' || t.text === ')')) depth--;
    if (depth === 0 && t.kind === 'word' && CLAUSES.has(t.text) && !(t.text === 'OBJECT' && c.is('IDENTIFIER'))) {
      clauses.push({ key: t, toks: [] });
    } else if (clauses.length > 0) {
      clauses[clauses.length - 1]?.toks.push(t);
    } else {
      throw new Failure(t.line, `unexpected ${show(t)} after ${macro} in ${def.name}`);
    }
  }
  for (const { key, toks } of clauses) {
    const first = toks[0];
    const text = (): string | undefined => (first?.kind === 'string' ? first.text : undefined);
    switch (key.text) {
      case 'SYNTAX':
        if (def.syntax === undefined) {
          const sub = new Cursor(toks, key.line);
          def.syntax = parseType(sub);
        }
        break;
      case 'UNITS': def.units ??= text(); break;
      case 'DISPLAY-HINT': def.displayHint ??= text(); break;
      case 'DESCRIPTION': def.description ??= text(); break;
      case 'STATUS': def.status ??= first?.text; break;
      case 'ACCESS': case 'MAX-ACCESS': def.access ??= first?.text; break;
      case 'ENTERPRISE': def.enterprise ??= first?.text; break;
      case 'OBJECTS': case 'VARIABLES': def.objects ??= names(toks); break;
      case 'INDEX': def.index ??= names(toks); break;
      default: break;
    }
  }
}

function names(toks: Token[]): string[] {
  return toks.filter((t) => t.kind === 'word' && t.text !== 'IMPLIED').map((t) => t.text);
}

function parseType(c: Cursor): SyntaxAst {
  let tag: string | undefined;
  if (c.is('[')) {
    tag = c.group('[', ']').map((t) => t.text).join(' ');
    if (c.is('IMPLICIT') || c.is('EXPLICIT')) c.next();
  }
  const t = c.word('a type');
  let base = t.text;
  if (base === 'OCTET') { c.expect('STRING', "'STRING' after OCTET"); base = 'OCTET STRING'; }
  else if (base === 'OBJECT') { c.expect('IDENTIFIER', "'IDENTIFIER' after OBJECT"); base = 'OBJECT IDENTIFIER'; }
  else if (base === 'SEQUENCE' || base === 'SET') {
    if (c.is('OF')) { c.next(); const of = parseType(c); return { base: 'SEQUENCE OF', constraint: of.base }; }
    c.group('{', '}');
    return { base: 'SEQUENCE' };
  } else if (base === 'CHOICE') {
    c.group('{', '}');
    return { base: 'CHOICE' };
  }
  const syntax: SyntaxAst = { base };
  if (tag !== undefined) syntax.tag = tag;
  if (c.is('{')) syntax.enums = parseEnums(c);
  if (c.is('(')) syntax.constraint = c.group('(', ')').map((x) => x.text).join(' ').replace(/ \.\. /g, '..').replace(/\( /g, '(').replace(/ \)/g, ')');
  return syntax;
}

function parseEnums(c: Cursor): Array<[string, number]> {
  const inner = c.group('{', '}');
  const out: Array<[string, number]> = [];
  for (let i = 0; i < inner.length; i++) {
    const t = at(inner, i);
    if (t.text === ',') continue;
    if (t.kind !== 'word') throw new Failure(t.line, `expected an enumeration label but found ${show(t)}`);
    if (inner[i + 1]?.text !== '(') throw new Failure(t.line, `enumeration label '${t.text}' has no (number)`);
    let j = i + 2;
    let neg = false;
    if (inner[j]?.text === '-') { neg = true; j++; }
    const num = inner[j];
    if (num?.kind !== 'number' || inner[j + 1]?.text !== ')') throw new Failure(t.line, `enumeration '${t.text}' needs a whole number in parentheses`);
    out.push([t.text, neg ? -Number(num.text) : Number(num.text)]);
    i = j + 1;
  }
  return out;
}

function parseOidValue(c: Cursor): OidComponent[] {
  const open = c.peek();
  if (open.text !== '{') throw new Failure(open.line, `expected an OBJECT IDENTIFIER value '{ parent n }' but found ${show(open)}`);
  const inner = c.group('{', '}');
  const out: OidComponent[] = [];
  for (let i = 0; i < inner.length; i++) {
    const t = at(inner, i);
    if (t.kind === 'number') { out.push({ num: Number(t.text) }); continue; }
    if (t.kind === 'word') {
      if (inner[i + 1]?.text === '(') {
        const n = inner[i + 2];
        if (n?.kind !== 'number' || inner[i + 3]?.text !== ')') throw new Failure(t.line, `bad OID component '${t.text}('`);
        out.push({ name: t.text, num: Number(n.text) });
        i += 3;
      } else {
        out.push({ name: t.text });
      }
      continue;
    }
    if (t.text === ',') continue; // tolerated vendor quirk: { a, 1 }
    throw new Failure(t.line, `unexpected ${show(t)} in an OBJECT IDENTIFIER value`);
  }
  if (out.length === 0) throw new Failure(open.line, 'empty OBJECT IDENTIFIER value {}');
  return out;
}
