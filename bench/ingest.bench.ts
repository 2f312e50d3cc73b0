/**
 * End-to-end ingest against the real stack: syslog over TCP (octet-counted) and UDP into the
 * built `haetae run all` process → Kafka → worker → Elasticsearch. Prints how long until every
 * message is searchable, the resulting events/s, and for UDP how many datagrams were lost
 * (haetae's own overload counter and the kernel's receive-buffer drops from /proc/net/snmp).
 * Bounded: loopback only, a fixed message count. `npm run bench:ingest [-- --messages N]`.
 */
import { spawn } from 'node:child_process';
import dgram from 'node:dgram';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { bsdTimestamp } from '../pipeline/time/bsd-format';
import { Client } from '@elastic/elasticsearch';
import { printTable } from './report';

const argN = process.argv.indexOf('--messages');
const N = argN > 0 ? Number(process.argv[argN + 1]) : 100_000;
const ES_URL = process.env.HAETAE_ELASTICSEARCH_URL ?? 'http://127.0.0.1:9200';
const BROKERS = (process.env.HAETAE_KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
const ROOT = path.join(__dirname, '..', '..');
const DATA_STREAM = 'logs-haetae.syslog-bench';
const argRate = process.argv.indexOf('--udp-rate');
const UDP_RATE = argRate > 0 ? Number(process.argv[argRate + 1]) : 5_000;

/** haetae's own counters, as an operator reads them from /metrics. */
function kernelDrops(metrics: string): number {
  return [...metrics.matchAll(/^haetae_udp_kernel_drops\{[^}]*\} (\d+)/gm)].reduce((a, m) => a + Number(m[1]), 0);
}
function haetaeDrops(metrics: string): number {
  return Number(/haetae_dropped_total\{stage="receive",reason="overload"\} (\d+)/.exec(metrics)?.[1] ?? 0);
}

/** Stamped when the run starts, as live senders would be (the worker bounds timestamps by receive time). */
const STAMP = bsdTimestamp(new Date());

function line(i: number, token: string): string {
  return `<38>${STAMP} web${i % 50} sshd[${1000 + (i % 999)}]: Accepted publickey for user${i % 300} from 198.51.100.${i % 250} port ${1024 + (i % 60000)} ssh2 ${token} seq=${i}`;
}

async function sendTcp(port: number, token: string): Promise<number> {
  const t0 = Date.now();
  await new Promise<void>((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1');
    s.on('error', reject);
    let i = 0;
    const pump = (): void => {
      while (i < N) {
        const msg = Buffer.from(line(i++, token));
        if (!s.write(Buffer.concat([Buffer.from(`${msg.length} `), msg]))) { s.once('drain', pump); return; }
      }
      s.end(() => resolve());
    };
    s.on('connect', pump);
  });
  return Date.now() - t0;
}

/** Sends N datagrams, as fast as possible (rate 0) or paced at `rate` per second in 10 ms slices. */
async function sendUdp(port: number, token: string, rate: number): Promise<number> {
  const sock = dgram.createSocket('udp4');
  const t0 = Date.now();
  const perSlice = rate > 0 ? Math.max(1, Math.round(rate / 100)) : Infinity;
  for (let i = 0; i < N; ) {
    const sliceEnd = Math.min(N, i + perSlice);
    for (; i < sliceEnd; i++) await new Promise<void>((r) => sock.send(line(i, token), port, '127.0.0.1', () => r()));
    if (rate > 0) {
      const due = t0 + (i / rate) * 1000;
      if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
    }
  }
  sock.close();
  return Date.now() - t0;
}

async function countIndexed(es: Client, token: string): Promise<number> {
  await es.indices.refresh({ index: DATA_STREAM }).catch(() => undefined);
  const r = await es.count({ index: DATA_STREAM, query: { match: { message: token } } }).catch(() => ({ count: 0 }));
  return r.count;
}

