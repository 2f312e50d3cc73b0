import dgram from 'node:dgram';
import net from 'node:net';
import pino from 'pino';
import { bindListener, type BoundListener, type ListenerLimits, type ListenerSpec } from '../../../../pipeline/receive/syslog/listeners';
import { connectionLimitEvents } from '../../../../pipeline/roles/receiver-sink';
import { Metrics } from '../../../../pipeline/telemetry/metrics';
import { sleep, until, collectingSink } from '../../../support/listener-sinks';

// Real sockets on loopback (127.0.0.x and ::1), ports chosen by the OS; a sink that keeps frames
// in memory (the Kafka path is in test/integration/receive/limits-receiver.test.ts).

function connect(port: number, localAddress = '127.0.0.1', host = '127.0.0.1'): Promise<{ socket: net.Socket; closed: () => boolean }> {
  return new Promise((resolve, reject) => {
    let closed = false;
    const socket = net.connect({ host, port, localAddress }, () => resolve({ socket, closed: () => closed }));
    socket.on('error', () => undefined);
    socket.on('close', () => { closed = true; });
    socket.once('error', reject);
  });
}

const base: ListenerLimits = { maxMessageBytes: 65_536, udpReceiveBufferBytes: 1024 * 1024, maxConnections: 100, maxConnectionsPerSource: 10, idleTimeoutMs: 60_000 };
const settings = { maxConnections: 100, maxConnectionsPerSource: 10, idleTimeoutMs: 60_000 };
const bound: BoundListener[] = [];
const opened: net.Socket[] = [];

afterEach(async () => {
  for (const s of opened.splice(0)) s.destroy();
  await Promise.all(bound.splice(0).map((l) => l.close()));
});

async function listen(spec: ListenerSpec, limits: ListenerLimits, metrics = new Metrics()): Promise<{ l: BoundListener; sink: ReturnType<typeof collectingSink>; metrics: Metrics }> {
  const sink = collectingSink();
  const l = await bindListener(spec, sink, limits, { onError: () => undefined, ...connectionLimitEvents({ ...settings, rateLimit: limits.rateLimit }, pino({ level: 'silent' }), metrics) });
  bound.push(l);
  return { l, sink, metrics };
}

const line = (i: number): string => `<13>Dec  4 10:00:00 h app: message ${i} ${'x'.repeat(60)}\n`;

