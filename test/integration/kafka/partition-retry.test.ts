import { Kafka, Partitioners, logLevel, type Message, type Producer, type ProducerRecord } from 'kafkajs';
import { BatchingProducer, type BatchingProducerOptions } from '../../../connectors/kafka/batching-producer';
import { ensureTopics } from '../../../connectors/kafka/client';
import { partitionCount } from '../../../connectors/kafka/partitions';
import { eventually, freshMetrics, quietLogger, services, uniqueName } from '../../support/services';

const kafka = new Kafka({ clientId: 'haetae-test', brokers: services.kafkaBrokers, logLevel: logLevel.NOTHING });

/**
 * Kafka's answer to a request of several partitions when one of them fails (e.g. its leader moved):
 * the healthy partitions' batches are stored, the request fails. Emulated in front of the real
 * broker: the healthy partitions go through, the failing one does not, and the send throws.
 */
function partlyFailing(producer: Producer, partitions: number, failing: number, failures: number): Producer {
  const partitioner = Partitioners.DefaultPartitioner();
  const partitionMetadata = Array.from({ length: partitions }, (_, i) => ({ partitionId: i, leader: 0, replicas: [0], isr: [0], partitionErrorCode: 0 }));
  let left = failures;
  const wrapped = Object.create(producer) as Producer;
  wrapped.send = async (record: ProducerRecord) => {
    const partitionOf = (m: Message): number => m.partition ?? partitioner({ topic: record.topic, partitionMetadata, message: m });
    const healthy = record.messages.filter((m) => !(left > 0 && partitionOf(m) === failing));
    const result = healthy.length > 0 ? await producer.send({ ...record, messages: healthy.map((m) => ({ ...m, partition: partitionOf(m) })) }) : [];
    if (healthy.length < record.messages.length) {
      left--;
      throw Object.assign(new Error('This server is not the leader for that topic-partition'), { retriable: true });
    }
    return result;
  };
  return wrapped;
}

describe('BatchingProducer with one failing partition, against a real Kafka broker', () => {
  it('stores each message once, where the default partitioner puts it, in order per key', async () => {
    const topic = uniqueName('haetae.test.');
    const admin = kafka.admin();
    await admin.connect();
    await ensureTopics(admin, [{ topic, numPartitions: 3 }]);
    await admin.disconnect();
    const partitions = await partitionCount(kafka, topic, quietLogger());
    expect(partitions).toBe(3);

    // As the receiver creates it: idempotent, so a request retried by kafkajs is stored once.
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, retry: { retries: 3, initialRetryTime: 100 } });
    await producer.connect();
    const opts = { topic, partitions, retryInitialDelayMs: 20, maxBatch: 100, maxDelayMs: 5, maxPending: 10_000, stage: 'receive', brokers: services.kafkaBrokers } as BatchingProducerOptions;
    const batching = new BatchingProducer(partlyFailing(producer, 3, 1, 4), opts, quietLogger(), freshMetrics());
    const sent: Array<{ key: string; value: string }> = [];
    for (let i = 0; i < 300; i++) {
      const key = `10.0.0.${i % 7}`;
      sent.push({ key, value: `m${i}` });
      batching.enqueue({ key, value: `m${i}` });
    }
    await batching.flush();
    expect(batching.pending).toBe(0);
    await producer.disconnect();

    // Where the same keys land when kafkajs partitions them itself.
    const reference = uniqueName('haetae.test.');
    const admin2 = kafka.admin();
    await admin2.connect();
    await ensureTopics(admin2, [{ topic: reference, numPartitions: 3 }]);
    await admin2.disconnect();
    const plain = kafka.producer();
    await plain.connect();
    await plain.send({ topic: reference, messages: Array.from({ length: 7 }, (_, k) => ({ key: `10.0.0.${k}`, value: 'x' })) });
    await plain.disconnect();

    const consumer = kafka.consumer({ groupId: uniqueName('haetae-test-') });
    await consumer.connect();
    await consumer.subscribe({ topics: [topic, reference], fromBeginning: true });
    const got: Array<{ topic: string; partition: number; key: string; value: string }> = [];
    await consumer.run({ eachMessage: async ({ topic: t, partition, message }) => { got.push({ topic: t, partition, key: message.key!.toString(), value: message.value!.toString() }); } });
    await eventually(async () => (got.filter((g) => g.topic === topic).length >= 300 && got.filter((g) => g.topic === reference).length >= 7 ? true : undefined), '307 records back from Kafka');
    await new Promise((r) => setTimeout(r, 500)); // any duplicate would arrive by now
    await consumer.disconnect();

    const stored = got.filter((g) => g.topic === topic);
    expect(stored.length).toBe(300);
    expect(new Set(stored.map((g) => g.value)).size).toBe(300);
    for (let k = 0; k < 7; k++) {
      const key = `10.0.0.${k}`;
      expect(stored.filter((g) => g.key === key).map((g) => g.value)).toEqual(sent.filter((s) => s.key === key).map((s) => s.value));
      const where = new Set(stored.filter((g) => g.key === key).map((g) => g.partition));
      expect([...where]).toEqual([got.find((g) => g.topic === reference && g.key === key)!.partition]);
    }
  }, 60_000);
});
