import { UnrecoverableError, Worker, type Job } from 'bullmq';
import type { LoadedConfig } from '../config/load';
import { redactUrl, type Logger } from '../telemetry/logger';
import type { Metrics } from '../telemetry/metrics';
import type { NotificationJob } from '../../schemas/generated/types';
import { redisConnection, redisStatus } from '../../connectors/bullmq/queue';
import { WebhookDeliveryError } from '../../connectors/channels/webhook';
import { EmailDeliveryError, closeEmailTransports } from '../../connectors/channels/email';
import { deliver, prepareChannels, type ReadyChannel } from '../../connectors/channels/deliver';
import { resolveChannels } from '../notify/channels';
import { ChannelLimiter } from '../notify/limits';
import { TicketStore } from '../../connectors/channels/tickets';
import { OutboundGuard } from '../../connectors/channels/outbound';
import { Redis as IORedis } from 'ioredis';
import { TemplateError } from '../notify/messages';
import { retryDelayMs } from '../notify/backoff';
import { HaetaeError, messageOf } from '../errors/catalog';
import { deliveryFailureOf, encodeDeliveryFailure } from '../notify/failure';
import { RoleHealth, redisProblem } from './readiness';
import { settlesWithin } from '../delivery/settles';
import { activeFailpoint } from './worker/failpoint';

export interface RunningNotifier {
  readonly isReady: boolean;
  ready: Promise<void>;
  stop(): Promise<void>;
}

/**
 * The notifier role: a BullMQ worker that delivers each notification job to its channel.
 * Retryable failures are thrown back to BullMQ, which retries with exponential backoff; a
 * permanent failure (HTTP 4xx but 408/429, a rejected TLS certificate, an unusable URL) goes
 * straight to the failed list, where `haetae notify failed` shows it with its code and cause and
 * `haetae notify retry` sends it again.
 */
