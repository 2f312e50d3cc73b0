import { createEsClient } from '../../../connectors/elasticsearch/client';
import { ensureIndexTemplates } from '../../../connectors/elasticsearch/templates';
import { writeBulk } from '../../../connectors/elasticsearch/bulk';
import { TEST_DATA_STREAM, freshMetrics, quietLogger, services, uniqueName } from '../../support/services';

const es = createEsClient({ url: services.elasticsearchUrl, requestTimeoutMs: 30_000 });
afterAll(() => es.close());

/**
 * Lucene refuses a term over 32,766 bytes, and Elasticsearch then refuses the whole document. A
 * sender that makes one value that long must not be able to keep its own events out of search:
 * such values stay in _source but are not indexed as terms (ignore_above).
 *
 * The shared test data stream (see bulk.test.ts) already exists with whatever mapping an earlier
 * run gave it, which is what an upgrade meets too: installing the templates must fix the live
 * stream, not only the next backing index.
 */
describe('long values in events', () => {
  it('indexes an event with a 40,000-byte structured-data value and a 40,000-char keyword, searchable by its other fields', async () => {
    const names = { eventsDataStream: TEST_DATA_STREAM, alertsIndex: uniqueName('haetae-alerts-test-') };
    await ensureIndexTemplates(es, names);
    const id = uniqueName('long-');
    const host = uniqueName('host-');
    const document = {
      '@timestamp': '2026-11-22T10:00:00.000Z',
      message: `long values from ${host}`,
      host: { hostname: host },
      // 20,000 two-byte characters: 40,000 UTF-8 bytes in one structured-data param.
      log: { syslog: { appname: 'x'.repeat(40_000), structured_data: { 'exampleSDID@32473': { iut: '3', blob: 'é'.repeat(20_000) } } } },
    };
    const [result] = await writeBulk(es, [{ index: names.eventsDataStream, id, document }], { url: services.elasticsearchUrl, logger: quietLogger(), metrics: freshMetrics(), refresh: true });
    expect(result).toEqual({ outcome: 'created' });

    const found = await es.search<typeof document>({ index: names.eventsDataStream, query: { bool: { filter: [{ term: { 'host.hostname': host } }, { term: { 'log.syslog.structured_data.exampleSDID@32473.iut': '3' } }] } } });
    expect(found.hits.hits.map((h) => h._id)).toEqual([id]);
    // Kept whole in the stored document.
    expect(found.hits.hits[0]!._source!.log.syslog.structured_data['exampleSDID@32473'].blob).toHaveLength(20_000);
    expect(found.hits.hits[0]!._source!.log.syslog.appname).toHaveLength(40_000);
    await es.indices.delete({ index: names.alertsIndex });
  }, 60_000);
  it('indexes HTTP-input events whose JSON objects disagree on a field\'s type (haetae.http.event and .fields are flattened)', async () => {
    const names = { eventsDataStream: TEST_DATA_STREAM, alertsIndex: uniqueName('haetae-alerts-test-') };
    await ensureIndexTemplates(es, names);
    const host = uniqueName('hec-');
    // Two shippers' events: `status` a number in one, an object in the other; `fields.env` a string, then an array.
    const bodies = [
      { event: { status: 503, msg: 'upstream down' }, fields: { env: 'prod' } },
      { event: { status: { code: 'E1', detail: { retry: true } }, msg: 'retrying' }, fields: { env: ['prod', 'eu'] } },
    ];
    const docs = bodies.map((b, n) => ({
      index: names.eventsDataStream,
      id: `${host}-${n}`,
      document: { '@timestamp': '2026-11-22T10:00:00.000Z', message: b.event.msg, host: { hostname: host }, haetae: { http: { endpoint: 'event', token: 'vector', event: b.event, fields: b.fields } } },
    }));
    const results = await writeBulk(es, docs, { url: services.elasticsearchUrl, logger: quietLogger(), metrics: freshMetrics(), refresh: true });
    expect(results).toEqual([{ outcome: 'created' }, { outcome: 'created' }]);
    const byStatus = await es.search({ index: names.eventsDataStream, query: { bool: { filter: [{ term: { 'host.hostname': host } }, { term: { 'haetae.http.event.status.code': 'E1' } }] } } });
    expect(byStatus.hits.hits.map((h) => h._id)).toEqual([`${host}-1`]);
    const byEnv = await es.search({ index: names.eventsDataStream, query: { bool: { filter: [{ term: { 'host.hostname': host } }, { term: { 'haetae.http.fields.env': 'prod' } }] } } });
    expect(byEnv.hits.hits.map((h) => h._id).sort()).toEqual([`${host}-0`, `${host}-1`]);
    await es.indices.delete({ index: names.alertsIndex });
  }, 60_000);
});
