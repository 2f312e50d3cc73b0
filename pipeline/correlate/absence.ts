/**
 * Absence rules (haetae extension `haetae.absence`): a detection rule's matches are heartbeats,
 * and the alert is their absence — "this device stopped logging".
 *
 * Per (rule, group) the tracker keeps the event time of the last heartbeat, `lastSeen`. The group
 * is due at `deadline = lastSeen + timespan`; a heartbeat at a time before the deadline moves
 * `lastSeen` forward, one at or after it does not count against that deadline. When the watermark
 * reaches the deadline with no heartbeat in between, one absence alert fires, and the group stays
 * absent (no further alerts) until its next heartbeat, which is reported as a recovery naming the
 * alert's id; tracking starts again from that heartbeat.
 *
 * Lateness: the watermark is max(event time seen) − allowedLatenessMs (or further if advanced
 * explicitly), and a heartbeat older than the watermark is dropped and counted. A heartbeat at or
 * after a deadline the watermark has not reached yet cannot be applied at once: a late heartbeat
 * before the deadline may still arrive and cancel the absence. Such heartbeats wait in the group's
 * `pending` list (sorted) and are replayed, in event-time order, when the deadline is decided.
 *
 * Bounds: group values come from senders (a host name is whatever a message says), so a rule
 * tracks at most `maxGroups` groups; heartbeats of further new groups are not tracked and are
 * counted (`refusedGroups`). A group whose absence alert has been open for `forgetAfterMs` past
 * its deadline is forgotten (`forgottenGroups`), so decommissioned devices leave the table; its next
 * heartbeat starts tracking it afresh (without a recovery: that alert is long settled).
 *
 * Determinism: decisions depend only on the order of calls and their values. Deadlines live in a
 * min-heap ordered by (time, rule order, group key), so groups due together are decided in the
 * same order on every replay, and alert ids are a hash of rule, group values and lastSeen.
 */
import { alertId } from '../alert/build';
import { getField } from '../detect/field';
import type { CompiledRule } from '../detect/types';
import { MinHeap } from './heap';

export interface AbsenceRule {
  id: string;
  name?: string;
  title: string;
  /** The alert severity (the rule's `haetae.severity`, else its `level`). */
  level?: string;
  groupBy: readonly string[];
  timespanMs: number;
  /** The timespan as written, e.g. "15m", for messages. */
  timespan: string;
  /** Most groups tracked at once (default DEFAULT_MAX_GROUPS). */
  maxGroups?: number;
  /** How long after its deadline a silent group is forgotten (default DEFAULT_FORGET_AFTER_MS). */
  forgetAfterMs?: number;
}

export const DEFAULT_MAX_GROUPS = 10_000;
export const DEFAULT_FORGET_AFTER_MS = 7 * 86_400_000;

export interface AbsenceAlert {
  ruleId: string;
  /** Group-by field → value; a missing field is `null`. */
  groupBy: Record<string, unknown>;
  /** Event time of the group's last heartbeat before the silence. */
  lastSeen: Date;
  /** lastSeen + timespan: the time by which the next heartbeat was due. */
  deadline: Date;
  alertId: string;
}

export interface AbsenceRecovery {
  ruleId: string;
  groupBy: Record<string, unknown>;
  /** The id of the absence alert this heartbeat resolves. */
  alertId: string;
  /** Event time of the heartbeat that ended the silence. */
  at: Date;
}

export interface AbsenceResult {
  alerts: AbsenceAlert[];
  recoveries: AbsenceRecovery[];
}

/**
 * The tracker's state as plain JSON (epoch milliseconds; `null` for "none yet"). Snapshots are
 * taken between calls, when every due deadline has been decided, so deadlines are recomputed on
 * restore from `lastSeenMs`.
 */
export interface AbsenceState {
  version: 1;
  watermarkMs: number | null;
  maxEventMs: number | null;
  lateDropped: number;
  /** Absent in states saved before these counters existed. */
  refusedGroups?: number;
  forgottenGroups?: number;
  rules: Array<{
    ruleId: string;
    groups: Array<{
      groupBy: unknown[];
      lastSeenMs: number;
      /** The open absence alert, while the group is silent. */
      openAlertId: string | null;
      /**
       * Heartbeats at or after the group's deadline that arrived before the watermark reached it
       * (only with allowed lateness); omitted when empty.
       */
      pendingMs?: number[];
    }>;
  }>;
}

export interface AbsenceTrackerOptions {
  /**
   * How far behind the newest event time a heartbeat may arrive and still count.
   * @defaultValue 0
   */
  allowedLatenessMs?: number;
}