async function main(): Promise<void> {
  const id = randomUUID().slice(0, 8);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'haetae-bench-'));
  const cfgFile = path.join(dir, 'haetae.yaml');
  fs.writeFileSync(cfgFile, JSON.stringify({
    kafka: { brokers: BROKERS, rawTopic: `haetae.bench.${id}.raw`, dlqTopic: `haetae.bench.${id}.dlq`, consumerGroup: `haetae-bench-${id}` },
    elasticsearch: { url: ES_URL, eventsDataStream: DATA_STREAM, alertsIndex: `haetae-alerts-bench-${id}` },
    receiver: { listeners: [{ transport: 'udp', host: '127.0.0.1', port: 0 }, { transport: 'tcp', host: '127.0.0.1', port: 0 }] },
    worker: { rulesPath: [path.join(ROOT, 'rules')] },
    http: { port: 0 },
    log: { level: process.env.BENCH_LOG_LEVEL ?? 'warn' },
  }));
  const child = spawn(process.execPath, [path.join(ROOT, 'dist', 'cli', 'haetae.js'), 'run', 'all', '--config', cfgFile], { stdio: ['ignore', 'pipe', process.env.BENCH_LOG_LEVEL ? 'inherit' : 'ignore'] });
  const ports: Record<string, number> = {};
  let httpPort = 0;
  await new Promise<void>((resolve, reject) => {
    child.on('exit', (c) => reject(new Error(`haetae exited (${c}) before listening`)));
    child.stdout!.on('data', (d: Buffer) => {
      if (process.env.BENCH_LOG_LEVEL) process.stderr.write(d);
      for (const m of d.toString().matchAll(/listening for syslog on (udp|tcp):\/\/127\.0\.0\.1:(\d+)/g)) ports[m[1]!] = Number(m[2]);
      const h = /metrics on http:\/\/127\.0\.0\.1:(\d+)/.exec(d.toString());
      if (h) httpPort = Number(h[1]);
      if (ports.udp && ports.tcp && httpPort) resolve();
    });
  });
  // Wait until the worker has joined its group, so the clock measures ingest, not start-up.
  for (let i = 0; i < 120; i++) {
    const r = await fetch(`http://127.0.0.1:${httpPort}/readyz`).catch(() => null);
    if (r?.status === 200) break;
    await new Promise((res) => setTimeout(res, 500));
  }
  const es = new Client({ node: ES_URL, requestTimeout: 60_000 });
  const rows: (string | number)[][] = [];
  try {
    const scenarios = [
      { name: 'TCP octet-counted, 1 connection', transport: 'tcp', rate: 0 },
      { name: `UDP paced at ${UDP_RATE.toLocaleString('en-US')}/s`, transport: 'udp', rate: UDP_RATE },
      { name: 'UDP unpaced burst', transport: 'udp', rate: 0 },
    ] as const;
    for (const [k, sc] of scenarios.entries()) {
      const transport = sc.transport;
      const token = `bench${k}${id}`;
      const scrape = async (): Promise<string> => (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
      const kernelBefore = kernelDrops(await scrape());
      const droppedBefore = haetaeDrops(await scrape());
      const t0 = Date.now();
      const sendMs = transport === 'tcp' ? await sendTcp(ports.tcp!, token) : await sendUdp(ports.udp!, token, sc.rate);
      let indexed = 0;
      let last = -1;
      let stableSince = Date.now();
      // Done when all N are searchable, or (UDP) when the count stops moving for 5 s.
      while (indexed < N) {
        await new Promise((r) => setTimeout(r, 500));
        indexed = await countIndexed(es, token);
        if (indexed !== last) { last = indexed; stableSince = Date.now(); }
        else if (Date.now() - stableSince > 5_000) break;
        process.stderr.write(`\r${transport}: ${indexed.toLocaleString('en-US')} / ${N.toLocaleString('en-US')} searchable`);
      }
      process.stderr.write('\n');
      const totalMs = (indexed === N ? Date.now() - t0 : stableSince - t0);
      const metrics = await scrape();
      const isUdp = transport === 'udp';
      rows.push([sc.name, N, sendMs, totalMs, Math.round((indexed / totalMs) * 1000), N - indexed, isUdp ? kernelDrops(metrics) - kernelBefore : '-', isUdp ? haetaeDrops(metrics) - droppedBefore : '-']);
    }
  } finally {
    child.kill('SIGTERM');
    await es.indices.delete({ index: `haetae-alerts-bench-${id}` }).catch(() => undefined);
    await es.close();
  }
  printTable(`End-to-end ingest: sender → haetae (receiver + worker, one process) → Kafka → Elasticsearch, ${os.cpus().length} cores, all on loopback`, ['input', 'messages', 'send ms', 'all searchable ms', 'events/s', 'missing', 'kernel drops (metric)', 'overload drops'], rows);
}

main().catch((err) => { console.error(err); process.exit(1); });
