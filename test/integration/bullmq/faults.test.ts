import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import type { Queue } from 'bullmq';
import { createNotificationQueue, jobOptions, queueSettings, type QueueSettings } from '../../../connectors/bullmq/queue';
import { startNotifier } from '../../../pipeline/roles/notifier';
import { loadConfig } from '../../../pipeline/config/load';
import { buildNotificationJob, type NotificationEvent } from '../../../pipeline/notify/job';
import { DELIVERY_HEADER } from '../../../pipeline/notify/sign';
import type { Alert, NotificationJob } from '../../../schemas/generated/types';
import { eventually, freshMetrics, quietLogger, services, uniqueName } from '../../support/services';
import { startWebhookServer } from '../../support/webhook-server';
import { startPagerDuty } from '../../support/channel-services';
import { startJira, startServiceNow } from '../../support/ticket-services';
import { RedisProcess } from '../../support/redis-process';
import { HaetaeProcess, writeConfig } from '../../support/haetae-process';

/**
 * The notification fault tests of issue 12, each against real parts (Redis, HTTP receivers
 * shaped like the services, the built CLI) and each asserting what an on-call person would notice
 * first: an alert that never arrived, a second ticket or a second page for one problem.
 *  - Redis crashes and restarts while deliveries are in flight: every alert still arrives, one
 *    ticket and one PagerDuty incident per problem, and a repeated webhook carries the delivery
 *    id it had the first time (so the receiver can drop it).
 *  - The notifier process is killed between creating a ticket and storing its mapping: the next
 *    notifier finds the ticket instead of making a second one, and later updates go to it.
 *  - A channel answers 500 for a whole minute: the retries (default attempts and backoff) ride it
 *    out, spaced out rather than in a hot loop, and every alert is delivered exactly once.
 */
const SECRET = 'faults-test-webhook-secret-0123456789';
const ROUTING_KEY = 'R0123456789ABCDEF0123456789ABCDE';

function alert(n: number, run: string): Alert {
  const id = `${run}${String(n).padStart(4, '0')}`.padEnd(32, '0');
  return {
    '@timestamp': new Date().toISOString(),
    message: `Interface Gi0/${n} down on edge1`,
    alert: { id, status: 'open', severity: 'high', created: new Date().toISOString(), group_key: `host.hostname="edge1", ifIndex=${n}`, dedup_key: `dd${id}`.slice(0, 32), assignee: null, acknowledged_at: null, resolved_at: null },
    rule: { id: 'link-down', title: 'Link down' },
    events: { ids: [`ev${n}`], count: 1, index: 'logs-haetae.snmp-test' },
    host: { hostname: 'edge1' },
  };
}

async function enqueue(queue: Queue<NotificationJob>, settings: QueueSettings, a: Alert, channel: string, event: NotificationEvent = 'opened'): Promise<string> {
  const job = buildNotificationJob(a, channel, event);
  await queue.add(job.id, job.data, jobOptions(settings, job.id));
  return job.id;
}

async function counts(queue: Queue<NotificationJob>): Promise<Record<string, number>> {
  return queue.getJobCounts('completed', 'failed', 'active', 'wait', 'delayed', 'prioritized', 'waiting-children');
}

function configFile(config: object): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'haetae-faults-'));
  const file = path.join(dir, 'haetae.yaml');
  fs.writeFileSync(file, JSON.stringify(config));
  return file;
}

