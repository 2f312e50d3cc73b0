import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { RemoteInfo } from 'node:dgram';
import { Writable } from 'node:stream';
import pino from 'pino';
import type { Message, Producer, ProducerRecord } from 'kafkajs';
import { BatchingProducer } from '../../../../connectors/kafka/batching-producer';
import { agentHostnames, loadConfig } from '../../../../pipeline/config/load';
import { EnvelopeIds } from '../../../../pipeline/envelope/envelope-id';
import { normalizeTrap } from '../../../../pipeline/normalize/snmp';
import { SnmpAccess, type UserConfig } from '../../../../pipeline/receive/snmp/access';
import { readHeader } from '../../../../pipeline/receive/snmp/ber-header';
import { TrapDecoder, type Outcome } from '../../../../pipeline/receive/snmp/decoder';
import { DeliveryNotices } from '../../../../pipeline/receive/snmp/delivery';
import { loadEngineState } from '../../../../pipeline/receive/snmp/engine-state';
import { TrapPath } from '../../../../pipeline/receive/snmp/listeners';
import { loadMibs } from '../../../../pipeline/snmp/mib/load';
import { trapMibs } from '../../../../pipeline/snmp/trap-mibs';
import { Metrics } from '../../../../pipeline/telemetry/metrics';
import type { HaetaeEvent, RawEnvelope } from '../../../../schemas/generated/types';
import { compileValidators } from '../../../../schemas/validators';
import { LINKTYPE, readCapture, type Capture, type UdpDatagram } from '../../../support/pcap';
import { sharedData } from '../../../support/shared-data';

/**
 * nDPI's real SNMP capture (../shared/data/snmp/ndpi-snmp.pcap, a pcapng file despite its name)
 * replayed through the receiver's own path: every SNMP datagram (UDP port 161 or 162 at either
 * end) is handed to TrapPath exactly as its socket's 'message' handler does, with the sender's
 * captured address — TrapDecoder (net-snmp + our checks) → buildSnmpEnvelope → the production
 * BatchingProducer, in front of a recording producer instead of Kafka. The envelopes then go
 * through the worker's normalizeTrap with the base MIBs.
 *
 * What the capture holds (72 packets, 17 flows, 14435 bytes: nDPI's .out summary):
 *  - to port 162: 2 SNMPv1 traps (community public; linkDown, linkUp), 2 v2c traps (public2c),
 *    2 v3 noAuthNoPriv traps (NOAUTHNOPRIV), 2 v3 authNoPriv traps (SHA1NOPRIV, key not
 *    published), 2 v3 authPriv traps (SHA1AES128, keys not published; the shared-data README
 *    only says "authPriv PDUs");
 *  - to/from port 161: v1/v2c get, get-next and responses (communities public and adsl), and
 *    SNMPv3 exchanges (engine-id discovery, reports, gets) for the same three v3 users.
 * Users configured: the README's — NOAUTHNOPRIV (noAuthNoPriv) and SHA1NOPRIV (authNoPriv, with
 * a stand-in key since the real one is unknown, so its traps count as wrong_digest).
 */
const SNMP_PORTS = new Set([161, 162]);
const STAND_IN_KEY = 'not-the-capture-key';
const USERS: UserConfig[] = [
  { name: 'NOAUTHNOPRIV', level: 'noAuthNoPriv' },
  { name: 'SHA1NOPRIV', level: 'authNoPriv', authProtocol: 'sha', authKey: STAND_IN_KEY },
];
const COMMUNITIES = ['public2c', 'public'];

interface Replayed { d: UdpDatagram; outcome: Outcome }

let capture: Capture;
let snmp: UdpDatagram[];
const replayed: Replayed[] = [];
const replies: Array<{ bytes: Buffer; port: number; address: string }> = [];
const logLines: string[] = [];
let envelopes: RawEnvelope[];
let metrics: Metrics;
let trapPath: TrapPath;

function rinfo(d: UdpDatagram): RemoteInfo {
  return { address: d.src, port: d.srcPort, family: d.family === 4 ? 'IPv4' : 'IPv6', size: d.payload.length };
}

