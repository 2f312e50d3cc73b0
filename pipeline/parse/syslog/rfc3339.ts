/**
 * RFC 3339 timestamps as RFC 5424 §6.2.3 profiles them: `YYYY-MM-DDThh:mm:ss[.frac](Z|±hh:mm)`,
 * read straight from the bytes (no regex, no string) because every RFC 5424 message has one.
 */
import { byteAt, COLON, DASH, DOT, isDigit, readDigits } from './bytes';
import { fractionToMillis, utcDate } from './calendar';
import type { TimeZone } from '../../time/zone';

export interface Rfc3339Options {
  /** RFC 5424 allows 1..6 digits (its own example with 9 is "invalid"); RFC 3164 senders use up to 9. */
  maxFractionDigits: number;
  /** RFC 5424 requires the offset; timestamps without one are read in `zone` when this is false. */
  offsetRequired: boolean;
  /** The zone of a timestamp without an offset (default UTC). */
  zone?: TimeZone | undefined;
}

const T = 0x54;
const Z = 0x5a;
const PLUS = 0x2b;

/** True when `bytes` at `start` begin like an RFC 3339 date-time (`dddd-dd-ddT`). */
export function looksLikeRfc3339(bytes: Buffer, start: number): boolean {
  return (
    readDigits(bytes, start, 4) >= 0 && byteAt(bytes, start + 4) === DASH &&
    readDigits(bytes, start + 5, 2) >= 0 && byteAt(bytes, start + 7) === DASH &&
    readDigits(bytes, start + 8, 2) >= 0 && byteAt(bytes, start + 10) === T
  );
}

/** The instant written in exactly `bytes[start, end)`, or undefined when it is not a valid one. */
export function parseRfc3339(bytes: Buffer, start: number, end: number, options: Rfc3339Options): Date | undefined {
  // Fixed-width part: "YYYY-MM-DDThh:mm:ss" is 19 bytes with separators at known offsets.
  if (end - start < 19 || !looksLikeRfc3339(bytes, start)) return undefined;
  if (byteAt(bytes, start + 13) !== COLON || byteAt(bytes, start + 16) !== COLON) return undefined;
  const hour = readDigits(bytes, start + 11, 2);
  const minute = readDigits(bytes, start + 14, 2);
  const second = readDigits(bytes, start + 17, 2);
  if (hour < 0 || minute < 0 || second < 0) return undefined;

  let i = start + 19;
  let millisecond = 0;
  if (byteAt(bytes, i) === DOT) {
    const fracStart = i + 1;
    i = fracStart;
    while (i < end && isDigit(byteAt(bytes, i))) i++;
    const digits = i - fracStart;
    if (digits === 0 || digits > options.maxFractionDigits) return undefined;
    millisecond = fractionToMillis(bytes, fracStart, i);
  }

  const offsetMinutes = readOffset(bytes, i, end, options.offsetRequired);
  if (offsetMinutes === undefined) return undefined;
  const fields = {
    year: readDigits(bytes, start, 4),
    month: readDigits(bytes, start + 5, 2),
    day: readDigits(bytes, start + 8, 2),
    hour,
    minute,
    second,
    millisecond,
  };
  if (offsetMinutes === null) return options.zone ? options.zone.instant(fields) : utcDate(fields);
  const date = utcDate(fields);
  return date === undefined ? undefined : new Date(date.getTime() - offsetMinutes * 60_000);
}

/**
 * Minutes east of UTC for the offset filling exactly `bytes[start, end)`; null when there is none
 * (and none is required); undefined when it is not a valid offset.
 */
function readOffset(bytes: Buffer, start: number, end: number, required: boolean): number | null | undefined {
  if (start === end) return required ? undefined : null;
  const sign = byteAt(bytes, start);
  // RFC 5424 §6.2.3: "T" and "Z" MUST be upper case, so 'z' is not an offset.
  if (sign === Z) return end === start + 1 ? 0 : undefined;
  if ((sign !== PLUS && sign !== DASH) || end !== start + 6 || byteAt(bytes, start + 3) !== COLON) return undefined;
  const hours = readDigits(bytes, start + 1, 2);
  const minutes = readDigits(bytes, start + 4, 2);
  if (hours < 0 || hours > 23 || minutes < 0 || minutes > 59) return undefined;
  const total = hours * 60 + minutes;
  return sign === PLUS ? total : -total;
}
