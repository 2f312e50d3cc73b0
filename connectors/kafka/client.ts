import { Kafka, logLevel, type Admin, type LogEntry } from 'kafkajs';

// kafkajs' v2 default partitioner (murmur2, the same as the Java client's) is the one we want:
// a key lands on the same partition whichever client produced it. This only silences its notice.
process.env.KAFKAJS_NO_PARTITIONER_WARNING ??= '1';
import type { Logger } from '../../pipeline/telemetry/logger';
import { retryUntilSuccess } from '../../pipeline/delivery/retry';
import { messageOf } from '../../pipeline/errors/catalog';

export interface KafkaSettings {
  brokers: readonly string[];
  clientId: string;
}

const LEVELS: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [logLevel.ERROR]: 'error',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'info',
  [logLevel.DEBUG]: 'debug',
};

/** A kafkajs client whose own log lines go through our structured logger. */
export function createKafka(settings: KafkaSettings, logger: Logger): Kafka {
  const log = logger.child({ component: 'kafkajs' });
  return new Kafka({
    clientId: settings.clientId,
    brokers: [...settings.brokers],
    // kafkajs retries each request a few times itself; longer outages are retried by the caller,
    // which keeps the data and logs, instead of kafkajs giving up and crashing the consumer.
    retry: { initialRetryTime: 300, retries: 5, maxRetryTime: 10_000 },
    connectionTimeout: 5_000,
    logLevel: logLevel.WARN,
    logCreator: () => (entry: LogEntry) => {
      const { message, ...extra } = entry.log;
      const level = LEVELS[entry.level] ?? 'info';
      // kafkajs logs every failed reconnect as ERROR; while a broker is down the caller logs one
      // clear retry line per attempt, so these are demoted to warn to keep ERROR for data loss.
      log[level === 'error' ? 'warn' : level]({ ...extra, namespace: entry.namespace }, message);
    },
  });
}

export interface TopicSpec {
  topic: string;
  numPartitions: number;
}

/** Creates missing topics (idempotent); existing topics are left as they are. */
export async function ensureTopics(admin: Admin, topics: readonly TopicSpec[]): Promise<string[]> {
  const existing = new Set(await admin.listTopics());
  const missing = topics.filter((t) => !existing.has(t.topic));
  if (missing.length === 0) return [];
  await admin.createTopics({
    waitForLeaders: true,
    topics: missing.map((t) => ({ topic: t.topic, numPartitions: t.numPartitions, replicationFactor: -1 })),
  });
  return missing.map((t) => t.topic);
}

/**
 * The pipeline's own topics (raw and dead-letter), created when missing. Receivers and workers
 * both call it at start-up, so either may come first; while Kafka is down it retries with a log
 * line per attempt (until `signal` aborts).
 */
export async function ensurePipelineTopics(
  kafka: Kafka,
  cfg: { brokers: readonly string[]; rawTopic: string; dlqTopic: string; rawPartitions: number; correlateTopic: string; correlatePartitions: number },
  log: Logger,
  signal?: AbortSignal,
): Promise<void> {
  await retryUntilSuccess(
    async () => {
      const admin = kafka.admin();
      await admin.connect();
      try {
        const created = await ensureTopics(admin, [
          { topic: cfg.rawTopic, numPartitions: cfg.rawPartitions },
          { topic: cfg.dlqTopic, numPartitions: 1 },
          { topic: cfg.correlateTopic, numPartitions: cfg.correlatePartitions },
        ]);
        if (created.length > 0) log.info({ topics: created }, 'Created Kafka topics.');
      } finally {
        await admin.disconnect();
      }
    },
    {
      what: 'Kafka topic setup',
      ...(signal ? { signal } : {}),
      onRetry: (a, err, d) => log.warn({ attempt: a, delayMs: d }, `Kafka at ${cfg.brokers.join(',')} is unavailable (${messageOf(err)}); retrying.`),
    },
  );
}
