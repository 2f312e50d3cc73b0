import { alertId } from '../../../pipeline/alert/build';
import { CorrelationEngine } from '../../../pipeline/correlate/engine';
import { T0, at, randomFeed, rule, run, type Feed } from './helpers';

const failed = { id: 'r-failed', name: 'failed_login' };
const bruteForce = rule(`
title: Brute force
id: bf
correlation:
  type: event_count
  rules: [failed_login]
  group-by: [source.ip]
  timespan: 5m
  condition: { gte: 5 }
`);
const hit = (min: number, ip = '203.0.113.5', extra: object = {}): Feed[number] => ({ ref: failed, event: { source: { ip }, ...extra }, min });

describe('event_count: brute force (≥ 5 failed logins per source.ip in 5m)', () => {
  it('fires exactly once, at the 5th event', () => {
    const engine = new CorrelationEngine([bruteForce]);
    const alerts = run(engine, [hit(0), hit(1), hit(2), hit(3), hit(4), hit(4.5), hit(4.8)]);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({
      step: 4,
      ruleId: 'bf',
      groupBy: { 'source.ip': '203.0.113.5' },
      windowStart: at(0),
      windowEnd: at(5),
      eventCount: 5,
      lastEventTime: at(4),
    });
    expect(alerts[0]!.value).toBeUndefined();
    // Same sha256 scheme as single-event alerts: rule id + group key (+ window start).
    expect(alerts[0]!.alertId).toBe(alertId('bf', `["203.0.113.5"]\u0000${at(0).toISOString()}`));
    // The two events after the alert fell into the fired window: absorbed, not a second alert.
    expect(engine.stats().absorbed).toBe(2);
    expect(engine.advanceWatermark(at(60))).toEqual([]);
  });

  it('does not fire for 4 events', () => {
    const engine = new CorrelationEngine([bruteForce]);
    expect(run(engine, [hit(0), hit(1), hit(2), hit(3)])).toEqual([]);
    expect(engine.advanceWatermark(at(60))).toEqual([]);
  });

  it('does not fire for 5 events spread over 6 minutes', () => {
    const engine = new CorrelationEngine([bruteForce]);
    expect(run(engine, [hit(0), hit(1.5), hit(3), hit(4.5), hit(6)])).toEqual([]);
    expect(engine.advanceWatermark(at(60))).toEqual([]);
  });

  it('slides the window: a burst that starts after an isolated event still fires', () => {
    const engine = new CorrelationEngine([bruteForce]);
    const alerts = run(engine, [hit(0), hit(5.5), hit(6), hit(7), hit(8), hit(9)]);
    expect(alerts.map((a) => [a.step, a.windowStart.toISOString(), a.eventCount])).toEqual([[5, at(5.5).toISOString(), 5]]);
  });

  it('counts each source.ip separately and fires again in a later window', () => {
    const engine = new CorrelationEngine([bruteForce]);
    const feed: Feed = [];
    for (let i = 0; i < 5; i++) feed.push(hit(i * 0.1, '198.51.100.1'), hit(i * 0.1, '198.51.100.2'));
    for (let i = 0; i < 5; i++) feed.push(hit(10 + i * 0.1, '198.51.100.1'));
    const alerts = run(engine, feed);
    expect(alerts.map((a) => [a.groupBy['source.ip'], a.windowStart.getTime() - T0])).toEqual([
      ['198.51.100.1', 0],
      ['198.51.100.2', 0],
      ['198.51.100.1', 600_000],
    ]);
    expect(new Set(alerts.map((a) => a.alertId)).size).toBe(3);
  });

  it('ignores hits of rules it does not reference', () => {
    const engine = new CorrelationEngine([bruteForce]);
    const other = { id: 'r-other' };
    expect(run(engine, [0, 1, 2, 3, 4].map((min) => ({ ref: other, event: { source: { ip: 'x' } }, min })))).toEqual([]);
    expect(engine.stats().groups).toBe(0);
  });

  it('treats a referenced id like a referenced name', () => {
    const byId = rule('title: t\nid: c\ncorrelation: {type: event_count, rules: [r-failed], group-by: [source.ip], timespan: 5m, condition: {gte: 2}}');
    expect(run(new CorrelationEngine([byId]), [hit(0), hit(1)])).toHaveLength(1);
  });
});

