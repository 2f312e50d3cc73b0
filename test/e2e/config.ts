import { TEST_DATA_STREAM, services, uniqueName } from '../support/services';
import { ROOT, writeConfig } from '../support/haetae-process';
import path from 'node:path';

export const WEBHOOK_SECRET = 'e2e-webhook-secret-0123456789';

/** A config whose topics, group, alerts index and queue belong to this test alone. */
export function e2eConfig(webhookUrl: string, overrides: { rulesPath?: string[]; worker?: object; enrich?: object } = {}): { file: string; rawTopic: string; alertsIndex: string; queue: string; correlateTopic: string; correlatorGroup: string } {
  const id = uniqueName('');
  const rawTopic = `haetae.test.${id}.raw`;
  const alertsIndex = `haetae-alerts-test-${id}`;
  const queue = `haetae-test-${id}`;
  const file = writeConfig({
    kafka: { brokers: services.kafkaBrokers, rawTopic, dlqTopic: `haetae.test.${id}.dlq`, consumerGroup: `haetae-test-${id}`, rawPartitions: 3,
      correlateTopic: `haetae.test.${id}.correlate`, correlatorGroup: `haetae-test-${id}-correlators` },
    elasticsearch: { url: services.elasticsearchUrl, eventsDataStream: TEST_DATA_STREAM, alertsIndex },
    redis: { url: services.redisUrl },
    receiver: {
      listeners: [{ transport: 'udp', host: '127.0.0.1', port: 0 }, { transport: 'tcp', host: '127.0.0.1', port: 0 }],
      batchMaxDelayMs: 5,
    },
    worker: { rulesPath: overrides.rulesPath ?? [path.join(ROOT, 'rules')], decodersPath: [path.join(ROOT, 'decoders')], ...overrides.worker },
    notifier: { queue, backoffMs: 100, webhook: { url: webhookUrl, secret: WEBHOOK_SECRET } },
    http: { host: '127.0.0.1', port: 0 },
    api: { host: '127.0.0.1', port: 0 },
    log: { level: 'info' },
    ...(overrides.enrich ? { enrich: overrides.enrich } : {}),
  });
  return { file, rawTopic, alertsIndex, queue, correlateTopic: `haetae.test.${id}.correlate`, correlatorGroup: `haetae-test-${id}-correlators` };
}
