import { parseRfc3164 } from '../../../../pipeline/parse/syslog/rfc3164';
import type { ParseOptions } from '../../../../pipeline/parse/syslog/types';
import { expectFailure, expectOk, rawBytes } from './outcome';

const midYear: ParseOptions = { receivedAt: new Date('2026-06-15T12:00:00Z') };

function parse(text: string, opts: ParseOptions = midYear) {
  return expectOk(parseRfc3164(Buffer.from(text, 'utf8'), opts));
}

describe('parseRfc3164 on the examples of RFC 3164 §5.4', () => {
  test('example 1 yields timestamp, hostname, tag and content', () => {
    expect(parse("<34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick on /dev/pts/8", { receivedAt: new Date('2003-10-12T00:00:00Z') })).toEqual({
      format: 'rfc3164',
      priority: 34,
      facility: 4,
      severity: 2,
      timestamp: new Date('2003-10-11T22:14:15Z'),
      timestampText: 'Oct 11 22:14:15',
      hostname: 'mymachine',
      appName: 'su',
      message: "'su root' failed for lonvick on /dev/pts/8",
      warnings: [],
    });
  });

  test('example 2 reads a space-padded day and an IPv4 hostname, and finds no TAG in "Use the"', () => {
    const msg = parse('<13>Feb  5 17:32:18 10.0.0.99 Use the BFG!');
    expect(msg.timestamp).toEqual(new Date('2026-02-05T17:32:18Z'));
    expect(msg.timestampText).toBe('Feb  5 17:32:18');
    expect(msg.hostname).toBe('10.0.0.99');
    expect(msg.appName).toBeUndefined();
    expect(msg.message).toBe('Use the BFG!');
  });

  test('example 3 reads the word after the timestamp as hostname, as the RFC warns a relay would', () => {
    const msg = parse("<165>Aug 24 05:34:00 CST 1987 mymachine myproc[10]: %% It's time to make the do-nuts.  %%  Ingredients: Mix=OK, Jered=OK, Eat=OK");
    expect(msg.hostname).toBe('CST');
    expect(msg.message).toBe("1987 mymachine myproc[10]: %% It's time to make the do-nuts.  %%  Ingredients: Mix=OK, Jered=OK, Eat=OK");
  });

  test('example 4 (no valid timestamp after the PRI) keeps everything after the PRI as the message', () => {
    const msg = parse("<0>1990 Oct 22 10:52:01 TZ-6 scapegoat.dmz.example.org 10.1.2.3 sched[0]: That's All Folks!");
    expect(msg).toEqual({
      format: 'rfc3164', priority: 0, facility: 0, severity: 0,
      message: "1990 Oct 22 10:52:01 TZ-6 scapegoat.dmz.example.org 10.1.2.3 sched[0]: That's All Folks!",
      warnings: ['no_timestamp', 'no_hostname'],
    });
  });
});

