/**
 * The HTTP input end to end: curl (the real client; Fluent Bit and Vector are not installable
 * from this machine's apt or npm registries) sends the documented payloads of Fluent Bit's splunk
 * output, Vector's splunk_hec_logs sink and the OpenTelemetry collector's splunk_hec exporter to
 * `haetae run all`; the events are searchable with their fields, refused requests are counted,
 * and the 200 comes only once Kafka holds the records.
 */
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { randomUUID } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { Kafka, logLevel } from 'kafkajs';
import { eventually, services } from '../support/services';
import { HaetaeProcess, metricValue, metricsText, readyz, runCli } from '../support/haetae-process';
import { startWebhookServer } from '../support/webhook-server';
import { WEBHOOK_SECRET, e2eConfig } from './config';
import YAML from 'yaml';
import { bsdTimestamp } from '../support/syslog-time';

const TOKEN = randomUUID();

function curl(args: string[]): { status: number; body: string } {
  const res = spawnSync('curl', ['-sS', '-o', '-', '-w', '\n%{http_code}', ...args], { encoding: 'utf8', timeout: 60_000 });
  if (res.status !== 0) throw new Error(`curl failed (${res.status}): ${res.stderr}`);
  const i = res.stdout.lastIndexOf('\n');
  return { status: Number(res.stdout.slice(i + 1)), body: res.stdout.slice(0, i) };
}

function search(configFile: string, query: string): any[] {
  const res = runCli(['search', query, '--since', '10m', '--json', '--limit', '100'], configFile);
  if (res.status !== 0) throw new Error(`haetae search failed (${res.status}): ${res.stderr}`);
  return res.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l));
}

