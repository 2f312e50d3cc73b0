/**
 * The enrich stage (between normalize and detect): GeoIP/ASN, network zones, the asset inventory
 * and threat intelligence, all looked up in memory in structures compiled at load time.
 *
 * Every source lives in a slot holding its compiled form. A reload compiles the new data off to
 * the side and replaces the slot's value in one assignment, so an event is always enriched from
 * one complete version of each source; a source that fails to load keeps serving its previous
 * version (logged with HAETAE_ENRICH_SOURCE, counted in haetae_enrich_reloads_total
 * {result="rejected"}). At start-up the same failure throws: a worker never runs without a source
 * it was configured with.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Client } from '@elastic/elasticsearch';
import type { AsnResponse, CityResponse } from 'maxmind';
import type { HaetaeConfig, HaetaeEvent } from '../../schemas/generated/types';
import { HaetaeError, messageOf } from '../errors/catalog';
import type { Logger } from '../telemetry/logger';
import type { Metrics } from '../telemetry/metrics';
import { watchRulePaths } from '../detect/watch';
import { AssetTable, AssetTableBuilder, loadAssetIndex, loadAssetText, type Asset } from './assets';
import { GeoLookup, openMmdb, type GeoResult } from './geoip';
import type { IndicatorSet } from './indicators';
import { isNonPublicAddr, parseAddressShared, type Addr } from './ip';
import { criticalityOfRank } from './severity';
import { matchThreatsWith } from './threat';
import { loadThreatText, type LoadStats } from './threat-files';
import { Zones } from './zones';

type DeepReadonly<T> = T extends (infer U)[] ? ReadonlyArray<DeepReadonly<U>> : T extends object ? { readonly [K in keyof T]: DeepReadonly<T[K]> } : T;
export type EnrichConfig = DeepReadonly<NonNullable<HaetaeConfig['enrich']>>;

export interface EnrichDeps {
  logger: Logger;
  metrics: Metrics;
  /** Relative paths in the config are resolved against this (the config file's directory). */
  baseDir: string;
  /** Needed when enrich.assets.elasticsearch is set. */
  elasticsearch?: Client;
  /** Reload file sources when they change, and the Elasticsearch assets every refreshSeconds (default true). */
  watch?: boolean;
  /** Clock for STIX valid_until (tests). */
  now?: () => Date;
}

export interface Enricher {
  /** Adds what the sources know about the event, in place. Never throws for odd field values. */
  enrich(event: HaetaeEvent | Record<string, unknown>): void;
  /** Reloads every source now; a source that fails keeps its previous data. */
  reload(): Promise<void>;
  /** Stops watching and refreshing. */
  close(): void;
  /** Whether alerts should be raised by asset criticality (enrich.assets.raiseSeverity). */
  readonly raiseSeverity: boolean;
  /** Entries each source serves, by source id (geoip.city, assets.file, threat.<name>, …). */
  sizes(): Record<string, number>;
}

type Obj = Record<string, unknown>;
const isObj = (x: unknown): x is Obj => x !== null && typeof x === 'object' && !Array.isArray(x);

/** haetae.zone of the event, created when missing (named loads and stores: see enrich). */
function haetaeZone(e: Obj): Obj {
  let h = e.haetae as Obj;
  if (!isObj(h)) e.haetae = h = {};
  let o = h.zone as Obj;
  if (!isObj(o)) h.zone = o = {};
  return o;
}

/** haetae.asset of the event, created when missing. */
function haetaeAsset(e: Obj): Obj {
  let h = e.haetae as Obj;
  if (!isObj(h)) e.haetae = h = {};
  let o = h.asset as Obj;
  if (!isObj(o)) h.asset = o = {};
  return o;
}

const LOOKUP_SOURCES = ['geoip', 'asn', 'zone', 'asset', 'threat'] as const;
const OUTCOMES = ['hit', 'miss', 'skipped'] as const;
const GEOIP = 0, ASN = 1, ZONE = 2, ASSET = 3, THREAT = 4;
const HIT = 0, MISS = 1, SKIPPED = 2;

interface Slot<T> {
  /** Metric label and log name: geoip.city, geoip.asn, assets.file, assets.elasticsearch, threat.<name>. */
  id: string;
  /** The file, or the index for Elasticsearch. */
  where: string;
  file: string | null;
  load: () => Promise<{ value: T; size: number }>;
  value: T;
  signature: string;
}

