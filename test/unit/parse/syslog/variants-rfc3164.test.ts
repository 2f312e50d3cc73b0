/**
 * RFC 3164 as real senders write it, beyond the RFC's own examples (rfc3164.test.ts): each case is
 * one input line and the fields a user finds in the event. The reference for what should be
 * accepted is what rsyslog (pmrfc3164, pmciscoios) and syslog-ng (its RFC 3164 parser and
 * cisco-parser()) accept. Every line goes through parseSyslog, the worker's entry point.
 */
import { parseSyslog } from '../../../../pipeline/parse/syslog';
import type { ParseOptions, SyslogMessage } from '../../../../pipeline/parse/syslog/types';
import { timeZone } from '../../../../pipeline/time/zone';
import { expectOk } from './outcome';

/** A fixed receive time: nothing here depends on today's date. */
const received = new Date('2026-12-04T10:00:30Z');
const opts: ParseOptions = { receivedAt: received };

function parse(line: string, o: ParseOptions = opts): SyslogMessage {
  return expectOk(parseSyslog(Buffer.from(line, 'utf8'), o));
}

describe('RFC 3339 / ISO 8601 timestamps in an RFC 3164 header', () => {
  test.each([
    ['<13>2026-12-04T10:00:00.123+01:00 host app: msg', '2026-12-04T09:00:00.123Z', '2026-12-04T10:00:00.123+01:00'],
    ['<13>2026-12-04T10:00:00Z host app: msg', '2026-12-04T10:00:00.000Z', '2026-12-04T10:00:00Z'],
    ['<13>2026-12-04T10:00:00.123456-05:30 host app: msg', '2026-12-04T15:30:00.123Z', '2026-12-04T10:00:00.123456-05:30'],
  ])('%j is read with its offset', (line, iso, text) => {
    const m = parse(line);
    expect(m.timestamp?.toISOString()).toBe(iso);
    expect(m).toMatchObject({ format: 'rfc3164', timestampText: text, hostname: 'host', appName: 'app', message: 'msg', warnings: [] });
  });

  test('one without an offset is read in the sender\'s configured zone, and the zone is named', () => {
    const m = parse('<13>2026-12-04T10:00:00 host app: msg', { ...opts, timeZone: timeZone('Europe/Berlin') });
    expect(m.timestamp?.toISOString()).toBe('2026-12-04T09:00:00.000Z');
    expect(m.timeZone).toBe('Europe/Berlin');
  });
});

describe('missing hostname', () => {
  test.each([
    ['<13>Dec  4 10:00:00 sshd[12]: msg', { appName: 'sshd', procId: '12', message: 'msg' }],
    ['<13>Dec  4 10:00:00 kernel: [ 12.345] usb 1-1: new device', { appName: 'kernel', message: '[ 12.345] usb 1-1: new device' }],
    ['<13>Dec  4 10:00:00 /usr/sbin/cron[99]: job', { appName: '/usr/sbin/cron', procId: '99', message: 'job' }],
    ['<13>Dec  4 10:00:00 user=root action=login', { message: 'user=root action=login' }],
  ])('%j: a tag or content right after the timestamp is not taken for a host', (line, fields) => {
    const m = parse(line);
    expect(m).toMatchObject({ ...fields, warnings: ['no_hostname'] });
    expect(m.hostname).toBeUndefined();
  });

  test('a plain word cannot be told from a host by shape: worker.syslog.withoutHostname makes it content', () => {
    expect(parse('<13>Dec  4 10:00:00 Accepted publickey for alice').hostname).toBe('Accepted');
    const m = parse('<13>Dec  4 10:00:00 Accepted publickey for alice', { ...opts, withoutHostname: true });
    expect(m).toMatchObject({ message: 'Accepted publickey for alice', warnings: ['no_hostname'] });
    expect(m.hostname).toBeUndefined();
  });

  test('withoutHostname still reads the tag', () => {
    expect(parse('<13>Dec  4 10:00:00 sshd[12]: msg', { ...opts, withoutHostname: true })).toMatchObject({ appName: 'sshd', procId: '12', message: 'msg' });
  });
});

