/**
 * The timestamp slot of a BSD syslog header. Real senders put one of:
 *   `Mmm dd hh:mm:ss`        RFC 3164 §4.1.2; a single-digit day is space-padded ("Feb  5"), and
 *                            some devices write it unpadded ("Feb 5")
 *   `Mmm dd yyyy hh:mm:ss`   Cisco ASA and IOS with a year
 *   either with `.fff`       Cisco "msec" timestamps
 *   either with a trailing ':' (Cisco/ASA "…10:00:00: %ASA-…"); the ':' is consumed, not kept in the text
 *   `YYYY-MM-DDThh:mm:ss[.frac][Z|±hh:mm]`   rsyslog's RFC 3339 "high precision" legacy format
 * BSD syslog carries no zone: timestamps without one are read in the sender's configured zone
 * (`worker.time.zones`, see pipeline/time), UTC unless configured.
 */
import { byteAt, COLON, decodeUtf8, DOT, isDigit, readDigits, SP } from './bytes';
import { fractionToMillis, type DateFields } from './calendar';
import { looksLikeRfc3339, parseRfc3339 } from './rfc3339';
import { UTC, type TimeZone } from '../../time/zone';

export interface Rfc3164Timestamp {
  /** Undefined when the slot had a timestamp's shape but named no real time ('bad_timestamp'). */
  date: Date | undefined;
  text: string;
  /** True when `text` needed U+FFFD replacements (only possible for the RFC 3339 form). */
  invalidUtf8: boolean;
  /** Index after the timestamp (and its trailing ':' if any); the byte there is SP or the end. */
  end: number;
  /** True when the timestamp named no zone of its own, so it was read in the given zone. */
  zoneless: boolean;
}

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
  return readBsdTimestamp(bytes, start, receivedAt, zone);
}

function readIsoTimestamp(bytes: Buffer, start: number, zone: TimeZone): Rfc3164Timestamp {
  const sp = bytes.indexOf(SP, start);
  const end = sp < 0 ? bytes.length : sp;
  const text = decodeUtf8(bytes, start, end);
  // An offset is 'Z' or '±hh:mm' at the very end; the date part has no ':' five bytes from its end.
  const zoneless = !(byteAt(bytes, end - 1) === Z || ((byteAt(bytes, end - 6) === PLUS || byteAt(bytes, end - 6) === DASH) && byteAt(bytes, end - 3) === COLON));
  return { date: parseRfc3339(bytes, start, end, { maxFractionDigits: 9, offsetRequired: false, zone }), text: text.text, invalidUtf8: !text.valid, end, zoneless };
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

function readBsdTimestamp(bytes: Buffer, start: number, receivedAt: Date, zone: TimeZone): Rfc3164Timestamp | undefined {
  const fields = readBsdFields(bytes, start);
  if (fields === undefined) return undefined;
  let end = fields.end;
  // Cisco IOS and ASA end the timestamp with ':'; it belongs to the header, not to the text.
  if (byteAt(bytes, end) === COLON && (byteAt(bytes, end + 1) === SP || byteAt(bytes, end + 1) < 0)) end++;
  const after = byteAt(bytes, end);
  if (after >= 0 && after !== SP) return undefined;
  return {
    date: fields.year >= 0 ? zone.instant({ ...fields, year: fields.year }) : inferYear(fields, receivedAt, zone),
    // The shape check admitted only ASCII letters, digits, SP, ':' and '.', so latin1 is exact.
    text: bytes.toString('latin1', start, fields.end),
    invalidUtf8: false,
    end,
    zoneless: true,
  };
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
