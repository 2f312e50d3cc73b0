import { parseMib, type Definition, type ModuleAst, type SyntaxAst } from './parse';
import { MibStore } from './store';
import type { LoadReport, MibNode, MibProblem, MissingImport, ModuleReport, NodeSyntax, TextualConvention } from './types';

export interface MibSource {
  file: string;
  text: string;
}

/** ASN.1 roots every module may use without importing them. */
const ROOTS: Record<string, string> = { ccitt: '0', iso: '1', 'joint-iso-ccitt': '2' };

/** SMI application types and ASN.1 primitives: following a SYNTAX stops at these. */
const BASE_TYPES = new Set([
  'INTEGER', 'OCTET STRING', 'OBJECT IDENTIFIER', 'BITS', 'SEQUENCE', 'SEQUENCE OF', 'CHOICE', 'NULL',
  'IpAddress', 'Counter32', 'Gauge32', 'TimeTicks', 'Opaque', 'Counter64', 'Unsigned32', 'Integer32',
  'Counter', 'Gauge', 'NetworkAddress',
]);

/** Symbols an IMPORTS clause may name that are macros or ASN.1 keywords, not definitions. */
const MACRO_SYMBOLS = new Set([
  'OBJECT-TYPE', 'NOTIFICATION-TYPE', 'TRAP-TYPE', 'MODULE-IDENTITY', 'OBJECT-IDENTITY', 'OBJECT-GROUP',
  'NOTIFICATION-GROUP', 'MODULE-COMPLIANCE', 'AGENT-CAPABILITIES', 'TEXTUAL-CONVENTION',
]);

interface Mod {
  ast: ModuleAst;
  file: string;
  defs: Map<string, Definition>;
  /** symbol → module it is imported from */
  imports: Map<string, string>;
  report: ModuleReport;
}

/**
 * Parses MIB sources and links them into one store. Sources are given in priority order: when two
 * files define the same module, the first wins and the second is reported. Imports are resolved
 * across all sources regardless of order, so no load order has to be worked out by hand; a module
 * whose imports are missing still contributes every definition that can be resolved.
 */
export function compileMibs(sources: readonly MibSource[]): MibStore {
  const t0 = process.hrtime.bigint();
  const mods = new Map<string, Mod>();
  const files: MibProblem[] = [];
  for (const src of sources) {
    const parsed = parseMib(src.text);
    for (const e of parsed.errors) files.push({ file: src.file, line: e.line, reason: e.reason });
    for (const ast of parsed.modules) {
      const prior = mods.get(ast.name);
      if (prior) {
        files.push({ file: src.file, line: ast.line, reason: `module ${ast.name} is already loaded from ${prior.file}; this copy is ignored` });
        continue;
      }
      const defs = new Map<string, Definition>();
      for (const d of ast.definitions) if (!defs.has(d.name)) defs.set(d.name, d);
      const imports = new Map<string, string>();
      for (const im of ast.imports) for (const s of im.symbols) imports.set(s, im.module);
      const report: ModuleReport = {
        module: ast.name, file: src.file, status: 'loaded', nodes: 0, missingImports: [], unresolved: [], warnings: [],
        errors: ast.errors.map((e) => ({ file: src.file, line: e.line, reason: e.reason })),
      };
      mods.set(ast.name, { ast, file: src.file, defs, imports, report });
    }
  }

  for (const m of mods.values()) m.report.missingImports = missingImports(m, mods);

  const linker = new Linker(mods);
  const nodes: MibNode[] = [];
  const tcs: TextualConvention[] = [];
  for (const m of mods.values()) {
    for (const d of m.ast.definitions) {
      if (d.kind === 'textual-convention' || d.kind === 'type') {
        if (d.syntax && d.kind === 'textual-convention') {
          tcs.push({ module: m.ast.name, name: d.name, syntax: linker.syntax(m, { base: d.name }), file: m.file, line: d.line, ...(d.description !== undefined ? { description: d.description } : {}), ...(d.status !== undefined ? { status: d.status } : {}) });
        }
        continue;
      }
      const oid = linker.oid(m, d.name);
      if (typeof oid !== 'string') {
        m.report.unresolved.push({ name: d.name, line: d.line, reason: oid.reason });
        continue;
      }
      const node: MibNode = { module: m.ast.name, name: d.name, oid, kind: d.kind, file: m.file, line: d.line };
      if (d.syntax) node.syntax = linker.syntax(m, d.syntax);
      if (d.units !== undefined) node.units = d.units;
      if (d.description !== undefined) node.description = d.description;
      if (d.status !== undefined) node.status = d.status;
      if (d.access !== undefined) node.access = d.access;
      if (d.objects !== undefined) node.objects = d.objects;
      if (d.kind === 'trap-type') {
        const ent = linker.oid(m, d.enterprise ?? '');
        if (typeof ent === 'string') node.enterprise = ent;
        node.specific = d.trapNumber;
      }
      nodes.push(node);
      m.report.nodes++;
    }
  }
  const modules: ModuleReport[] = [];
  for (const m of mods.values()) {
    const r = m.report;
    r.status = r.errors.length > 0 ? 'failed' : r.missingImports.length > 0 || r.unresolved.length > 0 ? 'partial' : 'loaded';
    modules.push(r);
  }
  const report: LoadReport = {
    modules,
    files,
    loaded: modules.filter((r) => r.status === 'loaded').length,
    total: modules.length + files.filter((f) => f.reason.startsWith('no module header')).length,
    parseMs: Number(process.hrtime.bigint() - t0) / 1e6,
  };
  return new MibStore(nodes, tcs, report);
}

