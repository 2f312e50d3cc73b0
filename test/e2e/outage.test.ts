import { randomUUID } from 'node:crypto';
import { createEsClient } from '../../connectors/elasticsearch/client';
import { TEST_EVENT_STREAMS, eventually, services } from '../support/services';
import { HaetaeProcess, logger, writeConfig } from '../support/haetae-process';
import { startTcpProxy } from '../support/tcp-proxy';
import { startWebhookServer } from '../support/webhook-server';
import { WEBHOOK_SECRET, e2eConfig } from './config';
import YAML from 'yaml';
import fs from 'node:fs';

const es = createEsClient({ url: services.elasticsearchUrl, requestTimeoutMs: 30_000 });
afterAll(() => es.close());


/**
 * Elasticsearch and Redis go away while haetae runs (a proxy in front of each is cut). haetae
 * must say so in its log, keep the data, not exit, and deliver everything once they are back.
 */
describe('service outages', () => {
  it('holds events and alerts while Elasticsearch and Redis are down, then delivers them once', async () => {
    const hook = await startWebhookServer(WEBHOOK_SECRET);
    const esProxy = await startTcpProxy(services.elasticsearchUrl);
    const redisProxy = await startTcpProxy(services.redisUrl);
    const base = e2eConfig(hook.url);
    const config = YAML.parse(fs.readFileSync(base.file, 'utf8'));
    config.elasticsearch.url = `http://127.0.0.1:${esProxy.port}`;
    config.redis.url = `redis://127.0.0.1:${redisProxy.port}`;
    const file = writeConfig(config);
    const haetae = new HaetaeProcess(['run', 'all', '--no-http'], file);
    try {
      const udpPort = Number((await haetae.waitFor(/listening for syslog on udp:\/\/127\.0\.0\.1:(\d+)/))[1]);
      await haetae.waitFor(/Worker joined the consumer group/);

      esProxy.cut();
      redisProxy.cut();
      const token = `outage${randomUUID().slice(0, 8)}`;
      logger(['-n', '127.0.0.1', '-P', String(udpPort), '-d', '--rfc3164', '-t', 'sshd', `Failed password for root from 192.0.2.99 port 1 ssh2 ${token}`]);
      logger(['-n', '127.0.0.1', '-P', String(udpPort), '-d', '--rfc3164', '-t', 'cron', `routine during outage ${token}`]);

      // The first batch after joining may be a replay: then the worker first asks which events Elasticsearch has.
      await haetae.waitFor(new RegExp(`Elasticsearch at http://127\\.0\\.0\\.1:${esProxy.port} (is unavailable|did not answer which of \\d+ replayed events it already has) .*; holding .* and retrying\\.`), 30_000);
      await new Promise((r) => setTimeout(r, 2_000));
      expect(haetae.child.exitCode).toBeNull();
      expect(hook.deliveries).toHaveLength(0);

      esProxy.restore();
      // Elasticsearch is back; Redis is still down: the alert job waits, the log says why.
      await haetae.waitFor(/did not take 1 notification jobs .*; retrying\.|lost Redis/, 60_000);
      expect(hook.deliveries).toHaveLength(0);
      redisProxy.restore();

      await eventually(async () => (hook.deliveries.length === 1 ? true : undefined), 'the alert after the outage', 90_000);
      await new Promise((r) => setTimeout(r, 2_000));
      expect(hook.deliveries).toHaveLength(1);
      expect(hook.deliveries[0]!.json.alert.message).toContain(token);
      await es.indices.refresh({ index: TEST_EVENT_STREAMS });
      const found = await es.search({ index: TEST_EVENT_STREAMS, query: { match: { message: token } } });
      expect(found.hits.hits).toHaveLength(2);
    } finally {
      await haetae.stop();
      await Promise.all([esProxy.close(), redisProxy.close(), hook.close()]);
      await es.indices.delete({ index: base.alertsIndex }).catch(() => undefined);
    }
  }, 180_000);
});