describe('value_count: password spray (≥ 3 distinct user.name per source.ip in 5m)', () => {
  const spray = rule(`
title: Password spray
id: spray
correlation:
  type: value_count
  rules: [failed_login]
  group-by: [source.ip]
  timespan: 5m
  condition: { field: user.name, gte: 3 }
`);

  it('fires when the third distinct user appears', () => {
    const engine = new CorrelationEngine([spray]);
    const user = (min: number, name: string): Feed[number] => hit(min, '203.0.113.7', { user: { name } });
    const alerts = run(engine, [user(0, 'alice'), user(0.5, 'alice'), user(1, 'bob'), user(1.5, 'bob'), user(2, 'carol')]);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ step: 4, value: 3, eventCount: 5, groupBy: { 'source.ip': '203.0.113.7' } });
  });

  it('does not count the same user many times, nor events without the field', () => {
    const engine = new CorrelationEngine([spray]);
    expect(run(engine, [hit(0, 'a', { user: { name: 'alice' } }), hit(1, 'a', { user: { name: 'alice' } }), hit(2, 'a'), hit(3, 'a', { user: { name: 'bob' } })])).toEqual([]);
    expect(engine.advanceWatermark(at(60))).toEqual([]);
  });
});

describe('temporal and temporal_ordered', () => {
  const refs = { a: { id: 'ra', name: 'recon_a' }, b: { id: 'rb', name: 'recon_b' }, c: { id: 'rc', name: 'recon_c' } };
  const yaml = (type: string): string => `
title: Recon
id: recon-${type}
correlation:
  type: ${type}
  rules: [recon_a, recon_b, recon_c]
  group-by: [host.name]
  timespan: 5m
`;
  const cmd = (r: keyof typeof refs, min: number, host = 'ws1'): Feed[number] => ({ ref: refs[r], event: { host: { name: host } }, min });

  it('temporal fires when all rules were seen in the window, in any order', () => {
    const alerts = run(new CorrelationEngine([rule(yaml('temporal'))]), [cmd('c', 0), cmd('a', 1), cmd('a', 1.5), cmd('b', 2)]);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ step: 3, eventCount: 4, groupBy: { 'host.name': 'ws1' } });
  });

  it('temporal does not fire when one rule is missing, or outside the window, or on another host', () => {
    const engine = new CorrelationEngine([rule(yaml('temporal'))]);
    expect(run(engine, [cmd('a', 0), cmd('b', 1), cmd('c', 1, 'ws2'), cmd('c', 5.5)])).toEqual([]);
    expect(engine.advanceWatermark(at(60))).toEqual([]);
  });

  it('temporal_ordered fires for the listed order', () => {
    const alerts = run(new CorrelationEngine([rule(yaml('temporal_ordered'))]), [cmd('b', 0), cmd('a', 1), cmd('b', 2), cmd('c', 3)]);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ step: 3, windowStart: at(0) });
  });

  it('temporal_ordered does not fire when the order is violated', () => {
    const engine = new CorrelationEngine([rule(yaml('temporal_ordered'))]);
    expect(run(engine, [cmd('a', 0), cmd('c', 1), cmd('b', 2)])).toEqual([]);
    expect(engine.advanceWatermark(at(60))).toEqual([]);
  });
});

