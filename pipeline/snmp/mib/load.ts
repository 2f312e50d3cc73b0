import fs from 'node:fs';
import path from 'node:path';
import { compileMibs, type MibSource } from './compile';
import type { MibStore } from './store';

/** The MIBs the net-snmp package ships (SNMPv2-SMI/TC/CONF/MIB, IF-MIB, IANAifType-MIB, RFC1213-MIB, …). */
export function baseMibDir(): string {
  return path.join(path.dirname(require.resolve('net-snmp/package.json')), 'lib', 'mibs');
}

export interface MibLoadOptions {
  /** Absolute MIB directories (config `snmp.mibs`, resolved against the config file), in priority order. */
  dirs: readonly string[];
  /** Load the base MIBs shipped with net-snmp after the directories (default true). */
  base?: boolean;
}

/** Not MIB text: skipped without a report (documentation, trap lists, archives). */
const SKIP_EXT = new Set(['.md', '.html', '.htm', '.pdf', '.traps', '.oid', '.gz', '.zip', '.tar', '.json', '.yml', '.yaml', '.sh', '.py', '.c', '.h']);

/** Lists the candidate MIB files of a directory (recursively, sorted, hidden files skipped). */
export function mibFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      if (e.name.startsWith('.')) continue;
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile() && !SKIP_EXT.has(path.extname(e.name).toLowerCase())) out.push(p);
    }
  };
  walk(dir);
  return out;
}

/**
 * Reads the MIB directories (then the base MIBs) and compiles one store. A file that is not a MIB
 * module at all (no `DEFINITIONS ::= BEGIN`) is skipped silently only when it does not mention
 * DEFINITIONS; otherwise the parser reports it. Never prints: everything goes into store.report.
 */
export function loadMibs(opts: MibLoadOptions): MibStore {
  const sources: MibSource[] = [];
  const dirs = [...opts.dirs, ...(opts.base === false ? [] : [baseMibDir()])];
  for (const dir of dirs) {
    for (const file of mibFiles(dir)) {
      // latin1 maps every byte to one char, so odd bytes in vendor DESCRIPTIONs never fail a load.
      const text = fs.readFileSync(file, 'latin1');
      if (!text.includes('DEFINITIONS')) continue;
      sources.push({ file, text });
    }
  }
  return compileMibs(sources);
}

/**
 * Builds a fresh store from the same directories: the worker swaps its reference when the
 * result is usable (like rules), and keeps the previous store otherwise.
 */
export function reloadMibs(opts: MibLoadOptions): MibStore {
  return loadMibs(opts);
}
