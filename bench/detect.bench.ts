/**
 * Detect stage in-process: N = 10, 100, 1,000 rules against realistic syslog events, brute force
 * (every rule's matches()) vs the pre-filter index (pipeline/detect/rule-index). Rules are
 * synthetic but SigmaHQ-shaped: the selection / filter / `1 of selection_*` / keywords /
 * `contains|all` shapes of the SigmaHQ linux and network rules, with literals harvested from those
 * rules ($SIGMAHQ_DIR, default ../shared/data/sigmahq beside the project) mixed with syslog vocabulary, over the
 * ECS fields our syslog events carry. Events go through the real parser and normalizer
 * (eventFromLine); most match no rule. One core, median of 5 runs; the indexed matchers are timed
 * interleaved (see interleavedRounds) and the 100 → 1,000 ratio is the median of the rounds' own
 * ratios. `npm run bench:detect`.
 */
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { compileValidators } from '../schemas/validators';
import { loadRuleText, type CompiledRule, type RuleProblem } from '../pipeline/detect/load';
import { matchRulesBruteForce } from '../pipeline/detect/match';
import { RuleIndex } from '../pipeline/detect/rule-index';
import { eventFromLine } from '../pipeline/detect/sample-event';
import { heapMiB, median, mulberry32, printTable } from './report';

const SIZES = [10, 100, 1_000];
const EVENTS = 20_000;
/**
 * Distinct events, cycled. In the worker the event was just normalized and is in cache; a pool of
 * 20,000 pre-built events is not (field reads then cost 300+ ns of cache misses), so the pool is
 * one worker batch (bench:worker's BATCH) and each run makes EVENTS / POOL passes over it.
 */
const POOL = 2_000;
/** Brute force at 1,000 rules is slow: it runs on a prefix of the events (at least one pool). */
const BRUTE_BUDGET = 4_000_000;
const RUNS = 5;
const SIGMA_DIR = process.env.SIGMAHQ_DIR ?? path.resolve(__dirname, '..', '..', '..', 'shared', 'data', 'sigmahq');

// Deterministic PRNG so every run benchmarks the same rules and events.
let rnd = mulberry32(0x5eed);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
const int = (lo: number, hi: number): number => lo + Math.floor(rnd() * (hi - lo + 1));
const some = <T>(xs: readonly T[], n: number): T[] => Array.from({ length: n }, () => pick(xs));

// --- literal vocabulary ---------------------------------------------------------------------------

/** String values of SigmaHQ detections (contains / startswith / endswith / keywords), ≥ 4 chars. */
function sigmaLiterals(): { literals: string[]; programs: string[]; files: number } {
  const literals = new Set<string>();
  const programs = new Set<string>();
  let files = 0;
  const walk = (dir: string): void => {
    for (const name of fs.readdirSync(dir)) {
      const p = path.join(dir, name);
      if (fs.statSync(p).isDirectory()) { walk(p); continue; }
      if (!/\.ya?ml$/.test(name)) continue;
      files++;
      let doc: { detection?: Record<string, unknown> };
      try { doc = YAML.parse(fs.readFileSync(p, 'utf8')) as typeof doc; } catch { continue; }
      const visit = (key: string, v: unknown): void => {
        if (Array.isArray(v)) { v.forEach((x) => visit(key, x)); return; }
        if (v !== null && typeof v === 'object') { for (const [k, x] of Object.entries(v)) visit(k, x); return; }
        if (typeof v !== 'string' || v.length < 4 || /[*?\\]/.test(v) || key.includes('|re')) return;
        if (/^Image\|endswith$/.test(key) && v.startsWith('/')) programs.add(v.slice(v.lastIndexOf('/') + 1));
        literals.add(v);
      };
      for (const [k, v] of Object.entries(doc.detection ?? {})) if (k !== 'condition') visit(k, v);
    }
  };
  if (fs.existsSync(SIGMA_DIR)) walk(SIGMA_DIR);
  return { literals: [...literals], programs: [...programs].filter((p) => p.length >= 2), files };
}

