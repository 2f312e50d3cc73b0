import dgram from 'node:dgram';
import net from 'node:net';
import { randomUUID } from 'node:crypto';
import { createEsClient } from '../../connectors/elasticsearch/client';
import { eventually, services } from '../support/services';
import { HaetaeProcess, logger, metricValue, metricsText, readyz, runCli } from '../support/haetae-process';
import { startWebhookServer } from '../support/webhook-server';
import { WEBHOOK_SECRET, e2eConfig } from './config';
import { bsdTimestamp } from '../support/syslog-time';

const es = createEsClient({ url: services.elasticsearchUrl, requestTimeoutMs: 30_000 });

/** `haetae search --json` for this test's events, as a user would run it. */
function search(configFile: string, query: string): any[] {
  const res = runCli(['search', query, '--since', '10m', '--json', '--limit', '100'], configFile);
  if (res.status !== 0) throw new Error(`haetae search failed (${res.status}): ${res.stderr}`);
  return res.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l));
}

describe('syslog → Kafka → worker → Elasticsearch → alert → webhook, all real', () => {
  let hook: Awaited<ReturnType<typeof startWebhookServer>>;
  let cfg: ReturnType<typeof e2eConfig>;
  let haetae: HaetaeProcess;
  let udpPort: number;
  let tcpPort: number;
  let httpPort: number;

  beforeAll(async () => {
    hook = await startWebhookServer(WEBHOOK_SECRET);
    cfg = e2eConfig(hook.url);
    haetae = new HaetaeProcess(['run', 'all'], cfg.file);
    udpPort = Number((await haetae.waitFor(/listening for syslog on udp:\/\/127\.0\.0\.1:(\d+)/))[1]);
    tcpPort = Number((await haetae.waitFor(/listening for syslog on tcp:\/\/127\.0\.0\.1:(\d+)/))[1]);
    httpPort = Number((await haetae.waitFor(/metrics on http:\/\/127\.0\.0\.1:(\d+)\/metrics/))[1]);
    await eventually(async () => ((await readyz(httpPort)) ? true : undefined), 'haetae /readyz', 60_000);
  }, 120_000);

  afterAll(async () => {
    await haetae?.stop();
    await hook?.close();
    await es.indices.delete({ index: cfg.alertsIndex }).catch(() => undefined);
    await es.close();
  }, 60_000); // a graceful stop leaves two consumer groups and flushes checkpoints: seconds, not ms

  it('makes logger messages over UDP and TCP (LF and octet-counted), RFC 3164 and 5424, searchable with ECS fields', async () => {
    const token = `tok${randomUUID().slice(0, 8)}`;
    logger(['-n', '127.0.0.1', '-P', String(udpPort), '-d', '--rfc3164', '-t', 'e2eapp', '-p', 'local3.warning', `hello 3164 udp ${token}`]);
    logger(['-n', '127.0.0.1', '-P', String(udpPort), '-d', '--rfc5424', '-t', 'e2eapp', '--msgid', 'M1', '--sd-id', 'test@32473', '--sd-param', 'k="v"', `hello 5424 udp ${token}`]);
    logger(['-n', '127.0.0.1', '-P', String(tcpPort), '-T', '--rfc3164', '-t', 'e2eapp', `hello 3164 tcp-lf ${token}`]);
    logger(['-n', '127.0.0.1', '-P', String(tcpPort), '-T', '--octet-count', '--rfc5424', '-t', 'e2eapp', `hello 5424 tcp-octet ${token}`]);

    const events = await eventually(async () => {
      const found = search(cfg.file, `message:${token}`);
      return found.length === 4 ? found : undefined;
    }, 'four events in search', 30_000);

    const by = (needle: string) => events.find((e) => e.message.includes(needle))!;
    const bsdUdp = by('3164 udp');
    expect(bsdUdp).toMatchObject({
      message: `hello 3164 udp ${token}`,
      network: { transport: 'udp', protocol: 'syslog' },
      process: { name: 'e2eapp' },
      log: { source: { address: '127.0.0.1' }, syslog: { facility: { code: 19, name: 'local3' }, severity: { code: 4, name: 'warning' }, appname: 'e2eapp' } },
      haetae: { syslog: { format: 'rfc3164', framing: 'datagram', transport: 'udp' } },
    });
    expect(bsdUdp.event.original).toContain(`hello 3164 udp ${token}`);
    expect(bsdUdp.event.original.startsWith('<156>')).toBe(true); // local3 (19) × 8 + warning (4)
    expect(typeof bsdUdp.host.hostname).toBe('string');
    expect(Date.parse(bsdUdp.event.ingested)).toBeGreaterThan(Date.now() - 120_000);

    const ietfUdp = by('5424 udp');
    expect(ietfUdp).toMatchObject({
      log: { syslog: { version: '1', appname: 'e2eapp', msgid: 'M1', structured_data: { 'test@32473': { k: 'v' } } } },
      haetae: { syslog: { format: 'rfc5424' } },
    });
    // logger writes an RFC 3339 timestamp with microseconds: it becomes @timestamp.
    expect(Math.abs(Date.parse(ietfUdp['@timestamp']) - Date.now())).toBeLessThan(120_000);

    expect(by('tcp-lf')).toMatchObject({ network: { transport: 'tcp' }, haetae: { syslog: { framing: 'lf', format: 'rfc3164' } } });
    expect(by('tcp-octet')).toMatchObject({ network: { transport: 'tcp' }, haetae: { syslog: { framing: 'octet-counting', format: 'rfc5424' } } });
    // Newest first.
    const times = events.map((e) => Date.parse(e['@timestamp']));
    expect([...times].sort((a, b) => b - a)).toEqual(times);
  }, 60_000);

  it('prints a readable table without --json', async () => {
    const token = `tbl${randomUUID().slice(0, 8)}`;
    logger(['-n', '127.0.0.1', '-P', String(udpPort), '-d', '-t', 'tabular', `table row ${token}`]);
    const out = await eventually(async () => {
      const res = runCli(['search', `message:${token}`, '--since', '5m'], cfg.file);
      return res.stdout.includes(token) ? res : undefined;
    }, 'table output', 30_000);
    const [header, row] = out.stdout.trim().split('\n');
    expect(header).toMatch(/^TIME\s+HOST\s+PROGRAM\s+SEVERITY\s+SENDER\s+SOURCE\s+MESSAGE$/);
    // The sender is 127.0.0.1; no decoder read a source address out of this message.
    expect(row).toMatch(new RegExp(`tabular\\s+notice\\s+127\\.0\\.0\\.1\\s+-\\s+table row ${token}$`));
    expect(out.stderr).toContain('1 of 1 matching event since 5m');
  }, 60_000);

  it('keeps and tags malformed input — no PRI, invalid UTF-8, binary, oversized — and counts it', async () => {
    const token = `bad${randomUUID().slice(0, 8)}`;
    const udp = dgram.createSocket('udp4');
    const send = (buf: Buffer) => new Promise<void>((r, j) => udp.send(buf, udpPort, '127.0.0.1', (e) => (e ? j(e) : r())));
    // Stamped now, as a sender would: the search below looks at the last ten minutes.
    const stamp = bsdTimestamp(new Date());
    await send(Buffer.from(`no pri at all ${token}`));
    await send(Buffer.concat([Buffer.from(`<13>${stamp} host app: latin1 caf`), Buffer.from([0xe9, 0x20]), Buffer.from(token)]));
    await send(Buffer.concat([Buffer.from([0x00, 0x01, 0xff, 0xfe]), Buffer.from(` ${token}`)]));
    udp.close();
    const big = `<13>${stamp} host app: ${token} ${'x'.repeat(70_000)}\n`;
    await new Promise<void>((resolve, reject) => {
      const s = net.connect(tcpPort, '127.0.0.1', () => s.end(big, () => resolve()));
      s.on('error', reject);
    });

    const events = await eventually(async () => {
      // event.original is stored but not indexed (as in ECS); message holds the text of a failed parse too.
      const found = search(cfg.file, `message:${token}`);
      return found.length === 4 ? found : undefined;
    }, 'four malformed events', 30_000);
    const noPri = events.find((e) => e.message.startsWith('no pri'))!;
    expect(noPri.tags).toContain('haetae_parse_failure');
    expect(noPri.event.kind).toBe('pipeline_error');
    expect(noPri.haetae.parse.error).toEqual({ code: 'no_pri', reason: "missing PRI: message does not start with '<'" });
    expect(noPri.event.original).toBe(`no pri at all ${token}`);

    const latin1 = events.find((e) => e.message.includes('latin1'))!;
    expect(latin1.tags).toContain('haetae_invalid_utf8');
    expect(Buffer.from(latin1.haetae.original_base64, 'base64').includes(Buffer.from([0x66, 0xe9, 0x20]))).toBe(true);

    const binary = events.find((e) => e.event.original.endsWith(token) && e.tags?.includes('haetae_parse_failure') && !e.message.startsWith('no pri'))!;
    expect(Buffer.from(binary.haetae.original_base64, 'base64').subarray(0, 4)).toEqual(Buffer.from([0x00, 0x01, 0xff, 0xfe]));

    const oversized = events.find((e) => e.tags?.includes('haetae_truncated'))!;
    expect(oversized.haetae.truncated.original_length).toBe(big.length - 1);
    expect(Buffer.from(oversized.haetae.original_base64, 'base64').length).toBe(65536);

    const metrics = await metricsText(httpPort);
    expect(metricValue(metrics, 'haetae_errors_total', { stage: 'parse', error_type: 'no_pri' })).toBeGreaterThanOrEqual(1);
    expect(metricValue(metrics, 'haetae_errors_total', { stage: 'receive', error_type: 'HAETAE_SYSLOG_TRUNCATED' })).toBeGreaterThanOrEqual(1);
  }, 60_000);

  it('processes every received message exactly once (no re-reads of committed records)', async () => {
    const received = async (): Promise<{ receiver: number; worker: number }> => {
      const text = await metricsText(httpPort);
      return {
        receiver: metricValue(text, 'haetae_received_total', { stage: 'receive', transport: 'udp' }) + metricValue(text, 'haetae_received_total', { stage: 'receive', transport: 'tcp' }),
        worker: metricValue(text, 'haetae_received_total', { stage: 'worker', transport: 'kafka' }),
      };
    };
    const token = `once${randomUUID().slice(0, 8)}`;
    for (let i = 0; i < 5; i++) logger(['-n', '127.0.0.1', '-P', String(tcpPort), '-T', '--octet-count', `exactly once ${i} ${token}`]);
    await eventually(async () => (search(cfg.file, `message:${token}`).length === 5 ? true : undefined), 'five events', 30_000);
    await new Promise((r) => setTimeout(r, 2_000));
    const counts = await received();
    expect(counts.receiver).toBeGreaterThanOrEqual(5);
    expect(counts.worker).toBe(counts.receiver);
  }, 60_000);

  it('resolves an interface-down alert when the same device reports the interface up, notifying both', async () => {
    // logger writes "<187>Nov 22 … <this host> 457: %LINK-3-UPDOWN: …", as an IOS device does.
    logger(['-n', '127.0.0.1', '-P', String(udpPort), '-d', '--rfc3164', '-p', 'local7.err', '-t', '457', '%LINK-3-UPDOWN: Interface GigabitEthernet0/1, changed state to down']);
    const opened = await eventually(async () => hook.deliveries.find((d) => d.json.alert.rule.id === '5e1f3a7c-9b2d-4c8e-a6f0-1d2c3b4a5e69' && d.json.event === 'opened'), 'the link-down alert', 30_000);
    logger(['-n', '127.0.0.1', '-P', String(udpPort), '-d', '--rfc3164', '-p', 'local7.notice', '-t', '458', '%LINK-3-UPDOWN: Interface GigabitEthernet0/1, changed state to up']);
    const resolved = await eventually(async () => hook.deliveries.find((d) => d.json.event === 'resolved' && d.json.alert.alert.id === opened.json.alert.alert.id), 'the resolution', 30_000);
    expect(resolved.signatureValid).toBe(true);
    expect(resolved.json.alert.alert).toMatchObject({ status: 'resolved', group_key: opened.json.alert.alert.group_key });
    expect(resolved.delivery).toBe(`${opened.json.alert.alert.id}-resolved-webhook`);
    await es.indices.refresh({ index: cfg.alertsIndex });
    const stored = await es.get<any>({ index: cfg.alertsIndex, id: opened.json.alert.alert.id });
    expect(stored._source.alert.status).toBe('resolved');
    expect(stored._source.alert.resolved_by).toMatch(/^haetae\.test\./);
    // The link-up rule routes to no channel: it produced no delivery of its own.
    expect(hook.deliveries.filter((d) => d.json.alert.rule.id === '8a2b4c6d-1e3f-4a5b-9c7d-2e4f6a8b0c13')).toHaveLength(0);
  }, 60_000);

  it('turns a rule match into one alert document and exactly one signed webhook delivery', async () => {
    const token = `ssh${randomUUID().slice(0, 8)}`;
    const before = hook.deliveries.length;
    logger(['-n', '127.0.0.1', '-P', String(udpPort), '-d', '--rfc3164', '-t', 'sshd', '-i', `Failed password for root from 203.0.113.5 port 52113 ssh2 ${token}`]);
    const delivery = await eventually(async () => hook.deliveries.find((d) => d.json.alert.message.includes(token)), 'the webhook delivery', 30_000);
    expect(delivery.signatureValid).toBe(true);
    expect(delivery.json.alert.rule).toMatchObject({ id: '4f1c8a52-2a7e-4b0e-9d43-6d9b3c1f7a01', title: 'SSH authentication failure' });
    expect(delivery.json.alert.alert).toMatchObject({ status: 'open', severity: 'low' });

    // Indexed before the alert was enqueued, but searchable only after the next refresh (≤ 1 s).
    const event = await eventually(async () => search(cfg.file, `message:${token}`)[0], 'the event in search', 10_000);
    expect(event.haetae.rules).toEqual(['4f1c8a52-2a7e-4b0e-9d43-6d9b3c1f7a01']);
    await es.indices.refresh({ index: cfg.alertsIndex });
    const alerts = await es.search({ index: cfg.alertsIndex, query: { match: { message: token } } });
    expect(alerts.hits.hits).toHaveLength(1);
    expect(alerts.hits.hits[0]!._id).toBe(delivery.json.alert.alert.id);
    expect((alerts.hits.hits[0]!._source as any).events.ids).toEqual([event._id]);

    // Count only what this message caused: other rules (absence, earlier tests) may deliver meanwhile.
    await new Promise((r) => setTimeout(r, 1_500));
    const mine = hook.deliveries.slice(before).filter((d) => d.json.alert.message.includes(token) || (d.json.alert.events?.ids ?? []).includes(event._id));
    expect(mine).toHaveLength(1);
  }, 60_000);

  it('dates messages with absurd clocks at their receive time, keeping their own timestamps, and counts them', async () => {
    const token = `clk${randomUUID().slice(0, 8)}`;
    const now = Date.now();
    const udp = dgram.createSocket('udp4');
    const send = (text: string) => new Promise<void>((r, j) => udp.send(Buffer.from(text), udpPort, '127.0.0.1', (e) => (e ? j(e) : r())));
    await send(`<13>1 2099-01-01T00:00:00Z rogue app - - - from the future ${token}`);
    await send(`<13>${bsdTimestamp(new Date(now + 2 * 86_400_000))} fast app: two days fast ${token}`);
    await send(`<13>1 1970-01-01T00:00:07Z noclock app - - - booted without a clock ${token}`);
    udp.close();
    const events = await eventually(async () => {
      const found = search(cfg.file, `message:${token}`);
      return found.length === 3 ? found : undefined;
    }, 'three events dated at their receive time', 30_000);
    const by = (needle: string) => events.find((e) => e.message.includes(needle))!;
    for (const e of events) {
      expect(e.tags).toContain('haetae_timestamp_corrected');
      expect(e['@timestamp']).toBe(e.event.created);
      expect(Math.abs(Date.parse(e['@timestamp']) - now)).toBeLessThan(120_000);
    }
    expect(by('from the future').haetae.time).toMatchObject({ original: '2099-01-01T00:00:00.000Z', correction: 'future' });
    expect(new Date(by('two days fast').haetae.time.original).getUTCDate()).toBe(new Date(now + 2 * 86_400_000).getUTCDate());
    expect(by('two days fast').haetae.time.original.slice(0, 4)).toBe(String(new Date(now + 2 * 86_400_000).getUTCFullYear()));
    expect(by('without a clock').haetae.time).toMatchObject({ original: '1970-01-01T00:00:07.000Z', correction: 'past' });
    const metrics = await metricsText(httpPort);
    expect(metricValue(metrics, 'haetae_time_corrected_total', { direction: 'future' })).toBeGreaterThanOrEqual(2);
    expect(metricValue(metrics, 'haetae_time_corrected_total', { direction: 'past' })).toBeGreaterThanOrEqual(1);
  }, 60_000);
});
