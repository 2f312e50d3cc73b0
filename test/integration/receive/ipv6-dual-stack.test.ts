import dgram from 'node:dgram';
import net from 'node:net';
import pino from 'pino';
import { eventually, uniqueName } from '../../support/services';
import { startReceiverHarness, type ReceiverHarness } from '../../support/receiver-harness';
import type { RawEnvelope } from '../../../schemas/generated/types';
import { bsdTimestamp } from '../../support/syslog-time';

/**
 * IPv6 and dual-stack listeners in one receiver process, against the real Kafka: a listener on
 * '::' takes IPv4 and IPv6 senders over UDP and TCP, an IPv4 sender's address is stored as IPv4
 * (not ::ffff:127.0.0.1) in the envelope, the Kafka key and the per-source limits; a listener on
 * '::1' takes IPv6 loopback. Five listeners share the process.
 */
let h: ReceiverHarness;

const UDP_ANY = 0;
const TCP_ANY = 1;
const UDP_LO6 = 2;
const TCP_LO6 = 3;
const UDP_LO4 = 4;

beforeAll(async () => {
  h = await startReceiverHarness({
    batchMaxDelayMs: 5,
    maxConnectionsPerSource: 2,
    listeners: [
      { transport: 'udp', host: '::', port: 0 },
      { transport: 'tcp', host: '::', port: 0 },
      { transport: 'udp', host: '::1', port: 0 },
      { transport: 'tcp', host: '::1', port: 0 },
      { transport: 'udp', host: '127.0.0.1', port: 0 },
    ],
  }, pino({ level: 'silent' }));
}, 60_000);

afterAll(async () => {
  await h?.stop();
}, 30_000);

const port = (i: number): number => h.receiver.listeners[i]!.address.port;

async function sendUdp(to: string, toPort: number, text: string): Promise<void> {
  const client = dgram.createSocket(net.isIPv6(to) ? 'udp6' : 'udp4');
  await new Promise<void>((r) => client.send(text, toPort, to, () => r()));
  client.close();
}

async function sendTcp(to: string, toPort: number, text: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const s = net.connect({ host: to, port: toPort }, () => s.end(`${text}\n`));
    s.on('error', reject);
    s.on('close', () => resolve());
  });
}

function arrived(text: string): Promise<{ e: RawEnvelope; key: string }> {
  return eventually(async () => h.stored.get(text), `'${text}' in Kafka`, 15_000, 50);
}

/** Stamped once, when the run starts, so a message's text is the same wherever it is built. */
const STAMP = bsdTimestamp(new Date());
const msg = (tag: string): string => `<13>${STAMP} h app: ${tag}`;

describe('dual-stack listener on ::', () => {
  it.each([
    ['UDP', UDP_ANY, sendUdp],
    ['TCP', TCP_ANY, sendTcp],
  ] as const)('%s takes IPv4 and IPv6 senders, storing the IPv4 one as IPv4', async (_name, index, send) => {
    const v4 = msg(uniqueName('v4-'));
    const v6 = msg(uniqueName('v6-'));
    await send('127.0.0.1', port(index), v4);
    await send('::1', port(index), v6);
    const a = await arrived(v4);
    const b = await arrived(v6);
    expect(a.e.source.address).toBe('127.0.0.1');
    expect(a.key).toBe('127.0.0.1');
    expect(b.e.source.address).toBe('::1');
    expect(b.key).toBe('::1');
    expect(a.e.listener.port).toBe(port(index));
    expect(b.e.listener.port).toBe(port(index));
  }, 20_000);

  it('applies per-source connection limits to the IPv4 sender by its IPv4 address', async () => {
    const conns: net.Socket[] = [];
    const closed: boolean[] = [];
    for (let i = 0; i < 3; i++) {
      const s = await new Promise<net.Socket>((resolve, reject) => { const c = net.connect({ host: '127.0.0.1', port: port(TCP_ANY) }, () => resolve(c)); c.once('error', reject); });
      s.on('error', () => undefined);
      s.on('close', () => { closed[i] = true; });
      conns.push(s);
    }
    await eventually(async () => (closed[2] ? true : undefined), 'the third connection refused', 5_000, 20);
    expect(closed.slice(0, 2).some(Boolean)).toBe(false);
    const m = await h.metrics.registry.getSingleMetric('haetae_receiver_limited_total')!.get();
    const hit = m.values.find((v) => v.labels.reason === 'source_connection_limit');
    expect(hit?.labels.source).toBe('127.0.0.1');
    for (const s of conns) s.destroy();
  }, 20_000);
});

describe('IPv6 loopback listeners on ::1, beside IPv4 ones in the same process', () => {
  it('takes UDP and TCP over IPv6', async () => {
    const u = msg(uniqueName('lo6u-'));
    const t = msg(uniqueName('lo6t-'));
    await sendUdp('::1', port(UDP_LO6), u);
    await sendTcp('::1', port(TCP_LO6), t);
    expect((await arrived(u)).e).toMatchObject({ transport: 'udp', source: { address: '::1' }, listener: { address: '::1', port: port(UDP_LO6) } });
    expect((await arrived(t)).e).toMatchObject({ transport: 'tcp', source: { address: '::1' }, listener: { address: '::1', port: port(TCP_LO6) } });
  }, 20_000);

  it('keeps the IPv4-only listener working alongside', async () => {
    const text = msg(uniqueName('lo4-'));
    await sendUdp('127.0.0.1', port(UDP_LO4), text);
    expect((await arrived(text)).e).toMatchObject({ source: { address: '127.0.0.1' }, listener: { address: '127.0.0.1', port: port(UDP_LO4) } });
  }, 20_000);
});
