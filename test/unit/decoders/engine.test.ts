import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  applyDecoded,
  assembleRecords,
  createDecoderSet,
  formatDecoderProblem,
  loadDecoders,
  loadDecoderText,
  runSamples,
  TAG_DECODER_FAILURE,
  type DecodeResult,
  type Decoder,
  type DecoderProblem,
} from '../../../pipeline/decoders';
import type { BuiltinCode } from '../../../pipeline/decoders/builtin/index';
import { compilePattern, toJs } from '../../../pipeline/decoders/regex';

const builtins: Record<string, BuiltinCode> = {
  upper: { decode: (i) => (i.message.startsWith('UP ') ? { ok: true, dataset: 'test.upper', fields: { 'message.upper': i.message.toUpperCase() } } : null) },
  boom: { decode: () => { throw new Error('kaboom'); } },
};

function load(text: string): { decoders: Decoder[]; problems: DecoderProblem[] } {
  const problems: DecoderProblem[] = [];
  return { decoders: loadDecoderText(text, 'd.yml', problems, { builtins }), problems };
}

function one(text: string): Decoder {
  const { decoders, problems } = load(text);
  expect(problems.map(formatDecoderProblem)).toEqual([]);
  expect(decoders).toHaveLength(1);
  return decoders[0]!;
}

function decoded(d: Decoder, message: string, extra: object = {}): Record<string, unknown> {
  const r = d.decode({ message, ...extra });
  if (r === null || !r.ok) throw new Error(`not decoded: ${JSON.stringify(r)}`);
  return r.fields;
}

describe('decoder loading: problems with positions', () => {
  it('reports YAML errors, schema errors and bad patterns at file:line:col, and keeps the good documents', () => {
    const { decoders, problems } = load(`id: good
dataset: t.good
select: { programs: [a] }
match: 'x'
---
id: bad-key
dataset: t.bad
select: { programs: [b] }
mach: 'y'
---
id: backref
dataset: t.bad
select: { programs: [c] }
match: '(a)\\1'
---
id: lookahead
dataset: t.bad
select: { programs: [c] }
cases:
  - match: 'ok'
  - match: 'foo(?=bar)'
`);
    expect(decoders.map((d) => d.id)).toEqual(['good']);
    const text = problems.map(formatDecoderProblem);
    expect(text).toEqual([
      "d.yml:9:1: unknown key 'mach' (at mach)",
      'd.yml:14:1: not a valid RE2 pattern (linear-time, no backreferences or lookaround): invalid escape sequence: `\\1` (at match)',
      'd.yml:21:5: not a valid RE2 pattern (linear-time, no backreferences or lookaround): invalid or unsupported Perl syntax: `(?=` (at cases → 1 → match)',
    ]);
  });

  it('reports YAML syntax errors and duplicate keys', () => {
    const { problems } = load('id: a\nid: b\nselect: {}\n');
    expect(problems[0]).toMatchObject({ code: 'HAETAE_DECODER_YAML', line: 2 });
    const bad = load('id: [unclosed\n');
    expect(bad.problems[0]!.code).toBe('HAETAE_DECODER_YAML');
  });

  it('checks capture names, tables, ECS constants, senders, code names and code exclusivity', () => {
    const { problems } = load(`id: x
dataset: t.x
select: { senders: [10.0.0.0/33] }
match: '(?P<a>\\w+)'
map:
  user.name: b
  event.action: { from: a, table: nope }
  event.category: { value: [authentcation] }
  source.port: { value: abc }
---
id: y
code: nope
select: {}
---
id: z
code: upper
match: 'x'
select: {}
`);
    const text = problems.map((p) => `${p.line}:${p.column} ${p.message}`);
    expect(text).toEqual([
      "3:21 '10.0.0.0/33' is not an address or CIDR network",
      "7:28 no table 'nope' (tables: none)",
      expect.stringMatching(/^8:21 event.category: 'authentcation' is not an allowed ECS value \(api, authentication,/),
      "9:18 source.port: 'abc' is not a long",
      "6:3 'b' is not captured by any pattern or step of this decoder",
      "12:1 unknown built-in decoder 'nope' (known: upper, boom)",
      "17:1 'match' cannot be combined with 'code' (a built-in decoder does its own extraction)",
    ]);
  });

  it('loads directories, reports duplicate ids across files and missing paths, never stops at a broken file', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'haetae-dec-'));
    fs.mkdirSync(path.join(dir, 'sub'));
    fs.writeFileSync(path.join(dir, 'a.yml'), 'id: one\ndataset: t.a\nselect: {}\nmatch: a\n');
    fs.writeFileSync(path.join(dir, 'b.yaml'), 'id: [broken\n');
    fs.writeFileSync(path.join(dir, 'sub', 'c.yml'), '# again\nid: one\ndataset: t.c\nselect: {}\nmatch: c\n---\nid: two\ndataset: t.c\nselect: {}\nmatch: c\n');
    fs.writeFileSync(path.join(dir, 'notes.txt'), 'ignored');
    const loaded = loadDecoders([dir, path.join(dir, 'missing')], { builtins });
    expect(loaded.decoders.map((d) => d.id)).toEqual(['one', 'two']);
    expect(loaded.files.map((f) => path.relative(dir, f))).toEqual(['a.yml', 'b.yaml', 'sub/c.yml']);
    const codes = loaded.problems.map((p) => [p.code, path.basename(p.file), p.line]);
    expect(codes).toEqual([
      ['HAETAE_DECODER_PATH', 'missing', 1],
      ['HAETAE_DECODER_YAML', 'b.yaml', expect.any(Number)],
      ['HAETAE_DECODER_DUPLICATE_ID', 'c.yml', 2],
    ]);
    expect(loaded.problems[2]!.message).toMatch(/already defined in .*a\.yml:1/);
  });
});

