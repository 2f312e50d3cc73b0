import { randomInt, randomUUID } from 'node:crypto';
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

  beforeAll(async () => {
    hook = await startWebhookServer(WEBHOOK_SECRET);
    cfg = e2eConfig(hook.url);
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
});
