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
