/**
 * The timestamp slot of a BSD syslog header. Real senders put one of:
 *   `Mmm dd hh:mm:ss`        RFC 3164 §4.1.2; a single-digit day is space-padded ("Feb  5"), and
 *                            some devices write it unpadded ("Feb 5")
 *   `Mmm dd yyyy hh:mm:ss`   Cisco ASA and IOS with a year
 *   either with `.fff`       Cisco "msec" timestamps
 *   either with a trailing ':' (Cisco/ASA "…10:00:00: %ASA-…"); the ':' is consumed, not kept in the text
 *   either with a zone name before that ':' (Cisco "show-timezone": "…10:00:00.123 CET: %LINK-…");
 *                            the name is part of the text. Outside a Cisco header only the names in
 *                            NAMED_ZONES count, in any case (so "CRON: …" stays a tag); in one
 *                            (readCiscoTimestamp) any 2-6 letters do, and an unknown one reads the time in the
 *                            sender's configured zone with the warning 'unknown_time_zone'
 *   `*` or `.` before any BSD form  Cisco clock markers (not synchronised / synchronisation lost),
 *                            only in a Cisco header; kept in the text
 *   `YYYY-MM-DDThh:mm:ss[.frac][Z|±hh:mm]`   rsyslog's RFC 3339 "high precision" legacy format
 * BSD syslog carries no zone: timestamps without one are read in the sender's configured zone
 * (`worker.time.zones`, see pipeline/time), UTC unless configured.
 */
import { byteAt, COLON, decodeUtf8, DOT, isDigit, readDigits, SP } from './bytes';
import { fractionToMillis, type DateFields } from './calendar';
import { looksLikeRfc3339, parseRfc3339 } from './rfc3339';
import { timeZone, UTC, type TimeZone } from '../../time/zone';

export interface Rfc3164Timestamp {
  /** Undefined when the slot had a timestamp's shape but named no real time ('bad_timestamp'). */
  date: Date | undefined;
  text: string;
  /** True when `text` needed U+FFFD replacements (only possible for the RFC 3339 form). */
  invalidUtf8: boolean;
  /** Index after the timestamp (and its trailing ':' if any); the byte there is SP or the end. */
  end: number;
  /** True when the timestamp named no zone of its own (or one not in NAMED_ZONES), so it was read in the given zone. */
  zoneless: boolean;
  /** True when it named a zone that is not in NAMED_ZONES (warning 'unknown_time_zone'). */
  unknownZone: boolean;
}

/** What a Cisco clock marker before the timestamp says about the device's clock. */
export type ClockState = 'unsynchronized' | 'sync_lost';

export interface CiscoTimestamp extends Rfc3164Timestamp {
  /** From the marker: '*' not synchronised (never set, or set by hand without NTP), '.' synchronisation lost. */
  clock?: ClockState;
}

/**
 * Zone abbreviations whose offset is not in doubt. Ambiguous ones are left out on purpose: CST
 * (US Central, China, Cuba), IST (India, Ireland, Israel), BST (British Summer, Bangladesh), AST
 * (Atlantic, Arabia); for those, and for any name a Cisco admin made up with `clock timezone`, the
 * sender's configured zone (worker.time.zones) decides.
 */
const NAMED_ZONES: ReadonlyMap<string, TimeZone> = new Map(
  Object.entries({
    UTC: '+00:00', GMT: '+00:00', UT: '+00:00', WET: '+00:00', WEST: '+01:00', CET: '+01:00', CEST: '+02:00',
    MET: '+01:00', MEST: '+02:00', EET: '+02:00', EEST: '+03:00', MSK: '+03:00',
    EST: '-05:00', EDT: '-04:00', CDT: '-05:00', MST: '-07:00', MDT: '-06:00', PST: '-08:00', PDT: '-07:00',
    AKST: '-09:00', AKDT: '-08:00', HST: '-10:00', NZST: '+12:00', NZDT: '+13:00',
    JST: '+09:00', KST: '+09:00', HKT: '+08:00', SGT: '+08:00', AWST: '+08:00', ACST: '+09:30', ACDT: '+10:30',
    AEST: '+10:00', AEDT: '+11:00',
  }).map(([name, offset]) => [name, offset === '+00:00' ? { ...UTC, name } : { ...timeZone(offset), name }]),
);
const STAR = 0x2a;

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
/** How far ahead of the receive time a yearless timestamp may be and still be this year's. */
const YEAR_INFERENCE_FUTURE_MS = 31 * 86_400_000;
const Z = 0x5a;
const PLUS = 0x2b;
const DASH = 0x2d;

