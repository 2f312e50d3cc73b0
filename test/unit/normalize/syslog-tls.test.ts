import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import eventSchema from '../../../schemas/event.schema.json';
import { buildEnvelope } from '../../../pipeline/envelope/envelope';
import { parseSyslog } from '../../../pipeline/parse/syslog';
import { normalizeSyslog } from '../../../pipeline/normalize/syslog';

const receivedAt = new Date('2026-03-01T12:00:00.000Z');
const raw = { topic: 'haetae.raw', partition: 0, offset: '7' };

function eventFor(transport: 'tls' | 'tcp', tls?: { subject: string; issuer?: string; fingerprint256?: string }) {
  const bytes = Buffer.from('<13>1 2026-03-01T12:00:00Z edge1 app - - - hello');
  const envelope = buildEnvelope({ bytes, framing: 'octet-counting', truncated: false }, {
    transport, ...(tls ? { tls } : {}), source: { address: '10.0.0.1', port: 40000 }, listener: { address: '0.0.0.0', port: 6514 }, observerHostname: 'rx', receivedAt,
  });
  return { envelope, event: normalizeSyslog(envelope, bytes, parseSyslog(bytes, { receivedAt }), raw, receivedAt) };
}

describe('ECS tls.* of messages received over TLS', () => {
  const cert = { subject: 'CN=edge1.example.net,O=Example,C=DE', issuer: 'CN=Example CA,O=Example', fingerprint256: 'AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89' };

  it('carries the verified client certificate from the envelope into ECS fields (hash in uppercase hex, no colons)', () => {
    const { envelope, event } = eventFor('tls', cert);
    expect(envelope.tls).toEqual(cert);
    expect(event.tls).toEqual({
      established: true,
      client: {
        x509: { subject: { distinguished_name: cert.subject }, issuer: { distinguished_name: cert.issuer } },
        hash: { sha256: 'ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789' },
      },
    });
    expect(event.haetae.syslog?.transport).toBe('tls');
  });

  it('says only tls.established for a TLS peer without a verified certificate, and nothing for TCP', () => {
    expect(eventFor('tls').event.tls).toEqual({ established: true });
    expect(eventFor('tcp').event.tls).toBeUndefined();
  });

  it('produces events the event schema accepts', () => {
    const ajv = new Ajv({ strict: false, allErrors: true });
    addFormats(ajv);
    const validate = ajv.compile(eventSchema);
    for (const { event } of [eventFor('tls', cert), eventFor('tls')]) {
      expect(validate(event) ? [] : validate.errors).toEqual([]);
    }
  });
});
