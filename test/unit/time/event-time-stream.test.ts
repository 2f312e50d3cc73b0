/**
 * Event time through the real worker and correlator classes with the shipped rules: decode →
 * parse → normalize → time policy → detect → route (processBatch) → the correlate topic's
 * partition engines (PartitionCorrelator). Only the sinks are in memory. Every scenario runs at
 * several instants — now, just before a New Year, a leap day — and stamps its messages relative to
 * that instant, so none of it depends on today's date.
 */
import path from 'node:path';
import pino from 'pino';
import { compileValidators } from '../../../schemas/validators';
import { buildEnvelope, encodeEnvelope } from '../../../pipeline/envelope/envelope';
import { processBatch, type RawRecord, type WorkerContext } from '../../../pipeline/roles/worker/process-batch';
import { shippedDecoders } from '../../../pipeline/decoders/shipped';
import type { BulkItem, ItemResult } from '../../../connectors/elasticsearch/bulk';
import type { HaetaeEvent } from '../../../schemas/generated/types';
import { loadRules } from '../../../pipeline/detect/load';
import { absenceRuleOf } from '../../../pipeline/correlate/absence';
import { CorrelationRouter, parseCorrelateMessage, type CorrelateMessage, type CorrelateRecord } from '../../../pipeline/correlate/route';
import { PartitionCorrelator, emptyOutput, type CorrelatorOutput } from '../../../pipeline/roles/correlator/partition';
import { Metrics } from '../../../pipeline/telemetry/metrics';
import { DEFAULT_TIME_POLICY } from '../../../pipeline/time/policy';
import { SourceZones } from '../../../pipeline/time/source-zones';
import { bsdTimestamp, wholeSeconds } from '../../support/syslog-time';

const validators = compileValidators();
const set = loadRules([path.join(__dirname, '..', '..', '..', 'rules')], validators.rule);
const router = new CorrelationRouter(set.correlations, set.rules.flatMap((r) => absenceRuleOf(r) ?? []));
const SSH_FAILURE = '4f1c8a52-2a7e-4b0e-9d43-6d9b3c1f7a01';
const BRUTE_FORCE = '7c0e5a8f-3d1b-4e2a-9f6c-8b7d6e5f4a31';
const STOPPED_LOGGING = '3b9d2f6e-7c41-4a8e-b5d0-9e2f1a6c7d84';
const LATENESS = 30_000;
const MIN = 60_000;

interface Sent { text: string; receivedAt: number; source?: string }

/** One worker and one correlate partition, fed in order, as one process of `haetae run worker` would. */
class Pipeline {
  readonly events = new Map<string, HaetaeEvent>();
  readonly metrics = new Metrics();
  readonly out: CorrelatorOutput = emptyOutput();
  pc = new PartitionCorrelator({ allowedLatenessMs: LATENESS, maxFutureMs: DEFAULT_TIME_POLICY.maxFutureMs });
  private rawOffset = 0;
  private correlateOffset = 0n;

  constructor(private readonly zones?: SourceZones) {}

