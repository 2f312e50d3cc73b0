/**
 * Vendor decoders in-process: selection + extraction per event (createDecoderSet().decode), no
 * header parse, no Elasticsearch. `npm run bench:decoders`. Three tables:
 *  1. a reference mix of auth, firewall, Cisco and DNS lines (the shipped sshd decoder plus
 *     reference ASA, FortiGate, iptables, Cisco IOS and BIND decoders written in this file), per
 *     decoder and overall, on the default engine (V8 with linear fallback) and with every pattern
 *     on re2js — decision 0005;
 *  2. every shipped decoder (decoders/) on its own samples;
 *  3. 10 vs 100 decoders: the same reference events through sets of 10 and 100 decoders (the
 *     extra ones have their own programs, prefixes and contains literals), once with the events on
 *     the 10 original decoders only and once spread over all of them. Rounds interleave the sizes;
 *     the ratio is the median of the rounds' own ratios.
 * `node dist/bench/decoders.bench.js mix` runs only the first table (names: mix, reference, samples,
 * scaling). One core, median of RUNS runs. Target (issue 10): ≤ 3 µs/event on the mix, 100 decoders ≤ 1.5×
 * the cost of 10.
 */
import fs from 'node:fs';
import path from 'node:path';
import { applyDecoded, createDecoderSet, loadDecoders, loadDecoderText, sampleInput, type Decoder, type DecoderInput, type DecoderProblem, type DecoderSet } from '../pipeline/decoders';
import { median, printTable } from './report';

const ROOT = path.resolve(__dirname, '..', '..');
const REPO = fs.existsSync(path.join(ROOT, 'decoders')) ? ROOT : path.resolve(__dirname, '..');
const RUNS = 7;
const EVENTS = 200_000;

/** Reference decoders for the mix (the ASA one is the docs/decoders.md example). */
const REFERENCE = `
id: ref-cisco-asa
dataset: cisco.asa
select: { prefixes: ['%ASA-'], contains: ['%ASA-'] }
match: '%ASA-(?P<level>\\d)-(?P<msgid>\\d{6}): (?P<rest>.*)$'
map:
  event.code: msgid
  log.level: { from: level, table: levels }
  event: { from: msgid, table: asa }
cases:
  - when: { msgid: [302013, 302015] }
    from: rest
    match: '^Built (?P<dir>\\w+) (?P<proto>\\w+) connection \\d+ for [^:]+:(?P<sip>[^/]+)/(?P<sport>\\d+) .*? to [^:]+:(?P<dip>[^/]+)/(?P<dport>\\d+)'
    map: { source.ip: sip, source.port: sport, destination.ip: dip, destination.port: dport, network.transport: { from: proto, lowercase: true } }
  - when: { msgid: '106023' }
    from: rest
    match: '^Deny (?P<proto>\\w+) src [^:]+:(?P<sip>[^/]+)/(?P<sport>\\d+) dst [^:]+:(?P<dip>[^/]+)/(?P<dport>\\d+) by access-group "(?P<acl>[^"]+)"'
    map: { source.ip: sip, source.port: sport, destination.ip: dip, destination.port: dport, rule.name: acl }
tables:
  levels: { '0': emergency, '1': alert, '2': critical, '3': error, '4': warning, '5': notice, '6': informational, '7': debug }
  asa:
    '302013': { action: connection-built, category: [network], type: [connection, start], outcome: success }
    '302015': { action: connection-built, category: [network], type: [connection, start], outcome: success }
    '106023': { action: flow-denied, category: [network], type: [connection, denied], outcome: failure }
---
id: ref-fortigate
dataset: fortinet.firewall
select: { prefixes: ['date='] }
steps: [{ kv: { prefix: 'f.' } }]
map:
  source.ip: f.srcip
  source.port: f.srcport
  destination.ip: f.dstip
  destination.port: f.dstport
  event.action: f.action
  observer.name: f.devname
  network.bytes: { from: f.sentbyte, type: long }
  rule.id: f.policyid
---
id: ref-iptables
dataset: iptables.log
select: { programs: [kernel], contains: [' SRC='] }
match: 'IN=(?P<in>\\S*) OUT=(?P<out>\\S*) .*?SRC=(?P<src>\\S+) DST=(?P<dst>\\S+) .*?PROTO=(?P<proto>\\w+)(?: SPT=(?P<spt>\\d+) DPT=(?P<dpt>\\d+))?'
map:
  observer.ingress.interface.name: in
  observer.egress.interface.name: out
  source.ip: src
  destination.ip: dst
  network.transport: { from: proto, lowercase: true }
  source.port: spt
  destination.port: dpt
  event: { value: { category: [network], type: [connection] } }
---
id: ref-cisco-ios
dataset: cisco.ios
select: { contains: ['%LINK-', '%LINEPROTO-', '%SYS-', '%SEC-'] }
match: '%(?P<facility>[A-Z0-9_]+)-(?P<sev>\\d)-(?P<mnemonic>[A-Z0-9_]+): (?P<text>.*)$'
unmatched: keep
map:
  cisco.ios.facility: facility
  event.severity: { from: sev, type: long }
  event.code: mnemonic
cases:
  - match: '^Interface (?P<iface>[^,]+), changed state to (?P<state>\\w+)'
    from: text
    map: { observer.ingress.interface.name: iface, event.action: { from: state, table: state } }
  - match: '^Configured from (?P<src>\\S+) by (?P<user>\\S+)(?: on \\S+ \\((?P<ip>[^)]+)\\))?'
    from: text
    map: { user.name: user, source.ip: ip, event.action: { value: config-change } }
tables:
  state: { up: interface-up, down: interface-down, 'administratively': interface-admin-down }
---
id: ref-bind
dataset: bind.query
select: { programs: [named] }
match: 'client (?:@\\S+ )?(?P<ip>[^#\\s]+)#(?P<port>\\d+) \\((?P<q>[^)]*)\\): query: (?P<name>\\S+) (?P<class>\\S+) (?P<type>\\S+) (?P<flags>\\S+) \\((?P<server>[^)]+)\\)'
map:
  client.ip: ip
  client.port: port
  dns.question.name: name
  dns.question.class: class
  dns.question.type: type
  server.ip: server
  event: { value: { category: [network], type: [protocol], kind: event } }
`;

