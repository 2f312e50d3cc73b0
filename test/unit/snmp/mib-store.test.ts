import fs from 'node:fs';
import path from 'node:path';
import { sharedData } from '../../support/shared-data';
import { loadMibs, baseMibDir } from '../../../pipeline/snmp/mib/load';
import { compileMibs } from '../../../pipeline/snmp/mib/compile';
import { v1TrapOid, type MibStore } from '../../../pipeline/snmp/mib/store';

const MIBS = sharedData('mibs');
const DIRS = ['net-snmp/mibs', 'ietf-extra', 'cisco-mibs/v2', 'cisco-mibs/v1'].map((d) => path.join(MIBS, d));

let store: MibStore;
beforeAll(() => {
  store = loadMibs({ dirs: DIRS });
});

describe('loading the shared MIB sets', () => {
  it('loads every module but the two with real defects, with the base MIBs', () => {
    const r = store.report;
    const notLoaded = r.modules.filter((m) => m.status !== 'loaded').map((m) => `${m.module}:${m.status}`).sort();
    expect(notLoaded).toEqual(['CISCO-ST-TC:failed', 'CISCOTRAP-MIB:partial']);
    expect(r.total).toBe(120);
    expect(r.loaded).toBe(118);
    expect(store.nodes.length).toBeGreaterThan(10_000);
  });

  it('reports a parse error with file, line and reason (CISCO-ST-TC has a stray quote in a DESCRIPTION)', () => {
    const m = store.report.modules.find((x) => x.module === 'CISCO-ST-TC');
    expect(m?.errors[0]).toEqual({ file: path.join(MIBS, 'cisco-mibs/v2/CISCO-ST-TC.my'), line: 366, reason: "unexpected 'fiftyG' in TEXTUAL-CONVENTION FcIfSpeed" });
  });

  it('loads the base MIBs alone (net-snmp lib/mibs)', () => {
    const base = loadMibs({ dirs: [] });
    expect(base.report.loaded).toBe(base.report.total);
    expect(base.report.modules.map((m) => m.module).sort()).toEqual(fs.readdirSync(baseMibDir()).map((f) => f.replace(/\.mib$/, '')).sort());
    expect(base.lookup('IF-MIB::linkDown').matches[0]?.oid).toBe('1.3.6.1.6.3.1.1.5.3');
  });

  it('without the base MIBs, reports the imports the shared set lacks (RFC-1212, RFC1158-MIB) and still loads what it can', () => {
    const s = loadMibs({ dirs: DIRS, base: false });
    const missing = s.report.modules.flatMap((m) => m.missingImports.map((i) => `${m.module} <- ${i.module}`));
    expect(missing).toEqual(expect.arrayContaining(['RFC1213-MIB <- RFC-1212']));
    expect(missing.some((x) => x.endsWith('<- RFC1158-MIB') || x.endsWith('<- RFC-1212'))).toBe(true);
    const rfc1213 = s.report.modules.find((m) => m.module === 'RFC1213-MIB');
    expect(rfc1213?.status).toBe('partial');
    expect(rfc1213?.missingImports[0]).toMatchObject({ module: 'RFC-1212', symbols: ['OBJECT-TYPE'], reason: 'module not found' });
    // OBJECT-TYPE is a macro: RFC1213-MIB's objects still resolve.
    expect(s.lookup('RFC1213-MIB::ifDescr').matches[0]?.oid).toBe('1.3.6.1.2.1.2.2.1.2');
    expect(s.lookup('IF-MIB::linkDown').matches[0]?.oid).toBe('1.3.6.1.6.3.1.1.5.3');
  });

  it('reports a missing module with the importing file and the symbols, and keeps what resolves', () => {
    const s = compileMibs([{ file: '/x/A-MIB.txt', text: `A-MIB DEFINITIONS ::= BEGIN
IMPORTS enterprises FROM SNMPv2-SMI
        fooRoot FROM VENDOR-SMI;
a OBJECT IDENTIFIER ::= { enterprises 99 }
b OBJECT IDENTIFIER ::= { a 1 }
c OBJECT IDENTIFIER ::= { fooRoot 2 }
END
` }, ...loadSources()]);
    const m = s.report.modules.find((x) => x.module === 'A-MIB');
    expect(m?.status).toBe('partial');
    expect(m?.missingImports).toEqual([{ module: 'VENDOR-SMI', symbols: ['fooRoot'], line: 3, reason: 'module not found' }]);
    expect(m?.unresolved).toEqual([{ name: 'c', line: 6, reason: 'parent fooRoot: fooRoot is imported from VENDOR-SMI, which is not loaded' }]);
    expect(s.lookup('A-MIB::b').matches[0]?.oid).toBe('1.3.6.1.4.1.99.1');
  });

  it('reports a syntax error with its line and keeps the other definitions', () => {
    const s = compileMibs([{ file: '/x/B-MIB.txt', text: `B-MIB DEFINITIONS ::= BEGIN
IMPORTS OBJECT-TYPE, enterprises, Integer32 FROM SNMPv2-SMI;
b OBJECT IDENTIFIER ::= { enterprises 98 }
bad OBJECT-TYPE
    SYNTAX INTEGER { one(1), two }
    MAX-ACCESS read-only
    STATUS current
    DESCRIPTION "x"
    ::= { b 1 }
good OBJECT-TYPE
    SYNTAX Integer32
    MAX-ACCESS read-only
    STATUS current
    DESCRIPTION "a description
      -- spanning lines"
    ::= { b 2 }
END
` }, ...loadSources()]);
    const m = s.report.modules.find((x) => x.module === 'B-MIB');
    expect(m?.status).toBe('failed');
    expect(m?.errors).toEqual([{ file: '/x/B-MIB.txt', line: 5, reason: "enumeration label 'two' has no (number)" }]);
    const good = s.lookup('B-MIB::good').matches[0];
    expect(good?.oid).toBe('1.3.6.1.4.1.98.2');
    expect(good?.node.description).toBe('a description\n      -- spanning lines');
  });

  it('parses in well under a few seconds', () => {
    expect(store.report.parseMs).toBeLessThan(5000);
  });
});

