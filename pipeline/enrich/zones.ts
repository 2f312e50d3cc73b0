/**
 * Named network zones (enrich.zones): the first zone, in config order, with a network holding the
 * address. Zone lists are short (a few dozen networks), so an ordered scan of numeric ranges is
 * cheaper than any index; results are not cached.
 */
import { parseNetwork, type Ip } from './ip';

export class Zones {
  private readonly v4: Array<{ start: number; end: number; zone: string }> = [];
  private readonly v6: Array<{ start: bigint; end: bigint; zone: string }> = [];

  /** Throws a RangeError naming enrich.zones[i].networks[j] for a bad network. */
  constructor(zones: ReadonlyArray<{ name: string; networks: readonly string[] }>) {
    zones.forEach((z, i) => z.networks.forEach((text, j) => {
      const net = parseNetwork(text.trim());
      if (net === null) throw new RangeError(`/enrich/zones/${i}/networks/${j}: '${text}' is not an IP address or CIDR network`);
      if (net.v === 4) this.v4.push({ start: net.start as number, end: net.end as number, zone: z.name });
      else this.v6.push({ start: net.start as bigint, end: net.end as bigint, zone: z.name });
    }));
  }

  get isEmpty(): boolean {
    return this.v4.length === 0 && this.v6.length === 0;
  }

  zoneOf(ip: Ip): string | undefined {
    if (ip.v === 4) {
      const n = ip.n;
      for (const r of this.v4) if (n >= r.start && n <= r.end) return r.zone;
    } else {
      const n = ip.n;
      for (const r of this.v6) if (n >= r.start && n <= r.end) return r.zone;
    }
    return undefined;
  }
}
