import { CorrelationRouter, parseCorrelateMessage, type CorrelateRecord } from '../../../pipeline/correlate/route';
import { PartitionCorrelator, emptyOutput, type CorrelatorOutput, type PartitionCheckpoint } from '../../../pipeline/roles/correlator/partition';
import { T0, at, randomFeed, rule } from './helpers';

const failed = { id: 'r-failed', name: 'failed_login' };
/** The correlator's clock, injected: a day after the feeds start (records carry no receive time here). */
const CLOCK = T0 + 86_400_000;
const ok = { id: 'r-ok', name: 'successful_login' };

const bruteForce = rule(`
title: Brute force
id: bf
name: brute_force
correlation:
  type: event_count
  rules: [failed_login]
  group-by: [source.ip]
  timespan: 5m
  condition: { gte: 5 }
`);
const spray = rule(`
title: Password spray
id: spray
correlation:
  type: value_count
  rules: [failed_login]
  group-by: [source.ip]
  timespan: 10m
  condition: { field: user.name, gte: 3 }
`);
const takeover = rule(`
title: Brute force then success
id: takeover
correlation:
  type: temporal_ordered
  rules: [brute_force, successful_login]
  group-by: [ip]
  aliases:
    ip:
      brute_force: source.ip
      successful_login: source.ip
  timespan: 10m
`);

/** What the worker does: route each hit; then what Kafka does: send each record to the partition of its key. */
function partitionOf(key: string, partitions: number): number {
  let h = 0;
  for (let i = 0; i < key.length; i++) h = (Math.imul(h, 31) + key.charCodeAt(i)) | 0;
  return Math.abs(h) % partitions;
}

describe('CorrelationRouter (worker side)', () => {
  const router = new CorrelationRouter([bruteForce, spray, takeover]);

  it('keys a hit by correlation and group-by values and carries only the fields the correlation reads', () => {
    const event = { '@timestamp': at(0).toISOString(), source: { ip: '203.0.113.5' }, user: { name: 'alice' }, message: 'secret stuff', host: { hostname: 'web1' } };
    const records = router.route(failed, event, T0, 'ev-1');
    expect(records.map((r) => r.key)).toEqual([
      'correlation\u0000bf\u0000["203.0.113.5"]',
      'correlation\u0000spray\u0000["203.0.113.5"]',
    ]);
    expect(records[1]!.message).toEqual({ v: 1, kind: 'correlation', target: 'spray', ref: failed, t: T0, id: 'ev-1', fields: { 'source.ip': '203.0.113.5', 'user.name': 'alice' } });
    // Round trip through the topic.
    expect(parseCorrelateMessage(Buffer.from(JSON.stringify(records[0]!.message)))).toEqual(records[0]!.message);
    expect(parseCorrelateMessage(Buffer.from('{"v":1}'))).toBeNull();
    expect(parseCorrelateMessage(Buffer.from('not json'))).toBeNull();
  });

  it('routes a chained correlation by its alias for the inner rule, and leaves unrelated rules alone', () => {
    const records = router.route({ id: 'bf', name: 'brute_force' }, { 'source.ip': '203.0.113.5' }, T0, 'alert-1');
    expect(records.map((r) => r.key)).toEqual(['correlation\u0000takeover\u0000["203.0.113.5"]']);
    expect(router.routes({ id: 'other' })).toBe(false);
    expect(router.route({ id: 'other' }, {}, T0, 'x')).toEqual([]);
  });

  it('a rule that only feeds correlations raises no alert of its own unless one says generate', () => {
    expect(router.emitsOwnAlerts(failed)).toBe(false);
    expect(router.emitsOwnAlerts({ id: 'unrelated' })).toBe(true);
    const generating = rule(`
title: G
id: g
correlation: { type: event_count, rules: [failed_login], group-by: [source.ip], timespan: 5m, condition: { gte: 2 }, generate: true }
`);
    expect(new CorrelationRouter([bruteForce, generating]).emitsOwnAlerts(failed)).toBe(true);
  });
});

/**
 * A miniature of the deployment: hits are routed to `partitions` correlate partitions; each
 * partition's records are applied in order, with chained records appended to the target
 * partition's log as the correlator produces them.
 */
