/**
 * End-to-end ingest against the real stack, side by side with the database's own ceiling
 * (issue 14). One run, one machine, the same documents:
 *
 * (a) raw `_bulk`: the ECS documents haetae would make from the run's lines are loaded straight
 *     into Elasticsearch with the client's bulk helper (`client.helpers.bulk`, its defaults:
 *     5 MB requests, 5 in flight), `create` with deterministic ids, into fresh data streams made
 *     from OUR index template (connectors/elasticsearch/templates.ts `ensureIndexTemplates`), one
 *     per dataset family as the worker routes them (`logs-haetae.<family>-ingestraw`). Timed from
 *     the first request until every document is searchable (count after refresh). The documents
 *     are made IN THIS PROCESS, before the clock starts, by the worker's own code from the same
 *     generated lines (bench/ingest-documents.ts: `eventsFromLines` — what `haetae parse` runs —,
 *     the rules through RuleStore + matchRules, the family routing of streams.ts) and serialized
 *     ahead, so (a) measures Elasticsearch alone. (a) runs twice, before haetae starts and after
 *     it has stopped (its streams emptied in between), and the percentages are of their mean.
 * (b) haetae end to end: syslog over TCP (octet-counted) and UDP (paced, unpaced) into the built
 *     `haetae run all` process (receiver → Kafka → worker with the shipped decoders/ and rules/ →
 *     Elasticsearch, alerts, correlation), with the realistic mix of bench/ingest-mix.ts (auth,
 *     firewalls, Cisco IOS, Sysmon for Linux, DNS; 5% matching shipped rules). Timed from the
 *     first line sent until every event is searchable.
 *
 * Every line's hostname starts with the scenario's token; each scenario counts its events with a
 * prefix query on `log.syslog.hostname` (indexed, and no decoder rewrites it; `message` is
 * rewritten by some decoders and `event.original` is not indexed) over every family stream of
 * the bench namespace (`logs-haetae.*-ingestbench`), since events land in logs-haetae.linux-…,
 * logs-haetae.cisco-…, logs-haetae.dns-… and so on.
 *
 * The (b) table gives, per scenario, haetae's events/s as a percentage of (a)'s docs/s, UDP loss
 * (haetae's overload counter and the kernel's receive-buffer drops), and the haetae process's peak
 * RSS during the scenario (VmHWM from /proc/<pid>/status, reset through clear_refs before each).
 *
 * Bench-only names throughout (topics, groups, alert indices, queue, the `ingestbench` and
 * `ingestraw` namespaces), removed afterwards. Elasticsearch distributions without the data stream
 * delete API (the integ-test one here) keep the streams: their backing indices are rolled over
 * and the old ones, with the run's documents, deleted, so each run still starts on empty indices.
 *
 * Scale-out (`--workers 1,2,3`): instead of one `haetae run all`, the roles run as separate
 * processes from the same generated config (bench/ingest-roles.ts): one `haetae run receiver`,
 * N × `haetae run worker` in one consumer group (each worker process also runs a correlator, as
 * `run worker` does) and one `haetae run notifier`, started afresh for each N, and only the TCP
 * scenario runs, once per N. The raw and correlate topics get P partitions (`--partitions`,
 * default the smallest common multiple of the N values that is at least 3, so every N shares them
 * evenly: 6 for 1,2,3)
 * and the TCP input comes from K senders (`--tcp-sources`, default 3 × P) on loopback addresses
 * chosen so that their keys land evenly on the P partitions. Per N the table gives events/s, % of
 * raw bulk, events/s per worker process, the summed CPU time of the worker processes and of the
 * receiver over the scenario (utime + stime from /proc/<pid>/stat: µs per event, and events per
 * worker CPU-second — the per-core figure a machine with more cores would multiply, as long as
 * Elasticsearch keeps up), the whole machine's busy cores over the scenario (/proc/stat: Kafka,
 * Elasticsearch and the bench share them), and the peak RSS per role (VmHWM).
 *
 * Bounded: loopback only, a fixed message count.
 * `npm run bench:ingest [-- --messages N --udp-rate R --tcp-sources K]` (K TCP senders from K loopback
 * addresses, so K keys spread over the raw topic's partitions; default 1; `--tcp-only` skips UDP); `--check-mix` only prints what the mix
 * becomes (decoders, streams, rule matches) without the stack. `--workers 1,2,3 [--partitions P]`:
 * the scale-out run above. `--help` lists the flags.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { Client } from '@elastic/elasticsearch';
import { bsdTimestamp } from '../pipeline/time/bsd-format';
import { loadConfig, type LoadedConfig } from '../pipeline/config/load';
import { ensureIndexTemplates } from '../connectors/elasticsearch/templates';
import { eventStreams } from '../connectors/elasticsearch/streams';
import { dropKafkaAndQueue, runNames, type RunNames } from './run-cleanup';
import { printTable } from './report';
import { MIX, hostPrefix, kindOf, mixLine } from './ingest-mix';
import { rawDocuments, type RawDocuments } from './ingest-documents';
import { Kafka, logLevel } from 'kafkajs';
import {
  balancedSources, cpuSeconds, dropStreams, groupAssignment, machineCpu, peakRssMiB, resetPeakRss, startRoles, stopProcess, stopRoles, type RoleProcess,
} from './ingest-roles';

const HELP = `Usage: npm run bench:ingest [-- options]

End-to-end ingest of the realistic mix through haetae, side by side with raw _bulk of the same
documents into the same Elasticsearch (loopback only, a fixed message count).

Options:
  --messages <n>      messages per scenario (default 100000)
  --udp-rate <n>      datagrams/s of the paced UDP scenario (default 5000)
  --tcp-sources <k>   TCP senders from k loopback addresses, so k keys over the raw topic's
                      partitions (default 1; with --workers, 3 × partitions)
  --tcp-only          skip the UDP scenarios
  --workers <list>    scale-out: roles as separate processes (one receiver, N workers, one
                      notifier), the TCP scenario once per N, e.g. --workers 1,2,3
  --partitions <p>    raw and correlate topic partitions with --workers (default: the smallest
                      common multiple of the N values that is at least 3: 6 for 1,2,3)
  --check-mix         only print what the mix becomes (decoders, streams, rule matches)
  -h, --help          this text

Environment: HAETAE_KAFKA_BROKERS, HAETAE_ELASTICSEARCH_URL, HAETAE_REDIS_URL (local defaults);
BENCH_LOG_LEVEL=info passes haetae's own log through to stderr.`;
if (process.argv.includes('--help') || process.argv.includes('-h')) {
  process.stdout.write(`${HELP}\n`);
  process.exit(0);
}

const argN = process.argv.indexOf('--messages');
const N = argN > 0 ? Number(process.argv[argN + 1]) : 100_000;
const argRate = process.argv.indexOf('--udp-rate');
const UDP_RATE = argRate > 0 ? Number(process.argv[argRate + 1]) : 5_000;
const CHECK_MIX = process.argv.includes('--check-mix');
const TCP_ONLY = process.argv.includes('--tcp-only');
const argWorkers = process.argv.indexOf('--workers');
/** Worker process counts of the scale-out run (--workers 1,2,3); null: the default, one `haetae run all`. */
const WORKERS: number[] | null = argWorkers > 0 ? (process.argv[argWorkers + 1] ?? '').split(',').map(Number) : null;
if (WORKERS && (WORKERS.length === 0 || WORKERS.some((w) => !Number.isInteger(w) || w < 1 || w > 16))) throw new Error(`--workers must be a comma-separated list of integers from 1 to 16, e.g. 1,2,3, not ${process.argv[argWorkers + 1]}`);
const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));
const argPartitions = process.argv.indexOf('--partitions');
/** Raw (and correlate) topic partitions of the scale-out run: the smallest multiple of every N of the list that is at least 3 (1,2,3 → 6; 1,2 → 4), so each N shares them evenly. */
const LCM = (WORKERS ?? [1]).reduce((a, w) => (a * w) / gcd(a, w), 1);
const PARTITIONS = argPartitions > 0 ? Number(process.argv[argPartitions + 1]) : LCM * Math.ceil(3 / LCM);
if (!Number.isInteger(PARTITIONS) || PARTITIONS < 1 || PARTITIONS > 64) throw new Error(`--partitions must be an integer from 1 to 64, not ${process.argv[argPartitions + 1]}`);
if (WORKERS && PARTITIONS < Math.max(...WORKERS)) throw new Error(`--partitions ${PARTITIONS} is fewer than --workers ${Math.max(...WORKERS)}: a worker without a partition has nothing to do`);
const argSources = process.argv.indexOf('--tcp-sources');
const TCP_SOURCES = argSources > 0 ? Number(process.argv[argSources + 1]) : WORKERS ? Math.min(250, 3 * PARTITIONS) : 1;
if (!Number.isInteger(TCP_SOURCES) || TCP_SOURCES < 1 || TCP_SOURCES > 250) throw new Error(`--tcp-sources must be an integer from 1 to 250, not ${process.argv[argSources + 1]}`);
if (!Number.isInteger(N) || N <= 0) throw new Error(`--messages must be a positive integer, not ${process.argv[argN + 1]}`);
if (!Number.isFinite(UDP_RATE) || UDP_RATE <= 0) throw new Error(`--udp-rate must be a positive number, not ${process.argv[argRate + 1]}`);

