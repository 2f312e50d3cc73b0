import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import type { Queue } from 'bullmq';
import { createEsClient } from '../../../connectors/elasticsearch/client';
import { alertEventMappings, alertMappings } from '../../../connectors/elasticsearch/templates';
import { findAlert } from '../../../connectors/elasticsearch/alert-store';
import { createNotificationQueue, queueSettings } from '../../../connectors/bullmq/queue';
import { loadConfig, type LoadedConfig } from '../../../pipeline/config/load';
import { createLogger } from '../../../pipeline/telemetry/logger';
import { encodeDeliveryFailure } from '../../../pipeline/notify/failure';
import { buildApi, startApi } from '../../../pipeline/api/server';
import { hashKey } from '../../../pipeline/api/keys';
import type { Alert, NotificationJob } from '../../../schemas/generated/types';
import { writeConfig } from '../../support/haetae-process';
import { services, uniqueName } from '../../support/services';

/**
 * The HTTP API against the real Elasticsearch and Redis: keys and roles, listing and showing
 * alerts, every change (with the same optimistic concurrency and notification jobs as the CLI),
 * the notification jobs of an alert, the OpenAPI document, and one request over real HTTP.
 */
const es = createEsClient({ url: services.elasticsearchUrl, requestTimeoutMs: 30_000 });
const alertsIndex = uniqueName('haetae-alerts-test-');
const alertEventsIndex = uniqueName('haetae-alert-events-test-');
const queueName = uniqueName('haetae-test-api-');
const KEYS = { viewer: 'viewer-key-0123456789abcdef', analyst: 'analyst-key-0123456789abcdef', admin: 'admin-key-0123456789abcdef' };
const hook = 'http://127.0.0.1:9/hook'; // never called: no notifier runs here
const now = Date.now();
const iso = (minAgo: number): string => new Date(now - minAgo * 60_000).toISOString();
let n = 0;
// Every change waits for a refresh (wait_for): a short refresh interval keeps the test quick.
const fastRefresh = { index: { refresh_interval: '200ms' } };
jest.setTimeout(60_000);

let loaded: LoadedConfig;
let queue: Queue<NotificationJob>;
let app: FastifyInstance;
const logLines: string[] = [];

function newAlert(rule = 'api-rule'): Alert {
  const id = `${(++n).toString(16).padStart(4, '0')}${uniqueName('').padEnd(28, '0')}`.slice(0, 32);
  return {
    '@timestamp': iso(5 - n / 100),
    message: `SSH brute force from 203.0.113.${n}`,
    alert: { id, status: 'open', severity: 'high', created: iso(5), group_key: `source.ip="203.0.113.${n}"`, assignee: null, acknowledged_at: null, resolved_at: null, dedup_key: id },
    rule: { id: rule, title: 'SSH brute force' },
    events: { ids: [`ev-${n}`], count: 1, index: 'logs-haetae.syslog-test' },
  };
}

async function store(a: Alert): Promise<Alert> {
  await es.index({ index: alertsIndex, id: a.alert.id, document: a, refresh: 'wait_for' });
  return a;
}

const as = (role: keyof typeof KEYS) => ({ authorization: `Bearer ${KEYS[role]}` });
const get = (url: string, role: keyof typeof KEYS | null = 'viewer') => app.inject({ method: 'GET', url, headers: role ? as(role) : {} });
const post = (url: string, body?: object, role: keyof typeof KEYS = 'analyst') => app.inject({ method: 'POST', url, headers: as(role), ...(body ? { payload: body } : {}) });

beforeAll(async () => {
  await es.indices.create({ index: alertsIndex, mappings: alertMappings(), settings: fastRefresh });
  await es.indices.create({ index: alertEventsIndex, mappings: alertEventMappings(), settings: fastRefresh });
  const file = writeConfig({
    elasticsearch: { url: services.elasticsearchUrl, alertsIndex, alertEventsIndex },
    redis: { url: services.redisUrl },
    notifier: { queue: queueName, webhook: { url: hook } },
    api: {
      host: '127.0.0.1',
      port: 0,
      keys: [
        { name: 'vera', role: 'viewer', hash: await hashKey(KEYS.viewer) },
        { name: 'ana', role: 'analyst', hash: await hashKey(KEYS.analyst) },
        { name: 'root', role: 'admin', hash: await hashKey(KEYS.admin) },
      ],
    },
  });
  loaded = loadConfig({ file });
  queue = createNotificationQueue(queueSettings(loaded.config));
  const sink = new Writable({ write(chunk: Buffer, _enc, cb) { logLines.push(...chunk.toString('utf8').split('\n').filter(Boolean)); cb(); } });
  app = await buildApi({ config: loaded.config, es, queue, logger: createLogger('info', {}, sink) });
}, 60_000);

