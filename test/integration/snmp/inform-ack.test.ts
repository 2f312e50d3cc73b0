import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import pino from 'pino';
import type { Producer, ProducerRecord, Message } from 'kafkajs';
import { BatchingProducer } from '../../../connectors/kafka/batching-producer';
import { Metrics } from '../../../pipeline/telemetry/metrics';
import { EnvelopeIds } from '../../../pipeline/envelope/envelope-id';
import { SnmpAccess } from '../../../pipeline/receive/snmp/access';
import { loadEngineState } from '../../../pipeline/receive/snmp/engine-state';
import { TrapDecoder } from '../../../pipeline/receive/snmp/decoder';
import { DeliveryNotices } from '../../../pipeline/receive/snmp/delivery';
import { TrapPath, type BoundTrapListener } from '../../../pipeline/receive/snmp/listeners';

/**
 * An inform is answered only once Kafka acknowledged its envelope: with the producer held, Debian's
 * snmpinform gets no answer (and retransmits, which is not enqueued twice); once the producer
 * answers, so do we. The "Kafka" here is a gate in front of a recording producer.
 */
const run = promisify(execFile);
const TOOL_ENV = { ...process.env, MIBS: '', MIBDIRS: '/nonexistent', SNMPCONFPATH: '/nonexistent' };

async function inform(port: number, tag: string, timeout: string, retries: string): Promise<number> {
  try {
    await run('/usr/bin/snmpinform', ['-t', timeout, '-r', retries, '-v', '2c', '-c', 'public', `127.0.0.1:${port}`, '', '1.3.6.1.6.3.1.1.5.3', '1.3.6.1.2.1.2.2.1.2.3', 's', tag], { env: TOOL_ENV, timeout: 20_000 });
    return 0;
  } catch (err) {
    return typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1;
  }
}

describe('SNMP inform acknowledgement', () => {
  let listener: BoundTrapListener;
  let trapPath: TrapPath;
  let open: () => void = () => undefined;
  let gate: Promise<void>;
  const stored: Message[] = [];

  beforeAll(async () => {
    gate = new Promise((r) => { open = r; });
    const deliveries = new DeliveryNotices();
    const send = deliveries.observe(async (record: ProducerRecord) => {
      await gate;
      stored.push(...record.messages);
      return [];
    });
    const metrics = new Metrics();
    const log = pino({ level: 'silent' });
    const batching = new BatchingProducer({ send } as unknown as Producer, { topic: 'raw', maxBatch: 100, maxDelayMs: 5, maxPending: 1000, stage: 'receive', brokers: ['test'] }, log, metrics);
    const engine = loadEngineState(fs.mkdtempSync(path.join(os.tmpdir(), 'haetae-snmp-')), undefined);
    const decoder = new TrapDecoder(engine, new SnmpAccess(['public'], [], '.'), 100);
    trapPath = new TrapPath(decoder, batching, deliveries, { observerHostname: 'test', ids: new EnvelopeIds(), maxPendingMessages: 1000, maxPendingBytes: 1 << 26, udpReceiveBufferBytes: 1 << 20 }, log, metrics);
    listener = await trapPath.bind({ host: '127.0.0.1', port: 0 });
  });

  afterAll(async () => {
    open();
    trapPath.stop();
    await listener.close();
  });

  it('is not answered while Kafka holds the envelope, and is answered (once enqueued) when Kafka takes it', async () => {
    // Held: one transmission, one-second timeout → snmpinform gives up (exit 1).
    expect(await inform(listener.address.port, 'held', '1', '0')).not.toBe(0);
    expect(stored).toHaveLength(0);
    // Three transmissions of one inform; Kafka answers during the second wait.
    const pending = inform(listener.address.port, 'retried', '1', '2');
    setTimeout(open, 1500);
    expect(await pending).toBe(0);
    const tags = stored.map((m) => JSON.parse(m.value!.toString()) as { snmp: { varbinds: Array<{ value: unknown }> } })
      .map((e) => Buffer.from(String(e.snmp.varbinds[2]!.value), 'base64').toString());
    // The retransmissions of 'retried' waited with the first copy: one envelope each.
    expect(tags.sort()).toEqual(['held', 'retried']);
  }, 20_000);
});
