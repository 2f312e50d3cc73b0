import type { Logger } from '../../telemetry/logger';

const INTERVAL_MS = 60_000;
const MAX_KEYS = 10_000;

/**
 * Log lines for refused SNMP packets: at most one a minute per source and reason, carrying how
 * many were refused since the last line (the per-source count Prometheus does not get: a source
 * label would be unbounded). Stale entries are pruned once the map grows, so a spoofed flood from
 * many addresses cannot grow it without bound.
 */
export class RefusalLog {
  private readonly seen = new Map<string, { at: number; since: number }>();

  constructor(private readonly log: Logger, private readonly now: () => number = Date.now) {}

  refused(source: string, listener: string, reason: string, detail: string): void {
    const key = `${reason} ${source}`;
    const t = this.now();
    const prev = this.seen.get(key);
    if (prev && t - prev.at < INTERVAL_MS) {
      prev.since++;
      return;
    }
    if (this.seen.size >= MAX_KEYS) {
      for (const [k, v] of this.seen) if (t - v.at >= INTERVAL_MS) this.seen.delete(k);
      if (this.seen.size >= MAX_KEYS) return; // all fresh: counted in metrics, not logged
    }
    const more = prev?.since ? ` (${prev.since} more since the last line)` : '';
    this.log.warn({ source, listener, reason }, `Refused an SNMP packet from ${source}: ${reason} (${detail})${more}. Counted in haetae_errors_total{stage="snmp",error_type="${reason}"}; logged at most once a minute per source and reason.`);
    this.seen.set(key, { at: t, since: 0 });
  }
}