afterAll(async () => {
  await app?.close();
  await queue?.obliterate({ force: true }).catch(() => undefined);
  await queue?.close();
  await es.indices.delete({ index: [alertsIndex, alertEventsIndex] }).catch(() => undefined);
  await es.close();
});

describe('API keys and roles', () => {
  it('refuses a missing or wrong key with one and the same 401, and a viewer changing anything with 403', async () => {
    const a = await store(newAlert());
    const none = await get(`/api/v1/alerts/${a.alert.id}`, null);
    const wrong = await app.inject({ method: 'GET', url: `/api/v1/alerts/${a.alert.id}`, headers: { authorization: 'Bearer not-a-key-of-ours-0000' } });
    expect(none.statusCode).toBe(401);
    expect(wrong.statusCode).toBe(401);
    expect(none.json()).toEqual(wrong.json());
    expect(none.json().error.code).toBe('HAETAE_API_AUTH');
    expect(none.headers['www-authenticate']).toMatch(/^Bearer/);

    const viewerPost = await post(`/api/v1/alerts/${a.alert.id}/acknowledge`, {}, 'viewer');
    expect(viewerPost.statusCode).toBe(403);
    expect(viewerPost.json().error).toEqual({ code: 'HAETAE_API_FORBIDDEN', message: expect.stringContaining("key 'vera' has the role viewer, which may not acknowledge alerts") });
    expect((await findAlert(es, alertsIndex, a.alert.id)).alert.alert.status).toBe('open');

    expect((await get(`/api/v1/alerts/${a.alert.id}`)).statusCode).toBe(200);
    const viaHeader = await app.inject({ method: 'GET', url: `/api/v1/alerts/${a.alert.id}`, headers: { 'x-api-key': KEYS.admin } });
    expect(viaHeader.statusCode).toBe(200);
    expect((await post(`/api/v1/alerts/${a.alert.id}/notes`, { note: 'admin may' }, 'admin')).statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/healthz' })).json()).toEqual({ status: 'ok' });
  });

  it('audits every change in one log line with the key name, never the key', async () => {
    const a = await store(newAlert());
    await post(`/api/v1/alerts/${a.alert.id}/acknowledge`, { note: 'audit me' });
    await post(`/api/v1/alerts/${a.alert.id}/acknowledge`, {}, 'viewer');
    const audit = logLines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.audit && l.alert === a.alert.id);
    expect(audit.map((l) => [l.keyName, l.route, l.status, l.outcome])).toEqual([
      ['ana', 'POST /api/v1/alerts/:id/acknowledge', 200, 'ok'],
      ['vera', 'POST /api/v1/alerts/:id/acknowledge', 403, 'HAETAE_API_FORBIDDEN'],
    ]);
    for (const key of Object.values(KEYS)) expect(logLines.join('\n')).not.toContain(key);
  });
});

