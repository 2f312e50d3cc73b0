/**
 * Per-channel limits in the notifier: at most `maxConcurrent` deliveries at once and, optionally,
 * `maxPerMinute` (a token bucket refilled continuously, bursting to a tenth of a minute's share,
 * at least 1). A delivery over the limit waits its turn in this process; BullMQ's own concurrency
 * (notifier.concurrency) bounds how many can wait.
 */
export class ChannelLimiter {
  private active = 0;
  private readonly waiting: Array<() => void> = [];
  private tokens: number;
  private last: number;
  private readonly burst: number;

  constructor(private readonly maxConcurrent: number, private readonly maxPerMinute: number | undefined, private readonly now: () => number = Date.now, private readonly sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))) {
    this.burst = maxPerMinute ? Math.max(1, Math.floor(maxPerMinute / 10)) : 0;
    this.tokens = this.burst;
    this.last = now();
  }

  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.active >= this.maxConcurrent) await new Promise<void>((r) => this.waiting.push(r));
    this.active++;
    try {
      await this.take();
      return await fn();
    } finally {
      this.active--;
      this.waiting.shift()?.();
    }
  }

  private async take(): Promise<void> {
    if (!this.maxPerMinute) return;
    for (;;) {
      const t = this.now();
      this.tokens = Math.min(this.burst, this.tokens + ((t - this.last) * this.maxPerMinute) / 60_000);
      this.last = t;
      if (this.tokens >= 1) {
        this.tokens -= 1;
        return;
      }
      await this.sleep(Math.ceil(((1 - this.tokens) * 60_000) / this.maxPerMinute));
    }
  }
}
