/**
 * Strict RFC 5424 parser (§6):
 *   SYSLOG-MSG = PRI VERSION SP TIMESTAMP SP HOSTNAME SP APP-NAME SP PROCID SP MSGID SP
 *                STRUCTURED-DATA [SP MSG]
 * It walks the Buffer by byte index and decodes only the fields it keeps; the message is never
 * copied or decoded as a whole. Structural errors fail with the 0-based byte offset (counted from
 * the '<') where reading stopped; an unreadable timestamp or invalid UTF-8 is only a warning.
 */
import {
  addWarning, byteAt, decodeAscii, decodeUtf8, describeByte, DASH, isDigit, isPrintableAscii, skipBom, SP,
} from './bytes';
import { fail, isFailure, type ParseFailure } from './failure';
import { priorityFields, readPri } from './pri';
import { parseRfc3339 } from './rfc3339';
import { readStructuredData } from './structured-data';
import type { ParseOptions, ParseOutcome, SyslogMessage } from './types';

interface HeaderField {
  name: 'HOSTNAME' | 'APP-NAME' | 'PROCID' | 'MSGID';
  maxLength: number;
  /** What follows, for "message ends" reasons. */
  next: string;
}

const HOSTNAME: HeaderField = { name: 'HOSTNAME', maxLength: 255, next: 'APP-NAME' };
const APP_NAME: HeaderField = { name: 'APP-NAME', maxLength: 48, next: 'PROCID' };
const PROC_ID: HeaderField = { name: 'PROCID', maxLength: 128, next: 'MSGID' };
const MSG_ID: HeaderField = { name: 'MSGID', maxLength: 32, next: 'STRUCTURED-DATA' };

const TIMESTAMP_OPTIONS = { maxFractionDigits: 6, offsetRequired: true };

interface FieldRead {
  /** Undefined for the NILVALUE '-'. */
  value: string | undefined;
  /** Index of the first byte of the next field (after the separating SP). */
  next: number;
}

/** Parses one RFC 5424 message; `_opts` is unused because RFC 5424 timestamps carry year and offset. */
export function parseRfc5424(bytes: Buffer, _opts: ParseOptions): ParseOutcome {
  const pri = readPri(bytes);
  if (isFailure(pri)) return pri;
  const afterVersion = readVersion(bytes, pri.end);
  if (isFailure(afterVersion)) return afterVersion;

  const warnings: string[] = [];
  const msg: SyslogMessage = { format: 'rfc5424', ...priorityFields(pri.priority), version: 1, message: '', warnings };
  const afterTimestamp = readTimestamp(bytes, afterVersion, msg);
  if (isFailure(afterTimestamp)) return afterTimestamp;

  let pos = afterTimestamp;
  for (const field of [HOSTNAME, APP_NAME, PROC_ID, MSG_ID]) {
    const read = readField(bytes, pos, field);
    if (isFailure(read)) return read;
    if (read.value !== undefined) setField(msg, field, read.value);
    pos = read.next;
  }

  const sd = readStructuredData(bytes, pos, warnings);
  if (isFailure(sd)) return sd;
  if (sd.data !== undefined) msg.structuredData = sd.data;
  const afterSd = byteAt(bytes, sd.end);
  if (afterSd >= 0 && afterSd !== SP) {
    return fail('bad_structured_data', `structured data: expected SP or the end of the message at byte ${sd.end}, found ${describeByte(afterSd)}`);
  }
  if (afterSd === SP) readMsg(bytes, sd.end + 1, msg);
  return { ok: true, value: msg };
}

function setField(msg: SyslogMessage, field: HeaderField, value: string): void {
  if (field === HOSTNAME) msg.hostname = value;
  else if (field === APP_NAME) msg.appName = value;
  else if (field === PROC_ID) msg.procId = value;
  else msg.msgId = value;
}

