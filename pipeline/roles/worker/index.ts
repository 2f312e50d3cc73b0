import { AlertRouter, channelNames } from '../../notify/channels';
import type { Kafka, Consumer, Producer } from 'kafkajs';
import type { Client } from '@elastic/elasticsearch';
import type { Queue } from 'bullmq';
import type { LoadedConfig } from '../../config/load';
import type { Validators } from '../../../schemas/validators';
import { redactUrl, type Logger } from '../../telemetry/logger';
import type { Metrics } from '../../telemetry/metrics';
import type { NotificationJob } from '../../../schemas/generated/types';
import { ensurePipelineTopics } from '../../../connectors/kafka/client';
import { batchBoundFor } from '../../../connectors/kafka/topic-limits';
import { produceDeadLetters } from '../../../connectors/kafka/dead-letters';
import { foldAlerts, resolveAlerts } from '../../../connectors/elasticsearch/alerts';
import { ensureIndexTemplates } from '../../../connectors/elasticsearch/templates';
import { jobOptions, queueSettings, redisStatus } from '../../../connectors/bullmq/queue';
import { retryUntilSuccess } from '../../delivery/retry';
import { messageOf } from '../../errors/catalog';
import type { RuleStore } from '../../detect/rule-store';
import type { CompiledRule } from '../../detect/load';
import type { CorrelationRule } from '../../correlate/model';
import { startRuleStore } from './rules';
import { startWorkerMibs } from './mibs';
import { startWorkerDecoders } from './decoders';
import type { Enricher } from '../../enrich';
import { processBatch, type RawRecord, type WorkerContext } from './process-batch';
import { eventStreams } from '../../../connectors/elasticsearch/streams';
import { SourceZones, type ZoneRuleConfig } from '../../time/source-zones';
import { timeZone } from '../../time/zone';
import { TimeCorrectionLog } from '../../time/report';
import { agentHostnames, withoutHostname } from '../../config/load';
import { activeFailpoint } from './failpoint';
import { consumerTimeouts, whileHeartbeating } from '../../delivery/keep-alive';
import { chunkByBytes } from '../../../connectors/kafka/byte-bound';
import { lagAfter } from '../../../connectors/kafka/partitions';
import { CorrelationRouter } from '../../correlate/route';
import { absenceRuleOf } from '../../correlate/absence';
import { startCorrelator, type RunningCorrelator } from '../correlator';
import { Readiness, redisProblem } from '../readiness';
import { documentSink } from './document-sink';
import { ReplayWindow } from './replay-window';

export interface WorkerDeps {
  loaded: LoadedConfig;
  validators: Validators;
  kafka: Kafka;
  es: Client;
  queue: Queue<NotificationJob>;
  logger: Logger;
  metrics: Metrics;
  /** Where the worker and its correlator report for /readyz (roles 'worker' and 'correlator'). */
  readiness?: Readiness;
  /** Enrichment (enrich: in the config), loaded by the caller before the worker starts; closed with the worker. */
  enricher?: Enricher;
}

export interface RunningWorker {
  /** Resolves once the consumer has joined the group. */
  ready: Promise<void>;
  stop(): Promise<void>;
  readonly isReady: boolean;
  /** The live rule set, for the /rules endpoint. */
  readonly rules: RuleStore;
}

/**
 * The worker role: consumes the raw topic in a consumer group and commits a partition's offset
 * only after the records up to it are in Elasticsearch (or the dead-letter topic) and their
 * notification jobs are enqueued. A crash anywhere before the commit replays the batch, which
 * the deterministic document, alert and job ids make harmless.
 */
