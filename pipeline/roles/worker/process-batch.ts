import type { ValidateFunction } from 'ajv';
import type { Alert, DeadLetter, HaetaeEvent, NotificationJob, RawEnvelope } from '../../../schemas/generated/types';
import type { BulkItem, ItemResult } from '../../../connectors/elasticsearch/bulk';
import { matchRules } from '../../detect/match';
import type { CompiledRule } from '../../detect/load';
import { buildAlert, groupOf } from '../../alert/build';
import { occurrencesOf } from '../../alert/lifecycle';
import { foldsRepeats, type FoldCandidate, type FoldOutcome } from '../../alert/fold';
import { buildNotificationJob } from '../../notify/job';
import { routeAlert, type AlertRouter } from '../../notify/channels';
import type { Metrics } from '../../telemetry/metrics';
import type { Logger } from '../../telemetry/logger';
import { messageOf } from '../../errors/catalog';
import type { CorrelateRecord, CorrelationRouter } from '../../correlate/route';
import { coalesceHeartbeats } from '../../correlate/coalesce';
import type { EventTimePolicy } from '../../time/policy';
import type { AgentHostnames, TrapMibs } from '../../normalize/snmp';
import { eventsFromRecords, type StageContext } from './stages';
import type { DecoderSet } from '../../decoders';
import type { SourceZones } from '../../time/source-zones';
import type { SenderMatch } from '../../envelope/sender-match';
import type { TimeCorrectionLog } from '../../time/report';

export interface RawRecord {
  topic: string;
  partition: number;
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
}

/** Where a batch's results go. Injected, so the batch logic is tested without services. */
export interface WorkerSinks {
  /**
   * Writes with `create`. `mayBeReplay`: these records may have been indexed already by an owner
   * of the partition that died before committing, possibly before the data stream rolled over.
   */
  writeDocuments(items: readonly BulkItem[], opts?: { mayBeReplay: boolean }): Promise<ItemResult[]>;
  enqueueNotifications(jobs: ReadonlyArray<{ id: string; data: NotificationJob }>): Promise<void>;
  deadLetter(records: readonly DeadLetter[]): Promise<void>;
  /**
   * Resolves the open (or acknowledged) alerts of a rule and group raised at or before `until`,
   * marking them resolved by `eventId`; returns them as resolved — including alerts this same
   * event resolved before (a replay after a crash), so their notifications are enqueued again
   * (deduplicated by job id) rather than lost.
   */
  resolveAlerts(requests: readonly RecoveryRequest[]): Promise<Alert[]>;
  /**
   * Folds matches into their problems' live alerts (pipeline/alert/fold.ts): one outcome per
   * candidate, in order. Absent: every match raises its own alert as built (tests of other stages).
   */
  foldAlerts?(candidates: readonly FoldCandidate[]): Promise<FoldOutcome[]>;
  /** Hands the hits correlations and absence rules need to the correlate topic (acknowledged by all replicas). */
  produceCorrelate(records: readonly CorrelateRecord[]): Promise<void>;
}

/** A rule match that would raise an alert. */
interface Match {
  rule: CompiledRule;
  alert: Alert;
  eventId: string;
  event: HaetaeEvent;
  record: RawRecord;
}

export interface RecoveryRequest {
  ruleId: string;
  groupKey: string;
  until: string;
  eventId: string;
}

export interface WorkerContext {
  validateEnvelope: ValidateFunction<RawEnvelope>;
  rules: () => readonly CompiledRule[];
  /** Which hits feed correlations or absence rules (and which of those still alert on their own). */
  router?: () => CorrelationRouter;
  /** The correlator's allowed lateness (worker.correlation.allowedLatenessMs): heartbeat coalescing keeps what it could decide on. */
  correlationLatenessMs?: number;
  /** The configured events data stream (events of no dataset family, and alerts' default events index). */
  eventsDataStream: string;
  /** The data stream an event goes to (one per dataset family, connectors/elasticsearch/streams.ts); default: eventsDataStream. */
  streamFor?: (event: HaetaeEvent) => string;
  alertsIndex: string;
  alertEventsIndex: string;
  channels: readonly string[];
  /** Routes alerts to channels (rule channels, notifier.routes, defaultChannels); absent: the rule's or all. */
  alertRouter?: AlertRouter;
  sinks: WorkerSinks;
  metrics: Metrics;
  logger: Logger;
  now?: () => Date;
  /** Event-time policy (worker.time): senders' zones and how far their timestamps are believed. */
  time?: { policy: EventTimePolicy; zones?: SourceZones; log?: TimeCorrectionLog };
  /** RFC 3164 senders whose messages carry no hostname (worker.syslog.withoutHostname). */
  withoutHostname?: SenderMatch<boolean>;
  /** The loaded MIBs for SNMP traps (null or absent: OIDs stay numeric). */
  mibs?: () => TrapMibs | null;
  /** Known agents' host names by address (snmp.agents; null or absent: none). */
  agentHostnames?: AgentHostnames | null;
  /** The loaded vendor decoders (decoders/; null or absent: events keep their header fields only). */
  decoders?: () => DecoderSet | null;
  /** Enrichment between normalize and detect (pipeline/enrich; absent: none). */
  enrich?: (event: HaetaeEvent) => void;
  /** Raise an alert's severity by the criticality of the assets it involves (enrich.assets.raiseSeverity). */
  raiseSeverity?: boolean;
  /** Called when a rule throws on an event (after it is counted and logged): the worker disables it. */
  onRuleError?: (rule: CompiledRule, err: unknown) => void;
  /** Test hook (failpoint): called between stages so tests can kill the process at a known point. */
  failpoint?: (name: 'after-index' | 'after-enqueue') => void;
}

