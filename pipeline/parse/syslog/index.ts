/**
 * The syslog parse stage's entry point: trims what senders append, rejects what has no PRI (except
 * a file-format line that starts with an RFC 3164 timestamp: RFC 3164 with PRI 13, warning
 * 'no_pri'), and hands the bytes to the RFC 5424 or RFC 3164 parser. Both re-read the PRI (at most five bytes)
 * so that each parser stays usable on its own.
 */
import { byteAt, SP } from './bytes';
import { fail, isFailure } from './failure';
import { readPri } from './pri';
import { parseRfc3164, parseRfc3164WithoutPri } from './rfc3164';
import { parseRfc5424 } from './rfc5424';
import type { ParseOptions, ParseOutcome } from './types';

export type {
  ParseOptions, ParseOutcome, StructuredData, SyslogMessage, SyslogParseErrorCode,
} from './types';

const CR = 0x0d;
const LF = 0x0a;
const NUL = 0x00;

export function parseSyslog(bytes: Buffer, opts: ParseOptions): ParseOutcome {
  const end = trimmedLength(bytes);
  if (end === 0) {
    const what = bytes.length === 0 ? 'no bytes' : `only trailing CR, LF or NUL bytes (${bytes.length})`;
    return fail('empty', `empty message: ${what}`);
  }
  // subarray is a view, not a copy; the parsers then see exactly the message bytes.
  const body = end === bytes.length ? bytes : bytes.subarray(0, end);
  const pri = readPri(body);
  if (isFailure(pri)) {
    // A file-format line (no PRI, an RFC 3164 timestamp first) is read as RFC 3164 with PRI 13.
    return (pri.code === 'no_pri' ? parseRfc3164WithoutPri(body, opts) : undefined) ?? pri;
  }
  return isRfc5424(body, pri.end) ? parseRfc5424(body, opts) : parseRfc3164(body, opts);
}

/**
 * Length without the trailing CR, LF and NUL bytes that senders append (LF framing leaves a CR;
 * some C senders include the string's NUL terminator in a datagram).
 */
function trimmedLength(bytes: Buffer): number {
  let end = bytes.length;
  for (let b = byteAt(bytes, end - 1); b === CR || b === LF || b === NUL; b = byteAt(bytes, end - 1)) end--;
  return end;
}

/** `<PRI>1 ` marks RFC 5424 (VERSION 1); anything else after the PRI is BSD syslog. */
function isRfc5424(bytes: Buffer, afterPri: number): boolean {
  return byteAt(bytes, afterPri) === 0x31 && byteAt(bytes, afterPri + 1) === SP;
}

// Re-exported for callers that know their format (a vendor parser, a test) and skip the detection.
export { parseRfc3164, parseRfc5424 };