/**
 * Reads the timestamp at `start`, or returns undefined when nothing there has a timestamp's shape.
 * `zone` is the sender's zone for timestamps that name none (default UTC).
 */
export function readRfc3164Timestamp(bytes: Buffer, start: number, receivedAt: Date, zone: TimeZone = UTC): Rfc3164Timestamp | undefined {
  if (looksLikeRfc3339(bytes, start)) return readIsoTimestamp(bytes, start, zone);
  return readBsdTimestamp(bytes, start, start, receivedAt, zone, false);
}

/**
 * The timestamp of a Cisco IOS header: an optional clock marker ('*' or '.'), a BSD timestamp and
 * an optional zone name (any 2-6 letters), ended by ':'. Undefined when there is none.
 */
export function readCiscoTimestamp(bytes: Buffer, start: number, receivedAt: Date, zone: TimeZone = UTC): CiscoTimestamp | undefined {
  const marker = byteAt(bytes, start);
  const hasMarker = marker === STAR || marker === DOT;
  const timestamp: CiscoTimestamp | undefined = readBsdTimestamp(bytes, start, hasMarker ? start + 1 : start, receivedAt, zone, true);
  if (timestamp !== undefined && hasMarker) timestamp.clock = marker === STAR ? 'unsynchronized' : 'sync_lost';
  return timestamp;
}

function readIsoTimestamp(bytes: Buffer, start: number, zone: TimeZone): Rfc3164Timestamp {
  const sp = bytes.indexOf(SP, start);
  const end = sp < 0 ? bytes.length : sp;
  const text = decodeUtf8(bytes, start, end);
  // An offset is 'Z' or '±hh:mm' at the very end; the date part has no ':' five bytes from its end.
  const zoneless = !(byteAt(bytes, end - 1) === Z || ((byteAt(bytes, end - 6) === PLUS || byteAt(bytes, end - 6) === DASH) && byteAt(bytes, end - 3) === COLON));
  return { date: parseRfc3339(bytes, start, end, { maxFractionDigits: 9, offsetRequired: false, zone }), text: text.text, invalidUtf8: !text.valid, end, zoneless, unknownZone: false };
}

interface BsdFields {
  month: number;
  day: number;
  /** -1 when the timestamp has no year. */
  year: number;
  hour: number;
  minute: number;
  second: number;
  millisecond: number;
  /** Index after the seconds or fraction. */
  end: number;
}

/**
 * The BSD forms at `fieldsStart`; the text runs from `textStart` (before a Cisco marker) to the end
 * of the fields or of a zone name. `anyZoneName` admits zone names outside NAMED_ZONES.
 */
function readBsdTimestamp(
  bytes: Buffer, textStart: number, fieldsStart: number, receivedAt: Date, zone: TimeZone, anyZoneName: boolean,
): Rfc3164Timestamp | undefined {
  const fields = readBsdFields(bytes, fieldsStart);
  if (fields === undefined) return undefined;
  let textEnd = fields.end;
  let readIn = zone;
  let named = false;
  let unknownZone = false;
  // A zone name is only taken when the header's ':' follows it: "CRON: job" after a plain
  // timestamp stays a tag unless CRON were a known zone.
  const nameEnd = byteAt(bytes, textEnd) === SP ? zoneNameEnd(bytes, textEnd + 1) : -1;
  if (nameEnd > 0) {
    const known = NAMED_ZONES.get(bytes.toString('latin1', textEnd + 1, nameEnd).toUpperCase());
    if (known !== undefined || anyZoneName) {
      textEnd = nameEnd;
      if (known !== undefined) {
        readIn = known;
        named = true;
      } else {
        unknownZone = true;
      }
    }
  }
  let end = textEnd;
  // Cisco IOS and ASA end the timestamp with ':'; it belongs to the header, not to the text.
  if (byteAt(bytes, end) === COLON && (byteAt(bytes, end + 1) === SP || byteAt(bytes, end + 1) < 0)) end++;
  const after = byteAt(bytes, end);
  if (after >= 0 && after !== SP) return undefined;
  return {
    date: fields.year >= 0 ? readIn.instant({ ...fields, year: fields.year }) : inferYear(fields, receivedAt, readIn),
    // The shape checks admitted only ASCII letters, digits, SP, ':', '.' and '*', so latin1 is exact.
    text: bytes.toString('latin1', textStart, textEnd),
    invalidUtf8: false,
    end,
    zoneless: !named,
    unknownZone,
  };
}

