/**
 * Per-sender settings from config: a list of entries, each matching source networks and/or
 * listener ports, first match wins, else a default. Used for senders' time zones
 * (worker.time.zones) and for RFC 3164 senders whose messages carry no hostname
 * (worker.syslog.withoutHostname). Lookups are cached per (listener, source), bounded.
 */
import { cidrMatcher, parseCidr } from '../detect/modifiers/cidr';

export interface SenderSelector {
  /** Source addresses or CIDR networks (IPv4 or IPv6); any source when omitted. */
  sources?: readonly string[] | undefined;
  /** Listener ports; any listener when omitted. */
  listeners?: readonly number[] | undefined;
}

interface Compiled<T> {
  value: T;
  sources: Array<(ip: unknown) => boolean> | null;
  listeners: ReadonlySet<number> | null;
}

const MAX_CACHED_SENDERS = 10_000;

export class SenderMatch<T> {
  private readonly entries: Compiled<T>[];
  private readonly cache = new Map<string, T>();

  /**
   * `where` names the config list for errors (`worker.time.zones`); a bad network throws a
   * RangeError naming `where[i].sources[j]`.
   */
  constructor(entries: ReadonlyArray<SenderSelector & { value: T }>, readonly fallback: T, where: string) {
    this.entries = entries.map((e, i) => ({
      value: e.value,
      sources: e.sources?.map((text, j) => {
        const net = parseCidr(text.trim());
        if (net === null) throw new RangeError(`${where}[${i}].sources[${j}]: '${text}' is not an IP address or CIDR network`);
        return cidrMatcher(net);
      }) ?? null,
      listeners: e.listeners ? new Set(e.listeners) : null,
    }));
  }

  get isEmpty(): boolean {
    return this.entries.length === 0;
  }

  /** The value for a message from `sourceIp` that arrived on `listenerPort`. */
  for(sourceIp: string, listenerPort: number): T {
    if (this.entries.length === 0) return this.fallback;
    const key = `${listenerPort} ${sourceIp}`;
    const cached = this.cache.get(key);
    if (cached !== undefined) return cached;
    let value = this.fallback;
    for (const e of this.entries) {
      if (e.listeners !== null && !e.listeners.has(listenerPort)) continue;
      if (e.sources !== null && !e.sources.some((m) => m(sourceIp))) continue;
      value = e.value;
      break;
    }
    if (this.cache.size >= MAX_CACHED_SENDERS) this.cache.clear();
    this.cache.set(key, value);
    return value;
  }
}
