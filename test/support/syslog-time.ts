/**
 * Timestamps for test messages, stamped relative to a given instant (normally now), so no test
 * depends on today's date.
 */
export { bsdTimestamp } from '../../pipeline/time/bsd-format';

/** The same instant with its milliseconds dropped (BSD timestamps have whole seconds). */
export function wholeSeconds(date: Date): Date {
  return new Date(Math.floor(date.getTime() / 1000) * 1000);
}
