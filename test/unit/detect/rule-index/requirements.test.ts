import type { Rule } from '../../../../schemas/generated/types';
import { regexClauses, regexLiteral, ruleRequirement, type Requirement } from '../../../../pipeline/detect/rule-index/requirements';

/** Requirement as text: clauses joined by ' & ', keys by ' | ' (sorted), ANY for none. */
function show(req: Requirement): string {
  if (req === null) return 'ANY';
  return req
    .map((c) => c.map((k) => `${k.field}${k.kind === 'eq' ? '=' : k.kind === 'cidr' ? '@' : '~'}${k.value}`).sort().join(' | '))
    .sort()
    .join(' & ');
}

const req = (detection: Record<string, unknown>): string => show(ruleRequirement({ title: 't', id: 'r', detection } as unknown as Rule));

describe('rule requirements', () => {
  it('equality is lowercased; and keeps both sides; not adds nothing', () => {
    expect(req({ sel: { 'process.name': 'SSHD' }, filter: { message: 'x' }, condition: 'sel and not filter' })).toBe('process.name=sshd');
    expect(req({ a: { 'process.name': 'sshd' }, b: { 'message|contains': 'Failed password' }, condition: 'a and b' }))
      .toBe('message~failed password & process.name=sshd');
  });

  it('a map ANDs its items, a list of maps ORs them', () => {
    expect(req({ sel: { 'process.name': 'sudo', 'message|contains': 'NOT in sudoers' }, condition: 'sel' })).toBe('message~not in sudoers & process.name=sudo');
    expect(req({ sel: [{ 'process.name': 'sudo' }, { 'process.name': 'su' }], condition: 'sel' })).toBe('process.name=su | process.name=sudo');
  });

  it('or and 1 of take the union; an unconstrained side makes the whole ANY', () => {
    expect(req({ s1: { 'message|contains': 'abc' }, s2: { 'message|startswith': 'def' }, condition: '1 of s*' })).toBe('message~abc | message~def');
    expect(req({ s1: { 'message|contains': 'abc' }, s2: { 'message|startswith': 'def' }, condition: 's1 or s2' })).toBe('message~abc | message~def');
    expect(req({ s1: { 'message|contains': 'abc' }, s2: { 'host.name|exists': true }, condition: '1 of s*' })).toBe('ANY');
    expect(req({ a: { 'process.name': 'x' }, b: { 'process.name': 'y' }, condition: '1 of them' })).toBe('process.name=x | process.name=y');
  });

  it('all of takes every selection', () => {
    expect(req({ selection_a: { 'process.name': 'cron' }, selection_b: { 'message|endswith': 'CMD (run-parts)' }, condition: 'all of selection_*' }))
      .toBe('message~cmd (run-parts) & process.name=cron');
  });

  it('contains / startswith / endswith / wildcards keep the longest literal run', () => {
    expect(req({ s: { 'message|contains': 'Accepted' }, condition: 's' })).toBe('message~accepted');
    expect(req({ s: { 'message|startswith': 'pam_unix' }, condition: 's' })).toBe('message~pam_unix');
    expect(req({ s: { 'process.executable|endswith': '/bin/bash' }, condition: 's' })).toBe('process.executable~/bin/bash');
    expect(req({ s: { message: 'Failed * for root from *' }, condition: 's' })).toBe('message~ for root from ');
    expect(req({ s: { message: '*' }, condition: 's' })).toBe('ANY');
    expect(req({ s: { 'message|contains|all': ['a', 'password'] }, condition: 's' })).toBe('message~a & message~password');
    expect(req({ s: { 'message|contains': ['one', 'two'] }, condition: 's' })).toBe('message~one | message~two');
  });

  it('numbers and booleans are equality keys on their text', () => {
    expect(req({ s: { 'source.port': 22, 'event.allowed': true }, condition: 's' })).toBe('event.allowed=true & source.port=22');
  });

  it('keywords search message', () => {
    expect(req({ keywords: ['segfault', 'oom-killer'], condition: 'keywords' })).toBe('message~oom-killer | message~segfault');
    expect(req({ keywords: 'Out of memory', condition: 'keywords' })).toBe('message~out of memory');
    expect(req({ s: { '|all': ['foo', 'barbaz'] }, condition: 's' })).toBe('message~barbaz & message~foo');
    // A wildcard in the middle still leaves literal runs.
    expect(req({ keywords: ['session * opened'], condition: 'keywords' })).toBe('message~session ');
    expect(req({ keywords: ['*'], condition: 'keywords' })).toBe('ANY');
  });

  it('re: its longest required literal, else ANY; i-flag drops s (RE2 folds it with the long s)', () => {
    expect(req({ s: { 'message|re': '^Failed password for .* from' }, condition: 's' })).toBe('message~failed password for ');
    expect(req({ s: { 'message|re': '[0-9]+ failures' }, condition: 's' })).toBe('message~ failures');
    expect(req({ s: { 'message|re': '^\\d{4}-\\d{2} ERROR (a|b)x' }, condition: 's' })).toBe('message~ error ');
    expect(req({ s: { 'message|re': '[0-9]+.*' }, condition: 's' })).toBe('ANY');
    expect(req({ s: { 'message|re': '(?i)Password' }, condition: 's' })).toBe('message~word');
    expect(req({ s: { 'message|re': 'foo|ba' }, condition: 's' })).toBe('message~ba | message~foo');
    expect(req({ s: { 'message|re|i': 'password' }, condition: 's' })).toBe('message~word');
    expect(regexLiteral('abc?d')).toBe('ab');
    expect(regexLiteral('abc+d')).toBe('abc');
    expect(regexLiteral('a\\.b\\d')).toBe('a.b');
    expect(regexLiteral('(?i)abc')).toBe('abc');
    expect(regexLiteral('a\\x41bc')).toBeNull();
    expect(regexLiteral('[[:alpha:]]]xyz')).toBe(']xyz');
    expect(regexLiteral('ab{2,3}c')).toBe('a');
    expect(regexLiteral('(abc')).toBeNull();
  });

  it('re: alternations give a clause of their branches\' literals', () => {
    // The SigmaHQ shape the top-level run alone cannot narrow: only '=' is outside the group.
    expect(req({ s: { 'message|re': '(failures|retries|drops)=[0-9]{4}' }, condition: 's' }))
      .toBe('message~drops | message~failures | message~retries');
    expect(req({ s: { 'message|re': '(?:Accepted|Failed) password for (?P<user>root|admin)' }, condition: 's' }))
      .toBe('message~accepted | message~failed & message~admin | message~root & message~word for '); // `(?` may set i: no 's'
    // An optional group, a flag group or a branch without a literal requires nothing.
    expect(req({ s: { 'message|re': 'ab(?:failures|retries)?c' }, condition: 's' })).toBe('message~ab');
    expect(req({ s: { 'message|re': 'xy(?i:failures|retries)' }, condition: 's' })).toBe('message~xy');
    expect(req({ s: { 'message|re': 'xy(failures|[0-9]+)' }, condition: 's' })).toBe('message~xy');
    expect(req({ s: { 'message|re': 'foo|.*' }, condition: 's' })).toBe('ANY');
    // Case-insensitive: each literal keeps its longest piece without an 's'.
    expect(req({ s: { 'message|re|i': '(failures|retries)' }, condition: 's' })).toBe('message~failure | message~retrie');
    // A class holding '|' or ')' does not split or close anything.
    expect(regexClauses('[(|)]abc(x|[|)]yz)')).toEqual([['abc'], ['x', 'yz']]);
    expect(regexClauses('a(b|c')).toBeNull();
  });

  it('cidr is a network key', () => {
    expect(req({ s: { 'source.ip|cidr': ['10.0.0.0/8', 'fe80::/10'] }, condition: 's' })).toBe('source.ip@10.0.0.0/8 | source.ip@fe80::/10');
    expect(req({ s: { 'source.ip|cidr': '10.0.0.0/8', 'process.name': 'sshd' }, condition: 's' })).toBe('process.name=sshd & source.ip@10.0.0.0/8');
  });

  it('neq, exists, null, comparisons and fieldref give no requirement', () => {
    expect(req({ s: { 'process.name|neq': 'sshd' }, condition: 's' })).toBe('ANY');
    expect(req({ s: { 'host.name|exists': true }, condition: 's' })).toBe('ANY');
    expect(req({ s: { 'host.name|exists': false }, condition: 's' })).toBe('ANY');
    expect(req({ s: { 'host.name': null }, condition: 's' })).toBe('ANY');
    expect(req({ s: { 'source.port|gt': 1024 }, condition: 's' })).toBe('ANY');
    expect(req({ s: { 'user.name|fieldref': 'user.target.name' }, condition: 's' })).toBe('ANY');
    // …but they do not spoil an AND with a usable item.
    expect(req({ s: { 'source.port|gt': 1024, 'process.name': 'sshd' }, condition: 's' })).toBe('process.name=sshd');
    expect(req({ s: { 'process.name': 'sshd' }, f: { 'source.ip|cidr': '10.0.0.0/8' }, condition: 's and not f' })).toBe('process.name=sshd');
    expect(req({ f: { 'process.name': 'sshd' }, condition: 'not f' })).toBe('ANY');
  });

  it('cased: equality and ASCII substrings only', () => {
    expect(req({ s: { 'message|cased': 'ABC' }, condition: 's' })).toBe('message=abc');
    expect(req({ s: { 'message|contains|cased': 'ABC' }, condition: 's' })).toBe('message~abc');
    expect(req({ s: { 'message|contains|cased': 'ΑΣ' }, condition: 's' })).toBe('ANY');
  });

  it('several conditions OR together', () => {
    expect(req({ a: { 'process.name': 'x' }, b: { 'process.name': 'y' }, condition: ['a', 'b'] })).toBe('process.name=x | process.name=y');
  });

  it('windash and base64offset alternatives OR together', () => {
    expect(req({ s: { 'message|windash|contains': ' -f ' }, condition: 's' }).split(' | ').length).toBe(5);
    expect(req({ s: { 'message|base64offset|contains': 'http' }, condition: 's' }).split(' | ').length).toBe(3);
  });
});
