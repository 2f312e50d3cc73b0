import { HaetaeError } from '../errors/catalog';
import { envelopeRecordBytes, largestMessageFor } from '../envelope/envelope';

/**
 * Refuses a receiver.maxMessageBytes whose raw-topic record could not be produced: Kafka would
 * refuse every message near that size. `limit` is what one record may take (kafka.maxBatchBytes
 * from the config, or less when the topic accepts less), `limitName` says where it comes from.
 */
export function checkMessageFitsKafka(maxMessageBytes: number, limit: number, limitName: string, file: string | null): void {
  const record = envelopeRecordBytes(maxMessageBytes);
  if (record <= limit) return;
  throw new HaetaeError('HAETAE_CONFIG_INVALID', [
    file ?? '(defaults)',
    `/receiver/maxMessageBytes: ${maxMessageBytes} bytes make Kafka records of up to ${record} bytes (the message travels in base64), over ${limitName} (${limit}); set it to at most ${largestMessageFor(limit)}, or raise that limit`,
  ]);
}
