import { coalesceHeartbeats } from '../../../pipeline/correlate/coalesce';
import { AbsenceTracker, type AbsenceRule } from '../../../pipeline/correlate/absence';
import type { CorrelateRecord } from '../../../pipeline/correlate/route';
import { T0 } from './helpers';

const quiet: AbsenceRule = { id: 'quiet', title: 'Device stopped logging', groupBy: ['host.hostname'], timespanMs: 10 * 60_000, timespan: '10m' };
const spans = (target: string): number | undefined => (target === quiet.id ? quiet.timespanMs : undefined);

let n = 0;
function heartbeat(host: string, min: number): CorrelateRecord {
  return { key: `absence\u0000quiet\u0000${JSON.stringify([host])}`, message: { v: 1, kind: 'absence', target: 'quiet', ref: { id: 'quiet' }, t: T0 + Math.round(min * 60_000), id: `e${n++}`, fields: { 'host.hostname': host } } };
}
function count(host: string, min: number): CorrelateRecord {
  return { key: `correlation\u0000brute\u0000${JSON.stringify([host])}`, message: { v: 1, kind: 'correlation', target: 'brute', ref: { id: 'fail' }, t: T0 + Math.round(min * 60_000), id: `e${n++}`, fields: { 'source.ip': host } } };
}
const minutes = (rs: readonly CorrelateRecord[]): Array<[string, number]> => rs.map((r) => [String(r.message.fields['host.hostname'] ?? r.message.fields['source.ip']), (r.message.t - T0) / 60_000]);

/** What an absence tracker says after each batch: alerts and recoveries, in a comparable form. */
function trackerSays(batches: readonly CorrelateRecord[][], endMin: number): string[] {
  const tracker = new AbsenceTracker([quiet], { allowedLatenessMs: LATENESS });
  const out: string[] = [];
  batches.forEach((batch, b) => {
    const said: string[] = [];
    for (const r of batch) {
      const res = tracker.observe('quiet', r.message.fields, new Date(r.message.t));
      for (const a of res.alerts) said.push(`alert ${a.alertId} ${JSON.stringify(a.groupBy)} last=${a.lastSeen.toISOString()}`);
      for (const x of res.recoveries) said.push(`recovery ${x.alertId} at=${x.at.toISOString()}`);
    }
    out.push(...said.sort().map((s) => `batch ${b}: ${s}`));
  });
  const end = tracker.advanceWatermark(new Date(T0 + endMin * 60_000));
  for (const a of end.alerts) out.push(`end: alert ${a.alertId} last=${a.lastSeen.toISOString()}`);
  return out;
}

const LATENESS = 30_000;
const coalesce = (batch: readonly CorrelateRecord[]): ReturnType<typeof coalesceHeartbeats> => coalesceHeartbeats(batch, spans, LATENESS);
const sec = (s: number): number => s / 60;