describe('Cisco IOS headers: sequence number, origin-id, clock markers, milliseconds, zones', () => {
  test('sequence number, "not synchronised" marker, milliseconds and UTC', () => {
    const m = parse('<189>123: *Mar  1 18:46:11.123 UTC: %SYS-5-CONFIG_I: Configured from console by vty0');
    expect(m).toEqual({
      format: 'rfc3164', priority: 189, facility: 23, severity: 5,
      sequenceNumber: 123,
      clock: 'unsynchronized',
      timestamp: new Date('2026-03-01T18:46:11.123Z'),
      timestampText: '*Mar  1 18:46:11.123 UTC',
      message: '%SYS-5-CONFIG_I: Configured from console by vty0',
      warnings: ['no_hostname'],
    });
  });

  test('a known zone name (CET) converts the time, and the configured zone does not override it', () => {
    const m = parse('<189>45: Dec  4 10:00:00.123 CET: %LINK-3-UPDOWN: Interface Gi0/1, changed state to down', { ...opts, timeZone: timeZone('Asia/Seoul') });
    expect(m.timestamp?.toISOString()).toBe('2026-12-04T09:00:00.123Z');
    expect(m).toMatchObject({ sequenceNumber: 45, timestampText: 'Dec  4 10:00:00.123 CET', message: '%LINK-3-UPDOWN: Interface Gi0/1, changed state to down', warnings: ['no_hostname'] });
    expect(m.timeZone).toBeUndefined();
    expect(m.clock).toBeUndefined();
  });

  test('the origin-id (logging origin-id hostname) is the hostname; "." means synchronisation was lost', () => {
    const m = parse('<180>782431: machine1: .Nov 18 21:03:22.631 GMT: %CDP-4-NATIVE_VLAN_MISMATCH: Native VLAN mismatch');
    expect(m).toMatchObject({
      sequenceNumber: 782431, hostname: 'machine1', clock: 'sync_lost', timestampText: '.Nov 18 21:03:22.631 GMT',
      message: '%CDP-4-NATIVE_VLAN_MISMATCH: Native VLAN mismatch', warnings: [],
    });
    expect(m.timestamp?.toISOString()).toBe('2026-11-18T21:03:22.631Z');
  });

  test('an address as origin-id', () => {
    expect(parse('<189>32: 192.0.2.1: *Apr 29 13:59:12.491: %SYS-5-CONFIG_I: Configured')).toMatchObject({ hostname: '192.0.2.1', sequenceNumber: 32, timestampText: '*Apr 29 13:59:12.491' });
  });

  test('a year in the timestamp (service timestamps … year) is used', () => {
    const m = parse('<189>7: *Mar  1 2024 00:00:10.123 UTC: %SYS-5-RESTART: System restarted');
    expect(m.timestamp?.toISOString()).toBe('2024-03-01T00:00:10.123Z');
  });

  test('an origin-id and a marker without a sequence number', () => {
    expect(parse('<189>core1: *Mar  1 00:00:10: %SYS-5-X: y')).toMatchObject({ hostname: 'core1', clock: 'unsynchronized', message: '%SYS-5-X: y', warnings: [] });
  });

  test('a marker without a sequence number (no service sequence-numbers)', () => {
    expect(parse('<189>*Mar  1 00:00:10.123: %SYS-5-CONFIG_I: x')).toMatchObject({ clock: 'unsynchronized', timestampText: '*Mar  1 00:00:10.123', message: '%SYS-5-CONFIG_I: x' });
  });

  test('an unknown zone name (clock timezone MYZ 3) is read in the configured zone with a warning', () => {
    const m = parse('<189>45: Dec  4 10:00:00.123 MYZ: %LINK-3-UPDOWN: x', { ...opts, timeZone: timeZone('+03:00') });
    expect(m.timestamp?.toISOString()).toBe('2026-12-04T07:00:00.123Z');
    expect(m).toMatchObject({ timestampText: 'Dec  4 10:00:00.123 MYZ', timeZone: '+03:00', warnings: ['unknown_time_zone', 'no_hostname'] });
  });

  test('an ambiguous zone name (CST: US Central or China) is not guessed', () => {
    const m = parse('<189>45: Dec  4 10:00:00 CST: %LINK-3-UPDOWN: x');
    expect(m.timestamp?.toISOString()).toBe('2026-12-04T10:00:00.000Z');
    expect(m.warnings).toContain('unknown_time_zone');
  });

  test('timestamps switched off: sequence number and origin, then the mnemonic', () => {
    const m = parse('<189>29: foo: %SYS-5-CONFIG_I: Configured from console by console');
    expect(m).toMatchObject({ sequenceNumber: 29, hostname: 'foo', message: '%SYS-5-CONFIG_I: Configured from console by console', warnings: ['no_timestamp'] });
    expect(m.timestamp).toBeUndefined();
  });

  test('a known zone name after a plain timestamp (no sequence number) is still read', () => {
    const m = parse('<189>Dec  4 10:00:00.123 CET: %LINK-3-UPDOWN: x');
    expect(m.timestamp?.toISOString()).toBe('2026-12-04T09:00:00.123Z');
    expect(m).toMatchObject({ timestampText: 'Dec  4 10:00:00.123 CET', message: '%LINK-3-UPDOWN: x' });
    expect(m.appName).toBeUndefined();
  });

  test('an upper-case tag after a plain timestamp is still a tag, not a zone', () => {
    expect(parse('<13>Dec  4 10:00:00 CRON: job')).toMatchObject({ appName: 'CRON', message: 'job', timestampText: 'Dec  4 10:00:00' });
  });

  test.each([
    ['<13>123: not a cisco header', '123: not a cisco header'],
    ['<13>123 apples', '123 apples'],
    ['<13>foo: Mar  1 00:00:10: %SYS-5-X: y', 'foo: Mar  1 00:00:10: %SYS-5-X: y'],
    ['<13>12345678901: *Mar  1 00:00:10: %SYS-5-X: y', '12345678901: *Mar  1 00:00:10: %SYS-5-X: y'],
    ['<13>1: foo bar: x', '1: foo bar: x'],
  ])('%j is no Cisco header (it needs a sequence number or a clock marker) and stays whole', (line, message) => {
    const m = parse(line);
    expect(m).toMatchObject({ message, warnings: ['no_timestamp', 'no_hostname'] });
    expect(m.sequenceNumber).toBeUndefined();
  });
});

