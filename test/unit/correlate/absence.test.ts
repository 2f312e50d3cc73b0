import { alertId } from '../../../pipeline/alert/build';
import { AbsenceTracker, absenceRuleOf, type AbsenceResult, type AbsenceRule, type AbsenceState } from '../../../pipeline/correlate/absence';
import { loadRuleText, type RuleProblem } from '../../../pipeline/detect/load';
import { compileValidators } from '../../../schemas/validators';
import { at } from './helpers';

const quiet: AbsenceRule = { id: 'quiet', title: 'Device stopped logging', level: 'medium', groupBy: ['host.hostname'], timespanMs: 15 * 60_000, timespan: '15m' };
const cron: AbsenceRule = { id: 'cron', title: 'cron stopped', groupBy: ['host.hostname', 'process.name'], timespanMs: 5 * 60_000, timespan: '5m' };
const host = (name: string | null, extra: object = {}): object => ({ host: { hostname: name }, ...extra });

type Step = { rule?: string; host?: string | null; min: number; advance?: boolean };
type Flat = { step: number; kind: 'alert' | 'recovery'; ruleId: string; group: unknown; id: string; time: string };

/** Runs steps (heartbeats, or watermark moves with `advance`) and flattens what each returned. */
function drive(tracker: AbsenceTracker, steps: readonly Step[], from = 0): Flat[] {
  const out: Flat[] = [];
  steps.forEach((s, i) => {
    const res: AbsenceResult = s.advance ? tracker.advanceWatermark(at(s.min)) : tracker.observe(s.rule ?? 'quiet', host(s.host ?? 'web1', { process: { name: 'cron' } }), at(s.min));
    for (const a of res.alerts) out.push({ step: from + i, kind: 'alert', ruleId: a.ruleId, group: a.groupBy, id: a.alertId, time: a.lastSeen.toISOString() });
    for (const r of res.recoveries) out.push({ step: from + i, kind: 'recovery', ruleId: r.ruleId, group: r.groupBy, id: r.alertId, time: r.at.toISOString() });
  });
  return out;
}

