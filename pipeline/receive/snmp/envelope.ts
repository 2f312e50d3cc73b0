import type { RawEnvelope } from '../../envelope/envelope';
import { normalizeAddress } from '../../envelope/envelope';
import { netSnmp, type NetSnmpPdu } from './net-snmp-api';
import type { SnmpHeader } from './ber-header';

type SnmpSection = NonNullable<RawEnvelope['snmp']>;
type Varbind = SnmpSection['varbinds'][number];

export interface SnmpReceiveContext {
  source: { address: string; port: number };
  listener: { address: string; port: number };
  observerHostname: string;
  receivedAt: Date;
  id: string;
}

const T = netSnmp.ObjectType;
const TYPE_NAMES = new Map<number, Varbind['type']>([
  [T.Integer!, 'Integer'], [T.OctetString!, 'OctetString'], [T.Null!, 'Null'], [T.OID!, 'ObjectIdentifier'],
  [T.IpAddress!, 'IpAddress'], [T.Counter!, 'Counter32'], [T.Gauge!, 'Gauge32'], [T.TimeTicks!, 'TimeTicks'],
  [T.Opaque!, 'Opaque'], [T.Counter64!, 'Counter64'], [T.NoSuchObject!, 'NoSuchObject'], [T.NoSuchInstance!, 'NoSuchInstance'], [T.EndOfMibView!, 'EndOfMibView'],
]);
const VERSIONS: Record<number, SnmpSection['version']> = { 0: '1', 1: '2c', 3: '3' };
const PDUS: Record<number, SnmpSection['pdu']> = { [netSnmp.PduType.Trap!]: 'trap', [netSnmp.PduType.TrapV2!]: 'trapv2', [netSnmp.PduType.InformRequest!]: 'inform' };
const LEVELS = ['noAuthNoPriv', 'authNoPriv', 'noAuthNoPriv', 'authPriv'] as const;

/** A varbind the schema cannot carry (Boolean, BitString: not SMI types) makes the PDU unsupported. */
export class UnsupportedVarbind extends Error {}

/**
 * The raw envelope of one trap or inform: the exact packet (base64) and the decoded PDU in the
 * contract's form (schemas/envelope.schema.json `snmp`). Built from a PDU that has no community
 * and no keys in it (TrapDecoder strips them), so neither can reach Kafka.
 */
export function buildSnmpEnvelope(packet: Buffer, header: SnmpHeader, pdu: NetSnmpPdu, ctx: SnmpReceiveContext): RawEnvelope {
  const version = VERSIONS[header.version];
  const kind = PDUS[pdu.type];
  if (!version || !kind) throw new UnsupportedVarbind(`version ${header.version} PDU ${pdu.type}`);
  const snmp: SnmpSection = { version, pdu: kind, varbinds: pdu.varbinds.map(varbind) };
  if (kind !== 'trap' && typeof pdu.id === 'number') snmp.requestId = pdu.id;
  if (kind === 'trap') {
    snmp.v1 = { enterprise: pdu.enterprise ?? '', agentAddress: pdu.agentAddr ?? '', generic: pdu.generic ?? 0, specific: pdu.specific ?? 0, timestamp: pdu.upTime ?? 0 };
  }
  if (header.v3) {
    snmp.v3 = { user: pdu.user ?? header.v3.user, engineId: header.v3.engineId.toString('hex'), level: LEVELS[header.v3.flags & 3]! };
    if (pdu.contextEngineID) snmp.v3.contextEngineId = String(pdu.contextEngineID).toLowerCase();
    if (pdu.contextName) snmp.v3.contextName = pdu.contextName;
  }
  return {
    v: 1,
    id: ctx.id,
    kind: 'snmp',
    transport: 'udp',
    framing: 'datagram',
    receivedAt: ctx.receivedAt.toISOString(),
    source: { address: normalizeAddress(ctx.source.address), port: ctx.source.port },
    listener: { address: ctx.listener.address, port: ctx.listener.port },
    observer: { hostname: ctx.observerHostname },
    // v1/v2c carry the community in clear: the bytes kept for forensics have it blanked.
    payload: (header.version === 3 ? packet : blankCommunity(packet)).toString('base64'),
    snmp,
  };
}

/**
 * A copy of a v1/v2c packet with its community string's octets overwritten by '*' (same length,
 * so the BER structure and every other byte stay exact): Message ::= SEQUENCE { version INTEGER,
 * community OCTET STRING, data PDU }. A packet whose header does not read that way is returned
 * as a copy with nothing blanked only if it holds no community to blank.
 */
export function blankCommunity(packet: Buffer): Buffer {
  const out = Buffer.from(packet);
  let i = 0;
  const length = (): number => {
    const first = out[i++];
    if (first === undefined) return -1;
    if (first < 0x80) return first;
    const n = first & 0x7f;
    if (n === 0 || n > 4) return -1;
    let len = 0;
    for (let k = 0; k < n; k++) {
      const b = out[i++];
      if (b === undefined) return -1;
      len = len * 256 + b;
    }
    return len;
  };
  if (out[i++] !== 0x30 || length() < 0) return out;
  if (out[i++] !== 0x02) return out;
  const versionLength = length();
  if (versionLength < 0) return out;
  i += versionLength;
  if (out[i++] !== 0x04) return out;
  const communityLength = length();
  if (communityLength < 0) return out;
  out.fill(0x2a, i, Math.min(out.length, i + communityLength));
  return out;
}

function varbind(vb: { oid: string; type: number; value: unknown }): Varbind {
  const type = TYPE_NAMES.get(vb.type);
  if (!type) throw new UnsupportedVarbind(`varbind ${vb.oid} has type ${vb.type}, not an SMI type`);
  return { oid: vb.oid, type, value: valueOf(type, vb.value) };
}

function valueOf(type: Varbind['type'], value: unknown): string | number | null {
  switch (type) {
    case 'Integer': case 'Counter32': case 'Gauge32': case 'TimeTicks':
      return typeof value === 'number' ? value : Number(value);
    case 'Counter64': {
      // net-snmp hands over the INTEGER's content octets (big-endian, maybe a leading 0).
      const bytes = Buffer.isBuffer(value) ? value : Buffer.alloc(0);
      return bytes.length === 0 ? '0' : BigInt.asUintN(64, BigInt(`0x${bytes.toString('hex')}`)).toString();
    }
    case 'OctetString': case 'Opaque':
      return Buffer.isBuffer(value) ? value.toString('base64') : Buffer.from(String(value ?? ''), 'latin1').toString('base64');
    case 'ObjectIdentifier': case 'IpAddress':
      return String(value);
    default:
      return null;
  }
}
