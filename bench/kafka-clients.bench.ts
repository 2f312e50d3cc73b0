/**
 * Kafka clients side by side on the real broker: kafkajs, @platformatic/kafka and (when it is
 * installed) @confluentinc/kafka-javascript, each in its own child process.
 *
 * - produce: the receiver's path — BatchingProducer (batches of 1,000, one request per partition
 *   in parallel, one batch in flight) over each client, idempotent with acks=all, N raw-envelope
 *   sized records (~560 bytes, keyed by 256 source addresses) to a 3-partition topic.
 * - consume: a fresh consumer group reads the same N records from the beginning (kafkajs
 *   eachBatch, @platformatic/kafka's message stream, confluent's KafkaJS-compatible eachBatch).
 *
 * Prints records/s (wall clock) and CPU µs per record of the client process (user + system; the
 * broker's own CPU is not in it). `npm run bench:kafka [-- --records N]`. Loopback only, bounded.
 * @confluentinc/kafka-javascript is not a dependency (it is a native build): set
 * HAETAE_BENCH_CONFLUENT to a package folder built as docs/decisions/0006-kafka-producer-client.md
 * says to include it.
 */
import { fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import { Kafka, logLevel } from 'kafkajs';
import pino from 'pino';
import { BatchingProducer, type RecordSender } from '../connectors/kafka/batching-producer';
import { createRecordProducer, type ProducerClientName } from '../connectors/kafka/record-producer';
import { Metrics } from '../pipeline/telemetry/metrics';
import { median, printTable } from './report';

const BROKERS = (process.env.HAETAE_KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
const arg = (name: string, fallback: string): string => { const i = process.argv.indexOf(name); return i > 0 ? process.argv[i + 1]! : fallback; };
type Client = ProducerClientName | 'confluent';
interface Result { client: Client; op: 'produce' | 'consume'; records: number; ms: number; cpuUs: number; rssMiB: number }

/** A raw envelope of the size a v2c linkDown trap makes (JSON with the base64 packet and varbinds). */
function envelope(i: number): Buffer {
  return Buffer.from(JSON.stringify({
    v: 1, id: randomUUID(), kind: 'snmp', transport: 'udp', receivedAt: new Date().toISOString(),
    source: { address: `10.1.${i % 256}.3`, port: 50_000 + (i % 1000) }, listener: { address: '0.0.0.0', port: 1162 }, observer: { hostname: 'bench' },
    payload: Buffer.alloc(150, i % 256).toString('base64'),
    snmp: { version: '2c', community: true, varbinds: [{ oid: '1.3.6.1.2.1.2.2.1.1.3', type: 2, value: 3 }, { oid: '1.3.6.1.2.1.2.2.1.2.3', type: 4, value: 'GigabitEthernet0/3' }] },
  }));
}

/** @confluentinc/kafka-javascript from the project, or from where HAETAE_BENCH_CONFLUENT points (a package folder built elsewhere). */
function confluent(): typeof import('kafkajs') | null {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return (require(process.env.HAETAE_BENCH_CONFLUENT ?? '@confluentinc/kafka-javascript') as { KafkaJS: typeof import('kafkajs') }).KafkaJS;
  } catch {
    return null;
  }
}

async function produce(client: Client, topic: string, n: number): Promise<Result> {
  const log = pino({ level: 'warn' });
  let producer: RecordSender & { connect(): Promise<void>; disconnect(): Promise<void> };
  if (client === 'confluent') {
    const K = confluent()!;
    const k = new K.Kafka({ kafkaJS: { clientId: 'haetae-bench', brokers: BROKERS, logLevel: logLevel.NOTHING } } as never);
    const p = k.producer({ kafkaJS: { idempotent: true, acks: -1 } } as never);
    // Its KafkaJS API takes acks at creation only and refuses it on send.
    producer = { connect: () => p.connect(), disconnect: () => p.disconnect(), send: ({ topic, messages }) => p.send({ topic, messages }) };
  } else {
    producer = createRecordProducer({ client, brokers: BROKERS, clientId: 'haetae-bench' }, new Kafka({ clientId: 'haetae-bench', brokers: BROKERS, logLevel: logLevel.NOTHING }), log);
  }
  await producer.connect();
  const batching = new BatchingProducer(producer, { topic, maxBatch: 1000, maxDelayMs: 20, maxPending: 50_000, partitions: 3, stage: 'receive', brokers: BROKERS }, log, new Metrics());
  const values = Array.from({ length: 1000 }, (_, i) => envelope(i));
  // Warm-up: connections, producer id, metadata, JIT.
  for (let i = 0; i < 2000; i++) batching.enqueue({ key: `10.1.${i % 256}.3`, value: values[i % 1000]! });
  await batching.flush();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    batching.enqueue({ key: `10.1.${i % 256}.3`, value: values[i % 1000]! });
    // As a receiver would: stop reading while the producer is saturated.
    if (batching.saturated) await new Promise<void>((resolve) => batching.once('drain', resolve));
  }
  await batching.flush();
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  await producer.disconnect();
  return { client, op: 'produce', records: n, ms, cpuUs: (cpu.user + cpu.system) / n, rssMiB: process.memoryUsage().rss / 1048576 };
}

