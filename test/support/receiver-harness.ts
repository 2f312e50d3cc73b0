import { Kafka, logLevel, type Consumer } from 'kafkajs';
import type { Logger } from 'pino';
import { loadConfig } from '../../pipeline/config/load';
import { startReceiver, type RunningReceiver } from '../../pipeline/roles/receiver';
import { createKafka } from '../../connectors/kafka/client';
import { Metrics } from '../../pipeline/telemetry/metrics';
import type { RawEnvelope } from '../../schemas/generated/types';
import { writeConfig } from './haetae-process';
import { services, uniqueName } from './services';

export interface ReceiverHarness {
  receiver: RunningReceiver;
  metrics: Metrics;
  /** Payload text → its envelope and Kafka key, as read back from the raw topic. */
  stored: Map<string, { e: RawEnvelope; key: string }>;
  stop(): Promise<void>;
}

/**
 * The receiver role against the real Kafka with the given `receiver` config section, on a raw
 * topic of its own (one partition), and a consumer reading that topic back from the start.
 */
export async function startReceiverHarness(receiverConfig: Record<string, unknown>, log: Logger): Promise<ReceiverHarness> {
  const rawTopic = `haetae.test.${uniqueName('')}.raw`;
  const file = writeConfig({
    kafka: { brokers: services.kafkaBrokers, rawTopic, dlqTopic: `${rawTopic}.dlq`, rawPartitions: 1 },
    receiver: receiverConfig,
  });
  const loaded = loadConfig({ file, env: {} });
  const metrics = new Metrics();
  const receiver = await startReceiver(loaded, createKafka(loaded.config.kafka, log), log, metrics);
  const stored = new Map<string, { e: RawEnvelope; key: string }>();
  const kafka = new Kafka({ clientId: 'haetae-test', brokers: services.kafkaBrokers, logLevel: logLevel.NOTHING });
  const consumer: Consumer = kafka.consumer({ groupId: uniqueName('haetae-test-') });
  await consumer.connect();
  await consumer.subscribe({ topics: [rawTopic], fromBeginning: true });
  await consumer.run({ eachMessage: async ({ message }) => {
    const e = JSON.parse(message.value!.toString()) as RawEnvelope;
    stored.set(Buffer.from(e.payload, 'base64').toString(), { e, key: message.key!.toString() });
  } });
  return {
    receiver, metrics, stored,
    async stop() {
      await consumer.disconnect();
      await receiver.stop();
    },
  };
}
