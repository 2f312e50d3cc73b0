import fs from 'node:fs';
import type { BatchingProducer } from '../../connectors/kafka/batching-producer';
import type { Logger } from '../telemetry/logger';
import type { Metrics } from '../telemetry/metrics';
import { buildEnvelope, encodeEnvelope, normalizeAddress } from '../envelope/envelope';
import { EnvelopeIds } from '../envelope/envelope-id';
import type { FrameSink, LimitAction, LimitReason, ListenerEvents, ListenerLimits, ListenerSpec, RateLimit } from '../receive/syslog/listeners';
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

/** How often one source's limit hits of one reason are logged, at most. */
const LIMIT_LOG_INTERVAL_MS = 60_000;
/** Sources (per reason) remembered for that; past it stale ones are pruned, and if all are fresh, hits are counted but not logged. */
const LIMIT_LOG_MAX_KEYS = 10_000;

/** The listener as named in logs and in the listener label of haetae_receiver_limited_total. */
export function listenerLabel(spec: Pick<ListenerSpec, 'transport' | 'host' | 'port'>): string {
  return `${spec.transport}/${spec.host}:${spec.port}`;
}

type PartialRateLimit = { readonly [K in keyof RateLimit]?: RateLimit[K] | undefined };

export interface LimitSettings {
  maxConnections: number;
  maxConnectionsPerSource: number;
  idleTimeoutMs: number;
  rateLimit?: { messagesPerSecond: number; burst: number } | undefined;
}

/**
 * Counts and logs what the listeners refuse, drop, close or pause on their own:
 * - connections over receiver.maxConnections / maxConnectionsPerSource (haetae_dropped_total
 *   reason "connection_limit"; per source: reason connection_limit or source_connection_limit),
 * - idle connections (reason "idle_timeout"),
 * - anything a listener reports through onLimited (sources outside the allow list, datagrams over
 *   the rate limit or dropped under overload, streams paused by the rate limit, TLS/RELP/HTTP
 *   refusals): haetae_receiver_limited_total{listener,source,reason}, and haetae_dropped_total
 *   {stage="receive",reason} for what was closed or dropped (overload is counted there by the sink).
 * Each (listener, source, reason) is logged at most once a minute, with how many hits since the last line.
 * `now` is injectable for tests; `limitsFor` gives a listener's own limits for the log lines.
 */
export function connectionLimitEvents(
  limits: LimitSettings,
  log: Logger,
  metrics: Metrics,
  now: () => number = Date.now,
  limitsFor: (spec: ListenerSpec) => LimitSettings = () => limits,
): Pick<ListenerEvents, 'onConnectionRefused' | 'onIdleClose' | 'onLimited' | 'onSourceEvicted'> {
  /** `listener reason source` → when it was last logged and how many hits since. Pruned as it is used. */
  const logged = new Map<string, { at: number; since: number }>();
  /** Whether to log this hit now; the number of hits not logged since the last line (or null: do not log). */
  const shouldLog = (listener: string, reason: string, source: string): number | null => {
    const key = `${listener} ${reason} ${source}`;
    const t = now();
    const seen = logged.get(key);
    if (seen && t - seen.at < LIMIT_LOG_INTERVAL_MS) {
      seen.since++;
      return null;
    }
    // A flood from many addresses must not grow the map without bound: forget stale entries.
    if (!seen && logged.size >= LIMIT_LOG_MAX_KEYS) {
      for (const [k, v] of logged) if (t - v.at >= LIMIT_LOG_INTERVAL_MS) logged.delete(k);
      if (logged.size >= LIMIT_LOG_MAX_KEYS) return null; // all fresh: counted in metrics, not logged
    }
    logged.set(key, { at: t, since: 0 });
    return seen?.since ?? 0;
  };
  const more = (n: number): string => (n > 0 ? ` (${n} more since the last line)` : '');
  const describe = (spec: ListenerSpec, reason: string, action: LimitAction): string => {
    const l = limitsFor(spec);
    const rate = l.rateLimit ? `${l.rateLimit.messagesPerSecond} messages/s, burst ${l.rateLimit.burst}` : 'receiver.rateLimit';
    switch (reason) {
      case 'not_allowed': return `not in the listener's allowed networks (receiver.listeners[].allow)`;
      case 'rate_limit': return action === 'paused'
        ? `over the per-source rate limit (${rate}); reading its connections resumes as its allowance refills, nothing is dropped`
        : `over the per-source rate limit (${rate}); UDP cannot be slowed down, so datagrams over it are dropped`;
      case 'overload': return `Kafka is behind (twice receiver.maxPendingMessages or maxPendingBytes held), so UDP datagrams are dropped`;
      default: return reason;
    }
  };
  const what = (spec: ListenerSpec, action: LimitAction): string =>
    action === 'paused' ? `Paused reading ${spec.transport.toUpperCase()} connections` : action === 'closed' ? `Closed a ${spec.transport.toUpperCase()} connection` : `Dropped a ${spec.transport.toUpperCase()} message`;
  return {
    onConnectionRefused(spec: ListenerSpec, source: string, limit: 'total' | 'source') {
      metrics.dropped.inc({ stage: 'receive', reason: 'connection_limit' });
      metrics.countLimited(listenerLabel(spec), source, limit === 'total' ? 'connection_limit' : 'source_connection_limit');
      const since = shouldLog(listenerLabel(spec), 'connection_limit', source);
      if (since === null) return;
      const l = limitsFor(spec);
      const why = limit === 'total'
        ? `the listener has receiver.maxConnections (${l.maxConnections}) open`
        : `it has receiver.maxConnectionsPerSource (${l.maxConnectionsPerSource}) open`;
      log.warn({ listener: listenerLabel(spec), source }, `Closed a new ${spec.transport.toUpperCase()} connection from ${source} at once: ${why}${more(since)}. Counted in haetae_dropped_total{reason="connection_limit"} and haetae_receiver_limited_total; logged at most once a minute per source.`);
    },
    onIdleClose(spec: ListenerSpec, peer: string, flushed: number, source?: string) {
      metrics.dropped.inc({ stage: 'receive', reason: 'idle_timeout' });
      if (source !== undefined) metrics.countLimited(listenerLabel(spec), source, 'idle_timeout');
      log.info({ listener: listenerLabel(spec), peer, flushed }, `Closed ${spec.transport.toUpperCase()} connection ${peer}: nothing received for receiver.idleTimeoutMs (${limitsFor(spec).idleTimeoutMs} ms)${flushed > 0 ? `; the unterminated message it held was kept` : ''}.`);
    },
    onLimited(spec: ListenerSpec, source: string, reason: LimitReason, action: LimitAction, detail?: string) {
      const listener = listenerLabel(spec);
      metrics.countLimited(listener, source, reason);
      // overload drops are counted in haetae_dropped_total by the sink itself.
      if (action !== 'paused' && reason !== 'overload') metrics.dropped.inc({ stage: 'receive', reason });
      const since = shouldLog(listener, reason, source);
      if (since === null) return;
      log.warn({ listener, source, reason }, `${what(spec, action)} from ${source}: ${detail ?? describe(spec, reason, action)}${more(since)}. Counted in haetae_receiver_limited_total{reason="${reason}"}; logged at most once a minute per listener, source and reason.`);
    },
    onSourceEvicted(spec: ListenerSpec) {
      metrics.receiverSourcesEvicted.inc({ listener: listenerLabel(spec) });
    },
  };
}

