/**
 * Lines → events exactly as the worker makes them, without Kafka or Elasticsearch: each line is
 * wrapped in the envelope a receiver would have produced (UDP from `sender`, received `now`) and
 * run through the worker's own event stages (roles/worker/stages.ts: decode → parse → normalize →
 * decode content → enrich). Used by `haetae parse`, rule tests and `rules explain`.
 */
import type { HaetaeEvent } from '../../schemas/generated/types';
import { compileValidators, type Validators } from '../../schemas/validators';
import { buildEnvelope, encodeEnvelope } from '../envelope/envelope';
import { eventsFromRecords, type StageContext } from '../roles/worker/stages';
import type { RawRecord } from '../roles/worker/process-batch';
import type { DecoderSet } from '../decoders';
import { Metrics } from '../telemetry/metrics';

export interface OfflineOptions {
  /** The address the lines are taken to come from (default 127.0.0.1). */
  sender?: string;
  /** Receive time (default now). */
  now?: Date;
  decoders?: DecoderSet | null;
  enrich?: (event: HaetaeEvent) => void;
  metrics?: Metrics;
}

/** One input line's outcome: its event, or the line whose event it was merged into (auditd). */
export type LineOutcome = { line: number; event: HaetaeEvent } | { line: number; absorbedInto: number };

let validators: Validators | null = null;
let metrics: Metrics | null = null;

export function eventsFromLines(lines: readonly string[], opts: OfflineOptions = {}): LineOutcome[] {
  validators ??= compileValidators();
  const now = opts.now ?? new Date();
  const sender = opts.sender ?? '127.0.0.1';
  const topic = 'haetae.parse';
  const records: RawRecord[] = lines.map((line, i) => ({
    topic,
    partition: 0,
    offset: String(i),
    key: Buffer.from(sender),
    value: encodeEnvelope(buildEnvelope(
      { bytes: Buffer.from(line, 'utf8'), framing: 'datagram', truncated: false },
      { transport: 'udp', source: { address: sender, port: 514 }, listener: { address: '127.0.0.1', port: 5514 }, observerHostname: 'haetae-parse', receivedAt: now },
    )),
  }));
  const ctx: StageContext = { metrics: opts.metrics ?? (metrics ??= new Metrics()), now, decoders: () => opts.decoders ?? null, ...(opts.enrich ? { enrich: opts.enrich } : {}) };
  const { items, absorbed } = eventsFromRecords(records, validators.envelope, ctx);
  const byOffset = new Map(items.map((it) => [Number(it.record.offset), it.event] as const));
  // A merged record (auditd) names the record whose event took it in.
  const into = new Map(absorbed.map((it) => [Number(it.record.offset), Number(it.absorbedInto!.record.offset) + 1] as const));
  const out: LineOutcome[] = [];
  for (let i = 0; i < lines.length; i++) {
    const event = byOffset.get(i);
    out.push(event ? { line: i + 1, event } : { line: i + 1, absorbedInto: into.get(i)! });
  }
  return out;
}
