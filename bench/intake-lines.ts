/**
 * The input of bench:intake (bench/intake-race.bench.ts): syslog lines of about 200 bytes, half
 * RFC 3164 (`<PRI>Mmm dd hh:mm:ss host tag[pid]: text`) and half RFC 5424 (`<PRI>1 ISO-TIME host
 * app procid msgid [SD] text`), alternating, stamped with the time they are made (the sender
 * makes them just before its clock starts, as live senders stamp theirs). The text is drawn from
 * a handful of everyday shapes (sshd, sudo, firewall, DNS, cron, kernel) with fields varied by a
 * cheap hash of the line number, then cut or padded to a length between 180 and 220 bytes, so
 * every run and both receivers see the same bytes apart from the timestamps.
 */
import { bsdTimestamp } from '../pipeline/time/bsd-format';

/** A cheap integer hash, so fields vary without lining up with the alternation of formats. */
const h = (i: number, salt: number): number => Math.imul(i ^ salt, 2654435761) >>> 0;
const ip = (i: number, net: string, salt: number): string => `${net}.${1 + (h(i, salt) % 250)}`;
const port = (i: number, salt: number): number => 1024 + (h(i, salt) % 60000);
const USERS = ['alice', 'bob', 'carol', 'deploy', 'backup', 'nagios', 'jenkins', 'postgres'];
const user = (i: number): string => USERS[h(i, 7) % USERS.length]!;
const DOMAINS = ['example.com', 'www.example.org', 'api.example.net', 'updates.example.com', 'mail.example.com'];

/** Tag, procid, message text: the part after the header, the same for both formats. */
const BODIES: ReadonlyArray<(i: number) => [string, number, string]> = [
  (i) => ['sshd', 300 + (h(i, 1) % 30000), `Accepted publickey for ${user(i)} from ${ip(i, '10.20.0', 2)} port ${port(i, 3)} ssh2: RSA SHA256:4Yf0w2bMeZ3kTqJ9nU3hV0hQ2n6wq0pL9l8uW6cX1aE`],
  (i) => ['sshd', 300 + (h(i, 1) % 30000), `Failed password for invalid user ${user(i)} from 203.0.113.${1 + (h(i, 11) % 8)} port ${port(i, 3)} ssh2`],
  (i) => ['sudo', 300 + (h(i, 4) % 30000), `${user(i)} : TTY=pts/${i % 6} ; PWD=/home/${user(i)} ; USER=root ; COMMAND=/usr/bin/systemctl restart nginx`],
  (i) => ['kernel', 0, `[${4475569 + i}.016000] IPTables-Dropped: IN=eth0 OUT= SRC=${ip(i, '192.0.2', 9)} DST=${ip(i, '10.40.0', 5)} LEN=60 TTL=52 PROTO=TCP SPT=${port(i, 3)} DPT=${[22, 23, 80, 8080][i % 4]} SYN`],
  (i) => ['named', 712, `client ${ip(i, '10.60.0', 2)}#${port(i, 3)} (${DOMAINS[h(i, 13) % DOMAINS.length]}): query: ${DOMAINS[h(i, 13) % DOMAINS.length]} IN ${['A', 'AAAA', 'MX', 'TXT'][i % 4]} +E(0)K (10.60.0.1)`],
  (i) => ['CRON', 1000 + (h(i, 5) % 9000), `(${user(i)}) CMD (/usr/local/bin/backup.sh --incremental --target /srv/backup/${user(i)} > /dev/null 2>&1)`],
];

const PAD = ' bench-intake padding to a typical two hundred byte syslog line ..........................................................';

/** Cuts or pads `line` to `len` bytes (the lines are ASCII, so characters are bytes). */
function fit(line: string, len: number): string {
  const out = line.length >= len ? line.slice(0, len) : (line + PAD).slice(0, len);
  // No trailing space: some senders and receivers trim it, and the bytes must stay comparable.
  return out.endsWith(' ') ? `${out.slice(0, -1)}.` : out;
}

/** Line i: RFC 3164 when i is even, RFC 5424 when odd; 180–220 bytes. */
export function intakeLine(i: number, bsdStamp: string, isoStamp: string): string {
  const [tag, pid, text] = BODIES[h(i, 21) % BODIES.length]!(i);
  const host = `host${h(i, 23) % 64}.example.net`;
  const pri = 8 * (i % 24) + 1 + (h(i, 25) % 7);
  const len = 180 + (h(i, 27) % 41);
  const line = i % 2 === 0
    ? `<${pri}>${bsdStamp} ${host} ${tag}${pid ? `[${pid}]` : ''}: ${text}`
    : `<${pri}>1 ${isoStamp} ${host} ${tag} ${pid || '-'} ${['LOGIN', 'AUTH', 'NET', '-'][i % 4]} [meta@32473 seq="${i}" bench="intake"] ${text}`;
  return fit(line, len);
}

/** `count` lines stamped `at` (both formats' timestamps of the same instant), as Buffers ready to send. */
export function intakeLines(count: number, at: Date): Buffer[] {
  const bsd = bsdTimestamp(at);
  const iso = at.toISOString();
  const out = new Array<Buffer>(count);
  for (let i = 0; i < count; i++) out[i] = Buffer.from(intakeLine(i, bsd, iso), 'latin1');
  return out;
}

/** The lines octet-counted (RFC 6587 3.4.1, RFC 5425: `LEN SP MSG`), concatenated into one buffer. */
export function octetCounted(lines: readonly Buffer[]): Buffer {
  const parts: Buffer[] = [];
  for (const l of lines) parts.push(Buffer.from(`${l.length} `, 'latin1'), l);
  return Buffer.concat(parts);
}
