import { Queue } from 'bullmq';
import { createEsClient } from '../../../connectors/elasticsearch/client';
import { alertEventMappings, alertMappings } from '../../../connectors/elasticsearch/templates';
import { findAlert, listAlerts, occurrencesOf, transitionAlert } from '../../../connectors/elasticsearch/alert-store';
import { resolveAlerts } from '../../../connectors/elasticsearch/alerts';
import { redisConnection } from '../../../connectors/bullmq/queue';
import type { Alert, NotificationJob } from '../../../schemas/generated/types';
import { runCli, writeConfig } from '../../support/haetae-process';
import { services, uniqueName } from '../../support/services';

/**
 * Alerts as analysts work them, against the real Elasticsearch (optimistic concurrency, prefix
 * lookup, occurrence counts from alert-event records) and through the built CLI, whose state
 * changes queue their notifications in the real Redis.
 */
const es = createEsClient({ url: services.elasticsearchUrl, requestTimeoutMs: 30_000 });
const alertsIndex = uniqueName('haetae-alerts-test-');
const alertEventsIndex = uniqueName('haetae-alert-events-test-');
const queueName = uniqueName('haetae-test-alerts-');
const now = Date.now();
const iso = (minAgo: number): string => new Date(now - minAgo * 60_000).toISOString();
let n = 0;

function newAlert(over: { rule?: string; severity?: Alert['alert']['severity']; minAgo?: number } = {}): Alert {
  const id = `${(++n).toString(16).padStart(4, '0')}${uniqueName('').padEnd(28, '0')}`.slice(0, 32);
  return {
    '@timestamp': iso(over.minAgo ?? 5),
    message: `SSH brute force from 203.0.113.${n}`,
    alert: { id, status: 'open', severity: over.severity ?? 'high', created: iso(over.minAgo ?? 5), group_key: `source.ip="203.0.113.${n}"`, assignee: null, acknowledged_at: null, resolved_at: null, dedup_key: id },
    rule: { id: over.rule ?? 'ssh-brute', title: over.rule === 'other' ? 'Other rule' : 'SSH brute force' },
    events: { ids: [`ev-${n}`], count: 1, index: 'logs-haetae.syslog-test' },
  };
}

async function store(a: Alert): Promise<Alert> {
  await es.index({ index: alertsIndex, id: a.alert.id, document: a, refresh: 'wait_for' });
  return a;
}

beforeAll(async () => {
  await es.indices.create({ index: alertsIndex, mappings: alertMappings() });
  await es.indices.create({ index: alertEventsIndex, mappings: alertEventMappings() });
});

afterAll(async () => {
  await es.indices.delete({ index: [alertsIndex, alertEventsIndex] }).catch(() => undefined);
  await es.close();
});