export interface BatchSummary {
  events: number;
  alerts: number;
  deadLettered: number;
  parseFailures: number;
  /** Observations handed to the correlate topic. */
  correlated: number;
  /** Events Elasticsearch already had (a replay). */
  replayed: number;
}

/**
 * One batch of raw records through decode → parse → normalize → decode content → enrich (stages.ts)
 * → detect → route → index → correlate → alert → notify.
 * It resolves only when every record is either stored in Elasticsearch or written to the
 * dead-letter topic, and every alert's notification job is enqueued: only then may the caller
 * commit the batch's offsets. Sinks retry outages themselves, so a rejection here means shutdown.
 */
export async function processBatch(records: readonly RawRecord[], ctx: WorkerContext, opts: { mayBeReplay?: boolean } = {}): Promise<BatchSummary> {
  const now = ctx.now?.() ?? new Date();
  const lap = phaseClock(ctx.metrics);
  const dead: DeadLetter[] = [];
  const items: BulkItem[] = [];
  /** Bulk item index → the raw record the event came from. */
  const eventFor = new Map<number, RawRecord>();
  const alerts: Alert[] = [];
  /** For each alert, the event that triggered it (for its notifications' templates). */
  const alertEvents: HaetaeEvent[] = [];
  /** For each alert, the raw record that triggered it (for its dead letter, should it be refused). */
  const alertSources: RawRecord[] = [];
  /** For each alert, the channels its rule routes to (of those configured). */
  const alertChannels: (readonly string[])[] = [];
  const seenAlerts = new Set<string>();
  /** Every rule match that would raise an alert, in batch order (the alert stage decides). */
  const matched: Match[] = [];
  /** alert ↔ event records for the alert-events index. */
  const links: BulkItem[] = [];
  const recoveries: RecoveryRequest[] = [];
  const recoveredBy = recoveryIndex(ctx.rules());
  const router = ctx.router?.();
  const correlate: CorrelateRecord[] = [];
  let parseFailures = 0;
  const stages: StageContext = { metrics: ctx.metrics, now, time: ctx.time, withoutHostname: ctx.withoutHostname, mibs: ctx.mibs, agentHostnames: ctx.agentHostnames, decoders: ctx.decoders, enrich: ctx.enrich };

  ctx.metrics.received.inc({ stage: 'worker', transport: 'kafka' }, records.length);
  // decode → parse → normalize → decode content → enrich (stages.ts), then detect and route here.
  const { items: ready, refused, duplicates } = eventsFromRecords(records, ctx.validateEnvelope, stages);
  for (const r of refused) dead.push(deadLetter('decode', r.code, r.reason, r.record, now));
  lap('stages');

  for (const { record, envelope, id, event, parseFailed } of ready) {
    if (parseFailed) parseFailures++;
    const stream = ctx.streamFor?.(event) ?? ctx.eventsDataStream;
    // detect
    const hits = matchRules(ctx.rules(), event, (rule, err) => {
      ctx.metrics.errors.inc({ stage: 'detect', error_type: 'rule_runtime_error' });
      ctx.logger.error({ rule: rule.id, file: rule.file }, `Rule '${rule.id}' failed on an event and was treated as not matching: ${messageOf(err)}`);
      ctx.onRuleError?.(rule, err);
    });
    // route: recoveries, correlation hand-off, alerts
    for (const hit of hits) {
      for (const problemRule of [...(recoveredBy.get(hit.id) ?? []), ...(hit.source.name ? recoveredBy.get(hit.source.name) ?? [] : [])]) {
        recoveries.push({ ruleId: problemRule.id, groupKey: groupOf(problemRule, event).key, until: event['@timestamp'], eventId: id });
      }
    }
    if (hits.length > 0) {
      // Heartbeats of absence rules match nearly everything; they are not findings to tag events with.
      const findings = hits.filter((r) => !r.alerting.absence);
      if (findings.length > 0) event.haetae.rules = findings.map((r) => r.id);
      for (const rule of hits) {
        if (router) {
          const ref = { id: rule.id, ...(rule.source.name ? { name: rule.source.name } : {}) };
          if (router.routes(ref)) {
            correlate.push(...router.route(ref, event, Date.parse(event['@timestamp']), id, Date.parse(envelope.receivedAt)));
            if (!router.emitsOwnAlerts(ref)) continue;
          }
        }
        matched.push({ rule, alert: buildAlert(rule, event, id, stream, now, { raiseSeverity: ctx.raiseSeverity ?? false }), eventId: id, event, record });
      }
    }
    eventFor.set(items.length, record);
    items.push({ index: stream, id, document: event });
  }

  lap('detect');
  // alert: matches of a problem with a live alert fold into it (or reopen it); the rest raise alerts.
  const foldable = ctx.sinks.foldAlerts ? matched.filter((m) => foldsRepeats(m.alert)) : [];
  const folded = new Map<Match, FoldOutcome>();
  if (foldable.length > 0) {
    const outcomes = await ctx.sinks.foldAlerts!(foldable.map((m) => ({ alert: m.alert, eventId: m.eventId, reopen: m.rule.alerting.reopen ?? false })));
    foldable.forEach((m, i) => folded.set(m, outcomes[i]!));
    lap('fold');
  }
  const reopenJobs: Array<{ id: string; data: NotificationJob }> = [];
  for (const m of matched) {
    const outcome = folded.get(m);
    const alert = outcome && outcome.kind !== 'create' ? outcome.alert : m.alert;
    // Every match is recorded against its alert (idempotent id), so the repeats an alert absorbed
    // (throttle period, folded while open) are counted exactly, replays included.
    links.push({ index: ctx.alertEventsIndex, id: `${alert.alert.id}-${m.eventId}`, document: { '@timestamp': m.alert['@timestamp'], alert: { id: alert.alert.id }, rule: { id: m.rule.id }, event: { id: m.eventId } } });
    // Several matches of one alert in a batch notify once.
    if (seenAlerts.has(alert.alert.id)) continue;
    seenAlerts.add(alert.alert.id);
    if (outcome?.kind === 'fold') continue;
    if (outcome?.kind === 'reopen') {
      for (const channel of routeAlert(ctx.alertRouter, ctx.channels, alert, m.rule.alerting.channels, now)) reopenJobs.push(buildNotificationJob(alert, channel, 'reopened', occurrencesOf(alert.alert, 'reopen'), [m.event]));
      continue;
    }
    alerts.push(alert);
    alertEvents.push(m.event);
    alertSources.push(m.record);
    alertChannels.push(routeAlert(ctx.alertRouter, ctx.channels, alert, m.rule.alerting.channels, now));
  }

  const eventCount = items.length;
  for (const alert of alerts) items.push({ index: ctx.alertsIndex, id: alert.alert.id, document: alert });
  const alertEnd = items.length;
  items.push(...links);

  lap('detect');
  const results = items.length > 0 ? await ctx.sinks.writeDocuments(items, { mayBeReplay: opts.mayBeReplay ?? false }) : [];
  lap('index');
  const deliveredAlerts: Array<{ alert: Alert; channels: readonly string[]; event: HaetaeEvent }> = [];
  results.forEach((result, i) => {
    if (i >= alertEnd) {
      // A refused link loses only a repeat count, never an event or an alert: say so, move on.
      if (result.outcome === 'rejected') ctx.logger.error({ id: items[i]!.id }, `Elasticsearch refused an alert-event record: ${result.type}: ${result.reason}`);
      return;
    }
    if (result.outcome !== 'rejected') {
      if (i >= eventCount) deliveredAlerts.push({ alert: alerts[i - eventCount]!, channels: alertChannels[i - eventCount]!, event: alertEvents[i - eventCount]! });
      return;
    }
    const reason = `${result.type}: ${result.reason}`;
    ctx.metrics.errors.inc({ stage: i < eventCount ? 'index' : 'alert', error_type: result.type });
    if (i < eventCount) {
      const record = eventFor.get(i)!;
      dead.push({ ...deadLetter('index', 'HAETAE_ES_REJECTED', reason, record, now), document: items[i]!.document as Record<string, unknown> });
    } else {
      // An alert document is ours, not the sender's: a rejection is a bug worth an ERROR line.
      ctx.logger.error({ alert: alerts[i - eventCount]!.alert.id }, `Elasticsearch rejected an alert document: ${reason}`);
      dead.push({ ...deadLetter('alert', 'HAETAE_ES_REJECTED', reason, alertSources[i - eventCount]!, now), document: items[i]!.document as Record<string, unknown> });
    }
  });
  ctx.metrics.sent.inc({ stage: 'index' }, results.filter((r, i) => i < eventCount && r.outcome !== 'rejected').length);
  ctx.failpoint?.('after-index');
  // Before the raw offsets are committed: a crash replays the batch and produces these again,
  // which the correlator recognises by event id.
  if (correlate.length > 0 && router) {
    const { records: toProduce, coalesced } = coalesceHeartbeats(correlate, (target) => router.absence.get(target)?.timespanMs, ctx.correlationLatenessMs ?? 0);
    if (coalesced > 0) ctx.metrics.heartbeatsCoalesced.inc(coalesced);
    await ctx.sinks.produceCorrelate(toProduce);
    ctx.metrics.sent.inc({ stage: 'route' }, toProduce.length);
  }
  lap('correlate');

  const jobs = [...deliveredAlerts.flatMap(({ alert, channels, event }) => channels.map((channel) => buildNotificationJob(alert, channel, 'opened', 1, [event]))), ...reopenJobs];
  // Recoveries run after the batch's own alerts are stored, so a problem and its recovery in one
  // batch pair up too.
  if (recoveries.length > 0) {
    const resolved = await ctx.sinks.resolveAlerts(recoveries);
    const byRule = new Map(ctx.rules().map((r) => [r.id, r] as const));
    for (const alert of resolved) {
      const rule = byRule.get(alert.rule.id);
      for (const channel of routeAlert(ctx.alertRouter, ctx.channels, alert, rule?.alerting.channels, now)) jobs.push(buildNotificationJob(alert, channel, 'resolved', occurrencesOf(alert.alert, 'resolve')));
    }
    ctx.metrics.sent.inc({ stage: 'resolve' }, resolved.length);
  }
  if (jobs.length > 0) await ctx.sinks.enqueueNotifications(jobs);
  ctx.metrics.sent.inc({ stage: 'alert' }, deliveredAlerts.length);
  lap('notify');
  ctx.failpoint?.('after-enqueue');

  if (dead.length > 0) {
    await ctx.sinks.deadLetter(dead);
    for (const d of dead) ctx.metrics.deadLettered.inc({ stage: d.stage, error_type: d.code });
  }
  lap('dead_letter');
  const replayed = duplicates + results.filter((r, i) => i < eventCount && r.outcome === 'exists').length;
  return { events: eventCount, alerts: deliveredAlerts.length, deadLettered: dead.length, parseFailures, correlated: correlate.length, replayed };
}

