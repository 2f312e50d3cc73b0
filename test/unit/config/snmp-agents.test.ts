import { agentHostnames, loadConfig } from '../../../pipeline/config/load';
import { errorOf, tmpConfig } from '../../support/config-files';

function load(text: string): ReturnType<typeof loadConfig> {
  return loadConfig({ file: tmpConfig(text).file, env: {} });
}

describe('snmp.agents (host names of known trap senders)', () => {
  it('defaults to none: no lookup at all', () => {
    expect(load('snmp: {}\n').config.snmp!.agents).toEqual({});
    expect(agentHostnames(load('snmp: {}\n').config)).toBeNull();
    expect(agentHostnames(load('log: { level: info }\n').config)).toBeNull();
  });

  it('looks up exact IPv4 and IPv6 addresses, whatever way the key writes them', () => {
    const { config } = load([
      'snmp:',
      '  agents:',
      '    "192.0.2.10": core-sw1',
      '    "2001:DB8:0:0::10": core-sw2',
      '    "::ffff:198.51.100.7": edge-rtr1',
      '',
    ].join('\n'));
    const lookup = agentHostnames(config)!;
    expect(lookup('192.0.2.10')).toBe('core-sw1');
    expect(lookup('2001:db8::10')).toBe('core-sw2');
    expect(lookup('2001:0db8::0010')).toBe('core-sw2');
    expect(lookup('198.51.100.7')).toBe('edge-rtr1');
    expect(lookup('192.0.2.11')).toBeUndefined();
    expect(lookup('2001:db8::11')).toBeUndefined();
  });

  it('refuses keys that are not IP addresses (networks included) and duplicates, naming the key', () => {
    const cases: Array<[string, RegExp]> = [
      ['"core-sw1": core-sw1', /\/snmp\/agents\/core-sw1: 'core-sw1' is not an IP address/],
      ['"10.0.0.0/8": lab', /\/snmp\/agents\/10\.0\.0\.0~18: '10\.0\.0\.0\/8' is not an IP address/],
      ['"192.0.2.300": x', /\/snmp\/agents\/192\.0\.2\.300: /],
      ['"2001:db8::1": a\n    "2001:DB8::0:1": b', /\/snmp\/agents\/2001:DB8::0:1: 2001:db8::1 is listed twice/],
    ];
    for (const [entry, message] of cases) {
      const err = errorOf(() => load(`snmp:\n  agents:\n    ${entry}\n`));
      expect(err.code).toBe('HAETAE_CONFIG_INVALID');
      expect(err.message).toMatch(message);
    }
    // Names are non-empty strings (the schema).
    expect(errorOf(() => load('snmp:\n  agents:\n    "192.0.2.1": ""\n')).message).toMatch(/\/snmp\/agents\/192\.0\.2\.1/);
    expect(errorOf(() => load('snmp:\n  agents:\n    "192.0.2.1": [a]\n')).message).toMatch(/\/snmp\/agents\/192\.0\.2\.1/);
  });
});
