/**
 * Byte-level helpers shared by the syslog parsers. The parsers walk the received Buffer by index
 * and decode only the spans they keep, so nothing here copies or decodes a whole message.
 */
import { isUtf8 } from 'node:buffer';

export const SP = 0x20;
export const LT = 0x3c; // '<'
export const GT = 0x3e; // '>'
export const COLON = 0x3a;
export const DASH = 0x2d;
export const DOT = 0x2e;
export const QUOTE = 0x22;
export const BACKSLASH = 0x5c;
export const OPEN_BRACKET = 0x5b; // '['
export const CLOSE_BRACKET = 0x5d; // ']'
export const EQUALS = 0x3d;
export const PERCENT = 0x25;

/**
 * The byte at `index`, or -1 past the end. Scanners compare against -1 instead of carrying a
 * separate bounds check (and `noUncheckedIndexedAccess` gets a number, not `number | undefined`).
 */
export function byteAt(bytes: Buffer, index: number): number {
  const b = bytes[index];
  return b === undefined ? -1 : b;
}

export function isDigit(b: number): boolean {
  return b >= 0x30 && b <= 0x39;
}

/** RFC 5424 PRINTUSASCII: %d33-126 (no space, no control bytes, nothing above 0x7e). */
export function isPrintableAscii(b: number): boolean {
  return b >= 33 && b <= 126;
}

/** Reads `count` ASCII digits at `start` as a number, or -1 when any of them is not a digit. */
export function readDigits(bytes: Buffer, start: number, count: number): number {
  let value = 0;
  for (let i = start; i < start + count; i++) {
    const b = byteAt(bytes, i);
    if (!isDigit(b)) return -1;
    value = value * 10 + (b - 0x30);
  }
  return value;
}

/** Names a byte for an error reason: `'x' (0x78)` when printable or SP, `0x00` otherwise, or the end. */
export function describeByte(b: number): string {
  if (b < 0) return 'the end of the message';
  const hex = `0x${b.toString(16).padStart(2, '0')}`;
  return b >= 0x20 && b <= 0x7e ? `'${String.fromCharCode(b)}' (${hex})` : hex;
}

export interface DecodedText {
  text: string;
  /** False when the bytes were not valid UTF-8 and the decoder substituted U+FFFD. */
  valid: boolean;
}

/** Decodes `bytes[start, end)` as UTF-8, replacing invalid sequences with U+FFFD. */
export function decodeUtf8(bytes: Buffer, start: number, end: number): DecodedText {
  const text = bytes.toString('utf8', start, end);
  // Fast path: the decoder substitutes U+FFFD for every invalid sequence, so a text without one
  // came from valid UTF-8 and needs no second pass. Only when U+FFFD shows up (a substitution, or
  // a genuinely encoded U+FFFD) do we ask isUtf8, which re-scans just this span natively.
  if (!text.includes('\uFFFD')) return { text, valid: true };
  return { text, valid: isUtf8(bytes.subarray(start, end)) };
}

/**
 * Decodes a span already checked to be printable ASCII. latin1 maps each byte to one UTF-16 unit
 * without validation, which is the cheapest decoder and exact for ASCII.
 */
export function decodeAscii(bytes: Buffer, start: number, end: number): string {
  return bytes.toString('latin1', start, end);
}

/** Index after a UTF-8 byte order mark (EF BB BF) at `start`, or `start` when there is none. */
export function skipBom(bytes: Buffer, start: number): number {
  const isBom =
    byteAt(bytes, start) === 0xef && byteAt(bytes, start + 1) === 0xbb && byteAt(bytes, start + 2) === 0xbf;
  return isBom ? start + 3 : start;
}

/** Adds a warning code once: a message with ten bad SD values still says 'invalid_utf8' once. */
export function addWarning(warnings: string[], code: string): void {
  if (!warnings.includes(code)) warnings.push(code);
}
