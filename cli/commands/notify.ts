import type { Queue } from 'bullmq';
import type { NotificationJob } from '../../schemas/generated/types';
import { decodeDeliveryFailure } from '../../pipeline/notify/failure';

export interface FailedJobView {
  id: string;
  channel: string;
  alert: string;
  rule: string;
  attempts: number;
  failedAt: string | null;
  /** The error message (BullMQ's failedReason), naming the cause. */
  reason: string;
  /** Catalog code of the last failure (HAETAE_WEBHOOK_TLS…), '' when not recorded. */
  code: string;
  /** What lay behind it: ECONNREFUSED, DEPTH_ZERO_SELF_SIGNED_CERT, HTTP_400…; '' when not recorded. */
  cause: string;
}

export async function listFailed(queue: Queue<NotificationJob>, limit: number): Promise<{ total: number; jobs: FailedJobView[] }> {
  const total = await queue.getFailedCount();
  const jobs = await queue.getFailed(0, Math.max(0, limit - 1));
  // The notifier logs one failure record per attempt on the job; the newest is the final one.
  const last = await Promise.all(jobs.map(async (j) => (j.id ? (await queue.getJobLogs(j.id, 0, 0, false)).logs[0] : undefined)));
  return {
    total,
    jobs: jobs.map((j, i) => {
      // Only a record of this very failure counts (not one left by an earlier attempt before a retry).
      const record = decodeDeliveryFailure(last[i]);
      const failure = record && record.message === j.failedReason ? record : null;
      return {
        id: j.id ?? '',
        channel: j.data.channel,
        alert: j.data.alert.alert.id,
        rule: j.data.alert.rule.id,
        attempts: j.attemptsMade,
        failedAt: j.finishedOn ? new Date(j.finishedOn).toISOString() : null,
        reason: j.failedReason ?? '',
        code: failure?.code ?? '',
        cause: failure?.cause ?? '',
      };
    }),
  };
}

/** One line of the `haetae notify failed` table. */
export function formatFailedJob(j: FailedJobView): string {
  return `${j.id}  ${j.failedAt ?? '-'}  rule=${j.rule}  attempts=${j.attempts}  code=${j.code || '-'}  cause=${j.cause || '-'}  ${j.reason}`;
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

/** Removes failed jobs for good (the dead-letter list's "drop"); returns the ids removed. */
export async function dropFailed(queue: Queue<NotificationJob>, ids: string[] | 'all'): Promise<string[]> {
  const jobs = ids === 'all' ? await queue.getFailed() : await Promise.all(ids.map((id) => queue.getJob(id)));
  const dropped: string[] = [];
  for (const [i, job] of jobs.entries()) {
    if (!job) throw new Error(`no job with id '${ids === 'all' ? '?' : ids[i]}'`);
    if (!(await job.isFailed())) throw new Error(`job ${job.id} is not in the failed list (it is ${await job.getState()}); only failed jobs are dropped`);
    await job.remove();
    dropped.push(job.id ?? '');
  }
  return dropped;
}
