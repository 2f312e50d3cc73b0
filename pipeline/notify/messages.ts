import { Liquid, type Template } from 'liquidjs';
import type { Alert } from '../../schemas/generated/types';
import type { NotificationEvent } from './job';

/**
 * The text of a notification, from a Liquid template (liquidjs: no code runs, only the alert's own
 * properties are visible, and parsing and rendering are bounded in size and time). Each channel
 * type has a default; `template:` on a channel replaces it with a file of the user's. A template
 * sees `alert` (the stored alert), `event` (opened, acknowledged, resolved, reopened), `events`
 * (the alert's first events as indexed, when the worker raised or reopened it; else empty) and
 * `haetae` ({ version }), and renders the message body: Slack mrkdwn, Teams markdown, the PagerDuty summary.
 */
export const DEFAULT_TEMPLATES: Record<'slack' | 'teams' | 'pagerduty' | 'email', string> = {
  slack: `*{{ event | capitalize }}* · {{ alert.alert.severity | upcase }} · {{ alert.rule.title }}
{{ alert.message }}
{%- if alert.alert.group_key != blank %}
Group: \`{{ alert.alert.group_key }}\`
{%- endif %}
{%- if alert.host.hostname %}
Host: {{ alert.host.hostname }}{% if alert.source.ip %} · Source: {{ alert.source.ip }}{% endif %}
{%- endif %}
{%- if alert.alert.assignee %}
Assignee: {{ alert.alert.assignee }}
{%- endif %}
{%- assign first = events | first %}
{%- if first.message %}
> {{ first.message | truncate: 300 }}
{%- endif %}
{%- assign last = alert.alert.history | last %}
{%- if last and last.note %}
_{{ last.actor }}: {{ last.note }}_
{%- endif %}`,
  teams: `**{{ event | capitalize }}** · {{ alert.alert.severity | upcase }} · {{ alert.rule.title }}

{{ alert.message }}
{%- if alert.alert.group_key != blank %}

Group: {{ alert.alert.group_key }}
{%- endif %}
{%- assign first = events | first %}
{%- if first.message %}

> {{ first.message | truncate: 300 }}
{%- endif %}
{%- assign last = alert.alert.history | last %}
{%- if last and last.note %}

_{{ last.actor }}: {{ last.note }}_
{%- endif %}`,
  pagerduty: '{{ alert.rule.title }}: {{ alert.message }}',
  email: `{{ alert.rule.title }} — {{ event }}

{{ alert.message }}

Severity:  {{ alert.alert.severity }}
Status:    {{ alert.alert.status }}{% if alert.alert.assignee %}
Assignee:  {{ alert.alert.assignee }}{% endif %}{% if alert.alert.group_key != blank %}
Group:     {{ alert.alert.group_key }}{% endif %}{% if alert.host.hostname %}
Host:      {{ alert.host.hostname }}{% endif %}{% if alert.source.ip %}
Source IP: {{ alert.source.ip }}{% endif %}
Rule:      {{ alert.rule.title }} ({{ alert.rule.id }})
Raised:    {{ alert.alert.created }}
Alert id:  {{ alert.alert.id }}
Events:    {{ alert.events.ids | join: ", " }}
{%- if events.size > 0 %}

First events:
{%- for e in events %}
  {{ e["@timestamp"] }}  {{ e.message | truncate: 500 }}
{%- endfor %}
{%- endif %}
{%- if alert.alert.history.size > 0 %}

History:
{%- for h in alert.alert.history %}
  {{ h.at }}  {{ h.actor }} ({{ h.via }})  {{ h.action }}{% if h.note %}: {{ h.note }}{% endif %}
{%- endfor %}
{%- endif %}`,
};

const engine = new Liquid({
  ownPropertyOnly: true,
  strictFilters: true,
  // A user's template is bounded: its source, its rendering time and what it may allocate.
  parseLimit: 100_000,
  renderLimit: 1_000,
  memoryLimit: 10_000_000,
});

export class TemplateError extends Error {}

/** A parsed template; a syntax error names the file and line at start-up, not at the first alert. */
export function compileTemplate(text: string, file: string): Template[] {
  try {
    return engine.parse(text, file);
  } catch (err) {
    throw new TemplateError(`template ${file}: ${(err as Error).message}`);
  }
}

/** Renders the template; the result is trimmed of blank lines the conditionals left. */
export function renderTemplate(template: Template[], alert: Alert, event: NotificationEvent, events: readonly object[] = []): string {
  const text = engine.renderSync(template, { alert, event, events, haetae: { version: '0.1' } }) as string;
  return text.split('\n').map((l) => l.trimEnd()).filter((l, i, all) => l !== '' || (i > 0 && all[i - 1] !== '')).join('\n').trim();
}

