import { Kafka, logLevel } from 'kafkajs';
import { createNotificationQueue, queueSettings } from '../connectors/bullmq/queue';

/** The Kafka and queue names one benchmark run of `haetae run all` used. */
export interface RunNames {
  consumerGroup: string;
  correlatorGroup: string;
  rawTopic: string;
  dlqTopic: string;
  correlateTopic: string;
}

/** The Kafka names of benchmark run `id`: its own topics and consumer groups. */
export function runNames(id: string): RunNames {
  return {
    rawTopic: `haetae.bench.${id}.raw`,
    dlqTopic: `haetae.bench.${id}.dlq`,
    correlateTopic: `haetae.bench.${id}.correlate`,
    consumerGroup: `haetae-bench-${id}`,
    correlatorGroup: `haetae-bench-${id}-correlators`,
  };
}

/**
 * Deletes a benchmark run's consumer groups, topics and notification queue. Never throws: what
 * could not be removed is returned as notes for the bench to print.
 */
export async function dropKafkaAndQueue(brokers: string[], clientId: string, n: RunNames, config: Parameters<typeof queueSettings>[0]): Promise<string[]> {
  const notes: string[] = [];
  const kafka = new Kafka({ clientId, brokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  try {
    await admin.connect();
    await admin.deleteGroups([n.consumerGroup, n.correlatorGroup]).catch((e: unknown) => notes.push(`consumer groups: ${(e as Error).message}`));
    await admin.deleteTopics({ topics: [n.rawTopic, n.dlqTopic, n.correlateTopic], timeout: 10_000 }).catch((e: unknown) => notes.push(`topics: ${(e as Error).message}`));
  } catch (e) {
    notes.push(`kafka admin: ${(e as Error).message}`);
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
  try {
    const queue = createNotificationQueue(queueSettings(config));
    await queue.obliterate({ force: true }).catch((e: unknown) => notes.push(`queue: ${(e as Error).message}`));
    await queue.close();
  } catch (e) {
    notes.push(`queue: ${(e as Error).message}`);
  }
  return notes;
}
