/**
 * The correlation state of one correlate-topic partition: one CorrelationEngine per correlation
 * and one AbsenceTracker per absence rule, fed the partition's records in offset order. Pure
 * logic (no services), so crash and replay behaviour is unit-tested; the correlator role wires
 * it to Kafka, Redis and Elasticsearch.
 *
 * Offsets: `next` is the offset of the first record not yet applied. Records below it are
 * skipped (redelivery after a rebalance or a crash between checkpoint and commit); a record
 * above it means this state missed records (another correlator owned the partition meanwhile),
 * and the caller reloads the checkpoint and seeks back.
 *
 * Time: each record moves the partition's stream time: the newest event time seen, but never past
 * the record's receive time — a sender whose clock runs ahead (or one message stamped 2099) places
 * its own observations where it says, yet cannot close everyone's windows or trip every absence
 * rule. Every engine of the partition follows the stream time, less the allowed lateness, so a
 * quiet correlation's windows close while others are busy. When the whole partition is quiet,
 * `advanceIdle` lets event time move on with the wall clock from the last stream time seen — a
 * device that stopped logging still trips its absence rule. A record stamped more than
 * `maxFutureMs` ahead of its receive time (only records of older workers can be: the worker dates
 * such events at their receive time) is taken at its receive time, and counted; a checkpoint whose
 * time lies beyond now + `maxFutureMs` (saved by an older version after such a record) is pulled
 * back on restore.
 */
import { CorrelationEngine, type CorrelationAlert } from '../../correlate/engine';
import type { CorrelationRule } from '../../correlate/model';
import { clampCorrelationState, type CorrelationState } from '../../correlate/state';
import { AbsenceTracker, clampAbsenceState, type AbsenceAlert, type AbsenceRecovery, type AbsenceResult, type AbsenceRule, type AbsenceState } from '../../correlate/absence';
import { DEFAULT_TIME_POLICY } from '../../time/policy';
import type { CorrelateMessage, CorrelateRecord, CorrelationRouter } from '../../correlate/route';

export interface PartitionCheckpoint {
  v: 1;
  /** First offset not applied, as a decimal string; null before the first record. */
  next: string | null;
  maxEventMs: number | null;
  correlations: Record<string, CorrelationState>;
  absence: Record<string, AbsenceState>;
}

/** What applying records produced; the caller persists it before checkpointing. */
export interface CorrelatorOutput {
  correlationAlerts: Array<{ rule: CorrelationRule; alert: CorrelationAlert }>;
  absenceAlerts: Array<{ rule: AbsenceRule; alert: AbsenceAlert }>;
  recoveries: Array<{ rule: AbsenceRule; recovery: AbsenceRecovery; eventId: string }>;
  /** Alerts of inner correlations, routed to the correlations that chain on them. */
  chained: CorrelateRecord[];
  /** Records for a correlation or absence rule that no longer exists (removed by a reload). */
  unknownTarget: number;
}

export function emptyOutput(): CorrelatorOutput {
  return { correlationAlerts: [], absenceAlerts: [], recoveries: [], chained: [], unknownTarget: 0 };
}

/** Cumulative (or, from takeCounters, since-last-call) counts of what the partition's engines set aside. */
export interface PartitionCounters {
  late: number;
  duplicates: number;
  absorbed: number;
  /** Absence: new groups not tracked because the rule's table was full (max-groups). */
  refusedGroups: number;
  /** Absence: silent groups forgotten after forget-after. */
  forgottenGroups: number;
}

export interface PartitionOptions {
  allowedLatenessMs: number;
  /** How far ahead of its receive time a record's event time is believed (worker.time.maxFutureMs). */
  maxFutureMs?: number;
}

interface EngineSlot { rule: CorrelationRule; engine: CorrelationEngine }
interface TrackerSlot { rule: AbsenceRule; sig: string; tracker: AbsenceTracker }

export class PartitionCorrelator {
  next: bigint | null = null;
  private maxEventMs: number | null = null;
  private readonly engines = new Map<string, EngineSlot>();
  private readonly trackers = new Map<string, TrackerSlot>();
  /** Counters already reported, so callers get deltas. */
  private reported: PartitionCounters = { late: 0, duplicates: 0, absorbed: 0, refusedGroups: 0, forgottenGroups: 0 };
  /** Records whose event time was beyond their receive time + maxFutureMs, taken at receive time. */
  futureClamped = 0;
  /** What restore() pulled back from beyond the horizon (0: the checkpoint was sane). */
  restoredClamped = 0;
  private readonly maxFutureMs: number;

