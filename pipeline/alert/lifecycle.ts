import type { Alert } from '../../schemas/generated/types';

/**
 * What people (and rules, and ticketing systems) do to an alert, as pure functions of the stored
 * alert: the state machine open → acknowledged → resolved (and reopen), assignment and notes, each
 * leaving an entry in the alert's history (who, when, from where). The store applies them with
 * Elasticsearch optimistic concurrency (connectors/elasticsearch/alert-store.ts): on a conflict it
 * reads the alert again and applies the action again, so two analysts acting at once never lose an
 * update — and the second of two acknowledgements is told the alert is already acknowledged.
 */
export type AlertAction =
  | { kind: 'acknowledge'; note?: string }
  | { kind: 'resolve'; note?: string }
  | { kind: 'reopen'; note?: string }
  | { kind: 'assign'; assignee: string | null; note?: string }
  | { kind: 'note'; note: string };

/** Where a change came from: the CLI, the HTTP API, a rule (recovery pairing), a ticketing system. */
export type ActorVia = 'cli' | 'api' | 'rule' | 'ticket';

export interface Actor {
  /** A user name, or `rule:<id>` / `jira:<key>` for changes that are not a person's. */
  name: string;
  via: ActorVia;
}

export type HistoryEntry = NonNullable<Alert['alert']['history']>[number];

/** History kept on the alert; older entries are dropped first and counted in history_dropped. */
export const MAX_HISTORY = 200;
/** Longest note (characters); longer ones are refused, not cut. */
export const MAX_NOTE_CHARS = 4_000;
/** Longest assignee name. */
export const MAX_ASSIGNEE_CHARS = 256;

export class AlertTransitionError extends Error {
  constructor(message: string, readonly code: 'HAETAE_ALERT_STATE' | 'HAETAE_ALERT_INPUT') {
    super(message);
    this.name = 'AlertTransitionError';
  }
}

/** The transition an action makes, or an error saying plainly why it cannot be made now. */
export function applyAction(alert: Alert, action: AlertAction, actor: Actor, now: Date): { alert: Alert['alert']; entry: HistoryEntry } {
  const a = alert.alert;
  const at = now.toISOString();
  const note = action.note?.trim();
  if (action.kind === 'note' && !note) throw new AlertTransitionError('a note needs some text', 'HAETAE_ALERT_INPUT');
  if (note !== undefined && note.length > MAX_NOTE_CHARS) throw new AlertTransitionError(`a note is at most ${MAX_NOTE_CHARS} characters (this one has ${note.length})`, 'HAETAE_ALERT_INPUT');
  const entry: HistoryEntry = { at, actor: actor.name, via: actor.via, action: action.kind, ...(note ? { note } : {}) };
  const next: Alert['alert'] = { ...a };
  const since = (t: string | null | undefined): string => (t ? ` since ${t}` : '');
  switch (action.kind) {
    case 'acknowledge':
      if (a.status === 'acknowledged') throw new AlertTransitionError(`alert ${a.id} is already acknowledged${a.acknowledged_by ? ` by ${a.acknowledged_by}` : ''}${since(a.acknowledged_at)}`, 'HAETAE_ALERT_STATE');
      if (a.status === 'resolved') throw new AlertTransitionError(`alert ${a.id} is resolved${since(a.resolved_at)}; reopen it first`, 'HAETAE_ALERT_STATE');
      Object.assign(next, { status: 'acknowledged', acknowledged_at: at, acknowledged_by: actor.name });
      Object.assign(entry, { from: a.status, to: 'acknowledged' });
      break;
    case 'resolve':
      if (a.status === 'resolved') throw new AlertTransitionError(`alert ${a.id} is already resolved${since(a.resolved_at)}`, 'HAETAE_ALERT_STATE');
      // resolved_by names the recovering event of a rule's resolution (the caller sets it); a person is in the history.
      Object.assign(next, { status: 'resolved', resolved_at: at, resolved_by: null }, a.reopened_by ? { reopened_by: null } : {});
      Object.assign(entry, { from: a.status, to: 'resolved' });
      break;
    case 'reopen':
      if (a.status === 'open') throw new AlertTransitionError(`alert ${a.id} is already open`, 'HAETAE_ALERT_STATE');
      Object.assign(next, { status: 'open', resolved_at: null, resolved_by: null, acknowledged_at: null, acknowledged_by: null }, a.reopened_by ? { reopened_by: null } : {});
      Object.assign(entry, { from: a.status, to: 'open' });
      break;
    case 'assign': {
      const who = action.assignee?.trim() || null;
      if (who !== null && who.length > MAX_ASSIGNEE_CHARS) throw new AlertTransitionError(`an assignee name is at most ${MAX_ASSIGNEE_CHARS} characters`, 'HAETAE_ALERT_INPUT');
      if ((a.assignee ?? null) === who) throw new AlertTransitionError(who ? `alert ${a.id} is already assigned to ${who}` : `alert ${a.id} is not assigned to anyone`, 'HAETAE_ALERT_STATE');
      next.assignee = who;
      Object.assign(entry, { assignee: who });
      break;
    }
    case 'note':
      break;
  }
  const history = [...(a.history ?? []), entry];
  const dropped = Math.max(0, history.length - MAX_HISTORY);
  next.history = dropped > 0 ? history.slice(dropped) : history;
  if (dropped > 0 || a.history_dropped) next.history_dropped = (a.history_dropped ?? 0) + dropped;
  return { alert: next, entry };
}

/** How many times `kind` has happened to the alert, counting the history it still holds and this one. */
export function occurrencesOf(alert: Alert['alert'], kind: HistoryEntry['action']): number {
  return (alert.history ?? []).filter((h) => h.action === kind).length;
}
