import type { BatchingProducer } from '../../connectors/kafka/batching-producer';
import type { Logger } from '../telemetry/logger';
import type { Metrics } from '../telemetry/metrics';
import { buildEnvelope, encodeEnvelope, normalizeAddress } from '../envelope/envelope';
import { EnvelopeIds } from '../envelope/envelope-id';
import type { FrameSink, ListenerEvents, ListenerSpec } from '../receive/syslog/listeners';
import type { DeliveryNotices } from '../receive/snmp/delivery';

export interface ReceiverSinkOptions {
  maxMessageBytes: number;
  maxPendingMessages: number;
  maxPendingBytes: number;
  observerHostname: string;
  ids?: EnvelopeIds;
  /** Tells callers when Kafka stored a message (accept's onStored); required by inputs that acknowledge. */
  deliveries?: DeliveryNotices;
}

/**
 * Received frames → raw envelopes (each with a receiver-assigned id) → the batching producer.
 * Memory is bounded by what waits for Kafka, in messages and in bytes: past either limit TCP
 * listeners pause reading (`saturated`); UDP cannot be paused, so past twice either limit
 * datagrams are dropped and counted (haetae_dropped_total{stage="receive",reason="overload"}).
 */
export function receiverSink(batching: BatchingProducer, opts: ReceiverSinkOptions, log: Logger, metrics: Metrics): FrameSink {
  const ids = opts.ids ?? new EnvelopeIds();
  let truncatedLogged = 0;
  return {
    accept(frame, peer, onStored) {
      metrics.received.inc({ stage: 'receive', transport: peer.transport });
      if (peer.transport === 'udp' && (batching.pending >= 2 * opts.maxPendingMessages || batching.pendingBytes >= 2 * opts.maxPendingBytes)) {
        metrics.dropped.inc({ stage: 'receive', reason: 'overload' });
        return false;
      }
      if (frame.truncated) {
        metrics.errors.inc({ stage: 'receive', error_type: 'HAETAE_SYSLOG_TRUNCATED' });
        // One line per 1000 to keep a flood of oversized lines from flooding the log too.
        if (truncatedLogged++ % 1000 === 0) {
          log.warn({ source: peer.source }, `A syslog message of ${frame.originalLength ?? '?'} bytes exceeds receiver.maxMessageBytes (${opts.maxMessageBytes}); its first ${opts.maxMessageBytes} bytes are kept and tagged haetae_truncated.`);
        }
      }
      const envelope = buildEnvelope(frame, { ...peer, observerHostname: opts.observerHostname, receivedAt: new Date(), id: ids.next() });
      const message = { key: normalizeAddress(peer.source.address), value: encodeEnvelope(envelope) };
      if (onStored) {
        if (!opts.deliveries) throw new Error('receiverSink: an acknowledging input needs deliveries (DeliveryNotices)');
        opts.deliveries.track(message, onStored);
      }
      batching.enqueue(message);
      return true;
    },
    get saturated() {
      return batching.saturated;
    },
    onDrain(listener) {
      batching.on('drain', listener);
    },
  };
}

/** How often one source's refused connections are logged, at most. */
const REFUSED_LOG_INTERVAL_MS = 60_000;

/**
 * Counts and logs what the TCP listeners close on their own: connections over
 * receiver.maxConnections / maxConnectionsPerSource (reason "connection_limit", one log line per
 * source per minute, with how many were refused since the last) and idle ones (reason
 * "idle_timeout"). `now` is injectable for tests.
 */
export function connectionLimitEvents(
  limits: { maxConnections: number; maxConnectionsPerSource: number; idleTimeoutMs: number },
  log: Logger,
  metrics: Metrics,
  now: () => number = Date.now,
): Pick<ListenerEvents, 'onConnectionRefused' | 'onIdleClose'> {
  /** Source → when it was last logged and how many were refused since. Pruned as it is used. */
  const refused = new Map<string, { at: number; since: number }>();
  return {
    onConnectionRefused(spec: ListenerSpec, source: string, limit: 'total' | 'source') {
      metrics.dropped.inc({ stage: 'receive', reason: 'connection_limit' });
      const t = now();
      const seen = refused.get(source);
      if (seen && t - seen.at < REFUSED_LOG_INTERVAL_MS) {
        seen.since++;
        return;
      }
      // A flood from many addresses must not grow the map without bound: forget stale entries.
      if (refused.size > 10_000) for (const [k, v] of refused) if (t - v.at >= REFUSED_LOG_INTERVAL_MS) refused.delete(k);
      const more = seen?.since ? ` (${seen.since} more refused since the last line)` : '';
      const why = limit === 'total'
        ? `the listener has receiver.maxConnections (${limits.maxConnections}) open`
        : `it has receiver.maxConnectionsPerSource (${limits.maxConnectionsPerSource}) open`;
      log.warn({ listener: `tcp/${spec.host}:${spec.port}`, source }, `Closed a new TCP connection from ${source} at once: ${why}${more}. Counted in haetae_dropped_total{reason="connection_limit"}; logged at most once a minute per source.`);
      refused.set(source, { at: t, since: 0 });
    },
    onIdleClose(spec: ListenerSpec, peer: string, flushed: number) {
      metrics.dropped.inc({ stage: 'receive', reason: 'idle_timeout' });
      log.info({ listener: `tcp/${spec.host}:${spec.port}`, peer, flushed }, `Closed TCP connection ${peer}: nothing received for receiver.idleTimeoutMs (${limits.idleTimeoutMs} ms)${flushed > 0 ? `; the unterminated message it held was kept` : ''}.`);
    },
  };
}