describe('heartbeat coalescing', () => {
  it('keeps the first and last heartbeat of each host in a batch and drops those between that say nothing new', () => {
    // Second-resolution timestamps (RFC 3164): the whole batch is one second.
    const batch = [heartbeat('web1', 0), heartbeat('web2', 0), heartbeat('web1', 0), heartbeat('web2', 0), heartbeat('web1', 0), heartbeat('web2', 0), heartbeat('web1', 0)];
    const { records, coalesced } = coalesce(batch);
    expect(records).toEqual([batch[0], batch[1], batch[5], batch[6]]);
    expect(coalesced).toBe(3);
  });

  it('keeps heartbeats that move the stream time while a record lagging by more than the lateness is still to come', () => {
    const rising = [0, 1, 2, 3, 4].map((s) => heartbeat('web1', sec(s)));
    expect(minutes(coalesce(rising).records)).toEqual([['web1', 0], ['web1', sec(4)]]);
    // web3's clock is two minutes behind: whether the tracker counts it depends on how far the
    // stream time got when it arrives, so nothing before it that moves the stream time is left out.
    const withLagging = [...rising.slice(0, 3), heartbeat('web3', -2), ...rising.slice(3)];
    expect(minutes(coalesce(withLagging).records)).toEqual([['web1', 0], ['web1', sec(1)], ['web1', sec(2)], ['web3', -2], ['web1', sec(4)]]);
  });

  it('keeps every heartbeat of a host when the batch reaches a timespan past its first', () => {
    const batch = [0, 4, 8, 9, 10].map((m) => heartbeat('web1', m));
    expect(coalesce(batch)).toEqual({ records: batch, coalesced: 0 });
    expect(minutes(coalesce([0, 0, 0, 0.1].map((m) => heartbeat('web1', m))).records).map(([, m]) => m)).toEqual([0, 0.1]);
  });

  it('never drops a correlation record, nor heartbeats of a rule it does not know the timespan of', () => {
    const batch = [count('10.0.0.1', 0), count('10.0.0.1', 0), count('10.0.0.1', 0)];
    const unknown = [0, 0, 0].map((m) => ({ ...heartbeat('web1', m), message: { ...heartbeat('web1', m).message, target: 'gone' } }));
    expect(coalesce([...batch, ...unknown])).toEqual({ records: [...batch, ...unknown], coalesced: 0 });
  });

  it('keeps a heartbeat later in event time than the next one it would leave standing', () => {
    expect(minutes(coalesce([0, 20, 5].map((s) => heartbeat('web1', sec(s)))).records).map(([, m]) => m * 60)).toEqual([0, 20, 5]);
    expect(minutes(coalesce([0, 20, 5, 30].map((s) => heartbeat('web1', sec(s)))).records).map(([, m]) => m * 60)).toEqual([0, 30]);
  });

  it('an absence tracker fed the coalesced batches raises and recovers exactly what it would with every heartbeat', () => {
    // Seeded streams: 12 hosts logging at random intervals, some going quiet for longer than the
    // timespan and coming back; timestamps in whole seconds or milliseconds; a little out of order;
    // in the skewed seeds one host's clock runs 2 minutes behind (it lags the lateness); batches
    // of random size.
    const kept = { plain: 0, skewed: 0, all: 0 };
    for (let seed = 1; seed <= 60; seed++) {
      let s = seed * 7919;
      const rnd = (): number => { s = (s * 1103515245 + 12345) & 0x7fffffff; return s / 0x7fffffff; };
      const skewed = seed % 3 === 0;
      const wholeSeconds = seed % 2 === 0;
      const records: CorrelateRecord[] = [];
      let clock = 0;
      const quietUntil = new Array<number>(12).fill(0);
      for (let i = 0; i < 2000; i++) {
        clock += rnd() * 0.02;
        const h = Math.floor(rnd() * 12);
        if (clock < quietUntil[h]!) continue;
        if (rnd() < 0.002) quietUntil[h] = clock + 8 + rnd() * 20;
        let t = clock + (rnd() < 0.05 ? -rnd() * 0.4 : 0) + (skewed && h === 7 ? -2 : 0);
        if (wholeSeconds) t = Math.floor(t * 60) / 60;
        records.push(heartbeat(`host${h}`, Math.max(0, t)));
      }
      const batches: CorrelateRecord[][] = [];
      for (let i = 0; i < records.length;) {
        const size = 1 + Math.floor(rnd() * 400);
        batches.push(records.slice(i, i + size));
        i += size;
      }
      const endMin = Math.max(...records.map((r) => r.message.t - T0)) / 60_000 + 60;
      const coalesced = batches.map((b) => coalesce(b).records);
      expect(trackerSays(coalesced, endMin)).toEqual(trackerSays(batches, endMin));
      kept[skewed ? 'skewed' : 'plain'] += coalesced.flat().length;
      kept.all += records.length;
    }
  });

  it('leaves out most heartbeats of a live stream: 5,000 events/s from 200 hosts in batches of 2,000', () => {
    for (const resolution of ['seconds', 'milliseconds'] as const) {
      let s = 42;
      const rnd = (): number => { s = (s * 1103515245 + 12345) & 0x7fffffff; return s / 0x7fffffff; };
      let produced = 0;
      for (let b = 0; b < 10; b++) {
        const batch = Array.from({ length: 2000 }, (_, i) => {
          const ms = (b * 2000 + i) / 5 + (rnd() < 0.02 ? -rnd() * 5000 : 0);
          return heartbeat(`host${Math.floor(rnd() * 200)}`, (resolution === 'seconds' ? Math.floor(ms / 1000) * 1000 : ms) / 60_000);
        });
        produced += coalesce(batch).records.length;
      }
      // About two per host and batch remain (the first and the last), plus those that move the
      // stream time while a straggler is still to come.
      expect({ resolution, fewerThan40Percent: produced < 20_000 * 0.4 }).toEqual({ resolution, fewerThan40Percent: true });
    }
  });
});