describe('absence tracker', () => {
  it('fires once per silence, when the watermark reaches last seen + timespan, not before', () => {
    const t = new AbsenceTracker([quiet]);
    expect(drive(t, [{ min: 0 }, { min: 5 }, { min: 19.99, host: 'web2' }])).toEqual([]);
    const res = t.observe('quiet', host('web2'), at(20));
    expect(res.recoveries).toEqual([]);
    expect(res.alerts).toEqual([{
      ruleId: 'quiet', groupBy: { 'host.hostname': 'web1' }, lastSeen: at(5), deadline: at(20),
      alertId: alertId('quiet', `${JSON.stringify(['web1'])}\u0000${at(5).toISOString()}`),
    }]);
    // Still silent: no second alert however far time goes.
    expect(drive(t, [{ min: 40, host: 'web2' }, { min: 600, advance: true }]).filter((x) => x.group && (x.group as Record<string, unknown>)['host.hostname'] === 'web1')).toEqual([]);
    expect(t.stats()).toEqual({ groups: 2, absent: 2, lateDropped: 0, watermark: at(600) });
  });

  it('a heartbeat just before the deadline keeps the group alive; one at the deadline does not', () => {
    const early = new AbsenceTracker([quiet]);
    expect(drive(early, [{ min: 0 }, { min: 14.99 }, { min: 29.98, advance: true }])).toEqual([]);
    const onTime = new AbsenceTracker([quiet]);
    const got = drive(onTime, [{ min: 0 }, { min: 15 }]);
    expect(got.map((g) => [g.step, g.kind, g.time])).toEqual([[1, 'alert', at(0).toISOString()], [1, 'recovery', at(15).toISOString()]]);
  });

  it('the next heartbeat reports a recovery naming the open alert, and tracking restarts from it', () => {
    const t = new AbsenceTracker([quiet]);
    const got = drive(t, [{ min: 0 }, { min: 20, advance: true }, { min: 30 }, { min: 44.9, advance: true }, { min: 45, advance: true }]);
    expect(got.map((g) => [g.step, g.kind, g.time])).toEqual([
      [1, 'alert', at(0).toISOString()],
      [2, 'recovery', at(30).toISOString()],
      [4, 'alert', at(30).toISOString()],
    ]);
    expect(got[1]!.id).toBe(got[0]!.id);
    expect(got[2]!.id).not.toBe(got[0]!.id);
    expect(t.stats().absent).toBe(1);
  });

  it('groups by every group-by field; a missing field groups under null', () => {
    const t = new AbsenceTracker([cron]);
    t.observe('cron', host('a', { process: { name: 'cron' } }), at(0));
    t.observe('cron', host('a', { process: { name: 'anacron' } }), at(1));
    t.observe('cron', {}, at(2));
    const res = t.advanceWatermark(at(10));
    expect(res.alerts.map((a) => a.groupBy)).toEqual([
      { 'host.hostname': 'a', 'process.name': 'cron' },
      { 'host.hostname': 'a', 'process.name': 'anacron' },
      { 'host.hostname': null, 'process.name': null },
    ]);
  });

  it('ignores rule ids it does not track, without moving the watermark', () => {
    const t = new AbsenceTracker([quiet]);
    expect(t.tracks('quiet')).toBe(true);
    expect(t.tracks('other')).toBe(false);
    t.observe('quiet', host('web1'), at(0));
    expect(t.observe('other', host('web1'), at(100))).toEqual({ alerts: [], recoveries: [] });
    expect(t.stats()).toMatchObject({ groups: 1, absent: 0, watermark: at(0) });
  });

  it('drops and counts heartbeats older than the watermark, and waits allowedLatenessMs for late ones', () => {
    const strict = new AbsenceTracker([quiet]);
    drive(strict, [{ min: 0 }, { min: 10, host: 'web2' }]);
    expect(strict.observe('quiet', host('web1'), at(9)).alerts).toEqual([]);
    expect(strict.stats().lateDropped).toBe(1);

    // With 5 minutes of lateness, web2 at 20 puts the watermark at 15: web1 (deadline 15) is due…
    const lax = () => new AbsenceTracker([quiet], { allowedLatenessMs: 5 * 60_000 });
    const a = lax();
    expect(drive(a, [{ min: 0 }, { min: 20, host: 'web2' }]).map((x) => x.kind)).toEqual(['alert']);
    // …but a late web1 heartbeat at 14.5 that arrives before that saves it.
    const b = lax();
    expect(drive(b, [{ min: 0 }, { min: 19, host: 'web2' }, { min: 14.5 }, { min: 20, host: 'web2' }, { min: 29.4, host: 'web2' }])).toEqual([]);
    expect(b.stats().lateDropped).toBe(0);
  });

  it('with lateness, a heartbeat after a deadline not yet decided waits: the absence still fires, then recovers', () => {
    const t = new AbsenceTracker([quiet], { allowedLatenessMs: 10 * 60_000 });
    // web1 at 0 (due 15), web1 again at 20: not a heartbeat for the 15 deadline, which is still open.
    expect(drive(t, [{ min: 0 }, { min: 20 }])).toEqual([]);
    const got = drive(t, [{ min: 25, host: 'web2' }], 2);
    expect(got.map((g) => [g.step, g.kind, g.time])).toEqual([[2, 'alert', at(0).toISOString()], [2, 'recovery', at(20).toISOString()]]);
    expect(got[1]!.id).toBe(got[0]!.id);
    // Tracking restarted at 20: due at 35, decided when the watermark (max − 10m) reaches it.
    expect(drive(t, [{ min: 44.9, host: 'web2' }])).toEqual([]);
    expect(drive(t, [{ min: 45, host: 'web2' }]).map((g) => [g.kind, g.time])).toEqual([['alert', at(20).toISOString()]]);
  });

  it('decides groups due together in a fixed order (deadline, rule order, group values)', () => {
    const forward = new AbsenceTracker([quiet, cron]);
    const backward = new AbsenceTracker([quiet, cron]);
    const hosts = ['c', 'a', 'b'];
    for (const h of hosts) forward.observe('cron', host(h, { process: { name: 'cron' } }), at(0));
    for (const h of [...hosts].reverse()) backward.observe('cron', host(h, { process: { name: 'cron' } }), at(0));
    forward.observe('quiet', host('z'), at(0));
    backward.observe('quiet', host('z'), at(0));
    const f = forward.advanceWatermark(at(100));
    const b = backward.advanceWatermark(at(100));
    expect(f).toEqual(b);
    expect(f.alerts.map((a) => [a.ruleId, a.groupBy['host.hostname']])).toEqual([['cron', 'a'], ['cron', 'b'], ['cron', 'c'], ['quiet', 'z']]);
  });

  it('gives the same alerts and ids on every run of the same input', () => {
    const feed = randomSteps(2000, 11);
    const one = drive(new AbsenceTracker([quiet, cron], { allowedLatenessMs: 60_000 }), feed);
    const two = drive(new AbsenceTracker([quiet, cron], { allowedLatenessMs: 60_000 }), feed);
    expect(one.length).toBeGreaterThan(20);
    expect(one.some((x) => x.kind === 'recovery')).toBe(true);
    expect(two).toEqual(one);
  });

  it('refuses rules it cannot track', () => {
    expect(() => new AbsenceTracker([{ ...quiet, groupBy: [] }])).toThrow(/groupBy/);
    expect(() => new AbsenceTracker([{ ...quiet, timespanMs: 0 }])).toThrow(/timespanMs/);
    expect(() => new AbsenceTracker([quiet, quiet])).toThrow(/twice/);
    expect(() => new AbsenceTracker([quiet]).observe('quiet', {}, new Date(NaN))).toThrow(RangeError);
  });
});

