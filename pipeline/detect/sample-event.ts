import type { HaetaeEvent } from '../../schemas/generated/types';
import { buildEnvelope } from '../envelope/envelope';
import { parseSyslog } from '../parse/syslog';
import { normalizeSyslog } from '../normalize/syslog';

/**
 * Turns a raw syslog line into the event the pipeline would index, through the same parser and
 * normalizer the worker runs, so a rule test or `rules explain` sees exactly what production sees.
 * The envelope is synthetic: UDP from 127.0.0.1, received `now`.
 */
export function eventFromLine(line: string, now: Date): HaetaeEvent {
  const bytes = Buffer.from(line, 'utf8');
  const envelope = buildEnvelope(
    { bytes, framing: 'datagram', truncated: false },
    { transport: 'udp', source: { address: '127.0.0.1', port: 514 }, listener: { address: '127.0.0.1', port: 5514 }, observerHostname: 'haetae-rules', receivedAt: now },
  );
  return normalizeSyslog(envelope, bytes, parseSyslog(bytes, { receivedAt: now }), { topic: 'rule-test', partition: 0, offset: '0' }, now);
}