describe('reading alerts', () => {
  it('lists with filters (newest first, with occurrences), shows by id or prefix, and says what is wrong', async () => {
    const rule = uniqueName('list-rule-');
    const older = await store(newAlert(rule));
    const newer = await store(newAlert(rule));
    await es.index({ index: alertEventsIndex, id: `${newer.alert.id}-e1`, document: { '@timestamp': iso(3), alert: { id: newer.alert.id }, rule: { id: rule }, event: { id: 'e1' } }, refresh: 'wait_for' });

    const list = await get(`/api/v1/alerts?rule=${rule}&status=open,acknowledged&since=1h&limit=10`);
    expect(list.statusCode).toBe(200);
    expect(list.json().total).toBe(2);
    expect(list.json().alerts.map((a: Alert) => a.alert.id)).toEqual([newer.alert.id, older.alert.id]);
    expect(list.json().alerts[0].occurrences).toEqual({ count: 1, first: iso(3), last: iso(3) });
    expect(list.json().alerts[1].occurrences).toMatchObject({ count: 1 });
    const one = await get(`/api/v1/alerts?rule=${rule}&limit=1`);
    expect(one.json()).toMatchObject({ total: 2, alerts: [{ alert: { id: newer.alert.id } }] });
    expect((await get(`/api/v1/alerts?rule=${rule}&status=resolved`)).json()).toEqual({ total: 0, alerts: [] });

    const shown = await get(`/api/v1/alerts/${older.alert.id.slice(0, 12)}`);
    expect(shown.statusCode).toBe(200);
    expect(shown.json()).toMatchObject({ alert: { id: older.alert.id, status: 'open' }, rule: { id: rule }, occurrences: { count: 1 } });

    const unknown = await get('/api/v1/alerts/ffffffffffff');
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().error).toEqual({ code: 'HAETAE_ALERT_NOT_FOUND', message: expect.stringContaining('no alert whose id starts with ffffffffffff') });
    const bad = await get('/api/v1/alerts/zz');
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error).toEqual({ code: 'HAETAE_API_INPUT', message: 'params.id must be an alert id: 32 hex characters, or a unique prefix of at least 6' });
    const tooMany = await get('/api/v1/alerts?limit=5000');
    expect(tooMany.statusCode).toBe(400);
    expect(tooMany.json().error.message).toMatch(/^querystring\.limit must be <= 1000/);
    expect((await get('/api/v1/alerts?status=closed')).json().error.message).toContain('querystring.status must be open, acknowledged, resolved');
    expect((await get('/api/v1/alerts?since=yesterdayish')).json().error.message).toContain("querystring.since: 'yesterdayish' is neither a duration");
    expect((await get('/api/v1/nothing')).statusCode).toBe(404);
  });
});

