import type { Message, ProducerRecord } from 'kafkajs';

/**
 * Tells a caller when Kafka has acknowledged one particular message the BatchingProducer sent:
 * wraps the producer's `send`, and after each successful request calls the callbacks registered
 * for the messages in it. The BatchingProducer passes the very Message objects it was given down
 * to `send` (it sets their partition in place), so identity is enough; a WeakMap keeps nothing
 * alive. Used to answer an SNMP inform only once its envelope is stored (acks=all).
 */
export class DeliveryNotices {
  private readonly waiting = new WeakMap<Message, () => void>();

  track(message: Message, onDelivered: () => void): void {
    this.waiting.set(message, onDelivered);
  }

  /** The message was kept another way (dead-lettered): its sender is answered as if it was stored. */
  settle(message: Message): void {
    const done = this.waiting.get(message);
    if (!done) return;
    this.waiting.delete(message);
    done();
  }

  observe<R>(send: (record: ProducerRecord) => Promise<R>): (record: ProducerRecord) => Promise<R> {
    return async (record) => {
      const result = await send(record);
      for (const m of record.messages) {
        const done = this.waiting.get(m);
        if (done) {
          this.waiting.delete(m);
          done();
        }
      }
      return result;
    };
  }
}
