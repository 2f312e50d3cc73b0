import dgram from 'node:dgram';
import fs from 'node:fs';
import crypto from 'node:crypto';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Writable } from 'node:stream';
import { Kafka, logLevel, type Consumer } from 'kafkajs';
import pino from 'pino';
import fc from 'fast-check';
import { loadConfig } from '../../../pipeline/config/load';
import { startReceiver, type RunningReceiver } from '../../../pipeline/roles/receiver';
import { createKafka } from '../../../connectors/kafka/client';
import { Metrics } from '../../../pipeline/telemetry/metrics';
import type { RawEnvelope } from '../../../schemas/generated/types';
import { compileValidators } from '../../../schemas/validators';
import { writeConfig } from '../../support/haetae-process';
import { eventually, services, uniqueName } from '../../support/services';

/**
 * The trap receiver inside the receiver role, against the real Kafka, driven by Debian's net-snmp
 * tools (snmptrap, snmpinform 5.9): every version and USM level the issue names, informs answered
 * only once stored, refusals counted, and nothing secret in Kafka or the logs.
 */
const run = promisify(execFile);
/** Node 24's OpenSSL loads single DES only with --openssl-legacy-provider (run this file both ways). */
const DES = (() => { try { crypto.createDecipheriv('des-cbc', Buffer.alloc(8), Buffer.alloc(8)); return true; } catch { return false; } })();
const COMMUNITY = 'pub-s3cr3t-community';
const KEYS = { shaAuth: 'authpass-s3cr3t-1', aesPriv: 'privpass-s3cr3t-1', md5Auth: 'authpass-s3cr3t-2', desPriv: 'privpass-s3cr3t-2', sha256Auth: 'authpass-s3cr3t-3', aes256Priv: 'privpass-s3cr3t-3' };
// The tools read no MIBs (numeric OIDs only) and keep no state between runs.
const TOOL_ENV = { ...process.env, MIBS: '', MIBDIRS: '/nonexistent', SNMPCONFPATH: '/nonexistent', SNMP_PERSISTENT_DIR: fs.mkdtempSync('/tmp/haetae-snmp-persist-') };

let receiver: RunningReceiver;
let metrics: Metrics;
let rawTopic: string;
let port4: number;
let port6: number;
let consumer: Consumer;
let stateDir: string;
let restart: () => Promise<void>;
const logLines: string[] = [];
const envelopes: RawEnvelope[] = [];
const keys: string[] = [];

async function tool(cmd: 'snmptrap' | 'snmpinform', args: string[]): Promise<{ code: number; stderr: string }> {
  try {
    const r = await run(`/usr/bin/${cmd}`, ['-t', '2', '-r', '1', ...args], { env: TOOL_ENV, timeout: 20_000 });
    return { code: 0, stderr: r.stderr };
  } catch (err) {
    const e = err as { code?: number; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : 1, stderr: e.stderr ?? String(err) };
  }
}

/** The one envelope whose ifDescr varbind carries `tag` (each test sends its own tag). */
async function envelopeTagged(tag: string): Promise<RawEnvelope> {
  const b64 = Buffer.from(tag).toString('base64');
  return eventually(async () => envelopes.find((e) => e.snmp?.varbinds.some((v) => v.value === b64)), `the envelope tagged ${tag}`, 20_000, 50);
}

function trapArgs(tag: string): string[] {
  return ['1.3.6.1.6.3.1.1.5.3', '1.3.6.1.2.1.2.2.1.1.3', 'i', '3', '1.3.6.1.2.1.2.2.1.2.3', 's', tag, '1.3.6.1.2.1.2.2.1.8.3', 'i', '2'];
}

async function errorsOf(type: string): Promise<number> {
  return metrics.value('haetae_errors_total', { stage: 'snmp', error_type: type });
}

