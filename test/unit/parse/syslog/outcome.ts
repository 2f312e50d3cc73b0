/** Test helpers: unwrap a ParseOutcome, failing the test with the parser's own words. */
import type { ParseOutcome, SyslogMessage } from '../../../../pipeline/parse/syslog/types';

export function expectOk(outcome: ParseOutcome): SyslogMessage {
  if (!outcome.ok) throw new Error(`expected a message, got ${outcome.code}: ${outcome.reason}`);
  return outcome.value;
}

export function expectFailure(outcome: ParseOutcome): { code: string; reason: string } {
  if (outcome.ok) throw new Error(`expected a failure, got a message: ${JSON.stringify(outcome.value)}`);
  return { code: outcome.code, reason: outcome.reason };
}

/** Bytes from a string whose \xNN escapes stand for raw bytes (latin1), for invalid UTF-8 cases. */
export function rawBytes(latin1: string): Buffer {
  return Buffer.from(latin1, 'latin1');
}
