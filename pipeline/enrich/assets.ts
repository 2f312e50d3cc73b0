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
import { parseAddress, type Ip } from './ip';
import { isCriticality, type Criticality } from './severity';
import { StringFilter } from './string-filter';

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
   * Most addresses and names in events are not assets (internet peers, other devices). A Map
   * probe of 100k+ entries is a few cache misses; these small filters — one bit per IPv4 /16
   * (8 KB) and a bit filter of the host names — turn most misses away before the Map.
   */
  private readonly v4Blocks = new Uint32Array(65536 / 32);
  private readonly hostFilter: StringFilter;
  private readonly v6: number;

  constructor(private readonly byIp: Map<number | bigint, Asset>, private readonly byHost: Map<string, Asset>, readonly size: number) {
    let v6 = 0;
    for (const key of byIp.keys()) if (typeof key === 'number') { const b = key >>> 16; this.v4Blocks[b >>> 5]! |= 1 << (b & 31); } else v6++;
    this.v6 = v6;
    this.hostFilter = new StringFilter(byHost.size);
    for (const key of byHost.keys()) this.hostFilter.add(key);
  }

  static readonly EMPTY = new AssetTable(new Map(), new Map(), 0);

  ip(ip: Ip): Asset | undefined {
    if (ip.v === 4) {
      const b = ip.n >>> 16;
      if ((this.v4Blocks[b >>> 5]! & (1 << (b & 31))) === 0) return undefined;
    } else if (this.v6 === 0) return undefined;
    return this.byIp.get(ip.n);
  }

  host(name: string): Asset | undefined {
    if (this.byHost.size === 0) return undefined;
    const key = name.toLowerCase(); // the same string when it already is lower-case
    return this.hostFilter.mayHave(key) ? this.byHost.get(key) : undefined;
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
