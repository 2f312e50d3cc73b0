import os from 'node:os';
import path from 'node:path';
import type { Kafka } from 'kafkajs';
import type { LoadedConfig } from '../config/load';
import type { Logger } from '../telemetry/logger';
import type { Metrics } from '../telemetry/metrics';
import { BatchingProducer } from '../../connectors/kafka/batching-producer';
import { ensurePipelineTopics } from '../../connectors/kafka/client';
import { batchBoundFor } from '../../connectors/kafka/topic-limits';
import { checkMessageFitsKafka } from '../config/kafka-limits';
import { partitionCount } from '../../connectors/kafka/partitions';
import { createRecordProducer } from '../../connectors/kafka/record-producer';
import { allowList, bindListener, type BoundListener, type ListenerSpec } from '../receive/syslog/listeners';
import { checkDescriptorBudget, connectionLimitEvents, listenerLimits, receiverSink } from './receiver-sink';
import { relpErrorEvents } from '../receive/relp/events';
import { tlsRefusalEvents } from '../receive/syslog/tls';
import { udpKernelDrops } from '../receive/syslog/kernel-drops';
import { HaetaeError, messageOf } from '../errors/catalog';
import { RoleHealth, reporting } from './readiness';
import { DeliveryNotices } from '../receive/snmp/delivery';
import { startTrapReceiver, type RunningTrapReceiver } from './trap-receiver';

export interface RunningReceiver {
  listeners: BoundListener[];
  /** The SNMP trap listener (config section snmp), when configured. */
  traps: RunningTrapReceiver | null;
  readonly isReady: boolean;
  stop(): Promise<void>;
}

/**
 * The receiver role: syslog listeners → raw envelopes → the raw topic, keyed by source address
 * (so one device's messages stay in order on one partition). TCP applies backpressure when
 * Kafka falls behind; UDP cannot, so past twice the pending limits (messages or bytes) datagrams
 * are dropped and counted (haetae_dropped_total{stage="receive",reason="overload"}). TCP
 * connections are bounded in number and idle time (see receiver-sink.ts for what is counted).
 */
