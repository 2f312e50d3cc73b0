import fc from 'fast-check';
import { isNonPublic, parseAddress, parseIPv4, parseNetwork } from '../../../pipeline/enrich/ip';
import { PrefixTableBuilder } from '../../../pipeline/enrich/prefix-table';

const ip = (t: string) => parseAddress(t)!;

describe('address parsing', () => {
  it('reads IPv4, IPv6 and IPv4-mapped IPv6, and refuses the rest', () => {
    expect(parseIPv4('203.0.113.7')).toBe(0xcb007107);
    expect(parseIPv4('255.255.255.255')).toBe(0xffffffff);
    for (const bad of ['256.1.1.1', '1.2.3', '1.2.3.4.5', '01234.1.1.1', '', 'a.b.c.d', '1..2.3']) expect(parseIPv4(bad)).toBe(-1);
    expect(parseAddress('::ffff:10.1.2.3')).toEqual({ v: 4, n: 0x0a010203 });
    expect(parseAddress('2001:db8::1')).toEqual({ v: 6, n: 0x20010db8000000000000000000000001n });
    expect(parseAddress('fe80::1%eth0')).toEqual({ v: 6, n: 0xfe800000000000000000000000000001n });
    expect(parseAddress('example.com')).toBeNull();
    expect(parseNetwork('10.1.2.3/8')).toEqual({ v: 4, start: 0x0a000000, end: 0x0affffff, prefix: 8 });
    expect(parseNetwork('::ffff:10.0.0.0/104')).toMatchObject({ v: 4, prefix: 8 });
    expect(parseNetwork('10.0.0.0/33')).toBeNull();
    expect(parseNetwork('2001:db8::/129')).toBeNull();
  });

  it('classifies private, CGNAT, loopback, link-local, ULA and multicast as non-public, documentation ranges as public', () => {
    for (const t of ['10.0.0.1', '172.31.255.255', '192.168.1.1', '100.64.0.1', '127.0.0.1', '169.254.1.1', '224.0.0.1', '255.255.255.255', '0.0.0.0', '::1', '::', 'fe80::1', 'fd00::1', 'ff02::1']) {
      expect([t, isNonPublic(ip(t))]).toEqual([t, true]);
    }
    for (const t of ['8.8.8.8', '172.32.0.1', '203.0.113.7', '198.51.100.1', '192.0.2.1', '2001:db8::1', '2606:4700::1111']) {
      expect([t, isNonPublic(ip(t))]).toEqual([t, false]);
    }
  });
});

describe('PrefixTable', () => {
  it('matches the longest prefix among nested networks, exact addresses first', () => {
    const b = new PrefixTableBuilder();
    b.add(parseNetwork('10.0.0.0/8')!, 1);
    b.add(parseNetwork('10.1.0.0/16')!, 2);
    b.add(parseNetwork('10.1.2.0/24')!, 3);
    b.add(parseNetwork('10.1.2.3')!, 4);
    b.add(parseNetwork('10.200.0.0/16')!, 5);
    b.add(parseNetwork('0.0.0.0/0')!, 0);
    b.add(parseNetwork('2001:db8::/32')!, 6);
    b.add(parseNetwork('2001:db8:1::/48')!, 7);
    b.add(parseNetwork('2001:db8::5')!, 8);
    const t = b.build();
    const at = (s: string) => t.lookup(ip(s));
    expect(at('10.1.2.3')).toBe(4);
    expect(at('10.1.2.4')).toBe(3);
    expect(at('10.1.3.0')).toBe(2);
    expect(at('10.2.0.0')).toBe(1);
    expect(at('10.200.1.1')).toBe(5);
    expect(at('10.255.255.255')).toBe(1);
    expect(at('11.0.0.0')).toBe(0);
    expect(at('255.255.255.255')).toBe(0);
    expect(at('2001:db8:1::9')).toBe(7);
    expect(at('2001:db8:2::9')).toBe(6);
    expect(at('2001:db8::5')).toBe(8);
    expect(at('2001:db9::')).toBe(-1);
    expect(t.size).toBe(9);
  });

  it('keeps the first value of a network listed twice', () => {
    const b = new PrefixTableBuilder();
    expect(b.add(parseNetwork('192.0.2.0/24')!, 1)).toBe(true);
    b.add(parseNetwork('192.0.2.0/24')!, 2);
    expect(b.add(parseNetwork('192.0.2.9')!, 3)).toBe(true);
    expect(b.add(parseNetwork('192.0.2.9')!, 4)).toBe(false);
    const t = b.build();
    expect(t.lookup(ip('192.0.2.1'))).toBe(1);
    expect(t.lookup(ip('192.0.2.9'))).toBe(3);
    expect(t.size).toBe(2);
  });

  it('agrees with a brute-force longest-prefix match on random networks', () => {
    fc.assert(fc.property(
      fc.array(fc.tuple(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: 32 })), { maxLength: 60 }),
      fc.array(fc.integer({ min: 0, max: 0xffffffff }), { maxLength: 40 }),
      (nets, probes) => {
        const b = new PrefixTableBuilder();
        const list = nets.map(([n, p], i) => {
          const size = 2 ** (32 - p);
          const start = Math.floor(n / size) * size;
          b.add({ v: 4, start, end: start + size - 1, prefix: p }, i);
          return { start, end: start + size - 1, p, i };
        });
        const t = b.build();
        // Probe random addresses and the networks' own edges.
        for (const x of [...probes, ...list.flatMap((n) => [n.start, n.end, Math.max(0, n.start - 1), Math.min(0xffffffff, n.end + 1)])]) {
          let best = -1;
          let bestP = -1;
          for (const n of list) if (x >= n.start && x <= n.end && n.p > bestP) { best = n.i; bestP = n.p; }
          expect(t.lookup4(x)).toBe(best);
        }
      },
    ), { numRuns: 300 });
  });
});

