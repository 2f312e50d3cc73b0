import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import YAML from 'yaml';
import { createEsClient } from '../../connectors/elasticsearch/client';
import { TEST_EVENT_STREAMS, eventually, services } from '../support/services';
import { HaetaeProcess, logger, metricValue, metricsText, writeConfig } from '../support/haetae-process';
import { startTcpProxy } from '../support/tcp-proxy';
import { startWebhookServer } from '../support/webhook-server';
import { WEBHOOK_SECRET, e2eConfig } from './config';

const es = createEsClient({ url: services.elasticsearchUrl, requestTimeoutMs: 30_000 });
afterAll(() => es.close());

/**
 * Two workers in one group; Elasticsearch is cut for three session timeouts while one of them
 * holds a batch. The worker waiting on Elasticsearch must keep heartbeating: if the group
 * declared it dead, the other worker would be handed the same partition and read the same
 * records again (both then retrying the same batch).
 */
describe('a sink outage longer than the consumer session timeout', () => {
  it('keeps the waiting worker in its group: every record is read by one worker, once', async () => {
    const hook = await startWebhookServer(WEBHOOK_SECRET);
    const esProxy = await startTcpProxy(services.elasticsearchUrl);
    const base = e2eConfig(hook.url);
    const config = YAML.parse(fs.readFileSync(base.file, 'utf8'));
    config.elasticsearch.url = `http://127.0.0.1:${esProxy.port}`;
    config.kafka.sessionTimeoutMs = 8_000;
    const file = writeConfig(config);
    const a = new HaetaeProcess(['run', 'all'], file);
    const b = new HaetaeProcess(['run', 'all'], file);
    try {
      const udpPort = Number((await a.waitFor(/listening for syslog on udp:\/\/127\.0\.0\.1:(\d+)/))[1]);
      const ports = [Number((await a.waitFor(/metrics on http:\/\/127\.0\.0\.1:(\d+)\/metrics/))[1]), Number((await b.waitFor(/metrics on http:\/\/127\.0\.0\.1:(\d+)\/metrics/))[1])];
      await a.waitFor(/Worker joined the consumer group/);
      await b.waitFor(/Worker joined the consumer group/);
      await new Promise((r) => setTimeout(r, 5_000)); // the group settles with both members

      esProxy.cut();
      const token = `hb${randomUUID().slice(0, 8)}`;
      for (let i = 0; i < 20; i++) logger(['-n', '127.0.0.1', '-P', String(udpPort), '-d', '--rfc3164', '-t', 'app', `during the outage ${i} ${token}`]);
      const waiting = /Elasticsearch at .*; holding .* and retrying\./;
      await Promise.any([a.waitFor(waiting, 30_000), b.waitFor(waiting, 30_000)]);
      await new Promise((r) => setTimeout(r, 24_000)); // three session timeouts
      esProxy.restore();

      await eventually(async () => {
        await es.indices.refresh({ index: TEST_EVENT_STREAMS });
        const found = await es.count({ index: TEST_EVENT_STREAMS, query: { match: { message: token } } });
        return found.count === 20 ? true : undefined;
      }, 'the 20 events after the outage', 90_000, 1_000);
      await new Promise((r) => setTimeout(r, 3_000));
      const read = (await Promise.all(ports.map(async (p) => metricValue(await metricsText(p), 'haetae_received_total', { stage: 'worker', transport: 'kafka' })))).reduce((x, y) => x + y, 0);
      expect(read).toBe(20);
      expect(a.child.exitCode).toBeNull();
      expect(b.child.exitCode).toBeNull();
    } finally {
      await Promise.all([a.stop(), b.stop()]);
      await Promise.all([esProxy.close(), hook.close()]);
      await es.indices.delete({ index: base.alertsIndex }).catch(() => undefined);
    }
  }, 240_000);
});
