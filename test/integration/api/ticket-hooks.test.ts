import crypto from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { Queue } from 'bullmq';
import { createEsClient } from '../../../connectors/elasticsearch/client';
import { alertEventMappings, alertMappings } from '../../../connectors/elasticsearch/templates';
import { findAlert } from '../../../connectors/elasticsearch/alert-store';
import { createNotificationQueue, queueSettings } from '../../../connectors/bullmq/queue';
import { loadConfig } from '../../../pipeline/config/load';
import { buildApi } from '../../../pipeline/api/server';
import { quietLogger, services, uniqueName } from '../../support/services';
import { writeConfig } from '../../support/haetae-process';
import type { Alert, NotificationJob } from '../../../schemas/generated/types';

/**
 * Inbound ticket webhooks against the real Elasticsearch and Redis: closing the Jira issue or the
 * ServiceNow incident resolves the problem's alerts, a comment there becomes a note, haetae's own
 * comments do not come back, the change is not sent back to the same ticket system, and nothing
 * happens without the shared secret or a valid signature.
 */
const es = createEsClient({ url: services.elasticsearchUrl, requestTimeoutMs: 30_000 });
const alertsIndex = uniqueName('haetae-alerts-test-');
const alertEventsIndex = uniqueName('haetae-alert-events-test-');
const SECRET = { jira: 'jira-hook-secret-0123456789', sn: 'sn-hook-secret-0123456789' };
let app: FastifyInstance;
let queue: Queue<NotificationJob>;
jest.setTimeout(60_000);

function problem(dedup: string, i: number, status: Alert['alert']['status'] = 'open'): Alert {
  const id = `${dedup.slice(0, 28)}${i.toString(16).padStart(4, '0')}`;
  return {
    '@timestamp': new Date(Date.now() - (10 - i) * 60_000).toISOString(),
    message: 'Link down on edge1',
    alert: { id, status, severity: 'high', created: new Date().toISOString(), group_key: 'host.hostname="edge1"', dedup_key: dedup, assignee: null, acknowledged_at: null, resolved_at: null },
    rule: { id: 'link-down', title: 'Link down' },
    events: { ids: [`ev${i}`], count: 1, index: 'logs-haetae.snmp-test' },
  };
}

beforeAll(async () => {
  await es.indices.create({ index: alertsIndex, mappings: alertMappings(), settings: { index: { refresh_interval: '200ms' } } });
  await es.indices.create({ index: alertEventsIndex, mappings: alertEventMappings() });
  const file = writeConfig({
    elasticsearch: { url: services.elasticsearchUrl, alertsIndex, alertEventsIndex },
    redis: { url: services.redisUrl },
    notifier: {
      queue: uniqueName('haetae-test-hooks-'),
      channels: [
        { name: 'tickets', type: 'jira', url: 'http://127.0.0.1:9/jira', project: 'SEC', token: 'never-used' },
        { name: 'soc-slack', type: 'slack', url: 'http://127.0.0.1:9/slack' },
      ],
    },
    api: { port: 0, hooks: { jira: { secret: SECRET.jira }, servicenow: { secret: SECRET.sn } } },
  });
  const loaded = loadConfig({ file, env: {} });
  queue = createNotificationQueue(queueSettings(loaded.config));
  app = await buildApi({ config: loaded.config, es, queue, logger: quietLogger(), baseDir: loaded.baseDir });
});

afterAll(async () => {
  await app?.close();
  await queue?.obliterate({ force: true }).catch(() => undefined);
  await queue?.close();
  await es.indices.delete({ index: [alertsIndex, alertEventsIndex] }).catch(() => undefined);
  await es.close();
});

const jiraHook = (body: object, headers: Record<string, string> = { 'x-haetae-hook-secret': SECRET.jira }) =>
  app.inject({ method: 'POST', url: '/hooks/jira', headers: { 'content-type': 'application/json', ...headers }, payload: JSON.stringify(body) });

