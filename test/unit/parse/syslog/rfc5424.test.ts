import { parseRfc5424 } from '../../../../pipeline/parse/syslog/rfc5424';
import { expectFailure, expectOk, rawBytes } from './outcome';

const opts = { receivedAt: new Date('2026-01-15T12:00:00Z') };
const BOM = '\uFEFF';

function parse(text: string) {
  return parseRfc5424(Buffer.from(text, 'utf8'), opts);
}

describe('parseRfc5424 on the examples of RFC 5424 §6.5', () => {
  test('example 1 (no structured data, BOM before MSG) yields every header field', () => {
    const msg = expectOk(parse(`<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - ${BOM}'su root' failed for lonvick on /dev/pts/8`));
    expect(msg).toEqual({
      format: 'rfc5424',
      priority: 34,
      facility: 4,
      severity: 2,
      version: 1,
      timestamp: new Date('2003-10-11T22:14:15.003Z'),
      timestampText: '2003-10-11T22:14:15.003Z',
      hostname: 'mymachine.example.com',
      appName: 'su',
      msgId: 'ID47',
      message: "'su root' failed for lonvick on /dev/pts/8",
      warnings: [],
    });
  });

  test('example 2 (microseconds, negative offset, IPv4 hostname, PROCID) converts the time to UTC', () => {
    const msg = expectOk(parse("<165>1 2003-08-24T05:14:15.000003-07:00 192.0.2.1 myproc 8710 - - %% It's time to make the do-nuts."));
    expect(msg.timestamp).toEqual(new Date('2003-08-24T12:14:15.000Z'));
    expect(msg.timestampText).toBe('2003-08-24T05:14:15.000003-07:00');
    expect(msg).toMatchObject({ priority: 165, facility: 20, severity: 5, hostname: '192.0.2.1', appName: 'myproc', procId: '8710' });
    expect(msg.msgId).toBeUndefined();
    expect(msg.structuredData).toBeUndefined();
    expect(msg.message).toBe("%% It's time to make the do-nuts.");
  });

  test('example 3 (one SD element, BOM) yields the structured data and the message', () => {
    const msg = expectOk(parse(`<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"] ${BOM}An application event log entry...`));
    expect(msg.structuredData).toEqual({ 'exampleSDID@32473': { iut: '3', eventSource: 'Application', eventID: '1011' } });
    expect(msg.message).toBe('An application event log entry...');
    expect(msg.appName).toBe('evntslog');
  });

  test('example 4 (two SD elements, no MSG) yields both elements and an empty message', () => {
    const msg = expectOk(parse('<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"][examplePriority@32473 class="high"]'));
    expect(msg.structuredData).toEqual({
      'exampleSDID@32473': { iut: '3', eventSource: 'Application', eventID: '1011' },
      'examplePriority@32473': { class: 'high' },
    });
    expect(msg.message).toBe('');
  });
});

describe('parseRfc5424 header fields', () => {
  test('NILVALUEs in every field leave the fields absent without warnings', () => {
    expect(expectOk(parse('<0>1 - - - - - -'))).toEqual({
      format: 'rfc5424', priority: 0, facility: 0, severity: 0, version: 1, message: '', warnings: [],
    });
  });

  test('an IPv6 hostname is kept as written', () => {
    expect(expectOk(parse('<13>1 - 2001:db8::1 app - - - hi')).hostname).toBe('2001:db8::1');
  });

  test('fields at their maximum lengths are accepted', () => {
    const msg = expectOk(parse(`<13>1 - ${'h'.repeat(255)} ${'a'.repeat(48)} ${'p'.repeat(128)} ${'m'.repeat(32)} -`));
    expect([msg.hostname?.length, msg.appName?.length, msg.procId?.length, msg.msgId?.length]).toEqual([255, 48, 128, 32]);
  });

  test('only the first SP after the structured data is a separator; further spaces are MSG', () => {
    expect(expectOk(parse('<13>1 - - - - - -   indented')).message).toBe('  indented');
  });

  test('a SP after the structured data with nothing after it gives an empty message', () => {
    expect(expectOk(parse('<13>1 - - - - - - ')).message).toBe('');
  });
});

