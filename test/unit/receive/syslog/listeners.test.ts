import dgram from 'node:dgram';
import net from 'node:net';
import pino from 'pino';
import type { Producer, ProducerRecord, RecordMetadata } from 'kafkajs';
import { bindListener, type BoundListener, type ListenerLimits } from '../../../../pipeline/receive/syslog/listeners';
import { BatchingProducer } from '../../../../connectors/kafka/batching-producer';
import { connectionLimitEvents, receiverSink } from '../../../../pipeline/roles/receiver-sink';
import { Metrics } from '../../../../pipeline/telemetry/metrics';
import { sleep, until, collectingSink } from '../../../support/listener-sinks';

// Everything here is loopback (127.0.0.x), with ports chosen by the OS, and bounded in time.

/** A logger whose lines are kept, to count them. */
function capturingLogger(): { log: pino.Logger; lines: Array<{ msg: string; level: number }> } {
  const lines: Array<{ msg: string; level: number }> = [];
  const log = pino({ level: 'info' }, { write: (s: string) => { lines.push(JSON.parse(s)); } });
  return { log, lines };
}

/** Opens a connection; resolves when it is connected, with a flag that turns true when it closes. */
function connect(port: number, localAddress = '127.0.0.1'): Promise<{ socket: net.Socket; closed: () => boolean }> {
  return new Promise((resolve, reject) => {
    let closed = false;
    const socket = net.connect({ host: '127.0.0.1', port, localAddress }, () => resolve({ socket, closed: () => closed }));
    socket.on('error', () => undefined); // refused connections may be reset
    socket.on('close', () => { closed = true; });
    socket.once('error', reject);
  });
}

const base: ListenerLimits = { maxMessageBytes: 65_536, udpReceiveBufferBytes: 4 * 1024 * 1024 };
const opened: Array<{ socket: net.Socket }> = [];
const bound: BoundListener[] = [];

afterEach(async () => {
  for (const c of opened.splice(0)) c.socket.destroy();
  await Promise.all(bound.splice(0).map((l) => l.close()));
});

describe('TCP listener bounds', () => {
  it('closes connections over maxConnections at once, counts them and logs once a minute per source', async () => {
    const metrics = new Metrics();
    const { log, lines } = capturingLogger();
    const limits = { ...base, maxConnections: 50, maxConnectionsPerSource: 1000, idleTimeoutMs: 60_000 };
    const l = await bindListener({ transport: 'tcp', host: '127.0.0.1', port: 0 }, collectingSink(), limits, { onError: () => undefined, ...connectionLimitEvents(limits, log, metrics) });
    bound.push(l);
    const conns: Array<{ socket: net.Socket; closed: () => boolean }> = [];
    for (let i = 0; i < 100; i++) {
      const c = await connect(l.address.port);
      opened.push(c);
      conns.push(c);
    }
    await until(() => conns.filter((c) => c.closed()).length >= 50, '50 connections closed by the listener');
    await sleep(200);
    expect(conns.filter((c) => c.closed()).length).toBe(50);
    expect(conns.slice(0, 50).every((c) => !c.closed())).toBe(true);
    expect(await metrics.value('haetae_dropped_total', { stage: 'receive', reason: 'connection_limit' })).toBe(50);
    expect(lines.filter((x) => x.msg.includes('receiver.maxConnections')).length).toBe(1);

    // A closed connection makes room for a new one.
    conns[0]!.socket.destroy();
    await sleep(100);
    const again = await connect(l.address.port);
    opened.push(again);
    await sleep(200);
    expect(again.closed()).toBe(false);
  }, 20_000);

  it('limits connections per source address, not the others', async () => {
    const metrics = new Metrics();
    const limits = { ...base, maxConnections: 100, maxConnectionsPerSource: 3, idleTimeoutMs: 60_000 };
    const l = await bindListener({ transport: 'tcp', host: '127.0.0.1', port: 0 }, collectingSink(), limits, { onError: () => undefined, ...connectionLimitEvents(limits, pino({ level: 'silent' }), metrics) });
    bound.push(l);
    const one: Array<{ socket: net.Socket; closed: () => boolean }> = [];
    for (let i = 0; i < 5; i++) opened.push((one[i] = await connect(l.address.port, '127.0.0.1')));
    const two: Array<{ socket: net.Socket; closed: () => boolean }> = [];
    for (let i = 0; i < 3; i++) opened.push((two[i] = await connect(l.address.port, '127.0.0.2')));
    await until(() => one.filter((c) => c.closed()).length >= 2, 'two connections of 127.0.0.1 closed');
    await sleep(200);
    expect(one.map((c) => c.closed())).toEqual([false, false, false, true, true]);
    expect(two.some((c) => c.closed())).toBe(false);
    expect(await metrics.value('haetae_dropped_total', { stage: 'receive', reason: 'connection_limit' })).toBe(2);
  }, 20_000);

  it('closes a connection idle for idleTimeoutMs, keeping the unterminated line it held', async () => {
    const metrics = new Metrics();
    const sink = collectingSink();
    const limits = { ...base, maxConnections: 10, maxConnectionsPerSource: 10, idleTimeoutMs: 300 };
    const l = await bindListener({ transport: 'tcp', host: '127.0.0.1', port: 0 }, sink, limits, { onError: () => undefined, ...connectionLimitEvents(limits, pino({ level: 'silent' }), metrics) });
    bound.push(l);
    const idle = await connect(l.address.port);
    const busy = await connect(l.address.port);
    opened.push(idle, busy);
    const idlePort = idle.socket.localPort;
    idle.socket.write('<13>Nov 22 10:00:00 h app: complete\n<13>Nov 22 10:00:00 h app: half a li');
    const started = Date.now();
    while (Date.now() - started < 900) {
      busy.socket.write('<13>Nov 22 10:00:00 h app: tick\n');
      await sleep(100);
    }
    await until(() => idle.closed(), 'the idle connection closed');
    expect(busy.closed()).toBe(false);
    const fromIdle = sink.frames.filter((f) => f.peer.source.port === idlePort).map((f) => f.frame.bytes.toString());
    expect(fromIdle).toEqual(['<13>Nov 22 10:00:00 h app: complete', '<13>Nov 22 10:00:00 h app: half a li']);
    expect(await metrics.value('haetae_dropped_total', { stage: 'receive', reason: 'idle_timeout' })).toBe(1);
  }, 20_000);
});

