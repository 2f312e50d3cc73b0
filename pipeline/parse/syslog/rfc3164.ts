/**
 * BSD syslog (RFC 3164) as devices really send it: `<PRI>`, then an optional timestamp (see
 * rfc3164-timestamp.ts), an optional HOSTNAME, an optional TAG (`name[pid]:` or `name:`), and the
 * content. RFC 3164 §4.3.3 tells a relay to accept anything after a valid PRI, so only the PRI can
 * fail here; every other oddity is a warning and the unrecognized bytes stay in `message`.
 *
 * What is recognized is decided by shape, like rsyslog's pmrfc3164:
 *   - no timestamp right after the PRI → a Cisco IOS header if there is one (see readCiscoHeader:
 *     "123: router1: *Mar  1 18:46:11.123 UTC: %SYS-5-…", the grammar syslog-ng's cisco-parser()
 *     and rsyslog's pmciscoios read), else no header at all: the whole rest is the message
 *     (warnings 'no_timestamp', 'no_hostname').
 *   - after the timestamp, a token followed by SP is the HOSTNAME unless it looks like a TAG
 *     ("app:", "app[1]:"), a Cisco message mnemonic ("%ASA-6-302013:"), or holds a byte no host
 *     name or address has (not printable ASCII, or one of = , / \ " ' ( ) < > { } @ * # ! ? ; & | $ ~ ^ `:
 *     "user=root", "(root)" are content). A plain word ("Connection closed by …") cannot be told
 *     from a host name by shape: senders that omit the HOSTNAME are configured as such
 *     (worker.syslog.withoutHostname), and their messages are read without one.
 *   - the TAG is consumed only in the exact forms above, or as `name[digits]` followed by SP
 *     without the ':' (rsyslog and syslog-ng end a TAG at SP too); anything else stays in the message.
 *   - "last message repeated N times" and its relatives set repeatCount (see REPEATED); the word
 *     "last" in front of it is never taken for a host name.
 */
import {
  addWarning, byteAt, CLOSE_BRACKET, COLON, decodeAscii, decodeUtf8, isDigit, isPrintableAscii, OPEN_BRACKET, PERCENT,
  skipBom, SP,
} from './bytes';
import { isFailure } from './failure';
import { priorityFields, readPri } from './pri';
import { readCiscoTimestamp, readRfc3164Timestamp, type Rfc3164Timestamp } from './rfc3164-timestamp';
import type { ParseOptions, ParseOutcome, SyslogMessage } from './types';

const MAX_HOSTNAME = 255;
/** RFC 3164 says 32 alphanumerics; real tags ("postfix/smtpd") are longer, so use RFC 5424's APP-NAME limit. */
const MAX_TAG_NAME = 48;
const MAX_PID = 128;
/** Bytes that appear in no host name or address (a lookup table: one read per byte). */
const NOT_IN_HOSTNAMES = new Uint8Array(128);
for (const c of '[]=,/\\"\'()<>{}@*#!?;&|$~^`') NOT_IN_HOSTNAMES[c.charCodeAt(0)] = 1;
/** Cisco sequence numbers are 32-bit counters: at most 10 digits. */
const MAX_SEQUENCE_DIGITS = 10;
/** Content that starts like this is a repeat notice, so the word "last" before it is no host name. */
const LAST_REPEATED = [Buffer.from('last message repeated '), Buffer.from('--- last message repeated ')];
/**
 * Repeat notices, tried only on content starting with one of their first letters. Each is anchored
 * at the start and has at most one bounded wildcard, so a long message costs a few comparisons.
 */