function newDecoder(users: UserConfig[]): TrapDecoder {
  const engine = loadEngineState(fs.mkdtempSync(path.join(os.tmpdir(), 'haetae-pcap-replay-')), undefined);
  return new TrapDecoder(engine, new SnmpAccess(COMMUNITIES, users, '.'), 1000);
}

const to162 = (r: Replayed): boolean => r.d.dstPort === 162;
const v3User = (r: Replayed): string | undefined => readHeader(r.d.payload)?.v3?.user;
const reasons = (rs: Replayed[]): string[] => rs.map((r) => (r.outcome.kind === 'refused' ? r.outcome.reason : r.outcome.kind));

beforeAll(async () => {
  capture = readCapture(fs.readFileSync(sharedData('snmp', 'ndpi-snmp.pcap')));
  snmp = capture.datagrams.filter((d) => SNMP_PORTS.has(d.srcPort) || SNMP_PORTS.has(d.dstPort));

  metrics = new Metrics();
  const sink = new Writable({ write(chunk, _enc, cb) { logLines.push(String(chunk)); cb(); } });
  const log = pino({ level: 'info' }, sink);
  const stored: Message[] = [];
  const deliveries = new DeliveryNotices();
  const send = deliveries.observe(async (record: ProducerRecord) => { stored.push(...record.messages); return []; });
  const batching = new BatchingProducer({ send } as unknown as Producer, { topic: 'haetae.raw', maxBatch: 100, maxDelayMs: 5, maxPending: 1000, stage: 'receive', brokers: ['test'] }, log, metrics);
  const decoder = newDecoder(USERS);
  // Watch each outcome on its way through (the decoder is the one TrapPath calls).
  const decode = decoder.decode.bind(decoder);
  let current: UdpDatagram | null = null;
  decoder.decode = (packet, info) => {
    const outcome = decode(packet, info);
    replayed.push({ d: current!, outcome });
    return outcome;
  };
  trapPath = new TrapPath(decoder, batching, deliveries, { observerHostname: 'replay', ids: new EnvelopeIds(), maxPendingMessages: 1000, maxPendingBytes: 1 << 26, udpReceiveBufferBytes: 1 << 20 }, log, metrics);
  const socket = { send: (bytes: Buffer, port: number, address: string) => { replies.push({ bytes, port, address }); } };
  const listener = { address: '0.0.0.0', port: 162 };
  const handle = (trapPath as unknown as { handle(p: Buffer, r: RemoteInfo, s: unknown, l: typeof listener, n: string): void }).handle.bind(trapPath);
  for (const d of snmp) {
    current = d;
    // What the socket's 'message' handler does, minus its catch-all: a throw fails this test.
    handle(d.payload, rinfo(d), socket, listener, '0.0.0.0:162');
  }
  await batching.flush();
  envelopes = stored.map((m) => JSON.parse(m.value!.toString()) as RawEnvelope);
});

afterAll(() => trapPath.stop());

