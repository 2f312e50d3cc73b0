/**
 * End-to-end alert latency (issue 12, Performance): from a syslog line sent to its webhook
 * delivered, with the full stack. The built `haetae run all` runs as a real process (receiver,
 * worker, notifier, API) against the local Kafka, Elasticsearch and Redis, with topics, group,
 * indices, data stream and queue of its own; this process sends syslog to it on loopback at a
 * steady rate, one line in `--alert-every` being an sshd "Failed password" line that a bench rule
 * turns into one alert (no group-by, no throttle: one alert and one webhook per line). Each such
 * line carries a unique token and its send time; the webhook receiver here records when each
 * token arrives. After warm-up (worker in its group, first webhook delivered, `--warmup` seconds
 * at the full rate, not counted) it measures for `--duration` seconds, waits for the stragglers,
 * and reports lines sent, alerts expected vs delivered, latency percentiles, the CPU of the haetae
 * process and of the box, and the load average before the run.
 *
 * Afterwards the process is stopped and its topics, groups, alert indices and queue are deleted;
 * its events go to its own `logs-haetae.*-bench` streams (shared by its runs) and are deleted
 * by raw topic where Elasticsearch has delete_by_query (the integ-test distribution has not).
 *
 * `npm run bench:latency [-- --duration 60 --rate 1000 --alert-every 10 --transport udp]`
 * Loopback only; bounded by --duration (+ warm-up and --drain). `--help` lists the flags.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { Client } from '@elastic/elasticsearch';
import { bsdTimestamp } from '../pipeline/time/bsd-format';
import { verifySignature, SIGNATURE_HEADER, TIMESTAMP_HEADER } from '../pipeline/notify/sign';
import { loadConfig } from '../pipeline/config/load';
import { dropKafkaAndQueue, runNames, type RunNames } from './run-cleanup';
import { printTable } from './report';

const HELP = `Usage: npm run bench:latency [-- options]

End-to-end latency from a syslog line sent to its alert's webhook delivered, through the real
'haetae run all' process and the local Kafka, Elasticsearch and Redis (loopback only).

Options:
  --duration <s>      measured seconds of traffic (default 60)
  --rate <n>          syslog lines per second (default 1000)
  --alert-every <n>   one line in n raises an alert (default 10: 100 alerts/s at 1,000 lines/s)
  --warmup <s>        seconds at the full rate before measuring, not counted (default 5)
  --drain <s>         longest wait for the last webhooks after sending stops (default 30)
  --transport <t>     udp or tcp (octet-counted, one connection) (default udp)
  --config-json <j>   JSON merged over the generated haetae config, to try a knob, e.g.
                      '{"receiver":{"batchMaxDelayMs":5}}' or '{"notifier":{"concurrency":32}}'
  -h, --help          this text

Environment: HAETAE_KAFKA_BROKERS, HAETAE_ELASTICSEARCH_URL, HAETAE_REDIS_URL (local defaults);
BENCH_LOG=info to pass haetae's own log through to stderr.`;

const { values: flags } = parseArgs({
  options: {
    duration: { type: 'string', default: '60' },
    rate: { type: 'string', default: '1000' },
    'alert-every': { type: 'string', default: '10' },
    warmup: { type: 'string', default: '5' },
    drain: { type: 'string', default: '30' },
    transport: { type: 'string', default: 'udp' },
    'config-json': { type: 'string', default: '{}' },
    help: { type: 'boolean', short: 'h', default: false },
  },
  strict: true,
});
if (flags.help) {
  process.stdout.write(`${HELP}\n`);
  process.exit(0);
}

function positive(name: string, raw: string, min = 1): number {
  const n = Number(raw);
  if (!Number.isFinite(n) || n < min) {
    process.stderr.write(`--${name} must be a number ≥ ${min} (got '${raw}')\n`);
    process.exit(2);
  }
  return n;
}
const DURATION_S = positive('duration', flags.duration!);
const RATE = positive('rate', flags.rate!);
const ALERT_EVERY = Math.round(positive('alert-every', flags['alert-every']!));
const WARMUP_S = positive('warmup', flags.warmup!, 0);
const DRAIN_S = positive('drain', flags.drain!);
const TRANSPORT = flags.transport!;
if (TRANSPORT !== 'udp' && TRANSPORT !== 'tcp') {
  process.stderr.write(`--transport must be udp or tcp (got '${TRANSPORT}')\n`);
  process.exit(2);
}
let OVERRIDES: Record<string, unknown>;
try {
  OVERRIDES = JSON.parse(flags['config-json']!) as Record<string, unknown>;
} catch (err) {
  process.stderr.write(`--config-json is not JSON: ${(err as Error).message}\n`);
  process.exit(2);
}

// kafkajs (the admin client that cleans up) schedules a timer at a negative delay on Node 24: harmless, not ours.
process.removeAllListeners('warning');
process.on('warning', (w) => { if (w.name !== 'TimeoutNegativeWarning') process.stderr.write(`${w.name}: ${w.message}\n`); });

const ES_URL = process.env.HAETAE_ELASTICSEARCH_URL ?? 'http://127.0.0.1:9200';
const BROKERS = (process.env.HAETAE_KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
const REDIS = process.env.HAETAE_REDIS_URL ?? 'redis://127.0.0.1:6379';
const ROOT = path.join(__dirname, '..', '..');
const CLI = path.join(ROOT, 'dist', 'cli', 'haetae.js');
const SECRET = 'bench-latency-secret-0123456789';
const RULE_ID = '7d3a5c1e-4b2f-4e8a-9c61-0f5e2b8d4a17';
const PROGRESS_MS = 10_000;
const EVENTS_DATA_STREAM = 'logs-haetae.syslog-bench';
/** Every family stream of that namespace (sshd lines land in logs-haetae.linux-bench). */
const EVENTS_PATTERN = 'logs-haetae.*-bench';

