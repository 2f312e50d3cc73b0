import { Kafka, logLevel, type ProducerRecord } from 'kafkajs';
import { BatchingProducer, type RecordSender } from '../../../connectors/kafka/batching-producer';
import { PlatformaticRecordProducer } from '../../../connectors/kafka/record-producer';
import { ensureTopics } from '../../../connectors/kafka/client';
import { eventually, freshMetrics, quietLogger, services, uniqueName } from '../../support/services';

const kafka = new Kafka({ clientId: 'haetae-test', brokers: services.kafkaBrokers, logLevel: logLevel.NOTHING });

async function createTopic(topic: string, configEntries: Array<{ name: string; value: string }> = []): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: 1, replicationFactor: -1, configEntries }] });
  await admin.disconnect();
}

/** Every record on the topics (one partition each), in order, once `n` have arrived in all. */
async function readTopics(topics: string[], n: number): Promise<Array<{ topic: string; key: string | null; value: Buffer }>> {
  const consumer = kafka.consumer({ groupId: uniqueName('haetae-test-') });
  await consumer.connect();
  await consumer.subscribe({ topics, fromBeginning: true });
  const got: Array<{ topic: string; key: string | null; value: Buffer }> = [];
  await consumer.run({ eachMessage: async ({ topic, message }) => { got.push({ topic, key: message.key?.toString() ?? null, value: message.value! }); } });
  await eventually(async () => (got.length >= n ? true : undefined), `${n} records back from ${topics.join(', ')}`);
  await consumer.disconnect();
  return got;
}

/** A producer that records the bytes of keys and values in each send, to show the requests stay bounded. */
function measured(producer: RecordSender): { producer: RecordSender; requestBytes: number[] } {
  const requestBytes: number[] = [];
  return {
    producer: {
      send: (record: ProducerRecord) => {
        requestBytes.push(record.messages.reduce((n, m) => n + (m.key ? Buffer.byteLength(m.key) : 0) + (m.value ? Buffer.byteLength(m.value) : 0), 0));
        return producer.send(record);
      },
    },
    requestBytes,
  };
}

type Client = 'kafkajs' | 'platformatic';
/** A connected producer of either client the receiver can use (kafka.producerClient). */
async function connectedProducer(client: Client, brokers: readonly string[] = services.kafkaBrokers, dead = false): Promise<RecordSender & { disconnect(): Promise<void> }> {
  if (client === 'platformatic') return new PlatformaticRecordProducer({ brokers, clientId: 'haetae-test' });
  const k = dead ? new Kafka({ clientId: 'haetae-test', brokers: [...brokers], logLevel: logLevel.NOTHING, retry: { retries: 0 }, connectionTimeout: 200 }) : kafka;
  const producer = k.producer();
  if (!dead) await producer.connect();
  return producer;
}

/** Rejects when `p` takes longer than `ms`: before the byte bound, flush() never returned. */
function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([p, new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms); })]).finally(() => clearTimeout(timer));
}