describe('HTTP input (HEC, NDJSON) → Kafka → worker → Elasticsearch, all real', () => {
  let hook: Awaited<ReturnType<typeof startWebhookServer>>;
  let cfg: ReturnType<typeof e2eConfig>;
  let haetae: HaetaeProcess;
  let url: string;
  let httpPort: number;
  let dir: string;
  const kafka = new Kafka({ clientId: 'haetae-e2e-http', brokers: services.kafkaBrokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();

  /** Records Kafka holds on the raw topic (sum of high watermarks). */
  const rawRecords = async (): Promise<number> => (await admin.fetchTopicOffsets(cfg.rawTopic)).reduce((n, p) => n + Number(p.high), 0);

  beforeAll(async () => {
    hook = await startWebhookServer(WEBHOOK_SECRET);
    cfg = e2eConfig(hook.url);
    // Add an http listener with a tokens file next to the config (resolved against its directory).
    dir = path.dirname(cfg.file);
    fs.writeFileSync(path.join(dir, 'hec-tokens'), `# shippers\nshippers:${TOKEN}\n`);
    const config = YAML.parse(fs.readFileSync(cfg.file, 'utf8'));
    config.receiver.listeners.push({ transport: 'http', host: '127.0.0.1', port: 0, tokensFile: 'hec-tokens' });
    fs.writeFileSync(cfg.file, YAML.stringify(config));
    haetae = new HaetaeProcess(['run', 'all'], cfg.file);
    const port = Number((await haetae.waitFor(/listening for syslog on http:\/\/127\.0\.0\.1:(\d+)/))[1]);
    url = `http://127.0.0.1:${port}`;
    httpPort = Number((await haetae.waitFor(/metrics on http:\/\/127\.0\.0\.1:(\d+)\/metrics/))[1]);
    await eventually(async () => ((await readyz(httpPort)) ? true : undefined), 'haetae /readyz', 60_000);
    await admin.connect();
  }, 120_000);

  afterAll(async () => {
    await admin.disconnect().catch(() => undefined);
    await haetae?.stop();
    await hook?.close();
  }, 60_000);

  it('takes Fluent Bit, Vector and OpenTelemetry collector payloads; events are searchable with their HEC fields', async () => {
    const tag = `hec${randomUUID().slice(0, 8)}`;
    const now = Math.floor(Date.now() / 1000);
    // Fluent Bit out_splunk (splunk_send_raw off, compress gzip): records in `event`, concatenated.
    const fluentBit = [
      { time: now - 5 + 0.123456, host: 'fb-node-1', source: '/var/log/app/app.log', sourcetype: 'fluentbit', event: { log: `fluent bit line one ${tag}`, stream: 'stdout' } },
      { time: now - 4 + 0.5, host: 'fb-node-1', source: '/var/log/app/app.log', sourcetype: 'fluentbit', event: { log: `fluent bit line two ${tag}`, stream: 'stderr' } },
    ].map((o) => JSON.stringify(o)).join('');
    const fbFile = path.join(dir, 'fb.gz');
    fs.writeFileSync(fbFile, zlib.gzipSync(fluentBit));
    const fb = curl(['-H', `Authorization: Splunk ${TOKEN}`, '-H', 'Content-Type: application/json', '-H', 'Content-Encoding: gzip', '-A', 'Fluent-Bit', '--data-binary', `@${fbFile}`, `${url}/services/collector/event`]);
    expect([fb.status, JSON.parse(fb.body)]).toEqual([200, { text: 'Success', code: 0 }]);

    // Vector splunk_hec_logs (encoding json, default endpoint_target event): `fields` for indexed fields, a channel header.
    const vector = JSON.stringify({ event: { message: `vector line ${tag}`, file: '/var/log/syslog', source_type: 'file' }, fields: { env: 'staging' }, time: now - 3 + 0.25, host: 'vector-agent', source: '/var/log/syslog', sourcetype: 'vector', index: 'main' });
    const vec = curl(['-H', `Authorization: Splunk ${TOKEN}`, '-H', `X-Splunk-Request-Channel: ${randomUUID()}`, '-A', 'Vector/0.43.0', '--data-binary', vector, `${url}/services/collector/event`]);
    expect(vec.status).toBe(200);

    // OpenTelemetry collector splunk_hec exporter (endpoint /services/collector, gzip): body in event, attributes and severity in fields.
    const otel = JSON.stringify({ time: now - 2 + 0.75, host: 'otel-gw', source: 'otel', sourcetype: 'otel', index: 'logs', event: `otel body ${tag} payment declined`, fields: { 'service.name': 'checkout', 'otel.log.severity.text': 'WARN', 'otel.log.severity.number': 13, trace_id: '4bf92f3577b34da6a3ce929d0e0e4736' } });
    const otelFile = path.join(dir, 'otel.gz');
    fs.writeFileSync(otelFile, zlib.gzipSync(otel));
    const ot = curl(['-H', `Authorization: Splunk ${TOKEN}`, '-H', 'Content-Encoding: gzip', '-A', 'OpenTelemetry Collector Contrib/0.115.0', '--data-binary', `@${otelFile}`, `${url}/services/collector`]);
    expect(ot.status).toBe(200);

    // /raw with a syslog line and /ndjson.
    const raw = curl(['-H', `Authorization: Bearer ${TOKEN}`, '--data-binary', `<38>${bsdTimestamp(new Date((now - 1) * 1000))} rawhost sshd[42]: raw syslog ${tag}\n`, `${url}/services/collector/raw?channel=raw-1&sourcetype=syslog`]);
    expect(raw.status).toBe(200);
    const nd = curl(['-H', `Authorization: Splunk ${TOKEN}`, '--data-binary', `{"message":"ndjson line ${tag}","host":"nd-host","level":"info"}\n`, `${url}/ndjson`]);
    expect(nd.status).toBe(200);

    const events = await eventually(async () => {
      const found = search(cfg.file, `message:${tag}`);
      return found.length === 6 ? found : undefined;
    }, 'six events in search', 60_000).catch((err: Error) => {
      throw new Error(`${err.message}; found: ${JSON.stringify(search(cfg.file, `message:${tag}`).map((e) => e.message))}\n${haetae.tail(60)}`);
    });
    const by = (needle: string): any => events.find((e) => e.message.includes(needle));

    expect(by('fluent bit line one')).toMatchObject({
      '@timestamp': new Date((now - 5) * 1000 + 123).toISOString(),
      host: { name: 'fb-node-1' },
      event: { module: 'hec', dataset: 'haetae.hec' },
      network: { protocol: 'http' },
      haetae: { http: { endpoint: 'event', token: 'shippers', source: '/var/log/app/app.log', sourcetype: 'fluentbit', user_agent: 'Fluent-Bit', event: { stream: 'stdout' } } },
    });
    expect(JSON.parse(by('fluent bit line one').event.original)).toMatchObject({ host: 'fb-node-1', event: { log: `fluent bit line one ${tag}` } });
    expect(by('vector line')).toMatchObject({ host: { name: 'vector-agent' }, haetae: { http: { sourcetype: 'vector', index: 'main', fields: { env: 'staging' }, event: { file: '/var/log/syslog' } } } });
    expect(by('otel body')).toMatchObject({ message: `otel body ${tag} payment declined`, host: { name: 'otel-gw' }, haetae: { http: { sourcetype: 'otel', index: 'logs', fields: { 'service.name': 'checkout', 'otel.log.severity.text': 'WARN' } } } });
    expect(by('raw syslog')).toMatchObject({ '@timestamp': new Date((now - 1) * 1000).toISOString(), message: `raw syslog ${tag}`, host: { name: 'rawhost' }, process: { name: 'sshd', pid: 42 }, log: { syslog: { severity: { code: 6 } } }, haetae: { http: { endpoint: 'raw', channel: 'raw-1', sourcetype: 'syslog' } } });
    expect(by('ndjson line')).toMatchObject({ host: { name: 'nd-host' }, event: { module: 'ndjson' }, haetae: { http: { endpoint: 'ndjson', event: { level: 'info' } } } });
    for (const e of events) expect(JSON.stringify(e)).not.toContain(TOKEN);
    // Searchable by the HEC fields too.
    expect(search(cfg.file, `haetae.http.sourcetype:otel AND message:${tag}`)).toHaveLength(1);
  }, 120_000);

  it('answers 200 only once Kafka holds every record of the request', async () => {
    for (let round = 0; round < 5; round++) {
      const before = await rawRecords();
      const body = Array.from({ length: 20 }, (_, i) => JSON.stringify({ event: `acked ${round}.${i}` })).join('\n');
      const res = curl(['-H', `Authorization: Splunk ${TOKEN}`, '--data-binary', body, `${url}/services/collector/event`]);
      expect(res.status).toBe(200);
      // Read right after the answer: no waiting, the records must already be there.
      expect((await rawRecords()) - before).toBe(20);
    }
  }, 60_000);

  it('refuses a wrong or missing token, bad JSON and oversized bodies, counts them, and stores nothing of them', async () => {
    const before = await rawRecords();
    const m0 = await metricsText(httpPort);
    const reasons = ['token_required', 'invalid_token', 'invalid_json', 'body_too_large'];
    const dropped = (m: string): number[] => reasons.map((reason) => metricValue(m, 'haetae_dropped_total', { stage: 'receive', reason }));
    const limited = (m: string): number[] => reasons.map((reason) => metricValue(m, 'haetae_receiver_limited_total', { source: '127.0.0.1', reason }));
    const [d0, l0] = [dropped(m0), limited(m0)];
    const ev = `${url}/services/collector/event`;
    const missing = curl(['--data-binary', '{"event":"x"}', ev]);
    const wrong = curl(['-H', 'Authorization: Splunk not-the-token-at-all', '--data-binary', '{"event":"x"}', ev]);
    const bad = curl(['-H', `Authorization: Splunk ${TOKEN}`, '--data-binary', '{"event":"ok"}{"event":broken}', ev]);
    expect([missing.status, JSON.parse(missing.body)]).toEqual([401, { text: 'Token is required', code: 2 }]);
    expect([wrong.status, JSON.parse(wrong.body)]).toEqual([403, { text: 'Invalid token', code: 4 }]);
    expect([bad.status, JSON.parse(bad.body)]).toEqual([400, { text: 'Invalid data format', code: 6, 'invalid-event-number': 1 }]);
    const bigFile = path.join(dir, 'big.json');
    fs.writeFileSync(bigFile, JSON.stringify({ event: 'x'.repeat(9 * 1024 * 1024) }));
    const big = curl(['-H', `Authorization: Splunk ${TOKEN}`, '--data-binary', `@${bigFile}`, ev]);
    expect([big.status, JSON.parse(big.body).code]).toEqual([413, 6]);
    const health = curl([`${url}/services/collector/health`]);
    expect([health.status, JSON.parse(health.body).code]).toEqual([200, 17]);
    const m1 = await metricsText(httpPort);
    // Counted per reason (haetae_dropped_total) and per source and reason (haetae_receiver_limited_total).
    expect(dropped(m1).map((v, k) => v - d0[k]!)).toEqual([1, 1, 1, 1]);
    expect(limited(m1).map((v, k) => v - l0[k]!)).toEqual([1, 1, 1, 1]);
    // Logged once per source and reason, naming the catalog code.
    await haetae.waitFor(/HTTP request refused \(HAETAE_HTTP_AUTH\)/, 5_000);
    expect(await rawRecords()).toBe(before);
  }, 60_000);
});