describe('value_sum, value_avg, value_percentile', () => {
  const web = { id: 'r-web', name: 'website_access' };
  const bytes = (min: number, n: unknown, user = 'bob'): Feed[number] => ({ ref: web, event: { user: { name: user }, bytes_sent: n }, min });
  const metric = (type: string, condition: string): ReturnType<typeof rule> => rule(`
title: ${type}
id: ${type}
correlation: { type: ${type}, rules: [website_access], group-by: [user.name], timespan: 1h, condition: ${condition} }
`);

  it('value_sum fires as soon as the sum crosses the threshold (numeric strings count, junk does not)', () => {
    const alerts = run(new CorrelationEngine([metric('value_sum', '{ field: bytes_sent, gt: 1000 }')]), [bytes(0, 400), bytes(1, 'n/a'), bytes(2, '400'), bytes(3, 300)]);
    expect(alerts.map((a) => [a.step, a.value, a.eventCount])).toEqual([[3, 1100, 4]]);
  });

  it('value_avg is decided when the window closes, not before', () => {
    const engine = new CorrelationEngine([metric('value_avg', '{ field: bytes_sent, gt: 500 }')]);
    expect(run(engine, [bytes(0, 600), bytes(10, 700), bytes(20, 200)])).toEqual([]);
    // avg(600, 700, 200) = 500 is not > 500: the first window does not fire; after sliding,
    // avg(700, 200) = 450 does not either, and avg(200) neither.
    expect(engine.advanceWatermark(at(200))).toEqual([]);
    const engine2 = new CorrelationEngine([metric('value_avg', '{ field: bytes_sent, gt: 500 }')]);
    expect(run(engine2, [bytes(0, 600), bytes(10, 700)])).toEqual([]);
    expect(engine2.advanceWatermark(at(59))).toEqual([]);
    const closed = engine2.advanceWatermark(at(60));
    expect(closed.map((a) => [a.value, a.eventCount, a.windowEnd.toISOString()])).toEqual([[650, 2, at(60).toISOString()]]);
  });

  it('value_percentile compares the nearest-rank percentile', () => {
    const engine = new CorrelationEngine([metric('value_percentile', '{ field: bytes_sent, percentile: 90, gte: 900 }')]);
    run(engine, [100, 200, 300, 400, 500, 600, 700, 800, 900, 1000].map((n, i) => bytes(i, n)));
    const alerts = engine.advanceWatermark(at(120));
    expect(alerts.map((a) => [a.value, a.eventCount])).toEqual([[900, 10]]);
  });

  it('upper bounds wait for the window to close (lt)', () => {
    const engine = new CorrelationEngine([rule('title: quiet\nid: quiet\ncorrelation: {type: event_count, rules: [website_access], group-by: [user.name], timespan: 10m, condition: {lt: 3}}')]);
    expect(run(engine, [bytes(0, 1), bytes(1, 1)])).toEqual([]);
    expect(engine.advanceWatermark(at(10)).map((a) => a.eventCount)).toEqual([2]);
  });
});

