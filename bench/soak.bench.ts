/**
 * Bounded soak (issue 14, "Soak"): haetae's roles as separate processes — one `haetae run
 * receiver`, `--workers` × `haetae run worker` (one consumer group; each also runs a correlator),
 * one `haetae run notifier` — from one generated config on bench-only topics, groups, alert
 * indices, queue and `logs-haetae.*-soakbench` streams (removed afterwards), fed at a fixed rate
 * for a fixed time by a paced sender process (bench/soak-sender.ts: the bench:ingest mix, 5% of
 * lines matching shipped rules, over TCP from `--sources` loopback addresses spread evenly over the
 * raw topic's partitions, or UDP). The notifier delivers the alerts to a webhook endpoint in this
 * process, which counts them.
 *
 * Every `--sample-seconds` it samples, per role process: RSS (VmRSS of /proc/<pid>/status), V8
 * heap in use (haetae_process_nodejs_heap_size_used_bytes from the role's own /metrics, prom-client
 * default metrics) and CPU (utime + stime of /proc/<pid>/stat over the interval, % of one core);
 * and for the pipeline: the worker group's lag on the raw topic and the correlator group's on the
 * correlate topic (Kafka admin: high watermarks minus committed offsets, summed over partitions),
 * lines sent and events searchable so far (a prefix count on log.syslog.hostname, which every line
 * of the run starts with its token). It prints a progress line per sample, then a table over time,
 * then: sent vs searchable (loss), lag at the end, and per role the least-squares slope of RSS and
 * of heap after `--warmup-minutes`, in MiB per 10 minutes, with its standard error and a verdict.
 *
 * Verdict: "growing" when the slope is above both 2 standard errors (what the samples' own scatter
 * — GC sawtooth of the heap, page-cache effects on RSS — could give by chance about 1 time in 40)
 * and `--min-slope` MiB/10 min (default 2: 12 MiB an hour, below what a 25-minute window resolves
 * against a heap that swings by tens of MiB between collections; a longer soak shrinks the
 * standard error and so resolves slower leaks), else "no growth trend".
 *
 * After the sender stops it keeps sampling while the pipeline drains (until everything sent is
 * searchable, or the count has not moved for 30 s, at most `--drain` seconds); drain samples are
 * in the table but not in the slopes. Exits 1 when anything sent was not searchable at the end
 * (or a role died), 0 otherwise.
 *
 * `npm run bench:soak [-- --minutes 30 --rate 2500]`; `--help` lists the flags. Loopback only.
 */
