/**
 * The traffic generator of bench:latency, run as a child process (`fork`) so that sending never
 * shares an event loop with the webhook receiver that timestamps arrivals, nor the other way round.
 *
 * Told over IPC where to send (UDP, or TCP octet-counted on one connection), at what rate, how
 * often a line is an alerting one, and for how long (warm-up, then the measured window), it sends
 * the realistic background mix of bench/ingest-mix.ts (`mixLine`: auth, firewalls, Cisco IOS,
 * Sysmon, DNS, through the shipped decoders) with, in its place every `every` lines, an sshd
 * "Failed password" line carrying a unique token and the bench marker that the bench rule matches.
 * Paced in ~1 ms slices against the clock (catching up after a late timer, never by more than one
 * second of traffic: a deficit beyond that is dropped and counted as `skipped`, so an overloaded
 * sender falls short visibly instead of bursting). Each alerting line's token and send time
 * (epoch ms with sub-ms precision: performance.timeOrigin + performance.now(), comparable across
 * processes) go to the parent in batches.
 *
 * Bounded: TCP stops writing while the socket has more than 4 MiB queued, UDP while more than
 * 20,000 datagrams await their send callback; both count as `skipped` when they last.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import { bsdTimestamp } from '../pipeline/time/bsd-format';
import { mixLine } from './ingest-mix';

/** From the parent. */
export interface SenderStart {
  type: 'start';
  transport: 'udp' | 'tcp';
  port: number;
  /** Lines per second, alerting ones included. */
  rate: number;
  /** One line in `every` (fractional allowed) is an alerting line. */
  every: number;
  /** Prefix of every hostname and token of this run. */
  token: string;
  warmupMs: number;
  durationMs: number;
}

/** To the parent. */
export type SenderMessage =
  | { type: 'alerts'; items: Array<[token: string, sentEpoch: number, measured: boolean]> }
  | { type: 'measure' }
  | { type: 'progress'; measuredLines: number; measuredMs: number; skipped: number }
  | { type: 'done'; lines: number; measuredLines: number; measuredMs: number; skipped: number; sendErrors: number; firstError: string | null };

const TCP_HIGH_WATER = 4 * 1024 * 1024;
const UDP_MAX_IN_FLIGHT = 20_000;
const now = (): number => performance.timeOrigin + performance.now();

function post(m: SenderMessage): void {
  process.send?.(m);
}

async function run(cfg: SenderStart): Promise<void> {
  let sendErrors = 0;
  let firstError: string | null = null;
  const onError = (err: Error | null): void => {
    if (!err) return;
    sendErrors++;
    firstError ??= err.message;
  };
  let inFlight = 0;
  let send: (line: string) => void;
  let blocked: () => boolean;
  let close: () => Promise<void>;
  if (cfg.transport === 'udp') {
    const sock = dgram.createSocket('udp4');
    sock.on('error', onError);
    await new Promise<void>((r) => sock.connect(cfg.port, '127.0.0.1', () => r()));
    const done = (err: Error | null): void => { inFlight--; onError(err); };
    send = (line) => { inFlight++; sock.send(line, done); };
    blocked = () => inFlight > UDP_MAX_IN_FLIGHT;
    close = () => new Promise((r) => sock.close(() => r()));
  } else {
    const s = net.connect(cfg.port, '127.0.0.1');
    await new Promise<void>((resolve, reject) => { s.once('connect', resolve); s.once('error', reject); });
    s.on('error', onError);
    s.setNoDelay(true);
    send = (line) => { const msg = Buffer.from(line); s.write(Buffer.concat([Buffer.from(`${msg.length} `), msg])); };
    blocked = () => s.writableLength > TCP_HIGH_WATER;
    close = () => new Promise((r) => { s.end(() => r()); setTimeout(() => { s.destroy(); r(); }, 5_000).unref(); });
  }

  let stamp = bsdTimestamp(new Date());
  let stampAt = Date.now();
  let alertBatch: Array<[string, number, boolean]> = [];
  let measured = false;
  let i = 0; // index of the next line (alerting or not)
  let lines = 0;
  let measuredLines = 0;
  let skipped = 0;
  let lastDue = 0;
  const t0 = performance.now();
  let tMeasure = 0;
  let nextFlush = t0 + 200;
  let nextProgress = 0;
  const endAt = t0 + cfg.warmupMs + cfg.durationMs;
  const line = (k: number): string => {
    // Alerting when k crosses a multiple of `every`: exactly rate/every alerting lines per second.
    if (Math.floor((k + 1) / cfg.every) > Math.floor(k / cfg.every)) {
      const token = `${cfg.token}x${k.toString(36)}`;
      const sentEpoch = now();
      alertBatch.push([token, sentEpoch, measured]);
      // The token early in the message: the alert's message keeps its first 200 characters.
      return `<38>${stamp} ${cfg.token}-lat${k % 50} sshd[${1000 + (k % 999)}]: Failed password for invalid user bench from 203.0.113.${1 + (k % 250)} port ${1024 + (k % 60000)} ssh2 [lat tok=${token} t=${Math.round(sentEpoch)}]`;
    }
    return mixLine(k, cfg.token, stamp);
  };

  for (;;) {
    const t = performance.now();
    if (t >= endAt) break;
    if (!measured && t - t0 >= cfg.warmupMs) {
      measured = true;
      tMeasure = t;
      nextProgress = t + 1000;
      post({ type: 'measure' });
    }
    if (Date.now() - stampAt >= 1000) { stamp = bsdTimestamp(new Date()); stampAt = Date.now(); }
    const due = Math.floor(((t - t0) / 1000) * cfg.rate);
    lastDue = due;
    // Never more than one second of traffic behind: the rest is given up (counted), not burst.
    if (due - i > cfg.rate) { skipped += due - i - cfg.rate; i = due - Math.floor(cfg.rate); }
    while (i < due && !blocked()) {
      send(line(i));
      i++;
      lines++;
      if (measured) measuredLines++;
    }
    if (t >= nextFlush && alertBatch.length > 0) {
      post({ type: 'alerts', items: alertBatch });
      alertBatch = [];
      nextFlush = t + 200;
    }
    if (measured && t >= nextProgress) {
      nextProgress += 1000;
      post({ type: 'progress', measuredLines, measuredMs: t - tMeasure, skipped });
    }
    await new Promise((r) => setTimeout(r, 1));
  }
  const measuredMs = measured ? performance.now() - tMeasure : 0;
  if (alertBatch.length > 0) post({ type: 'alerts', items: alertBatch });
  // Lines due but not sent because the transport was still blocked at the end are skipped too.
  skipped += Math.max(0, lastDue - i);
  await close();
  post({ type: 'done', lines, measuredLines, measuredMs, skipped, sendErrors, firstError });
}

process.on('message', (m: SenderStart) => {
  if (m?.type !== 'start') return;
  run(m).then(
    () => process.disconnect?.(),
    (err: unknown) => { process.stderr.write(`latency-sender: ${(err as Error).stack ?? String(err)}\n`); process.exit(1); },
  );
});
