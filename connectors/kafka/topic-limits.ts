import { ConfigResourceTypes, type Kafka } from 'kafkajs';
import type { Logger } from '../../pipeline/telemetry/logger';
import { messageOf } from '../../pipeline/errors/catalog';

/** Room kept below a topic's max.message.bytes for the record batch's own header (61 bytes). */
const BATCH_HEADER_ROOM = 1024;

export interface BatchBound {
  /** Bytes one produce request may take (see chunkByBytes). */
  bytes: number;
  /** Where `bytes` comes from, for log lines and config errors. */
  source: string;
}

/**
 * The produce-request bound for `topics`: kafka.maxBatchBytes, lowered when a topic accepts less
 * (its max.message.bytes, which is the broker's message.max.bytes unless the topic overrides it).
 * Read once at start-up; when the broker will not say (no DescribeConfigs permission, an old
 * broker) the configured bound is used, and a batch Kafka still refuses is split in halves.
 */
export async function batchBoundFor(kafka: Kafka, maxBatchBytes: number, topics: readonly string[], log: Logger): Promise<BatchBound> {
  let bound: BatchBound = { bytes: maxBatchBytes, source: 'kafka.maxBatchBytes' };
  const admin = kafka.admin();
  try {
    await admin.connect();
    const res = await admin.describeConfigs({
      includeSynonyms: false,
      resources: topics.map((name) => ({ type: ConfigResourceTypes.TOPIC, name, configNames: ['max.message.bytes'] })),
    });
    for (const r of res.resources) {
      const limit = Number(r.configEntries.find((e) => e.configName === 'max.message.bytes')?.configValue);
      if (!Number.isFinite(limit) || limit <= 0) continue;
      if (limit - BATCH_HEADER_ROOM < bound.bytes) {
        bound = { bytes: limit - BATCH_HEADER_ROOM, source: `the max.message.bytes of topic ${r.resourceName} (${limit}) less ${BATCH_HEADER_ROOM} bytes of batch header room` };
      }
    }
  } catch (err) {
    log.warn({ topics }, `Could not read the topics' max.message.bytes (${messageOf(err)}); produce requests are bounded by kafka.maxBatchBytes (${maxBatchBytes}) alone.`);
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
  if (bound.bytes < maxBatchBytes) {
    log.info({ topics, maxBatchBytes, bound: bound.bytes }, `Produce requests are bounded at ${bound.bytes} bytes, below kafka.maxBatchBytes (${maxBatchBytes}): ${bound.source}.`);
  }
  return bound;
}
