/**
 * Heartbeat coalescing (issue 14). An absence rule's matches are heartbeats ("this host is still
 * logging"), and on a busy pipeline nearly every event is one: a batch of 2,000 events from 200
 * hosts would hand 2,000 records to the correlate topic that say the same 200 things. The absence
 * tracker (absence.ts) only needs the heartbeats that move its decisions.
 *
 * Within one batch, per correlate key (absence rule + group values), the first and the last
 * heartbeat are always kept; one between them is left out only when the tracker, fed the batch's
 * records in order, could not tell the difference:
 *   1. the batch's stream time (the newest event time in it, never past a record's receive time,
 *      as the correlator takes it) stays within a timespan of the key's first heartbeat, so no
 *      record of the batch moves the watermark to a deadline the kept heartbeats would imply;
 *   2. it does not move the stream time forward while a record that lags the batch's newest time
 *      by more than the allowed lateness is still to come (such a record's fate, counted or late,
 *      depends on the stream time when it arrives: that stays exactly as it would have been);
 *   3. the next kept heartbeat of the key is later in event time by at least as much as the
 *      stream time moves between the two, so if the tracker counts the one left out it counts the
 *      kept one too, and lastSeen ends where it would have.
 * A property test feeds both versions of random batches (silent hosts, late and out-of-order
 * heartbeats) to the tracker and compares every alert and recovery. A live batch spans well under
 * a second of event time against timespans of minutes and a lateness of seconds, so a group keeps
 * its first and last heartbeat of a batch and the few that advance the stream time; a backlog
 * batch spanning a timespan keeps everything. The records keep their order. Correlation records
 * (counts, value counts, temporal) are never coalesced: every one of them counts.
 */
import type { CorrelateRecord, CorrelateMessage } from './route';

/** The stream time a record moves the correlator to: its event time, never past its receive time. */
const streamTimeOf = (m: CorrelateMessage): number => (m.r !== undefined ? Math.min(m.t, m.r) : m.t);

/**
 * The records to produce, in order, and how many heartbeats were left out. `timespanOf` gives an
 * absence rule's timespan (undefined: unknown rule, nothing of it is left out); `allowedLatenessMs`
 * is the correlator's (worker.correlation.allowedLatenessMs).
 */
export function coalesceHeartbeats(records: readonly CorrelateRecord[], timespanOf: (target: string) => number | undefined, allowedLatenessMs: number): { records: CorrelateRecord[]; coalesced: number } {
  /** Positions of the absence records, per key, in batch order. */
  const byKey = new Map<string, number[]>();
  for (let i = 0; i < records.length; i++) {
    const r = records[i]!;
    if (r.message.kind !== 'absence') continue;
    const list = byKey.get(r.key);
    if (list) list.push(i);
    else byKey.set(r.key, [i]);
  }
  if (![...byKey.values()].some((l) => l.length >= 3)) return { records: [...records], coalesced: 0 };

  // before[i]: the stream time the records before position i reach; newest: the whole batch's.
  const before = new Float64Array(records.length);
  let newest = -Infinity;
  for (let i = 0; i < records.length; i++) {
    before[i] = newest;
    newest = Math.max(newest, streamTimeOf(records[i]!.message));
  }
  // The last position of a record that lags the batch's newest time by more than the lateness.
  let lastLagging = -1;
  for (let i = records.length - 1; i >= 0; i--) {
    if (records[i]!.message.t < newest - allowedLatenessMs) { lastLagging = i; break; }
  }

  const drop = new Set<number>();
  for (const list of byKey.values()) {
    if (list.length < 3) continue;
    const span = timespanOf(records[list[0]!]!.message.target);
    if (span === undefined || !(span > 0)) continue;
    if (newest - records[list[0]!]!.message.t >= span) continue; // (1)
    // Backwards: `next` is the position of the key's next kept heartbeat.
    let next = list[list.length - 1]!;
    for (let j = list.length - 2; j >= 1; j--) {
      const i = list[j]!;
      const m = records[i]!.message;
      const movesStreamTime = streamTimeOf(m) > before[i]!;
      // After the last lagging record nothing of the batch can put the kept one behind the
      // watermark; before it, the kept one must gain on the stream time what the stream gains.
      const keptCountsToo = next > lastLagging ? records[next]!.message.t >= m.t : records[next]!.message.t - m.t >= before[next]! - before[i]!;
      if ((!movesStreamTime || i > lastLagging) && keptCountsToo) drop.add(i); // (2), (3)
      else next = i;
    }
  }
  if (drop.size === 0) return { records: [...records], coalesced: 0 };
  return { records: records.filter((_, i) => !drop.has(i)), coalesced: drop.size };
}
