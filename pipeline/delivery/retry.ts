import { setTimeout as sleep } from 'node:timers/promises';

export interface RetryOptions {
  /** What is being retried, for the log line: "Elasticsearch bulk", "Kafka produce". */
  what: string;
  initialDelayMs?: number;
  maxDelayMs?: number;
  /** Stop retrying (and rethrow the last error) once this is aborted, e.g. on shutdown. */
  signal?: AbortSignal;
  /** Called before each wait with the attempt number, the error and the delay. */
  onRetry: (attempt: number, err: unknown, delayMs: number) => void;
  /** Errors for which retrying cannot help; they are rethrown at once. */
  isPermanent?: (err: unknown) => boolean;
}

/**
 * Retries an operation against an outside service until it succeeds, with exponential backoff
 * and jitter. Used where giving up would lose data: the caller holds the data (and does not
 * commit offsets) while the service is down, and says so in the log on every retry.
 */
export async function retryUntilSuccess<T>(op: () => Promise<T>, opts: RetryOptions): Promise<T> {
  const initial = opts.initialDelayMs ?? 500;
  const max = opts.maxDelayMs ?? 30_000;
  for (let attempt = 1; ; attempt++) {
    try {
      return await op();
    } catch (err) {
      if (opts.isPermanent?.(err) || opts.signal?.aborted) throw err;
      const base = Math.min(max, initial * 2 ** Math.min(attempt - 1, 20));
      const delay = Math.round(base / 2 + Math.random() * (base / 2));
      opts.onRetry(attempt, err, delay);
      try {
        await sleep(delay, undefined, opts.signal ? { signal: opts.signal } : undefined);
      } catch {
        throw err;
      }
    }
  }
}