import { fork, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { Client } from '@elastic/elasticsearch';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { loadConfig, type LoadedConfig } from '../pipeline/config/load';
import { eventStreams } from '../connectors/elasticsearch/streams';
import { dropKafkaAndQueue, runNames, type RunNames } from './run-cleanup';
import { printTable } from './report';
import { hostPrefix } from './ingest-mix';
import {
  balancedSources, consumerLag, cpuSeconds, dropStreams, groupAssignment, heapUsedMiB, metricValue, rssMiB, scrape, startRoles, stopRoles, type RoleProcess,
} from './ingest-roles';
import type { SenderMessage } from './soak-sender';

const HELP = `Usage: npm run bench:soak [-- options]

Bounded soak: receiver, worker(s) and notifier as separate haetae processes, fed the bench:ingest
mix at a fixed rate; RSS, V8 heap and CPU per role, consumer lag and events searchable sampled over
time; at the end loss, lag and a growth verdict per role (loopback only, bench-only names).

Options:
  --rate <n>             lines per second (default 2500: about 50% of the ~5k events/s that
                         bench:ingest measured end to end on the 2-core development machine;
                         set it to half of what bench:ingest gives on yours)
  --minutes <m>          minutes of traffic (default 30)
  --sample-seconds <s>   sampling interval (default 30)
  --warmup-minutes <m>   samples before this are left out of the growth slopes (default 5)
  --min-slope <MiB>      smallest slope, MiB per 10 minutes, called "growing" (default 2)
  --transport <t>        tcp (octet-counted) or udp (default tcp)
  --sources <k>          sender addresses (127.0.1.x, chosen to spread over the raw topic's
                         partitions), one connection or socket each (default 6)
  --workers <n>          worker processes in the group (default 1)
  --partitions <p>       raw and correlate topic partitions (default 3, the shipped default)
  --drain <s>            longest wait after sending for the rest to become searchable (default 300)
  -h, --help             this text

Environment: HAETAE_KAFKA_BROKERS, HAETAE_ELASTICSEARCH_URL, HAETAE_REDIS_URL (local defaults);
BENCH_LOG_LEVEL=info passes haetae's own log through to stderr.
Exit status: 1 if any line sent was not searchable at the end or a role died, else 0.`;

const { values: flags } = parseArgs({
  options: {
    rate: { type: 'string', default: '2500' },
    minutes: { type: 'string', default: '30' },
    'sample-seconds': { type: 'string', default: '30' },
    'warmup-minutes': { type: 'string', default: '5' },
    'min-slope': { type: 'string', default: '2' },
    transport: { type: 'string', default: 'tcp' },
    sources: { type: 'string', default: '6' },
    workers: { type: 'string', default: '1' },
    partitions: { type: 'string', default: '3' },
    drain: { type: 'string', default: '300' },
    help: { type: 'boolean', short: 'h', default: false },
  },
  strict: true,
});
if (flags.help) {
  process.stdout.write(`${HELP}\n`);
  process.exit(0);
}

function num(name: keyof typeof flags, min: number, max: number, integer = false): number {
  const raw = String(flags[name]);
  const n = Number(raw);
  if (!Number.isFinite(n) || n < min || n > max || (integer && !Number.isInteger(n))) {
    process.stderr.write(`--${name} must be ${integer ? 'an integer' : 'a number'} from ${min} to ${max} (got '${raw}')\n`);
    process.exit(2);
  }
  return n;
}
const RATE = num('rate', 1, 200_000);
const MINUTES = num('minutes', 0.1, 24 * 60);
const SAMPLE_S = num('sample-seconds', 1, 600);
const WARMUP_MIN = num('warmup-minutes', 0, 24 * 60);
const MIN_SLOPE = num('min-slope', 0, 10_000);
const SOURCES = num('sources', 1, 250, true);
const WORKERS = num('workers', 1, 16, true);
const PARTITIONS = num('partitions', 1, 64, true);
const DRAIN_S = num('drain', 0, 3600);
const TRANSPORT = flags.transport as 'tcp' | 'udp';
if (TRANSPORT !== 'tcp' && TRANSPORT !== 'udp') {
  process.stderr.write(`--transport must be tcp or udp (got '${TRANSPORT}')\n`);
  process.exit(2);
}
if (PARTITIONS < WORKERS) {
  process.stderr.write(`--partitions ${PARTITIONS} is fewer than --workers ${WORKERS}: a worker without a partition would idle\n`);
  process.exit(2);
}
if (WARMUP_MIN >= MINUTES) process.stderr.write(`warning: --warmup-minutes ${WARMUP_MIN} is not below --minutes ${MINUTES}: no sample will count for the growth slopes\n`);

const ES_URL = process.env.HAETAE_ELASTICSEARCH_URL ?? 'http://127.0.0.1:9200';
const BROKERS = (process.env.HAETAE_KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
const REDIS = process.env.HAETAE_REDIS_URL ?? 'redis://127.0.0.1:6379';
const ROOT = path.join(__dirname, '..', '..');
const CLI = path.join(ROOT, 'dist', 'cli', 'haetae.js');
const SENDER = path.join(__dirname, 'soak-sender.js');
/** The soak's events: one stream per family under this namespace, emptied before and after. */
const EVENTS_STREAM = 'logs-haetae.syslog-soakbench';

interface Names extends RunNames {
  id: string;
  dir: string;
  file: string;
  alertsIndex: string;
  alertEventsIndex: string;
  queue: string;
}

function writeConfig(webhookUrl: string): Names {
  const id = randomUUID().replace(/-/g, '').slice(0, 10);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'haetae-soak-'));
  const n: Names = {
    id, dir, file: path.join(dir, 'haetae.yaml'), ...runNames(id),
    alertsIndex: `haetae-alerts-soak-${id}`, alertEventsIndex: `haetae-alert-events-soak-${id}`, queue: `haetae-soak-${id}`,
  };
  fs.writeFileSync(n.file, JSON.stringify({
    kafka: {
      brokers: BROKERS, rawTopic: n.rawTopic, dlqTopic: n.dlqTopic, consumerGroup: n.consumerGroup, correlateTopic: n.correlateTopic, correlatorGroup: n.correlatorGroup,
      rawPartitions: PARTITIONS, correlatePartitions: PARTITIONS,
    },
    elasticsearch: { url: ES_URL, eventsDataStream: EVENTS_STREAM, alertsIndex: n.alertsIndex, alertEventsIndex: n.alertEventsIndex },
    redis: { url: REDIS },
    receiver: { listeners: [{ transport: 'udp', host: '127.0.0.1', port: 0 }, { transport: 'tcp', host: '127.0.0.1', port: 0 }] },
    worker: { rulesPath: [path.join(ROOT, 'rules')], decodersPath: [path.join(ROOT, 'decoders')], mappingsPath: path.join(ROOT, 'rules', 'mappings') },
    notifier: { queue: n.queue, webhook: { url: webhookUrl, secret: 'soak-bench-secret' } },
    http: { host: '127.0.0.1', port: 0 },
    api: { host: '127.0.0.1', port: 0 },
    log: { level: process.env.BENCH_LOG_LEVEL ?? 'warn' },
  }, null, 2));
  return n;
}

