/**
 * The running window aggregate (window.ts) against the reference pass over the window
 * (aggregate.ts), for every correlation type, under random arrivals: mostly in order, some late
 * (inside the window, or before its start), and windows sliding on.
 */
import { aggregate } from '../../../pipeline/correlate/aggregate';
import { countBefore, insertSorted, type Entry } from '../../../pipeline/correlate/entries';
import { WindowAggregate } from '../../../pipeline/correlate/window';
import { rule } from './helpers';

const RULES = {
  event_count: rule('title: a\nid: a\ncorrelation: { type: event_count, rules: [x], group-by: [h], timespan: 1m, condition: { gte: 3 } }'),
  value_count: rule('title: b\nid: b\ncorrelation: { type: value_count, rules: [x], group-by: [h], timespan: 1m, condition: { field: u, gte: 3 } }'),
  temporal: rule('title: c\nid: c\ncorrelation: { type: temporal, rules: [x, y, z], group-by: [h], timespan: 1m }'),
  temporal_ordered: rule('title: d\nid: d\ncorrelation: { type: temporal_ordered, rules: [x, y, z], group-by: [h], timespan: 1m }'),
  value_sum: rule('title: e\nid: e\ncorrelation: { type: value_sum, rules: [x], group-by: [h], timespan: 1m, condition: { field: n, gte: 30 } }'),
  value_avg: rule('title: f\nid: f\ncorrelation: { type: value_avg, rules: [x], group-by: [h], timespan: 1m, condition: { field: n, gte: 3 } }'),
  value_percentile: rule('title: g\nid: g\ncorrelation: { type: value_percentile, rules: [x], group-by: [h], timespan: 1m, condition: { field: n, percentile: 90, gte: 3 } }'),
};

describe.each(Object.entries(RULES))('the running aggregate of a %s window', (type, r) => {
  it.each([1, 2, 3, 4, 5])('equals the reference after every step (seed %i)', (seed) => {
    let s = seed * 7919;
    const rnd = (): number => { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; return s / 2 ** 32; };
    const entries: Entry[] = [];
    let win: WindowAggregate | null = null;
    let clock = 0;
    let seq = 0;
    for (let step = 0; step < 600; step++) {
      if (entries.length > 0 && rnd() < 0.08) {
        // The window closed without firing: the engine drops its first entry and slides.
        const removed = entries.shift()!;
        win?.slide(removed, entries);
      } else {
        clock += Math.floor(rnd() * 4000);
        const late = rnd() < 0.15 ? Math.floor(rnd() * 90_000) : 0;
        const v = type === 'value_count' ? JSON.stringify([`u${Math.floor(rnd() * 6)}`]) : type.startsWith('value_') ? (rnd() < 0.1 ? null : Math.floor(rnd() * 10)) : null;
        const e: Entry = { t: clock - late, seq: seq++, r: Math.floor(rnd() * r.rules.length), v };
        const at = insertSorted(entries, e);
        if (win) {
          if (at === 0) win = null;
          else if (e.t < win.end) win.add(e, at === win.n);
        }
      }
      const first = entries[0];
      if (!first) { win = null; continue; }
      if (!win || win.start !== first.t) win = new WindowAggregate(r, entries, first.t);
      const n = countBefore(entries, first.t + r.timespan.ms);
      expect([step, win.n]).toEqual([step, n]);
      const want = aggregate(r, entries, n);
      const got = win.value(entries);
      if (Number.isNaN(want)) expect(got).toBeNaN();
      else expect([step, got]).toEqual([step, want]);
    }
  });
});
