/**
 * Pre-filter index over a rule set, built once per set: most rules are never evaluated for an event.
 *
 * Each rule gets a necessary condition (requirements.ts): up to a few clauses, each an OR of keys
 * "field equals v" / "field contains v" (lowercased). Per event we look every indexed field up once:
 * - equality keys: field → lowercased value → clause ids (a Map lookup per field);
 * - substring keys: field → one Aho–Corasick automaton over all its literals (one pass over the
 *   lowercased value finds every literal of every rule);
 * - cidr keys: field → its networks (cidr-set.ts: the address is parsed once, then one Map probe
 *   per prefix length).
 * A clause is satisfied when one of its keys is found; a rule is a candidate when all its clauses
 * are (counted with per-event stamps, no clearing). Rules without a usable requirement are always
 * candidates. Candidates are then evaluated with their full `matches()`, in rule order, so the
 * result is exactly the brute-force loop's: the index may let a rule through that does not match,
 * never the reverse (test/unit/detect/rule-index/property.test.ts checks this on random rules).
 */
import type { Rule } from '../../../schemas/generated/types';
import type { CompiledRule } from '../load';
import { asText } from '../modifiers/matchers';
import type { IpNet } from '../modifiers/types';
import { AhoCorasick } from './aho-corasick';
import { CidrSet } from './cidr-set';
import { fieldReader, type FieldReader } from '../field';
import { lowerCase } from '../glob';
import { ruleRequirement, type Clause, type Key, type Requirement } from './requirements';

/** A key in more rules' clauses than this counts as common (see the constructor). */
const COMMON = 8;

export interface RuleIndexStats {
  rules: number;
  /** Rules behind at least one clause. */
  indexed: number;
  /** Rules evaluated for every event (no usable requirement). */
  always: number;
  clauses: number;
  eqFields: number;
  eqKeys: number;
  subFields: number;
  subPatterns: number;
  cidrNets: number;
  automatonStates: number;
  automatonBytes: number;
  buildMs: number;
}

interface CidrField { field: string; read: FieldReader; nets: CidrSet }
interface SubField { field: string; read: FieldReader; automaton: AhoCorasick; clauses: Int32Array[] }

export class RuleIndex {
  readonly rules: readonly CompiledRule[];
  readonly stats: RuleIndexStats;
  /** Indexes of rules evaluated for every event, ascending. */
  private readonly always: Int32Array;
  private readonly eq: Array<{ field: string; read: FieldReader; values: Map<string, Int32Array> }>;
  private readonly sub: SubField[];
  private readonly cidr: CidrField[];
  private readonly clauseRule: Int32Array;
  private readonly ruleClauses: Int32Array;
  // Per-event scratch: a clause / rule counts as touched in this event when its stamp is `epoch`.
  private readonly clauseStamp: Uint32Array;
  private readonly ruleStamp: Uint32Array;
  private readonly ruleHits: Int32Array;
  private epoch = 0;
  private found: number[] = [];
  private subClauses: Int32Array[] = [];
  private readonly markClauses = (ids: Int32Array): void => { for (let i = 0; i < ids.length; i++) this.mark(ids[i]!); };
  private readonly onPattern = (p: number): void => this.markClauses(this.subClauses[p]!);

  constructor(rules: readonly CompiledRule[], requirementOf: (rule: CompiledRule) => Requirement = defaultRequirement) {
    const t0 = process.hrtime.bigint();
    this.rules = [...rules]; // a snapshot: the index describes these rules, whatever the caller's array becomes
    const always: number[] = [];
    const clauseRule: number[] = [];
    const ruleClauses = new Int32Array(rules.length);
    const eq = new Map<string, Map<string, number[]>>();
    const sub = new Map<string, Map<string, number[]>>();
    const cidr = new Map<string, Map<string, { net: IpNet; clauses: number[] }>>();
    const add = (m: Map<string, Map<string, number[]>>, field: string, value: string, clause: number): void => {
      let byValue = m.get(field);
      if (!byValue) { byValue = new Map(); m.set(field, byValue); }
      const list = byValue.get(value);
      if (list) { if (list[list.length - 1] !== clause) list.push(clause); } else byValue.set(value, [clause]);
    };
    // An empty clause or an empty substring cannot be looked up: such a rule is evaluated always.
    const reqs = rules.map((rule) => {
      const req = requirementOf(rule);
      return req === null || req.length === 0 || req.some((c) => c.length === 0 || c.some((k) => k.kind === 'sub' && k.value === '')) ? null : req;
    });
    // Any subset of a rule's clauses is still necessary. A clause whose keys many rules share
    // ('Failed password for', process.name: sshd) is common in traffic too: marking it touches all
    // those rules on every such event. So a rule keeps its rarest clause, plus the others only when
    // they are rare as well (shared by at most COMMON rules' clauses).
    const shared = new Map<string, number>();
    const keyName = (k: Key): string => `${k.kind}\u0000${k.field}\u0000${k.value}`;
    for (const req of reqs) for (const c of req ?? []) for (const k of c) shared.set(keyName(k), (shared.get(keyName(k)) ?? 0) + 1);
    const commonness = (c: Clause): number => c.reduce((m, k) => Math.max(m, shared.get(keyName(k))!), 0);
    reqs.forEach((full, r) => {
      if (full === null) {
        always.push(r);
        return;
      }
      const sorted = [...full].sort((a, b) => commonness(a) - commonness(b));
      const req = sorted.filter((c, i) => i === 0 || commonness(c) <= COMMON);
      ruleClauses[r] = req.length;
      for (const clause of req) {
        const id = clauseRule.length;
        clauseRule.push(r);
        for (const k of clause) {
          if (k.kind !== 'cidr') { add(k.kind === 'eq' ? eq : sub, k.field, k.value, id); continue; }
          let nets = cidr.get(k.field);
          if (!nets) { nets = new Map(); cidr.set(k.field, nets); }
          const entry = nets.get(k.value) ?? { net: k.net, clauses: [] };
          nets.set(k.value, entry);
          if (entry.clauses[entry.clauses.length - 1] !== id) entry.clauses.push(id);
        }
      }
    });
    this.always = Int32Array.from(always);
    this.clauseRule = Int32Array.from(clauseRule);
    this.ruleClauses = ruleClauses;
    this.eq = [...eq].map(([field, values]) => ({ field, read: fieldReader(field), values: new Map([...values].map(([v, ids]) => [v, Int32Array.from(ids)])) }));
    this.sub = [...sub].map(([field, values]) => {
      const patterns = [...values.keys()];
      return { field, read: fieldReader(field), automaton: new AhoCorasick(patterns), clauses: patterns.map((p) => Int32Array.from(values.get(p)!)) };
    });
    this.cidr = [...cidr].map(([field, nets]) => ({ field, read: fieldReader(field), nets: new CidrSet([...nets.values()].map((e) => ({ net: e.net, ids: e.clauses }))) }));
    this.clauseStamp = new Uint32Array(clauseRule.length);
    this.ruleStamp = new Uint32Array(rules.length);
    this.ruleHits = new Int32Array(rules.length);
    this.stats = {
      rules: rules.length,
      indexed: rules.length - always.length,
      always: always.length,
      clauses: clauseRule.length,
      eqFields: this.eq.length,
      eqKeys: this.eq.reduce((s, f) => s + f.values.size, 0),
      subFields: this.sub.length,
      cidrNets: this.cidr.reduce((s, f) => s + f.nets.size, 0),
      subPatterns: this.sub.reduce((s, f) => s + f.automaton.patterns.length, 0),
      automatonStates: this.sub.reduce((s, f) => s + f.automaton.states, 0),
      automatonBytes: this.sub.reduce((s, f) => s + f.automaton.bytes, 0),
      buildMs: Number(process.hrtime.bigint() - t0) / 1e6,
    };
  }

