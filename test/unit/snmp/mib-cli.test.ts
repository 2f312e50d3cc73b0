import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { haetae, tmpFile } from '../cli/run-cli';
import { sharedData } from '../../support/shared-data';

const MIBS = sharedData('mibs');
const DIRS = ['net-snmp/mibs', 'ietf-extra', 'cisco-mibs/v2', 'cisco-mibs/v1'].map((d) => path.join(MIBS, d));

describe('haetae mib lookup', () => {
  it('prints OID, module, kind, enums and description for a numeric OID with an index', () => {
    const r = haetae(['mib', 'lookup', '1.3.6.1.2.1.2.2.1.8.3']);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('IF-MIB::ifOperStatus.3');
    expect(r.stdout).toContain('1.3.6.1.2.1.2.2.1.8.3 (node 1.3.6.1.2.1.2.2.1.8, index 3)');
    expect(r.stdout).toContain('up(1), down(2)');
    expect(r.stdout).toContain('The current operational state of the interface.');
  });

  it('--json for a notification with its objects', () => {
    const r = haetae(['mib', 'lookup', 'IF-MIB::linkDown', '--json']);
    expect(r.status).toBe(0);
    const [m] = JSON.parse(r.stdout) as Array<Record<string, unknown>>;
    expect(m).toMatchObject({ oid: '1.3.6.1.6.3.1.1.5.3', module: 'IF-MIB', name: 'linkDown', kind: 'notification-type', objects: ['ifIndex', 'ifAdminStatus', 'ifOperStatus'] });
  });

  it('exits 1 for an unknown name', () => {
    const r = haetae(['mib', 'lookup', 'ciscoConfigManEvent']);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('ciscoConfigManEvent: not found');
  });

  it('finds vendor MIBs through --mibs and through snmp.mibs of --config (relative to the config file)', () => {
    const viaFlag = haetae(['mib', 'lookup', '--mibs', path.join(MIBS, 'cisco-mibs/v2'), 'ciscoConfigManEvent', '--json']);
    expect(viaFlag.status).toBe(0);
    expect(JSON.parse(viaFlag.stdout)[0]).toMatchObject({ oid: '1.3.6.1.4.1.9.9.43.2.0.1' });
    const cfg = tmpFile('haetae.yaml', '');
    fs.writeFileSync(cfg, `snmp:\n  mibs: [${JSON.stringify(path.relative(path.dirname(cfg), path.join(MIBS, 'cisco-mibs/v2')))}]\n`);
    const viaConfig = haetae(['--config', cfg, 'mib', 'lookup', 'CISCO-CONFIG-MAN-MIB::ccmHistoryEventConfigDestination']);
    expect(viaConfig.status).toBe(0);
    expect(viaConfig.stdout).toContain('textual convention CISCO-CONFIG-MAN-MIB::HistoryEventMedium');
  });

  it('has help that explains', () => {
    const r = haetae(['mib', 'lookup', '--help']);
    expect(r.stdout).toContain('longest match');
    expect(r.stdout).toContain('Exit codes');
  });
});

describe('haetae mib check', () => {
  it('reports the failing module with file:line and the missing imports, and the summary; exit 1', () => {
    const r = haetae(['mib', 'check', ...DIRS]);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/FAILED {2}CISCO-ST-TC .*\n {2}.*CISCO-ST-TC\.my:366: unexpected 'fiftyG' in TEXTUAL-CONVENTION FcIfSpeed/);
    expect(r.stdout).toContain('missing import: whyReload, authAddr FROM OLD-CISCO-SYSTEM-MIB (module not found)');
    expect(r.stdout).toMatch(/118 of 120 modules loaded/);
  });

  it('exits 0 when every module loads, --json', () => {
    const r = haetae(['mib', 'check', path.join(MIBS, 'ietf-extra'), path.join(MIBS, 'net-snmp/mibs'), '--json']);
    expect(r.status).toBe(0);
    const j = JSON.parse(r.stdout) as { loaded: number; total: number; problems: unknown[] };
    expect(j.problems).toEqual([]);
    expect(j.loaded).toBe(j.total);
  });

  it('a MIB with a syntax error', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'haetae-mib-'));
    fs.writeFileSync(path.join(dir, 'BROKEN-MIB.txt'), 'BROKEN-MIB DEFINITIONS ::= BEGIN\nIMPORTS enterprises FROM SNMPv2-SMI;\nx OBJECT IDENTIFIER ::= enterprises 5\nEND\n');
    const r = haetae(['mib', 'check', dir]);
    expect(r.status).toBe(1);
    expect(r.stdout).toContain("BROKEN-MIB.txt:3: expected an OBJECT IDENTIFIER value '{ parent n }' but found 'enterprises'");
  });

  it('a directory that does not exist is a usage error (exit 2)', () => {
    const r = haetae(['mib', 'check', '/nonexistent/mibs']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('no such MIB directory: /nonexistent/mibs [HAETAE_USAGE]');
  });
});