const ES_URL = process.env.HAETAE_ELASTICSEARCH_URL ?? 'http://127.0.0.1:9200';
const BROKERS = (process.env.HAETAE_KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
const REDIS = process.env.HAETAE_REDIS_URL ?? 'redis://127.0.0.1:6379';
const ROOT = path.join(__dirname, '..', '..');
const CLI = path.join(ROOT, 'dist', 'cli', 'haetae.js');
/** haetae's events (b): one stream per family under this namespace. */
const EVENTS_STREAM = 'logs-haetae.syslog-ingestbench';
/** The raw-bulk baseline's documents (a): the same families, another namespace. */
const RAW_STREAM = 'logs-haetae.syslog-ingestraw';
/** Count polling interval: what the "all searchable" times of (b) are quantized to. */
const POLL_MS = 500;

/** haetae_worker_seconds_total by phase, from a /metrics text. */
function workerSeconds(metrics: string): Map<string, number> {
  return new Map([...metrics.matchAll(/^haetae_worker_seconds_total\{phase="([a-z_]+)"\} ([0-9.e+-]+)/gm)].map((m) => [m[1]!, Number(m[2])]));
}

/** haetae's own counters, as an operator reads them from /metrics. */
function kernelDrops(metrics: string): number {
  return [...metrics.matchAll(/^haetae_udp_kernel_drops\{[^}]*\} (\d+)/gm)].reduce((a, m) => a + Number(m[1]), 0);
}
function haetaeDrops(metrics: string): number {
  return Number(/haetae_dropped_total\{stage="receive",reason="overload"\} (\d+)/.exec(metrics)?.[1] ?? 0);
}