  /** Indexes (ascending) of the rules that may match the event: the only ones worth evaluating. */
  candidates(event: unknown): number[] {
    if (++this.epoch === 0xffffffff) {
      this.clauseStamp.fill(0);
      this.ruleStamp.fill(0);
      this.epoch = 1;
    }
    const found: number[] = [];
    this.found = found;
    for (const { read, values } of this.eq) {
      const v = read(event);
      if (v === undefined) continue;
      if (Array.isArray(v)) {
        for (const x of v) this.lookupEq(values, x);
      } else {
        this.lookupEq(values, v);
      }
    }
    for (const s of this.sub) {
      const v = s.read(event);
      if (v === undefined) continue;
      if (Array.isArray(v)) {
        for (const x of v) this.scanSub(s, x);
      } else {
        this.scanSub(s, v);
      }
    }
    for (const c of this.cidr) {
      const v = c.read(event);
      if (v === undefined) continue;
      if (Array.isArray(v)) {
        for (const x of v) c.nets.lookup(x, this.markClauses);
      } else {
        c.nets.lookup(v, this.markClauses);
      }
    }
    const always = this.always;
    if (always.length === 0) {
      if (found.length > 1) found.sort(ascending);
      return found;
    }
    for (let i = 0; i < always.length; i++) found.push(always[i]!);
    found.sort(ascending);
    return found;
  }

  /** The brute-force loop's result (same rules, same order, same error reporting), on candidates only. */
  match(event: unknown, onRuleError: (rule: CompiledRule, err: unknown) => void): CompiledRule[] {
    const hits: CompiledRule[] = [];
    const candidates = this.candidates(event);
    for (let i = 0; i < candidates.length; i++) {
      const rule = this.rules[candidates[i]!]!;
      try {
        if (rule.matches(event)) hits.push(rule);
      } catch (err) {
        onRuleError(rule, err);
      }
    }
    return hits;
  }

  private lookupEq(values: Map<string, Int32Array>, x: unknown): void {
    const t = asText(x);
    if (t === null) return;
    const ids = values.get(lowerCase(t));
    if (ids !== undefined) this.markClauses(ids);
  }

  private scanSub(s: SubField, x: unknown): void {
    const t = asText(x);
    if (t === null) return;
    this.subClauses = s.clauses;
    s.automaton.scan(lowerCase(t), this.onPattern);
  }

  private mark(clause: number): void {
    const epoch = this.epoch;
    if (this.clauseStamp[clause] === epoch) return;
    this.clauseStamp[clause] = epoch;
    const r = this.clauseRule[clause]!;
    if (this.ruleStamp[r] !== epoch) { this.ruleStamp[r] = epoch; this.ruleHits[r] = 0; }
    if (++this.ruleHits[r]! === this.ruleClauses[r]) this.found.push(r);
  }
}

const ascending = (a: number, b: number): number => a - b;

/** From the rule document; a rule without one (built by hand, in tests) is always evaluated. */
function defaultRequirement(rule: CompiledRule): Requirement {
  const source = (rule as { source?: Rule }).source;
  return source?.detection ? ruleRequirement(source) : null;
}

export function buildRuleIndex(rules: readonly CompiledRule[]): RuleIndex {
  return new RuleIndex(rules);
}