  async send(batch: Sent[], nowMs: number): Promise<void> {
    const records: RawRecord[] = batch.map((m) => {
      const bytes = Buffer.from(m.text);
      const envelope = buildEnvelope(
        { bytes, framing: 'datagram', truncated: false },
        { transport: 'udp', source: { address: m.source ?? '192.0.2.10', port: 514 }, listener: { address: '0.0.0.0', port: 5514 }, observerHostname: 'recv', receivedAt: new Date(m.receivedAt) },
      );
      return { topic: 'haetae.raw', partition: 0, offset: String(this.rawOffset++), key: null, value: encodeEnvelope(envelope) };
    });
    const produced: CorrelateRecord[] = [];
    const ctx: WorkerContext = {
      validateEnvelope: validators.envelope,
      rules: () => set.rules,
      router: () => router,
      eventsDataStream: 'events', alertsIndex: 'alerts', alertEventsIndex: 'alert-events', channels: [],
      metrics: this.metrics,
      logger: pino({ level: 'silent' }),
      now: () => new Date(nowMs),
      time: { policy: DEFAULT_TIME_POLICY, ...(this.zones ? { zones: this.zones } : {}) },
      // The shipped decoders read the attacker's address (source.ip) the brute force groups by.
      decoders: () => shippedDecoders(),
      sinks: {
        writeDocuments: async (items: readonly BulkItem[]): Promise<ItemResult[]> => items.map((it) => {
          if (it.index === 'events') this.events.set(it.id, it.document as HaetaeEvent);
          return { outcome: 'created' };
        }),
        enqueueNotifications: async () => undefined,
        deadLetter: async () => undefined,
        resolveAlerts: async () => [],
        produceCorrelate: async (rs) => { produced.push(...rs); },
      },
    };
    await processBatch(records, ctx);
    // Through the topic's bytes, as the correlator reads them.
    for (const r of produced) this.apply(parseCorrelateMessage(Buffer.from(JSON.stringify(r.message)))!, nowMs);
  }

  apply(msg: CorrelateMessage, nowMs: number, via: CorrelationRouter = router): void {
    this.pc.apply(msg, this.correlateOffset++, via, this.out, nowMs);
  }

  event(needle: string): HaetaeEvent {
    const found = [...this.events.values()].filter((e) => e.message.includes(needle));
    if (found.length !== 1) throw new Error(`expected one event with '${needle}', found ${found.length}`);
    return found[0]!;
  }

  alerts(ruleId: string): Array<Record<string, unknown>> {
    return [
      ...this.out.correlationAlerts.filter((a) => a.rule.id === ruleId || a.rule.key === ruleId).map((a) => a.alert.groupBy),
      ...this.out.absenceAlerts.filter((a) => a.rule.id === ruleId).map((a) => a.alert.groupBy),
    ];
  }
}

const heartbeat = (host: string, at: number): Sent => ({ text: `<30>${bsdTimestamp(new Date(at))} ${host} cron[100]: (root) CMD (run-parts /etc/cron.hourly)`, receivedAt: at });
const sshFailure = (host: string, at: number, i: number): Sent => ({ text: `<38>${bsdTimestamp(new Date(at))} ${host} sshd[811]: Failed password for root from 203.0.113.5 port ${52000 + i} ssh2`, receivedAt: at });
const from2099 = (at: number): Sent => ({ text: '<34>1 2099-01-01T00:00:00Z rogue app - - - a clock gone wrong', receivedAt: at });
/** Twenty failures on web1, five seconds apart, starting at `start`. */
const failures = (start: number): Sent[] => Array.from({ length: 20 }, (_, i) => sshFailure('web1', start + i * 5_000, i));

const INSTANTS: Array<[string, number]> = [
  ['now', wholeSeconds(new Date()).getTime()],
  ['two minutes before a New Year', Date.parse('2026-12-31T23:58:00Z')],
  ['a leap day', Date.parse('2028-02-29T12:00:00Z')],
];