export interface AbsenceStats {
  groups: number;
  /** Groups with an open absence alert. */
  absent: number;
  lateDropped: number;
  watermark: Date | null;
}

interface Group {
  key: string;
  groupBy: unknown[];
  lastSeen: number;
  open: string | null;
  /** Sorted heartbeat times ≥ lastSeen + timespan, waiting for that deadline to be decided. */
  pending: number[];
  /** The deadline with a live heap item; other items for this group are stale. */
  scheduledAt: number | null;
  /** While absent: when the group is forgotten (deadline + forgetAfterMs). */
  forgetAt: number | null;
}

interface Runtime {
  rule: AbsenceRule;
  order: number;
  groups: Map<string, Group>;
}

interface Timer {
  at: number;
  order: number;
  key: string;
}

/** Total order, so deadlines that pass together are decided in the same order on every replay. */
const timerLess = (a: Timer, b: Timer): boolean => (a.at !== b.at ? a.at < b.at : a.order !== b.order ? a.order < b.order : a.key < b.key);

const empty = (): AbsenceResult => ({ alerts: [], recoveries: [] });

export class AbsenceTracker {
  private readonly runtimes: Runtime[];
  private readonly byId = new Map<string, Runtime>();
  private readonly lateness: number;
  private readonly timers = new MinHeap<Timer>(timerLess);
  private watermark = Number.NEGATIVE_INFINITY;
  private maxEvent = Number.NEGATIVE_INFINITY;
  private lateDropped = 0;
  private refused = 0;
  private forgotten = 0;

  constructor(rules: readonly AbsenceRule[], options: AbsenceTrackerOptions = {}) {
    this.lateness = options.allowedLatenessMs ?? 0;
    if (!(this.lateness >= 0)) throw new RangeError('allowedLatenessMs must be >= 0');
    this.runtimes = rules.map((rule, order) => {
      if (!(rule.timespanMs > 0) || !Number.isFinite(rule.timespanMs)) throw new RangeError(`absence rule ${rule.id}: timespanMs must be a positive number`);
      if (rule.groupBy.length === 0) throw new RangeError(`absence rule ${rule.id}: groupBy must name at least one field`);
      if (this.byId.has(rule.id)) throw new RangeError(`absence rule ${rule.id} is listed twice`);
      const rt: Runtime = { rule, order, groups: new Map() };
      this.byId.set(rule.id, rt);
      return rt;
    });
  }

  tracks(ruleId: string): boolean {
    return this.byId.has(ruleId);
  }

  /**
   * Feeds one match (a heartbeat) of an absence rule. Returns the recovery it causes, if its group
   * was absent, and the absences decided by the watermark it moves. Rules not tracked are ignored
   * (the watermark does not move either).
   */
  observe(ruleId: string, event: object, eventTime: Date, streamTime?: Date): AbsenceResult {
    const rt = this.byId.get(ruleId);
    if (!rt) return empty();
    const t = eventTime.getTime();
    if (!Number.isFinite(t)) throw new RangeError(`invalid event time for rule ${ruleId}`);
    const out = empty();
    if (t < this.watermark) {
      this.lateDropped++;
    } else {
      this.heartbeat(rt, event, t, out);
      // Stream time: the event time, capped by the caller at the receive time (see CorrelationEngine).
      const progress = streamTime === undefined ? t : Math.min(t, streamTime.getTime());
      if (progress > this.maxEvent) this.maxEvent = progress;
    }
    this.advanceTo(this.maxEvent - this.lateness, out);
    return out;
  }

  /** Moves the watermark forward (an idle partition, the end of a replay), deciding due groups. */
  advanceWatermark(time: Date): AbsenceResult {
    const t = time.getTime();
    if (Number.isNaN(t)) throw new RangeError('invalid watermark time');
    const out = empty();
    this.advanceTo(t, out);
    return out;
  }

  /** Heartbeats dropped as late so far, without walking the groups (cheap enough per batch). */
  get lateDroppedCount(): number {
    return this.lateDropped;
  }

  /** New groups not tracked because their rule's table was full, and silent groups forgotten, so far. */
  get boundCounts(): { refusedGroups: number; forgottenGroups: number } {
    return { refusedGroups: this.refused, forgottenGroups: this.forgotten };
  }

  stats(): AbsenceStats {
    let groups = 0;
    let absent = 0;
    for (const rt of this.runtimes) {
      groups += rt.groups.size;
      for (const g of rt.groups.values()) if (g.open !== null) absent++;
    }
    return { groups, absent, lateDropped: this.lateDropped, watermark: Number.isFinite(this.watermark) ? new Date(this.watermark) : null };
  }