describe('parseRfc3164 BSD timestamps', () => {
  test('an unpadded single-digit day is accepted', () => {
    expect(parse('<13>Feb 5 17:32:18 host app: m').timestamp).toEqual(new Date('2026-02-05T17:32:18Z'));
  });

  test('a zero-padded day is accepted', () => {
    expect(parse('<13>Feb 05 17:32:18 host app: m').timestamp).toEqual(new Date('2026-02-05T17:32:18Z'));
  });

  test('the month name is matched regardless of case', () => {
    expect(parse('<13>NOV 22 03:54:14 host app: m').timestamp).toEqual(new Date('2025-11-22T03:54:14Z'));
  });

  test('a timestamp without a zone is read as UTC', () => {
    expect(parse('<13>Jun 15 08:00:00 host app: m').timestamp?.toISOString()).toBe('2026-06-15T08:00:00.000Z');
  });

  test('milliseconds (Cisco "msec") are kept in the date and the text', () => {
    const msg = parse('<189>Mar  1 00:00:10.123 router1 %SYS-5-CONFIG_I: Configured from console by console');
    expect(msg.timestamp).toEqual(new Date('2026-03-01T00:00:10.123Z'));
    expect(msg.timestampText).toBe('Mar  1 00:00:10.123');
  });

  test('a year between day and time (Cisco ASA) is used instead of inferring one', () => {
    const msg = parse('<166>Jan 12 2024 10:00:00 asa-fw01 %ASA-6-302013: Built outbound TCP connection 1');
    expect(msg.timestamp).toEqual(new Date('2024-01-12T10:00:00Z'));
    expect(msg.timestampText).toBe('Jan 12 2024 10:00:00');
  });

  test('a date that does not exist is a bad_timestamp warning and the rest of the header is still read', () => {
    const msg = parse('<13>Feb 30 10:00:00 host app: m');
    expect(msg.timestamp).toBeUndefined();
    expect(msg.timestampText).toBe('Feb 30 10:00:00');
    expect(msg).toMatchObject({ hostname: 'host', appName: 'app', message: 'm', warnings: ['bad_timestamp'] });
  });

  test('an hour of 25 is a bad_timestamp warning', () => {
    expect(parse('<13>Feb  3 25:00:00 host app: m').warnings).toEqual(['bad_timestamp']);
  });

  test.each([
    ['<13>Nov 22 is a date', 'Nov 22 is a date'],
    ['<13>Nov 22 03:54:14x host app: m', 'Nov 22 03:54:14x host app: m'],
    ['<13>Nov 22 3:54:14 host app: m', 'Nov 22 3:54:14 host app: m'],
    ['<13>Foo 22 03:54:14 host app: m', 'Foo 22 03:54:14 host app: m'],
  ])('%j has no timestamp, so everything after the PRI is the message', (input, message) => {
    expect(parse(input)).toMatchObject({ message, warnings: ['no_timestamp', 'no_hostname'] });
  });
});

describe('parseRfc3164 hostnames: what a host name can be, and senders that send none', () => {
  test.each([
    ['<13>Nov 22 10:00:00 user=root action=login', 'user=root action=login'],
    ['<13>Nov 22 10:00:00 (root) CMD (run-parts)', '(root) CMD (run-parts)'],
    ['<13>Nov 22 10:00:00 a/b moved', 'a/b moved'],
    ['<13>Nov 22 10:00:00 "quoted" text', '"quoted" text'],
    ['<13>Nov 22 10:00:00 alice@example.org logged in', 'alice@example.org logged in'],
  ])('%j: a token with a byte no host name has is content', (line, message) => {
    expect(parse(line)).toMatchObject({ message, warnings: ['no_hostname'] });
    expect(parse(line).hostname).toBeUndefined();
  });

  test('host names and addresses of every usual shape still are', () => {
    for (const host of ['web1', 'web-1.example.org', 'WIN_SRV01', '192.0.2.7', '2001:db8::7']) {
      expect(parse(`<13>Nov 22 10:00:00 ${host} app: m`)).toMatchObject({ hostname: host, appName: 'app', message: 'm' });
    }
  });

  test('a sender configured as sending no hostname: the first word is content, not a host', () => {
    const opts = { ...midYear, withoutHostname: true };
    expect(parse('<13>Nov 22 10:00:00 Connection closed by 203.0.113.5 port 22', opts)).toMatchObject({ message: 'Connection closed by 203.0.113.5 port 22', warnings: ['no_hostname'] });
    expect(parse('<13>Nov 22 10:00:00 sshd[42]: Accepted publickey for alice', opts)).toMatchObject({ appName: 'sshd', procId: '42', message: 'Accepted publickey for alice' });
    // Without the setting the word is read as a host name (RFC 3164 cannot tell them apart by shape).
    expect(parse('<13>Nov 22 10:00:00 Connection closed by 203.0.113.5 port 22').hostname).toBe('Connection');
  });
});

