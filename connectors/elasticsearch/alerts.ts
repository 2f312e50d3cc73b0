import type { Client } from '@elastic/elasticsearch';
import { errors } from '@elastic/elasticsearch';
import type { Alert } from '../../schemas/generated/types';
import { applyAction } from '../../pipeline/alert/lifecycle';

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
  for (const r of requests) {
    const res = await client.search<Alert>({
      index,
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
    });
    for (const hit of res.hits.hits) {
      const alert = hit._source!;
      if (alert.alert.status === 'resolved') {
        resolved.push(alert);
        continue;
      }
      // The same transition an analyst's resolve makes, with the rule as the actor in the history.
      const change = applyAction(alert, { kind: 'resolve', note: `recovered by event ${r.eventId}` }, { name: `rule:${r.ruleId}`, via: 'rule' }, now).alert;
      change.resolved_by = r.eventId;
      try {
        await client.update({ index, id: hit._id!, if_seq_no: hit._seq_no!, if_primary_term: hit._primary_term!, doc: { alert: change } });
        resolved.push({ ...alert, alert: change });
      } catch (err) {
        if (err instanceof errors.ResponseError && err.statusCode === 409) continue; // changed meanwhile
        throw err;
      }
    }
  }
  return resolved;
}
