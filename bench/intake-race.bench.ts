/**
 * The intake race (issue 14): haetae's receiver against rsyslog, each taking syslog and storing it
 * in Kafka, side by side in one run on this machine, with the same generated input and the same
 * local Kafka.
 *
 * - haetae: the built CLI's receiver role alone (`node dist/cli/haetae.js run receiver`), with a
 *   UDP, a TCP and a TLS listener on loopback, its shipped producer (idempotent, acks=all), its
 *   own raw topic. Its per-source rate limit is turned off (rsyslog has none by default); every
 *   other setting is the default. Accepted = haetae_received_total{stage="receive",transport}.
 * - rsyslog: a private `rsyslogd -n` (bench/intake-rsyslog.ts) with imudp, imtcp and imtcp+gtls
 *   forwarding each message's raw bytes (%rawmsg%) with omkafka (Debian's rsyslog-kafka,
 *   librdkafka) under the same guarantee (enable.idempotence=true, acks=all,
 *   resubmitOnFailure=on), keyed by the sender's address like haetae, to its own topic with as
 *   many partitions as haetae's raw topic. The UDP socket gets the buffer haetae's gets from the
 *   kernel; TLS uses GnuTLS's NORMAL priorities, so both end on the same TLS 1.3 cipher (printed).
 *   librdkafka's batching and rsyslog's queues keep their defaults. Accepted = impstats
 *   `submitted` of the input.
 *
 * One receiver at a time: rsyslog first (its TCP rate sets the "half of rsyslog's rate" UDP step),
 * then haetae, each started fresh, warmed up with 2,000 TCP messages (not counted), and stopped
 * before the next starts. Per transport, the same steps for both:
 * - TCP: `--messages` lines over one connection, octet-counted (RFC 6587 3.4.1), as fast as the
 *   connection takes them; TLS: the same over TLS (RFC 5425; the sender negotiates, both sides use
 *   their TLS defaults);
 * - UDP: one datagram per line, paced at each `--udp-rates` rate for `--seconds`, plus a step at
 *   half of rsyslog's TCP msgs/s.
 * The lines (bench/intake-lines.ts: ~200 bytes, half RFC 3164 and half RFC 5424) are made in a
 * separate sender process before its clock starts; the sender never shares an event loop with
 * this process or the receivers.
 *
 * Measured per receiver and step: sent; accepted (the receiver's own counter); delivered (records
 * in its topic: the sum over partitions of the high-watermark growth, kafkajs fetchTopicOffsets,
 * polled every 50 ms); delivered msgs/s (from the first byte sent until the last record is in
 * Kafka); loss (sent − delivered); UDP kernel drops (/proc/net/udp); the receiver process's CPU
 * (user+system from /proc/<pid>/stat: seconds and µs per delivered message) and peak RSS (VmHWM
 * from /proc/<pid>/status, reset through clear_refs before each step).
 *
 * Afterwards both receivers are stopped, the bench topics deleted and the temp dirs removed.
 * Loopback only, bounded by the message counts and rates. `--help` lists the flags.
 */
