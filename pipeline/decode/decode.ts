import type { ValidateFunction } from 'ajv';
import type { RawEnvelope } from '../../schemas/generated/types';
import { describeErrors } from '../../schemas/validators';

export type DecodeOutcome =
  | { ok: true; envelope: RawEnvelope; payload: Buffer }
  | { ok: false; code: 'HAETAE_ENVELOPE_JSON' | 'HAETAE_ENVELOPE_INVALID'; reason: string };

/**
 * Raw topic record → envelope + exact payload bytes. Never throws: anything that is not an
 * envelope (another producer wrote to the topic, a corrupted record) becomes a failure the worker
 * dead-letters with the record's bytes.
 */
export function decodeRecord(value: Buffer | null, validate: ValidateFunction<RawEnvelope>): DecodeOutcome {
  if (value === null || value.length === 0) {
    return { ok: false, code: 'HAETAE_ENVELOPE_JSON', reason: 'record has no value (tombstone or empty)' };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(value.toString('utf8'));
  } catch (err) {
    return { ok: false, code: 'HAETAE_ENVELOPE_JSON', reason: (err as Error).message };
  }
  if (!validate(parsed)) {
    return { ok: false, code: 'HAETAE_ENVELOPE_INVALID', reason: describeErrors(validate.errors).join('; ') };
  }
  return { ok: true, envelope: parsed, payload: Buffer.from(parsed.payload, 'base64') };
}
