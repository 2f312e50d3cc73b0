import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { createEnricher, severityFor, type EnrichConfig } from '../../../pipeline/enrich';
import { HaetaeError } from '../../../pipeline/errors/catalog';
import { Metrics } from '../../../pipeline/telemetry/metrics';
import { writeTestMmdb } from '../../support/mmdb';

let dir: string;
let mmdb: { city: string; asn: string };

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'haetae-enrich-'));
  mmdb = writeTestMmdb(dir);
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function capture(): { logger: pino.Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const logger = pino({ level: 'info' }, { write: (s: string) => { lines.push(JSON.parse(s) as Record<string, unknown>); } });
  return { logger, lines };
}

async function make(config: EnrichConfig, opts: { watch?: boolean } = {}) {
  const metrics = new Metrics();
  const { logger, lines } = capture();
  const enricher = await createEnricher(config, { logger, metrics, baseDir: dir, watch: opts.watch ?? false });
  return { enricher, metrics, lines };
}

const write = (name: string, text: string | Buffer): string => { const p = path.join(dir, name); fs.writeFileSync(p, text); return p; };

describe('GeoIP and ASN', () => {
  it('fills <side>.geo and <side>.as for public addresses, and skips private ones', async () => {
    const { enricher, metrics } = await make({ geoip: { city: path.basename(mmdb.city), asn: mmdb.asn } });
    const event: Record<string, any> = {
      source: { ip: '203.0.113.7', port: 4242 },
      destination: { ip: '2001:db8::1' },
      client: { ip: '10.1.2.3' },
      server: { ip: '198.51.100.20' },
    };
    enricher.enrich(event);
    expect(event.source).toEqual({
      ip: '203.0.113.7', port: 4242,
      geo: { continent_code: 'OC', continent_name: 'Oceania', country_iso_code: 'NZ', country_name: 'New Zealand', region_iso_code: 'NZ-WGN', region_name: 'Wellington Region', city_name: 'Wellington', location: { lat: -41.2866, lon: 174.7756 }, timezone: 'Pacific/Auckland' },
      as: { number: 64500, organization: { name: 'Example Transit' } },
    });
    expect(event.destination.geo).toMatchObject({ country_iso_code: 'DE', city_name: 'Berlin' });
    expect(event.destination.as).toEqual({ number: 64501, organization: { name: 'Example Six' } });
    expect(event.client).toEqual({ ip: '10.1.2.3' }); // RFC 1918: in the database, but never looked up
    expect(event.server.geo).toEqual({ continent_code: 'EU', continent_name: 'Europe', country_iso_code: 'DE', country_name: 'Germany', location: { lat: 51.2993, lon: 9.491 }, timezone: 'Europe/Berlin' });
    expect(event.server.as).toBeUndefined();

    // Cached results are shared and frozen: changing one event's geo cannot leak into the next.
    expect(() => { event.source.geo.city_name = 'changed'; }).toThrow(TypeError);
    const again: Record<string, any> = { source: { ip: '203.0.113.7' } };
    enricher.enrich(again);
    expect(again.source.geo.city_name).toBe('Wellington');
    expect(Object.isFrozen(again.source.as)).toBe(true);

    // Geo the log itself carried is kept.
    const own: Record<string, any> = { source: { ip: '203.0.113.7', geo: { country_iso_code: 'AU' } } };
    enricher.enrich(own);
    expect(own.source.geo).toEqual({ country_iso_code: 'AU' });
    expect(own.source.as.number).toBe(64500);

    expect(await metrics.value('haetae_enrich_lookups_total', { source: 'geoip', outcome: 'hit' })).toBe(5);
    expect(await metrics.value('haetae_enrich_lookups_total', { source: 'geoip', outcome: 'skipped' })).toBe(1);
    expect(await metrics.value('haetae_enrich_lookups_total', { source: 'asn', outcome: 'miss' })).toBe(1);
    enricher.close();
  });

  it('leaves odd field values alone', async () => {
    const { enricher } = await make({ geoip: { city: mmdb.city } });
    const events: Array<Record<string, unknown>> = [{}, { source: 'x' }, { source: { ip: 42 } }, { source: { ip: 'not-an-ip' } }, { source: { ip: 'fe80::1%eth0' } }, { source: null }];
    for (const e of events) { const before = JSON.stringify(e); enricher.enrich(e); expect(JSON.stringify(e)).toBe(before); }
    enricher.close();
  });

  it('refuses a missing, corrupt or wrong-kind database at start-up with HAETAE_ENRICH_SOURCE', async () => {
    await expect(make({ geoip: { city: 'nope.mmdb' } })).rejects.toMatchObject({ code: 'HAETAE_ENRICH_SOURCE', message: expect.stringMatching(/geoip\.city .*nope\.mmdb.*ENOENT/) });
    write('junk.mmdb', Buffer.from('this is not a database'));
    await expect(make({ geoip: { city: 'junk.mmdb' } })).rejects.toMatchObject({ code: 'HAETAE_ENRICH_SOURCE', message: expect.stringMatching(/not a MaxMind database/) });
    await expect(make({ geoip: { city: mmdb.asn } })).rejects.toMatchObject({ message: expect.stringMatching(/'GeoLite2-ASN' is not a City or Country database/) });
  });
});

