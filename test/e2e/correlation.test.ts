import dgram from 'node:dgram';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { Partitioners } from 'kafkajs';
import { Redis } from 'ioredis';
import { createEsClient } from '../../connectors/elasticsearch/client';
import { TEST_EVENT_STREAMS, eventually, services } from '../support/services';
import { HaetaeProcess } from '../support/haetae-process';
import { startWebhookServer } from '../support/webhook-server';
import { WEBHOOK_SECRET, e2eConfig } from './config';
import type { PartitionCheckpoint } from '../../pipeline/roles/correlator/partition';

const es = createEsClient({ url: services.elasticsearchUrl, requestTimeoutMs: 30_000 });
const redis = new Redis(services.redisUrl, { lazyConnect: true });
beforeAll(() => redis.connect());
afterAll(async () => { await es.close(); redis.disconnect(); });

/** A detection rule and an event_count correlation over it, grouped by host (not by the raw topic's key, the sender address). */
function rulesDir(threshold: number): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'haetae-e2e-rules-'));
  fs.writeFileSync(path.join(dir, 'login.yml'), `title: E2E login failure
id: e2e-login-failure
name: e2e_login_failure
logsource: { product: e2e }
detection:
  sel:
    message|contains: e2e-login-failure
  condition: sel
level: low
---
title: E2E brute force
id: e2e-brute-force
correlation:
  type: event_count
  rules: [e2e_login_failure]
  group-by: [host.hostname]
  timespan: 5m
  condition: { gte: ${threshold} }
level: high
`);
  return dir;
}

/**
 * Three loopback source addresses the receiver's key (the sender address) spreads over the three
 * raw partitions — found with the producer's own partitioner, so the spread is certain.
 */
function addressesOnEachPartition(): string[] {
  const partitioner = Partitioners.DefaultPartitioner();
  const partitionMetadata = [0, 1, 2].map((partitionId) => ({ partitionId, leader: 0, replicas: [0], isr: [0], partitionErrorCode: 0, offlineReplicas: [] }));
  const byPartition = new Map<number, string>();
  for (let i = 11; i < 250 && byPartition.size < 3; i++) {
    const address = `127.0.0.${i}`;
    const p = partitioner({ topic: 'raw', partitionMetadata, message: { key: address, value: null } });
    if (!byPartition.has(p)) byPartition.set(p, address);
  }
  return [...byPartition.values()];
}

/** Sends RFC 5424 lines over UDP from a given loopback address (a device). */
async function sendFrom(address: string, port: number, lines: string[]): Promise<void> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve, reject) => { socket.once('error', reject); socket.bind(0, address, () => resolve()); });
  for (const line of lines) await new Promise<void>((resolve, reject) => socket.send(line, port, '127.0.0.1', (err) => (err ? reject(err) : resolve())));
  socket.close();
}

function line(host: string, at: Date, text: string): string {
  return `<38>1 ${at.toISOString()} ${host} sshd 811 - - ${text}`;
}

async function alertsFor(index: string, ruleId: string): Promise<Array<Record<string, any>>> {
  await es.indices.refresh({ index }).catch(() => undefined);
  const res = await es.search({ index, size: 20, query: { term: { 'rule.id': ruleId } } }).catch(() => null);
  return (res?.hits.hits ?? []).map((h) => h._source as Record<string, any>);
}

/** Receiver and notifier for one test, workers started on demand; `stop` ends them all and cleans up. */
function pipeline(cfg: ReturnType<typeof e2eConfig>, hook: { close(): Promise<void> }) {
  const receiver = new HaetaeProcess(['run', 'receiver', '--no-http'], cfg.file);
  const notifier = new HaetaeProcess(['run', 'notifier', '--no-http'], cfg.file);
  const workers: HaetaeProcess[] = [];
  return {
    udpPort: async (): Promise<number> => Number((await receiver.waitFor(/listening for syslog on udp:\/\/127\.0\.0\.1:(\d+)/))[1]),
    worker(env: NodeJS.ProcessEnv = {}): HaetaeProcess {
      const w = new HaetaeProcess(['run', 'worker', '--no-http'], cfg.file, env);
      workers.push(w);
      return w;
    },
    async stop(): Promise<void> {
      await Promise.all([receiver.stop(), notifier.stop(), ...workers.map((w) => w.stop())]);
      await hook.close();
      await es.indices.delete({ index: cfg.alertsIndex }).catch(() => undefined);
    },
  };
}

