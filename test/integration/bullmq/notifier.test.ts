import { Queue } from 'bullmq';
import { createNotificationQueue, jobOptions } from '../../../connectors/bullmq/queue';
import { startNotifier } from '../../../pipeline/roles/notifier';
import { loadConfig } from '../../../pipeline/config/load';
import { buildNotificationJob } from '../../../pipeline/notify/job';
import { formatFailedJob, listFailed, retryFailed } from '../../../cli/commands/notify';
import type { Alert, NotificationJob } from '../../../schemas/generated/types';
import { eventually, freshMetrics, quietLogger, services, uniqueName } from '../../support/services';
import { startWebhookServer } from '../../support/webhook-server';
import { closedPort, startSelfSignedServer } from '../../support/tls-server';
import { runCli, writeConfig } from '../../support/haetae-process';

const SECRET = 'integration-test-secret-0123456789';

function alert(id: string): Alert {
  return {
    '@timestamp': '2026-11-22T10:00:00.000Z',
    message: 'SSH authentication failure on web1: Failed password for root',
    alert: { id, status: 'open', severity: 'low', created: '2026-11-22T10:00:01.000Z', group_key: '', assignee: null, acknowledged_at: null, resolved_at: null },
    rule: { id: 'rule-1', title: 'SSH authentication failure' },
    events: { ids: ['haetae.raw-0-1'], count: 1 },
  };
}

function setup(url: string, attempts = 4) {
  const queueName = uniqueName('haetae-test-notify-');
  const { config } = loadConfig({
    cwd: '/nonexistent',
    env: { HAETAE_REDIS_URL: services.redisUrl, HAETAE_WEBHOOK_URL: url, HAETAE_WEBHOOK_SECRET: SECRET },
  });
  const loaded = { file: null, baseDir: '/', config: { ...config, notifier: { ...config.notifier, queue: queueName, attempts, backoffMs: 50 } } } as never;
  const settings = { redisUrl: services.redisUrl, queue: queueName, attempts, backoffMs: 50, keepCompletedHours: 1 };
  return { loaded, settings, queue: createNotificationQueue(settings) };
}

async function add(queue: Queue<NotificationJob>, settings: Parameters<typeof jobOptions>[0], a: Alert, events?: object[]): Promise<void> {
  const job = buildNotificationJob(a, 'webhook', 'opened', 1, events);
  await queue.add('webhook', job.data, jobOptions(settings, job.id));
}

/** A real notifier on a fresh queue, a scripted webhook endpoint, and cleanup afterwards. */
async function withNotifier(
  statuses: number[],
  body: (h: { hook: Awaited<ReturnType<typeof startWebhookServer>>; queue: Queue<NotificationJob>; add(a: Alert, events?: object[]): Promise<void> }) => Promise<void>,
): Promise<void> {
  const hook = await startWebhookServer(SECRET, statuses);
  const { loaded, settings, queue } = setup(hook.url);
  const notifier = startNotifier(loaded, quietLogger(), freshMetrics());
  try {
    await body({ hook, queue, add: (a, events) => add(queue, settings, a, events) });
  } finally {
    await notifier.stop();
    await queue.obliterate({ force: true });
    await queue.close();
    await hook.close();
  }
}

