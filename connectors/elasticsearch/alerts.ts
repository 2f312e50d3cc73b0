import type { Client } from '@elastic/elasticsearch';
import { errors } from '@elastic/elasticsearch';
import type { Alert } from '../../schemas/generated/types';
import { applyAction } from '../../pipeline/alert/lifecycle';
import { decideFold, laterOf, type FoldCandidate, type FoldOutcome } from '../../pipeline/alert/fold';

export interface ResolveRequest {
  ruleId: string;
  groupKey: string;
  /** Only alerts raised at or before this time (the recovering event's time) are resolved. */
  until: string;
  /** Document id of the recovering event, recorded as resolved_by. */
  eventId: string;
}

/**
 * Recovery pairing on the alerts index, with plain search + partial-document updates (no
 * scripting, which the integ-test distribution lacks). The index is refreshed first so alerts
 * written in the same batch are seen. Updates use if_seq_no/if_primary_term: an analyst changing
 * the alert at the same moment wins, and the alert is looked at again next time. Alerts this
 * event already resolved (a replay after a crash) are returned again so their notifications are
 * re-enqueued — job ids make that a no-op when they already were.
 */
export async function resolveAlerts(client: Client, index: string, requests: readonly ResolveRequest[], now: Date): Promise<Alert[]> {
  await client.indices.refresh({ index });
  const resolved: Alert[] = [];
  /** Alerts an earlier request of this call already resolved (or returned). */
  const seen = new Set<string>();
  // One msearch per chunk of requests and one bulk of conditional updates, instead of a search and
  // an update per request: a batch with many recoveries costs two round trips.
  for (let from = 0; from < requests.length; from += RESOLVE_CHUNK) {
    const chunk = requests.slice(from, from + RESOLVE_CHUNK);
    const found = await client.msearch<Alert>({
      searches: chunk.flatMap((r) => [{ index }, {
        size: 100,
        seq_no_primary_term: true,
        query: {
          bool: {
            filter: [
              { term: { 'rule.id': r.ruleId } },
              { term: { 'alert.group_key': r.groupKey } },
              { range: { '@timestamp': { lte: r.until } } },
            ],
            should: [
              { terms: { 'alert.status': ['open', 'acknowledged'] } },
              { term: { 'alert.resolved_by': r.eventId } },
            ],
            minimum_should_match: 1,
          },
        },
      }]),
    });
    const updates: Array<{ id: string; seqNo: number; primaryTerm: number; alert: Alert; change: Alert['alert'] }> = [];
    chunk.forEach((r, i) => {
      const res = found.responses[i]!;
      if ('error' in res) throw new Error(`Elasticsearch did not search ${index} for alerts to resolve (HTTP ${res.status}): ${res.error.type}: ${res.error.reason ?? ''}`);
      for (const hit of res.hits.hits) {
        if (seen.has(hit._id!)) continue;
        seen.add(hit._id!);
        const alert = hit._source!;
        if (alert.alert.status === 'resolved') {
          resolved.push(alert);
          continue;
        }
        // The same transition an analyst's resolve makes, with the rule as the actor in the history.
        const change = applyAction(alert, { kind: 'resolve', note: `recovered by event ${r.eventId}` }, { name: `rule:${r.ruleId}`, via: 'rule' }, now).alert;
        change.resolved_by = r.eventId;
        updates.push({ id: hit._id!, seqNo: hit._seq_no!, primaryTerm: hit._primary_term!, alert, change });
      }
    });
    if (updates.length === 0) continue;
    const res = await client.bulk({
      refresh: false,
      operations: updates.flatMap((u) => [{ update: { _index: index, _id: u.id, if_seq_no: u.seqNo, if_primary_term: u.primaryTerm } }, { doc: { alert: u.change } }]),
    });
    res.items.forEach((item, i) => {
      const outcome = item.update!;
      if (outcome.error) {
        if (outcome.status === 409) return; // changed meanwhile (an analyst): looked at again next time
        throw new Error(`Elasticsearch did not resolve alert ${updates[i]!.id}: ${outcome.error.type}: ${outcome.error.reason ?? ''}`);
      }
      resolved.push({ ...updates[i]!.alert, alert: updates[i]!.change });
    });
  }
  return resolved;
}

/** Recovery requests per msearch. */
const RESOLVE_CHUNK = 200;

/** At most this many updates per alert are retried after a conflict before the batch retries. */
const MAX_CONFLICTS = 5;

/**
 * Folds a batch's matches into their problems' live alerts (pipeline/alert/fold.ts). The latest
 * alert of each dedup key is searched after a refresh of the alerts index (so an alert another
 * worker wrote a moment ago is seen); matches of one key are decided in order, each seeing the
 * outcome of the one before. Reopens are written with if_seq_no/if_primary_term — on a conflict
 * (an analyst, a recovery, another worker) the alert is read again and the decision made again;
 * last_seen moves forward with partial updates. Candidates must be in event order per key.
 */