describe('Redis restarted mid-delivery', () => {
  it('loses no alert and makes no second ticket or page; a repeated webhook keeps its delivery id', async () => {
    const ALERTS = 40;
    const redisServer = await RedisProcess.start();
    // Slow receivers, so deliveries are in flight when Redis dies.
    const hook = await startWebhookServer(SECRET, [], { delayMs: 250 });
    const pd = await startPagerDuty(ROUTING_KEY, { delayMs: 250 });
    const jira = await startJira({ deployment: 'cloud', authorization: 'Bearer pat-token', delayMs: 150 });
    const file = configFile({
      redis: { url: redisServer.url },
      // Retries must outlast a ticket lock left behind by a delivery cut off by the crash (60 s).
      notifier: {
        queue: uniqueName('haetae-test-faults-'), attempts: 12, backoffMs: 500, concurrency: 8,
        channels: [
          { name: 'soc-webhook', type: 'webhook', url: hook.url, secret: SECRET },
          { name: 'oncall', type: 'pagerduty', routingKey: ROUTING_KEY, url: pd.url },
          { name: 'tickets', type: 'jira', url: jira.url, deployment: 'cloud', project: 'SEC', token: 'pat-token', updateThrottleMs: 0 },
        ],
      },
    });
    const loaded = loadConfig({ file, env: {} });
    const settings = queueSettings(loaded.config);
    const queue = createNotificationQueue(settings);
    queue.on('error', () => undefined); // Redis is killed on purpose
    const notifier = startNotifier(loaded, quietLogger(), freshMetrics(), undefined, { closeTimeoutMs: 5_000 });
    const run = uniqueName('').slice(0, 8);
    const alerts = Array.from({ length: ALERTS }, (_, i) => alert(i, run));
    try {
      await notifier.ready;
      for (const a of alerts) for (const ch of ['soc-webhook', 'oncall', 'tickets']) await enqueue(queue, settings, a, ch);

      // Kill Redis (SIGKILL: no shutdown, only what the append-only file has) while requests are
      // in flight and much is still to do.
      await eventually(async () => (hook.deliveries.length >= 5 && hook.inFlight > 0 ? true : undefined), 'deliveries under way', 20_000, 5);
      const inFlightAtKill = hook.inFlight;
      await redisServer.kill('SIGKILL');
      const deliveredAtKill = new Set(hook.deliveries.map((d) => d.delivery)).size;
      expect(inFlightAtKill).toBeGreaterThan(0);
      expect(deliveredAtKill).toBeLessThan(ALERTS);
      await new Promise((r) => setTimeout(r, 3_000));
      await redisServer.restart();

      const done = await eventually(async () => { const c = await counts(queue); return c.completed === ALERTS * 3 ? c : undefined; }, 'every job completed after the restart', 150_000, 500);
      expect(done).toMatchObject({ failed: 0, active: 0, wait: 0, delayed: 0 });
      await new Promise((r) => setTimeout(r, 1_500)); // a late duplicate would show up now

      // No loss: every alert reached every channel.
      const byAlert = new Map<string, string[]>();
      for (const d of hook.deliveries) {
        expect(d.signatureValid).toBe(true);
        byAlert.set(d.json.alert.alert.id, [...(byAlert.get(d.json.alert.alert.id) ?? []), d.delivery]);
      }
      expect([...byAlert.keys()].sort()).toEqual(alerts.map((a) => a.alert.id).sort());
      // A webhook may be repeated (a response lost with Redis), but always with the delivery id of
      // its job — the X-Haetae-Delivery header the docs tell receivers to deduplicate on — and
      // the same id in the body.
      for (const d of hook.deliveries) {
        expect(d.headers[DELIVERY_HEADER]).toBe(`${d.json.alert.alert.id}-soc-webhook`);
        expect(d.json.delivery).toBe(d.delivery);
      }
      const distinctDeliveries = new Set(hook.deliveries.map((d) => d.delivery));
      expect(distinctDeliveries.size).toBe(ALERTS);

      // One PagerDuty incident per problem, each raised by its own dedup key.
      expect(pd.incidents.size).toBe(ALERTS);
      for (const a of alerts) expect(pd.incidents.get(a.alert.dedup_key!)).toMatchObject({ status: 'triggered' });

      // Exactly one Jira issue per problem, and the mapping (kept in the Redis that crashed) names it.
      expect(jira.issues).toHaveLength(ALERTS);
      const redis = new Redis(redisServer.url);
      try {
        for (const a of alerts) {
          const issues = jira.issues.filter((i) => i.labels.includes(`haetae-${a.alert.dedup_key}`));
          expect(issues).toHaveLength(1);
          expect(issues[0]!.comments).toEqual([]);
          const mapping = JSON.parse((await redis.get(`haetae:tickets:tickets:${a.alert.dedup_key}`)) ?? 'null') as { id: string } | null;
          expect(mapping?.id).toBe(issues[0]!.key);
        }
      } finally {
        redis.disconnect();
      }
      const repeats = hook.deliveries.length - ALERTS;
      const pdTriggers = pd.accepted.filter((e) => e.body.event_action === 'trigger').length;
      process.stdout.write(`redis restart: ${inFlightAtKill} webhook requests in flight and ${deliveredAtKill}/${ALERTS} delivered at the kill; ${repeats} repeated webhook(s), ${pdTriggers - ALERTS} repeated PagerDuty trigger(s) (same dedup key, no new incident)\n`);
    } finally {
      await notifier.stop();
      await queue.close().catch(() => undefined);
      await Promise.all([hook.close(), pd.close(), jira.close()]);
      await redisServer.stop();
    }
  }, 200_000);
});

const JIRA_AUTH = 'Bearer pat-token';
const SN_AUTH = `Basic ${Buffer.from('haetae:sn-pass').toString('base64')}`;