describe('extraction', () => {
  it('maps captures with ECS types, arrays, constants, defaults, lowercase and related.*', () => {
    const d = one(`id: t
dataset: test.t
select: {}
match: '^(?P<user>\\S+) from (?P<ip>\\S+) port (?P<port>\\d+)(?: proto (?P<proto>\\w+))?'
map:
  user.name: user
  source.ip: ip
  source.port: port
  network.transport: { from: proto, lowercase: true, default: tcp }
  event.category: { value: authentication }
  event: { value: { kind: event, outcome: success } }
  labels.n: { from: port, type: integer }
  custom.flag: { value: yes, type: boolean }
`);
    expect(decoded(d, 'root from 10.0.0.1 port 22 proto UDP')).toEqual({
      'user.name': 'root',
      'related.user': ['root'],
      'source.ip': '10.0.0.1',
      'related.ip': ['10.0.0.1'],
      'source.port': 22,
      'network.transport': 'udp',
      'event.category': ['authentication'],
      'event.kind': 'event',
      'event.outcome': 'success',
      'labels.n': 22,
      'custom.flag': true,
    });
    expect(decoded(d, 'root from ::1 port 22')['network.transport']).toBe('tcp');
    // A value that does not convert fails the decoder (the event is tagged), with the reason.
    expect(d.decode({ message: 'root from nohost port 22' })).toEqual({ ok: false, reason: "source.ip: 'nohost' is not an ip" });
    // A top-level match that does not match: not this decoder's message.
    expect(d.decode({ message: 'something else' })).toBeNull();
  });

  it("lets a case leave out a top-level field with 'field: null'; related.* follows what is set", () => {
    const d = one(`id: t
dataset: test.t
select: {}
map: { source.ip: host, user.name: { from: user, default: null } }
cases:
  - match: '^ui (?P<host>\\S+)(?: (?P<user>\\w+))?'
    map: { source.ip: null, labels.ui: host }
  - match: '^net (?P<host>\\S+)'
`);
    expect(decoded(d, 'ui console')).toEqual({ 'labels.ui': 'console' });
    expect(decoded(d, 'ui 192.0.2.9 bob')).toEqual({ 'labels.ui': '192.0.2.9', 'user.name': 'bob', 'related.user': ['bob'] });
    expect(decoded(d, 'net 192.0.2.1')).toEqual({ 'source.ip': '192.0.2.1', 'related.ip': ['192.0.2.1'] });
  });

  it('converts every type', () => {
    const d = one(`id: t
dataset: test.t
select: {}
steps: [{ kv: {} }]
map:
  a.long: { from: l, type: long }
  a.float: { from: f, type: float }
  a.bool: { from: b, type: boolean }
  a.date: { from: d, type: date }
  a.epoch: { from: e, type: date }
  a.ip6: { from: i, type: ip }
  a.kw: { from: k, type: keyword }
`);
    expect(decoded(d, 'l=-42 f=1.5 b=off d=2024-05-01T10:00:00+02:00 e=1700000000 i=[fe80::1%eth0] k=007')).toMatchObject({
      'a.long': -42, 'a.float': 1.5, 'a.bool': false, 'a.date': '2024-05-01T08:00:00.000Z', 'a.epoch': '2023-11-14T22:13:20.000Z', 'a.ip6': 'fe80::1', 'a.kw': '007',
    });
    expect(d.decode({ message: 'l=4x' })).toEqual({ ok: false, reason: "a.long: '4x' is not a long" });
    expect(d.decode({ message: 'b=maybe' })).toMatchObject({ ok: false });
    expect(d.decode({ message: 'd=yesterday' })).toMatchObject({ ok: false });
  });

  it('runs kv with quotes, separators and prefixes; csv with quoting; json with a target', () => {
    const d = one(`id: t
dataset: test.t
select: {}
match: '^(?P<kind>\\w+): (?P<rest>.*)$'
cases:
  - when: { kind: kv }
    steps: [{ kv: { from: rest, prefix: 'f.' } }]
    map: { labels.a: f.devname, labels.b: f.msg, labels.c: f.empty }
  - when: { kind: semi }
    steps: [{ kv: { from: rest, separator: ';', assign: ':', keys: [x] } }]
    map: { labels.a: x }
  - when: { kind: csv }
    steps: [{ csv: { from: rest, columns: [a, null, b, c] } }]
    map: { labels.a: a, labels.b: b, labels.c: c }
  - when: { kind: json }
    steps: [{ json: { from: rest, target: j } }]
    map: { labels.a: j.user.name, source.port: j.port, labels.c: j.tags }
`);
    expect(decoded(d, 'kv: devname="FG 100" msg="say \\"hi\\"" empty= lone srcip=1.2.3.4')).toMatchObject({ 'labels.a': 'FG 100', 'labels.b': 'say "hi"' });
    expect(decoded(d, 'kv: empty=')['labels.c']).toBeUndefined();
    expect(decoded(d, 'semi: x: 1 ; y:2')).toEqual({ 'labels.a': '1' });
    expect(decoded(d, 'csv: one,skip,"two, ""quoted""",')).toEqual({ 'labels.a': 'one', 'labels.b': 'two, "quoted"' });
    expect(decoded(d, 'json: {"user":{"name":"bob"},"port":8080,"tags":["a","b"]}')).toEqual({ 'labels.a': 'bob', 'source.port': 8080, 'labels.c': '["a","b"]' });
    expect(d.decode({ message: 'json: {nope' })).toMatchObject({ ok: false, reason: expect.stringMatching(/^json: .*\(case 4\)$/) });
  });

  it('picks the first matching case; unmatched keep / fail / skip', () => {
    const text = (unmatched: string): string => `id: t
dataset: test.t
select: {}
unmatched: ${unmatched}
map: { event.provider: program }
cases:
  - match: '^a(?P<x>\\d)'
    map: { labels.x: x, event.action: { value: first } }
  - match: '^a'
    map: { event.action: { value: second } }
`;
    const keep = one(text('keep'));
    expect(decoded(keep, 'a1', { program: 'p' })).toEqual({ 'event.provider': 'p', 'labels.x': '1', 'event.action': 'first' });
    expect(decoded(keep, 'ab')).toEqual({ 'event.action': 'second' });
    expect(decoded(keep, 'zzz', { program: 'p' })).toEqual({ 'event.provider': 'p' });
    expect(one(text('fail')).decode({ message: 'zzz' })).toEqual({ ok: false, reason: 'no case matched' });
    expect(one(text('skip')).decode({ message: 'zzz' })).toBeNull();
  });

  it('looks values up in tables, with object entries spread under the map key', () => {
    const d = one(`id: t
dataset: test.t
select: {}
match: '%ASA-(?P<level>\\d)-(?P<id>\\d{6})'
map:
  event: { from: id, table: ids }
  log.level: { from: level, table: levels, default: unknown }
  event.code: id
tables:
  ids:
    '106023': { action: flow-denied, category: [network], type: [connection, denied], outcome: failure }
  levels: { '4': warning }
`);
    expect(decoded(d, '%ASA-4-106023: Deny')).toEqual({
      'event.action': 'flow-denied', 'event.category': ['network'], 'event.type': ['connection', 'denied'], 'event.outcome': 'failure', 'log.level': 'warning', 'event.code': '106023',
    });
    expect(decoded(d, '%ASA-6-302013: Built')).toEqual({ 'log.level': 'unknown', 'event.code': '302013' });
    // Results never share arrays with the compiled tables.
    const a = decoded(d, '%ASA-4-106023: x');
    (a['event.type'] as string[]).push('mutated');
    expect(decoded(d, '%ASA-4-106023: x')['event.type']).toEqual(['connection', 'denied']);
  });

  it('passes the samples of the worked sshd example of docs/decoders.md', () => {
    const doc = fs.readFileSync(path.join(__dirname, '..', '..', '..', 'docs', 'decoders.md'), 'utf8');
    const yaml = /## A worked example: sshd\n[\s\S]*?```yaml\n([\s\S]*?)```/.exec(doc)![1]!;
    const report = runSamples([one(yaml)]);
    expect(report.failures).toEqual([]);
    expect(report.total).toBeGreaterThan(0);
  });

  it('decodes the Cisco ASA example of docs/decoders.md', () => {
    const doc = fs.readFileSync(path.join(__dirname, '..', '..', '..', 'docs', 'decoders.md'), 'utf8');
    const yaml = /## A Cisco ASA decoder in a few lines\n\n```yaml\n([\s\S]*?)```/.exec(doc)![1]!;
    const d = one(yaml);
    expect(decoded(d, '%ASA-6-302013: Built inbound TCP connection 123 for outside:192.0.2.10/51515 (192.0.2.10/51515) to inside:10.1.1.5/443 (10.1.1.5/443)')).toMatchObject({
      'event.action': 'connection-built', 'source.ip': '192.0.2.10', 'source.port': 51515, 'destination.ip': '10.1.1.5', 'destination.port': 443, 'network.transport': 'tcp', 'log.level': 'informational', 'related.ip': ['192.0.2.10', '10.1.1.5'],
    });
    expect(decoded(d, '%ASA-4-106023: Deny tcp src outside:198.51.100.7/4444 dst inside:10.0.0.8/22 by access-group "outside_in" [0x0, 0x0]')).toMatchObject({
      'event.outcome': 'failure', 'rule.name': 'outside_in', 'destination.port': 22,
    });
    expect(decoded(d, '%ASA-5-111008: User enable_15 executed the command')).toEqual({ 'event.code': '111008', 'log.level': 'notice' });
  });
});

