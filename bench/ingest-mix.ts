/**
 * The realistic line mix of bench:ingest: what a small site's relay forwards — auth (sshd, sudo),
 * firewalls (Cisco ASA, FortiGate key=value, iptables), Cisco IOS, Sysmon for Linux and DNS (BIND,
 * dnsmasq) — each line in the shape the shipped decoders read (decoders/, their `samples:`), and
 * 5.0% of lines matching a shipped rule in rules/ (sshd failures and invalid users, sudo password
 * failures, IOS configuration changes, interface down/up).
 *
 * Every line has an RFC 3164 header whose hostname starts with the run's token (`<token>-web3`),
 * as a relay writes it: decoders rewrite `message` and `event.original` is not indexed, but no
 * decoder touches `log.syslog.hostname`, so a prefix query on it counts every event of a run
 * whatever its family. Lines are a pure function of (i, token, stamp): the sender makes them on
 * the fly (cheap string templates, no per-line PRNG), and the raw-bulk baseline makes the same.
 */
import { mulberry32 } from './report';

/** One kind of line: its share of the mix in lines per 1,000, and whether a shipped rule matches it. */
export interface MixKind {
  readonly name: string;
  readonly group: 'auth' | 'firewall' | 'cisco-ios' | 'sysmon' | 'dns';
  readonly perMille: number;
  /** A shipped rule in rules/ matches this line (an alerting or informational finding). */
  readonly matchesRule: boolean;
  /** The line, given a number that varies its fields, the host prefix (token) and the header timestamp. */
  readonly line: (i: number, host: string, stamp: string) => string;
}

/** A cheap integer hash, so fields vary without lining up with the kind schedule. */
const h = (i: number, salt: number): number => (Math.imul(i ^ salt, 2654435761) >>> 0);
const ip = (i: number, net: string, salt: number): string => `${net}.${1 + (h(i, salt) % 250)}`;
const port = (i: number, salt: number): number => 1024 + (h(i, salt) % 60000);
const USERS = ['alice', 'bob', 'carol', 'deploy', 'backup', 'www-data', 'nagios', 'jenkins', 'oracle', 'postgres'];
const user = (i: number): string => USERS[h(i, 7) % USERS.length]!;
/** Few attacker addresses, so the ssh brute-force correlation (10 failures per address in 5 min) fires now and then. */
const attacker = (i: number): string => `203.0.113.${1 + (h(i, 11) % 8)}`;
const DOMAINS = ['example.com', 'www.example.org', 'api.example.net', 'updates.example.com', 'cdn.example.org', 'mail.example.com', 'login.example.net', 'time.example.org'];
const domain = (i: number): string => DOMAINS[h(i, 13) % DOMAINS.length]!;
const pid = (i: number, salt: number): number => 300 + (h(i, salt) % 30000);
const GUID = (i: number): string => `{4e4a3bd2-${(h(i, 17) & 0xffff).toString(16).padStart(4, '0')}-616d-c1a8-${h(i, 19).toString(16).padStart(8, '0')}5500}`;

function sysmonEvent(i: number, host: string, id: number, data: string): string {
  return `<Event><System><Provider Name="Linux-Sysmon" Guid="{ff032593-a8d3-4f13-b0d6-01fc615a0f97}"/><EventID>${id}</EventID><Version>5</Version><Level>4</Level><Task>${id}</Task><Opcode>0</Opcode><Keywords>0x8000000000000000</Keywords><TimeCreated SystemTime="2026-12-04T10:00:00.000000000Z"/><EventRecordID>${i}</EventRecordID><Correlation/><Execution ProcessID="4536" ThreadID="4536"/><Channel>Linux-Sysmon/Operational</Channel><Computer>${host}</Computer><Security UserId="0"/></System><EventData>${data}</EventData></Event>`;
}

const PROGRAMS = [['/usr/bin/curl', 'curl -s https://updates.example.com/manifest.json'], ['/usr/bin/python3', 'python3 /opt/app/worker.py --queue default'], ['/usr/bin/ls', 'ls -la /var/log'], ['/usr/bin/systemctl', 'systemctl status nginx'], ['/usr/bin/git', 'git pull --ff-only']] as const;