describe('replaying nDPI\'s SNMP capture through the trap receiver', () => {
  it('reads the capture as nDPI summarized it: 72 SNMP packets in 17 flows, 14435 bytes', () => {
    expect(capture.format).toBe('pcapng');
    expect(capture.linkTypes).toEqual([LINKTYPE.ETHERNET]);
    expect(capture.records).toBe(72);
    expect(capture.skipped).toEqual({});
    expect(snmp).toHaveLength(72);
    expect(snmp.reduce((n, d) => n + d.frameLength, 0)).toBe(14435);
    const flows = new Set(snmp.map((d) => [`${d.src}:${d.srcPort}`, `${d.dst}:${d.dstPort}`].sort().join(' ')));
    expect(flows.size).toBe(17);
    // Two flows are 802.1Q-tagged (VLAN 908 and 1308 in nDPI's listing).
    expect([...new Set(snmp.flatMap((d) => (d.vlan === undefined ? [] : [d.vlan])))].sort((a, b) => a - b)).toEqual([908, 1308]);
    expect(replayed).toHaveLength(72);
  });

  it('accepts the SNMPv1 linkDown/linkUp traps with their v1 header', () => {
    const v1 = replayed.filter((r) => to162(r) && readHeader(r.d.payload)?.version === 0);
    expect(v1).toHaveLength(2);
    const headers = v1.map((r) => {
      if (r.outcome.kind !== 'accepted') throw new Error(`v1 trap ${r.d.record} ${reasons([r])[0]}`);
      const p = r.outcome.pdu;
      return { enterprise: p.enterprise, agentAddr: p.agentAddr, generic: p.generic, specific: p.specific, upTime: p.upTime };
    });
    expect(headers).toEqual([
      { enterprise: '1.3.6.1.6.3.1.1.5', agentAddr: '10.1.30.1', generic: 2, specific: 0, upTime: 239244 },
      { enterprise: '1.3.6.1.6.3.1.1.5', agentAddr: '10.1.30.1', generic: 3, specific: 0, upTime: 240468 },
    ]);
  });

  it('accepts the v2c traps (community public2c) and the v3 noAuthNoPriv traps (user NOAUTHNOPRIV)', () => {
    const v2c = replayed.filter((r) => to162(r) && readHeader(r.d.payload)?.version === 1);
    expect(reasons(v2c)).toEqual(['accepted', 'accepted']);
    const noAuth = replayed.filter((r) => to162(r) && v3User(r) === 'NOAUTHNOPRIV');
    expect(reasons(noAuth)).toEqual(['accepted', 'accepted']);
    expect(noAuth.map((r) => r.outcome.kind === 'accepted' && r.outcome.pdu.user)).toEqual(['NOAUTHNOPRIV', 'NOAUTHNOPRIV']);
  });

  it('counts the authNoPriv traps of SHA1NOPRIV as wrong_digest (its key is not published)', () => {
    const sha = replayed.filter((r) => to162(r) && v3User(r) === 'SHA1NOPRIV');
    expect(sha.map((r) => readHeader(r.d.payload)!.v3!.flags & 3)).toEqual([1, 1]); // auth, no priv
    expect(reasons(sha)).toEqual(['wrong_digest', 'wrong_digest']);
  });

  it('detects the authPriv traps and counts them: unknown_user unconfigured, decryption_failed with stand-in keys', () => {
    const priv = replayed.filter((r) => to162(r) && (readHeader(r.d.payload)?.v3?.flags ?? 0) & 2);
    expect(priv.map(v3User)).toEqual(['SHA1AES128', 'SHA1AES128']);
    expect(priv.map((r) => readHeader(r.d.payload)!.v3!.flags & 3)).toEqual([3, 3]);
    expect(reasons(priv)).toEqual(['unknown_user', 'unknown_user']);
    // With the user configured (keys unknown): net-snmp decrypts before it checks the digest
    // (docs/decisions/0004-snmp-receiver.md), so garbage plaintext is what refuses them.
    const withUser = newDecoder([...USERS, { name: 'SHA1AES128', level: 'authPriv', authProtocol: 'sha', authKey: STAND_IN_KEY, privProtocol: 'aes', privKey: STAND_IN_KEY }]);
    expect(priv.map((r) => { const o = withUser.decode(r.d.payload, rinfo(r.d)); return o.kind === 'refused' ? o.reason : o.kind; })).toEqual(['decryption_failed', 'decryption_failed']);
  });

  it('refuses every get, get-next, response and report on port 161, answering only v3 discovery and unknown-user reports', () => {
    const other = replayed.filter((r) => !to162(r));
    expect(other).toHaveLength(62);
    const tally: Record<string, number> = {};
    for (const k of reasons(other)) tally[k] = (tally[k] ?? 0) + 1;
    // discovery: v3 GetRequests with no or a foreign engine id, answered with a report carrying our engine id (RFC 3414 §4).
    expect(tally).toEqual({ unsupported_pdu: 34, wrong_community: 4, wrong_digest: 8, unknown_user: 8, discovery: 8 });
    // 8 discovery reports + 4 unknownUserName reports (SHA1AES128 gets, which ask for one).
    expect(replies).toHaveLength(12);
    expect(replies.every((r) => other.some((o) => o.d.src === r.address && o.d.srcPort === r.port))).toBe(true);
  });

  it('counts every packet and every refusal in the receiver\'s metrics, and never throws', async () => {
    expect(await metrics.value('haetae_received_total', { stage: 'snmp', transport: 'udp' })).toBe(72);
    const counted: Record<string, number> = {};
    for (const type of ['unsupported_pdu', 'wrong_community', 'wrong_digest', 'unknown_user', 'malformed', 'internal', 'unsupported_type']) {
      const n = await metrics.value('haetae_errors_total', { stage: 'snmp', error_type: type });
      if (n > 0) counted[type] = n;
    }
    expect(counted).toEqual({ unsupported_pdu: 34, wrong_community: 4, wrong_digest: 10, unknown_user: 10 });
    expect(envelopes).toHaveLength(6);
  });

  it('keeps no community in the envelopes or the logs', () => {
    expect(envelopes.every((e) => e.kind === 'snmp' && compileValidators().envelope(e))).toBe(true);
    for (const e of envelopes) {
      const packet = Buffer.from(e.payload, 'base64');
      expect(packet.includes('public')).toBe(false);
      expect(JSON.stringify(e)).not.toMatch(/public|adsl/);
    }
    expect(logLines.length).toBeGreaterThan(0);
    expect(logLines.join('')).not.toMatch(/public|adsl|not-the-capture-key/);
  });

  it('names the accepted traps through the base MIBs, and the agents listed in snmp.agents', () => {
    const mibs = trapMibs(loadMibs({ dirs: [] }));
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'haetae-pcap-agents-'));
    fs.writeFileSync(path.join(dir, 'haetae.yaml'), 'snmp:\n  agents:\n    "92.135.15.240": lab-r1-v2c\n    "10.1.30.1": lab-r1\n');
    const names = agentHostnames(loadConfig({ file: path.join(dir, 'haetae.yaml'), env: {} }).config);
    const validate = compileValidators().event;
    const events = envelopes.map((e, i) => normalizeTrap(e, { topic: 'haetae.raw', partition: 0, offset: String(i) }, new Date(), mibs, names));
    for (const e of events) expect(validate(e)).toBe(true);
    const row = (e: HaetaeEvent): unknown => [e.snmp!.version, e.snmp!.trap!.name, e.observer!.ip![0], e.host?.hostname, e.snmp!.security?.user];
    expect(events.map(row)).toEqual([
      ['2c', 'IF-MIB::linkDown', '92.135.15.240', 'lab-r1-v2c', undefined],
      ['2c', 'IF-MIB::linkUp', '92.135.15.240', 'lab-r1-v2c', undefined],
      ['1', 'IF-MIB::linkDown', '200.76.132.137', 'lab-r1', undefined],
      ['1', 'IF-MIB::linkUp', '200.76.132.137', 'lab-r1', undefined],
      ['3', 'IF-MIB::linkDown', '124.53.196.176', undefined, 'NOAUTHNOPRIV'],
      ['3', 'IF-MIB::linkUp', '124.53.196.176', undefined, 'NOAUTHNOPRIV'],
    ]);
    const v1Down = events[2]!;
    expect(v1Down.snmp).toMatchObject({
      pdu: 'trap',
      trap: { oid: '1.3.6.1.6.3.1.1.5.3', enterprise: '1.3.6.1.6.3.1.1.5', generic: 2, specific: 0, uptime: 239244 },
      agent: { address: '10.1.30.1' },
      varbinds: { ifIndex: 2, ifDescr: 'Ethernet0/1', ifType: 'ethernetCsmacd' },
      unresolved: 1, // locIfReason (OLD-CISCO-INTERFACES-MIB) is not a base MIB
    });
    expect(v1Down.related).toEqual({ ip: ['200.76.132.137', '10.1.30.1'], hosts: ['lab-r1'] });
    expect(v1Down.message).toBe('IF-MIB::linkDown ifIndex=2 ifDescr=Ethernet0/1 ifType=ethernetCsmacd 1_3_6_1_4_1_9_2_2_1_1_20_2="administratively down"');
    expect(events[4]!.snmp).toMatchObject({ trap: { oid: '1.3.6.1.6.3.1.1.5.3', uptime: 250174 }, engine: { id: '800000090300aabbcc000100' }, security: { level: 'noAuthNoPriv' } });
    expect(events[1]!.message).toBe('IF-MIB::linkUp ifIndex=2 ifDescr=Ethernet0/1 ifType=ethernetCsmacd 1_3_6_1_4_1_9_2_2_1_1_20_2=up');
  });

  it('reads classic pcap too (Ethernet with a VLAN tag, Linux cooked, IPv6), and refuses a link type it cannot read', () => {
    const trap = snmp.find((d) => d.dstPort === 162 && readHeader(d.payload)?.version === 1)!;
    const udp = (payload: Buffer): Buffer => {
      const h = Buffer.alloc(8);
      h.writeUInt16BE(54318, 0); h.writeUInt16BE(162, 2); h.writeUInt16BE(8 + payload.length, 4);
      return Buffer.concat([h, payload]);
    };
    const ipv4 = (u: Buffer): Buffer => {
      const h = Buffer.alloc(20);
      h[0] = 0x45; h.writeUInt16BE(20 + u.length, 2); h[8] = 64; h[9] = 17;
      Buffer.from([192, 0, 2, 10, 198, 51, 100, 1]).copy(h, 12);
      return Buffer.concat([h, u]);
    };
    const ipv6 = (u: Buffer): Buffer => {
      const h = Buffer.alloc(40);
      h[0] = 0x60; h.writeUInt16BE(u.length, 4); h[6] = 17; h[7] = 64;
      Buffer.from('20010db8000000000000000000000010', 'hex').copy(h, 8);
      Buffer.from('20010db8000000000000000000000001', 'hex').copy(h, 24);
      return Buffer.concat([h, u]);
    };
    const pcap = (linkType: number, frames: Buffer[], bigEndian = false): Buffer => {
      const g = Buffer.alloc(24);
      const w32 = (b: Buffer, v: number, o: number): number => (bigEndian ? b.writeUInt32BE(v, o) : b.writeUInt32LE(v, o));
      const w16 = (b: Buffer, v: number, o: number): number => (bigEndian ? b.writeUInt16BE(v, o) : b.writeUInt16LE(v, o));
      w32(g, 0xa1b2c3d4, 0); w16(g, 2, 4); w16(g, 4, 6); w32(g, 65535, 16); w32(g, linkType, 20);
      return Buffer.concat([g, ...frames.flatMap((f, i) => {
        const r = Buffer.alloc(16);
        w32(r, 1_700_000_000 + i, 0); w32(r, 250_000, 4); w32(r, f.length, 8); w32(r, f.length, 12);
        return [r, f];
      })]);
    };
    // Ethernet, 802.1Q VLAN 42, IPv4 (big-endian file).
    const eth = Buffer.concat([Buffer.alloc(12, 0xaa), Buffer.from([0x81, 0x00, 0x00, 42, 0x08, 0x00]), ipv4(udp(trap.payload))]);
    // Linux cooked v1 (16-byte header, protocol at 14), IPv6.
    const sll = Buffer.concat([Buffer.from([0, 0, 0, 1, 0, 6, 1, 2, 3, 4, 5, 6, 0, 0, 0x86, 0xdd]), ipv6(udp(trap.payload))]);
    const a = readCapture(pcap(LINKTYPE.ETHERNET, [eth], true));
    expect(a).toMatchObject({ format: 'pcap', linkTypes: [1], records: 1, skipped: {} });
    expect(a.datagrams[0]).toMatchObject({ src: '192.0.2.10', dst: '198.51.100.1', srcPort: 54318, dstPort: 162, vlan: 42, family: 4, timeUs: 1_700_000_000_250_000 });
    expect(a.datagrams[0]!.payload.equals(trap.payload)).toBe(true);
    const b = readCapture(pcap(LINKTYPE.LINUX_SLL, [sll, Buffer.from([1, 2, 3])]));
    expect(b).toMatchObject({ format: 'pcap', linkTypes: [113], records: 2, skipped: { short_frame: 1 } });
    expect(b.datagrams[0]).toMatchObject({ src: '2001:db8::10', dst: '2001:db8::1', family: 6 });
    // The IPv6 copy of the v2c trap goes through the same decoder and envelope.
    const o = newDecoder(USERS).decode(b.datagrams[0]!.payload, rinfo(b.datagrams[0]!));
    expect(o.kind).toBe('accepted');
    expect(() => readCapture(pcap(105, [eth]))).toThrow(/link type 105 is not supported/);
    expect(() => readCapture(Buffer.from('not a capture at all, no magic'))).toThrow(/unknown magic/);
  });
});
