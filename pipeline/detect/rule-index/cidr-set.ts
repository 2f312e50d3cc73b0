/**
 * The networks of one field's cidr keys, looked up with one Map probe per distinct (family,
 * prefix length) instead of a mask compare per network: rules tend to share a few prefix lengths
 * (/8, /16, /24), so the cost stays flat as rules add networks. The test is cidrMatcher's
 * (modifiers/cidr.ts): the field is an address of the network's family, with IPv4 inside an
 * IPv4-mapped IPv6 address (`::ffff:1.2.3.4`) also tested against IPv4 networks.
 */
import { parseIp } from '../modifiers/cidr';
import type { IpNet } from '../modifiers/types';

interface Group {
  version: 4 | 6;
  prefix: number;
  /** Masked address (IPv4: a 32-bit number; IPv6: the masked words joined) → ids. */
  ids: Map<number | string, Int32Array>;
}

export class CidrSet {
  readonly size: number;
  private readonly v4: Group[];
  private readonly v6: Group[];

  constructor(entries: ReadonlyArray<{ net: IpNet; ids: readonly number[] }>) {
    const groups = new Map<string, { version: 4 | 6; prefix: number; ids: Map<number | string, number[]> }>();
    for (const { net, ids } of entries) {
      let g = groups.get(`${net.version}/${net.prefix}`);
      if (!g) { g = { version: net.version, prefix: net.prefix, ids: new Map() }; groups.set(`${net.version}/${net.prefix}`, g); }
      // A range with host bits set is its network (parseCidr): masking the key drops them.
      const key = maskedKey(net.version, net.words, net.prefix);
      g.ids.set(key, [...(g.ids.get(key) ?? []), ...ids]);
    }
    const frozen = [...groups.values()].map((g): Group => ({
      version: g.version,
      prefix: g.prefix,
      ids: new Map([...g.ids].map(([k, ids]) => [k, Int32Array.from(new Set(ids)).sort()])),
    }));
    this.v4 = frozen.filter((g) => g.version === 4);
    this.v6 = frozen.filter((g) => g.version === 6);
    this.size = entries.length;
  }

  /** Calls `hit(ids)` for every group whose network holds the address `x` (a string). */
  lookup(x: unknown, hit: (ids: Int32Array) => void): void {
    if (typeof x !== 'string') return;
    const ip = parseIp(x.trim());
    if (ip === null) return;
    let v4words: number[] | null = ip.version === 4 ? ip.words : null;
    if (ip.version === 6) {
      for (const g of this.v6) {
        const ids = g.ids.get(maskedKey(6, ip.words, g.prefix));
        if (ids !== undefined) hit(ids);
      }
      const w = ip.words;
      if (w[0] === 0 && w[1] === 0 && w[2] === 0 && w[3] === 0 && w[4] === 0 && w[5] === 0xffff) v4words = [w[6]!, w[7]!];
    }
    if (v4words === null) return;
    for (const g of this.v4) {
      const ids = g.ids.get(maskedKey(4, v4words, g.prefix));
      if (ids !== undefined) hit(ids);
    }
  }
}

function maskedKey(version: 4 | 6, words: readonly number[], prefix: number): number | string {
  if (version === 4) {
    const addr = ((words[0]! << 16) | words[1]!) >>> 0;
    // `x << 32` is `x << 0` in JavaScript: /0 needs its own mask.
    return prefix === 0 ? 0 : (addr & (0xffffffff << (32 - prefix))) >>> 0;
  }
  let key = '';
  for (let i = 0, bits = prefix; i < 8; i++, bits -= 16) {
    const mask = bits >= 16 ? 0xffff : bits <= 0 ? 0 : (0xffff << (16 - bits)) & 0xffff;
    key += `${(words[i]! & mask).toString(16)}:`;
  }
  return key;
}