describe('absence snapshot and restore', () => {
  const roundTrip = (rules: AbsenceRule[], t: AbsenceTracker, lateness = 0): AbsenceTracker =>
    AbsenceTracker.restore(rules, JSON.parse(JSON.stringify(t.snapshot())) as AbsenceState, { allowedLatenessMs: lateness });

  it('restored mid-window, decides exactly as the uninterrupted tracker', () => {
    const steps: Step[] = [{ min: 0 }, { min: 3, host: 'web2' }, { min: 10 }, { min: 20, host: 'web2' }, { min: 26, host: 'web2' }, { min: 30 }, { min: 60, advance: true }];
    const uninterrupted = drive(new AbsenceTracker([quiet]), steps);
    // web2 is quiet 3 → 20 (due 18), web1 10 → 30 (due 25); at 60 both are quiet again.
    expect(uninterrupted.map((x) => [x.step, x.kind, (x.group as Record<string, string>)['host.hostname'], x.time.slice(11, 16)])).toEqual([
      [3, 'alert', 'web2', '10:03'], [3, 'recovery', 'web2', '10:20'],
      [4, 'alert', 'web1', '10:10'], [5, 'recovery', 'web1', '10:30'],
      [6, 'alert', 'web2', '10:26'], [6, 'alert', 'web1', '10:30'],
    ]);
    for (let cut = 1; cut < steps.length; cut++) {
      const before = new AbsenceTracker([quiet]);
      const head = drive(before, steps.slice(0, cut));
      const tail = drive(roundTrip([quiet], before), steps.slice(cut), cut);
      expect([...head, ...tail]).toEqual(uninterrupted);
    }
  });

  it('keeps an open alert open across a restart, so the next heartbeat recovers it and nothing fires twice', () => {
    const t = new AbsenceTracker([quiet]);
    const [alert] = t.observe('quiet', host('web1'), at(0)).alerts.concat(t.advanceWatermark(at(30)).alerts);
    const restored = roundTrip([quiet], t);
    expect(restored.stats()).toMatchObject({ groups: 1, absent: 1, watermark: at(30) });
    expect(restored.advanceWatermark(at(90)).alerts).toEqual([]);
    expect(restored.observe('quiet', host('web1'), at(91)).recoveries.map((r) => r.alertId)).toEqual([alert!.alertId]);
  });

  it('carries heartbeats waiting for an undecided deadline (lateness)', () => {
    const lateness = 10 * 60_000;
    const steps: Step[] = [{ min: 0 }, { min: 20 }, { min: 22 }, { min: 25, host: 'web2' }, { min: 50, host: 'web2' }, { min: 90, advance: true }];
    const uninterrupted = drive(new AbsenceTracker([quiet], { allowedLatenessMs: lateness }), steps);
    // web1's heartbeats at 20 and 22 wait for its 10:15 deadline (watermark = max − 10m); web2's
    // own heartbeat at 50 waits for web2's 10:40 deadline the same way.
    expect(uninterrupted.map((x) => [x.step, x.kind, (x.group as Record<string, string>)['host.hostname'], x.time.slice(11, 16)])).toEqual([
      [3, 'alert', 'web1', '10:00'], [3, 'recovery', 'web1', '10:20'],
      [4, 'alert', 'web1', '10:22'], [4, 'alert', 'web2', '10:25'], [4, 'recovery', 'web2', '10:50'],
      [5, 'alert', 'web2', '10:50'],
    ]);
    const before = new AbsenceTracker([quiet], { allowedLatenessMs: lateness });
    const head = drive(before, steps.slice(0, 3));
    expect(before.snapshot().rules[0]!.groups[0]!.pendingMs).toEqual([at(20).getTime(), at(22).getTime()]);
    const tail = drive(roundTrip([quiet], before, lateness), steps.slice(3), 3);
    expect([...head, ...tail]).toEqual(uninterrupted);
  });

  it('gives the same alerts when restarted every 37 steps (random stream, lateness)', () => {
    const feed = randomSteps(1500, 3);
    const uninterrupted = drive(new AbsenceTracker([quiet, cron], { allowedLatenessMs: 60_000 }), feed);
    let t = new AbsenceTracker([quiet, cron], { allowedLatenessMs: 60_000 });
    const got: Flat[] = [];
    for (let i = 0; i < feed.length; i += 37) {
      got.push(...drive(t, feed.slice(i, i + 37), i));
      t = roundTrip([quiet, cron], t, 60_000);
    }
    expect(got).toEqual(uninterrupted);
  });

  it('drops the state of rules no longer present and is plain JSON', () => {
    const t = new AbsenceTracker([quiet, cron]);
    drive(t, [{ min: 0 }, { rule: 'cron', min: 1 }]);
    const state = t.snapshot();
    expect(JSON.parse(JSON.stringify(state))).toEqual(state);
    expect(state).toEqual({
      version: 1, watermarkMs: at(1).getTime(), maxEventMs: at(1).getTime(), lateDropped: 0, refusedGroups: 0, forgottenGroups: 0,
      rules: [
        { ruleId: 'quiet', groups: [{ groupBy: ['web1'], lastSeenMs: at(0).getTime(), openAlertId: null }] },
        { ruleId: 'cron', groups: [{ groupBy: ['web1', 'cron'], lastSeenMs: at(1).getTime(), openAlertId: null }] },
      ],
    });
    const restored = AbsenceTracker.restore([cron], state);
    expect(restored.stats()).toMatchObject({ groups: 1 });
    expect(restored.advanceWatermark(at(100)).alerts.map((a) => a.ruleId)).toEqual(['cron']);
  });
});