/** Stamped when the run starts, as live senders would be (the worker bounds timestamps by receive time). */
const STAMP = bsdTimestamp(new Date());

/**
 * Sends the N lines over TCP, octet-counted: over `sources` connections, each from its own
 * loopback address (127.0.1.k), line i on connection i mod sources. The raw topic is keyed by
 * the sender's address, so one source is one partition; several spread over the partitions, as
 * many devices do.
 */
async function sendTcp(port: number, token: string, sources: number, addresses?: readonly string[]): Promise<number> {
  const t0 = Date.now();
  await Promise.all(Array.from({ length: sources }, (_, k) => new Promise<void>((resolve, reject) => {
    const localAddress = addresses?.[k] ?? (sources > 1 ? `127.0.1.${k + 1}` : undefined);
    const s = net.connect({ port, host: '127.0.0.1', ...(localAddress ? { localAddress } : {}) });
    s.on('error', reject);
    let i = k;
    const pump = (): void => {
      while (i < N) {
        const msg = Buffer.from(mixLine(i, token, STAMP));
        i += sources;
        if (!s.write(Buffer.concat([Buffer.from(`${msg.length} `), msg]))) { s.once('drain', pump); return; }
      }
      s.end(() => resolve());
    };
    s.on('connect', pump);
  })));
  return Date.now() - t0;
}

/** Sends N datagrams, as fast as possible (rate 0) or paced at `rate` per second in 10 ms slices. */
async function sendUdp(port: number, token: string, rate: number): Promise<number> {
  const sock = dgram.createSocket('udp4');
  const t0 = Date.now();
  const perSlice = rate > 0 ? Math.max(1, Math.round(rate / 100)) : Infinity;
  for (let i = 0; i < N; ) {
    const sliceEnd = Math.min(N, i + perSlice);
    for (; i < sliceEnd; i++) await new Promise<void>((r) => sock.send(mixLine(i, token, STAMP), port, '127.0.0.1', () => r()));
    if (rate > 0) {
      const due = t0 + (i / rate) * 1000;
      if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
    }
  }
  sock.close();
  return Date.now() - t0;
}

/** Events of one token, across every family stream of `target` (comma-joined patterns). */
async function countIndexed(es: Client, target: string, token: string): Promise<number> {
  const where = { index: target, ignore_unavailable: true, allow_no_indices: true } as const;
  await es.indices.refresh(where).catch(() => undefined);
  const r = await es.count({ ...where, query: { prefix: { 'log.syslog.hostname': hostPrefix(token) } } }).catch(() => ({ count: 0 }));
  return r.count;
}

