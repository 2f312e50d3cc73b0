/**
 * SNMP traps through the receiver role: datagrams from a separate sender process, paced at each
 * offered rate → decode (net-snmp + our USM checks) → envelope → BatchingProducer → the real Kafka
 * (acks=all). Prints, per protocol and rate, how many traps Kafka stored and where the rest were
 * lost (the kernel's receive-buffer drops, haetae's overload drops). The traps are captured once
 * from Debian's snmptrap (v2c, and v3 authPriv SHA/AES) and replayed.
 * `npm run bench:snmp [-- --rates 5000,10000,20000 --seconds 3]`. snmptrapd is not compared here
 * (not installed on this machine); see issue 9.
 */
import { execFileSync, spawn } from 'node:child_process';
import dgram from 'node:dgram';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import pino from 'pino';
import YAML from 'yaml';
import { loadConfig } from '../pipeline/config/load';
import { startReceiver } from '../pipeline/roles/receiver';
import { createKafka } from '../connectors/kafka/client';
import { Metrics } from '../pipeline/telemetry/metrics';
import { printTable } from './report';

const arg = (name: string, fallback: string): string => { const i = process.argv.indexOf(name); return i > 0 ? process.argv[i + 1]! : fallback; };
const RATES = arg('--rates', '5000,10000,15000,20000').split(',').map(Number);
const SECONDS = Number(arg('--seconds', '3'));
const BROKERS = (process.env.HAETAE_KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
const TRAP = ['1.3.6.1.6.3.1.1.5.3', '1.3.6.1.2.1.2.2.1.1.3', 'i', '3', '1.3.6.1.2.1.2.2.1.2.3', 's', 'GigabitEthernet0/3', '1.3.6.1.2.1.2.2.1.8.3', 'i', '2'];

async function capture(args: string[]): Promise<Buffer> {
  const sock = dgram.createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  const got = new Promise<Buffer>((r) => sock.once('message', (m) => r(m)));
  execFileSync('/usr/bin/snmptrap', [...args, `127.0.0.1:${sock.address().port}`, '', ...TRAP], { env: { ...process.env, MIBS: '' } });
  const packet = await got;
  sock.close();
  return packet;
}

/** A child process sends `n` copies of `packet` at `rate`/s in 1 ms slices (its own CPU, not ours). */
function blast(packet: Buffer, n: number, rate: number, port: number): Promise<void> {
  const code = `const d=require('dgram').createSocket('udp4');const p=Buffer.from(process.argv[1],'hex');const n=+process.argv[2],per=+process.argv[3]/1000,port=+process.argv[4];
let i=0;const t0=Date.now();const tick=()=>{const due=Math.min(n,Math.floor((Date.now()-t0)*per));while(i<due){d.send(p,port,'127.0.0.1');i++;}if(i>=n){setTimeout(()=>process.exit(0),200);return;}setImmediate(tick);};tick();`;
  return new Promise((resolve) => spawn(process.execPath, ['-e', code, packet.toString('hex'), String(n), String(rate), String(port)], { stdio: 'inherit' }).on('exit', () => resolve()));
}

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'haetae-bench-snmp-'));
  const file = path.join(dir, 'haetae.yaml');
  const id = randomUUID().slice(0, 8);
  fs.writeFileSync(file, YAML.stringify({
    kafka: { brokers: BROKERS, rawTopic: `haetae.bench.${id}.raw`, dlqTopic: `haetae.bench.${id}.dlq`, rawPartitions: 3 },
    receiver: { listeners: [] },
    snmp: { listeners: [{ host: '127.0.0.1', port: 0 }], communities: ['public'], users: [{ name: 'noc', authProtocol: 'sha', authKey: 'authpass123', privProtocol: 'aes', privKey: 'privpass123' }] },
  }));
  const loaded = loadConfig({ file, env: {} });
  const log = pino({ level: 'warn' });
  const metrics = new Metrics();
  const receiver = await startReceiver(loaded, createKafka(loaded.config.kafka, log), log, metrics);
  const port = receiver.traps!.listeners[0]!.address.port;
  const packets: Array<[string, Buffer]> = [
    ['v2c', await capture(['-v', '2c', '-c', 'public'])],
    ['v3 authPriv SHA/AES', await capture(['-v', '3', '-e', '0x8000000001020304', '-u', 'noc', '-l', 'authPriv', '-a', 'SHA', '-A', 'authpass123', '-x', 'AES', '-X', 'privpass123'])],
  ];
  const total = async (name: string, labels: Record<string, string> = {}): Promise<number> =>
    ((await metrics.registry.getSingleMetric(name)?.get())?.values ?? []).filter((v) => Object.entries(labels).every(([k, x]) => v.labels[k] === x)).reduce((a, v) => a + v.value, 0);
  const rows: (string | number)[][] = [];
  for (const [name, packet] of packets) {
    for (const rate of RATES) {
      const n = rate * SECONDS;
      const before = { kafka: await total('haetae_sent_total', { stage: 'receive' }), kernel: await total('haetae_udp_kernel_drops'), overload: await total('haetae_dropped_total', { stage: 'snmp' }), errors: await total('haetae_errors_total', { stage: 'snmp' }) };
      await blast(packet, n, rate, port);
      // Until Kafka has stopped growing: everything received is stored by then.
      let stored = -1;
      for (;;) {
        await new Promise((r) => setTimeout(r, 500));
        const now = (await total('haetae_sent_total', { stage: 'receive' })) - before.kafka;
        if (now === stored) break;
        stored = now;
      }
      rows.push([name, rate, n, stored, `${((100 * (n - stored)) / n).toFixed(1)}%`, (await total('haetae_udp_kernel_drops')) - before.kernel, (await total('haetae_dropped_total', { stage: 'snmp' })) - before.overload, (await total('haetae_errors_total', { stage: 'snmp' })) - before.errors]);
    }
  }
  printTable(`SNMP traps → Kafka (${os.cpus().length} CPUs, Kafka on loopback, ${SECONDS} s per rate)`, ['traps', 'offered/s', 'sent', 'in Kafka', 'lost', 'kernel drops', 'overload drops', 'refused'], rows);
  await receiver.stop();
}

main().then(() => process.exit(0), (err: unknown) => { console.error(err); process.exit(1); });
