import { ev, ecsTypeErrors, get, wazuhLines } from '../linux/support';

/** The DNS query-log decoders (decoders/dns/) on real and realistic lines, through the worker's stages. */
describe('BIND query log', () => {
  it('a 9.11+ query line', () => {
    const e = ev('<30>Dec  3 10:00:04 ns1 named[811]: client @0x7f2b1c0a9168 10.0.0.5#53211 (api.telegram.org): query: api.telegram.org IN A +E(0)K (10.0.0.1)');
    expect(get(e, 'event.dataset')).toBe('dns.bind');
    expect(get(e, 'event.module')).toBe('dns');
    expect(get(e, 'event.category')).toEqual(['network']);
    expect(get(e, 'event.type')).toEqual(['protocol']);
    expect(get(e, 'dns.type')).toBe('query');
    expect(get(e, 'dns.question.name')).toBe('api.telegram.org');
    expect(get(e, 'dns.question.type')).toBe('A');
    expect(get(e, 'dns.question.class')).toBe('IN');
    expect(get(e, 'source.ip')).toBe('10.0.0.5');
    expect(get(e, 'source.port')).toBe(53211);
    expect(get(e, 'destination.ip')).toBe('10.0.0.1');
    expect(get(e, 'network.transport')).toBe('udp');
    expect(get(e, 'log.source.address')).toBe('127.0.0.1'); // the resolver that sent it
    expect(ecsTypeErrors(e)).toEqual([]);
  });

  it('TCP flag, IPv6 client, view', () => {
    const e = ev('<30>Dec  3 10:00:04 ns1 named[811]: client @0x7fa0d607f200 2001:db8::53#63565 (example.org): view internal: query: example.org IN NS +ET (2001:db8::1)');
    expect([get(e, 'network.transport'), get(e, 'source.ip'), get(e, 'bind.view')]).toEqual(['tcp', '2001:db8::53', 'internal']);
  });

  it('Wazuh named.ini refused queries', () => {
    const denied = wazuhLines('named.ini').filter((l) => l.includes('denied'));
    expect(denied.length).toBeGreaterThan(0);
    for (const line of denied) {
      const e = ev(`<30>${line}`);
      expect([get(e, 'event.action'), get(e, 'event.outcome')]).toEqual(['dns_query_denied', 'failure']);
      expect(ecsTypeErrors(e)).toEqual([]);
    }
  });

  it('query-errors SERVFAIL', () => {
    const e = ev('<30>Dec  3 10:00:04 ns1 named[811]: query-errors: info: client @0x7f3e54003b60 10.0.0.7#38422 (www.broken.example): query failed (SERVFAIL) for www.broken.example/IN/AAAA at ../../../lib/ns/query.c:7372');
    expect([get(e, 'dns.response_code'), get(e, 'dns.question.type'), get(e, 'event.outcome')]).toEqual(['SERVFAIL', 'AAAA', 'failure']);
  });

  it('other named messages are not DNS events', () => {
    const e = ev('<30>Dec  3 10:00:04 ns1 named[811]: zone example.com/IN: loaded serial 2026120301');
    expect(get(e, 'dns')).toBeUndefined();
  });
});

describe('Unbound', () => {
  it('the Wazuh unbound.ini query line (commented out there; ISO timestamp header)', () => {
    const e = ev('<30>2014-07-14T14:00:02.814490-04:00 arrakis unbound: [2541:0] info: 127.0.0.1 talkgadget.google.com. A IN');
    expect(get(e, 'event.dataset')).toBe('dns.unbound');
    expect([get(e, 'dns.question.name'), get(e, 'dns.question.type'), get(e, 'source.ip')]).toEqual(['talkgadget.google.com', 'A', '127.0.0.1']);
    expect(ecsTypeErrors(e)).toEqual([]);
  });

  it('a reply line carries the response code', () => {
    const e = ev('<30>Dec  3 10:00:06 res unbound: [1342:0] reply: 10.0.0.5 c2.xmrpool.example. TXT IN NXDOMAIN 0.031337 0 112');
    expect([get(e, 'dns.type'), get(e, 'dns.response_code'), get(e, 'unbound.cached')]).toEqual(['answer', 'NXDOMAIN', false]);
    expect(ecsTypeErrors(e)).toEqual([]);
  });
});

describe('dnsmasq', () => {
  it('query, forwarded, reply, cached', () => {
    const q = ev('<30>Dec  3 10:00:05 gw dnsmasq[511]: query[TXT] aGVsbG8.tunnel.example from 10.0.0.9');
    expect([get(q, 'event.dataset'), get(q, 'dns.question.type'), get(q, 'source.ip')]).toEqual(['dns.dnsmasq', 'TXT', '10.0.0.9']);
    const f = ev('<30>Dec  3 10:00:05 gw dnsmasq[511]: forwarded aGVsbG8.tunnel.example to 1.1.1.1');
    expect([get(f, 'event.action'), get(f, 'destination.ip'), get(f, 'source.ip')]).toEqual(['dns_forwarded', '1.1.1.1', undefined]);
    const r = ev('<30>Dec  3 10:00:05 gw dnsmasq[511]: reply example.com is 93.184.216.34');
    expect([get(r, 'dns.answers.data'), get(r, 'dns.resolved_ip'), get(r, 'dns.response_code')]).toEqual(['93.184.216.34', ['93.184.216.34'], 'NOERROR']);
    const nx = ev('<30>Dec  3 10:00:05 gw dnsmasq[511]: reply nosuch.example is NXDOMAIN');
    expect([get(nx, 'dns.response_code'), get(nx, 'dns.answers.data')]).toEqual(['NXDOMAIN', undefined]);
    const c = ev('<30>Dec  3 10:00:05 gw dnsmasq[511]: cached api.telegram.org is 149.154.167.220');
    expect(get(c, 'dnsmasq.answer_from')).toBe('cache');
    for (const e of [q, f, r, nx, c]) expect(ecsTypeErrors(e)).toEqual([]);
  });

  it('log-queries=extra prefixes the serial and client port', () => {
    const e = ev('<30>Dec  3 10:00:05 gw dnsmasq[511]: 1207 192.168.1.42/51234 query[AAAA] ipv6.example.com from 192.168.1.42');
    expect([get(e, 'source.port'), get(e, 'dnsmasq.serial')]).toEqual([51234, '1207']);
  });
});
