/**
 * The worker's per-event stages, in order: decode (the Kafka record's envelope) → parse + normalize
 * (by envelope kind, inputs.ts) → decode content (vendor decoders, by kind) → enrich. Each stage
 * takes the whole batch's items, so a stage that needs more than one record (auditd assembles an
 * event from several records) sees them together. Detection and routing follow in
 * process-batch.ts, then the outputs (index → correlate → alerts → notifications).
 *
 * `haetae parse`, rule tests and `rules explain` run these same stages (`eventsFromEnvelopes`), so
 * what they show is what the worker indexes.
 */
import type { ValidateFunction } from 'ajv';
import type { HaetaeEvent, RawEnvelope } from '../../../schemas/generated/types';
import { decodeRecord } from '../../decode/decode';
import { envelopeDocumentId, eventDocumentId } from '../../index/document-id';
import { assembleRecords, applyDecoded, type DecoderSet, type DecodeResult, type Decoder, type DecoderInput } from '../../decoders';
import { TAG_PARSE_FAILURE } from '../../normalize/syslog';
import { INPUTS, type InputContext } from './inputs';
import type { RawRecord } from './process-batch';

/** One record on its way through the stages. */
export interface BatchItem {
  record: RawRecord;
  envelope: RawEnvelope;
  payload: Buffer;
  /** The event's document id (the envelope id's, or topic-partition-offset for older envelopes). */
  id: string;
  event: HaetaeEvent;
  parseFailed: boolean;
  /** Merged into this earlier record's event (auditd): not indexed on its own. */
  absorbedInto?: BatchItem;
}

/** What the event stages need beyond the parse context. */
export interface StageContext extends InputContext {
  /** The loaded vendor decoders (null or absent: events stay as the header parse left them). */
  decoders?: (() => DecoderSet | null) | undefined;
  /** Enrichment (GeoIP, zones, assets, threat intel); absent: none. */
  enrich?: ((event: HaetaeEvent) => void) | undefined;
}

export type Refusal = { record: RawRecord; code: string; reason: string };

/** Stage 1: Kafka records → envelopes (refused ones go to the dead-letter topic; in-batch copies are skipped). */
export function readRecords(records: readonly RawRecord[], validate: ValidateFunction<RawEnvelope>): { items: Array<Omit<BatchItem, 'event' | 'parseFailed'>>; refused: Refusal[]; duplicates: number } {
  const items: Array<Omit<BatchItem, 'event' | 'parseFailed'>> = [];
  const refused: Refusal[] = [];
  /** Event ids seen in this batch: a record Kafka stored twice can land in one batch with its copy. */
  const seen = new Set<string>();
  let duplicates = 0;
  for (const record of records) {
    const decoded = decodeRecord(record.value, validate);
    if (!decoded.ok) {
      refused.push({ record, code: decoded.code, reason: decoded.reason });
      continue;
    }
    const envelope = decoded.envelope;
    // A receiver-assigned envelope id names the message wherever Kafka stored it: a copy at
    // another offset (a produce retry) becomes the same event, which `create` then refuses and
    // whose alert ids (hashed from the event id) are the same. Older envelopes have no id.
    const id = envelope.id !== undefined ? envelopeDocumentId(record.topic, envelope.id) : eventDocumentId(record.topic, record.partition, record.offset);
    if (seen.has(id)) {
      duplicates++;
      continue;
    }
    seen.add(id);
    items.push({ record, envelope, payload: decoded.payload, id });
  }
  return { items, refused, duplicates };
}

/** Stage 2: parse → normalize, by what the envelope carries (inputs.ts). */
export function parseItems(items: ReadonlyArray<Omit<BatchItem, 'event' | 'parseFailed'>>, ctx: StageContext): BatchItem[] {
  return items.map((it) => {
    const { event, parseFailed } = INPUTS[it.envelope.kind](it.envelope, it.payload, { topic: it.record.topic, partition: it.record.partition, offset: it.record.offset }, ctx);
    return { ...it, event, parseFailed };
  });
}

/** What a vendor decoder reads of an event, by envelope kind (null: this kind has no content decoders). */
const DECODER_INPUT: { readonly [K in RawEnvelope['kind']]: (event: HaetaeEvent) => DecoderInput | null } = {
  syslog: (event) => {
    const sys = event.log?.syslog;
    return {
      message: event.message.trim() === '' && sys?.structured_data ? structuredDataText(sys.msgid, sys.structured_data) : event.message,
      program: sys?.appname,
      facility: sys?.facility?.code,
      sender: event.log?.source?.address,
      hostname: sys?.hostname,
      structuredData: sys?.structured_data,
    };
  },
  // Traps are decoded through MIBs by their normalizer; no content decoders.
  snmp: () => null,
  // HTTP input: a HEC string event or raw line is a log line like any other (CEF, key=value…);
  // JSON objects were already structured by their sender.
  hec: (event) => (event.haetae.http?.event ? null : { message: event.message, program: event.log?.syslog?.appname, facility: event.log?.syslog?.facility?.code, sender: event.log?.source?.address, hostname: event.host?.name }),
  json: () => null,
};

