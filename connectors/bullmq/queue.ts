import { Queue, type ConnectionOptions, type JobsOptions, type RedisQueueBackend } from 'bullmq';
import type { NotificationJob } from '../../schemas/generated/types';

export interface QueueSettings {
  redisUrl: string;
  queue: string;
  attempts: number;
  backoffMs: number;
  keepCompletedHours: number;
}

/**
 * `maxRetriesPerRequest: null` makes ioredis wait for Redis to come back instead of failing
 * commands, which is what BullMQ requires for workers and what we want while Redis restarts.
 */
export function redisConnection(url: string): ConnectionOptions {
  return { url, maxRetriesPerRequest: null, enableOfflineQueue: true };
}

/** Queue settings from the config's redis and notifier sections. */
export function queueSettings(cfg: {
  redis: { url: string };
  notifier: { queue: string; attempts: number; backoffMs: number; keepCompletedHours: number };
}): QueueSettings {
  const n = cfg.notifier;
  return { redisUrl: cfg.redis.url, queue: n.queue, attempts: n.attempts, backoffMs: n.backoffMs, keepCompletedHours: n.keepCompletedHours };
}

export function createNotificationQueue(s: QueueSettings): Queue<NotificationJob> {
  return new Queue<NotificationJob>(s.queue, { connection: redisConnection(s.redisUrl) });
}

/**
 * Job options. Completed jobs are kept for `keepCompletedHours` because BullMQ deduplicates
 * on job id only while the job exists: a replayed alert inside that time is not sent twice.
 * Failed jobs are kept until someone looks at them (`haetae notify failed`).
 */
export function jobOptions(s: QueueSettings, jobId: string): JobsOptions {
  return {
    jobId,
    attempts: s.attempts,
    // The notifier's backoffStrategy (pipeline/notify/backoff.ts): Retry-After, else exponential with jitter.
    backoff: { type: 'haetae', delay: s.backoffMs },
    removeOnComplete: { age: s.keepCompletedHours * 3600 },
    removeOnFail: false,
  };
}

/**
 * The live state of a BullMQ queue's or worker's Redis connections, for /readyz: 'ready', or the
 * ioredis status of the first one that is not ('reconnecting' while Redis is down). These are
 * the connections BullMQ itself uses, so an idle notifier reports an outage too.
 */
export function redisStatus(q: { getBackend(): RedisQueueBackend }): () => string {
  const clients: Array<{ status: string }> = [];
  const backend = q.getBackend();
  for (const client of [backend.client, backend.blockingClient]) void client?.then((c) => { clients.push(c); }, () => undefined);
  return () => (clients.length === 0 ? 'connecting' : clients.find((c) => c.status !== 'ready')?.status ?? 'ready');
}