/** The webhook the notifier delivers to: answers 204 and counts deliveries (bodies are read and dropped). */
function startWebhook(): Promise<{ url: string; delivered: () => number; close: () => Promise<void> }> {
  let delivered = 0;
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      delivered++;
      res.writeHead(204).end();
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => {
    const port = (server.address() as { port: number }).port;
    resolve({ url: `http://127.0.0.1:${port}/hook`, delivered: () => delivered, close: () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); }) });
  }));
}

async function countIndexed(es: Client, token: string): Promise<number | null> {
  const where = { index: eventStreams(EVENTS_STREAM).searchTarget, ignore_unavailable: true, allow_no_indices: true } as const;
  try {
    await es.indices.refresh(where);
    return (await es.count({ ...where, query: { prefix: { 'log.syslog.hostname': hostPrefix(token) } } })).count;
  } catch {
    return null;
  }
}

interface RoleSample {
  rss: number | null;
  heap: number | null;
  /** % of one core over the interval since the previous sample. */
  cpu: number | null;
}
interface Sample {
  /** Minutes since the sender started. */
  t: number;
  phase: 'load' | 'drain';
  sent: number;
  due: number;
  searchable: number | null;
  lag: number | null;
  correlateLag: number | null;
  webhooks: number;
  roles: Map<string, RoleSample>;
}

/** Least-squares slope of y over x with its standard error; null with fewer than 3 points. */
function slope(points: ReadonlyArray<readonly [number, number]>): { slope: number; se: number } | null {
  const n = points.length;
  if (n < 3) return null;
  const mx = points.reduce((a, [x]) => a + x, 0) / n;
  const my = points.reduce((a, [, y]) => a + y, 0) / n;
  const sxx = points.reduce((a, [x]) => a + (x - mx) ** 2, 0);
  if (sxx === 0) return null;
  const b = points.reduce((a, [x, y]) => a + (x - mx) * (y - my), 0) / sxx;
  const residual = points.reduce((a, [x, y]) => a + (y - my - b * (x - mx)) ** 2, 0);
  return { slope: b, se: Math.sqrt(residual / (n - 2) / sxx) };
}

function verdict(fit: { slope: number; se: number } | null): string {
  if (!fit) return 'too few samples after warm-up';
  const per10 = fit.slope * 10;
  const se10 = fit.se * 10;
  const bar = Math.max(MIN_SLOPE, 2 * se10);
  return per10 > bar ? 'growing' : 'no growth trend';
}

const fmt = (v: number | null, digits = 0): string => (v === null ? '-' : v.toFixed(digits));
const count = (v: number | null): string => (v === null ? '-' : v.toLocaleString('en-US'));

