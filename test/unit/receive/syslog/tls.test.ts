import { randomBytes, X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import tls from 'node:tls';
import pino from 'pino';
import { bindListener, type BoundListener, type ListenerLimits, type ListenerSpec, type PeerInfo } from '../../../../pipeline/receive/syslog/listeners';
import { tlsRefusalEvents, type TlsListenerLimits } from '../../../../pipeline/receive/syslog/tls';
import { Metrics } from '../../../../pipeline/telemetry/metrics';
import { CLIENT_DN, makeTestPki, type CertFiles, type TestPki } from '../../../support/tls-certs';
import { sleep, until, collectingSink } from '../../../support/listener-sinks';

// Loopback only, OS-chosen ports, every wait bounded. Certificates come from test/support/tls-certs.ts.

function capturingLogger(): { log: pino.Logger; lines: Array<{ msg: string; level: number; reason?: string }> } {
  const lines: Array<{ msg: string; level: number; reason?: string }> = [];
  const log = pino({ level: 'info' }, { write: (s: string) => { lines.push(JSON.parse(s)); } });
  return { log, lines };
}

const octet = (msg: string): string => `${Buffer.byteLength(msg)} ${msg}`;

let pki: TestPki;
const bound: BoundListener[] = [];
const sockets: net.Socket[] = [];

beforeAll(() => { pki = makeTestPki(); });
afterAll(() => pki?.remove());
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await Promise.all(bound.splice(0).map((l) => l.close()));
});

interface Harness {
  listener: BoundListener;
  sink: ReturnType<typeof collectingSink>;
  metrics: Metrics;
  lines: Array<{ msg: string; level: number; reason?: string }>;
  errors: Error[];
}

async function start(spec: Partial<ListenerSpec>, limits: Partial<TlsListenerLimits> = {}): Promise<Harness> {
  const metrics = new Metrics();
  const { log, lines } = capturingLogger();
  const sink = collectingSink();
  const errors: Error[] = [];
  const full: TlsListenerLimits = { maxMessageBytes: 65_536, udpReceiveBufferBytes: 1 << 20, maxConnections: 100, maxConnectionsPerSource: 100, ...limits };
  const listener = await bindListener(
    { transport: 'tls', host: '127.0.0.1', port: 0, certFile: pki.server.cert, keyFile: pki.server.key, caFile: pki.ca.cert, clientAuth: 'required', ...spec },
    sink,
    full as ListenerLimits,
    { onError: (_s, err) => errors.push(err), ...tlsRefusalEvents(log, metrics) },
  );
  bound.push(listener);
  return { listener, sink, metrics, lines, errors };
}

/** A TLS client; resolves once the handshake is done (or rejects with its error). */
function tlsClient(port: number, opts: { client?: CertFiles; ca?: string } = {}): Promise<tls.TLSSocket> {
  return new Promise((resolve, reject) => {
    const s = tls.connect({
      host: '127.0.0.1', port, servername: 'localhost',
      ca: fs.readFileSync(opts.ca ?? pki.ca.cert),
      ...(opts.client ? { cert: fs.readFileSync(opts.client.cert), key: fs.readFileSync(opts.client.key) } : {}),
    }, () => resolve(s));
    sockets.push(s);
    s.once('error', reject);
  });
}

/** Connects, sends, and resolves when the server closed the connection (true) or after `ms` (false). */
async function closedByServer(port: number, opts: { client?: CertFiles }, ms = 3_000): Promise<boolean> {
  let closed = false;
  const s = tls.connect({ host: '127.0.0.1', port, servername: 'localhost', ca: fs.readFileSync(pki.ca.cert), ...(opts.client ? { cert: fs.readFileSync(opts.client.cert), key: fs.readFileSync(opts.client.key) } : {}) });
  sockets.push(s);
  s.on('error', () => undefined);
  s.on('close', () => { closed = true; });
  s.on('secureConnect', () => s.write(octet('<13>1 - h app - - - should never arrive')));
  const deadline = Date.now() + ms;
  while (!closed && Date.now() < deadline) await sleep(10);
  return closed;
}

