import { randomInt, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createEsClient } from '../../connectors/elasticsearch/client';
import { eventually, services } from '../support/services';
import { HaetaeProcess, logger, readyz, runCli } from '../support/haetae-process';
import { startWebhookServer } from '../support/webhook-server';
import { WEBHOOK_SECRET, e2eConfig } from './config';

const es = createEsClient({ url: services.elasticsearchUrl, requestTimeoutMs: 30_000 });

/**
 * Vendor decoders on the real stack: sshd lines sent with `logger` are read into ECS fields
 * (the attacker's address in source.ip, the user in user.name), land in the Linux family's data
 * stream, are searchable by those fields with `haetae search`, and the shipped SSH brute-force
 * correlation — grouped by the attacker's address — fires once with one webhook.
 */
describe('decoders on the real pipeline', () => {
  let hook: Awaited<ReturnType<typeof startWebhookServer>>;
  let cfg: ReturnType<typeof e2eConfig>;
  let haetae: HaetaeProcess;
  let udpPort: number;
  /** Listed in a threat feed (a plain list file) the worker loads through enrich.threat. */
  const listed = `198.51.100.${randomInt(1, 254)}`;

  beforeAll(async () => {
    hook = await startWebhookServer(WEBHOOK_SECRET);
    const feed = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'haetae-e2e-threat-')), 'bad-ips.txt');
    fs.writeFileSync(feed, `# e2e feed\n${listed}\n192.0.2.0/24\n`);
    cfg = e2eConfig(hook.url, { enrich: { threat: [{ name: 'e2e-feed', file: feed, format: 'list' }], zones: [{ name: 'documentation', networks: ['198.51.100.0/24'] }] } });
    haetae = new HaetaeProcess(['run', 'all'], cfg.file);
    udpPort = Number((await haetae.waitFor(/listening for syslog on udp:\/\/127\.0\.0\.1:(\d+)/))[1]);
    const httpPort = Number((await haetae.waitFor(/metrics on http:\/\/127\.0\.0\.1:(\d+)\/metrics/))[1]);
    await eventually(async () => ((await readyz(httpPort)) ? true : undefined), 'haetae /readyz', 60_000);
  }, 120_000);

  afterAll(async () => {
    await haetae?.stop();
    await hook?.close();
    await es.indices.delete({ index: cfg.alertsIndex }).catch(() => undefined);
    await es.close();
  }, 60_000);

  it('reads sshd failures into source.ip/user.name, stores them in logs-haetae.linux-*, and correlates by the attacker', async () => {
    const attacker = `203.0.113.${randomInt(1, 254)}`;
    const user = `u${randomUUID().slice(0, 8)}`;
    for (let i = 0; i < 10; i++) {
      logger(['-n', '127.0.0.1', '-P', String(udpPort), '-d', '--rfc3164', '-t', 'sshd', '-p', 'auth.info', `Failed password for invalid user ${user} from ${attacker} port ${40000 + i} ssh2`]);
    }
    const found = await eventually(async () => {
      const res = runCli(['search', `user.name:${user} AND source.ip:"${attacker}"`, '--since', '10m', '--json', '--limit', '50'], cfg.file);
      if (res.status !== 0) throw new Error(`haetae search failed: ${res.stderr}`);
      const events = res.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l));
      return events.length === 10 ? events : undefined;
    }, 'ten decoded sshd events in search', 45_000);
    expect(found[0]).toMatchObject({
      source: { ip: attacker }, user: { name: user },
      event: { dataset: 'linux.sshd', module: 'linux', outcome: 'failure' },
      log: { source: { address: '127.0.0.1' } },
      haetae: { decoder: { id: 'linux-sshd' } },
    });
    // Stored in the Linux family's stream, with source.ip mapped as an ip (a CIDR term finds it).
    await es.indices.refresh({ index: 'logs-haetae.linux-test' });
    const inStream = await es.count({ index: 'logs-haetae.linux-test', query: { bool: { filter: [{ term: { 'source.ip': '203.0.113.0/24' } }, { term: { 'user.name': user } }] } } });
    expect(inStream.count).toBe(10);

    const delivery = await eventually(async () => hook.deliveries.find((d) => d.json.alert.rule.id === '7c0e5a8f-3d1b-4e2a-9f6c-8b7d6e5f4a31' && d.json.alert.alert.group_key === `source.ip="${attacker}"`), 'the brute-force correlation webhook', 60_000);
    expect(delivery.json.alert.alert.kind).toBe('correlation');
    await new Promise((r) => setTimeout(r, 2_000));
    expect(hook.deliveries.filter((d) => d.json.alert.rule.id === '7c0e5a8f-3d1b-4e2a-9f6c-8b7d6e5f4a31' && d.json.alert.alert.group_key === `source.ip="${attacker}"`)).toHaveLength(1);
  }, 150_000);

  it('enriches decoded events from a threat feed and a zone, and the shipped threat-intel rule alerts', async () => {
    const user = `t${randomUUID().slice(0, 8)}`;
    logger(['-n', '127.0.0.1', '-P', String(udpPort), '-d', '--rfc3164', '-t', 'sshd', '-p', 'auth.info', `Accepted password for ${user} from ${listed} port 50001 ssh2`]);
    const [event] = await eventually(async () => {
      const res = runCli(['search', `user.name:${user}`, '--since', '10m', '--json'], cfg.file);
      const events = res.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l));
      return events.length === 1 ? events : undefined;
    }, 'the enriched event in search', 45_000);
    expect(event.tags).toContain('haetae_threat_match');
    expect(event.threat.enrichments).toEqual([expect.objectContaining({ matched: expect.objectContaining({ field: 'source.ip', atomic: listed }) })]);
    expect(event.haetae.zone).toMatchObject({ source: 'documentation' });
    const delivery = await eventually(async () => hook.deliveries.find((d) => d.json.alert.rule.id === '3c9e5b1a-7d24-4f6b-8a0e-5b2c9d1f4e70' && d.json.alert.events.ids.length > 0 && JSON.stringify(d.json.alert).includes(listed)), 'the threat-intel alert webhook', 45_000);
    expect(delivery.json.alert.alert.severity).toBe('high');
  }, 120_000);
});