describe('alert lifecycle on the real Elasticsearch', () => {
  it('two analysts acknowledging at once: one wins, the other is told who did, nothing is lost', async () => {
    const a = await store(newAlert());
    const results = await Promise.allSettled([
      transitionAlert(es, alertsIndex, a.alert.id, { kind: 'acknowledge' }, { name: 'ana', via: 'cli' }),
      transitionAlert(es, alertsIndex, a.alert.id, { kind: 'acknowledge' }, { name: 'bo', via: 'api' }),
    ]);
    const won = results.filter((r) => r.status === 'fulfilled');
    const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(1);
    const stored = (await findAlert(es, alertsIndex, a.alert.id)).alert;
    expect(String(lost[0]!.reason)).toContain(`is already acknowledged by ${stored.alert.acknowledged_by}`);
    expect(stored.alert.history).toHaveLength(1);
  });

  it('different changes at the same moment (assign, note, acknowledge, note) all land, each once', async () => {
    const a = await store(newAlert());
    const id = a.alert.id;
    const done = await Promise.all([
      transitionAlert(es, alertsIndex, id, { kind: 'assign', assignee: 'cy' }, { name: 'ana', via: 'cli' }),
      transitionAlert(es, alertsIndex, id, { kind: 'note', note: 'first note' }, { name: 'bo', via: 'api' }),
      transitionAlert(es, alertsIndex, id, { kind: 'acknowledge' }, { name: 'cy', via: 'api' }),
      transitionAlert(es, alertsIndex, id, { kind: 'note', note: 'second note' }, { name: 'dee', via: 'cli' }),
    ]);
    expect(done.reduce((s, d) => s + d.conflicts, 0)).toBeGreaterThan(0); // they did collide
    const stored = (await findAlert(es, alertsIndex, id)).alert;
    expect(stored.alert).toMatchObject({ status: 'acknowledged', acknowledged_by: 'cy', assignee: 'cy' });
    expect(stored.alert.history!.map((h) => `${h.actor}:${h.action}`).sort()).toEqual(['ana:assign', 'bo:note', 'cy:acknowledge', 'dee:note']);
  });

  it('a recovery resolves through the same transition, with the rule in the history', async () => {
    const a = await store(newAlert({ rule: 'link-down' }));
    await transitionAlert(es, alertsIndex, a.alert.id, { kind: 'acknowledge' }, { name: 'ana', via: 'cli' });
    const [resolved] = await resolveAlerts(es, alertsIndex, [{ ruleId: 'link-down', groupKey: a.alert.group_key!, until: new Date().toISOString(), eventId: 'ev-up' }], new Date());
    expect(resolved!.alert).toMatchObject({ status: 'resolved', resolved_by: 'ev-up' });
    expect(resolved!.alert.history!.map((h) => [h.actor, h.via, h.action, h.from, h.to])).toEqual([['ana', 'cli', 'acknowledge', 'open', 'acknowledged'], ['rule:link-down', 'rule', 'resolve', 'acknowledged', 'resolved']]);
    expect((await findAlert(es, alertsIndex, a.alert.id)).alert.alert.history).toHaveLength(2);
  });

  it('a batch of recoveries resolves each alert once, by the first event that recovers it; a replay of the batch returns the same alerts', async () => {
    const down = await Promise.all([1, 2, 3].map(() => store(newAlert({ rule: 'link-down', minAgo: 10 }))));
    const later = await store(newAlert({ rule: 'link-down', minAgo: 1 }));
    const requests = [
      { ruleId: 'link-down', groupKey: down[0]!.alert.group_key!, until: iso(2), eventId: 'ev-up-a' },
      { ruleId: 'link-down', groupKey: down[1]!.alert.group_key!, until: iso(2), eventId: 'ev-up-b' },
      // A second recovery event of the same interface in the same batch: nothing left to resolve.
      { ruleId: 'link-down', groupKey: down[0]!.alert.group_key!, until: iso(2), eventId: 'ev-up-a2' },
      // Raised after the recovering event: stays open.
      { ruleId: 'link-down', groupKey: later.alert.group_key!, until: iso(2), eventId: 'ev-up-c' },
    ];
    const first = await resolveAlerts(es, alertsIndex, requests, new Date());
    expect(first.map((a) => [a.alert.id, a.alert.status, a.alert.resolved_by])).toEqual([[down[0]!.alert.id, 'resolved', 'ev-up-a'], [down[1]!.alert.id, 'resolved', 'ev-up-b']]);
    const stored = await Promise.all([...down, later].map(async (a) => (await findAlert(es, alertsIndex, a.alert.id)).alert.alert));
    expect(stored.map((a) => [a.status, a.resolved_by ?? null, a.history?.length ?? 0])).toEqual([['resolved', 'ev-up-a', 1], ['resolved', 'ev-up-b', 1], ['open', null, 0], ['open', null, 0]]);
    // The worker died before committing and replays the batch: the same alerts come back (their
    // notifications are enqueued again under the same job ids), and nothing is resolved twice.
    const replay = await resolveAlerts(es, alertsIndex, requests, new Date());
    expect(replay.map((a) => [a.alert.id, a.alert.resolved_by])).toEqual([[down[0]!.alert.id, 'ev-up-a'], [down[1]!.alert.id, 'ev-up-b']]);
    expect((await findAlert(es, alertsIndex, down[0]!.alert.id)).alert.alert.history).toHaveLength(1);
  });

  it('finds an alert by a unique id prefix, and says when a prefix is ambiguous or unknown', async () => {
    const a = await store(newAlert());
    expect((await findAlert(es, alertsIndex, a.alert.id.slice(0, 12))).alert.alert.id).toBe(a.alert.id);
    await expect(findAlert(es, alertsIndex, 'ffffff')).rejects.toThrow(/no alert whose id starts with ffffff/);
    await expect(findAlert(es, alertsIndex, 'zz')).rejects.toThrow(/is not an alert id/);
  });

  it('lists by status, rule and time, newest first, and counts occurrences from the alert-event records', async () => {
    const old = await store(newAlert({ rule: 'other', minAgo: 3 * 24 * 60 }));
    const recent = await store(newAlert({ rule: 'other', minAgo: 1 }));
    for (let i = 0; i < 3; i++) await es.index({ index: alertEventsIndex, id: `${recent.alert.id}-e${i}`, document: { '@timestamp': iso(10 - i), alert: { id: recent.alert.id }, rule: { id: 'other' }, event: { id: `e${i}` } } });
    await es.indices.refresh({ index: alertEventsIndex });
    const all = await listAlerts(es, alertsIndex, { ruleId: 'other', limit: 10 });
    expect(all.alerts.map((a) => a.alert.id)).toEqual([recent.alert.id, old.alert.id]);
    const lastDay = await listAlerts(es, alertsIndex, { ruleId: 'Other rule', since: iso(24 * 60), limit: 10 });
    expect(lastDay.alerts.map((a) => a.alert.id)).toEqual([recent.alert.id]);
    const occ = await occurrencesOf(es, alertEventsIndex, [recent.alert.id, old.alert.id]);
    expect(occ.get(recent.alert.id)).toEqual({ count: 3, first: iso(10), last: iso(8) });
    expect(occ.has(old.alert.id)).toBe(false);
  });
});

