import type { Queue } from 'bullmq';
import type { NotificationJob } from '../../schemas/generated/types';

export interface FailedJobView {
  id: string;
  channel: string;
  alert: string;
  rule: string;
  attempts: number;
  failedAt: string | null;
  reason: string;
}

export async function listFailed(queue: Queue<NotificationJob>, limit: number): Promise<{ total: number; jobs: FailedJobView[] }> {
  const total = await queue.getFailedCount();
  const jobs = await queue.getFailed(0, Math.max(0, limit - 1));
  return {
    total,
    jobs: jobs.map((j) => ({
      id: j.id ?? '',
      channel: j.data.channel,
      alert: j.data.alert.alert.id,
      rule: j.data.alert.rule.id,
      attempts: j.attemptsMade,
      failedAt: j.finishedOn ? new Date(j.finishedOn).toISOString() : null,
      reason: j.failedReason ?? '',
    })),
  };
}

/** Moves failed jobs back to waiting; the notifier delivers them again. */
export async function retryFailed(queue: Queue<NotificationJob>, ids: string[] | 'all'): Promise<string[]> {
  const jobs = ids === 'all' ? await queue.getFailed() : await Promise.all(ids.map((id) => queue.getJob(id)));
  const retried: string[] = [];
  for (const [i, job] of jobs.entries()) {
    if (!job) throw new Error(`no job with id '${ids === 'all' ? '?' : ids[i]}'`);
    await job.retry('failed');
    retried.push(job.id ?? '');
  }
  return retried;
}
