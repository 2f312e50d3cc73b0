import type { Alert, NotificationJob } from '../../schemas/generated/types';

/**
 * BullMQ ignores an add() whose job id already exists, so a deterministic id makes enqueuing
 * idempotent: a worker that crashed after enqueuing and replays the batch adds nothing new.
 * (BullMQ rejects ':' in custom ids, hence '-'.)
 */
export function notificationJobId(alertId: string, channel: string): string {
  return `${alertId}-${channel}`;
}

export function buildNotificationJob(alert: Alert, channel: string, event: 'opened' | 'resolved' = 'opened'): { id: string; data: NotificationJob } {
  // A resolution is its own delivery (the ticket gets closed), so it has its own stable id.
  const id = event === 'opened' ? notificationJobId(alert.alert.id, channel) : notificationJobId(`${alert.alert.id}-resolved`, channel);
  return { id, data: { v: 1, channel, alert, ...(event === 'resolved' ? { event } : {}) } };
}
