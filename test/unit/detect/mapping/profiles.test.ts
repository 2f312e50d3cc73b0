import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadMappingProfiles, parseMappingProfiles, eventFieldSet, type ProfileProblem } from '../../../../pipeline/detect/mapping';
import { shippedDecoderFields } from '../../../../pipeline/decoders/shipped';

const SHIPPED = path.join(__dirname, '..', '..', '..', '..', 'rules', 'mappings');

function parse(text: string): { names: string[]; problems: ProfileProblem[] } {
  const problems: ProfileProblem[] = [];
  const profiles = parseMappingProfiles(text, 'p.yml', problems);
  return { names: profiles.map((p) => p.name), problems };
}

describe('mapping profile loading', () => {
  it('fills defaults', () => {
    const problems: ProfileProblem[] = [];
    const [p] = parseMappingProfiles('name: a\nlogsource: { product: linux }\n', 'p.yml', problems);
    expect(problems).toEqual([]);
    expect(p).toMatchObject({ name: 'a', priority: 50, telemetry: 'live', fields: {}, unsupported: {}, strict: false, conditions: {}, file: 'p.yml' });
  });

  it('rejects an unknown key with its key path', () => {
    const { names, problems } = parse('name: a\nlogsource: { product: linux }\nfeilds: { A: b }\n');
    expect(names).toEqual([]);
    expect(problems).toEqual([{ file: 'p.yml', message: "(top level): unknown key 'feilds'", keyPath: ['feilds'] }]);
  });

  it('rejects an unknown logsource key and an empty logsource', () => {
    const bad = parse('name: a\nlogsource: { os: linux }\n');
    expect(bad.problems).toContainEqual({ file: 'p.yml', message: "/logsource: unknown key 'os'", keyPath: ['logsource', 'os'] });
    const empty = parse('name: a\nlogsource: {}\n');
    expect(empty.problems.map((p) => p.keyPath)).toEqual([['logsource']]);
    const missing = parse('name: a\n');
    expect(missing.problems.map((p) => p.message)).toEqual(["(top level): must have required property 'logsource'"]);
  });

  it('rejects a bad field target and a planned profile without requires', () => {
    expect(parse('name: a\nlogsource: { product: x }\nfields: { A: [] }\n').problems[0]?.keyPath).toEqual(['fields', 'A']);
    expect(parse('name: a\nlogsource: { product: x }\ntelemetry: planned\n').problems.map((p) => p.message)).toEqual(["(top level): must have required property 'requires'"]);
  });

  it('rejects a field that is both mapped and unsupported', () => {
    const { problems } = parse('name: a\nlogsource: { product: x }\nfields: { A: b }\nunsupported: { A: never }\n');
    expect(problems).toEqual([{ file: 'p.yml', message: "field 'A' both mapped and unsupported", keyPath: ['unsupported', 'A'] }]);
  });

  it('reports YAML errors and duplicate keys', () => {
    expect(parse('name: a\nname: b\nlogsource: { product: x }\n').problems[0]?.message).toMatch(/^YAML: /);
  });

  it('loads a directory in priority order, several documents per file, duplicate names rejected', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'haetae-mapping-'));
    try {
      fs.writeFileSync(path.join(dir, 'a.yml'), 'name: late\nlogsource: { product: x }\n---\nname: early\npriority: 1\nlogsource: { product: x }\n');
      fs.writeFileSync(path.join(dir, 'b.yaml'), 'name: late\nlogsource: { product: y }\n');
      fs.writeFileSync(path.join(dir, 'notes.md'), 'not a profile');
      const { profiles, problems } = loadMappingProfiles(dir);
      expect(profiles.map((p) => p.name)).toEqual(['early', 'late']);
      expect(problems).toEqual([{ file: path.join(dir, 'b.yaml'), message: `profile name 'late' is already defined in ${path.join(dir, 'a.yml')}`, keyPath: ['name'] }]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reports a missing directory', () => {
    expect(loadMappingProfiles('/nonexistent/haetae-mappings').problems).toHaveLength(1);
  });
});

describe('the shipped profiles (rules/mappings)', () => {
  const { profiles, problems } = loadMappingProfiles(SHIPPED);
  // The event contract plus what the shipped decoders are seen to emit on their samples: the same
  // set `rules import-sigma` counts as live.
  const events = eventFieldSet(undefined, shippedDecoderFields());

  it('load without problems', () => {
    expect(problems).toEqual([]);
    expect(profiles.length).toBeGreaterThan(10);
  });

  it('cover Linux syslog/auth, Cisco, firewalls and SNMP traps', () => {
    const names = profiles.map((p) => p.name);
    for (const n of ['linux', 'linux-sshd', 'linux-sudo', 'linux-su', 'linux-cron', 'linux-auth', 'linux-syslog', 'cisco', 'firewall', 'fortigate', 'snmp']) expect(names).toContain(n);
  });

  // Honesty check: a live profile promises fields today's events carry (the contract's, or a shipped
  // decoder's seen on its samples). Planned ones may name
  // fields that only a future parser fills (their `requires` says which).
  it.each(profiles.filter((p) => p.telemetry === 'live').map((p) => [p.name, p] as const))('live profile %s targets only event fields', (_n, p) => {
    const targets = [...Object.values(p.fields).flatMap((t) => (typeof t === 'string' ? [t] : [...t])), ...Object.keys(p.conditions)];
    expect(targets.filter((t) => !events.has(t))).toEqual([]);
  });

  it('planned profiles say what they need', () => {
    for (const p of profiles.filter((x) => x.telemetry === 'planned')) expect(p.requires).toEqual(expect.any(String));
  });
});
