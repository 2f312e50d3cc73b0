import type { DeadLetter } from '../../schemas/generated/types';

/** Longest reason kept when a record must shrink (Elasticsearch's reasons quote the field's value). */
const MAX_REASON_CHARS = 2000;

/**
 * The dead-letter record as the value of one Kafka record of at most `maxBytes`. A record that
 * would be larger — a huge message, or a rejected document that quotes it two or three times
 * over — cannot be produced at all, so it sheds, in order: the rejected document, the decoded
 * envelope, the tail of a long reason, and finally the tail of `raw`. `trimmed` says what went.
 * `raw` goes last: its first bytes are what an operator needs to find the sender.
 */
export function fitDeadLetter(record: DeadLetter, maxBytes: number): Buffer {
  let value = Buffer.from(JSON.stringify(record), 'utf8');
  if (value.length <= maxBytes) return value;

  const fitted: DeadLetter = { ...record };
  const omitted: Array<'document' | 'envelope'> = [];
  const trimmed: NonNullable<DeadLetter['trimmed']> = {};
  for (const part of ['document', 'envelope'] as const) {
    if (fitted[part] === undefined) continue;
    delete fitted[part];
    omitted.push(part);
    trimmed.omitted = omitted;
    fitted.trimmed = trimmed;
    value = Buffer.from(JSON.stringify(fitted), 'utf8');
    if (value.length <= maxBytes) return value;
  }
  if (fitted.reason.length > MAX_REASON_CHARS) {
    trimmed.reasonLength = fitted.reason.length;
    fitted.reason = `${fitted.reason.slice(0, MAX_REASON_CHARS)}…`;
    fitted.trimmed = trimmed;
    value = Buffer.from(JSON.stringify(fitted), 'utf8');
    if (value.length <= maxBytes) return value;
  }
  // Base64 takes 4 bytes per 3 and needs no JSON escaping, so the room left for raw is exact.
  const raw = Buffer.from(record.raw, 'base64');
  trimmed.rawLength = raw.length;
  fitted.trimmed = trimmed;
  fitted.raw = '';
  const skeleton = Buffer.byteLength(JSON.stringify(fitted), 'utf8');
  const keep = Math.max(0, Math.floor((maxBytes - skeleton) / 4) * 3);
  if (keep >= raw.length) delete trimmed.rawLength;
  fitted.raw = raw.subarray(0, keep).toString('base64');
  return Buffer.from(JSON.stringify(fitted), 'utf8');
}