describe('repeat notices', () => {
  test.each([
    ['<13>Dec  4 10:00:00 host last message repeated 3 times', 3, 'host'],
    ['<13>Dec  4 10:00:00 host last message repeated 1 time', 1, 'host'],
    ['<13>Dec  4 10:00:00 host --- last message repeated 2 times ---', 2, 'host'],
  ])('%j keeps the count and the text', (line, count, hostname) => {
    const m = parse(line);
    expect(m).toMatchObject({ repeatCount: count, hostname });
    expect(m.message).toMatch(/last message repeated/);
  });

  test('without a hostname, "last" is not taken for one', () => {
    const m = parse('<13>Dec  4 10:00:00 last message repeated 5 times');
    expect(m).toMatchObject({ repeatCount: 5, message: 'last message repeated 5 times', warnings: ['no_hostname'] });
    expect(m.hostname).toBeUndefined();
  });

  test("rsyslog's RepeatedMsgReduction keeps tag, count and the repeated text", () => {
    const m = parse('<38>Dec  4 10:00:00 web1 sshd[811]: message repeated 4 times: [ Failed password for root from 203.0.113.5 port 22 ssh2]');
    expect(m).toMatchObject({
      hostname: 'web1', appName: 'sshd', procId: '811', repeatCount: 4,
      message: 'message repeated 4 times: [ Failed password for root from 203.0.113.5 port 22 ssh2]',
    });
  });

  test("syslog-ng's suppress() notice", () => {
    const m = parse("<46>Dec  4 10:00:00 relay1 syslog-ng[42]: Last message 'Failed password for' repeated 12 times, suppressed by syslog-ng on relay1");
    expect(m).toMatchObject({ appName: 'syslog-ng', repeatCount: 12 });
  });

  test.each([
    'last message repeated many times',
    'the last message repeated 3 times',
    'last message repeated 3 times and more',
  ])('%j is no repeat notice', (content) => {
    expect(parse(`<13>Dec  4 10:00:00 host ${content}`).repeatCount).toBeUndefined();
  });
});

