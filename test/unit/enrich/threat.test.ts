import { loadThreatText } from '../../../pipeline/enrich/threat-files';
import { parseStixPattern } from '../../../pipeline/enrich/stix';
import { matchThreats, THREAT_TAG } from '../../../pipeline/enrich/threat';
import { parseCsv } from '../../../pipeline/enrich/csv';

const SHA256 = 'aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f';
const MD5 = 'd41d8cd98f00b204e9800998ecf8427e';

describe('threat indicator files', () => {
  it('reads a plain list with comments, guessing each kind, and matches the event fields', () => {
    const { set, stats } = loadThreatText([
      '# feed header',
      '203.0.113.66',
      '198.51.100.0/24   # a whole network',
      '2001:db8:bad::/48',
      'Evil.Example.',
      'http://Malware.Example/payload.exe',
      SHA256.toUpperCase(),
      MD5,
      'not an indicator!',
      '203.0.113.66',
    ].join('\n'), { name: 'feed', format: 'list', maxEntries: 100 });
    expect(stats).toMatchObject({ added: 7, invalid: 1, duplicate: 1 });
    expect(stats.examples[0]).toMatch(/line 9/);

    const event = {
      tags: ['x'],
      source: { ip: '203.0.113.66' },
      destination: { ip: '198.51.100.7', domain: 'cdn.evil.example' },
      related: { ip: ['203.0.113.66', '2001:db8:bad::1'] },
      dns: { question: { name: 'WWW.EVIL.EXAMPLE' } },
      url: { full: 'http://malware.example/payload.exe' },
      file: { hash: { sha256: SHA256, md5: MD5 } },
    };
    expect(matchThreats(event, [set])).toBe(7);
    const e = event as unknown as { threat: { enrichments: Array<{ indicator: Record<string, unknown>; matched: Record<string, unknown> }> }; tags: string[] };
    expect(e.tags).toEqual(['x', THREAT_TAG]);
    const byField = Object.fromEntries(e.threat.enrichments.map((x) => [x.matched.field, x]));
    expect(byField['source.ip']).toEqual({
      indicator: { type: 'ipv4-addr', name: '203.0.113.66', ip: '203.0.113.66', provider: 'feed' },
      matched: { atomic: '203.0.113.66', field: 'source.ip', type: 'indicator_match_rule' },
    });
    expect(byField['destination.ip']!.indicator).toEqual({ type: 'ipv4-addr', name: '198.51.100.0/24', provider: 'feed' });
    expect(byField['related.ip']!.indicator).toMatchObject({ type: 'ipv6-addr', name: '2001:db8:bad::/48' });
    // The same indicator reached through source.ip and related.ip is reported once.
    expect(e.threat.enrichments.filter((x) => x.indicator.name === '203.0.113.66')).toHaveLength(1);
    expect(byField['destination.domain']!.indicator).toMatchObject({ type: 'domain-name', url: { domain: 'evil.example' } });
    expect(byField['destination.domain']!.matched.atomic).toBe('cdn.evil.example');
    expect(byField['url.full']!.indicator).toMatchObject({ type: 'url' });
    expect(byField['file.hash.sha256']!.indicator).toMatchObject({ type: 'file', file: { hash: { sha256: SHA256 } } });
    expect(byField['file.hash.md5']!.matched.atomic).toBe(MD5);
    // dns.question.name hit the same domain indicator as destination.domain: one enrichment.
    expect(byField['dns.question.name']).toBeUndefined();

    const clean = { source: { ip: '192.0.2.1' }, dns: { question: { name: 'example.org' } } };
    expect(matchThreats(clean, [set])).toBe(0);
    expect(clean).toEqual({ source: { ip: '192.0.2.1' }, dns: { question: { name: 'example.org' } } });
  });

  it('forces the kind with type and stops at maxEntries, counting the rest', () => {
    const { set, stats } = loadThreatText('a.example\nb.example\n192.0.2.1\nc.example\nd.example', { name: 'd', format: 'list', type: 'domain', maxEntries: 2 });
    expect(set.size).toBe(2);
    expect(stats).toMatchObject({ added: 2, invalid: 1, limit: 2 });
  });

  it('reads CSV with indicator, type, description and confidence columns (quoted fields too)', () => {
    const text = 'indicator,type,description,confidence\n203.0.113.9,ip,"C2 server, known",85\nbad.example,domain,Phishing,low\n"x.example",weird,,\n';
    const { set, stats } = loadThreatText(text, { name: 'csvfeed', format: 'csv', maxEntries: 10 });
    expect(stats).toMatchObject({ added: 2, invalid: 1 });
    const ev = { source: { ip: '203.0.113.9' }, url: { domain: 'bad.example' } };
    matchThreats(ev, [set]);
    const list = (ev as unknown as { threat: { enrichments: Array<{ indicator: Record<string, unknown> }> } }).threat.enrichments;
    expect(list.map((x) => [x.indicator.description, x.indicator.confidence])).toEqual([['C2 server, known', 'High'], ['Phishing', 'Low']]);
    expect(() => loadThreatText('ip,foo\n1.2.3.4,x', { name: 'c', format: 'csv', maxEntries: 10 })).toThrow(/indicator column/);
  });

  it('parses CSV records across quoted line breaks and doubled quotes', () => {
    const rows: string[][] = [];
    parseCsv('a,b\r\n"multi\nline","say ""hi"""\n# comment\n\nlast,', (f) => rows.push(f));
    expect(rows).toEqual([['a', 'b'], ['multi\nline', 'say "hi"'], ['last', '']]);
  });
});