export function startNotifier(loaded: LoadedConfig, logger: Logger, metrics: Metrics, health = new RoleHealth('notifier'), opts: { closeTimeoutMs?: number } = {}): RunningNotifier {
  const cfg = loaded.config;
  const log = logger.child({ role: 'notifier' });
  const where = loaded.file ?? '(defaults)';
  let channels: Map<string, ReadyChannel>;
  const limiters = new Map<string, ChannelLimiter>();
  try {
    const resolved = resolveChannels(cfg, loaded.baseDir, where);
    for (const c of resolved) limiters.set(c.name, new ChannelLimiter(c.limits.maxConcurrent, c.limits.maxPerMinute));
    channels = prepareChannels(resolved);
  } catch (err) {
    if (err instanceof TemplateError) throw new HaetaeError('HAETAE_CONFIG_INVALID', [where, err.message]);
    throw err;
  }
  let guard: OutboundGuard;
  try {
    guard = new OutboundGuard(cfg.notifier.outbound);
  } catch (err) {
    throw new HaetaeError('HAETAE_CONFIG_INVALID', [where, messageOf(err)]);
  }
  const legacy = channels.get('webhook');
  if (legacy?.type === 'webhook' && !legacy.secret) {
    log.warn('The webhook channel has no secret: deliveries are not signed (set HAETAE_WEBHOOK_SECRET or secretFile).');
  }

  // Ticket channels keep their alert → ticket mapping, locks and update throttles in Redis.
  const ticketRedis = [...channels.values()].some((c) => c.type === 'jira' || c.type === 'servicenow')
    ? new IORedis(cfg.redis.url, { maxRetriesPerRequest: 3, lazyConnect: false })
    : null;
  ticketRedis?.on('error', () => undefined); // reported through the deliveries that fail (and /readyz via BullMQ)
  const tickets = ticketRedis ? new TicketStore(ticketRedis) : null;
  // Crash tests only: HAETAE_FAILPOINT=after-ticket-create kills the process between a ticket's
  // create and storing its mapping. (`process` is shadowed below by the job processor.)
  const failpoint = activeFailpoint(globalThis.process.env);

  const process = async (job: Job<NotificationJob>): Promise<{ status: number }> => {
    const { alert } = job.data;
    const event = job.data.event ?? 'opened';
    const channel = channels.get(job.data.channel);
    if (!channel) throw new UnrecoverableError(`channel '${job.data.channel}' is not configured (notifier.channels${job.data.channel === 'webhook' ? ', notifier.webhook.url' : ''})`);
    try {
      const status = await limiters.get(channel.name)!.run(() => deliver(channel, job.id!, job.data, job.attemptsMade + 1, { tickets, guard, failpoint }));
      metrics.sent.inc({ stage: 'notify' });
      log.info({ job: job.id, alert: alert.alert.id, rule: alert.rule.id, event, channel: channel.name, status }, `Delivered alert '${alert.rule.title}' (${event}) to ${channel.type === 'webhook' && channel.name === 'webhook' ? 'the webhook' : `${channel.type} channel '${channel.name}'`}.`);
      return { status };
    } catch (err) {
      // Webhook/HTTP and SMTP errors say whether a retry can help; anything else is retried.
      const permanent = (err instanceof WebhookDeliveryError || err instanceof EmailDeliveryError) && !err.retryable;
      const failure = deliveryFailureOf(err, job.attemptsMade + 1, !permanent);
      metrics.errors.inc({ stage: 'notify', error_type: failure.code });
      // BullMQ keeps only the message (failedReason, already naming the cause); the job log keeps
      // code and cause per attempt for `haetae notify failed`. Losing it must not lose the job.
      await job.log(encodeDeliveryFailure(failure)).catch(() => undefined);
      // UnrecoverableError skips the remaining attempts: a TLS or URL problem will not fix itself.
      if (permanent) throw Object.assign(new UnrecoverableError(err.message), { code: failure.code });
      throw err;
    }
  };

  /** Set once stop() gives up on a graceful close: the connections then stop reconnecting. */
  let abandoned = false;
  const worker = new Worker<NotificationJob>(cfg.notifier.queue, process, {
    // BullMQ's own backoff (1–20 s), until stop() abandons Redis.
    connection: { ...redisConnection(cfg.redis.url), retryStrategy: (times: number) => (abandoned ? null : Math.max(Math.min(Math.exp(times), 20_000), 1_000)) },
    concurrency: cfg.notifier.concurrency,
    autorun: true,
    // Jobs queued with backoff type 'haetae' (jobOptions): the service's Retry-After when it gave
    // one, else exponential with jitter, so retries of many jobs after an outage do not arrive at once.
    settings: { backoffStrategy: (attemptsMade: number, _type?: string, err?: Error) => retryDelayMs(attemptsMade, cfg.notifier.backoffMs, err) },
  });
  worker.on('failed', (job, err) => {
    if (!job) return;
    const final = err instanceof UnrecoverableError || job.attemptsMade >= (job.opts.attempts ?? 1);
    if (final) {
      log.error({ job: job.id, attempts: job.attemptsMade, code: codeOf(err) }, `Notification ${job.id} failed for good and is in the failed list: ${err.message}`);
    } else {
      log.warn({ job: job.id, attempt: job.attemptsMade, code: codeOf(err) }, `Notification ${job.id} failed (${err.message}); BullMQ retries it with backoff.`);
    }
  });
  worker.on('error', (err) => log.warn(`Notifier lost Redis at ${redactUrl(cfg.redis.url)} (${messageOf(err)}); reconnecting.`));
  health.starting(`connecting to Redis at ${redactUrl(cfg.redis.url)}`);
  const status = redisStatus(worker);
  health.watch('redis', () => redisProblem(status(), redactUrl(cfg.redis.url)));
  const ready = worker.waitUntilReady().then(() => {
    health.started();
    log.info({ queue: cfg.notifier.queue, concurrency: cfg.notifier.concurrency }, 'Notifier is processing the queue.');
  }, (err: unknown) => {
    if (!abandoned) throw err; // stopped before Redis ever answered: nothing to report
  });
  ready.catch(() => undefined); // whoever awaits `ready` sees the error; an unawaited one must not crash the process
  return {
    ready: ready.then(() => undefined),
    get isReady() { return health.state.ready; },
    async stop() {
      try {
        await stopWorker();
      } finally {
        closeEmailTransports();
        ticketRedis?.disconnect();
      }
    },
  };

  async function stopWorker(): Promise<void> {
    // A graceful close waits for jobs in progress — and, with Redis unreachable, for a connection
    // that never comes back: a SIGTERM must still stop the process. After closeTimeoutMs the
    // worker is closed by force (a job in flight stays in Redis and is retried by the next run).
    const limit = opts.closeTimeoutMs ?? 10_000;
    if (await settlesWithin(worker.close(), limit)) return;
    log.warn(`The notifier did not close within ${limit} ms (Redis at ${redactUrl(cfg.redis.url)}: ${status()}); closing it by force. Jobs in progress stay in the queue and are retried.`);
    // The graceful close is still pending (BullMQ returns it again for close(true)): stop the
    // connections' reconnecting and cut them, so nothing keeps the process alive.
    abandoned = true;
    await settlesWithin(worker.disconnect(), limit);
  }
}

function codeOf(err: Error): string | undefined {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}
