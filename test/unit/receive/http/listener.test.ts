import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { spawn } from 'node:child_process';
import net from 'node:net';
import { bindHttpWith, DEFAULT_HTTP_LIMITS, type HttpRefusal } from '../../../../pipeline/receive/http/listener';
import type { BoundListener, FrameSink, PeerInfo } from '../../../../pipeline/receive/syslog/listeners';
import type { Frame } from '../../../../pipeline/receive/syslog/frame';
import { buildEnvelope } from '../../../../pipeline/envelope/envelope';
import { normalizeHttp } from '../../../../pipeline/normalize/http-json';

/** A sink that holds each frame until the test says Kafka stored it. */
class HeldSink implements FrameSink {
  frames: Array<{ frame: Frame; peer: PeerInfo; store: () => void }> = [];
  saturated = false;
  accept(frame: Frame, peer: PeerInfo, onStored?: () => void): boolean {
    this.frames.push({ frame, peer, store: () => onStored?.() });
    return true;
  }
  onDrain(): void {}
  storeAll(): void { for (const f of this.frames.splice(0)) f.store(); }
}

/** curl, the real client: status line and body. `data` is a file path or a string. */
function curl(args: string[]): Promise<{ status: number; body: string; headers: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn('curl', ['-sS', '-D', '-', ...args]);
    let out = '';
    p.stdout.on('data', (c) => (out += c));
    p.on('error', reject);
    p.on('close', () => {
      const i = out.lastIndexOf('\r\n\r\n');
      const headers = out.slice(0, i);
      const statuses = [...headers.matchAll(/^HTTP\/1\.1 (\d+)/gm)];
      resolve({ status: Number(statuses.at(-1)?.[1] ?? 0), body: out.slice(i + 4), headers });
    });
  });
}

