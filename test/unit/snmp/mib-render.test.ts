import fs from 'node:fs';
import path from 'node:path';
import { sharedData } from '../../support/shared-data';
import { loadMibs, baseMibDir } from '../../../pipeline/snmp/mib/load';
import { compileMibs } from '../../../pipeline/snmp/mib/compile';
import { renderValue, formatTicks, dateAndTime, octetHint } from '../../../pipeline/snmp/mib/render';
import type { MibStore } from '../../../pipeline/snmp/mib/store';
import type { MibNode } from '../../../pipeline/snmp/mib/types';

let store: MibStore;
beforeAll(() => {
  store = loadMibs({ dirs: [path.join(sharedData('mibs'), 'net-snmp', 'mibs'), path.join(sharedData('mibs'), 'cisco-mibs', 'v2')] });
});

const node = (q: string): MibNode => {
  const m = store.lookup(q).matches[0];
  if (!m) throw new Error(`${q} not found`);
  return m.node;
};
const b64 = (bytes: number[] | string): string => Buffer.from(typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : Buffer.from(bytes)).toString('base64');

describe('renderValue', () => {
  it('enums → label, number kept', () => {
    expect(renderValue(node('IF-MIB::ifOperStatus'), { type: 'Integer', value: 2 })).toEqual({ text: 'down', value: 2, label: 'down' });
    expect(renderValue(node('CISCO-CONFIG-MAN-MIB::ccmHistoryEventConfigDestination'), { type: 'Integer', value: 3 })).toMatchObject({ text: 'running', label: 'running' });
    expect(renderValue(node('IF-MIB::ifOperStatus'), { type: 'Integer', value: 42 })).toEqual({ text: '42', value: 42 });
  });

  it('integers without a MIB, with units, Counter64 as text when beyond 2^53', () => {
    expect(renderValue(null, { type: 'Counter32', value: 7 })).toEqual({ text: '7', value: 7 });
    expect(renderValue(node('HOST-RESOURCES-MIB::hrStorageAllocationUnits'), { type: 'Integer', value: 4096 })).toEqual({ text: '4096 Bytes', value: 4096 });
    expect(renderValue(null, { type: 'Counter64', value: '18446744073709551615' })).toEqual({ text: '18446744073709551615', value: '18446744073709551615' });
    expect(renderValue(null, { type: 'Counter64', value: '12' })).toEqual({ text: '12', value: 12 });
  });

  it('TimeTicks → duration plus the raw number', () => {
    expect(renderValue(node('SNMPv2-MIB::sysUpTime'), { type: 'TimeTicks', value: 26_729_507 })).toEqual({ text: '3d 02:14:55.07 (26729507)', value: 26_729_507 });
    expect(formatTicks(0)).toBe('00:00:00.00');
  });

  it('IpAddress as is', () => {
    expect(renderValue(null, { type: 'IpAddress', value: '192.0.2.7' })).toEqual({ text: '192.0.2.7', value: '192.0.2.7' });
  });

  it('PhysAddress (TC and 1x: hint) → colon hex', () => {
    const r = renderValue(node('IF-MIB::ifPhysAddress'), { type: 'OctetString', value: b64([0x00, 0x1a, 0x2b, 0x3c, 0x4d, 0x5e]) });
    expect(r).toEqual({ text: '00:1a:2b:3c:4d:5e', value: '00:1a:2b:3c:4d:5e', hex: '001a2b3c4d5e' });
  });

  it('DateAndTime → ISO 8601, with and without the UTC offset', () => {
    const bytes = [0x07, 0xea, 12, 3, 14, 5, 9, 3, 0x2b, 1, 30];
    expect(renderValue(node('HOST-RESOURCES-MIB::hrSystemDate'), { type: 'OctetString', value: b64(bytes) }).text).toBe('2026-12-03T14:05:09.3+01:30');
    expect(dateAndTime(Buffer.from([0x07, 0xea, 12, 3, 14, 5, 9, 3]))).toBe('2026-12-03T14:05:09.3');
    expect(dateAndTime(Buffer.from([0x07, 0xea, 12, 3, 14, 5, 9, 3, 0x2b, 0, 0]))).toBe('2026-12-03T14:05:09.3Z');
    expect(dateAndTime(Buffer.from([1, 2, 3]))).toBeNull();
    // Not a valid date: rendered by the DISPLAY-HINT alone (as snmptrapd does), never thrown.
    expect(renderValue(node('HOST-RESOURCES-MIB::hrSystemDate'), { type: 'OctetString', value: b64([0xff, 0xff, 99, 99, 99, 99, 99, 99]) }).text).toBe('65535-99-99,99:99:99.99');
  });

  it('DisplayString / SnmpAdminString → UTF-8 text', () => {
    expect(renderValue(node('IF-MIB::ifDescr'), { type: 'OctetString', value: b64('GigabitEthernet0/3') })).toMatchObject({ text: 'GigabitEthernet0/3', value: 'GigabitEthernet0/3' });
    expect(renderValue(node('IF-MIB::ifAlias'), { type: 'OctetString', value: b64('uplink → core') }).text).toBe('uplink → core');
  });

  it('other octet strings: printable UTF-8 as text, else hex', () => {
    expect(renderValue(null, { type: 'OctetString', value: b64('hello') })).toEqual({ text: 'hello', value: 'hello', hex: '68656c6c6f' });
    expect(renderValue(null, { type: 'OctetString', value: b64([0, 1, 0xfe]) })).toEqual({ text: '00 01 fe', value: '0001fe', hex: '0001fe' });
    expect(renderValue(null, { type: 'Opaque', value: b64([0x9f, 0x78, 4]) }).value).toBe('9f7804');
    expect(renderValue(null, { type: 'OctetString', value: '' })).toEqual({ text: '', value: '', hex: '' });
  });

  it('generic DISPLAY-HINTs', () => {
    expect(octetHint(Buffer.from([10, 0, 0, 1]), '1d.')).toBe('10.0.0.1');
    expect(octetHint(Buffer.from([0xde, 0xad, 0xbe, 0xef]), '2x-')).toBe('dead-beef');
    expect(octetHint(Buffer.from('abc'), '255a')).toBe('abc');
    expect(octetHint(Buffer.from([1]), 'zz')).toBeNull();
  });

  it('OIDs → MODULE::name.index when known, numeric otherwise', () => {
    const t = (oid: string): string => store.translate(oid);
    expect(renderValue(null, { type: 'ObjectIdentifier', value: '1.3.6.1.6.3.1.1.5.3' }, t)).toEqual({ text: 'IF-MIB::linkDown', value: '1.3.6.1.6.3.1.1.5.3' });
    expect(renderValue(null, { type: 'ObjectIdentifier', value: '1.3.6.1.2.1.2.2.1.8.3' }, t).text).toBe('IF-MIB::ifOperStatus.3');
    expect(renderValue(null, { type: 'ObjectIdentifier', value: '2.999.1' }, t).text).toBe('2.999.1');
    expect(renderValue(null, { type: 'ObjectIdentifier', value: '1.3.6.1.2.1.2.2.1.8.3' }).text).toBe('1.3.6.1.2.1.2.2.1.8.3');
  });

  it('Null, exceptions and garbage never throw', () => {
    expect(renderValue(null, { type: 'Null', value: null })).toEqual({ text: '', value: null });
    expect(renderValue(null, { type: 'NoSuchObject', value: null })).toEqual({ text: 'NoSuchObject', value: null });
    expect(renderValue(node('IF-MIB::ifOperStatus'), { type: 'Integer', value: 'x' })).toEqual({ text: 'x', value: 'x' });
    expect(renderValue(null, { type: 'TimeTicks', value: null })).toEqual({ text: 'null', value: null });
  });
});

describe('renderValue with a textual convention whose module is missing', () => {
  it('still renders SnmpAdminString as text by its name', () => {
    const smi = fs.readFileSync(path.join(baseMibDir(), 'SNMPv2-SMI.mib'), 'latin1');
    const s = compileMibs([{ file: '/x/C-MIB.txt', text: `C-MIB DEFINITIONS ::= BEGIN
IMPORTS OBJECT-TYPE, enterprises FROM SNMPv2-SMI
        SnmpAdminString FROM SNMP-FRAMEWORK-MIB;
c OBJECT-TYPE SYNTAX SnmpAdminString MAX-ACCESS read-only STATUS current DESCRIPTION "d" ::= { enterprises 97 }
END
` }, { file: 'SNMPv2-SMI.mib', text: smi }]);
    const n = s.lookup('C-MIB::c').matches[0]?.node ?? null;
    expect(n?.syntax).toEqual({ base: 'SnmpAdminString', tc: 'SnmpAdminString' });
    expect(renderValue(n, { type: 'OctetString', value: Buffer.from([0x41, 0x00, 0x01]).toString('base64') }).text).toBe('A\u0000\u0001');
  });
});