/**
 * Receiver-wide limits with a listener entry's own overrides applied: what bindListener gets (the
 * rest of `r` is passed along as it is, for listeners that read more of it).
 */
export function listenerLimits<R extends Omit<ListenerLimits, 'rateLimit'> & Omit<LimitSettings, 'rateLimit'> & { readonly rateLimit: PartialRateLimit }>(
  r: R,
  entry: { readonly maxConnections?: number | undefined; readonly maxConnectionsPerSource?: number | undefined; readonly rateLimit?: PartialRateLimit | undefined },
): Omit<R, 'rateLimit'> & { rateLimit: Required<RateLimit> } {
  // The config schema fills receiver.rateLimit's defaults; the generated type cannot know that.
  const global = r.rateLimit as Required<RateLimit>;
  return {
    ...r,
    maxConnections: entry.maxConnections ?? r.maxConnections,
    maxConnectionsPerSource: entry.maxConnectionsPerSource ?? r.maxConnectionsPerSource,
    rateLimit: {
      messagesPerSecond: entry.rateLimit?.messagesPerSecond ?? global.messagesPerSecond,
      burst: entry.rateLimit?.burst ?? global.burst,
      maxSources: global.maxSources,
    },
  };
}

/** Descriptors kept free for everything else a receiver opens: Kafka connections, files, UDP sockets, the metrics server. */
const DESCRIPTOR_RESERVE = 256;

/**
 * Warns when the stream listeners' maxConnections add up to more descriptors than the process may
 * open (Node raises the soft open-files limit to the hard one at start-up, so that is the hard
 * limit, read from /proc/self/limits). Past it, accept() fails with EMFILE for everyone instead of
 * the limit refusing the newest connection. Returns the limit (null when it cannot be read).
 */
export function checkDescriptorBudget(listeners: ReadonlyArray<{ spec: Pick<ListenerSpec, 'transport' | 'host' | 'port'>; maxConnections: number }>, log: Logger, limitsText?: string): number | null {
  let text = limitsText;
  if (text === undefined) {
    try {
      text = fs.readFileSync('/proc/self/limits', 'utf8');
    } catch {
      return null; // not Linux: nothing to compare against
    }
  }
  const m = /^Max open files\s+(\d+|unlimited)/m.exec(text);
  if (!m || m[1] === 'unlimited') return null;
  const limit = Number(m[1]);
  const streams = listeners.filter((l) => l.spec.transport !== 'udp');
  const wanted = streams.reduce((n, l) => n + l.maxConnections, 0);
  if (wanted + DESCRIPTOR_RESERVE > limit) {
    log.warn({ openFilesLimit: limit, maxConnections: wanted, listeners: streams.map((l) => listenerLabel(l.spec)) }, `The stream listeners may hold ${wanted} connections (receiver.maxConnections summed over them) but the process may open only ${limit} files (ulimit -n), ${DESCRIPTOR_RESERVE} of which are kept for Kafka and the rest: past that, new connections fail for every sender. Lower receiver.maxConnections or raise the open-files limit (LimitNOFILE= in systemd, --ulimit nofile= in Docker).`);
  }
  return limit;
}
