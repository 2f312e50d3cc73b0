import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * Fixed metric names for every stage. Each stage reports what it received, what it sent on, what
 * it dropped (only where a drop is documented and counted) and its errors by type. Names never
 * change once released: dashboards and alerts depend on them.
 */
export class Metrics {
  readonly registry: Registry;
  /** Messages or records a stage accepted. */
  readonly received: Counter<'stage' | 'transport'>;
  /** Records a stage handed on successfully (produced, indexed, delivered). */
  readonly sent: Counter<'stage'>;
  /** Records lost on purpose (UDP overload), counted so loss is never silent. */
  readonly dropped: Counter<'stage' | 'reason'>;
  /** Errors by stage and stable error code. */
  readonly errors: Counter<'stage' | 'error_type'>;
  /** Records written to the dead-letter topic. */
  readonly deadLettered: Counter<'stage' | 'error_type'>;
  /** Messages a receiver holds that Kafka has not acknowledged yet. */
  readonly pending: Gauge<'stage'>;
  /** Retries of an outside service (Kafka, Elasticsearch, Redis, webhook). */
  readonly retries: Counter<'service'>;
  /** Rules currently live in this worker. */
  readonly rulesLoaded: Gauge;
  /** Rule files whose current content was refused (their last good version keeps running). */
  readonly ruleFilesRejected: Gauge;
  /** Rules disabled because they threw at run time (until their file changes). */
  readonly rulesDisabled: Gauge;
  /** Rule reloads by result: applied (some change went live), rejected (a change was refused). */
  readonly ruleReloads: Counter<'result'>;
  /** Open correlation and absence groups held by this process's correlator. */
  readonly correlationGroups: Gauge;
  /** Events whose own timestamp was not believed (worker.time): dated at their receive time. */
  readonly timeCorrected: Counter<'direction'>;
  /** Cumulative kernel drops per UDP listener; filled on each scrape by the receiver's collector. */
  readonly udpKernelDrops: Gauge<'listener'>;
  /** Messages each vendor decoder read (decoded) or was selected for but could not read (failed). */
  readonly decoderEvents: Counter<'decoder' | 'outcome'>;
  /** Wall-clock seconds the worker spent in each phase of its batches (see WORKER_PHASES). */
  readonly workerSeconds: Counter<'phase'>;
  /** Absence heartbeats a batch left out because a kept one of the same group says the same (correlate/coalesce.ts). */
  readonly heartbeatsCoalesced: Counter;
  /** Records on a consumed partition not yet processed by this process (high watermark − next offset), per consumer. */
  readonly consumerLag: Gauge<'consumer' | 'topic' | 'partition'>;

  /** Enrichment lookups by source (geoip, asn, zone, asset, threat) and outcome (hit, miss, skipped). */
  readonly enrichLookups: Counter<'source' | 'outcome'>;
  /** Enrichment source loads and reloads by result (applied, rejected). */
  readonly enrichReloads: Counter<'source' | 'result'>;
  /** Entries skipped while loading an enrichment source, by reason (limit, invalid, unsupported, expired, duplicate). */
  readonly enrichSkipped: Counter<'source' | 'reason'>;
  /** Entries each enrichment source currently serves. */
  readonly enrichEntries: Gauge<'source'>;

  /**
   * Limit hits per receiver listener, source and reason (connection_limit, source_connection_limit,
   * rate_limit, idle_timeout, not_allowed, overload, and listeners' own). Use countLimited().
   */
  readonly receiverLimited: Counter<'listener' | 'source' | 'reason'>;
  /** Sources a listener's rate limiter forgot to stay within receiver.rateLimit.maxSources. */
  readonly receiverSourcesEvicted: Counter<'listener'>;

  /** Distinct sources that get their own label in haetae_receiver_limited_total; the rest are "other". */
  readonly limitedSourceLabels: number;
  private readonly limitedSources = new Set<string>();
  /** Counted since the last scrape, added to receiverLimited on collect: a flood costs a map update per hit. */
  private readonly limitedPending = new Map<string, { labels: { listener: string; source: string; reason: string }; n: number }>();