describe('per-source rate limit on TCP: pause, then resume, nothing lost', () => {
  it('reads a source over its rate at its rate, while another source is not slowed', async () => {
    const { l, sink, metrics } = await listen({ transport: 'tcp', host: '127.0.0.1', port: 0 }, { ...base, rateLimit: { messagesPerSecond: 2_000, burst: 200 } });
    const noisy = await connect(l.address.port, '127.0.0.1');
    const quiet = await connect(l.address.port, '127.0.0.2');
    opened.push(noisy.socket, quiet.socket);
    const n = 4_000;
    const started = Date.now();
    let all = '';
    for (let i = 0; i < n; i++) all += line(i);
    noisy.socket.write(all);
    await sleep(300);
    // 300 ms in: the burst and ~600 earned, plus at most one socket read (64 KiB = ~750 lines) past it.
    const early = sink.frames.filter((f) => f.peer.source.address === '127.0.0.1').length;
    expect(early).toBeLessThan(200 + 2_000 * 0.3 + 800);
    // The other source is not held back by the first one's debt.
    const q0 = Date.now();
    quiet.socket.write(line(0).repeat(100));
    await until(() => sink.frames.filter((f) => f.peer.source.address === '127.0.0.2').length === 100, 'the quiet source\'s 100 lines');
    expect(Date.now() - q0).toBeLessThan(1_000);
    expect(sink.frames.filter((f) => f.peer.source.address === '127.0.0.1').length).toBeLessThan(n);
    await until(() => sink.frames.filter((f) => f.peer.source.address === '127.0.0.1').length === n, `all ${n} lines of the noisy source`);
    const took = Date.now() - started;
    // (4000 − 200 burst − one last 64 KiB read of ~750 lines) / 2000 per s = 1.5 s at least, and
    // not much more: reading resumes as soon as the debt is paid. Nothing lost, in order.
    expect(took).toBeGreaterThanOrEqual(1_400);
    expect(took).toBeLessThan(4_000);
    const texts = sink.frames.filter((f) => f.peer.source.address === '127.0.0.1').map((f) => f.frame.bytes.toString());
    expect(texts).toEqual(Array.from({ length: n }, (_, i) => line(i).slice(0, -1)));
    expect(await metrics.value('haetae_receiver_limited_total', { source: '127.0.0.1', reason: 'rate_limit' })).toBeGreaterThan(0);
    expect(await metrics.value('haetae_receiver_limited_total', { source: '127.0.0.2', reason: 'rate_limit' })).toBe(0);
    expect(await metrics.value('haetae_dropped_total', { stage: 'receive', reason: 'rate_limit' })).toBe(0);
  }, 15_000);

  it('does not close a connection as idle while the rate limit holds it', async () => {
    const { l, sink, metrics } = await listen({ transport: 'tcp', host: '127.0.0.1', port: 0 }, { ...base, idleTimeoutMs: 1_000, rateLimit: { messagesPerSecond: 500, burst: 10 } });
    const c = await connect(l.address.port);
    opened.push(c.socket);
    // 1,500 lines at 500/s: ~3 s of reading, three idle timeouts long; the sender writes once.
    let all = '';
    for (let i = 0; i < 1_500; i++) all += line(i);
    c.socket.write(all);
    await until(() => sink.frames.length === 1_500, 'all 1,500 lines', 10_000);
    expect(c.closed()).toBe(false);
    expect(await metrics.value('haetae_dropped_total', { stage: 'receive', reason: 'idle_timeout' })).toBe(0);
    // And once it really is idle, it is closed.
    await until(() => c.closed(), 'the idle close', 3_000);
  }, 15_000);

  it('reads what a rate-held sender has in flight when the listener closes', async () => {
    const { l, sink } = await listen({ transport: 'tcp', host: '127.0.0.1', port: 0 }, { ...base, rateLimit: { messagesPerSecond: 100, burst: 10 } });
    const c = await connect(l.address.port);
    opened.push(c.socket);
    let all = '';
    for (let i = 0; i < 1_000; i++) all += line(i);
    c.socket.write(all);
    c.socket.end();
    await sleep(200);
    expect(sink.frames.length).toBeLessThan(1_000);
    bound.splice(bound.indexOf(l), 1);
    await l.close();
    expect(sink.frames.length).toBe(1_000);
  }, 15_000);
});

describe('per-source rate limit on UDP: drop and count', () => {
  it('drops datagrams over a source\'s rate and counts them for that source only', async () => {
    const { l, sink, metrics } = await listen({ transport: 'udp', host: '127.0.0.1', port: 0 }, { ...base, rateLimit: { messagesPerSecond: 10, burst: 50 } });
    const send = async (from: string, count: number): Promise<void> => {
      const client = dgram.createSocket('udp4');
      await new Promise<void>((r) => client.bind(0, from, () => r()));
      for (let i = 0; i < count; i++) await new Promise<void>((r) => client.send(line(i), l.address.port, '127.0.0.1', () => r()));
      client.close();
    };
    await send('127.0.0.1', 300);
    await send('127.0.0.2', 30);
    await until(() => sink.frames.filter((f) => f.peer.source.address === '127.0.0.2').length === 30, 'the quiet source\'s datagrams');
    const fromNoisy = sink.frames.filter((f) => f.peer.source.address === '127.0.0.1').length;
    const droppedNoisy = await metrics.value('haetae_receiver_limited_total', { listener: 'udp/127.0.0.1:0', source: '127.0.0.1', reason: 'rate_limit' });
    // The burst (50) and what ~10/s earned while sending.
    expect(fromNoisy).toBeGreaterThanOrEqual(50);
    expect(fromNoisy).toBeLessThan(70);
    expect(fromNoisy + droppedNoisy).toBe(300);
    expect(sink.frames.filter((f) => f.peer.source.address === '127.0.0.2').length).toBe(30);
    expect(await metrics.value('haetae_receiver_limited_total', { source: '127.0.0.2', reason: 'rate_limit' })).toBe(0);
    expect(await metrics.value('haetae_dropped_total', { stage: 'receive', reason: 'rate_limit' })).toBe(droppedNoisy);
  }, 15_000);

  it('has no limit with messagesPerSecond 0', async () => {
    const { l, sink } = await listen({ transport: 'udp', host: '127.0.0.1', port: 0 }, { ...base, rateLimit: { messagesPerSecond: 0, burst: 1 } });
    const client = dgram.createSocket('udp4');
    for (let i = 0; i < 200; i++) await new Promise<void>((r) => client.send(line(i), l.address.port, '127.0.0.1', () => r()));
    client.close();
    await until(() => sink.frames.length === 200, 'all 200 datagrams');
  });
});

