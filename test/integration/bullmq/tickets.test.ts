import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { createNotificationQueue, jobOptions, queueSettings } from '../../../connectors/bullmq/queue';
import { startNotifier } from '../../../pipeline/roles/notifier';
import { loadConfig } from '../../../pipeline/config/load';
import { buildNotificationJob, type NotificationEvent } from '../../../pipeline/notify/job';
import type { Alert } from '../../../schemas/generated/types';
import { eventually, freshMetrics, quietLogger, services, uniqueName } from '../../support/services';
import { startJira, startServiceNow } from '../../support/ticket-services';

/**
 * Tickets that follow the problem, against Jira- and ServiceNow-shaped servers and real Redis:
 * one ticket per dedup key across alerts, updates as comments/work notes, resolve and reopen as
 * transitions/states, and exactly one ticket when the create's answer is lost (as when the
 * notifier dies between the create and storing the mapping) or two alerts race.
 */
const JIRA_AUTH = `Basic ${Buffer.from('haetae@example.net:jira-api-token').toString('base64')}`;
const SN_AUTH = `Basic ${Buffer.from('haetae:sn-pass').toString('base64')}`;

function alert(id: string, dedup: string, over: Partial<Alert['alert']> = {}): Alert {
  return {
    '@timestamp': new Date().toISOString(),
    message: 'Interface Gi0/3 down on edge1',
    alert: { id, status: 'open', severity: 'high', created: new Date().toISOString(), group_key: 'host.hostname="edge1", ifIndex=3', dedup_key: dedup, assignee: null, acknowledged_at: null, resolved_at: null, ...over },
    rule: { id: 'link-down', title: 'Link down' },
    events: { ids: ['ev1'], count: 1, index: 'logs-haetae.snmp-test' },
    host: { hostname: 'edge1' },
  };
}

async function withTickets(channel: Record<string, unknown>, files: Record<string, string>, body: (send: (a: Alert, event?: NotificationEvent, n?: number) => Promise<void>, redis: Redis) => Promise<void>): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'haetae-tickets-'));
  for (const [f, t] of Object.entries(files)) fs.writeFileSync(path.join(dir, f), t);
  const file = path.join(dir, 'haetae.yaml');
  fs.writeFileSync(file, JSON.stringify({ redis: { url: services.redisUrl }, notifier: { queue: uniqueName('haetae-test-tickets-'), attempts: 5, backoffMs: 200, concurrency: 8, channels: [channel] } }));
  const loaded = loadConfig({ file, env: {} });
  const settings = queueSettings(loaded.config);
  const queue = createNotificationQueue(settings);
  const notifier = startNotifier(loaded, quietLogger(), freshMetrics());
  const redis = new Redis(services.redisUrl);
  try {
    await notifier.ready;
    await body(async (a, event = 'opened', n = 1) => {
      const job = buildNotificationJob(a, String(channel.name), event, n);
      await queue.add(job.id, job.data, jobOptions(settings, job.id));
    }, redis);
  } finally {
    await notifier.stop();
    await queue.obliterate({ force: true }).catch(() => undefined);
    await queue.close();
    redis.disconnect();
  }
}

