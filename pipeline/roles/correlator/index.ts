import { Redis } from 'ioredis';
import { eventStreams } from '../../../connectors/elasticsearch/streams';
import type { Consumer, Kafka, Producer } from 'kafkajs';
import type { Client } from '@elastic/elasticsearch';
import type { Queue } from 'bullmq';
import type { LoadedConfig } from '../../config/load';
import type { Logger } from '../../telemetry/logger';
import type { Metrics } from '../../telemetry/metrics';
import type { Alert, DeadLetter, NotificationJob } from '../../../schemas/generated/types';
import type { CompiledRule } from '../../detect/load';
import type { RuleStore } from '../../detect/rule-store';
import { writeBulk, type BulkItem } from '../../../connectors/elasticsearch/bulk';
import { resolveAlerts } from '../../../connectors/elasticsearch/alerts';
import { jobOptions, queueSettings } from '../../../connectors/bullmq/queue';
import { retryUntilSuccess } from '../../delivery/retry';
import { consumerTimeouts, whileHeartbeating } from '../../delivery/keep-alive';
import { chunkByBytes } from '../../../connectors/kafka/byte-bound';
import { lagAfter } from '../../../connectors/kafka/partitions';
import { produceDeadLetters } from '../../../connectors/kafka/dead-letters';
import { messageOf } from '../../errors/catalog';
import { occurrencesOf } from '../../alert/lifecycle';
import { buildNotificationJob } from '../../notify/job';
import { routeAlert, type AlertRouter } from '../../notify/channels';
import { buildAbsenceAlert, buildCorrelationAlert, groupKeyOf } from '../../alert/correlation';
import { parseCorrelateMessage, type CorrelationRouter } from '../../correlate/route';
import { redactUrl } from '../../telemetry/logger';
import { CheckpointStore } from './checkpoint';
import { RoleHealth, redisProblem } from '../readiness';
import { PartitionCorrelator, emptyOutput, type CorrelatorOutput } from './partition';

export interface CorrelatorDeps {
  loaded: LoadedConfig;
  kafka: Kafka;
  es: Client;
  queue: Queue<NotificationJob>;
  logger: Logger;
  metrics: Metrics;
  /** The live rules (absence rules' channels and severity come from their detection rule). */
  rules: RuleStore;
  /** The routing of the live rule set; a new instance after every reload that changes it. */
  router: () => CorrelationRouter;
  /** Channels configured in the notifier. */
  channels: readonly string[];
  /** Routes alerts to channels; absent: the rule's channels or all. */
  alertRouter?: AlertRouter;
  /** Test hook: 'correlator-after-alert' kills the process after a batch's alerts and jobs are stored, before its checkpoint. */
  failpoint?: (name: string) => void;
  /** Where the correlator reports for /readyz. */
  health?: RoleHealth;
}

export interface RunningCorrelator {
  ready: Promise<void>;
  readonly isReady: boolean;
  stop(): Promise<void>;
}

interface Owned {
  pc: PartitionCorrelator;
  /** Wall-clock time the last record of this partition arrived (or the state was loaded). */
  lastArrival: number;
  lastCheckpoint: number;
  /** Applied records or outputs not yet in a checkpoint. */
  dirty: boolean;
}

/**
 * The correlator: a consumer group on the correlate topic, run by every worker process. Each
 * partition's records (all observations of the groups hashed to it, whatever raw partition they
 * came from) are applied in offset order to that partition's engines; alerts are indexed and
 * their notifications enqueued before the state is checkpointed in Redis together with the offset
 * it covers, and only then is the offset committed to Kafka.
 *
 * Crash or rebalance: the new owner restores the checkpoint and replays the records after it from
 * Kafka (the committed offset is never ahead of the checkpoint; records below the checkpoint's
 * offset are skipped). Replayed records produce the same alerts with the same ids, which the
 * alerts index (create) and the job queue (job id) ignore — so an alert fires once, when the
 * window's condition is met in event time, whichever process holds the window.
 */