describe('inbound ticket webhooks', () => {
  it('a Jira issue moved to done resolves the open alerts of its problem, tells Slack but not Jira, and a comment becomes a note', async () => {
    const dedup = crypto.randomBytes(16).toString('hex');
    const [a1, a2, a3] = [problem(dedup, 1), problem(dedup, 2, 'acknowledged'), problem(dedup, 3, 'resolved')];
    for (const a of [a1!, a2!, a3!]) await es.index({ index: alertsIndex, id: a.alert.id, document: a, refresh: 'wait_for' });
    const issue = { key: 'SEC-7', fields: { labels: ['haetae', `haetae-${dedup}`], status: { name: 'Done', statusCategory: { key: 'done' } } } };
    const res = await jiraHook({ webhookEvent: 'jira:issue_updated', issue, changelog: { items: [{ field: 'status', fromString: 'To Do', toString: 'Done' }] } });
    expect(res.statusCode).toBe(200);
    expect(res.json().resolved.sort()).toEqual([a1!.alert.id, a2!.alert.id].sort());
    const stored = (await findAlert(es, alertsIndex, a1!.alert.id)).alert.alert;
    expect(stored.status).toBe('resolved');
    expect(stored.history!.at(-1)).toMatchObject({ actor: 'jira:SEC-7', via: 'ticket', action: 'resolve', note: 'SEC-7 was resolved in jira' });
    const jobs = (await queue.getJobs(['waiting', 'delayed'])).map((j) => j.id).filter((id) => id?.startsWith(a1!.alert.id));
    expect(jobs).toEqual([`${a1!.alert.id}-resolved-soc-slack`]);

    const comment = await jiraHook({ webhookEvent: 'comment_created', issue, comment: { body: 'Replaced the SFP.', author: { displayName: 'Bo Network' } } });
    expect(comment.json().noted).toBe(a3!.alert.id);
    expect((await findAlert(es, alertsIndex, a3!.alert.id)).alert.alert.history!.at(-1)).toMatchObject({ action: 'note', note: 'Bo Network in SEC-7: Replaced the SFP.', via: 'ticket' });
    // haetae's own comments come back through the hook; they are not notes.
    const own = await jiraHook({ webhookEvent: 'comment_created', issue, comment: { body: 'Resolved in haetae by ana.', author: { displayName: 'haetae' } } });
    expect(own.json()).toMatchObject({ resolved: [], noted: null });
  });

  it('takes a Jira Cloud signature (X-Hub-Signature) and refuses a wrong one or none', async () => {
    const body = JSON.stringify({ webhookEvent: 'comment_created', issue: { key: 'SEC-1', fields: { labels: [] } }, comment: { body: 'x' } });
    const sign = (secret: string) => `sha256=${crypto.createHmac('sha256', secret).update(body).digest('hex')}`;
    const send = (headers: Record<string, string>) => app.inject({ method: 'POST', url: '/hooks/jira', headers: { 'content-type': 'application/json', ...headers }, payload: body });
    expect((await send({ 'x-hub-signature': sign(SECRET.jira) })).json()).toMatchObject({ ignored: 'the ticket carries no haetae problem key' });
    expect((await send({ 'x-hub-signature': sign('another-secret-0123456789') })).statusCode).toBe(401);
    expect((await send({ 'x-haetae-hook-secret': 'wrong' })).statusCode).toBe(401);
    expect((await send({})).statusCode).toBe(401);
  });

  it('a ServiceNow incident resolved or closed resolves the problem; its comment becomes a note', async () => {
    const dedup = crypto.randomBytes(16).toString('hex');
    const a = problem(dedup, 1);
    await es.index({ index: alertsIndex, id: a.alert.id, document: a, refresh: 'wait_for' });
    const res = await app.inject({ method: 'POST', url: '/hooks/servicenow', headers: { 'content-type': 'application/json', 'x-haetae-hook-secret': SECRET.sn }, payload: { number: 'INC0010042', correlation_id: dedup, state: '6', comment: 'Power restored by facilities.', user: 'ops.lead' } });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ resolved: [a.alert.id], noted: a.alert.id });
    const history = (await findAlert(es, alertsIndex, a.alert.id)).alert.alert.history!;
    expect(history.map((h) => [h.actor, h.action])).toEqual([['servicenow:INC0010042', 'resolve'], ['servicenow:INC0010042', 'note']]);
    expect((await app.inject({ method: 'POST', url: '/hooks/servicenow', headers: { 'content-type': 'application/json' }, payload: { number: 'INC1' } })).statusCode).toBe(401);
  });
});