export async function createEnricher(config: EnrichConfig | undefined, deps: EnrichDeps): Promise<Enricher> {
  const { logger, metrics } = deps;
  const cfg = config ?? {};
  const resolve = (p: string): string => path.resolve(deps.baseDir, p);
  const now = deps.now ?? (() => new Date());

  let zones: Zones | null = null;
  try {
    const z = new Zones(cfg.zones ?? []);
    zones = z.isEmpty ? null : z;
  } catch (err) {
    throw new HaetaeError('HAETAE_CONFIG_INVALID', ['enrich.zones', messageOf(err)]);
  }

  const names = new Set<string>();
  (cfg.threat ?? []).forEach((t, i) => {
    if (names.has(t.name)) throw new HaetaeError('HAETAE_CONFIG_INVALID', ['enrich.threat', `/enrich/threat/${i}/name: '${t.name}' is used twice (names label metrics and enrichments)`]);
    names.add(t.name);
  });

  const counts = new Float64Array(LOOKUP_SOURCES.length * OUTCOMES.length);
  const count = (source: number, outcome: number): void => { counts[source * 3 + outcome]!++; };
  const unregister = metrics.onCollectEnrich(() => {
    for (let s = 0; s < LOOKUP_SOURCES.length; s++) {
      for (let o = 0; o < OUTCOMES.length; o++) {
        const n = counts[s * 3 + o]!;
        if (n > 0) { metrics.enrichLookups.inc({ source: LOOKUP_SOURCES[s]!, outcome: OUTCOMES[o]! }, n); counts[s * 3 + o] = 0; }
      }
    }
  });

  // ---- slots -------------------------------------------------------------------------------
  const slots: Array<Slot<unknown>> = [];
  const fileSlot = <T>(id: string, file: string, empty: T, compile: (text: Buffer) => { value: T; size: number } | Promise<{ value: T; size: number }>): Slot<T> => {
    const slot: Slot<T> = { id, where: file, file, value: empty, signature: '', load: async () => compile(await fs.promises.readFile(file)) };
    slots.push(slot as Slot<unknown>);
    return slot;
  };
  const skipped = (id: string, stats: { invalid: number; limit: number; unsupported?: number; expired?: number; duplicate?: number; examples: string[] }): void => {
    if (stats.invalid > 0) metrics.enrichSkipped.inc({ source: id, reason: 'invalid' }, stats.invalid);
    if (stats.limit > 0) metrics.enrichSkipped.inc({ source: id, reason: 'limit' }, stats.limit);
    if (stats.unsupported) metrics.enrichSkipped.inc({ source: id, reason: 'unsupported' }, stats.unsupported);
    if (stats.expired) metrics.enrichSkipped.inc({ source: id, reason: 'expired' }, stats.expired);
    if (stats.invalid + stats.limit + (stats.unsupported ?? 0) > 0) {
      logger.warn({ source: id, invalid: stats.invalid, limit: stats.limit, unsupported: stats.unsupported ?? 0, examples: stats.examples }, `enrich: ${id}: skipped ${stats.invalid} invalid, ${stats.unsupported ?? 0} unsupported and ${stats.limit} over-limit entries`);
    }
  };

  const geoCfg = cfg.geoip;
  const cacheSize = geoCfg?.cacheSize ?? 10_000;
  const city = geoCfg?.city ? fileSlot<import('maxmind').Reader<CityResponse> | null>('geoip.city', resolve(geoCfg.city), null, async () => ({ value: await openMmdb<CityResponse>(resolve(geoCfg.city!), 'city'), size: 1 })) : null;
  const asn = geoCfg?.asn ? fileSlot<import('maxmind').Reader<AsnResponse> | null>('geoip.asn', resolve(geoCfg.asn), null, async () => ({ value: await openMmdb<AsnResponse>(resolve(geoCfg.asn!), 'asn'), size: 1 })) : null;

  const assetsCfg = cfg.assets;
  const maxAssets = assetsCfg?.maxEntries ?? 1_000_000;
  const assetFile = assetsCfg?.file
    ? fileSlot<AssetTable>('assets.file', resolve(assetsCfg.file), AssetTable.EMPTY, (bytes) => {
      const b = new AssetTableBuilder(maxAssets);
      loadAssetText(bytes.toString('utf8'), assetsCfg.file!, b);
      skipped('assets.file', b.stats);
      const table = b.build();
      return { value: table, size: table.size };
    })
    : null;
  let assetIndex: Slot<AssetTable> | null = null;
  if (assetsCfg?.elasticsearch) {
    const es = deps.elasticsearch;
    const index = assetsCfg.elasticsearch.index;
    if (!es) throw new HaetaeError('HAETAE_ENRICH_SOURCE', ['assets.elasticsearch', index, 'no Elasticsearch client was given to the enricher']);
    assetIndex = {
      id: 'assets.elasticsearch', where: `index ${index}`, file: null, value: AssetTable.EMPTY, signature: '',
      load: async () => {
        const b = new AssetTableBuilder(maxAssets);
        await loadAssetIndex(es, index, b);
        skipped('assets.elasticsearch', b.stats);
        const table = b.build();
        return { value: table, size: table.size };
      },
    };
    slots.push(assetIndex as Slot<unknown>);
  }

  const threatSlots = (cfg.threat ?? []).map((t) => fileSlot<IndicatorSet | null>(`threat.${t.name}`, resolve(t.file), null, (bytes) => {
    const { set, stats } = loadThreatText(bytes.toString('utf8'), { name: t.name, format: t.format, type: t.type, maxEntries: t.maxEntries ?? 5_000_000, now: now() });
    reportThreatStats(`threat.${t.name}`, stats);
    return { value: set, size: set.size };
  }));
  const reportThreatStats = (id: string, stats: LoadStats): void => {
    skipped(id, stats);
    if (stats.duplicate > 0) metrics.enrichSkipped.inc({ source: id, reason: 'duplicate' }, stats.duplicate);
    if (stats.expired > 0) logger.info({ source: id, expired: stats.expired }, `enrich: ${id}: ${stats.expired} revoked or expired STIX indicators skipped`);
  };

  // ---- the published state: rebuilt after each load, read once per event ------------------
  interface State { geo: GeoLookup | null; assets: AssetTable[]; threats: IndicatorSet[] }
  let state: State = { geo: null, assets: [], threats: [] };
  const publish = (): void => {
    const c = city?.value ?? null;
    const a = asn?.value ?? null;
    const geo = c || a ? (state.geo && state.geo.city === c && state.geo.asn === a ? state.geo : new GeoLookup(c, a, cacheSize)) : null;
    const assets = [assetFile?.value, assetIndex?.value].filter((t): t is AssetTable => t !== undefined && t.size > 0);
    const threats = threatSlots.map((s) => s.value).filter((s): s is IndicatorSet => s !== null && s.size > 0);
    state = { geo, assets, threats };
  };

  const signatureOf = (file: string): string => {
    try {
      const st = fs.statSync(file);
      return `${st.ino}:${st.size}:${st.mtimeMs}`;
    } catch {
      return 'missing';
    }
  };

  const loadSlot = async (slot: Slot<unknown>, startup: boolean): Promise<boolean> => {
    const signature = slot.file ? signatureOf(slot.file) : '';
    const started = performance.now();
    try {
      const { value, size } = await slot.load();
      slot.value = value;
      slot.signature = signature;
      metrics.enrichReloads.inc({ source: slot.id, result: 'applied' });
      metrics.enrichEntries.set({ source: slot.id }, size);
      logger.info({ source: slot.id, where: slot.where, entries: size, ms: Math.round(performance.now() - started) }, `enrich: loaded ${slot.id} (${size} entries)`);
      return true;
    } catch (err) {
      const e = err instanceof HaetaeError ? err : new HaetaeError('HAETAE_ENRICH_SOURCE', [slot.id, slot.where, messageOf(err)]);
      if (startup) throw e;
      // Remember the signature: the same broken file is not re-read on every unrelated change.
      slot.signature = signature;
      metrics.enrichReloads.inc({ source: slot.id, result: 'rejected' });
      logger.error({ code: e.code, source: slot.id, where: slot.where }, `${e.message}; the previous data keeps serving`);
      return false;
    }
  };

  try {
    for (const slot of slots) await loadSlot(slot, true);
  } catch (err) {
    unregister();
    throw err;
  }
  publish();

  // Reloads run one at a time, in order.
  let chain: Promise<void> = Promise.resolve();
  const serial = (work: () => Promise<void>): Promise<void> => (chain = chain.then(work, work));
  const reloadWhere = (pick: (s: Slot<unknown>) => boolean): Promise<void> => serial(async () => {
    let changed = false;
    for (const slot of slots) if (pick(slot)) changed = (await loadSlot(slot, false)) || changed;
    if (changed) publish();
  });

  let closed = false;
  const watchers: Array<{ close(): void }> = [];
  const timers: NodeJS.Timeout[] = [];
  if (deps.watch !== false) {
    const files = slots.filter((s) => s.file !== null).map((s) => s.file!);
    if (files.length > 0) {
      // A directory watcher fires for any file in it: only slots whose file really changed reload.
      watchers.push(watchRulePaths(files, () => { if (!closed) void reloadWhere((s) => s.file !== null && signatureOf(s.file) !== s.signature); }));
    }
    if (assetIndex && assetsCfg?.elasticsearch) {
      const t = setInterval(() => { if (!closed) void reloadWhere((s) => s === assetIndex); }, (assetsCfg.elasticsearch.refreshSeconds ?? 300) * 1000);
      t.unref();
      timers.push(t);
    }
  }

  const raiseSeverity = assetsCfg?.raiseSeverity === true;

  // ---- per event ---------------------------------------------------------------------------
  /**
   * An asset lookup's result: the asset (undefined: none) and its criticality rank, in these two
   * variables (set by each lookup, read right after it), so nothing is allocated per lookup.
   */
  let foundAsset: Asset | undefined;
  let foundRank = 0;
  const assetByIp = (assets: AssetTable[], ip: Addr): boolean => {
    for (let t = 0; t < assets.length; t++) {
      const table = assets[t]!;
      const i = table.ipIndex(ip);
      if (i >= 0) { foundAsset = table.at(i); foundRank = table.rank(i); return true; }
    }
    return false;
  };
  const assetByHost = (assets: AssetTable[], host: string): boolean => {
    for (let t = 0; t < assets.length; t++) {
      const table = assets[t]!;
      const i = table.hostIndex(host);
      if (i >= 0) { foundAsset = table.at(i); foundRank = table.rank(i); return true; }
    }
    return false;
  };

  /** What side() found for one side's address (set by each call, read right after it). */
  let sideZone: string | undefined;
  let sideAsset: Asset | undefined;
  let sideRank = 0;

  /**
   * Per event. Fields are read with named property loads (e.source, o.ip), not a table of paths:
   * events come in many shapes, and a load by computed key on them is a slow generic lookup. What
   * is found is kept in locals and written at the end with named stores, in the order (and so
   * with the key order) the lookups are made: zone and asset of the source, of the destination,
   * zones of client and server, the host's asset, the criticality.
   */
  function enrich(event: HaetaeEvent | Record<string, unknown>): void {
    const s = state;
    const e = event as Obj;
    const assets = s.assets.length > 0;
    const source = e.source, destination = e.destination, client = e.client, server = e.server, host = e.host;
    if (s.geo !== null || zones !== null || assets) {
      let zs: string | undefined, zd: string | undefined, zc: string | undefined, zv: string | undefined;
      let as: Asset | undefined, ad: Asset | undefined;
      let rank = 0;
      if (isObj(source)) { side(s, source, assets); zs = sideZone; as = sideAsset; rank = sideRank; }
      if (isObj(destination)) { side(s, destination, assets); zd = sideZone; ad = sideAsset; if (sideRank > rank) rank = sideRank; }
      if (isObj(client)) { side(s, client, false); zc = sideZone; }
      if (isObj(server)) { side(s, server, false); zv = sideZone; }
      let zone: Obj | null = null;
      let asset: Obj | null = null;
      if (zs !== undefined) (zone ??= haetaeZone(e)).source = zs;
      if (as !== undefined) (asset ??= haetaeAsset(e)).source = as;
      if (zd !== undefined) (zone ??= haetaeZone(e)).destination = zd;
      if (ad !== undefined) (asset ??= haetaeAsset(e)).destination = ad;
      if (zc !== undefined) (zone ??= haetaeZone(e)).client = zc;
      if (zv !== undefined) (zone ??= haetaeZone(e)).server = zv;
      if (assets) {
        if (hostAsset(s.assets, e, host)) {
          (asset ??= haetaeAsset(e)).host = foundAsset;
          if (foundRank > rank) rank = foundRank;
          count(ASSET, HIT);
        } else count(ASSET, MISS);
        if (rank > 0) (asset ??= haetaeAsset(e)).criticality = criticalityOfRank(rank);
      }
    }
    if (s.threats.length > 0) count(THREAT, matchThreatsWith(e, s.threats, source, destination, client, server, host) > 0 ? HIT : MISS);
  }

  /** GeoIP, zone and (source/destination) asset of one side's address, into sideZone, sideAsset and sideRank. */
  function side(s: State, obj: Obj, withAsset: boolean): void {
    sideZone = undefined;
    sideAsset = undefined;
    sideRank = 0;
    const text = obj.ip;
    if (typeof text !== 'string') return;
    const ip = parseAddressShared(text); // shared object: used up before the next parse
    if (ip === null) return;
    if (s.geo !== null) {
      if (isNonPublicAddr(ip)) {
        if (s.geo.city) count(GEOIP, SKIPPED);
        if (s.geo.asn) count(ASN, SKIPPED);
      } else {
        writeGeo(obj, s.geo.lookup(text), s.geo, count);
      }
    }
    if (zones !== null) {
      sideZone = zones.zoneOf(ip);
      count(ZONE, sideZone !== undefined ? HIT : MISS);
    }
    if (withAsset) {
      if (assetByIp(s.assets, ip)) { sideAsset = foundAsset; sideRank = foundRank; count(ASSET, HIT); } else count(ASSET, MISS);
    }
  }

  /** The event's own host: host.ip, then host.hostname / host.name, then the sender's address (into foundAsset, foundRank). */
  const hostAsset = (assets: AssetTable[], e: Obj, host: unknown): boolean => {
    if (isObj(host)) {
      const ips = host.ip;
      if (typeof ips === 'string') {
        const ip = parseAddressShared(ips);
        if (ip && assetByIp(assets, ip)) return true;
      } else if (Array.isArray(ips)) {
        for (const text of ips) {
          const ip = typeof text === 'string' ? parseAddressShared(text) : null;
          if (ip && assetByIp(assets, ip)) return true;
        }
      }
      let h = host.hostname;
      if (typeof h === 'string' && h !== '' && assetByHost(assets, h)) return true;
      h = host.name;
      if (typeof h === 'string' && h !== '' && assetByHost(assets, h)) return true;
    }
    const log = e.log;
    const sender = isObj(log) && isObj(log.source) ? log.source.address : undefined;
    if (typeof sender === 'string') { const ip = parseAddressShared(sender); if (ip) return assetByIp(assets, ip); }
    return false;
  };

  return {
    enrich,
    raiseSeverity,
    reload: () => reloadWhere(() => true),
    close() {
      closed = true;
      for (const w of watchers) w.close();
      for (const t of timers) clearInterval(t);
      unregister();
    },
    sizes() {
      const out: Record<string, number> = {};
      for (const slot of slots) {
        const v = slot.value as { size?: number } | null;
        out[slot.id] = v === null ? 0 : typeof v.size === 'number' ? v.size : 1;
      }
      return out;
    },
  };
}

/**
 * Writes <side>.geo and <side>.as: the cached result objects themselves, frozen (see geoip.ts),
 * shared by every event with that address rather than copied per event.
 */
function writeGeo(target: Obj, r: GeoResult, geo: GeoLookup, count: (s: number, o: number) => void): void {
  // What the log itself said (a firewall's own country field, decoded into <side>.geo) is kept.
  if (geo.city) {
    if (r.geo) {
      if (target.geo === undefined) target.geo = r.geo;
      count(GEOIP, HIT);
    } else count(GEOIP, MISS);
  }
  if (geo.asn) {
    if (r.as) {
      if (target.as === undefined) target.as = r.as;
      count(ASN, HIT);
    } else count(ASN, MISS);
  }
}
