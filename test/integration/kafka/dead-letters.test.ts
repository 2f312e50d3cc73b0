import { Kafka, logLevel } from 'kafkajs';
import { produceDeadLetters } from '../../../connectors/kafka/dead-letters';
import { batchBoundFor } from '../../../connectors/kafka/topic-limits';
import { checkMessageFitsKafka } from '../../../pipeline/config/kafka-limits';
import type { DeadLetter } from '../../../schemas/generated/types';
import { eventually, freshMetrics, quietLogger, services, uniqueName } from '../../support/services';

const kafka = new Kafka({ clientId: 'haetae-test', brokers: services.kafkaBrokers, logLevel: logLevel.NOTHING });

async function createTopic(topic: string, configEntries: Array<{ name: string; value: string }> = []): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: 1, replicationFactor: -1, configEntries }] });
  await admin.disconnect();
}

/** A dead letter for an event Elasticsearch refused: its message three times over (raw, envelope, document). */
function indexDeadLetter(i: number, messageBytes: number): DeadLetter {
  const message = `${i} ${'m'.repeat(messageBytes)}`;
  const payload = Buffer.from(message).toString('base64');
  const envelope = { v: 1 as const, kind: 'syslog' as const, transport: 'tcp' as const, framing: 'octet-counting' as const, receivedAt: '2026-11-22T10:00:00.000Z', source: { address: '192.0.2.9', port: 514 }, listener: { address: '0.0.0.0', port: 5514 }, observer: { hostname: 'obs' }, payload };
  return {
    v: 1, stage: 'index', code: 'HAETAE_ES_REJECTED', reason: 'document_parsing_exception: immense term', failedAt: '2026-11-22T10:00:01.000Z',
    origin: { topic: 'haetae.raw', partition: 0, offset: String(i), key: '192.0.2.9' },
    envelope, raw: Buffer.from(JSON.stringify(envelope)).toString('base64'), document: { message, event: { original: message } },
  };
}

describe('dead letters against a real Kafka broker', () => {
  it('produces a burst of large dead letters in requests Kafka accepts, and shrinks one that could never fit', async () => {
    const topic = uniqueName('haetae.test.dlq.');
    await createTopic(topic);
    const producer = kafka.producer();
    await producer.connect();
    // Eight 40 KB events come to 8 × ~205 KB of dead letters: over 1.6 MB in one request.
    const records = Array.from({ length: 8 }, (_, i) => indexDeadLetter(i, 40_000));
    records.push(indexDeadLetter(8, 1_500_000));
    await expect(producer.send({ topic, acks: -1, messages: records.slice(0, 8).map((r) => ({ key: r.origin.key ?? null, value: JSON.stringify(r) })) }))
      .rejects.toMatchObject({ type: 'MESSAGE_TOO_LARGE' }); // what the worker did before: one request, refused for good

    const metrics = freshMetrics();
    await produceDeadLetters(producer, records, { topic, maxBatchBytes: 900 * 1024, logger: quietLogger(), metrics });
    await producer.disconnect();
    expect(await metrics.value('haetae_dropped_total', { stage: 'index', reason: 'too_large' })).toBe(0);

    const consumer = kafka.consumer({ groupId: uniqueName('haetae-test-') });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const got: Buffer[] = [];
    await consumer.run({ eachMessage: async ({ message }) => { got.push(message.value!); } });
    await eventually(async () => (got.length >= 9 ? true : undefined), '9 dead letters');
    await consumer.disconnect();

    const parsed = got.map((v) => JSON.parse(v.toString()) as DeadLetter);
    expect(parsed.slice(0, 8)).toEqual(records.slice(0, 8)); // whole, in order
    const big = parsed[8]!;
    expect(got[8]!.length).toBeLessThanOrEqual(900 * 1024);
    expect(big.trimmed).toEqual({ omitted: ['document', 'envelope'], rawLength: Buffer.from(records[8]!.raw, 'base64').length });
    expect(Buffer.from(records[8]!.raw, 'base64').subarray(0, 1000).equals(Buffer.from(big.raw, 'base64').subarray(0, 1000))).toBe(true);
    expect(big).toMatchObject({ stage: 'index', code: 'HAETAE_ES_REJECTED', origin: records[8]!.origin });
  }, 60_000);

  it('bounds requests by the topic limit when it is below kafka.maxBatchBytes, and the receiver check names both', async () => {
    const topic = uniqueName('haetae.test.');
    await createTopic(topic, [{ name: 'max.message.bytes', value: '50000' }]);
    const bound = await batchBoundFor(kafka, 921_600, [topic], quietLogger());
    expect(bound.bytes).toBe(50_000 - 1024);
    expect(bound.source).toBe(`the max.message.bytes of topic ${topic} (50000) less 1024 bytes of batch header room`);
    expect(() => checkMessageFitsKafka(65_536, bound.bytes, bound.source, 'haetae.yaml')).toThrow(
      `config haetae.yaml: /receiver/maxMessageBytes: 65536 bytes make Kafka records of up to 88408 bytes (the message travels in base64), over ${bound.source} (48976); set it to at most 35964, or raise that limit`,
    );
    expect((await batchBoundFor(kafka, 500_000, [uniqueName('haetae.test.absent.')], quietLogger())).bytes).toBe(500_000);
  }, 60_000);
});