// ---------------------------------------------------------------------------------------------
// CPU accounting from /proc (Linux): the haetae process, the whole box, the busiest processes.

const CLK_TCK = 100; // USER_HZ: 100 on every Linux architecture Node runs on

/** utime + stime of one process, in ms (null when it is gone). */
function processCpuMs(pid: number): number | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // After "pid (comm) ": state is field 3, utime 14 and stime 15 → indices 11 and 12 here.
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLK_TCK;
  } catch {
    return null;
  }
}

/** Busy and total jiffies of the whole machine (all CPUs). */
function boxCpu(): { busy: number; total: number } {
  const line = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const total = line.reduce((a, b) => a + b, 0);
  const idle = (line[3] ?? 0) + (line[4] ?? 0); // idle + iowait
  return { busy: total - idle, total };
}

/** CPU ms of every process now, with its command line (short). */
function allProcesses(): Map<number, { cpuMs: number; name: string }> {
  const out = new Map<number, { cpuMs: number; name: string }>();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    const cpuMs = processCpuMs(pid);
    if (cpuMs === null) continue;
    let name = '';
    try {
      name = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).map((a) => path.basename(a)).slice(0, 4).join(' ');
    } catch { /* gone */ }
    if (!name) {
      try { name = `[${fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim()}]`; } catch { /* gone */ }
    }
    out.set(pid, { cpuMs, name: name.length > 70 ? `${name.slice(0, 69)}…` : name });
  }
  return out;
}

/** The processes that used the most CPU between two snapshots, as % of one core. */
function busiest(before: Map<number, { cpuMs: number; name: string }>, after: Map<number, { cpuMs: number; name: string }>, wallMs: number, n: number): Array<{ pid: number; name: string; pct: number }> {
  const rows: Array<{ pid: number; name: string; pct: number }> = [];
  for (const [pid, a] of after) {
    const b = before.get(pid);
    const used = a.cpuMs - (b?.cpuMs ?? a.cpuMs);
    if (used > 0) rows.push({ pid, name: a.name, pct: (used / wallMs) * 100 });
  }
  return rows.sort((x, y) => y.pct - x.pct).slice(0, n);
}

