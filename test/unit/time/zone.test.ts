import { timeZone, UTC } from '../../../pipeline/time/zone';
import { SourceZones } from '../../../pipeline/time/source-zones';
import { boundEventTime, DEFAULT_TIME_POLICY } from '../../../pipeline/time/policy';
import type { HaetaeEvent } from '../../../schemas/generated/types';

const fields = (iso: string) => {
  const [date, time] = iso.split('T');
  const [year, month, day] = date!.split('-').map(Number);
  const [hour, minute, second] = time!.split(':').map(Number);
  return { year: year!, month: month!, day: day!, hour: hour!, minute: minute!, second: second!, millisecond: 0 };
};
const at = (zone: string, wall: string): string | undefined => timeZone(zone).instant(fields(wall))?.toISOString();

describe('time zones for timestamps that name none', () => {
  it('reads UTC, fixed offsets in the usual spellings, and IANA zones', () => {
    expect(at('UTC', '2026-11-22T10:00:00')).toBe('2026-11-22T10:00:00.000Z');
    expect(timeZone('utc').isUtc).toBe(true);
    expect(timeZone('+00:00').isUtc).toBe(true);
    for (const z of ['+09:00', '+0900', '+9', 'UTC+9', 'GMT+09:00']) expect(at(z, '2026-11-22T19:00:00')).toBe('2026-11-22T10:00:00.000Z');
    expect(at('-05:30', '2026-11-22T04:30:00')).toBe('2026-11-22T10:00:00.000Z');
    expect(at('Asia/Seoul', '2026-11-22T19:00:00')).toBe('2026-11-22T10:00:00.000Z');
  });

  it('applies daylight saving time, including the hours a change skips and repeats', () => {
    expect(at('Europe/Berlin', '2026-01-15T12:00:00')).toBe('2026-01-15T11:00:00.000Z');
    expect(at('Europe/Berlin', '2026-07-15T12:00:00')).toBe('2026-07-15T10:00:00.000Z');
    // 2026-03-29 02:00 CET jumps to 03:00 CEST: just before and just after the change.
    expect(at('Europe/Berlin', '2026-03-29T01:59:59')).toBe('2026-03-29T00:59:59.000Z');
    expect(at('Europe/Berlin', '2026-03-29T03:00:00')).toBe('2026-03-29T01:00:00.000Z');
    // The skipped 02:30 reads as the old offset's 02:30 (= 03:30 CEST).
    expect(at('Europe/Berlin', '2026-03-29T02:30:00')).toBe('2026-03-29T01:30:00.000Z');
    // 2026-10-25 03:00 CEST falls back to 02:00 CET: the repeated 02:30 reads as its later time.
    expect(at('Europe/Berlin', '2026-10-25T02:30:00')).toBe('2026-10-25T01:30:00.000Z');
    expect(at('America/New_York', '2026-11-01T12:00:00')).toBe('2026-11-01T17:00:00.000Z');
    expect(at('America/New_York', '2026-10-31T12:00:00')).toBe('2026-10-31T16:00:00.000Z');
  });

  it('still refuses fields that name no real time', () => {
    expect(timeZone('Asia/Seoul').instant({ ...fields('2026-02-29T10:00:00') })).toBeUndefined();
    expect(UTC.instant(fields('2026-04-31T10:00:00'))).toBeUndefined();
  });

  it('rejects names that are not zones, saying what is accepted', () => {
    expect(() => timeZone('Mars/Olympus')).toThrow("time zone 'Mars/Olympus' is not UTC, an offset like +09:00, or an IANA zone name like Asia/Seoul");
    expect(() => timeZone('+25:00')).toThrow('offset out of range');
  });
});

describe('per-sender zones', () => {
  const zones = new SourceZones([
    { sources: ['198.51.100.0/24', '2001:db8::/32'], zone: 'Asia/Seoul' },
    { listeners: [5515], zone: 'America/New_York' },
    { sources: ['203.0.113.9'], listeners: [5516], zone: '+01:00' },
  ], timeZone('Europe/Berlin'));

  it('takes the first entry whose sources and listeners match, else the default', () => {
    expect(zones.zoneFor('198.51.100.7', 5515).name).toBe('Asia/Seoul');
    expect(zones.zoneFor('2001:db8::1', 5514).name).toBe('Asia/Seoul');
    expect(zones.zoneFor('192.0.2.1', 5515).name).toBe('America/New_York');
    expect(zones.zoneFor('203.0.113.9', 5516).name).toBe('+01:00');
    expect(zones.zoneFor('203.0.113.9', 5514).name).toBe('Europe/Berlin');
    expect(new SourceZones().zoneFor('192.0.2.1', 5514)).toBe(UTC);
  });

  it('names the entry and key of a bad zone or network', () => {
    expect(() => new SourceZones([{ zone: 'UTC' }, { zone: 'Nowhere/Special' }])).toThrow(/^worker\.time\.zones\[1\]\.zone: time zone 'Nowhere\/Special'/);
    expect(() => new SourceZones([{ zone: 'UTC', sources: ['10.0.0.0/8', '10.0.0.300'] }])).toThrow("worker.time.zones[0].sources[1]: '10.0.0.300' is not an IP address or CIDR network");
  });
});

describe('the event-time bound', () => {
  const event = (timestamp: string, created = '2026-11-22T10:00:00.000Z'): HaetaeEvent => ({
    '@timestamp': timestamp, message: 'm', ecs: { version: '9.4.0' }, event: { original: 'm', created, kind: 'event' }, haetae: { raw: { topic: 't', partition: 0, offset: '0' } },
  } as HaetaeEvent);

  it('keeps a timestamp within the bounds', () => {
    for (const ts of ['2026-11-22T10:04:59.000Z', '2026-11-22T09:00:00.000Z', '2026-11-15T10:00:00.000Z']) {
      const e = event(ts);
      expect(boundEventTime(e, DEFAULT_TIME_POLICY)).toBeNull();
      expect(e['@timestamp']).toBe(ts);
      expect(e.tags).toBeUndefined();
    }
  });

  it('dates an event too far ahead or behind at its receive time, keeping the original and the skew', () => {
    const future = event('2026-11-22T10:05:00.001Z');
    expect(boundEventTime(future, DEFAULT_TIME_POLICY)).toBe('future');
    expect(future).toMatchObject({ '@timestamp': '2026-11-22T10:00:00.000Z', tags: ['haetae_timestamp_corrected'], haetae: { time: { original: '2026-11-22T10:05:00.001Z', correction: 'future', skew_ms: 300_001 } } });
    const past = event('2026-11-15T09:59:59.999Z');
    expect(boundEventTime(past, DEFAULT_TIME_POLICY)).toBe('past');
    expect(past.haetae.time).toEqual({ original: '2026-11-15T09:59:59.999Z', correction: 'past', skew_ms: -(7 * 86_400_000 + 1) });
  });

  it('honours configured bounds, and leaves events without a timestamp of their own alone', () => {
    expect(boundEventTime(event('2026-11-22T10:00:02.000Z'), { maxFutureMs: 1_000, maxPastMs: 1_000 })).toBe('future');
    expect(boundEventTime(event('2026-11-22T10:00:00.000Z'), { maxFutureMs: 0, maxPastMs: 0 })).toBeNull();
  });
});
