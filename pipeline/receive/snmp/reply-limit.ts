/**
 * Unsolicited answers — SNMPv3 engine discovery replies and USM Report PDUs to refused packets —
 * go to whatever source address a packet claims, which a spoofing attacker chooses: unlimited,
 * the receiver would reflect traffic at a victim. Each source gets a token bucket (`burst`
 * answers at once, `perSecond` after that); the table of sources is bounded (`maxSources`, the
 * least recently seen source is forgotten first). A packet over its source's budget is still
 * counted and logged by the caller; only the answer is withheld (a real sender retries).
 * Inform acknowledgements are not limited: they answer traps we keep.
 */
export interface ReplyLimitOptions {
  perSecond?: number;
  burst?: number;
  maxSources?: number;
  now?: () => number;
}

export class ReplyLimiter {
  private readonly perMs: number;
  private readonly burst: number;
  private readonly maxSources: number;
  private readonly now: () => number;
  /** Source → tokens left and when they were counted; insertion order = least recently seen first. */
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(opts: ReplyLimitOptions = {}) {
    this.perMs = (opts.perSecond ?? 20) / 1000;
    this.burst = opts.burst ?? 50;
    this.maxSources = opts.maxSources ?? 10_000;
    this.now = opts.now ?? Date.now;
  }

  /** May `source` be answered now? Takes one token when it may. */
  allow(source: string): boolean {
    const now = this.now();
    let b = this.buckets.get(source);
    if (b) {
      this.buckets.delete(source); // re-inserted below: most recently seen last
      b.tokens = Math.min(this.burst, b.tokens + (now - b.at) * this.perMs);
      b.at = now;
    } else {
      if (this.buckets.size >= this.maxSources) this.buckets.delete(this.buckets.keys().next().value!);
      b = { tokens: this.burst, at: now };
    }
    this.buckets.set(source, b);
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

  /** Sources currently tracked (bounded by maxSources). */
  get size(): number {
    return this.buckets.size;
  }
}
