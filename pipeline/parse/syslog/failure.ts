import type { ParseOutcome, SyslogParseErrorCode } from './types';

/** The failing side of a ParseOutcome; the helpers return it so callers can pass it straight up. */
export type ParseFailure = Extract<ParseOutcome, { ok: false }>;

export function fail(code: SyslogParseErrorCode, reason: string): ParseFailure {
  return { ok: false, code, reason };
}

/** Tells a helper's failure from its result (a number, or an object with `ok: true`). */
export function isFailure<T>(value: T | ParseFailure): value is ParseFailure {
  return typeof value === 'object' && value !== null && 'ok' in value && value.ok === false;
}
