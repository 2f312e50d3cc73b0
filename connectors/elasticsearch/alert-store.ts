import type { Client, estypes } from '@elastic/elasticsearch';
import { errors } from '@elastic/elasticsearch';
import type { Alert } from '../../schemas/generated/types';
import { AlertTransitionError, applyAction, type Actor, type AlertAction, type HistoryEntry } from '../../pipeline/alert/lifecycle';

/**
 * Alerts as analysts work them, on the alerts index: find by id (or a unique prefix of it), list
 * with filters, and change with optimistic concurrency — each change is read, applied
 * (pipeline/alert/lifecycle.ts) and written with if_seq_no/if_primary_term; when someone else
 * changed the alert in between, Elasticsearch answers 409 and the change is applied again to what
 * is stored now. Nothing is overwritten blindly, so no update is ever lost.
 */
export interface StoredAlert {
  alert: Alert;
  seqNo: number;
  primaryTerm: number;
}

export class AlertNotFoundError extends Error {
  readonly code = 'HAETAE_ALERT_NOT_FOUND';
  constructor(message: string) {
    super(message);
    this.name = 'AlertNotFoundError';
  }
}

const ID_PREFIX = /^[a-f0-9]{6,32}$/;

/** The alert with this id, or with this unique id prefix (at least 6 hex characters, as `alerts list` prints 12). */
export async function findAlert(client: Client, index: string, idOrPrefix: string): Promise<StoredAlert> {
  const wanted = idOrPrefix.trim().toLowerCase();
  if (!ID_PREFIX.test(wanted)) throw new AlertNotFoundError(`'${idOrPrefix}' is not an alert id (32 hex characters, or a unique prefix of at least 6)`);
  if (wanted.length === 32) {
    try {
      const doc = await client.get<Alert>({ index, id: wanted });
      if (doc.found && doc._source) return { alert: doc._source, seqNo: doc._seq_no!, primaryTerm: doc._primary_term! };
    } catch (err) {
      if (!(err instanceof errors.ResponseError && err.statusCode === 404)) throw err;
    }
    throw new AlertNotFoundError(`no alert with id ${wanted} in ${index}`);
  }
  const res = await client.search<Alert>({ index, size: 2, seq_no_primary_term: true, query: { prefix: { 'alert.id': wanted } } });
  const hits = res.hits.hits;
  if (hits.length === 0) throw new AlertNotFoundError(`no alert whose id starts with ${wanted} in ${index}`);
  if (hits.length > 1) throw new AlertNotFoundError(`more than one alert id starts with ${wanted}: ${hits.map((h) => h._id).join(', ')}; give more of it`);
  return { alert: hits[0]!._source!, seqNo: hits[0]!._seq_no!, primaryTerm: hits[0]!._primary_term! };
}

export interface AlertFilter {
  status?: ReadonlyArray<Alert['alert']['status']>;
  ruleId?: string;
  /** Only alerts whose event time is at or after this (ISO). */
  since?: string;
  assignee?: string;
  limit: number;
}

/** Alerts newest first (by event time), with the total that matched. */
export async function listAlerts(client: Client, index: string, f: AlertFilter): Promise<{ total: number; alerts: Alert[] }> {
  const filter: estypes.QueryDslQueryContainer[] = [];
  if (f.status && f.status.length > 0) filter.push({ terms: { 'alert.status': [...f.status] } });
  if (f.ruleId) filter.push({ bool: { should: [{ term: { 'rule.id': f.ruleId } }, { term: { 'rule.title.keyword': f.ruleId } }], minimum_should_match: 1 } });
  if (f.since) filter.push({ range: { '@timestamp': { gte: f.since } } });
  if (f.assignee) filter.push({ term: { 'alert.assignee': f.assignee } });
  const res = await client.search<Alert>({
    index,
    size: f.limit,
    track_total_hits: true,
    query: { bool: { filter } },
    sort: [{ '@timestamp': { order: 'desc' } }, { 'alert.id': { order: 'asc' } }],
  });
  const total = typeof res.hits.total === 'number' ? res.hits.total : (res.hits.total?.value ?? 0);
  return { total, alerts: res.hits.hits.map((h) => h._source!) };
}