describe('haetae alerts (the built CLI)', () => {
  const hook = 'http://127.0.0.1:9/hook'; // never called here: the notifier is not running
  const config = writeConfig({
    elasticsearch: { url: services.elasticsearchUrl, alertsIndex, alertEventsIndex },
    redis: { url: services.redisUrl },
    notifier: { queue: queueName, webhook: { url: hook } },
  });
  const queue = new Queue<NotificationJob>(queueName, { connection: redisConnection(services.redisUrl) });
  afterAll(async () => {
    await queue.obliterate({ force: true }).catch(() => undefined);
    await queue.close();
  });

  it('acknowledges, assigns, notes, resolves and reopens, shows the history, and queues one notification per state change', async () => {
    const a = await store(newAlert({ rule: 'cli-rule', severity: 'critical' }));
    const short = a.alert.id.slice(0, 12);
    const ack = runCli(['alerts', 'ack', short, '--note', 'on it', '--as', 'ana'], config);
    expect(ack.stderr).toBe('');
    expect(ack.stdout).toMatch(new RegExp(`^${short}  open → acknowledged  \\(SSH brute force\\)\\n$`));
    expect(runCli(['alerts', 'assign', short, 'bo', '--as', 'ana'], config).stdout).toContain('assigned to bo');
    expect(runCli(['alerts', 'note', short, 'called', 'the', 'owner', '--as', 'bo'], config).stdout).toContain('note added');

    const again = runCli(['alerts', 'ack', short, '--as', 'bo'], config);
    expect(again.status).toBe(1);
    expect(again.stderr).toContain('is already acknowledged by ana');

    expect(runCli(['alerts', 'resolve', short, '--as', 'bo'], config).stdout).toContain('acknowledged → resolved');
    expect(runCli(['alerts', 'reopen', short, '--note', 'back again', '--as', 'ana'], config).stdout).toContain('resolved → open');
    expect(runCli(['alerts', 'resolve', short, '--as', 'ana'], config).status).toBe(0);

    const list = runCli(['alerts', 'list', '--status', 'all', '--rule', 'cli-rule'], config);
    expect(list.stdout.split('\n')[0]).toMatch(/^ID\s+STATUS\s+SEVERITY\s+COUNT\s+LAST SEEN\s+ASSIGNEE\s+SUMMARY/);
    expect(list.stdout).toMatch(new RegExp(`${short}\\s+resolved\\s+critical\\s+1\\s+\\S+\\s+bo\\s+SSH brute force from`));
    expect(runCli(['alerts', 'list', '--rule', 'cli-rule'], config).stdout).toBe(''); // open and acknowledged only, by default

    const show = runCli(['alerts', 'show', short], config).stdout;
    expect(show).toMatch(/status\s+resolved at/);
    expect(show).toMatch(/assignee\s+bo/);
    const history = show.slice(show.indexOf('history'), show.indexOf('\nnotifications')).split('\n').slice(1).filter(Boolean);
    // Every delivery of every change, and how it went (no notifier runs here: they wait).
    const notifications = show.slice(show.indexOf('\nnotifications')).split('\n').slice(2).filter(Boolean).map((l) => l.replace(/^\s+\S+\s+/, ''));
    expect(notifications.sort()).toEqual(['acknowledged → webhook: waiting', 'reopened → webhook: waiting', 'resolved → webhook: waiting', 'resolved → webhook: waiting']);
    expect(history.map((l) => l.replace(/^\s+\S+\s+/, ''))).toEqual([
      'ana (cli)  open → acknowledged: on it',
      'ana (cli)  assigned to bo',
      'bo (cli)  note: called the owner',
      'bo (cli)  acknowledged → resolved',
      'ana (cli)  resolved → open: back again',
      'ana (cli)  open → resolved',
    ]);

    // One job per state change and channel, named after the change; replaying none of them sends twice.
    const ids = (await queue.getJobs(['waiting', 'delayed', 'active', 'completed', 'failed'])).map((j) => j.id).sort();
    expect(ids).toEqual([`${a.alert.id}-acknowledged-webhook`, `${a.alert.id}-reopened-webhook`, `${a.alert.id}-resolved-2-webhook`, `${a.alert.id}-resolved-webhook`].sort());
    const resolvedJob = await queue.getJob(`${a.alert.id}-resolved-2-webhook`);
    expect(resolvedJob!.data).toMatchObject({ v: 1, channel: 'webhook', event: 'resolved', alert: { alert: { id: a.alert.id, status: 'resolved' } } });
  }, 120_000);

  it("notifies the channels the alert's rule named (rule.channels), not every configured one", async () => {
    const name = uniqueName('haetae-test-alerts-ch-');
    const cfg = writeConfig({
      elasticsearch: { url: services.elasticsearchUrl, alertsIndex, alertEventsIndex },
      redis: { url: services.redisUrl },
      notifier: { queue: name, webhook: { url: hook }, channels: [{ name: 'soc-slack', type: 'slack', url: 'http://127.0.0.1:9/slack' }] },
    });
    const q = new Queue<NotificationJob>(name, { connection: redisConnection(services.redisUrl) });
    try {
      const routed = newAlert({ rule: 'slack-only' });
      routed.rule.channels = ['soc-slack'];
      await store(routed);
      const everywhere = await store(newAlert({ rule: 'no-channels' }));
      expect(runCli(['alerts', 'ack', routed.alert.id, '--as', 'ana'], cfg).status).toBe(0);
      expect(runCli(['alerts', 'ack', everywhere.alert.id, '--as', 'ana'], cfg).status).toBe(0);
      const ids = (await q.getJobs(['waiting', 'delayed', 'active', 'completed', 'failed'])).map((j) => j.id).sort();
      expect(ids).toEqual([`${routed.alert.id}-acknowledged-soc-slack`, `${everywhere.alert.id}-acknowledged-soc-slack`, `${everywhere.alert.id}-acknowledged-webhook`].sort());
    } finally {
      await q.obliterate({ force: true }).catch(() => undefined);
      await q.close();
    }
  }, 60_000);

  it('says plainly what is wrong with an id or a status', () => {
    expect(runCli(['alerts', 'show', 'abc'], config).stderr).toContain("'abc' is not an alert id");
    expect(runCli(['alerts', 'list', '--status', 'closed'], config).stderr).toContain("--status 'closed': use open, acknowledged, resolved");
    const none = runCli(['alerts', 'ack', 'ffffffffffff', '--as', 'ana'], config);
    expect(none.status).toBe(1);
    expect(none.stderr).toContain('no alert whose id starts with ffffffffffff');
  });
});