  private readonly udpDropCollectors: Array<() => void> = [];
  private readonly enrichCollectors: Array<() => void> = [];

  /** Registers a function that adds an enricher's locally counted lookups when metrics are read. */
  onCollectEnrich(fn: () => void): () => void {
    this.enrichCollectors.push(fn);
    return () => { const i = this.enrichCollectors.indexOf(fn); if (i >= 0) this.enrichCollectors.splice(i, 1); };
  }

  /** Registers a function that refreshes haetae_udp_kernel_drops when metrics are read. */
  onCollectUdpDrops(fn: () => void): void {
    this.udpDropCollectors.push(fn);
  }

  /**
   * Counts a limit hit of `source` on `listener`. The first `limitedSourceLabels` distinct sources
   * (per process) are labelled by address, later ones as source="other", so a flood of spoofed
   * addresses cannot grow the series without bound.
   */
  countLimited(listener: string, source: string, reason: string, n = 1): void {
    let label = source;
    if (!this.limitedSources.has(source)) {
      if (this.limitedSources.size < this.limitedSourceLabels) this.limitedSources.add(source);
      else label = 'other';
    }
    const key = `${listener} ${label} ${reason}`;
    const seen = this.limitedPending.get(key);
    if (seen) seen.n += n;
    else this.limitedPending.set(key, { labels: { listener, source: label, reason }, n });
  }

