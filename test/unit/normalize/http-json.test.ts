import { normalizeHttp } from '../../../pipeline/normalize/http-json';
import { buildEnvelope } from '../../../pipeline/envelope/envelope';
import type { Frame } from '../../../pipeline/receive/syslog/frame';

const raw = { topic: 't', partition: 0, offset: '7' };
const received = new Date('2026-03-01T10:00:00.000Z');
const now = new Date('2026-03-01T10:00:01.000Z');

function envelopeOf(bytes: Buffer, kind: 'hec' | 'json', http: NonNullable<Frame['http']>, framing: Frame['framing'] = 'json') {
  return buildEnvelope({ bytes, framing, truncated: false, kind, http }, { transport: 'http', source: { address: '::ffff:192.0.2.7', port: 40000 }, listener: { address: '0.0.0.0', port: 8088 }, observerHostname: 'rx', receivedAt: received, id: 'r.1' });
}

describe('HTTP input normalizer', () => {
  it('an event object without message/log/msg becomes its JSON as message; fields and event are kept as sent', () => {
    const bytes = Buffer.from('{"event":{"status":500,"path":"/x"},"fields":{"region":"eu"},"sourcetype":"_json"}');
    const { event, parseFailed } = normalizeHttp(envelopeOf(bytes, 'hec', { endpoint: 'event', token: 'app' }), bytes, raw, now);
    expect(parseFailed).toBe(false);
    expect(event).toMatchObject({
      '@timestamp': received.toISOString(), message: '{"status":500,"path":"/x"}',
      log: { source: { address: '192.0.2.7', port: 40000 } }, related: { ip: ['192.0.2.7'] },
      haetae: { raw, http: { endpoint: 'event', token: 'app', sourcetype: '_json', fields: { region: 'eu' }, event: { status: 500, path: '/x' } } },
    });
    expect(event.host).toBeUndefined();
  });

  it('raw lines take the query defaults; a line with invalid UTF-8 keeps its exact bytes in base64', () => {
    const bytes = Buffer.from([0x62, 0x61, 0x64, 0x20, 0xff, 0xfe]);
    const env = envelopeOf(bytes, 'hec', { endpoint: 'raw', token: 'app', host: 'q-host', sourcetype: 'legacy' }, 'lf');
    const { event } = normalizeHttp(env, bytes, raw, now);
    expect(event).toMatchObject({ host: { name: 'q-host' }, haetae: { http: { endpoint: 'raw', sourcetype: 'legacy' }, original_base64: bytes.toString('base64') }, tags: ['haetae_invalid_utf8'] });
  });

  it('a payload that is not JSON (another producer on the raw topic) is still an event, tagged and counted as a parse failure', () => {
    const bytes = Buffer.from('not json');
    const { event, parseFailed } = normalizeHttp(envelopeOf(bytes, 'json', { endpoint: 'ndjson', token: 'app' }, 'lf'), bytes, raw, now);
    expect(parseFailed).toBe(true);
    expect(event).toMatchObject({ message: 'not json', event: { kind: 'pipeline_error', original: 'not json' }, tags: ['haetae_parse_failure'] });
  });

  it('NDJSON times: epoch seconds and milliseconds and RFC 3339', () => {
    const at = (o: object): string => {
      const bytes = Buffer.from(JSON.stringify(o));
      return normalizeHttp(envelopeOf(bytes, 'json', { endpoint: 'ndjson', token: 'a' }, 'lf'), bytes, raw, now).event['@timestamp'];
    };
    expect(at({ time: 1772359190 })).toBe('2026-03-01T09:59:50.000Z');
    expect(at({ timestamp: 1772359190500 })).toBe('2026-03-01T09:59:50.500Z');
    expect(at({ '@timestamp': '2026-03-01T09:59:50.250Z' })).toBe('2026-03-01T09:59:50.250Z');
    expect(at({ time: 'soon' })).toBe(received.toISOString());
  });
});
