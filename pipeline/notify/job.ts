import type { Alert, NotificationJob } from '../../schemas/generated/types';

/**
 * BullMQ ignores an add() whose job id already exists, so a deterministic id makes enqueuing
 * idempotent: a worker that crashed after enqueuing and replays the batch adds nothing new.
 * (BullMQ rejects ':' in custom ids, hence '-'.)
 */
export function notificationJobId(alertId: string, channel: string): string {
  return `${alertId}-${channel}`;
}

export type NotificationEvent = 'opened' | 'acknowledged' | 'resolved' | 'reopened';

/**
 * One job per (alert transition, channel), with an id that names the transition: the n-th time
 * this alert was acknowledged, resolved or reopened (n from its history). A replayed transition
 * (a worker redoing a batch, a recovery seen twice) has the same id and is not sent twice; a
 * second resolution after a reopen is a new delivery. The first resolution keeps the id it always
 * had (`<alert>-resolved-<channel>`), whether a rule or a person resolved it.
 */
export function buildNotificationJob(alert: Alert, channel: string, event: NotificationEvent = 'opened', n = 1, events?: readonly object[]): { id: string; data: NotificationJob } {
  const id = event === 'opened' ? notificationJobId(alert.alert.id, channel) : notificationJobId(`${alert.alert.id}-${event}${n > 1 ? `-${n}` : ''}`, channel);
  return { id, data: { v: 1, channel, alert, ...(event !== 'opened' ? { event } : {}), ...(events && events.length > 0 ? { events: events.slice(0, MAX_JOB_EVENTS).map(eventForJob) as NotificationJob['events'] } : {}) } };
}

/** Events carried by one job (the schema's maxItems). */
export const MAX_JOB_EVENTS = 3;
/** An event larger than this as JSON travels as its summary fields only (a job lives in Redis). */
export const MAX_JOB_EVENT_BYTES = 8_192;
const SUMMARY_FIELDS = ['@timestamp', 'message', 'host', 'source', 'destination', 'user', 'process', 'event', 'log', 'observer', 'rule', 'url', 'dns', 'file'] as const;

/** The event as a template sees it: as indexed, or its summary fields when it is too large. */
export function eventForJob(event: object): Record<string, unknown> {
  const e = event as Record<string, unknown>;
  if (Buffer.byteLength(JSON.stringify(e)) <= MAX_JOB_EVENT_BYTES) return e;
  const out: Record<string, unknown> = { haetae_cut: true };
  for (const f of SUMMARY_FIELDS) {
    if (e[f] === undefined) continue;
    const v = f === 'message' && typeof e[f] === 'string' ? (e[f] as string).slice(0, 1_024) : e[f];
    if (Buffer.byteLength(JSON.stringify({ ...out, [f]: v })) <= MAX_JOB_EVENT_BYTES) out[f] = v;
  }
  return out;
}
