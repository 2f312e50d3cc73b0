/**
 * rsyslog for bench:intake (bench/intake-race.bench.ts): a private `rsyslogd -n` with its own
 * config, work directory, pid file and ports, taking syslog on UDP (imudp), TCP (imtcp) and TLS
 * (imtcp with the gtls stream driver) and forwarding every message's raw bytes to a Kafka topic
 * with omkafka (Debian's rsyslog-kafka, librdkafka). It never touches the system's rsyslog:
 * no imuxsock (/dev/log), no /etc/rsyslog.conf, no /run/rsyslogd.pid.
 *
 * What it accepted is read from impstats (a JSON line per counter set, every second, to a file in
 * its work directory): `submitted` of each input, omkafka's and the action's failure counters.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import tls from 'node:tls';

export interface RsyslogOptions {
  dir: string;
  brokers: string[];
  topic: string;
  ports: { udp: number; tcp: number; tls: number };
  tls: { ca: string; cert: string; key: string } | null;
  /** SO_RCVBUF for imudp (rcvbufSize), bytes. */
  udpReceiveBufferBytes: number;
}

/**
 * librdkafka producer settings given to omkafka: the delivery guarantee of haetae's producer.
 * `acks` is a topic property in librdkafka; omkafka makes its own topic config, so it is given
 * there too (librdkafka 2.0.2 would also force acks=all for an idempotent producer).
 */
export const OMKAFKA_CONF = ['enable.idempotence=true', 'acks=all'];
export const OMKAFKA_TOPIC_CONF = ['acks=all'];

/** The RainerScript config; input names `udp`, `tcp`, `tls` become impstats objects `udp(…)`, `tcp(port)`, `tls(port)`. */
export function rsyslogConfig(o: RsyslogOptions): string {
  const q = (s: string): string => JSON.stringify(s);
  return [
    `global(workDirectory=${q(o.dir)} net.enableDNS="off" maxMessageSize="64k"${o.tls ? ` defaultNetstreamDriverCAFile=${q(o.tls.ca)} defaultNetstreamDriverCertFile=${q(o.tls.cert)} defaultNetstreamDriverKeyFile=${q(o.tls.key)}` : ''})`,
    `module(load="impstats" interval="1" format="json" log.file=${q(path.join(o.dir, 'stats.json'))} log.syslog="off" resetCounters="off")`,
    'module(load="imudp")',
    'module(load="imtcp" maxSessions="200")',
    'module(load="omkafka")',
    // The message as received (no header rewritten), as haetae keeps the exact bytes.
    'template(name="raw" type="string" string="%rawmsg%")',
    // Keyed by the sender's address, as haetae keys the raw topic: one sender, one partition.
    'template(name="sourceKey" type="string" string="%fromhost-ip%")',
    `input(type="imudp" name="udp" address="127.0.0.1" port="${o.ports.udp}" rcvbufSize="${o.udpReceiveBufferBytes}" ruleset="kafka")`,
    `input(type="imtcp" name="tcp" address="127.0.0.1" port="${o.ports.tcp}" ruleset="kafka")`,
    ...(o.tls ? [`input(type="imtcp" name="tls" address="127.0.0.1" port="${o.ports.tls}" ruleset="kafka" streamDriver.name="gtls" streamDriver.mode="1" streamDriver.authMode="anon" gnutlsPriorityString="NORMAL")`] : []),
    // gnutlsPriorityString NORMAL: GnuTLS's own default, TLS 1.3 included (without it this build
    // negotiates TLS 1.2 only), so both receivers end on the same protocol and cipher with the sender.
    'ruleset(name="kafka") {',
    `  action(type="omkafka" name="kafka" broker=${JSON.stringify(o.brokers)} topic=${q(o.topic)} template="raw" key="sourceKey" dynaKey="on" partitions.auto="on"`,
    `         confParam=${JSON.stringify(OMKAFKA_CONF)} topicConfParam=${JSON.stringify(OMKAFKA_TOPIC_CONF)} resubmitOnFailure="on" closeTimeout="30000")`,
    '}',
    '',
  ].join('\n');
}

/** One impstats record: its name and counters. */
type Stats = Record<string, number | string | object> & { name: string };

export class Rsyslog {
  private constructor(readonly child: ChildProcess, readonly dir: string, private readonly tail: string[]) {}

  get pid(): number { return this.child.pid!; }
  get alive(): boolean { return this.child.exitCode === null && this.child.signalCode === null; }
  get output(): string { return this.tail.join(''); }

