import type { Client, estypes } from '@elastic/elasticsearch';
import { HaetaeError } from '../../pipeline/errors/catalog';
import { parseTimeBound } from '../duration';

export interface SearchOptions {
  query: string;
  since?: string | undefined;
  until?: string | undefined;
  limit: number;
  index: string;
}

export type SearchHit = { id: string; index: string; source: Record<string, unknown> };

/**
 * Lucene query_string over the events data stream, newest first. A bare word searches the
 * message; `field:value` searches that field, as in Kibana's Lucene mode.
 */
export async function searchEvents(es: Client, o: SearchOptions, now = new Date()): Promise<{ total: number; hits: SearchHit[] }> {
  const range: Record<string, string> = {};
  if (o.since) {
    const since = parseTimeBound(o.since, now);
    if (!since) throw new HaetaeError('HAETAE_USAGE', [`--since '${o.since}' is neither a duration like 15m, 2h, 7d nor a date`]);
    range.gte = since.toISOString();
  }
  if (o.until) {
    const until = parseTimeBound(o.until, now);
    if (!until) throw new HaetaeError('HAETAE_USAGE', [`--until '${o.until}' is neither a duration like 15m nor a date`]);
    range.lte = until.toISOString();
  }
  const filter: estypes.QueryDslQueryContainer[] = Object.keys(range).length > 0 ? [{ range: { '@timestamp': range } }] : [];
  const must: estypes.QueryDslQueryContainer[] = o.query.trim() === '' || o.query.trim() === '*'
    ? [{ match_all: {} }]
    : [{ query_string: { query: o.query, default_field: 'message', analyze_wildcard: true } }];
  const res = await es.search<Record<string, unknown>>({
    index: o.index,
    size: o.limit,
    sort: [{ '@timestamp': { order: 'desc' } }, { 'haetae.raw.offset': { order: 'desc', unmapped_type: 'keyword' } }],
    query: { bool: { must, filter } },
    track_total_hits: true,
    ignore_unavailable: true,
    allow_no_indices: true,
  });
  const total = typeof res.hits.total === 'number' ? res.hits.total : res.hits.total?.value ?? 0;
  return { total, hits: res.hits.hits.map((h) => ({ id: h._id ?? '', index: h._index, source: h._source ?? {} })) };
}

/**
 * A readable table: time, host, program, severity, sender (log.source.address: the device that
 * sent it), source (source.ip: what the message is about, once a decoder read it), message (cut
 * to the terminal).
 */
export function formatTable(hits: SearchHit[], width: number): string {
  const rows = hits.map((h) => {
    const s = h.source as Record<string, any>;
    return [
      String(s['@timestamp'] ?? ''),
      String(s.host?.hostname ?? '-'),
      String(s.process?.name ?? s.log?.syslog?.appname ?? '-'),
      String(s.log?.syslog?.severity?.name ?? '-'),
      String(s.log?.source?.address ?? '-'),
      String(s.source?.ip ?? '-'),
      String(s.message ?? '').replace(/[\r\n\t]+/g, ' '),
    ];
  });
  const head = ['TIME', 'HOST', 'PROGRAM', 'SEVERITY', 'SENDER', 'SOURCE', 'MESSAGE'];
  const last = head.length - 1;
  const widths = head.map((h, i) => (i === last ? 0 : Math.min(40, Math.max(h.length, ...rows.map((r) => r[i]!.length)))));
  const fixed = widths.slice(0, last).reduce((a, b) => a + b + 2, 0);
  const msgWidth = Math.max(20, width - fixed);
  const line = (r: string[]): string =>
    r.map((c, i) => (i === last ? (c.length > msgWidth ? `${c.slice(0, msgWidth - 1)}…` : c) : c.slice(0, widths[i]).padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(head), ...rows.map(line)].join('\n');
}
