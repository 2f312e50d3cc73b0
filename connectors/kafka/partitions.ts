import type { Kafka } from 'kafkajs';
import type { Logger } from '../../pipeline/telemetry/logger';
import { messageOf } from '../../pipeline/errors/catalog';

/**
 * How many partitions `topic` has, read once at start-up so the batching producer can send each
 * partition apart (see BatchingProducerOptions.partitions). Undefined when the broker will not
 * say: batches then go whole, as before. Partitions added while running are used after a restart.
 */
export async function partitionCount(kafka: Kafka, topic: string, log: Logger): Promise<number | undefined> {
  const admin = kafka.admin();
  try {
    await admin.connect();
    const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
    const n = topics.find((t) => t.name === topic)?.partitions.length;
    return n && n > 0 ? n : undefined;
  } catch (err) {
    log.warn({ topic }, `Could not read the partitions of ${topic} (${messageOf(err)}); each produce request carries all partitions, so a retry after a partial failure may store the healthy partitions' messages twice (the worker deduplicates them by envelope id).`);
    return undefined;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/**
 * Records left on a partition after `lastProcessed` (kafkajs' batch.highWatermark is the offset
 * the next produced record gets): the consumer lag a batch leaves behind. Never negative.
 */
export function lagAfter(highWatermark: string, lastProcessed: string): number {
  const lag = BigInt(highWatermark) - BigInt(lastProcessed) - 1n;
  return lag > 0n ? Number(lag) : 0;
}
