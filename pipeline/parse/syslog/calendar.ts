/** Calendar arithmetic for the timestamp readers: validated field sets → Date, in UTC. */

function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

export function daysInMonth(year: number, month: number): number {
  if (month === 2) return isLeapYear(year) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

export interface DateFields {
  year: number;
  /** 1..12 */
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  millisecond: number;
}

/**
 * The UTC instant of these fields, or undefined when they name no real time (Feb 30, 24:00,
 * second 60 — RFC 5424 §6.2.3 forbids leap seconds, and Date could not represent one anyway).
 */
export function utcDate(f: DateFields): Date | undefined {
  const valid =
    f.month >= 1 && f.month <= 12 && f.day >= 1 && f.day <= daysInMonth(f.year, f.month) &&
    f.hour <= 23 && f.minute <= 59 && f.second <= 59;
  if (!valid) return undefined;
  const date = new Date(Date.UTC(f.year, f.month - 1, f.day, f.hour, f.minute, f.second, f.millisecond));
  // Date.UTC maps years 0..99 to 1900..1999; put the year the message wrote back.
  if (f.year < 100) date.setUTCFullYear(f.year);
  return date;
}

/** Milliseconds from up to 9 fraction digits at `bytes[start, end)`; digits past the third are dropped. */
export function fractionToMillis(bytes: Buffer, start: number, end: number): number {
  let ms = 0;
  for (let i = 0; i < 3; i++) {
    const b = start + i < end ? bytes[start + i] : undefined;
    ms = ms * 10 + (b === undefined ? 0 : b - 0x30);
  }
  return ms;
}
