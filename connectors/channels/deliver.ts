import type { Template } from 'liquidjs';
import type { NotificationJob } from '../../schemas/generated/types';
import type { ResolvedChannel } from '../../pipeline/notify/channels';
import type { NotificationEvent } from '../../pipeline/notify/job';
import { DEFAULT_TEMPLATES, compileTemplate, emailHtml, pagerDutyEvent, renderSubject, renderTemplate, slackMessage, teamsMessage } from '../../pipeline/notify/messages';
import { sendEmail } from './email';
import { deliverTicket, type TicketStore } from './tickets';
import type { OutboundGuard } from './outbound';
import { WebhookDeliveryError, postJson, postWebhook } from './webhook';

/** A channel ready to send: its settings and its parsed template (the user's, or the type's default). */
export type ReadyChannel = ResolvedChannel & { compiled: Template[] | null; subjectTemplate?: Template[] };

/** Parses every channel's template at start-up, so a broken one stops the notifier with file and line. */
export function prepareChannels(channels: readonly ResolvedChannel[]): Map<string, ReadyChannel> {
  const out = new Map<string, ReadyChannel>();
  for (const c of channels) {
    // Tickets get the email text (a full description) unless the channel has its own template.
    const text = c.template?.text ?? (c.type === 'webhook' ? null : DEFAULT_TEMPLATES[c.type === 'jira' || c.type === 'servicenow' ? 'email' : c.type]);
    const compiled = text === null ? null : compileTemplate(text, c.template?.file ?? `(default ${c.type} template)`);
    out.set(c.name, { ...c, compiled, ...(c.type === 'email' ? { subjectTemplate: compileTemplate(c.subject, `notifier channel '${c.name}' subject`) } : {}) });
  }
  return out;
}

/**
 * Sends one job to its channel; resolves with the HTTP status, throws WebhookDeliveryError (with
 * `retryable`, and Retry-After when the service gave one) otherwise.
 */
export async function deliver(channel: ReadyChannel, jobId: string, job: NotificationJob, attempt: number, ctx: { tickets: TicketStore | null; guard?: OutboundGuard; failpoint?: ((name: 'after-ticket-create') => void) | undefined }): Promise<number> {
  const guard = ctx.guard ? { guard: ctx.guard } : {};
  const event: NotificationEvent = job.event ?? 'opened';
  // The alert's first events (when the worker raised or reopened it) for templates and the webhook body.
  const events = job.events ?? [];
  const text = channel.compiled ? renderTemplate(channel.compiled, job.alert, event, events) : '';
  const label = `${channel.type} channel '${channel.name}'`;
  switch (channel.type) {
    case 'webhook':
      // The documented webhook body, as before channels existed; a template adds a `text` field.
      return postWebhook({ url: channel.url, secret: channel.secret, timeoutMs: channel.timeoutMs, ...guard }, jobId, { delivery: jobId, event, attempt, alert: job.alert, ...(events.length > 0 ? { events } : {}), ...(channel.compiled ? { text } : {}) });
    case 'slack': {
      const res = await postJson({ url: channel.url, timeoutMs: channel.timeoutMs, label, ...guard }, JSON.stringify(slackMessage(job.alert, event, text)));
      return res.status;
    }
    case 'teams': {
      const res = await postJson({ url: channel.url, timeoutMs: channel.timeoutMs, label, ...guard }, JSON.stringify(teamsMessage(job.alert, event, text)));
      return res.status;
    }
    case 'email': {
      const subject = renderSubject(channel.subjectTemplate!, job.alert, event, events);
      await sendEmail(channel.name, label, channel.smtp, channel.timeoutMs, ctx.guard ?? null, { from: channel.from, to: channel.to, cc: channel.cc, subject, text, html: emailHtml(subject, text), messageId: `<${jobId}@haetae>` });
      return 250;
    }
    case 'jira':
    case 'servicenow': {
      if (!ctx.tickets) throw new Error('ticket channels need the ticket store (Redis)');
      const a = job.alert;
      const summary = `[${a.alert.severity}] ${a.rule.title}${a.host?.hostname ? ` on ${a.host.hostname}` : ''}${a.alert.group_key ? ` (${a.alert.group_key})` : ''}`;
      await deliverTicket(channel, ctx.tickets, a, event, { summary, body: text }, ctx.guard ?? null, { jobId, failpoint: ctx.failpoint });
      return 200;
    }
    case 'pagerduty': {
      const res = await postJson({ url: channel.url, timeoutMs: channel.timeoutMs, label, ...guard }, JSON.stringify(pagerDutyEvent(job.alert, event, channel.routingKey, text)));
      // Events v2 answers 202 {"status":"success",…}; anything else in a 2xx is not an accepted event.
      let status: unknown;
      try {
        status = (JSON.parse(res.text) as { status?: unknown }).status;
      } catch {
        status = undefined;
      }
      if (status !== 'success') throw new WebhookDeliveryError('HAETAE_WEBHOOK_STATUS', [res.status, `not an accepted event: ${res.text.slice(0, 200)}`], true, `HTTP_${res.status}`);
      return res.status;
    }
  }
}
