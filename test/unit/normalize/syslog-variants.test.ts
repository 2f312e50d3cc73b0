import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import eventSchema from '../../../schemas/event.schema.json';
import { buildEnvelope } from '../../../pipeline/envelope/envelope';
import { parseSyslog } from '../../../pipeline/parse/syslog';
import { normalizeSyslog } from '../../../pipeline/normalize/syslog';

// Stamped relative to now: the Cisco timestamps carry no year, which the parser infers from receipt.
const receivedAt = new Date();
const raw = { topic: 'haetae.raw', partition: 0, offset: '1' };
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const bsdDay = `${MONTHS[receivedAt.getUTCMonth()]} ${String(receivedAt.getUTCDate()).padStart(2, ' ')}`;

function eventOf(line: string) {
  const bytes = Buffer.from(line);
  const envelope = buildEnvelope({ bytes, framing: 'datagram', truncated: false }, {
    transport: 'udp', source: { address: '10.0.0.9', port: 514 }, listener: { address: '0.0.0.0', port: 5514 }, observerHostname: 'rx', receivedAt,
  });
  return normalizeSyslog(envelope, bytes, parseSyslog(bytes, { receivedAt }), raw, receivedAt);
}

const validate = (() => {
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  return ajv.compile(eventSchema);
})();

describe('syslog header variants reach the event', () => {
  it('puts a Cisco sequence number in event.sequence and the unsynchronized clock marker in haetae.syslog.clock', () => {
    const event = eventOf(`<189>123: *${bsdDay} 08:46:11.123 UTC: %SYS-5-CONFIG_I: Configured from console by vty0`);
    expect(event.event.sequence).toBe(123);
    expect(event.haetae.syslog?.clock).toBe('unsynchronized');
    expect(event.message).toBe('%SYS-5-CONFIG_I: Configured from console by vty0');
    expect(validate(event) ? [] : validate.errors).toEqual([]);
  });

  it('marks a clock that lost synchronisation (".") as sync_lost and takes the origin id as host', () => {
    const event = eventOf(`<180>782431: machine1: .${bsdDay} 21:03:22.631 GMT: %CDP-4-NATIVE_VLAN_MISMATCH: mismatch`);
    expect(event.haetae.syslog?.clock).toBe('sync_lost');
    expect(event.host?.hostname).toBe('machine1');
    expect(event.event.sequence).toBe(782431);
  });

  it('counts a "last message repeated N times" notice in haetae.syslog.repeat_count and keeps the message', () => {
    const event = eventOf(`<13>${bsdDay} 10:00:00 web1 last message repeated 17 times`);
    expect(event.haetae.syslog?.repeat_count).toBe(17);
    expect(event.message).toContain('last message repeated 17 times');
    expect(validate(event) ? [] : validate.errors).toEqual([]);
  });

  it('sets none of them on an ordinary message', () => {
    const event = eventOf(`<13>${bsdDay} 10:00:00 web1 sshd[7]: Accepted publickey for ops`);
    expect(event.event.sequence).toBeUndefined();
    expect(event.haetae.syslog?.clock).toBeUndefined();
    expect(event.haetae.syslog?.repeat_count).toBeUndefined();
  });
});