describe('regex engine', () => {
  it('translates RE2 syntax to JS with RE2 meanings, or leaves a pattern to re2js', () => {
    expect(toJs('(?P<a>\\s+).(?<b>x)')).toEqual({ source: '([\\t\\n\\f\\r ]+)[^\\n](x)', flags: '', groups: ['a', 'b'] });
    // V8's linear engine cannot run the i flag: (?i) becomes case classes (RE2 folds k with U+212A).
    expect(toJs('(?i)^ak1\\z')).toEqual({ source: '^[aA][kK\u212A]1$', flags: '', groups: [] });
    expect(toJs('(?i)[a-c_]')).toEqual({ source: '[a-cA-C_]', flags: '', groups: [] });
    expect(compilePattern('(?i)client (?P<x>drop|deny)').engine).toBe('v8');
    expect(toJs('(?i)é')).toBeNull();
    expect(toJs('[[:alpha:]]')).toBeNull();
    expect(toJs('\\pL')).toBeNull();
    expect(compilePattern('[[:digit:]]+(?P<n>x)').engine).toBe('re2js');
    expect(compilePattern('(?P<n>\\d+)').engine).toBe('v8');
  });

  it('gives the same captures on both engines', () => {
    const src = '^(?P<a>\\w+)\\s+(?:(?P<b>\\d+)|(?P<c>[a-z]+))(?P<rest>.*)$';
    const run = (p: ReturnType<typeof compilePattern>, s: string): Record<string, string> | null => {
      const out: Record<string, string> = {};
      return p.exec(s, (k, v) => { out[k] = v; }) ? out : null;
    };
    const v8 = compilePattern(src);
    const re2 = compilePattern(src, { engine: 're2js' });
    for (const s of ['abc 123 tail', 'abc\u000bdef', 'x  yz!', '', 'a\u00a0b', 'q 1\nr']) expect(run(v8, s)).toEqual(run(re2, s));
  });

  it('folds case like RE2 for (?i) patterns', () => {
    const run = (p: ReturnType<typeof compilePattern>, s: string): Record<string, string> | null => {
      const out: Record<string, string> = {};
      return p.exec(s, (k, v) => { out[k] = v; }) ? out : null;
    };
    for (const src of ['(?i)^(?P<v>drop|ACCEPT|Kelvin)\\b', '(?i)(?P<r>[a-f0-9]+)-(?P<s>[^x-z]+)$', '(?i)[0-Z]+(?P<t>s)']) {
      const v8 = compilePattern(src);
      expect(v8.engine).toBe('v8');
      const re2 = compilePattern(src, { engine: 're2js' });
      for (const s of ['DROP it', 'accept', '\u212Aelvin', 'kELVIN', 'BEEF-cafe', 'beef-XYZ', 'beef-abc', 'abcS', 'abc\u017F', '[]']) expect(run(v8, s)).toEqual(run(re2, s));
    }
  });

  it('stays linear on a catastrophic pattern (V8 falls back to its linear engine)', () => {
    const p = compilePattern('^(\\w+\\s?)*$');
    const t = Date.now();
    expect(p.exec(`${'a'.repeat(50_000)}!`, () => undefined)).toBe(false);
    expect(Date.now() - t).toBeLessThan(2000);
  });
});