export function startCorrelator(deps: CorrelatorDeps): RunningCorrelator {
  const { loaded, kafka, es, queue, logger, metrics } = deps;
  const cfg = loaded.config;
  const opts = cfg.worker.correlation;
  const topic = cfg.kafka.correlateTopic;
  const log = logger.child({ role: 'correlator' });
  const health = deps.health ?? new RoleHealth('correlator');
  const serviceAt = { kafka: `Kafka at ${cfg.kafka.brokers.join(',')}`, elasticsearch: `Elasticsearch at ${redactUrl(cfg.elasticsearch.url)}`, redis: `Redis at ${redactUrl(cfg.redis.url)}` };
  const abort = new AbortController();
  const owned = new Map<number, Owned>();
  const jobSettings = queueSettings(cfg);
  const redis = new Redis(cfg.redis.url, { maxRetriesPerRequest: 3, lazyConnect: true });
  redis.on('error', () => undefined); // reported by the retry loops that use it
  const checkpoints = new CheckpointStore(redis, cfg.kafka.correlatorGroup, topic);
  let consumer: Consumer | null = null;
  let producer: Producer | null = null;
  health.watch('redis', () => redisProblem(redis.status, redactUrl(cfg.redis.url)));
  let tick: NodeJS.Timeout | null = null;

  // Batches and idle ticks touch the same partition state: one at a time.
  let chain: Promise<unknown> = Promise.resolve();
  const exclusive = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = chain.then(fn, fn);
    chain = run.catch(() => undefined);
    return run;
  };

  const retrying = async <T>(what: string, service: keyof typeof serviceAt, op: () => Promise<T>): Promise<T> => {
    const result = await retryUntilSuccess(op, {
      what,
      signal: abort.signal,
      onRetry: (attempt, err, delayMs) => {
        metrics.retries.inc({ service });
        health.degraded(service, `${serviceAt[service]}: ${what} failed (${messageOf(err)}); retrying`);
        log.warn({ attempt, delayMs }, `${what} failed (${messageOf(err)}); retrying.`);
      },
    });
    health.recovered(service);
    return result;
  };

  async function ownedFor(partition: number, router: CorrelationRouter): Promise<Owned> {
    let st = owned.get(partition);
    if (!st) {
      const cp = await retrying(`Loading the correlator checkpoint from Redis at ${redactUrl(cfg.redis.url)}`, 'redis', () => checkpoints.load(partition));
      const partitionOpts = { allowedLatenessMs: opts.allowedLatenessMs, maxFutureMs: cfg.worker.time.maxFutureMs };
      const pc = cp ? PartitionCorrelator.restore(cp, router, partitionOpts) : new PartitionCorrelator(partitionOpts);
      if (cp) log.info({ partition, offset: cp.next, groups: pc.groups() }, `Restored correlation state of partition ${partition} from its checkpoint; replaying records after offset ${cp.next ?? '(start)'}.`);
      if (pc.restoredClamped > 0) {
        log.warn({ partition, clamped: pc.restoredClamped }, `The checkpoint of partition ${partition} had event time beyond now + worker.time.maxFutureMs (saved after a message with a timestamp in the future); pulled ${pc.restoredClamped} times back to now so later events are not all late.`);
      }
      st = { pc, lastArrival: Date.now(), lastCheckpoint: Date.now(), dirty: false };
      owned.set(partition, st);
    }
    st.pc.sync(router);
    return st;
  }

  function absenceRule(id: string): CompiledRule | undefined {
    return deps.rules.rules.find((r) => r.id === id);
  }

  /** Makes a batch's (or a tick's) results durable: chained records, alerts, recoveries, jobs. */
  async function persist(out: CorrelatorOutput, partition: number, lastOffset: string | null, dead: DeadLetter[]): Promise<void> {
    const now = new Date();
    if (out.chained.length > 0) {
      const messages = out.chained.map((r) => ({ key: r.key, value: JSON.stringify(r.message) }));
      for (const chunk of chunkByBytes(messages, cfg.kafka.maxBatchBytes)) {
        await retrying('Producing chained correlation records to Kafka', 'kafka', () => producer!.send({ topic, acks: -1, messages: chunk }));
      }
    }
    const alerts: Array<{ alert: Alert; channels: readonly string[] }> = [];
    for (const { rule, alert } of out.correlationAlerts) {
      const built = buildCorrelationAlert(rule, alert, eventStreams(cfg.elasticsearch.eventsDataStream).searchTarget, now);
      alerts.push({ alert: built, channels: routeAlert(deps.alertRouter, deps.channels, built, undefined, now) });
    }
    for (const { rule, alert } of out.absenceAlerts) {
      const compiled = absenceRule(rule.id);
      const wanted = compiled?.alerting.channels;
      const absence = buildAbsenceAlert(rule, alert, { ...(compiled ? { severity: compiled.alerting.severity, file: compiled.file } : {}), eventsIndex: eventStreams(cfg.elasticsearch.eventsDataStream).searchTarget, now });
      // Recorded on the alert, so people's later changes (CLI, API) reach the same channels.
      if (wanted) absence.rule.channels = [...wanted];
      alerts.push({ alert: absence, channels: routeAlert(deps.alertRouter, deps.channels, absence, wanted, now) });
    }
    const jobs: Array<{ id: string; data: NotificationJob }> = [];
    if (alerts.length > 0) {
      const items: BulkItem[] = alerts.map(({ alert }) => ({ index: cfg.elasticsearch.alertsIndex, id: alert.alert.id, document: alert }));
      const results = await writeBulk(es, items, {
        url: cfg.elasticsearch.url, logger: log, metrics, signal: abort.signal,
        onRetry: (reason) => health.degraded('elasticsearch', `${serviceAt.elasticsearch} is not taking correlation alerts (${reason}); retrying`),
      });
      health.recovered('elasticsearch');
      results.forEach((r, i) => {
        const { alert, channels } = alerts[i]!;
        if (r.outcome === 'rejected') {
          metrics.errors.inc({ stage: 'correlate', error_type: r.type });
          log.error({ alert: alert.alert.id }, `Elasticsearch rejected a correlation alert: ${r.type}: ${r.reason}`);
          dead.push({
            v: 1, stage: 'correlate', code: 'HAETAE_ES_REJECTED', reason: `${r.type}: ${r.reason}`, failedAt: now.toISOString(),
            origin: { topic, partition, offset: lastOffset ?? '-1', key: null }, raw: Buffer.from(JSON.stringify(alert)).toString('base64'),
            document: alert as unknown as Record<string, unknown>,
          });
          return;
        }
        if (r.outcome === 'created') log.info({ alert: alert.alert.id, rule: alert.rule.id, group: alert.alert.group_key, kind: alert.alert.kind }, `Alert: ${alert.message}`);
        for (const channel of channels) jobs.push(buildNotificationJob(alert, channel));
      });
      metrics.sent.inc({ stage: 'correlate' }, alerts.length);
    }
    if (out.recoveries.length > 0) {
      const requests = out.recoveries.map(({ rule, recovery, eventId }) => ({ ruleId: rule.id, groupKey: groupKeyOf(recovery.groupBy), until: recovery.at.toISOString(), eventId }));
      const resolved = await retrying('Resolving absence alerts in Elasticsearch', 'elasticsearch', () => resolveAlerts(es, cfg.elasticsearch.alertsIndex, requests, now));
      for (const alert of resolved) {
        const wanted = absenceRule(alert.rule.id)?.alerting.channels;
        for (const channel of routeAlert(deps.alertRouter, deps.channels, alert, wanted, now)) jobs.push(buildNotificationJob(alert, channel, 'resolved', occurrencesOf(alert.alert, 'resolve')));
      }
      metrics.sent.inc({ stage: 'resolve' }, resolved.length);
    }
    if (jobs.length > 0) {
      await retrying(`Enqueuing ${jobs.length} notification jobs in Redis`, 'redis', () =>
        queue.addBulk(jobs.map((j) => ({ name: j.data.channel, data: j.data, opts: jobOptions(jobSettings, j.id) }))));
    }
    if (alerts.length > 0) deps.failpoint?.('correlator-after-alert');
    if (out.unknownTarget > 0) {
      metrics.dropped.inc({ stage: 'correlate', reason: 'rule_removed' }, out.unknownTarget);
      log.info({ partition, records: out.unknownTarget }, `${out.unknownTarget} correlation observations were for rules that have been removed; ignored.`);
    }
    if (dead.length > 0) {
      // Fitted under the byte bound like the worker's (a rejected alert document rides along).
      await produceDeadLetters(producer!, dead, { topic: cfg.kafka.dlqTopic, maxBatchBytes: cfg.kafka.maxBatchBytes, signal: abort.signal, logger: log, metrics });
      for (const d of dead) metrics.deadLettered.inc({ stage: d.stage, error_type: d.code });
    }
  }

  function count(st: Owned, partition: number): void {
    if (st.pc.futureClamped > 0) {
      metrics.timeCorrected.inc({ direction: 'future' }, st.pc.futureClamped);
      log.warn({ partition, records: st.pc.futureClamped }, `${st.pc.futureClamped} correlation observations were stamped more than worker.time.maxFutureMs ahead of their receive time (from a worker of an older version); taken at their receive time.`);
      st.pc.futureClamped = 0;
    }
    const c = st.pc.takeCounters();
    if (c.late > 0) {
      metrics.dropped.inc({ stage: 'correlate', reason: 'late' }, c.late);
      log.warn({ partition, late: c.late, allowedLatenessMs: opts.allowedLatenessMs }, `${c.late} observations arrived later than the allowed lateness (${opts.allowedLatenessMs} ms behind the newest event time) and were not counted; raise worker.correlation.allowedLatenessMs if devices' clocks or delivery lag that much.`);
    }
    if (c.duplicates > 0) metrics.dropped.inc({ stage: 'correlate', reason: 'duplicate' }, c.duplicates);
    if (c.refusedGroups > 0) {
      metrics.dropped.inc({ stage: 'correlate', reason: 'absence_group_cap' }, c.refusedGroups);
      log.warn({ partition, refused: c.refusedGroups }, `${c.refusedGroups} heartbeats of new groups were not tracked: an absence rule's table is full (haetae.absence.max-groups). If these groups are real, raise max-groups; if not (invented host names), restrict the rule's detection to the sources you expect.`);
    }
    if (c.forgottenGroups > 0) metrics.dropped.inc({ stage: 'correlate', reason: 'absence_forgotten' }, c.forgottenGroups);
    if (c.absorbed > 0) metrics.dropped.inc({ stage: 'correlate', reason: 'absorbed' }, c.absorbed);
  }

  async function checkpoint(partition: number, st: Owned, force: boolean): Promise<void> {
    const now = Date.now();
    if (!st.dirty || (!force && now - st.lastCheckpoint < opts.checkpointIntervalMs)) return;
    const cp = st.pc.checkpoint();
    const saved = await retrying(`Saving the correlator checkpoint to Redis at ${redactUrl(cfg.redis.url)}`, 'redis', () => checkpoints.save(partition, cp, new Date(now)));
    st.lastCheckpoint = now;
    st.dirty = false;
    if (!saved) {
      // Another correlator owns the partition now and is further on: let it.
      log.warn({ partition }, `Partition ${partition} has a newer checkpoint from another correlator; dropping this copy of its state.`);
      owned.delete(partition);
      return;
    }
    if (cp.next !== null) {
      await consumer!.commitOffsets([{ topic, partition, offset: cp.next }]).catch((err: unknown) => {
        // Not a member any more (rebalance): the checkpoint holds the offset, the next owner skips to it.
        log.debug({ partition }, `Committing offset ${cp.next} failed: ${messageOf(err)}`);
      });
    }
  }

  async function onIdleTick(): Promise<void> {
    const router = deps.router();
    const now = Date.now();
    let groups = 0;
    for (const [partition, st] of owned) {
      st.pc.sync(router);
      const idleFor = now - st.lastArrival;
      if (idleFor >= opts.idleAdvanceMs) {
        const out = emptyOutput();
        st.pc.advanceIdle(idleFor, router, out);
        if (out.correlationAlerts.length + out.absenceAlerts.length + out.recoveries.length + out.chained.length > 0) {
          await persist(out, partition, null, []);
          st.dirty = true;
        }
        count(st, partition);
      }
      await checkpoint(partition, st, false);
      groups += st.pc.groups();
    }
    metrics.correlationGroups.set(groups);
  }

  const ready = (async () => {
    health.starting(`connecting to ${serviceAt.redis}`);
    await retrying(`Connecting to Redis at ${redactUrl(cfg.redis.url)}`, 'redis', () => redis.connect().catch(async (err: unknown) => {
      if (redis.status === 'ready') return;
      redis.disconnect();
      throw err;
    }));
    producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    health.starting(`joining consumer group ${cfg.kafka.correlatorGroup} on ${serviceAt.kafka}`);
    consumer = kafka.consumer({ groupId: cfg.kafka.correlatorGroup, allowAutoTopicCreation: false, ...consumerTimeouts(cfg.kafka.sessionTimeoutMs) });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const joined = new Promise<void>((resolve) => consumer!.on(consumer!.events.GROUP_JOIN, () => resolve()));
    consumer.on(consumer.events.GROUP_JOIN, (e) => {
      const mine = new Set(e.payload.memberAssignment[topic] ?? []);
      void exclusive(async () => {
        for (const p of [...owned.keys()]) if (!mine.has(p)) owned.delete(p);
      });
      log.info({ partitions: [...mine] }, `Correlator owns partitions [${[...mine].join(', ')}] of ${topic}.`);
    });
    consumer.on(consumer.events.GROUP_JOIN, () => health.recovered('kafka-group'));
    consumer.on(consumer.events.CRASH, (e) => {
      health.degraded('kafka-group', `the Kafka consumer of group ${cfg.kafka.correlatorGroup} crashed (${messageOf(e.payload.error)})${e.payload.restart ? '; kafkajs is restarting it' : ' and stopped: restart haetae'}`);
      log.error({ restart: e.payload.restart }, `Correlator consumer crashed: ${messageOf(e.payload.error)}${e.payload.restart ? '; kafkajs restarts it' : ''}`);
    });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: async ({ batch, heartbeat, isRunning, isStale, resolveOffset }) => {
        // Alerts, jobs and checkpoints retry outages: heartbeat meanwhile (see delivery/keep-alive.ts).
        await whileHeartbeating(heartbeat, consumerTimeouts(cfg.kafka.sessionTimeoutMs).heartbeatInterval, () => exclusive(async () => {
          const router = deps.router();
          const partition = batch.partition;
          let st = await ownedFor(partition, router);
          const out = emptyOutput();
          const dead: DeadLetter[] = [];
          let last: string | null = null;
          for (const m of batch.messages) {
            if (!isRunning() || isStale()) break;
            const offset = BigInt(m.offset);
            if (st.pc.next !== null && offset > st.pc.next) {
              // This copy of the state missed records (another correlator had the partition): reload.
              owned.delete(partition);
              st = await ownedFor(partition, router);
              if (st.pc.next !== null && offset > st.pc.next) {
                log.info({ partition, from: st.pc.next.toString(), at: m.offset }, `Rewinding partition ${partition} to its checkpoint offset ${st.pc.next} to rebuild its state.`);
                consumer!.seek({ topic, partition, offset: st.pc.next.toString() });
                break;
              }
            }
            last = m.offset;
            if (st.pc.next !== null && offset < st.pc.next) continue; // already in the state
            metrics.received.inc({ stage: 'correlate', transport: 'kafka' });
            const msg = parseCorrelateMessage(m.value);
            if (!msg) {
              st.pc.next = offset + 1n;
              metrics.errors.inc({ stage: 'correlate', error_type: 'HAETAE_CORRELATE_RECORD' });
              dead.push({
                v: 1, stage: 'correlate', code: 'HAETAE_CORRELATE_RECORD', reason: 'not a correlation observation (v, kind, target, ref, t, id, fields)', failedAt: new Date().toISOString(),
                origin: { topic, partition, offset: m.offset, key: m.key ? m.key.toString('utf8') : null }, raw: m.value ? m.value.toString('base64') : '',
              });
              continue;
            }
            st.pc.apply(msg, offset, router, out);
            st.dirty = true;
          }
          st.lastArrival = Date.now();
          await persist(out, partition, last, dead);
          count(st, partition);
          await checkpoint(partition, st, false);
          if (last !== null) {
            resolveOffset(last);
            metrics.consumerLag.set({ consumer: 'correlator', topic, partition: String(partition) }, lagAfter(batch.highWatermark, last));
          }
        }), (err) => log.warn({ partition: batch.partition }, `Heartbeat while waiting on a sink failed: ${messageOf(err)}`));
        await heartbeat();
      },
    });
    await joined;
    tick = setInterval(() => {
      void exclusive(onIdleTick).catch((err: unknown) => { if (!abort.signal.aborted) log.error(`Correlator idle tick failed: ${messageOf(err)}`); });
    }, Math.min(1000, opts.idleAdvanceMs));
    health.started();
    log.info({ group: cfg.kafka.correlatorGroup, topic, allowedLatenessMs: opts.allowedLatenessMs }, 'Correlator joined its consumer group.');
  })();

  return {
    ready,
    get isReady() { return health.state.ready; },
    async stop() {
      if (tick) clearInterval(tick);
      // Save what is not saved yet, so a clean restart replays nothing.
      await exclusive(async () => {
        for (const [p, st] of owned) await checkpoint(p, st, true).catch((err: unknown) => log.warn(`Final checkpoint of partition ${p}: ${messageOf(err)}`));
      }).catch(() => undefined);
      abort.abort();
      await ready.catch(() => undefined);
      await consumer?.disconnect().catch((err: unknown) => log.warn(`Correlator consumer disconnect: ${messageOf(err)}`));
      await producer?.disconnect().catch(() => undefined);
      redis.disconnect();
    },
  };
}
