import type { Alert } from '../../schemas/generated/types';
import { applyAction } from './lifecycle';

/**
 * One problem, one alert while it lasts. A rule with group-by names a problem (its dedup key:
 * rule + group). When a match would raise an alert but the problem already has an open (or
 * acknowledged) alert, the match folds into that alert instead: its alert-event record points
 * there (so the occurrence count and last seen move on), the alert's last_seen is updated, and no
 * new notification goes out. After the alert is resolved, a new match either reopens it
 * (`haetae.reopen: true`, a `reopened` notification) or raises a new alert (the default).
 *
 * Pure: the decision from the candidate and the problem's latest stored alert. The store
 * (connectors/elasticsearch/alerts.ts foldAlerts) reads the latest alerts and applies the updates
 * with optimistic concurrency; replays decide the same way because every input is stored.
 */
export interface FoldCandidate {
  /** The alert the match would raise (its id deterministic: rule + event or throttle period). */
  alert: Alert;
  /** Document id of the matching event. */
  eventId: string;
  /** The rule's `haetae.reopen`. */
  reopen: boolean;
}

export type FoldDecision =
  /** No live alert of this problem (or it is this very alert): write the candidate as today. */
  | { kind: 'create' }
  /** The problem's open or acknowledged alert takes the match. */
  | { kind: 'fold'; into: Alert }
  /** The problem's resolved alert is reopened by this match (`changed` is what to store). */
  | { kind: 'reopen'; into: Alert; changed: Alert['alert'] }
  /** This match reopened the alert before (a replay after a crash): notify again, change nothing. */
  | { kind: 'reopened'; into: Alert };

/** What became of one candidate in the store (connectors/elasticsearch/alerts.ts foldAlerts). */
export interface FoldOutcome {
  /** What became of the match: a new alert (the candidate), folded into a live one, or a reopen. */
  kind: 'create' | 'fold' | 'reopen';
  /** The alert the match belongs to (for `reopen`, as reopened). */
  alert: Alert;
}

export function decideFold(candidate: FoldCandidate, latest: Alert | undefined, now: Date): FoldDecision {
  if (!latest || latest.alert.id === candidate.alert.alert.id) return { kind: 'create' };
  const a = latest.alert;
  if (a.status !== 'resolved') {
    return a.reopened_by === candidate.eventId ? { kind: 'reopened', into: latest } : { kind: 'fold', into: latest };
  }
  // A late match, no newer than what the resolved alert already saw, belongs to the problem as it
  // was: count it there, reopen nothing.
  if (Date.parse(candidate.alert['@timestamp']) <= Date.parse(a.last_seen ?? latest['@timestamp'])) return { kind: 'fold', into: latest };
  if (!candidate.reopen) return { kind: 'create' };
  const changed = applyAction(latest, { kind: 'reopen', note: `seen again: event ${candidate.eventId}` }, { name: `rule:${latest.rule.id}`, via: 'rule' }, now).alert;
  changed.reopened_by = candidate.eventId;
  changed.last_seen = laterOf(a.last_seen ?? latest['@timestamp'], candidate.alert['@timestamp']);
  return { kind: 'reopen', into: latest, changed };
}

/** The later of two ISO timestamps (an alert's last_seen only moves forward). */
export function laterOf(a: string | null | undefined, b: string): string {
  return a && Date.parse(a) >= Date.parse(b) ? a : b;
}

/** Rules whose matches fold: those that name a problem (group-by), i.e. dedup key ≠ alert id. */
export function foldsRepeats(alert: Alert): boolean {
  return alert.alert.dedup_key !== undefined && alert.alert.dedup_key !== alert.alert.id;
}