const REPEATED = [
  /^(?:--- )?last message repeated (\d{1,9}) times?(?: ---)?$/,
  /^message repeated (\d{1,9}) times?: \[/,
  /^Last message '[^]{0,40}?' repeated (\d{1,9}) times?, suppressed by syslog-ng on /,
];

export function parseRfc3164(bytes: Buffer, opts: ParseOptions): ParseOutcome {
  const pri = readPri(bytes);
  if (isFailure(pri)) return pri;
  return parseAfterPri(bytes, pri.end, pri.priority, [], opts);
}

/** PRI 13 (user.notice): what RFC 3164 §4.3.3 tells a relay to assume for a message without a PRI. */
export const ASSUMED_PRIORITY = 13;

/**
 * A line as syslog daemons write it to files (/var/log/auth.log: `Nov 22 10:00:00 web1 sshd[811]: …`),
 * without a PRI: when it starts with an RFC 3164 timestamp it is read as RFC 3164 with PRI 13
 * (user.notice, as RFC 3164 §4.3.3 tells a relay to assume) and the warning 'no_pri'. Anything else
 * without a PRI is not recognised (undefined): the caller reports no_pri as before.
 */
export function parseRfc3164WithoutPri(bytes: Buffer, opts: ParseOptions): ParseOutcome | undefined {
  const timestamp = readRfc3164Timestamp(bytes, 0, opts.receivedAt, opts.timeZone);
  if (timestamp === undefined || timestamp.date === undefined) return undefined;
  return parseAfterPri(bytes, 0, ASSUMED_PRIORITY, ['no_pri'], opts);
}

function parseAfterPri(bytes: Buffer, start: number, priority: number, initialWarnings: string[], opts: ParseOptions): ParseOutcome {
  const warnings: string[] = [...initialWarnings];
  const msg: SyslogMessage = { format: 'rfc3164', ...priorityFields(priority), message: '', warnings };

  const timestamp = readRfc3164Timestamp(bytes, start, opts.receivedAt, opts.timeZone);
  if (timestamp === undefined) {
    const content = readCiscoHeader(bytes, start, msg, opts);
    if (content < 0) {
      warnings.push('no_timestamp', 'no_hostname');
      readContent(bytes, start, msg);
      return { ok: true, value: msg };
    }
    readContent(bytes, readTag(bytes, content, msg), msg);
    return { ok: true, value: msg };
  }
  setTimestamp(msg, timestamp, opts);

  let pos = afterSeparator(bytes, timestamp.end);
  const hostnameEnd = opts.withoutHostname || startsWithRepeatNotice(bytes, pos) ? -1 : findHostname(bytes, pos);
  if (hostnameEnd < 0) {
    warnings.push('no_hostname');
  } else {
    msg.hostname = decodeAscii(bytes, pos, hostnameEnd);
    pos = hostnameEnd + 1;
  }
  pos = readTag(bytes, pos, msg);
  readContent(bytes, pos, msg);
  return { ok: true, value: msg };
}

function setTimestamp(msg: SyslogMessage, timestamp: Rfc3164Timestamp, opts: ParseOptions): void {
  msg.timestampText = timestamp.text;
  if (timestamp.date === undefined) msg.warnings.push('bad_timestamp');
  else msg.timestamp = timestamp.date;
  if (timestamp.zoneless && opts.timeZone !== undefined && !opts.timeZone.isUtc) msg.timeZone = opts.timeZone.name;
  if (timestamp.unknownZone) msg.warnings.push('unknown_time_zone');
  if (timestamp.invalidUtf8) msg.warnings.push('invalid_utf8');
}

/** One SP after a header field is its separator; further spaces belong to what follows. */
function afterSeparator(bytes: Buffer, end: number): number {
  return byteAt(bytes, end) === SP ? end + 1 : end;
}

/**
 * A Cisco IOS header at `start` (just after the PRI):
 *   [SEQ ": "] [ORIGIN ": "] ["*" | "."] TIMESTAMP [SP ZONE] ":" SP       or, timestamps off,
 *   SEQ ": " [ORIGIN ": "] then the "%FAC-SEV-MNEMONIC" itself                or, uptime stamps,
 *   [SEQ ": " [ORIGIN ": "]] UPTIME ": %…"   (see setUptime)
 * ORIGIN is `logging origin-id` (host name or address) and becomes the hostname. To be told from
 * ordinary content, a header needs a sequence number or a clock marker; without either, a plain
 * timestamp was already read by the caller. Fills `msg` and returns the index of the content, or
 * returns -1 (and leaves `msg` untouched) when there is no such header.
 */
function readCiscoHeader(bytes: Buffer, start: number, msg: SyslogMessage, opts: ParseOptions): number {
  const uptimeFirst = uptimeEnd(bytes, start);
  if (uptimeFirst >= 0) {
    const content = setUptime(bytes, start, uptimeFirst, msg);
    msg.warnings.push('no_hostname');
    return content;
  }
  let i = start;
  let sequence = -1;
  if (isDigit(byteAt(bytes, i))) {
    sequence = 0;
    for (; isDigit(byteAt(bytes, i)) && i - start < MAX_SEQUENCE_DIGITS; i++) sequence = sequence * 10 + (byteAt(bytes, i) - 0x30);
    if (byteAt(bytes, i) !== COLON || byteAt(bytes, i + 1) !== SP) return -1;
    i += 2;
  }
  const originStart = i;
  // An uptime stamp ("1d02h: %…") would pass for an origin-id: look for one first.
  const originEnd = sequence >= 0 && uptimeEnd(bytes, i) >= 0 ? -1 : findOrigin(bytes, i);
  if (originEnd >= 0) i = originEnd + 2;
  const timestamp = readCiscoTimestamp(bytes, i, opts.receivedAt, opts.timeZone);
  const uptime = timestamp === undefined && sequence >= 0 ? uptimeEnd(bytes, i) : -1;
  if (uptime < 0 && (timestamp === undefined ? sequence < 0 || byteAt(bytes, i) !== PERCENT : sequence < 0 && timestamp.clock === undefined)) return -1;

  if (sequence >= 0) msg.sequenceNumber = sequence;
  if (originEnd >= 0) msg.hostname = decodeAscii(bytes, originStart, originEnd);
  if (uptime >= 0) {
    const content = setUptime(bytes, i, uptime, msg);
    if (originEnd < 0) msg.warnings.push('no_hostname');
    return content;
  }
  if (timestamp === undefined) msg.warnings.push('no_timestamp');
  else setTimestamp(msg, timestamp, opts);
  if (timestamp?.clock !== undefined) msg.clock = timestamp.clock;
  if (originEnd < 0) msg.warnings.push('no_hostname');
  return timestamp === undefined ? i : afterSeparator(bytes, timestamp.end);
}

/**
 * `service timestamps log uptime` ("00:00:46", "1d02h", "2w3d") followed by ": %": the time since
 * boot, not a date. It is kept as timestampText with the warning 'no_timestamp' (the event keeps
 * the receive time); the content starts at the '%'.
 */
function setUptime(bytes: Buffer, start: number, end: number, msg: SyslogMessage): number {
  msg.timestampText = decodeAscii(bytes, start, end);
  msg.warnings.push('no_timestamp');
  return end + 2;
}

/** The end of an uptime token at `start` that ": %" follows, or -1 (see setUptime). */
function uptimeEnd(bytes: Buffer, start: number): number {
  if (!isDigit(byteAt(bytes, start))) return -1;
  let i = start;
  let marked = false;
  for (let b = byteAt(bytes, i); i - start < 16; b = byteAt(bytes, ++i)) {
    if (b === COLON && byteAt(bytes, i + 1) === SP) break;
    if (b === COLON || b === 0x64 || b === 0x68 || b === 0x77 || b === 0x79) marked = true; // ':' d h w y
    else if (!isDigit(b) && b !== 0x2e) return -1;
  }
  return marked && byteAt(bytes, i) === COLON && byteAt(bytes, i + 2) === PERCENT ? i : -1;
}

/** The end of an origin-id ("router1", "192.0.2.1") at `start` that ": " follows, or -1. */
function findOrigin(bytes: Buffer, start: number): number {
  let i = start;
  for (let b = byteAt(bytes, i); b !== COLON; b = byteAt(bytes, ++i)) {
    if (!isPrintableAscii(b) || NOT_IN_HOSTNAMES[b] === 1 || i - start >= MAX_HOSTNAME) return -1;
  }
  if (i === start || byteAt(bytes, start) === PERCENT || byteAt(bytes, i + 1) !== SP) return -1;
  return i;
}

function startsWithRepeatNotice(bytes: Buffer, start: number): boolean {
  // Hot path: one byte read rules out nearly every message ('l' or '-' start a notice).
  const first = byteAt(bytes, start);
  if (first !== 0x6c && first !== 0x2d) return false;
  for (const prefix of LAST_REPEATED) {
    if (bytes.length - start >= prefix.length && bytes.compare(prefix, 0, prefix.length, start, start + prefix.length) === 0) return true;
  }
  return false;
}

/**
 * The end of a HOSTNAME token at `start`, or -1 when the token there is not one. A hostname is
 * followed by SP: a last lone word is content, not a host.
 */
function findHostname(bytes: Buffer, start: number): number {
  let i = start;
  let colons = 0;
  let onlyIpv6Bytes = true;
  // Bounded scan over at most MAX_HOSTNAME + 1 bytes.
  for (let b = byteAt(bytes, i); b !== SP; b = byteAt(bytes, ++i)) {
    if (!isPrintableAscii(b) || NOT_IN_HOSTNAMES[b] === 1 || i - start >= MAX_HOSTNAME) return -1;
    if (b === COLON) colons++;
    else if (!isIpv6Byte(b)) onlyIpv6Bytes = false;
  }
  if (i === start || byteAt(bytes, start) === PERCENT) return -1;
  // A token with a colon is a TAG ("app:") unless it is an IPv6 address, which has at least two.
  if (colons > 0 && (colons < 2 || !onlyIpv6Bytes)) return -1;
  return i;
}

/** Hex digits and '.', the bytes of an IPv6 address besides ':' (the '.' for "::ffff:192.0.2.1"). */
function isIpv6Byte(b: number): boolean {
  return (b >= 0x30 && b <= 0x39) || (b >= 0x61 && b <= 0x66) || (b >= 0x41 && b <= 0x46) || b === 0x2e;
}

/**
 * Consumes `name:` or `name[pid]:` at `start` (followed by SP or the end) into appName/procId and
 * returns the index of the content; returns `start` unchanged when there is no such TAG.
 */
function readTag(bytes: Buffer, start: number, msg: SyslogMessage): number {
  let i = start;
  while (isTagNameByte(byteAt(bytes, i)) && i - start <= MAX_TAG_NAME) i++;
  const nameEnd = i;
  if (nameEnd === start || nameEnd - start > MAX_TAG_NAME || byteAt(bytes, start) === PERCENT) return start;
  let pidStart = -1;
  if (byteAt(bytes, i) === OPEN_BRACKET) {
    pidStart = i + 1;
    i = pidStart;
    while (isPidByte(byteAt(bytes, i)) && i - pidStart <= MAX_PID) i++;
    if (i === pidStart || i - pidStart > MAX_PID || byteAt(bytes, i) !== CLOSE_BRACKET) return start;
    i++;
  }
  if (byteAt(bytes, i) !== COLON) {
    // "name[pid] content" without the ':' — only with a numeric pid, which content rarely has.
    if (pidStart < 0 || byteAt(bytes, i) !== SP || !allDigits(bytes, pidStart, i - 1)) return start;
    msg.appName = decodeAscii(bytes, start, nameEnd);
    msg.procId = decodeAscii(bytes, pidStart, i - 1);
    return i + 1;
  }
  const after = byteAt(bytes, i + 1);
  if (after >= 0 && after !== SP) return start;
  msg.appName = decodeAscii(bytes, start, nameEnd);
  if (pidStart >= 0) msg.procId = decodeAscii(bytes, pidStart, i - 1);
  // One SP separates the TAG from the content; any further spaces belong to the content.
  return after === SP ? i + 2 : i + 1;
}

function allDigits(bytes: Buffer, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (!isDigit(byteAt(bytes, i))) return false;
  return true;
}

function isTagNameByte(b: number): boolean {
  return isPrintableAscii(b) && b !== COLON && b !== OPEN_BRACKET && b !== CLOSE_BRACKET;
}

function isPidByte(b: number): boolean {
  return isPrintableAscii(b) && b !== OPEN_BRACKET && b !== CLOSE_BRACKET;
}

/** The content is the rest of the bytes, decoded as UTF-8 (a leading BOM dropped, as in RFC 5424). */
function readContent(bytes: Buffer, start: number, msg: SyslogMessage): void {
  const decoded = decodeUtf8(bytes, skipBom(bytes, start), bytes.length);
  msg.message = decoded.text;
  if (!decoded.valid) addWarning(msg.warnings, 'invalid_utf8');
  const count = repeatCount(decoded.text);
  if (count >= 0) msg.repeatCount = count;
}

/** N from a repeat notice (REPEATED), or -1. The first letter decides whether any regex runs. */
function repeatCount(text: string): number {
  const first = text.charCodeAt(0);
  // 'l', '-', 'm', 'L': the only letters a repeat notice starts with.
  if (first !== 0x6c && first !== 0x2d && first !== 0x6d && first !== 0x4c) return -1;
  for (const pattern of REPEATED) {
    const match = pattern.exec(text);
    if (match !== null) return Number(match[1]);
  }
  return -1;
}
