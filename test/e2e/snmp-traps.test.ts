import { spawnSync } from 'node:child_process';
import dgram from 'node:dgram';
import fs from 'node:fs';
import { randomUUID } from 'node:crypto';
import YAML from 'yaml';
import { createEsClient } from '../../connectors/elasticsearch/client';
import { eventually, services } from '../support/services';
import { HaetaeProcess, metricValue, metricsText, runCli, writeConfig } from '../support/haetae-process';
import { sharedData } from '../support/shared-data';
import { startWebhookServer } from '../support/webhook-server';
import { WEBHOOK_SECRET, e2eConfig } from './config';

const es = createEsClient({ url: services.elasticsearchUrl, requestTimeoutMs: 30_000 });
afterAll(() => es.close());

const LINK_DOWN_RULE = 'fe8ac68a-eccc-4d30-a8bc-239f688c08d9';

/** Debian's net-snmp `snmptrap`, as an operator or a device would send. */
function snmptrap(args: string[]): void {
  const res = spawnSync('snmptrap', args, { encoding: 'utf8', timeout: 15_000 });
  if (res.status !== 0) throw new Error(`snmptrap ${args.join(' ')} failed (${res.status}): ${res.stderr}`);
}

/**
 * Real traps from Debian's net-snmp tools through `haetae run all`: receiver → Kafka → worker
 * (MIB translation, the shipped SNMP rules) → Elasticsearch → alert → webhook.
 */