// ---------------------------------------------------------------------------------------------
// Percentiles

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length); // nearest rank
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

function summary(values: readonly number[]): { p50: number; p90: number; p99: number; max: number; n: number } {
  const s = [...values].sort((a, b) => a - b);
  return { p50: percentile(s, 50), p90: percentile(s, 90), p99: percentile(s, 99), max: s[s.length - 1] ?? NaN, n: s.length };
}

const ms = (v: number): string => (Number.isFinite(v) ? `${Math.round(v)}` : '-');

// ---------------------------------------------------------------------------------------------
// The pieces: config, haetae process, webhook receiver, sender

function deepMerge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = out[k];
    out[k] = v && typeof v === 'object' && !Array.isArray(v) && b && typeof b === 'object' && !Array.isArray(b)
      ? deepMerge(b as Record<string, unknown>, v as Record<string, unknown>)
      : v;
  }
  return out;
}

interface Names extends RunNames {
  id: string;
  dir: string;
  file: string;
  eventsDataStream: string;
  alertsIndex: string;
  alertEventsIndex: string;
  queue: string;
}

function writeSetup(webhookUrl: string): Names {
  const id = `lat${randomUUID().replace(/-/g, '').slice(0, 10)}`;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'haetae-bench-latency-'));
  const rulesDir = path.join(dir, 'rules');
  fs.mkdirSync(rulesDir);
  // One alert per matching line: no group-by (no folding into an open alert), no throttle.
  fs.writeFileSync(path.join(rulesDir, 'bench-latency.yml'), `title: Bench latency marker (sshd failed password)
id: ${RULE_ID}
status: test
description: Benchmark rule, one alert per sshd failed-password line.
level: high
logsource: { product: linux, service: sshd }
detection:
  program:
    process.name: sshd
  failure:
    message|contains: 'Failed password for'
  condition: program and failure
falsepositives: [benchmark traffic]
`);
  const n: Names = {
    id,
    dir,
    file: path.join(dir, 'haetae.yaml'),
    ...runNames(id),
    // The integ-test distribution cannot delete data streams: every run shares the `bench`
    // namespace (bench:ingest has its own) and its events are deleted by their raw topic afterwards.
    eventsDataStream: EVENTS_DATA_STREAM,
    alertsIndex: `haetae-alerts-bench-${id}`,
    alertEventsIndex: `haetae-alert-events-bench-${id}`,
    queue: `haetae-bench-${id}`,
  };
  const config = deepMerge({
    kafka: { brokers: BROKERS, rawTopic: n.rawTopic, dlqTopic: n.dlqTopic, consumerGroup: n.consumerGroup, correlateTopic: n.correlateTopic, correlatorGroup: n.correlatorGroup },
    elasticsearch: { url: ES_URL, eventsDataStream: n.eventsDataStream, alertsIndex: n.alertsIndex, alertEventsIndex: n.alertEventsIndex },
    redis: { url: REDIS },
    receiver: { listeners: [{ transport: TRANSPORT, host: '127.0.0.1', port: 0 }] },
    worker: { rulesPath: [rulesDir], decodersPath: [path.join(ROOT, 'decoders')], mappingsPath: path.join(ROOT, 'rules', 'mappings') },
    notifier: { queue: n.queue, webhook: { url: webhookUrl, secret: SECRET } },
    http: { host: '127.0.0.1', port: 0 },
    api: { host: '127.0.0.1', port: 0 },
    log: { level: process.env.BENCH_LOG ?? 'warn' },
  }, OVERRIDES);
  fs.writeFileSync(n.file, JSON.stringify(config, null, 2));
  return n;
}

