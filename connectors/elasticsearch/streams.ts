/**
 * Events go to one data stream per dataset family, so retention and mappings can differ per
 * source: with `elasticsearch.eventsDataStream: logs-haetae.syslog-default`, a Cisco ASA event
 * (event.dataset cisco.asa, event.module cisco) goes to `logs-haetae.cisco-default`, a trap to
 * `logs-haetae.snmp-default`, and undecoded syslog stays in `logs-haetae.syslog-default`. One
 * index template covers them all (`logs-haetae.*-default`), and searches default to that pattern.
 *
 * The family is the dataset's first part (event.module), not the whole dataset, so the number
 * of streams stays that of the decoder modules (a few dozen at most), never one per message
 * type; a module name that is not a plain lowercase word, or one more than `maxStreams`
 * distinct families, goes to the configured stream instead (and is counted by the caller).
 */
export interface EventStreams {
  /** The configured stream: events without a family, and every event when families are off. */
  readonly base: string;
  /** Index patterns that cover every events stream (for templates and searches). */
  readonly patterns: readonly string[];
  /** The stream an event of this module (event.module) goes to. */
  forModule(module: string | undefined): string;
  /** Is this index name one of the events streams? (Items elsewhere are alerts or links.) */
  isEventStream(index: string): boolean;
  /** The comma-joined patterns, as an `index` parameter for searches. */
  readonly searchTarget: string;
}

const STREAM = /^logs-([a-z0-9._]+)-([a-z0-9._]+)$/;
const MODULE = /^[a-z][a-z0-9_]{0,39}$/;

export function eventStreams(configured: string, opts: { perFamily?: boolean; maxStreams?: number } = {}): EventStreams {
  const m = STREAM.exec(configured);
  if (!m || opts.perFamily === false) {
    return { base: configured, patterns: [configured], forModule: () => configured, isEventStream: (i) => i === configured, searchTarget: configured };
  }
  const [, dataset, namespace] = m as unknown as [string, string, string];
  const dot = dataset.lastIndexOf('.');
  const prefix = dot > 0 ? dataset.slice(0, dot) : dataset;
  const family = `logs-${prefix}.*-${namespace}`;
  const patterns = configured.startsWith(`logs-${prefix}.`) ? [family] : [configured, family];
  const familyRe = new RegExp(`^logs-${prefix.replace(/\./g, '\\.')}\\.[a-z0-9_]+-${namespace.replace(/\./g, '\\.')}$`);
  const maxStreams = opts.maxStreams ?? 64;
  const known = new Map<string, string>();
  return {
    base: configured,
    patterns,
    searchTarget: patterns.join(','),
    forModule(module) {
      if (module === undefined) return configured;
      const hit = known.get(module);
      if (hit !== undefined) return hit;
      if (!MODULE.test(module) || known.size >= maxStreams) return configured;
      const stream = `logs-${prefix}.${module}-${namespace}`;
      known.set(module, stream);
      return stream;
    },
    isEventStream: (index) => index === configured || familyRe.test(index),
  };
}