describe('network zones', () => {
  it('names the first zone holding each side\'s address, IPv4 and IPv6', async () => {
    const { enricher } = await make({ zones: [{ name: 'dmz', networks: ['10.10.0.0/16'] }, { name: 'internal', networks: ['10.0.0.0/8', 'fd00::/8'] }, { name: 'internal-too', networks: ['10.0.0.0/8'] }] });
    const e: Record<string, any> = { source: { ip: '10.10.1.1' }, destination: { ip: '10.20.0.1' }, client: { ip: 'fd12::1' }, server: { ip: '203.0.113.1' } };
    enricher.enrich(e);
    expect(e.haetae).toEqual({ zone: { source: 'dmz', destination: 'internal', client: 'internal' } });
    await expect(make({ zones: [{ name: 'x', networks: ['10.0.0.0/40'] }] })).rejects.toThrow(/enrich\.zones.*\/enrich\/zones\/0\/networks\/0: '10.0.0.0\/40'/);
  });
});

describe('asset inventory', () => {
  const csv = [
    'ip,hostname,name,owner,criticality,os,tags',
    '10.0.0.5,db1.corp.example,Customer DB,dba-team,critical,Debian 12,pci;prod',
    '10.0.0.6 10.0.0.7,web1,,web-team,medium,,',
    ',laptop42,,alice,LOW,,',
    '10.0.0.9,,,bob,urgent,,',
    'bad-ip,,,,,,',
  ].join('\n');

  it('matches host, source and destination by address and host name, and records the highest criticality', async () => {
    write('assets.csv', csv);
    const { enricher, lines } = await make({ assets: { file: 'assets.csv' } });
    const e: Record<string, any> = { host: { hostname: 'DB1' }, source: { ip: '10.0.0.7' }, destination: { ip: '::ffff:10.0.0.5' } };
    enricher.enrich(e);
    expect(e.haetae.asset).toEqual({
      host: { name: 'Customer DB', owner: 'dba-team', criticality: 'critical', os: 'Debian 12', tags: ['pci', 'prod'] },
      source: { name: 'web1', owner: 'web-team', criticality: 'medium' },
      destination: { name: 'Customer DB', owner: 'dba-team', criticality: 'critical', os: 'Debian 12', tags: ['pci', 'prod'] },
      criticality: 'critical',
    });
    const byHostIp: Record<string, any> = { host: { ip: ['192.0.2.1', '10.0.0.6'] } };
    enricher.enrich(byHostIp);
    expect(byHostIp.haetae.asset).toEqual({ host: { name: 'web1', owner: 'web-team', criticality: 'medium' }, criticality: 'medium' });
    const bySender: Record<string, any> = { log: { source: { address: '10.0.0.5' } } };
    enricher.enrich(bySender);
    expect(bySender.haetae.asset.host.name).toBe('Customer DB');
    const nobody: Record<string, any> = { host: { hostname: 'unknown' } };
    enricher.enrich(nobody);
    expect(nobody.haetae).toBeUndefined();
    const warn = lines.find((l) => l.source === 'assets.file' && l.level === 40);
    expect(warn).toMatchObject({ invalid: 2, examples: [expect.stringMatching(/line 5: criticality 'urgent'/), expect.stringMatching(/line 6: 'bad-ip' is not an IP address/)] });
    enricher.close();
  });

  it('reads YAML, and bounds the table at maxEntries (counted)', async () => {
    write('assets.yml', 'assets:\n  - ip: [10.0.0.1, "2001:db8::10"]\n    name: fw1\n    criticality: high\n    tags: [edge]\n  - hostname: a\n  - hostname: b\n');
    const { enricher, metrics } = await make({ assets: { file: 'assets.yml', maxEntries: 2 } });
    expect(enricher.sizes()).toEqual({ 'assets.file': 2 });
    expect(await metrics.value('haetae_enrich_skipped_total', { source: 'assets.file', reason: 'limit' })).toBe(1);
    const e: Record<string, any> = { source: { ip: '2001:db8::10' } };
    enricher.enrich(e);
    expect(e.haetae.asset).toEqual({ source: { name: 'fw1', criticality: 'high', tags: ['edge'] }, criticality: 'high' });
    enricher.close();
  });

  it('severityFor raises by criticality: critical two levels, high one, never lowered, capped', () => {
    const ev = (criticality?: string) => ({ haetae: { asset: { criticality } } });
    expect(severityFor('low', ev('critical'))).toBe('high');
    expect(severityFor('medium', ev('high'))).toBe('high');
    expect(severityFor('high', ev('critical'))).toBe('critical');
    expect(severityFor('critical', ev('critical'))).toBe('critical');
    expect(severityFor('medium', ev('low'))).toBe('medium');
    expect(severityFor('medium', ev('medium'))).toBe('medium');
    expect(severityFor('low', ev())).toBe('low');
    expect(severityFor('low', {})).toBe('low');
    expect(severityFor('informational', ev('critical'))).toBe('medium');
  });
});

