/**
 * One threat-intelligence indicator set, compiled for lookup: IP addresses and CIDR networks in a
 * PrefixTable (longest prefix wins), domains, URLs and hashes in Maps. Per-indicator details are
 * held in columns (plain arrays of strings interned by the parsers) rather than one object per
 * indicator, so a million indicators cost little more than their strings.
 */
import { StringTable } from './hash-table';
import { parseNetwork, type Addr, type Ip } from './ip';
import { PrefixTable, PrefixTableBuilder } from './prefix-table';
import { fnv1a, fnv1aReverse, hexValue, HexFilter, StringFilter } from './string-filter';

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

/**
 * `text` itself when normalizeDomain(text) would return it unchanged (checked by char code, the
 * common case: no copy), else normalizeDomain(text).
 */
export function canonicalDomain(text: string): string {
  const len = text.length;
  if (len === 0) return text;
  const first = text.charCodeAt(0);
  const last = text.charCodeAt(len - 1);
  if (first <= 32 || last <= 32 || last === 46 || (first === 42 && len > 1 && text.charCodeAt(1) === 46)) return normalizeDomain(text);
  for (let i = 0; i < len; i++) {
    const c = text.charCodeAt(i);
    if ((c >= 65 && c <= 90) || c >= 128) return normalizeDomain(text);
  }
  return text;
}

/**
 * `text` itself when normalizeUrl(text) would return it unchanged (a lower-case scheme and host,
 * a non-empty path, nothing to trim), else normalizeUrl(text) (null: not a URL).
 */
export function canonicalUrl(text: string): string | null {
  const len = text.length;
  let c = len > 0 ? text.charCodeAt(0) : 0;
  if (!(c >= 97 && c <= 122)) return normalizeUrl(text);
  let i = 1;
  for (; i < len; i++) {
    c = text.charCodeAt(i);
    if (!((c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 43 || c === 46 || c === 45)) break;
  }
  if (c !== 58 || text.charCodeAt(i + 1) !== 47 || text.charCodeAt(i + 2) !== 47) return normalizeUrl(text);
  for (i += 3; i < len; i++) {
    c = text.charCodeAt(i);
    if (c === 47 || c === 63 || c === 35) break;
    if ((c >= 65 && c <= 90) || c >= 128) return normalizeUrl(text);
  }
  c = text.charCodeAt(len - 1);
  if (i === len || c <= 32 || c >= 128) return normalizeUrl(text);
  return text;
}

/**
 * A normalized domain's lookup keys, longest first: the name itself, then each parent that still
 * has a dot (a bare top-level domain is never looked up). Filled by domainKeys: their start
 * offsets and their hashes (fnv1aReverse of each suffix, all in one backward pass, no slices).
 */
let KEY_START = new Int32Array(64);
let KEY_HASH = new Uint32Array(64);

/** Fills KEY_START/KEY_HASH for `d` (shortest key first) and returns how many there are. */
export function domainKeys(d: string): number {
  let h = 0x811c9dc5;
  let n = 0;
  let dot = false;
  for (let i = d.length - 1; i >= 0; i--) {
    const c = d.charCodeAt(i);
    if (c === 46) {
      if (dot) n = pushKey(n, i + 1, h);
      dot = true;
    }
    h = Math.imul(h ^ c, 0x01000193);
  }
  return pushKey(n, 0, h);
}

function pushKey(n: number, start: number, h: number): number {
  if (n === KEY_START.length) {
    const s = new Int32Array(n * 2); s.set(KEY_START); KEY_START = s;
    const k = new Uint32Array(n * 2); k.set(KEY_HASH); KEY_HASH = k;
  }
  KEY_START[n] = start;
  KEY_HASH[n] = h >>> 0;
  return n + 1;
}

/** The table hash of a hex digest (upper or lower case): its first eight digits and its length; -1 when it cannot be one. */
export function hexKey(text: string): number {
  const v = hexValue(text, 8);
  return v < 0 ? -1 : (v ^ Math.imul(text.length, 0x9e3779b1)) >>> 0;
}

export class IndicatorSet {
  private readonly domainFilter: StringFilter;
  private readonly urlFilter: StringFilter;
  private readonly hashFilter: HexFilter;
  /** Normalized domains (hashed with fnv1aReverse), URLs (fnv1a) and lower-case hashes (hexKey) → indicator index. */
  private readonly domains: StringTable;
  private readonly urls: StringTable;
  private readonly hashes: StringTable;

  constructor(
    readonly provider: string,
    private readonly ips: PrefixTable,
    domains: Map<string, number>,
    urls: Map<string, number>,
    hashes: Map<string, number>,
    private readonly kinds: IndicatorKind[],
    private readonly values: string[],
    private readonly details: Array<Omit<IndicatorInput, 'value' | 'kind'> | undefined>,
  ) {
    this.domains = new StringTable(domains, domains.size, fnv1aReverse);
    this.urls = new StringTable(urls, urls.size, fnv1a);
    this.hashes = new StringTable(hashes, hashes.size, hexKey);
    this.domainFilter = new StringFilter(domains.size);
    for (const key of domains.keys()) this.domainFilter.addHash(fnv1aReverse(key));
    this.urlFilter = new StringFilter(urls.size);
    for (const key of urls.keys()) this.urlFilter.addHash(fnv1a(key));
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

  /** ip() for the per-event parse (parseAddressShared). */
  addr(a: Addr): number {
    return this.ips.lookupAddr(a);
  }

  /** The domain or its closest listed parent (an indicator `evil.example` matches `a.evil.example`). */
  domain(name: string): number {
    return this.domainByKeys(name, domainKeys(name));
  }

  /** domain() for a name whose keys domainKeys(name) just computed (shared by every set). */
  domainByKeys(name: string, keys: number): number {
    if (this.domains.size === 0) return -1;
    for (let k = keys - 1; k >= 0; k--) {
      const h = KEY_HASH[k]!;
      if (this.domainFilter.mayHaveHash(h)) {
        const hit = this.domains.getSuffix(h, name, KEY_START[k]!);
        if (hit >= 0) return hit;
      }
    }
    return -1;
  }

  url(normalized: string): number {
    return this.urlByHash(fnv1a(normalized), normalized);
  }

  /** url() with fnv1a(normalized) already computed. */
  urlByHash(h: number, normalized: string): number {
    if (this.urls.size === 0 || !this.urlFilter.mayHaveHash(h)) return -1;
    return this.urls.get(h, normalized);
  }

  /** A hex digest, upper or lower case. */
  hash(hex: string): number {
    return this.hashByKey(hexKey(hex), hex);
  }

  /** hash() with hexKey(hex) and hexValue(hex, 6) already computed. */
  hashByKey(key: number, hex: string, first6: number = hexValue(hex, 6)): number {
    if (key < 0 || this.hashes.size === 0 || !this.hashFilter.mayHaveValue(first6)) return -1;
    return this.hashes.getHex(key, hex);
  }
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