const TOKEN = '0f8e1c2a-5b6d-4e7f-8a9b-0c1d2e3f4a5b';
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'haetae-http-'));
const tokensFile = path.join(dir, 'hec-tokens');
fs.writeFileSync(tokensFile, `# test\nfluentbit:${TOKEN}\n`);
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('HTTP input listener (curl against the real server, a sink that acknowledges on demand)', () => {
  let sink: HeldSink;
  let bound: BoundListener;
  let base: string;
  const refusals: HttpRefusal[] = [];

  beforeAll(async () => {
    sink = new HeldSink();
    bound = await bindHttpWith({ transport: 'http', host: '127.0.0.1', port: 0, tokensFile }, sink, { maxMessageBytes: 4096, udpReceiveBufferBytes: 0 },
      { onError: (_s, e) => { throw e; }, onHttpRefused: (_s, r) => { refusals.push(r); } },
      { ...DEFAULT_HTTP_LIMITS, maxBodyBytes: 64 * 1024, maxDecompressedBytes: 256 * 1024, maxEvents: 50 });
    base = `http://127.0.0.1:${bound.address.port}`;
  });
  afterAll(async () => { await bound.close(); });
  beforeEach(() => { sink.frames = []; refusals.length = 0; sink.saturated = false; });

  const auth = ['-H', `Authorization: Splunk ${TOKEN}`];

  it('answers 200 Success only once every event of the request was stored', async () => {
    const pending = curl([...auth, '--data-binary', '{"event":"a","host":"h1"}{"event":{"message":"b"},"fields":{"k":"v"}}', `${base}/services/collector/event`]);
    await waitFor(() => sink.frames.length === 2);
    let answered = false;
    void pending.then(() => (answered = true));
    sink.frames[0]!.store();
    await new Promise((r) => setTimeout(r, 300));
    expect(answered).toBe(false); // one of two stored: no answer yet
    sink.storeAll();
    const res = await pending;
    expect([res.status, JSON.parse(res.body)]).toEqual([200, { text: 'Success', code: 0 }]);
  });

  it('maps HEC fields to ECS (through the worker\'s normalizer)', async () => {
    const body = '{"time":1700000000.25,"host":"web-1","source":"/var/log/app.log","sourcetype":"app","index":"main","fields":{"env":"prod"},"event":"<34>Oct 11 22:14:15 mymachine su: denied"}';
    const p = curl([...auth, '-H', 'X-Splunk-Request-Channel: 11111111-2222-3333-4444-555555555555', '-A', 'fluent-bit/3.2', '--data-binary', body, `${base}/services/collector/event`]);
    await waitFor(() => sink.frames.length === 1);
    const { frame, peer } = sink.frames[0]!;
    sink.storeAll();
    expect((await p).status).toBe(200);
    expect(frame.bytes.toString()).toBe(body);
    const env = buildEnvelope(frame, { ...peer, observerHostname: 'rx', receivedAt: new Date(1700000001000) });
    expect(env).toMatchObject({ kind: 'hec', transport: 'http', framing: 'json', http: { endpoint: 'event', token: 'fluentbit', channel: '11111111-2222-3333-4444-555555555555', userAgent: 'fluent-bit/3.2' } });
    expect(JSON.stringify(env)).not.toContain(TOKEN);
    const { event } = normalizeHttp(env, frame.bytes, { topic: 't', partition: 0, offset: '1' }, new Date(1700000002000));
    expect(event).toMatchObject({
      '@timestamp': '2023-11-14T22:13:20.250Z',
      message: 'denied',
      event: { original: body, module: 'hec', dataset: 'haetae.hec' },
      host: { name: 'web-1' },
      process: { name: 'su' },
      log: { syslog: { facility: { code: 4 }, severity: { code: 2 } }, source: { address: '127.0.0.1' } },
      haetae: { http: { endpoint: 'event', token: 'fluentbit', source: '/var/log/app.log', sourcetype: 'app', index: 'main', fields: { env: 'prod' } } },
    });
  });

  it('refuses a missing token (401, code 2), a malformed header (401, code 3), an unknown token (403, code 4), storing nothing', async () => {
    const url = `${base}/services/collector/event`;
    const none = await curl(['--data-binary', '{"event":"x"}', url]);
    const malformed = await curl(['-H', `Authorization: ${TOKEN}`, '--data-binary', '{"event":"x"}', url]);
    const wrong = await curl(['-H', 'Authorization: Splunk 00000000-0000-0000-0000-000000000000', '--data-binary', '{"event":"x"}', url]);
    const bearer = curl(['-H', `Authorization: Bearer ${TOKEN}`, '--data-binary', 'a raw line', `${base}/services/collector/raw?channel=abc`]);
    expect([none.status, JSON.parse(none.body)]).toEqual([401, { text: 'Token is required', code: 2 }]);
    expect([malformed.status, JSON.parse(malformed.body)]).toEqual([401, { text: 'Invalid authorization', code: 3 }]);
    expect([wrong.status, JSON.parse(wrong.body)]).toEqual([403, { text: 'Invalid token', code: 4 }]);
    await waitFor(() => sink.frames.length === 1);
    expect(sink.frames[0]!.frame.http).toMatchObject({ endpoint: 'raw', channel: 'abc' });
    sink.storeAll();
    expect((await bearer).status).toBe(200);
    expect(refusals).toEqual(['token_required', 'invalid_authorization', 'invalid_token']);
  });

  it('reads gzip bodies, and refuses a gzip bomb (413) and bad gzip (400) without storing', async () => {
    const gz = path.join(dir, 'ok.gz');
    fs.writeFileSync(gz, zlib.gzipSync('{"event":"zipped 1"}\n{"event":"zipped 2"}'));
    const p = curl([...auth, '-H', 'Content-Encoding: gzip', '--data-binary', `@${gz}`, `${base}/services/collector/event`]);
    await waitFor(() => sink.frames.length === 2);
    expect(sink.frames.map((f) => f.frame.bytes.toString())).toEqual(['{"event":"zipped 1"}', '{"event":"zipped 2"}']);
    sink.storeAll();
    expect((await p).status).toBe(200);

    const bomb = path.join(dir, 'bomb.gz');
    fs.writeFileSync(bomb, zlib.gzipSync(Buffer.alloc(10 * 1024 * 1024, 0x20))); // 10 MiB of spaces in ~10 KB
    expect(fs.statSync(bomb).size).toBeLessThan(64 * 1024);
    const b = await curl([...auth, '-H', 'Content-Encoding: gzip', '--data-binary', `@${bomb}`, `${base}/services/collector/event`]);
    expect(b.status).toBe(413);
    expect(JSON.parse(b.body).text).toMatch(/decompressed/);
    const bad = await curl([...auth, '-H', 'Content-Encoding: gzip', '--data-binary', 'not gzip', `${base}/services/collector/event`]);
    expect([bad.status, JSON.parse(bad.body).code]).toEqual([400, 6]);
    const br = await curl([...auth, '-H', 'Content-Encoding: br', '--data-binary', 'x', `${base}/services/collector/event`]);
    expect(br.status).toBe(415);
    expect(sink.frames).toHaveLength(0);
    expect(refusals).toEqual(['decompressed_too_large', 'bad_gzip', 'bad_encoding']);
  });

  it('refuses a body over the byte limit (413) and bad JSON (400 with the event number)', async () => {
    const big = await curl([...auth, '--data-binary', `{"event":"${'x'.repeat(70 * 1024)}"}`, `${base}/services/collector/event`]);
    expect(big.status).toBe(413);
    const badJson = await curl([...auth, '--data-binary', '{"event":"fine"}{"event":oops}', `${base}/services/collector/event`]);
    expect([badJson.status, JSON.parse(badJson.body)]).toEqual([400, { text: 'Invalid data format', code: 6, 'invalid-event-number': 1 }]);
    const nd = await curl([...auth, '--data-binary', '{"a":1}\nnot json\n', `${base}/ndjson`]);
    expect([nd.status, JSON.parse(nd.body)['invalid-event-number']]).toEqual([400, 1]);
    expect(sink.frames).toHaveLength(0);
    expect(refusals).toEqual(['body_too_large', 'invalid_json', 'invalid_json']);
  });

  it('answers 503 Server is busy with Retry-After while Kafka is behind, and health says so', async () => {
    sink.saturated = true;
    const busy = await curl([...auth, '--data-binary', '{"event":"x"}', `${base}/services/collector/event`]);
    expect([busy.status, JSON.parse(busy.body)]).toEqual([503, { text: 'Server is busy', code: 9 }]);
    expect(busy.headers).toMatch(/retry-after: 5/i);
    const sick = await curl([`${base}/services/collector/health`]);
    expect([sick.status, JSON.parse(sick.body).code]).toEqual([503, 18]);
    sink.saturated = false;
    const ok = await curl([`${base}/services/collector/health`]);
    expect([ok.status, JSON.parse(ok.body)]).toEqual([200, { text: 'HEC is healthy', code: 17 }]);
    expect(refusals).toEqual(['busy']);
  });

  it('ndjson: one event per line, kind json, message and time from the object', async () => {
    const p = curl([...auth, '--data-binary', '{"@timestamp":"2026-01-02T03:04:05Z","message":"hello nd","host":{"name":"n1"},"level":"warn"}\n', `${base}/ndjson`]);
    await waitFor(() => sink.frames.length === 1);
    const { frame, peer } = sink.frames[0]!;
    sink.storeAll();
    expect((await p).status).toBe(200);
    const env = buildEnvelope(frame, { ...peer, observerHostname: 'rx', receivedAt: new Date('2026-01-02T03:04:06Z') });
    const { event } = normalizeHttp(env, frame.bytes, { topic: 't', partition: 0, offset: '1' }, new Date('2026-01-02T03:04:07Z'));
    expect(event).toMatchObject({ '@timestamp': '2026-01-02T03:04:05.000Z', message: 'hello nd', host: { name: 'n1' }, event: { module: 'ndjson' }, haetae: { http: { endpoint: 'ndjson', event: { level: 'warn' } } } });
  });
});