describe('selection', () => {
  const text = `id: prog
dataset: t.prog
priority: 50
select: { programs: [sshd] }
map: { labels.who: { value: prog } }
---
id: prog-first
dataset: t.prog
priority: 10
select: { programs: [sshd], senders: [10.0.0.0/8, '2001:db8::/32'] }
map: { labels.who: { value: prog-first } }
---
id: prefix-short
dataset: t.prefix
select: { prefixes: ['%ASA'] }
map: { labels.who: { value: prefix-short } }
---
id: prefix-long
dataset: t.prefix
select: { prefixes: ['%ASA-6-'] }
match: '^%ASA-6-302'
map: { labels.who: { value: prefix-long } }
---
id: contains
dataset: t.contains
select: { contains: ['CEF:', 'LEEF:'] }
map: { labels.who: { value: contains } }
---
id: local7
dataset: t.fac
select: { contains: [hello], facilities: [23] }
map: { labels.who: { value: local7 } }
---
id: fallback-b
dataset: t.fb
priority: 90
select: {}
map: { labels.who: { value: fallback-b } }
---
id: fallback-a
dataset: t.fb
priority: 80
select: {}
match: '^json'
map: { labels.who: { value: fallback-a } }
`;
  const { decoders, problems } = load(text);
  const set = createDecoderSet(decoders);
  const who = (input: { message: string; program?: string; sender?: string; facility?: number }): string | undefined => {
    const hit = set.decode(input);
    return hit?.result.ok ? (hit.result.fields['labels.who'] as string) : undefined;
  };

  it('loads', () => expect(problems).toEqual([]));

  it('routes by program, honouring priority and sender networks', () => {
    expect(who({ message: 'x', program: 'sshd', sender: '10.1.2.3' })).toBe('prog-first');
    expect(who({ message: 'x', program: 'sshd', sender: '2001:db8:1::5' })).toBe('prog-first');
    expect(who({ message: 'x', program: 'sshd', sender: '192.0.2.1' })).toBe('prog');
    expect(who({ message: 'x', program: 'sshd' })).toBe('prog');
    expect(who({ message: 'x', program: 'SSHD' })).toBe('fallback-b');
  });

  it('routes by the longest prefix first; a prefix decoder that passes hands on to the shorter one', () => {
    expect(who({ message: '%ASA-6-302013: Built' })).toBe('prefix-long');
    expect(who({ message: '%ASA-6-110002: x' })).toBe('prefix-short');
    expect(who({ message: '%ASA-4-106023: x' })).toBe('prefix-short');
    expect(set.candidates({ message: '%ASA-6-302013' }).map((d) => d.id)).toEqual(['prefix-long', 'prefix-short', 'fallback-a', 'fallback-b']);
  });

  it('finds contains literals anywhere, with facility conditions, then fallbacks in priority order', () => {
    expect(who({ message: 'Jan 1 host CEF:0|x' })).toBe('contains');
    expect(who({ message: 'say hello', facility: 23 })).toBe('local7');
    expect(who({ message: 'say hello', facility: 1 })).toBe('fallback-b');
    expect(who({ message: 'json {}' })).toBe('fallback-a');
    expect(who({ message: 'plain' })).toBe('fallback-b');
  });

  it('orders program and prefix candidates by priority, then longer prefix, then load order', () => {
    const { decoders: ds, problems: ps } = load(`id: p-short
dataset: t.a
select: { prefixes: ['%A'] }
map: {}
---
id: p-long
dataset: t.a
select: { prefixes: ['%AB'] }
map: {}
---
id: p-urgent
dataset: t.a
priority: 5
select: { prefixes: ['%'] }
map: {}
---
id: prog
dataset: t.a
select: { programs: [x] }
map: {}
---
id: prog-prefix
dataset: t.a
select: { programs: [x], prefixes: ['%ABC'] }
map: {}
`);
    expect(ps).toEqual([]);
    const s = createDecoderSet(ds);
    expect(s.candidates({ message: '%ABCD', program: 'x' }).map((d) => d.id)).toEqual(['p-urgent', 'prog-prefix', 'p-long', 'p-short', 'prog']);
    expect(s.candidates({ message: '%AB' }).map((d) => d.id)).toEqual(['p-urgent', 'p-long', 'p-short']);
  });

  it('returns null when nothing claims a message', () => {
    const s = createDecoderSet(decoders.filter((d) => !d.id.startsWith('fallback')));
    expect(s.decode({ message: 'plain' })).toBeNull();
  });

  it('turns a thrown decoder into a failure result', () => {
    const d = one('id: b\ncode: boom\nselect: {}\n');
    const hit = createDecoderSet([d]).decode({ message: 'x' });
    expect(hit?.result).toEqual({ ok: false, reason: 'decoder threw: kaboom' });
  });

  it('routes built-in code decoders the same way', () => {
    const d = one("id: u\ncode: upper\nselect: { prefixes: ['UP '] }\n");
    expect(createDecoderSet([d]).decode({ message: 'UP x' })?.result).toEqual({ ok: true, dataset: 'test.upper', fields: { 'message.upper': 'UP X' } });
  });
});