const MIX: DecoderInput[] = [
  { program: 'sshd', message: 'Accepted publickey for root from 10.0.0.5 port 51234 ssh2: RSA SHA256:4Yf0w2bMeZ3kTqJ9nU3hV0hQ2n6wq0pL9l8uW6cX1aE' },
  { program: 'sshd', message: 'Failed password for invalid user sammy from 82.202.219.155 port 51676 ssh2' },
  { program: 'sshd', message: 'Invalid user admin from 203.0.113.9 port 40110' },
  { program: 'sshd', message: 'Disconnected from invalid user root 172.18.1.100 port 43042 [preauth]' },
  { program: 'sshd', message: 'pam_unix(sshd:session): session opened for user root(uid=0) by (uid=0)' },
  { message: '%ASA-6-302013: Built inbound TCP connection 123456 for outside:192.0.2.10/51515 (192.0.2.10/51515) to inside:10.1.1.5/443 (10.1.1.5/443)' },
  { message: '%ASA-4-106023: Deny tcp src outside:198.51.100.7/4444 dst inside:10.0.0.8/22 by access-group "outside_in" [0x0, 0x0]' },
  { message: '%ASA-5-111008: User \'enable_15\' executed the \'write memory\' command.' },
  { message: 'date=2019-05-10 time=11:37:47 logid="0000000013" type="traffic" subtype="forward" level="notice" vd="vdom1" srcip=10.1.100.11 srcport=58012 srcintf="port12" dstip=23.59.154.35 dstport=80 dstintf="port11" sessionid=2 proto=6 action="close" policyid=1 sentbyte=1322 rcvdbyte=1234 devname="FG100E"' },
  { program: 'kernel', message: '[UFW BLOCK] IN=eth0 OUT= MAC=52:54:00:12:34:56:52:54:00:65:43:21:08:00 SRC=203.0.113.50 DST=10.0.0.4 LEN=60 TOS=0x00 PREC=0x00 TTL=51 ID=54321 DF PROTO=TCP SPT=51515 DPT=22 WINDOW=29200 RES=0x00 SYN URGP=0' },
  { message: '123: *Mar  1 00:01:02.123: %LINK-3-UPDOWN: Interface GigabitEthernet0/1, changed state to down' },
  { message: '124: *Mar  1 00:01:05.001: %SYS-5-CONFIG_I: Configured from console by admin on vty0 (10.0.0.9)' },
  { program: 'named', message: 'client @0x7f8b1c0a 192.0.2.55#53124 (example.com): query: example.com IN A +E(0)K (192.0.2.1)' },
  { program: 'named', message: 'client 198.51.100.3#41000 (www.example.org): query: www.example.org IN AAAA + (192.0.2.1)' },
];