export function startWorker(deps: WorkerDeps): RunningWorker {
  const { loaded, validators, kafka, es, queue, logger, metrics } = deps;
  const readiness = deps.readiness ?? new Readiness();
  const health = readiness.role('worker');
  const cfg = loaded.config;
  const log = logger.child({ role: 'worker' });
  const abort = new AbortController();
  let consumer: Consumer | null = null;
  /** Produces dead letters and correlation observations. */
  let dlqProducer: Producer | null = null;
  /** Bytes per dead-letter produce request; read from the topic's limit before consuming starts. */
  let dlqBatchBytes = cfg.kafka.maxBatchBytes;
  const esAt = `Elasticsearch at ${redactUrl(cfg.elasticsearch.url)}`;
  const redisAt = redactUrl(cfg.redis.url);
  const queueStatus = redisStatus(queue);
  health.watch('redis', () => redisProblem(queueStatus(), redisAt));
  const replays = new ReplayWindow();

  const ruleStore = startRuleStore(loaded, validators, log, metrics);
  const mibs = startWorkerMibs(loaded, log);
  const decoders = startWorkerDecoders(loaded, log, metrics);
  const channels = channelNames(cfg, loaded.file ?? '(defaults)');
  const alertRouter = new AlertRouter(cfg.notifier, channels);
  if (channels.length === 0) {
    log.warn('No notification channel is configured (notifier.channels, notifier.webhook.url / HAETAE_WEBHOOK_URL): alerts are indexed but not sent.');
  }
  const failpoint = activeFailpoint(process.env);
  const jobSettings = queueSettings(cfg);
  // One router per live rule set (rebuilt when a reload or a disabled rule changes it).
  let routing: { rules: readonly CompiledRule[]; correlations: readonly CorrelationRule[]; router: CorrelationRouter } | null = null;
  const router = (): CorrelationRouter => {
    const { rules, correlations } = ruleStore.store;
    if (!routing || routing.rules !== rules || routing.correlations !== correlations) {
      routing = { rules, correlations, router: new CorrelationRouter(correlations, rules.flatMap((r) => absenceRuleOf(r) ?? [])) };
    }
    return routing.router;
  };
  let correlator: RunningCorrelator | null = null;

  const streams = eventStreams(cfg.elasticsearch.eventsDataStream);
  const ctx: WorkerContext = {
    validateEnvelope: validators.envelope,
    rules: () => ruleStore.store.rules,
    router,
    correlationLatenessMs: cfg.worker.correlation.allowedLatenessMs,
    eventsDataStream: cfg.elasticsearch.eventsDataStream,
    streamFor: (event) => streams.forModule(event.event.module),
    alertsIndex: cfg.elasticsearch.alertsIndex,
    alertEventsIndex: cfg.elasticsearch.alertEventsIndex,
    channels,
    alertRouter,
    metrics,
    logger: log,
    time: {
      policy: { maxFutureMs: cfg.worker.time.maxFutureMs, maxPastMs: cfg.worker.time.maxPastMs },
      zones: new SourceZones(cfg.worker.time.zones as ZoneRuleConfig[], timeZone(cfg.worker.time.defaultZone)),
      log: new TimeCorrectionLog(log),
    },
    withoutHostname: withoutHostname(cfg),
    mibs: () => mibs.current(),
    decoders: () => decoders.current(),
    ...(deps.enricher ? { enrich: (event) => deps.enricher!.enrich(event), raiseSeverity: deps.enricher.raiseSeverity } : {}),
    agentHostnames: agentHostnames(cfg),
    ...(failpoint ? { failpoint } : {}),
    // A rule that throws is a bug in the rule (or in us): disable it rather than fail every event
    // it sees; fixing its file brings it back. The rest of the batch already runs without it.
    onRuleError: (rule, err) => {
      if (ruleStore.store.disable(rule.id, messageOf(err))) {
        metrics.rulesLoaded.set(ruleStore.store.rules.length);
        metrics.rulesDisabled.set(ruleStore.store.disabled.size);
        log.error({ rule: rule.id, file: rule.file }, `Rule '${rule.id}' disabled after it threw on an event; fix ${rule.file} to bring it back: ${messageOf(err)}`);
      }
    },
    sinks: {
      writeDocuments: documentSink(es, {
        url: cfg.elasticsearch.url,
        streams,
        logger: log,
        metrics,
        signal: abort.signal,
        onRetry: (reason) => health.degraded('elasticsearch', `${esAt} is not taking documents (${reason}); holding them and retrying`),
        onDelivered: () => health.recovered('elasticsearch'),
      }),
      enqueueNotifications: async (jobs) => {
        await retryUntilSuccess(
          () => queue.addBulk(jobs.map((j) => ({ name: j.data.channel, data: j.data, opts: jobOptions(jobSettings, j.id) }))),
          {
            what: 'enqueue notifications',
            signal: abort.signal,
            onRetry: (attempt, err, delayMs) => {
              metrics.retries.inc({ service: 'redis' });
              health.degraded('redis', `Redis at ${redisAt} is not taking notification jobs (${messageOf(err)}); holding them and retrying`);
              log.warn({ attempt, delayMs, jobs: jobs.length }, `Redis at ${redactUrl(cfg.redis.url)} did not take ${jobs.length} notification jobs (${messageOf(err)}); retrying.`);
            },
          },
        );
        health.recovered('redis');
      },
      resolveAlerts: async (requests) => {
        const resolved = await retryUntilSuccess(() => resolveAlerts(es, cfg.elasticsearch.alertsIndex, requests, new Date()), {
          what: 'alert recovery',
          signal: abort.signal,
          onRetry: (attempt, err, delayMs) => {
            metrics.retries.inc({ service: 'elasticsearch' });
            health.degraded('elasticsearch', `${esAt} did not complete alert recoveries (${messageOf(err)}); retrying`);
            log.warn({ attempt, delayMs }, `Elasticsearch at ${redactUrl(cfg.elasticsearch.url)} did not complete ${requests.length} alert recoveries (${messageOf(err)}); retrying.`);
          },
        });
        health.recovered('elasticsearch');
        return resolved;
      },
      foldAlerts: async (candidates) => {
        const outcomes = await retryUntilSuccess(() => foldAlerts(es, cfg.elasticsearch.alertsIndex, candidates, new Date()), {
          what: 'alert folding',
          signal: abort.signal,
          onRetry: (attempt, err, delayMs) => {
            metrics.retries.inc({ service: 'elasticsearch' });
            health.degraded('elasticsearch', `${esAt} did not answer which alerts are open (${messageOf(err)}); retrying`);
            log.warn({ attempt, delayMs }, `Elasticsearch at ${redactUrl(cfg.elasticsearch.url)} did not answer which of ${candidates.length} matches' problems have open alerts (${messageOf(err)}); retrying.`);
          },
        });
        health.recovered('elasticsearch');
        return outcomes;
      },
      produceCorrelate: async (records) => {
        // Requests bounded in bytes like every other produce (a batch can hold many observations);
        // a retry repeats only the request that failed.
        const messages = records.map((r) => ({ key: r.key, value: JSON.stringify(r.message) }));
        for (const chunk of chunkByBytes(messages, cfg.kafka.maxBatchBytes)) await retryUntilSuccess(
          () => dlqProducer!.send({ topic: cfg.kafka.correlateTopic, acks: -1, messages: chunk }),
          {
            what: 'correlate produce',
            signal: abort.signal,
            onRetry: (attempt, err, delayMs) => {
              metrics.retries.inc({ service: 'kafka' });
              health.degraded('kafka', `Kafka at ${cfg.kafka.brokers.join(',')} is not taking correlation observations (${messageOf(err)}); retrying`);
              log.warn({ attempt, delayMs }, `Kafka did not take ${records.length} correlation observations (${messageOf(err)}); retrying.`);
            },
          },
        );
        health.recovered('kafka');
      },
      deadLetter: async (records) => {
        await produceDeadLetters(dlqProducer!, records, { topic: cfg.kafka.dlqTopic, maxBatchBytes: dlqBatchBytes, signal: abort.signal, logger: log, metrics });
        for (const r of records) log.warn({ stage: r.stage, code: r.code, origin: r.origin }, `Dead-lettered a record: ${r.reason}`);
      },
    },
  };

  const ready = (async () => {
    health.starting(`setting up topics on Kafka at ${cfg.kafka.brokers.join(',')} (retrying until it answers)`);
    await ensurePipelineTopics(kafka, cfg.kafka, log, abort.signal);
    correlator = startCorrelator({ loaded, kafka, es, queue, logger, metrics, rules: ruleStore.store, router, channels, alertRouter, health: readiness.role('correlator'), ...(failpoint ? { failpoint } : {}) });
    health.starting(`installing the index templates in ${esAt}`);
    const lifecycle = await retryUntilSuccess(() => ensureIndexTemplates(es, cfg.elasticsearch), {
      what: 'Elasticsearch template setup',
      signal: abort.signal,
      onRetry: (a, err, d) => {
        health.degraded('elasticsearch', `${esAt} is unavailable (${messageOf(err)}); retrying`);
        log.warn({ attempt: a, delayMs: d }, `Elasticsearch at ${redactUrl(cfg.elasticsearch.url)} is unavailable (${messageOf(err)}); retrying.`);
      },
    });
    health.recovered('elasticsearch');
    log.info(
      { dataStream: cfg.elasticsearch.eventsDataStream, replicas: cfg.elasticsearch.replicas, lifecycle: lifecycle.manager, policy: lifecycle.policy, retention: lifecycle.retention },
      lifecycle.manager === 'ilm'
        ? `Events in ${streams.searchTarget} roll over and expire by the ILM policy ${lifecycle.policy} (retention ${lifecycle.retention ?? 'forever'}).`
        : `Events in ${streams.searchTarget} carry a data stream lifecycle (retention ${lifecycle.retention ?? 'forever'}); this cluster has no ILM, so rollover follows its data stream lifecycle defaults, where it runs one.`,
    );
    health.starting(`joining consumer group ${cfg.kafka.consumerGroup} on Kafka at ${cfg.kafka.brokers.join(',')}`);
    dlqBatchBytes = (await batchBoundFor(kafka, cfg.kafka.maxBatchBytes, [cfg.kafka.dlqTopic], log)).bytes;
    dlqProducer = kafka.producer({ allowAutoTopicCreation: false });
    await dlqProducer.connect();
    consumer = kafka.consumer({ groupId: cfg.kafka.consumerGroup, allowAutoTopicCreation: false, ...consumerTimeouts(cfg.kafka.sessionTimeoutMs) });
    const keepAliveMs = consumerTimeouts(cfg.kafka.sessionTimeoutMs).heartbeatInterval;
    await consumer.connect();
    await consumer.subscribe({ topic: cfg.kafka.rawTopic, fromBeginning: true });
    const joined = new Promise<void>((resolve) => consumer!.on(consumer!.events.GROUP_JOIN, () => resolve()));
    consumer.on(consumer.events.GROUP_JOIN, () => {
      replays.reassigned();
      health.recovered('kafka-group');
    });
    consumer.on(consumer.events.CRASH, (e) => {
      // Not a group member until kafkajs has restarted the consumer and it has joined again.
      health.degraded('kafka-group', `the Kafka consumer of group ${cfg.kafka.consumerGroup} crashed (${messageOf(e.payload.error)})${e.payload.restart ? '; kafkajs is restarting it' : ' and stopped: restart haetae'}`);
      log.error({ restart: e.payload.restart }, `Kafka consumer crashed: ${messageOf(e.payload.error)}${e.payload.restart ? '; kafkajs restarts it' : ''}`);
    });
    // haetae_worker_seconds_total{phase="idle"}: time between batches, waiting for records.
    let idleSince = performance.now();
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: async ({ batch, heartbeat, isRunning, isStale, resolveOffset }) => {
        metrics.workerSeconds.inc({ phase: 'idle' }, (performance.now() - idleSince) / 1000);
        try {
          const max = cfg.worker.maxBatchMessages;
          for (let start = 0; start < batch.messages.length; start += max) {
            if (!isRunning() || isStale()) return;
            const chunk = batch.messages.slice(start, start + max);
            const records: RawRecord[] = chunk.map((m) => ({ topic: batch.topic, partition: batch.partition, offset: m.offset, key: m.key, value: m.value }));
            // Sinks retry outages inside processBatch: heartbeat meanwhile, or the group would move the partition.
            const summary = await whileHeartbeating(heartbeat, keepAliveMs, () => processBatch(records, ctx, { mayBeReplay: replays.mayBeReplay(batch.topic, batch.partition) }),
              (err) => log.warn({ partition: batch.partition }, `Heartbeat while waiting on a sink failed: ${messageOf(err)}`));
            replays.indexed(batch.topic, batch.partition, summary.replayed);
            const last = chunk[chunk.length - 1]!.offset;
            const next = (BigInt(last) + 1n).toString();
            const commitStart = performance.now();
            await consumer!.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: next }]);
            // With eachBatchAutoResolve off, kafkajs advances its fetch position only through
            // resolveOffset; committing alone would make it fetch the same records again.
            resolveOffset(last);
            metrics.consumerLag.set({ consumer: 'worker', topic: batch.topic, partition: String(batch.partition) }, lagAfter(batch.highWatermark, last));
            log.debug({ partition: batch.partition, offset: next, ...summary }, 'Committed a batch.');
            await heartbeat();
            metrics.workerSeconds.inc({ phase: 'commit' }, (performance.now() - commitStart) / 1000);
          }
        } finally {
          idleSince = performance.now();
        }
      },
    });
    await joined;
    health.started();
    await correlator.ready;
    log.info({ group: cfg.kafka.consumerGroup, topic: cfg.kafka.rawTopic, rules: ruleStore.store.rules.length }, 'Worker joined the consumer group.');
  })();

  return {
    ready,
    get isReady() { return health.state.ready; },
    rules: ruleStore.store,
    async stop() {
      ruleStore.close();
      mibs.close();
      decoders.close();
      deps.enricher?.close();
      abort.abort();
      await ready.catch(() => undefined);
      // Both consumers leave their groups at once: each leave takes a broker round of its own.
      await Promise.all([
        consumer?.disconnect().catch((err: unknown) => log.warn(`Consumer disconnect: ${messageOf(err)}`)),
        correlator?.stop(),
      ]);
      await dlqProducer?.disconnect().catch(() => undefined);
    },
  };
}
