import type { RawEnvelope } from '../../schemas/generated/types';
import type { Frame } from '../receive/syslog/frame';

export type { RawEnvelope };

export interface ReceiveContext {
  transport: RawEnvelope['transport'];
  /** The peer's verified client certificate (TLS listeners with client authentication). */
  tls?: RawEnvelope['tls'];
  source: { address: string; port: number };
  listener: { address: string; port: number };
  observerHostname: string;
  receivedAt: Date;
  /** The receiver-assigned id (EnvelopeIds); omitted only by tools that build envelopes by hand. */
  id?: string;
}

/** Wraps one received frame, keeping its exact bytes (base64) and where and how it arrived. */
export function buildEnvelope(frame: Frame, ctx: ReceiveContext): RawEnvelope {
  const envelope: RawEnvelope = {
    v: 1,
    ...(ctx.id !== undefined ? { id: ctx.id } : {}),
    kind: frame.kind ?? 'syslog',
    transport: ctx.transport,
    framing: frame.framing,
    receivedAt: ctx.receivedAt.toISOString(),
    source: { address: normalizeAddress(ctx.source.address), port: ctx.source.port },
    listener: { address: ctx.listener.address, port: ctx.listener.port },
    observer: { hostname: ctx.observerHostname },
    payload: frame.bytes.toString('base64'),
  };
  if (ctx.tls) envelope.tls = ctx.tls;
  if (frame.http) envelope.http = frame.http;
  if (frame.truncated) {
    envelope.truncated = true;
    envelope.originalLength = frame.originalLength ?? frame.bytes.length;
  }
  return envelope;
}

/**
 * Everything in a raw-topic record besides the base64 payload, with room to spare: the envelope's
 * other fields (two IPv6 addresses, a 253-byte observer hostname, the truncation fields), the
 * key (the source address) and the record's framing in the batch.
 */
export const ENVELOPE_RECORD_OVERHEAD_BYTES = 1024;

/** Bytes of the raw-topic record for a received message of `messageBytes`, at most. */
export function envelopeRecordBytes(messageBytes: number): number {
  return 4 * Math.ceil(messageBytes / 3) + ENVELOPE_RECORD_OVERHEAD_BYTES;
}

/** The largest received message whose raw-topic record takes at most `recordBytes`. */
export function largestMessageFor(recordBytes: number): number {
  return Math.max(0, Math.floor((recordBytes - ENVELOPE_RECORD_OVERHEAD_BYTES) / 4) * 3);
}

/** Serialized form on the raw topic: UTF-8 JSON. */
export function encodeEnvelope(envelope: RawEnvelope): Buffer {
  return Buffer.from(JSON.stringify(envelope), 'utf8');
}

/**
 * A dual-stack socket reports IPv4 peers as ::ffff:a.b.c.d; analysts search for a.b.c.d, and the
 * Kafka key (per-source ordering) must not depend on which listener a device hit.
 */
export function normalizeAddress(address: string): string {
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}
