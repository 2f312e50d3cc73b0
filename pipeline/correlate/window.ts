/**
 * The running aggregate of a group's current window: the first `n` buffered entries, those with
 * event time in [start, start + timespan). Kept up to date as entries arrive, so deciding whether
 * a window fires costs O(1) per event instead of a pass over the window: a password-spraying
 * value_count window with a million failed logins would otherwise cost a million steps per event.
 *
 * - event_count: n.
 * - value_count: distinct values, from a count per value (so a value leaving the window can be
 *   taken out).
 * - temporal: distinct referenced rules, from a count per rule.
 * - value_sum / value_avg: running sum and count of numeric values.
 * - temporal_ordered: the greedy ordered-prefix length; an entry appended at the window's end
 *   advances it in O(1); an entry inserted out of order, or one leaving the window, makes it
 *   recomputed on the next read (rare: late arrivals, closed windows).
 * - value_percentile: read from the window when decided (it is decided once, at close).
 *
 * `aggregate()` (aggregate.ts) is the reference; a property test checks both agree.
 */
import { aggregate } from './aggregate';
import type { Entry } from './entries';
import type { CorrelationRule } from './model';

export class WindowAggregate {
  n = 0;
  end: number;
  private readonly counts: Map<string | number, number> | null;
  private sum = 0;
  private numbers = 0;
  private ordered = 0;
  private orderedStale = false;

  constructor(private readonly rule: CorrelationRule, entries: readonly Entry[], public start: number) {
    this.end = start + rule.timespan.ms;
    this.counts = rule.type === 'value_count' || rule.type === 'temporal' ? new Map() : null;
    while (this.n < entries.length && entries[this.n]!.t < this.end) this.add(entries[this.n]!, true);
  }

  /**
   * Takes in an entry just inserted at `index` of the buffer with t in [start, end).
   * `index === n` means it sorts after every entry of the window (the usual, in-order case).
   */
  add(e: Entry, atEnd: boolean): void {
    this.n++;
    switch (this.rule.type) {
      case 'value_count':
        if (typeof e.v === 'string') this.counts!.set(e.v, (this.counts!.get(e.v) ?? 0) + 1);
        break;
      case 'temporal':
        this.counts!.set(e.r, (this.counts!.get(e.r) ?? 0) + 1);
        break;
      case 'temporal_ordered':
        if (!atEnd) this.orderedStale = true;
        else if (!this.orderedStale && this.ordered < this.rule.rules.length && e.r === this.ordered) this.ordered++;
        break;
      case 'value_sum':
      case 'value_avg':
        if (typeof e.v === 'number') {
          this.sum += e.v;
          this.numbers++;
        }
        break;
      default:
        break;
    }
  }

  /**
   * The buffer's first entry `removed` was taken out (the window closed without firing): the
   * window now starts at the next entry, and the entries its later end reaches join it.
   */
  slide(removed: Entry, entries: readonly Entry[]): void {
    this.n--;
    switch (this.rule.type) {
      case 'value_count':
      case 'temporal': {
        const k = this.rule.type === 'temporal' ? removed.r : removed.v;
        if (typeof k === 'string' || typeof k === 'number') {
          const c = (this.counts!.get(k) ?? 0) - 1;
          if (c > 0) this.counts!.set(k, c);
          else this.counts!.delete(k);
        }
        break;
      }
      case 'temporal_ordered':
        this.orderedStale = true;
        break;
      case 'value_sum':
      case 'value_avg':
        if (typeof removed.v === 'number') {
          this.sum -= removed.v;
          this.numbers--;
        }
        break;
      default:
        break;
    }
    const first = entries[0];
    if (!first) return;
    this.start = first.t;
    this.end = first.t + this.rule.timespan.ms;
    while (this.n < entries.length && entries[this.n]!.t < this.end) this.add(entries[this.n]!, true);
  }

  /** The window's aggregate, as aggregate(rule, entries, n) computes it. */
  value(entries: readonly Entry[]): number {
    switch (this.rule.type) {
      case 'event_count':
        return this.n;
      case 'value_count':
      case 'temporal':
        return this.counts!.size;
      case 'temporal_ordered':
        if (this.orderedStale) {
          this.ordered = aggregate(this.rule, entries, this.n);
          this.orderedStale = false;
        }
        return this.ordered;
      case 'value_sum':
        return this.sum;
      case 'value_avg':
        return this.numbers === 0 ? Number.NaN : this.sum / this.numbers;
      case 'value_percentile':
        return aggregate(this.rule, entries, this.n);
    }
  }
}
