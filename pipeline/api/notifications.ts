import type { Queue } from 'bullmq';
import type { NotificationJob } from '../../schemas/generated/types';
import { decodeDeliveryFailure, type DeliveryFailure } from '../notify/failure';
import type { NotificationEvent } from '../notify/job';

export interface NotificationJobView {
  id: string;
  channel: string;
  event: NotificationEvent;
  state: string;
  attemptsMade: number;
  failedReason: string | null;
  createdAt: string | null;
  finishedOn: string | null;
  failures: DeliveryFailure[];
}

/** At most this many jobs are listed for one alert (a flapping alert reopened hundreds of times). */
export const MAX_JOBS_PER_ALERT = 500;

const GLOB = /[*?[\]\\]/g;

/**
 * The notification jobs of one alert, oldest first. Every job id of an alert starts with the
 * alert's id (`<alert>-<channel>`, `<alert>-<event>[-n]-<channel>`; pipeline/notify/job.ts), so
 * they are found by their Redis keys (SCAN, not KEYS: Redis keeps serving meanwhile), whatever
 * channels were configured when they were queued. The per-attempt failure records come from the
 * job's log, as `haetae notify failed` reads them.
 */
export async function notificationsOf(queue: Queue<NotificationJob>, alertId: string): Promise<NotificationJobView[]> {
  const prefix = queue.toKey('');
  const client = await queue.getBackend().client;
  const ids = new Set<string>();
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(cursor, { MATCH: `${prefix.replace(GLOB, '\\$&')}${alertId}-*`, COUNT: 1000 });
    cursor = String(next);
    for (const key of keys) {
      const id = key.slice(prefix.length);
      // Job ids hold no ':' (BullMQ refuses them); `<id>:logs`, `<id>:lock` are the job's own keys.
      if (!id.includes(':')) ids.add(id);
    }
  } while (cursor !== '0' && ids.size < MAX_JOBS_PER_ALERT);

  const views: Array<NotificationJobView & { ts: number }> = [];
  for (const id of [...ids].slice(0, MAX_JOBS_PER_ALERT)) {
    const job = await queue.getJob(id);
    if (!job?.data) continue; // removed (completed jobs expire) between SCAN and now
    const [state, logs] = await Promise.all([job.getState(), queue.getJobLogs(id, 0, -1, true)]);
    views.push({
      ts: job.timestamp,
      id,
      channel: job.data.channel,
      event: job.data.event ?? 'opened',
      state: String(state),
      attemptsMade: job.attemptsMade,
      failedReason: job.failedReason || null,
      createdAt: job.timestamp ? new Date(job.timestamp).toISOString() : null,
      finishedOn: job.finishedOn ? new Date(job.finishedOn).toISOString() : null,
      failures: logs.logs.map(decodeDeliveryFailure).filter((f): f is DeliveryFailure => f !== null),
    });
  }
  views.sort((a, b) => a.ts - b.ts || a.id.localeCompare(b.id));
  return views.map(({ ts: _ts, ...v }) => v);
}