describe('streaming correlation', () => {
  it('counts one group across three raw partitions with three worker processes, and fires once', async () => {
    const hook = await startWebhookServer(WEBHOOK_SECRET);
    const cfg = e2eConfig(hook.url, { rulesPath: [rulesDir(6)] });
    const p = pipeline(cfg, hook);
    const workers = [1, 2, 3].map(() => p.worker());
    try {
      const udpPort = await p.udpPort();
      await Promise.all(workers.map((w) => w.waitFor(/Worker joined the consumer group/, 90_000)));
      const token = randomUUID().slice(0, 8);
      const host = `web-${token}`;
      const quiet = `db-${token}`;
      const t0 = Date.now() - 60_000;
      const senders = addressesOnEachPartition();
      expect(senders).toHaveLength(3);
      // Two failures for `host` from each device (six in all, the threshold), and five for `quiet`.
      for (const [i, address] of senders.entries()) {
        await sendFrom(address, udpPort, [
          line(host, new Date(t0 + i * 2_000), `e2e-login-failure ${token} a${i}`),
          line(host, new Date(t0 + i * 2_000 + 1_000), `e2e-login-failure ${token} b${i}`),
          line(quiet, new Date(t0 + i * 2_000), `e2e-login-failure ${token} q${i}`),
        ]);
      }
      await sendFrom(senders[0]!, udpPort, [line(quiet, new Date(t0 + 9_000), `e2e-login-failure ${token} q3`), line(quiet, new Date(t0 + 9_500), `e2e-login-failure ${token} q4`)]);

      const delivered = await eventually(async () => hook.deliveries.find((d) => d.json.alert.rule.id === 'e2e-brute-force' && d.json.alert.alert.group_key.includes(host)), 'the correlation alert delivery', 60_000);
      expect(delivered.signatureValid).toBe(true);
      expect(delivered.json.alert.events.count).toBe(6);
      expect(delivered.json.alert.alert.kind).toBe('correlation');

      // The six events really came through different raw partitions (so different workers).
      await es.indices.refresh({ index: TEST_EVENT_STREAMS });
      const events = await es.search({ index: TEST_EVENT_STREAMS, size: 20, query: { bool: { filter: [{ term: { 'host.hostname': host } }, { term: { 'haetae.raw.topic': cfg.rawTopic } }] } } });
      const partitions = new Set(events.hits.hits.map((h) => (h._source as any).haetae.raw.partition));
      expect(events.hits.hits).toHaveLength(6);
      expect(partitions.size).toBe(3);

      await new Promise((r) => setTimeout(r, 3_000)); // give a duplicate every chance
      const alerts = await alertsFor(cfg.alertsIndex, 'e2e-brute-force');
      expect(alerts.map((a) => a.alert.group_key)).toEqual([`host.hostname="${host}"`]);
      expect(hook.deliveries.filter((d) => d.json.alert.rule.id === 'e2e-brute-force')).toHaveLength(1);
    } finally {
      await p.stop();
    }
  }, 240_000);

  it('keeps an open window across kill -9 of the only worker: the alert fires once, at the event that completes it', async () => {
    const hook = await startWebhookServer(WEBHOOK_SECRET);
    const cfg = e2eConfig(hook.url, { rulesPath: [rulesDir(5)], worker: { correlation: { checkpointIntervalMs: 0 } } });
    const p = pipeline(cfg, hook);
    let worker = p.worker();
    try {
      const udpPort = await p.udpPort();
      await worker.waitFor(/Worker joined the consumer group/, 90_000);
      const token = randomUUID().slice(0, 8);
      const host = `web-${token}`;
      const t0 = Date.now() - 60_000;
      await sendFrom('127.0.0.1', udpPort, [0, 1, 2].map((i) => line(host, new Date(t0 + i * 1_000), `e2e-login-failure ${token} ${i}`)));
      // Wait until the three observations are in a checkpoint (the window is open, three of five).
      await eventually(async () => {
        const keys = await redis.keys(`haetae:correlator:${cfg.correlatorGroup}:*`);
        for (const k of keys) {
          const state = await redis.hget(k, 'state');
          const engine = state ? (JSON.parse(state) as PartitionCheckpoint).correlations['e2e-brute-force'] : undefined;
          const group = engine?.rules[0]?.groups.find((g) => g.groupBy[0] === host);
          if (group && group.entries.length === 3) return true;
        }
        return undefined;
      }, 'a checkpoint holding the open window', 45_000);
      expect(await alertsFor(cfg.alertsIndex, 'e2e-brute-force')).toHaveLength(0);

      worker.child.kill('SIGKILL');
      expect((await worker.exited).signal).toBe('SIGKILL');
      worker = p.worker();
      await worker.waitFor(/Worker joined the consumer group/, 90_000);

      // One more: four of five — still nothing.
      await sendFrom('127.0.0.1', udpPort, [line(host, new Date(t0 + 3_000), `e2e-login-failure ${token} 3`)]);
      await worker.waitFor(/Restored correlation state of partition/, 30_000);
      await new Promise((r) => setTimeout(r, 4_000));
      expect(await alertsFor(cfg.alertsIndex, 'e2e-brute-force')).toHaveLength(0);
      expect(hook.deliveries.filter((d) => d.json.alert.rule.id === 'e2e-brute-force')).toHaveLength(0);

      // The fifth completes the window that was open before the crash.
      await sendFrom('127.0.0.1', udpPort, [line(host, new Date(t0 + 4_000), `e2e-login-failure ${token} 4`)]);
      const delivered = await eventually(async () => hook.deliveries.find((d) => d.json.alert.rule.id === 'e2e-brute-force'), 'the correlation alert delivery', 45_000);
      expect(delivered.json.alert.events.count).toBe(5);
      expect(delivered.json.alert.alert.window.start).toBe(new Date(t0).toISOString());
      await new Promise((r) => setTimeout(r, 3_000));
      expect(hook.deliveries.filter((d) => d.json.alert.rule.id === 'e2e-brute-force')).toHaveLength(1);
    } finally {
      await p.stop();
    }
  }, 240_000);

  it('a correlator killed after storing an alert but before its checkpoint replays without a second alert', async () => {
    const hook = await startWebhookServer(WEBHOOK_SECRET);
    const cfg = e2eConfig(hook.url, { rulesPath: [rulesDir(3)] });
    const p = pipeline(cfg, hook);
    let worker = p.worker({ HAETAE_FAILPOINT: 'correlator-after-alert' });
    try {
      const udpPort = await p.udpPort();
      await worker.waitFor(/Worker joined the consumer group/, 90_000);
      const token = randomUUID().slice(0, 8);
      const host = `web-${token}`;
      const t0 = Date.now() - 60_000;
      await sendFrom('127.0.0.1', udpPort, [0, 1, 2].map((i) => line(host, new Date(t0 + i * 1_000), `e2e-login-failure ${token} ${i}`)));
      expect((await worker.exited).signal).toBe('SIGKILL');
      expect(worker.output.join('\n')).toContain("failpoint 'correlator-after-alert' reached");

      worker = p.worker();
      await worker.waitFor(/Worker joined the consumer group/, 90_000);
      const delivered = await eventually(async () => hook.deliveries.find((d) => d.json.alert.rule.id === 'e2e-brute-force'), 'the correlation alert delivery', 45_000);
      expect(delivered.json.alert.events.count).toBe(3);
      await new Promise((r) => setTimeout(r, 4_000));
      expect(hook.deliveries.filter((d) => d.json.alert.rule.id === 'e2e-brute-force')).toHaveLength(1);
      expect(await alertsFor(cfg.alertsIndex, 'e2e-brute-force')).toHaveLength(1);
    } finally {
      await p.stop();
    }
  }, 240_000);

  it('raises an absence alert when a device goes quiet, and resolves it when the device speaks again', async () => {
    const hook = await startWebhookServer(WEBHOOK_SECRET);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'haetae-e2e-rules-'));
    fs.writeFileSync(path.join(dir, 'heartbeat.yml'), `title: E2E device quiet
id: e2e-device-quiet
logsource: { product: e2e }
detection:
  beat:
    message|contains: e2e-heartbeat
  condition: beat
level: high
haetae:
  group-by: [host.hostname]
  absence:
    timespan: 8s
`);
    const cfg = e2eConfig(hook.url, { rulesPath: [dir], worker: { correlation: { allowedLatenessMs: 1000, idleAdvanceMs: 1000 } } });
    const p = pipeline(cfg, hook);
    const worker = p.worker();
    try {
      const udpPort = await p.udpPort();
      await worker.waitFor(/Worker joined the consumer group/, 90_000);
      const token = randomUUID().slice(0, 8);
      const host = `edge-${token}`;
      const first = new Date();
      await sendFrom('127.0.0.1', udpPort, [line(host, first, `e2e-heartbeat ${token} 1`)]);
      const opened = await eventually(async () => hook.deliveries.find((d) => d.json.alert.rule.id === 'e2e-device-quiet'), 'the absence alert', 60_000);
      // Not before the deadline (8 s of event time after the heartbeat, plus the 1 s lateness).
      expect(Date.now() - first.getTime()).toBeGreaterThanOrEqual(9_000);
      expect(opened.json.alert.alert).toMatchObject({ kind: 'absence', status: 'open', group_key: `host.hostname="${host}"`, window: { start: first.toISOString() } });
      expect(opened.json.alert.events.count).toBe(0);

      await sendFrom('127.0.0.1', udpPort, [line(host, new Date(), `e2e-heartbeat ${token} 2`)]);
      const resolved = await eventually(async () => hook.deliveries.find((d) => d.json.event === 'resolved' && d.json.alert.alert.id === opened.json.alert.alert.id), 'the resolution', 45_000);
      expect(resolved.json.alert.alert.status).toBe('resolved');
      expect(hook.deliveries.filter((d) => d.json.alert.rule.id === 'e2e-device-quiet' && d.json.event !== 'resolved')).toHaveLength(1);
    } finally {
      await p.stop();
    }
  }, 180_000);
});
