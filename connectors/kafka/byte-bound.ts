import type { Message } from 'kafkajs';

/**
 * Default bound of one produce request (kafka.maxBatchBytes): 900 KiB, under the broker's default
 * message.max.bytes of 1,048,588. Kafka checks that limit per partition batch and refuses a batch
 * over it with MESSAGE_TOO_LARGE, which no retry can fix; kafkajs sends each broker one request
 * holding every partition's batch, so bounding the whole request bounds each batch in it.
 */
export const DEFAULT_MAX_BATCH_BYTES = 921_600;

/**
 * Framing of one record in a v2 record batch, at most: length, attributes, timestamp and offset
 * deltas, key and value lengths (varints), header count. Counted so that a thousand tiny
 * messages cannot overshoot a bound meant for keys and values.
 */
export const RECORD_OVERHEAD_BYTES = 32;

/** What one message adds to a produce request. */
export function recordBytes(message: Message): number {
  let n = RECORD_OVERHEAD_BYTES + sizeOf(message.key) + sizeOf(message.value);
  for (const [k, v] of Object.entries(message.headers ?? {})) {
    n += RECORD_OVERHEAD_BYTES + Buffer.byteLength(k);
    for (const one of Array.isArray(v) ? v : [v]) n += sizeOf(one);
  }
  return n;
}

function sizeOf(v: Buffer | string | null | undefined): number {
  if (v === null || v === undefined) return 0;
  return typeof v === 'string' ? Buffer.byteLength(v) : v.length;
}

/**
 * Splits messages, in order, into chunks of at most `maxMessages` and `maxBytes`. A message over
 * `maxBytes` on its own goes alone: Kafka decides whether it fits, and if it does not, only that
 * message is refused (see sendSplitting).
 */
export function chunkByBytes<T extends Message>(messages: readonly T[], maxBytes: number, maxMessages = Infinity): T[][] {
  const chunks: T[][] = [];
  let chunk: T[] = [];
  let bytes = 0;
  for (const m of messages) {
    const size = recordBytes(m);
    if (chunk.length > 0 && (bytes + size > maxBytes || chunk.length >= maxMessages)) {
      chunks.push(chunk);
      chunk = [];
      bytes = 0;
    }
    chunk.push(m);
    bytes += size;
  }
  if (chunk.length > 0) chunks.push(chunk);
  return chunks;
}

/**
 * Kafka's MESSAGE_TOO_LARGE, however kafkajs wrapped it: a KafkaJSProtocolError, possibly inside
 * a KafkaJSNonRetriableError or KafkaJSNumberOfRetriesExceeded (`cause`) or an aggregate (`errors`).
 */
export function isMessageTooLarge(err: unknown, depth = 0): boolean {
  if (!err || typeof err !== 'object' || depth > 5) return false;
  const e = err as { type?: unknown; cause?: unknown; errors?: unknown; originalError?: unknown };
  if (e.type === 'MESSAGE_TOO_LARGE') return true;
  if (Array.isArray(e.errors) && e.errors.some((x) => isMessageTooLarge(x, depth + 1))) return true;
  return isMessageTooLarge(e.cause, depth + 1) || isMessageTooLarge(e.originalError, depth + 1);
}

export interface SplitSendHandlers<T extends Message> {
  /**
   * Sends one chunk and resolves when Kafka acknowledged it. Transient failures are retried in
   * here; MESSAGE_TOO_LARGE must be thrown at once (retryUntilSuccess' isPermanent).
   */
  send(chunk: T[]): Promise<void>;
  /** Kafka acknowledged `chunk`. */
  sent(chunk: T[]): void;
  /** Kafka refused this message alone as too large: dead-letter or drop it, and count it. */
  refused(message: T, err: unknown): Promise<void>;
  /** Kafka refused `chunk` (more than one message) as too large; it is sent again in halves. */
  split?(chunk: T[]): void;
}

/**
 * Sends messages in order; a chunk Kafka refuses as too large (the topic accepts less than we
 * thought) is sent again as two halves, and a single message it refuses is handed to `refused`,
 * so one oversized message never holds up the ones after it. Other errors propagate.
 *
 * Halving keeps per-key order: the first half is acknowledged before the second is sent. A chunk
 * over several partitions that Kafka refused in part may have been appended in its other
 * partitions, which the halves then repeat; the batching producer therefore sends one partition
 * per chunk when it knows the partition count (BatchingProducerOptions.partitions).
 */
export async function sendSplitting<T extends Message>(messages: T[], h: SplitSendHandlers<T>): Promise<void> {
  try {
    await h.send(messages);
  } catch (err) {
    if (!isMessageTooLarge(err)) throw err;
    if (messages.length === 1) {
      await h.refused(messages[0]!, err);
      return;
    }
    h.split?.(messages);
    const half = Math.ceil(messages.length / 2);
    await sendSplitting(messages.slice(0, half), h);
    await sendSplitting(messages.slice(half), h);
    return;
  }
  h.sent(messages);
}
