import fc from 'fast-check';
import { InlineStringTable, StringTable, U32Table, W4Table } from '../../../pipeline/enrich/hash-table';
import { canonicalDomain, canonicalUrl, domainKeys, IndicatorSetBuilder, normalizeDomain, normalizeUrl } from '../../../pipeline/enrich/indicators';
import { isNonPublic, isNonPublicAddr, parseAddress, parseAddressShared, toAddr } from '../../../pipeline/enrich/ip';
import { fnv1a, fnv1aLower, fnv1aReverse } from '../../../pipeline/enrich/string-filter';
import { Zones } from '../../../pipeline/enrich/zones';

describe('typed hash tables', () => {
  it('U32Table finds every key (the first value of a repeated key) and nothing else', () => {
    fc.assert(fc.property(fc.array(fc.integer({ min: 0, max: 0xffffffff }), { maxLength: 300 }), fc.array(fc.integer({ min: 0, max: 0xffffffff }), { maxLength: 50 }), (keys, probes) => {
      const t = new U32Table(keys, keys.map((_, i) => i));
      for (const k of [...keys, ...probes]) expect(t.get(k)).toBe(keys.indexOf(k));
    }), { numRuns: 200 });
  });

  it('W4Table finds 128-bit keys by all four words', () => {
    const words = [0x20010db8, 0, 0, 1, 0x20010db8, 0, 0, 2, 0xfe800000, 0, 0, 1, 0, 0, 0, 0];
    const t = new W4Table(words, [7, 8, 9, 10]);
    expect([t.get(0x20010db8, 0, 0, 1), t.get(0x20010db8, 0, 0, 2), t.get(0xfe800000, 0, 0, 1), t.get(0, 0, 0, 0)]).toEqual([7, 8, 9, 10]);
    expect([t.get(0x20010db8, 0, 1, 1), t.get(0x20010db9, 0, 0, 1), t.get(1, 0, 0, 0)]).toEqual([-1, -1, -1]);
    expect(new W4Table([], []).get(0, 0, 0, 0)).toBe(-1);
  });

  it('StringTable and InlineStringTable find their keys, whatever the hash collisions', () => {
    fc.assert(fc.property(fc.uniqueArray(fc.string({ maxLength: 12 }), { maxLength: 200 }), fc.array(fc.string({ maxLength: 12 }), { maxLength: 50 }), (keys, probes) => {
      // A poor hash (a few values only) puts many keys in one run of slots.
      const poor = (s: string): number => s.length % 3;
      const a = new StringTable(keys.map((k, i) => [k, i] as [string, number]), keys.length, poor);
      const b = new InlineStringTable(keys, keys.map((_, i) => i), poor);
      const c = new InlineStringTable(keys, keys.map((_, i) => i), fnv1a);
      for (const k of [...keys, ...probes]) {
        expect(a.get(poor(k), k)).toBe(keys.indexOf(k));
        expect(b.get(poor(k), k)).toBe(keys.indexOf(k));
        expect(c.get(fnv1a(k), k)).toBe(keys.indexOf(k));
      }
    }), { numRuns: 200 });
  });

  it('StringTable.getSuffix matches a key against the end of a longer text without slicing it', () => {
    const t = new StringTable([['evil.example', 1], ['b.c', 2]], 2, fnv1aReverse);
    expect(t.getSuffix(fnv1aReverse('a.evil.example', 2), 'a.evil.example', 2)).toBe(1);
    expect(t.getSuffix(fnv1aReverse('xevil.example', 1), 'xevil.example', 1)).toBe(1);
    expect(t.getSuffix(fnv1aReverse('a.b.c', 0), 'a.b.c', 0)).toBe(-1);
    expect(fnv1aReverse('a.evil.example', 2)).toBe(fnv1aReverse('evil.example'));
  });
});

