/**
 * The event-time policy: how far a message's own timestamp may stray from the time haetae
 * received it before haetae stops believing it.
 *
 * A sender's clock decides where its events land in search, which throttle period and
 * correlation window they fall in, and — before this policy — how far event time moved for
 * everyone: one message stamped 2099 closed every window and tripped every absence rule. Now an
 * event whose timestamp is more than `maxFutureMs` ahead of its receive time, or more than
 * `maxPastMs` behind it, is dated at its receive time instead; its own timestamp stays in
 * `haetae.time.original`, the direction in `haetae.time.correction`, the difference in
 * `haetae.time.skew_ms`, and the event is tagged `haetae_timestamp_corrected` and counted.
 *
 * Within the bounds the sender's time is kept (a backlog relayed hours late stays at the hour it
 * happened). Correlation adds its own guard on top (see correlate/route.ts): an event may sit a
 * little in the future, but stream time never runs ahead of the receive time.
 */
import type { HaetaeEvent } from '../../schemas/generated/types';

export interface EventTimePolicy {
  maxFutureMs: number;
  maxPastMs: number;
}

export const DEFAULT_TIME_POLICY: EventTimePolicy = { maxFutureMs: 5 * 60_000, maxPastMs: 7 * 86_400_000 };

export const TAG_TIMESTAMP_CORRECTED = 'haetae_timestamp_corrected';

export type TimeCorrection = 'future' | 'past';

/**
 * Bounds `@timestamp` by the receive time (`event.created`), in place. Returns the correction
 * made, or null when the timestamp was believable (or the event had none of its own).
 */
export function boundEventTime(event: HaetaeEvent, policy: EventTimePolicy): TimeCorrection | null {
  const received = event.event.created;
  if (received === undefined) return null;
  const stamp = event['@timestamp'];
  if (stamp === received) return null; // no timestamp of its own: already the receive time
  const t = Date.parse(stamp);
  const r = Date.parse(received);
  if (!Number.isFinite(t) || !Number.isFinite(r)) return null;
  const skew = t - r;
  let correction: TimeCorrection;
  if (skew > policy.maxFutureMs) correction = 'future';
  else if (-skew > policy.maxPastMs) correction = 'past';
  else return null;
  event['@timestamp'] = received;
  event.haetae.time = { ...event.haetae.time, original: stamp, correction, skew_ms: skew };
  (event.tags ??= []).push(TAG_TIMESTAMP_CORRECTED);
  return correction;
}