export async function foldAlerts(client: Client, index: string, candidates: readonly FoldCandidate[], now: Date): Promise<FoldOutcome[]> {
  const keys = [...new Set(candidates.map((c) => c.alert.alert.dedup_key!))];
  const latest = new Map<string, { alert: Alert; seqNo?: number; primaryTerm?: number }>();
  try {
    await client.indices.refresh({ index });
    const res = await client.search<Alert>({
      index,
      size: keys.length,
      seq_no_primary_term: true,
      query: { terms: { 'alert.dedup_key': keys } },
      collapse: { field: 'alert.dedup_key' },
      sort: [{ 'alert.created': 'desc' }, { 'alert.id': 'desc' }],
    });
    for (const hit of res.hits.hits) latest.set(hit._source!.alert.dedup_key!, { alert: hit._source!, seqNo: hit._seq_no!, primaryTerm: hit._primary_term! });
  } catch (err) {
    // No alerts index yet (nothing was ever raised): every candidate is new.
    if (!(err instanceof errors.ResponseError && err.statusCode === 404)) throw err;
  }
  const outcomes: FoldOutcome[] = [];
  const lastSeen = new Map<string, string>();
  for (const c of candidates) {
    const key = c.alert.alert.dedup_key!;
    for (let attempt = 1; ; attempt++) {
      const current = latest.get(key);
      const decision = decideFold(c, current?.alert, now);
      if (decision.kind === 'create') {
        outcomes.push({ kind: 'create', alert: c.alert });
        if (current?.alert.alert.id !== c.alert.alert.id) {
          // Later matches of the batch fold into the alert this batch is about to write.
          latest.set(key, { alert: c.alert });
        } else if (current.seqNo === undefined) {
          // Another match of the batch's new alert (the same throttle period).
          current.alert.alert.last_seen = laterOf(current.alert.alert.last_seen, c.alert['@timestamp']);
        } else if (Date.parse(c.alert['@timestamp']) > Date.parse(current.alert.alert.last_seen ?? current.alert['@timestamp'])) {
          // A repeat inside the stored alert's throttle period (or a replay): it exists; move last_seen.
          current.alert.alert.last_seen = c.alert['@timestamp'];
          lastSeen.set(current.alert.alert.id, c.alert['@timestamp']);
        }
        break;
      }
      if (decision.kind === 'fold') {
        outcomes.push({ kind: 'fold', alert: decision.into });
        const into = decision.into.alert;
        if (current!.seqNo === undefined) {
          // The batch's own new alert: not stored yet, so it is written with its last_seen.
          into.last_seen = laterOf(into.last_seen, c.alert['@timestamp']);
        } else if (Date.parse(c.alert['@timestamp']) > Date.parse(into.last_seen ?? decision.into['@timestamp'])) {
          into.last_seen = c.alert['@timestamp'];
          lastSeen.set(into.id, into.last_seen);
        }
        break;
      }
      if (decision.kind === 'reopened') {
        outcomes.push({ kind: 'reopen', alert: decision.into });
        break;
      }
      try {
        const res = await client.update({ index, id: decision.into.alert.id, if_seq_no: current!.seqNo!, if_primary_term: current!.primaryTerm!, doc: { alert: decision.changed }, refresh: false });
        const reopened: Alert = { ...decision.into, alert: decision.changed };
        latest.set(key, { alert: reopened, seqNo: res._seq_no!, primaryTerm: res._primary_term! });
        outcomes.push({ kind: 'reopen', alert: reopened });
        break;
      } catch (err) {
        if (!(err instanceof errors.ResponseError && err.statusCode === 409) || attempt >= MAX_CONFLICTS) throw err;
        const fresh = await client.get<Alert>({ index, id: decision.into.alert.id });
        latest.set(key, { alert: fresh._source!, seqNo: fresh._seq_no!, primaryTerm: fresh._primary_term! });
      }
    }
  }
  if (lastSeen.size > 0) {
    // Partial updates merge: nothing else of an alert is touched. retry_on_conflict re-applies one
    // over a concurrent change instead of failing the batch. One bulk for all of them.
    const ids = [...lastSeen.keys()];
    const res = await client.bulk({ refresh: false, operations: ids.flatMap((id) => [{ update: { _index: index, _id: id, retry_on_conflict: 3 } }, { doc: { alert: { last_seen: lastSeen.get(id) } } }]) });
    res.items.forEach((item, i) => {
      const error = item.update?.error;
      if (error) throw new Error(`Elasticsearch did not record the last occurrence of alert ${ids[i]}: ${error.type}: ${error.reason ?? ''}`);
    });
  }
  return outcomes;
}