export const MIX: readonly MixKind[] = [
  // auth: 22.5%
  { name: 'sshd accepted publickey', group: 'auth', perMille: 90, matchesRule: false, line: (i, host, s) => `<38>${s} ${host}-web${i % 20} sshd[${pid(i, 1)}]: Accepted publickey for ${user(i)} from ${ip(i, '10.20.0', 2)} port ${port(i, 3)} ssh2: RSA SHA256:4Yf0w2bMeZ3kTqJ9nU3hV0hQ2n6wq0pL9l8uW6cX1aE` },
  { name: 'sshd accepted password', group: 'auth', perMille: 20, matchesRule: false, line: (i, host, s) => `<38>${s} ${host}-web${i % 20} sshd[${pid(i, 1)}]: Accepted password for ${user(i)} from ${ip(i, '10.20.1', 2)} port ${port(i, 3)} ssh2` },
  { name: 'sshd disconnect', group: 'auth', perMille: 30, matchesRule: false, line: (i, host, s) => `<38>${s} ${host}-web${i % 20} sshd[${pid(i, 1)}]: Received disconnect from ${ip(i, '10.20.0', 2)} port ${port(i, 3)}:11: disconnected by user` },
  { name: 'sshd failed password (rule)', group: 'auth', perMille: 20, matchesRule: true, line: (i, host, s) => `<38>${s} ${host}-web${i % 20} sshd[${pid(i, 1)}]: Failed password for ${i % 3 === 0 ? 'root' : `invalid user ${user(i)}`} from ${attacker(i)} port ${port(i, 3)} ssh2` },
  { name: 'sshd invalid user (rule)', group: 'auth', perMille: 10, matchesRule: true, line: (i, host, s) => `<38>${s} ${host}-web${i % 20} sshd[${pid(i, 1)}]: Invalid user ${user(i)}${i % 97} from ${attacker(i)} port ${port(i, 3)}` },
  { name: 'sudo command', group: 'auth', perMille: 50, matchesRule: false, line: (i, host, s) => `<85>${s} ${host}-web${i % 20} sudo:    ${user(i)} : TTY=pts/${i % 6} ; PWD=/home/${user(i)} ; USER=root ; COMMAND=/usr/bin/systemctl restart nginx` },
  { name: 'sudo wrong password (rule)', group: 'auth', perMille: 5, matchesRule: true, line: (i, host, s) => `<85>${s} ${host}-web${i % 20} sudo:    ${user(i)} : ${1 + (i % 3)} incorrect password attempt${i % 3 ? 's' : ''} ; TTY=pts/${i % 6} ; PWD=/home/${user(i)} ; USER=root ; COMMAND=/bin/bash` },
  // firewall: 35%
  { name: 'ASA connection built', group: 'firewall', perMille: 70, matchesRule: false, line: (i, host, s) => `<166>${s} ${host}-asa${i % 2} %ASA-6-302013: Built outbound TCP connection ${100000 + i} for outside:${ip(i, '198.51.100', 4)}/443 (${ip(i, '198.51.100', 4)}/443) to inside:${ip(i, '10.1.1', 5)}/${port(i, 6)} (${ip(i, '192.0.2', 5)}/${port(i, 6)})` },
  { name: 'ASA connection teardown', group: 'firewall', perMille: 60, matchesRule: false, line: (i, host, s) => `<166>${s} ${host}-asa${i % 2} %ASA-6-302014: Teardown TCP connection ${100000 + i} for outside:${ip(i, '198.51.100', 4)}/443 to inside:${ip(i, '10.1.1', 5)}/${port(i, 6)} duration 0:00:${String(i % 60).padStart(2, '0')} bytes ${h(i, 8) % 100000} TCP FINs` },
  { name: 'ASA access denied', group: 'firewall', perMille: 30, matchesRule: false, line: (i, host, s) => `<164>${s} ${host}-asa${i % 2} %ASA-4-106023: Deny tcp src outside:${ip(i, '192.0.2', 9)}/${port(i, 3)} dst inside:${ip(i, '10.1.1', 5)}/${[22, 23, 139, 445, 3389][i % 5]} by access-group "outside_in" [0x0, 0x0]` },
  { name: 'FortiGate traffic accept', group: 'firewall', perMille: 80, matchesRule: false, line: (i, host, s) => `<189>${s} ${host}-fgt${i % 3} date=2026-12-04 time=10:00:00 devname="fgt${i % 3}" devid="FGT60F000000000${i % 3}" logid="0000000013" type="traffic" subtype="forward" level="notice" vd="root" srcip=${ip(i, '10.30.0', 2)} srcport=${port(i, 3)} srcintf="port1" srcintfrole="lan" dstip=${ip(i, '198.51.100', 4)} dstport=443 dstintf="wan1" dstintfrole="wan" sessionid=${i} proto=6 action="accept" policyid=${1 + (i % 9)} policytype="policy" service="HTTPS" duration=${i % 300} sentbyte=${h(i, 5) % 50000} rcvdbyte=${h(i, 6) % 500000} sentpkt=${i % 90} rcvdpkt=${i % 120} appcat="unscanned"` },
  { name: 'FortiGate traffic deny', group: 'firewall', perMille: 30, matchesRule: false, line: (i, host, s) => `<189>${s} ${host}-fgt${i % 3} date=2026-12-04 time=10:00:00 devname="fgt${i % 3}" devid="FGT60F000000000${i % 3}" logid="0000000013" type="traffic" subtype="forward" level="notice" vd="root" srcip=${ip(i, '192.0.2', 9)} srcport=${port(i, 3)} srcintf="wan1" dstip=${ip(i, '10.30.0', 2)} dstport=${[22, 23, 445, 3389][i % 4]} dstintf="port1" sessionid=${i} proto=6 action="deny" policyid=0 service="tcp/${[22, 23, 445, 3389][i % 4]}" sentbyte=0 rcvdbyte=0 sentpkt=0` },
  { name: 'iptables drop', group: 'firewall', perMille: 80, matchesRule: false, line: (i, host, s) => `<4>${s} ${host}-gw${i % 4} kernel: [${4475569 + i}.016000] IPTables-Dropped: IN=eth0 OUT= MAC=00:16:3e:aa:bb:cc:00:16:3e:dd:ee:ff:08:00 SRC=${ip(i, '192.0.2', 9)} DST=${ip(i, '10.40.0', 5)} LEN=60 TOS=0x00 PREC=0x00 TTL=52 ID=${i % 65536} DF PROTO=TCP SPT=${port(i, 3)} DPT=${[22, 23, 80, 8080][i % 4]} WINDOW=29200 RES=0x00 SYN URGP=0` },
  // Cisco IOS: 6.5%
  { name: 'IOS ACL log', group: 'cisco-ios', perMille: 40, matchesRule: false, line: (i, host, s) => `<190>${s} ${host}-sw${i % 8} ${i}: %SEC-6-IPACCESSLOGP: list 102 denied tcp ${ip(i, '10.0.6', 2)}(${port(i, 3)}) -> ${ip(i, '172.16.4', 4)}(${[139, 445][i % 2]}), 1 packet` },
  { name: 'IOS line protocol', group: 'cisco-ios', perMille: 10, matchesRule: false, line: (i, host, s) => `<189>${s} ${host}-sw${i % 8} ${i}: %LINEPROTO-5-UPDOWN: Line protocol on Interface GigabitEthernet0/${i % 24}, changed state to ${i % 2 ? 'up' : 'down'}` },
  { name: 'IOS config change (rule)', group: 'cisco-ios', perMille: 10, matchesRule: true, line: (i, host, s) => `<189>${s} ${host}-sw${i % 8} ${i}: %SYS-5-CONFIG_I: Configured from console by ${user(i)} on vty0 (${ip(i, '10.0.0', 2)})` },
  { name: 'IOS interface down (rule)', group: 'cisco-ios', perMille: 3, matchesRule: true, line: (i, host, s) => `<187>${s} ${host}-sw${i % 8} ${i}: %LINK-3-UPDOWN: Interface GigabitEthernet0/${i % 24}, changed state to down` },
  { name: 'IOS interface up (rule)', group: 'cisco-ios', perMille: 2, matchesRule: true, line: (i, host, s) => `<187>${s} ${host}-sw${i % 8} ${i}: %LINK-3-UPDOWN: Interface GigabitEthernet0/${i % 24}, changed state to up` },
  // Sysmon for Linux: 12%
  { name: 'Sysmon process create', group: 'sysmon', perMille: 70, matchesRule: false, line: (i, host, s) => {
    const [image, cmd] = PROGRAMS[i % PROGRAMS.length]!;
    return `<14>${s} ${host}-srv${i % 10} sysmon: ${sysmonEvent(i, `${host}-srv${i % 10}`, 1, `<Data Name="RuleName">-</Data><Data Name="UtcTime">2026-12-04 10:00:00.000</Data><Data Name="ProcessGuid">${GUID(i)}</Data><Data Name="ProcessId">${pid(i, 1)}</Data><Data Name="Image">${image}</Data><Data Name="FileVersion">-</Data><Data Name="Description">-</Data><Data Name="Product">-</Data><Data Name="Company">-</Data><Data Name="OriginalFileName">-</Data><Data Name="CommandLine">${cmd}</Data><Data Name="CurrentDirectory">/home/${user(i)}</Data><Data Name="User">${user(i)}</Data><Data Name="LogonGuid">{4e4a3bd2-0000-0000-e803-000000000000}</Data><Data Name="LogonId">1000</Data><Data Name="TerminalSessionId">3</Data><Data Name="IntegrityLevel">no level</Data><Data Name="Hashes">-</Data><Data Name="ParentProcessGuid">${GUID(i + 1)}</Data><Data Name="ParentProcessId">${pid(i, 2)}</Data><Data Name="ParentImage">/usr/bin/bash</Data><Data Name="ParentCommandLine">-bash</Data><Data Name="ParentUser">${user(i)}</Data>`)}`;
  } },
  { name: 'Sysmon network connect', group: 'sysmon', perMille: 50, matchesRule: false, line: (i, host, s) => `<14>${s} ${host}-srv${i % 10} sysmon: ${sysmonEvent(i, `${host}-srv${i % 10}`, 3, `<Data Name="RuleName">-</Data><Data Name="UtcTime">2026-12-04 10:00:00.000</Data><Data Name="ProcessGuid">${GUID(i)}</Data><Data Name="ProcessId">${pid(i, 1)}</Data><Data Name="Image">/usr/bin/curl</Data><Data Name="User">${user(i)}</Data><Data Name="Protocol">tcp</Data><Data Name="Initiated">true</Data><Data Name="SourceIsIpv6">false</Data><Data Name="SourceIp">${ip(i, '10.50.0', 2)}</Data><Data Name="SourceHostname">-</Data><Data Name="SourcePort">${port(i, 3)}</Data><Data Name="SourcePortName">-</Data><Data Name="DestinationIsIpv6">false</Data><Data Name="DestinationIp">${ip(i, '198.51.100', 4)}</Data><Data Name="DestinationHostname">-</Data><Data Name="DestinationPort">443</Data><Data Name="DestinationPortName">-</Data>`)}` },
  // DNS: 24%
  { name: 'BIND query', group: 'dns', perMille: 100, matchesRule: false, line: (i, host, s) => `<30>${s} ${host}-dns${i % 2} named[712]: client @0x7f2b1c0a${(i % 65536).toString(16).padStart(4, '0')} ${ip(i, '10.60.0', 2)}#${port(i, 3)} (${domain(i)}): query: ${domain(i)} IN ${['A', 'AAAA', 'MX', 'TXT'][i % 4]} +E(0)K (10.60.0.1)` },
  { name: 'dnsmasq query', group: 'dns', perMille: 60, matchesRule: false, line: (i, host, s) => `<30>${s} ${host}-dns${2 + (i % 2)} dnsmasq[455]: query[${['A', 'AAAA'][i % 2]}] ${domain(i)} from ${ip(i, '10.60.1', 2)}` },
  { name: 'dnsmasq forwarded', group: 'dns', perMille: 30, matchesRule: false, line: (i, host, s) => `<30>${s} ${host}-dns${2 + (i % 2)} dnsmasq[455]: forwarded ${domain(i)} to 192.0.2.53` },
  { name: 'dnsmasq reply', group: 'dns', perMille: 50, matchesRule: false, line: (i, host, s) => `<30>${s} ${host}-dns${2 + (i % 2)} dnsmasq[455]: reply ${domain(i)} is ${ip(i, '198.51.100', 4)}` },
];

