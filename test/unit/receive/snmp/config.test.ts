import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../../../pipeline/config/load';
import { SnmpAccess } from '../../../../pipeline/receive/snmp/access';

function load(text: string, env: NodeJS.ProcessEnv = {}): ReturnType<typeof loadConfig> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'haetae-snmp-config-'));
  const file = path.join(dir, 'haetae.yaml');
  fs.writeFileSync(file, text);
  return loadConfig({ file, env });
}

describe('snmp config section', () => {
  it('is off when absent, and defaulted when present', () => {
    expect(load('log: { level: info }\n').config.snmp).toBeUndefined();
    const { config } = load('snmp: {}\n');
    expect(config.snmp).toMatchObject({ listeners: [{ host: '0.0.0.0', port: 1162 }], communities: [], users: [], mibs: [], stateDir: '.haetae', engineCacheSize: 65536 });
  });

  it('refuses unknown keys, unknown protocols and a malformed engine id, naming the key', () => {
    expect(() => load('snmp: { listener: [] }\n')).toThrow(/\/snmp: unknown key 'listener'/);
    expect(() => load('snmp: { users: [{ name: noc, authProtocol: sha1, authKey: abcdefgh12 }] }\n')).toThrow(/\/snmp\/users\/0\/authProtocol: must be equal to one of the allowed values/);
    expect(() => load('snmp: { users: [{ name: noc, privProtocol: aes128 }] }\n')).toThrow(/\/snmp\/users\/0\/privProtocol/);
    expect(() => load('snmp: { engineId: "80zz" }\n')).toThrow(/\/snmp\/engineId/);
    expect(() => load('snmp: { users: [{ name: noc, authKey: short }] }\n')).toThrow(/\/snmp\/users\/0\/authKey/);
  });

  it('takes communities from HAETAE_SNMP_COMMUNITIES', () => {
    expect(load('snmp: { communities: [a] }\n', { HAETAE_SNMP_COMMUNITIES: 'x, y' }).config.snmp!.communities).toEqual(['x', 'y']);
  });

  it('reads keys and communities from files, checks levels and source networks', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'haetae-snmp-keys-'));
    fs.writeFileSync(path.join(dir, 'auth'), 'from-a-file-1\n');
    fs.writeFileSync(path.join(dir, 'community'), 'c0mmunity\n');
    const access = new SnmpAccess(['public', { communityFile: 'community', sources: ['10.0.0.0/8', '2001:db8::/32'] }], [
      { name: 'noc', level: 'authNoPriv', authKeyFile: 'auth', sources: ['192.0.2.1'] },
    ], dir);
    expect(access.communities).toEqual(['public', 'c0mmunity']);
    expect(access.users[0]).toMatchObject({ name: 'noc', authKey: 'from-a-file-1', level: 'authNoPriv' });
    expect([access.communityAllowedFrom('c0mmunity', '10.1.2.3'), access.communityAllowedFrom('c0mmunity', '::ffff:10.1.2.3'), access.communityAllowedFrom('c0mmunity', '2001:db8::1'), access.communityAllowedFrom('c0mmunity', '192.0.2.1')]).toEqual([true, true, true, false]);
    expect([access.communityAllowedFrom('public', '192.0.2.1'), access.communityAllowedFrom('other', '192.0.2.1')]).toEqual([true, false]);
    expect([access.userAllowedFrom('noc', '192.0.2.1'), access.userAllowedFrom('noc', '192.0.2.2')]).toEqual([true, false]);
    expect(() => new SnmpAccess([], [{ name: 'x', level: 'authPriv', authKey: 'abcdefgh1' }], dir)).toThrow(/snmp.users\[0\]: level authPriv needs privKey or privKeyFile/);
    expect(() => new SnmpAccess([{ communityFile: 'missing' }], [], dir)).toThrow(/snmp.communities\[0\].communityFile: cannot read missing/);
    expect(() => new SnmpAccess([{ community: 'a', sources: ['10.0.0.0/33'] }], [], dir)).toThrow(/snmp.communities\[0\].sources\[0\]/);
    expect(() => new SnmpAccess([], [{ name: 'a' , level: 'noAuthNoPriv' }, { name: 'a', level: 'noAuthNoPriv' }], dir)).toThrow(/listed twice/);
  });
});
