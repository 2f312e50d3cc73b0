/**
 * In-memory, event-time correlation of detection hits (Sigma 2.1 correlation rules).
 *
 * Window model — sliding windows anchored at the first buffered event of a group:
 * the spec says the time frame "should not be restricted to boundaries" and warns that fixed
 * (tumbling) boundaries cause false negatives, e.g. 3 events at 09:59 and 2 at 10:01 against
 * "5 in 5m". So for each (rule, group) the window is [a, a + timespan) where a is the event time of
 * the earliest buffered event. Events in the window are aggregated:
 * - conditions that can only become true by adding events (gt/gte on counts and sums, temporal)
 *   fire as soon as they hold — at the event that completes them;
 * - all others (upper bounds, eq/neq, avg, percentile) are decided once, when the watermark passes
 *   a + timespan.
 * When a window fires, its events are consumed and `firedUntil = a + timespan`: a late event that
 * falls into a fired window is absorbed (counted in stats) instead of starting an overlapping window,
 * so one burst gives one alert. When a window closes without firing, the anchor slides to the next
 * buffered event and the new window is evaluated, which finds every burst that fits in a timespan.
 *
 * Time is event time only. The watermark is max(stream time seen) − allowedLatenessMs (or further if
 * advanced explicitly), where an observation's stream time is its event time, capped by the caller
 * at the time it was received (so a sender's clock running ahead places its own events but does
 * not move time on for everyone); an event older than the watermark is dropped and counted
 * (`lateDropped`).
 * Everything the engine decides depends only on the order of calls and the values passed in — never
 * on the wall clock or Map iteration order — so replaying the same input yields the same alerts with
 * the same ids (`alertId(rule, group key + window start)`), which is what keeps replays after a
 * crash duplicate-free. State is pruned as soon as the watermark passes a group's last window.
 */
import { alertId } from '../alert/build';
import { getField } from '../detect/field';
import { conditionHolds, firesEarly } from './aggregate';
import { countBefore, insertSorted, valueOf, type Entry } from './entries';
import { WindowAggregate } from './window';
import { MinHeap } from './heap';
import type { CorrelationRule } from './model';
import { resolveCorrelations } from './resolve';
import type { CorrelationState } from './state';

export interface RuleRef {
  id: string;
  name?: string;
}

export interface CorrelationEngineOptions {
  /**
   * How far behind the newest event time an event may arrive and still be counted.
   * @defaultValue 0
   */
  allowedLatenessMs?: number;
}

export interface CorrelationAlert {
  ruleId: string;
  /** Group-by field (or alias) → value; a missing field is `null` and forms its own group. */
  groupBy: Record<string, unknown>;
  windowStart: Date;
  /** windowStart + timespan (exclusive). */
  windowEnd: Date;
  eventCount: number;
  /** The aggregate the condition was checked against, for value_* types. */
  value?: number;
  /** Latest event time in the window: the alert's @timestamp and, when chained, its event time. */
  lastEventTime: Date;
  alertId: string;
  /** Ids of the window's observations that carried one (event document ids), in event-time order, at most MAX_ALERT_EVENT_IDS. */
  eventIds: string[];
}

/** How many event ids an alert lists; `eventCount` always has the full number. */
export const MAX_ALERT_EVENT_IDS = 100;

export interface CorrelationStats {
  groups: number;
  bufferedEntries: number;
  lateDropped: number;
  /** Events that arrived (late) for a window that had already fired. */
  absorbed: number;
  /** Observations ignored because one with the same id is already buffered (at-least-once redelivery). */
  duplicates: number;
  timers: number;
  watermark: Date | null;
}

interface Group {
  key: string;
  groupBy: unknown[];
  entries: Entry[];
  /** Ids of the buffered entries, for dropping redelivered observations; created on first use. */
  ids: Set<string> | null;
  firedUntil: number | null;
  /** When this group's current window closes; the heap item with this time is the live one. */
  scheduledAt: number | null;
  /** The running aggregate of the current window (entries[0, win.n)); null until first needed. */
  win: WindowAggregate | null;
}

interface Runtime {
  rule: CorrelationRule;
  order: number;
  id: string;
  early: boolean;
  /** Per referenced-rule index: the event field read for each group-by entry (aliases applied). */
  groupFields: string[][];
  groups: Map<string, Group>;
}

interface Timer {
  at: number;
  order: number;
  key: string;
}

/** Total order, so timers that expire together are handled in the same order on every replay. */
const timerLess = (a: Timer, b: Timer): boolean => a.at !== b.at ? a.at < b.at : a.order !== b.order ? a.order < b.order : a.key < b.key;