export interface TransitionResult {
  before: Alert;
  after: Alert;
  entry: HistoryEntry;
  /** How many times the write met a concurrent change and was applied again. */
  conflicts: number;
}

/**
 * Applies `action` to the alert with optimistic concurrency; on a conflict, reads the alert again
 * and applies the action to the new state (which may now refuse it: "already acknowledged by …").
 * The index is refreshed after the write (wait_for) so the next read — the analyst's `alerts show`
 * — sees it.
 */
export async function transitionAlert(client: Client, index: string, idOrPrefix: string, action: AlertAction, actor: Actor, now: () => Date = () => new Date(), maxAttempts = 8): Promise<TransitionResult> {
  let conflicts = 0;
  for (;;) {
    const stored = await findAlert(client, index, idOrPrefix);
    const { alert: next, entry } = applyAction(stored.alert, action, actor, now());
    try {
      await client.update({ index, id: stored.alert.alert.id, if_seq_no: stored.seqNo, if_primary_term: stored.primaryTerm, doc: { alert: next }, refresh: 'wait_for' });
      return { before: stored.alert, after: { ...stored.alert, alert: next }, entry, conflicts };
    } catch (err) {
      if (!(err instanceof errors.ResponseError && err.statusCode === 409)) throw err;
      conflicts++;
      if (conflicts >= maxAttempts) throw new AlertTransitionError(`alert ${stored.alert.alert.id} kept changing under this ${action.kind} (${conflicts} concurrent changes); try again`, 'HAETAE_ALERT_STATE');
    }
  }
}

export interface Occurrences {
  count: number;
  first: string | null;
  last: string | null;
}

/**
 * How many matching events each alert absorbed, and the first and last of them, from the
 * alert-event records the worker writes for every match (idempotent, so replays count once).
 */
export async function occurrencesOf(client: Client, alertEventsIndex: string, alertIds: readonly string[]): Promise<Map<string, Occurrences>> {
  const out = new Map<string, Occurrences>();
  if (alertIds.length === 0) return out;
  try {
    const res = await client.search({
      index: alertEventsIndex,
      size: 0,
      query: { terms: { 'alert.id': [...alertIds] } },
      aggs: { by: { terms: { field: 'alert.id', size: alertIds.length }, aggs: { first: { min: { field: '@timestamp' } }, last: { max: { field: '@timestamp' } } } } },
    });
    const buckets = (res.aggregations?.by as { buckets?: Array<{ key: string; doc_count: number; first: { value_as_string?: string }; last: { value_as_string?: string } }> } | undefined)?.buckets ?? [];
    for (const b of buckets) out.set(b.key, { count: b.doc_count, first: b.first.value_as_string ?? null, last: b.last.value_as_string ?? null });
  } catch (err) {
    // No alert-event index yet (nothing matched since it was configured): every count is its own.
    if (!(err instanceof errors.ResponseError && err.statusCode === 404)) throw err;
  }
  return out;
}

/**
 * The alerts of one problem (alert.dedup_key), newest first: what an inbound ticket change
 * applies to. Bounded: a problem's alerts beyond `limit` are left as they are.
 */
export async function alertsOfProblem(client: Client, index: string, dedupKey: string, status: ReadonlyArray<Alert['alert']['status']>, limit = 100): Promise<Alert[]> {
  const res = await client.search<Alert>({
    index,
    size: limit,
    query: { bool: { filter: [{ term: { 'alert.dedup_key': dedupKey } }, { terms: { 'alert.status': [...status] } }] } },
    sort: [{ '@timestamp': { order: 'desc' } }, { 'alert.id': { order: 'asc' } }],
  });
  return res.hits.hits.map((h) => h._source!);
}