describe('absence state is bounded against invented group values', () => {
  const capped: AbsenceRule = { ...quiet, maxGroups: 1000, forgetAfterMs: 86_400_000 };

  it('tracks at most max-groups groups, counts the rest, and so bounds checkpoints and alert storms', () => {
    const t = new AbsenceTracker([capped]);
    // A sender inventing 200,000 host names within a minute.
    for (let i = 0; i < 200_000; i++) t.observe('quiet', host(`h${i}`), new Date(at(0).getTime() + Math.floor(i * 0.3)));
    expect(t.stats().groups).toBe(1000);
    expect(t.boundCounts.refusedGroups).toBe(199_000);
    expect(JSON.stringify(t.snapshot()).length).toBeLessThan(100_000);
    // One later heartbeat decides every deadline: at most max-groups alerts, not 200,000.
    expect(t.observe('quiet', host('h0'), at(30)).alerts).toHaveLength(1000);
  });

  it('still tracks the groups it knows when the table is full', () => {
    const t = new AbsenceTracker([{ ...quiet, maxGroups: 2 }]);
    drive(t, [{ min: 0, host: 'web1' }, { min: 0, host: 'web2' }, { min: 1, host: 'invented' }]);
    expect(t.boundCounts.refusedGroups).toBe(1);
    expect(drive(t, [{ min: 10, host: 'web1' }, { min: 30, host: 'web1' }]).map((x) => [x.kind, x.group])).toEqual([['alert', { 'host.hostname': 'web2' }], ['alert', { 'host.hostname': 'web1' }], ['recovery', { 'host.hostname': 'web1' }]]);
  });

  it('forgets a group silent for forget-after past its deadline, freeing its place; it is tracked afresh when it returns', () => {
    const t = new AbsenceTracker([{ ...quiet, maxGroups: 2, forgetAfterMs: 60 * 60_000 }]);
    drive(t, [{ min: 0, host: 'old' }, { min: 0, host: 'web1' }]);
    // old's deadline is 0:15; it is forgotten at 1:15 while web1 keeps logging.
    const steps = Array.from({ length: 10 }, (_, i) => ({ min: 10 * (i + 1), host: 'web1' }));
    expect(drive(t, steps).map((x) => [x.kind, x.group])).toEqual([['alert', { 'host.hostname': 'old' }]]);
    expect(t.boundCounts.forgottenGroups).toBe(1);
    expect(t.stats()).toMatchObject({ groups: 1, absent: 0 });
    // Its place is free again, and the state after a restart forgets on the same schedule.
    drive(t, [{ min: 101, host: 'new' }]);
    expect(t.stats().groups).toBe(2);
    const restored = AbsenceTracker.restore([{ ...quiet, maxGroups: 2, forgetAfterMs: 60 * 60_000 }], t.snapshot());
    expect(restored.boundCounts).toEqual({ refusedGroups: 0, forgottenGroups: 1 });
    // web1 (last seen 1:40, due 1:55) and new (1:41, due 1:56) both fell silent; web1's heartbeat at 3:20 ends its silence.
    expect(drive(restored, [{ min: 200, host: 'web1' }]).map((x) => [x.kind, x.group])).toEqual([
      ['alert', { 'host.hostname': 'web1' }], ['alert', { 'host.hostname': 'new' }], ['recovery', { 'host.hostname': 'web1' }],
    ]);
  });
});

