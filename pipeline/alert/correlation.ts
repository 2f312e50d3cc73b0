import type { Alert } from '../../schemas/generated/types';
import { dedupKey } from './build';
import type { CorrelationAlert } from '../correlate/engine';
import type { CorrelationRule } from '../correlate/model';
import type { AbsenceAlert, AbsenceRule } from '../correlate/absence';

type Severity = Alert['alert']['severity'];
const SEVERITIES: readonly string[] = ['informational', 'low', 'medium', 'high', 'critical'];

/** The group key in the format detection alerts use (`field="value", …`), so recovery finds it. */
export function groupKeyOf(groupBy: Record<string, unknown>): string {
  return Object.entries(groupBy).map(([f, v]) => `${f}=${JSON.stringify(v ?? null)}`).join(', ');
}

function severityOf(level: string | undefined, override?: Severity): Severity {
  if (override) return override;
  return (level !== undefined && SEVERITIES.includes(level) ? level : 'medium') as Severity;
}

function hostOf(groupBy: Record<string, unknown>): string | undefined {
  const h = groupBy['host.hostname'];
  return typeof h === 'string' ? h : undefined;
}

/** An alert document for a correlation window that met its condition. */
export function buildCorrelationAlert(rule: CorrelationRule, c: CorrelationAlert, eventsIndex: string, now: Date): Alert {
  const groupKey = groupKeyOf(c.groupBy);
  const value = c.value !== undefined ? `, ${rule.type.replace('value_', '')} ${c.value}` : '';
  const alert: Alert = {
    '@timestamp': c.lastEventTime.toISOString(),
    message: `${rule.title}: ${c.eventCount} event${c.eventCount === 1 ? '' : 's'}${value}${groupKey ? ` for ${groupKey}` : ''} within ${rule.timespan.spec} (${c.windowStart.toISOString()} – ${c.lastEventTime.toISOString()})`,
    alert: {
      id: c.alertId,
      kind: 'correlation',
      status: 'open',
      severity: severityOf(rule.level),
      created: now.toISOString(),
      group_key: groupKey,
      dedup_key: dedupKey(rule.key, groupKey),
      assignee: null,
      acknowledged_at: null,
      resolved_at: null,
      window: { start: c.windowStart.toISOString(), end: c.windowEnd.toISOString() },
      ...(c.value !== undefined ? { value: c.value } : {}),
    },
    rule: { id: rule.key, title: rule.title, ...(rule.level ? { level: rule.level } : {}) },
    events: { ids: c.eventIds, count: c.eventCount, index: eventsIndex },
  };
  const host = hostOf(c.groupBy);
  if (host) alert.host = { hostname: host };
  return alert;
}

/** An alert document for a group whose expected events stopped arriving. */
export function buildAbsenceAlert(rule: AbsenceRule, a: AbsenceAlert, meta: { severity?: Severity; file?: string; eventsIndex: string; now: Date }): Alert {
  const groupKey = groupKeyOf(a.groupBy);
  const alert: Alert = {
    '@timestamp': a.deadline.toISOString(),
    message: `${rule.title}: nothing${groupKey ? ` from ${groupKey}` : ''} since ${a.lastSeen.toISOString()} (expected within ${rule.timespan})`,
    alert: {
      id: a.alertId,
      kind: 'absence',
      status: 'open',
      severity: severityOf(rule.level, meta.severity),
      created: meta.now.toISOString(),
      group_key: groupKey,
      dedup_key: dedupKey(rule.id, groupKey),
      assignee: null,
      acknowledged_at: null,
      resolved_at: null,
      window: { start: a.lastSeen.toISOString(), end: a.deadline.toISOString() },
    },
    rule: { id: rule.id, title: rule.title, ...(rule.level ? { level: rule.level } : {}), ...(meta.file ? { file: meta.file } : {}) },
    events: { ids: [], count: 0, index: meta.eventsIndex },
  };
  const host = hostOf(a.groupBy);
  if (host) alert.host = { hostname: host };
  return alert;
}