describe('parseRfc3164 year inference (the BSD timestamp has no year)', () => {
  test('a December message received on New Year is put in the previous year', () => {
    const msg = parse('<13>Dec 31 23:59:50 host app: m', { receivedAt: new Date('2026-01-01T00:00:05Z') });
    expect(msg.timestamp).toEqual(new Date('2025-12-31T23:59:50Z'));
  });

  test('a January message from a sender slightly ahead at New Year is put in the next year', () => {
    const msg = parse('<13>Jan  1 00:00:10 host app: m', { receivedAt: new Date('2025-12-31T23:59:50Z') });
    expect(msg.timestamp).toEqual(new Date('2026-01-01T00:00:10Z'));
  });

  test('a time up to a day after receipt stays in the receive year (clock skew, zones)', () => {
    const msg = parse('<13>Jun 16 11:00:00 host app: m');
    expect(msg.timestamp).toEqual(new Date('2026-06-16T11:00:00Z'));
  });

  test('a sender clock days fast stays in the receive year, not a year in the past', () => {
    expect(parse('<13>Nov 24 09:00:00 host app: m', { receivedAt: new Date('2026-11-22T09:00:00Z') }).timestamp).toEqual(new Date('2026-11-24T09:00:00Z'));
    expect(parse('<13>Jul 15 12:00:00 host app: m').timestamp).toEqual(new Date('2026-07-15T12:00:00Z'));
  });

  test('a time more than a month after receipt is put in the previous year', () => {
    expect(parse('<13>Jul 17 12:00:00 host app: m').timestamp).toEqual(new Date('2025-07-17T12:00:00Z'));
    expect(parse('<13>Nov 24 09:00:00 host app: m', { receivedAt: new Date('2026-10-22T09:00:00Z') }).timestamp).toEqual(new Date('2025-11-24T09:00:00Z'));
  });

  test('February 29 is read in a leap year', () => {
    const msg = parse('<13>Feb 29 10:00:00 host app: m', { receivedAt: new Date('2024-03-01T00:00:00Z') });
    expect(msg.timestamp).toEqual(new Date('2024-02-29T10:00:00Z'));
  });

  test('February 29 with no leap year in reach is a bad_timestamp warning', () => {
    const msg = parse('<13>Feb 29 10:00:00 host app: m', { receivedAt: new Date('2026-03-01T00:00:00Z') });
    expect(msg.timestamp).toBeUndefined();
    expect(msg.warnings).toEqual(['bad_timestamp']);
  });
});

describe('parseRfc3164 RFC 3339 timestamps in the BSD position (rsyslog, some devices)', () => {
  test('a UTC timestamp with milliseconds is read', () => {
    const msg = parse('<34>2003-10-11T22:14:15.003Z mymachine su: hello');
    expect(msg).toMatchObject({ timestampText: '2003-10-11T22:14:15.003Z', hostname: 'mymachine', appName: 'su', message: 'hello', warnings: [] });
    expect(msg.timestamp).toEqual(new Date('2003-10-11T22:14:15.003Z'));
  });

  test("rsyslog's high-precision format with an offset is converted to UTC", () => {
    const msg = parse('<13>2024-01-05T10:00:00.123456+01:00 host app[7]: hello');
    expect(msg.timestamp).toEqual(new Date('2024-01-05T09:00:00.123Z'));
    expect(msg).toMatchObject({ hostname: 'host', appName: 'app', procId: '7' });
  });

  test('nanoseconds, which RFC 5424 forbids, are accepted here', () => {
    expect(parse('<13>2024-01-05T10:00:00.123456789Z host app: m').timestamp).toEqual(new Date('2024-01-05T10:00:00.123Z'));
  });

  test('a timestamp without an offset is read as UTC', () => {
    expect(parse('<13>2024-01-05T10:00:00 host app: m').timestamp).toEqual(new Date('2024-01-05T10:00:00Z'));
  });

  test('invalid UTF-8 inside an unreadable one is warned about as well', () => {
    const msg = expectOk(parseRfc3164(rawBytes('<13>2024-01-05T10:00:00Z\xff host app: m'), midYear));
    expect(msg).toMatchObject({ timestampText: '2024-01-05T10:00:00Z\uFFFD', hostname: 'host', warnings: ['bad_timestamp', 'invalid_utf8'] });
  });

  test('an invalid one is a bad_timestamp warning with the text kept', () => {
    const msg = parse('<13>2024-13-05T10:00:00Z host app: m');
    expect(msg).toMatchObject({ timestampText: '2024-13-05T10:00:00Z', hostname: 'host', warnings: ['bad_timestamp'] });
    expect(msg.timestamp).toBeUndefined();
  });
});

