/**
 * One threat-intelligence indicator set, compiled for lookup: IP addresses and CIDR networks in a
 * PrefixTable (longest prefix wins), domains, URLs and hashes in Maps. Per-indicator details are
 * held in columns (plain arrays of strings interned by the parsers) rather than one object per
 * indicator, so a million indicators cost little more than their strings.
 */
import { parseNetwork, type Ip } from './ip';
import { PrefixTable, PrefixTableBuilder } from './prefix-table';
import { HexFilter, StringFilter } from './string-filter';

export type IndicatorKind = 'ip' | 'domain' | 'url' | 'hash';

export interface IndicatorInput {
  value: string;
  /** Forced by the source's `type`, the CSV's type column or the STIX object path; else guessed. */
  kind?: IndicatorKind | undefined;
  description?: string | undefined;
  /** ECS threat.indicator.confidence: None, Low, Medium, High. */
  confidence?: string | undefined;
  /** Written as threat.enrichments[].matched.id (e.g. the STIX indicator id). */
  ref?: string | undefined;
  /** Overrides the set's provider (STIX: the identity in created_by_ref). */
  provider?: string | undefined;
}

export type AddResult = 'added' | 'duplicate' | 'invalid' | 'limit';

const HASH = /^(?:[0-9a-f]{32}|[0-9a-f]{40}|[0-9a-f]{64}|[0-9a-f]{128})$/;
const DOMAIN = /^(?:[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?\.)+[a-z0-9-]{2,63}$/;
const URL_PARTS = /^([a-z][a-z0-9+.-]*:\/\/)([^/?#]*)(.*)$/is;

export function hashAlgorithm(hex: string): 'md5' | 'sha1' | 'sha256' | 'sha512' {
  return hex.length === 32 ? 'md5' : hex.length === 40 ? 'sha1' : hex.length === 64 ? 'sha256' : 'sha512';
}

/** Lower-case domain without a trailing dot or a leading `*.` wildcard. */
export function normalizeDomain(text: string): string {
  let d = text.trim().toLowerCase();
  if (d.endsWith('.')) d = d.slice(0, -1);
  if (d.startsWith('*.')) d = d.slice(2);
  return d;
}

/** Scheme and host lower-cased (they are case-insensitive), an empty path written as `/`. */
export function normalizeUrl(text: string): string | null {
  const m = URL_PARTS.exec(text.trim());
  if (!m) return null;
  return `${m[1]!.toLowerCase()}${m[2]!.toLowerCase()}${m[3] === '' ? '/' : m[3]}`;
}

/** The kind an untyped indicator looks like, or null. */
export function guessKind(value: string): IndicatorKind | null {
  if (parseNetwork(value) !== null) return 'ip';
  const lower = value.toLowerCase();
  if (HASH.test(lower)) return 'hash';
  if (lower.includes('://')) return 'url';
  if (DOMAIN.test(normalizeDomain(lower))) return 'domain';
  return null;
}

/** What a match reports: the indicator and how to write it in threat.enrichments. */
export interface Indicator {
  kind: IndicatorKind;
  value: string;
  provider: string;
  description: string | undefined;
  confidence: string | undefined;
  ref: string | undefined;
}

export class IndicatorSet {
  private readonly domainFilter: StringFilter;
  private readonly urlFilter: StringFilter;
  private readonly hashFilter: HexFilter;

  constructor(
    readonly provider: string,
    private readonly ips: PrefixTable,
    private readonly domains: Map<string, number>,
    private readonly urls: Map<string, number>,
    private readonly hashes: Map<string, number>,
    private readonly kinds: IndicatorKind[],
    private readonly values: string[],
    private readonly details: Array<Omit<IndicatorInput, 'value' | 'kind'> | undefined>,
  ) {
    this.domainFilter = filterOf(domains);
    this.urlFilter = filterOf(urls);
    this.hashFilter = new HexFilter(hashes.size);
    for (const key of hashes.keys()) this.hashFilter.add(key);
  }

  get size(): number {
    return this.values.length;
  }

  indicator(i: number): Indicator {
    const d = this.details[i];
    return { kind: this.kinds[i]!, value: this.values[i]!, provider: d?.provider ?? this.provider, description: d?.description, confidence: d?.confidence, ref: d?.ref };
  }

  ip(ip: Ip): number {
    return this.ips.lookup(ip);
  }

  /** The domain or its closest listed parent (an indicator `evil.example` matches `a.evil.example`). */
  domain(name: string): number {
    if (this.domains.size === 0) return -1;
    let d = name;
    for (;;) {
      if (this.domainFilter.mayHave(d)) {
        const hit = this.domains.get(d);
        if (hit !== undefined) return hit;
      }
      const dot = d.indexOf('.');
      if (dot < 0) return -1;
      d = d.slice(dot + 1);
      // Listed domains always have a dot: a bare top-level domain is never looked up.
      if (d.indexOf('.') < 0) return -1;
    }
  }

  url(normalized: string): number {
    if (this.urls.size === 0 || !this.urlFilter.mayHave(normalized)) return -1;
    return this.urls.get(normalized) ?? -1;
  }

  /** `hex` lower-cased. */
  hash(hex: string): number {
    if (this.hashes.size === 0 || !this.hashFilter.mayHave(hex)) return -1;
    return this.hashes.get(hex) ?? -1;
  }
}

function filterOf(map: Map<string, number>): StringFilter {
  const f = new StringFilter(map.size);
  for (const key of map.keys()) f.add(key);
  return f;
}

export class IndicatorSetBuilder {
  private readonly ips = new PrefixTableBuilder();
  private readonly domains = new Map<string, number>();
  private readonly urls = new Map<string, number>();
  private readonly hashes = new Map<string, number>();
  private readonly kinds: IndicatorKind[] = [];
  private readonly values: string[] = [];
  private readonly details: Array<Omit<IndicatorInput, 'value' | 'kind'> | undefined> = [];

  constructor(readonly provider: string, readonly maxEntries: number) {}

  get size(): number {
    return this.values.length;
  }

  add(input: IndicatorInput): AddResult {
    const value = input.value.trim();
    if (value === '') return 'invalid';
    const kind = input.kind ?? guessKind(value);
    if (kind === null) return 'invalid';
    const i = this.values.length;
    const full = i >= this.maxEntries;
    let added: boolean;
    switch (kind) {
      case 'ip': {
        const net = parseNetwork(value);
        if (net === null) return 'invalid';
        if (full) return 'limit';
        added = this.ips.add(net, i);
        // A CIDR network listed twice is dropped when the table is built; it still takes a slot.
        break;
      }
      case 'domain': {
        const d = normalizeDomain(value);
        if (!DOMAIN.test(d)) return 'invalid';
        added = this.put(this.domains, d, i, full);
        break;
      }
      case 'url': {
        const u = normalizeUrl(value);
        if (u === null) return 'invalid';
        added = this.put(this.urls, u, i, full);
        break;
      }
      case 'hash': {
        const h = value.toLowerCase();
        if (!HASH.test(h)) return 'invalid';
        added = this.put(this.hashes, h, i, full);
        break;
      }
    }
    if (!added) return 'duplicate';
    if (full) return 'limit';
    this.kinds.push(kind);
    this.values.push(value);
    const hasDetails = input.description !== undefined || input.confidence !== undefined || input.ref !== undefined || input.provider !== undefined;
    this.details.push(hasDetails ? { description: input.description, confidence: input.confidence, ref: input.ref, provider: input.provider } : undefined);
    return 'added';
  }

  private put(map: Map<string, number>, key: string, i: number, full: boolean): boolean {
    if (map.has(key)) return false;
    if (!full) map.set(key, i);
    return true;
  }

  build(): IndicatorSet {
    return new IndicatorSet(this.provider, this.ips.build(), this.domains, this.urls, this.hashes, this.kinds, this.values, this.details);
  }
}

/** A STIX/CSV confidence (0–100, or a word) as ECS's None/Low/Medium/High (STIX 2.1 scale). */
export function confidenceLabel(raw: unknown): string | undefined {
  if (typeof raw === 'number' || (typeof raw === 'string' && /^\s*\d+(\.\d+)?\s*$/.test(raw))) {
    const n = Number(raw);
    if (!(n >= 0 && n <= 100)) return undefined;
    return n === 0 ? 'None' : n < 30 ? 'Low' : n < 70 ? 'Medium' : 'High';
  }
  if (typeof raw !== 'string') return undefined;
  const w = raw.trim().toLowerCase();
  return w === 'none' ? 'None' : w === 'low' ? 'Low' : w === 'medium' || w === 'med' ? 'Medium' : w === 'high' ? 'High' : undefined;
}
