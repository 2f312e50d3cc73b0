/**
 * Request bodies of the HTTP input → events, all or nothing: a body is parsed whole before any of
 * its events is handed on, so a request that is refused (bad JSON, a missing `event`, a limit)
 * stores nothing and the sender can fix and resend it without duplicates. Never throws.
 *
 * Three formats:
 * - HEC JSON (/services/collector/event): one or more JSON objects, concatenated with or without
 *   whitespace between them, each `{"time","host","source","sourcetype","index","fields","event"}`.
 * - HEC raw (/services/collector/raw): text, one event per line (LF or CRLF; blank lines skipped).
 * - NDJSON (/ndjson): one JSON object per line.
 *
 * Each event keeps its exact bytes (the object's or the line's), which become event.original.
 */
import { HEC, type HecAnswer } from './hec-codes';

export interface BodyLimits {
  /** One event's bytes at most (receiver.maxMessageBytes). */
  maxEventBytes: number;
  /** Events in one request at most. */
  maxEvents: number;
}

export interface BodyEvent {
  /** The event's exact bytes: the JSON object or the line, without separators. */
  bytes: Buffer;
}

export type BodyOutcome =
  | { ok: true; events: BodyEvent[] }
  /** `reason` says what was wrong (logs), `refusal` names the counter. */
  | { ok: false; answer: HecAnswer; refusal: BodyRefusal; reason: string };

export type BodyRefusal = 'no_data' | 'invalid_json' | 'event_required' | 'event_blank' | 'invalid_fields' | 'event_too_large' | 'too_many_events';

const LF = 0x0a;
const CR = 0x0d;

function isSpace(b: number): boolean {
  return b === 0x20 || b === 0x09 || b === LF || b === CR;
}

function refuse(answer: HecAnswer, refusal: BodyRefusal, reason: string, eventNumber?: number): BodyOutcome {
  return { ok: false, answer: eventNumber === undefined ? answer : { ...answer, body: { ...answer.body, 'invalid-event-number': eventNumber } }, refusal, reason };
}

/**
 * Where the JSON object starting at `start` (a `{`) ends (index after its `}`), or -1 when the
 * body ends first. Only braces outside strings count; escapes inside strings are skipped. This
 * finds the boundary only: JSON.parse validates the slice afterwards.
 */
export function objectEnd(body: Buffer, start: number): number {
  let depth = 0;
  let inString = false;
  for (let i = start; i < body.length; i++) {
    const b = body[i]!;
    if (inString) {
      if (b === 0x5c) i++; // backslash: skip the escaped byte (\" does not end the string)
      else if (b === 0x22) inString = false;
      continue;
    }
    if (b === 0x22) inString = true;
    else if (b === 0x7b || b === 0x5b) depth++;
    else if (b === 0x7d || b === 0x5d) {
      depth--;
      if (depth === 0) return i + 1;
    }
  }
  return -1;
}

