import type { Rule } from '../../../../schemas/generated/types';
import { applyProfiles, checkReachability, eventFieldSet, mapRule, parseMappingProfiles, type MappingProfile, type ProfileProblem } from '../../../../pipeline/detect/mapping';
import { loadRuleText, type RuleProblem } from '../../../../pipeline/detect/load';
import { compileValidators } from '../../../../schemas/validators';
import YAML from 'yaml';

function profiles(text: string): MappingProfile[] {
  const problems: ProfileProblem[] = [];
  const out = parseMappingProfiles(text, 'test.yml', problems);
  expect(problems).toEqual([]);
  return out.sort((a, b) => a.priority - b.priority);
}

const P = profiles(`
name: linux
priority: 10
logsource: { product: linux }
fields: { Hostname: host.hostname }
---
name: proc
priority: 20
logsource: { product: linux, category: process_creation }
telemetry: planned
requires: a process parser
fields:
  CommandLine: process.command_line
  Image: process.executable
  User: [user.name, process.user.name]
unsupported:
  IntegrityLevel: Windows-only
---
name: sshd
priority: 20
logsource: { product: linux, service: sshd }
conditions: { process.name: sshd }
---
name: strict
logsource: { product: strictly }
strict: true
fields: { a: message }
`);

function rule(logsource: Rule['logsource'], detection: Record<string, unknown>): Rule {
  return { title: 't', id: '00000000-0000-0000-0000-000000000001', ...(logsource ? { logsource } : {}), detection: detection as Rule['detection'] };
}

const validate = compileValidators().rule;
function compile(r: Rule): { problems: RuleProblem[]; matches: (e: unknown) => boolean } {
  const problems: RuleProblem[] = [];
  const [c] = loadRuleText(YAML.stringify(r), 'mapped.yml', validate, problems);
  return { problems, matches: (e) => c?.rule.matches(e) ?? false };
}

