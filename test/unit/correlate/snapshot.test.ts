import { CorrelationEngine, type CorrelationAlert } from '../../../pipeline/correlate/engine';
import type { CorrelationRule } from '../../../pipeline/correlate/model';
import type { CorrelationState } from '../../../pipeline/correlate/state';
import { at, randomFeed, rule, run, type Feed } from './helpers';

const failed = { id: 'r-failed', name: 'failed_login' };
const bruteForce = rule('title: bf\nid: bf\ncorrelation: {type: event_count, rules: [failed_login], group-by: [source.ip], timespan: 5m, condition: {gte: 5}}');
const avg = rule('title: avg\nid: avg\ncorrelation: {type: value_avg, rules: [failed_login], group-by: [source.ip], timespan: 5m, condition: {field: n, gt: 10}}');
const chain = [
  rule('title: inner\nname: many_failed\ncorrelation: {type: event_count, rules: [failed_login], group-by: [user.name], timespan: 2m, condition: {gte: 4}}'),
  rule('title: outer\nid: outer\ncorrelation: {type: temporal_ordered, rules: [many_failed, successful_login], group-by: [user.name], timespan: 5m}'),
];
const hit = (min: number, extra: object = {}): Feed[number] => ({ ref: failed, event: { source: { ip: '203.0.113.5' }, ...extra }, min });

/** What a checkpoint does: the state goes through JSON (Kafka/Redis) and into a fresh engine. */
const roundTrip = (rules: CorrelationRule[], engine: CorrelationEngine, lateness = 0): CorrelationEngine =>
  CorrelationEngine.restore(rules, JSON.parse(JSON.stringify(engine.snapshot())) as CorrelationState, { allowedLatenessMs: lateness });

describe('snapshot and restore', () => {
  it('continues a window after a restart and fires exactly once, with the uninterrupted id', () => {
    const feed = [hit(0), hit(1), hit(2), hit(3), hit(4), hit(4.5)];
    const uninterrupted = run(new CorrelationEngine([bruteForce]), feed);
    expect(uninterrupted).toHaveLength(1);

    const before = new CorrelationEngine([bruteForce]);
    expect(run(before, feed.slice(0, 3))).toEqual([]);
    const after = roundTrip([bruteForce], before);
    expect(after.stats()).toMatchObject({ groups: 1, bufferedEntries: 3 });
    const alerts = run(after, feed.slice(3));
    expect(alerts.map((a) => a.alertId)).toEqual(uninterrupted.map((a) => a.alertId));
    expect(after.advanceWatermark(at(60))).toEqual([]);
  });

  it('remembers a fired window, so a replayed tail does not fire again', () => {
    const engine = new CorrelationEngine([bruteForce]);
    run(engine, [hit(0), hit(1), hit(2), hit(3), hit(4)]);
    const restored = roundTrip([bruteForce], engine);
    expect(run(restored, [hit(4.2), hit(4.4)])).toEqual([]);
    expect(restored.stats().absorbed).toBe(2);
  });

  it('restores a window that is decided at close (value_avg)', () => {
    const feed = [hit(0, { n: 20 }), hit(1, { n: 5 })];
    const engine = new CorrelationEngine([avg]);
    run(engine, feed);
    const restored = roundTrip([avg], engine);
    const alerts = restored.advanceWatermark(at(5));
    expect(alerts.map((a) => [a.value, a.eventCount])).toEqual([[12.5, 2]]);
  });

  it('drops state of rules that no longer exist and keeps the rest', () => {
    const engine = new CorrelationEngine([bruteForce, avg]);
    run(engine, [hit(0, { n: 1 })]);
    const restored = CorrelationEngine.restore([bruteForce], engine.snapshot());
    expect(restored.stats()).toMatchObject({ groups: 1, bufferedEntries: 1 });
  });

  it('gives the same alerts when restarted from a checkpoint every 97 events (random stream, chaining, lateness)', () => {
    const rules = [bruteForce, avg, ...chain];
    const feed = randomFeed(3000, 7).map((f) => ({ ...f, event: { ...f.event, n: Math.round(f.min * 7) % 23 } }));
    const uninterrupted = run(new CorrelationEngine(rules, { allowedLatenessMs: 20_000 }), feed);
    expect(uninterrupted.length).toBeGreaterThan(10);
    expect(new Set(uninterrupted.map((a) => a.ruleId))).toEqual(new Set(['bf', 'avg', 'many_failed', 'outer']));

    let engine = new CorrelationEngine(rules, { allowedLatenessMs: 20_000 });
    const restarted: CorrelationAlert[] = [];
    for (let i = 0; i < feed.length; i += 97) {
      restarted.push(...run(engine, feed.slice(i, i + 97)).map(({ step: _step, ...a }) => a));
      engine = roundTrip(rules, engine, 20_000);
    }
    expect(restarted).toEqual(uninterrupted.map(({ step: _step, ...a }) => a));
  });
});