function parseObject(bytes: Buffer): Record<string, unknown> | null {
  try {
    const v: unknown = JSON.parse(bytes.toString('utf8'));
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

const META_STRINGS = ['host', 'source', 'sourcetype', 'index'] as const;

/** Checks one HEC event object the way Splunk does; returns null when it is acceptable. */
export function checkHecEvent(obj: Record<string, unknown>): { answer: HecAnswer; refusal: BodyRefusal; reason: string } | null {
  if (!('event' in obj) || obj.event === null) return { answer: HEC.eventRequired, refusal: 'event_required', reason: 'the object has no "event"' };
  if (obj.event === '' || (typeof obj.event === 'string' && obj.event.trim() === '')) return { answer: HEC.eventBlank, refusal: 'event_blank', reason: '"event" is blank' };
  for (const k of META_STRINGS) {
    if (obj[k] !== undefined && typeof obj[k] !== 'string') return { answer: HEC.invalidFormat, refusal: 'invalid_json', reason: `"${k}" must be a string` };
  }
  if (obj.time !== undefined && hecTime(obj.time) === undefined) return { answer: HEC.invalidFormat, refusal: 'invalid_json', reason: '"time" must be epoch seconds (a number or a numeric string)' };
  if (obj.fields !== undefined && (obj.fields === null || typeof obj.fields !== 'object' || Array.isArray(obj.fields))) {
    return { answer: HEC.indexedFields, refusal: 'invalid_fields', reason: '"fields" must be an object' };
  }
  return null;
}

/** HEC `time`: epoch seconds with optional fraction, as a number or a numeric string → ms, or undefined. */
export function hecTime(v: unknown): number | undefined {
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\s*[0-9]+(\.[0-9]+)?\s*$/.test(v) ? Number(v) : NaN;
  if (!Number.isFinite(n) || n < 0) return undefined;
  return Math.round(n * 1000);
}

/** HEC JSON: concatenated event objects. `invalid-event-number` counts from 0, as Splunk does. */
export function parseHecEvents(body: Buffer, limits: BodyLimits): BodyOutcome {
  const events: BodyEvent[] = [];
  let i = 0;
  for (;;) {
    while (i < body.length && isSpace(body[i]!)) i++;
    if (i >= body.length) break;
    const n = events.length;
    if (n >= limits.maxEvents) return refuse(HEC.tooManyEvents, 'too_many_events', `more than ${limits.maxEvents} events in one request`);
    if (body[i] !== 0x7b) return refuse(HEC.invalidFormat, 'invalid_json', `event ${n} does not start with "{"`, n);
    const end = objectEnd(body, i);
    if (end < 0) return refuse(HEC.invalidFormat, 'invalid_json', `event ${n} is not terminated`, n);
    if (end - i > limits.maxEventBytes) return refuse(HEC.eventTooLarge, 'event_too_large', `event ${n} has ${end - i} bytes (limit ${limits.maxEventBytes})`, n);
    const bytes = body.subarray(i, end);
    const obj = parseObject(bytes);
    if (!obj) return refuse(HEC.invalidFormat, 'invalid_json', `event ${n} is not a JSON object`, n);
    const bad = checkHecEvent(obj);
    if (bad) return refuse(bad.answer, bad.refusal, `event ${n}: ${bad.reason}`, n);
    events.push({ bytes });
    i = end;
  }
  if (events.length === 0) return refuse(HEC.noData, 'no_data', 'the body holds no event');
  return { ok: true, events };
}

/** Splits a body into its non-blank lines (LF or CRLF), without copying. */
function lines(body: Buffer, limits: BodyLimits, each: (line: Buffer, n: number) => BodyOutcome | null): BodyOutcome {
  const events: BodyEvent[] = [];
  let start = 0;
  while (start < body.length) {
    let end = body.indexOf(LF, start);
    if (end < 0) end = body.length;
    let stop = end;
    if (stop > start && body[stop - 1] === CR) stop--;
    const line = body.subarray(start, stop);
    start = end + 1;
    let blank = true;
    for (let k = 0; k < line.length; k++) if (!isSpace(line[k]!)) { blank = false; break; }
    if (blank) continue;
    const n = events.length;
    if (n >= limits.maxEvents) return refuse(HEC.tooManyEvents, 'too_many_events', `more than ${limits.maxEvents} events in one request`);
    if (line.length > limits.maxEventBytes) return refuse(HEC.eventTooLarge, 'event_too_large', `line ${n} has ${line.length} bytes (limit ${limits.maxEventBytes})`, n);
    const bad = each(line, n);
    if (bad) return bad;
    events.push({ bytes: line });
  }
  if (events.length === 0) return refuse(HEC.noData, 'no_data', 'the body holds no event');
  return { ok: true, events };
}

/** HEC raw: every non-blank line is one event. */
export function parseRawLines(body: Buffer, limits: BodyLimits): BodyOutcome {
  return lines(body, limits, () => null);
}

/** NDJSON: every non-blank line must be one JSON object. */
export function parseNdjson(body: Buffer, limits: BodyLimits): BodyOutcome {
  return lines(body, limits, (line, n) => (parseObject(line) ? null : refuse(HEC.invalidFormat, 'invalid_json', `line ${n} is not a JSON object`, n)));
}
