import { createEsClient } from '../../../connectors/elasticsearch/client';
import { ensureIndexTemplates, eventsTemplateName } from '../../../connectors/elasticsearch/templates';
import { eventStreams } from '../../../connectors/elasticsearch/streams';
import { services, uniqueName } from '../../support/services';

const es = createEsClient({ url: services.elasticsearchUrl, requestTimeoutMs: 30_000 });
afterAll(() => es.close());

/**
 * One data stream per dataset family under one template: a decoded Cisco event lands in
 * logs-haetae.cisco-<ns> with ECS types from the first document, undecoded syslog stays in the
 * configured stream, and one search target finds both.
 */
describe('events data streams per dataset family', () => {
  const ns = `fam${uniqueName('')}`.replace(/[^a-z0-9]/g, '');
  const names = { eventsDataStream: `logs-haetae.syslog-${ns}`, alertsIndex: uniqueName('haetae-alerts-test-') };
  const streams = eventStreams(names.eventsDataStream);
  afterAll(() => es.indices.delete({ index: names.alertsIndex }).catch(() => undefined));

  it('replaces an older per-stream template, maps ECS fields by type in every family stream, and searches them all', async () => {
    // What an older haetae installed: a template for the configured stream alone, same priority.
    await es.indices.putIndexTemplate({ name: `haetae-${names.eventsDataStream}`, index_patterns: [names.eventsDataStream], data_stream: {}, priority: 500, _meta: { managed_by: 'haetae' } });
    await ensureIndexTemplates(es, names);
    // Unused (no stream was created from it): removed.
    await expect(es.indices.getIndexTemplate({ name: `haetae-${names.eventsDataStream}` })).rejects.toMatchObject({ meta: { statusCode: 404 } });
    const tpl = await es.indices.getIndexTemplate({ name: eventsTemplateName(names.eventsDataStream) });
    expect(tpl.index_templates[0]!.index_template.index_patterns).toEqual([`logs-haetae.*-${ns}`]);

    const cisco = streams.forModule('cisco');
    expect(cisco).toBe(`logs-haetae.cisco-${ns}`);
    expect(streams.forModule('syslog')).toBe(names.eventsDataStream);
    const now = new Date().toISOString();
    await es.index({ index: cisco, op_type: 'create', refresh: true, document: { '@timestamp': now, message: 'deny', event: { dataset: 'cisco.asa', module: 'cisco', original: 'x'.repeat(40_000) }, source: { ip: '203.0.113.7', port: 4242 }, destination: { ip: '2001:db8::1', port: 443, bytes: 12 }, user: { name: 'root' }, threat: { enrichments: [{ indicator: { ip: '203.0.113.7' } }] } } });
    await es.index({ index: names.eventsDataStream, op_type: 'create', refresh: true, document: { '@timestamp': now, message: 'plain syslog', event: { module: 'syslog' } } });

    const mapping = await es.indices.getMapping({ index: cisco });
    const props = Object.values(mapping)[0]!.mappings.properties as Record<string, { properties?: Record<string, { type?: string; index?: boolean; properties?: Record<string, unknown> }> }>;
    expect(props.source!.properties!.ip!.type).toBe('ip');
    expect(props.source!.properties!.port!.type).toBe('long');
    expect(props.destination!.properties!.ip!.type).toBe('ip');
    expect(props.destination!.properties!.bytes!.type).toBe('long');
    expect(props.user!.properties!.name!.type).toBe('keyword');
    // A 40,000-character original is kept in _source, not indexed (the document was accepted).
    expect(props.event!.properties!.original).toMatchObject({ type: 'keyword', index: false });

    const found = await es.search({ index: streams.searchTarget, query: { bool: { should: [{ term: { 'source.ip': '203.0.113.0/24' } }, { match: { message: 'plain' } }] } } });
    expect(found.hits.hits.map((h) => h._index.includes(`.ds-logs-haetae.cisco-${ns}`) ? 'cisco' : 'syslog').sort()).toEqual(['cisco', 'syslog']);
  }, 60_000);
});