describe('parseRfc5424 timestamps (RFC 5424 §6.2.3.1)', () => {
  test.each([
    ['1985-04-12T23:20:50.52Z', '1985-04-12T23:20:50.520Z'],
    ['1985-04-12T19:20:50.52-04:00', '1985-04-12T23:20:50.520Z'],
    ['2003-10-11T22:14:15.003Z', '2003-10-11T22:14:15.003Z'],
    ['2003-08-24T05:14:15.000003-07:00', '2003-08-24T12:14:15.000Z'],
    ['2024-02-29T00:00:00+05:30', '2024-02-28T18:30:00.000Z'],
    ['2024-01-01T00:00:00-00:00', '2024-01-01T00:00:00.000Z'],
  ])('%s is read as %s', (text, iso) => {
    const msg = expectOk(parse(`<13>1 ${text} host app - - - m`));
    expect(msg.timestamp?.toISOString()).toBe(iso);
    expect(msg.timestampText).toBe(text);
    expect(msg.warnings).toEqual([]);
  });

  test('an unreadable timestamp with invalid UTF-8 warns about both and keeps a replaced text', () => {
    const msg = expectOk(parseRfc5424(rawBytes('<13>1 2024\xff h a - - -'), opts));
    expect(msg.timestampText).toBe('2024\uFFFD');
    expect(msg.warnings).toEqual(['bad_timestamp', 'invalid_utf8']);
  });

  test('a two-digit year stays in the first century instead of becoming 19xx', () => {
    expect(expectOk(parse('<13>1 0099-01-01T00:00:00Z h a - - -')).timestamp?.getUTCFullYear()).toBe(99);
  });

  test.each([
    ['2003-08-24T05:14:15.000000003-07:00', 'more than 6 fraction digits (the RFC\'s own invalid example)'],
    ['1990-12-31T23:59:60Z', 'a leap second, which RFC 5424 forbids'],
    ['2023-02-29T00:00:00Z', 'a day the month does not have'],
    ['2003-10-11T22:14:15.003', 'no offset'],
    ['2003-10-11t22:14:15.003Z', "a lower-case 't'"],
    ['2003-10-11T22:14:15.003z', "a lower-case 'z'"],
    ['2003-10-11T22:14:15.Z', 'an empty fraction'],
    ['2003-10-11T24:00:00Z', 'hour 24'],
    ['2003-10-11T22:14:15+24:00', 'an offset of 24 hours'],
    ['2003-10-11T22:14:15+0100', 'an offset without a colon'],
    ['Oct 11 22:14:15', 'a BSD timestamp (which also shifts every later field)'],
  ])('%s (%s) is a bad_timestamp warning with the text up to the next SP kept', (text) => {
    const msg = expectOk(parse(`<13>1 ${text} host app - - - m`));
    expect(msg.timestamp).toBeUndefined();
    expect(msg.warnings).toEqual(['bad_timestamp']);
    expect(msg.timestampText).toBe(text.split(' ')[0]);
  });
});