const sigma = sigmaLiterals();
/** What the syslog programs in the event mix actually say (so some rules do fire). */
const SYSLOG_LITERALS = [
  'Failed password for', 'Invalid user', 'authentication failure', 'Accepted publickey', 'session opened for user',
  'incorrect password attempts', 'user NOT in sudoers', 'COMMAND=/bin/bash', 'COMMAND=/usr/bin/id', 'oom-killer',
  'Out of memory', 'segfault at', 'IN=eth0', 'PROTO=UDP', 'DPT=23', 'CMD (run-parts', 'CMD (/usr/local/bin/backup',
  'Started Daily apt', 'Stopped target', 'maximum authentication attempts exceeded', 'Connection closed by', 'reverse mapping checking',
];
const LITERALS = [...sigma.literals, ...SYSLOG_LITERALS];
const PROGRAMS = ['sshd', 'sudo', 'cron', 'CRON', 'kernel', 'systemd', 'su', 'useradd', 'passwd', 'postfix/smtpd', 'dhclient', 'named', 'auditd', ...sigma.programs];
const ASA_IDS = ['4-106023', '6-302013', '6-302014', '6-113005', '5-605004', '5-611102', '4-733100', '6-106100', '3-710003', '5-502103'];
const SUDO_COMMANDS = ['apt update', 'systemctl restart nginx', 'journalctl -u app', 'cat /var/log/syslog', 'id', 'passwd', 'tcpdump', 'nc', 'vim /etc/sudoers'];
/** Keyword searches use the longer SigmaHQ literals (short ones appear there only under contains|all). */
const LONG_LITERALS = sigma.literals.filter((l) => l.length >= 8).concat(SYSLOG_LITERALS.filter((l) => l.length >= 8).map((l) => `${l} `));

// --- rules ------------------------------------------------------------------------------------------

/**
 * A few broad rules, as any estate has (the shipped sshd / sudo / Cisco ones): they fire on every
 * event of their kind, whatever N is.
 */
const BROAD: Array<Record<string, unknown>> = [
  { program: { 'process.name': 'sshd' }, failure: { 'message|contains': ['Failed password for', 'Invalid user', 'authentication failure'] }, condition: 'program and failure' },
  { program: { 'process.name': 'sudo' }, failure: { 'message|contains': ['incorrect password attempt', 'user NOT in sudoers', 'authentication failure'] }, condition: 'program and failure' },
  { config_changed: { 'message|contains': '%SYS-5-CONFIG_I' }, condition: 'config_changed' },
];

/**
 * One SigmaHQ-shaped detection; the mix follows what the linux/network rules do most. Rules on the
 * syslog vocabulary carry a distinguishing value (an address, a user, a command, a port, an
 * interface), as real rules do, so that rule i and rule j are different detections.
 */
