import { randomUUID } from 'node:crypto';
import { createEsClient } from '../../connectors/elasticsearch/client';
import { TEST_EVENT_STREAMS, eventually, services } from '../support/services';
import { HaetaeProcess, logger } from '../support/haetae-process';
import { startWebhookServer } from '../support/webhook-server';
import { WEBHOOK_SECRET, e2eConfig } from './config';

const es = createEsClient({ url: services.elasticsearchUrl, requestTimeoutMs: 30_000 });
afterAll(() => es.close());

/**
 * Kills the worker with SIGKILL at a chosen point of a batch — after the documents are written,
 * or after the notification jobs are enqueued, but always before the offsets are committed — then
 * starts a new worker. The replay must leave exactly one event document per message, one alert,
 * and exactly one webhook delivery.
 */
describe.each(['after-index', 'after-enqueue'])('a worker killed %s and restarted', (failpoint) => {
  it('delivers the alert exactly once and duplicates nothing', async () => {
    const hook = await startWebhookServer(WEBHOOK_SECRET);
    const cfg = e2eConfig(hook.url);
    const receiver = new HaetaeProcess(['run', 'receiver', '--no-http'], cfg.file);
    const notifier = new HaetaeProcess(['run', 'notifier', '--no-http'], cfg.file);
    let worker = new HaetaeProcess(['run', 'worker', '--no-http'], cfg.file, { HAETAE_FAILPOINT: failpoint });
    try {
      const tcpPort = Number((await receiver.waitFor(/listening for syslog on tcp:\/\/127\.0\.0\.1:(\d+)/))[1]);
      await worker.waitFor(/Worker joined the consumer group/);
      const token = `crash${randomUUID().slice(0, 8)}`;
      // One TCP connection, one read on the receiver, one produce request, one worker batch:
      // a rule match between two ordinary lines.
      logger(['-n', '127.0.0.1', '-P', String(tcpPort), '-T', '--octet-count', '--rfc3164', '-t', 'sshd'], [
        `Accepted publickey for alice from 198.51.100.4 port 50022 ssh2 ${token}`,
        `Failed password for root from 198.51.100.23 port 40022 ssh2 ${token}`,
        `Connection closed by 198.51.100.4 port 50022 ${token}`,
      ]);

      const died = await worker.exited;
      expect(died.signal).toBe('SIGKILL');
      expect(worker.output.join('\n')).toContain(`failpoint '${failpoint}' reached`);

      worker = new HaetaeProcess(['run', 'worker', '--no-http'], cfg.file);
      await worker.waitFor(/Worker joined the consumer group/);
      await eventually(async () => hook.deliveries.find((d) => d.json.alert.message.includes(token)), 'the webhook delivery', 45_000);
      // Give a duplicate every chance to show up before counting.
      await new Promise((r) => setTimeout(r, 3_000));
      expect(hook.deliveries.filter((d) => d.json.alert.message.includes(token))).toHaveLength(1);
      expect(hook.deliveries[0]!.signatureValid).toBe(true);

      await es.indices.refresh({ index: [TEST_EVENT_STREAMS, cfg.alertsIndex] });
      const events = await es.search({ index: TEST_EVENT_STREAMS, size: 10, query: { bool: { must: [{ match: { message: token } }, { term: { 'haetae.raw.topic': cfg.rawTopic } }] } } });
      expect(events.hits.hits).toHaveLength(3);
      const alerts = await es.count({ index: cfg.alertsIndex });
      expect(alerts.count).toBe(1);
    } finally {
      await Promise.all([receiver.stop(), worker.stop(), notifier.stop()]);
      await hook.close();
      await es.indices.delete({ index: cfg.alertsIndex }).catch(() => undefined);
    }
  }, 150_000);
});
