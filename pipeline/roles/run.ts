import type { Kafka } from 'kafkajs';
import type { Client } from '@elastic/elasticsearch';
import type { Queue } from 'bullmq';
import type { LoadedConfig } from '../config/load';
import { compileValidators } from '../../schemas/validators';
import { createLogger, redactUrl, type Logger } from '../telemetry/logger';
import { Metrics } from '../telemetry/metrics';
import { createKafka } from '../../connectors/kafka/client';
import { createEsClient } from '../../connectors/elasticsearch/client';
import { createNotificationQueue, queueSettings } from '../../connectors/bullmq/queue';
import type { NotificationJob } from '../../schemas/generated/types';
import { startReceiver, type RunningReceiver } from './receiver';
import { startWorker, type RunningWorker } from './worker';
import { createEnricher } from '../enrich';
import { startNotifier, type RunningNotifier } from './notifier';
import { settlesWithin } from '../delivery/settles';
import { startHttp } from './http';
import { startApi, type RunningApi } from '../api/server';
import { Readiness } from './readiness';
import { messageOf } from '../errors/catalog';
import { formatProblem } from '../detect/load';

export type Role = 'receiver' | 'worker' | 'notifier' | 'api';
export const ALL_ROLES: readonly Role[] = ['receiver', 'worker', 'notifier', 'api'];

export interface Running {
  logger: Logger;
  metrics: Metrics;
  receiver?: RunningReceiver;
  worker?: RunningWorker;
  notifier?: RunningNotifier;
  api?: RunningApi;
  httpPort?: number;
  stop(): Promise<void>;
}

/**
 * Starts the requested roles in this process. Each role is independent: `all` is just the four
 * together, which is how a laptop runs haetae and how `npm start` runs it.
 */
export async function runRoles(loaded: LoadedConfig, roles: readonly Role[], opts: { http?: boolean; logger?: Logger } = {}): Promise<Running> {
  const cfg = loaded.config;
  const logger = opts.logger ?? createLogger(cfg.log.level);
  const metrics = new Metrics({ defaultMetrics: true });
  const validators = compileValidators();
  logger.info(
    { roles, config: loaded.file ?? '(defaults)', kafka: cfg.kafka.brokers, elasticsearch: redactUrl(cfg.elasticsearch.url), redis: redactUrl(cfg.redis.url) },
    `Starting haetae: ${roles.join(', ')}.`,
  );

  let kafka: Kafka | undefined;
  let es: Client | undefined;
  let queue: Queue<NotificationJob> | undefined;
  const running: Running = { logger, metrics, stop: async () => undefined };
  // Every role is listed (as starting) before anything starts: /readyz answers from the first
  // moment, and never "ready" for a role that is still stuck in its start-up.
  const readiness = new Readiness();
  for (const role of roles) {
    readiness.role(role);
    // Every worker process also runs a correlator, with its own consumer group and Redis connection.
    if (role === 'worker') readiness.role('correlator');
  }

  if (roles.includes('receiver') || roles.includes('worker')) kafka = createKafka(cfg.kafka, logger);
  if (roles.includes('worker')) {
    es = createEsClient(cfg.elasticsearch);
    queue = createNotificationQueue(queueSettings(cfg));
    queue.on('error', (err) => logger.warn(`Notification queue lost Redis at ${redactUrl(cfg.redis.url)} (${messageOf(err)}); reconnecting.`));
  }
  if (roles.includes('notifier')) {
    running.notifier = startNotifier(loaded, logger, metrics, readiness.role('notifier'));
  }
  if (roles.includes('worker')) {
    // Enrichment sources load before the worker consumes: a missing or corrupt one stops start-up
    // with its file named (HAETAE_ENRICH_SOURCE), rather than indexing events without it.
    const enricher = cfg.enrich ? await createEnricher(cfg.enrich, { logger, metrics, baseDir: loaded.baseDir, elasticsearch: es! }) : undefined;
    running.worker = startWorker({ loaded, validators, kafka: kafka!, es: es!, queue: queue!, logger, metrics, readiness, ...(enricher ? { enricher } : {}) });
  }
  let httpServer: { port: number; close(): Promise<void> } | undefined;
  if (opts.http !== false) {
    httpServer = await startHttp(cfg.http.host, cfg.http.port, metrics, () => readiness.report(), () => {
      const store = running.worker?.rules;
      if (!store) return null;
      return {
        version: store.version,
        rules: store.rules.map((r) => ({ id: r.id, title: r.title, file: r.file })),
        rejected: store.problems.map((p) => ({ ...p, text: formatProblem(p) })),
        disabled: [...store.disabled].map(([id, d]) => ({ id, ...d })),
      };
    });
    running.httpPort = httpServer.port;
    logger.info(`Metrics and health on http://${cfg.http.host}:${httpServer.port}/metrics, /healthz, /readyz.`);
  }
  // Before the receiver: a busy API port stops start-up before any syslog is taken in.
  if (roles.includes('api')) {
    running.api = await startApi(loaded, logger, readiness.role('api'));
  }
  if (roles.includes('receiver')) {
    running.receiver = await startReceiver(loaded, kafka!, logger, metrics, readiness.role('receiver'));
  }

  running.stop = async () => {
    logger.info('Shutting down: closing listeners, draining in-flight batches.');
    await running.api?.close();
    await running.receiver?.stop();
    await running.worker?.stop();
    await running.notifier?.stop();
    // The queue's Redis connection may be down: do not let it hold the process (SIGTERM) forever.
    if (queue && !(await settlesWithin(queue.close(), 10_000))) logger.warn('The notification queue did not close within 10 s (Redis unreachable?); exiting without it.');
    await es?.close();
    await httpServer?.close();
    logger.info('Stopped.');
  };
  return running;
}