async function consume(client: Client, topic: string, n: number): Promise<Result> {
  const groupId = `haetae-bench-${randomUUID().slice(0, 8)}`;
  let got = 0;
  let t0 = 0;
  let cpu0 = process.cpuUsage();
  const start = (): void => { t0 = performance.now(); cpu0 = process.cpuUsage(); };
  let done!: () => void;
  const all = new Promise<void>((resolve) => { done = resolve; });
  if (client === 'platformatic') {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { Consumer } = require('@platformatic/kafka') as typeof import('@platformatic/kafka', { with: { 'resolution-mode': 'import' } });
    const consumer = new Consumer({ groupId, clientId: 'haetae-bench', bootstrapBrokers: BROKERS, autocommit: false, maxWaitTime: 100 });
    start();
    const stream = await consumer.consume({ topics: [topic], mode: 'earliest', maxBytes: 10 * 1024 * 1024 });
    for await (const m of stream) {
      if (m.value.length > 0) got++;
      if (got >= n) break;
    }
    const ms = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    await stream.close();
    await consumer.close(true);
    return { client, op: 'consume', records: got, ms, cpuUs: (cpu.user + cpu.system) / got, rssMiB: process.memoryUsage().rss / 1048576 };
  }
  const K = client === 'confluent' ? confluent()! : { Kafka };
  const kafka = client === 'confluent'
    ? new K.Kafka({ kafkaJS: { clientId: 'haetae-bench', brokers: BROKERS, logLevel: logLevel.NOTHING } } as never)
    : new Kafka({ clientId: 'haetae-bench', brokers: BROKERS, logLevel: logLevel.NOTHING });
  const consumer = client === 'confluent'
    ? kafka.consumer({ kafkaJS: { groupId, fromBeginning: true, autoCommit: false } } as never)
    : kafka.consumer({ groupId, maxBytes: 10 * 1024 * 1024, maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe(client === 'confluent' ? { topics: [topic] } : { topics: [topic], fromBeginning: true });
  start();
  await consumer.run({
    ...(client === 'confluent' ? {} : { autoCommit: false }),
    eachBatch: async ({ batch }) => {
      for (const m of batch.messages) if (m.value && m.value.length > 0) got++;
      if (got >= n) done();
    },
  });
  await all;
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  await consumer.disconnect();
  return { client, op: 'consume', records: got, ms, cpuUs: (cpu.user + cpu.system) / got, rssMiB: process.memoryUsage().rss / 1048576 };
}

async function child(): Promise<void> {
  const [op, client, topic, n] = process.argv.slice(3) as ['produce' | 'consume', Client, string, string];
  const result = op === 'produce' ? await produce(client, topic, Number(n)) : await consume(client, topic, Number(n));
  if (process.send) process.send(result);
  else process.stdout.write(`${JSON.stringify(result)}\n`); // run by hand (e.g. under --cpu-prof)
  process.exit(0);
}

function runChild(op: 'produce' | 'consume', client: Client, topic: string, n: number): Promise<Result> {
  return new Promise((resolve, reject) => {
    const p = fork(__filename, ['--child', op, client, topic, String(n)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let result: Result | null = null;
    const timer = setTimeout(() => { p.kill('SIGKILL'); reject(new Error(`${client} ${op} of ${n} records did not finish in 5 minutes`)); }, 300_000);
    p.on('message', (m) => { result = m as Result; });
    p.on('exit', (code) => {
      clearTimeout(timer);
      if (result) resolve(result);
      else reject(new Error(`${client} ${op} exited with ${code} without a result`));
    });
  });
}

async function main(): Promise<void> {
  const N = Number(arg('--records', '200000'));
  const RUNS = Number(arg('--runs', '3'));
  const clients: Client[] = ['kafkajs', 'platformatic'];
  if (confluent()) clients.push('confluent');
  else process.stdout.write('@confluentinc/kafka-javascript is not installed: measuring kafkajs and @platformatic/kafka only (docs/decisions/0006-kafka-producer-client.md says how to add it).\n');
  const admin = new Kafka({ clientId: 'haetae-bench', brokers: BROKERS, logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  const topics: string[] = [];
  const results = new Map<string, Result[]>();
  try {
    for (let run = 0; run < RUNS; run++) {
      for (const client of clients) {
        const topic = `haetae.bench.kafka.${randomUUID().slice(0, 8)}`;
        topics.push(topic);
        await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: 3, replicationFactor: -1 }] });
        for (const op of ['produce', 'consume'] as const) {
          const r = await runChild(op, client, topic, N);
          process.stdout.write(`run ${run + 1}/${RUNS} ${client} ${op}: ${Math.round(r.records / (r.ms / 1000)).toLocaleString('en-US')} records/s, ${r.cpuUs.toFixed(2)} CPU µs/record\n`);
          const key = `${client} ${op}`;
          results.set(key, [...(results.get(key) ?? []), r]);
        }
      }
    }
  } finally {
    await admin.deleteTopics({ topics }).catch(() => undefined);
    await admin.disconnect();
  }
  const rows = [...results].map(([key, rs]) => {
    const [client, op] = key.split(' ') as [Client, string];
    const rates = rs.map((r) => r.records / (r.ms / 1000));
    return [client, op, Math.round(median(rates)), `${Math.round(Math.min(...rates)).toLocaleString('en-US')}–${Math.round(Math.max(...rates)).toLocaleString('en-US')}`, median(rs.map((r) => r.cpuUs)), Math.round(median(rs.map((r) => r.rssMiB)))];
  });
  printTable(`Kafka clients on the real broker: ${N.toLocaleString('en-US')} records of ~${envelope(0).length} bytes, 3 partitions, idempotent acks=all produce; median of ${RUNS} runs (load average ${os.loadavg()[0]!.toFixed(1)})`,
    ['client', 'op', 'records/s', 'range', 'CPU µs/record', 'RSS MiB'], rows);
}

if (process.argv[2] === '--child') void child();
else main().catch((err: unknown) => { console.error(err); process.exit(1); });
