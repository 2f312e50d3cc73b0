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
import { isNonPublic, parseAddressShared, type Ip } from './ip';
import { maxCriticality, type Criticality } from './severity';
import { matchThreats } from './threat';
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

/** haetae.<key> of the event, created when missing. */
function haetaeObject(e: Obj, key: 'zone' | 'asset'): Obj {
  let h = e.haetae as Obj;
  if (!isObj(h)) e.haetae = h = {};
  let o = h[key] as Obj;
  if (!isObj(o)) h[key] = o = {};
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
  const assetFor = (assets: AssetTable[], ip: Ip | null, host: string | null): Asset | undefined => {
    for (const t of assets) {
      const a = (ip && t.ip(ip)) || (host !== null ? t.host(host) : undefined);
      if (a) return a;
    }
    return undefined;
  };

  /**
   * Per event. Fields are read with named property loads (e.source, o.ip), not a table of paths:
   * events come in many shapes, and a load by computed key on them is a slow generic lookup.
   */
  function enrich(event: HaetaeEvent | Record<string, unknown>): void {
    const s = state;
    const e = event as Obj;
    let crit: Criticality | undefined;
    let o: unknown;
    if (isObj(o = e.source)) crit = side(s, e, o, 'source', true, crit);
    if (isObj(o = e.destination)) crit = side(s, e, o, 'destination', true, crit);
    if (isObj(o = e.client)) side(s, e, o, 'client', false, crit);
    if (isObj(o = e.server)) side(s, e, o, 'server', false, crit);
    if (s.assets.length > 0) {
      const a = hostAsset(s.assets, e);
      if (a) { haetaeObject(e, 'asset').host = a; crit = maxCriticality(crit, a.criticality); count(ASSET, HIT); } else count(ASSET, MISS);
      if (crit !== undefined) haetaeObject(e, 'asset').criticality = crit;
    }
    if (s.threats.length > 0) count(THREAT, matchThreats(e, s.threats) > 0 ? HIT : MISS);
  }

  /** GeoIP, zone and (source/destination) asset of one side's address; returns the criticality so far. */
  function side(s: State, e: Obj, obj: Obj, name: string, withAsset: boolean, crit: Criticality | undefined): Criticality | undefined {
    const text = obj.ip;
    if (typeof text !== 'string') return crit;
    const ip = parseAddressShared(text); // shared object: used up before the next parse
    if (ip === null) return crit;
    if (s.geo !== null) {
      if (isNonPublic(ip)) {
        if (s.geo.city) count(GEOIP, SKIPPED);
        if (s.geo.asn) count(ASN, SKIPPED);
      } else {
        writeGeo(obj, s.geo.lookup(text), s.geo, count);
      }
    }
    if (zones !== null) {
      const zone = zones.zoneOf(ip);
      if (zone !== undefined) { haetaeObject(e, 'zone')[name] = zone; count(ZONE, HIT); } else count(ZONE, MISS);
    }
    if (withAsset && s.assets.length > 0) {
      const a = assetFor(s.assets, ip, null);
      if (a) { haetaeObject(e, 'asset')[name] = a; count(ASSET, HIT); return maxCriticality(crit, a.criticality); }
      count(ASSET, MISS);
    }
    return crit;
  }

  /** The event's own host: host.ip, then host.hostname / host.name, then the sender's address. */
  const hostAsset = (assets: AssetTable[], e: Obj): Asset | undefined => {
    const host = e.host;
    if (isObj(host)) {
      const ips = host.ip;
      if (typeof ips === 'string') {
        const ip = parseAddressShared(ips);
        const a = ip && assetFor(assets, ip, null);
        if (a) return a;
      } else if (Array.isArray(ips)) {
        for (const text of ips) {
          const ip = typeof text === 'string' ? parseAddressShared(text) : null;
          const a = ip && assetFor(assets, ip, null);
          if (a) return a;
        }
      }
      let h = host.hostname;
      if (typeof h === 'string' && h !== '') { const a = assetFor(assets, null, h); if (a) return a; }
      h = host.name;
      if (typeof h === 'string' && h !== '') { const a = assetFor(assets, null, h); if (a) return a; }
    }
    const log = e.log;
    const sender = isObj(log) && isObj(log.source) ? log.source.address : undefined;
    if (typeof sender === 'string') { const ip = parseAddressShared(sender); if (ip) return assetFor(assets, ip, null); }
    return undefined;
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