import { execFileSync, fork, spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import YAML from 'yaml';
import { loadConfig } from '../pipeline/config/load';
import { udpKernelDrops } from '../pipeline/receive/syslog/kernel-drops';
import { datagramFrame } from '../pipeline/receive/syslog/framer';
import { buildEnvelope, encodeEnvelope } from '../pipeline/envelope/envelope';
import { makeTestPki, type TestPki } from '../test/support/tls-certs';
import { runNames } from './run-cleanup';
import { printTable } from './report';
import { intakeLines, octetCounted } from './intake-lines';
import { OMKAFKA_CONF, OMKAFKA_TOPIC_CONF, Rsyslog } from './intake-rsyslog';

type Transport = 'udp' | 'tcp' | 'tls';
const TRANSPORTS: readonly Transport[] = ['tcp', 'tls', 'udp'];

// ---------------------------------------------------------------------------------------------
// The sender, in its own process.

interface SendJob { transport: Transport; port: number; count: number; rate: number; ca?: string }
interface SendResult { sent: number; startEpoch: number; endEpoch: number; errors: number; tls?: string }

/** Distinct lines per UDP step at most; longer steps repeat them in order. */
const UDP_POOL = 100_000;
/** Bytes per write on TCP and TLS. */
const CHUNK = 64 * 1024;

function sender(): void {
  process.on('message', (job: SendJob) => {
    const run = job.transport === 'udp' ? sendUdp(job) : sendStream(job);
    run.then((r) => process.send!(r), (err: unknown) => process.send!({ error: (err as Error).message }));
  });
}

/** Connect (and handshake) first, then the clock: the whole octet-counted buffer, chunk by chunk, as the socket takes it. */
async function sendStream(job: SendJob): Promise<SendResult> {
  const data = octetCounted(intakeLines(job.count, new Date()));
  const socket = await new Promise<net.Socket>((resolve, reject) => {
    if (job.transport === 'tls') {
      const s = tls.connect({ host: '127.0.0.1', port: job.port, ca: job.ca }, () => resolve(s));
      s.once('error', reject);
    } else {
      const s = net.connect({ host: '127.0.0.1', port: job.port }, () => resolve(s));
      s.once('error', reject);
    }
  });
  const negotiated = socket instanceof tls.TLSSocket ? `${socket.getProtocol() ?? '?'} ${socket.getCipher().name}` : undefined;
  const startEpoch = Date.now();
  for (let off = 0; off < data.length; off += CHUNK) {
    if (!socket.write(data.subarray(off, off + CHUNK))) await new Promise((r) => socket.once('drain', r));
  }
  await new Promise<void>((resolve) => socket.end(() => resolve()));
  const endEpoch = Date.now();
  return { sent: job.count, startEpoch, endEpoch, errors: 0, ...(negotiated ? { tls: negotiated } : {}) };
}

/** `count` datagrams at `rate`/s on a connected socket: each ~1 ms tick sends what is due by the clock. */
async function sendUdp(job: SendJob): Promise<SendResult> {
  const pool = intakeLines(Math.min(job.count, UDP_POOL), new Date());
  const sock = dgram.createSocket('udp4');
  let errors = 0;
  sock.on('error', () => { errors++; });
  await new Promise<void>((r) => sock.connect(job.port, '127.0.0.1', () => r()));
  const perMs = job.rate / 1000;
  let i = 0;
  const startEpoch = Date.now();
  const t0 = performance.now();
  await new Promise<void>((resolve) => {
    const tick = (): void => {
      const due = Math.min(job.count, Math.floor((performance.now() - t0) * perMs));
      for (; i < due; i++) sock.send(pool[i % pool.length]!);
      if (i < job.count) setTimeout(tick, 1);
      else resolve();
    };
    tick();
  });
  const endEpoch = Date.now();
  // The last datagrams leave once the event loop turns.
  await new Promise((r) => setTimeout(r, 50));
  sock.close();
  return { sent: i, startEpoch, endEpoch, errors };
}

// ---------------------------------------------------------------------------------------------
// The race.

const HELP = `Usage: npm run bench:intake [-- options]

haetae's receiver (node dist/cli/haetae.js run receiver) against rsyslog (imudp/imtcp/gtls →
omkafka), each storing syslog in the local Kafka (acks=all, idempotent), one at a time, same input.

Options:
  --messages <n>        lines per TCP and per TLS step (default 200000)
  --udp-rates <list>    paced UDP rates in datagrams/s, comma-separated (default 25000,50000,100000);
                        a step at half of rsyslog's TCP msgs/s is added
  --seconds <s>         seconds per UDP rate (default 5)
  --transports <list>   any of udp,tcp,tls (default udp,tcp,tls)
  -h, --help            this text

Needs rsyslogd with omkafka (apt-get install -y rsyslog-kafka) and, for TLS, rsyslog-gnutls; the
built CLI (npm run build) and Kafka at HAETAE_KAFKA_BROKERS (default 127.0.0.1:9092).
BENCH_LOG=1 passes haetae's and rsyslog's output through to stderr.`;

// kafkajs (the admin client that counts records and cleans up) schedules a timer at a negative delay on Node 24: harmless, not ours.
process.removeAllListeners('warning');
process.on('warning', (w) => { if (w.name !== 'TimeoutNegativeWarning') process.stderr.write(`${w.name}: ${w.message}\n`); });

const BROKERS = (process.env.HAETAE_KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
const ROOT = path.join(__dirname, '..', '..');
const CLI = path.join(ROOT, 'dist', 'cli', 'haetae.js');
const POLL_MS = 50;
/** A step ends when every line is in Kafka, or when the count has not moved for this long after the sender finished. */
const STALL_MS = 5_000;
const WARMUP = 2_000;
const MAX_MESSAGES = 1_000_000;

interface Flags { messages: number; udpRates: number[]; seconds: number; transports: Transport[] }

function parseFlags(): Flags | null {
  const { values } = parseArgs({
    options: {
      messages: { type: 'string', default: '200000' },
      'udp-rates': { type: 'string', default: '25000,50000,100000' },
      seconds: { type: 'string', default: '5' },
      transports: { type: 'string', default: 'udp,tcp,tls' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return null;
  }
  const messages = Number(values.messages);
  if (!Number.isInteger(messages) || messages < 1 || messages > MAX_MESSAGES) throw new Error(`--messages must be an integer from 1 to ${MAX_MESSAGES.toLocaleString('en-US')}, not '${values.messages}'`);
  const udpRates = values['udp-rates'].split(',').filter(Boolean).map(Number);
  if (udpRates.some((r) => !Number.isInteger(r) || r < 1 || r > 2_000_000)) throw new Error(`--udp-rates must be integers from 1 to 2,000,000, comma-separated, not '${values['udp-rates']}'`);
  const seconds = Number(values.seconds);
  if (!Number.isFinite(seconds) || seconds <= 0 || seconds > 120) throw new Error(`--seconds must be a number above 0 and at most 120, not '${values.seconds}'`);
  const transports = values.transports.split(',').filter(Boolean) as Transport[];
  const unknown = transports.filter((t) => !TRANSPORTS.includes(t));
  if (unknown.length > 0 || transports.length === 0) throw new Error(`--transports takes udp, tcp and tls, comma-separated, not '${values.transports}'`);
  return { messages, udpRates, seconds, transports: TRANSPORTS.filter((t) => transports.includes(t)) };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');

/** The kernel's clock ticks per second, for /proc/<pid>/stat. */
const CLK_TCK = ((): number => {
  try { return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100; } catch { return 100; }
})();

/** User + system CPU seconds of a process (all its threads), from /proc/<pid>/stat. */
function cpuSeconds(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // After "pid (comm) ", fields[0] is the state (field 3): utime is field 14, stime field 15.
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
}

/** Peak resident set since the last reset (VmHWM), MiB. */
function peakRssMiB(pid: number): number {
  const kb = /^VmHWM:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return kb ? Number(kb) / 1024 : 0;
}

/** Resets VmHWM to the current RSS (clear_refs 5), so each step reports its own peak. */
function resetPeakRss(pid: number): boolean {
  try { fs.writeFileSync(`/proc/${pid}/clear_refs`, '5'); return true; } catch { return false; }
}

/** Receive buffer of the UDP socket on `port` as the kernel set it (`ss -m`, rb), bytes; null when ss is missing. */
function udpReceiveBuffer(port: number): number | null {
  try {
    const out = execFileSync('ss', ['-uHlmn', 'sport', '=', `:${port}`], { encoding: 'utf8', timeout: 5_000 });
    const rb = /rb(\d+)/.exec(out)?.[1];
    return rb ? Number(rb) : null;
  } catch {
    return null;
  }
}

async function freePort(kind: 'tcp' | 'udp'): Promise<number> {
  if (kind === 'udp') {
    const s = dgram.createSocket('udp4');
    await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
    const { port } = s.address();
    await new Promise<void>((r) => s.close(() => r()));
    return port;
  }
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

/** Records in a topic so far: the sum of the partitions' high watermarks. */
async function highWatermark(admin: Admin, topic: string): Promise<number> {
  return (await admin.fetchTopicOffsets(topic)).reduce((a, p) => a + Number(p.high), 0);
}

/** One receiver as the steps see it. */
interface Receiver {
  name: 'rsyslog' | 'haetae';
  pid: number;
  topic: string;
  ports: Record<Transport, number>;
  readonly alive: boolean;
  /** Its own count of messages taken in over a transport, since it started. */
  accepted(t: Transport): Promise<number>;
  /** Its own counts of what it refused or gave up on (overload drops, Kafka failures), by name. */
  troubles(): Promise<Record<string, number>>;
  /** Waits until the counters above are current (rsyslog: a fresh impstats round). */
  settle(): Promise<void>;
  output(): string;
  stop(): Promise<void>;
}

class Haetae implements Receiver {
  readonly name = 'haetae' as const;
  readonly child: ChildProcess;
  readonly tail: string[] = [];
  ports: Record<Transport, number> = { udp: 0, tcp: 0, tls: 0 };
  private httpPort = 0;

  constructor(configFile: string, readonly topic: string, private readonly transports: readonly Transport[]) {
    this.child = spawn(process.execPath, [CLI, 'run', 'receiver', '--config', configFile], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    const collect = (chunk: Buffer): void => {
      if (process.env.BENCH_LOG) process.stderr.write(chunk);
      for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) {
        this.tail.push(line);
        if (this.tail.length > 40) this.tail.shift();
        const l = /listening for syslog on (udp|tcp|tls):\/\/127\.0\.0\.1:(\d+)/.exec(line);
        if (l) this.ports[l[1] as Transport] = Number(l[2]);
        const h = /metrics on http:\/\/127\.0\.0\.1:(\d+)/.exec(line);
        if (h) this.httpPort = Number(h[1]);
      }
    };
    this.child.stdout!.on('data', collect);
    this.child.stderr!.on('data', collect);
  }

  get pid(): number { return this.child.pid!; }
  get alive(): boolean { return this.child.exitCode === null && this.child.signalCode === null; }
  output(): string { return this.tail.join('\n'); }

  /** Until every listener is bound and /readyz answers 200 (Kafka topics set up, producer connected). */
  async ready(timeoutMs: number): Promise<void> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      if (!this.alive) throw new Error(`haetae exited (${this.child.exitCode ?? this.child.signalCode}) before it was ready:\n${this.output()}`);
      if (this.transports.every((t) => this.ports[t] > 0) && this.httpPort) {
        const res = await fetch(`http://127.0.0.1:${this.httpPort}/readyz`).catch(() => null);
        if (res?.status === 200) return;
      }
      if (Date.now() > until) throw new Error(`haetae not ready within ${timeoutMs} ms:\n${this.output()}`);
      await sleep(200);
    }
  }

  private async metrics(): Promise<Array<{ name: string; labels: string; value: number }>> {
    const text = await (await fetch(`http://127.0.0.1:${this.httpPort}/metrics`)).text();
    return [...text.matchAll(/^(haetae_[a-z_]+)\{([^}]*)\} (\S+)$/gm)].map((m) => ({ name: m[1]!, labels: m[2]!, value: Number(m[3]) }));
  }

  async accepted(t: Transport): Promise<number> {
    return (await this.metrics()).filter((m) => m.name === 'haetae_received_total' && m.labels.includes('stage="receive"') && m.labels.includes(`transport="${t}"`)).reduce((a, m) => a + m.value, 0);
  }

  async troubles(): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    for (const m of await this.metrics()) {
      if (!m.labels.includes('stage="receive"')) continue;
      if (m.name === 'haetae_dropped_total') out[`dropped ${/reason="([^"]+)"/.exec(m.labels)?.[1] ?? '?'}`] = m.value;
      if (m.name === 'haetae_errors_total') out[`error ${/error_type="([^"]+)"/.exec(m.labels)?.[1] ?? '?'}`] = m.value;
    }
    return out;
  }

  async settle(): Promise<void> { /* /metrics is read live */ }

  async stop(): Promise<void> {
    if (!this.alive) return;
    const exited = new Promise((r) => this.child.once('exit', r));
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 40_000);
    await exited;
    clearTimeout(timer);
  }
}

class RsyslogReceiver implements Receiver {
  readonly name = 'rsyslog' as const;
  constructor(readonly r: Rsyslog, readonly topic: string, readonly ports: Record<Transport, number>) {}
  get pid(): number { return this.r.pid; }
  get alive(): boolean { return this.r.alive; }
  output(): string { return this.r.output; }
  async accepted(t: Transport): Promise<number> { return this.r.counter(t, 'submitted'); }
  async troubles(): Promise<Record<string, number>> {
    return {
      'omkafka failures': this.r.counter('omkafka', 'failures'),
      'action failed': this.r.counter('kafka', 'failed'),
      'main queue discarded': this.r.counter('main Q', 'discarded.full') + this.r.counter('main Q', 'discarded.nf'),
    };
  }
  /** Two more impstats rounds (interval 1 s): at least one whole round written after now. */
  async settle(): Promise<void> {
    const r0 = this.r.rounds();
    const until = Date.now() + 6_000;
    while (this.r.rounds() < r0 + 2 && Date.now() < until) await sleep(100);
  }
  async stop(): Promise<void> { await this.r.stop(); }
}

interface Step {
  receiver: 'rsyslog' | 'haetae';
  transport: Transport;
  /** UDP: the offered rate; 0 for TCP and TLS. */
  rate: number;
  label: string;
  send: SendResult;
  accepted: number;
  delivered: number;
  /** From the first byte sent until the last record was seen in Kafka. */
  deliveredMs: number;
  cpuSeconds: number;
  peakRssMiB: number;
  peakReset: boolean;
  kernelDrops: number;
  troubles: Record<string, number>;
}

async function main(): Promise<void> {
  const flags = parseFlags();
  if (!flags) return;
  if (!fs.existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build first (npm run bench:intake does)`);
  const id = randomUUID().replace(/-/g, '').slice(0, 10);
  const names = runNames(id);
  const rsyslogTopic = `haetae.bench.${id}.rsyslog`;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'haetae-bench-intake-'));
  const rsDir = path.join(dir, 'rsyslog');
  fs.mkdirSync(rsDir);
  const needTls = flags.transports.includes('tls');
  let pki: TestPki | null = null;

  // haetae's config (validated here, so a bad key fails before anything starts).
  const configFile = path.join(dir, 'haetae.yaml');
  const listeners: Array<Record<string, unknown>> = [
    { transport: 'udp', host: '127.0.0.1', port: 0 },
    { transport: 'tcp', host: '127.0.0.1', port: 0 },
  ];
  if (needTls) {
    pki = makeTestPki();
    listeners.push({ transport: 'tls', host: '127.0.0.1', port: 0, certFile: pki.server.cert, keyFile: pki.server.key });
  }
  fs.writeFileSync(configFile, YAML.stringify({
    kafka: { brokers: BROKERS, rawTopic: names.rawTopic, dlqTopic: names.dlqTopic, correlateTopic: names.correlateTopic, consumerGroup: names.consumerGroup, correlatorGroup: names.correlatorGroup },
    // rsyslog has no rate limit on imudp/imtcp unless configured; haetae's per-source default would cap one sender.
    receiver: { listeners, rateLimit: { messagesPerSecond: 0 } },
    http: { host: '127.0.0.1', port: 0 },
    log: { level: process.env.BENCH_LOG ? 'info' : 'warn' },
  }));
  const cfg = loadConfig({ file: configFile, env: {} }).config;
  const partitions = cfg.kafka.rawPartitions;
  const udpBuffer = cfg.receiver.udpReceiveBufferBytes;
  // rsyslog as root sets SO_RCVBUFFORCE, past net.core.rmem_max; haetae (SO_RCVBUF) is capped by it.
  // Asking rsyslog for the capped size gives both sockets the same buffer (checked with ss below).
  let rmemMax = udpBuffer;
  try { rmemMax = Number(fs.readFileSync('/proc/sys/net/core/rmem_max', 'utf8').trim()) || udpBuffer; } catch { /* not Linux */ }
  const rsyslogUdpBuffer = Math.min(udpBuffer, rmemMax);

  const kafka = new Kafka({ clientId: 'haetae-bench-intake', brokers: BROKERS, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  const sendProc = fork(__filename, ['--sender'], { execArgv: [], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const send = (job: SendJob): Promise<SendResult> => new Promise((resolve, reject) => {
    sendProc.once('message', (m: SendResult | { error: string }) => ('error' in m ? reject(new Error(`sender: ${m.error}`)) : resolve(m)));
    sendProc.send(job);
  });

  let current: Receiver | null = null;
  const steps: Step[] = [];
  const buffers: Record<string, number | null> = {};
  const tlsNotes = new Map<string, string>();
  const notes: string[] = [];
  let halfRate = 0;
  let interrupted = false;
  const onSigint = (): void => { interrupted = true; process.stderr.write('\ninterrupted: stopping the receivers and removing the bench topics…\n'); };
  process.once('SIGINT', onSigint);

  /** One step: send, then poll Kafka until every line is there (or the count stalls). */
  async function step(r: Receiver, transport: Transport, count: number, rate: number, label: string, counted = true): Promise<Step> {
    if (interrupted) throw new Error('interrupted');
    await r.settle();
    const off0 = await highWatermark(admin, r.topic);
    const acc0 = await r.accepted(transport);
    const tr0 = await r.troubles();
    const kd0 = transport === 'udp' ? udpKernelDrops(r.ports.udp) ?? 0 : 0;
    const peakReset = resetPeakRss(r.pid);
    const cpu0 = cpuSeconds(r.pid);
    let sent: SendResult | null = null;
    let sendError: Error | null = null;
    send({ transport, port: r.ports[transport], count, rate, ...(transport === 'tls' ? { ca: fs.readFileSync(pki!.ca.cert, 'utf8') } : {}) })
      .then((s) => { sent = s; }, (e: Error) => { sendError = e; });
    let delivered = 0;
    let lastChange = Date.now();
    let lastProgress = 0;
    for (;;) {
      await sleep(POLL_MS);
      if (sendError) throw sendError;
      if (!r.alive) throw new Error(`${r.name} exited during ${label}:\n${r.output()}`);
      const now = (await highWatermark(admin, r.topic)) - off0;
      if (now !== delivered) { delivered = now; lastChange = Date.now(); }
      const s = sent as SendResult | null;
      if (counted && Date.now() - lastProgress >= 1_000) {
        lastProgress = Date.now();
        process.stderr.write(`\r${r.name} ${label}: ${fmt(delivered)} / ${fmt(s?.sent ?? count)} in Kafka${s ? '' : ', sending'}   `);
      }
      if (s && delivered >= s.sent) break;
      if (s && Date.now() - lastChange > STALL_MS && Date.now() - s.endEpoch > STALL_MS) break;
      if (interrupted) throw new Error('interrupted');
    }
    if (counted) process.stderr.write(`\r${r.name} ${label}: ${fmt(delivered)} / ${fmt((sent as SendResult | null)?.sent ?? count)} in Kafka after ${((lastChange - ((sent as SendResult | null)?.startEpoch ?? lastChange)) / 1000).toFixed(2)} s\n`);
    const s = sent as unknown as SendResult;
    const cpu = cpuSeconds(r.pid) - cpu0;
    const peak = peakRssMiB(r.pid);
    const kernelDrops = transport === 'udp' ? (udpKernelDrops(r.ports.udp) ?? 0) - kd0 : 0;
    await r.settle();
    const tr1 = await r.troubles();
    const troubles: Record<string, number> = {};
    for (const [k, v] of Object.entries(tr1)) if (v - (tr0[k] ?? 0) > 0) troubles[k] = v - (tr0[k] ?? 0);
    if (s.tls) tlsNotes.set(r.name, s.tls);
    return { receiver: r.name, transport, rate, label, send: s, accepted: (await r.accepted(transport)) - acc0, delivered, deliveredMs: Math.max(1, lastChange - s.startEpoch), cpuSeconds: cpu, peakRssMiB: peak, peakReset, kernelDrops, troubles };
  }

  async function race(r: Receiver): Promise<void> {
    current = r;
    if (flags!.transports.includes('udp')) buffers[r.name] = udpReceiveBuffer(r.ports.udp);
    // Warm-up: connections to Kafka, metadata, JIT; not counted.
    const w = await step(r, 'tcp', WARMUP, 0, 'warm-up', false);
    if (w.delivered !== WARMUP) notes.push(`${r.name}: warm-up delivered ${w.delivered} of ${WARMUP} records`);
    for (const t of flags!.transports) {
      if (t === 'udp') {
        const rates = [...flags!.udpRates];
        if (halfRate > 0 && !rates.includes(halfRate)) rates.push(halfRate);
        for (const rate of rates.sort((a, b) => a - b)) steps.push(await step(r, 'udp', Math.round(rate * flags!.seconds), rate, `UDP ${fmt(rate)}/s${rate === halfRate ? ' (half of rsyslog TCP)' : ''}`));
      } else {
        const st = await step(r, t, flags!.messages, 0, t.toUpperCase());
        steps.push(st);
        // The UDP target is judged at half of rsyslog's TCP rate (TLS when TCP is not run).
        if (r.name === 'rsyslog' && halfRate === 0) halfRate = Math.max(1000, Math.round(rate(st) / 2 / 1000) * 1000);
      }
    }
    await r.stop();
    current = null;
    // What the receiver said about itself (librdkafka or GnuTLS errors, haetae warnings) belongs next to its figures.
    const said = r.output().split('\n').filter((l) => /error|fail|warn/i.test(l) && !/"level":30/.test(l));
    if (said.length > 0) notes.push(`${r.name} said: ${said.slice(-3).map((l) => l.trim().slice(0, 300)).join(' | ')}`);
  }

  try {
    const plan = [
      ...(flags.transports.some((t) => t !== 'udp') ? [`${fmt(flags.messages)} messages per ${flags.transports.filter((t) => t !== 'udp').join('/').toUpperCase()} step`] : []),
      ...(flags.transports.includes('udp') ? [`UDP at ${flags.udpRates.map(fmt).join(', ')}/s (and half of rsyslog's TCP msgs/s) for ${flags.seconds} s each`] : []),
    ];
    process.stderr.write(`intake race ${id}: rsyslog, then haetae; ${plan.join('; ')}; ${os.cpus().length} CPUs\n`);
    await admin.createTopics({ topics: [{ topic: rsyslogTopic, numPartitions: partitions }], waitForLeaders: true });

    // rsyslog first: its TCP rate sets the half-rate UDP step that both then run.
    const ports = { udp: await freePort('udp'), tcp: await freePort('tcp'), tls: await freePort('tcp') };
    const rs = await Rsyslog.start({ dir: rsDir, brokers: BROKERS, topic: rsyslogTopic, ports, tls: pki ? { ca: pki.ca.cert, cert: pki.server.cert, key: pki.server.key } : null, udpReceiveBufferBytes: rsyslogUdpBuffer });
    current = new RsyslogReceiver(rs, rsyslogTopic, ports);
    await race(current);

    const haetae = new Haetae(configFile, names.rawTopic, needTls ? ['udp', 'tcp', 'tls'] : ['udp', 'tcp']);
    current = haetae;
    await haetae.ready(60_000);
    const rawPartitions = (await admin.fetchTopicMetadata({ topics: [names.rawTopic] })).topics[0]?.partitions.length;
    if (rawPartitions !== partitions) notes.push(`haetae's raw topic has ${rawPartitions} partitions, rsyslog's ${partitions}`);
    await race(haetae);
  } finally {
    process.removeListener('SIGINT', onSigint);
    const c = current as Receiver | null;
    if (c) await c.stop().catch(() => undefined);
    sendProc.kill();
    await admin.deleteTopics({ topics: [rsyslogTopic, names.rawTopic, names.dlqTopic, names.correlateTopic], timeout: 10_000 }).catch((e: unknown) => notes.push(`deleting topics: ${(e as Error).message}`));
    await admin.disconnect().catch(() => undefined);
    pki?.remove();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  report(flags, steps, { halfRate, buffers, tlsNotes, notes, partitions, rsyslogUdpBuffer, udpBuffer });
}

function rate(s: Step): number {
  return (s.delivered / s.deliveredMs) * 1000;
}

/** What one Kafka record carries: rsyslog the line itself, haetae its envelope (JSON, the line in base64). */
function recordSizes(): { line: number; envelope: number } {
  const lines = intakeLines(1000, new Date());
  let env = 0;
  for (const l of lines) {
    env += encodeEnvelope(buildEnvelope(datagramFrame(l, 65536), { transport: 'udp', source: { address: '127.0.0.1', port: 40000 }, listener: { address: '127.0.0.1', port: 5514 }, observerHostname: os.hostname(), receivedAt: new Date(), id: '0'.repeat(26) })).length;
  }
  return { line: lines.reduce((a, l) => a + l.length, 0) / lines.length, envelope: env / lines.length };
}

interface Context { halfRate: number; buffers: Record<string, number | null>; tlsNotes: Map<string, string>; notes: string[]; partitions: number; rsyslogUdpBuffer: number; udpBuffer: number }

function report(flags: Flags, steps: Step[], ctx: Context): void {
  const cpus = os.cpus().length;
  const row = (s: Step): (string | number)[] => [
    s.receiver, s.send.sent, s.accepted, s.delivered, s.send.sent - s.delivered,
    `${((100 * (s.send.sent - s.delivered)) / Math.max(1, s.send.sent)).toFixed(3)}%`,
    fmt(rate(s)), s.cpuSeconds.toFixed(2), s.delivered > 0 ? ((s.cpuSeconds * 1e6) / s.delivered).toFixed(1) : '-', `${Math.round(s.peakRssMiB)}${s.peakReset ? '' : '*'}`,
    Object.entries(s.troubles).map(([k, v]) => `${k} ${v}`).join(', ') || '-',
  ];
  const common = ['receiver', 'sent', 'accepted', 'delivered', 'lost', 'loss', 'delivered msgs/s', 'CPU s', 'CPU µs/msg', 'peak RSS MiB', 'refused / failed'];
  const verdicts: string[] = [];
  for (const t of flags.transports) {
    const of = steps.filter((s) => s.transport === t);
    if (of.length === 0) continue;
    if (t !== 'udp') {
      const framing = t === 'tcp' ? 'TCP, octet-counted, one connection' : `TLS (RFC 5425, octet-counted), one connection${ctx.tlsNotes.size ? `; negotiated: ${[...ctx.tlsNotes].map(([r, n]) => `${r} ${n}`).join(', ')}` : ''}`;
      printTable(`${framing}: ${fmt(flags.messages)} lines as fast as the connection takes them → receiver → Kafka (idempotent, acks=all); ${cpus} CPUs`, ['receiver', 'send s', ...common.slice(1)],
        of.map((s) => [s.receiver, ((s.send.endEpoch - s.send.startEpoch) / 1000).toFixed(2), ...row(s).slice(1)]));
      const h = of.find((s) => s.receiver === 'haetae');
      const r = of.find((s) => s.receiver === 'rsyslog');
      if (h && r) {
        const ratio = rate(h) / rate(r);
        const lost = h.send.sent - h.delivered;
        verdicts.push(`${t.toUpperCase()}: haetae ${fmt(rate(h))} msgs/s vs rsyslog ${fmt(rate(r))} msgs/s (${ratio.toFixed(2)}×) — target ≥ 1×: ${ratio >= 1 ? 'met' : 'MISSED'}; haetae lost ${fmt(lost)} (target 0): ${lost === 0 ? 'met' : 'MISSED'}; rsyslog lost ${fmt(r.send.sent - r.delivered)}.`);
      }
    } else {
      printTable(`UDP, one datagram per line, paced for ${flags.seconds} s per rate → receiver → Kafka (idempotent, acks=all); ${cpus} CPUs`, ['offered/s', 'receiver', 'sent/s', ...common.slice(1), 'kernel drops'],
        [...of].sort((a, b) => a.rate - b.rate || a.receiver.localeCompare(b.receiver)).map((s) => [fmt(s.rate), s.receiver, fmt((s.send.sent / Math.max(1, s.send.endEpoch - s.send.startEpoch)) * 1000), ...row(s).slice(1), s.kernelDrops]));
      const lossPct = (s: Step): number => (100 * (s.send.sent - s.delivered)) / Math.max(1, s.send.sent);
      // The highest offered rate each delivered with loss under 0.1% (delivered msgs/s of a paced step is capped by its rate).
      const best = (who: string): number => Math.max(0, ...of.filter((s) => s.receiver === who && lossPct(s) < 0.1).map((s) => s.rate));
      const half = of.find((s) => s.receiver === 'haetae' && s.rate === ctx.halfRate);
      const halfNote = half
        ? `at ${fmt(ctx.halfRate)}/s (half of rsyslog's ${flags.transports.includes('tcp') ? 'TCP' : 'TLS'} msgs/s) haetae lost ${lossPct(half).toFixed(3)}% (target < 0.1%): ${lossPct(half) < 0.1 ? 'met' : 'MISSED'}`
        : 'no half-rate step (needs a TCP or TLS step of rsyslog)';
      const [bh, br] = [best('haetae'), best('rsyslog')];
      const top = Math.max(...of.map((s) => s.rate));
      const judged = bh >= br ? (bh === top && br === top ? 'met, but both took the highest rate tried: add higher --udp-rates to separate them' : 'met') : 'MISSED';
      verdicts.push(`UDP: ${halfNote}; highest rate tried with loss < 0.1%: haetae ${fmt(bh)}/s, rsyslog ${fmt(br)}/s — target ≥ 1×: ${judged}.`);
    }
  }
  const sizes = recordSizes();
  process.stdout.write(`\nRows: "accepted" is the receiver's own counter (haetae_received_total; rsyslog impstats submitted), "delivered" the records that appeared in its topic (${ctx.partitions} partitions each, keyed by sender address, so one sender fills one partition). msgs/s: from the first byte sent until the last record was seen in Kafka (polled every ${POLL_MS} ms). CPU: the receiver process, user+system. * = peak RSS since start (clear_refs not allowed).\n`);
  process.stdout.write(`Kafka record value per line: rsyslog ${Math.round(sizes.line)} bytes (the raw line, template %rawmsg%), haetae ${Math.round(sizes.envelope)} bytes (its envelope: id, times, addresses, the line in base64). omkafka: ${OMKAFKA_CONF.join(', ')} (topic: ${OMKAFKA_TOPIC_CONF.join(', ')}), resubmitOnFailure=on, librdkafka batching defaults.\n`);
  if (flags.transports.includes('udp')) {
    const b = (n: number | null | undefined): string => (n ? `${fmt(n)} bytes` : 'unknown');
    process.stdout.write(`UDP receive buffers as the kernel set them (ss -m rb): haetae ${b(ctx.buffers.haetae)} (udpReceiveBufferBytes ${fmt(ctx.udpBuffer)}), rsyslog ${b(ctx.buffers.rsyslog)} (rcvbufSize ${fmt(ctx.rsyslogUdpBuffer)}).\n`);
  }
  for (const n of ctx.notes) process.stdout.write(`note: ${n}\n`);
  if (verdicts.length > 0) process.stdout.write(`\nVerdict (issue 14 targets):\n${verdicts.map((v) => `  ${v}`).join('\n')}\n`);
}

if (process.argv[2] === '--sender') sender();
else main().then(() => process.exit(0), (err: unknown) => { console.error(err instanceof Error ? err.message : err); process.exit(1); });
