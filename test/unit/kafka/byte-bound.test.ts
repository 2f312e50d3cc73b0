import { KafkaJSAggregateError, KafkaJSConnectionError, KafkaJSNonRetriableError, KafkaJSProtocolError, type Message } from 'kafkajs';
import { RECORD_OVERHEAD_BYTES, chunkByBytes, isMessageTooLarge, recordBytes, sendSplitting } from '../../../connectors/kafka/byte-bound';

// What kafkajs throws for error code 10 (src/protocol/error.js), as the broker's answer arrives.
const tooLarge = (): KafkaJSProtocolError =>
  new KafkaJSProtocolError({ type: 'MESSAGE_TOO_LARGE', code: 10, retriable: false, message: 'The request included a message larger than the max message size the server will accept' } as unknown as Error);

// kafkajs' retrier rethrows a non-retriable error as `new KafkaJSNonRetriableError(e, { cause: e })`.
const wrapped = (e: Error): KafkaJSNonRetriableError => Object.assign(new KafkaJSNonRetriableError(e), { cause: e });

const msg = (value: string, key: string | null = 'k'): Message => ({ key, value: Buffer.from(value) });

describe('byte-bounded produce requests', () => {
  it('counts keys, values and record framing', () => {
    expect(recordBytes(msg('hello'))).toBe(RECORD_OVERHEAD_BYTES + 1 + 5);
    expect(recordBytes({ key: null, value: 'é' })).toBe(RECORD_OVERHEAD_BYTES + 2);
    expect(recordBytes({ key: null, value: null })).toBe(RECORD_OVERHEAD_BYTES);
  });

  it('chunks in order under the byte and count bounds, a message over the bound alone', () => {
    const each = recordBytes(msg('x'.repeat(100)));
    const ms = Array.from({ length: 10 }, (_, i) => msg(String(i).repeat(100)));
    expect(chunkByBytes(ms, each * 3).map((c) => c.length)).toEqual([3, 3, 3, 1]);
    expect(chunkByBytes(ms, each * 3, 2).map((c) => c.length)).toEqual([2, 2, 2, 2, 2]);
    expect(chunkByBytes(ms, each * 3).flat()).toEqual(ms);
    const big = msg('b'.repeat(10 * each));
    expect(chunkByBytes([ms[0]!, big, ms[1]!], each * 3)).toEqual([[ms[0]], [big], [ms[1]]]);
    expect(chunkByBytes([], 100)).toEqual([]);
  });

  it('recognises MESSAGE_TOO_LARGE however kafkajs wrapped it, and nothing else', () => {
    expect(isMessageTooLarge(tooLarge())).toBe(true);
    expect(isMessageTooLarge(wrapped(tooLarge()))).toBe(true);
    expect(isMessageTooLarge(wrapped(wrapped(tooLarge())))).toBe(true);
    expect(isMessageTooLarge(new KafkaJSAggregateError('several', [new Error('other'), tooLarge()]))).toBe(true);
    expect(isMessageTooLarge(new KafkaJSConnectionError('Connection error: ECONNREFUSED'))).toBe(false);
    expect(isMessageTooLarge(new Error('MESSAGE_TOO_LARGE'))).toBe(false);
    expect(isMessageTooLarge(null)).toBe(false);
    const loop: { cause?: unknown } = {};
    loop.cause = loop;
    expect(isMessageTooLarge(loop)).toBe(false);
  });

  it('sends a refused batch again in halves, in order, and hands back only the message too large alone', async () => {
    const limit = 4;
    const ms = ['a', 'b', 'c', 'HUGE', 'd', 'e', 'f'].map((v) => msg(v));
    const sent: string[][] = [];
    const refused: string[] = [];
    const splits: number[] = [];
    await sendSplitting(ms, {
      // A "broker" that refuses more than `limit` messages, or any message named HUGE.
      send: async (chunk) => {
        if (chunk.length > limit || chunk.some((m) => m.value!.toString() === 'HUGE')) throw wrapped(tooLarge());
      },
      sent: (chunk) => sent.push(chunk.map((m) => m.value!.toString())),
      refused: async (m) => { refused.push(m.value!.toString()); },
      split: (chunk) => splits.push(chunk.length),
    });
    expect(sent.flat()).toEqual(['a', 'b', 'c', 'd', 'e', 'f']);
    expect(refused).toEqual(['HUGE']);
    expect(splits[0]).toBe(7);
  });

  it('lets other errors through (the caller holds the batch)', async () => {
    await expect(sendSplitting([msg('a'), msg('b')], { send: async () => { throw new Error('aborted'); }, sent: () => undefined, refused: async () => undefined }))
      .rejects.toThrow('aborted');
  });
});
