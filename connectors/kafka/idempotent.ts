import type { Producer, ProducerRecord, RecordMetadata } from 'kafkajs';
import type { Logger } from '../../pipeline/telemetry/logger';
import { messageOf } from '../../pipeline/errors/catalog';

/**
 * Broker answers meaning it no longer knows this idempotent producer's id or sequence numbers:
 * its state expired (producer.id.expiration.ms, a day by default, or its records left the log)
 * or a batch before was lost. kafkajs treats them as permanent and cannot renew its producer id
 * (reconnecting keeps the old one), so a retry with the same producer would fail forever.
 */
const STATE_LOST = new Set(['UNKNOWN_PRODUCER_ID', 'OUT_OF_ORDER_SEQUENCE_NUMBER', 'INVALID_PRODUCER_EPOCH']);

export function isProducerStateLost(err: unknown, depth = 0): boolean {
  if (!err || typeof err !== 'object' || depth > 5) return false;
  const e = err as { type?: unknown; cause?: unknown; errors?: unknown; originalError?: unknown };
  if (typeof e.type === 'string' && STATE_LOST.has(e.type)) return true;
  if (Array.isArray(e.errors) && e.errors.some((x) => isProducerStateLost(x, depth + 1))) return true;
  return isProducerStateLost(e.cause, depth + 1) || isProducerStateLost(e.originalError, depth + 1);
}

/**
 * An idempotent kafkajs producer that is replaced by a new one (a new producer id, sequences from
 * zero) when the broker has lost its state; the failed send is still thrown, so the caller's retry
 * loop sends it again through the new producer. That one retry is not deduplicated by the broker
 * (the worker recognises a copy by its envelope id).
 */
export class RenewingProducer {
  #current: Producer;
  #renewing: Promise<void> | null = null;

  constructor(private readonly create: () => Producer, private readonly log: Logger) {
    this.#current = create();
  }

  connect(): Promise<void> {
    return this.#current.connect();
  }

  disconnect(): Promise<void> {
    return this.#current.disconnect();
  }

  readonly send = async (record: ProducerRecord): Promise<RecordMetadata[]> => {
    if (this.#renewing) await this.#renewing;
    const producer = this.#current;
    try {
      return await producer.send(record);
    } catch (err) {
      if (isProducerStateLost(err) && producer === this.#current) {
        this.log.warn({ topic: record.topic }, `Kafka no longer knows this producer (${messageOf(err)}); starting a new idempotent producer and sending again.`);
        this.#renewing ??= this.renew(producer).finally(() => { this.#renewing = null; });
        await this.#renewing;
      }
      throw err;
    }
  };

  private async renew(old: Producer): Promise<void> {
    const fresh = this.create();
    await fresh.connect();
    this.#current = fresh;
    await old.disconnect().catch(() => undefined);
  }
}