  constructor(private readonly opts: PartitionOptions) {
    this.maxFutureMs = opts.maxFutureMs ?? DEFAULT_TIME_POLICY.maxFutureMs;
  }

  /**
   * Rebuilds a partition from its checkpoint under the current rules; state of removed rules is
   * dropped, and time beyond `nowMs` + maxFutureMs is pulled back (see clampCorrelationState).
   */
  static restore(cp: PartitionCheckpoint, router: CorrelationRouter, opts: PartitionOptions, nowMs: number = Date.now()): PartitionCorrelator {
    if (cp.v !== 1) throw new Error(`unsupported correlator checkpoint version ${String(cp.v)}`);
    const p = new PartitionCorrelator(opts);
    const horizon = nowMs + p.maxFutureMs;
    p.next = cp.next === null ? null : BigInt(cp.next);
    p.maxEventMs = cp.maxEventMs !== null && cp.maxEventMs > horizon ? nowMs : cp.maxEventMs;
    if (p.maxEventMs !== cp.maxEventMs) p.restoredClamped++;
    for (const [target, state] of Object.entries(cp.correlations)) {
      const rule = router.correlations.get(target);
      if (!rule) continue;
      p.restoredClamped += clampCorrelationState(state, horizon, nowMs, opts.allowedLatenessMs, rule.timespan.ms);
      p.engines.set(target, { rule, engine: CorrelationEngine.restore([rule], state, { allowedLatenessMs: opts.allowedLatenessMs }) });
    }
    for (const [target, state] of Object.entries(cp.absence)) {
      const rule = router.absence.get(target);
      if (!rule) continue;
      p.restoredClamped += clampAbsenceState(state, horizon, nowMs, opts.allowedLatenessMs);
      p.trackers.set(target, { rule, sig: JSON.stringify(rule), tracker: AbsenceTracker.restore([rule], state, { allowedLatenessMs: opts.allowedLatenessMs }) });
    }
    const c = p.counters();
    p.reported = c;
    return p;
  }

  checkpoint(): PartitionCheckpoint {
    return {
      v: 1,
      next: this.next === null ? null : this.next.toString(),
      maxEventMs: this.maxEventMs,
      correlations: Object.fromEntries([...this.engines].map(([k, s]) => [k, s.engine.snapshot()])),
      absence: Object.fromEntries([...this.trackers].map(([k, s]) => [k, s.tracker.snapshot()])),
    };
  }

  /**
   * Follows a rule reload: a changed correlation or absence rule continues from its state (its
   * snapshot restored into the new version), a removed one is dropped.
   */
  sync(router: CorrelationRouter): void {
    for (const [target, slot] of this.engines) {
      const rule = router.correlations.get(target);
      if (!rule) this.engines.delete(target);
      else if (rule !== slot.rule) this.engines.set(target, { rule, engine: CorrelationEngine.restore([rule], slot.engine.snapshot(), { allowedLatenessMs: this.opts.allowedLatenessMs }) });
    }
    for (const [target, slot] of this.trackers) {
      const rule = router.absence.get(target);
      if (!rule) {
        this.trackers.delete(target);
        continue;
      }
      const sig = JSON.stringify(rule);
      if (sig !== slot.sig) this.trackers.set(target, { rule, sig, tracker: AbsenceTracker.restore([rule], slot.tracker.snapshot(), { allowedLatenessMs: this.opts.allowedLatenessMs }) });
    }
  }

