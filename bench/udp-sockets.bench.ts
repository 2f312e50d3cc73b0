/**
 * UDP intake: is one socket enough, or do several sockets on one port (`reusePort`, Node ≥ 22.12)
 * or worker threads take more datagrams per second? `npm run bench:udp`.
 *
 * A separate sender process floods 127.0.0.1 with RFC 3164 lines from 16 source ports (so the
 * kernel's reusePort hash spreads them) at a set rate for a few seconds; the receiver does, per
 * datagram, what the real one does before Kafka: the datagram frame, the raw envelope (id, times,
 * addresses, base64 payload) and its JSON encoding. Printed per mode and offered rate: datagrams
 * taken per second, the share of what was sent, and kernel drops (/proc/net/udp, the counter
 * haetae_udp_kernel_drops reads).
 *
 * Modes:
 *   1 socket             one socket on the main thread (what the receiver does)
 *   2 sockets reusePort  two sockets on one port, both on the main thread
 *   2 workers reusePort  two worker threads, each with its own reusePort socket, building and
 *                        encoding envelopes and handing them to the main thread in batches (where
 *                        the Kafka producer would be)
 */
import { fork } from 'node:child_process';
import dgram from 'node:dgram';
import os from 'node:os';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { datagramFrame } from '../pipeline/receive/syslog/framer';
import { buildEnvelope, encodeEnvelope } from '../pipeline/envelope/envelope';
import { EnvelopeIds } from '../pipeline/envelope/envelope-id';
import { udpKernelDrops } from '../pipeline/receive/syslog/kernel-drops';
import { printTable } from './report';

const SECONDS = Number(process.env.BENCH_UDP_SECONDS ?? 3);
const RATES = (process.env.BENCH_UDP_RATES ?? '50000,100000,150000').split(',').map(Number);
const LINE = Buffer.from('<38>Nov 22 10:00:00 web1 sshd[811]: Failed password for invalid user admin from 203.0.113.5 port 52113 ssh2 (bench payload to a typical 200 bytes.....................................)');
const RECV_BUFFER = 8 * 1024 * 1024;

type Mode = '1 socket' | '2 sockets reusePort' | '2 workers reusePort';

/** What the receiver does with each datagram before the producer: frame, envelope, JSON. */
function makeHandler(listener: { address: string; port: number }): (msg: Buffer, rinfo: dgram.RemoteInfo) => Buffer {
  const ids = new EnvelopeIds();
  return (msg, rinfo) => {
    const envelope = buildEnvelope(datagramFrame(msg, 65536), { transport: 'udp', source: { address: rinfo.address, port: rinfo.port }, listener, observerHostname: 'bench', receivedAt: new Date(), id: ids.next() });
    return encodeEnvelope(envelope);
  };
}

function openSocket(port: number, reusePort: boolean): Promise<dgram.Socket> {
  const socket = dgram.createSocket({ type: 'udp4', reuseAddr: false, ...(reusePort ? { reusePort: true } : {}), recvBufferSize: RECV_BUFFER });
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(port, '127.0.0.1', () => resolve(socket));
  });
}

// ---- worker thread: one reusePort socket, envelopes posted to the main thread in batches ----
if (!isMainThread && workerData?.role === 'udp-worker') {
  const { port } = workerData as { port: number };
  void openSocket(port, true).then((socket) => {
    const handle = makeHandler({ address: '127.0.0.1', port });
    let batch: Buffer[] = [];
    const flush = (): void => {
      if (batch.length === 0) return;
      parentPort!.postMessage(batch);
      batch = [];
    };
    const timer = setInterval(flush, 5);
    socket.on('message', (msg, rinfo) => {
      batch.push(handle(msg, rinfo));
      if (batch.length >= 500) flush();
    });
    parentPort!.on('message', (m) => {
      if (m === 'stop') {
        clearInterval(timer);
        flush();
        socket.close(() => parentPort!.postMessage('stopped'));
      }
    });
    parentPort!.postMessage('ready');
  });
}