/**
 * The end of 2-6 ASCII letters at `start` that a ':' and then SP or the end follow, or -1. Cisco
 * prints the name as configured, so "gmt" and "mng" occur as well as "UTC".
 */
function zoneNameEnd(bytes: Buffer, start: number): number {
  let i = start;
  for (let b = byteAt(bytes, i) | 0x20; b >= 0x61 && b <= 0x7a && i - start < 6; b = byteAt(bytes, ++i) | 0x20);
  const length = i - start;
  if (length < 2 || byteAt(bytes, i) !== COLON) return -1;
  const after = byteAt(bytes, i + 1);
  return after === SP || after < 0 ? i : -1;
}

/** Matches the BSD layouts by shape only; range checks happen when the Date is built. */
function readBsdFields(bytes: Buffer, start: number): BsdFields | undefined {
  const month = readMonth(bytes, start);
  if (month === 0 || byteAt(bytes, start + 3) !== SP) return undefined;
  const day = readDay(bytes, start + 4);
  if (day === undefined) return undefined;
  let i = day.next;
  let year = -1;
  if (readDigits(bytes, i, 4) >= 0 && byteAt(bytes, i + 4) === SP) {
    year = readDigits(bytes, i, 4);
    i += 5;
  }
  const hour = readDigits(bytes, i, 2);
  const minute = readDigits(bytes, i + 3, 2);
  const second = readDigits(bytes, i + 6, 2);
  if (hour < 0 || minute < 0 || second < 0) return undefined;
  if (byteAt(bytes, i + 2) !== COLON || byteAt(bytes, i + 5) !== COLON) return undefined;
  i += 8;
  let millisecond = 0;
  if (byteAt(bytes, i) === DOT && isDigit(byteAt(bytes, i + 1))) {
    const fracStart = i + 1;
    i = fracStart;
    while (isDigit(byteAt(bytes, i)) && i - fracStart < 9) i++;
    millisecond = fractionToMillis(bytes, fracStart, i);
  }
  return { month, day: day.value, year, hour, minute, second, millisecond, end: i };
}

/** 1..12 for an English month abbreviation at `start` (any case: some devices shout "JAN"), else 0. */
function readMonth(bytes: Buffer, start: number): number {
  // OR-ing 0x20 lower-cases ASCII letters; non-letters cannot match the table anyway.
  const name = String.fromCharCode(
    byteAt(bytes, start) | 0x20,
    byteAt(bytes, start + 1) | 0x20,
    byteAt(bytes, start + 2) | 0x20,
  );
  return MONTHS.indexOf(name) + 1;
}

/** The day as " d", "dd" or an unpadded "d", each followed by SP; `next` is the index after that SP. */
function readDay(bytes: Buffer, start: number): { value: number; next: number } | undefined {
  const a = byteAt(bytes, start);
  const b = byteAt(bytes, start + 1);
  if (a === SP && isDigit(b) && byteAt(bytes, start + 2) === SP) return { value: b - 0x30, next: start + 3 };
  if (isDigit(a) && isDigit(b) && byteAt(bytes, start + 2) === SP) {
    return { value: (a - 0x30) * 10 + (b - 0x30), next: start + 3 };
  }
  if (isDigit(a) && b === SP) return { value: a - 0x30, next: start + 2 };
  return undefined;
}

/**
 * BSD timestamps have no year. Take the latest year (of receivedAt's year + 1, that year, and the
 * one before) that puts the time no more than a month after receivedAt: a December message
 * received in January gets the previous year, a sender whose clock is a little ahead at New Year
 * gets the next one, and a sender whose clock is days fast keeps this year rather than being
 * pushed a year into the past. (How far ahead a timestamp may be before it is not believed at all
 * is the event-time policy's call, pipeline/time/policy.ts, which keeps the year read here.)
 */
function inferYear(fields: Omit<DateFields, 'year'>, receivedAt: Date, zone: TimeZone): Date | undefined {
  const latest = receivedAt.getTime() + YEAR_INFERENCE_FUTURE_MS;
  const year = receivedAt.getUTCFullYear();
  for (const candidate of [year + 1, year, year - 1]) {
    const date = zone.instant({ ...fields, year: candidate });
    if (date !== undefined && date.getTime() <= latest) return date;
  }
  return undefined;
}
