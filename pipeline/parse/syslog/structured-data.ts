/**
 * RFC 5424 §6.3 STRUCTURED-DATA: `-`, or one or more `[SD-ID *(SP PARAM-NAME="PARAM-VALUE")]`.
 * Errors name the byte offset (0-based, counted from the '<' of the PRI) where reading stopped.
 */
import {
  addWarning, BACKSLASH, byteAt, CLOSE_BRACKET, decodeAscii, decodeUtf8, describeByte, DASH, EQUALS,
  isPrintableAscii, OPEN_BRACKET, QUOTE, SP,
} from './bytes';
import { fail, isFailure, type ParseFailure } from './failure';
import type { StructuredData } from './types';

export interface StructuredDataRead {
  ok: true;
  /** Absent for the NILVALUE '-'. */
  data?: StructuredData;
  /** Index of the first byte after the structured data. */
  end: number;
}

interface Span {
  start: number;
  end: number;
}

const MAX_SD_NAME = 32;

/** Reads the STRUCTURED-DATA that starts at `start`; warnings ('invalid_utf8', 'duplicate_sd_id') go into `warnings`. */
export function readStructuredData(bytes: Buffer, start: number, warnings: string[]): StructuredDataRead | ParseFailure {
  const first = byteAt(bytes, start);
  if (first === DASH) return { ok: true, end: start + 1 };
  if (first !== OPEN_BRACKET) {
    return fail('bad_structured_data', `structured data: expected '-' or '[' at byte ${start}, found ${describeByte(first)}`);
  }
  const data: StructuredData = {};
  let i = start;
  while (byteAt(bytes, i) === OPEN_BRACKET) {
    const end = readElement(bytes, i, data, warnings);
    if (isFailure(end)) return end;
    i = end;
  }
  return { ok: true, data, end: i };
}

/** Reads one `[SD-ID params...]` at `start` into `data`; returns the index after its ']'. */
function readElement(bytes: Buffer, start: number, data: StructuredData, warnings: string[]): number | ParseFailure {
  const id = readSdName(bytes, start + 1, start, 'SD-ID');
  if (isFailure(id)) return id;
  const sdId = decodeAscii(bytes, id.start, id.end);
  let params = ownValue(data, sdId);
  if (params === undefined) {
    params = {};
    setOwn(data, sdId, params);
  } else {
    // RFC 5424 §6.3.2 says an SD-ID MUST NOT repeat. Rejecting the message would lose it; merging
    // keeps every param (repeats become arrays) and the warning records the violation.
    addWarning(warnings, 'duplicate_sd_id');
  }
  let i = id.end;
  for (;;) {
    const b = byteAt(bytes, i);
    if (b === CLOSE_BRACKET) return i + 1;
    if (b !== SP) return unexpectedInElement(bytes, i, start);
    const end = readParam(bytes, i + 1, start, params, warnings);
    if (isFailure(end)) return end;
    i = end;
  }
}

/** Reads `NAME="VALUE"` at `start` into `params`; returns the index after the closing quote. */
function readParam(
  bytes: Buffer,
  start: number,
  elementStart: number,
  params: Record<string, string | string[]>,
  warnings: string[],
): number | ParseFailure {
  const nameSpan = readSdName(bytes, start, elementStart, 'param name');
  if (isFailure(nameSpan)) return nameSpan;
  const name = decodeAscii(bytes, nameSpan.start, nameSpan.end);
  let i = nameSpan.end;
  if (byteAt(bytes, i) !== EQUALS) {
    if (byteAt(bytes, i) < 0) return unterminatedElement(elementStart);
    return fail('bad_structured_data', `structured data: expected '=' after param name '${name}' at byte ${i}, found ${describeByte(byteAt(bytes, i))}`);
  }
  i++;
  if (byteAt(bytes, i) !== QUOTE) {
    if (byteAt(bytes, i) < 0) return unterminatedElement(elementStart);
    return fail('bad_structured_data', `structured data: expected '"' to open the value of param '${name}' at byte ${i}, found ${describeByte(byteAt(bytes, i))}`);
  }
  const value = readParamValue(bytes, i, warnings);
  if (isFailure(value)) return value;
  addParam(params, name, value.text);
  return value.end;
}

function addParam(params: Record<string, string | string[]>, name: string, value: string): void {
  const existing = ownValue(params, name);
  if (existing === undefined) setOwn(params, name, value);
  else if (Array.isArray(existing)) existing.push(value);
  else params[name] = [existing, value];
}

