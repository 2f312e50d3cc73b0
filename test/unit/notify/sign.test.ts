import { createHmac } from 'node:crypto';
import { signPayload, verifySignature } from '../../../pipeline/notify/sign';
import { buildNotificationJob, notificationJobId } from '../../../pipeline/notify/job';

describe('webhook signatures', () => {
  it('is HMAC-SHA256 over timestamp.body, hex, prefixed sha256=', () => {
    const expected = createHmac('sha256', 'k').update('1700000000.{"a":1}').digest('hex');
    expect(signPayload('k', '1700000000', '{"a":1}')).toBe(`sha256=${expected}`);
  });

  it('verifies a correct signature and rejects a tampered body, timestamp or key', () => {
    const sig = signPayload('secret-key', '1700000000', '{"alert":1}');
    const now = new Date(1_700_000_000_000);
    expect(verifySignature('secret-key', '1700000000', '{"alert":1}', sig, { now })).toBe(true);
    expect(verifySignature('secret-key', '1700000000', '{"alert":2}', sig, { now })).toBe(false);
    expect(verifySignature('secret-key', '1700000001', '{"alert":1}', sig, { now })).toBe(false);
    expect(verifySignature('other-key', '1700000000', '{"alert":1}', sig, { now })).toBe(false);
    expect(verifySignature('secret-key', '1700000000', '{"alert":1}', 'sha256=short', { now })).toBe(false);
  });

  describe('rejects replays: the timestamp must be within the tolerance (default 300 s) of now', () => {
    const ts = '1700000000';
    const body = '{"alert":1}';
    const sig = signPayload('k', ts, body);
    const at = (offsetSec: number): Date => new Date((1_700_000_000 + offsetSec) * 1000);

    it('accepts a fresh request, up to the tolerance either way', () => {
      expect(verifySignature('k', ts, body, sig, { now: at(0) })).toBe(true);
      expect(verifySignature('k', ts, body, sig, { now: at(300) })).toBe(true);
      expect(verifySignature('k', ts, body, sig, { now: at(-300) })).toBe(true);
    });

    it('rejects a stale request, even with a valid signature', () => {
      expect(verifySignature('k', ts, body, sig, { now: at(301) })).toBe(false);
      expect(verifySignature('k', ts, body, sig, { now: at(86_400) })).toBe(false);
      // With the real clock: a signature made in 2023 is long stale.
      expect(verifySignature('k', ts, body, sig)).toBe(false);
    });

    it('rejects a timestamp further in the future than the tolerance', () => {
      expect(verifySignature('k', ts, body, sig, { now: at(-301) })).toBe(false);
    });

    it('takes another tolerance in seconds', () => {
      expect(verifySignature('k', ts, body, sig, { now: at(301), toleranceSec: 600 })).toBe(true);
      expect(verifySignature('k', ts, body, sig, { now: at(31), toleranceSec: 30 })).toBe(false);
    });

    it('rejects a timestamp that is not whole seconds since the epoch', () => {
      for (const bad of ['', 'abc', '1700000000.5', '-1', ' 1700000000', '1e9']) {
        expect([bad, verifySignature('k', bad, body, signPayload('k', bad, body), { now: at(0) })]).toEqual([bad, false]);
      }
    });
  });
});

describe('notification job ids', () => {
  it('are stable per alert and channel and contain no colon (BullMQ rejects it)', () => {
    expect(notificationJobId('ab12', 'webhook')).toBe('ab12-webhook');
    expect(notificationJobId('ab12', 'webhook')).not.toContain(':');
  });

  it('carry the alert in a versioned job', () => {
    const alert = { alert: { id: 'f'.repeat(32) } } as never;
    expect(buildNotificationJob(alert, 'webhook')).toEqual({ id: `${'f'.repeat(32)}-webhook`, data: { v: 1, channel: 'webhook', alert } });
  });
});
