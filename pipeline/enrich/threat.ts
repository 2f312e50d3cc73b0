/**
 * Matches an event's addresses, domains, URLs and hashes against the loaded indicator sets and
 * writes each hit to ECS threat.enrichments[] (the shape Elastic's indicator-match rules write),
 * tagging the event haetae_threat_match. Every field is read once and parsed once, then probed
 * in every set: Map lookups and one binary search per address, nothing that grows with the
 * number of indicators. No closures or arrays are made per event unless something matches.
 */
import { canonicalDomain, canonicalUrl, domainKeys, hashAlgorithm, hexKey, normalizeDomain, type Indicator, type IndicatorSet } from './indicators';
import { parseAddressShared } from './ip';
import { fnv1a, hexValue } from './string-filter';

export const THREAT_TAG = 'haetae_threat_match';

const IP_FIELDS = ['source.ip', 'destination.ip', 'client.ip', 'server.ip', 'host.ip', 'related.ip'];
const DOMAIN_FIELDS = ['dns.question.name', 'url.domain', 'destination.domain', 'source.domain', 'client.domain', 'server.domain'];
const URL_FIELDS = ['url.full', 'url.original'];
const HASH_FIELDS = ['md5', 'sha1', 'sha256', 'sha512'].flatMap((a) => [`file.hash.${a}`, `process.hash.${a}`]).concat(['related.hash']);

/** Fields threat indicators are matched against, by indicator kind (documented in docs/enrichment.md). */
export const THREAT_FIELDS = { ip: IP_FIELDS, domain: DOMAIN_FIELDS, url: URL_FIELDS, hash: HASH_FIELDS } as const;

const IP = 0, DOMAIN = 1, URL = 2, HASH = 3;
type Kind = typeof IP | typeof DOMAIN | typeof URL | typeof HASH;

export interface Enrichment {
  indicator: Record<string, unknown>;
  matched: { atomic: string; field: string; type: 'indicator_match_rule'; id?: string };
}

/** IP texts already probed in the current event (matchThreats is synchronous, so one set suffices). */
const SEEN_IPS: string[] = new Array<string>(8).fill('');
let seenIps = 0;

/**
 * Hits of one event: the enrichments (the list an event gets, made at its first hit) and, in
 * these scratch arrays beside them, which indicator each came from (reused by every event).
 */
type Found = Enrichment[];
/** Position of the hit's set in `sets` (a number: no reference to a set outlives the event). */
const HIT_SETS: number[] = [];
const HIT_IDX: number[] = [];

type Obj = Record<string, unknown>;
const isObj = (x: unknown): x is Obj => x !== null && typeof x === 'object';

/**
 * Returns the number of enrichments added (0: no match). The fields (THREAT_FIELDS) are read with
 * plain property loads, object by object, rather than through a table of paths: events come in
 * many shapes, and a load by computed key on them is a slow generic lookup where a named load is
 * a cached one — this cut the matcher's own cost by about half.
 */
export function matchThreats(event: object, sets: readonly IndicatorSet[]): number {
  const e = event as Obj;
  return matchThreatsWith(e, sets, e.source, e.destination, e.client, e.server, e.host);
}

/**
 * matchThreats with the event's source, destination, client, server and host already read (the
 * enricher has read them for its own lookups: each read of a field of events of many shapes is a
 * generic lookup, so they are read once).
 */