function detection(i: number): Record<string, unknown> {
  if (i < BROAD.length) return BROAD[i]!;
  const lit = (): string => pick(LONG_LITERALS);
  const shape = rnd();
  if (shape < 0.25) {
    // "program + message" with a specific value: selection and failure
    const [program, text, specific] = pick<[string, string, () => string]>([
      ['sshd', 'Failed password for', () => `from ${ip()} port`],
      ['sshd', 'Accepted publickey for', () => `for ${user()} from ${ip()}`],
      ['sshd', 'session opened for user', () => `user ${user()}(uid=`],
      ['sudo', 'COMMAND=', () => `USER=root ; COMMAND=/usr/bin/${pick(SUDO_COMMANDS)}`],
      ['CRON', 'CMD (', () => `(${user()}) CMD (`],
      ['kernel', 'IPTABLES-DROP', () => `SRC=${ip()} `],
      ['kernel', 'PROTO=TCP', () => `DPT=${int(1, 1024)} `],
    ]);
    return { program: { 'process.name': program }, failure: { 'message|contains|all': [text, specific()] }, condition: 'program and failure' };
  }
  if (shape < 0.40) {
    // selection and not filter (filter_main_*)
    return {
      selection: { 'message|contains|all': [pick(LITERALS), lit()] },
      filter_main_known: { 'message|contains': lit() },
      condition: 'selection and not 1 of filter_main_*',
    };
  }
  if (shape < 0.55) {
    // selection_img and 1 of selection_cli_*
    return {
      selection_img: { 'process.name': some(PROGRAMS, int(1, 3)) },
      selection_cli_flags: { 'message|contains': some(LITERALS, int(1, 3)) },
      selection_cli_path: { 'message|endswith': lit() },
      condition: 'selection_img and 1 of selection_cli_*',
    };
  }
  if (shape < 0.65) {
    // keywords
    return { keywords: some(LONG_LITERALS, int(2, 4)), condition: 'keywords' };
  }
  if (shape < 0.75) {
    // all of selection_*, with startswith
    return {
      selection_proc: { 'log.syslog.appname': 'sshd' },
      selection_msg: { 'message|startswith': `${pick(['Failed password for ', 'Accepted publickey for ', 'Connection closed by '])}${pick(['', 'invalid user '])}${user()} from ${ip()}` },
      condition: 'all of selection_*',
    };
  }
  if (shape < 0.85) {
    // Cisco IOS mnemonic with a distinguishing parameter
    const [mnemonic, specific] = pick<[string, () => string]>([
      ['%LINK-3-UPDOWN', () => `Ethernet0/${int(1, 48)},`],
      ['%SEC-6-IPACCESSLOGP', () => `list ${int(100, 199)} denied`],
      ['%SEC-6-IPACCESSLOGP', () => `denied tcp ${ip()}(`],
      ['%SYS-5-CONFIG_I', () => `by ${user()} on vty`],
      ['%SEC_LOGIN-4-LOGIN_FAILED', () => `[user: ${user()}]`],
    ]);
    return { selection: { 'message|contains|all': [mnemonic, specific()] }, condition: 'selection' };
  }
  if (shape < 0.99) {
    // ASA message id plus a peer, minus an inside subnet
    return {
      selection: { 'message|contains|all': [`%ASA-${pick(ASA_IDS)}`, `outside:${ip()}/`] },
      filter: { 'message|contains': `inside:10.${int(0, 255)}.` },
      condition: 'selection and not filter',
    };
  }
  // 1% the index cannot narrow, of the two kinds SigmaHQ linux+network has (2 of 263 rules): a
  // regex whose only literals sit in an alternation, and a cidr match.
  if (i % 2 === 0) return { selection: { 'message|re': `(failures|retries|drops)=[0-9]{${int(3, 6)}}` }, condition: 'selection' };
  return { selection: { 'source.ip|cidr': [`10.${int(0, 255)}.0.0/16`, `172.${int(16, 31)}.0.0/16`] }, condition: 'selection' };
}

const validators = compileValidators();
export function makeRules(n: number): CompiledRule[] {
  rnd = mulberry32(0x5eed + n);
  const out: CompiledRule[] = [];
  const problems: RuleProblem[] = [];
  const seen = new Set<string>();
  for (let i = 0; out.length < n; i++) {
    const d = detection(out.length);
    const key = JSON.stringify(d);
    if (seen.has(key)) continue; // distinct detections only
    seen.add(key);
    const doc = { title: `synthetic ${i}`, id: `synthetic-${n}-${i}`, level: 'medium', logsource: { product: 'linux' }, detection: d };
    for (const r of loadRuleText(YAML.stringify(doc), `synthetic-${i}.yml`, validators.rule, problems)) out.push(r.rule);
  }
  if (problems.length > 0) throw new Error(`synthetic rules failed to load: ${problems[0]!.message}`);
  return out;
}

// --- events -------------------------------------------------------------------------------------------