class Haetae {
  readonly child: ChildProcess;
  readonly tail: string[] = [];
  readonly exited: Promise<void>;
  syslogPort = 0;
  httpPort = 0;

  constructor(configFile: string) {
    this.child = spawn(process.execPath, [CLI, 'run', 'all', '--config', configFile], {
      cwd: ROOT,
      env: { ...process.env, HAETAE_CONFIG: configFile },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const collect = (chunk: Buffer): void => {
      if (process.env.BENCH_LOG) process.stderr.write(chunk);
      for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) {
        this.tail.push(line);
        if (this.tail.length > 60) this.tail.shift();
        const s = /listening for syslog on (?:udp|tcp):\/\/127\.0\.0\.1:(\d+)/.exec(line);
        if (s) this.syslogPort = Number(s[1]);
        const h = /metrics on http:\/\/127\.0\.0\.1:(\d+)/.exec(line);
        if (h) this.httpPort = Number(h[1]);
      }
    };
    this.child.stdout!.on('data', collect);
    this.child.stderr!.on('data', collect);
    this.exited = new Promise((resolve) => this.child.on('exit', () => resolve()));
  }

  get alive(): boolean { return this.child.exitCode === null && this.child.signalCode === null; }

  async started(timeoutMs: number): Promise<void> {
    const until = Date.now() + timeoutMs;
    while (!(this.syslogPort && this.httpPort)) {
      if (!this.alive) throw new Error(`haetae exited (${this.child.exitCode ?? this.child.signalCode}) before listening:\n${this.tail.join('\n')}`);
      if (Date.now() > until) throw new Error(`haetae did not listen within ${timeoutMs} ms:\n${this.tail.join('\n')}`);
      await sleep(100);
    }
  }

  /** /readyz answers 200 once every role is up (the worker has joined its consumer group). */
  async ready(timeoutMs: number): Promise<void> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const res = await fetch(`http://127.0.0.1:${this.httpPort}/readyz`).catch(() => null);
      if (res?.status === 200) return;
      const body = res ? await res.text().catch(() => '') : 'no answer';
      if (!this.alive) throw new Error(`haetae exited before it was ready:\n${this.tail.join('\n')}`);
      if (Date.now() > until) throw new Error(`haetae not ready within ${timeoutMs} ms (${body.slice(0, 400)}):\n${this.tail.join('\n')}`);
      await sleep(250);
    }
  }

  async metrics(): Promise<string> {
    return (await fetch(`http://127.0.0.1:${this.httpPort}/metrics`)).text().catch(() => '');
  }

  async stop(): Promise<void> {
    if (!this.alive) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 30_000);
    await this.exited;
    clearTimeout(timer);
  }
}

function sleep(msDelay: number): Promise<void> {
  return new Promise((r) => setTimeout(r, msDelay));
}

interface Sent { sentPerf: number; sentEpoch: number; measured: boolean }
interface Arrival { perf: number; epoch: number; createdEpoch: number; attempt: number }

/** The webhook endpoint: records the arrival of each token (first delivery; repeats counted). */
async function startReceiver(): Promise<{ url: string; arrivals: Map<string, Arrival>; stats: { requests: number; duplicates: number; badSignatures: number; unknown: number }; close(): Promise<void> }> {
  const arrivals = new Map<string, Arrival>();
  const stats = { requests: 0, duplicates: 0, badSignatures: 0, unknown: 0 };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const perf = performance.now();
      const epoch = Date.now();
      stats.requests++;
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
      const body = Buffer.concat(chunks).toString('utf8');
      if (!verifySignature(SECRET, String(req.headers[TIMESTAMP_HEADER]), body, String(req.headers[SIGNATURE_HEADER]))) stats.badSignatures++;
      let json: { attempt?: number; alert?: { message?: string; alert?: { created?: string } } };
      try { json = JSON.parse(body) as typeof json; } catch { stats.unknown++; return; }
      const token = /tok=([a-z0-9]+)/.exec(json.alert?.message ?? '')?.[1];
      if (!token) { stats.unknown++; return; }
      if (arrivals.has(token)) { stats.duplicates++; return; }
      arrivals.set(token, { perf, epoch, createdEpoch: Date.parse(json.alert?.alert?.created ?? ''), attempt: json.attempt ?? 1 });
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    arrivals,
    stats,
    close: () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}

