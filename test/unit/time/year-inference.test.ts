/**
 * Year inference with an injected receive clock, swept across New Year and a leap day: the cheap,
 * always-on version of the shifted-clock suite (npm run test:shifted, README). For every receive
 * instant and every sender skew within a month ahead and most of a year behind, a BSD timestamp
 * written at receive time + skew must read back as exactly that instant.
 */
import { parseSyslog } from '../../../pipeline/parse/syslog';
import { timeZone } from '../../../pipeline/time/zone';
import { bsdTimestamp } from '../../support/syslog-time';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const SKEWS = [-300 * DAY, -40 * DAY, -2 * DAY, -HOUR, -1_000, 0, 1_000, HOUR, 2 * DAY, 30 * DAY];

function sweep(from: string, to: string, stepMs: number): number[] {
  const out: number[] = [];
  for (let t = Date.parse(from); t <= Date.parse(to); t += stepMs) out.push(t);
  return out;
}

describe.each([
  ['New Year 2026/27', sweep('2026-12-25T00:00:00Z', '2027-01-06T00:00:00Z', 7 * HOUR + 13 * 60_000)],
  ['New Year 2027/28 and the 2028 leap day', sweep('2027-12-30T00:00:00Z', '2028-03-02T00:00:00Z', 29 * HOUR)],
])('BSD timestamps received around %s', (_label, instants) => {
  it.each(['UTC', 'Asia/Seoul', 'America/Los_Angeles'])('read back exactly, sender in %s', (zoneName) => {
    const zone = timeZone(zoneName);
    const wrong: string[] = [];
    for (const received of instants) {
      for (const skew of SKEWS) {
        const sent = Math.floor((received + skew) / 1000) * 1000;
        // The sender writes its own wall clock: compute it from the zone's offset at that instant.
        const offsetMin = zoneName === 'UTC' ? 0 : offsetMinutes(zoneName, sent);
        const line = `<13>${bsdTimestamp(new Date(sent), offsetMin)} host app: m`;
        const parsed = parseSyslog(Buffer.from(line), { receivedAt: new Date(received), timeZone: zone });
        const got = parsed.ok ? parsed.value.timestamp?.getTime() : undefined;
        // Feb 29 written in a year whose neighbours are not leap years cannot be placed: skip those.
        if (got === undefined && line.includes('Feb 29')) continue;
        if (got !== sent) wrong.push(`${line} received ${new Date(received).toISOString()}: got ${got === undefined ? 'nothing' : new Date(got).toISOString()}, sent ${new Date(sent).toISOString()}`);
      }
    }
    expect(wrong.slice(0, 5)).toEqual([]);
  });
});

function offsetMinutes(zone: string, ms: number): number {
  const parts = Object.fromEntries(new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' }).formatToParts(new Date(ms)).map((p) => [p.type, p.value]));
  const wall = Date.UTC(Number(parts.year), Number(parts.month) - 1, Number(parts.day), Number(parts.hour), Number(parts.minute), Number(parts.second));
  return Math.round((wall - ms) / 60_000);
}