function loadSources(): Array<{ file: string; text: string }> {
  return fs.readdirSync(baseMibDir()).map((f) => ({ file: path.join(baseMibDir(), f), text: fs.readFileSync(path.join(baseMibDir(), f), 'latin1') }));
}

describe('resolve and lookup', () => {
  it('resolves the longest prefix and returns the index', () => {
    const r = store.resolve('1.3.6.1.2.1.2.2.1.8.3');
    expect(r).toMatchObject({ module: 'IF-MIB', name: 'ifOperStatus', oid: '1.3.6.1.2.1.2.2.1.8', index: '3' });
    expect(r?.node.syntax?.enums?.[2]).toBe('down');
    expect(store.resolve('.1.3.6.1.2.1.2.2.1.8')?.index).toBe('');
    expect(store.resolve('1.3.6.1.2.1.4.20.1.1.10.0.0.1')).toMatchObject({ name: 'ipAdEntAddr', index: '10.0.0.1' });
    expect(store.resolve('9.9.9')).toBeNull();
    expect(store.resolve('')).toBeNull();
    expect(store.resolve('1.3.6.x')?.name).toBe('dod');
    expect(store.translate('1.3.6.1.2.1.2.2.1.8.3')).toBe('IF-MIB::ifOperStatus.3');
    expect(store.translate('1.3.6.1.6.3.1.1.5.3')).toBe('IF-MIB::linkDown');
  });

  it('IF-MIB::linkDown with its objects', () => {
    const m = store.lookup('IF-MIB::linkDown').matches;
    expect(m).toHaveLength(1);
    expect(m[0]).toMatchObject({ oid: '1.3.6.1.6.3.1.1.5.3', node: { kind: 'notification-type', objects: ['ifIndex', 'ifAdminStatus', 'ifOperStatus'], status: 'current' } });
    expect(store.lookup('1.3.6.1.6.3.1.1.5.3').matches[0]?.name).toBe('linkDown');
  });

  it('CISCO-CONFIG-MAN-MIB::ciscoConfigManEvent and ccmHistoryEventConfigDestination (enum through a TC)', () => {
    const ev = store.lookup('CISCO-CONFIG-MAN-MIB::ciscoConfigManEvent').matches[0];
    expect(ev?.oid).toBe('1.3.6.1.4.1.9.9.43.2.0.1');
    expect(ev?.node.objects).toContain('ccmHistoryEventConfigDestination');
    const dest = store.lookup('ccmHistoryEventConfigDestination').matches;
    expect(dest).toHaveLength(1);
    expect(dest[0]?.node.syntax).toMatchObject({ base: 'INTEGER', tc: 'HistoryEventMedium', tcModule: 'CISCO-CONFIG-MAN-MIB' });
    expect(dest[0]?.node.syntax?.enums?.[3]).toBe('running');
  });

  it('BGP4-MIB::bgpBackwardTransition', () => {
    const m = store.lookup('BGP4-MIB::bgpBackwardTransition').matches[0];
    expect(m).toMatchObject({ oid: '1.3.6.1.2.1.15.7.2', node: { kind: 'notification-type', objects: ['bgpPeerLastError', 'bgpPeerState'] } });
  });

  it('bare names: unique, ambiguous (all, best first, with a note), with an index', () => {
    expect(store.lookup('ifOperStatus').matches.map((x) => x.module)).toEqual(['IF-MIB', 'RFC1213-MIB', 'RFC1158-MIB']);
    expect(store.lookup('ifOperStatus').note).toMatch(/3 modules/);
    expect(store.lookup('IF-MIB::ifOperStatus.3').matches[0]).toMatchObject({ oid: '1.3.6.1.2.1.2.2.1.8', index: '3' });
    expect(store.lookup('nonexistentThing').matches).toEqual([]);
  });

  it('textual conventions: DISPLAY-HINT, PhysAddress, DateAndTime', () => {
    expect(store.lookup('IF-MIB::ifPhysAddress').matches[0]?.node.syntax).toMatchObject({ base: 'OCTET STRING', tc: 'PhysAddress', displayHint: '1x:' });
    expect(store.lookup('HOST-RESOURCES-MIB::hrSystemDate').matches[0]?.node.syntax).toMatchObject({ tc: 'DateAndTime', tcModule: 'SNMPv2-TC' });
    expect(store.lookup('HOST-RESOURCES-MIB::hrStorageAllocationUnits').matches[0]?.node.units).toBe('Bytes');
    expect(store.textualConvention('SNMPv2-TC', 'DisplayString')?.syntax.displayHint).toBe('255a');
  });
});