interface TicketSide {
  channel: Record<string, unknown>;
  /** Tickets the server holds for a dedup key. */
  tickets(dedup: string): Array<{ key: string }>;
  resolved(dedup: string): boolean;
  close(): Promise<void>;
}

const ticketSystems: Array<[string, () => Promise<TicketSide>]> = [
  ['Jira', async () => {
    const jira = await startJira({ deployment: 'datacenter', authorization: JIRA_AUTH });
    return {
      channel: { name: 'tickets', type: 'jira', url: jira.url, deployment: 'datacenter', project: 'SEC', token: 'pat-token', updateThrottleMs: 0 },
      tickets: (dedup) => jira.issues.filter((i) => i.labels.includes(`haetae-${dedup}`)),
      resolved: (dedup) => jira.issues.filter((i) => i.labels.includes(`haetae-${dedup}`)).every((i) => i.status === 'Done' && i.transitions.join() === 'Done'),
      close: () => jira.close(),
    };
  }],
  ['ServiceNow', async () => {
    const sn = await startServiceNow({ authorization: SN_AUTH });
    return {
      channel: { name: 'tickets', type: 'servicenow', url: sn.url, user: 'haetae', password: 'sn-pass', updateThrottleMs: 0 },
      tickets: (dedup) => sn.incidents.filter((i) => i.correlation_id === dedup).map((i) => ({ key: i.sys_id })),
      resolved: (dedup) => sn.incidents.filter((i) => i.correlation_id === dedup).every((i) => i.state === '6' && i.close_code !== ''),
      close: () => sn.close(),
    };
  }],
];

describe.each(ticketSystems)('the notifier killed between the %s create and the mapping store', (_name, start) => {
  it('a new notifier finds the ticket instead of making a second one; later updates go to that one', async () => {
    const side = await start();
    const queueName = uniqueName('haetae-test-crash-');
    const file = writeConfig({ redis: { url: services.redisUrl }, notifier: { queue: queueName, attempts: 12, backoffMs: 500, channels: [side.channel] }, log: { level: 'info' } });
    const settings = queueSettings(loadConfig({ file, env: {} }).config);
    const queue = createNotificationQueue(settings);
    const redis = new Redis(services.redisUrl);
    const run = uniqueName('').slice(0, 8);
    const a = alert(1, run);
    const dedup = a.alert.dedup_key!;
    const mappingKey = `haetae:tickets:tickets:${dedup}`;
    let notifier = new HaetaeProcess(['run', 'notifier', '--no-http'], file, { HAETAE_FAILPOINT: 'after-ticket-create' });
    try {
      await notifier.waitFor(/Notifier is processing the queue/);
      const jobId = await enqueue(queue, settings, a, 'tickets');

      // A real SIGKILL right after the service answered the create: no shutdown code runs.
      const died = await Promise.race([notifier.exited, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`the notifier did not die:\n${notifier.tail()}`)), 30_000))]);
      expect(died.signal).toBe('SIGKILL');
      expect(notifier.output.join('\n')).toContain("failpoint 'after-ticket-create' reached");
      expect(side.tickets(dedup)).toHaveLength(1);
      expect(await redis.get(mappingKey)).toBeNull(); // died before the mapping was stored
      expect(await queue.getJobState(jobId)).toBe('active'); // and before the job was finished

      // The next notifier picks the job up again (once BullMQ sees it stalled) and, with no
      // mapping, finds the ticket by its dedup key.
      notifier = new HaetaeProcess(['run', 'notifier', '--no-http'], file);
      await notifier.waitFor(/Notifier is processing the queue/);
      await eventually(async () => ((await queue.getJobState(jobId)) === 'completed' ? true : undefined), 'the job completed by the second notifier', 120_000, 500);
      const tickets = side.tickets(dedup);
      expect(tickets).toHaveLength(1);
      const mapping = JSON.parse((await redis.get(mappingKey)) ?? 'null') as { id: string; alerts: string[] } | null;
      expect(mapping).toMatchObject({ id: tickets[0]!.key, alerts: [a.alert.id] });

      // Later transitions of the problem go to that one ticket.
      await enqueue(queue, settings, { ...a, alert: { ...a.alert, status: 'resolved' } }, 'tickets', 'resolved');
      await eventually(async () => (side.tickets(dedup).length === 1 && side.resolved(dedup) ? true : undefined), 'the ticket resolved', 30_000);
      expect(side.tickets(dedup)).toHaveLength(1);
      expect((await queue.getJobCounts('failed')).failed).toBe(0);
    } finally {
      await notifier.stop();
      await queue.obliterate({ force: true }).catch(() => undefined);
      await queue.close();
      await redis.del(mappingKey, `${mappingKey}:lock`, `${mappingKey}:comment`).catch(() => undefined);
      redis.disconnect();
      await side.close();
    }
  }, 180_000);
});