/**
 * An input as the worker gets it: the syslog parser decodes the message from the received bytes
 * (pipeline/parse/syslog/bytes.ts), a flat string, one byte per character for ASCII. A sample's
 * message is a slice of its YAML file's text instead, which is two bytes per character when
 * anything in the file is not Latin-1 (a '→' in a comment): every string operation on it is then
 * slower than on what the worker sees.
 */
function received(input: DecoderInput): DecoderInput {
  return { ...input, message: Buffer.from(input.message, 'utf8').toString('utf8') };
}

function loadText(text: string, file: string, engine: 'auto' | 're2js' = 'auto'): Decoder[] {
  const problems: DecoderProblem[] = [];
  const decoders = loadDecoderText(text, file, problems, { engine });
  if (problems.length > 0) throw new Error(`${file}: ${problems.map((p) => `${p.line}:${p.column} ${p.message}`).join('; ')}`);
  return decoders;
}

function referenceSet(engine: 'auto' | 're2js'): Decoder[] {
  const sshd = path.join(REPO, 'decoders', 'linux', 'sshd.yml');
  return [...loadText(fs.readFileSync(sshd, 'utf8'), sshd, engine), ...loadText(REFERENCE, 'reference', engine)];
}

/** ns per event for `n` events cycled from `inputs`. */
function time(set: DecoderSet, inputs: readonly DecoderInput[], n: number, apply = false): number {
  let sink = 0;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    const input = inputs[i % inputs.length]!;
    const hit = set.decode(input);
    if (hit) {
      if (apply) applyDecoded({ message: input.message, event: { dataset: 'haetae.syslog' } }, hit.decoder.id, hit.result);
      sink++;
    }
  }
  const ns = Number(process.hrtime.bigint() - t0) / n;
  if (sink === 0 && n > 0) throw new Error('nothing decoded');
  return ns;
}

/**
 * Wall-clock and CPU µs per event (medians of RUNS runs). The CPU time (process.cpuUsage) leaves
 * out the time other processes had the core: on a shared machine it is the steadier figure.
 */
function medianWallCpuUs(set: DecoderSet, inputs: readonly DecoderInput[], n: number, apply = false): [number, number] {
  time(set, inputs, Math.min(n, 20_000), apply); // warm-up
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    const c0 = process.cpuUsage();
    wall.push(time(set, inputs, n, apply));
    const c = process.cpuUsage(c0);
    cpu.push(((c.user + c.system) * 1000) / n);
  }
  return [median(wall) / 1000, median(cpu) / 1000];
}

function medianUs(set: DecoderSet, inputs: readonly DecoderInput[], n: number, apply = false): number {
  time(set, inputs, Math.min(n, 20_000), apply); // warm-up
  return median(Array.from({ length: RUNS }, () => time(set, inputs, n, apply))) / 1000;
}

