import { randomUUID } from 'node:crypto';
import pino from 'pino';
import { Metrics } from '../../pipeline/telemetry/metrics';

/** Addresses of the real services (the stack, or whatever the env points at). */
export const services = {
  kafkaBrokers: (process.env.HAETAE_KAFKA_BROKERS ?? '127.0.0.1:9092').split(','),
  elasticsearchUrl: process.env.HAETAE_ELASTICSEARCH_URL ?? 'http://127.0.0.1:9200',
  redisUrl: process.env.HAETAE_REDIS_URL ?? 'redis://127.0.0.1:6379',
};

/** The events data stream every test writes to (see test/integration/elasticsearch/bulk.test.ts). */
export const TEST_DATA_STREAM = 'logs-haetae.syslog-test';
/** Every events stream of the test configuration (one per dataset family: logs-haetae.<module>-test). */
export const TEST_EVENT_STREAMS = 'logs-haetae.*-test';

/** A name no other test (or earlier run) uses: topics, data streams, queues, groups. */
export function uniqueName(prefix: string): string {
  return `${prefix}${randomUUID().replace(/-/g, '').slice(0, 12)}`;
}

export function quietLogger(): pino.Logger {
  return pino({ level: process.env.HAETAE_TEST_LOG_LEVEL ?? 'silent' });
}

export function freshMetrics(): Metrics {
  return new Metrics();
}

/** Polls until `check` returns a value (not undefined) or the time runs out. */
export async function eventually<T>(check: () => Promise<T | undefined>, what: string, timeoutMs = 20_000, intervalMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${String(last)})` : ''}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