describe('threat intelligence through the enricher', () => {
  it('adds threat.enrichments and the tag, and counts hits', async () => {
    write('ips.txt', '203.0.113.66\n198.51.100.0/24\n');
    const { enricher, metrics } = await make({ threat: [{ name: 'feed', file: 'ips.txt', format: 'list' }] });
    const e: Record<string, any> = { source: { ip: '198.51.100.3' } };
    enricher.enrich(e);
    expect(e.threat.enrichments).toHaveLength(1);
    expect(e.tags).toEqual(['haetae_threat_match']);
    enricher.enrich({ source: { ip: '192.0.2.1' } });
    expect(await metrics.value('haetae_enrich_lookups_total', { source: 'threat', outcome: 'hit' })).toBe(1);
    expect(await metrics.value('haetae_enrich_lookups_total', { source: 'threat', outcome: 'miss' })).toBe(1);
    expect(await metrics.value('haetae_enrich_entries', { source: 'threat.feed' })).toBe(2);
    enricher.close();
  });

  it('refuses two feeds with the same name', async () => {
    write('one.txt', '192.0.2.1\n');
    await expect(make({ threat: [{ name: 'x', file: 'one.txt', format: 'list' }, { name: 'x', file: 'one.txt', format: 'list' }] })).rejects.toMatchObject({ code: 'HAETAE_CONFIG_INVALID', message: expect.stringMatching(/\/enrich\/threat\/1\/name: 'x' is used twice/) });
  });

  it('stops at maxEntries and counts what it skipped', async () => {
    write('many.txt', Array.from({ length: 10 }, (_, i) => `192.0.2.${i}`).join('\n'));
    const { enricher, metrics } = await make({ threat: [{ name: 'many', file: 'many.txt', format: 'list', type: 'ip', maxEntries: 4 }] });
    expect(enricher.sizes()).toEqual({ 'threat.many': 4 });
    expect(await metrics.value('haetae_enrich_skipped_total', { source: 'threat.many', reason: 'limit' })).toBe(6);
    enricher.close();
  });
});

