import { Partitioners, type Message, type Producer, type ProducerRecord, type RecordMetadata } from 'kafkajs';
import { BatchingProducer, type BatchingProducerOptions } from '../../../connectors/kafka/batching-producer';
import { freshMetrics, quietLogger } from '../../support/services';

const PARTITIONS = 3;
const partitioner = Partitioners.DefaultPartitioner();
const metadata = Array.from({ length: PARTITIONS }, (_, i) => ({ partitionId: i, leader: 0, replicas: [0], isr: [0], partitionErrorCode: 0 }));
const partitionOf = (topic: string, m: Message): number => m.partition ?? partitioner({ topic, partitionMetadata: metadata, message: m });

/**
 * A broker as Kafka behaves: each produce request is split per partition; the healthy partitions'
 * batches are appended (and keep their offsets) even when another partition of the same request
 * fails, and the client only learns that the request failed.
 */
function flakyBroker(failingPartition: number, failures: number): { producer: Producer; log: Map<number, string[]>; sends: number } {
  const log = new Map<number, string[]>();
  let left = failures;
  const state = { producer: {} as Producer, log, sends: 0 };
  state.producer = {
    send: async (record: ProducerRecord): Promise<RecordMetadata[]> => {
      state.sends++;
      const byPartition = new Map<number, Message[]>();
      for (const m of record.messages) {
        const p = partitionOf(record.topic, m);
        byPartition.set(p, [...(byPartition.get(p) ?? []), m]);
      }
      let failed = false;
      for (const [p, ms] of byPartition) {
        if (p === failingPartition && left > 0) { failed = true; continue; }
        log.set(p, [...(log.get(p) ?? []), ...ms.map((m) => String(m.value))]);
      }
      if (failed) {
        left--;
        throw Object.assign(new Error('NOT_LEADER_FOR_PARTITION'), { retriable: true });
      }
      return [];
    },
  } as unknown as Producer;
  return state;
}

describe('BatchingProducer retries only what Kafka did not acknowledge', () => {
  it('produces each message once when one partition fails a few times', async () => {
    const topic = 'haetae.raw';
    const broker = flakyBroker(1, 4);
    const metrics = freshMetrics();
    const opts = { topic, partitions: PARTITIONS, retryInitialDelayMs: 5, maxBatch: 100, maxDelayMs: 1, maxPending: 10_000, stage: 'receive', brokers: ['127.0.0.1:9092'] } as BatchingProducerOptions;
    const batching = new BatchingProducer(broker.producer, opts, quietLogger(), metrics);
    const sent: Array<{ key: string; value: string }> = [];
    for (let i = 0; i < 300; i++) {
      const key = `10.0.0.${i % 7}`;
      sent.push({ key, value: `m${i}` });
      batching.enqueue({ key, value: `m${i}` });
    }
    await batching.flush();
    expect(batching.pending).toBe(0);

    const stored = [...broker.log.values()].flat();
    expect(stored.length).toBe(300);
    expect(new Set(stored).size).toBe(300);
    // Per-key order holds in each partition.
    for (let k = 0; k < 7; k++) {
      const key = `10.0.0.${k}`;
      const p = partitionOf(topic, { key, value: null });
      expect(broker.log.get(p)!.filter((v) => sent.find((s) => s.value === v)!.key === key)).toEqual(sent.filter((s) => s.key === key).map((s) => s.value));
    }
    expect(await metrics.value('haetae_sent_total', { stage: 'receive' })).toBe(300);
  }, 15_000);
});
