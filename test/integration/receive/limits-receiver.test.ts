import dgram from 'node:dgram';
import net from 'node:net';
import { Writable } from 'node:stream';
import pino from 'pino';
import { loadConfig } from '../../../pipeline/config/load';
import { startReceiver } from '../../../pipeline/roles/receiver';
import { createKafka } from '../../../connectors/kafka/client';
import { Metrics } from '../../../pipeline/telemetry/metrics';
import type { RawEnvelope } from '../../../schemas/generated/types';
import { writeConfig } from '../../support/haetae-process';
import { eventually, services, uniqueName } from '../../support/services';
import { startReceiverHarness, type ReceiverHarness } from '../../support/receiver-harness';
import { bsdTimestamp } from '../../support/syslog-time';

/**
 * Per-source limits in the receiver role, against the real Kafka: a TCP source over its rate is
 * slowed, not cut (everything it sent is stored), a UDP source over its rate loses the excess,
 * counted for that source; allowed networks keep everyone else out. Loopback only (127.0.0.x).
 */
let h: ReceiverHarness;
const logLines: string[] = [];
let ports: number[];

const TCP_RATE = 0;
const UDP_RATE = 1;
const TCP_ALLOW = 2;
const UDP_ALLOW = 3;

beforeAll(async () => {
  const logger = pino({ level: 'info' }, new Writable({ write(chunk, _enc, cb) { logLines.push(String(chunk)); cb(); } }));
  h = await startReceiverHarness({
    batchMaxDelayMs: 5,
    // A limit no test reaches, except where a listener entry sets its own.
    rateLimit: { messagesPerSecond: 100_000, burst: 100_000 },
    listeners: [
      { transport: 'tcp', host: '127.0.0.1', port: 0, rateLimit: { messagesPerSecond: 2_000, burst: 200 } },
      { transport: 'udp', host: '127.0.0.1', port: 0, rateLimit: { messagesPerSecond: 20, burst: 50 } },
      { transport: 'tcp', host: '127.0.0.1', port: 0, allow: ['127.0.0.2/32', '2001:db8::/32'] },
      { transport: 'udp', host: '127.0.0.1', port: 0, allow: ['127.0.0.2'] },
    ],
  }, logger);
  ports = h.receiver.listeners.map((l) => l.address.port);
}, 60_000);

afterAll(async () => {
  await h?.stop();
}, 30_000);

/** Sum of a counter over every series matching `labels` (several listeners share a source). */
async function total(name: string, labels: Record<string, string>): Promise<number> {
  const m = await h.metrics.registry.getSingleMetric(name)!.get();
  return m.values.filter((v) => Object.entries(labels).every(([k, x]) => v.labels[k] === x)).reduce((n, v) => n + v.value, 0);
}

function storedWith(tag: string): RawEnvelope[] {
  return [...h.stored.entries()].filter(([text]) => text.includes(tag)).map(([, { e }]) => e);
}

function connect(port: number, localAddress: string): Promise<{ socket: net.Socket; closed: () => boolean }> {
  return new Promise((resolve, reject) => {
    let closed = false;
    const socket = net.connect({ host: '127.0.0.1', port, localAddress }, () => resolve({ socket, closed: () => closed }));
    socket.on('error', () => undefined);
    socket.on('close', () => { closed = true; });
    socket.once('error', reject);
  });
}

async function sendUdp(port: number, from: string, lines: string[]): Promise<void> {
  const client = dgram.createSocket('udp4');
  await new Promise<void>((r) => client.bind(0, from, () => r()));
  for (const l of lines) await new Promise<void>((r) => client.send(l, port, '127.0.0.1', () => r()));
  client.close();
}

/** Stamped once, when the run starts, so a line's text is the same wherever it is built. */
const STAMP = bsdTimestamp(new Date());
const line = (tag: string, i: number): string => `<13>${STAMP} h app: ${tag} ${i} ${'x'.repeat(80)}`;