function simulate(feed: ReturnType<typeof randomFeed>, opts: { partitions: number; crashAt?: number; lateness?: number }): { alerts: CorrelatorOutput['correlationAlerts']; applied: number } {
  const router = new CorrelationRouter([bruteForce, spray, takeover]);
  const logs: CorrelateRecord[][] = Array.from({ length: opts.partitions }, () => []);
  const append = (r: CorrelateRecord): void => { logs[partitionOf(r.key, opts.partitions)]!.push(r); };
  feed.forEach((f, i) => {
    const event = { ...f.event } as object;
    for (const r of router.route(f.ref, event, at(f.min).getTime(), `ev-${i}`)) append(r);
  });
  const out = emptyOutput();
  const seen = new Set<string>();
  const options = { allowedLatenessMs: opts.lateness ?? 60_000 };
  const states = logs.map(() => new PartitionCorrelator(options));
  const saved: Array<string | undefined> = logs.map(() => undefined);
  // Round-robin over partitions, one record at a time, until every log is consumed.
  let progress = true;
  let applied = 0;
  while (progress) {
    progress = false;
    for (let p = 0; p < opts.partitions; p++) {
      const state = states[p]!;
      const next = Number(state.next ?? 0n);
      const record = logs[p]![next];
      if (!record) continue;
      progress = true;
      const local = emptyOutput();
      state.apply(record.message, BigInt(next), router, local, CLOCK);
      applied++;
      for (const c of local.chained) append(c);
      for (const a of local.correlationAlerts) {
        // The alerts index and job queue deduplicate by id: count each alert once.
        if (!seen.has(a.alert.alertId)) { seen.add(a.alert.alertId); out.correlationAlerts.push(a); }
      }
      if (applied % 37 === 0) saved[p] = JSON.stringify(state.checkpoint());
      if (opts.crashAt !== undefined && applied === opts.crashAt) {
        // kill -9 of everything: each partition restarts from its last checkpoint (alerts and
        // chained records since then were already stored) and replays its log from there.
        // The log before each checkpoint is gone too (retention), so only a restored state can go on.
        for (let q = 0; q < opts.partitions; q++) {
          const cp = saved[q] ? (JSON.parse(saved[q]!) as PartitionCheckpoint) : null;
          states[q] = cp ? PartitionCorrelator.restore(cp, router, options, CLOCK) : new PartitionCorrelator(options);
          for (let i = 0; i < Number(cp?.next ?? 0); i++) delete logs[q]![i];
        }
      }
    }
  }
  for (const state of states) {
    const local = emptyOutput();
    state.advanceIdle(24 * 3_600_000, router, local);
    for (const a of local.correlationAlerts) if (!seen.has(a.alert.alertId)) { seen.add(a.alert.alertId); out.correlationAlerts.push(a); }
  }
  return { alerts: out.correlationAlerts, applied };
}

