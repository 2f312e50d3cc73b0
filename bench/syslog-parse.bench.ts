/**
 * Parser throughput, in-process, one core: messages/s and ns/message for typical RFC 3164 and
 * RFC 5424 lines, framing included for TCP. Median of 5 runs. `npm run bench:parse`.
 */
import { parseSyslog } from '../pipeline/parse/syslog';
import { SyslogStreamFramer } from '../pipeline/receive/syslog/framer';
import { median, printTable } from './report';

const N = 200_000;
const RUNS = 5;
const receivedAt = new Date('2026-11-22T10:00:00Z');

const samples: Record<string, Buffer> = {
  'rfc3164 sshd': Buffer.from('<38>Nov 22 10:00:00 web1 sshd[811]: Failed password for invalid user admin from 203.0.113.5 port 52113 ssh2'),
  'rfc3164 cisco asa': Buffer.from('<166>Nov 22 2026 10:00:00 fw1 : %ASA-6-302013: Built outbound TCP connection 1234 for outside:198.51.100.7/443 (198.51.100.7/443) to inside:10.0.0.5/51000 (203.0.113.9/51000)'),
  'rfc5424 with SD': Buffer.from('<165>1 2026-11-22T10:00:00.123456+01:00 mymachine.example.com evntslog 1234 ID47 [exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"] BOMAn application event log entry...'),
  'rfc5424 minimal': Buffer.from('<34>1 2026-11-22T10:00:00Z host app - - - short message'),
};

function time(fn: () => void): number {
  const t0 = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t0);
}

const rows: (string | number)[][] = [];
for (const [name, bytes] of Object.entries(samples)) {
  for (let i = 0; i < 20_000; i++) parseSyslog(bytes, { receivedAt }); // warm up the JIT
  const runs: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    runs.push(time(() => { for (let i = 0; i < N; i++) parseSyslog(bytes, { receivedAt }); }));
  }
  const ns = median(runs) / N;
  rows.push([name, bytes.length, ns, 1e9 / ns]);
}

// Framing: a TCP stream of octet-counted 5424 messages in 64 KiB chunks.
const msg = samples['rfc5424 with SD']!;
const framed = Buffer.concat(Array.from({ length: 5_000 }, () => Buffer.concat([Buffer.from(`${msg.length} `), msg])));
const chunks: Buffer[] = [];
for (let o = 0; o < framed.length; o += 65536) chunks.push(framed.subarray(o, o + 65536));
const frameRuns: number[] = [];
for (let r = 0; r < RUNS + 1; r++) {
  frameRuns.push(time(() => {
    for (let rep = 0; rep < 20; rep++) {
      const f = new SyslogStreamFramer({ maxFrameBytes: 65536 });
      for (const c of chunks) f.push(c);
      f.end();
    }
  }));
}
const frameNs = median(frameRuns.slice(1)) / (5_000 * 20);
rows.push(['framer octet-counted (TCP)', msg.length, frameNs, 1e9 / frameNs]);

printTable(`Syslog parsing, one core, median of ${RUNS} runs (Node ${process.version})`, ['input', 'bytes', 'ns/msg', 'msgs/s'], rows);