describe('HTTP input listener tokens file', () => {
  it('refuses to start without a tokens file, naming it', async () => {
    const missing = path.join(dir, 'no-such-tokens');
    await expect(bindHttpWith({ transport: 'http', host: '127.0.0.1', port: 0, tokensFile: missing }, new HeldSink(), { maxMessageBytes: 4096, udpReceiveBufferBytes: 0 }, { onError: () => undefined }, DEFAULT_HTTP_LIMITS))
      .rejects.toThrow(`HTTP input tokens file ${missing}: ENOENT`);
  });

  it('takes a changed tokens file without a restart; a broken change keeps the previous tokens', async () => {
    const file = path.join(dir, 'reload-tokens');
    fs.writeFileSync(file, 'old:old-token-0001\n');
    const reloads: Array<string | null> = [];
    const sink = new HeldSink();
    const bound = await bindHttpWith({ transport: 'http', host: '127.0.0.1', port: 0, tokensFile: file }, sink, { maxMessageBytes: 4096, udpReceiveBufferBytes: 0 },
      { onError: () => undefined, onTokensReload: (_s, err) => { reloads.push(err ? err.message : null); } }, DEFAULT_HTTP_LIMITS);
    const health = async (token: string): Promise<number> => (await curl(['-H', `Authorization: Splunk ${token}`, '--data-binary', '', `http://127.0.0.1:${bound.address.port}/services/collector/event`])).status;
    try {
      expect(await health('old-token-0001')).toBe(400); // authenticated; the empty body is "No data"
      fs.writeFileSync(file, 'new:new-token-0002\n');
      await waitFor(() => reloads.length === 1, 6_000);
      expect([await health('old-token-0001'), await health('new-token-0002')]).toEqual([403, 400]);
      fs.writeFileSync(file, '# emptied by mistake\n');
      await waitFor(() => reloads.length === 2, 6_000);
      expect(reloads[1]).toMatch(/lists no token/);
      expect(await health('new-token-0002')).toBe(400);
    } finally {
      await bound.close();
    }
  }, 20_000);
});

