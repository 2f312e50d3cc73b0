import type { Message, Producer } from 'kafkajs';
import type { Logger } from '../../pipeline/telemetry/logger';
import type { Metrics } from '../../pipeline/telemetry/metrics';
import type { DeadLetter } from '../../schemas/generated/types';
import { messageOf } from '../../pipeline/errors/catalog';
import { retryUntilSuccess } from '../../pipeline/delivery/retry';
import { fitDeadLetter } from '../../pipeline/delivery/dead-letter-fit';
import { RECORD_OVERHEAD_BYTES, chunkByBytes, isMessageTooLarge, sendSplitting } from './byte-bound';

export interface DeadLetterProduceOptions {
  topic: string;
  /** Bytes per produce request (kafka.maxBatchBytes, lowered to what the topic accepts). */
  maxBatchBytes: number;
  signal?: AbortSignal;
  logger: Logger;
  metrics: Metrics;
}

/**
 * Produces dead-letter records, acknowledged by Kafka before it returns. A dead letter carries
 * its record's bytes, often its decoded envelope and the rejected document too — three copies of
 * a long message — so each is first fitted under the bound (fitDeadLetter) and the records go in
 * requests of at most `maxBatchBytes`. Kafka being down is retried until it is back (the caller's
 * offsets wait); a record the topic still refuses as too large (its limit is below our bound) is
 * counted dropped and logged, never retried forever.
 */
export async function produceDeadLetters(producer: Producer, records: readonly DeadLetter[], opts: DeadLetterProduceOptions): Promise<void> {
  const messages: Array<Message & { record: DeadLetter }> = records.map((record) => {
    const key = record.origin.key ?? null;
    const room = opts.maxBatchBytes - RECORD_OVERHEAD_BYTES - (key ? Buffer.byteLength(key) : 0);
    return { key, value: fitDeadLetter(record, room), record };
  });
  for (const chunk of chunkByBytes(messages, opts.maxBatchBytes)) {
    await sendSplitting(chunk, {
      send: async (part) => {
        await retryUntilSuccess(() => producer.send({ topic: opts.topic, acks: -1, messages: part.map(({ key, value }) => ({ key, value })) }), {
          what: 'dead-letter produce',
          ...(opts.signal ? { signal: opts.signal } : {}),
          isPermanent: isMessageTooLarge,
          onRetry: (attempt, err, delayMs) => {
            opts.metrics.retries.inc({ service: 'kafka' });
            opts.logger.warn({ attempt, delayMs }, `Kafka did not take ${part.length} dead-letter records (${messageOf(err)}); retrying.`);
          },
        });
      },
      sent: () => undefined,
      refused: async ({ record, value }) => {
        opts.metrics.dropped.inc({ stage: record.stage, reason: 'too_large' });
        opts.logger.error({ stage: record.stage, code: record.code, origin: record.origin, bytes: value?.length }, `Kafka refused a dead-letter record of ${value?.length} bytes for ${opts.topic} as too large (the topic accepts less than kafka.maxBatchBytes); it is lost: ${record.reason}`);
      },
    });
  }
}
