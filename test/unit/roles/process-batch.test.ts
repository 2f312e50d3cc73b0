import { compileValidators } from '../../../schemas/validators';
import { buildEnvelope, encodeEnvelope } from '../../../pipeline/envelope/envelope';
import { processBatch, type RawRecord, type RecoveryRequest, type WorkerContext } from '../../../pipeline/roles/worker/process-batch';
import type { BulkItem, ItemResult } from '../../../connectors/elasticsearch/bulk';
import type { Alert, DeadLetter, NotificationJob } from '../../../schemas/generated/types';
import { loadRuleText, type RuleProblem } from '../../../pipeline/detect/load';
import { Metrics } from '../../../pipeline/telemetry/metrics';
import pino from 'pino';
import type { CorrelateRecord } from '../../../pipeline/correlate/route';

const validators = compileValidators();
const problems: RuleProblem[] = [];
const rules = loadRuleText(
  'title: SSH failure\nid: ssh-fail\nlevel: high\ndetection:\n  sel:\n    process.name: sshd\n    message|contains: Failed password\n  condition: sel\n',
  'test.yml', validators.rule, problems,
).map((r) => r.rule);

function record(offset: number, text: string | Buffer, opts: { truncated?: number; receivedAt?: Date } = {}): RawRecord {
  const bytes = Buffer.isBuffer(text) ? text : Buffer.from(text);
  const envelope = buildEnvelope(
    { bytes, framing: 'datagram', truncated: opts.truncated !== undefined, ...(opts.truncated !== undefined ? { originalLength: opts.truncated } : {}) },
    { transport: 'udp', source: { address: '::ffff:192.0.2.10', port: 40000 }, listener: { address: '0.0.0.0', port: 5514 }, observerHostname: 'recv1', receivedAt: opts.receivedAt ?? new Date('2026-11-22T10:00:00.000Z') },
  );
  return { topic: 'haetae.raw', partition: 1, offset: String(offset), key: Buffer.from('192.0.2.10'), value: encodeEnvelope(envelope) };
}

/** In-memory sinks that behave like ours: create is idempotent per id, some documents are rejected. */
function fakeSinks(reject: (doc: BulkItem) => boolean = () => false) {
  const stored = new Map<string, object>();
  const jobs = new Map<string, NotificationJob>();
  const dead: DeadLetter[] = [];
  const correlated: CorrelateRecord[] = [];
  return {
    stored, jobs, dead, correlated,
    sinks: {
      writeDocuments: async (items: readonly BulkItem[]): Promise<ItemResult[]> => items.map((it) => {
        if (reject(it)) return { outcome: 'rejected', status: 400, type: 'document_parsing_exception', reason: 'failed to parse field [source.ip]' };
        const key = `${it.index}/${it.id}`;
        if (stored.has(key)) return { outcome: 'exists' };
        stored.set(key, it.document);
        return { outcome: 'created' };
      }),
      enqueueNotifications: async (js: ReadonlyArray<{ id: string; data: NotificationJob }>) => { for (const j of js) if (!jobs.has(j.id)) jobs.set(j.id, j.data); },
      deadLetter: async (records: readonly DeadLetter[]) => { dead.push(...records); },
      produceCorrelate: async (records: readonly CorrelateRecord[]) => { correlated.push(...records); },
      resolveAlerts: async (requests: readonly RecoveryRequest[]): Promise<Alert[]> => {
        const out: Alert[] = [];
        for (const r of requests) {
          for (const [key, doc] of stored) {
            const a = doc as Alert;
            if (!key.startsWith('haetae-alerts/') || a.rule.id !== r.ruleId || a.alert.group_key !== r.groupKey || a['@timestamp'] > r.until) continue;
            if (a.alert.status === 'resolved' && a.alert.resolved_by !== r.eventId) continue;
            a.alert = { ...a.alert, status: 'resolved', resolved_by: r.eventId };
            out.push(a);
          }
        }
        return out;
      },
    },
  };
}

function context(sinks: WorkerContext['sinks'], metrics = new Metrics()): WorkerContext {
  return {
    validateEnvelope: validators.envelope,
    rules: () => rules,
    eventsDataStream: 'logs-haetae.syslog-default',
    alertsIndex: 'haetae-alerts',
    alertEventsIndex: 'haetae-alert-events',
    channels: ['webhook'],
    sinks, metrics,
    logger: pino({ level: 'silent' }),
    now: () => new Date('2026-11-22T10:00:01.000Z'),
  };
}