describe('notifier against real Redis and a real HTTP endpoint', () => {
  it('delivers each alert once with a valid signature, even when the job is enqueued twice', async () => {
    await withNotifier([], async ({ hook, add }) => {
      const a = alert('a'.repeat(32));
      const first = { '@timestamp': new Date(Date.now() - 2_000).toISOString(), message: 'Failed password for root from 203.0.113.7 port 52814 ssh2', source: { ip: '203.0.113.7' } };
      await add(a, [first]);
      await eventually(async () => (hook.deliveries.length === 1 ? true : undefined), 'one delivery');
      // The body carries the alert's first event (as docs/notifications.md says), covered by the signature.
      expect(hook.deliveries[0]!.json.events).toEqual([first]);
      await add(a); // a replayed batch enqueues the same alert again
      await new Promise((r) => setTimeout(r, 1_000));
      expect(hook.deliveries).toHaveLength(1);
      expect(hook.deliveries[0]!.signatureValid).toBe(true);
      expect(hook.deliveries[0]!.delivery).toBe(`${'a'.repeat(32)}-webhook`);
      expect(hook.deliveries[0]!.json.alert.rule.id).toBe('rule-1');
    });
  }, 30_000);

  it('retries a failing endpoint with backoff until it answers 2xx', async () => {
    await withNotifier([503, 500], async ({ hook, add }) => {
      await add(alert('b'.repeat(32)));
      await eventually(async () => (hook.deliveries.length === 1 ? true : undefined), 'delivery after two failures');
      expect(hook.attempts).toBe(3);
      expect(hook.deliveries[0]!.json.attempt).toBe(3);
    });
  }, 30_000);

  it('moves a permanently refused job to the failed list, from where it can be retried', async () => {
    await withNotifier([400], async ({ hook, queue, add }) => {
      await add(alert('c'.repeat(32)));
      const failed = await eventually(async () => { const f = await listFailed(queue, 10); return f.total === 1 ? f : undefined; }, 'a failed job');
      expect(hook.attempts).toBe(1); // 400 is not retried
      expect(failed.jobs[0]).toMatchObject({ id: `${'c'.repeat(32)}-webhook`, rule: 'rule-1', attempts: 1 });
      expect(failed.jobs[0]!.reason).toBe('webhook answered HTTP 400: scripted failure');
      expect(failed.jobs[0]).toMatchObject({ code: 'HAETAE_WEBHOOK_STATUS', cause: 'HTTP_400' });
      expect(await retryFailed(queue, 'all')).toEqual([`${'c'.repeat(32)}-webhook`]);
      await eventually(async () => (hook.deliveries.length === 1 ? true : undefined), 'delivery after retry');
      expect((await listFailed(queue, 10)).total).toBe(0);
    });
  }, 30_000);

  /** A notifier on a fresh queue against any URL (no scripted endpoint). */
  async function withNotifierAt(url: string, attempts: number, body: (queue: Queue<NotificationJob>, add: (a: Alert) => Promise<void>) => Promise<void>): Promise<void> {
    const { loaded, settings, queue } = setup(url, attempts);
    const notifier = startNotifier(loaded, quietLogger(), freshMetrics());
    try {
      await body(queue, (a) => add(queue, settings, a));
    } finally {
      await notifier.stop();
      await queue.obliterate({ force: true });
      await queue.close();
    }
  }

  it('sends a job whose webhook presents an untrusted certificate to the failed list after ONE attempt, with the cause', async () => {
    const server = await startSelfSignedServer();
    try {
      await withNotifierAt(server.url, 4, async (queue, add) => {
        const id = `${'d'.repeat(32)}-webhook`;
        await add(alert('d'.repeat(32)));
        const failed = await eventually(async () => { const f = await listFailed(queue, 10); return f.total === 1 ? f : undefined; }, 'a failed job');
        const job = failed.jobs[0]!;
        expect(job).toMatchObject({ id, attempts: 1, code: 'HAETAE_WEBHOOK_TLS', cause: 'DEPTH_ZERO_SELF_SIGNED_CERT' });
        expect(job.reason).toMatch(/^webhook at 127\.0\.0\.1:\d+: TLS certificate rejected: self-signed certificate.* \(DEPTH_ZERO_SELF_SIGNED_CERT\)$/);
        expect(formatFailedJob(job)).toMatch(/ attempts=1 {2}code=HAETAE_WEBHOOK_TLS {2}cause=DEPTH_ZERO_SELF_SIGNED_CERT {2}webhook at /);
        await new Promise((r) => setTimeout(r, 1_000)); // backoffMs is 50: a retry would have come by now
        expect(server.connections).toBe(1);
        expect(server.requests).toBe(0);
        expect((await queue.getJob(id))!.attemptsMade).toBe(1);

        // What an operator sees: the built CLI, as a table and as JSON.
        const file = writeConfig({ redis: { url: services.redisUrl }, notifier: { queue: queue.name } });
        const table = runCli(['notify', 'failed'], file);
        expect(table.stdout).toMatch(new RegExp(`^${id}  \\S+  rule=rule-1  attempts=1  code=HAETAE_WEBHOOK_TLS  cause=DEPTH_ZERO_SELF_SIGNED_CERT  webhook at 127\\.0\\.0\\.1:\\d+: TLS certificate rejected: self-signed certificate`));
        const json = runCli(['notify', 'failed', '--json'], file);
        expect(JSON.parse(json.stdout)).toMatchObject({ id, attempts: 1, code: 'HAETAE_WEBHOOK_TLS', cause: 'DEPTH_ZERO_SELF_SIGNED_CERT', reason: job.reason });
      });
    } finally {
      await server.close();
    }
  }, 30_000);

  it('retries a refused connection until the attempts run out, then shows why', async () => {
    const port = await closedPort();
    await withNotifierAt(`http://127.0.0.1:${port}/hook`, 3, async (queue, add) => {
      await add(alert('e'.repeat(32)));
      const failed = await eventually(async () => { const f = await listFailed(queue, 10); return f.total === 1 ? f : undefined; }, 'a failed job');
      expect(failed.jobs[0]).toMatchObject({
        attempts: 3, code: 'HAETAE_WEBHOOK_NETWORK', cause: 'ECONNREFUSED',
        reason: `webhook request failed: connection refused by 127.0.0.1:${port} (ECONNREFUSED)`,
      });
      // The dead-letter list through the built CLI: listed, then dropped for good.
      const file = writeConfig({ redis: { url: services.redisUrl }, notifier: { queue: queue.name } });
      const id = `${'e'.repeat(32)}-webhook`;
      const list = runCli(['notify', 'dlq', 'list'], file);
      expect(list.stdout).toMatch(new RegExp(`^${id}  \\S+  rule=rule-1  attempts=3  code=HAETAE_WEBHOOK_NETWORK  cause=ECONNREFUSED`));
      expect(list.stderr).toBe('1 dead-lettered notification\n');
      expect(runCli(['notify', 'dlq', 'drop', 'no-such-job'], file).stderr).toContain("no job with id 'no-such-job'");
      expect(runCli(['notify', 'dlq', 'drop', id], file).stdout).toBe('dropped 1 job\n');
      expect((await listFailed(queue, 10)).total).toBe(0);
      expect(await queue.getJob(id)).toBeUndefined();
    });
  }, 60_000);
});

describe('notifier shutdown with Redis unreachable', () => {
  it('stops (closing by force after its deadline) instead of holding SIGTERM forever, and says why', async () => {
    const port = await closedPort();
    const { config } = loadConfig({ cwd: '/nonexistent', env: { HAETAE_REDIS_URL: `redis://127.0.0.1:${port}` } });
    const loaded = { file: null, baseDir: '/', config: { ...config, notifier: { ...config.notifier, queue: uniqueName('haetae-test-down-') } } } as never;
    const lines: string[] = [];
    const logger = (await import('pino')).default({ level: 'warn' }, { write: (s: string) => { lines.push(s); } });
    const notifier = startNotifier(loaded, logger, freshMetrics(), undefined, { closeTimeoutMs: 500 });
    await new Promise((r) => setTimeout(r, 300));
    expect(notifier.isReady).toBe(false);
    // Before the bound, this never resolved while Redis was down (the process ignored SIGTERM).
    await notifier.stop();
    expect(lines.join('')).toContain('closing it by force');
  }, 20_000);
});