describe('TLS syslog listener (RFC 5425)', () => {
  it('hands octet-counted frames to the sink with the verified client certificate on the peer', async () => {
    const h = await start({});
    const s = await tlsClient(h.listener.address.port, { client: pki.client });
    expect(s.getProtocol()).toMatch(/^TLSv1\.[23]$/);
    s.write(octet('<13>1 2026-01-01T00:00:00Z h app - - - first') + octet('<13>1 2026-01-01T00:00:00Z h app - - - second\nwith a newline'));
    s.write('<13>Nov 22 10:00:00 h app: lf framed\n');
    await until(() => h.sink.frames.length === 3, 'three frames');
    expect(h.sink.frames.map((f) => f.frame.bytes.toString())).toEqual([
      '<13>1 2026-01-01T00:00:00Z h app - - - first',
      '<13>1 2026-01-01T00:00:00Z h app - - - second\nwith a newline',
      '<13>Nov 22 10:00:00 h app: lf framed',
    ]);
    expect(h.sink.frames.map((f) => f.frame.framing)).toEqual(['octet-counting', 'octet-counting', 'lf']);
    const peer = h.sink.frames[0]!.peer;
    const clientCert = new X509Certificate(fs.readFileSync(pki.client.cert));
    expect(peer.transport).toBe('tls');
    expect(peer.tls).toEqual({ subject: CLIENT_DN, issuer: 'CN=Haetae Test CA,O=Haetae Test', fingerprint256: clientCert.fingerprint256 });
    expect(peer.source.address).toBe('127.0.0.1');
  }, 20_000);

  it('refuses, counts and logs (once per peer and reason) clients without a trusted, valid certificate when clientAuth is required', async () => {
    const h = await start({ clientAuth: 'required' });
    const port = h.listener.address.port;
    expect(await closedByServer(port, {})).toBe(true);
    expect(await closedByServer(port, { client: pki.untrusted })).toBe(true);
    expect(await closedByServer(port, { client: pki.untrusted })).toBe(true);
    expect(await closedByServer(port, { client: pki.expired })).toBe(true);
    await sleep(200);
    expect(h.sink.frames).toHaveLength(0);
    const dropped = (reason: string): Promise<number> => h.metrics.value('haetae_dropped_total', { stage: 'receive', reason });
    expect(await dropped('tls_no_client_cert')).toBe(1);
    expect(await dropped('tls_untrusted_cert')).toBe(2);
    expect(await dropped('tls_expired_cert')).toBe(1);
    const refusals = h.lines.filter((l) => l.msg.startsWith('Refused a TLS connection'));
    expect(refusals.map((l) => l.reason).sort()).toEqual(['tls_expired_cert', 'tls_no_client_cert', 'tls_untrusted_cert']);
    expect(refusals.find((l) => l.reason === 'tls_expired_cert')!.msg).toContain('CERT_HAS_EXPIRED');
    // A trusted client still gets in.
    const ok = await tlsClient(port, { client: pki.client });
    ok.write(octet('<13>1 - h app - - - trusted'));
    await until(() => h.sink.frames.length === 1, 'the trusted client\'s frame');
  }, 30_000);

  it('refuses a plaintext syslog client on the TLS port (tls_plaintext) and a TLS 1.1 client (tls_handshake)', async () => {
    const h = await start({ clientAuth: 'none' });
    const port = h.listener.address.port;
    const plain = net.connect(port, '127.0.0.1', () => plain.write('<13>Nov 22 10:00:00 h app: plaintext\n'));
    sockets.push(plain);
    plain.on('error', () => undefined);
    let closed = false;
    plain.on('close', () => { closed = true; });
    await until(() => closed, 'the plaintext connection closed');
    const old = tls.connect({ host: '127.0.0.1', port, ca: fs.readFileSync(pki.ca.cert), minVersion: 'TLSv1', maxVersion: 'TLSv1.1' });
    sockets.push(old);
    let oldError: Error | undefined;
    old.on('error', (e) => { oldError = e; });
    await until(() => oldError !== undefined, 'the TLS 1.1 client to fail');
    await until(() => h.lines.length >= 2, 'two refusal lines');
    expect(await h.metrics.value('haetae_dropped_total', { stage: 'receive', reason: 'tls_plaintext' })).toBe(1);
    expect(await h.metrics.value('haetae_dropped_total', { stage: 'receive', reason: 'tls_handshake' })).toBe(1);
    expect(h.sink.frames).toHaveLength(0);
  }, 20_000);

  it('clientAuth optional: accepts clients without a certificate and records only verified ones', async () => {
    const h = await start({ clientAuth: 'optional' });
    const port = h.listener.address.port;
    (await tlsClient(port)).write(octet('<13>1 - h app - - - anonymous'));
    (await tlsClient(port, { client: pki.untrusted })).write(octet('<13>1 - h app - - - unverified'));
    (await tlsClient(port, { client: pki.client })).write(octet('<13>1 - h app - - - verified'));
    await until(() => h.sink.frames.length === 3, 'three frames');
    const by = (t: string): PeerInfo => h.sink.frames.find((f) => f.frame.bytes.toString().endsWith(` ${t}`))!.peer;
    expect(by('anonymous').tls).toBeUndefined();
    expect(by('unverified').tls).toBeUndefined();
    expect(by('verified').tls?.subject).toBe(CLIENT_DN);
  }, 20_000);

  it('fails to start with an error naming the file when the certificate, key or CA is missing or the key does not match', async () => {
    const missing = path.join(pki.dir, 'nope.crt');
    await expect(start({ certFile: missing })).rejects.toThrow(`certFile ${missing} cannot be read`);
    await expect(start({ keyFile: pki.client.key })).rejects.toThrow(`keyFile ${pki.client.key} is not the private key of certFile ${pki.server.cert}`);
    await expect(start({ caFile: pki.server.key })).rejects.toThrow(`caFile ${pki.server.key} is not a PEM certificate`);
    await expect(start({ certFile: undefined })).rejects.toThrow('needs certFile and keyFile');
    await expect(start({ caFile: undefined, clientAuth: 'required' })).rejects.toThrow('clientAuth required needs caFile');
  }, 20_000);

  it('reloads a replaced certificate and key for new connections while an open connection keeps working; a bad file keeps the old ones', async () => {
    const dir = fs.mkdtempSync(path.join(pki.dir, 'live-'));
    const cert = path.join(dir, 'server.crt');
    const key = path.join(dir, 'server.key');
    const ca = path.join(dir, 'ca.crt');
    fs.copyFileSync(pki.server.cert, cert);
    fs.copyFileSync(pki.server.key, key);
    fs.writeFileSync(ca, fs.readFileSync(pki.ca.cert));
    const h = await start({ certFile: cert, keyFile: key, caFile: ca, clientAuth: 'required' }, { tlsReloadPollMs: 100 });
    const port = h.listener.address.port;
    const first = await tlsClient(port, { client: pki.client });
    const fp1 = first.getPeerX509Certificate()!.fingerprint256;
    first.write(octet('<13>1 - h app - - - before reload'));

    // Replaced as deployment tools do it: new files renamed over the old ones.
    fs.copyFileSync(pki.server2.cert, `${cert}.new`);
    fs.copyFileSync(pki.server2.key, `${key}.new`);
    fs.renameSync(`${cert}.new`, cert);
    fs.renameSync(`${key}.new`, key);
    await until(() => h.lines.some((l) => l.msg.startsWith('Reloaded the TLS certificate')), 'the reload', 5_000);

    const second = await tlsClient(port, { client: pki.client, ca: pki.otherCa.cert });
    const fp2 = second.getPeerX509Certificate()!.fingerprint256;
    expect(fp2).toBe(new X509Certificate(fs.readFileSync(pki.server2.cert)).fingerprint256);
    expect(fp2).not.toBe(fp1);
    // A client that only trusts the old CA no longer gets in.
    await expect(tlsClient(port, { client: pki.client })).rejects.toThrow();

    second.write(octet('<13>1 - h app - - - new connection'));
    first.write(octet('<13>1 - h app - - - old connection after reload'));
    await until(() => h.sink.frames.length === 3, 'three frames');
    expect(h.sink.frames.map((f) => f.frame.bytes.toString()).sort()).toEqual([
      '<13>1 - h app - - - before reload', '<13>1 - h app - - - new connection', '<13>1 - h app - - - old connection after reload',
    ].sort());
    expect(first.destroyed).toBe(false);

    // A broken certificate: logged, counted, and the current one stays in use.
    fs.writeFileSync(cert, 'not a certificate\n');
    await until(() => h.lines.some((l) => l.msg.includes('cannot be used, so the previous certificate')), 'the failed reload', 5_000);
    expect(await h.metrics.value('haetae_errors_total', { stage: 'receive', error_type: 'tls_reload' })).toBeGreaterThanOrEqual(1);
    const third = await tlsClient(port, { client: pki.client, ca: pki.otherCa.cert });
    expect(third.getPeerX509Certificate()!.fingerprint256).toBe(fp2);
  }, 30_000);

  it('counts connections still in their handshake against maxConnections: silent peers cannot take every slot', async () => {
    const refusedLimits: string[] = [];
    const metrics = new Metrics();
    const sink = collectingSink();
    const limits: TlsListenerLimits = { maxMessageBytes: 65_536, udpReceiveBufferBytes: 1 << 20, maxConnections: 5, maxConnectionsPerSource: 100 };
    const listener = await bindListener(
      { transport: 'tls', host: '127.0.0.1', port: 0, certFile: pki.server.cert, keyFile: pki.server.key, clientAuth: 'none' },
      sink, limits, { onError: () => undefined, onConnectionRefused: (_s, _src, limit) => refusedLimits.push(limit), ...tlsRefusalEvents(pino({ level: 'silent' }), metrics) },
    );
    bound.push(listener);
    // Five peers connect and say nothing (no ClientHello).
    const silent: net.Socket[] = [];
    for (let i = 0; i < 5; i++) {
      const s = net.connect(listener.address.port, '127.0.0.1');
      s.on('error', () => undefined);
      sockets.push(s);
      silent.push(s);
      await new Promise((r) => s.once('connect', r));
    }
    await sleep(100);
    // The sixth, a real client, is refused before any TLS work: the five hold every slot.
    await expect(tlsClient(listener.address.port)).rejects.toThrow();
    expect(refusedLimits).toEqual(['total']);
    // One silent peer leaves: the slot is free again.
    silent[0]!.destroy();
    await sleep(100);
    (await tlsClient(listener.address.port)).write(octet('<13>1 - h app - - - got a slot'));
    await until(() => sink.frames.length === 1, 'the frame');
  }, 20_000);

  it('survives TLS garbage: random bytes, a slow-drip handshake (timed out), a giant octet count after the handshake', async () => {
    const uncaught: unknown[] = [];
    const onUncaught = (e: unknown): void => { uncaught.push(e); };
    process.on('uncaughtException', onUncaught);
    try {
      const h = await start({ clientAuth: 'none' }, { tlsHandshakeTimeoutMs: 500, maxMessageBytes: 1024 });
      const port = h.listener.address.port;
      const heapBefore = process.memoryUsage().heapUsed;
      // Random bytes, some starting like a TLS record.
      for (let i = 0; i < 40; i++) {
        const s = net.connect(port, '127.0.0.1', () => s.end(Buffer.concat([i % 2 ? Buffer.from([0x16, 0x03, 0x01]) : Buffer.alloc(0), randomBytes(1 + (i * 97) % 4000)])));
        sockets.push(s);
        s.on('error', () => undefined);
      }
      // A real ClientHello, one byte every 50 ms: the handshake timeout ends it.
      const hello = await captureClientHello();
      const drip = net.connect(port, '127.0.0.1');
      sockets.push(drip);
      drip.on('error', () => undefined);
      let dripClosed = false;
      drip.on('close', () => { dripClosed = true; });
      for (let i = 0; i < hello.length && !dripClosed; i++) {
        drip.write(hello.subarray(i, i + 1));
        await sleep(50);
      }
      await until(() => dripClosed, 'the slow handshake to be cut off', 5_000);
      expect(await h.metrics.value('haetae_dropped_total', { stage: 'receive', reason: 'tls_handshake_timeout' })).toBe(1);

      // A frame that declares a gigabyte: kept as a truncated frame of maxMessageBytes, not buffered.
      const s = await tlsClient(port);
      s.write('1000000000 <13>1 - h app - - - ');
      for (let i = 0; i < 64; i++) s.write(randomBytes(64 * 1024));
      s.end();
      await until(() => h.sink.frames.length === 1, 'the truncated frame', 10_000);
      expect(h.sink.frames[0]!.frame.truncated).toBe(true);
      expect(h.sink.frames[0]!.frame.bytes.length).toBe(1024);

      await sleep(300);
      expect(uncaught).toEqual([]);
      const refused = ['tls_plaintext', 'tls_handshake'].map((reason) => h.metrics.value('haetae_dropped_total', { stage: 'receive', reason }));
      expect((await Promise.all(refused)).reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(30);
      // 4 MiB went through the TLS socket; the heap must not hold it.
      expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(32 * 1024 * 1024);
    } finally {
      process.off('uncaughtException', onUncaught);
    }
  }, 30_000);
});

/** The bytes of a real TLS ClientHello, caught by a plain TCP server. */
async function captureClientHello(): Promise<Buffer> {
  const chunks: Buffer[] = [];
  const server = net.createServer((s) => { s.on('data', (c) => chunks.push(c)); s.on('error', () => undefined); });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const c = tls.connect({ host: '127.0.0.1', port: (server.address() as net.AddressInfo).port, rejectUnauthorized: false });
  c.on('error', () => undefined);
  await until(() => chunks.length > 0, 'a ClientHello');
  await sleep(50);
  c.destroy();
  await new Promise((r) => server.close(r));
  return Buffer.concat(chunks);
}

describe('TLS refusal logging under a flood from many addresses', () => {
  it('counts every refusal, logs once a minute per source and reason, and keeps at most 10,000 sources', async () => {
    const metrics = new Metrics();
    const lines: Array<{ msg: string }> = [];
    const log = pino({ level: 'info' }, { write: (s: string) => { lines.push(JSON.parse(s)); } });
    let t = 1_000_000;
    const ev = tlsRefusalEvents(log, metrics, () => t);
    const spec = { transport: 'tls' as const, host: '0.0.0.0', port: 6514 };
    const addr = (i: number): string => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
    for (let i = 0; i < 12_000; i++) ev.onTlsRefused!(spec, addr(i), 'tls_plaintext', 'plain syslog');
    ev.onTlsRefused!(spec, addr(0), 'tls_plaintext', 'plain syslog'); // a repeat within the minute: not logged
    // 10,000 sources remembered (and logged); the 2,000 beyond are counted only.
    expect(lines).toHaveLength(10_000);
    const dropped = (await metrics.dropped.get()).values.find((v) => v.labels.reason === 'tls_plaintext')?.value;
    expect(dropped).toBe(12_001);
    // A minute on, the stale entries make room: a new source is logged again, with its own line.
    t += 60_000;
    ev.onTlsRefused!(spec, addr(11_999), 'tls_plaintext', 'plain syslog');
    expect(lines).toHaveLength(10_001);
    expect(lines[10_000]!.msg).toContain(`Refused a TLS connection from ${addr(11_999)}`);
  });
});
