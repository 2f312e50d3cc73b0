import type { Client, estypes } from '@elastic/elasticsearch';
import { errors } from '@elastic/elasticsearch';
import { redactUrl, type Logger } from '../../pipeline/telemetry/logger';
import type { Metrics } from '../../pipeline/telemetry/metrics';
import { messageOf } from '../../pipeline/errors/catalog';
import { retryUntilSuccess } from '../../pipeline/delivery/retry';

export interface BulkItem {
  index: string;
  id: string;
  document: object;
}

/**
 * Final outcome of one document. `exists` (HTTP 409 on create) means an earlier attempt or a
 * replay already stored it — delivered, not an error. `rejected` is permanent: the document
 * itself is bad (mapping conflict, too large) and goes to the dead-letter topic.
 */
export type ItemResult =
  | { outcome: 'created' }
  | { outcome: 'exists' }
  | { outcome: 'rejected'; status: number; type: string; reason: string };

type Classified = ItemResult | { outcome: 'retry'; status: number; reason: string };

export function classifyItem(item: estypes.BulkResponseItem | undefined): Classified {
  if (!item) return { outcome: 'retry', status: 0, reason: 'no result for this item in the bulk response' };
  const status = item.status;
  if (status >= 200 && status < 300) return { outcome: 'created' };
  const type = item.error?.type ?? 'unknown';
  const reason = item.error?.reason ?? `HTTP ${status}`;
  if (status === 409) return { outcome: 'exists' };
  if (status === 429 || status >= 500) return { outcome: 'retry', status, reason: `${type}: ${reason}` };
  return { outcome: 'rejected', status, type, reason };
}

/** Request-level failures worth retrying: connection problems, timeouts, 429 and 5xx. */
function isPermanentRequestError(err: unknown): boolean {
  if (err instanceof errors.ResponseError) {
    const status = err.statusCode ?? 0;
    return status >= 400 && status < 500 && status !== 429 && status !== 408;
  }
  return false;
}

export interface BulkWriterOptions {
  url: string;
  logger: Logger;
  metrics: Metrics;
  signal?: AbortSignal;
  /** Make the documents searchable before returning (tests, the CLI); off in the pipeline. */
  refresh?: boolean;
  /** Told each time documents are held for a retry (the role reports itself not ready until the call returns). */
  onRetry?: (reason: string) => void;
}

/**
 * Writes documents with `create` (data streams accept only create, and create makes replays
 * idempotent). Retryable items are re-sent with backoff until Elasticsearch takes them; the
 * returned array has one final result per input item, in order.
 */
export async function writeBulk(client: Client, items: readonly BulkItem[], opts: BulkWriterOptions): Promise<ItemResult[]> {
  const results: (ItemResult | undefined)[] = new Array(items.length).fill(undefined);
  let todo = items.map((_, i) => i);
  let round = 0;
  while (todo.length > 0) {
    round++;
    const operations: object[] = [];
    for (const i of todo) {
      const it = items[i]!;
      operations.push({ create: { _index: it.index, _id: it.id } }, it.document);
    }
    const response = await retryUntilSuccess(
      () => client.bulk({ operations, ...(opts.refresh ? { refresh: 'wait_for' as const } : {}) }),
      {
        what: 'Elasticsearch bulk',
        ...(opts.signal ? { signal: opts.signal } : {}),
        isPermanent: isPermanentRequestError,
        onRetry: (attempt, err, delayMs) => {
          opts.metrics.retries.inc({ service: 'elasticsearch' });
          opts.onRetry?.(messageOf(err));
          opts.logger.warn({ attempt, delayMs, documents: todo.length }, `Elasticsearch at ${redactUrl(opts.url)} is unavailable (${messageOf(err)}); holding ${todo.length} documents and retrying.`);
        },
      },
    );
    const retry: number[] = [];
    let lastReason = '';
    response.items.forEach((entry, k) => {
      const i = todo[k]!;
      const c = classifyItem(entry.create);
      if (c.outcome === 'retry') { retry.push(i); lastReason = c.reason; } else results[i] = c;
    });
    if (retry.length > 0) {
      const delay = Math.min(30_000, 250 * 2 ** Math.min(round, 7));
      opts.metrics.retries.inc({ service: 'elasticsearch' }, retry.length);
      opts.onRetry?.(lastReason);
      opts.logger.warn({ documents: retry.length, delayMs: delay }, `Elasticsearch asked to retry ${retry.length} documents (${lastReason}); retrying.`);
      await new Promise((r) => setTimeout(r, delay));
      if (opts.signal?.aborted) throw new Error('shutting down with documents not yet accepted by Elasticsearch');
    }
    todo = retry;
  }
  return results as ItemResult[];
}