describe('per-source rate limit', () => {
  it('TCP: slows a source over its rate to its rate and stores every message it sent', async () => {
    const tag = uniqueName('tcprate-');
    const c = await connect(ports[TCP_RATE]!, '127.0.0.1');
    const n = 4_000;
    const started = Date.now();
    c.socket.write(Array.from({ length: n }, (_, i) => `${line(tag, i)}\n`).join(''));
    c.socket.end();
    await eventually(async () => (storedWith(tag).length === n ? true : undefined), `all ${n} messages in Kafka`, 12_000, 50);
    const took = Date.now() - started;
    // At 2,000/s past a burst of 200 (less one last socket read past the allowance): ≥ 1.4 s.
    expect(took).toBeGreaterThanOrEqual(1_400);
    expect(new Set(storedWith(tag).map((e) => Buffer.from(e.payload, 'base64').toString())).size).toBe(n);
    expect(await total('haetae_receiver_limited_total', { source: '127.0.0.1', reason: 'rate_limit' })).toBeGreaterThan(0);
    expect(await total('haetae_dropped_total', { stage: 'receive', reason: 'rate_limit' })).toBe(0);
    expect(logLines.some((l) => l.includes('Paused reading TCP connections from 127.0.0.1') && l.includes('2000 messages/s, burst 200'))).toBe(true);
  }, 15_000);

  it('UDP: drops what a source sends over its rate, counts it for that source, stores the rest', async () => {
    const tag = uniqueName('udprate-');
    const before = await total('haetae_receiver_limited_total', { source: '127.0.0.1', reason: 'rate_limit' });
    const beforeDropped = await total('haetae_dropped_total', { stage: 'receive', reason: 'rate_limit' });
    await sendUdp(ports[UDP_RATE]!, '127.0.0.1', Array.from({ length: 300 }, (_, i) => line(tag, i)));
    await sendUdp(ports[UDP_RATE]!, '127.0.0.2', Array.from({ length: 30 }, (_, i) => line(`${tag}-other`, i)));
    await eventually(async () => (storedWith(`${tag}-other`).length === 30 ? true : undefined), 'the other source\'s 30 datagrams', 10_000, 50);
    const dropped = (await total('haetae_receiver_limited_total', { source: '127.0.0.1', reason: 'rate_limit' })) - before;
    const kept = storedWith(tag).filter((e) => !Buffer.from(e.payload, 'base64').toString().includes('-other')).length;
    // The burst of 50 plus what 20/s earned while sending.
    expect(kept).toBeGreaterThanOrEqual(50);
    expect(kept).toBeLessThan(70);
    expect(kept + dropped).toBe(300);
    expect((await total('haetae_dropped_total', { stage: 'receive', reason: 'rate_limit' })) - beforeDropped).toBe(dropped);
    expect(await total('haetae_receiver_limited_total', { source: '127.0.0.2', reason: 'rate_limit' })).toBe(0);
    expect(logLines.filter((l) => l.includes('Dropped a UDP message from 127.0.0.1') && l.includes('per-source rate limit')).length).toBe(1);
  }, 15_000);
});

describe('allowed source networks', () => {
  it('TCP: closes a connection from outside at once and stores nothing of it; an allowed one is stored', async () => {
    const tag = uniqueName('tcpallow-');
    const outside = await connect(ports[TCP_ALLOW]!, '127.0.0.1');
    const inside = await connect(ports[TCP_ALLOW]!, '127.0.0.2');
    outside.socket.write(`${line(tag, 1)}\n`);
    inside.socket.write(`${line(tag, 2)}\n`);
    await eventually(async () => (outside.closed() ? true : undefined), 'the outside connection closed', 5_000, 20);
    const [e] = await eventually(async () => { const s = storedWith(tag); return s.length > 0 ? s : undefined; }, 'the allowed line', 10_000, 50);
    expect(e!.source.address).toBe('127.0.0.2');
    inside.socket.end();
    await new Promise((r) => setTimeout(r, 300));
    expect(storedWith(tag).length).toBe(1);
    expect(await total('haetae_receiver_limited_total', { source: '127.0.0.1', reason: 'not_allowed' })).toBeGreaterThanOrEqual(1);
    expect(logLines.some((l) => l.includes('Closed a TCP connection from 127.0.0.1') && l.includes('allowed networks'))).toBe(true);
  }, 15_000);

  it('UDP: drops datagrams from outside, counted per source and logged once per source per minute', async () => {
    const tag = uniqueName('udpallow-');
    await sendUdp(ports[UDP_ALLOW]!, '127.0.0.3', Array.from({ length: 10 }, (_, i) => line(tag, i)));
    await sendUdp(ports[UDP_ALLOW]!, '127.0.0.2', [line(`${tag}-in`, 0)]);
    await eventually(async () => (storedWith(`${tag}-in`).length === 1 ? true : undefined), 'the allowed datagram', 10_000, 50);
    expect(storedWith(tag).length).toBe(1);
    expect(await total('haetae_receiver_limited_total', { source: '127.0.0.3', reason: 'not_allowed' })).toBe(10);
    expect(await total('haetae_dropped_total', { stage: 'receive', reason: 'not_allowed' })).toBeGreaterThanOrEqual(10);
    expect(logLines.filter((l) => l.includes('from 127.0.0.3') && l.includes('allowed networks')).length).toBe(1);
  }, 15_000);

  it('stops start-up naming the key when an allowed network is not one', async () => {
    const rawTopic = `haetae.test.${uniqueName('')}.raw`;
    const bad = writeConfig({
      kafka: { brokers: services.kafkaBrokers, rawTopic, dlqTopic: `${rawTopic}.dlq`, rawPartitions: 1 },
      receiver: { listeners: [{ transport: 'udp', host: '127.0.0.1', port: 0 }, { transport: 'tcp', host: '127.0.0.1', port: 0, allow: ['10.0.0.0/8', '10.0.0.0/33'] }] },
    });
    const loaded = loadConfig({ file: bad, env: {} });
    const log = pino({ level: 'silent' });
    await expect(startReceiver(loaded, createKafka(loaded.config.kafka, log), log, new Metrics())).rejects.toThrow("/receiver/listeners/1/allow[1]: '10.0.0.0/33' is not an IP address or CIDR network");
    // A host name is refused when the config is read.
    const named = writeConfig({ receiver: { listeners: [{ transport: 'tcp', port: 5514, allow: ['syslog.example.com'] }] } });
    expect(() => loadConfig({ file: named, env: {} })).toThrow(/\/receiver\/listeners\/0\/allow\/0/);
  }, 30_000);
});
