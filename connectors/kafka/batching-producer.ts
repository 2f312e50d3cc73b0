import { EventEmitter } from 'node:events';
import type { Message, ProducerRecord } from 'kafkajs';
import type { Logger } from '../../pipeline/telemetry/logger';
import type { Metrics } from '../../pipeline/telemetry/metrics';
import type { DeadLetter } from '../../schemas/generated/types';
import { HaetaeError, messageOf } from '../../pipeline/errors/catalog';
import { retryUntilSuccess } from '../../pipeline/delivery/retry';
import { fitDeadLetter } from '../../pipeline/delivery/dead-letter-fit';
import { partitionForKey } from './murmur2';
import { DEFAULT_MAX_BATCH_BYTES, RECORD_OVERHEAD_BYTES, isMessageTooLarge, recordBytes, sendSplitting } from './byte-bound';

/** What the batching producer needs of a Kafka client (see record-producer.ts): one acks=all send. */
export interface RecordSender {
  send(record: ProducerRecord): Promise<unknown>;
}

export interface BatchingProducerOptions {
  topic: string;
  /** Messages per produce request. */
  maxBatch: number;
  /**
   * Bytes per produce request (keys, values and record framing; see byte-bound.ts), kept under
   * what the topic accepts. Default DEFAULT_MAX_BATCH_BYTES (kafka.maxBatchBytes' default).
   */
  maxBatchBytes?: number;
  /**
   * Where a message Kafka refuses as too large on its own goes, as a dead-letter record with its
   * first bytes. Without one, such a message is dropped — counted and logged, never retried.
   */
  dlqTopic?: string;
  /**
   * Called with the very message given to enqueue once its dead-letter record is stored: kept
   * (its first bytes, on the dead-letter topic), so an input that acknowledges its senders (an
   * SNMP inform, RELP, the HTTP input) answers it instead of waiting for a store that never comes.
   */
  onDeadLettered?: (message: Message) => void;
  /** Longest a message waits for its batch to fill. */
  maxDelayMs: number;
  /** At this many unacknowledged messages `saturated` turns true (TCP listeners pause reading). */
  maxPending: number;
  /**
   * At this many bytes of unacknowledged messages (see recordBytes) `saturated` turns true too:
   * counting messages alone lets a flood of maximum-size datagrams hold gigabytes. Default: none.
   */
  maxPendingBytes?: number;
  /**
   * Partitions of `topic`. When known, each batch is sent as one request per partition, in
   * parallel, so a partition that fails is retried alone: the others' messages, which Kafka has
   * stored, are not sent (and stored) again. Messages get the partition kafkajs' default
   * partitioner would give them (murmur2 of the key, as the Java client). Without it the batch
   * goes as one request, and a retry after a partial failure repeats the healthy partitions.
   */
  partitions?: number;
  /** First wait before retrying a failed send (doubling up to 30 s). Default 500 ms. */
  retryInitialDelayMs?: number;
  /** Label for metrics and logs, and the stage of its dead letters. */
  stage: DeadLetter['stage'];
  brokers: readonly string[];
}

/**
 * Batches messages into produce requests bounded in count and bytes, one request in flight at a
 * time so per-key order holds. When Kafka is down the batch is retried forever with a log line
 * per attempt; nothing is thrown away. What no retry can fix is not retried: a batch Kafka refuses
 * as too large is split in halves, and a single message it refuses is dead-lettered (see
 * sendSplitting). Callers look at `saturated` to apply backpressure and listen for 'drain'.
 */
export class BatchingProducer extends EventEmitter<{ drain: [] }> {
  private queue: Message[] = [];
  private queuedBytes = 0;
  private inFlight = 0;
  private inFlightBytes = 0;
  private timer: NodeJS.Timeout | null = null;
  private sending: Promise<void> | null = null;
  private wasSaturated = false;
  private readonly abort = new AbortController();
  /** Lowered when Kafka refuses a batch under it: the topic accepts less than we were told. */
  private maxBatchBytes: number;
  private readonly partitionOf: ((message: Message) => number) | null;

  constructor(
    private readonly producer: RecordSender,
    private readonly opts: BatchingProducerOptions,
    private readonly logger: Logger,
    private readonly metrics: Metrics,
  ) {
    super();
    this.maxBatchBytes = opts.maxBatchBytes ?? DEFAULT_MAX_BATCH_BYTES;
    this.partitionOf = opts.partitions ? partitionerFor(opts.partitions) : null;
  }

  /** Messages handed to us that Kafka has not acknowledged yet. */
  get pending(): number {
    return this.queue.length + this.inFlight;
  }