/** VERSION = NONZERO-DIGIT 0*2DIGIT, then SP. Only version 1 is defined; another number fails. */
function readVersion(bytes: Buffer, start: number): number | ParseFailure {
  const first = byteAt(bytes, start);
  if (!isDigit(first) || first === 0x30) {
    return fail('bad_header', `VERSION: expected a digit 1-9 at byte ${start}, found ${describeByte(first)}`);
  }
  let i = start;
  let version = 0;
  while (isDigit(byteAt(bytes, i))) {
    if (i - start === 3) return fail('bad_header', `VERSION: more than 3 digits starting at byte ${start}`);
    version = version * 10 + (byteAt(bytes, i) - 0x30);
    i++;
  }
  if (version !== 1) {
    return fail('bad_header', `VERSION: unsupported version ${version} at byte ${start}; RFC 5424 defines only 1`);
  }
  if (byteAt(bytes, i) !== SP) {
    return fail('bad_header', `VERSION: expected SP at byte ${i}, found ${describeByte(byteAt(bytes, i))}`);
  }
  return i + 1;
}

/**
 * TIMESTAMP is the bytes up to the next SP. A token that is not a valid RFC 3339 time is kept as
 * timestampText with the warning 'bad_timestamp': the rest of the header is still well delimited,
 * and the event is worth more with the receive time than dropped.
 */
function readTimestamp(bytes: Buffer, start: number, msg: SyslogMessage): number | ParseFailure {
  if (start >= bytes.length) return fail('bad_header', `header: message ends at byte ${start} before TIMESTAMP`);
  const end = bytes.indexOf(SP, start);
  if (end < 0) {
    return fail('bad_header', `header: message ends at byte ${bytes.length} in TIMESTAMP; expected SP before HOSTNAME`);
  }
  if (end === start) {
    return fail('bad_header', `TIMESTAMP: empty field at byte ${start} (a missing value is written '-')`);
  }
  if (end === start + 1 && byteAt(bytes, start) === DASH) return end + 1;
  const text = decodeUtf8(bytes, start, end);
  msg.timestampText = text.text;
  const timestamp = parseRfc3339(bytes, start, end, TIMESTAMP_OPTIONS);
  if (timestamp === undefined) addWarning(msg.warnings, 'bad_timestamp');
  else msg.timestamp = timestamp;
  if (!text.valid) addWarning(msg.warnings, 'invalid_utf8');
  return end + 1;
}

/** HOSTNAME, APP-NAME, PROCID, MSGID: NILVALUE or 1..max PRINTUSASCII, then SP. */
function readField(bytes: Buffer, start: number, field: HeaderField): FieldRead | ParseFailure {
  // Bounded scan: stops at SP, at any non-printable byte, or one byte past the maximum length, so
  // a garbage message costs at most maxLength + 1 steps here.
  let i = start;
  while (isPrintableAscii(byteAt(bytes, i)) && i - start <= field.maxLength) i++;
  const length = i - start;
  if (length > field.maxLength) {
    return fail('bad_header', `${field.name}: longer than ${field.maxLength} bytes, starting at byte ${start}`);
  }
  const b = byteAt(bytes, i);
  if (b < 0) {
    const where = length === 0 ? `before ${field.name}` : `in ${field.name}; expected SP before ${field.next}`;
    return fail('bad_header', `header: message ends at byte ${i} ${where}`);
  }
  if (b !== SP) {
    return fail('bad_header', `${field.name}: invalid byte ${describeByte(b)} at byte ${i} (only printable US-ASCII is allowed)`);
  }
  if (length === 0) {
    return fail('bad_header', `${field.name}: empty field at byte ${start} (a missing value is written '-')`);
  }
  const isNil = length === 1 && byteAt(bytes, start) === DASH;
  return { value: isNil ? undefined : decodeAscii(bytes, start, i), next: i + 1 };
}

/** MSG is the rest of the bytes; a leading BOM marks it as UTF-8 and is not part of the text. */
function readMsg(bytes: Buffer, start: number, msg: SyslogMessage): void {
  const decoded = decodeUtf8(bytes, skipBom(bytes, start), bytes.length);
  msg.message = decoded.text;
  if (!decoded.valid) addWarning(msg.warnings, 'invalid_utf8');
}
