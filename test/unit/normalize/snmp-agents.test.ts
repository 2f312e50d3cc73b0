import { normalizeTrap } from '../../../pipeline/normalize/snmp';
import type { RawEnvelope } from '../../../schemas/generated/types';
import { compileValidators } from '../../../schemas/validators';

const RAW = { topic: 'haetae.raw', partition: 0, offset: '7' };
const NOW = new Date('2026-11-22T10:00:01.000Z');

function envelope(source: string, snmp: NonNullable<RawEnvelope['snmp']>): RawEnvelope {
  return {
    v: 1, kind: 'snmp', transport: 'udp', framing: 'datagram', receivedAt: '2026-11-22T10:00:00.000Z',
    source: { address: source, port: 49152 }, listener: { address: '0.0.0.0', port: 1162 }, payload: Buffer.from('packet').toString('base64'), snmp,
  };
}

const v2 = (source: string, extra: NonNullable<RawEnvelope['snmp']>['varbinds'] = []): RawEnvelope => envelope(source, {
  version: '2c', pdu: 'trapv2', requestId: 1,
  varbinds: [
    { oid: '1.3.6.1.2.1.1.3.0', type: 'TimeTicks', value: 100 },
    { oid: '1.3.6.1.6.3.1.1.4.1.0', type: 'ObjectIdentifier', value: '1.3.6.1.6.3.1.1.5.1' },
    ...extra,
  ],
});

const AGENTS: Record<string, string> = { '192.0.2.10': 'core-sw1', '2001:db8::10': 'core-sw2', '198.51.100.20': 'behind-proxy' };
const lookup = (address: string): string | undefined => AGENTS[address];

describe('SNMP trap host names (snmp.agents)', () => {
  const validators = compileValidators();

  it('names a known sender in host.hostname, host.name and related.hosts', () => {
    for (const [address, name] of [['192.0.2.10', 'core-sw1'], ['2001:db8::10', 'core-sw2']] as const) {
      const e = normalizeTrap(v2(address), RAW, NOW, null, lookup);
      expect(e.host).toEqual({ hostname: name, name });
      expect(e.related).toEqual({ ip: [address], hosts: [name] });
      expect(e.observer).toEqual({ ip: [address] });
      expect(validators.event(e)).toBe(true);
    }
  });

  it('leaves host out for an unknown sender, and without a lookup', () => {
    for (const e of [normalizeTrap(v2('192.0.2.99'), RAW, NOW, null, lookup), normalizeTrap(v2('192.0.2.10'), RAW, NOW, null), normalizeTrap(v2('192.0.2.10'), RAW, NOW, null, null)]) {
      expect(e.host).toBeUndefined();
      expect(e.related!.hosts).toBeUndefined();
    }
  });

  it('falls back to the agent address (v1 agent-addr, snmpTrapAddress.0) when the sender is not listed', () => {
    const v1 = envelope('203.0.113.1', {
      version: '1', pdu: 'trap', varbinds: [],
      v1: { enterprise: '1.3.6.1.4.1.9', agentAddress: '198.51.100.20', generic: 2, specific: 0, timestamp: 5 },
    });
    expect(normalizeTrap(v1, RAW, NOW, null, lookup).host).toEqual({ hostname: 'behind-proxy', name: 'behind-proxy' });
    const proxied = v2('203.0.113.1', [{ oid: '1.3.6.1.6.3.18.1.3.0', type: 'IpAddress', value: '198.51.100.20' }]);
    const e = normalizeTrap(proxied, RAW, NOW, null, lookup);
    expect(e.host?.hostname).toBe('behind-proxy');
    expect(e.related).toEqual({ ip: ['203.0.113.1', '198.51.100.20'], hosts: ['behind-proxy'] });
    // A listed sender wins over the agent address it reports.
    const both = envelope('192.0.2.10', { version: '1', pdu: 'trap', varbinds: [], v1: { enterprise: '1.3.6.1.4.1.9', agentAddress: '198.51.100.20', generic: 3, specific: 0, timestamp: 5 } });
    expect(normalizeTrap(both, RAW, NOW, null, lookup).host?.hostname).toBe('core-sw1');
    // 0.0.0.0 (agent-addr not set) is never looked up.
    const unset = envelope('203.0.113.1', { version: '1', pdu: 'trap', varbinds: [], v1: { enterprise: '1.3.6.1.4.1.9', agentAddress: '0.0.0.0', generic: 0, specific: 0, timestamp: 5 } });
    expect(normalizeTrap(unset, RAW, NOW, null, (a) => (a === '0.0.0.0' ? 'nobody' : undefined)).host).toBeUndefined();
  });
});