describe('IPv6 parsing agrees with the rule engine\'s parser', () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { parseIp } = require('../../../pipeline/detect/modifiers/cidr') as typeof import('../../../pipeline/detect/modifiers/cidr');
  const reference = (t: string): bigint | number | null => {
    const r = parseIp(t);
    if (r === null || r.version !== 6) return null;
    const w = r.words;
    if (w.slice(0, 5).every((x) => x === 0) && w[5] === 0xffff) return w[6]! * 65536 + w[7]!;
    return w.reduce((n, x) => (n << 16n) | BigInt(x), 0n);
  };
  it('on hand-picked forms', () => {
    for (const t of ['::', '::1', '1::', '1::2', '2001:db8::', 'fe80::1%eth0', '::ffff:1.2.3.4', '::1.2.3.4', '64:ff9b::192.0.2.33', '2001:DB8:0:0:8:800:200C:417A', '1:2:3:4:5:6:7:8', '1:2:3:4:5:6:1.2.3.4',
      ':', ':::', '1:::2', '1::2::3', '1:2:3:4:5:6:7', '1:2:3:4:5:6:7:8:9', '12345::', '1:', ':1', 'g::', '1::2:', '::1.2.3', '1:2:3:4:5:6:7::', '::1:2:3:4:5:6:7', '::1:2:3:4:5:6:7:8']) {
      const got = parseAddress(t);
      expect([t, got === null ? null : got.n]).toEqual([t, reference(t)]);
    }
    // Stricter than the rule engine: an embedded IPv4 is only allowed as the last 32 bits.
    expect(parseAddress('1.2.3.4::')).toBeNull();
  });
  it('on random addresses, compressed or not', () => {
    fc.assert(fc.property(fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 8, maxLength: 8 }), fc.boolean(), (words, compress) => {
      let text = words.map((w) => w.toString(16)).join(':');
      if (compress) text = text.replace(/(^|:)0(:0)+(:|$)/, '::');
      expect(parseAddress(text)?.n ?? null).toEqual(reference(text));
    }), { numRuns: 500 });
  });
});

describe('string filters', () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { StringFilter, HexFilter } = require('../../../pipeline/enrich/string-filter') as typeof import('../../../pipeline/enrich/string-filter');
  it('never answer "absent" for a key that was added, and reject most others', () => {
    const s = new StringFilter(1000);
    const h = new HexFilter(1000);
    const hex = (i: number) => (i * 2654435761 >>> 0).toString(16).padStart(8, '0') + 'ab'.repeat(28);
    for (let i = 0; i < 1000; i++) { s.add(`d${i}.example`); h.add(hex(i)); }
    for (let i = 0; i < 1000; i++) { expect(s.mayHave(`d${i}.example`)).toBe(true); expect(h.mayHave(hex(i))).toBe(true); }
    let falsePositives = 0;
    for (let i = 1000; i < 11000; i++) if (s.mayHave(`d${i}.example`)) falsePositives++;
    expect(falsePositives).toBeLessThan(600);
    expect(h.mayHave('xyz')).toBe(false);
  });
});
