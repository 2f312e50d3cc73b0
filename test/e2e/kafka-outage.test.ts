import fs from 'node:fs';
import { randomUUID } from 'node:crypto';
import YAML from 'yaml';
import { eventually } from '../support/services';
import { privateKafka } from '../support/private-kafka';
import { HaetaeProcess, logger, runCli, writeConfig } from '../support/haetae-process';
import { startWebhookServer } from '../support/webhook-server';
import { WEBHOOK_SECRET, e2eConfig } from './config';

/**
 * A private Kafka broker (started by the project's own stack script on spare ports, so the shared
 * broker other tests use is untouched) is stopped while haetae runs and started again. Messages
 * received during the outage are held by the receiver, logged, and reach Elasticsearch after.
 */
describe('a Kafka outage', () => {
  it('holds received messages until Kafka is back, then indexes all of them', async () => {
    const kafka = await privateKafka('haetae-kafka-outage-');
    const hook = await startWebhookServer(WEBHOOK_SECRET);
    const base = e2eConfig(hook.url);
    const config = YAML.parse(fs.readFileSync(base.file, 'utf8'));
    config.kafka.brokers = [kafka.broker];
    const file = writeConfig(config);
    let haetae: HaetaeProcess | undefined;
    try {
      kafka.up();
      haetae = new HaetaeProcess(['run', 'all', '--no-http'], file);
      const tcpPort = Number((await haetae.waitFor(/listening for syslog on tcp:\/\/127\.0\.0\.1:(\d+)/))[1]);
      await haetae.waitFor(/Worker joined the consumer group/);
      const token = `kafkaout${randomUUID().slice(0, 8)}`;
      const search = (): number => {
        const res = runCli(['search', `message:${token}`, '--since', '10m', '--json', '--limit', '100'], file);
        return res.status === 0 ? res.stdout.split('\n').filter(Boolean).length : -1;
      };

      logger(['-n', '127.0.0.1', '-P', String(tcpPort), '-T', '--octet-count', `before the outage ${token}`]);
      await eventually(async () => (search() === 1 ? true : undefined), 'the first message', 30_000);

      kafka.down();
      for (let i = 0; i < 3; i++) logger(['-n', '127.0.0.1', '-P', String(tcpPort), '-T', '--octet-count', `during the outage ${i} ${token}`]);
      await haetae.waitFor(new RegExp(`Kafka at ${kafka.broker.replace(/\./g, '\\.')} did not accept \\d+ messages .*; holding them and retrying\\.`), 60_000);
      expect(haetae.child.exitCode).toBeNull();

      kafka.up();
      await eventually(async () => (search() === 4 ? true : undefined), 'all four messages after Kafka is back', 120_000, 1_000);
      expect(haetae.child.exitCode).toBeNull();
    } finally {
      await haetae?.stop();
      await hook.close();
      kafka.remove();
    }
  }, 300_000);
});