  snapshot(): AbsenceState {
    const fin = (n: number): number | null => (Number.isFinite(n) ? n : null);
    return {
      version: 1,
      watermarkMs: fin(this.watermark),
      maxEventMs: fin(this.maxEvent),
      lateDropped: this.lateDropped,
      refusedGroups: this.refused,
      forgottenGroups: this.forgotten,
      rules: this.runtimes.map((rt) => ({
        ruleId: rt.rule.id,
        groups: [...rt.groups.values()].map((g) => ({
          groupBy: g.groupBy,
          lastSeenMs: g.lastSeen,
          openAlertId: g.open,
          ...(g.pending.length > 0 ? { pendingMs: [...g.pending] } : {}),
        })),
      })),
    };
  }

  /**
   * Rebuilds a tracker from a snapshot for the (possibly reloaded) rule set. State of rules no
   * longer present, and of groups whose group-by has a different number of fields, is dropped.
   * A deadline that a changed timespan puts at or before the watermark is decided by the next call.
   */
  static restore(rules: readonly AbsenceRule[], state: AbsenceState, options: AbsenceTrackerOptions = {}): AbsenceTracker {
    if (state.version !== 1) throw new Error(`unsupported absence state version ${String(state.version)}`);
    const tracker = new AbsenceTracker(rules, options);
    tracker.watermark = state.watermarkMs ?? Number.NEGATIVE_INFINITY;
    tracker.maxEvent = state.maxEventMs ?? Number.NEGATIVE_INFINITY;
    tracker.lateDropped = state.lateDropped;
    tracker.refused = state.refusedGroups ?? 0;
    tracker.forgotten = state.forgottenGroups ?? 0;
    for (const saved of state.rules) {
      const rt = tracker.byId.get(saved.ruleId);
      if (!rt) continue;
      for (const s of saved.groups) {
        if (!Array.isArray(s.groupBy) || s.groupBy.length !== rt.rule.groupBy.length) continue;
        // A lowered max-groups keeps the first groups of the saved table (its order is stable).
        if (rt.groups.size >= tracker.maxGroups(rt)) {
          tracker.refused++;
          continue;
        }
        const key = JSON.stringify(s.groupBy);
        const g: Group = { key, groupBy: s.groupBy, lastSeen: s.lastSeenMs, open: s.openAlertId, pending: [...(s.pendingMs ?? [])].sort((a, b) => a - b), scheduledAt: null, forgetAt: null };
        rt.groups.set(key, g);
        if (g.open === null) {
          // A shorter timespan may now cover pending heartbeats: fold them in as heartbeat() would.
          tracker.absorbPending(rt, g);
          tracker.schedule(rt, g);
        } else {
          tracker.scheduleForget(rt, g, g.lastSeen + rt.rule.timespanMs);
        }
      }
    }
    return tracker;
  }

  private heartbeat(rt: Runtime, event: object, t: number, out: AbsenceResult): void {
    const groupBy = rt.rule.groupBy.map((f) => getField(event, f) ?? null);
    const key = JSON.stringify(groupBy);
    const g = rt.groups.get(key);
    if (!g) {
      if (rt.groups.size >= this.maxGroups(rt)) {
        this.refused++;
        return;
      }
      const fresh: Group = { key, groupBy, lastSeen: t, open: null, pending: [], scheduledAt: null, forgetAt: null };
      rt.groups.set(key, fresh);
      this.schedule(rt, fresh);
      return;
    }
    if (g.open !== null) {
      // Absent groups are decided (deadline ≤ watermark ≤ t), so any accepted heartbeat ends the silence.
      this.recover(rt, g, t, out);
      return;
    }
    if (t < g.lastSeen + rt.rule.timespanMs) {
      if (t > g.lastSeen) {
        g.lastSeen = t;
        this.absorbPending(rt, g);
        this.schedule(rt, g);
      }
      return;
    }
    insertSortedUnique(g.pending, t);
  }

  /** The heartbeat at `t` resolves the open alert; tracking restarts from it. */
  private recover(rt: Runtime, g: Group, t: number, out: AbsenceResult): void {
    out.recoveries.push({ ruleId: rt.rule.id, groupBy: this.groupObject(rt, g), alertId: g.open!, at: new Date(t) });
    g.open = null;
    g.forgetAt = null;
    g.lastSeen = t;
    this.absorbPending(rt, g);
    this.schedule(rt, g);
  }

  /** Pending heartbeats that now fall before the deadline extend lastSeen (they are sorted). */
  private absorbPending(rt: Runtime, g: Group): void {
    while (g.pending.length > 0 && g.pending[0]! < g.lastSeen + rt.rule.timespanMs) {
      g.lastSeen = Math.max(g.lastSeen, g.pending.shift()!);
    }
  }

