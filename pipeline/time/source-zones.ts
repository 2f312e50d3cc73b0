/**
 * Which time zone a sender's zoneless timestamps are in: `worker.time.zones` lists rules of
 * source networks and/or listener ports with a zone each; the first rule that matches wins, and
 * `worker.time.defaultZone` (UTC unless configured) covers everyone else.
 */
import { cidrMatcher, parseCidr } from '../detect/modifiers/cidr';
import { timeZone, UTC, type TimeZone } from './zone';

export interface ZoneRuleConfig {
  zone: string;
  /** Source addresses or CIDR networks (IPv4 or IPv6). */
  sources?: string[];
  /** Listener ports the messages arrived on. */
  listeners?: number[];
}

interface CompiledZoneRule {
  zone: TimeZone;
  sources: Array<(ip: unknown) => boolean> | null;
  listeners: ReadonlySet<number> | null;
}

/** A source address resolves the same way every time: remember a bounded number of answers. */
const MAX_CACHED_SOURCES = 10_000;

export class SourceZones {
  private readonly rules: CompiledZoneRule[];
  private readonly cache = new Map<string, TimeZone>();

  /** Throws a RangeError naming the rule (`worker.time.zones[i]`) when a zone or network is invalid. */
  constructor(rules: readonly ZoneRuleConfig[] = [], readonly defaultZone: TimeZone = UTC) {
    this.rules = rules.map((r, i) => {
      const where = `worker.time.zones[${i}]`;
      let zone: TimeZone;
      try {
        zone = timeZone(r.zone);
      } catch (err) {
        throw new RangeError(`${where}.zone: ${(err as Error).message}`);
      }
      const sources = r.sources?.map((text, j) => {
        const net = parseCidr(text.trim());
        if (net === null) throw new RangeError(`${where}.sources[${j}]: '${text}' is not an IP address or CIDR network`);
        return cidrMatcher(net);
      }) ?? null;
      return { zone, sources, listeners: r.listeners ? new Set(r.listeners) : null };
    });
  }

  /** Whether anything but the default is configured (then every event needs a lookup). */
  get isEmpty(): boolean {
    return this.rules.length === 0;
  }

  /** The zone of a message from `sourceIp` that arrived on `listenerPort`. */
  zoneFor(sourceIp: string, listenerPort: number): TimeZone {
    if (this.rules.length === 0) return this.defaultZone;
    const key = `${listenerPort} ${sourceIp}`;
    const cached = this.cache.get(key);
    if (cached !== undefined) return cached;
    let zone = this.defaultZone;
    for (const r of this.rules) {
      if (r.listeners !== null && !r.listeners.has(listenerPort)) continue;
      if (r.sources !== null && !r.sources.some((m) => m(sourceIp))) continue;
      zone = r.zone;
      break;
    }
    if (this.cache.size >= MAX_CACHED_SOURCES) this.cache.clear();
    this.cache.set(key, zone);
    return zone;
  }
}