describe('HTTP input listener allow list', () => {
  it('closes connections from sources outside `allow` before reading, and reports them as not_allowed', async () => {
    const limited: string[] = [];
    const sink = new HeldSink();
    const bound = await bindHttpWith({ transport: 'http', host: '127.0.0.1', port: 0, tokensFile, allow: ['10.0.0.0/8'] }, sink, { maxMessageBytes: 4096, udpReceiveBufferBytes: 0 },
      { onError: () => undefined, onLimited: (_s, source, reason, action) => { limited.push(`${source} ${reason} ${action}`); } }, DEFAULT_HTTP_LIMITS);
    try {
      const res = await curl(['-H', `Authorization: Splunk ${TOKEN}`, '--data-binary', '{"event":"x"}', `http://127.0.0.1:${bound.address.port}/services/collector/event`]);
      expect(res.status).toBe(0); // no HTTP answer at all
      expect(limited).toEqual(['127.0.0.1 not_allowed closed']);
      expect(sink.frames).toHaveLength(0);
    } finally {
      await bound.close();
    }
  });

  it('without onHttpRefused, refusals go to onLimited per source with the catalog code in the detail', async () => {
    const limited: string[] = [];
    const bound = await bindHttpWith({ transport: 'http', host: '127.0.0.1', port: 0, tokensFile }, new HeldSink(), { maxMessageBytes: 4096, udpReceiveBufferBytes: 0 },
      { onError: () => undefined, onLimited: (_s, source, reason, action, detail) => { limited.push(`${source} ${reason} ${action} ${detail}`); } }, DEFAULT_HTTP_LIMITS);
    try {
      expect((await curl(['-H', 'Authorization: Splunk wrong-token-123', '--data-binary', '{"event":"x"}', `http://127.0.0.1:${bound.address.port}/services/collector/event`])).status).toBe(403);
      expect(limited).toEqual(['127.0.0.1 invalid_token dropped HTTP request refused (HAETAE_HTTP_AUTH): the token is not in the tokens file']);
    } finally {
      await bound.close();
    }
  });
});