describe('event time, lateness and watermarks', () => {
  const lateBf = (): CorrelationEngine => new CorrelationEngine([rule('title: t\nid: late\ncorrelation: {type: event_count, rules: [failed_login], group-by: [source.ip], timespan: 5m, condition: {gte: 3}}')], { allowedLatenessMs: 60_000 });

  it('counts an out-of-order event within the allowed lateness', () => {
    const engine = lateBf();
    const alerts = run(engine, [hit(2), hit(3), hit(2.5)]);
    expect(alerts.map((a) => [a.step, a.windowStart.toISOString(), a.eventCount])).toEqual([[2, at(2).toISOString(), 3]]);
    expect(engine.stats().lateDropped).toBe(0);
  });

  it('drops and counts an event older than the lateness allows', () => {
    const engine = lateBf();
    expect(run(engine, [hit(7), hit(10), hit(8.5)])).toHaveLength(0); // watermark 9m: 8.5 is too late
    expect(engine.stats()).toMatchObject({ lateDropped: 1, bufferedEntries: 2 });
    // 9.2 is within the lateness: counted, and it completes 3 events in [7m, 12m).
    expect(run(engine, [hit(9.2)]).map((a) => a.eventCount)).toEqual([3]);
  });

  it('a late event moves the window start back when it is the earliest', () => {
    const engine = lateBf();
    const alerts = run(engine, [hit(3), hit(3.5), hit(2.5)]);
    expect(alerts[0]?.windowStart).toEqual(at(2.5));
  });

  it('ignores arrival order: shuffled events within lateness give the same alert', () => {
    const inOrder = run(lateBf(), [hit(1), hit(1.2), hit(1.4)]);
    const shuffled = run(lateBf(), [hit(1.4), hit(1), hit(1.2)]);
    expect(shuffled.map((a) => a.alertId)).toEqual(inOrder.map((a) => a.alertId));
  });

  it('prunes groups once the watermark passes their windows', () => {
    const engine = new CorrelationEngine([bruteForce]);
    for (let i = 0; i < 100; i++) engine.observe(failed, { source: { ip: `10.0.0.${i}` } }, at(i * 0.01));
    expect(engine.stats()).toMatchObject({ groups: 100, bufferedEntries: 100 });
    engine.advanceWatermark(at(6));
    expect(engine.stats()).toMatchObject({ groups: 0, bufferedEntries: 0 });
  });

  it('keeps a fired group only until its window has passed', () => {
    const engine = new CorrelationEngine([bruteForce]);
    run(engine, [hit(0), hit(1), hit(2), hit(3), hit(4)]);
    expect(engine.stats()).toMatchObject({ groups: 1, bufferedEntries: 0 });
    engine.advanceWatermark(at(5));
    expect(engine.stats().groups).toBe(0);
  });
});