describe.each<Client>(['platformatic', 'kafkajs'])('BatchingProducer with %s against a real Kafka broker', (client) => {
  it('delivers every message with its exact bytes and key, in order per key', async () => {
    const topic = uniqueName('haetae.test.');
    const admin = kafka.admin();
    await admin.connect();
    expect(await ensureTopics(admin, [{ topic, numPartitions: 3 }])).toEqual([topic]);
    expect(await ensureTopics(admin, [{ topic, numPartitions: 3 }])).toEqual([]);
    await admin.disconnect();

    const producer = await connectedProducer(client);
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
    const producer = await connectedProducer(client, ['127.0.0.1:1'], true);
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
    await producer.disconnect().catch(() => undefined);
  }, 30_000);

  it('keeps produce requests under the broker limit: 3,000 messages of 1.1 KB for one key all arrive, in order', async () => {
    const topic = uniqueName('haetae.test.');
    await createTopic(topic);
    const raw = await connectedProducer(client);
    const { producer, requestBytes } = measured(raw);
    const metrics = freshMetrics();
    // batchMaxMessages' default (1,000) × 1.1 KB is one 1.1 MB partition batch: over message.max.bytes (1,048,588).
    const batching = new BatchingProducer(producer, { topic, maxBatch: 1000, maxDelayMs: 5, maxPending: 100_000, stage: 'receive', brokers: services.kafkaBrokers }, quietLogger(), metrics);
    const filler = 'x'.repeat(1100);
    for (let i = 0; i < 3000; i++) batching.enqueue({ key: '10.9.9.9', value: Buffer.from(`${String(i).padStart(5, '0')} ${filler}`) });
    try {
      await within(batching.flush(), 20_000, 'flush');
    } finally {
      batching.cancel();
    }
    expect(batching.pending).toBe(0);
    expect(await metrics.value('haetae_sent_total', { stage: 'receive' })).toBe(3000);
    expect(Math.max(...requestBytes)).toBeLessThanOrEqual(900 * 1024);
    await raw.disconnect();

    const got = await readTopics([topic], 3000);
    expect(got.map((g) => g.value.subarray(0, 5).toString())).toEqual(Array.from({ length: 3000 }, (_, i) => String(i).padStart(5, '0')));
  }, 60_000);

  it('splits a batch in halves when the topic allows less than the configured bound', async () => {
    const topic = uniqueName('haetae.test.');
    await createTopic(topic, [{ name: 'max.message.bytes', value: '100000' }]);
    const producer = await connectedProducer(client);
    const metrics = freshMetrics();
    const batching = new BatchingProducer(producer, { topic, maxBatch: 1000, maxDelayMs: 5, maxPending: 100_000, stage: 'receive', brokers: services.kafkaBrokers }, quietLogger(), metrics);
    for (let i = 0; i < 500; i++) batching.enqueue({ key: 'one-source', value: Buffer.from(`${String(i).padStart(4, '0')} ${'y'.repeat(1100)}`) });
    try {
      await within(batching.flush(), 20_000, 'flush');
    } finally {
      batching.cancel();
    }
    expect(await metrics.value('haetae_sent_total', { stage: 'receive' })).toBe(500);
    await producer.disconnect();
    const got = await readTopics([topic], 500);
    expect(got.map((g) => g.value.subarray(0, 4).toString())).toEqual(Array.from({ length: 500 }, (_, i) => String(i).padStart(4, '0')));
  }, 60_000);

  it('dead-letters a single message over the broker limit, counts it, and delivers the messages after it', async () => {
    const [topic, dlqTopic] = [uniqueName('haetae.test.'), uniqueName('haetae.test.dlq.')];
    await createTopic(topic);
    await createTopic(dlqTopic);
    const producer = await connectedProducer(client);
    const metrics = freshMetrics();
    const deadLettered: unknown[] = [];
    const batching = new BatchingProducer(producer, { topic, dlqTopic, onDeadLettered: (m) => deadLettered.push(m), maxBatch: 1000, maxDelayMs: 5, maxPending: 100_000, stage: 'receive', brokers: services.kafkaBrokers }, quietLogger(), metrics);
    const huge = Buffer.alloc(1_200_000, 0x41);
    for (let i = 0; i < 10; i++) batching.enqueue({ key: 'k', value: Buffer.from(`before ${i}`) });
    const hugeMessage = { key: 'k', value: huge };
    batching.enqueue(hugeMessage);
    for (let i = 0; i < 10; i++) batching.enqueue({ key: 'k', value: Buffer.from(`after ${i}`) });
    try {
      await within(batching.flush(), 20_000, 'flush');
    } finally {
      batching.cancel();
    }
    expect(batching.pending).toBe(0);
    // The caller hears of the dead-lettered message itself (an inform or a RELP message gets its answer).
    expect(deadLettered).toHaveLength(1);
    expect(deadLettered[0]).toBe(hugeMessage);
    expect(await metrics.value('haetae_sent_total', { stage: 'receive' })).toBe(20);
    expect(await metrics.value('haetae_dead_lettered_total', { stage: 'receive', error_type: 'HAETAE_KAFKA_TOO_LARGE' })).toBe(1);
    await producer.disconnect();

    const got = await readTopics([topic, dlqTopic], 21);
    expect(got.filter((g) => g.topic === topic).map((g) => g.value.toString())).toEqual([...Array.from({ length: 10 }, (_, i) => `before ${i}`), ...Array.from({ length: 10 }, (_, i) => `after ${i}`)]);
    const [dead, ...more] = got.filter((g) => g.topic === dlqTopic);
    expect(more).toEqual([]);
    expect(dead!.value.length).toBeLessThanOrEqual(900 * 1024);
    const record = JSON.parse(dead!.value.toString()) as Record<string, unknown>;
    expect(record).toMatchObject({ v: 1, stage: 'receive', code: 'HAETAE_KAFKA_TOO_LARGE', origin: { topic, key: 'k' }, trimmed: { rawLength: 1_200_000 } });
    expect(record.reason).toMatch(/1200000 bytes/);
    // The first bytes of the message are kept, as many as fit.
    const kept = Buffer.from(record.raw as string, 'base64');
    expect(kept.length).toBeGreaterThan(500_000);
    expect(kept.equals(huge.subarray(0, kept.length))).toBe(true);
  }, 60_000);
});