describe('applyDecoded', () => {
  const header = (): Record<string, unknown> => ({
    message: 'Failed password for root from 10.0.0.1 port 22 ssh2',
    event: { original: '<38>… sshd[1]: Failed …', dataset: 'haetae.syslog', kind: 'event' },
    host: { hostname: 'web1' },
    related: { hosts: ['web1'], ip: ['10.0.0.1'] },
    tags: ['x'],
  });

  it('sets dotted fields, dataset, module and haetae.decoder.id; appends related.* with dedup', () => {
    const ev = applyDecoded(header(), 'linux-sshd', {
      ok: true,
      dataset: 'linux.sshd',
      fields: { 'source.ip': '10.0.0.1', 'source.port': 22, 'user.name': 'root', 'related.ip': ['10.0.0.1', '10.0.0.2'], 'related.user': ['root'], 'event.category': ['authentication'] },
    });
    expect(ev).toEqual({
      message: 'Failed password for root from 10.0.0.1 port 22 ssh2',
      event: { original: '<38>… sshd[1]: Failed …', dataset: 'linux.sshd', module: 'linux', kind: 'event', category: ['authentication'] },
      host: { hostname: 'web1' },
      related: { hosts: ['web1'], ip: ['10.0.0.1', '10.0.0.2'], user: ['root'] },
      source: { ip: '10.0.0.1', port: 22 },
      user: { name: 'root' },
      tags: ['x'],
      haetae: { decoder: { id: 'linux-sshd' } },
    });
  });

  it('skips fields whose path crosses a non-object, and never writes to prototypes', () => {
    const ev = applyDecoded(header(), 'd', { ok: true, dataset: 'x.y', fields: { 'message.x': 1, '__proto__.polluted': 1, 'a.b': 2 } });
    expect(ev.message).toBe('Failed password for root from 10.0.0.1 port 22 ssh2');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(ev).toMatchObject({ a: { b: 2 }, haetae: { decoder: { id: 'd', skipped: ['message.x', '__proto__.polluted'] } } });
  });

  it('tags a failure and keeps every header field', () => {
    const ev = applyDecoded(header(), 'cisco-asa', { ok: false, reason: 'no case matched' });
    expect(ev).toEqual({ ...header(), tags: ['x', TAG_DECODER_FAILURE], haetae: { decoder: { id: 'cisco-asa', error: 'no case matched' } } });
    const bare = applyDecoded({ message: 'm' }, 'd', { ok: false, reason: 'r' });
    expect(bare).toEqual({ message: 'm', tags: [TAG_DECODER_FAILURE], haetae: { decoder: { id: 'd', error: 'r' } } });
  });
});

