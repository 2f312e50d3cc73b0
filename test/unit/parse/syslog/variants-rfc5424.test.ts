/**
 * RFC 5424 completeness, one input line and the expected fields per case: BOM, SD-PARAM escapes,
 * NILVALUE in every header field, fraction digits, offsets (incl. -00:00), leap seconds and
 * over-long header fields. Decisions where the RFC leaves room are stated in the test names.
 */
import { parseSyslog } from '../../../../pipeline/parse/syslog';
import type { ParseOptions } from '../../../../pipeline/parse/syslog/types';
import { expectFailure, expectOk } from './outcome';

const opts: ParseOptions = { receivedAt: new Date('2026-12-04T10:00:30Z') };
const parse = (line: string) => expectOk(parseSyslog(Buffer.from(line, 'utf8'), opts));
const fails = (line: string) => expectFailure(parseSyslog(Buffer.from(line, 'utf8'), opts));

describe('BOM before MSG', () => {
  test('is stripped from the message (the raw bytes keep it: event.original)', () => {
    expect(parse('<14>1 2026-12-04T10:00:00Z host app 1 ID - \uFEFFgrüße').message).toBe('grüße');
  });

  test('a BOM anywhere but first is content', () => {
    expect(parse('<14>1 - - - - - - a\uFEFFb').message).toBe('a\uFEFFb');
  });
});

describe('SD-PARAM escapes', () => {
  test.each([
    ['[x@1 v="a\\"b"]', 'a"b'],
    ['[x@1 v="a\\\\b"]', 'a\\b'],
    ['[x@1 v="a\\]b"]', 'a]b'],
    ['[x@1 v="C:\\temp\\new"]', 'C:\\temp\\new'],
    ['[x@1 v="end\\\\"]', 'end\\'],
  ])('%s → %j (an invalid escape is kept literally, RFC 5424 §6.3.3)', (sd, value) => {
    expect(parse(`<14>1 - - - - - ${sd} m`).structuredData).toEqual({ 'x@1': { v: value } });
  });
});

describe('NILVALUE', () => {
  test('in every header field and SD, with a MSG', () => {
    expect(parse('<14>1 - - - - - - hello')).toEqual({
      format: 'rfc5424', priority: 14, facility: 1, severity: 6, version: 1, message: 'hello', warnings: [],
    });
  });

  test.each([
    ['<14>1 - host - - - -', { hostname: 'host' }],
    ['<14>1 - - app - - -', { appName: 'app' }],
    ['<14>1 - - - 42 - -', { procId: '42' }],
    ['<14>1 - - - - ID7 -', { msgId: 'ID7' }],
  ])('%j: one field set, the others absent', (line, fields) => {
    const m = parse(line);
    expect(m).toMatchObject(fields);
    for (const k of ['hostname', 'appName', 'procId', 'msgId'] as const) if (!(k in fields)) expect(m[k]).toBeUndefined();
    expect(m.timestamp).toBeUndefined();
  });
});

describe('timestamps', () => {
  test.each([
    ['2026-12-04T10:00:00.1Z', '2026-12-04T10:00:00.100Z'],
    ['2026-12-04T10:00:00.12Z', '2026-12-04T10:00:00.120Z'],
    ['2026-12-04T10:00:00.123456Z', '2026-12-04T10:00:00.123Z'],
    ['2026-12-04T10:00:00.999999+14:00', '2026-12-03T20:00:00.999Z'],
    ['2026-12-04T10:00:00-00:00', '2026-12-04T10:00:00.000Z'],
    ['2026-12-04T10:00:00+00:00', '2026-12-04T10:00:00.000Z'],
  ])('%s is read (fractions to 6 digits; -00:00, "offset unknown" in RFC 3339, is read as UTC)', (ts, iso) => {
    const m = parse(`<14>1 ${ts} h a - - - m`);
    expect(m.timestamp?.toISOString()).toBe(iso);
    expect(m.timestampText).toBe(ts);
    expect(m.warnings).toEqual([]);
  });

  test.each([
    ['2026-12-04T10:00:00.1234567Z', '7 fraction digits'],
    ['2016-12-31T23:59:60Z', 'a leap second (RFC 5424 §6.2.3 forbids them)'],
    ['2026-12-04T10:00:00', 'no offset'],
  ])('%s (%s) is a bad_timestamp warning; the text is kept and the event falls back to the receive time', (ts) => {
    const m = parse(`<14>1 ${ts} h a - - - m`);
    expect(m).toMatchObject({ timestampText: ts, hostname: 'h', appName: 'a', message: 'm', warnings: ['bad_timestamp'] });
    expect(m.timestamp).toBeUndefined();
  });
});

describe('over-long header fields are rejected with the field named, as the parser always has', () => {
  test.each([
    ['HOSTNAME', 255, (v: string) => `<14>1 - ${v} a - - - m`],
    ['APP-NAME', 48, (v: string) => `<14>1 - h ${v} - - - m`],
    ['PROCID', 128, (v: string) => `<14>1 - h a ${v} - - m`],
    ['MSGID', 32, (v: string) => `<14>1 - h a - ${v} - m`],
  ])('%s: %i bytes pass, one more fails with bad_header', (name, max, line) => {
    expect(parse(line('x'.repeat(max))).message).toBe('m');
    const failure = fails(line('x'.repeat(max + 1)));
    expect(failure.code).toBe('bad_header');
    expect(failure.reason).toMatch(new RegExp(`^${name}: longer than ${max} bytes, starting at byte \\d+$`));
  });
});
