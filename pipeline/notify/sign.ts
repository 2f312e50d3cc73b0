import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'x-haetae-signature';
export const TIMESTAMP_HEADER = 'x-haetae-timestamp';
export const DELIVERY_HEADER = 'x-haetae-delivery';

/**
 * Signature over `<timestamp>.<body>` (the Stripe/Slack scheme): binding the timestamp lets a
 * receiver reject replays of an old, captured request. Header value: `sha256=<hex>`.
 */
export function signPayload(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/** How far a signed timestamp may be from the receiver's clock, either way (Stripe's default). */
export const DEFAULT_TOLERANCE_SEC = 300;

export interface VerifyOptions {
  /** Maximum age (and future skew) of the timestamp in seconds; default 300. */
  toleranceSec?: number;
  /** The receiver's clock; injected by tests. */
  now?: Date;
}

/**
 * What a webhook receiver does; exported for tests and for users writing a receiver in JS. A
 * valid signature over a timestamp outside the tolerance is rejected: that is what makes a
 * captured request useless for a replay later. A timestamp too far in the future is rejected
 * too, or a sender with a fast clock could mint requests that stay replayable for long.
 */
export function verifySignature(secret: string, timestamp: string, body: string, header: string, opts: VerifyOptions = {}): boolean {
  if (!/^\d{1,12}$/.test(timestamp)) return false;
  const nowSec = Math.floor((opts.now ?? new Date()).getTime() / 1000);
  if (Math.abs(nowSec - Number(timestamp)) > (opts.toleranceSec ?? DEFAULT_TOLERANCE_SEC)) return false;
  const expected = Buffer.from(signPayload(secret, timestamp, body));
  const given = Buffer.from(header);
  return expected.length === given.length && timingSafeEqual(expected, given);
}
