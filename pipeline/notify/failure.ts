import { HaetaeError, messageOf } from '../errors/catalog';

/**
 * One failed delivery attempt as the notifier writes it into the job's log (BullMQ `job.log`).
 * BullMQ keeps only the message as `failedReason`; this keeps the catalog code and the cause
 * code (ECONNREFUSED, DEPTH_ZERO_SELF_SIGNED_CERT, HTTP_400…) so `haetae notify failed` can
 * show them, as text and as JSON, without parsing messages.
 */
export interface DeliveryFailure {
  attempt: number;
  code: string;
  cause: string;
  retryable: boolean;
  message: string;
}

export function deliveryFailureOf(err: unknown, attempt: number, retryable: boolean): DeliveryFailure {
  if (err instanceof HaetaeError) {
    const cause = err.detail?.cause;
    return { attempt, code: err.code, cause: typeof cause === 'string' ? cause : '', retryable, message: err.message };
  }
  return { attempt, code: 'unknown', cause: '', retryable, message: messageOf(err) };
}

export function encodeDeliveryFailure(f: DeliveryFailure): string {
  return JSON.stringify({ failure: f });
}

/** The record in a job log line, or null for any other line (or one from an older version). */
export function decodeDeliveryFailure(line: string | undefined): DeliveryFailure | null {
  if (!line?.startsWith('{"failure":')) return null;
  try {
    const f = (JSON.parse(line) as { failure?: Partial<DeliveryFailure> }).failure;
    if (!f || typeof f.code !== 'string') return null;
    return { attempt: Number(f.attempt) || 0, code: f.code, cause: String(f.cause ?? ''), retryable: f.retryable === true, message: String(f.message ?? '') };
  } catch {
    return null;
  }
}