export class CorrelationEngine {
  private readonly runtimes: Runtime[];
  private readonly byRef = new Map<string, Runtime[]>();
  private readonly lateness: number;
  private readonly timers = new MinHeap<Timer>(timerLess);
  private readonly derived: Array<{ rt: Runtime; from: RuleRef; event: Record<string, unknown>; t: number; id: string }> = [];
  private watermark = Number.NEGATIVE_INFINITY;
  private maxEvent = Number.NEGATIVE_INFINITY;
  private seq = 0;
  private lateDropped = 0;
  private absorbed = 0;
  private duplicates = 0;

  constructor(rules: readonly CorrelationRule[], options: CorrelationEngineOptions = {}) {
    this.lateness = options.allowedLatenessMs ?? 0;
    if (!(this.lateness >= 0)) throw new RangeError('allowedLatenessMs must be >= 0');
    // Detection rules are not known here (the loader resolves them); a cycle would make chaining
    // loop forever and a rule without id or name has no alert id, so those two are fatal.
    const fatal = resolveCorrelations(rules, []).problems.filter((p) => p.kind === 'cycle' || p.kind === 'identity');
    if (fatal.length > 0) throw new Error(`invalid correlation set: ${fatal.map((p) => p.message).join('; ')}`);
    this.runtimes = rules.map((rule, order) => ({
      rule,
      order,
      id: rule.key!,
      early: firesEarly(rule),
      groupFields: rule.rules.map((ref) => rule.groupBy.map((f) => rule.aliases[f]?.[ref] ?? f)),
      groups: new Map(),
    }));
    for (const rt of this.runtimes) {
      for (const ref of rt.rule.rules) {
        const list = this.byRef.get(ref) ?? [];
        list.push(rt);
        this.byRef.set(ref, list);
      }
    }
  }

  /**
   * Feeds one detection hit. Returns the correlation alerts it caused, chained ones included.
   * `id` (the event's document id) makes redelivery harmless: an observation whose id is already
   * buffered in its group is ignored, and one whose window already fired is absorbed.
   */
  observe(ref: RuleRef, event: object, eventTime: Date, id?: string, streamTime?: Date): CorrelationAlert[] {
    const t = eventTime.getTime();
    if (!Number.isFinite(t)) throw new RangeError(`invalid event time for rule ${ref.id}`);
    const out: CorrelationAlert[] = [];
    const targets = this.targets(ref);
    if (targets.length > 0) {
      if (t < this.watermark) {
        this.lateDropped++;
      } else {
        const seq = this.seq++;
        for (const rt of targets) this.ingest(rt, rt.rule.ruleIndex(ref), event, t, seq, out, id);
      }
    }
    const progress = streamTime === undefined ? t : Math.min(t, streamTime.getTime());
    if (progress > this.maxEvent) this.maxEvent = progress;
    this.advanceTo(this.maxEvent - this.lateness, out);
    this.drainDerived(out);
    return out;
  }

  /** Moves the watermark forward (e.g. on an idle partition, from the consumer's clock), closing windows. */
  advanceWatermark(time: Date): CorrelationAlert[] {
    const out: CorrelationAlert[] = [];
    this.advanceTo(time.getTime(), out);
    this.drainDerived(out);
    return out;
  }

  /**
   * Whether the caller should also raise the standalone alert of a rule (Sigma `generate`). By
   * default a rule used by a correlation only feeds it; a rule is emitted on its own when no
   * correlation references it or when any referencing correlation asks for it with `generate: true`
   * (pySigma instead lets any `generate: false` win; an explicit opt-in seems the safer reading).
   */
  emitsOwnAlerts(ref: RuleRef): boolean {
    const targets = this.targets(ref);
    return targets.length === 0 || targets.some((rt) => rt.rule.generate);
  }

  /**
   * Whether a correlation alert is raised on its own (Sigma 2.1 `generate` applied to chaining): a
   * correlation that another correlation refers to only feeds it, unless a referring correlation
   * says `generate: true` — exactly as for detection rules. Its alerts still drive the chain.
   */
  raises(alert: CorrelationAlert): boolean {
    const rt = this.runtimes.find((r) => r.id === alert.ruleId);
    return rt === undefined || this.emitsOwnAlerts({ id: rt.id, ...(rt.rule.name !== undefined ? { name: rt.rule.name } : {}) });
  }

  /** The cumulative drop counters, without walking the groups (cheap enough per batch). */
  get counters(): { lateDropped: number; absorbed: number; duplicates: number } {
    return { lateDropped: this.lateDropped, absorbed: this.absorbed, duplicates: this.duplicates };
  }

