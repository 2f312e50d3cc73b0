import { normalizeTrap, v1TrapOid, type TrapMibs } from '../../../pipeline/normalize/snmp';
import type { RawEnvelope } from '../../../schemas/generated/types';
import { loadMibs } from '../../../pipeline/snmp/mib/load';
import { trapMibs } from '../../../pipeline/snmp/trap-mibs';

const RAW = { topic: 'haetae.raw', partition: 0, offset: '7' };
const NOW = new Date('2026-11-22T10:00:01.000Z');
const b64 = (s: string): string => Buffer.from(s).toString('base64');

function envelope(snmp: NonNullable<RawEnvelope['snmp']>): RawEnvelope {
  return {
    v: 1, kind: 'snmp', transport: 'udp', framing: 'datagram', receivedAt: '2026-11-22T10:00:00.000Z',
    source: { address: '192.0.2.10', port: 49152 }, listener: { address: '0.0.0.0', port: 1162 }, payload: b64('packet bytes'), snmp,
  };
}

/** A few IF-MIB objects, as the MIB store would name and render them. */
const mibs: TrapMibs = {
  name(oid) {
    const known: Record<string, [string, string]> = {
      '1.3.6.1.6.3.1.1.5.3': ['IF-MIB', 'linkDown'], '1.3.6.1.2.1.2.2.1.1': ['IF-MIB', 'ifIndex'],
      '1.3.6.1.2.1.2.2.1.2': ['IF-MIB', 'ifDescr'], '1.3.6.1.2.1.2.2.1.8': ['IF-MIB', 'ifOperStatus'],
    };
    for (const [prefix, [module, name]] of Object.entries(known)) {
      if (oid === prefix) return { module, name, index: '' };
      if (oid.startsWith(`${prefix}.`)) return { module, name, index: oid.slice(prefix.length + 1) };
    }
    return null;
  },
  render(vb) {
    if (vb.oid.startsWith('1.3.6.1.2.1.2.2.1.8.')) return { text: vb.value === 2 ? 'down' : 'up', label: vb.value === 2 ? 'down' : 'up' };
    return null;
  },
};

const v2LinkDown = envelope({
  version: '2c', pdu: 'trapv2', requestId: 1,
  varbinds: [
    { oid: '1.3.6.1.2.1.1.3.0', type: 'TimeTicks', value: 8640000 },
    { oid: '1.3.6.1.6.3.1.1.4.1.0', type: 'ObjectIdentifier', value: '1.3.6.1.6.3.1.1.5.3' },
    { oid: '1.3.6.1.2.1.2.2.1.1.3', type: 'Integer', value: 3 },
    { oid: '1.3.6.1.2.1.2.2.1.2.3', type: 'OctetString', value: b64('GigabitEthernet0/3') },
    { oid: '1.3.6.1.2.1.2.2.1.8.3', type: 'Integer', value: 2 },
    { oid: '1.3.6.1.4.1.9.9.999.1', type: 'OctetString', value: Buffer.from([0, 1, 0xfe]).toString('base64') },
  ],
});