describe('worker batch processing', () => {
  it('indexes parsed events under ids derived from topic/partition/offset', async () => {
    const f = fakeSinks();
    const summary = await processBatch([record(7, '<34>1 2026-11-22T09:59:59.5Z web1 su - ID47 - switched user')], context(f.sinks));
    expect(summary).toEqual({ events: 1, alerts: 0, deadLettered: 0, parseFailures: 0, correlated: 0, replayed: 0 });
    const doc = f.stored.get('logs-haetae.syslog-default/haetae.raw-1-7') as any;
    expect(doc).toMatchObject({
      '@timestamp': '2026-11-22T09:59:59.500Z',
      message: 'switched user',
      host: { hostname: 'web1' },
      agent: { type: 'haetae', name: 'recv1' },
      event: { original: '<34>1 2026-11-22T09:59:59.5Z web1 su - ID47 - switched user', created: '2026-11-22T10:00:00.000Z', ingested: '2026-11-22T10:00:01.000Z', kind: 'event' },
      log: { source: { address: '192.0.2.10', port: 40000 }, syslog: { priority: 34, facility: { code: 4, name: 'auth' }, severity: { code: 2, name: 'critical' }, appname: 'su', msgid: 'ID47' } },
      haetae: { raw: { topic: 'haetae.raw', partition: 1, offset: '7' } },
    });
    // The sender is not what the message is about: source.* is the content's (a decoder's) to fill.
    expect(doc.source).toBeUndefined();
    expect(validators.event(doc)).toBe(true);
  });

  it('raises one alert and one notification job per matching event, and none again on replay', async () => {
    const f = fakeSinks();
    const batch = [record(1, '<38>Nov 22 10:00:00 web1 sshd[811]: Failed password for root from 203.0.113.5'), record(2, '<38>Nov 22 10:00:01 web1 sshd[811]: Accepted password for alice')];
    const first = await processBatch(batch, context(f.sinks));
    expect(first.alerts).toBe(1);
    expect(f.jobs.size).toBe(1);
    const [jobId, job] = [...f.jobs][0]!;
    expect(jobId).toBe(`${job!.alert.alert.id}-webhook`);
    expect(job!.alert).toMatchObject({ rule: { id: 'ssh-fail' }, alert: { severity: 'high', status: 'open' }, events: { ids: ['haetae.raw-1-1'], count: 1 }, host: { hostname: 'web1' } });
    expect(validators.alert(job!.alert)).toBe(true);
    expect((f.stored.get('logs-haetae.syslog-default/haetae.raw-1-1') as any).haetae.rules).toEqual(['ssh-fail']);

    // A crash before the offset commit replays the same records: nothing new anywhere.
    const sizeBefore = f.stored.size;
    await processBatch(batch, context(f.sinks));
    expect(f.stored.size).toBe(sizeBefore);
    expect(f.jobs.size).toBe(1);
  });

  it('says where a batch spent its time: the Elasticsearch bulk is counted as index, in haetae_worker_seconds_total', async () => {
    const f = fakeSinks();
    const slowBulk = f.sinks.writeDocuments;
    // A bulk that takes 300 ms, as a busy Elasticsearch does.
    f.sinks.writeDocuments = async (items) => { await new Promise((r) => setTimeout(r, 300)); return slowBulk(items); };
    const metrics = new Metrics();
    await processBatch([record(1, '<38>Nov 22 10:00:00 web1 sshd[7]: Failed password for root from 198.51.100.7 port 22 ssh2')], context(f.sinks, metrics));
    const seconds = new Map((await metrics.workerSeconds.get()).values.map((v) => [v.labels.phase, v.value]));
    expect([...seconds.keys()].sort()).toEqual(['correlate', 'dead_letter', 'detect', 'index', 'notify', 'stages']);
    expect(seconds.get('index')).toBeGreaterThanOrEqual(0.29);
    // The wait is the bulk's alone, not smeared over the phases around it.
    const others = [...seconds].filter(([phase]) => phase !== 'index').reduce((a, [, v]) => a + v, 0);
    expect(others).toBeLessThan(0.29);
  });

  it('indexes unparseable messages tagged, with their raw bytes, and counts them', async () => {
    const f = fakeSinks();
    const metrics = new Metrics();
    const summary = await processBatch([record(3, Buffer.from([0x68, 0x69, 0xff, 0xfe]))], context(f.sinks, metrics));
    expect(summary.parseFailures).toBe(1);
    const doc = f.stored.get('logs-haetae.syslog-default/haetae.raw-1-3') as any;
    expect(doc.tags).toEqual(['haetae_parse_failure', 'haetae_invalid_utf8']);
    expect(doc.event.kind).toBe('pipeline_error');
    expect(doc['@timestamp']).toBe('2026-11-22T10:00:00.000Z');
    expect(Buffer.from(doc.haetae.original_base64, 'base64')).toEqual(Buffer.from([0x68, 0x69, 0xff, 0xfe]));
    expect(await metrics.value('haetae_errors_total', { stage: 'parse', error_type: 'no_pri' })).toBe(1);
  });

  it('marks truncated messages and keeps the declared length', async () => {
    const f = fakeSinks();
    await processBatch([record(4, '<13>Nov 22 10:00:00 h app: xxxx', { truncated: 100_000 })], context(f.sinks));
    const doc = f.stored.get('logs-haetae.syslog-default/haetae.raw-1-4') as any;
    expect(doc.tags).toEqual(['haetae_truncated']);
    expect(doc.haetae.truncated).toEqual({ original_length: 100_000 });
  });

  it('dead-letters a record that is not an envelope, keeping its bytes and where it came from', async () => {
    const f = fakeSinks();
    const metrics = new Metrics();
    const bad: RawRecord = { topic: 'haetae.raw', partition: 0, offset: '9', key: null, value: Buffer.from('{"v":2}') };
    const summary = await processBatch([bad, { ...bad, offset: '10', value: Buffer.from('not json') }], context(f.sinks, metrics));
    expect(summary).toMatchObject({ events: 0, deadLettered: 2 });
    expect(f.dead[0]).toMatchObject({ stage: 'decode', code: 'HAETAE_ENVELOPE_INVALID', origin: { topic: 'haetae.raw', partition: 0, offset: '9', key: null }, raw: Buffer.from('{"v":2}').toString('base64') });
    expect(f.dead[0]!.reason).toContain("must have required property 'kind'");
    expect(f.dead[1]).toMatchObject({ code: 'HAETAE_ENVELOPE_JSON' });
    expect(validators.deadLetter(f.dead[0])).toBe(true);
    expect(await metrics.value('haetae_dead_lettered_total', { stage: 'decode', error_type: 'HAETAE_ENVELOPE_JSON' })).toBe(1);
  });

  it('dead-letters a document Elasticsearch rejects, with the reason and the document', async () => {
    const f = fakeSinks((it) => it.id === 'haetae.raw-1-5');
    const summary = await processBatch([record(5, '<13>Nov 22 10:00:00 h app: one'), record(6, '<13>Nov 22 10:00:00 h app: two')], context(f.sinks));
    expect(summary).toMatchObject({ events: 2, deadLettered: 1 });
    expect(f.dead[0]).toMatchObject({ stage: 'index', code: 'HAETAE_ES_REJECTED', reason: 'document_parsing_exception: failed to parse field [source.ip]', origin: { offset: '5' } });
    expect((f.dead[0]!.document as any).message).toBe('one');
    expect(f.stored.has('logs-haetae.syslog-default/haetae.raw-1-6')).toBe(true);
  });

  it('dead-letters a refused alert with the record that triggered it', async () => {
    const f = fakeSinks((it) => it.index === 'haetae-alerts');
    await processBatch([record(20, '<13>Nov 22 10:00:00 h app: one'), record(21, '<38>Nov 22 10:00:00 web1 sshd[1]: Failed password for x')], context(f.sinks));
    expect(f.dead).toHaveLength(1);
    expect(f.dead[0]).toMatchObject({ stage: 'alert', code: 'HAETAE_ES_REJECTED', origin: { offset: '21' } });
    expect(f.jobs.size).toBe(0);
  });

  it('throttles a grouped rule: one alert and one job per group per period, every repeat recorded', async () => {
    const throttled = loadRuleText(
      'title: Flapping\nid: flap\nlevel: low\ndetection:\n  sel:\n    message|contains: changed state to down\n  condition: sel\nhaetae:\n  severity: critical\n  group-by: [host.hostname]\n  throttle: 10m\n',
      'flap.yml', validators.rule, problems,
    ).map((r) => r.rule);
    const f = fakeSinks();
    const ctx = context(f.sinks);
    ctx.rules = () => throttled;
    const line = (min: number, host: string): string => `<187>Nov 22 10:${String(min).padStart(2, '0')}:00 ${host} 457: %LINK-3-UPDOWN: Interface Gi0/1, changed state to down`;
    // Each message received a second after it was sent.
    const at = (offset: number, min: number, host: string): RawRecord => record(offset, line(min, host), { receivedAt: new Date(Date.parse('2026-11-22T10:00:01Z') + min * 60_000) });
    // 10:00–10:09 is one period for sw1 (three matches) and one for sw2; 10:12 opens the next.
    await processBatch([at(30, 0, 'sw1'), at(31, 4, 'sw1'), at(32, 1, 'sw2')], ctx);
    await processBatch([at(33, 9, 'sw1'), at(34, 12, 'sw1')], ctx);
    const alerts = [...f.stored.entries()].filter(([k]) => k.startsWith('haetae-alerts/')).map(([, v]) => v as any);
    expect(alerts.map((a) => [a.alert.group_key, a.alert.window.start, a.alert.severity])).toEqual([
      ['host.hostname="sw1"', '2026-11-22T10:00:00.000Z', 'critical'],
      ['host.hostname="sw2"', '2026-11-22T10:00:00.000Z', 'critical'],
      ['host.hostname="sw1"', '2026-11-22T10:10:00.000Z', 'critical'],
    ]);
    expect(f.jobs.size).toBe(3);
    // One problem per rule and group for ticketing: sw1's two periods share a dedup key, sw2 has its own.
    expect(alerts[0].alert.dedup_key).toBe(alerts[2].alert.dedup_key);
    expect(alerts[1].alert.dedup_key).not.toBe(alerts[0].alert.dedup_key);
    expect(alerts[0].alert.id).not.toBe(alerts[2].alert.id);
    const links = [...f.stored.entries()].filter(([k]) => k.startsWith('haetae-alert-events/')).map(([, v]) => v as any);
    const firstSw1 = alerts[0].alert.id;
    expect(links.filter((l) => l.alert.id === firstSw1).map((l) => l.event.id)).toEqual(['haetae.raw-1-30', 'haetae.raw-1-31', 'haetae.raw-1-33']);
  });

  it('resolves the open alert of the same group when the recovery rule matches, once, replays included', async () => {
    const pair = loadRuleText([
      'title: Link down\nid: link-down\ndetection:\n  sel:\n    message|contains: changed state to down\n  condition: sel\nhaetae:\n  group-by: [host.hostname]\n  recovered-by: [link-up]\n',
      'title: Link up\nid: link-up\nlevel: informational\ndetection:\n  sel:\n    message|contains: changed state to up\n  condition: sel\nhaetae:\n  channels: []\n',
    ].join('---\n'), 'link.yml', validators.rule, problems).map((r) => r.rule);
    const f = fakeSinks();
    const ctx = context(f.sinks);
    ctx.rules = () => pair;
    const line = (min: number, host: string, state: string): string => `<187>Nov 22 10:0${min}:00 ${host} 457: %LINK-3-UPDOWN: Interface Gi0/1, changed state to ${state}`;
    await processBatch([record(50, line(0, 'sw1', 'down')), record(51, line(1, 'sw2', 'down'))], ctx);
    const up = [record(52, line(2, 'sw1', 'up'))];
    await processBatch(up, ctx);
    await processBatch(up, ctx); // a replay after a crash
    const alerts = [...f.stored.entries()].filter(([k]) => k.startsWith('haetae-alerts/')).map(([, v]) => v as Alert);
    expect(alerts.filter((a) => a.rule.id === 'link-down').map((a) => [a.alert.group_key, a.alert.status])).toEqual([
      ['host.hostname="sw1"', 'resolved'],
      ['host.hostname="sw2"', 'open'],
    ]);
    const sw1 = alerts.find((a) => a.alert.group_key === 'host.hostname="sw1"')!;
    // One opened and one resolved notification for sw1 (the replay re-adds the same job id);
    // the link-up rule itself notifies nobody (channels: []).
    expect([...f.jobs.entries()].filter(([, j]) => j.alert.alert.id === sw1.alert.id).map(([id, j]) => [id, j.event ?? 'opened'])).toEqual([
      [`${sw1.alert.id}-webhook`, 'opened'],
      [`${sw1.alert.id}-resolved-webhook`, 'resolved'],
    ]);
    expect(f.jobs.size).toBe(3);
  });

  it('routes alerts only to the channels a rule names', async () => {
    const routed = loadRuleText(
      'title: Quiet\nid: quiet\ndetection:\n  sel:\n    message|contains: quiet\n  condition: sel\nhaetae:\n  channels: [pager]\n',
      'quiet.yml', validators.rule, problems,
    ).map((r) => r.rule);
    const f = fakeSinks();
    const ctx = context(f.sinks);
    ctx.rules = () => routed;
    ctx.channels = ['webhook', 'pager'];
    await processBatch([record(40, '<13>Nov 22 10:00:00 h app: quiet please')], ctx);
    expect([...f.jobs.keys()].map((k) => k.slice(33))).toEqual(['pager']);
  });

  it('keeps going when a rule throws, treating it as no match', async () => {
    const f = fakeSinks();
    const metrics = new Metrics();
    const ctx = context(f.sinks, metrics);
    const boom = { ...rules[0]!, id: 'boom', matches: () => { throw new Error('bad rule'); } };
    ctx.rules = () => [boom, ...rules];
    const failed: string[] = [];
    ctx.onRuleError = (rule) => failed.push(rule.id);
    const summary = await processBatch([record(8, '<38>Nov 22 10:00:00 web1 sshd[1]: Failed password for x')], ctx);
    expect(summary.alerts).toBe(1);
    expect(failed).toEqual(['boom']); // the worker disables it (rule-store.test.ts)
    expect(await metrics.value('haetae_errors_total', { stage: 'detect', error_type: 'rule_runtime_error' })).toBe(1);
  });
});

