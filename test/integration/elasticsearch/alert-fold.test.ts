import pino from 'pino';
import { createEsClient } from '../../../connectors/elasticsearch/client';
import { alertEventMappings, alertMappings } from '../../../connectors/elasticsearch/templates';
import { foldAlerts, resolveAlerts } from '../../../connectors/elasticsearch/alerts';
import { occurrencesOf, transitionAlert } from '../../../connectors/elasticsearch/alert-store';
import { writeBulk } from '../../../connectors/elasticsearch/bulk';
import { buildEnvelope, encodeEnvelope } from '../../../pipeline/envelope/envelope';
import { loadRuleText, type RuleProblem } from '../../../pipeline/detect/load';
import { processBatch, type RawRecord, type WorkerContext } from '../../../pipeline/roles/worker/process-batch';
import { Metrics } from '../../../pipeline/telemetry/metrics';
import { compileValidators } from '../../../schemas/validators';
import type { Alert, NotificationJob } from '../../../schemas/generated/types';
import { services, uniqueName } from '../../support/services';

/**
 * One problem, one alert while it lasts — the worker's batch against the real Elasticsearch:
 * repeats of an open (or acknowledged) alert update it (occurrences, last seen) instead of raising
 * new alerts and notifications, across throttle periods and batches; after a recovery a repeat
 * raises a new alert, or reopens the old one with `haetae.reopen: true`; replays change nothing.
 */
const es = createEsClient({ url: services.elasticsearchUrl, requestTimeoutMs: 30_000 });
const alertsIndex = uniqueName('haetae-alerts-fold-');
const alertEventsIndex = uniqueName('haetae-alert-events-fold-');
const stream = uniqueName('logs-haetae.fold-');
const validators = compileValidators();
const metrics = new Metrics();
const logger = pino({ level: 'silent' });
// Event times an hour ago onwards, so throttle periods are whole and nothing depends on the date.
const t0 = Math.floor((Date.now() - 3_600_000) / 600_000) * 600_000;
const at = (min: number): string => new Date(t0 + min * 60_000).toISOString();

function rules(reopen: boolean) {
  const problems: RuleProblem[] = [];
  const loaded = loadRuleText([
    `title: Link down\nid: link-down-${reopen}\nlevel: high\ndetection:\n  sel:\n    message|contains: changed state to down\n  condition: sel\nhaetae:\n  group-by: [host.hostname]\n  throttle: 10m\n  recovered-by: [link-up-${reopen}]\n${reopen ? '  reopen: true\n' : ''}`,
    `title: Link up\nid: link-up-${reopen}\nlevel: informational\ndetection:\n  sel:\n    message|contains: changed state to up\n  condition: sel\nhaetae:\n  channels: []\n`,
  ].join('---\n'), 'link.yml', validators.rule, problems).map((r) => r.rule);
  expect(problems).toEqual([]);
  return loaded;
}

let offset = 0;
function line(min: number, host: string, state: 'up' | 'down'): RawRecord {
  const text = `<187>1 ${at(min)} ${host} ios - - - %LINK-3-UPDOWN: Interface Gi0/1, changed state to ${state}`;
  const envelope = buildEnvelope(
    { bytes: Buffer.from(text), framing: 'datagram', truncated: false },
    { transport: 'udp', source: { address: '192.0.2.10', port: 40000 }, listener: { address: '0.0.0.0', port: 5514 }, observerHostname: 'recv1', receivedAt: new Date(Date.parse(at(min)) + 1_000) },
  );
  return { topic: 'haetae.raw', partition: 0, offset: String(++offset), key: null, value: encodeEnvelope(envelope) };
}

function worker(reopen: boolean): { ctx: WorkerContext; jobs: Map<string, NotificationJob> } {
  const jobs = new Map<string, NotificationJob>();
  const compiled = rules(reopen);
  const ctx: WorkerContext = {
    validateEnvelope: validators.envelope,
    rules: () => compiled,
    eventsDataStream: stream,
    alertsIndex,
    alertEventsIndex,
    channels: ['webhook'],
    metrics,
    logger,
    sinks: {
      writeDocuments: (items) => writeBulk(es, items, { url: services.elasticsearchUrl, logger, metrics }),
      enqueueNotifications: async (js) => { for (const j of js) if (!jobs.has(j.id)) jobs.set(j.id, j.data); },
      deadLetter: async (d) => { throw new Error(`unexpected dead letter: ${JSON.stringify(d)}`); },
      produceCorrelate: async () => undefined,
      resolveAlerts: (requests) => resolveAlerts(es, alertsIndex, requests, new Date()),
      foldAlerts: (candidates) => foldAlerts(es, alertsIndex, candidates, new Date()),
    },
  };
  return { ctx, jobs };
}

async function alertsOf(ruleId: string): Promise<Alert[]> {
  await es.indices.refresh({ index: [alertsIndex, alertEventsIndex] });
  const res = await es.search<Alert>({ index: alertsIndex, size: 100, query: { term: { 'rule.id': ruleId } }, sort: [{ 'alert.created': 'asc' }, { '@timestamp': 'asc' }] });
  return res.hits.hits.map((h) => h._source!);
}

const jobsOf = (jobs: Map<string, NotificationJob>): Array<[string, string]> => [...jobs.values()].map((j) => [j.alert.alert.id, j.event ?? 'opened']);