/** One syslog transport to the haetae receiver. */
interface Transport { send(line: string): void; close(): Promise<void> }

async function openTransport(port: number): Promise<Transport> {
  if (TRANSPORT === 'udp') {
    const sock = dgram.createSocket('udp4');
    return {
      send: (line) => sock.send(line, port, '127.0.0.1'),
      close: () => new Promise((r) => sock.close(() => r())),
    };
  }
  const s = net.connect(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => { s.once('connect', resolve); s.once('error', reject); });
  s.setNoDelay(true);
  return {
    send: (line) => { const msg = Buffer.from(line); s.write(`${msg.length} `); s.write(msg); },
    close: () => new Promise((r) => s.end(() => r())),
  };
}

// ---------------------------------------------------------------------------------------------

async function cleanup(n: Names): Promise<string[]> {
  const notes: string[] = [];
  const es = new Client({ node: ES_URL, requestTimeout: 30_000 });
  const missingOk = { ignore_unavailable: true } as const;
  await es.indices.delete({ index: [n.alertsIndex, n.alertEventsIndex], ...missingOk }).catch((e: unknown) => notes.push(`alerts indices: ${(e as Error).message}`));
  await es.deleteByQuery({ index: EVENTS_PATTERN, query: { term: { 'haetae.raw.topic': n.rawTopic } }, conflicts: 'proceed', refresh: true, ignore_unavailable: true })
    .catch((e: unknown) => notes.push(/no handler found/.test(String((e as Error).message))
      ? `this Elasticsearch has no delete_by_query (integ-test distribution), so the run's events stay in ${EVENTS_PATTERN}`
      : `events: ${(e as Error).message}`));
  await es.close();
  notes.push(...await dropKafkaAndQueue(BROKERS, 'haetae-bench-latency', n, loadConfig({ file: n.file, env: {} }).config));
  fs.rmSync(n.dir, { recursive: true, force: true });
  return notes;
}

function metricSum(text: string, re: RegExp): number {
  return [...text.matchAll(re)].reduce((a, m) => a + Number(m[1]), 0);
}