describe('normalization fast paths agree with the full normalizers', () => {
  const domainChars = fc.constantFrom('a', 'b', 'Z', '.', '*', ' ', '-', 'é', 'İ', '\t', '0');
  const urlChars = fc.constantFrom('h', 't', 'p', 's', ':', '/', '/', 'A', 'x', '.', '?', '#', ' ', 'É', '+', '1');
  it('canonicalDomain', () => {
    fc.assert(fc.property(fc.array(domainChars, { maxLength: 14 }).map((c) => c.join('')), (text) => {
      expect(canonicalDomain(text)).toBe(normalizeDomain(text));
    }), { numRuns: 3000 });
    for (const t of ['evil.example', 'Evil.example', 'evil.example.', '*.evil.example', ' evil.example', '*', '*.', '']) expect(canonicalDomain(t)).toBe(normalizeDomain(t));
  });
  it('canonicalUrl', () => {
    fc.assert(fc.property(fc.array(urlChars, { maxLength: 16 }).map((c) => c.join('')), (text) => {
      expect(canonicalUrl(text)).toBe(normalizeUrl(text));
    }), { numRuns: 3000 });
    for (const t of ['http://x.example/a', 'http://x.example', 'HTTP://x.example/a', 'http://X.example/A', 'http://x.example/a ', 'h://', 'http://', 'http://x?y', 'a+b.c-d://h/p', '1http://x/', '']) expect(canonicalUrl(t)).toBe(normalizeUrl(t));
  });
  it('fnv1aLower hashes exactly the strings toLowerCase leaves alone', () => {
    for (const t of ['host1', 'db1.corp.example', '', '-_.']) expect(fnv1aLower(t)).toBe(fnv1a(t));
    for (const t of ['Host1', 'hé', 'İ']) expect(fnv1aLower(t)).toBe(-1);
  });
  it('a domain is looked up as itself, then each parent that still has a dot (as the slicing walk did)', () => {
    // The walk domainKeys replaced: probe the name, then drop a label at a time, never a bare TLD.
    const reference = (listed: Map<string, number>, name: string): number => {
      let d = name;
      for (;;) {
        const hit = listed.get(d);
        if (hit !== undefined) return hit;
        const dot = d.indexOf('.');
        if (dot < 0) return -1;
        d = d.slice(dot + 1);
        if (d.indexOf('.') < 0) return -1;
      }
    };
    const label = fc.constantFrom('a', 'b', 'evil', 'example', 'com', '');
    const name = fc.array(label, { minLength: 1, maxLength: 5 }).map((l) => l.join('.'));
    fc.assert(fc.property(fc.uniqueArray(name, { maxLength: 8 }), fc.array(name, { maxLength: 20 }), (domains, probes) => {
      const b = new IndicatorSetBuilder('t', 100);
      const listed = new Map<string, number>();
      for (const d of domains) if (b.add({ value: d, kind: 'domain' }) === 'added') listed.set(normalizeDomain(d), b.size - 1);
      const set = b.build();
      for (const p of [...domains, ...probes]) {
        const d = canonicalDomain(p);
        expect([p, set.domainByKeys(d, domainKeys(d))]).toEqual([p, reference(listed, d)]);
      }
    }), { numRuns: 500 });
  });
});

describe('per-event addresses', () => {
  it('parseAddressShared holds the same address as parseAddress, as words for IPv6', () => {
    for (const t of ['203.0.113.7', '::ffff:10.1.2.3', '2001:db8::1', 'fe80::1%eth0', '::', '::1', 'ff02::1', '64:ff9b::192.0.2.33']) {
      const want = toAddr(parseAddress(t)!);
      const got = parseAddressShared(t)!;
      expect([t, got.v, got.v === 4 ? got.n : [...got.w]]).toEqual([t, want.v, want.v === 4 ? want.n : [...want.w]]);
    }
    // The same IPv6 text again after an IPv4 parse (the cached words are still right).
    parseAddressShared('2001:db8::7');
    parseAddressShared('10.0.0.1');
    expect([...parseAddressShared('2001:db8::7')!.w]).toEqual([0x20010db8, 0, 0, 7]);
    expect(parseAddressShared('not-an-ip')).toBeNull();
  });

  it('isNonPublicAddr agrees with isNonPublic', () => {
    fc.assert(fc.property(fc.oneof(fc.ipV4(), fc.ipV6(), fc.constantFrom('::', '::1', '::2', 'fe80::1', 'febf:ffff::1', 'fec0::1', 'fc00::', 'fdff::1', 'fe00::', 'ff00::', '10.0.0.1', '100.64.0.1')), (t) => {
      const ip = parseAddress(t);
      if (ip === null) return;
      expect([t, isNonPublicAddr(parseAddressShared(t)!)]).toEqual([t, isNonPublic(ip)]);
    }), { numRuns: 1000 });
  });

  it('Zones compare IPv6 networks by their words', () => {
    const z = new Zones([{ name: 'a', networks: ['fd00::/8', '2001:db8:1::/48'] }, { name: 'b', networks: ['2001:db8::/32', '10.0.0.0/8'] }]);
    const zone = (t: string) => z.zoneOf(parseAddressShared(t)!);
    expect(['fd12::1', '2001:db8:1:ffff::1', '2001:db8:2::1', '2001:db9::', 'fc00::1', '10.1.1.1', '11.0.0.0'].map(zone)).toEqual(['a', 'a', 'b', undefined, undefined, 'b', undefined]);
  });
});

describe('indicator sets', () => {
  it('match hex digests whatever their case, and only whole digests', () => {
    const b = new IndicatorSetBuilder('t', 10);
    const sha = 'AB'.repeat(32);
    b.add({ value: sha, kind: 'hash' });
    const s = b.build();
    expect([s.hash(sha), s.hash(sha.toLowerCase()), s.hash('Ab'.repeat(32)), s.hash(sha.slice(0, 62)), s.hash(sha + 'a'), s.hash('zz'), s.hash('')]).toEqual([0, 0, 0, -1, -1, -1, -1]);
  });
});