describe('assembleRecords', () => {
  const dec = (merge?: Decoder['merge']): Decoder => ({ id: 'auditd', select: {}, priority: 50, samples: [], decode: () => null, ...(merge ? { merge } : {}) });
  const rec = (d: Decoder, key: string, end: boolean, fields: Record<string, unknown>, sender = 's1'): { decoder: Decoder; result: DecodeResult; sender: string; original: string } => ({
    decoder: d, sender, original: `${key}:${JSON.stringify(fields)}`, result: { ok: true, dataset: 'auditd.log', fields, multi: { key, end } },
  });

  it('merges interleaved records by key and sender until end, joining originals', () => {
    const d = dec((into, next) => ({ ...into, ...next, n: ((into.n as number) ?? 1) + 1 }));
    const other: Decoder = { ...dec(), id: 'plain' };
    const input = [
      rec(d, 'A', false, { a: 1 }),
      rec(d, 'B', false, { b: 1 }),
      { decoder: other, result: { ok: true, dataset: 'x.y', fields: {} } as DecodeResult, original: 'plain' },
      rec(d, 'A', false, { a2: 1 }),
      rec(d, 'A', false, { a3: 1 }, 's2'),
      rec(d, 'A', true, { eoe: 1 }),
      rec(d, 'A', false, { again: 1 }),
    ];
    const out = assembleRecords(input);
    expect(out.absorbed).toEqual([3, 5]);
    expect(out.results[0]).toMatchObject({ ok: true, fields: { a: 1, a2: 1, eoe: 1, n: 3 }, multi: { key: 'A', end: true } });
    expect(out.results[1]).toMatchObject({ fields: { b: 1 } });
    expect(out.results[3]).toBeNull();
    expect(out.results[4]).toMatchObject({ fields: { a3: 1 } }); // another sender: its own group
    expect(out.results[6]).toMatchObject({ fields: { again: 1 } }); // after EOE a new group starts
    expect(out.originals[0]).toBe('A:{"a":1}\nA:{"a2":1}\nA:{"eoe":1}');
    expect(out.originals[3]).toBeUndefined();
    expect(out.originals[2]).toBe('plain');
    // Inputs are not mutated.
    expect(input[0]!.result).toEqual({ ok: true, dataset: 'auditd.log', fields: { a: 1 }, multi: { key: 'A', end: false } });
  });

  it('uses the default merge (first value kept, lists unioned) without a merge function', () => {
    const d = dec();
    const out = assembleRecords([rec(d, 'k', false, { x: 1, l: [1] }), rec(d, 'k', false, { x: 2, y: 3, l: [1, 2] })]);
    expect(out.results[0]).toMatchObject({ fields: { x: 1, y: 3, l: [1, 2] } });
  });
});