async function main(): Promise<void> {
  if (!fs.existsSync(CLI) || !fs.existsSync(SENDER)) throw new Error(`${CLI} or ${SENDER} is missing: run npm run build first (npm run bench:soak does)`);
  const webhook = await startWebhook();
  const n = writeConfig(webhook.url);
  const loaded: LoadedConfig = loadConfig({ file: n.file });
  const es = new Client({ node: ES_URL, requestTimeout: 60_000 });
  const kafka = new Kafka({ clientId: 'haetae-bench-soak', brokers: BROKERS, logLevel: logLevel.NOTHING });
  const admin: Admin = kafka.admin();
  const notes: string[] = [];
  const samples: Sample[] = [];
  let procs: RoleProcess[] = [];
  let sender: ChildProcess | null = null;
  let died: string | null = null;
  let stopping = false;
  let final = { sent: 0, searchable: 0 as number | null, lag: null as number | null };
  const cores = os.cpus().length;
  try {
    notes.push(...await dropStreams(es, eventStreams(EVENTS_STREAM).searchTarget));
    await admin.connect();
    process.stderr.write(`starting 1 receiver, ${WORKERS} worker${WORKERS === 1 ? '' : 's'}, 1 notifier (raw topic: ${PARTITIONS} partitions)…\n`);
    procs = await startRoles(CLI, n.file, WORKERS, admin, n);
    const assignment = (await groupAssignment(admin, n.consumerGroup, n.rawTopic)).members;
    const receiver = procs.find((p) => p.role === 'receiver')!;
    for (const p of procs) p.child.once('exit', (c, s) => { if (!stopping) died ??= `${p.label} exited (${c ?? s}) during the soak`; });
    const sources = balancedSources(SOURCES, PARTITIONS);
    const token = `soak${n.id}`;
    process.stdout.write(`soak: ${RATE.toLocaleString('en-US')} lines/s over ${TRANSPORT.toUpperCase()} from ${SOURCES} sources for ${MINUTES} min, sampled every ${SAMPLE_S} s; ` +
      `${WORKERS} worker${WORKERS === 1 ? '' : 's'} holding ${assignment.map((a) => a.length).join('/')} of ${PARTITIONS} partitions; ${cores} cores; warm-up ${WARMUP_MIN} min\n`);

    // The sender.
    let progress: SenderMessage = { type: 'progress', sent: 0, due: 0, ms: 0 };
    let senderDone: SenderMessage | null = null;
    const child = fork(SENDER, [JSON.stringify({ transport: TRANSPORT, port: receiver.ports[TRANSPORT]!, rate: RATE, seconds: MINUTES * 60, token, sources })], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    sender = child;
    const senderExit = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.on('message', (m: SenderMessage) => {
      if (m.type === 'error') died ??= `the sender failed: ${m.error}`;
      if (m.type === 'done') senderDone = m;
      progress = m;
    });

    // Sampling.
    const t0 = Date.now();
    let lastCpu = new Map(procs.map((p) => [p.label, cpuSeconds(p.pid) ?? 0]));
    let lastAt = t0;
    const take = async (phase: Sample['phase']): Promise<Sample> => {
      const now = Date.now();
      const roles = new Map<string, RoleSample>();
      const cpuNow = new Map<string, number>();
      for (const p of procs) {
        const metrics = await scrape(p).catch(() => '');
        const c = cpuSeconds(p.pid);
        if (c !== null) cpuNow.set(p.label, c);
        roles.set(p.label, {
          rss: rssMiB(p.pid),
          heap: heapUsedMiB(metrics),
          // The first sample has no interval behind it (start-up CPU would show as a spike).
          cpu: c === null || now - lastAt < 1000 ? null : ((c - (lastCpu.get(p.label) ?? c)) / ((now - lastAt) / 1000)) * 100,
        });
      }
      lastCpu = cpuNow;
      lastAt = now;
      const [lag, correlateLag, searchable] = await Promise.all([
        consumerLag(admin, n.consumerGroup, n.rawTopic).catch(() => null),
        consumerLag(admin, n.correlatorGroup, n.correlateTopic).catch(() => null),
        countIndexed(es, token),
      ]);
      const s: Sample = { t: (now - t0) / 60_000, phase, sent: progress.sent, due: progress.due, searchable, lag, correlateLag, webhooks: webhook.delivered(), roles };
      samples.push(s);
      const perRole = [...roles].map(([label, r]) => `${label} ${fmt(r.rss)}/${fmt(r.heap)} MiB ${r.cpu === null ? '-' : `${fmt(r.cpu)}%`}`).join(' | ');
      process.stderr.write(`[${s.t.toFixed(1)} min ${phase}] sent ${count(s.sent)}${s.due > s.sent ? ` (${count(s.due - s.sent)} behind)` : ''}, searchable ${count(searchable)}, lag ${count(lag)}, correlate lag ${count(correlateLag)}, webhooks ${count(s.webhooks)} | ${perRole}\n`);
      return s;
    };
    const sleepUntil = async (at: number, stop: () => boolean): Promise<void> => {
      while (Date.now() < at && !stop()) await new Promise((r) => setTimeout(r, Math.min(250, at - Date.now())));
    };
    await take('load');
    let next = t0 + SAMPLE_S * 1000;
    while (!senderDone && !died) {
      await sleepUntil(next, () => senderDone !== null || died !== null);
      if (senderDone || died) break;
      await take('load');
      next += SAMPLE_S * 1000;
    }
    await senderExit;
    const sent = (senderDone as SenderMessage | null)?.sent ?? progress.sent;
    process.stderr.write(`sender done: ${count(sent)} lines in ${(((senderDone as SenderMessage | null)?.ms ?? 0) / 1000).toFixed(0)} s; draining (at most ${DRAIN_S} s)…\n`);
    // Drain: keep sampling until everything sent is searchable, or the count stood still for 30 s.
    progress = { ...progress, sent, due: sent };
    const drainUntil = Date.now() + DRAIN_S * 1000;
    let last = await take('drain');
    let movedAt = Date.now();
    while (!died && (last.searchable ?? 0) < sent && Date.now() < drainUntil && Date.now() - movedAt < 30_000) {
      await sleepUntil(Math.min(drainUntil, Date.now() + Math.min(SAMPLE_S, 5) * 1000), () => died !== null);
      const s = await take('drain');
      if (s.searchable !== last.searchable) movedAt = Date.now();
      last = s;
    }
    final = { sent, searchable: last.searchable, lag: last.lag };
    // UDP: what the receiver itself counted as lost (kernel buffer, overload).
    if (TRANSPORT === 'udp') {
      const metrics = await scrape(receiver).catch(() => '');
      const kernel = [...metrics.matchAll(/^haetae_udp_kernel_drops\{[^}]*\} (\d+)/gm)].reduce((a, m) => a + Number(m[1]), 0);
      notes.push(`receiver: ${kernel} UDP kernel drops, ${metricValue(metrics, 'haetae_dropped_total\\{stage="receive",reason="overload"\\}') ?? 0} overload drops`);
    }
  } finally {
    stopping = true;
    if (sender && sender.exitCode === null && sender.connected) sender.send('stop');
    await stopRoles(procs);
    await webhook.close();
    const cleanupNotes: string[] = [];
    await es.indices.delete({ index: [n.alertsIndex, n.alertEventsIndex], ignore_unavailable: true }).catch((e: unknown) => cleanupNotes.push(`alert indices: ${(e as Error).message}`));
    cleanupNotes.push(...await dropStreams(es, eventStreams(EVENTS_STREAM).searchTarget));
    await es.close();
    await admin.disconnect().catch(() => undefined);
    cleanupNotes.push(...await dropKafkaAndQueue(BROKERS, 'haetae-bench-soak', n, loaded.config));
    fs.rmSync(n.dir, { recursive: true, force: true });
    for (const note of cleanupNotes) process.stderr.write(`cleanup: ${note}\n`);
  }
  report(samples, final, notes, procs);
  if (died) process.stderr.write(`FAILED: ${died}\n`);
  const lost = final.sent - (final.searchable ?? 0);
  if (lost > 0) process.stderr.write(`FAILED: ${lost.toLocaleString('en-US')} of ${final.sent.toLocaleString('en-US')} lines sent were not searchable at the end\n`);
  process.exitCode = died || lost > 0 ? 1 : 0;
}