describe('changing alerts', () => {
  it('acknowledges, refuses a second acknowledgement with 409 naming who, resolves, reopens; each in the history via api', async () => {
    const a = await store(newAlert());
    const id = a.alert.id;
    const ack = await post(`/api/v1/alerts/${id.slice(0, 10)}/acknowledge`, { note: 'on it' });
    expect(ack.statusCode).toBe(200);
    expect(ack.json()).toMatchObject({ alert: { alert: { id, status: 'acknowledged', acknowledged_by: 'ana' } }, change: { actor: 'ana', via: 'api', action: 'acknowledge', from: 'open', to: 'acknowledged', note: 'on it' }, notifications: { queued: [`${id}-acknowledged-webhook`], error: null } });

    const again = await post(`/api/v1/alerts/${id}/acknowledge`, {}, 'admin');
    expect(again.statusCode).toBe(409);
    expect(again.json().error).toEqual({ code: 'HAETAE_ALERT_STATE', message: expect.stringMatching(new RegExp(`^alert ${id} is already acknowledged by ana since `)) });

    const resolved = await post(`/api/v1/alerts/${id}/resolve`); // no body at all
    expect(resolved.statusCode).toBe(200);
    expect(resolved.json().change).toMatchObject({ from: 'acknowledged', to: 'resolved' });
    expect((await post(`/api/v1/alerts/${id}/acknowledge`)).json().error.message).toContain('reopen it first');
    const reopened = await post(`/api/v1/alerts/${id}/reopen`, { note: 'back again' });
    expect(reopened.json()).toMatchObject({ change: { from: 'resolved', to: 'open', note: 'back again' }, notifications: { queued: [`${id}-reopened-webhook`] } });
    expect((await post(`/api/v1/alerts/${id}/reopen`)).statusCode).toBe(409);
    const second = await post(`/api/v1/alerts/${id}/resolve`, {}, 'admin');
    expect(second.json().notifications.queued).toEqual([`${id}-resolved-2-webhook`]);

    const history = (await findAlert(es, alertsIndex, id)).alert.alert.history!;
    expect(history.map((h) => `${h.actor} ${h.via} ${h.action}`)).toEqual(['ana api acknowledge', 'ana api resolve', 'ana api reopen', 'root api resolve']);
    const ids = (await queue.getJobs(['waiting', 'delayed', 'active', 'completed', 'failed'])).map((j) => j.id).filter((j) => j!.startsWith(id)).sort();
    expect(ids).toEqual([`${id}-acknowledged-webhook`, `${id}-reopened-webhook`, `${id}-resolved-2-webhook`, `${id}-resolved-webhook`].sort());
  });

  it('two acknowledgements at once: exactly one 200 and one 409', async () => {
    const a = await store(newAlert());
    const results = await Promise.all([
      post(`/api/v1/alerts/${a.alert.id}/acknowledge`, {}, 'analyst'),
      post(`/api/v1/alerts/${a.alert.id}/acknowledge`, {}, 'admin'),
    ]);
    expect(results.map((r) => r.statusCode).sort()).toEqual([200, 409]);
    const winner = results.find((r) => r.statusCode === 200)!.json().change.actor as string;
    expect(results.find((r) => r.statusCode === 409)!.json().error.message).toContain(`is already acknowledged by ${winner}`);
    expect((await findAlert(es, alertsIndex, a.alert.id)).alert.alert.history).toHaveLength(1);
  });

  it('assigns, unassigns and adds notes; refuses bodies that are not right, naming the field', async () => {
    const a = await store(newAlert());
    const id = a.alert.id;
    const assigned = await post(`/api/v1/alerts/${id}/assign`, { assignee: 'bo', note: 'yours' });
    expect(assigned.statusCode).toBe(200);
    expect(assigned.json()).toMatchObject({ alert: { alert: { assignee: 'bo' } }, change: { action: 'assign', assignee: 'bo', note: 'yours' }, notifications: { queued: [] } });
    expect((await post(`/api/v1/alerts/${id}/assign`, { assignee: 'bo' })).statusCode).toBe(409);
    expect((await post(`/api/v1/alerts/${id}/assign`, { assignee: null })).json().alert.alert.assignee).toBeNull();
    const noted = await post(`/api/v1/alerts/${id}/notes`, { note: 'called the owner' });
    expect(noted.json().change).toMatchObject({ action: 'note', note: 'called the owner', actor: 'ana', via: 'api' });

    const cases: Array<[string, object | undefined, RegExp]> = [
      ['notes', {}, /^body\.note is required$/],
      ['notes', { note: 'x', extra: 1 }, /^body\.extra is not a known field$/],
      ['notes', { note: 5 }, /^body\.note must be string$/],
      ['assign', {}, /^body\.assignee is required$/],
      ['assign', { assignee: 7 }, /^body\.assignee must be string or null$/],
      ['notes', { note: '   ' }, /^a note needs some text$/],
      ['acknowledge', { note: 'n'.repeat(4001) }, /^a note is at most 4000 characters/],
    ];
    for (const [route, body, message] of cases) {
      const res = await post(`/api/v1/alerts/${id}/${route}`, body);
      expect([route, res.statusCode]).toEqual([route, 400]);
      expect(res.json().error.message).toMatch(message);
    }
    const notJson = await app.inject({ method: 'POST', url: `/api/v1/alerts/${id}/notes`, headers: { ...as('analyst'), 'content-type': 'application/json' }, payload: '{"note":' });
    expect(notJson.statusCode).toBe(400);
    expect(notJson.json().error.code).toBe('HAETAE_API_INPUT');
    const tooLarge = await app.inject({ method: 'POST', url: `/api/v1/alerts/${id}/notes`, headers: as('analyst'), payload: { note: 'x'.repeat(loaded.config.api.bodyLimitBytes + 10) } });
    expect(tooLarge.statusCode).toBe(413);
    expect((await findAlert(es, alertsIndex, id)).alert.alert.history).toHaveLength(3);
  });
});

