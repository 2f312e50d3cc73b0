/**
 * SNMP traps: haetae's trap receiver side by side with Debian's net-snmp `snmptrapd`, on this
 * machine, in one run. For SNMPv2c and for SNMPv3 authPriv (SHA/AES), at each offered rate, the
 * same trap packet (captured once from Debian's `snmptrap`) is sent for `--seconds` from a
 * separate paced sender process (forked once, its own CPU) to haetae's receiver (decode + our USM
 * checks → envelope → BatchingProducer → the real Kafka, acks=all; counted as stored when Kafka
 * acknowledged it, haetae_sent_total{stage="receive"}), then to snmptrapd (traps counted as lines
 * in its log file). One receiver at a time, so they never share the CPU with each other.
 *
 * snmptrapd is given its best case: no DNS (-n), no AgentX (-X, hence no NOTIFICATION-LOG-MIB
 * table), the same socket receive buffer as haetae (serverRecvBuf), no MIB translation (Debian's default
 * `mibs :`; haetae's receiver leaves naming to the worker), logging to a file (-Lf) with its
 * default format. v3: each rate gets a fresh sender engine id (configured in both receivers), and
 * the one captured authPriv packet is repeated as is (same msgID, salt and engine time): both
 * receivers accept it, as RFC 3414 keeps no replay cache inside the 150 s time window.
 *
 * `npm run bench:snmp [-- --rates 5000,10000,15000,20000,30000,40000 --seconds 3]` (the defaults;
 * about 2 minutes). Needs Debian's `snmptrapd` and `snmp` (snmptrap) packages.
 */
import { execFileSync, fork, spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes, randomUUID } from 'node:crypto';
import pino from 'pino';
import YAML from 'yaml';
import { loadConfig } from '../pipeline/config/load';
import { startReceiver } from '../pipeline/roles/receiver';
import { createKafka } from '../connectors/kafka/client';
import { Metrics } from '../pipeline/telemetry/metrics';
import { udpKernelDrops } from '../pipeline/receive/syslog/kernel-drops';
import { printTable } from './report';

const SNMPTRAPD = '/usr/sbin/snmptrapd';
const SNMPTRAP = '/usr/bin/snmptrap';

interface SendJob { packet: string; n: number; rate: number; port: number }
interface SendResult { sent: number; errors: number; ms: number }

/**
 * The sender, in its own process: sends `n` copies of the packet at `rate`/s, in slices of about
 * a millisecond (each timer tick sends what is due by the clock, so timer jitter is caught up).
 */
function sender(): void {
  const sock = dgram.createSocket('udp4');
  let errors = 0;
  sock.on('error', () => { errors++; });
  process.on('message', (job: SendJob) => {
    const packet = Buffer.from(job.packet, 'hex');
    const perMs = job.rate / 1000;
    let i = 0;
    errors = 0;
    const t0 = performance.now();
    const tick = (): void => {
      const due = Math.min(job.n, Math.floor((performance.now() - t0) * perMs));
      while (i < due) {
        sock.send(packet, job.port, '127.0.0.1');
        i++;
      }
      if (i < job.n) {
        setTimeout(tick, 1);
        return;
      }
      const ms = performance.now() - t0;
      // The last datagrams leave once the event loop turns; then report.
      setTimeout(() => process.send!({ sent: i, errors, ms } satisfies SendResult), 50);
    };
    tick();
  });
}

if (process.argv[2] === '--sender') sender();
else main().then(() => process.exit(0), (err: unknown) => { console.error(err instanceof Error ? err.message : err); process.exit(1); });