describe('PartitionCorrelator (correlator side)', () => {
  const summary = (alerts: CorrelatorOutput['correlationAlerts']): string[] =>
    alerts.map((a) => `${a.alert.ruleId} ${JSON.stringify(a.alert.groupBy)} ${a.alert.windowStart.toISOString()} ${a.alert.eventCount} ${a.alert.alertId}`).sort();

  it('finds the same alerts whatever the number of partitions (group-by, not arrival, decides)', () => {
    const feed = randomFeed(600, 7);
    const one = summary(simulate(feed, { partitions: 1 }).alerts);
    expect(one.length).toBeGreaterThan(3);
    expect(one.some((s) => s.startsWith('takeover'))).toBe(true); // chaining crosses partitions
    expect(summary(simulate(feed, { partitions: 3 }).alerts)).toEqual(one);
    expect(summary(simulate(feed, { partitions: 7 }).alerts)).toEqual(one);
  });

  it('restored from checkpoints mid-stream, it raises exactly the alerts of an uninterrupted run', () => {
    const feed = randomFeed(600, 11);
    const clean = simulate(feed, { partitions: 3 });
    const expected = summary(clean.alerts);
    for (const crashAt of [1, 50, 333, 640]) {
      const crashed = simulate(feed, { partitions: 3, crashAt });
      expect(summary(crashed.alerts)).toEqual(expected);
      expect(crashed.applied).toBeGreaterThan(clean.applied); // records after the checkpoints were replayed
    }
  });

  it('ignores a redelivered observation (same event id) and says so', () => {
    const router = new CorrelationRouter([bruteForce]);
    const p = new PartitionCorrelator({ allowedLatenessMs: 0 });
    const out = emptyOutput();
    const records = [0, 1, 2, 3].map((i) => router.route(failed, { source: { ip: '10.0.0.1' } }, at(i).getTime(), `ev-${i}`)[0]!);
    let offset = 0n;
    for (const r of [...records, records[3]!]) p.apply(r.message, offset++, router, out, CLOCK); // the 4th again: a worker replay
    expect(out.correlationAlerts).toHaveLength(0);
    expect(p.takeCounters().duplicates).toBe(1);
    p.apply(router.route(failed, { source: { ip: '10.0.0.1' } }, at(4).getTime(), 'ev-4')[0]!.message, offset++, router, out, CLOCK);
    expect(out.correlationAlerts.map((a) => a.alert.eventCount)).toEqual([5]);
    expect(out.correlationAlerts[0]!.alert.eventIds).toEqual(['ev-0', 'ev-1', 'ev-2', 'ev-3', 'ev-4']);
    expect(p.next).toBe(offset);
  });

  it('counts late observations and closes end-decided windows when the partition goes quiet', () => {
    const few = rule(`
title: Few
id: few
correlation: { type: event_count, rules: [failed_login], group-by: [source.ip], timespan: 5m, condition: { lt: 3 } }
`);
    const router = new CorrelationRouter([few]);
    const p = new PartitionCorrelator({ allowedLatenessMs: 30_000 });
    const out = emptyOutput();
    p.apply(router.route(failed, { source: { ip: '10.0.0.1' } }, at(10).getTime(), 'a')[0]!.message, 0n, router, out, CLOCK);
    p.apply(router.route(failed, { source: { ip: '10.0.0.1' } }, at(1).getTime(), 'late')[0]!.message, 1n, router, out, CLOCK);
    expect(p.takeCounters().late).toBe(1);
    expect(out.correlationAlerts).toHaveLength(0);
    p.advanceIdle(60_000, router, out); // a minute of silence: not yet past 10:15
    expect(out.correlationAlerts).toHaveLength(0);
    p.advanceIdle(6 * 60_000, router, out);
    expect(out.correlationAlerts.map((a) => a.alert.eventCount)).toEqual([1]);
  });

  it('follows a reload: a changed correlation keeps its open windows, a removed one is dropped', () => {
    const router1 = new CorrelationRouter([bruteForce]);
    const p = new PartitionCorrelator({ allowedLatenessMs: 0 });
    const out = emptyOutput();
    for (let i = 0; i < 3; i++) p.apply(router1.route(failed, { source: { ip: '10.0.0.1' } }, at(i).getTime(), `e${i}`)[0]!.message, BigInt(i), router1, out, CLOCK);
    const lower = rule(`
title: Brute force
id: bf
name: brute_force
correlation: { type: event_count, rules: [failed_login], group-by: [source.ip], timespan: 5m, condition: { gte: 4 } }
`);
    const router2 = new CorrelationRouter([lower]);
    p.sync(router2);
    p.apply(router2.route(failed, { source: { ip: '10.0.0.1' } }, at(3).getTime(), 'e3')[0]!.message, 3n, router2, out, CLOCK);
    expect(out.correlationAlerts.map((a) => a.alert.eventCount)).toEqual([4]);
    p.sync(new CorrelationRouter([]));
    expect(p.checkpoint().correlations).toEqual({});
    p.apply(router2.route(failed, { source: { ip: '10.0.0.1' } }, at(4).getTime(), 'e4')[0]!.message, 4n, new CorrelationRouter([]), out, CLOCK);
    expect(out.unknownTarget).toBe(1);
  });

  it('does not mix up successful logins with failures', () => {
    const router = new CorrelationRouter([bruteForce]);
    expect(router.route(ok, { source: { ip: '10.0.0.1' } }, T0, 'x')).toEqual([]);
  });
});