const cut = (s: string, n: number): string => (s.length <= n ? s : `${s.slice(0, n - 1)}…`);
const title = (alert: Alert, event: NotificationEvent): string => `[${event}] ${alert.rule.title}`;

/** Slack incoming webhook: Block Kit header + mrkdwn section + context, and `text` for notifications. */
export function slackMessage(alert: Alert, event: NotificationEvent, text: string): unknown {
  return {
    text: cut(`${title(alert, event)}: ${alert.message}`, 3000),
    blocks: [
      { type: 'header', text: { type: 'plain_text', text: cut(title(alert, event), 150), emoji: false } },
      { type: 'section', text: { type: 'mrkdwn', text: cut(text || alert.message, 3000) } },
      { type: 'context', elements: [{ type: 'mrkdwn', text: cut(`alert \`${alert.alert.id}\` · status ${alert.alert.status} · raised ${alert.alert.created}`, 3000) }] },
    ],
  };
}

/** Teams (incoming webhook or Workflows): one Adaptive Card 1.4 attachment. */
export function teamsMessage(alert: Alert, event: NotificationEvent, text: string): unknown {
  const facts = [
    { title: 'Severity', value: alert.alert.severity },
    { title: 'Status', value: alert.alert.status },
    { title: 'Rule', value: alert.rule.title },
    ...(alert.host?.hostname ? [{ title: 'Host', value: alert.host.hostname }] : []),
    ...(alert.alert.assignee ? [{ title: 'Assignee', value: alert.alert.assignee }] : []),
    { title: 'Alert', value: alert.alert.id },
  ];
  return {
    type: 'message',
    attachments: [{
      contentType: 'application/vnd.microsoft.card.adaptive',
      contentUrl: null,
      content: {
        $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
        type: 'AdaptiveCard',
        version: '1.4',
        body: [
          { type: 'TextBlock', size: 'Large', weight: 'Bolder', wrap: true, text: cut(title(alert, event), 200) },
          { type: 'TextBlock', wrap: true, text: cut(text || alert.message, 10_000) },
          { type: 'FactSet', facts },
        ],
      },
    }],
  };
}

const PD_SEVERITY: Record<Alert['alert']['severity'], 'critical' | 'error' | 'warning' | 'info'> = {
  critical: 'critical', high: 'error', medium: 'warning', low: 'info', informational: 'info',
};
const PD_ACTION: Record<NotificationEvent, 'trigger' | 'acknowledge' | 'resolve'> = {
  opened: 'trigger', reopened: 'trigger', acknowledged: 'acknowledge', resolved: 'resolve',
};

/**
 * PagerDuty Events API v2. The dedup_key is the alert's dedup key (one incident per problem: rule
 * and group), so acknowledging and resolving the alert acknowledges and resolves that incident.
 */
export function pagerDutyEvent(alert: Alert, event: NotificationEvent, routingKey: string, summary: string): unknown {
  const action = PD_ACTION[event];
  const base = { routing_key: routingKey, event_action: action, dedup_key: alert.alert.dedup_key ?? alert.alert.id };
  if (action !== 'trigger') return base;
  return {
    ...base,
    client: 'haetae',
    payload: {
      summary: cut(summary || `${alert.rule.title}: ${alert.message}`, 1024),
      source: alert.host?.hostname ?? alert.source?.ip ?? 'haetae',
      severity: PD_SEVERITY[alert.alert.severity],
      timestamp: alert['@timestamp'],
      component: alert.rule.title,
      ...(alert.alert.group_key ? { group: alert.alert.group_key } : {}),
      class: alert.rule.id,
      custom_details: { alert_id: alert.alert.id, status: alert.alert.status, rule: alert.rule.id, group: alert.alert.group_key ?? '', events: alert.events.ids.slice(0, 10), tags: alert.rule.tags ?? [] },
    },
  };
}

/** The subject line of an email, from its (one-line) template; control characters and newlines are removed. */
export function renderSubject(template: Template[], alert: Alert, event: NotificationEvent, events: readonly object[] = []): string {
  return cut(renderTemplate(template, alert, event, events).replace(/[\u0000-\u001f\u007f]+/g, ' ').trim(), 250);
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** The HTML part of an email: the text part, escaped, in a monospace block (nothing from the alert is markup). */
export function emailHtml(subject: string, text: string): string {
  const esc = (v: string): string => v.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!);
  return `<!doctype html><html><head><meta charset="utf-8"><title>${esc(subject)}</title></head><body><pre style="font-family:ui-monospace,Menlo,Consolas,monospace;white-space:pre-wrap">${esc(text)}</pre></body></html>`;
}