/** Polls until `n` are searchable, or until the count has not moved for 5 s; returns the count and when it last moved. */
async function waitSearchable(es: Client, target: string, token: string, n: number, label: string, t0: number): Promise<{ indexed: number; doneAt: number }> {
  let indexed = 0;
  let last = -1;
  let stableSince = Date.now();
  while (indexed < n) {
    await new Promise((r) => setTimeout(r, POLL_MS));
    indexed = await countIndexed(es, target, token);
    if (indexed !== last) { last = indexed; stableSince = Date.now(); }
    else if (Date.now() - stableSince > 5_000) break;
    process.stderr.write(`\r${label}: ${indexed.toLocaleString('en-US')} / ${n.toLocaleString('en-US')} searchable after ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  }
  process.stderr.write('\n');
  return { indexed, doneAt: indexed === n ? Date.now() : stableSince };
}

interface RawResult {
  bulkMs: number;
  searchableMs: number;
  indexed: number;
  failed: number;
  firstFailure: string | null;
}

/** (a): the documents through the client's bulk helper into fresh streams of our template. */
async function rawBulk(es: Client, docs: RawDocuments): Promise<RawResult> {
  const target = eventStreams(RAW_STREAM).searchTarget;
  let failed = 0;
  let firstFailure: string | null = null;
  const t0 = Date.now();
  await es.helpers.bulk({
    datasource: docs.docs,
    onDocument: (d) => [{ create: { _index: d.index, _id: d.id } }, d.json],
    onDrop: (d) => {
      failed++;
      firstFailure ??= `${d.status} ${d.error?.type ?? ''}: ${d.error?.reason ?? ''}`;
    },
  });
  const bulkMs = Date.now() - t0;
  // Every document is already acknowledged: one refresh makes them searchable; the count proves it.
  let indexed = await countIndexed(es, target, 'raw');
  if (indexed < docs.docs.length - failed) indexed = (await waitSearchable(es, target, 'raw', docs.docs.length, 'raw bulk', t0)).indexed;
  return { bulkMs, searchableMs: Date.now() - t0, indexed, failed, firstFailure };
}

interface Names extends RunNames {
  id: string;
  dir: string;
  file: string;
  alertsIndex: string;
  alertEventsIndex: string;
  rawAlertsIndex: string;
  queue: string;
}

function writeConfig(): Names {
  const id = randomUUID().replace(/-/g, '').slice(0, 10);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'haetae-bench-'));
  const n: Names = {
    id,
    dir,
    file: path.join(dir, 'haetae.yaml'),
    ...runNames(id),
    alertsIndex: `haetae-alerts-bench-${id}`,
    alertEventsIndex: `haetae-alert-events-bench-${id}`,
    rawAlertsIndex: `haetae-alerts-rawbench-${id}`,
    queue: `haetae-bench-${id}`,
  };
  fs.writeFileSync(n.file, JSON.stringify({
    kafka: {
      brokers: BROKERS, rawTopic: n.rawTopic, dlqTopic: n.dlqTopic, consumerGroup: n.consumerGroup, correlateTopic: n.correlateTopic, correlatorGroup: n.correlatorGroup,
      // Scale-out: enough partitions for the largest N (the default run keeps the shipped default).
      ...(WORKERS ? { rawPartitions: PARTITIONS, correlatePartitions: PARTITIONS } : {}),
    },
    elasticsearch: { url: ES_URL, eventsDataStream: EVENTS_STREAM, alertsIndex: n.alertsIndex, alertEventsIndex: n.alertEventsIndex },
    redis: { url: REDIS },
    receiver: { listeners: [{ transport: 'udp', host: '127.0.0.1', port: 0 }, { transport: 'tcp', host: '127.0.0.1', port: 0 }] },
    // The shipped decoders, rules and mapping profiles (paths relative to this temporary file would find none).
    worker: { rulesPath: [path.join(ROOT, 'rules')], decodersPath: [path.join(ROOT, 'decoders')], mappingsPath: path.join(ROOT, 'rules', 'mappings') },
    notifier: { queue: n.queue },
    http: { host: '127.0.0.1', port: 0 },
    api: { host: '127.0.0.1', port: 0 },
    log: { level: process.env.BENCH_LOG_LEVEL ?? 'warn' },
  }, null, 2));
  return n;
}

async function cleanup(n: Names, loaded: LoadedConfig): Promise<string[]> {
  const notes: string[] = [];
  const es = new Client({ node: ES_URL, requestTimeout: 60_000 });
  await es.indices.delete({ index: [n.alertsIndex, n.alertEventsIndex, n.rawAlertsIndex], ignore_unavailable: true }).catch((e: unknown) => notes.push(`alert indices: ${(e as Error).message}`));
  for (const stream of [EVENTS_STREAM, RAW_STREAM]) notes.push(...await dropStreams(es, eventStreams(stream).searchTarget));
  await es.close();
  notes.push(...await dropKafkaAndQueue(BROKERS, 'haetae-bench-ingest', n, loaded.config));
  fs.rmSync(n.dir, { recursive: true, force: true });
  return notes;
}

function describeDocuments(docs: RawDocuments): string {
  const streams = [...docs.perStream].sort((a, b) => b[1] - a[1]).map(([s, c]) => `${s.replace(/^logs-haetae\./, '').replace(/-ingestraw$/, '')} ${((c / docs.docs.length) * 100).toFixed(1)}%`).join(', ');
  return `${docs.docs.length.toLocaleString('en-US')} documents, ${Math.round(docs.bytes / docs.docs.length)} bytes of JSON each on average, ` +
    `${((docs.decoded / docs.docs.length) * 100).toFixed(1)}% read by a vendor decoder, ${((docs.ruleMatches / docs.docs.length) * 100).toFixed(1)}% matching a shipped rule; streams: ${streams}`;
}

/** `--check-mix`: the mix through the worker's stages, by kind, without the stack. */
function checkMix(loaded: LoadedConfig): void {
  const n = Math.min(N, 20_000);
  const docs = rawDocuments(loaded, n, (i) => mixLine(i, 'check', STAMP), { dataStream: RAW_STREAM, idPrefix: 'check' });
  for (const p of docs.problems) process.stderr.write(`not loaded: ${p}\n`);
  const byKind = new Map<string, { lines: number; decoded: number; matched: number; streams: Set<string> }>();
  for (const [i, d] of docs.docs.entries()) {
    const k = kindOf(i).name;
    const e = JSON.parse(d.json) as { haetae: { decoder?: { id?: string; error?: string }; rules?: string[] }; log?: { syslog?: { hostname?: string } } };
    const row = byKind.get(k) ?? { lines: 0, decoded: 0, matched: 0, streams: new Set<string>() };
    row.lines++;
    if (e.haetae.decoder?.id && !e.haetae.decoder.error) row.decoded++;
    if (e.haetae.rules) row.matched++;
    if (!e.log?.syslog?.hostname?.startsWith(hostPrefix('check'))) throw new Error(`line ${i} (${k}) lost its hostname: the count query would miss it`);
    row.streams.add(d.index);
    byKind.set(k, row);
  }
  printTable(`The ingest mix, first ${n.toLocaleString('en-US')} lines through the worker's stages`, ['kind', 'group', 'lines', 'decoded', 'rule matches', 'stream'],
    MIX.map((k) => { const r = byKind.get(k.name)!; return [k.name, k.group, r.lines, r.decoded, r.matched, [...r.streams].join(' ')]; }));
  process.stdout.write(`${describeDocuments(docs)}\n`);
}

/** One worker count of the scale-out run. */
interface ScaleResult {
  workers: number;
  /** Raw topic partitions held by each worker process once the group was stable. */
  assignment: number[][];
  sendMs: number;
  totalMs: number;
  indexed: number;
  /** CPU seconds (user + system) over the scenario, summed over the worker processes, and of the receiver and notifier. */
  workerCpu: number;
  receiverCpu: number;
  notifierCpu: number;
  /** The machine's busy CPU seconds per wall second over the scenario (every process: Kafka, Elasticsearch, the bench). */
  machineBusyCores: number;
  peak: { receiver: number | null; worker: number | null; notifier: number | null };
}

/**
 * (b) with `--workers`: for each N, a fresh receiver, N workers and a notifier from the run's
 * config (the same topics and group: what N-1 workers committed stays committed), the TCP
 * scenario from the balanced sources, timed until every event is searchable, the processes' CPU
 * time read from /proc before and after.
 */
async function scaleOut(es: Client, n: Names): Promise<ScaleResult[]> {
  const kafka = new Kafka({ clientId: 'haetae-bench-ingest-scale', brokers: BROKERS, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  const target = eventStreams(EVENTS_STREAM).searchTarget;
  const addresses = balancedSources(TCP_SOURCES, PARTITIONS);
  if (TCP_SOURCES < PARTITIONS) process.stderr.write(`warning: ${TCP_SOURCES} TCP sources for ${PARTITIONS} partitions: ${PARTITIONS - TCP_SOURCES} partitions (and the workers holding only those) get no input\n`);
  const out: ScaleResult[] = [];
  try {
    for (const [k, workers] of WORKERS!.entries()) {
      process.stderr.write(`starting 1 receiver, ${workers} worker${workers === 1 ? '' : 's'}, 1 notifier (raw topic: ${PARTITIONS} partitions, ${TCP_SOURCES} TCP sources)…\n`);
      const procs: RoleProcess[] = await startRoles(CLI, n.file, workers, admin, n);
      try {
        const assignment = (await groupAssignment(admin, n.consumerGroup, n.rawTopic)).members;
        const receiver = procs.find((p) => p.role === 'receiver')!;
        for (const p of procs) resetPeakRss(p.pid);
        const cpu0 = new Map(procs.map((p) => [p.pid, cpuSeconds(p.pid) ?? 0]));
        const m0 = machineCpu();
        const token = `w${k}${n.id}`;
        const t0 = Date.now();
        const sendMs = await sendTcp(receiver.ports.tcp!, token, TCP_SOURCES, addresses);
        const { indexed, doneAt } = await waitSearchable(es, target, token, N, `TCP, ${workers} worker${workers === 1 ? '' : 's'}`, t0);
        const wall = (Date.now() - t0) / 1000;
        const m1 = machineCpu();
        const used = (role: string): number => procs.filter((p) => p.role === role).reduce((a, p) => a + ((cpuSeconds(p.pid) ?? 0) - cpu0.get(p.pid)!), 0);
        const peakOf = (role: string): number | null => {
          const peaks = procs.filter((p) => p.role === role).map((p) => peakRssMiB(p.pid)).filter((v): v is number => v !== null);
          return peaks.length > 0 ? Math.max(...peaks) : null;
        };
        for (const p of procs) if (p.child.exitCode !== null || p.child.signalCode !== null) throw new Error(`${p.label} exited during the scenario (${p.child.exitCode ?? p.child.signalCode})`);
        out.push({
          workers, assignment, sendMs, totalMs: doneAt - t0, indexed,
          workerCpu: used('worker'), receiverCpu: used('receiver'), notifierCpu: used('notifier'),
          machineBusyCores: (m1.busy - m0.busy) / wall,
          peak: { receiver: peakOf('receiver'), worker: peakOf('worker'), notifier: peakOf('notifier') },
        });
      } finally {
        await stopRoles(procs);
      }
    }
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
  return out;
}

function printScale(results: readonly ScaleResult[], raws: readonly RawResult[]): void {
  const cores = os.cpus().length;
  const rawRate = raws.length > 0 ? raws.reduce((a, r) => a + (r.indexed / r.searchableMs) * 1000, 0) / raws.length : NaN;
  const mib = (v: number | null): string => (v === null ? '-' : String(Math.round(v)));
  printTable(`(b) Scale-out, TCP from ${TCP_SOURCES} sources over ${PARTITIONS} raw partitions: 1 receiver + N workers (each with its correlator) + 1 notifier as separate processes, ${N.toLocaleString('en-US')} messages per N, ${cores} cores shared with Kafka and Elasticsearch`,
    ['workers', 'partitions each', 'all searchable ms', 'events/s', 'missing', '% of raw bulk', 'events/s per worker', 'worker CPU s (sum)', 'worker µs/event', 'events per worker CPU-s', 'receiver µs/event', 'machine busy cores', 'peak RSS MiB recv/worker/notif'],
    results.map((r) => {
      const rate = (r.indexed / r.totalMs) * 1000;
      return [
        r.workers, r.assignment.map((a) => a.length).join('/'), r.totalMs, Math.round(rate), N - r.indexed,
        Number.isFinite(rawRate) ? `${((rate / rawRate) * 100).toFixed(1)}%` : '-',
        Math.round(rate / r.workers), Number(r.workerCpu.toFixed(2)),
        Number(((r.workerCpu / Math.max(1, r.indexed)) * 1e6).toFixed(1)), Math.round(r.indexed / Math.max(0.01, r.workerCpu)),
        Number(((r.receiverCpu / Math.max(1, r.indexed)) * 1e6).toFixed(1)), Number(r.machineBusyCores.toFixed(2)),
        `${mib(r.peak.receiver)}/${mib(r.peak.worker)}/${mib(r.peak.notifier)}`,
      ];
    }));
  process.stdout.write(`raw bulk (a): ${Math.round(rawRate).toLocaleString('en-US')} docs/s (mean of the runs before and after).\n` +
    `CPU is user + system time from /proc/<pid>/stat over the scenario (send start until all searchable); worker CPU sums the N worker processes,\n` +
    `peak RSS is VmHWM (worker: the largest of the N). "machine busy cores" is every process on the box (Kafka, Elasticsearch, the sender too):\n` +
    `near ${cores} the roles contend for the same cores, and events/s stops growing with N here. "events per worker CPU-s" is the per-core figure:\n` +
    `a machine with more cores would multiply it by the cores given to workers, as long as Elasticsearch (see raw bulk) and Kafka keep up.\n`);
}

async function main(): Promise<void> {
  const n = writeConfig();
  const loaded = loadConfig({ file: n.file });
  if (CHECK_MIX) {
    checkMix(loaded);
    fs.rmSync(n.dir, { recursive: true, force: true });
    return;
  }
  if (!fs.existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build first (npm run bench:ingest does)`);
  const es = new Client({ node: ES_URL, requestTimeout: 120_000 });
  const rows: (string | number)[][] = [];
  const phaseLines: string[] = [];
  const notes: string[] = [];
  const raws: RawResult[] = [];
  let docsLine = '';
  let runPeak = 0;
  let child: ChildProcess | null = null;
  const scale: ScaleResult[] = [];
  try {
    // Start from empty indices in both namespaces (a run that was interrupted leaves its documents).
    for (const stream of [EVENTS_STREAM, RAW_STREAM]) notes.push(...await dropStreams(es, eventStreams(stream).searchTarget));

    process.stderr.write(`making ${N.toLocaleString('en-US')} documents with the worker's stages…\n`);
    const docs = rawDocuments(loaded, N, (i) => mixLine(i, 'raw', STAMP), { dataStream: RAW_STREAM, idPrefix: `haetae.bench.${n.id}.rawbulk` });
    if (docs.problems.length > 0) throw new Error(`decoders or rules did not load, so the documents would not be haetae's:\n${docs.problems.join('\n')}`);
    if (docs.absorbed > 0) throw new Error(`${docs.absorbed} lines were merged into other events: the mix must be one event per line for the counts to hold`);
    docsLine = describeDocuments(docs);
    process.stderr.write(`${docsLine}\n`);
    await ensureIndexTemplates(es, { eventsDataStream: RAW_STREAM, alertsIndex: n.rawAlertsIndex });
    /** (a) once before haetae starts (nothing else of ours running) and once after it stopped, to bracket the noise. */
    const rawRun = async (): Promise<void> => {
      raws.push(await rawBulk(es, docs));
      notes.push(...await dropStreams(es, eventStreams(RAW_STREAM).searchTarget));
    };
    await rawRun();

    if (WORKERS) {
      // (b) scale-out: the roles as separate processes, the TCP scenario once per worker count.
      scale.push(...await scaleOut(es, n));
      notes.push(...await dropStreams(es, eventStreams(EVENTS_STREAM).searchTarget));
      await rawRun();
    } else {
      // (b) haetae end to end.
      const spawned = spawn(process.execPath, [CLI, 'run', 'all', '--config', n.file], { stdio: ['ignore', 'pipe', process.env.BENCH_LOG_LEVEL ? 'inherit' : 'ignore'] });
      child = spawned;
      const ports: Record<string, number> = {};
      let httpPort = 0;
      await new Promise<void>((resolve, reject) => {
        spawned.on('exit', (c) => reject(new Error(`haetae exited (${c}) before listening`)));
        spawned.stdout!.on('data', (d: Buffer) => {
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
      const pid = spawned.pid!;
      runPeak = peakRssMiB(pid) ?? 0;
      const target = eventStreams(EVENTS_STREAM).searchTarget;
      const scenarios = [
        { name: TCP_SOURCES === 1 ? 'TCP octet-counted, 1 connection' : `TCP octet-counted, ${TCP_SOURCES} sources`, transport: 'tcp', rate: 0 },
        { name: `UDP paced at ${UDP_RATE.toLocaleString('en-US')}/s`, transport: 'udp', rate: UDP_RATE },
        { name: 'UDP unpaced burst', transport: 'udp', rate: 0 },
      ] as const;
      const measured: Array<{ cells: (string | number)[]; rate: number; peak: string }> = [];
      const phases: string[] = [];
      for (const [k, sc] of scenarios.entries()) {
        if (TCP_ONLY && sc.transport !== 'tcp') continue;
        const token = `s${k}${n.id}`;
        const scrape = async (): Promise<string> => (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
        const before = await scrape();
        const kernelBefore = kernelDrops(before);
        const droppedBefore = haetaeDrops(before);
        const peakReset = resetPeakRss(pid);
        const t0 = Date.now();
        const sendMs = sc.transport === 'tcp' ? await sendTcp(ports.tcp!, token, TCP_SOURCES) : await sendUdp(ports.udp!, token, sc.rate);
        const { indexed, doneAt } = await waitSearchable(es, target, token, N, sc.transport, t0);
        const totalMs = doneAt - t0;
        const metrics = await scrape();
        const peak = peakRssMiB(pid);
        if (peak !== null) runPeak = Math.max(runPeak, peak);
        const isUdp = sc.transport === 'udp';
        const rate = (indexed / totalMs) * 1000;
        measured.push({
          cells: [sc.name, N, sendMs, totalMs, Math.round(rate), N - indexed, isUdp ? kernelDrops(metrics) - kernelBefore : '-', isUdp ? haetaeDrops(metrics) - droppedBefore : '-'],
          rate,
          peak: peak === null ? '-' : `${Math.round(peak)}${peakReset ? '' : ' (run)'}`,
        });
        // Where the worker's time went in this scenario (haetae_worker_seconds_total, wall clock).
        const [w0, w1] = [workerSeconds(before), workerSeconds(metrics)];
        const spent = [...w1].map(([phase, v]) => [phase, v - (w0.get(phase) ?? 0)] as const).filter(([, v]) => v > 0);
        const busy = spent.reduce((a, [, v]) => a + v, 0);
        if (busy > 0) phases.push(`${sc.name}: ${spent.sort((a, b) => b[1] - a[1]).map(([phase, v]) => `${phase} ${(v * 1000).toFixed(0)} ms (${((100 * v) / busy).toFixed(0)}%)`).join(', ')}`);
      }
      await stopProcess(spawned);
      notes.push(...await dropStreams(es, target));
      await rawRun();
      const rawRate = raws.reduce((a, r) => a + (r.indexed / r.searchableMs) * 1000, 0) / raws.length;
      for (const m of measured) rows.push([...m.cells, Math.round(rawRate), `${((m.rate / rawRate) * 100).toFixed(1)}%`, m.peak]);
      phaseLines.push(...phases);
    }
  } finally {
    if (child) await stopProcess(child);
    await es.close();
    notes.push(...await cleanup(n, loaded));
  }
  const cores = os.cpus().length;
  if (raws.length > 0) {
    printTable(`(a) Raw _bulk baseline: the same documents via client.helpers.bulk (create, 5 MB requests, 5 in flight) into fresh ${RAW_STREAM.replace('syslog', '<family>')} streams of haetae's template, ${cores} cores`,
      ['run', 'documents', 'bulk ms', 'all searchable ms', 'docs/s', 'failed', 'missing'],
      raws.map((r, i) => [i === 0 ? 'before haetae' : 'after haetae', N, r.bulkMs, r.searchableMs, Math.round((r.indexed / r.searchableMs) * 1000), r.failed, N - r.indexed]));
    for (const r of raws) if (r.firstFailure) process.stdout.write(`first refused document: ${r.firstFailure}\n`);
    process.stdout.write(`${docsLine}\n`);
  }
  if (WORKERS) {
    printScale(scale, raws);
    for (const note of notes) process.stderr.write(`cleanup: ${note}\n`);
    return;
  }
  printTable(`(b) End-to-end ingest of the realistic mix: sender → haetae run all (receiver + worker + correlator + notifier, one process) → Kafka → Elasticsearch, ${cores} cores, loopback`,
    ['input', 'messages', 'send ms', 'all searchable ms', 'events/s', 'missing', 'kernel drops (metric)', 'overload drops', 'raw bulk docs/s (mean of a)', '% of raw bulk', 'peak RSS MiB'], rows);
  process.stdout.write(`haetae peak RSS over the run (VmHWM): ${Math.round(runPeak)} MiB. Searchable times of (b) are polled every ${POLL_MS} ms.\n`);
  if (phaseLines.length > 0) process.stdout.write(`\nWhere the worker's wall-clock time went (haetae_worker_seconds_total; idle = waiting for records):\n${phaseLines.map((l) => `  ${l}`).join('\n')}\n`);
  for (const note of notes) process.stderr.write(`cleanup: ${note}\n`);
}

main().catch((err) => { console.error(err); process.exit(1); });