describe('absence rules in the rule format', () => {
  const validators = compileValidators();
  const load = (haetae: string): { rules: ReturnType<typeof loadRuleText>; problems: RuleProblem[] } => {
    const problems: RuleProblem[] = [];
    const text = `title: Quiet\nid: q1\nname: quiet_host\nlevel: low\ndetection:\n  sel:\n    host.hostname: '?*'\n  condition: sel\nhaetae:\n${haetae}`;
    return { rules: loadRuleText(text, 'r.yml', validators.rule, problems), problems };
  };

  it('compiles haetae.absence and gives the tracker its rule', () => {
    const { rules, problems } = load('  severity: high\n  group-by: [host.hostname]\n  absence:\n    timespan: 15m\n');
    expect(problems).toEqual([]);
    const rule = rules[0]!.rule;
    expect(rule.alerting.absence).toEqual({ timespanMs: 900_000, timespan: '15m', maxGroups: 10_000, forgetAfterMs: 7 * 86_400_000 });
    expect(absenceRuleOf(rule)).toEqual({ id: 'q1', name: 'quiet_host', title: 'Quiet', level: 'high', groupBy: ['host.hostname'], timespanMs: 900_000, timespan: '15m', maxGroups: 10_000, forgetAfterMs: 7 * 86_400_000 });
    const bounded = load('  group-by: [host.hostname]\n  absence: { timespan: 15m, max-groups: 500, forget-after: 2d }\n').rules[0]!.rule;
    expect(bounded.alerting.absence).toEqual({ timespanMs: 900_000, timespan: '15m', maxGroups: 500, forgetAfterMs: 2 * 86_400_000 });
  });

  it('a rule without absence has no absence rule', () => {
    const { rules } = load('  group-by: [host.hostname]\n');
    expect(absenceRuleOf(rules[0]!.rule)).toBeNull();
  });

  it.each([
    ['  absence: { timespan: 15m }\n', 'absence needs group-by'],
    ['  group-by: [host.hostname]\n  throttle: 5m\n  absence: { timespan: 15m }\n', 'absence cannot be combined with throttle'],
    ['  group-by: [host.hostname]\n  recovered-by: [x]\n  absence: { timespan: 15m }\n', 'absence cannot be combined with recovered-by'],
  ])('refuses %j at haetae → absence', (block, message) => {
    const { rules, problems } = load(block);
    expect(rules).toEqual([]);
    expect(problems).toHaveLength(1);
    expect(problems[0]!.message).toContain(message);
    expect(problems[0]!.keyPath).toEqual(['haetae', 'absence']);
    expect(problems[0]!.line).toBe(block.split('\n').findIndex((l) => l.includes('absence')) + 10);
  });

  it('refuses a timespan that is not a duration', () => {
    const { problems } = load('  group-by: [host.hostname]\n  absence: { timespan: 15 minutes }\n');
    expect(problems.map((p) => p.keyPath)).toEqual([['haetae', 'absence', 'timespan']]);
  });
});

/** A reproducible stream of heartbeats from a few hosts with silences, slightly out of order. */
function randomSteps(n: number, seed: number): Step[] {
  let s = seed >>> 0;
  const rnd = (): number => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
  const steps: Step[] = [];
  let clock = 0;
  for (let i = 0; i < n; i++) {
    clock += rnd() < 0.02 ? 20 : rnd() * 0.5;
    if (rnd() < 0.03) {
      steps.push({ min: clock, advance: true });
      continue;
    }
    const h = `h${Math.floor(rnd() * 6)}`;
    // Some hosts go quiet for a while: skip their heartbeats in some stretches.
    if ((h === 'h4' && Math.floor(clock / 30) % 2 === 0) || (h === 'h5' && Math.floor(clock / 50) % 3 === 1)) continue;
    steps.push({ rule: rnd() < 0.7 ? 'quiet' : 'cron', host: h, min: clock - rnd() * 1.5 });
  }
  return steps;
}
