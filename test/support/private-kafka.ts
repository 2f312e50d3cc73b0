import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { ROOT } from './haetae-process';

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

export interface PrivateKafka {
  /** The broker's address, for kafka.brokers. */
  broker: string;
  /** Starts the broker (the project's stack script; blocks until it answers). */
  up(): void;
  /** Stops it: an outage for whatever uses it. */
  down(): void;
  /** Stops it (if running) and removes its data. */
  remove(): void;
}

/**
 * A private Kafka broker, started and stopped by the project's own stack script on spare ports
 * and its own data directory, so the shared broker other tests use is untouched. For outage
 * tests: `down()` while haetae runs, `up()` again.
 */
export async function privateKafka(prefix: string): Promise<PrivateKafka> {
  const port = await freePortPair();
  const stackDir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  const env: NodeJS.ProcessEnv = { ...process.env, HAETAE_STACK_DIR: stackDir, HAETAE_KAFKA_BROKERS: `127.0.0.1:${port}` };
  // The broker keeps the real clock when the tests run shifted (npm run test:shifted), as the shared stack does.
  for (const k of ['LD_PRELOAD', 'FAKETIME', 'FAKETIME_DONT_FAKE_MONOTONIC', 'FAKETIME_NO_CACHE']) delete env[k];
  const stack = (cmd: string): void => {
    const res = spawnSync('bash', [path.join(ROOT, 'stack', 'stack.sh'), cmd, 'kafka'], { env, encoding: 'utf8', timeout: 180_000 });
    if (res.status !== 0) throw new Error(`stack ${cmd} kafka failed (${res.status}):\n${res.stdout}\n${res.stderr}`);
  };
  return {
    broker: `127.0.0.1:${port}`,
    up: () => stack('up'),
    down: () => stack('down'),
    remove: () => {
      spawnSync('bash', [path.join(ROOT, 'stack', 'stack.sh'), 'down', 'kafka'], { env, timeout: 120_000 });
      fs.rmSync(stackDir, { recursive: true, force: true });
    },
  };
}