function report(samples: readonly Sample[], final: { sent: number; searchable: number | null; lag: number | null }, notes: readonly string[], procs: readonly RoleProcess[]): void {
  if (samples.length === 0) return;
  const labels = procs.map((p) => p.label);
  // At most ~30 rows: every k-th sample, always the last of the load and of the drain.
  const k = Math.max(1, Math.ceil(samples.length / 30));
  const shown = samples.filter((s, i) => i % k === 0 || i === samples.length - 1 || (s.phase === 'load' && samples[i + 1]?.phase === 'drain'));
  printTable(`Soak over time: ${RATE.toLocaleString('en-US')} lines/s ${TRANSPORT.toUpperCase()}, per role RSS / V8 heap used (MiB) / CPU (% of one core over the interval); lag in records`,
    ['min', 'phase', 'sent', 'searchable', 'lag', 'corr. lag', 'webhooks', ...labels.map((l) => `${l} RSS/heap/CPU`)],
    shown.map((s) => [s.t.toFixed(1), s.phase, count(s.sent), count(s.searchable), count(s.lag), count(s.correlateLag), count(s.webhooks),
      ...labels.map((l) => { const r = s.roles.get(l); return r ? `${fmt(r.rss)}/${fmt(r.heap)}/${r.cpu === null ? '-' : `${fmt(r.cpu)}%`}` : '-'; })]));

  const steady = samples.filter((s) => s.phase === 'load' && s.t >= WARMUP_MIN);
  const rows = labels.map((l) => {
    const series = (pick: (r: RoleSample) => number | null): Array<[number, number]> =>
      steady.flatMap((s) => { const v = s.roles.get(l) ? pick(s.roles.get(l)!) : null; return v === null ? [] : [[s.t, v] as [number, number]]; });
    const rss = slope(series((r) => r.rss));
    const heap = slope(series((r) => r.heap));
    const cpu = series((r) => r.cpu);
    const per10 = (f: { slope: number; se: number } | null): string => (f ? `${(f.slope * 10).toFixed(2)} ± ${(f.se * 10).toFixed(2)}` : '-');
    const rssVals = series((r) => r.rss).map(([, v]) => v);
    return [l, steady.length, rssVals.length ? `${Math.round(Math.min(...rssVals))}–${Math.round(Math.max(...rssVals))}` : '-', per10(rss), verdict(rss), per10(heap), verdict(heap),
      cpu.length ? `${(cpu.reduce((a, [, v]) => a + v, 0) / cpu.length).toFixed(0)}%` : '-'];
  });
  printTable(`Growth after ${WARMUP_MIN} min of warm-up (least-squares slope ± standard error, MiB per 10 min; "growing" = above both ${MIN_SLOPE} MiB/10 min and 2 standard errors)`,
    ['role', 'samples', 'RSS MiB range', 'RSS slope', 'RSS verdict', 'heap slope', 'heap verdict', 'mean CPU'], rows);

  const lost = final.sent - (final.searchable ?? 0);
  const loadSamples = samples.filter((s) => s.phase === 'load');
  const lastLoad = loadSamples[loadSamples.length - 1];
  const maxLag = Math.max(0, ...samples.map((s) => s.lag ?? 0));
  const stillQueued = lost > 0 && (final.lag ?? 0) > 0 ? `; the worker group still had ${count(final.lag)} records to read when the drain ended (--drain), so part of it may only be late` : '';
  process.stdout.write(`\nsent ${final.sent.toLocaleString('en-US')}, searchable ${count(final.searchable)}: ${lost > 0 ? `${lost.toLocaleString('en-US')} LOST (${((lost / Math.max(1, final.sent)) * 100).toFixed(3)}%)${stillQueued}` : lost < 0 ? `${(-lost).toLocaleString('en-US')} more than sent (duplicates?)` : 'nothing lost'}\n` +
    `worker group lag: ${count(final.lag)} records at the end, ${count(lastLoad?.lag ?? null)} at the last sample under load, ${maxLag.toLocaleString('en-US')} at most\n` +
    `webhooks delivered: ${count(samples[samples.length - 1]!.webhooks)}\n`);
  for (const note of notes) process.stdout.write(`${note}\n`);
}

main().catch((err) => { console.error(err); process.exit(1); });
