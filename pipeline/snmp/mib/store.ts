import type { LoadReport, MibNode, Resolved, TextualConvention } from './types';

/**
 * One level of the OID trie: the node defined at this OID, if any, and the children by arc.
 * Arcs below SMALL_ARC sit in an array (an indexed load instead of a Map hash probe: most arcs in
 * real MIBs are small); larger arcs (enterprise numbers, Cisco product ids) in a Map.
 */
interface Trie {
  node: MibNode | undefined;
  small: Array<Trie | undefined> | undefined;
  large: Map<number, Trie> | undefined;
}

const SMALL_ARC = 128;

function child(t: Trie, arc: number): Trie | undefined {
  return arc < SMALL_ARC ? t.small?.[arc] : t.large?.get(arc);
}

export interface LookupResult {
  matches: Resolved[];
  /** Set when a bare name is defined in several modules (all are returned, best first). */
  note?: string;
}

/** RFC 3584 §3.1: SNMPv1 generic traps 0–5 → SNMPv2 snmpTraps.(generic+1). */
const SNMP_TRAPS = '1.3.6.1.6.3.1.1.5';
/** mib-2.snmp: RFC 1215-style TRAP-TYPEs of the generic traps use it as ENTERPRISE (egpNeighborLoss is only defined that way). */
const SNMP_ENTERPRISE = '1.3.6.1.2.1.11';

/**
 * The compiled MIB store: immutable once built, so a reload builds a new one and the worker swaps
 * the reference (no locking in the hot path).
 */
export class MibStore {
  private readonly root: Trie = { node: undefined, small: undefined, large: undefined };
  private readonly byQualified = new Map<string, MibNode>();
  private readonly byName = new Map<string, MibNode[]>();
  private readonly v1 = new Map<string, MibNode>();
  private readonly tcByQualified = new Map<string, TextualConvention>();

  constructor(readonly nodes: readonly MibNode[], readonly textualConventions: readonly TextualConvention[], readonly report: LoadReport) {
    for (const n of nodes) {
      this.byQualified.set(`${n.module}::${n.name}`, n);
      const same = this.byName.get(n.name);
      if (same) same.push(n); else this.byName.set(n.name, [n]);
      if (n.kind === 'trap-type' && n.enterprise !== undefined && n.specific !== undefined) {
        const key = `${n.enterprise}|${n.specific}`;
        if (!this.v1.has(key)) this.v1.set(key, n);
      }
      this.insert(n);
    }
    for (const tc of textualConventions) this.tcByQualified.set(`${tc.module}::${tc.name}`, tc);
  }

  private insert(n: MibNode): void {
    let t = this.root;
    for (const part of n.oid.split('.')) {
      const arc = Number(part);
      let next = child(t, arc);
      if (!next) {
        next = { node: undefined, small: undefined, large: undefined };
        if (arc < SMALL_ARC) (t.small ??= new Array<Trie | undefined>(SMALL_ARC).fill(undefined))[arc] = next;
        else (t.large ??= new Map()).set(arc, next);
      }
      t = next;
    }
    // A v2 NOTIFICATION-TYPE and the same trap written as v1 TRAP-TYPE share an OID: the SMIv2
    // definition wins (it is the one that names the OBJECTS); otherwise the first loaded wins.
    if (!t.node || (t.node.kind === 'trap-type' && n.kind !== 'trap-type')) t.node = n;
  }

  /**
   * Longest-prefix match of a dotted numeric OID. O(length of the OID): the string is scanned once,
   * arcs are parsed in place (no split, no substring per level) and walked down the trie.
   */
  resolve(oid: string): Resolved | null {
    let t: Trie | undefined = this.root;
    let best: MibNode | undefined;
    let bestEnd = 0;
    let i = oid.charCodeAt(0) === 46 ? 1 : 0; // tolerate a leading '.'
    const n = oid.length;
    while (i < n && t) {
      let arc = 0;
      const start = i;
      let c = oid.charCodeAt(i);
      while (c >= 48 && c <= 57) { arc = arc * 10 + (c - 48); c = oid.charCodeAt(++i); }
      if (i === start || (i < n && c !== 46)) return best ? this.result(best, oid, bestEnd) : null; // not a number: stop here
      t = child(t, arc);
      if (!t) break;
      if (t.node) { best = t.node; bestEnd = i; }
      i++; // skip '.'
    }
    return best ? this.result(best, oid, bestEnd) : null;
  }