describe('group-by, aliases, chaining, generate, determinism', () => {
  it('groups on several fields; a missing field is null and forms its own group', () => {
    const r = rule('title: t\nid: multi\ncorrelation: {type: event_count, rules: [failed_login], group-by: [source.ip, user.name], timespan: 5m, condition: {gte: 2}}');
    const engine = new CorrelationEngine([r]);
    const alerts = run(engine, [hit(0, 'a', { user: { name: 'x' } }), hit(0.1, 'a'), hit(0.2, 'a', { user: { name: 'y' } }), hit(0.3, 'a')]);
    expect(alerts.map((a) => a.groupBy)).toEqual([{ 'source.ip': 'a', 'user.name': null }]);
  });

  it('applies aliases per referenced rule (spec example: mirrored addresses)', () => {
    const r = rule(`
title: alias
id: alias
correlation:
  type: temporal
  rules: [internal_error, new_network_connection]
  group-by: [internal_ip, remote_ip]
  timespan: 10s
  aliases:
    internal_ip: { internal_error: destination.ip, new_network_connection: source.ip }
    remote_ip: { internal_error: source.ip, new_network_connection: destination.ip }
`);
    const engine = new CorrelationEngine([r]);
    const err = { id: 'r-err', name: 'internal_error' };
    const conn = { id: 'r-conn', name: 'new_network_connection' };
    const alerts = [
      ...engine.observe(err, { source: { ip: '203.0.113.9' }, destination: { ip: '10.0.0.5' } }, new Date(T0)),
      ...engine.observe(conn, { source: { ip: '10.0.0.6' }, destination: { ip: '203.0.113.9' } }, new Date(T0 + 1000)), // other internal host
      ...engine.observe(conn, { source: { ip: '10.0.0.5' }, destination: { ip: '203.0.113.9' } }, new Date(T0 + 2000)),
    ];
    expect(alerts.map((a) => a.groupBy)).toEqual([{ internal_ip: '10.0.0.5', remote_ip: '203.0.113.9' }]);
  });

  const chain = [
    rule(`
title: Multiple failed logons
id: a8418a5a-5fc4-46b5-b23b-6c73beb19d41
name: multiple_failed_login
correlation: { type: event_count, rules: [failed_login], group-by: [user.name], timespan: 10m, condition: { gte: 3 } }
`),
    rule(`
title: Failed logins followed by success
id: b180ead8-d58f-40b2-ae54-c8940995b9b6
correlation: { type: temporal_ordered, rules: [multiple_failed_login, successful_login], group-by: [user.name], timespan: 10m }
`),
  ];
  const ok = { id: 'r-ok', name: 'successful_login' };
  const login = (ref: { id: string; name?: string }, min: number, user = 'bob'): Feed[number] => ({ ref, event: { user: { name: user } }, min });

  it('chains: a correlation over a correlation', () => {
    const alerts = run(new CorrelationEngine(chain), [login(failed, 0), login(failed, 1), login(failed, 2), login(ok, 3)]);
    expect(alerts.map((a) => [a.step, a.ruleId])).toEqual([
      [2, 'a8418a5a-5fc4-46b5-b23b-6c73beb19d41'],
      [3, 'b180ead8-d58f-40b2-ae54-c8940995b9b6'],
    ]);
    expect(alerts[1]).toMatchObject({ groupBy: { 'user.name': 'bob' }, windowStart: at(2), eventCount: 2 });
  });

  it('chains: success before the failures does not fire the outer rule', () => {
    const engine = new CorrelationEngine(chain);
    const alerts = run(engine, [login(ok, 0), login(failed, 1), login(failed, 2), login(failed, 3)]);
    expect(alerts.map((a) => a.ruleId)).toEqual(['a8418a5a-5fc4-46b5-b23b-6c73beb19d41']);
    expect(engine.advanceWatermark(at(60))).toEqual([]);
  });

  it('chains: an inner alert decided at window close still reaches the outer rule', () => {
    const inner = rule('title: few\nname: few_failures\ncorrelation: {type: event_count, rules: [failed_login], group-by: [user.name], timespan: 5m, condition: {lt: 3}}');
    const outer = rule('title: outer\nid: outer\ncorrelation: {type: event_count, rules: [few_failures], group-by: [user.name], timespan: 30m, condition: {gte: 2}}');
    const engine = new CorrelationEngine([inner, outer]);
    const alerts = run(engine, [login(failed, 0), login(failed, 10), login(failed, 20)]);
    expect(alerts.map((a) => [a.step, a.ruleId])).toEqual([[1, 'few_failures'], [2, 'few_failures'], [2, 'outer']]);
  });

  it('refuses a correlation cycle', () => {
    const a = rule('title: a\nname: ca\ncorrelation: {type: event_count, rules: [cb], group-by: [u], timespan: 5m, condition: {gte: 1}}');
    const b = rule('title: b\nname: cb\ncorrelation: {type: event_count, rules: [ca], group-by: [u], timespan: 5m, condition: {gte: 1}}');
    expect(() => new CorrelationEngine([a, b])).toThrow(/reference cycle/);
  });

  it('tells the caller whether a referenced rule raises its own alerts (generate)', () => {
    const gen = rule('title: g\nid: g\ncorrelation: {type: event_count, rules: [successful_login], group-by: [u], timespan: 5m, condition: {gte: 1}, generate: true}');
    const engine = new CorrelationEngine([...chain, gen]);
    expect(engine.emitsOwnAlerts(failed)).toBe(false);
    expect(engine.emitsOwnAlerts(ok)).toBe(true);
    expect(engine.emitsOwnAlerts({ id: 'a8418a5a-5fc4-46b5-b23b-6c73beb19d41', name: 'multiple_failed_login' })).toBe(false);
    expect(engine.emitsOwnAlerts({ id: 'b180ead8-d58f-40b2-ae54-c8940995b9b6' })).toBe(true);
    expect(engine.emitsOwnAlerts({ id: 'unrelated' })).toBe(true);
  });

  it('is deterministic: the same input gives the same alerts and ids', () => {
    const feed = randomFeed(2000, 42);
    const first = run(new CorrelationEngine([bruteForce, ...chain], { allowedLatenessMs: 30_000 }), feed);
    const second = run(new CorrelationEngine([bruteForce, ...chain], { allowedLatenessMs: 30_000 }), feed);
    expect(first.length).toBeGreaterThan(5);
    expect(second).toEqual(first);
    expect(new Set(first.map((a) => a.alertId)).size).toBe(first.length);
  });
});
