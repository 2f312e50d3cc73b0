import type { Client } from '@elastic/elasticsearch';
import type { Logger } from '../../telemetry/logger';
import type { Metrics } from '../../telemetry/metrics';
import { writeBulkReplaySafe } from '../../../connectors/elasticsearch/replay-guard';
import type { WorkerSinks } from './process-batch';
import type { EventStreams } from '../../../connectors/elasticsearch/streams';

export interface DocumentSinkOptions {
  url: string;
  /** The events streams (one per dataset family): replays are looked up across all of them. */
  streams: EventStreams;
  logger: Logger;
  metrics: Metrics;
  signal?: AbortSignal;
  /** Elasticsearch is holding documents back (down, or asking to retry); told before each wait. */
  onRetry?: (reason: string) => void;
  /** Every document of a call has its final outcome. */
  onDelivered?: () => void;
}

/** The worker's `writeDocuments`: create-only bulk writes, replay-safe across rollovers. */
export function documentSink(es: Client, opts: DocumentSinkOptions): WorkerSinks['writeDocuments'] {
  return async (items, call) => {
    const results = await writeBulkReplaySafe(es, items, {
      url: opts.url,
      logger: opts.logger,
      metrics: opts.metrics,
      dataStream: opts.streams.searchTarget,
      isEventStream: opts.streams.isEventStream,
      mayBeReplay: call?.mayBeReplay ?? false,
      ...(opts.signal ? { signal: opts.signal } : {}),
      ...(opts.onRetry ? { onRetry: opts.onRetry } : {}),
    });
    opts.onDelivered?.();
    return results;
  };
}