/** A Kafka producer that stores nothing and answers nothing until released. */
function blockedProducer(): { producer: Producer; release: () => void; stored: () => number } {
  let released: () => void;
  const gate = new Promise<void>((r) => { released = r; });
  let stored = 0;
  const producer = {
    send: async (record: ProducerRecord): Promise<RecordMetadata[]> => {
      await gate;
      stored += record.messages.length;
      return [];
    },
  } as unknown as Producer;
  return { producer, release: () => released(), stored: () => stored };
}

describe('receiver memory bounded in bytes while Kafka does not answer', () => {
  const maxPendingBytes = 512 * 1024;

  function setup() {
    const metrics = new Metrics();
    const kafka = blockedProducer();
    const log = pino({ level: 'silent' });
    // The message-count limit is far away: only the byte bound can stop these.
    const batching = new BatchingProducer(kafka.producer, { topic: 'haetae.raw', maxBatch: 1000, maxDelayMs: 5, maxPending: 50_000, maxPendingBytes, stage: 'receive', brokers: ['127.0.0.1:9092'] }, log, metrics);
    const sink = receiverSink(batching, { maxMessageBytes: 65_536, maxPendingMessages: 50_000, maxPendingBytes, observerHostname: 'test' }, log, metrics);
    return { metrics, kafka, batching, sink };
  }

  it('drops (and counts) datagrams past twice maxPendingBytes', async () => {
    const { metrics, kafka, batching, sink } = setup();
    const l = await bindListener({ transport: 'udp', host: '127.0.0.1', port: 0 }, sink, base, { onError: () => undefined });
    bound.push(l);
    const client = dgram.createSocket('udp4');
    const datagram = Buffer.alloc(60_000, 'x');
    let peak = 0;
    for (let i = 0; i < 40; i++) {
      await new Promise<void>((r) => client.send(datagram, l.address.port, '127.0.0.1', () => r()));
      await sleep(5);
      peak = Math.max(peak, batching.pendingBytes);
    }
    await sleep(100);
    client.close();
    const received = await metrics.value('haetae_received_total', { stage: 'receive', transport: 'udp' });
    const dropped = await metrics.value('haetae_dropped_total', { stage: 'receive', reason: 'overload' });
    expect(dropped).toBeGreaterThan(0);
    // Each 60,000-byte datagram is an 80,000-byte base64 envelope: the bound is checked before each.
    expect(batching.pendingBytes).toBeLessThan(2 * maxPendingBytes + 81_000);
    expect(peak).toBeLessThan(2 * maxPendingBytes + 81_000);
    kafka.release();
    await batching.flush();
    expect(kafka.stored() + dropped).toBe(received);
  }, 20_000);

  it('pauses reading TCP past maxPendingBytes and resumes when Kafka takes the messages', async () => {
    const { kafka, batching, sink } = setup();
    const l = await bindListener({ transport: 'tcp', host: '127.0.0.1', port: 0 }, sink, base, { onError: () => undefined });
    bound.push(l);
    const c = await connect(l.address.port);
    opened.push(c);
    const line = `<13>Nov 22 10:00:00 h app: ${'y'.repeat(1000)}\n`;
    const lines = 3000; // ~3 MB, six times the bound
    c.socket.write(line.repeat(lines));
    await sleep(500);
    const held = batching.pending;
    expect(held).toBeLessThan(lines);
    // Paused: the bound plus at most one socket read of frames past it.
    expect(batching.pendingBytes).toBeLessThan(maxPendingBytes + 200_000);
    await sleep(300);
    expect(batching.pending).toBe(held); // still paused: nothing more was read
    kafka.release();
    await until(() => kafka.stored() === lines, `all ${lines} lines stored after Kafka came back`, 10_000);
  }, 20_000);
});
