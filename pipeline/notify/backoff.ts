/** Longest wait between two attempts of one notification. */
export const MAX_RETRY_DELAY_MS = 15 * 60_000;

/**
 * How long before attempt `attemptsMade + 1`: the Retry-After the service sent with a 429/503
 * (WebhookDeliveryError.retryAfterMs), else `base · 2^(attempts−1)` capped at 15 minutes, with
 * "equal jitter" (half fixed, half random) so the retries of a burst spread out.
 */
export function retryDelayMs(attemptsMade: number, baseMs: number, err?: Error, random: () => number = Math.random): number {
  const asked = (err as { retryAfterMs?: unknown } | undefined)?.retryAfterMs;
  if (typeof asked === 'number' && Number.isFinite(asked) && asked >= 0) return Math.max(asked, baseMs);
  const exp = Math.min(MAX_RETRY_DELAY_MS, baseMs * 2 ** Math.max(0, attemptsMade - 1));
  return Math.round(exp / 2 + (random() * exp) / 2);
}
