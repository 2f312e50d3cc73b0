// node:buffer isUtf8 is a native scan: far cheaper than a decode/encode round trip.
import { isUtf8 } from 'node:buffer';
import type { HaetaeEvent, RawEnvelope } from '../../schemas/generated/types';
import type { ParseOutcome } from '../parse/syslog/types';
import { FACILITY_NAMES, SEVERITY_NAMES } from './syslog-names';

import { ECS_VERSION } from '../ecs/fields';

export { ECS_VERSION };

export interface RawCoordinates {
  topic: string;
  partition: number;
  offset: string;
}

export const TAG_PARSE_FAILURE = 'haetae_parse_failure';
export const TAG_TRUNCATED = 'haetae_truncated';
export const TAG_INVALID_UTF8 = 'haetae_invalid_utf8';

/**
 * Envelope + parse outcome → ECS event. A message that could not be parsed is still an event
 * (event.kind pipeline_error, tagged, whole payload as message) so nothing an analyst may need is
 * lost; the exact bytes travel along as base64 whenever the text form could not hold them.
 */
export function normalizeSyslog(
  envelope: RawEnvelope,
  payload: Buffer,
  parsed: ParseOutcome,
  raw: RawCoordinates,
  now: Date,
): HaetaeEvent {
  const original = payload.toString('utf8');
  const validUtf8 = isUtf8(payload);
  const tags: string[] = [];
  const event: HaetaeEvent = {
    '@timestamp': envelope.receivedAt,
    message: original,
    ecs: { version: ECS_VERSION },
    event: {
      original,
      created: envelope.receivedAt,
      ingested: now.toISOString(),
      kind: 'event',
      dataset: 'haetae.syslog',
      module: 'syslog',
    },
    // The sender is where the message came from, not what it is about: source.* is left for the
    // message's own content (a decoder fills it, e.g. the attacker's address in an sshd failure).
    log: { source: { address: envelope.source.address, port: envelope.source.port } },
    network: { transport: envelope.transport === 'udp' ? 'udp' : 'tcp', protocol: 'syslog' },
    // The receiver that took the message in (ECS agent: what collected the event). observer.* is
    // left to decoders: the firewall or router that reported what it saw.
    ...(envelope.observer?.hostname ? { agent: { type: 'haetae', name: envelope.observer.hostname } } : {}),
    haetae: {
      raw,
      syslog: { format: 'unparsed', framing: envelope.framing, transport: envelope.transport },
    },
  };

  if (parsed.ok) {
    const m = parsed.value;
    if (m.timestamp && !Number.isNaN(m.timestamp.getTime())) event['@timestamp'] = m.timestamp.toISOString();
    event.message = m.message;
    event.event.severity = m.severity;
    event.log = {
      ...event.log,
      syslog: {
        priority: m.priority,
        facility: { code: m.facility, name: FACILITY_NAMES[m.facility] ?? String(m.facility) },
        severity: { code: m.severity, name: SEVERITY_NAMES[m.severity] ?? String(m.severity) },
        ...(m.version !== undefined ? { version: String(m.version) } : {}),
        ...(m.hostname ? { hostname: m.hostname } : {}),
        ...(m.appName ? { appname: m.appName } : {}),
        ...(m.procId ? { procid: m.procId } : {}),
        ...(m.msgId ? { msgid: m.msgId } : {}),
        ...(m.structuredData && Object.keys(m.structuredData).length > 0 ? { structured_data: m.structuredData } : {}),
      },
    };
    if (m.hostname) {
      event.host = { hostname: m.hostname, name: m.hostname };
      event.related = { hosts: [m.hostname] };
    }
    if (m.appName) {
      event.process = { name: m.appName };
      const pid = m.procId !== undefined && /^[0-9]{1,10}$/.test(m.procId) ? Number(m.procId) : undefined;
      if (pid !== undefined && pid <= 2 ** 31 - 1) event.process.pid = pid;
    }
    event.haetae.syslog!.format = m.format;
    if (m.timestampText !== undefined && m.timestamp === undefined) event.haetae.syslog!.timestamp_text = m.timestampText;
    if (m.timeZone !== undefined && m.timestamp !== undefined) event.haetae.time = { zone: m.timeZone };
    if (m.sequenceNumber !== undefined) event.event.sequence = m.sequenceNumber;
    if (m.clock !== undefined) event.haetae.syslog!.clock = m.clock;
    if (m.repeatCount !== undefined) event.haetae.syslog!.repeat_count = m.repeatCount;
    if (m.warnings.length > 0) event.haetae.parse = { warnings: [...m.warnings] };
  } else {
    event.event.kind = 'pipeline_error';
    tags.push(TAG_PARSE_FAILURE);
    event.haetae.parse = { error: { code: parsed.code, reason: parsed.reason } };
  }

  if (!validUtf8) tags.push(TAG_INVALID_UTF8);
  if (envelope.truncated) {
    tags.push(TAG_TRUNCATED);
    event.haetae.truncated = { original_length: envelope.originalLength ?? payload.length };
  }
  if (!validUtf8 || envelope.truncated) event.haetae.original_base64 = envelope.payload;
  if (envelope.transport === 'tls') event.tls = tlsFields(envelope.tls);
  (event.related ??= {}).ip = [envelope.source.address];
  if (tags.length > 0) event.tags = tags;
  return event;
}

/**
 * ECS tls.* of a message received over TLS; tls.client.* only for a verified client certificate
 * (the receiver records no other). ECS writes hashes as uppercase hex without separators.
 */
function tlsFields(cert: RawEnvelope['tls']): NonNullable<HaetaeEvent['tls']> {
  if (!cert) return { established: true };
  return {
    established: true,
    client: {
      x509: {
        subject: { distinguished_name: cert.subject },
        ...(cert.issuer ? { issuer: { distinguished_name: cert.issuer } } : {}),
      },
      ...(cert.fingerprint256 ? { hash: { sha256: cert.fingerprint256.replace(/:/g, '').toUpperCase() } } : {}),
    },
  };
}