export function matchThreatsWith(event: object, sets: readonly IndicatorSet[], source: unknown, destination: unknown, client: unknown, server: unknown, host: unknown): number {
  if (sets.length === 0) return 0;
  seenIps = 0;
  const e = event as Obj;
  let found: Found | null = null;
  let o: unknown;
  if (isObj(o = source)) { found = each(o.ip, IP, 'source.ip', sets, found); found = each(o.domain, DOMAIN, 'source.domain', sets, found); }
  if (isObj(o = destination)) { found = each(o.ip, IP, 'destination.ip', sets, found); found = each(o.domain, DOMAIN, 'destination.domain', sets, found); }
  if (isObj(o = client)) { found = each(o.ip, IP, 'client.ip', sets, found); found = each(o.domain, DOMAIN, 'client.domain', sets, found); }
  if (isObj(o = server)) { found = each(o.ip, IP, 'server.ip', sets, found); found = each(o.domain, DOMAIN, 'server.domain', sets, found); }
  if (isObj(o = host)) found = each(o.ip, IP, 'host.ip', sets, found);
  if (isObj(o = e.related)) { found = each(o.ip, IP, 'related.ip', sets, found); found = each(o.hash, HASH, 'related.hash', sets, found); }
  if (isObj(o = e.dns) && isObj(o = o.question)) found = each(o.name, DOMAIN, 'dns.question.name', sets, found);
  if (isObj(o = e.url)) { found = each(o.domain, DOMAIN, 'url.domain', sets, found); found = each(o.full, URL, 'url.full', sets, found); found = each(o.original, URL, 'url.original', sets, found); }
  if (isObj(o = e.file) && isObj(o = o.hash)) found = hashes(o, FILE_HASH, sets, found);
  if (isObj(o = e.process) && isObj(o = o.hash)) found = hashes(o, PROCESS_HASH, sets, found);
  if (found === null) return 0;
  const ev = event as { threat?: { enrichments?: unknown }; tags?: unknown };
  const threat = ev.threat;
  if (threat !== null && typeof threat === 'object') threat.enrichments = Array.isArray(threat.enrichments) ? [...(threat.enrichments as unknown[]), ...found] : found;
  else ev.threat = { enrichments: found };
  if (Array.isArray(ev.tags)) { if (!ev.tags.includes(THREAT_TAG)) ev.tags.push(THREAT_TAG); } else ev.tags = [THREAT_TAG];
  return found.length;
}

const FILE_HASH = ['file.hash.md5', 'file.hash.sha1', 'file.hash.sha256', 'file.hash.sha512'] as const;
const PROCESS_HASH = ['process.hash.md5', 'process.hash.sha1', 'process.hash.sha256', 'process.hash.sha512'] as const;

function hashes(h: Obj, names: readonly [string, string, string, string], sets: readonly IndicatorSet[], found: Found | null): Found | null {
  if (h.md5 !== undefined) found = each(h.md5, HASH, names[0], sets, found);
  if (h.sha1 !== undefined) found = each(h.sha1, HASH, names[1], sets, found);
  if (h.sha256 !== undefined) found = each(h.sha256, HASH, names[2], sets, found);
  if (h.sha512 !== undefined) found = each(h.sha512, HASH, names[3], sets, found);
  return found;
}

/** A field's value: a string, or each string of an array (related.ip, host.ip). */
function each(value: unknown, kind: Kind, field: string, sets: readonly IndicatorSet[], found: Found | null): Found | null {
  if (typeof value === 'string') return probe(value, kind, field, sets, found);
  if (Array.isArray(value)) for (let j = 0; j < value.length; j++) if (typeof value[j] === 'string') found = probe(value[j] as string, kind, field, sets, found);
  return found;
}

function probe(text: string, kind: Kind, field: string, sets: readonly IndicatorSet[], found: Found | null): Found | null {
  if (text === '') return found;
  switch (kind) {
    case IP: {
      // related.ip repeats source.ip and destination.ip: an address already probed in this
      // event is not probed again (it could only find the same indicators).
      for (let k = 0; k < seenIps; k++) if (SEEN_IPS[k] === text) return found;
      if (seenIps < SEEN_IPS.length) SEEN_IPS[seenIps++] = text;
      const ip = parseAddressShared(text);
      if (ip === null) return found;
      for (let s = 0; s < sets.length; s++) { const i = sets[s]!.addr(ip); if (i >= 0) found = hit(found, sets, s, i, field, text); }
      return found;
    }
    case DOMAIN: {
      // Normalized without a copy when it already is (the usual case); every parent domain's key
      // is hashed in one pass, once for all sets.
      const d = canonicalDomain(text);
      const keys = domainKeys(d);
      for (let s = 0; s < sets.length; s++) { const i = sets[s]!.domainByKeys(d, keys); if (i >= 0) found = hit(found, sets, s, i, field, text); }
      return found;
    }
    case URL: {
      const u = canonicalUrl(text);
      if (u === null) return found;
      const h = fnv1a(u);
      for (let s = 0; s < sets.length; s++) { const i = sets[s]!.urlByHash(h, u); if (i >= 0) found = hit(found, sets, s, i, field, text); }
      return found;
    }
    default: {
      // Upper-case digests are compared as lower-case ones, without lower-casing the miss.
      const key = hexKey(text);
      if (key < 0) return found;
      const first6 = hexValue(text, 6);
      for (let s = 0; s < sets.length; s++) { const i = sets[s]!.hashByKey(key, text, first6); if (i >= 0) found = hit(found, sets, s, i, field, text); }
      return found;
    }
  }
}

