import { createEsClient } from '../../../connectors/elasticsearch/client';
import { ensureIndexTemplates } from '../../../connectors/elasticsearch/templates';
import { writeBulk } from '../../../connectors/elasticsearch/bulk';
import { TEST_DATA_STREAM, freshMetrics, quietLogger, services, uniqueName } from '../../support/services';

const es = createEsClient({ url: services.elasticsearchUrl, requestTimeoutMs: 30_000 });
afterAll(() => es.close());

/**
 * Tests share one events data stream (the integ-test distribution cannot delete data streams, so
 * a stream per test would pile up) and tell their documents apart by unique ids; alert indices
 * are plain indices and are per test.
 */
function testNames(): { eventsDataStream: string; alertsIndex: string } {
  return { eventsDataStream: TEST_DATA_STREAM, alertsIndex: uniqueName('haetae-alerts-test-') };
}

describe('Elasticsearch bulk writer against a real node', () => {
  it('creates the data stream from our template, stores documents once, and rejects a bad one per item', async () => {
    const names = testNames();
    await ensureIndexTemplates(es, names);
    await ensureIndexTemplates(es, names); // idempotent: a second worker starting must not fail
    const [a, b] = [uniqueName('a-'), uniqueName('b-')];

    const opts = { url: services.elasticsearchUrl, logger: quietLogger(), metrics: freshMetrics(), refresh: true };
    const doc = (i: number, ip = '192.0.2.7') => ({ '@timestamp': '2026-11-22T10:00:00.000Z', message: `hello ${i}`, source: { ip }, log: { syslog: { structured_data: { 'exampleSDID@32473': { iut: '3' } } } } });
    const first = await writeBulk(es, [
      { index: names.eventsDataStream, id: a, document: doc(1) },
      { index: names.eventsDataStream, id: b, document: doc(2, 'not-an-ip') },
    ], opts);
    expect(first[0]).toEqual({ outcome: 'created' });
    expect(first[1]).toMatchObject({ outcome: 'rejected', status: 400, type: 'document_parsing_exception' });

    // A replay of the same ids is recognised as already stored, not duplicated.
    const replay = await writeBulk(es, [{ index: names.eventsDataStream, id: a, document: doc(1) }], opts);
    expect(replay).toEqual([{ outcome: 'exists' }]);
    const count = await es.count({ index: names.eventsDataStream, query: { ids: { values: [a, b] } } });
    expect(count.count).toBe(1);

    // The template applied: message is full-text, source.ip is an ip, structured data is flattened.
    const found = await es.search({ index: names.eventsDataStream, query: { bool: { must: [{ ids: { values: [a, b] } }, { match: { message: 'hello' } }, { term: { 'source.ip': '192.0.2.0/24' } }, { term: { 'log.syslog.structured_data.exampleSDID@32473.iut': '3' } }] } } });
    expect(found.hits.hits.map((h) => h._id)).toEqual([a]);
    await es.indices.delete({ index: names.alertsIndex });
  }, 60_000);

  it('creates the alerts index with strict mappings, so a malformed alert is refused rather than stored', async () => {
    const names = testNames();
    await ensureIndexTemplates(es, names);
    const res = await writeBulk(es, [{ index: names.alertsIndex, id: 'x', document: { alert: { id: 'x', surprise: true } } }], { url: services.elasticsearchUrl, logger: quietLogger(), metrics: freshMetrics() });
    expect(res[0]).toMatchObject({ outcome: 'rejected', status: 400, type: 'strict_dynamic_mapping_exception' });
    await es.indices.delete({ index: names.alertsIndex });
  }, 60_000);
});
