import { errors, type Client } from '@elastic/elasticsearch';
import { redactUrl } from '../../pipeline/telemetry/logger';
import { messageOf } from '../../pipeline/errors/catalog';
import { retryUntilSuccess } from '../../pipeline/delivery/retry';
import { writeBulk, type BulkItem, type BulkWriterOptions, type ItemResult } from './bulk';

/** Ids per lookup: a search returns at most 10,000 hits (index.max_result_window). */
const LOOKUP_CHUNK = 5_000;

/**
 * The ids among `ids` stored in any backing index of `dataStream`. A search on `_id`, not
 * `_mget`: a get by id on a data stream reads its write index only, which is exactly the copy
 * `create` already checks. The stream is refreshed first, because a document written just before
 * a rollover may not be searchable yet in the index it landed in, and nothing refreshes that
 * index on its own once it stops taking writes and searches (search-idle shards skip refreshes).
 */
export async function storedIds(client: Client, dataStream: string, ids: readonly string[]): Promise<Set<string>> {
  const found = new Set<string>();
  if (ids.length === 0) return found;
  const missingOk = { ignore_unavailable: true, allow_no_indices: true } as const;
  await client.indices.refresh({ index: dataStream, ...missingOk });
  for (let start = 0; start < ids.length; start += LOOKUP_CHUNK) {
    const chunk = ids.slice(start, start + LOOKUP_CHUNK);
    const res = await client.search({ index: dataStream, ...missingOk, query: { ids: { values: chunk } }, _source: false, size: chunk.length, track_total_hits: false });
    for (const hit of res.hits.hits) if (hit._id !== undefined) found.add(hit._id);
  }
  return found;
}

export interface ReplaySafeOptions extends BulkWriterOptions {
  /** The data stream(s) events go to, as a search target (a name or comma-joined patterns); other items (alerts, alert-event links) are plain indices. */
  dataStream: string;
  /** Which items' indices are events streams (default: exactly `dataStream`). */
  isEventStream?: (index: string) => boolean;
  /** The batch may repeat records an earlier owner already indexed: look for them across the stream first. */
  mayBeReplay: boolean;
}

/**
 * `writeBulk`, safe to replay across a rollover. Event ids are topic-partition-offset and written
 * with `create`, which refuses a second copy only inside one backing index: after the data stream
 * rolls over, a replayed batch would otherwise land a second copy in the new write index. So for a
 * batch that may be a replay, the events already stored anywhere in the stream are answered
 * `exists` without being sent. Plain indices (alerts) never roll over; `create` suffices there.
 */
export async function writeBulkReplaySafe(client: Client, items: readonly BulkItem[], opts: ReplaySafeOptions): Promise<ItemResult[]> {
  if (!opts.mayBeReplay) return writeBulk(client, items, opts);
  const isEvent = opts.isEventStream ?? ((index: string) => index === opts.dataStream);
  const streamIds = items.filter((it) => isEvent(it.index)).map((it) => it.id);
  let stored: Set<string>;
  try {
    stored = await lookup(client, streamIds, opts);
  } catch (err) {
    if (!isClientError(err)) throw err; // shutting down
    // E.g. an API key allowed to create documents but not to search them: `create` still keeps
    // replays out of the write index; only a replay across a rollover could duplicate.
    opts.logger.warn(`Could not look up replayed events in ${opts.dataStream} (${messageOf(err)}); writing them with create only, which cannot see copies in older backing indices.`);
    return writeBulk(client, items, opts);
  }
  if (stored.size === 0) return writeBulk(client, items, opts);
  const results: ItemResult[] = new Array<ItemResult>(items.length);
  const send: BulkItem[] = [];
  const sentAt: number[] = [];
  items.forEach((it, i) => {
    if (isEvent(it.index) && stored.has(it.id)) {
      results[i] = { outcome: 'exists' };
    } else {
      send.push(it);
      sentAt.push(i);
    }
  });
  opts.logger.info({ stored: stored.size, sent: send.length }, `${stored.size} replayed events were already in ${opts.dataStream}; not written again.`);
  const written = send.length > 0 ? await writeBulk(client, send, opts) : [];
  written.forEach((r, k) => { results[sentAt[k]!] = r; });
  return results;
}

function lookup(client: Client, ids: readonly string[], opts: ReplaySafeOptions): Promise<Set<string>> {
  return retryUntilSuccess(() => storedIds(client, opts.dataStream, ids), {
    what: 'Elasticsearch replay lookup',
    ...(opts.signal ? { signal: opts.signal } : {}),
    isPermanent: isClientError,
    onRetry: (attempt, err, delayMs) => {
      opts.metrics.retries.inc({ service: 'elasticsearch' });
      opts.onRetry?.(messageOf(err));
      opts.logger.warn({ attempt, delayMs, documents: ids.length }, `Elasticsearch at ${redactUrl(opts.url)} did not answer which of ${ids.length} replayed events it already has (${messageOf(err)}); holding them and retrying.`);
    },
  });
}

/** A 4xx other than 408 and 429: asking again will not help. */
function isClientError(err: unknown): boolean {
  const status = err instanceof errors.ResponseError ? err.statusCode ?? 0 : 0;
  return status >= 400 && status < 500 && status !== 408 && status !== 429;
}
