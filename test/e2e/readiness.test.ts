import fs from 'node:fs';
import { eventStreams } from '../../connectors/elasticsearch/streams';
import { randomUUID } from 'node:crypto';
import YAML from 'yaml';
import { createEsClient } from '../../connectors/elasticsearch/client';
import { eventually, services } from '../support/services';
import { HaetaeProcess, logger, writeConfig } from '../support/haetae-process';
import { startTcpProxy } from '../support/tcp-proxy';
import { startWebhookServer } from '../support/webhook-server';
import { WEBHOOK_SECRET, e2eConfig } from './config';

const es = createEsClient({ url: services.elasticsearchUrl, requestTimeoutMs: 30_000 });
afterAll(() => es.close());

interface RoleState { ready: boolean; reason?: string }
interface Readyz { status: number; body: { status: string; roles: Record<string, RoleState> } }

async function readyz(port: number): Promise<Readyz> {
  const res = await fetch(`http://127.0.0.1:${port}/readyz`);
  return { status: res.status, body: await res.json() as Readyz['body'] };
}

/** Polls /readyz until `want` holds for its answer; returns that answer. */
function readyzUntil(port: number, want: (r: Readyz) => boolean, what: string, timeoutMs = 60_000): Promise<Readyz> {
  return eventually(async () => {
    const r = await readyz(port);
    return want(r) ? r : undefined;
  }, what, timeoutMs, 250);
}


/** The HTTP port from the log line runRoles writes as soon as /readyz answers (before any role is up). */
async function httpPortOf(haetae: HaetaeProcess): Promise<number> {
  return Number((await haetae.waitFor(/Metrics and health on http:\/\/127\.0\.0\.1:(\d+)\//, 60_000))[1]);
}

/**
 * /readyz is what an orchestrator routes traffic and restarts by: ready means every role of the
 * process has started and can make progress. These run the built CLI against the real stack, with
 * a closed port or a cut TCP proxy standing in for a service that is down.
 */
describe('/readyz', () => {
  it('stays 503, naming the receiver and Kafka, while the receiver cannot reach Kafka', async () => {
    const base = e2eConfig('http://127.0.0.1:1/unused');
    const config = YAML.parse(fs.readFileSync(base.file, 'utf8'));
    config.kafka.brokers = ['127.0.0.1:1'];
    const haetae = new HaetaeProcess(['run', 'receiver'], writeConfig(config));
    try {
      const port = await httpPortOf(haetae);
      // Several seconds of answers, each one "not ready" with a reason that names Kafka.
      for (let i = 0; i < 8; i++) {
        const r = await readyz(port);
        expect(r.status).toBe(503);
        expect(r.body.status).toBe('not ready');
        expect(r.body.roles.receiver).toMatchObject({ ready: false });
        expect(r.body.roles.receiver!.reason).toMatch(/Kafka at 127\.0\.0\.1:1/);
        await new Promise((res) => setTimeout(res, 750));
      }
      expect(haetae.child.exitCode).toBeNull();
    } finally {
      await haetae.stop();
    }
  }, 90_000);

  it('turns 200 with every role listed once `run all` is up against the real stack', async () => {
    const hook = await startWebhookServer(WEBHOOK_SECRET);
    const base = e2eConfig(hook.url);
    const haetae = new HaetaeProcess(['run', 'all'], base.file);
    try {
      const port = await httpPortOf(haetae);
      const r = await readyzUntil(port, (x) => x.status === 200, '/readyz 200', 90_000);
      expect(r.body.status).toBe('ready');
      expect(Object.keys(r.body.roles).sort()).toEqual(['api', 'correlator', 'notifier', 'receiver', 'worker']);
      for (const state of Object.values(r.body.roles)) expect(state).toEqual({ ready: true });
    } finally {
      await haetae.stop();
      await hook.close();
      await es.indices.delete({ index: base.alertsIndex }).catch(() => undefined);
    }
  }, 150_000);

  it('is withdrawn while Elasticsearch or Redis is down, naming the role and the service, and comes back', async () => {
    const hook = await startWebhookServer(WEBHOOK_SECRET);
    const esProxy = await startTcpProxy(services.elasticsearchUrl);
    const redisProxy = await startTcpProxy(services.redisUrl);
    const base = e2eConfig(hook.url);
    const config = YAML.parse(fs.readFileSync(base.file, 'utf8'));
    config.elasticsearch.url = `http://127.0.0.1:${esProxy.port}`;
    config.redis.url = `redis://127.0.0.1:${redisProxy.port}`;
    const haetae = new HaetaeProcess(['run', 'all'], writeConfig(config));
    try {
      const udpPort = Number((await haetae.waitFor(/listening for syslog on udp:\/\/127\.0\.0\.1:(\d+)/, 90_000))[1]);
      const port = await httpPortOf(haetae);
      await readyzUntil(port, (x) => x.status === 200, '/readyz 200 before the outage', 90_000);

      // Elasticsearch goes away while events flow: the worker holds them and retries.
      esProxy.cut();
      const token = `readyz${randomUUID().slice(0, 8)}`;
      for (let i = 0; i < 3; i++) logger(['-n', '127.0.0.1', '-P', String(udpPort), '-d', '--rfc3164', '-t', 'cron', `event ${i} during the outage ${token}`]);
      const down = await readyzUntil(port, (x) => x.status === 503 && x.body.roles.worker?.ready === false, '/readyz 503 for the worker', 60_000);
      expect(down.body.status).toBe('not ready');
      expect(down.body.roles.worker!.reason).toMatch(new RegExp(`Elasticsearch at http://127\\.0\\.0\\.1:${esProxy.port}`));
      expect(down.body.roles.receiver).toEqual({ ready: true });

      esProxy.restore();
      await readyzUntil(port, (x) => x.status === 200, '/readyz 200 after Elasticsearch is back', 90_000);
      await eventually(async () => {
        await es.indices.refresh({ index: eventStreams(config.elasticsearch.eventsDataStream).searchTarget }).catch(() => undefined);
        const found = await es.search({ index: eventStreams(config.elasticsearch.eventsDataStream).searchTarget, query: { match: { message: token } } });
        return found.hits.hits.length === 3 ? true : undefined;
      }, 'the held events in Elasticsearch', 60_000, 1_000);

      // Redis goes away: the notifier's connection is down even with nothing to deliver.
      redisProxy.cut();
      const noRedis = await readyzUntil(port, (x) => x.status === 503 && x.body.roles.notifier?.ready === false, '/readyz 503 for the notifier', 60_000);
      expect(noRedis.body.roles.notifier!.reason).toMatch(new RegExp(`Redis at redis://127\\.0\\.0\\.1:${redisProxy.port}`));
      redisProxy.restore();
      await readyzUntil(port, (x) => x.status === 200, '/readyz 200 after Redis is back', 90_000);
      expect(haetae.child.exitCode).toBeNull();
    } finally {
      await haetae.stop();
      await Promise.all([esProxy.close(), redisProxy.close(), hook.close()]);
      await es.indices.delete({ index: base.alertsIndex }).catch(() => undefined);
    }
  }, 300_000);
});