describe('parseRfc5424 structured data', () => {
  test('\\", \\\\ and \\] escapes in a value stand for the escaped byte', () => {
    const msg = expectOk(parse('<13>1 - - - - - [a@1 p="say \\"hi\\" \\\\ [x\\]"] m'));
    expect(msg.structuredData).toEqual({ 'a@1': { p: 'say "hi" \\ [x]' } });
  });

  test('a backslash before any other character is kept literally with that character', () => {
    expect(expectOk(parse('<13>1 - - - - - [a@1 path="C:\\temp\\n"]')).structuredData).toEqual({ 'a@1': { path: 'C:\\temp\\n' } });
  });

  test('an unescaped ] inside a quoted value is accepted because the quotes delimit it', () => {
    expect(expectOk(parse('<13>1 - - - - - [a@1 p="x]y"] m')).structuredData).toEqual({ 'a@1': { p: 'x]y' } });
  });

  test('an empty value is an empty string', () => {
    expect(expectOk(parse('<13>1 - - - - - [a@1 p=""]')).structuredData).toEqual({ 'a@1': { p: '' } });
  });

  test('a repeated param name keeps every value in order as an array', () => {
    const msg = expectOk(parse('<13>1 - - - - - [origin ip="192.0.2.1" ip="192.0.2.2" ip="192.0.2.3" software="x"]'));
    expect(msg.structuredData).toEqual({ origin: { ip: ['192.0.2.1', '192.0.2.2', '192.0.2.3'], software: 'x' } });
  });

  test('a repeated SD-ID is merged and warned about instead of failing the message', () => {
    const msg = expectOk(parse('<13>1 - - - - - [a@1 x="1"][b@1 y="2"][a@1 x="3" z="4"] m'));
    expect(msg.structuredData).toEqual({ 'a@1': { x: ['1', '3'], z: '4' }, 'b@1': { y: '2' } });
    expect(msg.warnings).toEqual(['duplicate_sd_id']);
  });

  test('values are decoded as UTF-8', () => {
    expect(expectOk(parse('<13>1 - - - - - [a@1 city="Zürich" emoji="🔥"]')).structuredData).toEqual({ 'a@1': { city: 'Zürich', emoji: '🔥' } });
  });

  test('invalid UTF-8 in a value is replaced and warned about', () => {
    const msg = expectOk(parseRfc5424(rawBytes('<13>1 - - - - - [a@1 v="\xc3\x28"] m'), opts));
    expect(msg.structuredData).toEqual({ 'a@1': { v: '\uFFFD(' } });
    expect(msg.warnings).toEqual(['invalid_utf8']);
  });

  test('an SD-ID or param named __proto__ becomes an ordinary key and does not touch any prototype', () => {
    const msg = expectOk(parse('<13>1 - - - - - [__proto__ __proto__="x" polluted="yes"]'));
    const sd = msg.structuredData ?? {};
    expect(Object.keys(sd)).toEqual(['__proto__']);
    expect(Object.keys(sd['__proto__'] ?? {})).toEqual(['__proto__', 'polluted']);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    expect(Object.getPrototypeOf(sd)).toBe(Object.prototype);
    expect(Object.getPrototypeOf(sd['__proto__'])).toBe(Object.prototype);
  });

  test('names of Object.prototype members (toString, constructor) are ordinary keys, not inherited values', () => {
    const msg = expectOk(parse('<13>1 - - - - - [toString constructor="a" constructor="b" hasOwnProperty="c"]'));
    expect(msg.structuredData).toEqual({ toString: { constructor: ['a', 'b'], hasOwnProperty: 'c' } });
    expect(msg.warnings).toEqual([]);
  });

  test('SD-IDs and param names of 32 bytes are accepted', () => {
    const name = 'n'.repeat(32);
    expect(expectOk(parse(`<13>1 - - - - - [${name} ${name}="v"]`)).structuredData).toEqual({ [name]: { [name]: 'v' } });
  });
});

describe('parseRfc5424 MSG', () => {
  test('a leading UTF-8 BOM is removed and only the first one', () => {
    expect(expectOk(parse(`<13>1 - - - - - - ${BOM}${BOM}x`)).message).toBe(`${BOM}x`);
  });

  test('a message that is only a BOM is empty', () => {
    expect(expectOk(parse(`<13>1 - - - - - - ${BOM}`)).message).toBe('');
  });

  test('invalid UTF-8 (0xC3 0x28) is decoded with a replacement character and warned about', () => {
    const msg = expectOk(parseRfc5424(rawBytes('<13>1 - - - - - - bad \xc3\x28 byte'), opts));
    expect(msg.message).toBe('bad \uFFFD( byte');
    expect(msg.warnings).toEqual(['invalid_utf8']);
  });

  test('a genuinely encoded U+FFFD is valid UTF-8 and raises no warning', () => {
    const msg = expectOk(parse('<13>1 - - - - - - replacement \uFFFD char'));
    expect(msg.message).toBe('replacement \uFFFD char');
    expect(msg.warnings).toEqual([]);
  });

  test('control bytes and binary in MSG are kept, not rejected', () => {
    const msg = expectOk(parseRfc5424(rawBytes('<13>1 - - - - - - a\x00b\tc\x7f'), opts));
    expect(msg.message).toBe('a\u0000b\tc\u007f');
  });
});

