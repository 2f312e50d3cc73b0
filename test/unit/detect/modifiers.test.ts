import { compileSelection, type CompileOptions } from '../../../pipeline/detect/compile';
import { MODIFIER_IDS } from '../../../pipeline/detect/modifiers/registry';

/** One selection `sel` compiled from a mapping. */
const sel = (map: Record<string, unknown>, options?: CompileOptions) => compileSelection('sel', map, options);
const compileError = (map: Record<string, unknown>, options?: CompileOptions): string => {
  try {
    sel(map, options);
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error('compiled without error');
};
const utf16le = (s: string): string => Buffer.from(s, 'utf16le').toString('latin1');
const b64 = (s: string, enc: BufferEncoding = 'utf8'): string => Buffer.from(s, enc).toString('base64');

describe('modifier registry', () => {
  it('holds every modifier of the Sigma 2.1 appendix', () => {
    expect([...MODIFIER_IDS].sort()).toEqual([
      'all', 'base64', 'base64offset', 'cased', 'cidr', 'contains', 'day', 'endswith', 'exists', 'expand', 'fieldref',
      'gt', 'gte', 'hour', 'i', 'lt', 'lte', 'm', 'minute', 'month', 'neq', 're', 's', 'startswith', 'utf16', 'utf16be',
      'utf16le', 'week', 'wide', 'windash', 'year',
    ]);
  });

  it('lists every id in the unknown-modifier error', () => {
    expect(compileError({ 'f|bogus': 'x' })).toBe(`unknown modifier 'bogus' (supported: ${MODIFIER_IDS.join(', ')})`);
  });
});

describe('generic modifiers', () => {
  it('contains / startswith / endswith', () => {
    expect(sel({ 'f|contains': 'pass' })({ f: 'Failed PASSWORD' })).toBe(true);
    expect(sel({ 'f|contains': 'pass' })({ f: 'Failed login' })).toBe(false);
    expect(sel({ 'f|startswith': 'fail' })({ f: 'Failed' })).toBe(true);
    expect(sel({ 'f|startswith': 'fail' })({ f: 'not Failed' })).toBe(false);
    expect(sel({ 'f|endswith': '\\cmd.exe' })({ f: 'C:\\Windows\\cmd.exe' })).toBe(true);
    expect(sel({ 'f|endswith': '\\cmd.exe' })({ f: 'C:\\Windows\\cmd.exe.bak' })).toBe(false);
    expect(sel({ 'f|contains': 4624 })({ f: 'id 4624 seen' })).toBe(true);
  });

  it('all requires every value and rejects a single value', () => {
    const p = sel({ 'f|contains|all': ['alpha', 'beta'] });
    expect(p({ f: 'beta alpha' })).toBe(true);
    expect(p({ f: 'alpha' })).toBe(false);
    expect(compileError({ 'f|contains|all': ['alpha'] })).toBe("modifier 'all' needs a list of at least two values");
  });

  it('exists checks presence only, null and empty included', () => {
    const yes = sel({ 'f|exists': true });
    expect(yes({ f: null })).toBe(true);
    expect(yes({ f: '' })).toBe(true);
    expect(yes({ g: 1 })).toBe(false);
    expect(sel({ 'f|exists': false })({ g: 1 })).toBe(true);
    expect(sel({ 'f|exists': false })({ f: null })).toBe(false);
    expect(compileError({ 'f|exists': 'yes' })).toBe("'exists' takes true or false");
  });

  it('cased matches case-sensitively', () => {
    expect(sel({ 'f|cased': 'Root' })({ f: 'Root' })).toBe(true);
    expect(sel({ 'f|cased': 'Root' })({ f: 'root' })).toBe(false);
    expect(sel({ 'f|contains|cased': 'Root' })({ f: 'x root x' })).toBe(false);
  });

  it('neq matches a field different from every value (a missing field included, as pySigma)', () => {
    const p = sel({ 'f|neq': ['a', 'b'] });
    expect(p({ f: 'c' })).toBe(true);
    expect(p({ f: 'A' })).toBe(false);
    expect(p({ f: 'b' })).toBe(false);
    expect(p({})).toBe(true);
    expect(sel({ 'n|neq': 5 })({ n: 5 })).toBe(false);
    expect(sel({ 'n|neq': 5 })({ n: 6 })).toBe(true);
  });
});

describe('windash', () => {
  const p = sel({ 'cmd|windash|contains': ' -enc ' });
  it.each(['-', '/', '\u2013', '\u2014', '\u2015'])('matches the flag written with %j', (dash) => {
    expect(p({ cmd: `powershell ${dash}enc AAAA` })).toBe(true);
  });
  it('does not match other characters or dashes inside a word', () => {
    expect(p({ cmd: 'powershell +enc AAAA' })).toBe(false);
    const inWord = sel({ 'f|windash': 'a-b' });
    expect(inWord({ f: 'a-b' })).toBe(true);
    expect(inWord({ f: 'a/b' })).toBe(false);
  });
  it('varies every flag independently', () => {
    const two = sel({ 'cmd|windash': '-a -b' });
    expect(two({ cmd: '/a \u2014b' })).toBe(true);
    expect(two({ cmd: '-a -b' })).toBe(true);
  });
});

describe('re', () => {
  it('searches case-sensitively with RE2', () => {
    const p = sel({ 'f|re': 'fo+\\d' });
    expect(p({ f: 'xx foo1 yy' })).toBe(true);
    expect(p({ f: 'FOO1' })).toBe(false);
    expect(sel({ 'f|re': '^a\\*b$' })({ f: 'a*b' })).toBe(true); // Sigma escapes do not apply in a regex
  });
  it('i / m / s flags', () => {
    expect(sel({ 'f|re|i': '^foo$' })({ f: 'FOO' })).toBe(true);
    expect(sel({ 'f|re': '^b$' })({ f: 'a\nb' })).toBe(false);
    expect(sel({ 'f|re|m': '^b$' })({ f: 'a\nb' })).toBe(true);
    expect(sel({ 'f|re': 'a.b' })({ f: 'a\nb' })).toBe(false);
    expect(sel({ 'f|re|s': 'a.b' })({ f: 'a\nb' })).toBe(true);
    expect(sel({ 'f|re|i|s': 'A.B' })({ f: 'a\nb' })).toBe(true);
  });
  it('rejects what RE2 cannot run in linear time, saying what and why', () => {
    expect(compileError({ 'f|re': 'a(?=b)' })).toBe('lookahead and lookbehind ((?=, (?!, (?<=, (?<!) are not supported (RE2: linear-time matching)');
    expect(compileError({ 'f|re': '(a)\\1' })).toBe('backreferences (\\1) are not supported (RE2: linear-time matching)');
    expect(compileError({ 'f|re': 'a{1001}' })).toMatch(/^regular expression is not supported by the linear-time engine: /);
  });
  it('stays linear on a pattern that explodes a backtracking engine', () => {
    const started = process.hrtime.bigint();
    expect(sel({ 'f|re': '^(a+)+$' })({ f: `${'a'.repeat(50_000)}!` })).toBe(false);
    expect(Number(process.hrtime.bigint() - started) / 1e9).toBeLessThan(5); // hang guard, not a benchmark
  });
});

describe('encodings', () => {
  it('base64 encodes the value', () => {
    expect(sel({ 'f|base64': 'cmd' })({ f: 'Y21k' })).toBe(true);
    expect(sel({ 'f|base64|contains': 'cmd' })({ f: `xx${b64('cmd')}yy` })).toBe(true);
    expect(sel({ 'f|base64': 'cmd' })({ f: 'cmd' })).toBe(false);
  });

  it('base64offset yields the three shifted variants (pySigma values)', () => {
    const p = sel({ 'f|base64offset|contains': 'foobar' });
    for (const prefix of ['', 'a', 'ab', 'abc', 'abcd']) {
      expect(p({ f: b64(`${prefix}foobar and more`) })).toBe(true);
    }
    expect(sel({ 'f|base64offset|contains': 'foobar' })({ f: 'Zm9vYmFy' })).toBe(true);
    expect(sel({ 'f|base64offset|contains': 'foobar' })({ f: 'xZvb2Jhcx' })).toBe(true);
    expect(sel({ 'f|base64offset|contains': 'foobar' })({ f: 'xmb29iYXx' })).toBe(true);
    expect(p({ f: b64('foobaz') })).toBe(false);
  });

  it('utf16le / utf16be / wide encode without BOM, utf16 with FF FE', () => {
    expect(sel({ 'f|utf16le': 'cmd' })({ f: 'c\0m\0d\0' })).toBe(true);
    expect(sel({ 'f|wide': 'cmd' })({ f: 'c\0m\0d\0' })).toBe(true);
    expect(sel({ 'f|utf16be': 'cmd' })({ f: '\0c\0m\0d' })).toBe(true);
    expect(sel({ 'f|utf16be': 'cmd' })({ f: 'c\0m\0d\0' })).toBe(false);
    expect(sel({ 'f|utf16': 'cmd' })({ f: '\xff\xfec\0m\0d\0' })).toBe(true);
    expect(sel({ 'f|utf16': 'cmd' })({ f: 'c\0m\0d\0' })).toBe(false);
    expect(sel({ 'f|utf16le|base64': 'cmd' })({ f: b64(utf16le('cmd'), 'latin1') })).toBe(true);
    expect(sel({ 'f|utf16|base64': 'cmd' })({ f: b64(`\xff\xfe${utf16le('cmd')}`, 'latin1') })).toBe(true);
    expect(sel({ 'f|utf16be|base64': 'cmd' })({ f: Buffer.from('\0c\0m\0d', 'latin1').toString('base64') })).toBe(true);
  });

  it('wide|base64offset|contains finds an encoded PowerShell command', () => {
    const p = sel({ 'cmd|wide|base64offset|contains': 'IEX' });
    for (const prefix of ['', 'x', 'xy']) {
      expect(p({ cmd: `powershell -enc ${b64(utf16le(`${prefix}IEX (New-Object Net.WebClient)`), 'latin1')}` })).toBe(true);
    }
    expect(p({ cmd: `powershell -enc ${b64(utf16le('Get-Date'), 'latin1')}` })).toBe(false);
  });
});

describe('numeric modifiers', () => {
  it.each([
    ['lt', 10, 9, 10],
    ['lte', 10, 10, 11],
    ['gt', 10, 11, 10],
    ['gte', 10, 10, 9],
  ])('%s %d', (op, bound, yes, no) => {
    const p = sel({ [`n|${op}`]: bound });
    expect(p({ n: yes })).toBe(true);
    expect(p({ n: String(yes) })).toBe(true);
    expect(p({ n: no })).toBe(false);
    expect(p({ n: 'abc' })).toBe(false);
    expect(p({})).toBe(false);
  });
  it('accepts a numeric string in the rule and rejects anything else', () => {
    expect(sel({ 'n|gt': '1.5' })({ n: 2 })).toBe(true);
    expect(compileError({ 'n|gt': 'ten' })).toBe('modifier \'gt\' needs a number, got "ten"');
  });
});

describe('time modifiers', () => {
  const event = { ts: '2024-03-05T14:07:09.123+02:00' };
  it.each([
    ['minute', 7, 8],
    ['hour', 14, 12],
    ['day', 5, 6],
    ['week', 10, 11],
    ['month', 3, 4],
    ['year', 2024, 2023],
  ])('%s', (part, yes, no) => {
    expect(sel({ [`ts|${part}`]: yes })(event)).toBe(true);
    expect(sel({ [`ts|${part}`]: no })(event)).toBe(false);
  });
  it('combines with comparisons and reads epoch milliseconds as UTC', () => {
    expect(sel({ 'ts|hour|gte': 12 })(event)).toBe(true);
    expect(sel({ 'ts|hour|lt': 12 })(event)).toBe(false);
    expect(sel({ 'ts|hour': 14 })({ ts: Date.UTC(2024, 0, 1, 14) })).toBe(true);
    expect(sel({ 'ts|hour': 14 })({ ts: 'not a date' })).toBe(false);
    expect(compileError({ 'ts|hour': 24 })).toBe("modifier 'hour' needs a whole number from 0 to 23");
  });
});

describe('cidr', () => {
  it('matches IPv4 ranges', () => {
    const p = sel({ 'ip|cidr': ['10.0.0.0/8', '192.168.1.0/24'] });
    expect(p({ ip: '10.200.3.4' })).toBe(true);
    expect(p({ ip: '192.168.1.255' })).toBe(true);
    expect(p({ ip: '192.168.2.1' })).toBe(false);
    expect(p({ ip: '11.0.0.1' })).toBe(false);
    expect(p({ ip: 'fe80::1' })).toBe(false);
    expect(p({ ip: '::ffff:10.1.2.3' })).toBe(true);
  });
  it('matches IPv6 ranges', () => {
    const p = sel({ 'ip|cidr': 'fe80::/10' });
    expect(p({ ip: 'fe80::1%eth0' })).toBe(true);
    expect(p({ ip: 'febf:ffff::1' })).toBe(true);
    expect(p({ ip: 'fec0::1' })).toBe(false);
    expect(p({ ip: '10.0.0.1' })).toBe(false);
    expect(sel({ 'ip|cidr': '2001:db8:0:1::/64' })({ ip: '2001:db8::1:0:0:0:5' })).toBe(true);
    expect(sel({ 'ip|cidr': '2001:db8:0:1::/64' })({ ip: '2001:db8:0:2::5' })).toBe(false);
  });
  it('rejects a bad range', () => {
    expect(compileError({ 'ip|cidr': '10.0.0.0/33' })).toBe('modifier \'cidr\' needs an IPv4 or IPv6 network such as 10.0.0.0/8 or fe80::/10, got "10.0.0.0/33"');
  });
});

describe('fieldref', () => {
  it('compares two fields of the event', () => {
    const p = sel({ 'user.name|fieldref': 'user.target' });
    expect(p({ user: { name: 'Alice', target: 'alice' } })).toBe(true);
    expect(p({ user: { name: 'alice', target: 'bob' } })).toBe(false);
    expect(p({ user: { name: 'alice' } })).toBe(false);
    expect(sel({ 'a|fieldref|cased': 'b' })({ a: 'X', b: 'x' })).toBe(false);
  });
  it('combines with neq', () => {
    const p = sel({ 'a|fieldref|neq': 'b' });
    expect(p({ a: 'x', b: 'y' })).toBe(true);
    expect(p({ a: 'x', b: 'x' })).toBe(false);
  });
});

describe('expand', () => {
  const placeholders = { Servers: ['srv*', 'dc?'], Admins: ['root'] };
  it('resolves placeholders from the map, each value a pattern', () => {
    const p = sel({ 'host|expand': '%Servers%' }, { placeholders });
    expect(p({ host: 'srv-web-1' })).toBe(true);
    expect(p({ host: 'dc1' })).toBe(true);
    expect(p({ host: 'laptop' })).toBe(false);
    const both = sel({ 'f|expand': '%Admins%@%Servers%' }, { placeholders: new Map(Object.entries(placeholders)) });
    expect(both({ f: 'root@dc2' })).toBe(true);
    expect(both({ f: 'bob@dc2' })).toBe(false);
  });
  it('treats \\% as a plain percent and %name% without expand as literal text', () => {
    expect(sel({ 'f|expand': '\\%plain%Admins%' }, { placeholders })({ f: '%plainroot' })).toBe(true);
    expect(sel({ f: '%Admins%' }, { placeholders })({ f: '%Admins%' })).toBe(true);
  });
  it('rejects a placeholder without a value, naming it', () => {
    expect(compileError({ 'f|expand': '%JumpServers%' }, { placeholders })).toBe("placeholder '%JumpServers%' has no value (pass it in the placeholder map)");
    expect(compileError({ 'f|expand': '%Servers%' })).toBe("placeholder '%Servers%' has no value (pass it in the placeholder map)");
  });
});

describe('values, wildcards and escapes', () => {
  it.each([
    ['a\\*b', 'a*b', true],
    ['a\\*b', 'axb', false],
    ['a\\?b', 'a?b', true],
    ['a\\\\*', 'a\\xyz', true], // \\* = backslash then wildcard
    ['a\\\\*', 'a*', false],
    ['a\\\\\\*', 'a\\*', true], // \\\* = backslash then a literal star
    ['a\\\\\\*', 'a\\x', false],
    ['a\\\\\\\\b', 'a\\\\b', true], // \\\\ = two backslashes
    ['a\\\\\\b', 'a\\\\b', true], // \\\ = two backslashes as well
    ['C:\\Windows\\cmd.exe', 'c:\\windows\\cmd.exe', true], // a lone backslash stays literal
    ['trailing\\', 'trailing\\', true],
  ])('%j on %j → %s', (pattern, text, want) => {
    expect(sel({ f: pattern })({ f: text })).toBe(want);
  });

  it('null matches a missing or null field, not an empty string', () => {
    const p = sel({ f: null });
    expect(p({})).toBe(true);
    expect(p({ f: null })).toBe(true);
    expect(p({ f: '' })).toBe(false);
    expect(p({ f: 'x' })).toBe(false);
  });

  it("'' matches an empty string only", () => {
    const p = sel({ f: '' });
    expect(p({ f: '' })).toBe(true);
    expect(p({})).toBe(false);
    expect(p({ f: null })).toBe(false);
  });

  it('rejects null inside a list and a modifier on null', () => {
    expect(compileError({ f: ['', null] })).toBe('null cannot be part of a list of values; put it in a selection of its own');
    expect(compileError({ 'f|contains': null })).toBe("modifier 'contains' cannot be applied to null");
  });

  it('matches any element of a list-valued field', () => {
    expect(sel({ 'tags|startswith': 'att' })({ tags: ['x', 'attack.t1'] })).toBe(true);
    expect(sel({ 'ip|cidr': '10.0.0.0/8' })({ ip: ['1.1.1.1', '10.1.1.1'] })).toBe(true);
  });
});

describe('invalid modifier chains', () => {
  it.each([
    ['f|cidr|contains', "modifier 'cidr' cannot be combined with 'contains'"],
    ['f|contains|cidr', "modifier 'cidr' cannot be combined with 'contains'"],
    ['f|re|contains', "modifier 're' cannot be combined with 'contains'"],
    ['f|re|cased', "modifier 're' cannot be combined with 'cased'"],
    ['f|gt|lt', "modifier 'gt' cannot be combined with 'lt'"],
    ['f|contains|startswith', "modifier 'startswith' cannot be combined with 'contains'"],
    ['f|base64|base64offset|contains', "modifier 'base64offset' cannot be combined with 'base64'"],
    ['f|wide|utf16be', "modifier 'utf16be' cannot be combined with 'wide'"],
    ['f|base64offset', "modifier 'base64offset' must be followed by 'contains'"],
    ['f|contains|base64offset', "modifier 'contains' must come after 'base64offset'"],
    ['f|contains|base64', "modifier 'contains' must come after 'base64'"],
    ['f|base64|wide', "modifier 'wide' must come before 'base64'"],
    ['f|base64|windash', "modifier 'windash' must come before 'base64'"],
    ['f|i', "modifier 'i' is only valid after 're'"],
    ['f|i|re', "modifier 'i' is only valid after 're'"],
    ['f|exists|neq', "modifier 'exists' cannot be combined with 'neq'"],
    ['f|gte|hour', "modifier 'hour' must come before 'gte'"],
    ['f|gt|neq', "modifier 'gt' cannot be combined with 'neq'"],
    ['f|contains|contains', "modifier 'contains' is given twice"],
    ['f|cidr|fieldref', "modifier 'cidr' cannot be combined with 'fieldref'"],
  ])('%s', (key, message) => {
    expect(compileError({ [key]: ['1', '2'] })).toBe(message);
  });
});
