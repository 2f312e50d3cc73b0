/**
 * Time zones for timestamps that carry none (BSD syslog's `Mmm dd hh:mm:ss`, Cisco's
 * `Mmm dd yyyy hh:mm:ss`, rsyslog's legacy RFC 3339 without an offset). A zone turns the
 * wall-clock fields a sender wrote into the instant it meant.
 *
 * Accepted names: `UTC` (the default: what haetae assumed before zones existed), a fixed offset
 * (`+09:00`, `-0530`, `UTC+9`), or an IANA zone (`Asia/Seoul`, `Europe/Berlin`) with its daylight
 * saving rules, from the ICU data Node ships with.
 */
import { utcDate, type DateFields } from '../parse/syslog/calendar';

export interface TimeZone {
  /** The name as configured, for logs and the event's `haetae.time.zone`. */
  readonly name: string;
  /** True for UTC and +00:00: nothing to convert. */
  readonly isUtc: boolean;
  /** The instant of these wall-clock fields in this zone, or undefined when they name no real time. */
  instant(fields: DateFields): Date | undefined;
}

const FIXED = /^(?:UTC|GMT)?([+-])(\d{1,2})(?::?(\d{2}))?$/i;

export const UTC: TimeZone = { name: 'UTC', isUtc: true, instant: utcDate };

/** Parses a zone name; throws a RangeError naming the problem when it is not one. */
export function timeZone(name: string): TimeZone {
  const trimmed = name.trim();
  if (/^(?:UTC|GMT|Z|Etc\/UTC|Etc\/GMT)$/i.test(trimmed)) return { ...UTC, name: trimmed };
  const fixed = FIXED.exec(trimmed);
  if (fixed) {
    const hours = Number(fixed[2]);
    const minutes = Number(fixed[3] ?? 0);
    if (hours > 23 || minutes > 59) throw new RangeError(`time zone '${name}': offset out of range (at most ±23:59)`);
    const offsetMs = (fixed[1] === '-' ? -1 : 1) * (hours * 60 + minutes) * 60_000;
    return fixedZone(trimmed, offsetMs);
  }
  return ianaZone(trimmed, name);
}

function fixedZone(name: string, offsetMs: number): TimeZone {
  return {
    name,
    isUtc: offsetMs === 0,
    instant(fields) {
      const wall = utcDate(fields);
      return wall === undefined ? undefined : new Date(wall.getTime() - offsetMs);
    },
  };
}

/** Offsets change at most a few times a year, at whole quarter hours: cache one per quarter hour. */
const QUARTER_HOUR_MS = 15 * 60_000;
/** Bounds the cache: one zone used for years of timestamps is ~35,000 quarters a year. */
const MAX_CACHED_OFFSETS = 4096;

function ianaZone(zone: string, asWritten: string): TimeZone {
  let format: Intl.DateTimeFormat;
  try {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone: zone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric', era: 'short',
    });
  } catch {
    throw new RangeError(`time zone '${asWritten}' is not UTC, an offset like +09:00, or an IANA zone name like Asia/Seoul`);
  }
  const cache = new Map<number, number>();
  /** Milliseconds to add to an instant to get the zone's wall clock at that instant. */
  const offsetAt = (ms: number): number => {
    const quarter = Math.floor(ms / QUARTER_HOUR_MS);
    const cached = cache.get(quarter);
    if (cached !== undefined) return cached;
    const parts: Record<string, string> = {};
    for (const p of format.formatToParts(new Date(quarter * QUARTER_HOUR_MS))) parts[p.type] = p.value;
    const year = parts.era === 'BC' ? 1 - Number(parts.year) : Number(parts.year);
    const wall = Date.UTC(year, Number(parts.month) - 1, Number(parts.day), Number(parts.hour), Number(parts.minute), Number(parts.second));
    // Date.UTC maps years 0..99 to 1900..1999; such years only matter for absurd input, so correct and move on.
    const wallMs = year >= 0 && year < 100 ? new Date(wall).setUTCFullYear(year) : wall;
    const offset = wallMs - quarter * QUARTER_HOUR_MS;
    if (cache.size >= MAX_CACHED_OFFSETS) cache.clear();
    cache.set(quarter, offset);
    return offset;
  };
  return {
    name: zone,
    isUtc: false,
    instant(fields) {
      const wall = utcDate(fields);
      if (wall === undefined) return undefined;
      const w = wall.getTime();
      // Two passes settle the offset. In the hour a DST change skips, the time reads as if the
      // clock had not changed yet (a skipped 02:30 is 03:30 of the new offset); in an hour it
      // repeats, as the later of the two (the sender cannot say which it meant).
      const guess = w - offsetAt(w);
      return new Date(w - offsetAt(guess));
    },
  };
}
