import type { Kafka, Message, ProducerRecord } from 'kafkajs';
import type * as Platformatic from '@platformatic/kafka' with { 'resolution-mode': 'import' };
import type { Logger } from '../../pipeline/telemetry/logger';
import { RenewingProducer } from './idempotent';

/**
 * The one thing the receiver asks of a Kafka client: send a batch of records to one topic and
 * resolve once every in-sync replica has them (acks=all), idempotently (a request the client
 * retries after a lost answer is stored once). BatchingProducer, DeliveryNotices and the
 * readiness wrapper sit on top of it, whichever client is underneath.
 */
export interface RecordProducer {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  send(record: ProducerRecord): Promise<unknown>;
}

/**
 * Which client produces the receiver's raw envelopes (config kafka.producerClient). See
 * docs/decisions/0006-kafka-producer-client.md for the measurement behind the default.
 */
export type ProducerClientName = 'platformatic' | 'kafkajs';

export interface RecordProducerSettings {
  client: ProducerClientName;
  brokers: readonly string[];
  clientId: string;
}

/** The receiver's producer: idempotent, acks=all, no topic auto-creation, limited own retries. */
export function createRecordProducer(settings: RecordProducerSettings, kafka: Kafka, log: Logger): RecordProducer {
  if (settings.client === 'kafkajs') {
    // kafkajs cannot renew its producer id when the broker forgets it; RenewingProducer does.
    return new RenewingProducer(() => kafka.producer({ allowAutoTopicCreation: false, idempotent: true, maxInFlightRequests: 1, retry: { retries: 5 } }), log);
  }
  return new PlatformaticRecordProducer(settings);
}

/**
 * @platformatic/kafka behind the kafkajs ProducerRecord shape. Its idempotent producer keeps the
 * sequence numbers of a request across its own retries (the broker drops a copy it had stored)
 * and takes a new producer id by itself when the broker has forgotten the old one. After its few
 * retries it gives the error back, and BatchingProducer's loop retries for as long as Kafka is
 * away, logging each attempt — as with kafkajs.
 */
export class PlatformaticRecordProducer implements RecordProducer {
  readonly #producer: Platformatic.Producer<Buffer, Buffer, Buffer, Buffer>;

  constructor(settings: Omit<RecordProducerSettings, 'client'>) {
    const { Producer, compatibilityPartitioner } = platformatic();
    this.#producer = new Producer({
      clientId: settings.clientId,
      bootstrapBrokers: [...settings.brokers],
      idempotent: true,
      acks: -1,
      autocreateTopics: false,
      // Where BatchingProducer has not chosen the partition itself: murmur2 as kafkajs and the Java client do.
      partitioner: compatibilityPartitioner,
      retries: 5,
      retryDelay: 300,
      timeout: 5_000,
    });
  }

  async connect(): Promise<void> {
    // Connections are opened by the first send; nothing to wait for here.
  }

  async disconnect(): Promise<void> {
    await this.#producer.close();
  }

  readonly send = async (record: ProducerRecord): Promise<unknown> => {
    const messages = record.messages.map((m) => toPlatformatic(record.topic, m));
    try {
      return await this.#producer.send({ messages });
    } catch (err) {
      throw withKafkaType(err);
    }
  };
}

/**
 * The package is ES-module only; Node 24 loads it with require() (no top-level await in it).
 * Loaded on first use, so processes that keep kafkajs never load it.
 */
let loaded: typeof Platformatic | null = null;
function platformatic(): typeof Platformatic {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (loaded ??= require('@platformatic/kafka') as typeof Platformatic);
}

function toBuffer(v: Buffer | string | null | undefined): Buffer | undefined {
  if (v === null || v === undefined) return undefined;
  return typeof v === 'string' ? Buffer.from(v) : v;
}

function toPlatformatic(topic: string, m: Message): { topic: string; key?: Buffer; value?: Buffer; partition?: number; timestamp?: bigint; headers?: Map<Buffer, Buffer> } {
  const out: { topic: string; key?: Buffer; value?: Buffer; partition?: number; timestamp?: bigint; headers?: Map<Buffer, Buffer> } = { topic };
  const key = toBuffer(m.key);
  if (key) out.key = key;
  const value = toBuffer(m.value);
  if (value) out.value = value;
  if (m.partition !== undefined) out.partition = m.partition;
  if (m.timestamp !== undefined) out.timestamp = BigInt(m.timestamp);
  if (m.headers) {
    const headers = new Map<Buffer, Buffer>();
    for (const [k, v] of Object.entries(m.headers)) {
      const b = Array.isArray(v) ? toBuffer(v[0] as Buffer | string | undefined) : toBuffer(v as Buffer | string | undefined);
      if (b) headers.set(Buffer.from(k), b);
    }
    out.headers = headers;
  }
  return out;
}

/** Kafka error names the callers classify by (kafkajs' `type`), copied from the broker's answer. */
const CLASSIFIED = ['MESSAGE_TOO_LARGE', 'RECORD_LIST_TOO_LARGE', 'UNKNOWN_PRODUCER_ID', 'OUT_OF_ORDER_SEQUENCE_NUMBER', 'INVALID_PRODUCER_EPOCH'] as const;

/**
 * Gives a @platformatic/kafka error the kafkajs `type` of the broker error inside it, so
 * isMessageTooLarge (split or dead-letter, never retry) and the logs treat both clients alike.
 */
function withKafkaType(err: unknown): unknown {
  if (!(err instanceof Error)) return err;
  // "initProducerId failed 6 times." says little; the causes at the bottom say what happened.
  const causes = [...new Set(leafMessages(err))].filter((m) => m !== err.message);
  if (causes.length > 0) err.message = `${err.message.replace(/\.$/, '')}: ${causes.slice(0, 3).join('; ')}`;
  for (const id of CLASSIFIED) {
    if (platformatic().findErrorBy(err, 'apiId', id)) {
      (err as Error & { type?: string }).type = id === 'RECORD_LIST_TOO_LARGE' ? 'MESSAGE_TOO_LARGE' : id;
      break;
    }
  }
  return err;
}

/** The messages of the innermost errors under `err` (AggregateError members and causes). */
function leafMessages(err: unknown, depth = 0): string[] {
  if (!(err instanceof Error) || depth > 8) return [];
  const inner: unknown[] = [...(err instanceof AggregateError ? err.errors : []), ...(err.cause ? [err.cause] : [])];
  const below = inner.flatMap((e) => leafMessages(e, depth + 1));
  return below.length > 0 ? below : [err.message];
}