beforeAll(async () => {
  rawTopic = `haetae.test.${uniqueName('')}.raw`;
  const file = writeConfig({
    kafka: { brokers: services.kafkaBrokers, rawTopic, dlqTopic: `${rawTopic}.dlq`, rawPartitions: 3 },
    receiver: { listeners: [], batchMaxDelayMs: 5 },
    snmp: {
      listeners: [{ host: '127.0.0.1', port: 0 }, { host: '::1', port: 0 }],
      communities: [COMMUNITY, { community: 'lab-only', sources: ['10.0.0.0/8'] }],
      users: [
        { name: 'noc', level: 'authPriv', authProtocol: 'sha', authKey: KEYS.shaAuth, privProtocol: 'aes', privKey: KEYS.aesPriv },
        DES
          ? { name: 'legacy', level: 'authPriv', authProtocol: 'md5', authKey: KEYS.md5Auth, privProtocol: 'des', privKey: KEYS.desPriv }
          : { name: 'legacy', level: 'authPriv', authProtocol: 'md5', authKey: KEYS.md5Auth, privProtocol: 'aes', privKey: KEYS.desPriv },
        { name: 'auditor', level: 'authNoPriv', authProtocol: 'sha256', authKey: KEYS.sha256Auth },
        { name: 'strong', level: 'authPriv', authProtocol: 'sha512', authKey: KEYS.sha256Auth, privProtocol: 'aes256b', privKey: KEYS.aes256Priv },
      ],
    },
    http: { host: '127.0.0.1', port: 0 },
  });
  stateDir = path.join(path.dirname(file), '.haetae');
  const loaded = loadConfig({ file, env: {} });
  const logger = pino({ level: 'debug' }, new Writable({ write(chunk, _enc, cb) { logLines.push(String(chunk)); cb(); } }));
  metrics = new Metrics();
  receiver = await startReceiver(loaded, createKafka(loaded.config.kafka, logger), logger, metrics);
  port4 = receiver.traps!.listeners[0]!.address.port;
  port6 = receiver.traps!.listeners[1]!.address.port;
  restart = async () => {
    await receiver.stop();
    metrics = new Metrics();
    receiver = await startReceiver(loaded, createKafka(loaded.config.kafka, logger), logger, metrics);
    port4 = receiver.traps!.listeners[0]!.address.port;
    port6 = receiver.traps!.listeners[1]!.address.port;
  };
  const kafka = new Kafka({ clientId: 'haetae-test', brokers: services.kafkaBrokers, logLevel: logLevel.NOTHING });
  consumer = kafka.consumer({ groupId: uniqueName('haetae-test-') });
  await consumer.connect();
  await consumer.subscribe({ topics: [rawTopic], fromBeginning: true });
  await consumer.run({ eachMessage: async ({ message }) => {
    keys.push(message.key!.toString());
    envelopes.push(JSON.parse(message.value!.toString()) as RawEnvelope);
  } });
}, 60_000);

afterAll(async () => {
  await consumer?.disconnect();
  await receiver?.stop();
}, 30_000);

