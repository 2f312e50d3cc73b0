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
    expect(verifySignature('secret-key', '1700000000', '{"alert":1}', sig)).toBe(true);
    expect(verifySignature('secret-key', '1700000000', '{"alert":2}', sig)).toBe(false);
    expect(verifySignature('secret-key', '1700000001', '{"alert":1}', sig)).toBe(false);
    expect(verifySignature('other-key', '1700000000', '{"alert":1}', sig)).toBe(false);
    expect(verifySignature('secret-key', '1700000000', '{"alert":1}', 'sha256=short')).toBe(false);
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