const SLOTS = 1000;
if (MIX.reduce((a, k) => a + k.perMille, 0) !== SLOTS) throw new Error('bench/ingest-mix.ts: the mix must add up to 1,000 per mille');

/**
 * Kind per slot of a 1,000-line cycle, shuffled once with a fixed seed: every 1,000 consecutive
 * lines hold the exact shares above, interleaved as a relay would see them, the same every run.
 */
const SCHEDULE: Uint8Array = (() => {
  const slots = new Uint8Array(SLOTS);
  let at = 0;
  MIX.forEach((k, idx) => { for (let n = 0; n < k.perMille; n++) slots[at++] = idx; });
  const rnd = mulberry32(0x5eed14);
  for (let j = SLOTS - 1; j > 0; j--) {
    const r = Math.floor(rnd() * (j + 1));
    const t = slots[j]!;
    slots[j] = slots[r]!;
    slots[r] = t;
  }
  return slots;
})();

export function kindOf(i: number): MixKind {
  return MIX[SCHEDULE[i % SLOTS]!]!;
}

/** Line i of a run whose hostnames start with `token` (so `${token}-` prefixes every log.syslog.hostname). */
export function mixLine(i: number, token: string, stamp: string): string {
  return kindOf(i).line(i, token, stamp);
}

/** The index-side prefix that finds every event of the run made with this token. */
export function hostPrefix(token: string): string {
  return `${token}-`;
}

/** Share of the first n lines that a shipped rule matches, by construction (the bench also checks it through the real rules). */
export function expectedRuleShare(n: number): number {
  let hits = 0;
  for (let i = 0; i < n; i++) if (kindOf(i).matchesRule) hits++;
  return n > 0 ? hits / n : 0;
}