// ---- sender process: `rate` datagrams/s for `seconds` from 16 source ports ----
async function runSender(port: number, rate: number, seconds: number): Promise<void> {
  const sockets = await Promise.all(Array.from({ length: 16 }, () => new Promise<dgram.Socket>((resolve) => {
    const s = dgram.createSocket('udp4');
    s.bind(0, '127.0.0.1', () => resolve(s));
  })));
  const total = rate * seconds;
  const start = process.hrtime.bigint();
  let sent = 0;
  let inFlight = 0;
  await new Promise<void>((resolve) => {
    const tick = (): void => {
      const elapsed = Number(process.hrtime.bigint() - start) / 1e9;
      const due = Math.min(total, Math.floor(elapsed * rate));
      // At most 2,000 sends outstanding, so a sender that cannot keep up does not queue unboundedly.
      while (sent < due && inFlight < 2000) {
        inFlight++;
        sockets[sent % sockets.length]!.send(LINE, port, '127.0.0.1', () => { inFlight--; });
        sent++;
      }
      if (sent >= total && inFlight === 0) return resolve();
      setImmediate(tick);
    };
    tick();
  });
  const took = Number(process.hrtime.bigint() - start) / 1e9;
  for (const s of sockets) s.close();
  process.send!({ sent, seconds: took });
}

if (isMainThread && process.argv[2] === '--sender') {
  void runSender(Number(process.argv[3]), Number(process.argv[4]), Number(process.argv[5])).then(() => process.exit(0));
}

// ---- the receiver side, per mode ----
async function freePort(): Promise<number> {
  const s = await openSocket(0, false);
  const port = s.address().port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

interface Result { taken: number; sent: number; sendSeconds: number; receiveSeconds: number; drops: number }

async function runMode(mode: Mode, rate: number): Promise<Result> {
  const port = await freePort();
  let taken = 0;
  let first = 0;
  let last = 0;
  const mark = (n: number): void => {
    const now = performance.now();
    if (taken === 0) first = now;
    taken += n;
    last = now;
  };
  const closers: Array<() => Promise<void>> = [];
  if (mode === '2 workers reusePort') {
    for (let i = 0; i < 2; i++) {
      const w = new Worker(__filename, { workerData: { role: 'udp-worker', port } });
      await new Promise<void>((resolve) => w.once('message', () => resolve()));
      w.on('message', (m: unknown) => { if (Array.isArray(m)) mark(m.length); });
      closers.push(() => new Promise<void>((resolve) => {
        w.on('message', (m: unknown) => { if (m === 'stopped') void w.terminate().then(() => resolve()); });
        w.postMessage('stop');
      }));
    }
  } else {
    const n = mode === '1 socket' ? 1 : 2;
    for (let i = 0; i < n; i++) {
      const socket = await openSocket(port, n > 1);
      const handle = makeHandler({ address: '127.0.0.1', port });
      // The encoded envelopes are kept until the batch is "sent", as the producer would.
      let batch: Buffer[] = [];
      socket.on('message', (msg, rinfo) => {
        batch.push(handle(msg, rinfo));
        if (batch.length >= 500) batch = [];
        mark(1);
      });
      closers.push(() => new Promise<void>((r) => socket.close(() => r())));
    }
  }
  const dropsBefore = udpKernelDrops(port) ?? 0;
  const child = fork(__filename, ['--sender', String(port), String(rate), String(SECONDS)], { stdio: 'inherit' });
  const sender = await new Promise<{ sent: number; seconds: number }>((resolve, reject) => {
    child.once('message', (m) => resolve(m as { sent: number; seconds: number }));
    child.once('error', reject);
  });
  // Let the sockets drain what the kernel still holds.
  let quietSince = taken;
  for (;;) {
    await new Promise((r) => setTimeout(r, 300));
    if (taken === quietSince) break;
    quietSince = taken;
  }
  const drops = (udpKernelDrops(port) ?? 0) - dropsBefore;
  for (const c of closers) await c();
  return { taken, sent: sender.sent, sendSeconds: sender.seconds, receiveSeconds: (last - first) / 1000, drops };
}

async function main(): Promise<void> {
  const modes: Mode[] = ['1 socket', '2 sockets reusePort', '2 workers reusePort'];
  const rows: (string | number)[][] = [];
  for (const rate of RATES) {
    for (const mode of modes) {
      const r = await runMode(mode, rate);
      rows.push([mode, rate, Math.round(r.sent / r.sendSeconds), Math.round(r.taken / Math.max(r.receiveSeconds, 1e-3)), `${((100 * r.taken) / r.sent).toFixed(1)}%`, r.drops]);
      process.stderr.write(`  ${mode} at ${rate}/s: ${r.taken}/${r.sent} taken, ${r.drops} kernel drops\n`);
    }
  }
  printTable(
    `UDP intake, ${SECONDS} s per run, ${LINE.length}-byte datagrams from 16 source ports, receive buffer ${RECV_BUFFER / 1048576} MiB asked (${os.cpus().length} cores, Node ${process.version})`,
    ['mode', 'offered/s', 'sent/s', 'taken/s', 'taken', 'kernel drops'],
    rows,
  );
}

if (isMainThread && process.argv[2] !== '--sender') void main();