describe.each(['cloud', 'datacenter'] as const)('Jira (%s) tickets', (deployment) => {
  it('one issue per problem: created, commented when seen again, resolved, reopened; exactly one when the create answer is lost', async () => {
    const jira = await startJira({ deployment, authorization: JIRA_AUTH });
    try {
      await withTickets({ name: 'tickets', type: 'jira', url: jira.url, deployment, project: 'SEC', issueType: 'Task', user: 'haetae@example.net', tokenFile: 'jira.token', updateThrottleMs: 0 }, { 'jira.token': 'jira-api-token\n' }, async (send, redis) => {
        const dedup = uniqueName('dd').padEnd(32, '0');
        // The first create is stored by Jira, but its answer never reaches the notifier.
        jira.dropNext.create = true;
        await send(alert('a1'.padEnd(32, '0'), dedup));
        await eventually(async () => ((await redis.get(`haetae:tickets:tickets:${dedup}`)) ? true : undefined), 'the mapping stored after the retry');
        expect(jira.issues).toHaveLength(1);
        expect(jira.issues[0]).toMatchObject({ key: 'SEC-1', issueType: 'Task', labels: ['haetae', `haetae-${dedup}`], status: 'To Do' });
        expect(jira.issues[0]!.summary).toBe('[high] Link down on edge1 (host.hostname="edge1", ifIndex=3)');
        expect(jira.issues[0]!.description).toContain('Interface Gi0/3 down on edge1');
        expect(jira.issues[0]!.comments).toEqual([]);

        // Another alert of the same problem (the next throttle period): a comment, no second issue.
        await send(alert('a2'.padEnd(32, '0'), dedup));
        await eventually(async () => (jira.issues[0]!.comments.length === 1 ? true : undefined), 'a comment for the repeat');
        expect(jira.issues[0]!.comments[0]).toMatch(/^The problem was seen again \(alert a2/);

        const acked = alert('a2'.padEnd(32, '0'), dedup, { status: 'acknowledged', history: [{ at: new Date().toISOString(), actor: 'ana', via: 'cli', action: 'acknowledge', from: 'open', to: 'acknowledged', note: 'on it' }] });
        await send(acked, 'acknowledged');
        await eventually(async () => (jira.issues[0]!.comments.length === 2 ? true : undefined), 'the acknowledgement comment');
        expect(jira.issues[0]!.comments[1]).toBe('Acknowledged in haetae by ana: on it.');
        await send({ ...acked, alert: { ...acked.alert, status: 'resolved' } }, 'resolved');
        await eventually(async () => (jira.issues[0]!.status === 'Done' ? true : undefined), 'the issue resolved');
        await send({ ...acked, alert: { ...acked.alert, status: 'open' } }, 'reopened');
        await eventually(async () => (jira.issues[0]!.status === 'To Do' ? true : undefined), 'the issue reopened');
        expect(jira.issues[0]!.transitions).toEqual(['Done', 'Reopen']);
        expect(jira.issues).toHaveLength(1);
      });
    } finally {
      await jira.close();
    }
  }, 90_000);
});

describe('Jira tickets under concurrency', () => {
  it('two alerts of one problem delivered at once make one issue and one comment', async () => {
    const jira = await startJira({ deployment: 'cloud', authorization: `Bearer pat-token` });
    try {
      await withTickets({ name: 'tickets', type: 'jira', url: jira.url, deployment: 'cloud', project: 'SEC', token: 'pat-token', updateThrottleMs: 0 }, {}, async (send) => {
        const dedup = uniqueName('dd').padEnd(32, '0');
        await Promise.all([send(alert('b1'.padEnd(32, '0'), dedup)), send(alert('b2'.padEnd(32, '0'), dedup))]);
        await eventually(async () => (jira.issues.length === 1 && jira.issues[0]!.comments.length === 1 ? true : undefined), 'one issue with one comment', 30_000);
        await new Promise((r) => setTimeout(r, 500));
        expect(jira.issues).toHaveLength(1);
      });
    } finally {
      await jira.close();
    }
  }, 60_000);
});

describe('ServiceNow tickets', () => {
  it('one incident per problem (correlation_id): work notes, resolved with a close code, reopened; a new incident once it is closed', async () => {
    const sn = await startServiceNow({ authorization: SN_AUTH });
    try {
      await withTickets({ name: 'itsm', type: 'servicenow', url: sn.url, user: 'haetae', passwordFile: 'sn.pass', updateThrottleMs: 0 }, { 'sn.pass': 'sn-pass' }, async (send) => {
        const dedup = uniqueName('dd').padEnd(32, '0');
        sn.dropNext.create = true;
        await send(alert('c1'.padEnd(32, '0'), dedup));
        await eventually(async () => (sn.incidents.length === 1 && sn.requests.filter((r) => r.startsWith('GET')).length >= 2 ? true : undefined), 'the incident found again after the lost answer');
        await send(alert('c2'.padEnd(32, '0'), dedup));
        await eventually(async () => (sn.incidents[0]!.work_notes.length === 1 ? true : undefined), 'a work note for the repeat');
        expect(sn.incidents[0]).toMatchObject({ correlation_id: dedup, state: '1', urgency: '1', short_description: '[high] Link down on edge1 (host.hostname="edge1", ifIndex=3)' });

        await send(alert('c2'.padEnd(32, '0'), dedup, { status: 'resolved' }), 'resolved');
        await eventually(async () => (sn.incidents[0]!.state === '6' ? true : undefined), 'incident resolved');
        expect(sn.incidents[0]).toMatchObject({ close_code: 'Solved (Permanently)', close_notes: 'Resolved in haetae.' });
        await send(alert('c2'.padEnd(32, '0'), dedup, { status: 'open' }), 'reopened');
        await eventually(async () => (sn.incidents[0]!.state === '2' ? true : undefined), 'incident reopened');

        // Closed by the service desk: when the problem comes back it is a new incident.
        sn.incidents[0]!.state = '7';
        await send(alert('c3'.padEnd(32, '0'), dedup));
        await eventually(async () => (sn.incidents.length === 2 ? true : undefined), 'a new incident for the problem back after closing');
        expect(sn.incidents[1]).toMatchObject({ correlation_id: dedup, state: '1' });
        expect(sn.incidents[0]!.work_notes).toHaveLength(3); // repeat, resolved, reopened — nothing after closing
      });
    } finally {
      await sn.close();
    }
  }, 90_000);
});
