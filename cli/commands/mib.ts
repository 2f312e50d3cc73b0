import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { HaetaeError } from '../../pipeline/errors/catalog';
import type { MibStore } from '../../pipeline/snmp/mib/store';
import type { LoadReport, ModuleReport, Resolved } from '../../pipeline/snmp/mib/types';

/**
 * MIB directories from the config's `snmp.mibs` (relative to the config file). Read from the raw
 * YAML rather than through loadConfig so that `mib lookup` works with a config whose other
 * sections are incomplete, and does not depend on the schema having the key; a config that cannot
 * be read is an error, a config without the key gives no directories.
 */
export function configMibDirs(explicit: string | undefined, env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): string[] {
  const given = explicit ?? env.HAETAE_CONFIG;
  const fallback = path.join(cwd, 'haetae.yaml');
  const file = given ? path.resolve(cwd, given) : fs.existsSync(fallback) ? fallback : null;
  if (!file) return [];
  let raw: unknown;
  try {
    raw = YAML.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new HaetaeError('HAETAE_CONFIG_READ', [file, err instanceof Error ? err.message.split('\n')[0] ?? '' : String(err)]);
  }
  const snmp = raw !== null && typeof raw === 'object' ? (raw as Record<string, unknown>).snmp : undefined;
  const mibs = snmp !== null && typeof snmp === 'object' ? (snmp as Record<string, unknown>).mibs : undefined;
  if (mibs === undefined || mibs === null) return [];
  const list = typeof mibs === 'string' ? [mibs] : mibs;
  if (!Array.isArray(list) || !list.every((d): d is string => typeof d === 'string')) {
    throw new HaetaeError('HAETAE_CONFIG_INVALID', [file, '/snmp/mibs: must be a list of directories']);
  }
  const base = path.dirname(file);
  // A configured directory that does not exist is skipped here (the worker reports it); the CLI
  // must still answer lookups over the base MIBs.
  return list.map((d) => path.resolve(base, d)).filter((d) => fs.existsSync(d));
}

/** Checks that each directory given on the command line exists and returns absolute paths. */
export function cliMibDirs(dirs: readonly string[], cwd = process.cwd()): string[] {
  return dirs.map((d) => {
    const p = path.resolve(cwd, d);
    if (!fs.existsSync(p) || !fs.statSync(p).isDirectory()) throw new HaetaeError('HAETAE_USAGE', [`no such MIB directory: ${p}`]);
    return p;
  });
}

export function lookupJson(r: Resolved): Record<string, unknown> {
  const n = r.node;
  return {
    oid: r.oid, index: r.index, module: r.module, name: r.name, kind: n.kind,
    ...(n.syntax ? { syntax: n.syntax } : {}),
    ...(n.units !== undefined ? { units: n.units } : {}),
    ...(n.access !== undefined ? { access: n.access } : {}),
    ...(n.status !== undefined ? { status: n.status } : {}),
    ...(n.objects ? { objects: n.objects } : {}),
    ...(n.enterprise !== undefined ? { enterprise: n.enterprise, specific: n.specific } : {}),
    ...(n.description !== undefined ? { description: n.description } : {}),
    file: n.file, line: n.line,
  };
}

