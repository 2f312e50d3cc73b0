/**
 * The paced sender of bench:soak, run as its own process (forked, IPC channel) so that making and
 * writing lines never shares an event loop with the sampler. It sends the bench:ingest mix
 * (bench/ingest-mix.ts) at a fixed rate over TCP (octet-counted, one connection per source
 * address) or UDP (one socket per source address), line i from source i mod K, in 10 ms slices:
 * each slice sends up to rate × elapsed lines. A TCP connection whose buffer is full (the receiver
 * pushes back) is not written to until it drains, so the sender falls behind rather than buffering
 * without bound; how far behind it is goes to the parent with every progress message.
 *
 * argv[2]: JSON {transport, port, rate, seconds, token, sources: string[]}.
 * To the parent: {type: 'progress', sent, due} every 200 ms, {type: 'done', sent, due, ms} at the
 * end (or after a 'stop' message from the parent).
 */
import dgram from 'node:dgram';
import net from 'node:net';
import { bsdTimestamp } from '../pipeline/time/bsd-format';
import { mixLine } from './ingest-mix';

interface Options {
  transport: 'tcp' | 'udp';
  port: number;
  rate: number;
  seconds: number;
  token: string;
  sources: string[];
}

export interface SenderMessage {
  type: 'progress' | 'done' | 'error';
  sent: number;
  due: number;
  ms: number;
  error?: string;
}

const opts = JSON.parse(process.argv[2] ?? '{}') as Options;
const send = (m: SenderMessage): void => { process.send?.(m); };
/** Lines handed to a socket so far. */
let sent = 0;

async function connectTcp(): Promise<net.Socket[]> {
  return Promise.all(opts.sources.map((localAddress) => new Promise<net.Socket>((resolve, reject) => {
    const s = net.connect({ port: opts.port, host: '127.0.0.1', localAddress });
    s.once('connect', () => { s.off('error', reject); resolve(s); });
    s.once('error', reject);
  })));
}

async function bindUdp(): Promise<dgram.Socket[]> {
  return Promise.all(opts.sources.map((address) => new Promise<dgram.Socket>((resolve, reject) => {
    const s = dgram.createSocket('udp4');
    s.once('error', reject);
    s.bind({ address, port: 0 }, () => { s.off('error', reject); resolve(s); });
  })));
}

async function main(): Promise<void> {
  const tcp = opts.transport === 'tcp' ? await connectTcp() : [];
  const udp = opts.transport === 'udp' ? await bindUdp() : [];
  let failure: Error | null = null;
  for (const s of [...tcp, ...udp]) s.on('error', (e: Error) => { failure ??= e; });
  const k = opts.sources.length;
  const total = Math.round(opts.rate * opts.seconds);
  const t0 = Date.now();
  let stopped = false;
  process.on('message', (m) => { if (m === 'stop') stopped = true; });
  // The header timestamp follows the clock (the worker bounds event time by receive time).
  let stampSecond = -1;
  let stamp = '';
  const due = (): number => Math.min(total, Math.floor(((Date.now() - t0) / 1000) * opts.rate));
  // Often enough that the parent's samples see "sent" at most 200 ms old.
  const progress = setInterval(() => send({ type: 'progress', sent, due: due(), ms: Date.now() - t0 }), 200);
  while (sent < total && !stopped && !failure) {
    const target = due();
    const second = Math.floor(Date.now() / 1000);
    if (second !== stampSecond) { stampSecond = second; stamp = bsdTimestamp(new Date()); }
    while (sent < target) {
      if (tcp.length > 0) {
        const s = tcp[sent % k]!;
        // Pushed back: wait for the next slice (line `sent` stays next, the order per source holds).
        if (s.writableNeedDrain) break;
        const line = mixLine(sent, opts.token, stamp);
        s.write(`${Buffer.byteLength(line)} ${line}`);
      } else {
        udp[sent % k]!.send(mixLine(sent, opts.token, stamp), opts.port, '127.0.0.1');
      }
      sent++;
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  clearInterval(progress);
  await Promise.all(tcp.map((s) => new Promise<void>((r) => s.end(() => r()))));
  // UDP sends are queued in the socket: give them a moment before closing.
  if (udp.length > 0) await new Promise((r) => setTimeout(r, 200));
  for (const s of udp) s.close();
  if (failure) throw failure;
  send({ type: 'done', sent, due: due(), ms: Date.now() - t0 });
}

main().then(() => process.disconnect?.(), (err: unknown) => {
  send({ type: 'error', sent, due: 0, ms: 0, error: (err as Error).message });
  process.exitCode = 1;
  process.disconnect?.();
});