describe('year inference across New Year (injected receive clock)', () => {
  test('Dec 31 23:59 received Jan 1 00:00 is last year', () => {
    expect(parse('<13>Dec 31 23:59:00 host app: m', { receivedAt: new Date('2027-01-01T00:00:00Z') }).timestamp?.toISOString()).toBe('2026-12-31T23:59:00.000Z');
  });

  test('Jan 1 00:00 received Dec 31 23:59 (sender slightly ahead) is next year', () => {
    expect(parse('<13>Jan  1 00:00:00 host app: m', { receivedAt: new Date('2026-12-31T23:59:00Z') }).timestamp?.toISOString()).toBe('2027-01-01T00:00:00.000Z');
  });

  test('in the sender\'s zone: Dec 31 23:59 in Seoul is already New Year\'s Day there but Dec 31 in UTC', () => {
    const m = parse('<13>Dec 31 23:59:00 host app: m', { receivedAt: new Date('2026-12-31T15:00:30Z'), timeZone: timeZone('Asia/Seoul') });
    expect(m.timestamp?.toISOString()).toBe('2026-12-31T14:59:00.000Z');
  });

  test('a Cisco timestamp with a zone name is placed across New Year too', () => {
    const m = parse('<189>9: *Dec 31 23:59:59.500 CET: %SYS-5-X: y', { receivedAt: new Date('2026-12-31T23:00:05Z') });
    expect(m.timestamp?.toISOString()).toBe('2026-12-31T22:59:59.500Z');
  });
});

describe('day padding, tags, PRI-only', () => {
  test.each([
    ['<13>Dec  4 10:00:00 host app: m', 'Dec  4 10:00:00'],
    ['<13>Dec 4 10:00:00 host app: m', 'Dec 4 10:00:00'],
    ['<13>Dec 04 10:00:00 host app: m', 'Dec 04 10:00:00'],
  ])('%j: a single-digit day with one or two spaces or a zero', (line, text) => {
    const m = parse(line);
    expect(m.timestamp?.toISOString()).toBe('2026-12-04T10:00:00.000Z');
    expect(m).toMatchObject({ timestampText: text, hostname: 'host', appName: 'app', message: 'm' });
  });

  test.each([
    ['app[12] started', { appName: 'app', procId: '12', message: 'started' }],
    ['postfix/smtpd[1234]: connect from x', { appName: 'postfix/smtpd', procId: '1234', message: 'connect from x' }],
    ['org.gnome.Shell.desktop[2134]: warning', { appName: 'org.gnome.Shell.desktop', procId: '2134', message: 'warning' }],
    ['java[main-thread]: boom', { appName: 'java', procId: 'main-thread', message: 'boom' }],
    ['CROND[77]: (root) CMD (run-parts)', { appName: 'CROND', procId: '77', message: '(root) CMD (run-parts)' }],
  ])('tag %j', (content, fields) => {
    expect(parse(`<13>Dec  4 10:00:00 host ${content}`)).toMatchObject({ hostname: 'host', ...fields, warnings: [] });
  });

  test.each([
    'user[admin] logged in',
    'app[1][2]: nested brackets',
    'app [12]: space before the pid',
  ])('%j is content, not a tag (a pid without ":" must be numeric; nested brackets are not a TAG)', (content) => {
    const m = parse(`<13>Dec  4 10:00:00 host ${content}`);
    expect(m.appName).toBeUndefined();
    expect(m.message).toBe(content);
  });

  test('a message that is only a <PRI> is an empty message with its priority', () => {
    expect(parse('<13>')).toEqual({ format: 'rfc3164', priority: 13, facility: 1, severity: 5, message: '', warnings: ['no_timestamp', 'no_hostname'] });
  });
});