/*
 * SD-IDs and param names are sender-controlled. We keep ordinary objects (null-prototype ones
 * start in V8's slow dictionary mode, 10–20% slower on the whole parse in a quick benchmark, and
 * surprise consumers that call obj.hasOwnProperty), so every lookup checks own keys only
 * ("toString" must not find Object.prototype's) and "__proto__" is defined as a plain key instead
 * of being assigned, which would replace the prototype.
 */
function ownValue<T>(record: Record<string, T>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

function setOwn<T>(record: Record<string, T>, key: string, value: T): void {
  if (key === '__proto__') Object.defineProperty(record, key, { value, enumerable: true, writable: true, configurable: true });
  else record[key] = value;
}

/**
 * Reads a quoted PARAM-VALUE whose opening '"' is at `quote`. Inside, `\"`, `\\` and `\]` stand
 * for the escaped byte; any other backslash is literal (RFC 5424 §6.3.3). An unescaped ']' is
 * accepted: the value is delimited by quotes, so it is unambiguous.
 */
function readParamValue(bytes: Buffer, quote: number, warnings: string[]): { text: string; end: number } | ParseFailure {
  const start = quote + 1;
  // Fast path: most values hold no backslash, so the closing quote is the next '"' and the value
  // decodes straight from the buffer; indexOf runs natively instead of a byte loop in JS.
  const close = bytes.indexOf(QUOTE, start);
  if (close < 0) return unterminatedValue(quote);
  // Search for a backslash only up to that quote: an unbounded search would rescan the rest of
  // the message (MSG included) for every param.
  if (bytes.subarray(start, close).indexOf(BACKSLASH) < 0) {
    return { text: decodeValue(bytes, start, close, warnings), end: close + 1 };
  }
  return readEscapedValue(bytes, quote, warnings);
}

/** The slow path for values with backslashes: decode the runs between escapes and join them. */
function readEscapedValue(bytes: Buffer, quote: number, warnings: string[]): { text: string; end: number } | ParseFailure {
  let text = '';
  let runStart = quote + 1;
  let i = runStart;
  for (;;) {
    const b = byteAt(bytes, i);
    if (b < 0) return unterminatedValue(quote);
    if (b === QUOTE) {
      text += decodeValue(bytes, runStart, i, warnings);
      return { text, end: i + 1 };
    }
    const next = byteAt(bytes, i + 1);
    if (b === BACKSLASH && (next === QUOTE || next === BACKSLASH || next === CLOSE_BRACKET)) {
      // The escapes are ASCII, so cutting here never splits a multi-byte UTF-8 sequence.
      text += decodeValue(bytes, runStart, i, warnings) + String.fromCharCode(next);
      i += 2;
      runStart = i;
    } else {
      i++;
    }
  }
}

function decodeValue(bytes: Buffer, start: number, end: number, warnings: string[]): string {
  const decoded = decodeUtf8(bytes, start, end);
  if (!decoded.valid) addWarning(warnings, 'invalid_utf8');
  return decoded.text;
}

/** SD-NAME (§6.3.2): 1..32 PRINTUSASCII except '=', SP, ']' and '"'. Returns its span. */
function readSdName(bytes: Buffer, start: number, elementStart: number, what: string): Span | ParseFailure {
  let i = start;
  while (isSdNameByte(byteAt(bytes, i))) {
    if (i - start === MAX_SD_NAME) {
      return fail('bad_structured_data', `structured data: ${what} starting at byte ${start} is longer than ${MAX_SD_NAME} bytes`);
    }
    i++;
  }
  if (i > start) return { start, end: i };
  const b = byteAt(bytes, i);
  if (b < 0) return unterminatedElement(elementStart);
  return fail('bad_structured_data', `structured data: expected ${what} at byte ${i}, found ${describeByte(b)}`);
}

function isSdNameByte(b: number): boolean {
  return isPrintableAscii(b) && b !== EQUALS && b !== CLOSE_BRACKET && b !== QUOTE;
}

function unexpectedInElement(bytes: Buffer, at: number, elementStart: number): ParseFailure {
  const b = byteAt(bytes, at);
  if (b < 0) return unterminatedElement(elementStart);
  return fail('bad_structured_data', `structured data: expected SP or ']' at byte ${at}, found ${describeByte(b)}`);
}

function unterminatedElement(elementStart: number): ParseFailure {
  return fail('bad_structured_data', `structured data: unterminated element starting at byte ${elementStart} (no closing ']')`);
}

function unterminatedValue(quote: number): ParseFailure {
  return fail('bad_structured_data', `structured data: unterminated param value starting at byte ${quote}`);
}