/**
 * An RFC 5424 message whose content is all in its structured data (Junos RT_FLOW, some Check Point
 * exports) has an empty MSG: decoders then read `MSGID [SD-ID param="value" …]`, the form the same
 * devices write when relayed as text, so one decoder case serves both.
 */
export function structuredDataText(msgid: string | undefined, sd: Readonly<Record<string, Readonly<Record<string, string | string[]>>>>): string {
  const esc = (v: string): string => v.replace(/[\\"\]]/g, (c) => `\\${c}`);
  const blocks = Object.entries(sd).map(([id, params]) => `[${id}${Object.entries(params).map(([k, v]) => (Array.isArray(v) ? v : [v]).map((x) => ` ${k}="${esc(x)}"`).join('')).join('')}]`);
  return `${msgid ? `${msgid} ` : ''}${blocks.join('')}`;
}

/**
 * Stage 3: vendor decoders read the message content into ECS fields. Records of one multi-record
 * event (auditd) are merged into the first (the others are marked absorbed; their lines live on
 * in the merged event.original). A message with no syslog header that a decoder understands (a
 * bare vendor line) is no longer a parse failure.
 */
export function decodeContent(items: BatchItem[], ctx: StageContext): void {
  const set = ctx.decoders?.() ?? null;
  if (!set || set.decoders.length === 0) return;
  const decoded: Array<{ at: number; decoder: Decoder; result: DecodeResult }> = [];
  for (let i = 0; i < items.length; i++) {
    const input = DECODER_INPUT[items[i]!.envelope.kind](items[i]!.event);
    if (!input) continue;
    const hit = set.decode(input);
    if (hit) decoded.push({ at: i, ...hit });
  }
  if (decoded.length === 0) return;
  const assembled = decoded.some((d) => d.result.ok && d.result.multi)
    ? assembleRecords(decoded.map((d) => ({ decoder: d.decoder, result: d.result, sender: items[d.at]!.event.log?.source?.address, original: items[d.at]!.event.event.original })))
    : null;
  /** decoder id + outcome → events: counted once per batch, not a labelled increment per event. */
  const counts = new Map<string, number>();
  decoded.forEach((d, k) => {
    const item = items[d.at]!;
    const result = assembled ? assembled.results[k] : d.result;
    if (result === null || result === undefined) {
      item.absorbedInto = items[decoded[assembled!.into[k]!]!.at];
      return;
    }
    if (assembled && assembled.originals[k] !== undefined && assembled.originals[k] !== item.event.event.original) item.event.event.original = assembled.originals[k]!;
    applyDecoded(item.event, d.decoder.id, result);
    const key = `${result.ok ? 'decoded' : 'failed'} ${d.decoder.id}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
    if (result.ok && item.parseFailed && item.event.haetae.parse?.error?.code === 'no_pri') headerlessDecoded(item);
  });
  for (const [key, n] of counts) {
    const space = key.indexOf(' ');
    ctx.metrics.decoderEvents.inc({ decoder: key.slice(space + 1), outcome: key.slice(0, space) }, n);
  }
}

/** A bare vendor line (no syslog header) that a decoder read is an ordinary event, not a parse failure. */
function headerlessDecoded(item: BatchItem): void {
  const event = item.event;
  item.parseFailed = false;
  if (event.event.kind === 'pipeline_error') event.event.kind = 'event';
  if (event.tags) {
    event.tags = event.tags.filter((t) => t !== TAG_PARSE_FAILURE);
    if (event.tags.length === 0) delete event.tags;
  }
  if (event.haetae.parse) delete event.haetae.parse.error;
  if (event.haetae.parse && Object.keys(event.haetae.parse).length === 0) delete event.haetae.parse;
  if (event.haetae.syslog) event.haetae.syslog.format = 'none';
}

/** Stage 4: enrichment (GeoIP, zones, assets, threat intel), on every event that will be indexed. */
export function enrichItems(items: BatchItem[], ctx: StageContext): void {
  if (!ctx.enrich) return;
  for (const it of items) if (!it.absorbedInto) ctx.enrich(it.event);
}

/** The event stages in order, as the worker runs them on a batch. */
export function eventsFromRecords(records: readonly RawRecord[], validate: ValidateFunction<RawEnvelope>, ctx: StageContext): { items: BatchItem[]; absorbed: BatchItem[]; refused: Refusal[]; duplicates: number } {
  const read = readRecords(records, validate);
  const items = parseItems(read.items, ctx);
  decodeContent(items, ctx);
  enrichItems(items, ctx);
  return { items: items.filter((it) => !it.absorbedInto), absorbed: items.filter((it) => it.absorbedInto), refused: read.refused, duplicates: read.duplicates };
}