describe('SNMP traps end to end', () => {
  let hook: Awaited<ReturnType<typeof startWebhookServer>>;
  let haetae: HaetaeProcess;
  let cfg: ReturnType<typeof e2eConfig>;
  let file: string;
  let trapPort: number;
  let httpPort: number;

  beforeAll(async () => {
    hook = await startWebhookServer(WEBHOOK_SECRET);
    cfg = e2eConfig(hook.url);
    const config = YAML.parse(fs.readFileSync(cfg.file, 'utf8'));
    config.snmp = {
      listeners: [{ host: '127.0.0.1', port: 0 }],
      communities: ['e2e-community'],
      users: [{ name: 'noc', level: 'authPriv', authProtocol: 'sha', authKey: 'e2e-auth-pass', privProtocol: 'aes', privKey: 'e2e-priv-pass' }],
      mibs: [sharedData('mibs/ietf-extra')],
    };
    file = writeConfig(config);
    haetae = new HaetaeProcess(['run', 'all'], file);
    trapPort = Number((await haetae.waitFor(/Listening for SNMP traps and informs on UDP 127\.0\.0\.1:(\d+)/))[1]);
    httpPort = Number((await haetae.waitFor(/metrics on http:\/\/127\.0\.0\.1:(\d+)\/metrics/))[1]);
    await haetae.waitFor(/Worker joined the consumer group/);
  }, 120_000);

  afterAll(async () => {
    await haetae?.stop();
    await hook?.close();
    await es.indices.delete({ index: cfg.alertsIndex }).catch(() => undefined);
  }, 60_000);

  const search = (query: string): any[] => {
    const res = runCli(['search', query, '--since', '10m', '--json', '--limit', '50'], file);
    if (res.status !== 0) throw new Error(`haetae search failed: ${res.stderr}`);
    return res.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l));
  };

  it('a v2c linkDown then linkUp opens one alert and resolves it, one signed webhook each; the trap is searchable by name and OID', async () => {
    const ifDescr = `Gi0/${randomUUID().slice(0, 6)}`;
    const varbinds = (status: number) => ['1.3.6.1.2.1.2.2.1.1.7', 'i', '7', '1.3.6.1.2.1.2.2.1.2.7', 's', ifDescr, '1.3.6.1.2.1.2.2.1.8.7', 'i', String(status)];
    snmptrap(['-v', '2c', '-c', 'e2e-community', `127.0.0.1:${trapPort}`, '', '1.3.6.1.6.3.1.1.5.3', ...varbinds(2)]);
    const opened = await eventually(async () => hook.deliveries.find((d) => d.json.alert.rule.id === LINK_DOWN_RULE && d.json.alert.message.includes(ifDescr)), 'the linkDown alert', 30_000);
    expect(opened.signatureValid).toBe(true);
    expect(opened.json.alert.alert.group_key).toBe('observer.ip=["127.0.0.1"], snmp.varbinds.ifIndex=7');

    const [event] = await eventually(async () => { const f = search(`snmp.varbinds.ifDescr:"${ifDescr}"`); return f.length === 1 ? f : undefined; }, 'the trap in search', 15_000);
    expect(event).toMatchObject({
      message: `IF-MIB::linkDown ifIndex=7 ifDescr=${ifDescr} ifOperStatus=down`,
      event: { dataset: 'snmp.trap', action: 'linkDown' },
      observer: { ip: ['127.0.0.1'] },
      snmp: { version: '2c', pdu: 'trapv2', trap: { oid: '1.3.6.1.6.3.1.1.5.3', name: 'IF-MIB::linkDown' }, varbinds: { ifIndex: 7, ifOperStatus: 'down' } },
    });
    expect(search(`snmp.varbind.oid:"1.3.6.1.2.1.2.2.1.8.7" AND snmp.varbinds.ifDescr:"${ifDescr}"`)).toHaveLength(1);
    expect(JSON.stringify(event)).not.toContain('e2e-community');
    // The exact packet is kept for forensics, with the community's bytes blanked (same length, same BER).
    const packet = Buffer.from(event.haetae.original_base64, 'base64');
    expect(packet.includes(Buffer.from('e2e-community'))).toBe(false);
    expect(packet.includes(Buffer.from(ifDescr))).toBe(true);

    snmptrap(['-v', '2c', '-c', 'e2e-community', `127.0.0.1:${trapPort}`, '', '1.3.6.1.6.3.1.1.5.4', ...varbinds(1)]);
    const resolved = await eventually(async () => hook.deliveries.find((d) => d.json.event === 'resolved' && d.json.alert.alert.id === opened.json.alert.alert.id), 'the resolution', 30_000);
    expect(resolved.json.alert.alert.status).toBe('resolved');
    await new Promise((r) => setTimeout(r, 1_500));
    expect(hook.deliveries.filter((d) => d.json.alert.alert.id === opened.json.alert.alert.id)).toHaveLength(2);
  }, 90_000);

  it('takes v1 and v3 authPriv traps, and counts a wrong community and random bytes without breaking', async () => {
    const tag = randomUUID().slice(0, 8);
    // v1 coldStart from an agent, then a v3 authPriv enterprise trap with a DisplayString.
    snmptrap(['-v', '1', '-c', 'e2e-community', `127.0.0.1:${trapPort}`, '1.3.6.1.4.1.8072.3.2.10', '192.0.2.55', '0', '0', '', '1.3.6.1.2.1.1.5.0', 's', `v1-${tag}`]);
    snmptrap(['-v', '3', '-e', '0x8000000001020304', '-u', 'noc', '-l', 'authPriv', '-a', 'SHA', '-A', 'e2e-auth-pass', '-x', 'AES', '-X', 'e2e-priv-pass', `127.0.0.1:${trapPort}`, '', '1.3.6.1.6.3.1.1.5.1', '1.3.6.1.2.1.1.5.0', 's', `v3-${tag}`]);
    snmptrap(['-v', '2c', '-c', 'wrong-community', `127.0.0.1:${trapPort}`, '', '1.3.6.1.6.3.1.1.5.1', '1.3.6.1.2.1.1.5.0', 's', `bad-${tag}`]);
    const udp = dgram.createSocket('udp4');
    await new Promise<void>((r, j) => udp.send(Buffer.from([0x30, 0x82, 0xff, 0xff, 0x02, 0x01]), trapPort, '127.0.0.1', (e) => (e ? j(e) : r())));
    udp.close();

    const v1 = await eventually(async () => search(`message:"v1-${tag}"`)[0], 'the v1 trap', 20_000);
    expect(v1.snmp).toMatchObject({ version: '1', trap: { oid: '1.3.6.1.6.3.1.1.5.1', name: 'SNMPv2-MIB::coldStart', enterprise: '1.3.6.1.4.1.8072.3.2.10', generic: 0 }, agent: { address: '192.0.2.55' } });
    const v3 = await eventually(async () => search(`message:"v3-${tag}"`)[0], 'the v3 trap', 20_000);
    expect(v3.snmp).toMatchObject({ version: '3', security: { user: 'noc', level: 'authPriv' }, engine: { id: '8000000001020304' }, varbinds: { sysName: `v3-${tag}` } });
    expect(search(`message:"bad-${tag}"`)).toHaveLength(0);
    const metrics = await metricsText(httpPort);
    const refused = metrics.split('\n').filter((l) => l.startsWith('haetae_errors_total{stage="snmp"'));
    expect(refused.length).toBeGreaterThanOrEqual(2);
    expect(metricValue(metrics, 'haetae_received_total', { stage: 'worker', transport: 'kafka' })).toBeGreaterThanOrEqual(4);
    expect(haetae.child.exitCode).toBeNull();
  }, 90_000);
});