describe('parseRfc3164 hostname and tag', () => {
  test('a tag with a pid gives appName and procId', () => {
    expect(parse('<13>Nov 22 03:54:14 vm sshd[4825]: Accepted publickey')).toMatchObject({
      hostname: 'vm', appName: 'sshd', procId: '4825', message: 'Accepted publickey', warnings: [],
    });
  });

  test('a tag with a slash (postfix) is a tag', () => {
    expect(parse('<22>Nov 22 03:54:14 mx postfix/smtpd[1234]: connect from x')).toMatchObject({ appName: 'postfix/smtpd', procId: '1234', message: 'connect from x' });
  });

  test('a tag right after the timestamp means the hostname was left out', () => {
    expect(parse('<13>Nov 22 03:54:14 myapp[12]: hello')).toMatchObject({ appName: 'myapp', procId: '12', message: 'hello', warnings: ['no_hostname'] });
    expect(parse('<13>Nov 22 03:54:14 kernel: hello')).toMatchObject({ appName: 'kernel', message: 'hello', warnings: ['no_hostname'] });
  });

  test.each(['2001:db8::1', '::1', 'fe80::', '::ffff:192.0.2.1'])('the IPv6 address %s is a hostname, not a tag', (host) => {
    expect(parse(`<13>Nov 22 03:54:14 ${host} app: m`)).toMatchObject({ hostname: host, appName: 'app', message: 'm' });
  });

  test('a Cisco ASA message keeps the hostname and does not take %ASA-… for a hostname or tag', () => {
    const msg = parse('<166>Jan 12 10:00:00 asa-fw01 %ASA-6-302013: Built outbound TCP connection 1 for outside:192.0.2.1/443');
    expect(msg).toMatchObject({ hostname: 'asa-fw01', message: '%ASA-6-302013: Built outbound TCP connection 1 for outside:192.0.2.1/443', warnings: [] });
    expect(msg.appName).toBeUndefined();
  });

  test('a Cisco ASA message without device id (year, trailing colon) has no hostname and the whole content', () => {
    const msg = parse('<166>Jan 12 2024 10:00:00: %ASA-6-302013: Built outbound TCP connection 1');
    expect(msg).toMatchObject({ timestampText: 'Jan 12 2024 10:00:00', message: '%ASA-6-302013: Built outbound TCP connection 1', warnings: ['no_hostname'] });
    expect(msg.hostname).toBeUndefined();
  });

  test('a Cisco IOS header (sequence number, clock marker) is read; the mnemonic stays in the message', () => {
    const msg = parse('<189>123: *Mar  1 00:00:10.123: %SYS-5-CONFIG_I: Configured from console by console');
    expect(msg).toEqual({
      format: 'rfc3164', priority: 189, facility: 23, severity: 5,
      sequenceNumber: 123, clock: 'unsynchronized',
      timestamp: new Date('2026-03-01T00:00:10.123Z'), timestampText: '*Mar  1 00:00:10.123',
      message: '%SYS-5-CONFIG_I: Configured from console by console',
      warnings: ['no_hostname'],
    });
  });

  test('a Cisco IOS timestamp ending in a colon is read, and the mnemonic stays in the message', () => {
    const msg = parse('<189>Mar  1 00:00:10.123: %SYS-5-CONFIG_I: Configured from console by console');
    expect(msg).toMatchObject({ timestampText: 'Mar  1 00:00:10.123', message: '%SYS-5-CONFIG_I: Configured from console by console', warnings: ['no_hostname'] });
  });

  test('a single word after the timestamp is content, not a hostname', () => {
    expect(parse('<13>Nov 22 03:54:14 hello')).toMatchObject({ message: 'hello', warnings: ['no_hostname'] });
  });

  test('a timestamp with nothing after it gives an empty message', () => {
    expect(parse('<13>Nov 22 03:54:14')).toMatchObject({ timestampText: 'Nov 22 03:54:14', message: '', warnings: ['no_hostname'] });
  });

  test('a tag at the very end gives an empty message', () => {
    expect(parse('<13>Nov 22 03:54:14 host app:')).toMatchObject({ hostname: 'host', appName: 'app', message: '' });
  });

  test('only one SP after the tag is a separator', () => {
    expect(parse('<13>Nov 22 03:54:14 host app:   indented').message).toBe('  indented');
  });

  test.each([
    ['app:x rest', 'no SP after the colon'],
    ['app[]: rest', 'an empty pid'],
    ['app[12 rest', 'an unclosed pid'],
    ['app[x] rest', 'no colon after a non-numeric pid'],
    [`${'t'.repeat(49)}: rest`, 'a name longer than 48 bytes'],
    ['%SEC-6-IPACCESSLOGP: list 101 denied', 'a leading %'],
  ])('%j is not a tag (%s) and stays in the message', (content) => {
    const msg = parse(`<13>Nov 22 03:54:14 host ${content}`);
    expect(msg.appName).toBeUndefined();
    expect(msg.message).toBe(content);
  });

  test('a non-ASCII word after the timestamp is neither hostname nor tag', () => {
    expect(parse('<13>Nov 22 03:54:14 hôst app: m')).toMatchObject({ message: 'hôst app: m', warnings: ['no_hostname'] });
  });

  test('a 256-byte word is not a hostname', () => {
    const word = 'h'.repeat(256);
    expect(parse(`<13>Nov 22 03:54:14 ${word} m`)).toMatchObject({ message: `${word} m`, warnings: ['no_hostname'] });
  });
});

