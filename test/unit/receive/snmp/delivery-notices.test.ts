import type { ProducerRecord } from 'kafkajs';
import { DeliveryNotices } from '../../../../pipeline/receive/snmp/delivery';

describe('DeliveryNotices', () => {
  it('answers a message once Kafka acknowledged the request that carried it, and only once', async () => {
    const notices = new DeliveryNotices();
    const stored = { key: 'a', value: Buffer.from('one') };
    const other = { key: 'b', value: Buffer.from('two') };
    const calls: string[] = [];
    notices.track(stored, () => calls.push('stored'));
    notices.track(other, () => calls.push('other'));
    const send = notices.observe(async (_r: ProducerRecord) => 'ok');
    await send({ topic: 't', messages: [stored] });
    expect(calls).toEqual(['stored']);
    await send({ topic: 't', messages: [stored] });
    expect(calls).toEqual(['stored']);
  });

  it('answers nothing when the send fails (the sender retries what was not kept)', async () => {
    const notices = new DeliveryNotices();
    const m = { key: 'a', value: Buffer.from('x') };
    let answered = false;
    notices.track(m, () => { answered = true; });
    const send = notices.observe(async () => { throw new Error('broker down'); });
    await expect(send({ topic: 't', messages: [m] })).rejects.toThrow('broker down');
    expect(answered).toBe(false);
  });

  it('answers a message that was dead-lettered instead (settle), once', () => {
    const notices = new DeliveryNotices();
    const m = { key: 'a', value: Buffer.alloc(10) };
    let n = 0;
    notices.track(m, () => { n++; });
    notices.settle(m);
    notices.settle(m);
    expect(n).toBe(1);
  });
});