describe('notifications of an alert', () => {
  it('lists the queued job of an acknowledgement (and the raised one), with state and the failed attempts from the job log', async () => {
    const a = await store(newAlert());
    const id = a.alert.id;
    // The job the worker queued when the alert was raised, with one failed attempt logged by the notifier.
    const raised = await queue.add(`${id}-webhook`, { v: 1, channel: 'webhook', alert: a }, { jobId: `${id}-webhook` });
    await raised.log(encodeDeliveryFailure({ attempt: 1, code: 'HAETAE_WEBHOOK_NETWORK', cause: 'ECONNREFUSED', retryable: true, message: 'webhook request failed: connect ECONNREFUSED 127.0.0.1:9' }));
    expect((await post(`/api/v1/alerts/${id}/acknowledge`)).statusCode).toBe(200);

    const res = await get(`/api/v1/alerts/${id.slice(0, 8)}/notifications`);
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.alert).toBe(id);
    expect(body.jobs.map((j: { id: string }) => j.id)).toEqual([`${id}-webhook`, `${id}-acknowledged-webhook`]);
    expect(body.jobs[1]).toMatchObject({ channel: 'webhook', event: 'acknowledged', state: 'waiting', attemptsMade: 0, failedReason: null, finishedOn: null, failures: [] });
    expect(body.jobs[0]).toMatchObject({ event: 'opened', failures: [{ attempt: 1, code: 'HAETAE_WEBHOOK_NETWORK', cause: 'ECONNREFUSED', retryable: true }] });
    expect((await get(`/api/v1/alerts/${newAlert().alert.id}/notifications`)).statusCode).toBe(404);
  });
});

describe('the OpenAPI document', () => {
  it('is OpenAPI 3 and describes every route, its parameters and its answers', async () => {
    const res = await app.inject({ method: 'GET', url: '/openapi.json' });
    expect(res.statusCode).toBe(200);
    const doc = res.json();
    expect(doc.openapi).toMatch(/^3\.0\.\d+$/);
    expect(doc.info).toMatchObject({ title: 'haetae API', version: '1' });
    expect(doc.components.securitySchemes).toHaveProperty('bearer');
    const routes = Object.entries(doc.paths as Record<string, Record<string, { responses: object; parameters?: Array<{ name: string; in: string }> }>>).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`));
    expect(routes.sort()).toEqual([
      'GET /api/v1/alerts',
      'GET /api/v1/alerts/{id}',
      'GET /api/v1/alerts/{id}/notifications',
      'GET /healthz',
      'POST /api/v1/alerts/{id}/acknowledge',
      'POST /api/v1/alerts/{id}/assign',
      'POST /api/v1/alerts/{id}/notes',
      'POST /api/v1/alerts/{id}/reopen',
      'POST /api/v1/alerts/{id}/resolve',
    ]);
    for (const ops of Object.values(doc.paths as Record<string, Record<string, { responses: Record<string, unknown> }>>)) {
      for (const op of Object.values(ops)) expect(Object.keys(op.responses)).toContain('200');
    }
    expect(doc.paths['/api/v1/alerts/{id}'].get.parameters).toEqual([expect.objectContaining({ name: 'id', in: 'path', required: true })]);
    expect(doc.paths['/api/v1/alerts'].get.parameters.map((p: { name: string }) => p.name).sort()).toEqual(['assignee', 'limit', 'rule', 'since', 'status']);
    expect(doc.paths['/api/v1/alerts/{id}/assign'].post.requestBody.content['application/json'].schema.required).toEqual(['assignee']);
    expect(doc.paths['/api/v1/alerts/{id}/acknowledge'].post.responses['409']).toBeDefined();
  });
});

describe('over real HTTP (startApi)', () => {
  it('listens on the configured address and answers with the key', async () => {
    const a = await store(newAlert());
    const running = await startApi(loaded, createLogger('silent'));
    try {
      const base = `http://127.0.0.1:${running.port}`;
      const res = await fetch(`${base}/api/v1/alerts/${a.alert.id}`, { headers: { authorization: `Bearer ${KEYS.viewer}` } });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      expect(((await res.json()) as Alert).alert.id).toBe(a.alert.id);
      const ack = await fetch(`${base}/api/v1/alerts/${a.alert.id}/acknowledge`, { method: 'POST', headers: { 'x-api-key': KEYS.analyst, 'content-type': 'application/json' }, body: JSON.stringify({ note: 'over http' }) });
      expect(ack.status).toBe(200);
      expect((await fetch(`${base}/api/v1/alerts`)).status).toBe(401);
    } finally {
      await running.close();
    }
  });
});