async function main(): Promise<void> {
  if (!fs.existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build first (npm run bench:latency does)`);
  const cpus = os.cpus().length;

  // The box before the run: load average and what is keeping it busy.
  const loadBefore = os.loadavg();
  const procs0 = allProcesses();
  const box0 = boxCpu();
  await sleep(1000);
  const boxIdleCheck = boxCpu();
  const busyBefore = ((boxIdleCheck.busy - box0.busy) / Math.max(1, boxIdleCheck.total - box0.total)) * 100;
  const topBefore = busiest(procs0, allProcesses(), 1000, 4);
  process.stdout.write(`Load average before the run: ${loadBefore.map((l) => l.toFixed(2)).join(' ')} (${cpus} CPUs); box CPU busy over the last second: ${busyBefore.toFixed(0)}%\n`);
  // The load average lags (a run that just ended still shows): the 1 s CPU sample says what is busy now.
  const notIdle = loadBefore[0]! > 0.5 * cpus || busyBefore > 15;
  if (notIdle) {
    process.stdout.write(`WARNING: the machine is not idle (load ${loadBefore[0]!.toFixed(2)} on ${cpus} CPUs, ${busyBefore.toFixed(0)}% busy); the figures below will be pessimistic. Busiest processes:\n`);
    for (const p of topBefore) process.stdout.write(`  ${p.pct.toFixed(0).padStart(4)}%  pid ${p.pid}  ${p.name}\n`);
  }

  const receiver = await startReceiver();
  const names = writeSetup(receiver.url);
  process.stdout.write(`Config ${names.file} (id ${names.id}); ${RATE.toLocaleString('en-US')} lines/s over ${TRANSPORT}, 1 in ${ALERT_EVERY} alerting, warm-up ${WARMUP_S} s, measured ${DURATION_S} s${Object.keys(OVERRIDES).length ? `, overrides ${JSON.stringify(OVERRIDES)}` : ''}\n`);
  const haetae = new Haetae(names.file);
  let transport: Transport | null = null;
  let failed = false;
  try {
    const tStart = Date.now();
    await haetae.started(60_000);
    await haetae.ready(120_000);
    process.stdout.write(`haetae (pid ${haetae.child.pid}) ready in ${((Date.now() - tStart) / 1000).toFixed(1)} s: syslog ${TRANSPORT}://127.0.0.1:${haetae.syslogPort}, metrics :${haetae.httpPort}\n`);
    transport = await openTransport(haetae.syslogPort);

    const sent = new Map<string, Sent>();
    let seq = 0;
    let lines = 0;
    let measuredLines = 0;
    let measured = false;
    const line = (alerting: boolean): string => {
      const i = seq++;
      const head = `<38>${bsdTimestamp(new Date())} web${i % 50} sshd[${1000 + (i % 999)}]: `;
      if (!alerting) return `${head}Accepted publickey for user${i % 300} from 198.51.100.${i % 250} port ${1024 + (i % 60000)} ssh2: RSA SHA256:bench${i}`;
      const token = `${names.id}x${i.toString(36)}`;
      const sentEpoch = Date.now();
      sent.set(token, { sentPerf: performance.now(), sentEpoch, measured });
      // Token and send time early in the message: the alert's message keeps its first 200 characters.
      return `${head}Failed password for invalid user bench from 203.0.113.${i % 250} port ${1024 + (i % 60000)} ssh2 [lat tok=${token} t=${sentEpoch}]`;
    };

    // Warm-up 1: one alerting line every 250 ms until the first webhook arrives (worker, notifier
    // and the webhook connection all live).
    const firstUntil = Date.now() + 120_000;
    const tFirst = performance.now();
    while (receiver.arrivals.size === 0) {
      if (Date.now() > firstUntil) throw new Error(`no webhook within 120 s of readiness:\n${haetae.tail.join('\n')}`);
      if (!haetae.alive) throw new Error(`haetae exited during warm-up:\n${haetae.tail.join('\n')}`);
      transport.send(line(true));
      await sleep(250);
    }
    process.stdout.write(`First webhook ${Math.round(performance.now() - tFirst)} ms after the first warm-up line; ${WARMUP_S} s of warm-up at the full rate, then ${DURATION_S} s measured.\n`);

    // Warm-up 2 and the measured run: one steady stream; lines sent during the warm-up are not counted.
    const warmupMs = WARMUP_S * 1000;
    const runMs = DURATION_S * 1000;
    const metricsBefore = { text: '' };
    let cpu0 = 0;
    let box1 = boxCpu();
    let procs1 = allProcesses();
    let tMeasure = 0;
    const t0 = performance.now();
    let sentSoFar = 0;
    let nextProgress = PROGRESS_MS;
    let lastProgress = { at: 0, cpu: 0, delivered: 0 };
    for (;;) {
      const elapsed = performance.now() - t0;
      if (!measured && elapsed >= warmupMs) {
        measured = true;
        tMeasure = performance.now();
        cpu0 = processCpuMs(haetae.child.pid!) ?? 0;
        box1 = boxCpu();
        procs1 = allProcesses();
        metricsBefore.text = await haetae.metrics();
        lastProgress = { at: tMeasure, cpu: cpu0, delivered: 0 };
      }
      if (elapsed >= warmupMs + runMs) break;
      if (!haetae.alive) throw new Error(`haetae exited during the run:\n${haetae.tail.join('\n')}`);
      // Catch up to where the rate says we should be (self-correcting pacing in ~10 ms slices).
      const due = Math.floor((elapsed / 1000) * RATE);
      for (; sentSoFar < due; sentSoFar++) {
        transport.send(line(sentSoFar % ALERT_EVERY === 0));
        lines++;
        if (measured) measuredLines++;
      }
      if (measured && performance.now() - tMeasure >= nextProgress) {
        nextProgress += PROGRESS_MS;
        const now = performance.now();
        const cpu = processCpuMs(haetae.child.pid!) ?? 0;
        const lat: number[] = [];
        let expected = 0;
        let delivered = 0;
        for (const [token, s] of sent) {
          if (!s.measured) continue;
          expected++;
          const a = receiver.arrivals.get(token);
          if (a) { delivered++; lat.push(a.perf - s.sentPerf); }
        }
        const sm = summary(lat);
        process.stdout.write(`[${Math.round((now - tMeasure) / 1000)} s] sent ${measuredLines.toLocaleString('en-US')} lines, alerts ${delivered.toLocaleString('en-US')}/${expected.toLocaleString('en-US')} delivered (${expected - delivered} in flight), latency so far p50 ${ms(sm.p50)} p99 ${ms(sm.p99)} max ${ms(sm.max)} ms, haetae CPU ${(((cpu - lastProgress.cpu) / (now - lastProgress.at)) * 100).toFixed(0)}% of a core, load ${os.loadavg()[0]!.toFixed(2)}\n`);
        lastProgress = { at: now, cpu, delivered };
      }
      await sleep(10);
    }
    const tSendEnd = performance.now();
    const sendSeconds = (tSendEnd - tMeasure) / 1000;

    // Drain: wait for the measured alerts still in flight.
    const measuredTokens = [...sent].filter(([, s]) => s.measured).map(([t]) => t);
    const drainUntil = performance.now() + DRAIN_S * 1000;
    let missing = measuredTokens.filter((t) => !receiver.arrivals.has(t)).length;
    while (missing > 0 && performance.now() < drainUntil && haetae.alive) {
      await sleep(100);
      missing = measuredTokens.filter((t) => !receiver.arrivals.has(t)).length;
    }
    const tEnd = performance.now();
    const cpu1 = processCpuMs(haetae.child.pid!) ?? cpu0;
    const box2 = boxCpu();
    const procs2 = allProcesses();
    const metricsAfter = await haetae.metrics();
    const loadAfter = os.loadavg();
    await sleep(1000); // duplicates arriving late are counted too

    // Figures
    const e2e: number[] = [];
    const toWorker: number[] = [];
    const fromWorker: number[] = [];
    let retried = 0;
    for (const token of measuredTokens) {
      const s = sent.get(token)!;
      const a = receiver.arrivals.get(token);
      if (!a) continue;
      e2e.push(a.perf - s.sentPerf);
      if (Number.isFinite(a.createdEpoch)) {
        toWorker.push(a.createdEpoch - s.sentEpoch);
        fromWorker.push(a.epoch - a.createdEpoch);
      }
      if (a.attempt > 1) retried++;
    }
    const delivered = e2e.length;
    const expected = measuredTokens.length;
    const all = summary(e2e);
    const seg1 = summary(toWorker);
    const seg2 = summary(fromWorker);
    const wallMs = tEnd - tMeasure;
    const haetaeCpuPct = ((cpu1 - cpu0) / wallMs) * 100;
    const boxBusyPct = ((box2.busy - box1.busy) / Math.max(1, box2.total - box1.total)) * 100;
    const dropRe = /haetae_dropped_total\{stage="receive",reason="overload"\} (\d+)/g;
    const kernelRe = /^haetae_udp_kernel_drops\{[^}]*\} (\d+)/gm;
    const overloadDrops = metricSum(metricsAfter, dropRe) - metricSum(metricsBefore.text, dropRe);
    const kernelDrops = metricSum(metricsAfter, kernelRe) - metricSum(metricsBefore.text, kernelRe);

    const title = `End-to-end alert latency: syslog ${TRANSPORT} → haetae run all (receiver → Kafka → worker → Elasticsearch + BullMQ → notifier) → webhook, ${cpus} CPUs, loopback`;
    printTable(title, ['measured', 'value'], [
      ['lines sent (measured window)', measuredLines],
      ['send rate achieved, lines/s', Math.round(measuredLines / sendSeconds)],
      ['lines sent incl. warm-up', lines],
      ['alerts expected', expected],
      ['alerts delivered', delivered],
      ['alerts lost (not delivered within drain)', expected - delivered],
      ['duplicate deliveries', receiver.stats.duplicates],
      ['deliveries after a retry (attempt > 1)', retried],
      ['bad signatures', receiver.stats.badSignatures],
      ...(TRANSPORT === 'udp' ? [['UDP drops (haetae overload + kernel), measured window', overloadDrops + kernelDrops] as (string | number)[]] : []),
    ]);
    printTable(`Latency in ms (${delivered.toLocaleString('en-US')} alerts; target p99 < 1,000 ms)`, ['segment', 'p50', 'p90', 'p99', 'max'], [
      ['line sent → webhook received (end to end)', ms(all.p50), ms(all.p90), ms(all.p99), ms(all.max)],
      ['line sent → worker batch start (alert.created)', ms(seg1.p50), ms(seg1.p90), ms(seg1.p99), ms(seg1.max)],
      ['worker batch start → webhook received', ms(seg2.p50), ms(seg2.p90), ms(seg2.p99), ms(seg2.max)],
    ]);
    const topRun = busiest(procs1, procs2, wallMs, 6);
    printTable(`CPU over the measured window (${(wallMs / 1000).toFixed(1)} s incl. drain), % of one core`, ['process', 'CPU %'], [
      [`haetae run all (pid ${haetae.child.pid})`, Number(haetaeCpuPct.toFixed(1))],
      [`whole box (% of all ${cpus} CPUs busy)`, Number(boxBusyPct.toFixed(1))],
      ...topRun.map((p) => [`  pid ${p.pid} ${p.name}`, Number(p.pct.toFixed(1))] as (string | number)[]),
    ]);
    process.stdout.write(`\nLoad average before ${loadBefore.map((l) => l.toFixed(2)).join(' ')}, after ${loadAfter.map((l) => l.toFixed(2)).join(' ')} (${cpus} CPUs)${notIdle ? ' — the box was NOT idle before the run: figures are pessimistic' : ''}.\n`);
    const verdict = delivered < expected
      ? `FAIL: ${expected - delivered} of ${expected} alerts were not delivered within ${DRAIN_S} s of the end of sending.`
      : all.p99 < 1000 ? `p99 ${ms(all.p99)} ms: under the 1 s target.` : `p99 ${ms(all.p99)} ms: OVER the 1 s target.`;
    process.stdout.write(`${verdict}\n`);
    if (delivered < expected) failed = true;
  } catch (err) {
    failed = true;
    process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  } finally {
    await transport?.close().catch(() => undefined);
    await haetae.stop();
    await receiver.close();
    const notes = await cleanup(names);
    process.stdout.write(`Cleaned up (process stopped; topics, groups, alert indices, events and queue of ${names.id} deleted)${notes.length ? `; not everything: ${notes.join('; ')}` : ''}.\n`);
  }
  process.exit(failed ? 1 : 0);
}

main().catch((err: unknown) => { console.error(err); process.exit(1); });
