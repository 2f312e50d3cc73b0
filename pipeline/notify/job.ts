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
export function buildNotificationJob(alert: Alert, channel: string, event: NotificationEvent = 'opened', n = 1): { id: string; data: NotificationJob } {
  const id = event === 'opened' ? notificationJobId(alert.alert.id, channel) : notificationJobId(`${alert.alert.id}-${event}${n > 1 ? `-${n}` : ''}`, channel);
  return { id, data: { v: 1, channel, alert, ...(event !== 'opened' ? { event } : {}) } };
}
