import { createEsClient } from '../../../connectors/elasticsearch/client';
import { ensureIndexTemplates, eventsTemplateName } from '../../../connectors/elasticsearch/templates';
import { ilmPolicy } from '../../../connectors/elasticsearch/lifecycle';
import { services, uniqueName } from '../../support/services';

const es = createEsClient({ url: services.elasticsearchUrl, requestTimeoutMs: 30_000 });
afterAll(() => es.close());

async function replicasOf(index: string): Promise<string[]> {
  const res = await es.indices.getSettings({ index, name: 'index.number_of_replicas', expand_wildcards: 'all' });
  return Object.values(res).map((s) => String(s.settings?.index?.number_of_replicas));
}

describe('events data stream settings', () => {
  it('takes replicas and retention from the config, for new and existing indices', async () => {
    // A stream of its own: the local distribution cannot delete data streams, so this one stays
    // (empty but for one document); its alerts indices are removed.
    const names = { eventsDataStream: `logs-haetae.syslog-lc${uniqueName('')}`, alertsIndex: uniqueName('haetae-alerts-test-'), alertEventsIndex: uniqueName('haetae-alert-events-test-') };
    try {
      const plan = await ensureIndexTemplates(es, { ...names, replicas: 1, lifecycle: { retention: '7d' } });
      // The local integ-test distribution has no ILM: the data stream lifecycle in the template it is.
      expect(plan).toMatchObject({ manager: 'data stream lifecycle', retention: '7d' });
      const tpl = await es.indices.getIndexTemplate({ name: eventsTemplateName(names.eventsDataStream) });
      const template = tpl.index_templates[0]!.index_template.template!;
      expect(template.lifecycle).toMatchObject({ enabled: true, data_retention: '7d' });
      expect(String((template.settings as { index?: { number_of_replicas?: unknown } }).index?.number_of_replicas)).toBe('1');
      expect(await replicasOf(names.alertsIndex)).toEqual(['1']);

      await es.index({ index: names.eventsDataStream, op_type: 'create', document: { '@timestamp': new Date().toISOString(), message: 'first' } });
      expect(await replicasOf(names.eventsDataStream)).toEqual(['1']);

      // A lower setting at the next start applies to what exists: backing indices and alerts.
      const again = await ensureIndexTemplates(es, { ...names, replicas: 0, lifecycle: { retention: null } });
      expect(again.retention).toBeNull();
      expect(await replicasOf(names.eventsDataStream)).toEqual(['0']);
      expect(await replicasOf(names.alertsIndex)).toEqual(['0']);
      const tpl2 = await es.indices.getIndexTemplate({ name: eventsTemplateName(names.eventsDataStream) });
      expect(tpl2.index_templates[0]!.index_template.template!.lifecycle).toEqual({ enabled: true });
    } finally {
      await es.indices.delete({ index: [names.alertsIndex, names.alertEventsIndex] }).catch(() => undefined);
    }
  }, 60_000);

  it('builds the ILM policy used where the cluster has ILM: rollover by age and shard size, delete after the retention', () => {
    expect(ilmPolicy({})).toMatchObject({
      phases: {
        hot: { actions: { rollover: { max_age: '1d', max_primary_shard_size: '50gb' } } },
        delete: { min_age: '30d', actions: { delete: {} } },
      },
    });
    const forever = ilmPolicy({ retention: null, rollover: { maxAge: '7d', maxPrimaryShardSize: '10gb' } });
    expect(forever.phases).toEqual({ hot: { actions: { rollover: { max_age: '7d', max_primary_shard_size: '10gb' } } } });
  });
});