describe('a channel failing with 500 for a minute, then recovering', () => {
  it('delivers every alert exactly once after the recovery, retried with backoff (the default attempts and backoffMs)', async () => {
    const OUTAGE_MS = 60_000;
    const started = Date.now();
    const hook = await startWebhookServer(SECRET, [], { status: () => (Date.now() < started + OUTAGE_MS ? 500 : 200) });
    // notifier.attempts and notifier.backoffMs as shipped (12, 1 s): what a user gets.
    const file = configFile({ redis: { url: services.redisUrl }, notifier: { queue: uniqueName('haetae-test-outage-'), channels: [{ name: 'soc-webhook', type: 'webhook', url: hook.url, secret: SECRET }] } });
    const loaded = loadConfig({ file, env: {} });
    expect(loaded.config.notifier).toMatchObject({ attempts: 12, backoffMs: 1000 });
    const settings = queueSettings(loaded.config);
    const queue = createNotificationQueue(settings);
    const notifier = startNotifier(loaded, quietLogger(), freshMetrics());
    const run = uniqueName('').slice(0, 8);
    const alerts = Array.from({ length: 6 }, (_, i) => alert(i, run));
    try {
      await notifier.ready;
      // Four alerts as the outage begins, two more in the middle of it.
      const ids = [];
      for (const a of alerts.slice(0, 4)) ids.push(await enqueue(queue, settings, a, 'soc-webhook'));
      await new Promise((r) => setTimeout(r, 25_000));
      for (const a of alerts.slice(4)) ids.push(await enqueue(queue, settings, a, 'soc-webhook'));

      await eventually(async () => ((await queue.getJobCounts('completed')).completed === ids.length ? true : undefined), 'every alert delivered after the recovery', 150_000, 500);
      await new Promise((r) => setTimeout(r, 2_000)); // a late duplicate would show up now
      expect(await counts(queue)).toMatchObject({ completed: ids.length, failed: 0, active: 0, wait: 0, delayed: 0 });

      // Exactly once, by delivery id, and only once the channel was back.
      expect(hook.deliveries.map((d) => d.delivery).sort()).toEqual([...ids].sort());
      for (const d of hook.deliveries) {
        expect(d.signatureValid).toBe(true);
        expect(d.headers[DELIVERY_HEADER]).toBe(d.json.delivery);
      }
      const failures = hook.requests.filter((r) => r.status === 500);
      expect(failures.every((r) => r.at < started + OUTAGE_MS)).toBe(true);
      expect(hook.deliveries.every((d) => hook.requests.find((r) => r.delivery === d.delivery && r.status === 200)!.at >= started + OUTAGE_MS)).toBe(true);

      // Retried with exponential backoff, not in a hot loop: a handful of attempts per alert over
      // the minute, each wait at least the fixed half of backoffMs·2^(n−1) (equal jitter).
      const perJob: string[] = [];
      for (const id of ids) {
        const attempts = hook.requests.filter((r) => r.delivery === id);
        const at = attempts.map((r) => r.at);
        expect(attempts.at(-1)!.status).toBe(200);
        expect(attempts.length).toBeGreaterThanOrEqual(2);
        expect(attempts.length).toBeLessThanOrEqual(9);
        expect(hook.deliveries.find((d) => d.delivery === id)!.json.attempt).toBe(attempts.length);
        for (let n = 1; n < at.length; n++) {
          // The n-th retry waits 1000·2^(n−1)·[½, 1] ms (a little slack for timers below).
          expect(at[n]! - at[n - 1]!).toBeGreaterThanOrEqual(500 * 2 ** (n - 1) - 50);
        }
        perJob.push(`${attempts.length}`);
      }
      expect(hook.requests.length).toBeLessThanOrEqual(ids.length * 9);
      process.stdout.write(`500 for a minute: ${hook.requests.length} requests for ${ids.length} alerts (attempts per alert: ${perJob.join(', ')}); last delivery ${Math.round((Math.max(...hook.requests.map((r) => r.at)) - started) / 1000)} s after the outage began\n`);
    } finally {
      await notifier.stop();
      await queue.obliterate({ force: true }).catch(() => undefined);
      await queue.close();
      await hook.close();
    }
  }, 200_000);
});