  stats(): CorrelationStats {
    let groups = 0;
    let bufferedEntries = 0;
    for (const rt of this.runtimes) {
      groups += rt.groups.size;
      for (const g of rt.groups.values()) bufferedEntries += g.entries.length;
    }
    const watermark = Number.isFinite(this.watermark) ? new Date(this.watermark) : null;
    return { groups, bufferedEntries, lateDropped: this.lateDropped, absorbed: this.absorbed, duplicates: this.duplicates, timers: this.timers.size, watermark };
  }

  snapshot(): CorrelationState {
    const fin = (n: number): number | null => (Number.isFinite(n) ? n : null);
    return {
      version: 1,
      watermarkMs: fin(this.watermark),
      maxEventMs: fin(this.maxEvent),
      seq: this.seq,
      lateDropped: this.lateDropped,
      absorbed: this.absorbed,
      rules: this.runtimes.map((rt) => ({
        ruleId: rt.id,
        type: rt.rule.type,
        groups: [...rt.groups.values()].map((g) => ({
          groupBy: g.groupBy,
          firedUntilMs: g.firedUntil,
          entries: g.entries.map((e): CorrelationState['rules'][number]['groups'][number]['entries'][number] => (e.id !== undefined ? [e.t, e.seq, e.r, e.v, e.id] : [e.t, e.seq, e.r, e.v])),
        })),
      })),
    };
  }

  /**
   * Rebuilds an engine from a snapshot, for the (possibly reloaded) rule set. Timers are recomputed
   * from each group's first entry: a snapshot is taken between calls, when every group is settled,
   * so the recomputed timers equal the live ones and the restored engine decides exactly as the
   * original would have.
   */
  static restore(rules: readonly CorrelationRule[], state: CorrelationState, options: CorrelationEngineOptions = {}): CorrelationEngine {
    if (state.version !== 1) throw new Error(`unsupported correlation state version ${String(state.version)}`);
    const engine = new CorrelationEngine(rules, options);
    engine.watermark = state.watermarkMs ?? Number.NEGATIVE_INFINITY;
    engine.maxEvent = state.maxEventMs ?? Number.NEGATIVE_INFINITY;
    engine.seq = state.seq;
    engine.lateDropped = state.lateDropped;
    engine.absorbed = state.absorbed;
    for (const saved of state.rules) {
      const rt = engine.runtimes.find((r) => r.id === saved.ruleId && r.rule.type === saved.type);
      if (!rt) continue;
      for (const s of saved.groups) {
        const key = JSON.stringify(s.groupBy);
        const entries: Entry[] = s.entries.filter(([, , r]) => r < rt.rule.rules.length).map(([t, seq, r, v, id]) => (id !== undefined ? { t, seq, r, v, id } : { t, seq, r, v }));
        const ids = entries.some((e) => e.id !== undefined) ? new Set(entries.flatMap((e) => (e.id !== undefined ? [e.id] : []))) : null;
        const g: Group = { key, groupBy: s.groupBy, entries, ids, firedUntil: s.firedUntilMs, scheduledAt: null, win: null };
        rt.groups.set(key, g);
        const first = g.entries[0];
        engine.schedule(rt, g, first ? first.t + rt.rule.timespan.ms : g.firedUntil);
      }
    }
    return engine;
  }

  private targets(ref: RuleRef): Runtime[] {
    const byId = this.byRef.get(ref.id);
    const byName = ref.name !== undefined ? this.byRef.get(ref.name) : undefined;
    if (!byName) return byId ?? [];
    if (!byId) return byName;
    return [...new Set([...byId, ...byName])].sort((a, b) => a.order - b.order);
  }

  private ingest(rt: Runtime, r: number, event: object, t: number, seq: number, out: CorrelationAlert[], id?: string): void {
    const fields = rt.groupFields[r]!;
    const groupBy = fields.map((f) => getField(event, f) ?? null);
    const key = JSON.stringify(groupBy);
    let g = rt.groups.get(key);
    if (!g) {
      g = { key, groupBy, entries: [], ids: null, firedUntil: null, scheduledAt: null, win: null };
      rt.groups.set(key, g);
    }
    if (g.firedUntil !== null && t < g.firedUntil) {
      this.absorbed++;
      return;
    }
    let entry: Entry;
    if (id !== undefined) {
      if (g.ids?.has(id)) {
        this.duplicates++;
        return;
      }
      (g.ids ??= new Set()).add(id);
      entry = { t, seq, r, v: valueOf(rt.rule, event), id };
    } else {
      entry = { t, seq, r, v: valueOf(rt.rule, event) };
    }
    const at = insertSorted(g.entries, entry);
    // Keep the window's running aggregate: an entry before its start moves the window (recomputed
    // by settle), one inside it joins it, one after its end does not count yet.
    if (g.win) {
      if (at === 0) g.win = null;
      else if (t < g.win.end) g.win.add(entry, at === g.win.n);
    }
    this.settle(rt, g, out);
  }

