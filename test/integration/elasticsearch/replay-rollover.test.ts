import { createEsClient } from '../../../connectors/elasticsearch/client';
import { ensureIndexTemplates } from '../../../connectors/elasticsearch/templates';
import { eventStreams } from '../../../connectors/elasticsearch/streams';
import { compileValidators } from '../../../schemas/validators';
import { buildEnvelope, encodeEnvelope } from '../../../pipeline/envelope/envelope';
import { processBatch, type RawRecord, type WorkerContext } from '../../../pipeline/roles/worker/process-batch';
import { documentSink } from '../../../pipeline/roles/worker/document-sink';
import { freshMetrics, quietLogger, services, uniqueName } from '../../support/services';

const es = createEsClient({ url: services.elasticsearchUrl, requestTimeoutMs: 30_000 });
const validators = compileValidators();

function record(topic: string, offset: number, text: string): RawRecord {
  const envelope = buildEnvelope(
    { bytes: Buffer.from(text), framing: 'datagram', truncated: false },
    { transport: 'udp', source: { address: '::ffff:192.0.2.10', port: 40000 }, listener: { address: '0.0.0.0', port: 5514 }, observerHostname: 'recv1', receivedAt: new Date() },
  );
  return { topic, partition: 0, offset: String(offset), key: Buffer.from('192.0.2.10'), value: encodeEnvelope(envelope) };
}

/**
 * A replayed batch (a worker died after indexing, before committing) must not leave a second copy
 * of an event when the data stream rolled over in between: `create` only sees the write index.
 * The batch goes through the worker's own batch path with the sink the worker uses.
 */
describe('replaying a batch across a data stream rollover', () => {
  const names = { eventsDataStream: `logs-haetae.syslog-rt${uniqueName('')}`, alertsIndex: uniqueName('haetae-alerts-test-'), alertEventsIndex: uniqueName('haetae-alert-events-test-') };

  afterAll(async () => {
    // Data streams cannot be deleted on the local distribution; their older backing indices can.
    const resolved = await es.indices.resolveIndex({ name: names.eventsDataStream }).catch(() => null);
    const backing = resolved?.data_streams[0]?.backing_indices ?? [];
    for (const index of backing.slice(0, -1)) await es.indices.delete({ index }).catch(() => undefined);
    await es.indices.delete({ index: [names.alertsIndex, names.alertEventsIndex] }).catch(() => undefined);
    await es.close();
  });

  function context(): WorkerContext {
    const metrics = freshMetrics();
    const logger = quietLogger();
    return {
      validateEnvelope: validators.envelope,
      rules: () => [],
      eventsDataStream: names.eventsDataStream,
      alertsIndex: names.alertsIndex,
      alertEventsIndex: names.alertEventsIndex,
      channels: [],
      metrics,
      logger,
      sinks: {
        writeDocuments: documentSink(es, { url: services.elasticsearchUrl, streams: eventStreams(names.eventsDataStream), logger, metrics }),
        enqueueNotifications: async () => undefined,
        deadLetter: async () => undefined,
        resolveAlerts: async () => [],
        produceCorrelate: async () => undefined,
      },
    };
  }

  async function copies(ids: readonly string[]): Promise<Record<string, number>> {
    await es.indices.refresh({ index: names.eventsDataStream });
    const res = await es.search({ index: names.eventsDataStream, query: { ids: { values: [...ids] } }, _source: false, size: 100 });
    const out: Record<string, number> = Object.fromEntries(ids.map((id) => [id, 0]));
    for (const h of res.hits.hits) out[h._id!] = (out[h._id!] ?? 0) + 1;
    return out;
  }

  it('keeps one copy of each event; only the events not stored before are written', async () => {
    await ensureIndexTemplates(es, names);
    const topic = uniqueName('haetae.test.raw.');
    const batch = [0, 1, 2].map((o) => record(topic, o, `<13>1 - web1 app - - - replay ${o}`));
    const ids = batch.map((r) => `${r.topic}-${r.partition}-${r.offset}`);
    const ctx = context();

    const first = await processBatch(batch, ctx);
    expect(first.events).toBe(3);
    const rolled = await es.indices.rollover({ alias: names.eventsDataStream });
    expect(rolled.rolled_over).toBe(true);

    // The worker died before committing: the same records come again, plus one it never saw.
    // The worker marks the first chunk of a partition after an assignment as a possible replay.
    const again = [...batch, record(topic, 3, '<13>1 - web1 app - - - replay 3')];
    const replay = await processBatch(again, ctx, { mayBeReplay: true });
    expect(replay).toMatchObject({ events: 4, replayed: 3 });
    expect(await copies([...ids, `${topic}-0-3`])).toEqual({ [ids[0]!]: 1, [ids[1]!]: 1, [ids[2]!]: 1, [`${topic}-0-3`]: 1 });
  }, 60_000);
});
