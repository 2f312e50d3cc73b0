/**
 * The engine's state as plain JSON, so a worker can checkpoint it (Kafka, Redis) with its offsets
 * and a restarted worker continues open windows without losing or double-firing them. Times are
 * epoch milliseconds; `null` stands for "none yet" because JSON has no -Infinity.
 */
export interface CorrelationState {
  version: 1;
  watermarkMs: number | null;
  maxEventMs: number | null;
  seq: number;
  lateDropped: number;
  absorbed: number;
  rules: Array<{
    /** Correlation id (or name); state for a rule that no longer exists is dropped on restore. */
    ruleId: string;
    /** Restored only into a rule of the same type, since buffered values depend on it. */
    type: string;
    groups: Array<{
      groupBy: unknown[];
      /** End of the last window that fired: later events before it belong to that alert. */
      firedUntilMs: number | null;
      /**
       * [event time, arrival sequence, referenced-rule index, value, id?] sorted by time then
       * sequence; the id (event document id) is present when the caller gave one.
       */
      entries: Array<[number, number, number, string | number | null] | [number, number, number, string | number | null, string]>;
    }>;
  }>;
}

/**
 * Pulls a saved state back from beyond `horizonMs` (now + the allowed future skew): a checkpoint
 * written while one absurd timestamp drove event time (a message stamped 2099, before event times
 * were bounded) would otherwise keep every later event "late" for good. Stream time and the
 * watermark return to `nowMs`; buffered observations dated beyond the horizon are dropped, with
 * the groups they leave empty, and a fired window that ends beyond the horizon (plus the rule's
 * timespan) no longer absorbs the group's events. Returns how many observations were dropped (0: nothing changed).
 */
export function clampCorrelationState(state: CorrelationState, horizonMs: number, nowMs: number, latenessMs: number, timespanMs: number): number {
  if (state.maxEventMs !== null && state.maxEventMs > horizonMs) state.maxEventMs = nowMs;
  if (state.watermarkMs !== null && state.watermarkMs > horizonMs) state.watermarkMs = nowMs - latenessMs;
  let dropped = 0;
  for (const rule of state.rules) {
    rule.groups = rule.groups.filter((g) => {
      const kept = g.entries.filter(([t]) => t <= horizonMs);
      dropped += g.entries.length - kept.length;
      g.entries = kept;
      // A window that fired from an observation beyond the horizon would absorb this group's events until then.
      if (g.firedUntilMs !== null && g.firedUntilMs > horizonMs + timespanMs) g.firedUntilMs = null;
      return g.entries.length > 0 || g.firedUntilMs !== null;
    });
  }
  return dropped;
}
