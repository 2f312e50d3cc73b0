import { createHash } from 'node:crypto';
import type { Alert, HaetaeEvent } from '../../schemas/generated/types';
import type { CompiledRule } from '../detect/load';
import { getField } from '../detect/field';
import { severityFor } from '../enrich/severity';

/**
 * Alert ids are a hash of what makes the alert unique — the rule and the triggering event's
 * document id (itself derived from the envelope's receiver-assigned id, or topic/partition/offset
 * for older records) — so reprocessing a record after a crash, or a copy of it Kafka stored twice,
 * produces the same id, and the alerts index and the job queue both deduplicate on it.
 */
export function alertId(ruleId: string, groupKey: string): string {
  return createHash('sha256').update(ruleId).update('\u0000').update(groupKey).digest('hex').slice(0, 32);
}

/**
 * The deduplication key ticketing integrations key on: one per rule and group, stable across
 * throttle periods, correlation windows and absences, so one problem is one ticket.
 */
export function dedupKey(ruleId: string, groupKey: string): string {
  return alertId(ruleId, `dedup\u0000${groupKey}`);
}

/** The group an event falls in for a rule: a readable key and the values as an object. */
export function groupOf(rule: CompiledRule, event: unknown): { key: string; values: Record<string, unknown> } {
  const fields = rule.alerting.groupBy ?? [];
  const values: Record<string, unknown> = {};
  for (const f of fields) {
    const v = getField(event, f);
    values[f] = v === undefined ? null : v;
  }
  return { key: fields.map((f) => `${f}=${JSON.stringify(values[f])}`).join(', '), values };
}

/**
 * Builds the alert for one matching event. Its id decides deduplication:
 * - throttled rules: rule + group + the throttle period the event time falls in, so every match
 *   of a group inside one period is the same alert (one notification; repeats are recorded);
 * - otherwise: rule + the event's document id, one alert per matching event.
 * Event time, not arrival time, picks the period, so a replay lands in the same one.
 *
 * With `raiseSeverity` (enrich.assets.raiseSeverity), the severity is raised by the criticality of
 * the assets the event touches (haetae.asset.criticality, written by the enrich stage).
 */
export function buildAlert(rule: CompiledRule, event: HaetaeEvent, eventId: string, index: string, now: Date, opts: { raiseSeverity?: boolean } = {}): Alert {
  const host = event.host?.hostname;
  const sourceIp = event.source?.ip;
  const group = groupOf(rule, event);
  const throttle = rule.alerting.throttleMs;
  let id: string;
  let window: { start: string; end: string } | undefined;
  if (throttle !== undefined) {
    const t = Date.parse(event['@timestamp']);
    const start = Math.floor(t / throttle) * throttle;
    window = { start: new Date(start).toISOString(), end: new Date(start + throttle).toISOString() };
    id = alertId(rule.id, `${JSON.stringify(group.values)}\u0000${window.start}`);
  } else {
    id = alertId(rule.id, eventId);
  }
  const alert: Alert = {
    '@timestamp': event['@timestamp'],
    message: `${rule.title}${host ? ` on ${host}` : ''}: ${truncate(event.message, 200)}`,
    alert: {
      id,
      status: 'open',
      severity: opts.raiseSeverity ? severityFor(rule.alerting.severity, event) : rule.alerting.severity,
      created: now.toISOString(),
      group_key: group.key,
      dedup_key: rule.alerting.groupBy ? dedupKey(rule.id, group.key) : id,
      assignee: null,
      acknowledged_at: null,
      resolved_at: null,
      ...(window ? { window } : {}),
    },
    rule: {
      id: rule.id,
      title: rule.title,
      level: rule.level,
      tags: rule.tags,
      file: rule.file,
      ...(rule.description ? { description: rule.description } : {}),
      ...(rule.alerting.channels ? { channels: [...rule.alerting.channels] } : {}),
    },
    events: { ids: [eventId], count: 1, index },
  };
  if (host) alert.host = { hostname: host };
  if (sourceIp) alert.source = { ip: sourceIp };
  return alert;
}

function truncate(s: string, n: number): string {
  return s.length <= n ? s : `${s.slice(0, n - 1)}…`;
}