describe('parseRfc5424 structural errors name what is wrong and the byte offset', () => {
  const h255 = 'h'.repeat(256);
  test.each([
    ['13>1 - - - - - -', 'no_pri', "missing PRI: message does not start with '<'"],
    ['<192>1 - - - - - -', 'bad_pri', 'PRI: value 192 at byte 1 is out of range 0..191'],
    ['<13>2 - - - - - -', 'bad_header', 'VERSION: unsupported version 2 at byte 4; RFC 5424 defines only 1'],
    ['<13>0 - - - - - -', 'bad_header', "VERSION: expected a digit 1-9 at byte 4, found '0' (0x30)"],
    ['<13>1000 - - - - - -', 'bad_header', 'VERSION: more than 3 digits starting at byte 4'],
    ['<13>1- - - - - -', 'bad_header', "VERSION: expected SP at byte 5, found '-' (0x2d)"],
    ['<13>1 ', 'bad_header', 'header: message ends at byte 6 before TIMESTAMP'],
    ['<13>1 2003-10-11T22:14:15Z', 'bad_header', 'header: message ends at byte 26 in TIMESTAMP; expected SP before HOSTNAME'],
    ['<13>1  host app - - -', 'bad_header', "TIMESTAMP: empty field at byte 6 (a missing value is written '-')"],
    ['<13>1 - ', 'bad_header', 'header: message ends at byte 8 before HOSTNAME'],
    ['<13>1 - host', 'bad_header', 'header: message ends at byte 12 in HOSTNAME; expected SP before APP-NAME'],
    ['<13>1 - host  - - -', 'bad_header', "APP-NAME: empty field at byte 13 (a missing value is written '-')"],
    ['<13>1 - ho\x00st app - - -', 'bad_header', 'HOSTNAME: invalid byte 0x00 at byte 10 (only printable US-ASCII is allowed)'],
    ['<13>1 - hôst app - - -', 'bad_header', 'HOSTNAME: invalid byte 0xc3 at byte 9 (only printable US-ASCII is allowed)'],
    [`<13>1 - ${h255} app - - -`, 'bad_header', 'HOSTNAME: longer than 255 bytes, starting at byte 8'],
    [`<13>1 - h ${'a'.repeat(49)} - - -`, 'bad_header', 'APP-NAME: longer than 48 bytes, starting at byte 10'],
    [`<13>1 - h a ${'p'.repeat(129)} - -`, 'bad_header', 'PROCID: longer than 128 bytes, starting at byte 12'],
    [`<13>1 - h a p ${'m'.repeat(33)} -`, 'bad_header', 'MSGID: longer than 32 bytes, starting at byte 14'],
    ['<13>1 - - - - -', 'bad_header', 'header: message ends at byte 15 in MSGID; expected SP before STRUCTURED-DATA'],
    ['<13>1 - - - - - ', 'bad_structured_data', "structured data: expected '-' or '[' at byte 16, found the end of the message"],
    ['<13>1 - - - - - x', 'bad_structured_data', "structured data: expected '-' or '[' at byte 16, found 'x' (0x78)"],
    ['<13>1 - - - - - -x', 'bad_structured_data', "structured data: expected SP or the end of the message at byte 17, found 'x' (0x78)"],
    ['<13>1 - - - - - [a b="c"]x', 'bad_structured_data', "structured data: expected SP or the end of the message at byte 25, found 'x' (0x78)"],
    ['<13>1 - - - - - [a b="c', 'bad_structured_data', 'structured data: unterminated param value starting at byte 21'],
    ['<13>1 - - - - - [a b="c\\"]', 'bad_structured_data', 'structured data: unterminated param value starting at byte 21'],
    ['<13>1 - - - - - [a b="c"', 'bad_structured_data', "structured data: unterminated element starting at byte 16 (no closing ']')"],
    ['<13>1 - - - - - [a', 'bad_structured_data', "structured data: unterminated element starting at byte 16 (no closing ']')"],
    ['<13>1 - - - - - [a b=c]', 'bad_structured_data', "structured data: expected '\"' to open the value of param 'b' at byte 21, found 'c' (0x63)"],
    ['<13>1 - - - - - [a b]', 'bad_structured_data', "structured data: expected '=' after param name 'b' at byte 20, found ']' (0x5d)"],
    ['<13>1 - - - - - []', 'bad_structured_data', "structured data: expected SD-ID at byte 17, found ']' (0x5d)"],
    ['<13>1 - - - - - [a ]', 'bad_structured_data', "structured data: expected param name at byte 19, found ']' (0x5d)"],
    ['<13>1 - - - - - [a  b="1"]', 'bad_structured_data', "structured data: expected param name at byte 19, found ' ' (0x20)"],
    ['<13>1 - - - - - [a=b]', 'bad_structured_data', "structured data: expected SP or ']' at byte 18, found '=' (0x3d)"],
    ['<13>1 - - - - - [a b="1"c="2"]', 'bad_structured_data', "structured data: expected SP or ']' at byte 24, found 'c' (0x63)"],
    [`<13>1 - - - - - [${'i'.repeat(33)}]`, 'bad_structured_data', 'structured data: SD-ID starting at byte 17 is longer than 32 bytes'],
    [`<13>1 - - - - - [a ${'p'.repeat(33)}="v"]`, 'bad_structured_data', 'structured data: param name starting at byte 19 is longer than 32 bytes'],
  ])('%j fails with %s: %s', (input, code, reason) => {
    expect(expectFailure(parseRfc5424(Buffer.from(input, 'utf8'), opts))).toEqual({ code, reason });
  });
});