function mixTable(): void {
  const auto = createDecoderSet(referenceSet('auto'));
  const re2js = createDecoderSet(referenceSet('re2js'));
  for (const input of MIX) {
    const hit = auto.decode(input);
    if (!hit || !hit.result.ok) throw new Error(`reference mix line not decoded: ${input.message} → ${JSON.stringify(hit?.result)}`);
  }
  const rows: (string | number)[][] = [];
  const byDecoder = new Map<string, DecoderInput[]>();
  for (const input of MIX) {
    const id = auto.decode(input)!.decoder.id;
    byDecoder.set(id, [...(byDecoder.get(id) ?? []), input]);
  }
  for (const [id, inputs] of byDecoder) rows.push([id, inputs.length, medianUs(auto, inputs, EVENTS / 4), medianUs(re2js, inputs, EVENTS / 20)]);
  rows.push(['mix (all lines, cycled)', MIX.length, medianUs(auto, MIX, EVENTS), medianUs(re2js, MIX, EVENTS / 10)]);
  rows.push(['mix + applyDecoded', MIX.length, medianUs(auto, MIX, EVENTS, true), medianUs(re2js, MIX, EVENTS / 10, true)]);
  printTable(`Reference mix: selection + extraction, µs/event (median of ${RUNS})`, ['decoder', 'lines', 'v8+fallback µs', 're2js µs'], rows);
}

/**
 * The issue's mix through the SHIPPED decoders (all of decoders/ loaded, so selection is real):
 * auth (sshd, sudo), firewall (ASA, FortiGate, iptables, PAN-OS), Cisco IOS, Sysmon for Linux and
 * DNS (BIND, dnsmasq) — each decoder's first samples, weighted as the names say.
 */
const SHIPPED_MIX: Array<[string, number]> = [
  ['linux-sshd', 3], ['linux-sudo', 1], ['cisco-asa', 2], ['fortinet-fortigate', 1], ['iptables-log', 1], ['panw-panos', 1],
  ['cisco-ios', 2], ['sysmon-linux', 1], ['dns-bind', 1], ['dns-dnsmasq', 1],
];
function shippedMixTable(): void {
  const set = createDecoderSet(loadDecoders([path.join(REPO, 'decoders')]).decoders);
  const rows: (string | number)[][] = [];
  const mix: DecoderInput[] = [];
  for (const [id, n] of SHIPPED_MIX) {
    const d = set.decoders.find((x) => x.id === id);
    const inputs = (d?.samples ?? []).map(sampleInput).filter((i): i is DecoderInput => typeof i !== 'string' && set.decode(i)?.decoder === d && set.decode(i)!.result.ok).slice(0, n).map(received);
    if (inputs.length === 0) { rows.push([id, 0, '-', '-', '-', '-']); continue; }
    mix.push(...inputs);
    rows.push([id, inputs.length, ...medianWallCpuUs(set, inputs, EVENTS / 10), ...medianWallCpuUs(set, inputs, EVENTS / 10, true)]);
  }
  rows.push(['MIX (target ≤ 3 µs)', mix.length, ...medianWallCpuUs(set, mix, EVENTS), ...medianWallCpuUs(set, mix, EVENTS, true)]);
  printTable(`Shipped decoders (${set.decoders.length} loaded) on the issue's mix: selection + extraction, µs/event (median of ${RUNS}; cpu: CPU time)`, ['decoder', 'lines', 'µs/event', 'cpu µs', '+ applyDecoded µs', 'cpu µs'], rows);
}

function shippedTable(): void {
  const loaded = loadDecoders([path.join(REPO, 'decoders')]);
  if (loaded.problems.length > 0) process.stdout.write(`\n(${loaded.problems.length} problems in decoders/; those decoders are left out)\n`);
  const set = createDecoderSet(loaded.decoders);
  const rows: (string | number)[][] = [];
  const all: DecoderInput[] = [];
  for (const d of set.decoders) {
    const inputs: DecoderInput[] = d.samples
      .map(sampleInput)
      .filter((i): i is DecoderInput => typeof i !== 'string' && set.decode(i)?.decoder === d)
      .map(received);
    if (inputs.length === 0) { rows.push([d.id, 0, '-']); continue; }
    all.push(...inputs);
    rows.push([d.id, inputs.length, medianUs(set, inputs, EVENTS / 10)]);
  }
  if (all.length > 0) rows.push(['all samples', all.length, medianUs(set, all, EVENTS)]);
  printTable(`Shipped decoders (decoders/) on their own samples, µs/event (median of ${RUNS})`, ['decoder', 'samples', 'µs/event'], rows);
}

