import { EventEmitter } from 'node:events';
import type { Message, Producer } from 'kafkajs';
import type { Logger } from '../../pipeline/telemetry/logger';
import type { Metrics } from '../../pipeline/telemetry/metrics';
import { messageOf } from '../../pipeline/errors/catalog';
import { retryUntilSuccess } from '../../pipeline/delivery/retry';

export interface BatchingProducerOptions {
  topic: string;
  /** Messages per produce request. */
  maxBatch: number;
  /** Longest a message waits for its batch to fill. */
  maxDelayMs: number;
  /** At this many unacknowledged messages `saturated` turns true (TCP listeners pause reading). */
  maxPending: number;
  /** Label for metrics and logs. */
  stage: string;
  brokers: readonly string[];
}

/**
 * Batches messages into produce requests, one request in flight at a time so per-key order holds.
 * When Kafka is down the batch is retried forever with a log line per attempt; nothing is thrown
 * away. Callers look at `saturated` to apply backpressure and listen for 'drain' to resume.
 */
export class BatchingProducer extends EventEmitter<{ drain: [] }> {
  private queue: Message[] = [];
  private inFlight = 0;
  private timer: NodeJS.Timeout | null = null;
  private sending: Promise<void> | null = null;
  private wasSaturated = false;
  private readonly abort = new AbortController();

  constructor(
    private readonly producer: Producer,
    private readonly opts: BatchingProducerOptions,
    private readonly logger: Logger,
    private readonly metrics: Metrics,
  ) {
    super();
  }

  /** Messages handed to us that Kafka has not acknowledged yet. */
  get pending(): number {
    return this.queue.length + this.inFlight;
  }

  get saturated(): boolean {
    return this.pending >= this.opts.maxPending;
  }

  enqueue(message: Message): void {
    this.queue.push(message);
    this.metrics.pending.set({ stage: this.opts.stage }, this.pending);
    if (this.saturated) this.wasSaturated = true;
    if (this.queue.length >= this.opts.maxBatch) this.kick();
    else if (!this.timer) this.timer = setTimeout(() => this.kick(), this.opts.maxDelayMs);
  }

  /** Sends everything queued and resolves when Kafka has acknowledged it all. */
  async flush(): Promise<void> {
    while ((this.queue.length > 0 || this.sending) && !this.abort.signal.aborted) {
      this.kick();
      await this.sending;
    }
  }

  /** Stops retrying (on shutdown after a grace period); unsent messages are reported by the caller. */
  cancel(): void {
    this.abort.abort();
  }

  private kick(): void {
    if (this.timer) { clearTimeout(this.timer); this.timer = null; }
    if (this.sending || this.queue.length === 0) return;
    this.sending = this.sendLoop()
      .catch((err: unknown) => {
        // Only cancel() ends the loop with an error; the messages stay queued and `pending` says how many.
        this.logger.error({ held: this.pending }, `Stopped retrying Kafka produce on shutdown: ${messageOf(err)}`);
      })
      .finally(() => { this.sending = null; });
  }

  private async sendLoop(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, this.opts.maxBatch);
      this.inFlight = batch.length;
      let failures = 0;
      await retryUntilSuccess(() => this.producer.send({ topic: this.opts.topic, messages: batch, acks: -1 }), {
        what: 'Kafka produce',
        signal: this.abort.signal,
        onRetry: (attempt, err, delayMs) => {
          failures++;
          this.metrics.retries.inc({ service: 'kafka' });
          this.logger.warn(
            { attempt, delayMs, held: this.pending, topic: this.opts.topic },
            `Kafka at ${this.opts.brokers.join(',')} did not accept ${batch.length} messages (${messageOf(err)}); holding them and retrying.`,
          );
        },
      }).catch((err: unknown) => {
        // Only reachable after cancel(): put the batch back so the caller can count what is left.
        this.queue.unshift(...batch);
        this.inFlight = 0;
        throw err;
      });
      if (failures > 0) this.logger.info({ topic: this.opts.topic }, `Kafka accepted the held messages again after ${failures} retries.`);
      this.inFlight = 0;
      this.metrics.sent.inc({ stage: this.opts.stage }, batch.length);
      this.metrics.pending.set({ stage: this.opts.stage }, this.pending);
      if (this.wasSaturated && this.pending < this.opts.maxPending / 2) {
        this.wasSaturated = false;
        this.emit('drain');
      }
    }
  }
}
