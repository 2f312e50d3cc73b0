/**
 * The asset inventory: address and host name → name, owner, criticality, os, tags. Loaded from a
 * CSV or YAML file or from an Elasticsearch index (documents with the same fields), compiled into
 * two Maps: addresses by their numeric value (so 10.0.0.1 and ::ffff:10.0.0.1 are one key) and
 * host names lower-cased (a fully qualified name is also filed under its first label, unless
 * another asset has that short name itself).
 */
import YAML from 'yaml';
import type { Client } from '@elastic/elasticsearch';
import { parseCsv } from './csv';
import { InlineStringTable, U32Table, W4Table } from './hash-table';
import { parseAddress, words6, type Addr, type Ip } from './ip';
import { criticalityRank, isCriticality, type Criticality } from './severity';
import { fnv1a, fnv1aLower } from './string-filter';

export interface Asset {
  name?: string;
  owner?: string;
  criticality?: Criticality;
  os?: string;
  tags?: string[];
}

export interface AssetStats { added: number; invalid: number; limit: number; examples: string[] }

export class AssetTable {
  /**
   * Most addresses in events are not assets (internet peers): one bit per IPv4 /16 (8 KB, in
   * cache) turns most of those away. A probe that gets past it reads one slot of an
   * open-addressing table in a typed array (hash-table.ts) rather than walking a Map. Lookups
   * return the asset's index: the event gets assets[i] (the object itself is never read on the
   * per-event path) and the criticality comes from a byte per asset.
   */
  private readonly v4Blocks = new Uint32Array(65536 / 32);
  /** Distinct assets; the tables hold indexes into it. */
  private readonly assets: Asset[] = [];
  /** criticalityRank of each asset (0: none). */
  private readonly ranks: Uint8Array;
  private readonly byIp4: U32Table;
  private readonly byIp6: W4Table;
  private readonly byHost: InlineStringTable;

  constructor(byIp: Map<number | bigint, Asset>, byHost: Map<string, Asset>, readonly size: number) {
    const index = new Map<Asset, number>();
    const indexOf = (a: Asset): number => {
      let i = index.get(a);
      if (i === undefined) { i = this.assets.length; this.assets.push(a); index.set(a, i); }
      return i;
    };
    const keys4: number[] = [];
    const values4: number[] = [];
    const words: number[] = [];
    const values6: number[] = [];
    const w = new Uint32Array(4);
    for (const [key, asset] of byIp) {
      if (typeof key === 'number') {
        const b = key >>> 16;
        this.v4Blocks[b >>> 5]! |= 1 << (b & 31);
        keys4.push(key);
        values4.push(indexOf(asset));
      } else {
        words6(key, w, 0);
        words.push(w[0]!, w[1]!, w[2]!, w[3]!);
        values6.push(indexOf(asset));
      }
    }
    this.byIp4 = new U32Table(keys4, values4);
    this.byIp6 = new W4Table(words, values6);
    const hosts = [...byHost.keys()];
    this.byHost = new InlineStringTable(hosts, hosts.map((h) => indexOf(byHost.get(h)!)), fnv1a);
    this.ranks = Uint8Array.from(this.assets, (a) => criticalityRank(a.criticality));
  }

  static readonly EMPTY = new AssetTable(new Map(), new Map(), 0);

  /** The index of the asset with this address (parseAddressShared's result), or -1. */
  ipIndex(ip: Addr): number {
    if (ip.v === 4) {
      const n = ip.n;
      const b = n >>> 16;
      if ((this.v4Blocks[b >>> 5]! & (1 << (b & 31))) === 0) return -1;
      return this.byIp4.get(n);
    }
    const w = ip.w;
    return this.byIp6.get(w[0]!, w[1]!, w[2]!, w[3]!);
  }

  /** The index of the asset with this host name (case-insensitive), or -1. */
  hostIndex(name: string): number {
    if (this.byHost.size === 0) return -1;
    // Hashed in the pass that checks it is already lower-case (the usual case: no copy).
    let key = name;
    let h = fnv1aLower(name);
    if (h < 0) { key = name.toLowerCase(); h = fnv1a(key); }
    return this.byHost.get(h, key);
  }

  /** The asset at an index ipIndex or hostIndex returned. */
  at(i: number): Asset {
    return this.assets[i]!;
  }

  /** Its criticalityRank. */
  rank(i: number): number {
    return this.ranks[i]!;
  }

  ip(ip: Addr): Asset | undefined {
    const i = this.ipIndex(ip);
    return i < 0 ? undefined : this.assets[i];
  }

  host(name: string): Asset | undefined {
    const i = this.hostIndex(name);
    return i < 0 ? undefined : this.assets[i];
  }
}

/** A row or document as read: ip may be one address or several (array, or separated by ; or space). */
export type AssetRecord = Record<string, unknown>;

export class AssetTableBuilder {
  private readonly byIp = new Map<number | bigint, Asset>();
  private readonly byHost = new Map<string, Asset>();
  private readonly shortNames = new Map<string, Asset>();
  readonly stats: AssetStats = { added: 0, invalid: 0, limit: 0, examples: [] };

  constructor(private readonly maxEntries: number) {}