  /**
   * Checks the config (rsyslogd -N1: a missing module is named there), starts rsyslogd in the
   * foreground and waits until its TCP (and TLS) ports take connections.
   */
  static async start(o: RsyslogOptions): Promise<Rsyslog> {
    const file = path.join(o.dir, 'rsyslog.conf');
    fs.writeFileSync(file, rsyslogConfig(o));
    const check = spawnSync('rsyslogd', ['-N1', '-f', file], { encoding: 'utf8', timeout: 20_000 });
    if (check.error) throw new Error(`bench:intake compares haetae with rsyslog, but rsyslogd cannot be run (${check.error.message}). Install it with \`apt-get install -y rsyslog rsyslog-kafka rsyslog-gnutls\`.`);
    const said = `${check.stdout}${check.stderr}`;
    if (/could not load module 'omkafka'/.test(said)) throw new Error(`rsyslog's Kafka output (omkafka) is missing. Install it with \`apt-get install -y rsyslog-kafka\` (Debian's package, with librdkafka).\n${said.trim()}`);
    if (check.status !== 0) throw new Error(`rsyslogd rejects the bench config (exit ${check.status}):\n${said.trim()}\n--- ${file}:\n${fs.readFileSync(file, 'utf8')}`);
    const tail: string[] = [];
    const child = spawn('rsyslogd', ['-n', '-f', file, '-i', path.join(o.dir, 'rsyslogd.pid')], { stdio: ['ignore', 'pipe', 'pipe'] });
    const keep = (d: Buffer): void => {
      if (process.env.BENCH_LOG) process.stderr.write(d);
      tail.push(d.toString());
      if (tail.length > 40) tail.shift();
    };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    const r = new Rsyslog(child, o.dir, tail);
    const until = Date.now() + 20_000;
    for (const [p, secure] of [[o.ports.tcp, false], ...(o.tls ? [[o.ports.tls, true] as const] : [])] as const) {
      while (!(await accepts(p, secure))) {
        if (!r.alive) throw new Error(`rsyslogd exited (${child.exitCode ?? child.signalCode}) before listening:\n${r.output}`);
        if (Date.now() > until) { await r.stop(); throw new Error(`rsyslogd did not listen on 127.0.0.1:${p} within 20 s:\n${r.output}`); }
        await new Promise((res) => setTimeout(res, 100));
      }
    }
    return r;
  }

  /** The latest impstats record of every counter set, by name. */
  stats(): Map<string, Stats> {
    const out = new Map<string, Stats>();
    let text = '';
    try { text = fs.readFileSync(path.join(this.dir, 'stats.json'), 'utf8'); } catch { return out; }
    for (const line of text.split('\n')) {
      const at = line.indexOf(': {');
      if (at < 0) continue;
      try {
        const s = JSON.parse(line.slice(at + 2)) as Stats;
        out.set(s.name, s);
      } catch { /* a line being written */ }
    }
    return out;
  }

  /** impstats rounds written so far (one resource-usage record each): a later round has fresh counters. */
  rounds(): number {
    let text = '';
    try { text = fs.readFileSync(path.join(this.dir, 'stats.json'), 'utf8'); } catch { return 0; }
    let n = 0;
    for (let i = text.indexOf('"resource-usage"'); i >= 0; i = text.indexOf('"resource-usage"', i + 1)) n++;
    return n;
  }

  /** A counter of the input named `input` (udp, tcp, tls), or of any other record (by its full name). */
  counter(input: string, key: string): number {
    for (const [name, s] of this.stats()) if (name === input || name.startsWith(`${input}(`)) return Number(s[key] ?? 0);
    return 0;
  }

  /** SIGTERM (omkafka waits up to closeTimeout for Kafka to take what it holds), SIGKILL after 40 s. */
  async stop(): Promise<void> {
    if (!this.alive) return;
    const exited = new Promise((r) => this.child.once('exit', r));
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 40_000);
    await exited;
    clearTimeout(timer);
  }
}

/** Whether a connection (with `secure`, a whole TLS handshake, closed with close_notify) succeeds. */
function accepts(port: number, secure: boolean): Promise<boolean> {
  return new Promise((resolve) => {
    const s = secure
      ? tls.connect({ port, host: '127.0.0.1', rejectUnauthorized: false }, () => s.end(() => resolve(true)))
      : net.connect({ port, host: '127.0.0.1' }, () => s.end(() => resolve(true)));
    s.once('error', () => { s.destroy(); resolve(false); });
  });
}
