import type { Client } from '@elastic/elasticsearch';
import type { Queue } from 'bullmq';
import type { LoadedConfig } from '../config/load';
import type { NotificationJob } from '../../schemas/generated/types';
import { transitionAlert, type TransitionResult } from '../../connectors/elasticsearch/alert-store';
import { createNotificationQueue, jobOptions, queueSettings, type QueueSettings } from '../../connectors/bullmq/queue';
import { occurrencesOf as transitionsOf, type Actor, type AlertAction } from './lifecycle';
import { buildNotificationJob, type NotificationEvent } from '../notify/job';
import { AlertRouter, channelNames } from '../notify/channels';

/**
 * One place where a person's change to an alert is made and its notifications are queued: the
 * CLI (`haetae alerts …`) and the HTTP API both come through here, so an acknowledgement from
 * either reaches the same channels with the same job ids (`<alert>-<event>[-n]-<channel>`).
 */
export interface AlertChanges {
  es: Client;
  alertsIndex: string;
  /** Routed as the worker routes: the rule's own channels as recorded on the alert (rule.channels), else notifier.routes, defaultChannels. */
  router: AlertRouter;
  /** Null when nothing is to be queued (no channel configured, or the caller only notes and assigns). */
  queue: Queue<NotificationJob> | null;
  settings: QueueSettings;
  now?: () => Date;
}

export interface AppliedChange {
  transition: TransitionResult;
  /** Notification event of the change (acknowledged, resolved, reopened), or null for assign and note. */
  event: NotificationEvent | null;
  /** Ids of the jobs queued for it (BullMQ ignores an id it already holds, so a replay adds nothing). */
  queued: string[];
  /** The change is stored, but its notifications could not (all) be queued: why. */
  queueError: unknown;
}

const EVENTS: Partial<Record<AlertAction['kind'], NotificationEvent>> = { acknowledge: 'acknowledged', resolve: 'resolved', reopen: 'reopened' };

/** The notification event a change of this kind sends, or null (assignments and notes notify nobody). */
export function notificationEventOf(kind: AlertAction['kind']): NotificationEvent | null {
  return EVENTS[kind] ?? null;
}

/**
 * The router, queue settings and (when `withQueue` and any channel is configured) the queue for
 * changes made with this config. `close()` closes the queue it opened.
 */
export function openAlertNotifications(cfg: LoadedConfig['config'], withQueue: boolean): { router: AlertRouter; settings: QueueSettings; queue: Queue<NotificationJob> | null; close(): Promise<void> } {
  const router = new AlertRouter(cfg.notifier, channelNames(cfg, '(config)'));
  const settings = queueSettings(cfg);
  const queue = withQueue && router.channels.length > 0 ? createNotificationQueue(settings) : null;
  return { router, settings, queue, close: async () => { await queue?.close(); } };
}

/**
 * Applies `action` to one alert (optimistic concurrency: see transitionAlert) and queues one
 * notification per routed channel for a state change, numbered by how often that change has
 * happened to the alert. Refusals (AlertTransitionError, AlertNotFoundError) are thrown; a queue
 * failure after the change was stored is returned as `queueError`, since the change itself stands.
 */
export async function applyAlertChange(ctx: AlertChanges, idOrPrefix: string, action: AlertAction, actor: Actor, opts: { skipChannels?: readonly string[] } = {}): Promise<AppliedChange> {
  const now = ctx.now ?? (() => new Date());
  const transition = await transitionAlert(ctx.es, ctx.alertsIndex, idOrPrefix, action, actor, now);
  const event = notificationEventOf(action.kind);
  const queued: string[] = [];
  let queueError: unknown = null;
  if (ctx.queue && event) {
    const n = transitionsOf(transition.after.alert, action.kind);
    try {
      // A change that came from a ticket system is not sent back to it (skipChannels).
      for (const channel of ctx.router.route(transition.after, transition.after.rule.channels, now()).filter((c) => !opts.skipChannels?.includes(c))) {
        const job = buildNotificationJob(transition.after, channel, event, n);
        await ctx.queue.add(job.id, job.data, jobOptions(ctx.settings, job.id));
        queued.push(job.id);
      }
    } catch (err) {
      queueError = err;
    }
  }
  return { transition, event, queued, queueError };
}
