import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseSyslog } from '../../../../pipeline/parse/syslog';
import { expectFailure, expectOk, rawBytes } from './outcome';

const opts = { receivedAt: new Date('2026-06-15T12:00:00Z') };

function parse(text: string) {
  return parseSyslog(Buffer.from(text, 'utf8'), opts);
}

describe('parseSyslog format detection', () => {
  test('<PRI>1 SP is parsed as RFC 5424', () => {
    expect(expectOk(parse('<13>1 - host app - - - hello'))).toMatchObject({ format: 'rfc5424', version: 1, hostname: 'host', message: 'hello' });
  });

  test('anything else after a valid PRI is parsed as RFC 3164', () => {
    expect(expectOk(parse('<13>Nov 22 03:54:14 host app: hello'))).toMatchObject({ format: 'rfc3164', hostname: 'host', message: 'hello' });
  });

  test('a 1 not followed by SP is BSD content, not a version', () => {
    expect(expectOk(parse('<13>10 apples'))).toMatchObject({ format: 'rfc3164', message: '10 apples' });
  });

  test('a malformed RFC 5424 message fails instead of falling back to RFC 3164', () => {
    expect(expectFailure(parse('<13>1 - - - - - [oops'))).toEqual({
      code: 'bad_structured_data',
      reason: "structured data: unterminated element starting at byte 16 (no closing ']')",
    });
  });
});

describe('parseSyslog trimming', () => {
  test.each([
    ['LF', '\n'],
    ['CR LF', '\r\n'],
    ['NUL', '\0'],
    ['several', '\r\n\0\n'],
  ])('a trailing %s is not part of the message', (_name, tail) => {
    expect(expectOk(parse(`<13>1 - - - - - - hello${tail}`)).message).toBe('hello');
    expect(expectOk(parse(`<13>Nov 22 03:54:14 host app: hello${tail}`)).message).toBe('hello');
  });

  test('trailing spaces and tabs are message content and kept', () => {
    expect(expectOk(parse('<13>1 - - - - - - hello \t')).message).toBe('hello \t');
  });

  test('CR or LF inside the message are kept', () => {
    expect(expectOk(parse('<13>1 - - - - - - a\r\nb\n')).message).toBe('a\r\nb');
  });

  test('the input buffer is not modified', () => {
    const bytes = Buffer.from('<13>1 - - - - - - hello\r\n');
    const copy = Buffer.from(bytes);
    parseSyslog(bytes, opts);
    expect(bytes.equals(copy)).toBe(true);
  });
});

describe('parseSyslog: file-format lines without a PRI', () => {
  test('a line that starts with an RFC 3164 timestamp is RFC 3164 with PRI 13 (user.notice) and the warning no_pri', () => {
    const msg = expectOk(parse('Nov 22 10:00:00 web1 sshd[811]: Failed password for root'));
    expect(msg).toMatchObject({ format: 'rfc3164', priority: 13, facility: 1, severity: 5, hostname: 'web1', appName: 'sshd', procId: '811', message: 'Failed password for root' });
    expect(msg.timestamp?.toISOString()).toBe('2025-11-22T10:00:00.000Z');
    expect(msg.warnings).toEqual(['no_pri']);
  });

  test('an ISO timestamp first (rsyslog file format) is read the same way', () => {
    expect(expectOk(parse('2026-06-15T11:59:00+00:00 web1 cron[5]: tick'))).toMatchObject({ priority: 13, hostname: 'web1', appName: 'cron', message: 'tick', warnings: ['no_pri'] });
  });

  test('a line without a PRI or a timestamp first still fails with no_pri', () => {
    expect(expectFailure(parse('web1 sshd[811]: Failed password')).code).toBe('no_pri');
    expect(expectFailure(parse('Novel idea 10:00')).code).toBe('no_pri');
  });
});

describe('parseSyslog failures', () => {
  test.each([
    ['', 'empty', 'empty message: no bytes'],
    ['\r\n', 'empty', 'empty message: only trailing CR, LF or NUL bytes (2)'],
    ['\0\0\0', 'empty', 'empty message: only trailing CR, LF or NUL bytes (3)'],
    ['hello', 'no_pri', "missing PRI: message does not start with '<'"],
    [' <13>hello', 'no_pri', "missing PRI: message does not start with '<'"],
    ['<', 'bad_pri', 'PRI: expected a digit at byte 1, found the end of the message'],
    ['<>x', 'bad_pri', "PRI: empty value '<>' at byte 1"],
    ['<a>x', 'bad_pri', "PRI: expected a digit at byte 1, found 'a' (0x61)"],
    ['<013>x', 'bad_pri', "PRI: leading zero at byte 1; only '<0>' may start with 0"],
    ['<00>x', 'bad_pri', "PRI: leading zero at byte 1; only '<0>' may start with 0"],
    ['<1913>x', 'bad_pri', 'PRI: more than 3 digits starting at byte 1'],
    ['<192>x', 'bad_pri', 'PRI: value 192 at byte 1 is out of range 0..191'],
    ['<999>x', 'bad_pri', 'PRI: value 999 at byte 1 is out of range 0..191'],
    ['<13', 'bad_pri', "PRI: expected '>' at byte 3, found the end of the message"],
    ['<13 x', 'bad_pri', "PRI: expected '>' at byte 3, found ' ' (0x20)"],
    ['<-1>x', 'bad_pri', "PRI: expected a digit at byte 1, found '-' (0x2d)"],
  ])('%j fails with %s: %s', (input, code, reason) => {
    expect(expectFailure(parse(input))).toEqual({ code, reason });
  });

  test('the PRI bounds 0 and 191 are accepted', () => {
    expect(expectOk(parse('<0>x'))).toMatchObject({ priority: 0, facility: 0, severity: 0 });
    expect(expectOk(parse('<191>x'))).toMatchObject({ priority: 191, facility: 23, severity: 7 });
  });

  test('binary garbage after a valid PRI still parses as RFC 3164 with the bytes in the message', () => {
    const msg = expectOk(parseSyslog(rawBytes('<13>\x00\xff\xfe\x01garbage\x80'), opts));
    expect(msg.message).toBe('\u0000\uFFFD\uFFFD\u0001garbage\uFFFD');
    expect(msg.warnings).toEqual(['no_timestamp', 'no_hostname', 'invalid_utf8']);
  });

  test('binary garbage without a PRI fails with no_pri', () => {
    expect(expectFailure(parseSyslog(rawBytes('\x16\x03\x01\x02\x00\x01'), opts)).code).toBe('no_pri');
  });
});

interface CapturedDatagram {
  command: string;
  hex: string;
  expect: Record<string, unknown> & { timestamp?: string };
}

const captures = JSON.parse(readFileSync(join(__dirname, '../../../fixtures/syslog/logger-captures.json'), 'utf8')) as {
  receivedAt: string;
  datagrams: CapturedDatagram[];
};

describe('parseSyslog on real util-linux logger output (test/fixtures/syslog/logger-captures.json)', () => {
  test.each(captures.datagrams.map((d) => [d.command, d] as const))('%s', (_command, datagram) => {
    const msg = expectOk(parseSyslog(Buffer.from(datagram.hex, 'hex'), { receivedAt: new Date(captures.receivedAt) }));
    const { timestamp, ...fields } = datagram.expect;
    expect(msg).toMatchObject(fields);
    if (timestamp !== undefined) expect(msg.timestamp?.toISOString()).toBe(timestamp);
  });
});