describe('reload', () => {
  it('swaps in new data on reload, and keeps the previous data when the new file is corrupt', async () => {
    write('swap.txt', '203.0.113.1\n');
    write('swap-assets.csv', 'ip,name\n10.0.0.1,old\n');
    fs.copyFileSync(mmdb.city, path.join(dir, 'swap-city.mmdb'));
    const { enricher, metrics, lines } = await make({ threat: [{ name: 'swap', file: 'swap.txt', format: 'list' }], assets: { file: 'swap-assets.csv' }, geoip: { city: 'swap-city.mmdb' } });
    const hits = (ip: string) => { const e: Record<string, any> = { source: { ip } }; enricher.enrich(e); return e.threat?.enrichments?.length ?? 0; };
    expect([hits('203.0.113.1'), hits('203.0.113.2')]).toEqual([1, 0]);

    write('swap.txt', '203.0.113.2\n');
    write('swap-assets.csv', 'ip,name\n10.0.0.1,new\n');
    await enricher.reload();
    expect([hits('203.0.113.1'), hits('203.0.113.2')]).toEqual([0, 1]);
    const a: Record<string, any> = { source: { ip: '10.0.0.1' } };
    enricher.enrich(a);
    expect(a.haetae.asset.source.name).toBe('new');

    // Corrupt: a CSV without its header, a STIX-less list is fine, a truncated database.
    write('swap-assets.csv', 'nothing,useful\n');
    write('swap-city.mmdb', Buffer.from('truncated'));
    fs.rmSync(path.join(dir, 'swap.txt'));
    await enricher.reload();
    expect(hits('203.0.113.2')).toBe(1);
    const b: Record<string, any> = { source: { ip: '10.0.0.1' } };
    enricher.enrich(b);
    expect(b.haetae.asset.source.name).toBe('new');
    const g: Record<string, any> = { source: { ip: '203.0.113.9' } };
    enricher.enrich(g);
    expect(g.source.geo.city_name).toBe('Wellington');
    for (const source of ['threat.swap', 'assets.file', 'geoip.city']) {
      expect(await metrics.value('haetae_enrich_reloads_total', { source, result: 'rejected' })).toBe(1);
    }
    const errors = lines.filter((l) => l.level === 50);
    expect(errors.map((l) => l.source).sort()).toEqual(['assets.file', 'geoip.city', 'threat.swap']);
    expect(errors.every((l) => l.code === 'HAETAE_ENRICH_SOURCE' && /previous data keeps serving/.test(String(l.msg)))).toBe(true);
    enricher.close();
  });

  it('reloads a changed file on its own when watching', async () => {
    write('watched.txt', 'a.example\n');
    const { enricher } = await make({ threat: [{ name: 'w', file: 'watched.txt', format: 'list' }] }, { watch: true });
    const hit = (name: string) => { const e: Record<string, any> = { dns: { question: { name } } }; enricher.enrich(e); return e.threat !== undefined; };
    expect(hit('b.example')).toBe(false);
    write('watched.txt', 'a.example\nb.example\n');
    const deadline = Date.now() + 5000;
    while (!hit('b.example') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(hit('b.example')).toBe(true);
    enricher.close();
  });

  it('fails at start-up for an Elasticsearch asset source without a client', async () => {
    const err = await make({ assets: { elasticsearch: { index: 'x' } } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HaetaeError);
    expect((err as HaetaeError).code).toBe('HAETAE_ENRICH_SOURCE');
  });
});

describe('robustness', () => {
  it('never throws, whatever shape the fields have', async () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const fc = require('fast-check') as typeof import('fast-check');
    write('fuzz-ips.txt', '203.0.113.0/24\nevil.example\n2001:db8::/32\n');
    write('fuzz-assets.csv', 'ip,hostname,criticality\n10.0.0.1,web1,high\n');
    const { enricher } = await make({ geoip: { city: mmdb.city, asn: mmdb.asn }, zones: [{ name: 'z', networks: ['10.0.0.0/8', 'fd00::/8'] }], assets: { file: 'fuzz-assets.csv' }, threat: [{ name: 'f', file: 'fuzz-ips.txt', format: 'list' }] });
    const address = fc.oneof(fc.ipV4(), fc.ipV6(), fc.constantFrom('203.0.113.9', '10.0.0.1', '2001:db8::1', '::ffff:203.0.113.1', 'fe80::1%eth0', '', ' ', '1.2.3', ':::'), fc.string());
    const value = fc.oneof(address, fc.array(address, { maxLength: 3 }), fc.anything({ maxDepth: 2 }));
    const side = fc.record({ ip: value, domain: value }, { requiredKeys: [] });
    const event = fc.record({
      source: fc.oneof(side, fc.anything({ maxDepth: 1 })), destination: side, client: side, server: side,
      host: fc.record({ ip: value, hostname: value, name: value }, { requiredKeys: [] }),
      related: fc.record({ ip: value, hash: value }, { requiredKeys: [] }),
      dns: fc.record({ question: fc.record({ name: value }) }), url: fc.record({ full: value, original: value, domain: value }, { requiredKeys: [] }),
      file: fc.record({ hash: fc.record({ sha256: value, md5: value }, { requiredKeys: [] }) }),
      tags: fc.oneof(fc.array(fc.string(), { maxLength: 2 }), fc.anything({ maxDepth: 1 })),
      haetae: fc.oneof(fc.constant({ raw: { topic: 't', partition: 0, offset: '1' } }), fc.anything({ maxDepth: 1 })),
      threat: fc.anything({ maxDepth: 1 }),
    }, { requiredKeys: [] });
    fc.assert(fc.property(event, (e) => { enricher.enrich(e as Record<string, unknown>); }), { numRuns: 2000 });
    enricher.close();
  });
});