describe('applyProfiles', () => {
  it('renames fields and keeps modifiers', () => {
    const r = rule({ product: 'linux', category: 'process_creation' }, {
      sel: { 'CommandLine|contains|all': ['curl', '|sh'], 'Image|endswith': '/bash', Hostname: 'web1' },
      condition: 'sel',
    });
    const out = applyProfiles(r, P);
    expect(out.rule.detection.sel).toEqual({ 'process.command_line|contains|all': ['curl', '|sh'], 'process.executable|endswith': '/bash', 'host.hostname': 'web1' });
    expect(new Set(out.applied)).toEqual(new Set(['linux: Hostname → host.hostname', 'proc: CommandLine → process.command_line', 'proc: Image → process.executable']));
    expect(out.profiles.map((p) => p.name)).toEqual(['linux', 'proc']);
    expect(out.problems).toEqual([]);
    // the input is not mutated
    expect(Object.keys(r.detection.sel as object)).toContain('CommandLine|contains|all');
  });

  it('turns a field mapped to several event fields into alternatives', () => {
    const out = applyProfiles(rule({ product: 'linux', category: 'process_creation' }, { sel: { User: 'root', 'Image|endswith': '/sh' }, condition: 'sel' }), P);
    expect(out.rule.detection.sel).toEqual([
      { 'user.name': 'root', 'process.executable|endswith': '/sh' },
      { 'process.user.name': 'root', 'process.executable|endswith': '/sh' },
    ]);
    const c = compile(out.rule);
    expect(c.problems).toEqual([]);
    expect(c.matches({ process: { user: { name: 'root' }, executable: '/bin/sh' } })).toBe(true);
    expect(c.matches({ user: { name: 'root' }, process: { executable: '/bin/sh' } })).toBe(true);
    expect(c.matches({ user: { name: 'bob' }, process: { executable: '/bin/sh' } })).toBe(false);
  });

  it('leaves keyword selections alone: they search message', () => {
    const out = applyProfiles(rule({ product: 'linux', category: 'process_creation' }, { keywords: ['CommandLine', 'Image'], kw2: { '|all': ['a', 'b'] }, condition: 'keywords or kw2' }), P);
    expect(out.rule.detection.keywords).toEqual(['CommandLine', 'Image']);
    expect(out.rule.detection.kw2).toEqual({ '|all': ['a', 'b'] });
  });

  it('adds the logsource condition as a _logsource selection AND-ed to every condition', () => {
    const out = applyProfiles(rule({ product: 'linux', service: 'sshd' }, { keywords: ['Corrupted MAC on input'], other: ['x'], condition: ['keywords', 'other'] }), P);
    expect(out.rule.detection._logsource).toEqual({ 'process.name': 'sshd' });
    expect(out.rule.detection.condition).toEqual(['(keywords) and _logsource', '(other) and _logsource']);
    expect(out.applied).toContain('sshd: _logsource requires process.name');
    const c = compile(out.rule);
    expect(c.problems).toEqual([]);
    expect(c.matches({ message: 'Corrupted MAC on input', process: { name: 'sshd' } })).toBe(true);
    expect(c.matches({ message: 'Corrupted MAC on input', process: { name: 'sudo' } })).toBe(false);
  });

  it('picks a free name when the rule already has a _logsource selection', () => {
    const out = applyProfiles(rule({ product: 'linux', service: 'sshd' }, { _logsource: ['a'], condition: '_logsource' }), P);
    expect(out.rule.detection._logsource_2).toEqual({ 'process.name': 'sshd' });
    expect(out.rule.detection.condition).toBe('(_logsource) and _logsource_2');
  });

  it('reports unsupported fields as unreachable, with the key path into the original rule', () => {
    const out = applyProfiles(rule({ product: 'linux', category: 'process_creation' }, { sel: [{ Image: 'x' }, { 'IntegrityLevel|contains': 'High' }], condition: 'sel' }), P);
    expect(out.problems).toEqual([{ message: "unreachable field 'IntegrityLevel' under mapping profile 'proc': Windows-only", keyPath: ['detection', 'sel', 1, 'IntegrityLevel|contains'], profile: 'proc' }]);
  });

  it('under a strict profile, a field it does not map is unreachable', () => {
    const out = applyProfiles(rule({ product: 'strictly' }, { sel: { a: 1, 'b|re': 'x', message: 'ok' }, condition: 'sel' }), P);
    // `message` is the target of a mapping, so it is reachable; `b` is not.
    expect(out.problems.filter((p) => p.profile === 'strict')).toEqual([
      { message: "unreachable field 'b' under mapping profile 'strict' (strict: the profile maps only a)", keyPath: ['detection', 'sel', 'b|re'], profile: 'strict' },
    ]);
  });

  it('reports a rename that collides with a key already in the selection', () => {
    const out = applyProfiles(rule({ product: 'strictly' }, { sel: { message: 'ok', a: 1 }, condition: 'sel' }), P);
    expect(out.problems).toEqual([{ message: "mapping makes key 'message' appear twice in one selection", keyPath: ['detection', 'sel', 'a'] }]);
  });

  it('returns a rule whose logsource matches no profile unchanged (ECS rules work as written)', () => {
    const r = rule({ product: 'windows' }, { sel: { 'process.name': 'sshd', CommandLine: 'x' }, condition: 'sel' });
    const out = applyProfiles(r, P);
    expect(out.rule).toBe(r);
    expect(out).toMatchObject({ applied: [], problems: [], profiles: [] });
    expect(applyProfiles(rule(undefined, { sel: { a: 1 }, condition: 'sel' }), P).profiles).toEqual([]);
  });

  it('matches logsource values case-insensitively and needs every key the profile gives', () => {
    expect(applyProfiles(rule({ product: 'Linux', service: 'SSHD' }, { k: ['x'], condition: 'k' }), P).profiles.map((p) => p.name)).toEqual(['linux', 'sshd']);
    expect(applyProfiles(rule({ service: 'sshd' }, { k: ['x'], condition: 'k' }), P).profiles).toEqual([]);
  });
});

