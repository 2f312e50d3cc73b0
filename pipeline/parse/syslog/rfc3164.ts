/**
 * BSD syslog (RFC 3164) as devices really send it: `<PRI>`, then an optional timestamp (see
 * rfc3164-timestamp.ts), an optional HOSTNAME, an optional TAG (`name[pid]:` or `name:`), and the
 * content. RFC 3164 §4.3.3 tells a relay to accept anything after a valid PRI, so only the PRI can
 * fail here; every other oddity is a warning and the unrecognized bytes stay in `message`.
 *
 * What is recognized is decided by shape, like rsyslog's pmrfc3164:
 *   - no timestamp right after the PRI → no header at all: the whole rest is the message
 *     (warnings 'no_timestamp', 'no_hostname'); Cisco IOS "123: *Mar  1 …" lands here unchanged.
 *   - after the timestamp, a token followed by SP is the HOSTNAME unless it looks like a TAG
 *     ("app:", "app[1]:"), a Cisco message mnemonic ("%ASA-6-302013:"), or holds a byte no host
 *     name or address has (not printable ASCII, or one of = , / \ " ' ( ) < > { } @ * # ! ? ; & | $ ~ ^ `:
 *     "user=root", "(root)" are content). A plain word ("Connection closed by …") cannot be told
 *     from a host name by shape: senders that omit the HOSTNAME are configured as such
 *     (worker.syslog.withoutHostname), and their messages are read without one.
 *   - the TAG is consumed only in the exact forms above; anything else stays in the message.
 */
import {
  addWarning, byteAt, CLOSE_BRACKET, COLON, decodeAscii, decodeUtf8, isPrintableAscii, OPEN_BRACKET, PERCENT,
  skipBom, SP,
} from './bytes';
import { isFailure } from './failure';
import { priorityFields, readPri } from './pri';
import { readRfc3164Timestamp } from './rfc3164-timestamp';
import type { ParseOptions, ParseOutcome, SyslogMessage } from './types';

const MAX_HOSTNAME = 255;
/** RFC 3164 says 32 alphanumerics; real tags ("postfix/smtpd") are longer, so use RFC 5424's APP-NAME limit. */
const MAX_TAG_NAME = 48;
const MAX_PID = 128;
/** Bytes that appear in no host name or address (a lookup table: one read per byte). */
const NOT_IN_HOSTNAMES = new Uint8Array(128);
for (const c of '[]=,/\\"\'()<>{}@*#!?;&|$~^`') NOT_IN_HOSTNAMES[c.charCodeAt(0)] = 1;

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
    warnings.push('no_timestamp', 'no_hostname');
    readContent(bytes, start, msg);
    return { ok: true, value: msg };
  }
  msg.timestampText = timestamp.text;
  if (timestamp.date === undefined) warnings.push('bad_timestamp');
  else msg.timestamp = timestamp.date;
  if (timestamp.zoneless && opts.timeZone !== undefined && !opts.timeZone.isUtc) msg.timeZone = opts.timeZone.name;
  if (timestamp.invalidUtf8) warnings.push('invalid_utf8');

  let pos = byteAt(bytes, timestamp.end) === SP ? timestamp.end + 1 : timestamp.end;
  const hostnameEnd = opts.withoutHostname ? -1 : findHostname(bytes, pos);
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
  if (byteAt(bytes, i) !== COLON) return start;
  const after = byteAt(bytes, i + 1);
  if (after >= 0 && after !== SP) return start;
  msg.appName = decodeAscii(bytes, start, nameEnd);
  if (pidStart >= 0) msg.procId = decodeAscii(bytes, pidStart, i - 1);
  // One SP separates the TAG from the content; any further spaces belong to the content.
  return after === SP ? i + 2 : i + 1;
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
}