  add(rec: AssetRecord, where: string): void {
    const bad = (why: string): void => { this.stats.invalid++; if (this.stats.examples.length < 5) this.stats.examples.push(`${where}: ${why}`); };
    const ips: Ip[] = [];
    for (const text of list(rec.ip)) {
      const ip = parseAddress(text);
      if (ip === null) return bad(`'${text}' is not an IP address`);
      ips.push(ip);
    }
    const hostnames = list(rec.hostname).map((h) => h.toLowerCase().replace(/\.$/, ''));
    if (ips.length === 0 && hostnames.length === 0) return bad('an asset needs an ip or a hostname');
    const crit = str(rec.criticality)?.toLowerCase();
    if (crit !== undefined && !isCriticality(crit)) return bad(`criticality '${crit}' is not low, medium, high or critical`);
    if (this.stats.added >= this.maxEntries) { this.stats.limit++; return; }
    const asset: Asset = {};
    const name = str(rec.name) ?? hostnames[0];
    if (name !== undefined) asset.name = name;
    const owner = str(rec.owner);
    if (owner !== undefined) asset.owner = owner;
    if (crit !== undefined) asset.criticality = crit;
    const os = str(rec.os);
    if (os !== undefined) asset.os = os;
    const tags = list(rec.tags, /[;|]/);
    if (tags.length > 0) asset.tags = tags;
    // Events share the asset's object rather than a copy each (copying cost a cache miss per
    // field on the per-event path); frozen, so a stage that tried to change it would fail loudly
    // instead of changing every other event's asset.
    if (asset.tags) Object.freeze(asset.tags);
    Object.freeze(asset);
    for (const ip of ips) if (!this.byIp.has(ip.n)) this.byIp.set(ip.n, asset);
    for (const h of hostnames) {
      if (!this.byHost.has(h)) this.byHost.set(h, asset);
      const dot = h.indexOf('.');
      if (dot > 0 && parseAddress(h) === null) { const short = h.slice(0, dot); if (!this.shortNames.has(short)) this.shortNames.set(short, asset); }
    }
    this.stats.added++;
  }

  build(): AssetTable {
    for (const [short, asset] of this.shortNames) if (!this.byHost.has(short)) this.byHost.set(short, asset);
    return new AssetTable(this.byIp, this.byHost, this.stats.added);
  }
}

function str(x: unknown): string | undefined {
  if (typeof x === 'number') return String(x);
  if (typeof x !== 'string') return undefined;
  const t = x.trim();
  return t === '' ? undefined : t;
}

function list(x: unknown, sep: RegExp = /[;\s]+/): string[] {
  if (Array.isArray(x)) return x.map(str).filter((s): s is string => s !== undefined);
  const s = str(x);
  return s === undefined ? [] : s.split(sep).map((p) => p.trim()).filter((p) => p !== '');
}

/** A CSV with a header row, or YAML (a list of mappings, or a mapping with an `assets` list). */
export function loadAssetText(text: string, file: string, builder: AssetTableBuilder): void {
  if (/\.ya?ml$/i.test(file)) {
    const doc = YAML.parse(text, { uniqueKeys: true }) as unknown;
    const items = Array.isArray(doc) ? doc : doc && typeof doc === 'object' && Array.isArray((doc as { assets?: unknown }).assets) ? (doc as { assets: unknown[] }).assets : null;
    if (items === null) throw new Error('expected a YAML list of assets (or a mapping with an `assets` list)');
    items.forEach((item, i) => {
      if (item === null || typeof item !== 'object' || Array.isArray(item)) builder.add({}, `item ${i + 1}`);
      else builder.add(item as AssetRecord, `item ${i + 1}`);
    });
    return;
  }
  let header: string[] | null = null;
  parseCsv(text, (fields, line) => {
    if (header === null) {
      header = fields.map((f) => f.trim().toLowerCase());
      if (!header.includes('ip') && !header.includes('hostname')) throw new Error(`line ${line}: the header row needs an ip or a hostname column; got ${header.join(', ')}`);
      return;
    }
    const rec: AssetRecord = {};
    header.forEach((h, i) => { if (fields[i] !== undefined) rec[h] = fields[i]; });
    builder.add(rec, `line ${line}`);
  });
  if (header === null) throw new Error('no header row');
}

/** Reads every document of `index` (scroll, sorted by _doc: the cheapest full read). */
export async function loadAssetIndex(es: Client, index: string, builder: AssetTableBuilder): Promise<void> {
  let res = await es.search<AssetRecord>({ index, scroll: '1m', size: 5000, sort: ['_doc'] });
  const scrollIds = new Set<string>();
  try {
    for (;;) {
      if (res._scroll_id) scrollIds.add(res._scroll_id);
      const hits = res.hits.hits;
      if (hits.length === 0) break;
      for (const h of hits) builder.add(h._source ?? {}, `document ${h._id}`);
      if (!res._scroll_id) break;
      res = await es.scroll<AssetRecord>({ scroll_id: res._scroll_id, scroll: '1m' });
    }
  } finally {
    if (scrollIds.size > 0) await es.clearScroll({ scroll_id: [...scrollIds] }).catch(() => undefined);
  }
}