  /**
   * Applies one record; the caller has checked `offset === next` (or that next is null). `nowMs`
   * stands in for the receive time of records from older workers, which did not carry one.
   */
  apply(msg: CorrelateMessage, offset: bigint, router: CorrelationRouter, out: CorrelatorOutput, nowMs: number = Date.now()): void {
    this.next = offset + 1n;
    const received = msg.r ?? nowMs;
    let t = msg.t;
    if (t > received + this.maxFutureMs) {
      t = received;
      this.futureClamped++;
    }
    const at = new Date(t);
    // Stream time stops at the receive time: see the header.
    const progress = Math.min(t, received);
    const streamAt = new Date(progress);
    if (msg.kind === 'correlation') {
      const rule = router.correlations.get(msg.target);
      if (!rule) {
        out.unknownTarget++;
        return;
      }
      let slot = this.engines.get(msg.target);
      if (!slot) {
        slot = { rule, engine: new CorrelationEngine([rule], { allowedLatenessMs: this.opts.allowedLatenessMs }) };
        this.engines.set(msg.target, slot);
      }
      this.collect(slot, slot.engine.observe(msg.ref, msg.fields, at, msg.id, streamAt), router, out);
    } else {
      const rule = router.absence.get(msg.target);
      if (!rule) {
        out.unknownTarget++;
        return;
      }
      let slot = this.trackers.get(msg.target);
      if (!slot) {
        slot = { rule, sig: JSON.stringify(rule), tracker: new AbsenceTracker([rule], { allowedLatenessMs: this.opts.allowedLatenessMs }) };
        this.trackers.set(msg.target, slot);
      }
      this.collectAbsence(slot, slot.tracker.observe(rule.id, msg.fields, at, streamAt), msg.id, out);
    }
    if (this.maxEventMs === null || progress > this.maxEventMs) this.maxEventMs = progress;
    this.advanceAll(this.maxEventMs - this.opts.allowedLatenessMs, router, out);
  }

  /**
   * Called while the partition is quiet: event time is taken to have moved on by the wall-clock
   * time since the last record arrived (`idleForMs`), from the newest event time seen.
   */
  advanceIdle(idleForMs: number, router: CorrelationRouter, out: CorrelatorOutput): void {
    if (this.maxEventMs === null) return;
    this.advanceAll(this.maxEventMs + idleForMs - this.opts.allowedLatenessMs, router, out);
  }

  /** Late, duplicate and absorbed observations since the last call. */
  takeCounters(): PartitionCounters {
    const c = this.counters();
    const r = this.reported;
    const delta = {
      late: c.late - r.late, duplicates: c.duplicates - r.duplicates, absorbed: c.absorbed - r.absorbed,
      refusedGroups: c.refusedGroups - r.refusedGroups, forgottenGroups: c.forgottenGroups - r.forgottenGroups,
    };
    this.reported = c;
    return delta;
  }

  /** Open groups across this partition's engines and trackers. */
  groups(): number {
    let n = 0;
    for (const s of this.engines.values()) n += s.engine.stats().groups;
    for (const s of this.trackers.values()) n += s.tracker.stats().groups;
    return n;
  }

  private counters(): PartitionCounters {
    let late = 0;
    let duplicates = 0;
    let absorbed = 0;
    for (const s of this.engines.values()) {
      const st = s.engine.counters;
      late += st.lateDropped;
      duplicates += st.duplicates;
      absorbed += st.absorbed;
    }
    let refusedGroups = 0;
    let forgottenGroups = 0;
    for (const s of this.trackers.values()) {
      late += s.tracker.lateDroppedCount;
      const b = s.tracker.boundCounts;
      refusedGroups += b.refusedGroups;
      forgottenGroups += b.forgottenGroups;
    }
    return { late, duplicates, absorbed, refusedGroups, forgottenGroups };
  }

  private advanceAll(watermarkMs: number, router: CorrelationRouter, out: CorrelatorOutput): void {
    const wm = new Date(watermarkMs);
    for (const slot of this.engines.values()) this.collect(slot, slot.engine.advanceWatermark(wm), router, out);
    for (const slot of this.trackers.values()) this.collectAbsence(slot, slot.tracker.advanceWatermark(wm), null, out);
  }

  private collect(slot: EngineSlot, alerts: CorrelationAlert[], router: CorrelationRouter, out: CorrelatorOutput): void {
    for (const alert of alerts) {
      const ref = { id: slot.rule.key, ...(slot.rule.name !== undefined ? { name: slot.rule.name } : {}) };
      // An inner correlation of a chain raises its own alert only when a chaining one says `generate`.
      if (router.emitsOwnAlerts(ref)) out.correlationAlerts.push({ rule: slot.rule, alert });
      const t = alert.lastEventTime.getTime();
      // A chained record is received when its inner alert fires: at the partition's stream time.
      out.chained.push(...router.route(ref, alert.groupBy, t, alert.alertId, this.maxEventMs ?? t));
    }
  }

  private collectAbsence(slot: TrackerSlot, result: AbsenceResult, eventId: string | null, out: CorrelatorOutput): void {
    for (const alert of result.alerts) out.absenceAlerts.push({ rule: slot.rule, alert });
    for (const recovery of result.recoveries) out.recoveries.push({ rule: slot.rule, recovery, eventId: eventId ?? recovery.alertId });
  }
}