describe('runSamples', () => {
  it('reports wrong values, absent-field assertions, routing to another decoder and expected failures', () => {
    const { decoders } = load(`id: a
dataset: t.a
select: { programs: [p] }
match: '^a (?P<n>\\d+)'
map: { labels.n: n, source.port: n }
samples:
  - { input: 'a 1', program: p, expect: { labels.n: '1', source.port: 1, event.dataset: t.a, event.module: t, user.name: null } }
  - { input: 'a 2', program: p, expect: { source.port: 3, labels.n: null } }
  - { input: 'b', program: p, expect: {} }
  - { input: 'a x', program: p, fail: true }
---
id: b
dataset: t.b
select: { programs: [p] }
priority: 10
match: '^a 9'
samples:
  - { input: 'a 9', program: p, expect: {} }
  - { input: 'a 9', program: p, fail: true }
`);
    const report = runSamples(decoders);
    expect(report.total).toBe(6);
    expect(report.failures.map((f) => [f.decoder, f.line, f.problems])).toEqual([
      ['a', 8, ['source.port: expected 3, got 2', 'labels.n: expected absent, got "2"']],
      ['a', 9, ['no decoder claimed this input (check select: and the top-level match:)']],
      ['a', 10, ['no decoder claimed this input (check select: and the top-level match:)']],
      ['b', 19, ['expected a decoder failure, but it decoded']],
    ]);
    expect(report.decoders).toEqual([{ id: 'a', file: 'd.yml', samples: 4, passed: 1 }, { id: 'b', file: 'd.yml', samples: 2, passed: 1 }]);
  });
});
