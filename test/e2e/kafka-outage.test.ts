import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import YAML from 'yaml';
import { eventually } from '../support/services';
import { HaetaeProcess, ROOT, logger, runCli, writeConfig } from '../support/haetae-process';
import { startWebhookServer } from '../support/webhook-server';
import { WEBHOOK_SECRET, e2eConfig } from './config';

/** Two free consecutive ports: the broker's and its controller's (the stack uses port + 1). */
async function freePortPair(): Promise<number> {
  for (let i = 0; i < 20; i++) {
    const port = await new Promise<number>((resolve) => {
      const s = net.createServer().listen(0, '127.0.0.1', () => { const p = (s.address() as net.AddressInfo).port; s.close(() => resolve(p)); });
    });
    const nextFree = await new Promise<boolean>((resolve) => {
      const s = net.createServer().once('error', () => resolve(false)).listen(port + 1, '127.0.0.1', () => s.close(() => resolve(true)));
    });
    if (nextFree && port < 65000) return port;
  }
  throw new Error('no two consecutive free ports');
}

/**
 * A private Kafka broker (started by the project's own stack script on spare ports, so the shared
 * broker other tests use is untouched) is stopped while haetae runs and started again. Messages
 * received during the outage are held by the receiver, logged, and reach Elasticsearch after.
 */
describe('a Kafka outage', () => {
  it('holds received messages until Kafka is back, then indexes all of them', async () => {
    const port = await freePortPair();
    const stackDir = fs.mkdtempSync(path.join(os.tmpdir(), 'haetae-kafka-outage-'));
    const env: NodeJS.ProcessEnv = { ...process.env, HAETAE_STACK_DIR: stackDir, HAETAE_KAFKA_BROKERS: `127.0.0.1:${port}` };
    // The broker keeps the real clock when the tests run shifted (npm run test:shifted), as the shared stack does.
    for (const k of ['LD_PRELOAD', 'FAKETIME', 'FAKETIME_DONT_FAKE_MONOTONIC', 'FAKETIME_NO_CACHE']) delete env[k];
    const stack = (cmd: string): void => {
      const res = spawnSync('bash', [path.join(ROOT, 'stack', 'stack.sh'), cmd, 'kafka'], { env, encoding: 'utf8', timeout: 180_000 });
      if (res.status !== 0) throw new Error(`stack ${cmd} kafka failed (${res.status}):\n${res.stdout}\n${res.stderr}`);
    };
    const hook = await startWebhookServer(WEBHOOK_SECRET);
    const base = e2eConfig(hook.url);
    const config = YAML.parse(fs.readFileSync(base.file, 'utf8'));
    config.kafka.brokers = [`127.0.0.1:${port}`];
    const file = writeConfig(config);
    let haetae: HaetaeProcess | undefined;
    try {
      stack('up');
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

      stack('down');
      for (let i = 0; i < 3; i++) logger(['-n', '127.0.0.1', '-P', String(tcpPort), '-T', '--octet-count', `during the outage ${i} ${token}`]);
      await haetae.waitFor(new RegExp(`Kafka at 127\\.0\\.0\\.1:${port} did not accept \\d+ messages .*; holding them and retrying\\.`), 60_000);
      expect(haetae.child.exitCode).toBeNull();

      stack('up');
      await eventually(async () => (search() === 4 ? true : undefined), 'all four messages after Kafka is back', 120_000, 1_000);
      expect(haetae.child.exitCode).toBeNull();
    } finally {
      await haetae?.stop();
      await hook.close();
      spawnSync('bash', [path.join(ROOT, 'stack', 'stack.sh'), 'down', 'kafka'], { env, timeout: 120_000 });
      fs.rmSync(stackDir, { recursive: true, force: true });
    }
  }, 300_000);
});