beforeAll(async () => {
  await es.indices.create({ index: alertsIndex, mappings: alertMappings() });
  await es.indices.create({ index: alertEventsIndex, mappings: alertEventMappings() });
});

afterAll(async () => {
  await es.indices.delete({ index: [alertsIndex, alertEventsIndex] }).catch(() => undefined);
  await es.indices.deleteDataStream({ name: stream }).catch(() => undefined);
  await es.close();
});

describe('repeats of a problem fold into its live alert', () => {
  it('one alert across throttle periods and batches while open or acknowledged; a new one after recovery; replays change nothing', async () => {
    const { ctx, jobs } = worker(false);
    // Two matches in one batch, then the next throttle period (a new alert before this change).
    await processBatch([line(0, 'sw1', 'down'), line(3, 'sw1', 'down'), line(1, 'sw2', 'down')], ctx);
    const second = [line(12, 'sw1', 'down')];
    await processBatch(second, ctx);
    await processBatch(second, ctx, { mayBeReplay: true }); // a replay after a crash
    let alerts = await alertsOf('link-down-false');
    expect(alerts.map((a) => [a.alert.group_key, a.alert.status])).toEqual([['host.hostname="sw1"', 'open'], ['host.hostname="sw2"', 'open']]);
    const sw1 = alerts[0]!;
    expect(sw1.alert.last_seen).toBe(at(12));
    expect((await occurrencesOf(es, alertEventsIndex, [sw1.alert.id])).get(sw1.alert.id)).toEqual({ count: 3, first: at(0), last: at(12) });
    expect(jobsOf(jobs)).toEqual([[sw1.alert.id, 'opened'], [alerts[1]!.alert.id, 'opened']]);

    // An analyst acknowledges; repeats still fold (no new alert, no notification).
    await transitionAlert(es, alertsIndex, sw1.alert.id, { kind: 'acknowledge' }, { name: 'ana', via: 'cli' });
    await processBatch([line(25, 'sw1', 'down')], ctx);
    alerts = await alertsOf('link-down-false');
    expect(alerts).toHaveLength(2);
    expect(alerts[0]!.alert).toMatchObject({ status: 'acknowledged', last_seen: at(25) });
    expect(jobs.size).toBe(2);

    // Recovered, then down again: a new alert of the same problem (same dedup key).
    await processBatch([line(30, 'sw1', 'up')], ctx);
    await processBatch([line(41, 'sw1', 'down')], ctx);
    alerts = await alertsOf('link-down-false');
    expect(alerts.map((a) => [a.alert.group_key, a.alert.status])).toEqual([['host.hostname="sw1"', 'resolved'], ['host.hostname="sw2"', 'open'], ['host.hostname="sw1"', 'open']]);
    expect(alerts[2]!.alert.dedup_key).toBe(sw1.alert.dedup_key);
    expect(alerts[2]!.alert.id).not.toBe(sw1.alert.id);
    expect(jobsOf(jobs)).toEqual([[sw1.alert.id, 'opened'], [alerts[1]!.alert.id, 'opened'], [sw1.alert.id, 'resolved'], [alerts[2]!.alert.id, 'opened']]);
    // A late repeat (event time before the recovery) joins the problem's live alert: no new alert.
    await processBatch([line(20, 'sw1', 'down')], ctx);
    expect(await alertsOf('link-down-false')).toHaveLength(3);
    expect((await occurrencesOf(es, alertEventsIndex, [alerts[2]!.alert.id])).get(alerts[2]!.alert.id)?.count).toBe(2);
    expect(jobs.size).toBe(4);
  });

  it('with haetae.reopen, a repeat after recovery reopens the alert (history by the rule, one reopened notification, replay-safe)', async () => {
    const { ctx, jobs } = worker(true);
    await processBatch([line(0, 'sw9', 'down')], ctx);
    await processBatch([line(2, 'sw9', 'up')], ctx);
    const again = [line(15, 'sw9', 'down'), line(16, 'sw9', 'down')];
    await processBatch(again, ctx);
    await processBatch(again, ctx, { mayBeReplay: true });
    const alerts = await alertsOf('link-down-true');
    expect(alerts).toHaveLength(1);
    const a = alerts[0]!;
    expect(a.alert).toMatchObject({ status: 'open', resolved_at: null, last_seen: at(16) });
    expect(a.alert.reopened_by).toMatch(/^haetae\.raw-0-\d+$/);
    expect(a.alert.history!.map((h) => [h.action, h.actor, h.via, h.from, h.to])).toEqual([
      ['resolve', 'rule:link-down-true', 'rule', 'open', 'resolved'],
      ['reopen', 'rule:link-down-true', 'rule', 'resolved', 'open'],
    ]);
    expect(jobsOf(jobs)).toEqual([[a.alert.id, 'opened'], [a.alert.id, 'resolved'], [a.alert.id, 'reopened']]);
    expect((await occurrencesOf(es, alertEventsIndex, [a.alert.id])).get(a.alert.id)?.count).toBe(3);

    // Resolved again by the next recovery: a second cycle reopens again (its own job).
    await processBatch([line(20, 'sw9', 'up')], ctx);
    await processBatch([line(31, 'sw9', 'down')], ctx);
    const [b] = await alertsOf('link-down-true');
    expect(b!.alert.status).toBe('open');
    expect(jobsOf(jobs).filter(([, e]) => e === 'reopened')).toHaveLength(2);
  });
});
