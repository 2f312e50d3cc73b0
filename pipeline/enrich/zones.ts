/**
 * Named network zones (enrich.zones): the first zone, in config order, with a network holding the
 * address. Zone lists are short (a few dozen networks), so an ordered scan of numeric ranges is
 * cheaper than any index; results are not cached.
 */
import { cmp6, parseNetwork, words6, type Addr } from './ip';

export class Zones {
  private readonly v4: Array<{ start: number; end: number; zone: string }> = [];
  /** IPv6 networks as [start words, end words] octets, in config order; their zones in v6Zones. */
  private readonly v6: Uint32Array;
  private readonly v6Zones: string[] = [];

  /** Throws a RangeError naming enrich.zones[i].networks[j] for a bad network. */
  constructor(zones: ReadonlyArray<{ name: string; networks: readonly string[] }>) {
    const v6: Array<{ start: bigint; end: bigint }> = [];
    zones.forEach((z, i) => z.networks.forEach((text, j) => {
      const net = parseNetwork(text.trim());
      if (net === null) throw new RangeError(`/enrich/zones/${i}/networks/${j}: '${text}' is not an IP address or CIDR network`);
      if (net.v === 4) this.v4.push({ start: net.start as number, end: net.end as number, zone: z.name });
      else { v6.push({ start: net.start as bigint, end: net.end as bigint }); this.v6Zones.push(z.name); }
    }));
    this.v6 = new Uint32Array(v6.length * 8);
    v6.forEach((r, i) => { words6(r.start, this.v6, i * 8); words6(r.end, this.v6, i * 8 + 4); });
  }

  get isEmpty(): boolean {
    return this.v4.length === 0 && this.v6Zones.length === 0;
  }

  zoneOf(ip: Addr): string | undefined {
    if (ip.v === 4) {
      const n = ip.n;
      for (const r of this.v4) if (n >= r.start && n <= r.end) return r.zone;
    } else {
      const w = ip.w;
      for (let i = 0; i < this.v6Zones.length; i++) if (cmp6(w, this.v6, i * 8) >= 0 && cmp6(w, this.v6, i * 8 + 4) <= 0) return this.v6Zones[i];
    }
    return undefined;
  }
}
