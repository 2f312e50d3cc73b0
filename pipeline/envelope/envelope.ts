import type { RawEnvelope } from '../../schemas/generated/types';
import type { Frame } from '../receive/syslog/frame';

export type { RawEnvelope };

export interface ReceiveContext {
  transport: 'udp' | 'tcp' | 'tls';
  source: { address: string; port: number };
  listener: { address: string; port: number };
  observerHostname: string;
  receivedAt: Date;
}

/** Wraps one received frame, keeping its exact bytes (base64) and where and how it arrived. */
export function buildEnvelope(frame: Frame, ctx: ReceiveContext): RawEnvelope {
  const envelope: RawEnvelope = {
    v: 1,
    kind: 'syslog',
    transport: ctx.transport,
    framing: frame.framing,
    receivedAt: ctx.receivedAt.toISOString(),
    source: { address: normalizeAddress(ctx.source.address), port: ctx.source.port },
    listener: { address: ctx.listener.address, port: ctx.listener.port },
    observer: { hostname: ctx.observerHostname },
    payload: frame.bytes.toString('base64'),
  };
  if (frame.truncated) {
    envelope.truncated = true;
    envelope.originalLength = frame.originalLength ?? frame.bytes.length;
  }
  return envelope;
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