const ip = (): string => `${pick(['203.0.113', '198.51.100', '192.0.2', '10.0.0', '10.20.1'])}.${int(1, 254)}`;
const user = (): string => pick(['root', 'admin', 'alice', 'bob', 'oracle', 'test', 'ubuntu', 'deploy']);
const host = (): string => pick(['web1', 'web2', 'db1', 'bastion', 'ci-runner-3', 'mail']);
const ts = (): string => `Nov 22 ${String(int(0, 23)).padStart(2, '0')}:${String(int(0, 59)).padStart(2, '0')}:${String(int(0, 59)).padStart(2, '0')}`;
const LINES: Array<() => string> = [
  () => `<38>${ts()} ${host()} sshd[${int(100, 99999)}]: Failed password for ${rnd() < 0.3 ? 'invalid user ' : ''}${user()} from ${ip()} port ${int(1024, 65535)} ssh2`,
  () => `<86>${ts()} ${host()} sshd[${int(100, 99999)}]: Accepted publickey for ${user()} from ${ip()} port ${int(1024, 65535)} ssh2: ED25519 SHA256:${int(1e9, 9e9)}`,
  () => `<86>${ts()} ${host()} sshd[${int(100, 99999)}]: pam_unix(sshd:session): session opened for user ${user()}(uid=${int(0, 1500)}) by (uid=0)`,
  () => `<38>${ts()} ${host()} sshd[${int(100, 99999)}]: Connection closed by ${ip()} port ${int(1024, 65535)} [preauth]`,
  () => `<38>${ts()} ${host()} sshd[${int(100, 99999)}]: Received disconnect from ${ip()} port ${int(1024, 65535)}:11: Bye Bye [preauth]`,
  () => `<85>${ts()} ${host()} sudo[${int(100, 99999)}]:    ${user()} : TTY=pts/${int(0, 9)} ; PWD=/home/${user()} ; USER=root ; COMMAND=/usr/bin/${pick(SUDO_COMMANDS)}`,
  () => `<85>${ts()} ${host()} sudo[${int(100, 99999)}]:    ${user()} : ${int(1, 3)} incorrect password attempts ; TTY=pts/0 ; PWD=/home/${user()} ; USER=root ; COMMAND=/bin/bash`,
  () => `<78>${ts()} ${host()} CRON[${int(100, 99999)}]: (root) CMD (${pick(['test -x /usr/sbin/anacron', 'cd / && run-parts --report /etc/cron.hourly', '/usr/lib/php/sessionclean', 'command -v debian-sa1 > /dev/null'])})`,
  () => `<30>${ts()} ${host()} systemd[1]: ${pick(['Started Session 4211 of user root.', 'Starting Daily apt download activities...', 'logrotate.service: Succeeded.', 'Started Cleanup of Temporary Directories.'])}`,
  () => `<4>${ts()} ${host()} kernel: [${int(1000, 999999)}.${int(100000, 999999)}] IPTABLES-DROP: IN=eth0 OUT= MAC=00:16:3e:${int(10, 99)}:aa:bb SRC=${ip()} DST=10.0.0.${int(1, 254)} LEN=${int(40, 1500)} PROTO=TCP SPT=${int(1024, 65535)} DPT=${pick([22, 80, 443, 3389, 8080])} WINDOW=1024 SYN`,
  () => `<6>${ts()} ${host()} kernel: [${int(1000, 999999)}.${int(100000, 999999)}] e1000e: eth${int(0, 1)} NIC Link is Up 1000 Mbps Full Duplex`,
  () => `<22>${ts()} mail postfix/smtpd[${int(100, 99999)}]: connect from unknown[${ip()}]`,
  () => `<30>${ts()} ${host()} dhclient[${int(100, 9999)}]: DHCPACK of 10.0.0.${int(2, 254)} from 10.0.0.1`,
  () => `<189>${int(1, 9999)}: *Nov 22 10:00:${String(int(10, 59))}.123: %LINK-3-UPDOWN: Interface GigabitEthernet0/${int(1, 48)}, changed state to ${pick(['up', 'down'])}`,
  () => `<189>${ts()} core-sw1 ${int(1, 9999)}: %SEC-6-IPACCESSLOGP: list ${int(100, 199)} denied tcp ${ip()}(${int(1024, 65535)}) -> 10.0.0.${int(1, 254)}(${pick([22, 23, 445])}), 1 packet`,
  () => `<189>${ts()} core-sw1 ${int(1, 9999)}: %SYS-5-CONFIG_I: Configured from console by ${user()} on vty${int(0, 4)} (${ip()})`,
  () => `<166>${ts()} asa1 : %ASA-6-302013: Built outbound TCP connection ${int(1e5, 9e6)} for outside:${ip()}/443 (${ip()}/443) to inside:10.${int(0, 255)}.0.${int(1, 254)}/${int(1024, 65535)} (${ip()}/${int(1024, 65535)})`,
  () => `<166>${ts()} asa1 : %ASA-6-302014: Teardown TCP connection ${int(1e5, 9e6)} for outside:${ip()}/443 to inside:10.0.0.${int(1, 254)}/${int(1024, 65535)} duration 0:00:${int(10, 59)} bytes ${int(100, 99999)} TCP FINs`,
  () => `<164>${ts()} asa1 : %ASA-4-106023: Deny tcp src outside:${ip()}/${int(1024, 65535)} dst inside:10.0.0.${int(1, 254)}/${pick([22, 445, 3389])} by access-group "outside_access_in" [0x0, 0x0]`,
];
// Weights: sshd/sudo/kernel/cron/systemd dominate a Linux estate; network devices after.
const WEIGHTS = [6, 4, 5, 4, 3, 4, 1, 6, 6, 8, 2, 3, 2, 4, 4, 1, 10, 10, 3];