export async function startReceiver(loaded: LoadedConfig, kafka: Kafka, logger: Logger, metrics: Metrics, health = new RoleHealth('receiver')): Promise<RunningReceiver> {
  const cfg = loaded.config;
  const log = logger.child({ role: 'receiver' });
  const observerHostname = os.hostname();
  const brokers = cfg.kafka.brokers.join(',');
  health.starting(`setting up topics on Kafka at ${brokers} (retrying until it answers)`);
  await ensurePipelineTopics(kafka, cfg.kafka, log);
  const r = cfg.receiver;
  // A message the raw topic cannot take whole would only ever be dead-lettered: refuse to start.
  const bound = await batchBoundFor(kafka, cfg.kafka.maxBatchBytes, [cfg.kafka.rawTopic, cfg.kafka.dlqTopic], log);
  checkMessageFitsKafka(r.maxMessageBytes, bound.bytes, bound.source, loaded.file);
  const partitions = await partitionCount(kafka, cfg.kafka.rawTopic, log);
  // Idempotent: a produce request the client retries after a lost answer is stored once (the
  // broker recognises the producer id and sequence numbers; acks=all, which we always ask for, is
  // required). The client's own retries are few on purpose, so an outage reaches our own retry
  // loop (logged, reported to readiness, stoppable on shutdown). A copy that loop stores after all
  // is recognised by the worker by its envelope id. See BatchingProducer for per-partition sends,
  // record-producer.ts for the two clients (kafka.producerClient).
  const producer = createRecordProducer({ client: cfg.kafka.producerClient, brokers: cfg.kafka.brokers, clientId: cfg.kafka.clientId }, kafka, log);
  await producer.connect();
  // Kafka can go away after start-up: while the batching producer holds messages and retries, the
  // receiver is not ready (an orchestrator sends syslog to a replica that can deliver it).
  // SNMP informs are answered once Kafka has their envelope: `deliveries` sees each acknowledged send.
  const deliveries = new DeliveryNotices();
  const send = deliveries.observe(reporting(health, 'kafka', (err) => `Kafka at ${brokers} is not accepting messages (${messageOf(err)}); holding them and retrying`, producer.send));
  const batching = new BatchingProducer(
    { send },
    { topic: cfg.kafka.rawTopic, dlqTopic: cfg.kafka.dlqTopic, onDeadLettered: (m) => deliveries.settle(m), maxBatch: r.batchMaxMessages, maxBatchBytes: bound.bytes, maxDelayMs: r.batchMaxDelayMs, maxPending: r.maxPendingMessages, maxPendingBytes: r.maxPendingBytes, ...(partitions ? { partitions } : {}), stage: 'receive', brokers: cfg.kafka.brokers },
    log,
    metrics,
  );

  const sink = receiverSink(batching, { ...r, observerHostname, deliveries }, log, metrics);
  // Each listener's own limits (its entry's overrides), for the log lines that quote them.
  const limitsOf = new Map<ListenerSpec, ReturnType<typeof listenerLimits>>();
  const defaults = listenerLimits(r, {});
  const limitEvents = connectionLimitEvents(defaults, log, metrics, Date.now, (s) => limitsOf.get(s) ?? defaults);
  // TLS refusals (plaintext, handshake, client certificates) and certificate reloads: tls.ts.
  const tlsEvents = tlsRefusalEvents(log, metrics);
  // RELP protocol errors (bad frames, commands before open, oversized messages): relp/events.ts.
  const relpEvents = relpErrorEvents(log, metrics);

  const listeners: BoundListener[] = [];
  try {
    for (const spec of r.listeners) {
      const i = r.listeners.indexOf(spec);
      const lspec = listenerSpec(spec, loaded.baseDir, i, loaded.file);
      const limits = listenerLimits(r, spec);
      limitsOf.set(lspec, limits);
      const bound = await bindListener(lspec, sink, limits, {
        onError: (s, err) => {
          metrics.errors.inc({ stage: 'receive', error_type: (err as NodeJS.ErrnoException).code ?? 'socket_error' });
          log.warn({ listener: `${s.transport}/${s.host}:${s.port}` }, `Socket error: ${err.message}`);
        },
        ...limitEvents,
        ...tlsEvents,
        ...relpEvents,
        onSmallBuffer: (s, granted, wanted) => {
          log.warn({ listener: `udp/${s.host}:${s.port}`, granted, wanted }, `The kernel granted a UDP receive buffer of ${granted} bytes (asked for ${wanted}); bursts beyond it are dropped by the kernel and counted in haetae_udp_kernel_drops. Raise net.core.rmem_max to allow more.`);
        },
      });
      listeners.push(bound);
      log.info({ transport: spec.transport, address: bound.address.address, port: bound.address.port }, `Listening for syslog on ${spec.transport.toUpperCase()} ${bound.address.address}:${bound.address.port}${listenerNote(lspec)}.`);
    }
  } catch (err) {
    await Promise.all(listeners.map((l) => l.close()));
    await producer.disconnect();
    throw err;
  }
  // Connections the stream listeners may hold against the process's open-files limit (a warning).
  checkDescriptorBudget(listeners.map((l) => ({ spec: l.spec, maxConnections: (limitsOf.get(l.spec) ?? defaults).maxConnections })), log);
  let traps: RunningTrapReceiver | null;
  try {
    traps = await startTrapReceiver(loaded, batching, deliveries, log, metrics, observerHostname);
  } catch (err) {
    await Promise.all(listeners.map((l) => l.close()));
    await producer.disconnect();
    throw err;
  }

  health.started();

  // Kernel drops are read from /proc on each scrape, so they cost nothing between scrapes.
  const udpListeners: Array<{ address: { address: string; port: number } }> = listeners.filter((l) => l.spec.transport === 'udp');
  if (traps) udpListeners.push(...traps.listeners);
  metrics.onCollectUdpDrops(() => {
    for (const l of udpListeners) {
      const drops = udpKernelDrops(l.address.port);
      if (drops !== null) metrics.udpKernelDrops.set({ listener: `${l.address.address}:${l.address.port}` }, drops);
    }
  });

  return {
    listeners,
    traps,
    get isReady() { return health.state.ready; },
    async stop() {
      // Trap sockets stay open through the flush so informs in flight still get their answer.
      traps?.quiesce();
      await Promise.all(listeners.map((l) => l.close()));
      // Everything received must reach Kafka before we exit; give an outage 30 s, then report.
      const timer = setTimeout(() => batching.cancel(), 30_000);
      await batching.flush();
      clearTimeout(timer);
      await traps?.close();
      if (batching.pending > 0) {
        metrics.dropped.inc({ stage: 'receive', reason: 'shutdown' }, batching.pending);
        log.error({ lost: batching.pending }, `Shutting down with ${batching.pending} received messages that Kafka never accepted; they are lost.`);
      }
      await producer.disconnect();
    },
  };
}

/** What the start-up line adds about a listener's protocol and its security. */
function listenerNote(spec: ListenerSpec): string {
  switch (spec.transport) {
    case 'tls':
      return spec.clientAuth === 'required' ? ' (RFC 5425, mTLS: a client certificate signed by caFile is required)'
        : spec.clientAuth === 'optional' ? ' (RFC 5425, TLS; client certificates verified and recorded when presented)'
        : ' (RFC 5425, TLS; no client certificates asked for)';
    case 'relp': return ' (RELP: each message acknowledged once Kafka stored it)';
    case 'http': return ` (Splunk HEC at /services/collector, NDJSON at /ndjson; tokens from ${spec.tokensFile ?? '?'}; answered once Kafka stored the request)`;
    default: return '';
  }
}

/**
 * A configured listener with its defaults applied and its files resolved against the config file's
 * directory; its allow list is checked here, so a bad network stops start-up naming its key.
 */
function listenerSpec(spec: LoadedConfig['config']['receiver']['listeners'][number], baseDir: string, index: number, configFile: string | null): ListenerSpec {
  const file = (f: string): string => path.resolve(baseDir, f);
  const out: ListenerSpec = {
    transport: spec.transport,
    host: spec.host ?? '0.0.0.0',
    port: spec.port,
    ...(spec.allow ? { allow: [...spec.allow] } : {}),
    ...(spec.certFile ? { certFile: file(spec.certFile) } : {}),
    ...(spec.keyFile ? { keyFile: file(spec.keyFile) } : {}),
    ...(spec.caFile ? { caFile: file(spec.caFile) } : {}),
    ...(spec.clientAuth ? { clientAuth: spec.clientAuth } : {}),
    ...(spec.tokensFile ? { tokensFile: file(spec.tokensFile) } : {}),
  };
  try {
    allowList(out, `/receiver/listeners/${index}/allow`);
  } catch (err) {
    throw new HaetaeError('HAETAE_CONFIG_INVALID', [configFile ?? '(defaults)', messageOf(err)]);
  }
  return out;
}