/**
 * N decoders: the 6 reference decoders, then copies with their keys renamed (program sshd → sshd7,
 * prefix '%ASA-' → '%ASA7-', contains '%LINK-' → '%LINK7-', …) until there are N.
 */
function scaledSet(n: number): { set: DecoderSet; spread: DecoderInput[] } {
  const base = referenceSet('auto');
  const decoders: Decoder[] = [];
  const spread: DecoderInput[] = [];
  const sshd = fs.readFileSync(path.join(REPO, 'decoders', 'linux', 'sshd.yml'), 'utf8');
  const texts = [sshd, ...REFERENCE.split('\n---\n')];
  for (let i = 0; decoders.length < n; i++) {
    const text = texts[i % texts.length]!;
    const copy = Math.floor(i / texts.length);
    if (copy === 0) {
      decoders.push(base[i]!);
      continue;
    }
    const renamed = text
      .replace(/^id: (\S+)/m, `id: $1-${copy}`)
      .replace(/programs: \[sshd\]/, `programs: [sshd${copy}]`)
      .replace(/programs: \[kernel\]/, `programs: [kernel${copy}]`)
      .replace(/programs: \[named\]/, `programs: [named${copy}]`)
      .replace(/'%ASA-'/g, `'%ASA${copy}-'`)
      .replace(/prefixes: \['date='\]/, `prefixes: ['date${copy}=']`)
      .replace(/' SRC='/, `' SRC${copy}='`)
      .replace(/'%(LINK|LINEPROTO|SYS|SEC)-'/g, `'%$1${copy}-'`);
    decoders.push(...loadText(renamed, `copy-${copy}`));
  }
  // The same lines with keys renamed to reach every copy (for the "spread" variant).
  const copies = Math.ceil(n / texts.length);
  for (let c = 0; c < copies; c++) {
    for (const input of MIX) {
      if (c === 0) { spread.push(input); continue; }
      const program = input.program && input.program !== 'kernel' ? `${input.program}${c}` : input.program === 'kernel' ? `kernel${c}` : undefined;
      const message = input.message.replace('%ASA-', `%ASA${c}-`).replace(/^date=/, `date${c}=`).replace('%LINK-', `%LINK${c}-`).replace('%SYS-', `%SYS${c}-`);
      spread.push({ message, ...(program ? { program } : {}) });
    }
  }
  const set = createDecoderSet(decoders.slice(0, n));
  return { set, spread: spread.filter((i) => set.decode(i) !== null) };
}

function scalingTable(): void {
  const sizes = [10, 100];
  const sets = sizes.map(scaledSet);
  const rows: (string | number)[][] = [];
  for (const variant of ['same 14 lines (10 decoders hit)', 'lines spread over all decoders'] as const) {
    const rounds: number[][] = sizes.map(() => []);
    for (let r = 0; r < RUNS; r++) {
      sets.forEach((s, k) => {
        const inputs = variant.startsWith('same') ? MIX : s.spread;
        time(s.set, inputs, 20_000);
        rounds[k]!.push(time(s.set, inputs, EVENTS / 2) / 1000);
      });
    }
    const ratios = rounds[1]!.map((v, i) => v / rounds[0]![i]!);
    rows.push([variant, median(rounds[0]!), median(rounds[1]!), median(ratios)]);
  }
  printTable(`10 vs 100 decoders, µs/event (median of ${RUNS} interleaved rounds; target ratio ≤ 1.5)`, ['events', '10 decoders', '100 decoders', '100 / 10'], rows);
}

/** `node dist/bench/decoders.bench.js [mix] [reference] [samples] [scaling]`: only those tables (default: all). */
const TABLES: Record<string, () => void> = { mix: shippedMixTable, reference: mixTable, samples: shippedTable, scaling: scalingTable };
const chosen = process.argv.slice(2);
for (const name of chosen) if (!(name in TABLES)) throw new Error(`unknown table '${name}' (tables: ${Object.keys(TABLES).join(', ')})`);
for (const [name, run] of Object.entries(TABLES)) if (chosen.length === 0 || chosen.includes(name)) run();
