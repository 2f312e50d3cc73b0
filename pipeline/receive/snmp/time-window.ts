/**
 * The SNMPv3 USM timeliness check (RFC 3414 §3.2 step 7) net-snmp's receiver leaves out. Applied
 * only to authenticated messages, after their digest checked out, and learned state is only ever
 * updated from such messages (an unauthenticated packet must not move it).
 *
 * Traps (unconfirmed notifications): the sender is the authoritative engine and we are not
 * (RFC 3412 §6.4; RFC 3414 §1.5.1). Step 7b: we keep, per remote engine id, its boots, its time
 * (advanced by our own clock) and the latest time received; a message is outside the window when
 * the remembered boots is 2^31-1, when its boots is lower than remembered, or when the boots are
 * equal and its time is more than 150 s behind our notion of the engine's time. A message newer
 * than our notion is accepted and moves the notion forward (that is how a non-authoritative
 * engine learns time: there is no discovery for traps). The first trap from an engine is accepted
 * and learned.
 *
 * Informs (confirmed): we are the authoritative engine (step 7a): its boots must equal ours and its
 * time be within 150 s of ours, either way; else notInTimeWindow (with a report so the sender can
 * resynchronise).
 */
export const TIME_WINDOW_SECONDS = 150;
const MAX_BOOTS = 2147483647;

export type WindowVerdict = 'ok' | 'not_in_time_window';

/** What we know of one remote engine: its boots and time as of `at` (our clock, seconds), and the latest time it sent. */
export interface Learned { boots: number; time: number; at: number; latest: number }

export class RemoteEngineTimes {
  /** engine id (hex) → learned state, in least-recently-seen-first order (Map insertion order). */
  private readonly engines = new Map<string, Learned>();
  /** Learned state changed since the last snapshot (see RemoteEngineStore). */
  dirty = false;

  constructor(private readonly maxEngines: number, private readonly nowSeconds: () => number = () => Date.now() / 1000) {}

  get size(): number { return this.engines.size; }

  /** Everything learned, least recently seen first; clears `dirty`. */
  snapshot(): Array<[string, Learned]> {
    this.dirty = false;
    return [...this.engines];
  }

  /**
   * Takes back what an earlier run learned (oldest first), so that a trap captured before a
   * restart is still outside the window after it: without this the first trap from each engine
   * after a restart is accepted whatever its boots and time. Keeps the newest `maxEngines`.
   */
  restore(entries: ReadonlyArray<[string, Learned]>): void {
    for (const [id, learned] of entries.slice(-this.maxEngines)) this.engines.set(id, learned);
    while (this.engines.size > this.maxEngines) this.engines.delete(this.engines.keys().next().value!);
  }

  /** Step 7b for an authenticated trap; learns from it when in the window. */
  check(engineId: string, boots: number, time: number): WindowVerdict {
    const now = this.nowSeconds();
    const known = this.engines.get(engineId);
    if (known) {
      const notion = known.time + (now - known.at);
      if (known.boots >= MAX_BOOTS || boots < known.boots || (boots === known.boots && time < notion - TIME_WINDOW_SECONDS)) return 'not_in_time_window';
      // Step 7b(1): update when the boots grew, or the time is later than the latest received.
      if (boots > known.boots || time > known.latest) {
        this.engines.delete(engineId);
        this.engines.set(engineId, { boots, time, at: now, latest: time });
        this.dirty = true;
      } else {
        this.engines.delete(engineId);
        this.engines.set(engineId, known);
      }
      return 'ok';
    }
    if (this.engines.size >= this.maxEngines) {
      const oldest = this.engines.keys().next().value;
      if (oldest !== undefined) this.engines.delete(oldest);
    }
    this.engines.set(engineId, { boots, time, at: now, latest: time });
    this.dirty = true;
    return 'ok';
  }
}

/** Step 7a for an authenticated inform against our own engine's boots and time. */
export function authoritativeCheck(local: { boots: number; time: number }, boots: number, time: number): WindowVerdict {
  if (local.boots >= MAX_BOOTS || boots !== local.boots || Math.abs(time - local.time) > TIME_WINDOW_SECONDS) return 'not_in_time_window';
  return 'ok';
}
