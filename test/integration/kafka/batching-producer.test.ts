import { Kafka, logLevel } from 'kafkajs';
import { BatchingProducer } from '../../../connectors/kafka/batching-producer';
import { ensureTopics } from '../../../connectors/kafka/client';
import { eventually, freshMetrics, quietLogger, services, uniqueName } from '../../support/services';

const kafka = new Kafka({ clientId: 'haetae-test', brokers: services.kafkaBrokers, logLevel: logLevel.NOTHING });

describe('BatchingProducer against a real Kafka broker', () => {
  it('delivers every message with its exact bytes and key, in order per key', async () => {
    const topic = uniqueName('haetae.test.');
    const admin = kafka.admin();
    await admin.connect();
    expect(await ensureTopics(admin, [{ topic, numPartitions: 3 }])).toEqual([topic]);
    expect(await ensureTopics(admin, [{ topic, numPartitions: 3 }])).toEqual([]);
    await admin.disconnect();

    const producer = kafka.producer();
    await producer.connect();
    const metrics = freshMetrics();
    const batching = new BatchingProducer(producer, { topic, maxBatch: 50, maxDelayMs: 5, maxPending: 10_000, stage: 'receive', brokers: services.kafkaBrokers }, quietLogger(), metrics);
    const sent: Array<{ key: string; value: Buffer }> = [];
    for (let i = 0; i < 500; i++) {
      const value = Buffer.from([0xff, 0x00, i % 256, 0xc3, 0x28]); // not UTF-8: bytes must survive as they are
      const key = `10.0.0.${i % 4}`;
      sent.push({ key, value: Buffer.concat([value, Buffer.from(String(i))]) });
      batching.enqueue({ key, value: sent[i]!.value });
    }
    await batching.flush();
    expect(batching.pending).toBe(0);
    expect(await metrics.value('haetae_sent_total', { stage: 'receive' })).toBe(500);
    await producer.disconnect();

    const consumer = kafka.consumer({ groupId: uniqueName('haetae-test-') });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const got: Array<{ key: string; value: Buffer }> = [];
    await consumer.run({ eachMessage: async ({ message }) => { got.push({ key: message.key!.toString(), value: message.value! }); } });
    await eventually(async () => (got.length >= 500 ? true : undefined), '500 messages back from Kafka');
    await consumer.disconnect();

    for (const key of ['10.0.0.0', '10.0.0.1', '10.0.0.2', '10.0.0.3']) {
      expect(got.filter((g) => g.key === key).map((g) => g.value.toString('hex'))).toEqual(sent.filter((s) => s.key === key).map((s) => s.value.toString('hex')));
    }
  }, 60_000);

  it('holds messages while the broker is unreachable and says so, instead of dropping them', async () => {
    const dead = new Kafka({ clientId: 'haetae-test', brokers: ['127.0.0.1:1'], logLevel: logLevel.NOTHING, retry: { retries: 0 }, connectionTimeout: 200 });
    const producer = dead.producer();
    const warnings: string[] = [];
    const logger = quietLogger();
    logger.warn = ((obj: unknown, msg?: string) => { warnings.push(msg ?? String(obj)); }) as typeof logger.warn;
    const batching = new BatchingProducer(producer, { topic: 'unreachable', maxBatch: 10, maxDelayMs: 1, maxPending: 5, stage: 'receive', brokers: ['127.0.0.1:1'] }, logger, freshMetrics());
    for (let i = 0; i < 8; i++) batching.enqueue({ key: 'k', value: Buffer.from(`m${i}`) });
    expect(batching.saturated).toBe(true);
    await eventually(async () => (warnings.length >= 2 ? true : undefined), 'two retry log lines', 10_000);
    expect(batching.pending).toBe(8);
    expect(warnings[0]).toMatch(/^Kafka at 127\.0\.0\.1:1 did not accept 8 messages \(.+\); holding them and retrying\.$/);
    batching.cancel();
    await batching.flush();
    expect(batching.pending).toBe(8);
  }, 30_000);
});