describe('SNMP trap → ECS event', () => {
  it('names a v2c trap and its varbinds through the MIBs, keeps OIDs and the exact packet', () => {
    const e = normalizeTrap(v2LinkDown, RAW, NOW, mibs);
    expect(e.message).toBe('IF-MIB::linkDown ifIndex=3 ifDescr=GigabitEthernet0/3 ifOperStatus=down 1_3_6_1_4_1_9_9_999_1=00:01:fe');
    expect(e.event).toMatchObject({ dataset: 'snmp.trap', module: 'snmp', kind: 'event', action: 'linkDown', created: '2026-11-22T10:00:00.000Z', ingested: NOW.toISOString() });
    expect(e['@timestamp']).toBe('2026-11-22T10:00:00.000Z');
    expect(e.observer).toEqual({ ip: ['192.0.2.10'] });
    expect(e.log).toEqual({ source: { address: '192.0.2.10' } });
    expect(e.source).toBeUndefined();
    expect(e.snmp).toMatchObject({
      version: '2c', pdu: 'trapv2',
      trap: { oid: '1.3.6.1.6.3.1.1.5.3', name: 'IF-MIB::linkDown', uptime: 8640000 },
      varbinds: { ifIndex: 3, ifDescr: 'GigabitEthernet0/3', ifOperStatus: 'down', '1_3_6_1_4_1_9_9_999_1': '00:01:fe' },
      unresolved: 1,
    });
    expect(e.snmp!.varbind![2]).toEqual({ oid: '1.3.6.1.2.1.2.2.1.8.3', name: 'IF-MIB::ifOperStatus.3', type: 'Integer', value: 'down', label: 'down' });
    expect(e.haetae.original_base64).toBe(b64('packet bytes'));
    expect(JSON.stringify(e)).not.toMatch(/community|public/);
  });

  it('puts an SNMPv1 trap in SNMPv2 form (RFC 3584) and keeps its header', () => {
    expect(v1TrapOid('1.3.6.1.4.1.9.1.1208', 2, 0)).toBe('1.3.6.1.6.3.1.1.5.3');
    expect(v1TrapOid('1.3.6.1.4.1.9.9.43.2', 6, 1)).toBe('1.3.6.1.4.1.9.9.43.2.0.1');
    const e = normalizeTrap(envelope({
      version: '1', pdu: 'trap',
      v1: { enterprise: '1.3.6.1.4.1.9.1.1208', agentAddress: '192.0.2.20', generic: 2, specific: 0, timestamp: 4200 },
      varbinds: [{ oid: '1.3.6.1.2.1.2.2.1.1.3', type: 'Integer', value: 3 }],
    }), RAW, NOW, mibs);
    expect(e.snmp).toMatchObject({ version: '1', trap: { oid: '1.3.6.1.6.3.1.1.5.3', name: 'IF-MIB::linkDown', enterprise: '1.3.6.1.4.1.9.1.1208', generic: 2, specific: 0, uptime: 4200 }, agent: { address: '192.0.2.20' }, varbinds: { ifIndex: 3 } });
    expect(e.related!.ip).toEqual(['192.0.2.10', '192.0.2.20']);
  });

  it('without MIBs keeps numbers, names the generic v1 traps, and counts what it could not name', () => {
    const e = normalizeTrap(v2LinkDown, RAW, NOW, null);
    expect(e.snmp!.trap!.name).toBeUndefined();
    expect(e.snmp!.varbinds).toMatchObject({ '1_3_6_1_2_1_2_2_1_1_3': 3, '1_3_6_1_2_1_2_2_1_8_3': 2 });
    expect(e.snmp!.unresolved).toBe(5);
    const cold = normalizeTrap(envelope({ version: '1', pdu: 'trap', v1: { enterprise: '1.3.6.1.4.1.8072.3.2.10', agentAddress: '0.0.0.0', generic: 0, specific: 0, timestamp: 1 }, varbinds: [] }), RAW, NOW, null);
    expect(cold.snmp!.trap).toMatchObject({ oid: '1.3.6.1.6.3.1.1.5.1', name: 'SNMPv2-MIB::coldStart' });
    expect(cold.message).toBe('SNMPv2-MIB::coldStart');
    expect(cold.related!.ip).toEqual(['192.0.2.10']);
  });

  it('records the v3 user and engine, never a key', () => {
    const e = normalizeTrap(envelope({ ...v2LinkDown.snmp!, version: '3', v3: { user: 'noc', engineId: '8000000001020304', level: 'authPriv' } }), RAW, NOW, mibs);
    expect(e.snmp).toMatchObject({ version: '3', security: { user: 'noc', level: 'authPriv' }, engine: { id: '8000000001020304' } });
  });
});

describe('SNMP trap → ECS event with the real MIB store', () => {
  const real = trapMibs(loadMibs({ dirs: [] }));

  it('names IF-MIB linkDown and renders its varbinds from the base MIBs alone', () => {
    const e = normalizeTrap(v2LinkDown, RAW, NOW, real);
    expect(e.snmp!.trap!.name).toBe('IF-MIB::linkDown');
    expect(e.snmp!.varbinds).toMatchObject({ ifIndex: 3, ifDescr: 'GigabitEthernet0/3', ifOperStatus: 'down' });
    expect(e.message).toMatch(/^IF-MIB::linkDown ifIndex=3 ifDescr=GigabitEthernet0\/3 ifOperStatus=down /);
    expect(e.snmp!.varbind!.find((v) => v.oid === '1.3.6.1.2.1.2.2.1.8.3')).toMatchObject({ name: 'IF-MIB::ifOperStatus.3', label: 'down' });
  });
});
