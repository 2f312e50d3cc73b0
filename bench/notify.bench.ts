/**
 * Notification deliveries per second: the real notifier role (BullMQ on the local Redis) posting
 * signed webhook deliveries to a local HTTP receiver, at notifier concurrency 1, 10 and 100.
 * Jobs are queued first (addBulk), then the notifier starts and the clock runs until the receiver
 * has every delivery. The receiver answers at once, or after `--latency-ms` (a slow endpoint,
 * where concurrency pays off). Loopback only, bounded. `npm run bench:notify [-- --jobs N --latency-ms 20]`.
 */
import http from 'node:http';
import os from 'node:os';
import fs from 'node:fs';
import path from 'node:path';
import pino from 'pino';
import { createNotificationQueue, jobOptions, queueSettings } from '../connectors/bullmq/queue';
import { loadConfig } from '../pipeline/config/load';
import { startNotifier } from '../pipeline/roles/notifier';
import { buildNotificationJob } from '../pipeline/notify/job';
import { Metrics } from '../pipeline/telemetry/metrics';
import type { Alert } from '../schemas/generated/types';
import { printTable } from './report';

const arg = (name: string, fallback: string): string => { const i = process.argv.indexOf(name); return i > 0 ? process.argv[i + 1]! : fallback; };
const JOBS = Number(arg('--jobs', '3000'));
const REDIS = process.env.HAETAE_REDIS_URL ?? 'redis://127.0.0.1:6379';

function alert(i: number): Alert {
  const id = i.toString(16).padStart(32, '0'); // unique: the job id is derived from it
  return {
    '@timestamp': new Date().toISOString(),
    message: `SSH brute force from 203.0.113.${i % 250}`,
    alert: { id, status: 'open', severity: 'high', created: new Date().toISOString(), group_key: `source.ip="203.0.113.${i % 250}"`, dedup_key: id, assignee: null, acknowledged_at: null, resolved_at: null },
    rule: { id: 'ssh-brute', title: 'SSH brute force' },
    events: { ids: [`ev-${i}`], count: 1, index: 'logs-haetae.syslog-bench' },
  };
}

async function run(concurrency: number, latencyMs: number): Promise<{ perS: number; ms: number; cpuMs: number }> {
  let got = 0;
  let done!: () => void;
  const all = new Promise<void>((r) => { done = r; });
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => setTimeout(() => {
      res.end('ok');
      if (++got === JOBS) done();
    }, latencyMs));
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'haetae-bench-notify-'));
  const file = path.join(dir, 'haetae.yaml');
  const queueName = `haetae-bench-notify-${process.pid}-${concurrency}-${latencyMs}`;
  fs.writeFileSync(file, JSON.stringify({
    redis: { url: REDIS },
    notifier: { queue: queueName, concurrency, channels: [{ name: 'hook', type: 'webhook', url: `http://127.0.0.1:${(server.address() as { port: number }).port}/hook`, secret: 'bench-secret-0123456789abcdef' }] },
  }));
  const loaded = loadConfig({ file, env: {} });
  const settings = queueSettings(loaded.config);
  const queue = createNotificationQueue(settings);
  try {
    for (let i = 0; i < JOBS; i += 500) {
      const batch = Array.from({ length: Math.min(500, JOBS - i) }, (_, k) => buildNotificationJob(alert(i + k), 'hook'));
      await queue.addBulk(batch.map((j) => ({ name: j.id, data: j.data, opts: jobOptions(settings, j.id) })));
    }
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const notifier = startNotifier(loaded, pino({ level: process.env.BENCH_LOG ?? 'warn' }), new Metrics());
    await all;
    const ms = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    await notifier.stop();
    return { perS: JOBS / (ms / 1000), ms, cpuMs: (cpu.user + cpu.system) / 1000 };
  } finally {
    await queue.obliterate({ force: true }).catch(() => undefined);
    await queue.close();
    server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const latency = Number(arg('--latency-ms', '0'));
  const rows: (string | number)[][] = [];
  for (const lat of latency > 0 ? [0, latency] : [0, 20]) {
    for (const c of [1, 10, 100]) {
      const r = await run(c, lat);
      rows.push([c, lat, JOBS, Math.round(r.ms), Math.round(r.perS), Number((r.cpuMs * 1000 / JOBS).toFixed(0))]);
      process.stdout.write(`concurrency ${c}, endpoint latency ${lat} ms: ${Math.round(r.perS)} deliveries/s\n`);
    }
  }
  printTable(`Notifier → local signed webhook, real Redis (BullMQ), ${JOBS.toLocaleString('en-US')} jobs per run, load average ${os.loadavg()[0]!.toFixed(1)}, ${os.cpus().length} CPUs`,
    ['concurrency', 'endpoint ms', 'jobs', 'ms', 'deliveries/s', 'CPU µs/delivery (notifier + receiver process)'], rows);
}

main().then(() => process.exit(0), (err: unknown) => { console.error(err); process.exit(1); });