  /** Bytes of the messages handed to us that Kafka has not acknowledged yet (see recordBytes). */
  get pendingBytes(): number {
    return this.queuedBytes + this.inFlightBytes;
  }

  get saturated(): boolean {
    return this.pending >= this.opts.maxPending || (this.opts.maxPendingBytes !== undefined && this.pendingBytes >= this.opts.maxPendingBytes);
  }

  /** Below half of both limits again: time to resume what `saturated` paused. */
  private get drained(): boolean {
    return this.pending < this.opts.maxPending / 2 && (this.opts.maxPendingBytes === undefined || this.pendingBytes < this.opts.maxPendingBytes / 2);
  }

  enqueue(message: Message): void {
    this.queue.push(message);
    this.queuedBytes += recordBytes(message);
    this.metrics.pending.set({ stage: this.opts.stage }, this.pending);
    if (this.saturated) this.wasSaturated = true;
    if (this.queue.length >= this.opts.maxBatch || this.queuedBytes >= this.maxBatchBytes) this.kick();
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

  /** The next batch off the queue: up to maxBatch messages and maxBatchBytes (one message at least). */
  private takeBatch(): Message[] {
    let n = 0;
    let bytes = 0;
    while (n < this.queue.length && n < this.opts.maxBatch) {
      const size = recordBytes(this.queue[n]!);
      if (n > 0 && bytes + size > this.maxBatchBytes) break;
      bytes += size;
      n++;
    }
    this.queuedBytes -= bytes;
    return this.queue.splice(0, n);
  }

  private async sendLoop(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.takeBatch();
      this.inFlight = batch.length;
      this.inFlightBytes = batch.reduce((n, m) => n + recordBytes(m), 0);
      let failures = 0;
      /** Messages Kafka acknowledged (or that were dead-lettered): never sent again. */
      const done = new Set<Message>();
      const settle = (m: Message): void => {
        done.add(m);
        this.inFlight--;
        this.inFlightBytes -= recordBytes(m);
      };
      try {
        // One request per partition, in parallel: a failure is then a failure of that partition
        // only, and its retry carries only its own messages (the same ones, in the same order, so
        // the idempotent producer's broker-side check recognises a batch that was stored after
        // all). The next batch waits for every partition of this one, so per-key order holds.
        const outcomes = await Promise.allSettled(this.byPartition(batch).map((messages) => sendSplitting(messages, {
          send: (chunk) => retryUntilSuccess(() => this.producer.send({ topic: this.opts.topic, messages: chunk, acks: -1 }), {
            what: 'Kafka produce',
            signal: this.abort.signal,
            isPermanent: isMessageTooLarge,
            ...(this.opts.retryInitialDelayMs !== undefined ? { initialDelayMs: this.opts.retryInitialDelayMs } : {}),
            onRetry: (attempt, err, delayMs) => {
              failures++;
              this.metrics.retries.inc({ service: 'kafka' });
              const where = chunk[0]?.partition === undefined ? '' : ` for partition ${chunk[0].partition}`;
              this.logger.warn(
                { attempt, delayMs, held: this.pending, topic: this.opts.topic, partition: chunk[0]?.partition },
                `Kafka at ${this.opts.brokers.join(',')} did not accept ${chunk.length} messages${where} (${messageOf(err)}); holding them and retrying.`,
              );
            },
          }).then(() => undefined),
          sent: (chunk) => {
            for (const m of chunk) settle(m);
            this.metrics.sent.inc({ stage: this.opts.stage }, chunk.length);
          },
          split: (chunk) => this.lowerBound(chunk),
          refused: async (message) => {
            await this.refused(message);
            settle(message);
          },
        })));
        // Every partition has settled before anything is put back (cancel() ends them all).
        const failed = outcomes.find((o) => o.status === 'rejected');
        if (failed) throw failed.reason;
      } catch (err) {
        // Only reachable after cancel(): put back what Kafka has not taken so the caller can count it.
        const rest = batch.filter((m) => !done.has(m));
        this.queue.unshift(...rest);
        for (const m of rest) this.queuedBytes += recordBytes(m);
        this.inFlight = 0;
        this.inFlightBytes = 0;
        throw err;
      }
      if (failures > 0) this.logger.info({ topic: this.opts.topic }, `Kafka accepted the held messages again after ${failures} retries.`);
      this.inFlight = 0;
      this.inFlightBytes = 0;
      this.metrics.pending.set({ stage: this.opts.stage }, this.pending);
      if (this.wasSaturated && this.drained) {
        this.wasSaturated = false;
        this.emit('drain');
      }
    }
  }