function missingImports(m: Mod, mods: Map<string, Mod>): MissingImport[] {
  const out: MissingImport[] = [];
  for (const im of m.ast.imports) {
    const from = mods.get(im.module);
    if (!from) {
      out.push({ module: im.module, symbols: im.symbols, line: im.line, reason: 'module not found' });
      continue;
    }
    const absent = im.symbols.filter((s) => !MACRO_SYMBOLS.has(s) && !BASE_TYPES.has(s) && !from.defs.has(s) && !from.imports.has(s));
    if (absent.length > 0) out.push({ module: im.module, symbols: absent, line: im.line, reason: 'symbols not defined there' });
  }
  return out;
}

interface Unresolved { reason: string }

class Linker {
  private readonly oids = new Map<string, string | Unresolved>();
  private readonly inProgress = new Set<string>();
  /** name → modules defining it, for symbols a module uses without importing them. */
  private readonly global = new Map<string, Mod[]>();

  constructor(private readonly mods: Map<string, Mod>) {
    for (const m of mods.values()) {
      for (const name of m.defs.keys()) {
        const list = this.global.get(name);
        if (list) list.push(m); else this.global.set(name, [m]);
      }
    }
  }

  /** Finds where `name` is defined as seen from module `m` (local definition first, then its imports). */
  find(m: Mod, name: string, depth = 0): { mod: Mod; def: Definition } | Unresolved {
    const local = m.defs.get(name);
    if (local) return { mod: m, def: local };
    const fromName = m.imports.get(name);
    if (fromName === undefined) {
      // Old vendor MIBs use well-known names (snmp, enterprises, DisplayString) without importing
      // them, and net-snmp's own tools accept that. Accept it when exactly one loaded module
      // defines the name — or the SMI modules agree — and say so in the module's report.
      const defining = this.global.get(name) ?? [];
      const def = defining[0]?.defs.get(name);
      if (defining[0] && def && (defining.length === 1 || defining.every((d) => sameDefinition(d.defs.get(name), def)))) {
        if (depth === 0) note(m, `${name} is used without being imported; taken from ${defining[0].ast.name}`);
        return { mod: defining[0], def };
      }
      return { reason: `${name} is neither defined in ${m.ast.name} nor imported` };
    }
    const from = this.mods.get(fromName);
    if (!from) return { reason: `${name} is imported from ${fromName}, which is not loaded` };
    // Vendors sometimes import a symbol from a module that itself only imports it: follow a few hops.
    if (depth < 4 && !from.defs.has(name)) return this.find(from, name, depth + 1);
    const def = from.defs.get(name);
    return def ? { mod: from, def } : { reason: `${name} is not defined in ${fromName}` };
  }