async function main(): Promise<void> {
  for (const [bin, pkg] of [[SNMPTRAPD, 'snmptrapd'], [SNMPTRAP, 'snmp']] as const) {
    if (!fs.existsSync(bin)) throw new Error(`bench:snmp compares haetae with Debian's net-snmp snmptrapd and captures its traps with snmptrap: ${bin} is missing. Install it with \`apt-get install -y ${pkg}\` (packages snmptrapd and snmp).`);
  }
  const arg = (name: string, fallback: string): string => { const i = process.argv.indexOf(name); return i > 0 ? process.argv[i + 1]! : fallback; };
  const RATES = arg('--rates', '5000,10000,15000,20000,30000,40000').split(',').map(Number);
  const SECONDS = Number(arg('--seconds', '3'));
  // kafka.producerClient for haetae's receiver: platformatic (the default) or kafkajs.
  const CLIENT = arg('--producer-client', 'platformatic');
  const BROKERS = (process.env.HAETAE_KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
  const TRAP = ['1.3.6.1.6.3.1.1.5.3', '1.3.6.1.2.1.2.2.1.1.3', 'i', '3', '1.3.6.1.2.1.2.2.1.2.3', 's', 'GigabitEthernet0/3', '1.3.6.1.2.1.2.2.1.8.3', 'i', '2'];
  const MARKER = 'GigabitEthernet0/3'; // once per trap in snmptrapd's log line
  const USER = { name: 'noc', authKey: 'authpass123', privKey: 'privpass123' };
  const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'haetae-bench-snmp-'));
  const id = randomUUID().slice(0, 8);
  // One sender engine id per v3 rate: each receiver learns its time afresh at each step.
  const engines = RATES.map((_, i) => `80000000050a${randomBytes(4).toString('hex')}${i.toString(16).padStart(2, '0')}`);

  // haetae: the receiver role in this process (the bench itself only sleeps while traps flow).
  const file = path.join(dir, 'haetae.yaml');
  fs.writeFileSync(file, YAML.stringify({
    kafka: { brokers: BROKERS, rawTopic: `haetae.bench.${id}.raw`, dlqTopic: `haetae.bench.${id}.dlq`, rawPartitions: 3, producerClient: CLIENT },
    receiver: { listeners: [] },
    snmp: { listeners: [{ host: '127.0.0.1', port: 0 }], communities: ['public'], users: [{ name: USER.name, authProtocol: 'sha', authKey: USER.authKey, privProtocol: 'aes', privKey: USER.privKey }], stateDir: path.join(dir, 'state') },
  }));
  const loaded = loadConfig({ file, env: {} });
  const log = pino({ level: 'warn' });
  const metrics = new Metrics();
  const kafka = createKafka(loaded.config.kafka, log);
  const receiver = await startReceiver(loaded, kafka, log, metrics);
  const haetaePort = receiver.traps!.listeners[0]!.address.port;
  const rcvbuf = loaded.config.receiver.udpReceiveBufferBytes;

  // snmptrapd: foreground, its own conf only, logging every trap to a file.
  const trapd = await startSnmptrapd(dir, engines, rcvbuf);
  const sendProc = fork(__filename, ['--sender'], { execArgv: [], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const send = (packet: Buffer, n: number, rate: number, port: number): Promise<SendResult> =>
    new Promise((resolve) => { sendProc.once('message', (m) => resolve(m as SendResult)); sendProc.send({ packet: packet.toString('hex'), n, rate, port } satisfies SendJob); });

  const total = async (name: string, labels: Record<string, string> = {}): Promise<number> =>
    ((await metrics.registry.getSingleMetric(name)?.get())?.values ?? []).filter((v) => Object.entries(labels).every(([k, x]) => v.labels[k] === x)).reduce((a, v) => a + v.value, 0);
  const drops = (port: number): number => udpKernelDrops(port) ?? 0;

  /** Until `read` has stopped growing for a second: all a receiver took in is counted by then. */
  async function settle(read: () => Promise<number> | number): Promise<number> {
    let last = await read();
    let still = 0;
    for (;;) {
      await sleep(250);
      const now = await read();
      still = now === last ? still + 1 : 0;
      last = now;
      if (still >= 4) return now;
    }
  }

  interface Step { sent: SendResult; got: number; kernel: number; other: string; cpuUs?: number }
  async function haetaeStep(packet: Buffer, n: number, rate: number): Promise<Step> {
    const before = { kafka: await total('haetae_sent_total', { stage: 'receive' }), kernel: drops(haetaePort), overload: await total('haetae_dropped_total', { stage: 'snmp' }), refused: await total('haetae_errors_total', { stage: 'snmp' }) };
    // This process runs haetae's receiver and otherwise only waits: its CPU time over the step is
    // the receiver's (decode, envelope, Kafka client), the sender and the broker being elsewhere.
    const cpu0 = process.cpuUsage();
    const sent = await send(packet, n, rate, haetaePort);
    const got = (await settle(() => total('haetae_sent_total', { stage: 'receive' }))) - before.kafka;
    const cpu = process.cpuUsage(cpu0);
    const overload = (await total('haetae_dropped_total', { stage: 'snmp' })) - before.overload;
    const refused = (await total('haetae_errors_total', { stage: 'snmp' })) - before.refused;
    return { sent, got, kernel: drops(haetaePort) - before.kernel, other: `${overload} / ${refused}`, cpuUs: got > 0 ? (cpu.user + cpu.system) / got : 0 };
  }
  async function trapdStep(packet: Buffer, n: number, rate: number): Promise<Step> {
    const before = { logged: trapd.logged(), kernel: drops(trapd.port) };
    const sent = await send(packet, n, rate, trapd.port);
    const got = (await settle(() => { trapd.check(); return trapd.logged(); })) - before.logged;
    return { sent, got, kernel: drops(trapd.port) - before.kernel, other: '' };
  }

  const versions: Array<{ name: string; capture: (step: number) => Promise<Buffer> }> = [
    { name: 'SNMPv2c', capture: () => capture(['-v', '2c', '-c', 'public']) },
    { name: 'SNMPv3 authPriv SHA/AES', capture: (step) => capture(['-v', '3', '-e', `0x${engines[step]}`, '-u', USER.name, '-l', 'authPriv', '-a', 'SHA', '-A', USER.authKey, '-x', 'AES', '-X', USER.privKey]) },
  ];
  /** The highest rate tried up to which nothing was lost (0: lossy at the lowest). */
  const losslessRate = (steps: Array<{ rate: number; s: Step }>): number => {
    let best = 0;
    for (const { rate, s } of steps) {
      if (s.got !== s.sent.sent) break;
      best = rate;
    }
    return best;
  };
  const lossless = (steps: Array<{ rate: number; s: Step }>): string => {
    const best = losslessRate(steps);
    if (best === 0) return `lossy already at ${(steps[0]?.rate ?? 0).toLocaleString('en-US')}/s`;
    return best === steps[steps.length - 1]!.rate ? `≥ ${best.toLocaleString('en-US')}/s (no loss at any rate tried)` : `${best.toLocaleString('en-US')}/s`;
  };
  const pct = (lost: number, n: number): string => `${((100 * lost) / n).toFixed(1)}%`;
  try {
    for (const version of versions) {
      const rows: (string | number)[][] = [];
      const h: Array<{ rate: number; s: Step }> = [];
      const t: Array<{ rate: number; s: Step }> = [];
      for (const [step, rate] of RATES.entries()) {
        const packet = await version.capture(step);
        const n = Math.round(rate * SECONDS);
        const hs = await haetaeStep(packet, n, rate);
        await sleep(500);
        const ts = await trapdStep(packet, n, rate);
        h.push({ rate, s: hs });
        t.push({ rate, s: ts });
        const actual = (s: Step): number => Math.round(s.sent.sent / (s.sent.ms / 1000));
        rows.push([rate, n, `${actual(hs).toLocaleString('en-US')} | ${actual(ts).toLocaleString('en-US')}`,
          hs.got, pct(hs.sent.sent - hs.got, hs.sent.sent), hs.kernel, hs.other, (hs.cpuUs ?? 0).toFixed(1),
          ts.got, pct(ts.sent.sent - ts.got, ts.sent.sent), ts.kernel]);
      }
      printTable(`${version.name}: haetae (→ Kafka with ${CLIENT}, acks=all) vs snmptrapd (→ log file); ${SECONDS} s per rate, ${packetNote(version.name)}, ${os.cpus().length} CPUs`,
        ['offered/s', 'traps', 'sent/s h | t', 'haetae stored', 'lost', 'kernel drops', 'overload / refused', 'haetae CPU µs/trap', 'snmptrapd logged', 'lost', 'kernel drops'], rows);
      const [hl, tl] = [losslessRate(h), losslessRate(t)];
      process.stdout.write(`lossless: haetae ${lossless(h)}, snmptrapd ${lossless(t)}${hl > 0 && tl > 0 && tl < RATES[RATES.length - 1]! ? ` (haetae ${hl >= RATES[RATES.length - 1]! ? '≥ ' : ''}${(hl / tl).toFixed(1)}× snmptrapd)` : ''}\n`);
    }
    process.stdout.write(`\n"sent/s" is what the sender really achieved (h = to haetae, t = to snmptrapd). Both sockets asked for a ${rcvbuf.toLocaleString('en-US')}-byte receive buffer (net.core.rmem_max caps it).\n`);
  } finally {
    sendProc.kill();
    trapd.stop();
    await receiver.stop();
    const admin = kafka.admin();
    try {
      await admin.connect();
      await admin.deleteTopics({ topics: [loaded.config.kafka.rawTopic, loaded.config.kafka.dlqTopic] });
    } catch {
      // A leftover bench topic is harmless.
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
    fs.rmSync(dir, { recursive: true, force: true });
  }

  function packetNote(version: string): string {
    return version.startsWith('SNMPv3') ? 'one captured packet repeated per rate (fresh engine id per rate)' : 'one captured packet repeated';
  }

  async function capture(args: string[]): Promise<Buffer> {
    const sock = dgram.createSocket('udp4');
    await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
    const got = new Promise<Buffer>((r) => sock.once('message', (m) => r(m)));
    execFileSync(SNMPTRAP, [...args, `127.0.0.1:${sock.address().port}`, '', ...TRAP], { env: { ...process.env, MIBS: '', SNMP_PERSISTENT_DIR: path.join(dir, 'snmptrap') }, stdio: ['ignore', 'ignore', 'pipe'] });
    const packet = await got;
    sock.close();
    return packet;
  }

  async function startSnmptrapd(where: string, engineIds: string[], recvBuf: number): Promise<{ port: number; logged(): number; check(): void; stop(): void }> {
    const port = await freeUdpPort();
    const conf = path.join(where, 'snmptrapd.conf');
    const logFile = path.join(where, 'snmptrapd.log');
    fs.writeFileSync(conf, [
      '[snmp] serverRecvBuf ' + recvBuf,
      'authCommunity log public',
      ...engineIds.map((e) => `createUser -e 0x${e} ${USER.name} SHA ${USER.authKey} AES ${USER.privKey}`),
      `authUser log ${USER.name} priv`,
      '',
    ].join('\n'));
    fs.writeFileSync(logFile, '');
    let stderr = '';
    const child: ChildProcess = spawn(SNMPTRAPD, ['-f', '-n', '-X', '-C', '-c', conf, '-A', '-Lf', logFile, `udp:127.0.0.1:${port}`], {
      // MIBS='': no MIB translation, as Debian's /etc/snmp/snmp.conf (`mibs :`); haetae's receiver does not translate either (its worker does).
      env: { ...process.env, MIBS: '', SNMP_PERSISTENT_DIR: path.join(where, 'snmptrapd-state') },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    child.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
    let exited: string | null = null;
    child.on('exit', (code, signal) => { exited = `snmptrapd exited (${signal ?? code}): ${stderr.trim()} ${fs.readFileSync(logFile, 'utf8').slice(-500)}`; });
    // It writes its banner once the socket is bound.
    const deadline = Date.now() + 15_000;
    while (!fs.readFileSync(logFile, 'utf8').includes('NET-SNMP version')) {
      if (exited) throw new Error(exited);
      if (Date.now() > deadline) { child.kill(); throw new Error(`snmptrapd did not start within 15 s: ${stderr.trim()}`); }
      await sleep(100);
    }
    let offset = 0;
    let count = 0;
    return {
      port,
      logged() {
        // Count whole lines only; a line still being written is counted at the next read.
        const size = fs.statSync(logFile).size;
        if (size <= offset) return count;
        const fd = fs.openSync(logFile, 'r');
        const buf = Buffer.alloc(size - offset);
        fs.readSync(fd, buf, 0, buf.length, offset);
        fs.closeSync(fd);
        const end = buf.lastIndexOf(0x0a) + 1;
        const text = buf.subarray(0, end).toString('latin1');
        for (let i = text.indexOf(MARKER); i >= 0; i = text.indexOf(MARKER, i + MARKER.length)) count++;
        offset += end;
        return count;
      },
      check() { if (exited) throw new Error(exited); },
      stop() { child.kill('SIGTERM'); },
    };
  }
}

async function freeUdpPort(): Promise<number> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  const port = s.address().port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}