describe('never throws: odd lines still give a result', () => {
  test.each([
    '<189>4294967295: *Mar  1 18:46:11.123 UTC:',
    '<189>1: ',
    '<189>1: *',
    '<189>1: *Mar',
    '<189>1: h: ',
    '<189>1: h: *Feb 30 10:00:00 UTC: %X',
    '<13>Dec  4 10:00:00 UTC:',
    '<13>Dec  4 10:00:00 ABCDEFG: m',
    '<13>Dec  4 10:00:00 last message repeated 99999999999 times',
  ])('%j', (line) => {
    const outcome = parseSyslog(Buffer.from(line), opts);
    expect(outcome.ok).toBe(true);
  });

  test('a Feb 30 Cisco timestamp is a bad_timestamp warning with the text kept', () => {
    expect(parse('<189>1: h: *Feb 30 10:00:00 UTC: %X-1-Y: z')).toMatchObject({ hostname: 'h', timestampText: '*Feb 30 10:00:00 UTC', warnings: ['bad_timestamp'], message: '%X-1-Y: z' });
  });
});

describe('Cisco IOS lines from the Wazuh ruleset tests (../shared/data/wazuh-ruleset-tests/cisco_ios.ini), behind a PRI', () => {
  test('lower-case and made-up zone names ("gmt", "mng") are zones, not tags', () => {
    const gmt = parse('<190>3924923: *Oct  6 03:32:04.114 gmt: %SEC-6-IPACCESSLOGP: list bcv_out denied tcp 10.0.3.100(50150) -> 192.168.216.1(443), 1 packet');
    expect(gmt).toMatchObject({ sequenceNumber: 3924923, clock: 'unsynchronized', timestampText: '*Oct  6 03:32:04.114 gmt', warnings: ['no_hostname'] });
    expect(gmt.timestamp?.toISOString()).toBe('2026-10-06T03:32:04.114Z');
    expect(gmt.message).toMatch(/^%SEC-6-IPACCESSLOGP: list bcv_out/);
    expect(gmt.appName).toBeUndefined();
    const mng = parse('<190>39222: *Oct 6 03:32:02.070 mng: %SEC-6-IPACCESSLOGP: list 167 denied udp');
    expect(mng).toMatchObject({ timestampText: '*Oct 6 03:32:02.070 mng', warnings: ['unknown_time_zone', 'no_hostname'], message: '%SEC-6-IPACCESSLOGP: list 167 denied udp' });
  });

  test('AEST converts to UTC', () => {
    const m = parse('<190>681: Aug 17 17:41:24.776 AEST: %SEC-6-IPACCESSLOGP: list 102 denied tcp');
    expect(m.timestamp?.toISOString()).toBe('2026-08-17T07:41:24.776Z');
  });

  test('a known zone in lower case after a plain timestamp, no sequence number', () => {
    expect(parse('<190>Oct 6 03:32:02 gmt: %SEC-6-IPACCESSLOGP: list bes_in denied udp')).toMatchObject({ timestampText: 'Oct 6 03:32:02 gmt', message: '%SEC-6-IPACCESSLOGP: list bes_in denied udp' });
  });

  test.each([
    ['<187>00:00:46: %LINK-3-UPDOWN: Interface Port-channel1, changed state to up', undefined, '00:00:46'],
    ['<187>12: 1d02h: %LINK-3-UPDOWN: Interface Gi0/2, changed state to up', 12, '1d02h'],
    ['<187>13: sw1: 2w3d: %LINK-3-UPDOWN: Interface Gi0/3, changed state to up', 13, '2w3d'],
  ])('uptime stamps (service timestamps log uptime) are kept as text, not read as a date: %j', (line, sequence, text) => {
    const m = parse(line);
    expect(m).toMatchObject({ timestampText: text, message: expect.stringMatching(/^%LINK-3-UPDOWN: Interface/) });
    expect(m.sequenceNumber).toBe(sequence);
    expect(m.timestamp).toBeUndefined();
    expect(m.warnings).toContain('no_timestamp');
  });
});