describe('records a receiver produced twice (a produce retry after a partial failure)', () => {
  /** The same envelope (same receiver-assigned id) stored again at another offset. */
  function twice(id: string, text: string, offsets: [number, number]): [RawRecord, RawRecord] {
    const envelope = buildEnvelope(
      { bytes: Buffer.from(text), framing: 'datagram', truncated: false },
      { transport: 'udp', source: { address: '192.0.2.10', port: 40000 }, listener: { address: '0.0.0.0', port: 5514 }, observerHostname: 'recv1', receivedAt: new Date('2026-11-22T10:00:00.000Z'), id },
    );
    expect(envelope.id).toBe(id);
    const at = (offset: number): RawRecord => ({ topic: 'haetae.raw', partition: 1, offset: String(offset), key: Buffer.from('192.0.2.10'), value: encodeEnvelope(envelope) });
    return [at(offsets[0]), at(offsets[1])];
  }
  const line = '<38>Nov 22 10:00:00 web1 sshd[1]: Failed password for root';

  it('become one event document and one alert, in separate batches', async () => {
    const f = fakeSinks();
    const [first, again] = twice('Qk3xv9LbTq2A.1f', line, [10, 912]);
    const s1 = await processBatch([first], context(f.sinks));
    const s2 = await processBatch([again], context(f.sinks));
    expect(s1).toMatchObject({ events: 1, alerts: 1, deadLettered: 0 });
    expect(s2).toMatchObject({ deadLettered: 0, replayed: 1 });
    const events = [...f.stored.keys()].filter((k) => k.startsWith('logs-haetae.syslog-default/'));
    expect(events).toEqual(['logs-haetae.syslog-default/haetae.raw-Qk3xv9LbTq2A.1f']);
    // Where the first copy was read from stays in the event.
    expect((f.stored.get(events[0]!) as any).haetae.raw).toMatchObject({ topic: 'haetae.raw', partition: 1, offset: '10' });
    expect([...f.stored.keys()].filter((k) => k.startsWith('haetae-alerts/'))).toHaveLength(1);
    expect(f.jobs.size).toBe(1);
  });

  it('become one event document and one alert in one batch', async () => {
    const f = fakeSinks();
    const summary = await processBatch(twice('Qk3xv9LbTq2A.20', line, [11, 12]), context(f.sinks));
    expect(summary).toMatchObject({ events: 1, alerts: 1, deadLettered: 0, replayed: 1 });
    expect([...f.stored.keys()].filter((k) => k.startsWith('logs-haetae.syslog-default/'))).toEqual(['logs-haetae.syslog-default/haetae.raw-Qk3xv9LbTq2A.20']);
    expect([...f.stored.keys()].filter((k) => k.startsWith('haetae-alerts/'))).toHaveLength(1);
    expect(f.jobs.size).toBe(1);
  });

  it('old records without an envelope id keep topic/partition/offset ids', async () => {
    const f = fakeSinks();
    await processBatch([record(13, line)], context(f.sinks));
    expect(f.stored.has('logs-haetae.syslog-default/haetae.raw-1-13')).toBe(true);
  });
});
