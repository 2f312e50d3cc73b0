import { KafkaJSNonRetriableError, KafkaJSProtocolError, type Producer, type ProducerRecord } from 'kafkajs';
import pino from 'pino';
import { RenewingProducer, isProducerStateLost } from '../../../connectors/kafka/idempotent';

const lost = (): Error => new KafkaJSProtocolError({ type: 'UNKNOWN_PRODUCER_ID', code: 59, retriable: false, message: 'unknown producer' } as unknown as Error);

describe('RenewingProducer', () => {
  it('recognises lost producer state however kafkajs wrapped it', () => {
    expect(isProducerStateLost(lost())).toBe(true);
    expect(isProducerStateLost(Object.assign(new KafkaJSNonRetriableError(lost()), { cause: lost() }))).toBe(true);
    expect(isProducerStateLost(new Error('UNKNOWN_PRODUCER_ID'))).toBe(false);
  });

  it('replaces a producer the broker no longer knows, so the retry goes through a new one', async () => {
    const made: Array<{ sends: number; connected: boolean }> = [];
    const create = (): Producer => {
      const me = { sends: 0, connected: false };
      const n = made.push(me);
      return {
        connect: async () => { me.connected = true; },
        disconnect: async () => { me.connected = false; },
        send: async (_r: ProducerRecord) => { me.sends++; if (n === 1) throw lost(); return []; },
      } as unknown as Producer;
    };
    const p = new RenewingProducer(create, pino({ level: 'silent' }));
    await p.connect();
    await expect(p.send({ topic: 't', messages: [{ value: 'a' }] })).rejects.toThrow();
    await p.send({ topic: 't', messages: [{ value: 'a' }] });
    expect(made.map((m) => m.sends)).toEqual([1, 1]);
    expect(made.map((m) => m.connected)).toEqual([false, true]);
  });
});
