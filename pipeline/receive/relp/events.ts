import type { Logger } from '../../telemetry/logger';
import type { Metrics } from '../../telemetry/metrics';
import { format, ERRORS } from '../../errors/catalog';
import type { ListenerSpec, PeerInfo } from '../syslog/listeners';
import type { RelpListenerEvents } from './listener';
import type { RelpErrorCode } from './session';

/** How often one source's RELP protocol errors are logged, at most. */
const LOG_INTERVAL_MS = 60_000;
/** Sources remembered for rate limiting; past it, entries older than the interval are forgotten. */
const MAX_SOURCES = 10_000;

/**
 * Counts every RELP protocol error in haetae_errors_total{stage="receive",error_type=<code>} and
 * logs it at most once a minute per source address, saying how many more there were since the
 * last line (a broken or hostile client reconnecting in a loop must not flood the log). `now` is
 * injectable for tests. The receiver spreads this into the listener events.
 */
export function relpErrorEvents(log: Logger, metrics: Metrics, now: () => number = Date.now): Required<Pick<RelpListenerEvents, 'onProtocolError'>> {
  const seen = new Map<string, { at: number; since: number }>();
  return {
    onProtocolError(spec: ListenerSpec, peer: PeerInfo, code: RelpErrorCode, detail: string) {
      metrics.errors.inc({ stage: 'receive', error_type: code });
      const source = peer.source.address;
      const t = now();
      const last = seen.get(source);
      if (last && t - last.at < LOG_INTERVAL_MS) {
        last.since++;
        return;
      }
      if (seen.size >= MAX_SOURCES) for (const [k, v] of seen) if (t - v.at >= LOG_INTERVAL_MS) seen.delete(k);
      // Still full of recent sources (a flood from many addresses): count, but keep no more state.
      if (seen.size >= MAX_SOURCES) return;
      const more = last?.since ? ` (${last.since} more RELP errors from ${source} since the last line)` : '';
      log.warn(
        { listener: `relp/${spec.host}:${spec.port}`, source: `${source}:${peer.source.port}`, code },
        `${format(ERRORS[code].template, [`${source}:${peer.source.port}`, detail])}${more}. Counted in haetae_errors_total{error_type="${code}"}; logged at most once a minute per source.`,
      );
      seen.set(source, { at: t, since: 0 });
    },
  };
}