  oid(m: Mod, name: string): string | Unresolved {
    const key = `${m.ast.name}::${name}`;
    const known = this.oids.get(key);
    if (known !== undefined) return known;
    if (this.inProgress.has(key)) return { reason: `circular OID definition through ${key}` };
    this.inProgress.add(key);
    const result = this.computeOid(m, name);
    this.inProgress.delete(key);
    this.oids.set(key, result);
    return result;
  }

  private computeOid(m: Mod, name: string): string | Unresolved {
    if (!m.defs.has(name) && ROOTS[name] !== undefined) return ROOTS[name];
    const found = this.find(m, name);
    if ('reason' in found) return ROOTS[name] ?? found;
    if (found.mod !== m) return this.oid(found.mod, name);
    const def = found.def;
    if (def.kind === 'trap-type') {
      if (def.enterprise === undefined) return { reason: `TRAP-TYPE ${name} has no ENTERPRISE` };
      const ent = this.oid(m, def.enterprise);
      if (typeof ent !== 'string') return { reason: `enterprise ${def.enterprise}: ${ent.reason}` };
      return `${ent}.0.${def.trapNumber ?? 0}`;
    }
    const comps = def.oid;
    if (!comps) return { reason: `${name} has no OBJECT IDENTIFIER value` };
    const parts: string[] = [];
    for (let i = 0; i < comps.length; i++) {
      const c = comps[i];
      if (!c) continue;
      if (c.num !== undefined) { parts.push(String(c.num)); continue; }
      if (i > 0 || c.name === undefined) return { reason: `${name}: component '${c.name ?? '?'}' needs a number` };
      const parent = this.oid(m, c.name);
      if (typeof parent !== 'string') return { reason: `parent ${c.name}: ${parent.reason}` };
      parts.push(parent);
    }
    return parts.join('.');
  }

  /** Follows a SYNTAX through textual conventions / defined types to its base type. */
  syntax(m: Mod, s: SyntaxAst): NodeSyntax {
    const out: NodeSyntax = { base: s.base };
    if (s.enums) out.enums = enumRecord(s.enums);
    if (s.constraint !== undefined) out.constraint = s.constraint;
    let cur: SyntaxAst = s;
    let scope = m;
    for (let hops = 0; hops < 12 && !BASE_TYPES.has(cur.base); hops++) {
      const found = this.find(scope, cur.base);
      if ('reason' in found) {
        // The TC's module is missing: keep its name, which is still enough to render
        // well-known ones (SnmpAdminString, DateAndTime, PhysAddress, …).
        out.tc ??= cur.base;
        break;
      }
      if (!found.def.syntax || (found.def.kind !== 'textual-convention' && found.def.kind !== 'type')) break;
      if (out.tc === undefined) { out.tc = found.def.name; out.tcModule = found.mod.ast.name; }
      if (out.displayHint === undefined && found.def.displayHint !== undefined) out.displayHint = found.def.displayHint;
      const next = found.def.syntax;
      if (out.enums === undefined && next.enums) out.enums = enumRecord(next.enums);
      if (out.constraint === undefined && next.constraint !== undefined) out.constraint = next.constraint;
      out.base = next.base;
      cur = next;
      scope = found.mod;
    }
    return out;
  }
}

function note(m: Mod, text: string): void {
  if (!m.report.warnings.includes(text)) m.report.warnings.push(text);
}

/** Two definitions of an OID name agree when their OID values are written the same way. */
function sameDefinition(a: Definition | undefined, b: Definition): boolean {
  return a !== undefined && JSON.stringify(a.oid) === JSON.stringify(b.oid) && a.kind === b.kind;
}

function enumRecord(pairs: ReadonlyArray<[string, number]>): Record<number, string> {
  const r: Record<number, string> = {};
  for (const [label, n] of pairs) r[n] = label;
  return r;
}
