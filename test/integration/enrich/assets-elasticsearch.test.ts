import { createEsClient } from '../../../connectors/elasticsearch/client';
import { createEnricher } from '../../../pipeline/enrich';
import { freshMetrics, quietLogger, services, uniqueName } from '../../support/services';

const es = createEsClient({ url: services.elasticsearchUrl, requestTimeoutMs: 30_000 });
afterAll(() => es.close());

describe('asset inventory from a real Elasticsearch index', () => {
  it('loads every document (across scroll pages), enriches by address and host name, and picks up changes on reload', async () => {
    const index = uniqueName('haetae-assets-test-');
    try {
      // More documents than one scroll page (5,000) so the paging is exercised.
      const docs = Array.from({ length: 6000 }, (_, i) => ({ ip: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, name: `asset-${i}`, owner: 'ops', criticality: 'low' }));
      docs.push({ ip: '192.0.2.10', name: 'payments-db', owner: 'dba', criticality: 'critical' }, { hostname: 'fw1.corp.example', os: 'PAN-OS', tags: ['edge', 'pci'] } as never);
      const body = docs.flatMap((d) => [{ index: { _index: index } }, d]);
      const bulk = await es.bulk({ operations: body, refresh: 'wait_for' });
      expect(bulk.errors).toBe(false);

      const metrics = freshMetrics();
      const enricher = await createEnricher({ assets: { elasticsearch: { index, refreshSeconds: 3600 }, raiseSeverity: true } }, { logger: quietLogger(), metrics, baseDir: process.cwd(), elasticsearch: es, watch: false });
      expect(enricher.sizes()).toEqual({ 'assets.elasticsearch': 6002 });
      expect(enricher.raiseSeverity).toBe(true);

      const e: Record<string, any> = { host: { hostname: 'fw1' }, source: { ip: '10.0.23.111' }, destination: { ip: '192.0.2.10' } };
      enricher.enrich(e);
      expect(e.haetae.asset).toEqual({
        host: { name: 'fw1.corp.example', os: 'PAN-OS', tags: ['edge', 'pci'] },
        source: { name: 'asset-5999', owner: 'ops', criticality: 'low' },
        destination: { name: 'payments-db', owner: 'dba', criticality: 'critical' },
        criticality: 'critical',
      });

      await es.index({ index, document: { ip: '192.0.2.11', name: 'added-later', criticality: 'high' }, refresh: 'wait_for' });
      await enricher.reload();
      const later: Record<string, any> = { source: { ip: '192.0.2.11' } };
      enricher.enrich(later);
      expect(later.haetae.asset.source.name).toBe('added-later');
      expect(await metrics.value('haetae_enrich_reloads_total', { source: 'assets.elasticsearch', result: 'applied' })).toBe(2);

      // The index disappears: the reload is refused and the loaded assets keep serving.
      await es.indices.delete({ index });
      await enricher.reload();
      expect(await metrics.value('haetae_enrich_reloads_total', { source: 'assets.elasticsearch', result: 'rejected' })).toBe(1);
      const still: Record<string, any> = { source: { ip: '192.0.2.11' } };
      enricher.enrich(still);
      expect(still.haetae.asset.source.name).toBe('added-later');
      enricher.close();
    } finally {
      await es.indices.delete({ index }, { ignore: [404] });
    }
  }, 120_000);

  it('refuses to start when the asset index does not exist', async () => {
    const index = uniqueName('haetae-assets-missing-');
    await expect(createEnricher({ assets: { elasticsearch: { index } } }, { logger: quietLogger(), metrics: freshMetrics(), baseDir: process.cwd(), elasticsearch: es, watch: false }))
      .rejects.toMatchObject({ code: 'HAETAE_ENRICH_SOURCE', message: expect.stringMatching(new RegExp(`assets\\.elasticsearch \\(index ${index}\\).*index_not_found`)) });
  }, 60_000);
});
