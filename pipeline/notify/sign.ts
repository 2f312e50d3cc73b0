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

/** What a webhook receiver does; exported for tests and for users writing a receiver in JS. */
export function verifySignature(secret: string, timestamp: string, body: string, header: string): boolean {
  const expected = Buffer.from(signPayload(secret, timestamp, body));
  const given = Buffer.from(header);
  return expected.length === given.length && timingSafeEqual(expected, given);
}