describe('checkReachability', () => {
  const events = eventFieldSet();

  it('is live when every field is an event field', () => {
    const r = rule({ product: 'linux', service: 'sshd' }, { sel: { 'process.name': 'sshd', 'message|contains': 'x' }, condition: 'sel' });
    expect(checkReachability(r, applyProfiles(r, P), events)).toMatchObject({ reachable: true, status: 'live', requires: [] });
  });

  it('is planned when a field exists only as the target of a planned profile', () => {
    const r = rule({ product: 'linux', category: 'process_creation' }, { sel: { Image: 'x' }, condition: 'sel' });
    expect(checkReachability(r, applyProfiles(r, P), events)).toMatchObject({ reachable: true, status: 'planned', requires: ['a process parser'] });
  });

  it('keyword rules under a planned profile are live: message is always there', () => {
    const r = rule({ product: 'linux', category: 'process_creation' }, { k: ['curl'], condition: 'k' });
    expect(checkReachability(r, applyProfiles(r, P), events).status).toBe('live');
  });

  it('flags a field no profile maps and no event carries, at its original key path', () => {
    const r = rule({ product: 'linux', category: 'process_creation' }, { sel: [{ Image: 'x' }, { 'ParentImage|endswith': 'y' }], condition: 'sel' });
    const reach = checkReachability(r, applyProfiles(r, P), events);
    expect(reach.status).toBe('unreachable');
    expect(reach.problems).toEqual([{ message: "unreachable field 'ParentImage': not an event field, and mapping profiles 'linux', 'proc' do not map it", keyPath: ['detection', 'sel', 1, 'ParentImage|endswith'] }]);
  });

  it('without a profile, a non-event field is unreachable; structured data is open', () => {
    const r = rule({ product: 'zeek' }, { sel: { query: 'x', 'log.syslog.structured_data.origin.ip': '1.2.3.4' }, condition: 'sel' });
    const reach = checkReachability(r, applyProfiles(r, P), events);
    expect(reach.problems.map((p) => p.message)).toEqual(["unreachable field 'query': not an event field, and no mapping profile matches this logsource"]);
  });

  it('does not report a field twice when a profile already called it unsupported', () => {
    const r = rule({ product: 'linux', category: 'process_creation' }, { sel: { IntegrityLevel: 'x' }, condition: 'sel' });
    expect(checkReachability(r, applyProfiles(r, P), events).problems).toHaveLength(1);
  });
});

describe('checkReachability and planned renames onto existing event fields', () => {
  it('a field a planned profile renames onto an event field is still planned (today it means something else)', () => {
    const [p] = profiles('name: z\nlogsource: { product: zeek }\ntelemetry: planned\nrequires: zeek parser\nfields: { id.orig_h: source.ip }\n');
    const r = rule({ product: 'zeek' }, { sel: { 'id.orig_h|cidr': '10.0.0.0/8' }, condition: 'sel' });
    expect(checkReachability(r, applyProfiles(r, [p!]), eventFieldSet())).toMatchObject({ status: 'planned', requires: ['zeek parser'] });
    // …while a rule written against source.ip directly is live under the same profile.
    const direct = rule({ product: 'zeek' }, { sel: { 'source.ip|cidr': '10.0.0.0/8' }, condition: 'sel' });
    expect(checkReachability(direct, applyProfiles(direct, [p!]), eventFieldSet()).status).toBe('live');
  });
});

describe('mapRule', () => {
  it('combines mapping and the reachability check', () => {
    const r = rule({ product: 'linux', category: 'process_creation' }, { sel: { 'CommandLine|contains': 'x', IntegrityLevel: 'High' }, condition: 'sel' });
    const out = mapRule(r, { profiles: P, events: eventFieldSet() });
    expect(out).toMatchObject({ status: 'unreachable', profiles: ['linux', 'proc'], applied: ['proc: CommandLine → process.command_line'] });
    expect(out.problems.map((p) => p.keyPath)).toEqual([['detection', 'sel', 'IntegrityLevel']]);
  });
});