describe.each(INSTANTS)('event time at %s', (_label, T) => {
  it('one message stamped 2099 neither blinds correlation nor trips absence rules: the brute force that follows is found', async () => {
    const p = new Pipeline();
    await p.send([heartbeat('web1', T), heartbeat('web2', T), heartbeat('web3', T)], T);
    await p.send([from2099(T + MIN)], T + MIN);
    await p.send(failures(T + 2 * MIN), T + 4 * MIN);

    const rogue = p.event('a clock gone wrong');
    expect(rogue['@timestamp']).toBe(new Date(T + MIN).toISOString());
    expect(rogue.haetae.time).toEqual({ original: '2099-01-01T00:00:00.000Z', correction: 'future', skew_ms: Date.parse('2099-01-01T00:00:00Z') - (T + MIN) });
    expect(rogue.tags).toContain('haetae_timestamp_corrected');
    expect(await p.metrics.value('haetae_time_corrected_total', { direction: 'future' })).toBe(1);

    expect(p.alerts(BRUTE_FORCE)).toEqual([{ 'source.ip': '203.0.113.5' }]);
    expect(p.alerts(STOPPED_LOGGING)).toEqual([]);
    expect(p.pc.takeCounters().late).toBe(0);

    // Absence still works: web2 and web3 (and the rogue host) went quiet after their one message.
    // Stream time stands at the last failure, T + 3m35s; web2's deadline is T + 15m.
    p.pc.advanceIdle(11 * MIN, router, p.out);
    expect(p.alerts(STOPPED_LOGGING)).toEqual([]);
    p.pc.advanceIdle(14 * MIN, router, p.out);
    expect(p.alerts(STOPPED_LOGGING).map((g) => g['host.hostname']).sort()).toEqual(['rogue', 'web2', 'web3']);
  });

  it('a checkpoint saved after a 2099 record (by a version without the bound) is pulled back on restore', async () => {
    const p = new Pipeline();
    await p.send([heartbeat('web1', T), heartbeat('web2', T)], T);
    // What an older worker produced: no receive time, and event time taken at its word; the old
    // correlator then ran stream time to 2099 and declared every host silent.
    const legacy = { v: 1 as const, kind: 'absence' as const, target: STOPPED_LOGGING, ref: { id: STOPPED_LOGGING }, t: Date.parse('2099-01-01T00:00:00Z'), id: 'legacy-1', fields: { 'host.hostname': 'rogue' } };
    // (That version never forgot silent groups either.)
    const oldRouter = new CorrelationRouter(set.correlations, set.rules.flatMap((r) => absenceRuleOf(r) ?? []).map((a) => ({ ...a, forgetAfterMs: 1e15 })));
    p.pc.sync(oldRouter);
    p.apply(legacy, Date.parse('2099-01-01T00:00:00Z'), oldRouter);
    expect(p.alerts(STOPPED_LOGGING).map((g) => g['host.hostname']).sort()).toEqual(['web1', 'web2']);
    const saved = JSON.parse(JSON.stringify(p.pc.checkpoint()));

    // Restart one minute later: the restored partition must count the failures that follow.
    p.pc = PartitionCorrelator.restore(saved, router, { allowedLatenessMs: LATENESS, maxFutureMs: DEFAULT_TIME_POLICY.maxFutureMs }, T + MIN);
    expect(p.pc.restoredClamped).toBeGreaterThan(0);
    p.out.absenceAlerts.length = 0;
    await p.send(failures(T + 2 * MIN), T + 4 * MIN);
    expect(p.alerts(BRUTE_FORCE)).toEqual([{ 'source.ip': '203.0.113.5' }]);
    expect(p.pc.takeCounters().late).toBe(0);
    // web1's false absence alert is resolved by its next message; no new absence alert was raised.
    expect(p.out.recoveries.map((r) => r.recovery.groupBy)).toEqual([{ 'host.hostname': 'web1' }]);
    expect(p.alerts(STOPPED_LOGGING)).toEqual([]);
  });

  it('a legacy record stamped 2099 (no receive time) is taken at the correlator\'s clock, not at its word', async () => {
    const p = new Pipeline();
    await p.send([heartbeat('web1', T), heartbeat('web2', T)], T);
    p.apply({ v: 1, kind: 'absence', target: STOPPED_LOGGING, ref: { id: STOPPED_LOGGING }, t: Date.parse('2099-01-01T00:00:00Z'), id: 'legacy-1', fields: { 'host.hostname': 'rogue' } }, T + MIN);
    expect(p.pc.futureClamped).toBe(1);
    await p.send(failures(T + 2 * MIN), T + 4 * MIN);
    expect(p.alerts(STOPPED_LOGGING)).toEqual([]);
    expect(p.alerts(BRUTE_FORCE)).toEqual([{ 'source.ip': '203.0.113.5' }]);
  });

  it('a sender whose clock runs a few minutes fast keeps its time but does not make others late', async () => {
    const p = new Pipeline();
    const fast = 4 * MIN; // inside maxFutureMs: believed
    await p.send([{ ...sshFailure('fast', T + fast, 0), receivedAt: T }], T);
    const e = p.event('port 52000');
    expect(e['@timestamp']).toBe(new Date(T + fast).toISOString());
    expect(e.haetae.time).toBeUndefined();
    // web1's failures a minute later are on time for everyone else.
    await p.send(failures(T + MIN), T + 3 * MIN);
    expect(p.pc.takeCounters().late).toBe(0);
    expect(p.alerts(BRUTE_FORCE)).toEqual([{ 'source.ip': '203.0.113.5' }]);
  });

  it('a BSD timestamp two days ahead is dated in the year it names, kept as the original, and the event at its receive time', async () => {
    const p = new Pipeline();
    const ahead = T + 2 * 86_400_000;
    await p.send([{ text: `<13>${bsdTimestamp(new Date(ahead))} web1 app: two days ahead`, receivedAt: T }], T);
    const e = p.event('two days ahead');
    expect(e.haetae.time?.original).toBe(new Date(ahead).toISOString());
    expect(e.haetae.time?.correction).toBe('future');
    expect(e['@timestamp']).toBe(new Date(T).toISOString());
  });

  it('a UTC+9 sender configured as Asia/Seoul lands at the right instant; unconfigured, it is corrected and counted', async () => {
    const line = (): Sent => ({ text: `<13>${bsdTimestamp(new Date(T), 9 * 60)} seoul1 app: local time`, receivedAt: T + 1_000, source: '198.51.100.7' });
    const configured = new Pipeline(new SourceZones([{ sources: ['198.51.100.0/24'], zone: 'Asia/Seoul' }]));
    await configured.send([line()], T + 1_000);
    const e = configured.event('local time');
    expect(e['@timestamp']).toBe(new Date(T).toISOString());
    expect(e.haetae.time).toEqual({ zone: 'Asia/Seoul' });
    expect(e.tags ?? []).not.toContain('haetae_timestamp_corrected');

    const unconfigured = new Pipeline();
    await unconfigured.send([line()], T + 1_000);
    const u = unconfigured.event('local time');
    expect(u['@timestamp']).toBe(new Date(T + 1_000).toISOString());
    expect(u.haetae.time).toMatchObject({ correction: 'future', original: new Date(T + 9 * 3_600_000).toISOString() });
  });

  it('a device whose clock reset to 1970 is dated at its receive time; a relayed backlog of a few hours keeps its own time', async () => {
    const p = new Pipeline();
    await p.send([
      { text: '<13>1 1970-01-01T00:00:07Z sw1 app - - - booted without a clock', receivedAt: T },
      { text: `<13>${bsdTimestamp(new Date(T - 3 * 3_600_000))} web1 app: relayed three hours late`, receivedAt: T },
    ], T);
    expect(p.event('without a clock')['@timestamp']).toBe(new Date(T).toISOString());
    expect(p.event('without a clock').haetae.time?.correction).toBe('past');
    expect(p.event('relayed three hours late')['@timestamp']).toBe(new Date(T - 3 * 3_600_000).toISOString());
    expect(await p.metrics.value('haetae_time_corrected_total', { direction: 'past' })).toBe(1);
  });
});

it('references the shipped rules it relies on', () => {
  const ids = new Set([...set.rules.map((r) => r.id), ...set.correlations.map((c) => c.key)]);
  for (const id of [SSH_FAILURE, BRUTE_FORCE, STOPPED_LOGGING]) expect(ids).toContain(id);
});