export function formatLookup(r: Resolved, cwd = process.cwd()): string {
  const n = r.node;
  const lines = [`${r.module}::${r.name}${r.index ? `.${r.index}` : ''}`];
  const row = (k: string, v: string): void => { lines.push(`  ${`${k}:`.padEnd(13)}${v}`); };
  row('OID', r.index ? `${r.oid}.${r.index} (node ${r.oid}, index ${r.index})` : r.oid);
  row('Kind', n.kind);
  if (n.syntax) {
    const s = n.syntax;
    row('Type', `${s.base}${s.constraint ? ` (${s.constraint})` : ''}${s.tc ? `, textual convention ${s.tcModule ?? ''}::${s.tc}` : ''}`);
    if (s.displayHint !== undefined) row('Display hint', s.displayHint);
    if (s.enums) row(s.base === 'BITS' ? 'Bits' : 'Enums', Object.entries(s.enums).map(([k, v]) => `${v}(${k})`).join(', '));
  }
  if (n.units !== undefined) row('Units', n.units);
  if (n.access !== undefined) row('Access', n.access);
  if (n.status !== undefined) row('Status', n.status);
  if (n.enterprise !== undefined) row('Enterprise', `${n.enterprise}, specific-trap ${n.specific ?? ''} (v1 TRAP-TYPE)`);
  if (n.objects) row(n.kind === 'trap-type' ? 'Variables' : 'Objects', n.objects.join(', '));
  row('Defined in', `${path.relative(cwd, n.file) || n.file}:${n.line}`);
  if (n.description !== undefined) {
    lines.push('  Description:');
    for (const l of dedent(n.description)) lines.push(`    ${l}`);
  }
  return lines.join('\n');
}

function dedent(text: string): string[] {
  const lines = text.split('\n').map((l) => l.trimEnd());
  const indents = lines.slice(1).filter((l) => l.trim()).map((l) => l.length - l.trimStart().length);
  const cut = indents.length ? Math.min(...indents) : 0;
  return lines.map((l, i) => (i === 0 ? l.trim() : l.slice(cut)));
}

/** Modules that did not load completely, worst first. */
export function problemModules(report: LoadReport): ModuleReport[] {
  return report.modules.filter((m) => m.status !== 'loaded').sort((a, b) => (a.status === b.status ? a.file.localeCompare(b.file) : a.status === 'failed' ? -1 : 1));
}

export function formatCheck(store: MibStore, cwd = process.cwd()): string {
  const r = store.report;
  const rel = (f: string): string => path.relative(cwd, f) || f;
  const out: string[] = [];
  for (const m of problemModules(r)) {
    out.push(`${m.status === 'failed' ? 'FAILED ' : 'PARTIAL'} ${m.module} (${rel(m.file)}), ${m.nodes} definitions usable`);
    for (const e of m.errors) out.push(`  ${rel(e.file)}:${e.line}: ${e.reason}`);
    for (const mi of m.missingImports) {
      out.push(`  ${rel(m.file)}:${mi.line}: missing import: ${mi.symbols.join(', ')} FROM ${mi.module} (${mi.reason})`);
    }
    const shown = m.unresolved.slice(0, 5);
    for (const u of shown) out.push(`  ${rel(m.file)}:${u.line}: ${u.name} not resolved: ${u.reason}`);
    if (m.unresolved.length > shown.length) out.push(`  … and ${m.unresolved.length - shown.length} more unresolved definitions`);
  }
  for (const f of r.files) if (f.reason.startsWith('no module header')) out.push(`FAILED  ${rel(f.file)}:${f.line}: ${f.reason}`);
  for (const m of r.modules) for (const w of m.warnings) out.push(`note: ${m.module} (${rel(m.file)}): ${w}`);
  for (const f of r.files) if (!f.reason.startsWith('no module header') && !isBaseDuplicate(f.file)) out.push(`note: ${rel(f.file)}:${f.line}: ${f.reason}`);
  out.push(`${r.loaded} of ${r.total} modules loaded (${store.nodes.length} OIDs, ${Math.round(r.parseMs)} ms)`);
  return out.join('\n');
}

/** A base MIB shadowed by a copy in a configured directory is the expected case, not a note. */
function isBaseDuplicate(file: string): boolean {
  return file.includes(`${path.sep}net-snmp${path.sep}lib${path.sep}mibs${path.sep}`);
}

export function checkJson(store: MibStore): Record<string, unknown> {
  const r = store.report;
  return {
    loaded: r.loaded, total: r.total, oids: store.nodes.length, parseMs: Math.round(r.parseMs),
    problems: problemModules(r),
    files: r.files.filter((f) => !isBaseDuplicate(f.file)),
  };
}