/** The phases of haetae_worker_seconds_total; `commit` and `idle` are the consumer loop's (worker/index.ts). */
export type WorkerPhase = 'stages' | 'detect' | 'fold' | 'index' | 'correlate' | 'notify' | 'dead_letter' | 'commit' | 'idle';

/** Each call adds the wall-clock time since the previous one (or since creation) to `phase`. */
export function phaseClock(metrics: Metrics): (phase: WorkerPhase) => void {
  let last = performance.now();
  return (phase) => {
    const t = performance.now();
    metrics.workerSeconds.inc({ phase }, (t - last) / 1000);
    last = t;
  };
}

/** Recovery rule (id or name) → the rules whose alerts it resolves; built once per rule set. */
const recoveryCache = new WeakMap<readonly CompiledRule[], Map<string, CompiledRule[]>>();
function recoveryIndex(rules: readonly CompiledRule[]): Map<string, CompiledRule[]> {
  let index = recoveryCache.get(rules);
  if (!index) {
    index = new Map();
    for (const r of rules) {
      for (const ref of r.alerting.recoveredBy ?? []) index.set(ref, [...(index.get(ref) ?? []), r]);
    }
    recoveryCache.set(rules, index);
  }
  return index;
}

function deadLetter(stage: DeadLetter['stage'], code: string, reason: string, record: RawRecord, now: Date): DeadLetter {
  return {
    v: 1,
    stage,
    code,
    reason,
    failedAt: now.toISOString(),
    origin: { topic: record.topic, partition: record.partition, offset: record.offset, key: record.key ? record.key.toString('utf8') : null },
    raw: record.value ? record.value.toString('base64') : '',
  };
}
