import os from 'node:os';
import type { Kafka, Producer } from 'kafkajs';
import type { LoadedConfig } from '../config/load';
import type { Logger } from '../telemetry/logger';
import type { Metrics } from '../telemetry/metrics';
import { BatchingProducer } from '../../connectors/kafka/batching-producer';
import { ensurePipelineTopics } from '../../connectors/kafka/client';
import { buildEnvelope, encodeEnvelope, normalizeAddress } from '../envelope/envelope';
import { bindListener, type BoundListener, type FrameSink } from '../receive/syslog/listeners';
import { udpKernelDrops } from '../receive/syslog/kernel-drops';
import { messageOf } from '../errors/catalog';

export interface RunningReceiver {
  listeners: BoundListener[];
  readonly isReady: boolean;
  stop(): Promise<void>;
}

/**
 * The receiver role: syslog listeners → raw envelopes → the raw topic, keyed by source address
 * (so one device's messages stay in order on one partition). TCP applies backpressure when
 * Kafka falls behind; UDP cannot, so past twice the pending limit datagrams are dropped and
 * counted (haetae_dropped_total{stage="receive",reason="overload"}).
 */
export async function startReceiver(loaded: LoadedConfig, kafka: Kafka, logger: Logger, metrics: Metrics): Promise<RunningReceiver> {
  const cfg = loaded.config;
  const log = logger.child({ role: 'receiver' });
  const observerHostname = os.hostname();
  await ensurePipelineTopics(kafka, cfg.kafka, log);
  const producer: Producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  const r = cfg.receiver;
  const batching = new BatchingProducer(
    producer,
    { topic: cfg.kafka.rawTopic, maxBatch: r.batchMaxMessages, maxDelayMs: r.batchMaxDelayMs, maxPending: r.maxPendingMessages, stage: 'receive', brokers: cfg.kafka.brokers },
    log,
    metrics,
  );

  let truncatedLogged = 0;
  const sink: FrameSink = {
    accept(frame, peer) {
      metrics.received.inc({ stage: 'receive', transport: peer.transport });
      if (peer.transport === 'udp' && batching.pending >= 2 * r.maxPendingMessages) {
        metrics.dropped.inc({ stage: 'receive', reason: 'overload' });
        return false;
      }
      if (frame.truncated) {
        metrics.errors.inc({ stage: 'receive', error_type: 'HAETAE_SYSLOG_TRUNCATED' });
        // One line per 1000 to keep a flood of oversized lines from flooding the log too.
        if (truncatedLogged++ % 1000 === 0) {
          log.warn({ source: peer.source }, `A syslog message of ${frame.originalLength ?? '?'} bytes exceeds receiver.maxMessageBytes (${r.maxMessageBytes}); its first ${r.maxMessageBytes} bytes are kept and tagged haetae_truncated.`);
        }
      }
      const envelope = buildEnvelope(frame, { ...peer, observerHostname, receivedAt: new Date() });
      batching.enqueue({ key: normalizeAddress(peer.source.address), value: encodeEnvelope(envelope) });
      return true;
    },
    get saturated() {
      return batching.saturated;
    },
    onDrain(listener) {
      batching.on('drain', listener);
    },
  };

  const listeners: BoundListener[] = [];
  try {
    for (const spec of r.listeners) {
      const bound = await bindListener({ transport: spec.transport, host: spec.host ?? '0.0.0.0', port: spec.port }, sink, r, {
        onError: (s, err) => {
          metrics.errors.inc({ stage: 'receive', error_type: (err as NodeJS.ErrnoException).code ?? 'socket_error' });
          log.warn({ listener: `${s.transport}/${s.host}:${s.port}` }, `Socket error: ${err.message}`);
        },
        onSmallBuffer: (s, granted, wanted) => {
          log.warn({ listener: `udp/${s.host}:${s.port}`, granted, wanted }, `The kernel granted a UDP receive buffer of ${granted} bytes (asked for ${wanted}); bursts beyond it are dropped by the kernel and counted in haetae_udp_kernel_drops. Raise net.core.rmem_max to allow more.`);
        },
      });
      listeners.push(bound);
      log.info({ transport: spec.transport, address: bound.address.address, port: bound.address.port }, `Listening for syslog on ${spec.transport.toUpperCase()} ${bound.address.address}:${bound.address.port}.`);
    }
  } catch (err) {
    await Promise.all(listeners.map((l) => l.close()));
    await producer.disconnect();
    throw err;
  }

  // Kernel drops are read from /proc on each scrape, so they cost nothing between scrapes.
  const udpListeners = listeners.filter((l) => l.spec.transport === 'udp');
  metrics.onCollectUdpDrops(() => {
    for (const l of udpListeners) {
      const drops = udpKernelDrops(l.address.port);
      if (drops !== null) metrics.udpKernelDrops.set({ listener: `${l.address.address}:${l.address.port}` }, drops);
    }
  });

  return {
    listeners,
    isReady: true,
    async stop() {
      await Promise.all(listeners.map((l) => l.close()));
      // Everything received must reach Kafka before we exit; give an outage 30 s, then report.
      const timer = setTimeout(() => batching.cancel(), 30_000);
      await batching.flush();
      clearTimeout(timer);
      if (batching.pending > 0) {
        metrics.dropped.inc({ stage: 'receive', reason: 'shutdown' }, batching.pending);
        log.error({ lost: batching.pending }, `Shutting down with ${batching.pending} received messages that Kafka never accepted; they are lost.`);
      }
      await producer.disconnect();
    },
  };
}
