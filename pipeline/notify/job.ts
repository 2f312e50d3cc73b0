import type { Alert, NotificationJob } from '../../schemas/generated/types';

/**
 * BullMQ ignores an add() whose job id already exists, so a deterministic id makes enqueuing
 * idempotent: a worker that crashed after enqueuing and replays the batch adds nothing new.
 * (BullMQ rejects ':' in custom ids, hence '-'.)
 */
export function notificationJobId(alertId: string, channel: string): string {
  return `${alertId}-${channel}`;
}

export function buildNotificationJob(alert: Alert, channel: string): { id: string; data: NotificationJob } {
  return { id: notificationJobId(alert.alert.id, channel), data: { v: 1, channel, alert } };
}
