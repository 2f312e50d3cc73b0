/**
 * The worker's parse → normalize stages, one module per envelope kind: a record's envelope says
 * what it carries (syslog, snmp, …), and the matching input turns it into an ECS event. A new
 * kind of input is a new entry here (and its schema in envelope.schema.json), not an edit of the
 * batch loop.
 */
import type { HaetaeEvent, RawEnvelope } from '../../../schemas/generated/types';
import { parseSyslog } from '../../parse/syslog';
import { normalizeSyslog, type RawCoordinates } from '../../normalize/syslog';
import { normalizeHttp } from '../../normalize/http-json';
import { normalizeTrap, type AgentHostnames, type TrapMibs } from '../../normalize/snmp';
import { boundEventTime, DEFAULT_TIME_POLICY, type EventTimePolicy } from '../../time/policy';
import type { SourceZones } from '../../time/source-zones';
import type { TimeCorrectionLog } from '../../time/report';
import type { SenderMatch } from '../../envelope/sender-match';
import type { Metrics } from '../../telemetry/metrics';

export interface InputContext {
  metrics: Metrics;
  now: Date;
  /** Event-time policy (worker.time): senders' zones and how far their timestamps are believed. */
  time?: { policy: EventTimePolicy; zones?: SourceZones; log?: TimeCorrectionLog } | undefined;
  /** RFC 3164 senders whose messages carry no hostname (worker.syslog.withoutHostname). */
  withoutHostname?: SenderMatch<boolean> | undefined;
  /** The loaded MIBs (null: none loaded, OIDs stay numeric). */
  mibs?: (() => TrapMibs | null) | undefined;
  /** Known agents' host names by address (snmp.agents): host.hostname on their traps. */
  agentHostnames?: AgentHostnames | null | undefined;
}

export interface InputResult {
  event: HaetaeEvent;
  /** The payload could not be parsed (the event is still indexed, tagged). */
  parseFailed: boolean;
}

type Input = (envelope: RawEnvelope, payload: Buffer, raw: RawCoordinates, ctx: InputContext) => InputResult;

const syslog: Input = (envelope, payload, raw, ctx) => {
  const parsed = parseSyslog(payload, {
    receivedAt: new Date(envelope.receivedAt),
    timeZone: ctx.time?.zones?.zoneFor(envelope.source.address, envelope.listener.port),
    withoutHostname: ctx.withoutHostname?.for(envelope.source.address, envelope.listener.port),
  });
  if (!parsed.ok) ctx.metrics.errors.inc({ stage: 'parse', error_type: parsed.code });
  const event = normalizeSyslog(envelope, payload, parsed, raw, ctx.now);
  // A syslog message dates itself: bound what its sender's clock may claim (pipeline/time/policy.ts).
  const correction = boundEventTime(event, ctx.time?.policy ?? DEFAULT_TIME_POLICY);
  if (correction !== null) {
    ctx.metrics.timeCorrected.inc({ direction: correction });
    ctx.time?.log?.note(envelope.source.address, correction, event.haetae.time?.skew_ms ?? 0);
  }
  return { event, parseFailed: !parsed.ok };
};

/** Traps are dated at their receive time (sysUpTime is the agent's uptime, not a clock). */
const snmp: Input = (envelope, _payload, raw, ctx) => ({ event: normalizeTrap(envelope, raw, ctx.now, ctx.mibs?.() ?? null, ctx.agentHostnames), parseFailed: false });

/**
 * HTTP input events (HEC and NDJSON, normalize/http-json.ts): dated by the sender's `time` when it
 * sent one, bounded by the same policy as syslog.
 */
const http: Input = (envelope, payload, raw, ctx) => {
  const { event, parseFailed } = normalizeHttp(envelope, payload, raw, ctx.now, ctx.time?.zones?.zoneFor(envelope.source.address, envelope.listener.port));
  if (parseFailed) ctx.metrics.errors.inc({ stage: 'parse', error_type: 'HAETAE_HTTP_INPUT' });
  const correction = boundEventTime(event, ctx.time?.policy ?? DEFAULT_TIME_POLICY);
  if (correction !== null) {
    ctx.metrics.timeCorrected.inc({ direction: correction });
    ctx.time?.log?.note(envelope.source.address, correction, event.haetae.time?.skew_ms ?? 0);
  }
  return { event, parseFailed };
};

export const INPUTS: { readonly [K in RawEnvelope['kind']]: Input } = { syslog, snmp, hec: http, json: http };