/** Records a hit, unless the same indicator already matched through another field (source.ip and related.ip). */
function hit(found: Found | null, sets: readonly IndicatorSet[], s: number, idx: number, field: string, atomic: string): Found {
  if (found === null) found = [];
  else for (let k = 0; k < found.length; k++) if (HIT_SETS[k] === s && HIT_IDX[k] === idx) return found;
  const set = sets[s]!;
  HIT_SETS[found.length] = s;
  HIT_IDX[found.length] = idx;
  found.push(enrichment(templateOf(set, idx), field, atomic));
  return found;
}

const ECS_TYPE = { domain: 'domain-name', url: 'url', hash: 'file' } as const;

/**
 * What an indicator's enrichments are made of, worked out once: reading it from the set's
 * columns (kind, value, details) and its value string is several cache misses into tens of
 * megabytes, and the same indicators tend to match again and again (a scanner, a C2 address).
 * Every event still gets objects of its own, built from this.
 */
interface Template {
  type: string;
  name: string;
  provider: string;
  description: string | undefined;
  confidence: string | undefined;
  ref: string | undefined;
  kind: Indicator['kind'];
  /** indicator.ip (a single address), url.domain, url.full, or the lower-case hash. */
  typed: string | undefined;
  /** The hash algorithm (kind hash). */
  algorithm: string;
}

/** Per set, a direct-mapped cache of TEMPLATE_CACHE templates by indicator index. */
const TEMPLATE_CACHE = 1024;
const templates = new WeakMap<IndicatorSet, { idx: Int32Array; tmpl: Array<Template | undefined> }>();

function templateOf(set: IndicatorSet, i: number): Template {
  let cache = templates.get(set);
  if (cache === undefined) templates.set(set, cache = { idx: new Int32Array(TEMPLATE_CACHE).fill(-1), tmpl: new Array<Template | undefined>(TEMPLATE_CACHE).fill(undefined) });
  const slot = i & (TEMPLATE_CACHE - 1);
  if (cache.idx[slot] === i) return cache.tmpl[slot]!;
  const ind = set.indicator(i);
  const t: Template = {
    type: ind.kind === 'ip' ? (ind.value.includes(':') ? 'ipv6-addr' : 'ipv4-addr') : ECS_TYPE[ind.kind],
    name: ind.value,
    provider: ind.provider,
    description: ind.description,
    confidence: ind.confidence,
    ref: ind.ref,
    kind: ind.kind,
    // threat.indicator.ip is an ip field: a network goes in name only.
    typed: ind.kind === 'ip' ? (ind.value.includes('/') ? undefined : ind.value) : ind.kind === 'domain' ? normalizeDomain(ind.value) : ind.kind === 'url' ? ind.value : ind.value.toLowerCase(),
    algorithm: ind.kind === 'hash' ? hashAlgorithm(ind.value) : '',
  };
  cache.idx[slot] = i;
  cache.tmpl[slot] = t;
  return t;
}

function enrichment(t: Template, field: string, atomic: string): Enrichment {
  const indicator: Record<string, unknown> = { type: t.type, name: t.name, provider: t.provider };
  if (t.description !== undefined) indicator.description = t.description;
  if (t.confidence !== undefined) indicator.confidence = t.confidence;
  if (t.kind === 'ip') {
    if (t.typed !== undefined) indicator.ip = t.typed;
  } else if (t.kind === 'domain') indicator.url = { domain: t.typed };
  else if (t.kind === 'url') indicator.url = { full: t.typed };
  else indicator.file = { hash: { [t.algorithm]: t.typed } };
  const matched: Enrichment['matched'] = t.ref !== undefined ? { atomic, field, type: 'indicator_match_rule', id: t.ref } : { atomic, field, type: 'indicator_match_rule' };
  return { indicator, matched };
}
