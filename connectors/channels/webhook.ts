import { DELIVERY_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, signPayload } from '../../pipeline/notify/sign';
import { HaetaeError, messageOf } from '../../pipeline/errors/catalog';

export interface WebhookSettings {
  url: string;
  secret?: string | undefined;
  timeoutMs: number;
}

/** Why a delivery failed, and whether trying again can help. */
export class WebhookDeliveryError extends HaetaeError {
  constructor(code: 'HAETAE_WEBHOOK_STATUS' | 'HAETAE_WEBHOOK_NETWORK', args: (string | number)[], readonly retryable: boolean) {
    super(code, args);
  }
}

/**
 * POSTs one JSON payload. The body is signed with HMAC-SHA256 over `<timestamp>.<body>`; the
 * delivery id (the job id) lets receivers drop a duplicate if a retry follows a lost response.
 * 2xx is success; 408, 429 and 5xx and network errors are retryable; other answers are not.
 */
export async function postWebhook(s: WebhookSettings, deliveryId: string, payload: unknown, now = new Date()): Promise<number> {
  const body = JSON.stringify(payload);
  const timestamp = String(Math.floor(now.getTime() / 1000));
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'user-agent': 'haetae-notifier/0.1',
    [DELIVERY_HEADER]: deliveryId,
    [TIMESTAMP_HEADER]: timestamp,
  };
  if (s.secret) headers[SIGNATURE_HEADER] = signPayload(s.secret, timestamp, body);
  let res: Response;
  try {
    res = await fetch(s.url, { method: 'POST', headers, body, signal: AbortSignal.timeout(s.timeoutMs), redirect: 'error' });
  } catch (err) {
    throw new WebhookDeliveryError('HAETAE_WEBHOOK_NETWORK', [messageOf(err)], true);
  }
  // Read the body so the connection can be reused, but keep only a short excerpt for errors.
  const text = await res.text().catch(() => '');
  if (res.ok) return res.status;
  const retryable = res.status === 408 || res.status === 429 || res.status >= 500;
  throw new WebhookDeliveryError('HAETAE_WEBHOOK_STATUS', [res.status, text.slice(0, 200) || res.statusText], retryable);
}