export function makeEvents(n: number): unknown[] {
  rnd = mulberry32(0xe7e7);
  const total = WEIGHTS.reduce((a, b) => a + b, 0);
  const now = new Date('2026-11-22T10:00:00Z');
  return Array.from({ length: n }, () => {
    let r = rnd() * total;
    let k = 0;
    while (r >= WEIGHTS[k]!) { r -= WEIGHTS[k]!; k++; }
    return eventFromLine(LINES[k]!(), now);
  });
}

// --- measurement ----------------------------------------------------------------------------------------

const ignore = (): void => undefined;
let sink = 0;

/** Median ns/event of `fn` over `events`: one warm-up run, then RUNS timed runs. */
function timeRuns(fn: (e: unknown) => number, events: readonly unknown[]): number {
  const once = (): number => {
    const t0 = process.hrtime.bigint();
    let s = 0;
    for (let i = 0; i < events.length; i++) s += fn(events[i]);
    sink += s;
    return Number(process.hrtime.bigint() - t0);
  };
  once(); // warm-up
  const runs: number[] = [];
  for (let r = 0; r < RUNS; r++) runs.push(once());
  return median(runs) / events.length;
}

/**
 * ns/event of each function, per round (rounds × groups × functions; a group is one N's
 * functions, run back to back). The machines are shared and noisy: timing N = 100 for a second
 * and then N = 1,000 for a second lets a burst of someone else's load land on one side only, which
 * is how the 100 → 1,000 ratio used to swing from 1.4 to 2.8. So a round interleaves the groups
 * pass by pass (one pass = the pool once, ~2–6 ms), in alternating order, until each function has
 * seen EVENTS events; a burst then hits every N alike, and each round yields its own ratio. Every
 * function runs the same events; nothing is carried from one to the next.
 */
function interleavedRounds(groups: ReadonlyArray<ReadonlyArray<(e: unknown) => number>>, pool: readonly unknown[]): number[][][] {
  const pass = (fn: (e: unknown) => number): number => {
    const t0 = process.hrtime.bigint();
    let s = 0;
    for (let i = 0; i < pool.length; i++) s += fn(pool[i]);
    sink += s;
    return Number(process.hrtime.bigint() - t0);
  };
  for (const group of groups) for (const fn of group) pass(fn); // warm-up
  const passes = Math.ceil(EVENTS / pool.length);
  const rounds: number[][][] = [];
  for (let r = 0; r < RUNS; r++) {
    const total = groups.map((group) => group.map(() => 0));
    for (let k = 0; k < passes; k++) {
      for (let j = 0; j < groups.length; j++) {
        const at = k % 2 === 0 ? j : groups.length - 1 - j;
        groups[at]!.forEach((fn, f) => { total[at]![f]! += pass(fn); });
      }
    }
    rounds.push(total.map((group) => group.map((ns) => ns / (passes * pool.length))));
  }
  return rounds;
}