describe('SNMP trap receiver with Debian net-snmp tools', () => {
  it('takes a v2c trap: decoded varbinds, exact packet bytes, no community, keyed by source', async () => {
    const r = await tool('snmptrap', ['-v', '2c', '-c', COMMUNITY, `127.0.0.1:${port4}`, '', ...trapArgs('v2c-a')]);
    expect(r).toMatchObject({ code: 0 });
    const e = await envelopeTagged('v2c-a');
    expect(compileValidators().envelope(e)).toBe(true);
    expect(e).toMatchObject({ v: 1, kind: 'snmp', transport: 'udp', framing: 'datagram', source: { address: '127.0.0.1' }, listener: { port: port4 } });
    expect(e.id).toMatch(/^[A-Za-z0-9_-]+\.[0-9a-z]+$/);
    expect(e.snmp).toMatchObject({ version: '2c', pdu: 'trapv2' });
    expect(typeof e.snmp!.requestId).toBe('number');
    expect(e.snmp!.varbinds[0]).toMatchObject({ oid: '1.3.6.1.2.1.1.3.0', type: 'TimeTicks' });
    expect(e.snmp!.varbinds[1]).toEqual({ oid: '1.3.6.1.6.3.1.1.4.1.0', type: 'ObjectIdentifier', value: '1.3.6.1.6.3.1.1.5.3' });
    expect(e.snmp!.varbinds.slice(2)).toEqual([
      { oid: '1.3.6.1.2.1.2.2.1.1.3', type: 'Integer', value: 3 },
      { oid: '1.3.6.1.2.1.2.2.1.2.3', type: 'OctetString', value: Buffer.from('v2c-a').toString('base64') },
      { oid: '1.3.6.1.2.1.2.2.1.8.3', type: 'Integer', value: 2 },
    ]);
    const packet = Buffer.from(e.payload, 'base64');
    // The packet is the datagram with its community's bytes blanked: same length, same BER, no secret.
    expect(packet[0]).toBe(0x30);
    expect(packet.includes(Buffer.from(COMMUNITY))).toBe(false);
    expect(packet.includes(Buffer.from('*'.repeat(COMMUNITY.length)))).toBe(true);
    expect(packet.includes(Buffer.from('v2c-a'))).toBe(true);
    expect(JSON.stringify(e)).not.toContain(COMMUNITY);
    expect(keys[envelopes.indexOf(e)]).toBe('127.0.0.1');
  });

  it('takes a v1 trap with its header fields', async () => {
    const r = await tool('snmptrap', ['-v', '1', '-c', COMMUNITY, `127.0.0.1:${port4}`, '1.3.6.1.4.1.9.9.43', '192.0.2.7', '6', '1', '12345', '1.3.6.1.2.1.2.2.1.2.3', 's', 'v1-a']);
    expect(r).toMatchObject({ code: 0 });
    const e = await envelopeTagged('v1-a');
    expect(e.snmp).toMatchObject({ version: '1', pdu: 'trap', v1: { enterprise: '1.3.6.1.4.1.9.9.43', agentAddress: '192.0.2.7', generic: 6, specific: 1, timestamp: 12345 } });
    expect(e.snmp!.requestId).toBeUndefined();
  });

  it('takes a v2c trap on the IPv6 listener', async () => {
    expect(await tool('snmptrap', ['-v', '2c', '-c', COMMUNITY, `udp6:[::1]:${port6}`, '', ...trapArgs('v6-a')])).toMatchObject({ code: 0 });
    const e = await envelopeTagged('v6-a');
    expect(e.source.address).toBe('::1');
  });

  it.each([
    ['SHA/AES authPriv', 'noc', ['-l', 'authPriv', '-a', 'SHA', '-A', KEYS.shaAuth, '-x', 'AES', '-X', KEYS.aesPriv], 'authPriv'],
    [DES ? 'MD5/DES authPriv' : 'MD5/AES authPriv (DES: see below)', 'legacy', ['-l', 'authPriv', '-a', 'MD5', '-A', KEYS.md5Auth, '-x', DES ? 'DES' : 'AES', '-X', KEYS.desPriv], 'authPriv'],
    ['SHA-256 authNoPriv', 'auditor', ['-l', 'authNoPriv', '-a', 'SHA-256', '-A', KEYS.sha256Auth], 'authNoPriv'],
    ['SHA-512/AES-256 authPriv', 'strong', ['-l', 'authPriv', '-a', 'SHA-512', '-A', KEYS.sha256Auth, '-x', 'AES-256', '-X', KEYS.aes256Priv], 'authPriv'],
  ])('takes a v3 %s trap from the sender\'s own engine id', async (name, user, security, level) => {
    const tag = `v3-${user}`;
    const engine = `80000000010203${Buffer.from(user).toString('hex').slice(0, 8)}`;
    const r = await tool('snmptrap', ['-v', '3', '-e', `0x${engine}`, '-u', user, ...security, `127.0.0.1:${port4}`, '', ...trapArgs(tag)]);
    expect([name, r]).toMatchObject([name, { code: 0 }]);
    const e = await envelopeTagged(tag);
    expect(e.snmp).toMatchObject({ version: '3', pdu: 'trapv2', v3: { user, engineId: engine, level } });
    const text = JSON.stringify(e);
    for (const k of Object.values(KEYS)) expect(text).not.toContain(k);
  });

  it('answers a v2c inform only once its envelope is in Kafka', async () => {
    const r = await tool('snmpinform', ['-v', '2c', '-c', COMMUNITY, `127.0.0.1:${port4}`, '', ...trapArgs('inform-v2c')]);
    expect(r).toMatchObject({ code: 0 });
    const e = await envelopeTagged('inform-v2c');
    expect(e.snmp).toMatchObject({ version: '2c', pdu: 'inform' });
    expect(envelopes.filter((x) => x.snmp?.varbinds.some((v) => v.value === Buffer.from('inform-v2c').toString('base64')))).toHaveLength(1);
  });

  it('answers v3 informs (engine discovery against our persisted engine id)', async () => {
    const r = await tool('snmpinform', ['-v', '3', '-u', 'noc', '-l', 'authPriv', '-a', 'SHA', '-A', KEYS.shaAuth, '-x', 'AES', '-X', KEYS.aesPriv, `127.0.0.1:${port4}`, '', ...trapArgs('inform-v3')]);
    expect(r).toMatchObject({ code: 0 });
    const e = await envelopeTagged('inform-v3');
    const state = JSON.parse(fs.readFileSync(path.join(stateDir, 'snmp-engine.json'), 'utf8')) as { engineId: string; boots: number };
    expect(e.snmp).toMatchObject({ version: '3', pdu: 'inform', v3: { user: 'noc', engineId: state.engineId, level: 'authPriv' } });
    expect(state.boots).toBe(1);
    expect(receiver.traps!.engineId).toBe(state.engineId);
  });

  it('refuses a v3 inform outside our time window, with a report the sender resynchronises from', async () => {
    const before = await errorsOf('not_in_time_window');
    const state = JSON.parse(fs.readFileSync(path.join(stateDir, 'snmp-engine.json'), 'utf8')) as { engineId: string };
    // -Z sets the boots/time the sender believes we have: far off. It retries after our report.
    const r = await tool('snmpinform', ['-v', '3', '-e', `0x${state.engineId}`, '-Z', '1,100000', '-u', 'auditor', '-l', 'authNoPriv', '-a', 'SHA-256', '-A', KEYS.sha256Auth, `127.0.0.1:${port4}`, '', ...trapArgs('inform-v3-late')]);
    expect(await errorsOf('not_in_time_window')).toBeGreaterThan(before);
    // net-snmp resends after an authenticated notInTimeWindow report with our boots/time.
    expect(r).toMatchObject({ code: 0 });
    await envelopeTagged('inform-v3-late');
  });

  it('refuses a v3 inform addressed to another engine id, with an unknownEngineID report', async () => {
    const before = await errorsOf('unknown_engine_id');
    const r = await tool('snmpinform', ['-v', '3', '-e', '0x800000000199999999', '-u', 'auditor', '-l', 'authNoPriv', '-a', 'SHA-256', '-A', KEYS.sha256Auth, `127.0.0.1:${port4}`, '', ...trapArgs('inform-v3-other-engine')]);
    expect(await errorsOf('unknown_engine_id')).toBeGreaterThan(before);
    // The sender reads our report: net-snmp 5.9 says "Unknown engine ID" and gives up (it was told -e).
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/Unknown engine ID/);
  });

  it('checks the time window of v3 traps per remote engine (RFC 3414 §3.2 step 7b)', async () => {
    const engine = '0x8000000001aabbccdd';
    const send = (bootsTime: string, tag: string) => tool('snmptrap', ['-v', '3', '-e', engine, '-Z', bootsTime, '-u', 'auditor', '-l', 'authNoPriv', '-a', 'SHA-256', '-A', KEYS.sha256Auth, `127.0.0.1:${port4}`, '', ...trapArgs(tag)]);
    const before = await errorsOf('not_in_time_window');
    await send('5,1000', 'tw-first');
    await envelopeTagged('tw-first');
    await send('4,5000', 'tw-lower-boots');
    await send('5,700', 'tw-too-old');
    await send('5,900', 'tw-within');
    await send('6,1', 'tw-rebooted');
    await envelopeTagged('tw-within');
    await envelopeTagged('tw-rebooted');
    await eventually(async () => ((await errorsOf('not_in_time_window')) - before === 2 ? true : undefined), 'two traps refused as not_in_time_window');
    const tagged = (t: string) => envelopes.some((e) => e.snmp?.varbinds.some((v) => v.value === Buffer.from(t).toString('base64')));
    expect([tagged('tw-lower-boots'), tagged('tw-too-old')]).toEqual([false, false]);
  });

  it('remembers the remote engines it learned across a restart: a replayed trap with older boots stays refused', async () => {
    const engine = '0x8000000001aabbccee';
    const send = (bootsTime: string, tag: string) => tool('snmptrap', ['-v', '3', '-e', engine, '-Z', bootsTime, '-u', 'auditor', '-l', 'authNoPriv', '-a', 'SHA-256', '-A', KEYS.sha256Auth, `127.0.0.1:${port4}`, '', ...trapArgs(tag)]);
    await send('7,2000', 'persist-first');
    await envelopeTagged('persist-first');
    await restart();
    const saved = JSON.parse(fs.readFileSync(path.join(stateDir, 'snmp-remote-engines.json'), 'utf8')) as { engines: Array<[string, number, number]> };
    expect(saved.engines.find(([id]) => id === engine.slice(2))?.slice(1, 3)).toEqual([7, 2000]);
    expect(logLines.some((l) => /Restored the boots and time of \d+ remote SNMPv3 engines/.test(l))).toBe(true);
    // Without what was saved, this would be the first trap from the engine after the restart, and accepted.
    await send('6,99999', 'persist-older-boots');
    await send('7,2005', 'persist-after');
    await envelopeTagged('persist-after');
    await eventually(async () => ((await errorsOf('not_in_time_window')) === 1 ? true : undefined), 'the older-boots trap refused as not_in_time_window');
    expect(envelopes.some((e) => e.snmp?.varbinds.some((v) => v.value === Buffer.from('persist-older-boots').toString('base64')))).toBe(false);
  }, 60_000);

  it('counts a wrong community, a wrong v3 key, an unknown user, a community from the wrong network and random bytes; later traps still arrive', async () => {
    const base = { community: await errorsOf('wrong_community'), key: (await errorsOf('wrong_digest')) + (await errorsOf('decryption_failed')), user: await errorsOf('unknown_user'), source: await errorsOf('source_not_allowed'), malformed: await errorsOf('malformed') };
    await tool('snmptrap', ['-v', '2c', '-c', 'wrong-community', `127.0.0.1:${port4}`, '', ...trapArgs('bad-community')]);
    await tool('snmptrap', ['-v', '2c', '-c', 'lab-only', `127.0.0.1:${port4}`, '', ...trapArgs('bad-source')]);
    await tool('snmptrap', ['-v', '3', '-e', '0x8000000001020399', '-u', 'noc', '-l', 'authPriv', '-a', 'SHA', '-A', 'wrong-passphrase', '-x', 'AES', '-X', KEYS.aesPriv, `127.0.0.1:${port4}`, '', ...trapArgs('bad-key')]);
    await tool('snmptrap', ['-v', '3', '-e', '0x8000000001020399', '-u', 'nobody', '-l', 'authNoPriv', '-a', 'SHA', '-A', 'whatever-pass', `127.0.0.1:${port4}`, '', ...trapArgs('bad-user')]);
    const sock = dgram.createSocket('udp4');
    const garbage = [Buffer.from('not snmp at all'), Buffer.from([0x30, 0x84, 0xff, 0xff, 0xff, 0xff]), Buffer.alloc(0), Buffer.alloc(60_000, 0x30)];
    for (const g of garbage) await new Promise<void>((res) => sock.send(g, port4, '127.0.0.1', () => res()));
    sock.close();
    await eventually(async () => ((await errorsOf('malformed')) - base.malformed >= garbage.length ? true : undefined), 'random bytes counted as malformed');
    expect(await errorsOf('wrong_community')).toBe(base.community + 1);
    expect(await errorsOf('source_not_allowed')).toBe(base.source + 1);
    expect((await errorsOf('wrong_digest')) + (await errorsOf('decryption_failed'))).toBe(base.key + 1);
    expect(await errorsOf('unknown_user')).toBe(base.user + 1);
    expect(await tool('snmptrap', ['-v', '2c', '-c', COMMUNITY, `127.0.0.1:${port4}`, '', ...trapArgs('after-bad')])).toMatchObject({ code: 0 });
    await envelopeTagged('after-bad');
    for (const t of ['bad-community', 'bad-source', 'bad-key', 'bad-user']) {
      expect([t, envelopes.some((e) => e.snmp?.varbinds.some((v) => v.value === Buffer.from(t).toString('base64')))]).toEqual([t, false]);
    }
    // Refusals are logged once a minute per source and reason, without the secret they carried.
    const logs = logLines.join('');
    expect(logs).toContain('wrong_community');
    for (const s of [COMMUNITY, 'wrong-community', 'lab-only', 'wrong-passphrase', ...Object.values(KEYS)]) expect([s, logs.includes(s)]).toEqual([s, false]);
  });

  (DES ? it.skip : it)('refuses to start with a DES user when this Node cannot do DES, naming the fix', async () => {
    const file = writeConfig({
      kafka: { brokers: services.kafkaBrokers, rawTopic: `${rawTopic}.des`, dlqTopic: `${rawTopic}.dlq` },
      receiver: { listeners: [] },
      snmp: { listeners: [{ host: '127.0.0.1', port: 0 }], users: [{ name: 'legacy', authProtocol: 'md5', authKey: KEYS.md5Auth, privProtocol: 'des', privKey: KEYS.desPriv }] },
    });
    const loaded = loadConfig({ file, env: {} });
    const logger = pino({ level: 'silent' });
    await expect(startReceiver(loaded, createKafka(loaded.config.kafka, logger), logger, new Metrics())).rejects.toThrow(/\/snmp\/users\/0\/privProtocol: DES needs OpenSSL's legacy provider.*NODE_OPTIONS=--openssl-legacy-provider/);
  }, 30_000);

  it('survives fuzzed BER at the listener (random, truncated, deeply nested, huge) and keeps delivering', async () => {
    const sock = dgram.createSocket('udp4');
    const received = await metrics.value('haetae_received_total', { stage: 'snmp', transport: 'udp' });
    let sent = 0;
    const nested = (depth: number): Buffer => { let b = Buffer.from([0x05, 0x00]); for (let i = 0; i < depth; i++) b = Buffer.concat([Buffer.from([0x30, 0x82, (b.length >> 8) & 0xff, b.length & 0xff]), b]); return b; };
    const sample = envelopes.find((e) => e.snmp?.version === '3')!;
    const realPacket = Buffer.from(sample.payload, 'base64');
    await fc.assert(fc.asyncProperty(
      fc.oneof(
        fc.uint8Array({ maxLength: 2000 }).map((a) => Buffer.from(a)),
        fc.integer({ min: 0, max: realPacket.length - 1 }).map((n) => realPacket.subarray(0, n)),
        fc.tuple(fc.integer({ min: 0, max: realPacket.length - 1 }), fc.integer({ min: 0, max: 255 })).map(([i, v]) => { const c = Buffer.from(realPacket); c[i] = v; return c; }),
        fc.integer({ min: 1, max: 5000 }).map((d) => nested(d)),
        fc.integer({ min: 1000, max: 65000 }).map((n) => Buffer.concat([Buffer.from([0x30, 0x83, 0x00, (n >> 8) & 0xff, n & 0xff, 0x02, 0x01, 0x01]), Buffer.alloc(n, 0x04)])),
      ),
      async (packet) => {
        sent++;
        await new Promise<void>((res) => sock.send(packet, port4, '127.0.0.1', () => res()));
      },
    ), { numRuns: 400 });
    sock.close();
    await eventually(async () => ((await metrics.value('haetae_received_total', { stage: 'snmp', transport: 'udp' })) - received >= sent ? true : undefined), 'every fuzzed datagram counted as received');
    expect(await tool('snmptrap', ['-v', '2c', '-c', COMMUNITY, `127.0.0.1:${port4}`, '', ...trapArgs('after-fuzz')])).toMatchObject({ code: 0 });
    await envelopeTagged('after-fuzz');
  }, 60_000);
});