  private advanceTo(watermark: number, out: AbsenceResult): void {
    if (watermark > this.watermark) this.watermark = watermark;
    // Also runs when the watermark did not move: restore() may leave deadlines already passed.
    for (let top = this.timers.peek(); top && top.at <= this.watermark; top = this.timers.peek()) {
      this.timers.pop();
      const rt = this.runtimes[top.order]!;
      const g = rt.groups.get(top.key);
      if (g && g.open !== null && g.forgetAt === top.at) {
        // Silent for forgetAfterMs past its deadline: let the table forget it.
        rt.groups.delete(g.key);
        this.forgotten++;
        continue;
      }
      if (!g || g.scheduledAt !== top.at || g.open !== null) continue; // superseded
      g.scheduledAt = null;
      const lastSeen = new Date(g.lastSeen);
      const id = alertId(rt.rule.id, `${g.key}\u0000${lastSeen.toISOString()}`);
      out.alerts.push({ ruleId: rt.rule.id, groupBy: this.groupObject(rt, g), lastSeen, deadline: new Date(top.at), alertId: id });
      g.open = id;
      this.scheduleForget(rt, g, top.at);
      // Heartbeats that arrived early for this deadline: the first ends the silence at once.
      const next = g.pending.shift();
      if (next !== undefined) this.recover(rt, g, next, out);
    }
  }

  private schedule(rt: Runtime, g: Group): void {
    const at = g.lastSeen + rt.rule.timespanMs;
    if (g.scheduledAt === at) return;
    g.scheduledAt = at;
    this.timers.push({ at, order: rt.order, key: g.key });
  }

  private maxGroups(rt: Runtime): number {
    return rt.rule.maxGroups ?? DEFAULT_MAX_GROUPS;
  }

  private scheduleForget(rt: Runtime, g: Group, deadline: number): void {
    g.forgetAt = deadline + (rt.rule.forgetAfterMs ?? DEFAULT_FORGET_AFTER_MS);
    this.timers.push({ at: g.forgetAt, order: rt.order, key: g.key });
  }

  private groupObject(rt: Runtime, g: Group): Record<string, unknown> {
    return Object.fromEntries(rt.rule.groupBy.map((f, i) => [f, g.groupBy[i]]));
  }
}

/**
 * Pulls a saved state back from beyond `horizonMs` (now + the allowed future skew), like
 * clampCorrelationState: stream time and the watermark return to `nowMs`, a group last heard from
 * beyond the horizon counts as heard from now (its open alert, if that time raised one, resolves
 * on its next heartbeat), and heartbeats waiting beyond the horizon are dropped. Returns how many
 * groups or heartbeats were changed (0: nothing).
 */
export function clampAbsenceState(state: AbsenceState, horizonMs: number, nowMs: number, latenessMs: number): number {
  let changed = 0;
  if (state.maxEventMs !== null && state.maxEventMs > horizonMs) state.maxEventMs = nowMs;
  if (state.watermarkMs !== null && state.watermarkMs > horizonMs) state.watermarkMs = nowMs - latenessMs;
  for (const rule of state.rules) {
    for (const g of rule.groups) {
      if (g.lastSeenMs > horizonMs) {
        g.lastSeenMs = nowMs;
        changed++;
      }
      if (g.pendingMs) {
        const kept = g.pendingMs.filter((t) => t <= horizonMs);
        changed += g.pendingMs.length - kept.length;
        if (kept.length > 0) g.pendingMs = kept;
        else delete g.pendingMs;
      }
    }
  }
  return changed;
}

function insertSortedUnique(list: number[], t: number): void {
  let i = list.length;
  while (i > 0 && list[i - 1]! > t) i--;
  if (list[i - 1] !== t) list.splice(i, 0, t);
}

/** The absence settings of a compiled detection rule, or null when it has no `haetae.absence`. */
export function absenceRuleOf(rule: CompiledRule): AbsenceRule | null {
  const absence = rule.alerting.absence;
  const groupBy = rule.alerting.groupBy;
  if (!absence || !groupBy || groupBy.length === 0) return null;
  return {
    id: rule.id,
    ...(rule.source.name !== undefined ? { name: rule.source.name } : {}),
    title: rule.title,
    level: rule.alerting.severity,
    groupBy,
    timespanMs: absence.timespanMs,
    timespan: absence.timespan,
    maxGroups: absence.maxGroups,
    forgetAfterMs: absence.forgetAfterMs,
  };
}