describe('allowed source networks', () => {
  it('closes a TCP connection from outside the list at once, before reading, and takes the allowed ones', async () => {
    const { l, sink, metrics } = await listen({ transport: 'tcp', host: '127.0.0.1', port: 0, allow: ['127.0.0.2/32', '2001:db8::/32'] }, base);
    const outside = await connect(l.address.port, '127.0.0.1');
    const inside = await connect(l.address.port, '127.0.0.2');
    opened.push(outside.socket, inside.socket);
    outside.socket.write(line(1));
    inside.socket.write(line(2));
    await until(() => outside.closed(), 'the refused connection closed');
    await until(() => sink.frames.length === 1, 'the allowed line');
    expect(sink.frames[0]!.peer.source.address).toBe('127.0.0.2');
    expect(inside.closed()).toBe(false);
    expect(await metrics.value('haetae_receiver_limited_total', { source: '127.0.0.1', reason: 'not_allowed' })).toBe(1);
    expect(await metrics.value('haetae_dropped_total', { stage: 'receive', reason: 'not_allowed' })).toBe(1);
  });

  it('drops datagrams from outside the list, counted per source', async () => {
    const { l, sink, metrics } = await listen({ transport: 'udp', host: '127.0.0.1', port: 0, allow: ['127.0.0.2'] }, base);
    for (const from of ['127.0.0.1', '127.0.0.2', '127.0.0.3']) {
      const client = dgram.createSocket('udp4');
      await new Promise<void>((r) => client.bind(0, from, () => r()));
      for (let i = 0; i < 5; i++) await new Promise<void>((r) => client.send(line(i), l.address.port, '127.0.0.1', () => r()));
      client.close();
    }
    await until(() => sink.frames.length === 5, 'the allowed datagrams');
    await sleep(100);
    expect(sink.frames.every((f) => f.peer.source.address === '127.0.0.2')).toBe(true);
    expect(await metrics.value('haetae_receiver_limited_total', { source: '127.0.0.1', reason: 'not_allowed' })).toBe(5);
    expect(await metrics.value('haetae_receiver_limited_total', { source: '127.0.0.3', reason: 'not_allowed' })).toBe(5);
  });

  it('matches an IPv4 sender on a dual-stack listener against IPv4 networks', async () => {
    const { l, sink, metrics } = await listen({ transport: 'tcp', host: '::', port: 0, allow: ['127.0.0.0/8'] }, base);
    const v4 = await connect(l.address.port, '127.0.0.5', '127.0.0.1');
    const v6 = await connect(l.address.port, '::1', '::1');
    opened.push(v4.socket, v6.socket);
    v4.socket.write(line(4));
    v6.socket.write(line(6));
    await until(() => v6.closed(), 'the IPv6 connection (not in the list) closed');
    await until(() => sink.frames.length === 1, 'the IPv4 line');
    expect(sink.frames[0]!.peer.source.address).toBe('::ffff:127.0.0.5');
    expect(await metrics.value('haetae_receiver_limited_total', { source: '::1', reason: 'not_allowed' })).toBe(1);
  });
});

describe('connection limits per listener entry and per source', () => {
  it('counts source_connection_limit against the normalized source of a dual-stack listener', async () => {
    const { l, metrics } = await listen({ transport: 'tcp', host: '::', port: 0 }, { ...base, maxConnectionsPerSource: 2 });
    const conns: Array<{ socket: net.Socket; closed: () => boolean }> = [];
    for (let i = 0; i < 4; i++) conns.push(await connect(l.address.port, '127.0.0.1', '127.0.0.1'));
    opened.push(...conns.map((c) => c.socket));
    await until(() => conns.filter((c) => c.closed()).length === 2, 'two refused');
    expect(await metrics.value('haetae_receiver_limited_total', { source: '127.0.0.1', reason: 'source_connection_limit' })).toBe(2);
  });
});
