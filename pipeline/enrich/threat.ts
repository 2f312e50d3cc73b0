/**
 * Matches an event's addresses, domains, URLs and hashes against the loaded indicator sets and
 * writes each hit to ECS threat.enrichments[] (the shape Elastic's indicator-match rules write),
 * tagging the event haetae_threat_match. Every field is read once and parsed once, then probed
 * in every set: Map lookups and one binary search per address, nothing that grows with the
 * number of indicators. No closures or arrays are made per event unless something matches.
 */
import { hashAlgorithm, normalizeDomain, normalizeUrl, type Indicator, type IndicatorSet } from './indicators';
import { parseAddressShared } from './ip';

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

/** Hits of one event: the enrichments and, beside them, which indicator each came from. */
interface Found { list: Enrichment[]; keys: Array<{ set: IndicatorSet; idx: number }> }

type Obj = Record<string, unknown>;
const isObj = (x: unknown): x is Obj => x !== null && typeof x === 'object';

/**
 * Returns the number of enrichments added (0: no match). The fields (THREAT_FIELDS) are read with
 * plain property loads, object by object, rather than through a table of paths: events come in
 * many shapes, and a load by computed key on them is a slow generic lookup where a named load is
 * a cached one — this cut the matcher's own cost by about half.
 */
export function matchThreats(event: object, sets: readonly IndicatorSet[]): number {
  if (sets.length === 0) return 0;
  seenIps = 0;
  const e = event as Obj;
  let found: Found | null = null;
  let o: unknown;
  if (isObj(o = e.source)) { found = each(o.ip, IP, 'source.ip', sets, found); found = each(o.domain, DOMAIN, 'source.domain', sets, found); }
  if (isObj(o = e.destination)) { found = each(o.ip, IP, 'destination.ip', sets, found); found = each(o.domain, DOMAIN, 'destination.domain', sets, found); }
  if (isObj(o = e.client)) { found = each(o.ip, IP, 'client.ip', sets, found); found = each(o.domain, DOMAIN, 'client.domain', sets, found); }
  if (isObj(o = e.server)) { found = each(o.ip, IP, 'server.ip', sets, found); found = each(o.domain, DOMAIN, 'server.domain', sets, found); }
  if (isObj(o = e.host)) found = each(o.ip, IP, 'host.ip', sets, found);
  if (isObj(o = e.related)) { found = each(o.ip, IP, 'related.ip', sets, found); found = each(o.hash, HASH, 'related.hash', sets, found); }
  if (isObj(o = e.dns) && isObj(o = o.question)) found = each(o.name, DOMAIN, 'dns.question.name', sets, found);
  if (isObj(o = e.url)) { found = each(o.domain, DOMAIN, 'url.domain', sets, found); found = each(o.full, URL, 'url.full', sets, found); found = each(o.original, URL, 'url.original', sets, found); }
  if (isObj(o = e.file) && isObj(o = o.hash)) found = hashes(o, FILE_HASH, sets, found);
  if (isObj(o = e.process) && isObj(o = o.hash)) found = hashes(o, PROCESS_HASH, sets, found);
  if (found === null) return 0;
  const ev = event as { threat?: { enrichments?: unknown }; tags?: unknown };
  const threat = ev.threat !== null && typeof ev.threat === 'object' ? ev.threat : (ev.threat = {});
  threat.enrichments = Array.isArray(threat.enrichments) ? [...(threat.enrichments as unknown[]), ...found.list] : found.list;
  if (Array.isArray(ev.tags)) { if (!ev.tags.includes(THREAT_TAG)) ev.tags.push(THREAT_TAG); } else ev.tags = [THREAT_TAG];
  return found.list.length;
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
      for (let s = 0; s < sets.length; s++) { const i = sets[s]!.ip(ip); if (i >= 0) found = hit(found, sets[s]!, i, field, text); }
      return found;
    }
    case DOMAIN: {
      const d = normalizeDomain(text);
      for (let s = 0; s < sets.length; s++) { const i = sets[s]!.domain(d); if (i >= 0) found = hit(found, sets[s]!, i, field, text); }
      return found;
    }
    case URL: {
      const u = normalizeUrl(text);
      if (u === null) return found;
      for (let s = 0; s < sets.length; s++) { const i = sets[s]!.url(u); if (i >= 0) found = hit(found, sets[s]!, i, field, text); }
      return found;
    }
    default: {
      const h = text.toLowerCase();
      for (let s = 0; s < sets.length; s++) { const i = sets[s]!.hash(h); if (i >= 0) found = hit(found, sets[s]!, i, field, text); }
      return found;
    }
  }
}

/** Records a hit, unless the same indicator already matched through another field (source.ip and related.ip). */
function hit(found: Found | null, set: IndicatorSet, idx: number, field: string, atomic: string): Found {
  const f = found ?? { list: [], keys: [] };
  for (const k of f.keys) if (k.set === set && k.idx === idx) return f;
  f.keys.push({ set, idx });
  f.list.push(enrichment(set.indicator(idx), field, atomic));
  return f;
}

const ECS_TYPE = { domain: 'domain-name', url: 'url', hash: 'file' } as const;

function enrichment(ind: Indicator, field: string, atomic: string): Enrichment {
  const indicator: Record<string, unknown> = {
    type: ind.kind === 'ip' ? (ind.value.includes(':') ? 'ipv6-addr' : 'ipv4-addr') : ECS_TYPE[ind.kind],
    name: ind.value,
    provider: ind.provider,
  };
  if (ind.description !== undefined) indicator.description = ind.description;
  if (ind.confidence !== undefined) indicator.confidence = ind.confidence;
  if (ind.kind === 'ip') {
    // threat.indicator.ip is an ip field: a network goes in name only.
    if (!ind.value.includes('/')) indicator.ip = ind.value;
  } else if (ind.kind === 'domain') indicator.url = { domain: normalizeDomain(ind.value) };
  else if (ind.kind === 'url') indicator.url = { full: ind.value };
  else indicator.file = { hash: { [hashAlgorithm(ind.value)]: ind.value.toLowerCase() } };
  const matched: Enrichment['matched'] = { atomic, field, type: 'indicator_match_rule' };
  if (ind.ref !== undefined) matched.id = ind.ref;
  return { indicator, matched };
}