describe('HTTP input listener per-source limits', () => {
  it('rate limit: a request runs its source into debt; the next gets 503 with Retry-After until it is paid back', async () => {
    const limited: string[] = [];
    const sink = new HeldSink();
    const bound = await bindHttpWith({ transport: 'http', host: '127.0.0.1', port: 0, tokensFile }, sink, { maxMessageBytes: 4096, udpReceiveBufferBytes: 0, rateLimit: { messagesPerSecond: 1, burst: 2 } },
      { onError: () => undefined, onLimited: (_s, source, reason, action) => { limited.push(`${source} ${reason} ${action}`); } }, DEFAULT_HTTP_LIMITS);
    const post = (): ReturnType<typeof curl> => curl(['-H', `Authorization: Splunk ${TOKEN}`, '--data-binary', '{"event":"a"}{"event":"b"}{"event":"c"}{"event":"d"}', `http://127.0.0.1:${bound.address.port}/services/collector/event`]);
    try {
      const first = post();
      await waitFor(() => sink.frames.length === 4);
      sink.storeAll();
      expect((await first).status).toBe(200); // burst 2, 4 events: 2 in debt
      const second = await post();
      expect([second.status, JSON.parse(second.body).code]).toEqual([503, 9]);
      expect(second.headers).toMatch(/retry-after: [12]\r?$/im); // 2 messages of debt at 1/s
      expect(sink.frames).toHaveLength(0);
      expect(limited).toEqual(['127.0.0.1 rate_limit paused']);
    } finally {
      await bound.close();
    }
  });

  it('maxConnectionsPerSource: a further connection is closed at once and reported', async () => {
    const refusedConn: string[] = [];
    const bound = await bindHttpWith({ transport: 'http', host: '127.0.0.1', port: 0, tokensFile }, new HeldSink(), { maxMessageBytes: 4096, udpReceiveBufferBytes: 0, maxConnectionsPerSource: 1 },
      { onError: () => undefined, onConnectionRefused: (_s, source, limit) => { refusedConn.push(`${source} ${limit}`); } }, DEFAULT_HTTP_LIMITS);
    const held = net.connect(bound.address.port, '127.0.0.1');
    try {
      await new Promise((r) => held.once('connect', r));
      await new Promise((r) => setTimeout(r, 100));
      const res = await curl([`http://127.0.0.1:${bound.address.port}/services/collector/health`]);
      expect(res.status).toBe(0);
      expect(refusedConn).toEqual(['127.0.0.1 source']);
    } finally {
      held.destroy();
      await bound.close();
    }
  });
});

describe('HTTP input listener timeouts', () => {
  it('answers 408 and counts a sender that does not finish its headers in time (slowloris)', async () => {
    const refusals: string[] = [];
    const sink = new HeldSink();
    const bound = await bindHttpWith({ transport: 'http', host: '127.0.0.1', port: 0, tokensFile }, sink, { maxMessageBytes: 4096, udpReceiveBufferBytes: 0 },
      { onError: (_s, e) => { throw e; }, onHttpRefused: (_s, r) => { refusals.push(r); } },
      { ...DEFAULT_HTTP_LIMITS, headersTimeoutMs: 500, requestTimeoutMs: 1000 });
    try {
      const started = Date.now();
      const reply = await new Promise<string>((resolve, reject) => {
        const s = net.connect(bound.address.port, '127.0.0.1', () => s.write('POST /services/collector/event HTTP/1.1\r\nHost: x\r\n'));
        let out = '';
        s.on('data', (c) => (out += c));
        s.on('close', () => resolve(out));
        s.on('error', reject);
      });
      expect(reply).toMatch(/^HTTP\/1\.1 408/);
      expect(Date.now() - started).toBeLessThan(5_000);
      expect(refusals).toEqual(['timeout']);
      expect(sink.frames).toHaveLength(0);
    } finally {
      await bound.close();
    }
  });
});

async function waitFor(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}