const KNOWN_LIST_DIFFERENCES = new Set(['cErrDisableInterfaceEvent', 'cErrDisableInterfaceEventRev1']);

describe('v1 traps (RFC 3584)', () => {
  it('converts enterprise/generic/specific to the v2 snmpTrapOID', () => {
    expect(v1TrapOid('1.3.6.1.4.1.9', 2, 0)).toBe('1.3.6.1.6.3.1.1.5.3');
    expect(v1TrapOid('1.3.6.1.4.1.9', 0, 0)).toBe('1.3.6.1.6.3.1.1.5.1');
    expect(v1TrapOid('.1.3.6.1.4.1.9', 6, 1)).toBe('1.3.6.1.4.1.9.0.1');
  });

  it('names generic traps from SNMPv2-MIB and IF-MIB', () => {
    expect(store.nameV1Trap('1.3.6.1.4.1.9', 0, 0).node).toMatchObject({ module: 'SNMPv2-MIB', name: 'coldStart' });
    expect(store.nameV1Trap('1.3.6.1.4.1.9', 2, 0).node).toMatchObject({ module: 'IF-MIB', name: 'linkDown' });
    expect(store.nameV1Trap('1.3.6.1.4.1.9', 3, 0).node).toMatchObject({ module: 'IF-MIB', name: 'linkUp' });
    expect(store.nameV1Trap('1.3.6.1.4.1.9', 4, 0).node?.name).toBe('authenticationFailure');
    expect(store.nameV1Trap('1.3.6.1.4.1.9', 5, 0).node?.name).toBe('egpNeighborLoss');
  });

  it('names a TRAP-TYPE of cisco-mibs/v1/CISCO-GENERAL-TRAPS.my by (enterprise, specific)', () => {
    const reload = store.v1Trap('1.3.6.1.4.1.9', 0);
    expect(reload).toMatchObject({ module: 'CISCOTRAP-MIB', name: 'reload', kind: 'trap-type', oid: '1.3.6.1.4.1.9.0.0', enterprise: '1.3.6.1.4.1.9', specific: 0 });
    expect(reload?.objects).toEqual(['sysUpTime', 'whyReload']);
    expect(store.nameV1Trap('.1.3.6.1.4.1.9', 6, 1)).toMatchObject({ trapOid: '1.3.6.1.4.1.9.0.1', node: { name: 'tcpConnectionClose' } });
    expect(store.translate('1.3.6.1.4.1.9.0.1')).toBe('CISCOTRAP-MIB::tcpConnectionClose');
  });

  it("agrees with Cisco's flat trap lists (cisco-mibs/traps/*.traps) for every loaded module", () => {
    // The .traps files (mib2schema output) list "enterprise E" then "N name". For SMIv2
    // notifications mib2schema drops the 0 arcs: the OID is E.N, E.0.N or E.0.0.N. For E = snmpTraps
    // N is the v1 generic-trap number. Names the shared (older) MIB versions lack are skipped.
    const dir = path.join(MIBS, 'cisco-mibs', 'traps');
    let checked = 0;
    let absent = 0;
    const wrong: string[] = [];
    for (const f of fs.readdirSync(dir).filter((x) => x.endsWith('.traps'))) {
      const mod = f.replace(/\.traps$/, '') === 'CISCO-GENERAL-TRAPS' ? 'CISCOTRAP-MIB' : f.replace(/\.traps$/, '');
      if (!store.report.modules.some((m) => m.module === mod)) continue;
      let enterprise = '';
      for (const line of fs.readFileSync(path.join(dir, f), 'utf8').split('\n')) {
        const e = /^enterprise\s+([\d.]+)/.exec(line);
        if (e) { enterprise = e[1] ?? ''; continue; }
        const t = /^\s+(\d+)\s+(\S+)/.exec(line);
        if (!t || !enterprise) continue;
        const n = Number(t[1]);
        const name = t[2] ?? '';
        const node = store.node(mod, name);
        if (!node) { absent++; continue; }
        checked++;
        if (enterprise === '1.3.6.1.6.3.1.1.5') {
          if (store.nameV1Trap('1.3.6.1.4.1.9', n, 0).node?.name !== name) wrong.push(`${f}: generic ${n} is not ${name}`);
          continue;
        }
        // The list disagrees with the MIB text for these two (cErrDisableNotificationsPrefix ::=
        // { ciscoErrDisableMIBNotifs 1 } gives …548.0.1.1; Rev1 is { ciscoErrDisableMIBNotifs 2 }); the MIB text wins.
        if (KNOWN_LIST_DIFFERENCES.has(name)) continue;
        if (![`${enterprise}.${n}`, `${enterprise}.0.${n}`, `${enterprise}.0.0.${n}`].includes(node.oid)) wrong.push(`${f}: ${name} is ${node.oid}, list says ${enterprise} ${n}`);
        // And back: a v1 agent sends it per RFC 3584 §3.2; the store must name it.
        const arcs = node.oid.split('.');
        const last = Number(arcs.pop());
        const ent = node.kind === 'trap-type' ? (node.enterprise ?? '') : arcs.at(-1) === '0' ? arcs.slice(0, -1).join('.') : arcs.join('.');
        const named = store.nameV1Trap(ent, 6, last).node;
        if (named?.name !== name) wrong.push(`${f}: v1 (${ent}, ${last}) named ${named ? named.name : 'nothing'}, expected ${name}`);
      }
    }
    expect(wrong).toEqual([]);
    expect(checked).toBeGreaterThan(50);
    expect(absent).toBeLessThan(checked / 10);
  });
});