describe('STIX 2.1', () => {
  it('supports OR-ed equality comparisons on addresses, domains, URLs and hashes', () => {
    expect(parseStixPattern("[ipv4-addr:value = '198.51.100.1/32' OR ipv4-addr:value = '203.0.113.33']")).toEqual({ ok: true, atoms: [{ kind: 'ip', value: '198.51.100.1/32' }, { kind: 'ip', value: '203.0.113.33' }] });
    expect(parseStixPattern(`[file:hashes.'SHA-256' = '${SHA256}'] OR [file:hashes.MD5 = '${MD5}']`)).toEqual({ ok: true, atoms: [{ kind: 'hash', value: SHA256 }, { kind: 'hash', value: MD5 }] });
    expect(parseStixPattern("[domain-name:value = 'it\\'s.example']")).toEqual({ ok: true, atoms: [{ kind: 'domain', value: "it's.example" }] });
    expect(parseStixPattern("[url:value = 'http://x.example/a']")).toMatchObject({ ok: true });
  });

  it('refuses AND, other operators, qualifiers and other object paths', () => {
    expect(parseStixPattern("[ipv4-addr:value = '1.2.3.4' AND domain-name:value = 'x.example']")).toMatchObject({ ok: false, reason: expect.stringMatching(/AND/) });
    expect(parseStixPattern("[ipv4-addr:value ISSUBSET '1.2.3.0/24']")).toMatchObject({ ok: false });
    expect(parseStixPattern("[ipv4-addr:value != '1.2.3.4']")).toMatchObject({ ok: false, reason: expect.stringMatching(/!=/) });
    expect(parseStixPattern("[email-addr:value = 'a@b.example']")).toMatchObject({ ok: false, reason: expect.stringMatching(/email-addr/) });
    expect(parseStixPattern("[ipv4-addr:value = '1.2.3.4'] FOLLOWEDBY [ipv4-addr:value = '1.2.3.5']")).toMatchObject({ ok: false });
    expect(parseStixPattern("[ipv4-addr:value = '1.2.3.4'] WITHIN 300 SECONDS")).toMatchObject({ ok: false });
    expect(parseStixPattern("[ipv4-addr:value = '1.2.3.4'")).toMatchObject({ ok: false });
  });

  it('loads a bundle: provider from created_by_ref, confidence, revoked and expired skipped, unsupported counted', () => {
    const bundle = {
      type: 'bundle', id: 'bundle--1',
      objects: [
        { type: 'identity', id: 'identity--acme', name: 'ACME CERT' },
        { type: 'indicator', id: 'indicator--a', name: 'C2 node', pattern_type: 'stix', pattern: "[ipv4-addr:value = '203.0.113.77']", confidence: 50, created_by_ref: 'identity--acme' },
        { type: 'indicator', id: 'indicator--b', pattern_type: 'stix', pattern: `[file:hashes.'SHA-256' = '${SHA256}']` },
        { type: 'indicator', id: 'indicator--c', pattern_type: 'stix', pattern: "[ipv4-addr:value = '203.0.113.78']", revoked: true },
        { type: 'indicator', id: 'indicator--d', pattern_type: 'stix', pattern: "[ipv4-addr:value = '203.0.113.79']", valid_until: '2000-01-01T00:00:00Z' },
        { type: 'indicator', id: 'indicator--e', pattern_type: 'stix', pattern: "[process:name = 'evil.exe']" },
        { type: 'indicator', id: 'indicator--f', pattern_type: 'sigma', pattern: 'title: x' },
        { type: 'malware', id: 'malware--x', name: 'not an indicator' },
      ],
    };
    const { set, stats } = loadThreatText(JSON.stringify(bundle), { name: 'stixfeed', format: 'stix', maxEntries: 10 });
    expect(stats).toMatchObject({ added: 2, expired: 2, unsupported: 2 });
    expect(stats.examples.join('\n')).toMatch(/indicator--e: object path 'process:name' is not supported/);
    const ev = { destination: { ip: '203.0.113.77' }, process: { hash: { sha256: SHA256 } } };
    matchThreats(ev, [set]);
    expect((ev as unknown as { threat: unknown }).threat).toEqual({
      enrichments: [
        { indicator: { type: 'ipv4-addr', name: '203.0.113.77', ip: '203.0.113.77', provider: 'ACME CERT', description: 'C2 node', confidence: 'Medium' }, matched: { atomic: '203.0.113.77', field: 'destination.ip', type: 'indicator_match_rule', id: 'indicator--a' } },
        { indicator: { type: 'file', name: SHA256, provider: 'stixfeed', file: { hash: { sha256: SHA256 } } }, matched: { atomic: SHA256, field: 'process.hash.sha256', type: 'indicator_match_rule', id: 'indicator--b' } },
      ],
    });
    expect(() => loadThreatText('{"type":"x"}', { name: 's', format: 'stix', maxEntries: 1 })).toThrow(/not a STIX 2.1 bundle/);
    expect(() => loadThreatText('{oops', { name: 's', format: 'stix', maxEntries: 1 })).toThrow();
  });
});