  constructor(opts: { defaultMetrics?: boolean; limitedSourceLabels?: number } = {}) {
    this.registry = new Registry();
    this.limitedSourceLabels = opts.limitedSourceLabels ?? 100;
    const registers = [this.registry];
    this.received = new Counter({ name: 'haetae_received_total', help: 'Messages or records a stage accepted.', labelNames: ['stage', 'transport'], registers });
    this.sent = new Counter({ name: 'haetae_sent_total', help: 'Records a stage handed on successfully.', labelNames: ['stage'], registers });
    this.dropped = new Counter({ name: 'haetae_dropped_total', help: 'Records dropped on purpose (documented policy), by reason.', labelNames: ['stage', 'reason'], registers });
    this.errors = new Counter({ name: 'haetae_errors_total', help: 'Errors by stage and error code.', labelNames: ['stage', 'error_type'], registers });
    this.deadLettered = new Counter({ name: 'haetae_dead_lettered_total', help: 'Records written to the dead-letter topic.', labelNames: ['stage', 'error_type'], registers });
    this.pending = new Gauge({ name: 'haetae_pending', help: 'Records held in memory awaiting acknowledgement.', labelNames: ['stage'], registers });
    this.retries = new Counter({ name: 'haetae_retries_total', help: 'Retries of an outside service.', labelNames: ['service'], registers });
    this.rulesLoaded = new Gauge({ name: 'haetae_rules_loaded', help: 'Rules currently live in this worker.', registers });
    this.ruleFilesRejected = new Gauge({ name: 'haetae_rule_files_rejected', help: 'Rule files whose current content was refused; their last good version keeps running.', registers });
    this.rulesDisabled = new Gauge({ name: 'haetae_rules_disabled', help: 'Rules disabled because they threw at run time, until their file changes.', registers });
    this.ruleReloads = new Counter({ name: 'haetae_rule_reloads_total', help: 'Rule reloads by result (applied, rejected).', labelNames: ['result'], registers });
    this.correlationGroups = new Gauge({ name: 'haetae_correlation_groups', help: 'Open correlation and absence groups held by this process (windows with buffered events, tracked heartbeats).', registers });
    this.decoderEvents = new Counter({ name: 'haetae_decoder_events_total', help: 'Messages each vendor decoder read (outcome=decoded) or was selected for but could not read (failed: the event is tagged haetae_decoder_failure and keeps its header fields).', labelNames: ['decoder', 'outcome'], registers });
    this.workerSeconds = new Counter({ name: 'haetae_worker_seconds_total', help: 'Wall-clock seconds the worker spent per phase of its batches: stages (decode, parse, normalize, vendor decoders, enrich), detect (rules and routing), fold (looking up live alerts), index (the Elasticsearch bulk, retries included), correlate (producing to the correlate topic), notify (alert jobs and recoveries), dead_letter, commit (Kafka offsets), idle (waiting for records). rate() of each is the share of the worker\'s time.', labelNames: ['phase'], registers });
    this.heartbeatsCoalesced = new Counter({ name: 'haetae_heartbeats_coalesced_total', help: 'Absence-rule heartbeats not produced to the correlate topic because another heartbeat of the same group in the same batch carries the same information (the first, the last and both sides of every gap of at least the rule\'s timespan are kept).', registers });
    this.consumerLag = new Gauge({ name: 'haetae_consumer_lag_records', help: 'Records waiting on a partition this process consumes: the partition\'s high watermark minus the next offset to process, as of the last batch (consumer = worker or correlator). Growing lag means the pipeline is offered more than it takes.', labelNames: ['consumer', 'topic', 'partition'], registers });
    this.timeCorrected = new Counter({ name: 'haetae_time_corrected_total', help: 'Events whose own timestamp was more than worker.time.maxFutureMs ahead of (direction=future) or maxPastMs behind (past) their receive time, dated at the receive time instead.', labelNames: ['direction'], registers });
    const enrichCollectors = this.enrichCollectors;
    // Lookups happen several times per event: the enricher counts them in plain numbers and adds
    // them here on each scrape, so the hot path never touches a labelled counter.
    this.enrichLookups = new Counter({ name: 'haetae_enrich_lookups_total', help: 'Enrichment lookups by source (geoip, asn, zone, asset, threat) and outcome (hit, miss, skipped: a private address not looked up in GeoIP).', labelNames: ['source', 'outcome'], registers, collect() { for (const c of enrichCollectors) c(); } });
    this.enrichReloads = new Counter({ name: 'haetae_enrich_reloads_total', help: 'Enrichment source loads by source and result (applied, rejected: the previous data keeps serving).', labelNames: ['source', 'result'], registers });
    this.enrichSkipped = new Counter({ name: 'haetae_enrich_skipped_total', help: 'Entries skipped while loading an enrichment source, by reason (limit, invalid, unsupported, expired, duplicate).', labelNames: ['source', 'reason'], registers });
    this.enrichEntries = new Gauge({ name: 'haetae_enrich_entries', help: 'Entries an enrichment source currently serves.', labelNames: ['source'], registers });
    const limitedPending = this.limitedPending;
    this.receiverLimited = new Counter({
      name: 'haetae_receiver_limited_total',
      help: 'Receiver limit hits by listener, source address (the first 100 distinct sources; later ones as "other") and reason (connection_limit, source_connection_limit, rate_limit, idle_timeout, not_allowed, overload, and TLS/RELP/HTTP refusals). A stream paused by rate_limit counts once per pause; a dropped datagram once each.',
      labelNames: ['listener', 'source', 'reason'],
      registers,
      collect() {
        for (const { labels, n } of limitedPending.values()) this.inc(labels, n);
        limitedPending.clear();
      },
    });
    this.receiverSourcesEvicted = new Counter({ name: 'haetae_receiver_sources_evicted_total', help: 'Sources a listener\'s rate limiter forgot (least recently seen first) to stay within receiver.rateLimit.maxSources; a forgotten source starts again with a full bucket.', labelNames: ['listener'], registers });
    const collectors = this.udpDropCollectors;
    this.udpKernelDrops = new Gauge({
      name: 'haetae_udp_kernel_drops',
      help: 'Datagrams the kernel dropped on a UDP listener because its receive buffer was full (cumulative, from /proc/net/udp).',
      labelNames: ['listener'],
      registers,
      // Read on each scrape only: free between scrapes.
      collect() { for (const c of collectors) c(); },
    });
    if (opts.defaultMetrics) collectDefaultMetrics({ register: this.registry, prefix: 'haetae_process_' });
  }

  /** Current value of one labelled counter, for tests and the CLI. */
  async value(name: string, labels: Record<string, string>): Promise<number> {
    const metric = await this.registry.getSingleMetric(name)?.get();
    const hit = metric?.values.find((v) => Object.entries(labels).every(([k, val]) => v.labels[k] === val));
    return hit?.value ?? 0;
  }
}
