/**
 * Writes an instant as an RFC 3164 timestamp, `Mmm dd hh:mm:ss` with the day space-padded, as a
 * clock `offsetMinutes` east of UTC shows it. The inverse of the BSD timestamp reader; used by
 * benchmarks and tests to stamp messages relative to now, as live senders do.
 */
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

export function bsdTimestamp(date: Date, offsetMinutes = 0): string {
  const d = new Date(date.getTime() + offsetMinutes * 60_000);
  const pad = (n: number): string => String(n).padStart(2, '0');
  return `${MONTHS[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2, ' ')} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
}