function main(): void {
  const pool = makeEvents(POOL);
  const events = Array.from({ length: EVENTS }, (_, i) => pool[i % POOL]);
  const sets = SIZES.map((n) => {
    const rules = makeRules(n);
    const builds: number[] = [];
    let index = new RuleIndex(rules);
    for (let r = 0; r < RUNS; r++) { index = new RuleIndex(rules); builds.push(index.stats.buildMs); }
    // Same answer on every event (the property test proves it in general; this checks this data).
    for (const e of pool) {
      const brute = matchRulesBruteForce(rules, e, ignore);
      const fast = index.match(e, ignore);
      if (brute.length !== fast.length || brute.some((r, i) => r !== fast[i])) throw new Error(`index and brute force disagree on ${JSON.stringify(e)}`);
    }
    let hits = 0;
    let candidates = 0;
    for (const e of pool) {
      hits += index.match(e, ignore).length;
      candidates += index.candidates(e).length;
    }
    const bruteEvents = events.slice(0, Math.max(2_000, Math.min(events.length, Math.floor(BRUTE_BUDGET / n))));
    const brute = timeRuns((e) => matchRulesBruteForce(rules, e, ignore).length, bruteEvents);
    return { n, index, builds, brute, hits: hits / pool.length, candidates: candidates / pool.length };
  });
  // match() and candidates() of every N in the same rounds, so the lookup's share is measured
  // under the same load as the whole; each N's two passes run back to back.
  const both = interleavedRounds(sets.map(({ index }) => [
    (e: unknown) => index.match(e, ignore).length,
    (e: unknown) => index.candidates(e).length,
  ]), pool);
  const fast = both.map((r) => r.map((pair) => pair[0]!));
  const lookup = both.map((r) => r.map((pair) => pair[1]!));
  const column = (rounds: number[][], j: number): number[] => rounds.map((r) => r[j]!);

  const rows: (string | number)[][] = [];
  sets.forEach(({ n, index, builds, brute, hits, candidates }, j) => {
    const f = median(column(fast, j));
    const s = index.stats;
    rows.push([`${n} rules, brute force`, brute, 1e9 / brute, '', n, '', '', hits]);
    rows.push([`${n} rules, indexed`, f, 1e9 / f, median(column(lookup, j)), candidates, median(builds), `${s.always} / ${s.eqKeys} / ${s.subPatterns}`, hits]);
  });
  printTable(
    `Detect stage, one core, ${EVENTS.toLocaleString('en-US')} events per run (${POOL.toLocaleString('en-US')} distinct, ${LINES.length} syslog shapes), median of ${RUNS} runs (indexed: interleaved); literals from ${sigma.files} SigmaHQ rules`,
    ['scenario', 'ns/event', 'events/s/core', 'of which index lookup ns', 'rules evaluated/event', 'index build ms', 'always / eq keys / substrings', 'matches/event'],
    rows,
  );

  const at = (n: number): number => SIZES.indexOf(n);
  const ratios = (rounds: number[][]): number[] => rounds.map((r) => r[at(1_000)]! / r[at(100)]!);
  const range = (xs: number[]): string => `${Math.min(...xs).toFixed(2)}–${Math.max(...xs).toFixed(2)}`;
  const bruteRatio = sets[at(1_000)]!.brute / sets[at(100)]!.brute;
  const fast1000 = median(column(fast, at(1_000)));
  printTable(`Cost of 100 → 1,000 rules (ns/event at 1,000 ÷ at 100, median of ${RUNS} rounds; target < 2)`, ['matcher', 'ratio', 'rounds', 'events/s/core at 1,000', 'target ≥ 100,000 met'], [
    ['brute force', bruteRatio, '', 1e9 / sets[at(1_000)]!.brute, 1e9 / sets[at(1_000)]!.brute >= 100_000 ? 'yes' : 'no'],
    ['indexed', median(ratios(fast)), range(ratios(fast)), 1e9 / fast1000, 1e9 / fast1000 >= 100_000 ? 'yes' : 'no'],
    ['index lookup alone (candidates())', median(ratios(lookup)), range(ratios(lookup)), 1e9 / median(column(lookup, at(1_000))), ''],
  ]);
  process.stdout.write(`(heap ${heapMiB().toFixed(0)} MiB; checksum ${sink})\n`);
}

if (require.main === module) main();