  /** The batch in one group per partition (each in order, with its partition set), or whole. */
  private byPartition(batch: Message[]): Message[][] {
    if (!this.partitionOf) return [batch];
    const groups = new Map<number, Message[]>();
    for (const m of batch) {
      const partition = m.partition ?? this.partitionOf(m);
      m.partition = partition;
      let group = groups.get(partition);
      if (!group) groups.set(partition, (group = []));
      group.push(m);
    }
    return [...groups.values()];
  }

  /**
   * Kafka refused a batch as too large although it was under our bound: the topic accepts less
   * than we were told (its limit changed, or could not be read at start-up). Halve the bound to
   * the refused batch's size so that later batches are not refused and split all over again; it
   * stays above half of the real limit, as only batches over that limit are refused.
   */
  private lowerBound(chunk: readonly Message[]): void {
    const bytes = chunk.reduce((n, m) => n + recordBytes(m), 0);
    const lowered = Math.floor(bytes / 2);
    if (lowered >= this.maxBatchBytes) return;
    this.maxBatchBytes = lowered;
    this.logger.warn({ topic: this.opts.topic, bytes, maxBatchBytes: lowered }, `Kafka refused a batch of ${chunk.length} messages (${bytes} bytes) for ${this.opts.topic} as too large; sending it in halves and bounding batches at ${lowered} bytes from now on (raise the topic's max.message.bytes or lower kafka.maxBatchBytes).`);
  }

  /** One message Kafka will not take however it is sent: dead-letter it (its first bytes) or count it dropped. */
  private async refused(message: Message): Promise<void> {
    const size = message.value ? Buffer.byteLength(message.value) : 0;
    const reason = new HaetaeError('HAETAE_KAFKA_TOO_LARGE', [size, this.opts.topic]).message;
    const key = message.key === null || message.key === undefined ? null : message.key.toString();
    if (this.opts.dlqTopic) {
      const record: DeadLetter = {
        v: 1,
        stage: this.opts.stage,
        code: 'HAETAE_KAFKA_TOO_LARGE',
        reason,
        failedAt: new Date().toISOString(),
        origin: { topic: this.opts.topic, key },
        raw: Buffer.from(message.value ?? '').toString('base64'),
      };
      const room = this.maxBatchBytes - RECORD_OVERHEAD_BYTES - (key ? Buffer.byteLength(key) : 0);
      const value = fitDeadLetter(record, room);
      try {
        await retryUntilSuccess(() => this.producer.send({ topic: this.opts.dlqTopic!, messages: [{ key, value }], acks: -1 }), {
          what: 'dead-letter produce',
          signal: this.abort.signal,
          isPermanent: isMessageTooLarge,
          onRetry: (attempt, e, delayMs) => {
            this.metrics.retries.inc({ service: 'kafka' });
            this.logger.warn({ attempt, delayMs, topic: this.opts.dlqTopic }, `Kafka did not take a dead-letter record (${messageOf(e)}); retrying.`);
          },
        });
        this.metrics.deadLettered.inc({ stage: this.opts.stage, error_type: 'HAETAE_KAFKA_TOO_LARGE' });
        this.logger.warn({ topic: this.opts.topic, key, bytes: size, dlqTopic: this.opts.dlqTopic }, `${reason}; dead-lettered to ${this.opts.dlqTopic}${value.length < size ? ' with its first bytes' : ''}.`);
        this.opts.onDeadLettered?.(message);
        return;
      } catch (e) {
        if (!isMessageTooLarge(e)) throw e;
      }
    }
    this.metrics.dropped.inc({ stage: this.opts.stage, reason: 'too_large' });
    this.logger.error({ topic: this.opts.topic, key, bytes: size }, `${reason}; it is lost${this.opts.dlqTopic ? ` (the dead-letter topic ${this.opts.dlqTopic} refused it too)` : ' (no dead-letter topic)'}.`);
  }
}

/**
 * The partition kafkajs' default partitioner would give a message on a topic of `partitions`
 * partitions (murmur2 of the key modulo the count, as the Java client; keyless messages round
 * robin): choosing it ourselves changes nothing about where a key lands, it only lets us send each
 * partition apart.
 */
function partitionerFor(partitions: number): (message: Message) => number {
  let next = Math.floor(Math.random() * partitions);
  return (message) => {
    if (message.key === null || message.key === undefined) return (next = (next + 1) % partitions);
    return partitionForKey(message.key, partitions);
  };
}
