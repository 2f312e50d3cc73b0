import { eventStreams } from '../../../connectors/elasticsearch/streams';

describe('events data streams per dataset family', () => {
  it('routes each module to its own stream under the configured prefix and namespace', () => {
    const s = eventStreams('logs-haetae.syslog-default');
    expect(s.forModule('cisco')).toBe('logs-haetae.cisco-default');
    expect(s.forModule('snmp')).toBe('logs-haetae.snmp-default');
    expect(s.forModule('syslog')).toBe('logs-haetae.syslog-default');
    expect(s.forModule(undefined)).toBe('logs-haetae.syslog-default');
    expect(s.patterns).toEqual(['logs-haetae.*-default']);
    expect(s.isEventStream('logs-haetae.cisco-default')).toBe(true);
    expect(s.isEventStream('logs-haetae.cisco-prod')).toBe(false);
    expect(s.isEventStream('haetae-alerts')).toBe(false);
  });

  it('keeps a sender-shaped or unbounded module out of the stream names', () => {
    const s = eventStreams('logs-haetae.syslog-default', { maxStreams: 2 });
    expect(s.forModule('Cisco ASA')).toBe('logs-haetae.syslog-default');
    expect(s.forModule('../x')).toBe('logs-haetae.syslog-default');
    expect(s.forModule('a')).toBe('logs-haetae.a-default');
    expect(s.forModule('b')).toBe('logs-haetae.b-default');
    expect(s.forModule('c')).toBe('logs-haetae.syslog-default');
    expect(s.forModule('a')).toBe('logs-haetae.a-default');
  });

  it('covers a configured stream outside the family pattern, and can be turned off', () => {
    const s = eventStreams('logs-acme-prod');
    expect(s.forModule('linux')).toBe('logs-acme.linux-prod');
    expect(s.patterns).toEqual(['logs-acme-prod', 'logs-acme.*-prod']);
    expect(s.searchTarget).toBe('logs-acme-prod,logs-acme.*-prod');
    const off = eventStreams('logs-haetae.syslog-default', { perFamily: false });
    expect(off.forModule('cisco')).toBe('logs-haetae.syslog-default');
    expect(eventStreams('events').forModule('cisco')).toBe('events');
  });
});