  /** Fires, slides or schedules the group's current window until it is open and not firing. */
  private settle(rt: Runtime, g: Group, out: CorrelationAlert[]): void {
    const span = rt.rule.timespan.ms;
    for (;;) {
      const first = g.entries[0];
      if (!first) {
        // Keep an empty group only while a late event could still fall into its fired window.
        if (g.firedUntil !== null && g.firedUntil > this.watermark) this.schedule(rt, g, g.firedUntil);
        else rt.groups.delete(g.key);
        return;
      }
      const start = first.t;
      const end = start + span;
      const closed = end <= this.watermark;
      if (rt.early || closed) {
        let n: number;
        let value: number;
        if (rt.rule.type === 'event_count') {
          // A count needs no running state: a binary search finds the window's end.
          n = countBefore(g.entries, end);
          value = n;
        } else {
          if (!g.win || g.win.start !== start) g.win = new WindowAggregate(rt.rule, g.entries, start);
          n = g.win.n;
          value = g.win.value(g.entries);
        }
        if (conditionHolds(rt.rule, value)) {
          this.fire(rt, g, start, end, n, value, out);
          const consumed = g.entries.splice(0, n);
          if (g.ids) for (const e of consumed) if (e.id !== undefined) g.ids.delete(e.id);
          g.firedUntil = end;
          g.win = null;
          continue;
        }
      }
      if (!closed) {
        this.schedule(rt, g, end);
        return;
      }
      const slid = g.entries.shift()!; // the window closed without firing: slide to the next event
      if (slid.id !== undefined) g.ids?.delete(slid.id);
      g.win?.slide(slid, g.entries);
    }
  }

  private fire(rt: Runtime, g: Group, start: number, end: number, n: number, value: number, out: CorrelationAlert[]): void {
    let last = start;
    const eventIds: string[] = [];
    for (let i = 0; i < n; i++) {
      const e = g.entries[i]!;
      last = Math.max(last, e.t);
      if (e.id !== undefined && eventIds.length < MAX_ALERT_EVENT_IDS) eventIds.push(e.id);
    }
    const windowStart = new Date(start);
    const groupBy = Object.fromEntries(rt.rule.groupBy.map((f, i) => [f, g.groupBy[i]]));
    const alert: CorrelationAlert = {
      ruleId: rt.id,
      groupBy,
      windowStart,
      windowEnd: new Date(end),
      eventCount: n,
      ...(rt.rule.type.startsWith('value_') ? { value } : {}),
      lastEventTime: new Date(last),
      alertId: alertId(rt.id, `${g.key}\u0000${windowStart.toISOString()}`),
      eventIds,
    };
    out.push(alert);
    // Chaining: the alert is an event for correlations that reference this one. Its fields are the
    // group-by values, so the outer rule can group by them (or alias them). Queued, not recursed,
    // so a settle loop never re-enters itself.
    const from: RuleRef = { id: rt.id, ...(rt.rule.name !== undefined ? { name: rt.rule.name } : {}) };
    for (const next of this.targets(from)) this.derived.push({ rt: next, from, event: groupBy, t: last, id: alert.alertId });
  }

  private advanceTo(watermark: number, out: CorrelationAlert[]): void {
    if (!(watermark > this.watermark)) return;
    this.watermark = watermark;
    for (let top = this.timers.peek(); top && top.at <= watermark; top = this.timers.peek()) {
      this.timers.pop();
      const rt = this.runtimes[top.order]!;
      const g = rt.groups.get(top.key);
      if (!g || g.scheduledAt !== top.at) continue; // superseded timer
      g.scheduledAt = null;
      this.settle(rt, g, out);
    }
  }

  /**
   * Chained alerts carry the time of their last event, which may already be behind the watermark
   * (a window decided at close). They are the engine's own output, not late input, so they skip
   * the lateness check; a window they open in the past is settled at once.
   */
  private drainDerived(out: CorrelationAlert[]): void {
    for (let d = this.derived.shift(); d; d = this.derived.shift()) {
      this.ingest(d.rt, d.rt.rule.ruleIndex(d.from), d.event, d.t, this.seq++, out, d.id);
    }
  }

  private schedule(rt: Runtime, g: Group, at: number | null): void {
    if (at === null || g.scheduledAt === at) return;
    g.scheduledAt = at;
    this.timers.push({ at, order: rt.order, key: g.key });
  }
}