  private result(node: MibNode, oid: string, end: number): Resolved {
    return { module: node.module, name: node.name, oid: node.oid, index: end >= oid.length ? '' : oid.slice(end + 1), node };
  }

  /** By numeric OID (longest prefix), `MODULE::name[.index]`, or a bare `name[.index]`. */
  lookup(text: string): LookupResult {
    const q = text.trim();
    if (/^\.?\d+(\.\d+)*$/.test(q)) {
      const r = this.resolve(q);
      return { matches: r ? [r] : [] };
    }
    const sep = q.indexOf('::');
    const mod = sep >= 0 ? q.slice(0, sep) : undefined;
    const rest = sep >= 0 ? q.slice(sep + 2) : q;
    const dot = rest.indexOf('.');
    const name = dot >= 0 ? rest.slice(0, dot) : rest;
    const index = dot >= 0 ? rest.slice(dot + 1) : '';
    const found = mod !== undefined ? [this.byQualified.get(`${mod}::${name}`)].filter((x): x is MibNode => x !== undefined) : [...(this.byName.get(name) ?? [])].sort((a, b) => rank(a) - rank(b));
    const matches = found.map((node) => ({ module: node.module, name: node.name, oid: node.oid, index, node }));
    if (matches.length > 1) {
      return { matches, note: `${name} is defined in ${matches.length} modules (${matches.map((m) => m.module).join(', ')}); qualify it as MODULE::${name}` };
    }
    return { matches };
  }

  node(module: string, name: string): MibNode | undefined {
    return this.byQualified.get(`${module}::${name}`);
  }

  textualConvention(module: string, name: string): TextualConvention | undefined {
    return this.tcByQualified.get(`${module}::${name}`);
  }

  /** The TRAP-TYPE defined for this (enterprise, specific-trap) pair, if any. */
  v1Trap(enterprise: string, specific: number): MibNode | undefined {
    return this.v1.get(`${stripDot(enterprise)}|${specific}`);
  }

  /** Names a v1 trap: the snmpTrapOID (RFC 3584) and the node it resolves to. */
  nameV1Trap(enterprise: string, generic: number, specific: number): { trapOid: string; node: MibNode | null } {
    const trapOid = v1TrapOid(enterprise, generic, specific);
    // RFC 3584 §3.2 maps a notification whose next-to-last arc is not 0 (BGP4-MIB's
    // bgpBackwardTransition is 1.3.6.1.2.1.15.7.2) to enterprise = all but the last arc; a v1 agent
    // sends it that way, so enterprise.specific is tried when enterprise.0.specific is unknown.
    const node = generic === 6
      ? this.v1Trap(enterprise, specific) ?? this.resolveExact(trapOid) ?? this.resolveExact(`${stripDot(enterprise)}.${specific}`, 'notification-type')
      : this.resolveExact(trapOid) ?? this.v1Trap(SNMP_ENTERPRISE, generic);
    return { trapOid, node: node ?? null };
  }

  private resolveExact(oid: string, kind?: MibNode['kind']): MibNode | undefined {
    const r = this.resolve(oid);
    return r && r.index === '' && (kind === undefined || r.node.kind === kind) ? r.node : undefined;
  }

  /** `MODULE::name.index` for a numeric OID, or the OID unchanged when nothing matches. */
  translate(oid: string): string {
    const r = this.resolve(oid);
    if (!r) return oid;
    return r.index ? `${r.module}::${r.name}.${r.index}` : `${r.module}::${r.name}`;
  }
}

/**
 * RFC 3584 §3.1 (v1 → v2 snmpTrapOID): generic traps 0–5 are snmpTraps.1–6 (coldStart, warmStart,
 * linkDown, linkUp, authenticationFailure, egpNeighborLoss); enterpriseSpecific (6) is
 * enterprise.0.specific.
 */
export function v1TrapOid(enterprise: string, generic: number, specific: number): string {
  if (generic >= 0 && generic <= 5) return `${SNMP_TRAPS}.${generic + 1}`;
  return `${stripDot(enterprise)}.0.${specific}`;
}

/**
 * Order for ambiguous bare names: current definitions first, then SMIv2 modules before the
 * SMIv1 RFC modules they replaced (RFC1213-MIB, RFC1158-MIB).
 */
function rank(n: MibNode): number {
  const status = n.status === 'obsolete' || n.status === 'deprecated' ? 2 : 0;
  return status + (/^RFC\d/.test(n.module) ? 1 : 0);
}

function stripDot(oid: string): string {
  return oid.charCodeAt(0) === 46 ? oid.slice(1) : oid;
}
