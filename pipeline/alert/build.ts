import { createHash } from 'node:crypto';
import type { Alert, HaetaeEvent } from '../../schemas/generated/types';
import type { CompiledRule } from '../detect/load';

/**
 * Alert ids are a hash of what makes the alert unique — the rule and the triggering event's
 * document id (itself derived from topic/partition/offset) — so reprocessing a record after a
 * crash produces the same id, and the alerts index and the job queue both deduplicate on it.
 */
export function alertId(ruleId: string, groupKey: string): string {
  return createHash('sha256').update(ruleId).update('\u0000').update(groupKey).digest('hex').slice(0, 32);
}

export function buildAlert(rule: CompiledRule, event: HaetaeEvent, eventId: string, index: string, now: Date): Alert {
  const host = event.host?.hostname;
  const sourceIp = event.source?.ip;
  const alert: Alert = {
    '@timestamp': event['@timestamp'],
    message: `${rule.title}${host ? ` on ${host}` : ''}: ${truncate(event.message, 200)}`,
    alert: {
      id: alertId(rule.id, eventId),
      status: 'open',
      severity: rule.level,
      created: now.toISOString(),
      group_key: '',
      assignee: null,
      acknowledged_at: null,
      resolved_at: null,
    },
    rule: {
      id: rule.id,
      title: rule.title,
      level: rule.level,
      tags: rule.tags,
      file: rule.file,
      ...(rule.description ? { description: rule.description } : {}),
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