describe('parseRfc3164 without a header', () => {
  test('a bare <PRI>text parses with the text as the message and no hostname', () => {
    expect(parse('<13>just some text')).toEqual({
      format: 'rfc3164', priority: 13, facility: 1, severity: 5, message: 'just some text', warnings: ['no_timestamp', 'no_hostname'],
    });
  });

  test('a bare <PRI> gives an empty message', () => {
    expect(parse('<13>').message).toBe('');
  });

  test('a tag without a timestamp is left in the message', () => {
    expect(parse('<13>myapp: hello')).toMatchObject({ message: 'myapp: hello' });
  });
});

describe('parseRfc3164 content', () => {
  test('invalid UTF-8 (0xC3 0x28) is decoded with a replacement character and warned about', () => {
    const msg = expectOk(parseRfc3164(rawBytes('<13>Nov 22 03:54:14 host app: bad \xc3\x28'), midYear));
    expect(msg.message).toBe('bad \uFFFD(');
    expect(msg.warnings).toEqual(['invalid_utf8']);
  });

  test('a leading BOM is removed from the content', () => {
    expect(parse('<13>Nov 22 03:54:14 host app: \uFEFFhello').message).toBe('hello');
  });

  test('a bad PRI fails with bad_pri', () => {
    expect(expectFailure(parseRfc3164(Buffer.from('<1000>x'), midYear))).toEqual({ code: 'bad_pri', reason: 'PRI: more than 3 digits starting at byte 1' });
  });
});
